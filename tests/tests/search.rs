//! Issue 13, search against the real local runtime: a word said in a
//! transcript is found with a highlighted snippet and its time offset; a
//! typo still finds it; another organisation's meetings, transcripts and
//! people never appear, in results, counts, facets or suggestions; FTS5
//! syntax in a query gives results or a 400, never a 500.

use connvo_e2e::fakes::workos::{access_token_claims, TestKey};
use connvo_e2e::meet::{World, ORG};
use connvo_e2e::BackendOptions;
use serde_json::Value;

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";
const STRANGER: &str = "user_01STRANGER";
const OTHER_ORG: &str = "org_01OTHER";

/// Our meeting and another organisation's, both saying "zanzibar".
fn seed() -> BackendOptions {
    BackendOptions::default().seed_sql(format!(
        "INSERT INTO users (id, org_id, org_role, display_name, is_active, created_at, updated_at)
           VALUES ('{STRANGER}', '{OTHER_ORG}', 'member', 'Stranger', 1, 1, 1);
         INSERT INTO meetings (id, organizer_id, org_id, title, description, scheduled_at, state, concluded_at, started_at, created_at, updated_at)
           VALUES ('mtg_OURS', '{HOST}', '{ORG}', 'Zanzibar planning', 'the quarterly budget', 1000, 'concluded', 3000, 1000, 1, 1),
                  ('mtg_THEIRS', '{STRANGER}', '{OTHER_ORG}', 'Zanzibar secret', 'their budget', 1000, 'concluded', 3000, 1000, 1, 1);
         INSERT INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at)
           VALUES ('mtg_OURS', '{HOST}', 'host', 1, 1), ('mtg_OURS', '{GUEST}', 'participant', 1, 1),
                  ('mtg_THEIRS', '{STRANGER}', 'host', 1, 1);
         INSERT INTO transcript_segments (id, meeting_id, speaker_id, text, start_ms, end_ms, created_at, updated_at)
           VALUES ('seg_1', 'mtg_OURS', '{HOST}', 'we fly to zanzibar next spring for the offsite', 61000, 65000, 1, 1),
                  ('seg_2', 'mtg_OURS', '{GUEST}', 'sounds good to me', 66000, 67000, 1, 1),
                  ('seg_3', 'mtg_THEIRS', '{STRANGER}', 'zanzibar is our secret acquisition', 5000, 9000, 1, 1);
         INSERT INTO profiles (user_id, display_name, headline, bio, created_at, updated_at)
           VALUES ('{GUEST}', 'Guest Person', 'Travel lead', 'loves zanzibar', 1, 1),
                  ('{STRANGER}', 'Stranger Danger', 'Spy', 'zanzibar expert', 1, 1);"
    ))
}

async fn get(w: &World, user: &str, path: &str) -> (u16, Value) {
    let a = w.call("GET", path, Some(user), None).await;
    (a.status, a.body)
}

#[tokio::test]
async fn s8_a_spoken_word_is_found_with_snippet_offset_and_typo() {
    let w = World::start_with(&[HOST, GUEST], seed()).await;
    let (s, body) = get(&w, GUEST, "/v1/search/transcripts?q=zanzibar").await;
    assert_eq!(s, 200, "{body}\n{}", w.backend.log_tail());
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    let hit = &items[0];
    assert_eq!(hit["meeting_id"], "mtg_OURS");
    assert_eq!(hit["meeting_title"], "Zanzibar planning");
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>zanzibar</mark>"),
        "{hit}"
    );
    assert_eq!(hit["offset_ms"], 61000);
    assert!(hit["context"].as_str().unwrap().contains("offsite"));
    // S9: one typo (a swap, a missing letter) still finds it.
    for typo in ["zanzibra", "zanziba", "zanzibars"] {
        let (s, body) = get(&w, GUEST, &format!("/v1/search/transcripts?q={typo}")).await;
        assert_eq!(s, 200);
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{typo}: {body}");
    }
    // Filters: another speaker finds nothing.
    let (_, body) = get(
        &w,
        GUEST,
        &format!("/v1/search/transcripts?q=zanzibar&speaker_id={GUEST}"),
    )
    .await;
    assert!(body["items"].as_array().unwrap().is_empty());
    // Meetings and people.
    let (_, body) = get(&w, GUEST, "/v1/search/meetings?q=budget").await;
    assert_eq!(body["items"][0]["id"], "mtg_OURS");
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (_, body) = get(&w, GUEST, "/v1/search/users?q=zanzibar").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["items"][0]["user_id"], GUEST);
}

#[tokio::test]
async fn s10_another_orgs_data_never_appears() {
    let w = World::start_with(&[HOST, GUEST], seed()).await;
    let (s, all) = get(&w, GUEST, "/v1/search?q=zanzibar").await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["counts"]["transcripts"], 1, "{all}");
    assert_eq!(all["counts"]["meetings"], 1);
    assert_eq!(all["counts"]["users"], 1);
    assert_eq!(all["facets"]["meeting_state"]["concluded"], 1);
    let text = all.to_string();
    for leak in ["mtg_THEIRS", "secret", "acquisition", STRANGER, "Stranger"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
    let (_, suggest) = get(&w, GUEST, "/v1/search/suggest?q=zan").await;
    assert_eq!(
        suggest["meetings"].as_array().unwrap().len(),
        1,
        "{suggest}"
    );
    assert!(!suggest.to_string().contains("secret"));
    assert!(!suggest.to_string().contains("Stranger"));
    // And the other way round: the stranger (signed in to their own
    // organisation) sees only their own.
    let token = TestKey::one().sign(&access_token_claims(STRANGER, OTHER_ORG, "member"));
    let theirs = w
        .call_with("GET", "/v1/search?q=zanzibar", Some(&token), None, &[])
        .await
        .body;
    assert_eq!(theirs["counts"]["users"], 1, "{theirs}");
    assert!(!theirs.to_string().contains(GUEST), "{theirs}");
    assert!(!theirs.to_string().contains("mtg_OURS"), "{theirs}");
    assert_eq!(theirs["counts"]["transcripts"], 1);
    // Not a member of a meeting in the filter: nothing, not an error.
    let (s, body) = get(
        &w,
        GUEST,
        "/v1/search/transcripts?q=zanzibar&meeting_id=mtg_THEIRS",
    )
    .await;
    assert_eq!(s, 200);
    assert!(body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn s1_fts_syntax_gives_results_or_a_400_never_a_500() {
    let w = World::start_with(&[HOST, GUEST], seed()).await;
    let nasty = [
        "\"",
        "\"zanzibar",
        "zanzibar\"",
        "NEAR(zanzibar next)",
        "zanzibar NEAR/2 next",
        "*",
        "zan*",
        "(",
        ")",
        "((zanzibar)",
        "zanzibar OR",
        "AND NOT",
        "NOT zanzibar",
        "^zanzibar",
        "text:zanzibar",
        "{text}:zanzibar",
        "'; DROP TABLE meetings; --",
        "\\",
        "zanzibar AND (",
        "\"NEAR(\" OR \")\"",
        "-zanzibar",
        "+",
    ];
    let routes = [
        "/v1/search",
        "/v1/search/transcripts",
        "/v1/search/meetings",
        "/v1/search/users",
        "/v1/search/suggest",
    ];
    for q in nasty {
        let encoded: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
        for route in routes {
            let (s, body) = get(&w, GUEST, &format!("{route}?q={encoded}")).await;
            assert!(
                s == 200 || s == 400,
                "{route} q={q:?} answered {s}: {body}\n{}",
                w.backend.log_tail()
            );
        }
    }
    // Operators are words: "zanzibar NEAR/2 next" finds the segment that has all three words.
    let (_, body) = get(&w, GUEST, "/v1/search/transcripts?q=%22zanzibar%22%20next").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    // Too long is a 400 naming q.
    let long = "a".repeat(300);
    let (s, body) = get(&w, GUEST, &format!("/v1/search?q={long}")).await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["details"]["field"], "q");
    // Reindex is for org admins, and keeps results.
    let a = w
        .call(
            "POST",
            "/v1/admin/search/transcripts/reindex",
            Some(GUEST),
            None,
        )
        .await;
    assert_eq!(a.status, 403);
    let token = w.token_with_role(HOST, "admin");
    let a = w
        .call_with(
            "POST",
            "/v1/admin/search/transcripts/reindex",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        w.d1("SELECT entity FROM search_index_jobs")[0]["entity"],
        "transcripts"
    );
    let (_, body) = get(&w, GUEST, "/v1/search/transcripts?q=zanzibar").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
}

/// The live transcript of a meeting still in progress (no segments yet),
/// with a language, in a meeting the admin does not belong to.
fn seed_live() -> BackendOptions {
    seed().seed_sql(format!(
        "INSERT INTO meetings (id, organizer_id, org_id, title, scheduled_at, state, started_at, created_at, updated_at)
           VALUES ('mtg_LIVE', '{GUEST}', '{ORG}', 'Weekly sync', 2000, 'active', 2000, 1, 1);
         INSERT INTO meeting_participants (meeting_id, user_id, role, created_at, updated_at)
           VALUES ('mtg_LIVE', '{GUEST}', 'host', 1, 1);
         INSERT INTO transcripts (meeting_id, seq, bucket_ms, kind, speaker_id, text, language, start_ms, end_ms, created_at)
           VALUES ('mtg_LIVE', 0, 300000, 'final', '{GUEST}', 'la propuesta de marimba llega mañana', 'es-MX', 312000, 315000, 1),
                  ('mtg_LIVE', 1, 300000, 'interim', '{GUEST}', 'marimba interim words', 'es-MX', 316000, 317000, 1);
         INSERT INTO transcripts (meeting_id, seq, bucket_ms, kind, speaker_id, text, language, start_ms, end_ms, created_at)
           VALUES ('mtg_OURS', 0, 0, 'final', '{HOST}', 'zanzibar said live before the segments', 'en', 61000, 65000, 1);"
    ))
}

#[tokio::test]
async fn s12_the_live_transcript_is_found_until_segments_exist() {
    let w = World::start_with(&[HOST, GUEST], seed_live()).await;
    let (s, body) = get(&w, GUEST, "/v1/search/transcripts?q=marimba").await;
    assert_eq!(s, 200, "{body}\n{}", w.backend.log_tail());
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "final chunks only: {body}");
    let hit = &items[0];
    assert_eq!(hit["source"], "live");
    assert_eq!(hit["meeting_id"], "mtg_LIVE");
    assert_eq!(hit["seq"], 0);
    assert_eq!(hit["offset_ms"], 312000);
    assert_eq!(hit["language"], "es-mx");
    assert!(hit["snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>marimba</mark>"));
    // A meeting with segments answers from them, never twice.
    let (_, body) = get(&w, GUEST, "/v1/search/transcripts?q=zanzibar").await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["source"], "segment");
    let (_, all) = get(&w, GUEST, "/v1/search?q=marimba").await;
    assert_eq!(all["counts"]["transcripts"], 1, "{all}");
    // S13: the language filter (the meeting's language comes from its
    // live transcript; `es` matches `es-mx`).
    for (lang, n) in [("es", 1), ("es-MX", 1), ("en", 0)] {
        let (s, body) = get(
            &w,
            GUEST,
            &format!("/v1/search/transcripts?q=marimba&language={lang}"),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(body["items"].as_array().unwrap().len(), n, "{lang}: {body}");
        let (_, body) = get(
            &w,
            GUEST,
            &format!("/v1/search/meetings?q=weekly&language={lang}"),
        )
        .await;
        assert_eq!(body["items"].as_array().unwrap().len(), n, "{lang}: {body}");
    }
    let (s, body) = get(&w, GUEST, "/v1/search/meetings?q=weekly&language=x%25").await;
    assert_eq!(
        (s, body["error"]["details"]["field"].clone()),
        (400, "language".into())
    );
    // The host of mtg_OURS is not in mtg_LIVE: nothing of it.
    let (_, body) = get(&w, HOST, "/v1/search/transcripts?q=marimba").await;
    assert!(body["items"].as_array().unwrap().is_empty(), "{body}");
}

#[tokio::test]
async fn s11_meetings_by_member_names_and_s15_a_first_letter_typo() {
    let w = World::start_with(&[HOST, GUEST], seed_live()).await;
    // GUEST's profile name is "Guest Person": both of their meetings.
    let (s, body) = get(&w, HOST, "/v1/search/meetings?q=person").await;
    assert_eq!(s, 200, "{body}");
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["mtg_OURS"], "the host reads only their own: {body}");
    assert!(body["items"][0]["participants_snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>Person</mark>"));
    let (_, body) = get(&w, GUEST, "/v1/search/meetings?q=person").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2, "{body}");
    // A renamed member is found by the new name at once (triggers).
    connvo_e2e::d1::execute(
        w.backend.state_dir(),
        &format!("UPDATE profiles SET display_name = 'Quentin Blake' WHERE user_id = '{GUEST}'"),
    );
    let (_, body) = get(&w, GUEST, "/v1/search/meetings?q=quentin").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2, "{body}");
    let (_, body) = get(&w, GUEST, "/v1/search/meetings?q=person").await;
    assert!(body["items"].as_array().unwrap().is_empty(), "{body}");
    // S15: a typo in the first letter (replaced, dropped, added, swapped).
    for typo in ["xanzibar", "anzibar", "azanzibar", "aznzibar"] {
        let (s, body) = get(&w, GUEST, &format!("/v1/search/transcripts?q={typo}")).await;
        assert_eq!(s, 200);
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{typo}: {body}");
        let (_, body) = get(&w, GUEST, &format!("/v1/search/meetings?q={typo}")).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{typo}: {body}");
    }
    // The meetings index is rebuilt from its view, and keeps its results.
    let token = w.token_with_role(HOST, "admin");
    let a = w
        .call_with(
            "POST",
            "/v1/admin/search/meetings/reindex",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (_, body) = get(&w, GUEST, "/v1/search/meetings?q=quentin").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2, "{body}");
}

#[tokio::test]
async fn s14_org_admins_search_their_whole_org_and_members_emails() {
    let w = World::start_with(
        &[HOST, GUEST],
        seed_live().seed_sql(format!(
            "UPDATE users SET email = 'guest.person@acme.example' WHERE id = '{GUEST}';
             UPDATE users SET email = 'stranger@other.example' WHERE id = '{STRANGER}';"
        )),
    )
    .await;
    let admin = w.token_with_role(HOST, "admin");
    let as_admin = |path: String| {
        let w = &w;
        let admin = admin.clone();
        async move { w.call_with("GET", &path, Some(&admin), None, &[]).await }
    };
    // Their own meetings by default; the org's with scope=org.
    let a = as_admin("/v1/search/transcripts?q=marimba".into()).await;
    assert!(a.body["items"].as_array().unwrap().is_empty(), "{}", a.body);
    let a = as_admin("/v1/search/transcripts?q=marimba&scope=org".into()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["items"].as_array().unwrap().len(), 1, "{}", a.body);
    let a = as_admin("/v1/search?q=zanzibar&scope=org".into()).await;
    // The other organisation's zanzibar stays out of an admin's view too.
    assert_eq!(a.body["counts"]["transcripts"], 1, "{}", a.body);
    assert_eq!(a.body["counts"]["meetings"], 1);
    assert!(!a.body.to_string().contains("mtg_THEIRS"));
    // A member asking for the org's view is refused.
    let (s, _) = get(&w, GUEST, "/v1/search/transcripts?q=marimba&scope=org").await;
    assert_eq!(s, 403);
    // Email: admins find members by it and see it; members never.
    let a = as_admin("/v1/search/users?q=guest.person%40acme".into()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", a.body);
    assert_eq!(items[0]["email"], "guest.person@acme.example");
    let a = as_admin("/v1/search/users?q=stranger%40other".into()).await;
    assert!(a.body["items"].as_array().unwrap().is_empty(), "{}", a.body);
    let (_, body) = get(&w, HOST, "/v1/search/users?q=guest.person%40acme").await;
    assert!(!body.to_string().contains("acme.example"), "{body}");
    let (_, body) = get(&w, HOST, "/v1/search/users?q=travel").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    assert!(body["items"][0].get("email").is_none(), "{body}");
}

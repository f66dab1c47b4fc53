//! What the privacy tests share: two users, Ada and Bob, who met in one
//! meeting (Ada organised it) and each said and wrote things there; Bob
//! also has a meeting of his own. Every row of Bob's carries "bob-secret"
//! so a test can tell at a glance whether any of it leaked into Ada's
//! export.

#![allow(dead_code)]

use std::time::Duration;

use connvo_e2e::meet::{eventually, Answer, World};
use connvo_e2e::BackendOptions;
use serde_json::Value;

pub const ADA: &str = "user_01ADA";
pub const BOB: &str = "user_01BOB";
pub const ADA_EMAIL: &str = "ada@example.com";
pub const ADA_NAME: &str = "Ada Lovelace";

/// The seeded rows (the users themselves are `World`'s).
pub fn seed() -> BackendOptions {
    let mut o = BackendOptions::default().seed_sql(format!(
        "UPDATE users SET email = '{ADA_EMAIL}', display_name = '{ADA_NAME}' WHERE id = '{ADA}';
         UPDATE users SET email = 'bob@example.com', display_name = 'Bob Bobson' WHERE id = '{BOB}';
         INSERT INTO profiles (user_id, display_name, headline, bio, created_at, updated_at)
         VALUES ('{ADA}', '{ADA_NAME}', 'Analyst', 'Engines', 1, 1),
                ('{BOB}', 'Bob Bobson', 'bob-secret headline', 'bob-secret bio', 1, 1);
         INSERT INTO meetings (id, organizer_id, org_id, title, scheduled_at, state, started_at, concluded_at, created_at, updated_at)
         VALUES ('mtg_shared', '{ADA}', 'org_01ACME', 'Shared', 1000, 'concluded', 1000, 2000, 1000, 1000),
                ('mtg_bob', '{BOB}', 'org_01ACME', 'Bob alone', 1000, 'concluded', 1000, 2000, 1000, 1000);
         INSERT INTO meeting_participants (meeting_id, user_id, role, presence, invited_by, created_at, updated_at)
         VALUES ('mtg_shared', '{ADA}', 'host', 'invited', NULL, 1, 1),
                ('mtg_shared', '{BOB}', 'participant', 'invited', '{ADA}', 1, 1),
                ('mtg_bob', '{BOB}', 'host', 'invited', NULL, 1, 1);
         INSERT INTO messages (meeting_id, seq, id, user_id, content, created_at)
         VALUES ('mtg_shared', 0, 'msg_a0', '{ADA}', 'ada-msg-0', 1100),
                ('mtg_shared', 1, 'msg_b1', '{BOB}', 'bob-secret-msg-1', 1101),
                ('mtg_shared', 2, 'msg_a2', '{ADA}', 'ada-msg-2', 1102),
                ('mtg_shared', 3, 'msg_a3', '{ADA}', 'ada-msg-3', 1103),
                ('mtg_bob', 0, 'msg_b9', '{BOB}', 'bob-secret-msg-9', 1104);
         INSERT INTO transcripts (meeting_id, seq, bucket_ms, kind, speaker_id, text, start_ms, end_ms, created_at)
         VALUES ('mtg_shared', 0, 0, 'final', '{ADA}', 'ada-line-0', 0, 10, 1100),
                ('mtg_shared', 1, 0, 'final', '{BOB}', 'bob-secret-line-1', 10, 20, 1101),
                ('mtg_shared', 2, 0, 'final', '{ADA}', 'ada-line-2', 20, 30, 1102),
                ('mtg_shared', 3, 0, 'final', '{ADA}', 'ada-line-3', 30, 40, 1103),
                ('mtg_bob', 0, 0, 'final', '{BOB}', 'bob-secret-line-9', 0, 10, 1104);
         INSERT INTO transcript_segments (id, meeting_id, speaker_id, speakers, text, start_ms, end_ms, created_at, updated_at)
         VALUES ('seg_a', 'mtg_shared', '{ADA}', '[\"{ADA}\",\"{BOB}\"]', 'ada-line-0 bob-secret-line-1', 0, 20, 1, 1);
         INSERT INTO meeting_notes (meeting_id, content, version, last_author_id, created_at, updated_at)
         VALUES ('mtg_shared', 'shared notes', 2, '{ADA}', 1, 1);
         INSERT INTO note_ops (meeting_id, version, base_version, author_id, op_kind, op, created_at)
         VALUES ('mtg_shared', 1, 0, '{ADA}', 'insert', '[\"ada-op\"]', 1100),
                ('mtg_shared', 2, 1, '{BOB}', 'insert', '[\"bob-secret-op\"]', 1101);
         INSERT INTO insights (id, user_id, meeting_id, summary, created_at, updated_at)
         VALUES ('ins_a', '{ADA}', 'mtg_shared', 'ada-insight', 1, 1),
                ('ins_b', '{BOB}', 'mtg_shared', 'bob-secret-insight', 1, 1);"
    ));
    o = o.var("PRIVACY_EXPORT_PAGE_ROWS", "2");
    o.var("PRIVACY_EXPORT_PAGES_PER_RUN", "6")
}

/// Polls `GET path` as `user` until `done` holds for the body.
pub async fn poll(w: &World, user: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(path, Duration::from_secs(90), || async {
        let a: Answer = w.call("GET", path, Some(user), None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        done(&a.body).then_some(a.body)
    })
    .await
}

/// Asks for an export as `user` and waits until it is ready; its view.
pub async fn ready_export(w: &World, user: &str) -> Value {
    let a = w.call("POST", "/v1/privacy/export", Some(user), None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let id = a.body["export"]["id"].as_str().unwrap().to_owned();
    poll(w, user, &format!("/v1/privacy/export/{id}"), |b| {
        b["export"]["status"] == "ready"
    })
    .await
}

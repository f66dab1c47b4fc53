//! Issue 12's vector index end to end, against `wrangler dev` (rules
//! M30, M32–M34): two people with no interest in common but profiles that
//! read alike and complementary skills are proposed to each other only
//! because the cycle queries the vector index — the exact index over D1 by
//! default, and Cloudflare Vectorize (the fake, speaking its REST wire
//! format) when the model's active `vector_index_meta` row says so: then
//! embedding a profile upserts it there, a cycle queries it, and a
//! withdrawn user's vector is deleted from it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connvo_e2e::fakes::vectorize::FakeVectorize;
use connvo_e2e::meet::{eventually, Answer, World};
use connvo_e2e::BackendOptions;
use serde_json::{json, Value};

const ANN: &str = "user_01VECANN";
const BOB: &str = "user_01VECBOB";
const CAT: &str = "user_01VECCAT";
const WAIT: Duration = Duration::from_secs(30);
const HOUR: i64 = 3_600_000;
const LOCAL: &str = "connvo-local-lexical";

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn flag_on() -> BackendOptions {
    BackendOptions::default()
        .seed_sql(
            "INSERT INTO feature_flags (key, env, enabled, created_at, updated_at) \
             VALUES ('matching', 'local', 1, 1, 1)",
        )
        .var("MATCHING_SHARDS", "2")
}

async fn expect(
    w: &World,
    method: &str,
    path: &str,
    user: &str,
    body: Option<&Value>,
    status: u16,
) -> Answer {
    let a = w.call(method, path, Some(user), body).await;
    assert_eq!(
        a.status,
        status,
        "{method} {path} as {user}: {}\n{}",
        a.body,
        w.backend.log_tail()
    );
    a
}

/// Ann and Bob: alike bios, each one's skills the other's goals, no
/// interest in common. Cat bakes.
async fn profiles(w: &World) {
    let people = [
        (
            ANN,
            "realtime websocket servers in rust, collaborative editing",
            "meet a websockets and webrtc engineer",
            json!(["rust", "tokio"]),
            json!(["ai-ml"]),
        ),
        (
            BOB,
            "rust engineer building realtime websocket servers for editors",
            "learn rust and tokio",
            json!(["websockets", "webrtc"]),
            json!(["climate"]),
        ),
        (
            CAT,
            "sourdough bread, pastry and laminated doughs",
            "open a bakery",
            json!(["baking"]),
            json!(["databases"]),
        ),
    ];
    for (user, bio, goals, skills, interests) in people {
        let body = json!({"display_name": user, "bio": bio, "goals": goals, "skills": skills,
                          "languages": ["en"], "interests": interests});
        expect(w, "PUT", "/v1/me/profile", user, Some(&body), 200).await;
    }
}

async fn enter_all(w: &World) {
    let now = now_ms();
    let window = json!({"available_from": now, "available_to": now + 3 * HOUR});
    for user in [ANN, BOB, CAT] {
        expect(w, "POST", "/v1/matching/queue", user, Some(&window), 201).await;
    }
}

/// Runs every shard's cycle; the proposals claimed and how many vector
/// candidates joined the interest ones.
async fn cycle(w: &World) -> (Vec<String>, u64) {
    let a = w.call("POST", "/v1/dev/matching/cycle", None, None).await;
    assert_eq!(a.status, 200, "cycle: {}\n{}", a.body, w.backend.log_tail());
    let shards = a.body["shards"].as_array().unwrap().clone();
    let claimed = shards
        .iter()
        .flat_map(|s| s["proposals"].as_array().cloned().unwrap_or_default())
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let candidates = shards
        .iter()
        .map(|s| s["candidates"].as_u64().unwrap_or(0))
        .sum();
    (claimed, candidates)
}

/// The one proposal is Ann and Bob's, and says their profiles read alike.
async fn assert_ann_and_bob(w: &World, claimed: &[String]) {
    assert_eq!(claimed.len(), 1, "one proposal: {claimed:?}");
    let p = expect(
        w,
        "GET",
        &format!("/v1/matching/proposals/{}", claimed[0]),
        ANN,
        None,
        200,
    )
    .await;
    assert_eq!(p.body["peer_user_id"], BOB, "{}", p.body);
    let kinds: Vec<&str> = p.body["factors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(
        !kinds.contains(&"interests"),
        "no shared interest: {kinds:?}"
    );
    assert!(
        p.body["factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["text"].as_str().unwrap_or("").contains("read alike")),
        "the vector spoke: {}",
        p.body
    );
    expect(
        w,
        "GET",
        &format!("/v1/matching/proposals/{}", claimed[0]),
        CAT,
        None,
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m30_m32_a_cycle_through_the_d1_index_proposes_the_planted_pair() {
    let w = World::start_with(&[ANN, BOB, CAT], flag_on()).await;
    profiles(&w).await;
    enter_all(&w).await;
    let rows = w.d1("SELECT count(*) AS n FROM vector_index_meta");
    assert_eq!(rows[0]["n"], 0, "no row: the exact index over D1");
    let (claimed, candidates) = cycle(&w).await;
    assert!(candidates > 0, "the index found candidates");
    assert_ann_and_bob(&w, &claimed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m33_m34_with_a_vectorize_row_embeds_upsert_and_cycles_query_vectorize() {
    let fake = FakeVectorize::start("people", 384).await;
    let w = World::start_with(
        &[ANN, BOB, CAT],
        flag_on().merge(fake.backend_options(LOCAL)),
    )
    .await;
    profiles(&w).await;
    // Upsert on embed: the profile embed jobs (M28) put every profile there.
    let want: Vec<String> = [ANN, BOB, CAT]
        .iter()
        .map(|u| format!("profile:{u}"))
        .collect();
    eventually("the profiles in Vectorize", WAIT, || async {
        let ids = fake.ids();
        want.iter().all(|id| ids.contains(id)).then_some(())
    })
    .await;
    let upsert = fake
        .requests()
        .into_iter()
        .find(|r| r.op == "upsert" && r.status == 200)
        .expect("an upsert");
    assert_eq!(upsert.content_type.as_deref(), Some("application/x-ndjson"));
    let line: Value = serde_json::from_str(upsert.body.lines().next().unwrap()).unwrap();
    assert_eq!(line["values"].as_array().unwrap().len(), 384);
    assert_eq!(line["metadata"]["source_type"], "profile");
    assert_eq!(line["metadata"]["org_id"], connvo_e2e::meet::ORG);

    enter_all(&w).await;
    let (claimed, _) = cycle(&w).await;
    // Query on cycle: the seeds asked Vectorize, for profiles, not themselves.
    let queries: Vec<Value> = fake
        .requests()
        .into_iter()
        .filter(|r| r.op == "query")
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.body);
            serde_json::from_str(&r.body).unwrap()
        })
        .collect();
    assert!(!queries.is_empty(), "the cycle queried Vectorize");
    for q in &queries {
        assert_eq!(q["filter"]["source_type"], json!({"$in": ["profile"]}));
        assert_eq!(q["returnMetadata"], "indexed");
        assert!(q["topK"].as_u64().unwrap() <= 100);
    }
    assert_ann_and_bob(&w, &claimed).await;

    // A withdrawn data-processing consent: the next embed of Cat's profile
    // deletes the vector there too (M27, through the index's delete).
    let withdraw = json!({"consent_type": "data_processing", "version": "1", "consented": false});
    let a = w
        .call("POST", "/v1/me/consents", Some(CAT), Some(&withdraw))
        .await;
    assert!(a.status < 300, "{}", a.body);
    let cat = json!({"display_name": CAT, "bio": "sourdough and rye", "languages": ["en"]});
    expect(&w, "PUT", "/v1/me/profile", CAT, Some(&cat), 200).await;
    eventually("Cat's vector deleted from Vectorize", WAIT, || async {
        (!fake.ids().contains(&format!("profile:{CAT}"))).then_some(())
    })
    .await;
    let delete = fake
        .requests()
        .into_iter()
        .find(|r| r.op == "delete_by_ids")
        .expect("a delete");
    assert_eq!(
        serde_json::from_str::<Value>(&delete.body).unwrap(),
        json!({"ids": [format!("profile:{CAT}")]})
    );
    assert!(fake.ids().contains(&format!("profile:{ANN}")));
}

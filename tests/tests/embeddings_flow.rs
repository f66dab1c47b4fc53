//! Issue 12's embeddings end to end, against `wrangler dev`: saving a
//! profile queues its embedding (M28), a remote embedder speaking the
//! OpenAI wire format (the fake, itself checked with the `openai` SDK) and
//! its fallback to the local embedder on an outage, marked for
//! re-embedding (M3); a user who withdrew data-processing consent is
//! neither embedded nor queued for matching (M27); and a matched proposal
//! whose meeting was never created gets one (M29).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connvo_e2e::fakes::embeddings::{FakeEmbeddings, API_KEY, DIM, MODEL};
use connvo_e2e::meet::{eventually, World};
use connvo_e2e::BackendOptions;
use serde_json::{json, Value};

const ANN: &str = "user_01EMBEDANN";
const BOB: &str = "user_01EMBEDBOB";
const EVE: &str = "user_01EMBEDEVE";
const WAIT: Duration = Duration::from_secs(30);
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
    BackendOptions::default().seed_sql(
        "INSERT INTO feature_flags (key, env, enabled, created_at, updated_at) \
         VALUES ('matching', 'local', 1, 1, 1)",
    )
}

fn profile(bio: &str) -> Value {
    json!({"display_name": "Someone", "bio": bio, "goals": "meet people building realtime tools",
           "skills": ["websockets"], "languages": ["en"], "interests": ["realtime"]})
}

async fn put_profile(w: &World, user: &str, bio: &str) {
    let a = w
        .call("PUT", "/v1/me/profile", Some(user), Some(&profile(bio)))
        .await;
    assert_eq!(a.status, 200, "{}\n{}", a.body, w.backend.log_tail());
}

/// The user's profile embeddings, by model.
fn rows(w: &World, user: &str) -> Vec<Value> {
    w.d1(&format!(
        "SELECT model, dim, version, content_hash, last_computed_at, \
                json_extract(metadata, '$.reembed') AS reembed, \
                json_extract(metadata, '$.provenance.fallback_from') AS fallback_from, \
                json_extract(metadata, '$.provenance.model.provider') AS provider \
         FROM embeddings WHERE source_type = 'profile' AND source_id = '{user}' ORDER BY model"
    ))
}

#[test]
fn m3_the_openai_sdk_parses_the_fake_embeddings_and_its_errors() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeEmbeddings::start());
    let sdk = |command: &str, input: &Value| {
        connvo_e2e::fakes::sdk::run("openai_embeddings_sdk.mjs", command, input)
    };
    let out = sdk(
        "embed",
        &json!({"base": fake.base_url(), "api_key": API_KEY, "model": MODEL,
                "input": ["realtime websockets", "sourdough bread"]}),
    );
    assert_eq!(out["object"], "list");
    assert_eq!(out["model"], MODEL);
    assert_eq!(out["indexes"], json!([0, 1]));
    let vectors = out["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    assert!(vectors.iter().all(|v| v.as_array().unwrap().len() == DIM));
    assert!(out["usage"]["total_tokens"].as_u64().unwrap() > 0);
    fake.fail_next(1, 503);
    let failed = sdk(
        "error",
        &json!({"base": fake.base_url(), "api_key": API_KEY, "model": MODEL}),
    );
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["status"], 503);
    assert_eq!(failed["error_class"], "InternalServerError");
    let wrong_key = sdk(
        "error",
        &json!({"base": fake.base_url(), "api_key": "sk-wrong", "model": MODEL}),
    );
    assert_eq!(wrong_key["error_class"], "AuthenticationError");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m28_m3_a_saved_profile_is_embedded_remotely_or_by_the_local_fallback() {
    let fake = FakeEmbeddings::start().await;
    let w = World::start_with(&[ANN], fake.backend_options()).await;

    // The provider is down: the local embedder stands in, marked.
    fake.fail_next(1, 503);
    put_profile(&w, ANN, "I build realtime collaboration servers in rust").await;
    let fallback = eventually("a fallback embedding", WAIT, || async {
        rows(&w, ANN).into_iter().find(|r| r["model"] == LOCAL)
    })
    .await;
    assert_eq!(fallback["dim"], 384);
    assert_eq!(fallback["reembed"], 1);
    assert_eq!(
        fallback["fallback_from"],
        format!("openai-compatible:{MODEL}")
    );
    assert!(fake.requests().iter().any(|r| r.status == 503));

    // The provider is back: the next save is embedded by it, and the
    // fallback row goes.
    put_profile(
        &w,
        ANN,
        "I build realtime collaboration servers in rust and go",
    )
    .await;
    let direct = eventually("the provider's embedding", WAIT, || async {
        let rows = rows(&w, ANN);
        (rows.len() == 1 && rows[0]["model"] == MODEL).then(|| rows[0].clone())
    })
    .await;
    assert_eq!(direct["dim"], i64::try_from(DIM).unwrap());
    assert_eq!(direct["reembed"], 0);
    assert_eq!(direct["provider"], "openai-compatible");
    assert!(direct["last_computed_at"].as_i64().unwrap() > 0);
    let sent = fake
        .requests()
        .into_iter()
        .rfind(|r| r.status == 200)
        .expect("a served request");
    assert_eq!(
        sent.authorization.as_deref(),
        Some(&*format!("Bearer {API_KEY}"))
    );
    assert_eq!(sent.body["model"], MODEL);
    assert_eq!(sent.body["encoding_format"], "float");
    assert!(sent.body["input"][0]
        .as_str()
        .unwrap()
        .contains("rust and go"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m27_a_withdrawn_user_loses_their_vectors_and_may_not_enter_the_queue() {
    let options = flag_on()
        // Eve withdrew data-processing consent after granting it, and has
        // an old vector.
        .seed_sql(format!(
            "INSERT INTO user_consents (id, user_id, consent_type, version, consented, created_at) \
             VALUES ('cons_1', '{EVE}', 'data_processing', '1', 1, 1), \
                    ('cons_2', '{EVE}', 'data_processing', '1', 0, 2)"
        ))
        .seed_sql(format!(
            "INSERT INTO embeddings (id, source_type, source_id, model, dim, version, vector, \
               content_hash, metadata, last_computed_at, created_at, updated_at) \
             VALUES ('emb_seed', 'profile', '{EVE}', '{LOCAL}', 1, '1', x'0000803f', 'x', '{{}}', 1, 1, 1)"
        ));
    let w = World::start_with(&[ANN, EVE], options).await;
    put_profile(&w, ANN, "realtime systems and developer tools").await;
    put_profile(&w, EVE, "realtime systems and developer tools").await;
    eventually("ann's vector", WAIT, || async {
        (!rows(&w, ANN).is_empty()).then_some(())
    })
    .await;
    eventually("eve's vector deleted", WAIT, || async {
        rows(&w, EVE).is_empty().then_some(())
    })
    .await;
    let now = now_ms();
    let body = json!({"available_from": now, "available_to": now + 3_600_000,
                      "constraints": {"interests": ["realtime"]}});
    let refused = w
        .call("POST", "/v1/matching/queue", Some(EVE), Some(&body))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.body["error"]["details"]["reason"],
        "DATA_PROCESSING_WITHDRAWN"
    );
    assert!(w
        .d1(&format!(
            "SELECT id FROM matching_queue WHERE user_id = '{EVE}'"
        ))
        .is_empty());
    let entered = w
        .call("POST", "/v1/matching/queue", Some(ANN), Some(&body))
        .await;
    assert_eq!(entered.status, 201, "{}", entered.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m29_a_matched_proposal_without_a_meeting_gets_one_on_read_and_from_the_sweep() {
    let starts = now_ms() + 3_600_000;
    let proposal = |id: &str| {
        format!(
            "INSERT INTO matching_proposals (id, a_entry_id, a_user_id, b_entry_id, b_user_id, \
               score, detail, starts_at, respond_by, status, created_at, updated_at) \
             VALUES ('{id}', 'mq_a_{id}', '{ANN}', 'mq_b_{id}', '{BOB}', 0.6, '{{}}', {starts}, \
                     {starts}, 'matched', 1, 1)"
        )
    };
    let options = flag_on()
        .seed_sql(proposal("match_read"))
        .seed_sql(proposal("match_swept"));
    let w = World::start_with(&[ANN, BOB], options).await;

    // Read by bob: scheduled with him as host, and ann a participant.
    let read = w
        .call("GET", "/v1/matching/proposals/match_read", Some(BOB), None)
        .await;
    assert_eq!(read.status, 200, "{}\n{}", read.body, w.backend.log_tail());
    let meeting = read.body["meeting_id"]
        .as_str()
        .expect("a meeting")
        .to_owned();
    let members = w.d1(&format!(
        "SELECT user_id, role FROM meeting_participants WHERE meeting_id = '{meeting}' ORDER BY role"
    ));
    assert_eq!(members.len(), 2, "{members:?}");
    // A second read does not schedule again.
    let again = w
        .call("GET", "/v1/matching/proposals/match_read", Some(ANN), None)
        .await;
    assert_eq!(again.body["meeting_id"], meeting.as_str());

    // Nobody reads the other: the cycle's sweep schedules it.
    let cycle = w.call("POST", "/v1/dev/matching/cycle", None, None).await;
    assert_eq!(cycle.status, 200, "{}", cycle.body);
    let swept = w.d1("SELECT meeting_id FROM matching_proposals WHERE id = 'match_swept'");
    assert!(swept[0]["meeting_id"].is_string(), "{swept:?}");
    let meetings = w.d1(&format!(
        "SELECT count(*) AS n FROM meetings WHERE organizer_id IN ('{ANN}', '{BOB}')"
    ));
    assert_eq!(meetings[0]["n"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m31_the_sweep_backfills_legacy_profiles_and_re_embeds_drifted_ones() {
    // Two legacy profiles (imported, never saved through the API): ann's
    // has no vector, bob's has one of an older version of the model.
    let options = BackendOptions::default()
        .seed_sql(format!(
            "INSERT INTO profiles (user_id, display_name, bio, created_at, updated_at) VALUES \
             ('{ANN}', 'Ann', 'realtime websocket servers in rust', 1, 1), \
             ('{BOB}', 'Bob', 'pricing developer tools', 1, 1)"
        ))
        .seed_sql(format!(
            "INSERT INTO embeddings (id, source_type, source_id, model, dim, version, vector, \
               content_hash, metadata, last_computed_at, created_at, updated_at) \
             VALUES ('emb_old', 'profile', '{BOB}', '{LOCAL}', 1, '0', x'0000803f', 'x', '{{}}', 1, 1, 1)"
        ));
    let w = World::start_with(&[ANN, BOB], options).await;
    let sweep = w.call("POST", "/v1/dev/embeddings/sweep", None, None).await;
    assert_eq!(
        sweep.status,
        200,
        "{}\n{}",
        sweep.body,
        w.backend.log_tail()
    );
    assert_eq!(sweep.body["page"]["scanned"], 2, "{}", sweep.body);
    assert_eq!(sweep.body["page"]["embedded"], 2, "{}", sweep.body);
    for user in [ANN, BOB] {
        let r = rows(&w, user);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            (r[0]["dim"].clone(), r[0]["version"].clone()),
            (json!(384), json!("1"))
        );
    }
    // The pass ended (a short page); the next one finds both current.
    let again = w.call("POST", "/v1/dev/embeddings/sweep", None, None).await;
    assert_eq!(again.body["page"]["current"], 2, "{}", again.body);
    // Admins read the counters; members may not.
    let admin = w.token_with_role(ANN, "admin");
    let read = w
        .call_with("GET", "/v1/admin/embeddings", Some(&admin), None, &[])
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["configured_model"]["name"], LOCAL);
    let progress = &read.body["progress"][0];
    assert_eq!(progress["model"], LOCAL);
    assert_eq!(progress["passes"], 2);
    assert_eq!(progress["scanned"], 4);
    assert_eq!(progress["embedded"], 2);
    let member = w.call("GET", "/v1/admin/embeddings", Some(BOB), None).await;
    assert_eq!(member.status, 403, "{}", member.body);
}

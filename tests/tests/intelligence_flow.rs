//! Issue 10 end to end, against `wrangler dev` (the heuristic provider, and
//! the fake OpenAI-compatible server in `intelligence_provider`-style tests
//! below): profiles, pre-call ideas built from them, their promotion on
//! start, private post-call insights, and the feature flags that stop each.
//!
//! Rules: I30 (flag changes), I38 (who may change them), I31–I32 (profiles), I33 (pre-call job), I34
//! (insights after aggregation), I35 (matching signal), I36 (privacy), I37
//! (promotion on start), I18 (fallback and its provenance).

use std::time::Duration;

use connvo_e2e::fakes::openai::{FakeOpenAi, Script, AI_TAG};
use connvo_e2e::fakes::workos::{access_token_claims, TestKey};
use connvo_e2e::meet::{eventually, meeting_body, Answer, World};
use connvo_e2e::BackendOptions;
use serde_json::{json, Value};

const HOST: &str = "user_01INTELHOST";
const GUEST: &str = "user_01INTELGUEST";
const THIRD: &str = "user_01INTELTHIRD";
const STRANGER: &str = "user_01STRANGER";
const WAIT: Duration = Duration::from_secs(45);

fn host_profile() -> Value {
    json!({
        "display_name": "Ada Host",
        "headline": "Staff engineer, realtime infrastructure",
        "bio": "Builds low-latency collaboration backends in Rust.",
        "goals": "Learn pricing strategy for developer tools",
        "skills": ["rust", "websockets"],
        "languages": ["en"],
        "interests": ["realtime", "developer-tools"],
    })
}

fn guest_profile() -> Value {
    json!({
        "display_name": "Ben Guest",
        "headline": "Product lead",
        "goals": "Hire engineers who know websockets",
        "skills": ["pricing", "product-strategy"],
        "languages": ["en", "de"],
        "interests": ["realtime", "pricing"],
    })
}

/// `method path` as `user` with no body, which must answer `status`.
async fn expect(w: &World, method: &str, path: &str, user: &str, status: u16) -> Answer {
    let a = w.call(method, path, Some(user), None).await;
    assert_eq!(a.status, status, "{method} {path} as {user}: {}", a.body);
    a
}

async fn put_profile(w: &World, user: &str, body: &Value) -> Answer {
    w.call("PUT", "/v1/me/profile", Some(user), Some(body))
        .await
}

/// The meeting's prompts of `kind`, once there are some.
async fn prompts(w: &World, user: &str, id: &str, kind: &str) -> Vec<Value> {
    eventually(&format!("{kind} prompts of {id}"), WAIT, || async {
        let a = expect(
            w,
            "GET",
            &format!("/v1/meetings/{id}/prompts?type={kind}"),
            user,
            200,
        )
        .await;
        let items = a.body["items"].as_array().cloned().unwrap_or_default();
        (!items.is_empty()).then_some(items)
    })
    .await
}

/// Starts and ends the meeting as its host.
async fn end(w: &World, id: &str) {
    expect(w, "POST", &format!("/v1/meetings/{id}/start"), HOST, 200).await;
    finish(w, id).await;
}

/// Ends the (started) meeting: 200 flushed, or 202 flush retrying.
async fn finish(w: &World, id: &str) {
    let a = w
        .call("POST", &format!("/v1/meetings/{id}/end"), Some(HOST), None)
        .await;
    assert!(
        a.status == 200 || a.status == 202,
        "{} {}",
        a.status,
        a.body
    );
}

async fn insights_job(w: &World, id: &str) -> Value {
    let sql = format!(
        "SELECT result FROM idempotency_keys WHERE scope = 'job' \
         AND key = 'generate_insights:{id}' AND status = 'completed'"
    );
    let row = eventually(&format!("the insights job of {id}"), WAIT, || async {
        let row = w.d1(&sql).into_iter().next();
        if row.is_none() && w.backend.log().contains("post-call job failed") {
            let log = w.backend.log();
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("generate_insights") && l.contains("failed"))
                .collect();
            panic!("the insights job failed:\n{}", lines.join("\n"));
        }
        row
    })
    .await;
    serde_json::from_str(row["result"].as_str().unwrap()).unwrap()
}

fn mentions_realtime(p: &Value) -> bool {
    p["content"]
        .as_str()
        .unwrap_or_default()
        .contains("Real-time systems")
        || p["tags"].as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t.as_str().unwrap_or_default().contains("realtime"))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i31_i33_i36_precall_ideas_from_two_profiles_then_private_insights() {
    let stranger = format!(
        "INSERT INTO users (id, org_id, org_role, display_name, is_active, created_at, updated_at) \
         VALUES ('{STRANGER}', 'org_01OTHER', 'member', 'Stranger', 1, 1, 1)"
    );
    let w = World::start_with(
        &[HOST, GUEST, THIRD],
        BackendOptions::default().seed_sql(stranger),
    )
    .await;
    let stranger_token =
        TestKey::one().sign(&access_token_claims(STRANGER, "org_01OTHER", "member"));

    // The catalogue is seeded; profiles are validated against it (I31).
    let a = expect(&w, "GET", "/v1/interests", HOST, 200).await;
    let keys: Vec<&str> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"realtime") && keys.contains(&"pricing"));
    let a = w.call("GET", "/v1/me/profile", Some(HOST), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["interests"], json!([]));
    let mut bad = host_profile();
    bad["interests"] = json!(["realtime", "astrology"]);
    let a = put_profile(&w, HOST, &bad).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "interests[1]");
    assert_eq!(a.body["error"]["details"]["reason"], "unknown_interest");
    assert!(w
        .d1(&format!("SELECT 1 FROM profiles WHERE user_id = '{HOST}'"))
        .is_empty());
    let a = put_profile(&w, HOST, &host_profile()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["interests"][0]["key"], "developer-tools");
    let a = put_profile(&w, GUEST, &guest_profile()).await;
    assert_eq!(a.status, 200, "{}", a.body);

    // Who sees a profile (I32): the same org yes, another org no (404).
    let a = expect(&w, "GET", &format!("/v1/users/{GUEST}/profile"), HOST, 200).await;
    assert_eq!(a.body["skills"], json!(["pricing", "product-strategy"]));
    let a = w
        .call_with(
            "GET",
            &format!("/v1/users/{GUEST}/profile"),
            Some(&stranger_token),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 404, "{}", a.body);

    // Scheduling queues pre-call ideas built from both profiles (I33).
    let m = w
        .create_meeting(
            HOST,
            meeting_body("Realtime pricing", &[(GUEST, "participant")]),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let precall = prompts(&w, GUEST, &id, "precall").await;
    assert!(
        precall.iter().any(mentions_realtime),
        "the shared interest shows: {precall:#?}"
    );
    assert!(precall
        .iter()
        .all(|p| p["source"] == "heuristic" && p["type"] == "precall"));
    let hash = w.d1(&format!(
        "SELECT DISTINCT request_hash FROM prompts WHERE meeting_id = '{id}' AND type = 'precall'"
    ));
    assert_eq!(hash.len(), 1, "one generation: {hash:?}");
    // Not a member: 403. Bad query: 400.
    expect(&w, "GET", &format!("/v1/meetings/{id}/prompts"), THIRD, 403).await;
    expect(
        &w,
        "GET",
        &format!("/v1/meetings/{id}/prompts?type=later"),
        HOST,
        400,
    )
    .await;

    // A member change generates again, on the new members (I33).
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/participants"),
            Some(HOST),
            Some(&json!({"user_id": THIRD, "role": "participant"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    eventually("a second pre-call generation", WAIT, || async {
        let rows = w.d1(&format!(
            "SELECT DISTINCT request_hash FROM prompts WHERE meeting_id = '{id}' AND type = 'precall'"
        ));
        (rows.len() == 1 && rows[0] != hash[0]).then_some(())
    })
    .await;

    // Starting promotes the best pre-call prompts, keeping provenance (I37).
    expect(&w, "POST", &format!("/v1/meetings/{id}/start"), HOST, 200).await;
    let incall = prompts(&w, GUEST, &id, "incall").await;
    assert!(!incall.is_empty() && incall.len() <= 5);
    for p in &incall {
        assert_eq!(p["source"], "promoted");
        assert!(p["source_prompt_id"].is_string());
    }

    // After the end: one private insight per participant (I34, I36).
    finish(&w, &id).await;
    let result = insights_job(&w, &id).await;
    assert_eq!(result["status"], "generated", "{result}");
    assert_eq!(result["participants"], 3);
    let mine = expect(
        &w,
        "GET",
        &format!("/v1/meetings/{id}/insights/me"),
        HOST,
        200,
    )
    .await;
    assert_eq!(mine.body["user_id"], HOST);
    assert!(mine.body["summary"].as_str().unwrap().contains("Ben"));
    assert_eq!(mine.body["provenance"]["source"], "heuristic");
    assert!(mine.body["provenance"]["request_hash"].is_string());
    let theirs = expect(
        &w,
        "GET",
        &format!("/v1/meetings/{id}/insights/me"),
        GUEST,
        200,
    )
    .await;
    assert_eq!(theirs.body["user_id"], GUEST);
    // Someone else's insight: 404 by id; a non-member of the meeting: 403.
    let guest_insight = theirs.body["id"].as_str().unwrap();
    expect(
        &w,
        "DELETE",
        &format!("/v1/insights/{guest_insight}"),
        HOST,
        404,
    )
    .await;
    let a = w
        .call_with(
            "GET",
            &format!("/v1/meetings/{id}/insights/me"),
            Some(&stranger_token),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let list = expect(&w, "GET", "/v1/insights", HOST, 200).await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["meeting_id"], id.as_str());
    // The matching signal (I35): each participant about each other one.
    let signals = w.d1(&format!(
        "SELECT user_id, peer_user_id, outcome FROM matching_analytics WHERE meeting_id = '{id}'"
    ));
    assert_eq!(signals.len(), 6, "{signals:?}");
    // Deleting my own: 204, then it is gone; the guest's stays.
    expect(
        &w,
        "DELETE",
        &format!("/v1/meetings/{id}/insights/me"),
        HOST,
        204,
    )
    .await;
    expect(
        &w,
        "GET",
        &format!("/v1/meetings/{id}/insights/me"),
        HOST,
        404,
    )
    .await;
    expect(
        &w,
        "GET",
        &format!("/v1/meetings/{id}/insights/me"),
        GUEST,
        200,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i30_flags_turned_off_stop_generation_within_seconds() {
    // HOST is this environment's platform operator (I38).
    let w = World::start_with(
        &[HOST, GUEST],
        BackendOptions::default().var("FLAG_OPERATORS", HOST),
    )
    .await;
    let admin = w.token_with_role(HOST, "admin");

    // I38: another org admin may change only their own organisation's
    // override, never the flag for everyone.
    let guest_admin = w.token_with_role(GUEST, "admin");
    let global_off = json!({"key": "intelligence.precall", "enabled": false, "reason": "mine"});
    let a = w
        .call_with(
            "PUT",
            "/v1/admin/flags",
            Some(&guest_admin),
            Some(&global_off),
            &[],
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["reason"], "FLAG_SCOPE");
    assert!(w
        .d1("SELECT 1 FROM feature_flags WHERE key = 'intelligence.precall'")
        .is_empty());
    let opt_in = json!({"key": "matching", "enabled": true, "rollout_percentage": 0,
                        "orgs": {connvo_e2e::meet::ORG: true}, "reason": "our pilot"});
    let a = w
        .call_with(
            "PUT",
            "/v1/admin/flags",
            Some(&guest_admin),
            Some(&opt_in),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["orgs"][connvo_e2e::meet::ORG], true);
    put_profile(&w, HOST, &host_profile()).await;
    put_profile(&w, GUEST, &guest_profile()).await;

    // Only operators; a reason is required.
    let off =
        json!({"key": "intelligence.precall", "enabled": false, "reason": "e2e: outage drill"});
    let a = w
        .call("PUT", "/v1/admin/flags", Some(GUEST), Some(&off))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w
        .call_with(
            "PUT",
            "/v1/admin/flags",
            Some(&admin),
            Some(&json!({"key": "intelligence.precall", "enabled": false})),
            &[],
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "reason");
    let a = w
        .call_with("PUT", "/v1/admin/flags", Some(&admin), Some(&off), &[])
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["enabled"], false);
    assert_eq!(a.body["updated_by"], HOST);
    let insights_off = json!({"key": "intelligence.insights", "enabled": false, "reason": "e2e"});
    let a = w
        .call_with(
            "PUT",
            "/v1/admin/flags",
            Some(&admin),
            Some(&insights_off),
            &[],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = w
        .call_with("GET", "/v1/admin/flags", Some(&admin), None, &[])
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let precall = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "intelligence.precall")
        .unwrap()
        .clone();
    assert_eq!(precall["enabled"], false);
    assert_eq!(precall["reason"], "e2e: outage drill");
    // Audited with the operator and the reason.
    let audit = w
        .wait_rows(
            "SELECT actor_user_id, metadata FROM audit_logs WHERE action = 'admin.feature_flag.set'",
            3,
            Duration::from_secs(10),
        )
        .await;
    // The operator's two changes, and the other admin's own-org override.
    let by = |user: &str| audit.iter().filter(|r| r["actor_user_id"] == user).count();
    assert_eq!((by(HOST), by(GUEST)), (2, 1), "{audit:?}");
    assert!(audit.iter().any(|r| r["metadata"]
        .as_str()
        .unwrap()
        .contains("e2e: outage drill")));

    // Off: scheduling generates nothing (the job checks before any call).
    let m = w
        .create_meeting(HOST, meeting_body("Flagged", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    w.wait_log(
        &format!(
            "\"meeting_id\":\"{id}\",\"msg\":\"pre-call ideas skipped\",\"reason\":\"flag_off\""
        ),
        WAIT,
    )
    .await;
    assert!(w
        .d1(&format!("SELECT 1 FROM prompts WHERE meeting_id = '{id}'"))
        .is_empty());

    // Back on: the next member change generates, within the cache TTL.
    let on = json!({"key": "intelligence.precall", "enabled": true, "reason": "e2e: recovered"});
    let a = w
        .call_with("PUT", "/v1/admin/flags", Some(&admin), Some(&on), &[])
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    expect(
        &w,
        "DELETE",
        &format!("/v1/meetings/{id}/participants/{GUEST}"),
        HOST,
        204,
    )
    .await;
    prompts(&w, HOST, &id, "precall").await;

    // Insights off: the job records it and writes nothing.
    end(&w, &id).await;
    let result = insights_job(&w, &id).await;
    assert_eq!(result["status"], "disabled", "{result}");
    assert!(w
        .d1(&format!("SELECT 1 FROM insights WHERE meeting_id = '{id}'"))
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i18_a_failing_provider_falls_back_without_losing_anything() {
    let fake = FakeOpenAi::start().await;
    let w = World::start_with(&[HOST, GUEST], fake.backend_options()).await;
    put_profile(&w, HOST, &host_profile()).await;
    put_profile(&w, GUEST, &guest_profile()).await;

    // A healthy provider answers: its ideas are stored as `ai`.
    let a = w
        .create_meeting(HOST, meeting_body("Healthy", &[(GUEST, "participant")]))
        .await;
    let healthy = a["id"].as_str().unwrap().to_owned();
    let ideas = prompts(&w, HOST, &healthy, "precall").await;
    assert!(ideas.iter().all(|p| p["source"] == "ai"), "{ideas:#?}");
    assert!(ideas
        .iter()
        .all(|p| p["tags"].as_array().unwrap().iter().any(|t| t == AI_TAG)));
    assert!(ideas.iter().any(mentions_realtime));
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["response_format"]["type"], "json_object");

    // 500s: the heuristic answers at once, recorded as a fallback.
    fake.script([Script::Status(500)]);
    let a = w
        .create_meeting(HOST, meeting_body("Outage", &[(GUEST, "participant")]))
        .await;
    let outage = a["id"].as_str().unwrap().to_owned();
    let ideas = prompts(&w, HOST, &outage, "precall").await;
    assert!(
        ideas.iter().all(|p| p["source"] == "fallback"),
        "{ideas:#?}"
    );
    assert!(ideas.iter().any(mentions_realtime));

    // Insights: garbage for one meeting, a hang past the timeout for the
    // other; every participant still gets theirs, with the reason.
    fake.script([Script::Garbage]);
    end(&w, &outage).await;
    let result = insights_job(&w, &outage).await;
    assert_eq!(result["status"], "generated", "{result}");
    assert_eq!(result["source"], "fallback");
    assert_eq!(result["fallback"], "malformed");
    for user in [HOST, GUEST] {
        let a = expect(
            &w,
            "GET",
            &format!("/v1/meetings/{outage}/insights/me"),
            user,
            200,
        )
        .await;
        assert_eq!(a.body["provenance"]["source"], "fallback");
        assert_eq!(a.body["provenance"]["failed_provider"], "openai_compatible");
    }
    fake.script([Script::Hang(Duration::from_secs(8))]);
    end(&w, &healthy).await;
    let result = insights_job(&w, &healthy).await;
    assert_eq!(result["source"], "fallback", "{result}");
    assert_eq!(result["fallback"], "timeout");
    assert_eq!(
        w.d1(&format!(
            "SELECT 1 FROM insights WHERE meeting_id = '{healthy}'"
        ))
        .len(),
        2
    );
}

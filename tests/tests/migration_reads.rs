//! The legacy cutover's read switches against `wrangler dev` (rules L1–L3,
//! docs/migration.md): with the `migration.read.profiles` row an import
//! writes (disabled), profile reads are refused with `READS_ON_LEGACY`,
//! writes and other modules are not switched, the caller's switches say
//! where each read goes, and turning the flag on through the admin route
//! moves the reads to D1.

use std::time::Duration;

use connvo_e2e::meet::{eventually, World};
use connvo_e2e::BackendOptions;
use serde_json::json;

const ANN: &str = "user_01READSANN";
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l2_a_module_still_on_legacy_is_refused_until_its_flag_turns_on() {
    // What `connvo-migrate import` leaves behind (L1).
    let w = World::start_with(
        &[ANN],
        BackendOptions::default().seed_sql(
            "INSERT INTO feature_flags (key, env, enabled, rollout_percentage, created_at, updated_at) \
             VALUES ('migration.read.profiles', 'local', 0, 0, 1, 1)",
        ),
    )
    .await;

    let a = w.call("GET", "/v1/me/profile", Some(ANN), None).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "READS_ON_LEGACY");
    assert_eq!(a.body["error"]["details"]["module"], "profiles");
    assert_eq!(
        a.body["error"]["details"]["flag"],
        "migration.read.profiles"
    );
    let a = w.call("GET", "/v1/interests", Some(ANN), None).await;
    assert_eq!(a.status, 409, "{}", a.body);

    // L3: writes are not switched, nor are modules without a row.
    let body = json!({"display_name": "Ann", "goals": "meet builders", "skills": ["rust"],
                      "languages": ["en"], "interests": ["developer-tools"]});
    let a = w
        .call("PUT", "/v1/me/profile", Some(ANN), Some(&body))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = w.call("GET", "/v1/connections", Some(ANN), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = w.call("GET", "/v1/meetings", Some(ANN), None).await;
    assert_eq!(a.status, 200, "{}", a.body);

    let a = w
        .call("GET", "/v1/migration/read-switches", Some(ANN), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let source = |module: &str| {
        a.body["switches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["module"] == module)
            .map(|s| s["source"].clone())
            .unwrap()
    };
    assert_eq!(source("profiles"), "legacy");
    assert_eq!(source("connections"), "d1");
    assert_eq!(source("meetings"), "d1");

    // The operator rolls the module out; reads move to D1.
    let admin = w.token_with_role(ANN, "admin");
    let on = json!({"key": "migration.read.profiles", "enabled": true,
                    "rollout_percentage": 100, "reason": "cutover: profiles"});
    let a = w
        .call_with("PUT", "/v1/admin/flags", Some(&admin), Some(&on), &[])
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let profile = eventually("profiles read from D1", WAIT, || async {
        let a = w.call("GET", "/v1/me/profile", Some(ANN), None).await;
        (a.status == 200).then_some(a.body)
    })
    .await;
    assert_eq!(profile["display_name"], "Ann");
}

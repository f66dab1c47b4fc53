//! Issue 5, meeting-scoped access control: a non-participant gets 403 on
//! every meeting route, the same answer as for a meeting that does not
//! exist (existence is not leaked), and never reaches the room; an org
//! admin reads their organisation's meetings and nothing more.

use connvo_e2e::meet::{meeting_body, World};
use serde_json::{json, Value};

const HOST: &str = "user_01HOST";
const GUEST: &str = "user_01GUEST";
const STRANGER: &str = "user_01STRANGER";

/// Every meeting route, with a plausible body, for meeting `id`.
fn routes(id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", format!("/v1/meetings/{id}"), None),
        (
            "PATCH",
            format!("/v1/meetings/{id}"),
            Some(json!({"title": "x"})),
        ),
        ("POST", format!("/v1/meetings/{id}/cancel"), None),
        ("POST", format!("/v1/meetings/{id}/start"), None),
        ("POST", format!("/v1/meetings/{id}/end"), None),
        ("GET", format!("/v1/meetings/{id}/participants"), None),
        (
            "POST",
            format!("/v1/meetings/{id}/participants"),
            Some(json!({"user_id": STRANGER})),
        ),
        (
            "DELETE",
            format!("/v1/meetings/{id}/participants/{GUEST}"),
            None,
        ),
        (
            "DELETE",
            format!("/v1/meetings/{id}/participants/{STRANGER}"),
            None,
        ),
        (
            "PATCH",
            format!("/v1/meetings/{id}/participants/{GUEST}"),
            Some(json!({"role": "observer"})),
        ),
        (
            "POST",
            format!("/v1/meetings/{id}/transfer-host"),
            Some(json!({"user_id": STRANGER})),
        ),
        ("POST", format!("/v1/meetings/{id}/video-token"), None),
        ("POST", format!("/v1/meetings/{id}/ws-ticket"), None),
        ("GET", format!("/v1/meetings/{id}/transcript"), None),
        ("GET", format!("/v1/meetings/{id}/segments"), None),
    ]
}

#[tokio::test]
async fn strangers_get_403_everywhere_and_learn_nothing() {
    let w = World::start(&[HOST, GUEST, STRANGER]).await;
    let m = w
        .create_meeting(HOST, meeting_body("Private", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    // The provisioning job writes the meeting row too; let it finish first.
    w.wait_provisioned(HOST, &id).await;
    let missing = "mtg_00000000000000000000000000";
    let snapshot = || {
        (
            w.d1("SELECT * FROM meetings"),
            w.d1("SELECT * FROM meeting_participants"),
        )
    };
    let before = snapshot();
    for (method, path, body) in routes(&id) {
        let real = w.call(method, &path, Some(STRANGER), body.as_ref()).await;
        assert_eq!(real.status, 403, "{method} {path}: {}", real.body);
        assert_eq!(real.body["error"]["code"], "FORBIDDEN");
        assert_eq!(
            real.body["error"]["details"]["reason"],
            "DENY_NOT_PARTICIPANT"
        );
        // The same route on a meeting that does not exist: the same answer.
        let ghost_path = path.replace(&id, missing);
        let ghost = w
            .call(method, &ghost_path, Some(STRANGER), body.as_ref())
            .await;
        assert_eq!(ghost.status, 403, "{method} {ghost_path}: {}", ghost.body);
        assert_eq!(ghost.body, real.body, "{method} {path}: the bodies differ");
    }
    assert_eq!(snapshot(), before, "a refused request wrote something");
    // Every refusal is in the audit trail, with the ACL action and reason.
    let denials = w
        .wait_rows(
            &format!(
                "SELECT metadata FROM audit_logs WHERE action = 'access.denied' \
                 AND resource_type = 'meeting' AND resource_id = '{id}' AND actor_user_id = '{STRANGER}'"
            ),
            routes(&id).len(),
            std::time::Duration::from_secs(10),
        )
        .await;
    assert!(denials.iter().all(|r| r["metadata"]
        .as_str()
        .unwrap()
        .contains("DENY_NOT_PARTICIPANT")));
    // Not in their list either.
    let a = w.call("GET", "/v1/meetings", Some(STRANGER), None).await;
    assert_eq!(a.body["meetings"], json!([]));
    // Without a credential: 401 before anything else.
    let a = w
        .call("GET", &format!("/v1/meetings/{id}"), None, None)
        .await;
    assert_eq!(a.status, 401, "{}", a.body);
}

#[tokio::test]
async fn org_admins_read_but_do_not_join_or_steer() {
    let w = World::start(&[HOST, STRANGER]).await;
    let m = w
        .create_meeting(HOST, meeting_body("Org meeting", &[]))
        .await;
    let id = m["id"].as_str().unwrap();
    let admin = w.token_with_role(STRANGER, "admin");
    let get = |path: String| {
        let admin = admin.clone();
        let w = &w;
        async move { w.call_with("GET", &path, Some(&admin), None, &[]).await }
    };
    let a = get(format!("/v1/meetings/{id}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["my_role"], Value::Null);
    let a = get(format!("/v1/meetings/{id}/participants")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    for action in ["start", "video-token", "ws-ticket"] {
        let a = w
            .call_with(
                "POST",
                &format!("/v1/meetings/{id}/{action}"),
                Some(&admin),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status, 403, "{action}: {}", a.body);
    }
}

#[tokio::test]
async fn the_socket_entry_refuses_before_the_room() {
    let w = World::start(&[HOST, GUEST, STRANGER]).await;
    let m = w
        .create_meeting(HOST, meeting_body("T", &[(GUEST, "participant")]))
        .await;
    let id = m["id"].as_str().unwrap();
    let other = w.create_meeting(HOST, meeting_body("Other", &[])).await;
    let other_id = other["id"].as_str().unwrap();
    let ticket = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/ws-ticket"),
            Some(GUEST),
            None,
        )
        .await
        .body["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let upgrade = [
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let try_ws = |path: String| {
        let w = &w;
        async move { w.call_with("GET", &path, None, None, &upgrade).await }
    };
    // No ticket, a forged one, one for another meeting: 401.
    for path in [
        format!("/v1/meetings/{id}/ws"),
        format!("/v1/meetings/{id}/ws?ticket=v1.abc.def"),
        format!("/v1/meetings/{other_id}/ws?ticket={ticket}"),
    ] {
        let a = try_ws(path.clone()).await;
        assert_eq!(a.status, 401, "{path}: {}", a.body);
    }
    // Not an upgrade: 400.
    let a = w
        .call(
            "GET",
            &format!("/v1/meetings/{id}/ws?ticket={ticket}"),
            None,
            None,
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    // The member is removed after getting the ticket: the room is not reached.
    let a = w
        .call(
            "DELETE",
            &format!("/v1/meetings/{id}/participants/{GUEST}"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = try_ws(format!("/v1/meetings/{id}/ws?ticket={ticket}")).await;
    assert_eq!(a.status, 403, "{}", a.body);
    // The ticket never reaches a log line.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let secret_part = ticket.split('.').nth(2).unwrap();
    assert!(
        !w.backend.log().contains(secret_part),
        "a ticket reached the log"
    );
}

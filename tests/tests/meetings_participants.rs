//! Issue 5, membership: adding, removing and leaving, role changes, and
//! the atomic host transfer; the denormalised participant count stays right
//! and a removed member loses access at once.

use connvo_e2e::meet::{meeting_body, World};
use serde_json::json;

const HOST: &str = "user_01HOST";
const COHOST: &str = "user_01COHOST";
const ALICE: &str = "user_01ALICE";
const BOB: &str = "user_01BOB";
const CAROL: &str = "user_01CAROL";

fn count_in_d1(w: &World, id: &str) -> (i64, i64) {
    let stored = w.d1(&format!(
        "SELECT participant_count AS n FROM meetings WHERE id = '{id}'"
    ))[0]["n"]
        .as_i64()
        .unwrap();
    let actual = w.d1(&format!(
        "SELECT count(*) AS n FROM meeting_participants WHERE meeting_id = '{id}'"
    ))[0]["n"]
        .as_i64()
        .unwrap();
    (stored, actual)
}

#[tokio::test]
async fn add_change_remove_and_leave() {
    let w = World::start(&[HOST, COHOST, ALICE, BOB, CAROL]).await;
    let m = w
        .create_meeting(HOST, meeting_body("T", &[(COHOST, "cohost")]))
        .await;
    let id = m["id"].as_str().unwrap();
    let base = format!("/v1/meetings/{id}/participants");

    // A cohost adds a participant; only the host adds a cohost.
    let a = w
        .call(
            "POST",
            &base,
            Some(COHOST),
            Some(&json!({"user_id": ALICE})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["role"], "participant");
    let a = w
        .call(
            "POST",
            &base,
            Some(COHOST),
            Some(&json!({"user_id": BOB, "role": "cohost"})),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w
        .call(
            "POST",
            &base,
            Some(HOST),
            Some(&json!({"user_id": BOB, "role": "observer"})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // Twice is a conflict; an unknown user is named; a participant cannot add.
    let a = w
        .call("POST", &base, Some(HOST), Some(&json!({"user_id": ALICE})))
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["reason"], "ALREADY_PARTICIPANT");
    let a = w
        .call(
            "POST",
            &base,
            Some(HOST),
            Some(&json!({"user_id": "user_NOBODY"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "user_id");
    let a = w
        .call("POST", &base, Some(ALICE), Some(&json!({"user_id": CAROL})))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(count_in_d1(&w, id), (4, 4));

    // The new members see the meeting.
    let a = w.get_meeting(ALICE, id).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["my_role"], "participant");
    assert_eq!(a.body["participant_count"], 4);
    let list = w.call("GET", &base, Some(BOB), None).await;
    assert_eq!(list.body["participants"].as_array().unwrap().len(), 4);

    // Role changes are the host's; the host role only moves by transfer.
    let a = w
        .call(
            "PATCH",
            &format!("{base}/{BOB}"),
            Some(HOST),
            Some(&json!({"role": "participant"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["role"], "participant");
    let a = w
        .call(
            "PATCH",
            &format!("{base}/{BOB}"),
            Some(COHOST),
            Some(&json!({"role": "cohost"})),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w
        .call(
            "PATCH",
            &format!("{base}/{BOB}"),
            Some(HOST),
            Some(&json!({"role": "host"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["field"], "role");
    let a = w
        .call(
            "PATCH",
            &format!("{base}/{CAROL}"),
            Some(HOST),
            Some(&json!({"role": "observer"})),
        )
        .await;
    assert_eq!(a.status, 404, "not a member: {}", a.body);

    // Removal: a cohost removes a participant, not the host nor a cohost.
    let a = w
        .call("DELETE", &format!("{base}/{HOST}"), Some(COHOST), None)
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w
        .call("DELETE", &format!("{base}/{ALICE}"), Some(COHOST), None)
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(count_in_d1(&w, id), (3, 3));
    // Alice lost access at once: 403 on the meeting, no ticket, no token.
    assert_eq!(w.get_meeting(ALICE, id).await.status, 403);
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/ws-ticket"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // Bob leaves by himself; the host cannot leave without a transfer.
    let a = w
        .call("DELETE", &format!("{base}/{BOB}"), Some(BOB), None)
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    let a = w
        .call("DELETE", &format!("{base}/{HOST}"), Some(HOST), None)
        .await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["error"]["details"]["reason"], "HOST_CANNOT_LEAVE");
    assert_eq!(count_in_d1(&w, id), (2, 2));
    let a = w.get_meeting(HOST, id).await;
    assert_eq!(a.body["participant_count"], 2);
}

#[tokio::test]
async fn the_host_role_is_transferred_atomically() {
    let w = World::start(&[HOST, COHOST, ALICE, CAROL]).await;
    let m = w
        .create_meeting(
            HOST,
            meeting_body("T", &[(COHOST, "cohost"), (ALICE, "participant")]),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    let path = format!("/v1/meetings/{id}/transfer-host");
    let roles = |w: &World| {
        w.d1(&format!(
            "SELECT user_id, role FROM meeting_participants WHERE meeting_id = '{id}' ORDER BY user_id"
        ))
    };
    let before = roles(&w);
    // Only the host transfers; not to a non-member; not to themselves.
    for (user, target, status) in [(COHOST, ALICE, 403), (HOST, CAROL, 404), (HOST, HOST, 409)] {
        let a = w
            .call("POST", &path, Some(user), Some(&json!({"user_id": target})))
            .await;
        assert_eq!(a.status, status, "{user} → {target}: {}", a.body);
        assert_eq!(roles(&w), before, "a refused transfer changed roles");
    }
    let a = w
        .call("POST", &path, Some(HOST), Some(&json!({"user_id": ALICE})))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["host"], ALICE);
    assert_eq!(a.body["previous_host"]["role"], "cohost");
    let hosts: Vec<_> = roles(&w)
        .into_iter()
        .filter(|r| r["role"] == "host")
        .collect();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["user_id"], ALICE);
    // The old host is a cohost now: no more host powers; the new host has them.
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(HOST),
            None,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = w
        .call(
            "POST",
            &format!("/v1/meetings/{id}/start"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["my_role"], "host");
    // Replaying the old host's transfer does nothing.
    let a = w
        .call("POST", &path, Some(HOST), Some(&json!({"user_id": ALICE})))
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
}

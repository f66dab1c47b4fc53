use serde_json::json;

use super::*;
use crate::meeting::view::tests::row_value;
use crate::sql::SqlValue;

fn meeting(state: &str, provisioning: &str) -> MeetingRow {
    let mut v = row_value();
    v["state"] = json!(state);
    v["provisioning_status"] = json!(provisioning);
    v["stream_call_type"] = json!(null);
    v["stream_call_id"] = json!(null);
    v["stream_call_cid"] = json!(null);
    MeetingRow::from_value(v).unwrap()
}

const B: Backoff = Backoff {
    base_secs: 2,
    max_delay_secs: 300,
    max_attempts: 3,
};

#[test]
fn the_claim_records_the_derived_cid() {
    let m = meeting("scheduled", "pending");
    let Start::Claim(claim) = start(Some(&m), "default", 100_000) else {
        panic!("pending: claim")
    };
    assert_eq!(claim.name, "MEETING_PROVISIONING_CLAIM");
    assert_eq!(claim.params[2], SqlValue::Text("mtg_1".into()));
    assert_eq!(claim.params[3], SqlValue::Text("default:mtg_1".into()));
    assert_eq!(claim.params[5], SqlValue::Integer(100_000 - LEASE_MS));
    assert_eq!(
        start(Some(&meeting("active", "ready")), "default", 1),
        Start::Done(None)
    );
    assert!(matches!(start(None, "default", 1), Start::Done(Some(_))));
}

#[test]
fn a_lost_claim_waits_out_a_live_lease() {
    assert_eq!(
        claim_lost(Some(&meeting("scheduled", "provisioning"))),
        JobResult::Retry { delay_secs: 60 }
    );
    assert_eq!(
        claim_lost(Some(&meeting("scheduled", "ready"))),
        JobResult::Done
    );
    assert_eq!(claim_lost(None), JobResult::Done);
}

#[test]
fn an_ended_meeting_gets_no_call() {
    assert_eq!(
        claimed(Some(&meeting("active", "provisioning")), 1),
        Claimed::Call
    );
    assert_eq!(claimed(None, 1), Claimed::Gone);
    let Claimed::Refuse(write) = claimed(Some(&meeting("cancelled", "provisioning")), 1) else {
        panic!("cancelled: refuse")
    };
    assert_eq!(write.name, "MEETING_PROVISIONING_FAILED");
}

#[test]
fn the_request_names_every_member_and_a_creator() {
    let m = meeting("scheduled", "provisioning");
    let rows = vec![
        MemberRow {
            user_id: "user_g".into(),
            role: "observer".into(),
        },
        MemberRow {
            user_id: "user_h".into(),
            role: "host".into(),
        },
    ];
    let call = request(&m, &rows, "default").unwrap();
    assert_eq!(call.cid(), "default:mtg_1");
    assert_eq!(call.created_by_id, "user_h");
    assert_eq!(call.members[0].role, "call_member");
    assert_eq!(call.members[1].role, "host");
    assert_eq!(call.custom["meeting_id"], "mtg_1");
    // The organizer left and nobody hosts: refused rather than guessed.
    let orphan = vec![MemberRow {
        user_id: "user_g".into(),
        role: "participant".into(),
    }];
    let mut m2 = m.clone();
    m2.organizer_id = Some("user_gone".into());
    assert!(request(&m2, &orphan, "default").is_err());
    assert_eq!(members_query("mtg_1").params[2], SqlValue::Integer(100));
}

#[test]
fn answers_become_states_and_retries() {
    let ready = outcome(
        "m",
        &CallOutcome::Ready {
            created: Some(true),
        },
        &B,
        1,
        0,
        5,
    );
    assert_eq!(ready.write.name, "MEETING_PROVISIONING_READY");
    assert_eq!(ready.result, JobResult::Done);
    let e = ProviderError {
        status: Some(503),
        code: None,
        message: "down".into(),
    };
    let retry = outcome("m", &CallOutcome::Transient(e.clone()), &B, 1, 0, 5);
    assert_eq!(retry.write.name, "MEETING_PROVISIONING_RETRY");
    assert!(matches!(retry.result, JobResult::Retry { .. }));
    let gave_up = outcome("m", &CallOutcome::Transient(e.clone()), &B, 3, 0, 5);
    assert_eq!(gave_up.write.name, "MEETING_PROVISIONING_FAILED");
    assert_eq!(gave_up.result, JobResult::Done);
    let SqlValue::Text(stored) = &gave_up.write.params[1] else {
        panic!()
    };
    assert!(stored.contains("\"gave_up_after_attempts\":3"));
    let refused = outcome("m", &CallOutcome::Permanent(e), &B, 1, 0, 5);
    assert_eq!(refused.write.name, "MEETING_PROVISIONING_FAILED");
    assert_eq!(refused.result, JobResult::Done);
}

//! `POST /v1/meetings` as a plan: the creator is the host, the invitees get
//! their roles. One atomic batch writes the meeting and every membership
//! (the triggers keep `participant_count`), completes the `Idempotency-Key`
//! claim when there is one (`crate::idempotency`: the meeting and the key's
//! completion exist together or not at all), and reads the new meeting and
//! its members back for the answer; then provisioning goes on the queue.

use serde_json::{json, Value};

use super::{action, AuditNote, Plan, Reply};
use crate::acl::MeetingRole;
use crate::idempotency::{Decision, Idempotent};
use crate::jobs::Job;
use crate::meeting::access::Caller;
use crate::meeting::ids::{new_id, MEETING_PREFIX};
use crate::meeting::request::{CreateMeeting, MAX_PARTICIPANTS};
use crate::sql::meetings::{MeetingGet, MeetingInsert};
use crate::sql::participants::{ParticipantInsert, ParticipantListByMeeting};
use crate::validation::{invalid, reason};
use crate::ApiError;

/// How long a claimed-but-unfinished key blocks retries (a crashed request
/// frees its key after this).
pub const CLAIM_TTL_MS: i64 = 60_000;
/// How long a finished create is remembered for replay.
pub const REPLAY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// The idempotent unit of a create with an `Idempotency-Key`: scoped to the
/// caller, fingerprinted by the body's sha256.
pub fn idempotent(caller: &Caller, key: String, body_sha256: String) -> Idempotent {
    Idempotent {
        scope: format!("meetings.create:{}", caller.user_id),
        key,
        request_hash: Some(body_sha256),
        claim_ttl_ms: CLAIM_TTL_MS,
        keep_ms: REPLAY_TTL_MS,
    }
}

/// What a claimed key says to do: `Ok(None)` create, `Ok(Some(id))` answer
/// with the meeting the first request made, `Err` the policy's 409.
pub fn after_claim(decision: &Decision) -> Result<Option<String>, ApiError> {
    match decision {
        Decision::New => Ok(None),
        Decision::Replay { result } => result
            .as_ref()
            .and_then(|r| r["meeting_id"].as_str())
            .map(|id| Some(id.to_owned()))
            // A completed key without its meeting is not ours to guess at.
            .ok_or_else(|| {
                Decision::InProgress
                    .error()
                    .unwrap_or_else(|| ApiError::internal("no error"))
            }),
        Decision::InProgress | Decision::KeyReused => Err(decision
            .error()
            .unwrap_or_else(|| ApiError::internal("an idempotency refusal without an error"))),
    }
}

/// The index of the read-back meeting row in the batch; the participant
/// list follows it.
pub fn read_back_index(plan: &Plan) -> usize {
    plan.statements.len().saturating_sub(2)
}

/// The refusal for an invitee that is not a user (`index` into the invitees).
pub fn unknown_invitee(index: Option<usize>) -> ApiError {
    match index {
        Some(i) => invalid(
            &format!("participants[{i}].user_id"),
            reason::UNKNOWN_USER,
            "no such user",
        ),
        None => invalid(
            "participants",
            reason::UNKNOWN_USER,
            "a participant is not a user",
        ),
    }
}

/// The create, for `caller`, with a new id from `random` and the key's
/// completion when `work` is given. `invitees_exist[i]` says whether
/// invitee `i` is a user.
pub fn plan(
    caller: &Caller,
    input: &CreateMeeting,
    invitees_exist: &[bool],
    work: Option<&Idempotent>,
    random: [u8; 10],
    now: i64,
) -> Result<Plan, ApiError> {
    if let Some(i) = invitees_exist.iter().position(|exists| !exists) {
        return Err(unknown_invitee(Some(i)));
    }
    let id = new_id(MEETING_PREFIX, now, random);
    let mut statements = vec![
        MeetingInsert {
            id: &id,
            organizer_id: &caller.user_id,
            org_id: caller.org_id.as_deref(),
            title: &input.title,
            description: input.description.as_deref(),
            scheduled_at: input.scheduled_at,
            duration_ms: input.duration_ms,
            recording_enabled: input.recording_enabled,
            transcription_enabled: input.transcription_enabled,
            now_ms: now,
        }
        .statement(),
        ParticipantInsert {
            meeting_id: &id,
            user_id: &caller.user_id,
            role: MeetingRole::Host.as_str(),
            invited_by: Some(&caller.user_id),
            now_ms: now,
        }
        .statement(),
    ];
    for invitee in &input.invitees {
        statements.push(
            ParticipantInsert {
                meeting_id: &id,
                user_id: &invitee.user_id,
                role: invitee.role.as_str(),
                invited_by: Some(&caller.user_id),
                now_ms: now,
            }
            .statement(),
        );
    }
    if let Some(work) = work {
        statements.push(work.complete(Some(&json!({ "meeting_id": id })), now));
    }
    statements.push(MeetingGet { id: &id }.statement());
    statements.push(
        ParticipantListByMeeting {
            meeting_id: &id,
            after_user_id: "",
            limit: i64::try_from(MAX_PARTICIPANTS).unwrap_or(100),
        }
        .statement(),
    );
    Ok(Plan {
        statements,
        guards: Vec::new(),
        audit: vec![AuditNote {
            action: action::CREATE,
            meta: vec![
                ("participants", json!(input.invitees.len() + 1)),
                ("idempotency_key", Value::from(work.is_some())),
            ],
        }],
        notices: Vec::new(),
        // Pre-call ideas (I33) come from the members' profiles.
        jobs: vec![
            Job::ProvisionCall {
                meeting_id: id.clone(),
            },
            Job::GeneratePrecall {
                meeting_id: id.clone(),
            },
        ],
        response: Reply::Meeting {
            status: 201,
            meeting_id: id,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::OrgRole;
    use crate::meeting::request::parse_create;

    fn caller() -> Caller {
        Caller {
            user_id: "user_h".into(),
            org_id: Some("org_a".into()),
            org_role: OrgRole::Member,
        }
    }

    fn input() -> CreateMeeting {
        parse_create(
            br#"{"title":"Sync","participants":[{"user_id":"user_p","role":"participant"}]}"#,
            "user_h",
            1_700_000_000_000,
        )
        .unwrap()
    }

    #[test]
    fn one_batch_writes_the_meeting_every_member_and_the_key() {
        let work = idempotent(&caller(), "k1".into(), "hash".into());
        let plan = plan(
            &caller(),
            &input(),
            &[true],
            Some(&work),
            [7; 10],
            1_700_000_000_000,
        )
        .unwrap();
        let names: Vec<&str> = plan.statements.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "MEETING_INSERT",
                "PARTICIPANT_INSERT",
                "PARTICIPANT_INSERT",
                "IDEMPOTENCY_COMPLETE",
                "MEETING_GET",
                "PARTICIPANT_LIST_BY_MEETING"
            ]
        );
        assert_eq!(read_back_index(&plan), 4);
        assert!(matches!(plan.jobs[0], Job::ProvisionCall { .. }));
        assert!(matches!(plan.jobs[1], Job::GeneratePrecall { .. }));
        match plan.response {
            Reply::Meeting { status, meeting_id } => {
                assert_eq!(status, 201);
                assert!(meeting_id.starts_with(MEETING_PREFIX));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_a_key_nothing_is_completed() {
        let plan = plan(&caller(), &input(), &[true], None, [7; 10], 1).unwrap();
        assert!(plan
            .statements
            .iter()
            .all(|s| s.name != "IDEMPOTENCY_COMPLETE"));
        assert_eq!(plan.audit[0].meta[1], ("idempotency_key", json!(false)));
    }

    #[test]
    fn an_unknown_invitee_is_named() {
        let err = plan(&caller(), &input(), &[false], None, [7; 10], 1).unwrap_err();
        assert_eq!(err.details.unwrap()["field"], "participants[0].user_id");
    }

    #[test]
    fn the_idempotency_policy_for_creates() {
        assert_eq!(after_claim(&Decision::New).unwrap(), None);
        let replay = Decision::Replay {
            result: Some(json!({ "meeting_id": "mtg_1" })),
        };
        assert_eq!(after_claim(&replay).unwrap(), Some("mtg_1".into()));
        for refused in [Decision::InProgress, Decision::KeyReused] {
            assert_eq!(after_claim(&refused).unwrap_err().status(), 409);
        }
        let empty = Decision::Replay { result: None };
        assert_eq!(after_claim(&empty).unwrap_err().status(), 409);
    }
}

//! Meeting use cases as pure plans: each takes the parsed input, the rows it
//! needs (loaded by the shell), `now` and any random bytes, and returns a
//! [`Plan`]: the statements to run (one atomic D1 batch), the guards that
//! judge their outcome, the audit events, the room notices, the jobs to
//! queue and the response. The worker's handler is load → plan → execute →
//! respond, with no decision of its own.

pub mod create;
pub mod ending;
pub mod members;
pub mod transitions;
pub mod update;

use serde_json::Value;

use crate::error::ApiError;
use crate::jobs::Job;
use crate::sql::Statement;

/// What the shell does for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Run as one batch (atomic).
    pub statements: Vec<Statement>,
    /// Checked against the batch's outcome, in order; the first that fails
    /// is the answer and nothing after the batch happens.
    pub guards: Vec<Guard>,
    /// Audit events (`meeting.*`, success), recorded after the batch.
    pub audit: Vec<AuditNote>,
    /// What the live room is told after the batch.
    pub notices: Vec<RoomNotice>,
    /// Jobs to queue after the batch.
    pub jobs: Vec<Job>,
    pub response: Reply,
}

impl Plan {
    /// A plan that only answers (nothing to write).
    pub fn answer(response: Reply) -> Plan {
        Plan {
            statements: Vec::new(),
            guards: Vec::new(),
            audit: Vec::new(),
            notices: Vec::new(),
            jobs: Vec::new(),
            response,
        }
    }
}

/// A guarded write's expected effect: statement `index` of the batch must
/// have changed (or returned) at least `at_least` rows, else `error`.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    pub index: usize,
    pub at_least: usize,
    pub error: GuardError,
}

impl Guard {
    /// Whether the statement's effect (rows changed or returned) passes.
    pub fn holds(&self, effect: usize) -> bool {
        effect >= self.at_least
    }
}

/// The answer when a guard fails.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardError {
    /// Known without another read.
    Fixed(ApiError),
    /// Lost a race for a lifecycle move or an edit: the shell re-reads the
    /// meeting and asks [`transitions::lost_race`] or [`update::lost_race`].
    ReReadMeeting,
}

/// One audit event of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditNote {
    pub action: &'static str,
    pub meta: Vec<(&'static str, Value)>,
}

/// A notice to the meeting's room (`internal/*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomNotice {
    State { state: &'static str, at_ms: i64 },
    Revoke { user_id: String },
    SetRole { user_id: String, role: &'static str },
}

/// The response a plan answers with.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `status` with this JSON body.
    Json { status: u16, body: Value },
    /// `status` with the meeting as `GET /v1/meetings/{id}` shows it, read
    /// after the batch.
    Meeting { status: u16, meeting_id: String },
    /// 204.
    Empty,
}

/// The audit action names of the meeting routes.
pub mod action {
    pub const CREATE: &str = "meeting.create";
    pub const UPDATE: &str = "meeting.update";
    pub const START: &str = "meeting.start";
    pub const END: &str = "meeting.end";
    pub const CANCEL: &str = "meeting.cancel";
    pub const PARTICIPANT_ADD: &str = "meeting.participant.add";
    pub const PARTICIPANT_REMOVE: &str = "meeting.participant.remove";
    pub const PARTICIPANT_ROLE: &str = "meeting.participant.role";
    pub const TRANSFER_HOST: &str = "meeting.transfer_host";
    pub const VIDEO_TOKEN: &str = "meeting.video_token";
    pub const WS_TICKET: &str = "meeting.ws_ticket";
    pub const WS_OPEN: &str = "meeting.ws_open";
}

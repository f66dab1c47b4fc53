//! The meeting rows of the route table (`/v1/meetings…`), each with the
//! ACL action the pipeline decides before the handler runs. Ids in paths
//! must pass `route::is_valid_id`; anything else is "no such route".

use crate::acl::Action;
use crate::route::{path_id, ActionRule, Route, RouteAccess, RouteClass, RouteSpec};

/// Every route under `/v1/meetings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingRoute {
    /// `POST /v1/meetings`
    Create,
    /// `GET /v1/meetings`
    List,
    /// `GET /v1/meetings/{id}`
    Get { meeting_id: String },
    /// `PATCH /v1/meetings/{id}`
    Update { meeting_id: String },
    /// `POST /v1/meetings/{id}/cancel`
    Cancel { meeting_id: String },
    /// `POST /v1/meetings/{id}/start`
    Start { meeting_id: String },
    /// `POST /v1/meetings/{id}/end`
    End { meeting_id: String },
    /// `GET /v1/meetings/{id}/participants`
    ListParticipants { meeting_id: String },
    /// `POST /v1/meetings/{id}/participants`
    AddParticipant { meeting_id: String },
    /// `DELETE /v1/meetings/{id}/participants/{user_id}`
    RemoveParticipant { meeting_id: String, user_id: String },
    /// `PATCH /v1/meetings/{id}/participants/{user_id}`
    ChangeRole { meeting_id: String, user_id: String },
    /// `POST /v1/meetings/{id}/transfer-host`
    TransferHost { meeting_id: String },
    /// `POST /v1/meetings/{id}/video-token`
    VideoToken { meeting_id: String },
    /// `POST /v1/meetings/{id}/ws-ticket`
    WsTicket { meeting_id: String },
    /// `GET /v1/meetings/{id}/ws?ticket=…` (WebSocket upgrade)
    Ws { meeting_id: String },
    /// `GET /v1/meetings/{id}/transcript?after_seq=&from_ms=&to_ms=&limit=`
    Transcript { meeting_id: String },
    /// `GET /v1/meetings/{id}/segments?after_start_ms=&after_speaker=&limit=`
    Segments { meeting_id: String },
    /// `GET /v1/meetings/{id}/prompts?type=precall|incall&cursor=&limit=`
    Prompts { meeting_id: String },
    /// `GET /v1/meetings/{id}/insights/me`
    MyInsights { meeting_id: String },
    /// `DELETE /v1/meetings/{id}/insights/me`
    DeleteMyInsights { meeting_id: String },
    /// `GET /v1/meetings/{id}/transcript/export?format=txt|srt|vtt|json`
    TranscriptExport { meeting_id: String },
    /// `GET /v1/meetings/{id}/recordings`
    Recordings { meeting_id: String },
    /// `POST /v1/meetings/{id}/recording/start`
    RecordingStart { meeting_id: String },
    /// `POST /v1/meetings/{id}/recording/stop`
    RecordingStop { meeting_id: String },
}

impl MeetingRoute {
    /// The meeting the route addresses (`None` for the collection).
    pub fn meeting_id(&self) -> Option<&str> {
        match self {
            MeetingRoute::Create | MeetingRoute::List => None,
            MeetingRoute::Get { meeting_id }
            | MeetingRoute::Update { meeting_id }
            | MeetingRoute::Cancel { meeting_id }
            | MeetingRoute::Start { meeting_id }
            | MeetingRoute::End { meeting_id }
            | MeetingRoute::ListParticipants { meeting_id }
            | MeetingRoute::AddParticipant { meeting_id }
            | MeetingRoute::RemoveParticipant { meeting_id, .. }
            | MeetingRoute::ChangeRole { meeting_id, .. }
            | MeetingRoute::TransferHost { meeting_id }
            | MeetingRoute::VideoToken { meeting_id }
            | MeetingRoute::WsTicket { meeting_id }
            | MeetingRoute::Ws { meeting_id }
            | MeetingRoute::Transcript { meeting_id }
            | MeetingRoute::Segments { meeting_id }
            | MeetingRoute::Prompts { meeting_id }
            | MeetingRoute::MyInsights { meeting_id }
            | MeetingRoute::DeleteMyInsights { meeting_id }
            | MeetingRoute::TranscriptExport { meeting_id }
            | MeetingRoute::Recordings { meeting_id }
            | MeetingRoute::RecordingStart { meeting_id }
            | MeetingRoute::RecordingStop { meeting_id } => Some(meeting_id),
        }
    }

    /// The member the route addresses, if any (`…/participants/{user_id}`).
    pub fn target_user(&self) -> Option<&str> {
        match self {
            MeetingRoute::RemoveParticipant { user_id, .. }
            | MeetingRoute::ChangeRole { user_id, .. } => Some(user_id),
            _ => None,
        }
    }
}

fn m(route: MeetingRoute) -> Route {
    Route::Meeting(route)
}

const fn always(action: Action) -> RouteAccess {
    RouteAccess::Meeting(ActionRule::Always(action))
}

/// The meeting rows of the route table. Rows sharing a path are listed in
/// the order `405`'s `allowed` reports them.
pub static ROUTES: &[RouteSpec] = &[
    RouteSpec {
        method: "GET",
        path: "/v1/meetings",
        name: "meetings.list",
        access: RouteAccess::User,
        class: RouteClass::Default,
        build: |_| m(MeetingRoute::List),
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings",
        name: "meetings.create",
        access: RouteAccess::User,
        class: RouteClass::MeetingCreate,
        build: |_| m(MeetingRoute::Create),
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}",
        name: "meetings.get",
        access: always(Action::ReadMeeting),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Get {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "PATCH",
        path: "/v1/meetings/{meeting_id}",
        name: "meetings.update",
        access: always(Action::UpdateMeeting),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Update {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}/participants",
        name: "meetings.participants.list",
        access: always(Action::ReadParticipants),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::ListParticipants {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/participants",
        name: "meetings.participants.add",
        access: always(Action::ManageParticipants),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::AddParticipant {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/meetings/{meeting_id}/participants/{user_id}",
        name: "meetings.participants.remove",
        access: RouteAccess::Meeting(ActionRule::OwnOrOther {
            own: Action::LeaveMeeting,
            other: Action::ManageParticipants,
        }),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::RemoveParticipant {
                meeting_id: path_id(p, 0),
                user_id: path_id(p, 1),
            })
        },
    },
    RouteSpec {
        method: "PATCH",
        path: "/v1/meetings/{meeting_id}/participants/{user_id}",
        name: "meetings.participants.change_role",
        access: always(Action::ChangeRole),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::ChangeRole {
                meeting_id: path_id(p, 0),
                user_id: path_id(p, 1),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/cancel",
        name: "meetings.cancel",
        access: always(Action::CancelMeeting),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Cancel {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/start",
        name: "meetings.start",
        access: always(Action::StartMeeting),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Start {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/end",
        name: "meetings.end",
        access: always(Action::EndMeeting),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::End {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/transfer-host",
        name: "meetings.transfer_host",
        access: always(Action::TransferHost),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::TransferHost {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/video-token",
        name: "meetings.video_token",
        access: always(Action::MintVideoToken),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::VideoToken {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/ws-ticket",
        name: "meetings.ws_ticket",
        access: always(Action::OpenSocket),
        class: RouteClass::WsTicket,
        build: |p| {
            m(MeetingRoute::WsTicket {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}/ws",
        name: "meetings.ws",
        access: RouteAccess::Ticket(Action::OpenSocket),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Ws {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}/transcript",
        name: "meetings.transcript",
        access: always(Action::ReadTranscript),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Transcript {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}/segments",
        name: "meetings.segments",
        access: always(Action::ReadTranscript),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Segments {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{id}/prompts",
        name: "meetings.prompts",
        access: always(Action::ReadPrompts),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Prompts {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{id}/insights/me",
        name: "meetings.insights.me",
        access: always(Action::ReadInsights),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::MyInsights {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "DELETE",
        path: "/v1/meetings/{id}/insights/me",
        name: "meetings.insights.me.delete",
        access: always(Action::ReadInsights),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::DeleteMyInsights {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}/transcript/export",
        name: "meetings.transcript.export",
        access: always(Action::ReadTranscript),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::TranscriptExport {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "GET",
        path: "/v1/meetings/{meeting_id}/recordings",
        name: "meetings.recordings",
        // Recordings are read like the transcript: members, once active.
        access: always(Action::ReadTranscript),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::Recordings {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/recording/start",
        name: "meetings.recording.start",
        access: always(Action::ManageRecording),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::RecordingStart {
                meeting_id: path_id(p, 0),
            })
        },
    },
    RouteSpec {
        method: "POST",
        path: "/v1/meetings/{meeting_id}/recording/stop",
        name: "meetings.recording.stop",
        access: always(Action::ManageRecording),
        class: RouteClass::Default,
        build: |p| {
            m(MeetingRoute::RecordingStop {
                meeting_id: path_id(p, 0),
            })
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{match_route, RouteMatch};

    fn found(method: &str, path: &str) -> MeetingRoute {
        match match_route(method, path) {
            RouteMatch::Found(crate::route::Matched {
                route: Route::Meeting(r),
                ..
            }) => r,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn every_meeting_route() {
        let m = || "mtg_1".to_string();
        let u = || "user_2".to_string();
        let table = [
            ("POST", "/v1/meetings", MeetingRoute::Create),
            ("GET", "/v1/meetings/", MeetingRoute::List),
            (
                "GET",
                "/v1/meetings/mtg_1",
                MeetingRoute::Get { meeting_id: m() },
            ),
            (
                "PATCH",
                "/v1/meetings/mtg_1",
                MeetingRoute::Update { meeting_id: m() },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/cancel",
                MeetingRoute::Cancel { meeting_id: m() },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/start",
                MeetingRoute::Start { meeting_id: m() },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/end",
                MeetingRoute::End { meeting_id: m() },
            ),
            (
                "GET",
                "/v1/meetings/mtg_1/participants",
                MeetingRoute::ListParticipants { meeting_id: m() },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/participants",
                MeetingRoute::AddParticipant { meeting_id: m() },
            ),
            (
                "DELETE",
                "/v1/meetings/mtg_1/participants/user_2",
                MeetingRoute::RemoveParticipant {
                    meeting_id: m(),
                    user_id: u(),
                },
            ),
            (
                "PATCH",
                "/v1/meetings/mtg_1/participants/user_2",
                MeetingRoute::ChangeRole {
                    meeting_id: m(),
                    user_id: u(),
                },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/transfer-host",
                MeetingRoute::TransferHost { meeting_id: m() },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/video-token",
                MeetingRoute::VideoToken { meeting_id: m() },
            ),
            (
                "POST",
                "/v1/meetings/mtg_1/ws-ticket",
                MeetingRoute::WsTicket { meeting_id: m() },
            ),
            (
                "GET",
                "/v1/meetings/mtg_1/ws",
                MeetingRoute::Ws { meeting_id: m() },
            ),
        ];
        for (method, path, expected) in table {
            assert_eq!(found(method, path), expected);
        }
        match match_route("POST", "/v1/meetings") {
            RouteMatch::Found(m) => assert_eq!(m.spec.class, RouteClass::MeetingCreate),
            other => panic!("{other:?}"),
        }
        assert_eq!(found("GET", "/v1/meetings/m/ws").meeting_id(), Some("m"));
        assert_eq!(
            found("DELETE", "/v1/meetings/m/participants/u").target_user(),
            Some("u")
        );
    }

    #[test]
    fn wrong_methods_and_bad_ids() {
        assert_eq!(
            match_route("PUT", "/v1/meetings"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["GET", "POST"]
            }
        );
        assert_eq!(
            match_route("GET", "/v1/meetings/m/start"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["POST"]
            }
        );
        assert_eq!(
            match_route("POST", "/v1/meetings/m/ws"),
            RouteMatch::MethodNotAllowed {
                allowed: vec!["GET"]
            }
        );
        for path in [
            "/v1/meetings/a b",
            "/v1/meetings/a.b/start",
            "/v1/meetings/m/participants/u%20x",
            "/v1/meetings/m/explode",
            "/v1/meetings/m/participants/u/extra",
            "/v1/meetings//start",
        ] {
            assert_eq!(match_route("POST", path), RouteMatch::NotFound, "{path}");
        }
    }
}

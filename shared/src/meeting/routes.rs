//! The meeting part of the route table (`/v1/meetings…`), matched here so
//! `route.rs` stays one line per family. Ids in paths must pass
//! `route::is_valid_id`; anything else is "no such route".

use crate::route::{is_valid_id, Route, RouteClass, RouteMatch};

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
}

impl MeetingRoute {
    pub fn class(&self) -> RouteClass {
        match self {
            MeetingRoute::Create => RouteClass::MeetingCreate,
            MeetingRoute::WsTicket { .. } => RouteClass::WsTicket,
            MeetingRoute::List
            | MeetingRoute::Get { .. }
            | MeetingRoute::Update { .. }
            | MeetingRoute::Cancel { .. }
            | MeetingRoute::Start { .. }
            | MeetingRoute::End { .. }
            | MeetingRoute::ListParticipants { .. }
            | MeetingRoute::AddParticipant { .. }
            | MeetingRoute::RemoveParticipant { .. }
            | MeetingRoute::ChangeRole { .. }
            | MeetingRoute::TransferHost { .. }
            | MeetingRoute::VideoToken { .. }
            | MeetingRoute::Ws { .. }
            | MeetingRoute::Transcript { .. }
            | MeetingRoute::Segments { .. } => RouteClass::Default,
        }
    }

    /// A stable name for logs and metrics (never contains ids).
    pub fn name(&self) -> &'static str {
        match self {
            MeetingRoute::Create => "meetings.create",
            MeetingRoute::List => "meetings.list",
            MeetingRoute::Get { .. } => "meetings.get",
            MeetingRoute::Update { .. } => "meetings.update",
            MeetingRoute::Cancel { .. } => "meetings.cancel",
            MeetingRoute::Start { .. } => "meetings.start",
            MeetingRoute::End { .. } => "meetings.end",
            MeetingRoute::ListParticipants { .. } => "meetings.participants.list",
            MeetingRoute::AddParticipant { .. } => "meetings.participants.add",
            MeetingRoute::RemoveParticipant { .. } => "meetings.participants.remove",
            MeetingRoute::ChangeRole { .. } => "meetings.participants.change_role",
            MeetingRoute::TransferHost { .. } => "meetings.transfer_host",
            MeetingRoute::VideoToken { .. } => "meetings.video_token",
            MeetingRoute::WsTicket { .. } => "meetings.ws_ticket",
            MeetingRoute::Ws { .. } => "meetings.ws",
            MeetingRoute::Transcript { .. } => "meetings.transcript",
            MeetingRoute::Segments { .. } => "meetings.segments",
        }
    }

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
            | MeetingRoute::Segments { meeting_id } => Some(meeting_id),
        }
    }
}

fn pick(
    method: &str,
    candidates: Vec<(&'static str, MeetingRoute)>,
    allowed: &'static [&'static str],
) -> RouteMatch {
    let found = candidates
        .into_iter()
        .find(|(m, _)| *m == method)
        .map(|(_, r)| r);
    match found {
        Some(route) => RouteMatch::Found(Route::Meeting(route)),
        None => RouteMatch::MethodNotAllowed { allowed },
    }
}

/// Matches the segments after `/v1/meetings` (`rest`) for `method`.
pub fn match_meeting(method: &str, rest: &[&str]) -> RouteMatch {
    let id = |s: &str| is_valid_id(s).then(|| s.to_owned());
    match rest {
        [] => pick(
            method,
            vec![("GET", MeetingRoute::List), ("POST", MeetingRoute::Create)],
            &["GET", "POST"],
        ),
        [mid] => match id(mid) {
            Some(m) => pick(
                method,
                vec![
                    (
                        "GET",
                        MeetingRoute::Get {
                            meeting_id: m.clone(),
                        },
                    ),
                    ("PATCH", MeetingRoute::Update { meeting_id: m }),
                ],
                &["GET", "PATCH"],
            ),
            None => RouteMatch::NotFound,
        },
        [mid, "participants"] => match id(mid) {
            Some(m) => pick(
                method,
                vec![
                    (
                        "GET",
                        MeetingRoute::ListParticipants {
                            meeting_id: m.clone(),
                        },
                    ),
                    ("POST", MeetingRoute::AddParticipant { meeting_id: m }),
                ],
                &["GET", "POST"],
            ),
            None => RouteMatch::NotFound,
        },
        [mid, "participants", uid] => match (id(mid), id(uid)) {
            (Some(m), Some(u)) => pick(
                method,
                vec![
                    (
                        "DELETE",
                        MeetingRoute::RemoveParticipant {
                            meeting_id: m.clone(),
                            user_id: u.clone(),
                        },
                    ),
                    (
                        "PATCH",
                        MeetingRoute::ChangeRole {
                            meeting_id: m,
                            user_id: u,
                        },
                    ),
                ],
                &["DELETE", "PATCH"],
            ),
            _ => RouteMatch::NotFound,
        },
        [mid, action] => {
            let Some(m) = id(mid) else {
                return RouteMatch::NotFound;
            };
            let (route, allowed): (MeetingRoute, &'static [&'static str]) = match *action {
                "cancel" => (MeetingRoute::Cancel { meeting_id: m }, &["POST"]),
                "start" => (MeetingRoute::Start { meeting_id: m }, &["POST"]),
                "end" => (MeetingRoute::End { meeting_id: m }, &["POST"]),
                "transfer-host" => (MeetingRoute::TransferHost { meeting_id: m }, &["POST"]),
                "video-token" => (MeetingRoute::VideoToken { meeting_id: m }, &["POST"]),
                "ws-ticket" => (MeetingRoute::WsTicket { meeting_id: m }, &["POST"]),
                "ws" => (MeetingRoute::Ws { meeting_id: m }, &["GET"]),
                "transcript" => (MeetingRoute::Transcript { meeting_id: m }, &["GET"]),
                "segments" => (MeetingRoute::Segments { meeting_id: m }, &["GET"]),
                _ => return RouteMatch::NotFound,
            };
            pick(method, vec![(allowed[0], route)], allowed)
        }
        _ => RouteMatch::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::match_route;

    fn found(method: &str, path: &str) -> MeetingRoute {
        match match_route(method, path) {
            RouteMatch::Found(Route::Meeting(r)) => r,
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
        let mut names = Vec::new();
        for (method, path, expected) in table {
            let route = found(method, path);
            assert_eq!(route, expected);
            names.push(route.name());
            assert!(!route.name().contains("mtg_1"));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 15);
        assert_eq!(MeetingRoute::Create.class(), RouteClass::MeetingCreate);
        assert_eq!(found("GET", "/v1/meetings/m/ws").meeting_id(), Some("m"));
    }

    #[test]
    fn wrong_methods_and_bad_ids() {
        assert_eq!(
            match_route("PUT", "/v1/meetings"),
            RouteMatch::MethodNotAllowed {
                allowed: &["GET", "POST"]
            }
        );
        assert_eq!(
            match_route("GET", "/v1/meetings/m/start"),
            RouteMatch::MethodNotAllowed { allowed: &["POST"] }
        );
        assert_eq!(
            match_route("POST", "/v1/meetings/m/ws"),
            RouteMatch::MethodNotAllowed { allowed: &["GET"] }
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

//! The legacy cutover's read switches (issue 16; docs/migration.md,
//! "Cutover, module by module", rules L1–L3): which REST reads belong to
//! which migrated module, and whether a caller's reads of that module are
//! served here or still by the old backend.
//!
//! While the old app takes writes, D1 follows it through `connvo-migrate
//! sync` and may lag by a sync interval. Reading a module from D1 is
//! therefore switched per module, behind a `migration.read.*` feature flag
//! rolled out by percentage (bucketed per user, so one person's reads do
//! not flap between stores). A read this API must not serve yet is refused
//! with `READS_ON_LEGACY` (409) naming the module and flag, and
//! `GET /v1/migration/read-switches` tells the old app (or its proxy) where
//! to send each of the caller's reads. Writes are never switched here: they
//! move at the freeze window.

use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::intelligence::flags::{FlagDecision, FlagKey};
use crate::meeting::routes::MeetingRoute;
use crate::route::Route;

/// A module the legacy store held and the cutover moves as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadModule {
    /// Profiles, interests and the interest catalogue.
    Profiles,
    /// Connections and requests.
    Connections,
    /// Meetings and their participants.
    Meetings,
}

impl ReadModule {
    pub const ALL: [ReadModule; 3] = [
        ReadModule::Profiles,
        ReadModule::Connections,
        ReadModule::Meetings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReadModule::Profiles => "profiles",
            ReadModule::Connections => "connections",
            ReadModule::Meetings => "meetings",
        }
    }

    /// The flag that switches this module's reads (L1).
    pub fn flag(self) -> FlagKey {
        match self {
            ReadModule::Profiles => FlagKey::ReadProfiles,
            ReadModule::Connections => FlagKey::ReadConnections,
            ReadModule::Meetings => FlagKey::ReadMeetings,
        }
    }

    /// The module a route reads, if it reads data the legacy store also
    /// holds (L3). Only reads of migrated data are switched: writes, the
    /// new app's own features (prompts, insights, matching, the room) and
    /// anything without a legacy counterpart are not.
    pub fn of_route(route: &Route) -> Option<ReadModule> {
        match route {
            Route::MyProfile | Route::UserProfile { .. } | Route::Interests => {
                Some(ReadModule::Profiles)
            }
            Route::Connections => Some(ReadModule::Connections),
            Route::Meeting(
                MeetingRoute::List
                | MeetingRoute::Get { .. }
                | MeetingRoute::ListParticipants { .. },
            ) => Some(ReadModule::Meetings),
            _ => None,
        }
    }
}

/// Where one caller's reads of one module go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadSource {
    /// This API (D1).
    D1,
    /// The old backend, until the module's flag reaches this caller.
    Legacy,
}

impl ReadSource {
    pub fn of(decision: FlagDecision) -> ReadSource {
        if decision.on {
            ReadSource::D1
        } else {
            ReadSource::Legacy
        }
    }
}

/// L2: a read of `module` with the caller's flag `decision` is served only
/// when the flag is on for them; otherwise `READS_ON_LEGACY` names the
/// module and the flag so the client (or the old app's proxy) can retry
/// against the old backend.
pub fn gate(module: ReadModule, decision: FlagDecision) -> Result<(), ApiError> {
    match ReadSource::of(decision) {
        ReadSource::D1 => Ok(()),
        ReadSource::Legacy => Err(ApiError::new(
            ErrorCode::ReadsOnLegacy,
            format!(
                "{} are still read from the legacy backend during the migration",
                module.as_str()
            ),
        )
        .with_details(serde_json::json!({
            "module": module.as_str(),
            "flag": module.flag().as_str(),
        }))),
    }
}

/// One line of `GET /v1/migration/read-switches`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwitchView {
    pub module: ReadModule,
    pub flag: &'static str,
    pub source: ReadSource,
    #[serde(flatten)]
    pub decision: FlagDecision,
}

/// The caller's switches, one per module, from the decisions of their flags.
pub fn switches(decide: impl Fn(FlagKey) -> FlagDecision) -> Vec<SwitchView> {
    ReadModule::ALL
        .into_iter()
        .map(|module| {
            let decision = decide(module.flag());
            SwitchView {
                module,
                flag: module.flag().as_str(),
                source: ReadSource::of(decision),
                decision,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::flags::{evaluate, FlagRow};
    use crate::route::{match_route, RouteMatch};

    fn route(method: &str, path: &str) -> Route {
        match match_route(method, path) {
            RouteMatch::Found(m) => m.route,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn l1_read_switches_default_on_so_a_store_that_never_imported_reads_d1() {
        for module in ReadModule::ALL {
            assert!(evaluate(module.flag(), None, None, "user_1").on);
            assert_eq!(FlagKey::parse(module.flag().as_str()), Some(module.flag()));
        }
    }

    #[test]
    fn l1_an_off_row_sends_reads_to_legacy_and_a_rollout_splits_by_user() {
        let off = FlagRow {
            key: "migration.read.profiles".into(),
            enabled: false,
            rollout_percentage: 100,
            value: serde_json::Value::Bool(true),
        };
        let d = evaluate(FlagKey::ReadProfiles, Some(&off), None, "user_1");
        assert_eq!(ReadSource::of(d), ReadSource::Legacy);
        let half = FlagRow {
            enabled: true,
            rollout_percentage: 50,
            ..off
        };
        let sources: Vec<ReadSource> = (0..200)
            .map(|i| {
                let d = evaluate(FlagKey::ReadProfiles, Some(&half), None, &format!("u{i}"));
                ReadSource::of(d)
            })
            .collect();
        assert!(sources.contains(&ReadSource::D1));
        assert!(sources.contains(&ReadSource::Legacy));
        // The same user always lands on the same side.
        let again = evaluate(FlagKey::ReadProfiles, Some(&half), None, "u7");
        assert_eq!(ReadSource::of(again), sources[7]);
    }

    #[test]
    fn l2_a_legacy_read_is_refused_with_the_module_and_flag() {
        let d = FlagDecision {
            on: false,
            reason: crate::intelligence::flags::FlagReason::Disabled,
        };
        let err = gate(ReadModule::Connections, d).unwrap_err();
        assert_eq!(err.status(), 409);
        let body = err.body();
        assert_eq!(body["error"]["code"], "READS_ON_LEGACY");
        assert_eq!(body["error"]["details"]["module"], "connections");
        assert_eq!(
            body["error"]["details"]["flag"],
            "migration.read.connections"
        );
        let on = FlagDecision { on: true, ..d };
        assert!(gate(ReadModule::Connections, on).is_ok());
    }

    #[test]
    fn l3_only_reads_of_migrated_data_are_switched() {
        let switched = [
            ("GET", "/v1/me/profile", ReadModule::Profiles),
            ("GET", "/v1/users/u1/profile", ReadModule::Profiles),
            ("GET", "/v1/interests", ReadModule::Profiles),
            ("GET", "/v1/connections", ReadModule::Connections),
            ("GET", "/v1/meetings", ReadModule::Meetings),
            ("GET", "/v1/meetings/mtg_1", ReadModule::Meetings),
            (
                "GET",
                "/v1/meetings/mtg_1/participants",
                ReadModule::Meetings,
            ),
        ];
        for (method, path, module) in switched {
            assert_eq!(
                ReadModule::of_route(&route(method, path)),
                Some(module),
                "{path}"
            );
        }
        let not_switched = [
            ("PUT", "/v1/me/profile"),
            ("POST", "/v1/connections"),
            ("POST", "/v1/meetings"),
            ("GET", "/v1/meetings/mtg_1/prompts"),
            ("GET", "/v1/meetings/mtg_1/transcript"),
            ("GET", "/v1/me"),
            ("GET", "/v1/matching/queue"),
        ];
        for (method, path) in not_switched {
            assert_eq!(
                ReadModule::of_route(&route(method, path)),
                None,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn switches_list_every_module_with_its_source() {
        let views = switches(|key| FlagDecision {
            on: key != FlagKey::ReadMeetings,
            reason: crate::intelligence::flags::FlagReason::Default,
        });
        assert_eq!(views.len(), ReadModule::ALL.len());
        let meetings = views
            .iter()
            .find(|v| v.module == ReadModule::Meetings)
            .unwrap();
        assert_eq!(meetings.source, ReadSource::Legacy);
        assert_eq!(meetings.flag, "migration.read.meetings");
        let json = serde_json::to_value(&views[0]).unwrap();
        assert_eq!(json["module"], "profiles");
        assert_eq!(json["source"], "d1");
        assert_eq!(json["reason"], "default");
    }
}

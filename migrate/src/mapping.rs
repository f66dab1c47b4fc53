//! Applies the mapping (`spec::TABLES`) to one legacy row: the new row to
//! write, or why it cannot be written. Pure: the ids of already-imported
//! parents come in through [`Refs`], the row as text.

use crate::convert;
use crate::spec::{Rule, TableSpec};
use crate::value::{col, LegacyRow, Val};

/// Where a legacy id stands in the id map.
#[derive(Debug, Clone, PartialEq)]
pub enum Ref {
    /// Imported (or merged into) this new id.
    Mapped(String),
    /// Known to the map but not written (flagged): its dependents are flagged too.
    Flagged,
    /// Not in the map.
    Unknown,
}

/// The id map as the mapping needs it.
pub trait Refs {
    /// A legacy user: its new id, and whether it was merged into another account.
    fn user(&self, legacy_id: &str) -> (Ref, bool);
    fn meeting(&self, legacy_id: &str) -> Ref;
    fn interest(&self, legacy_id: &str) -> Ref;
}

/// A reason a row is flagged in the report (`legacy_import_issues.kind`).
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: &'static str,
    pub detail: String,
}

impl Issue {
    pub fn new(kind: &'static str, detail: impl Into<String>) -> Issue {
        Issue {
            kind,
            detail: detail.into(),
        }
    }
}

/// What to do with one legacy row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowPlan {
    /// Write this row (`cols` in the spec's order, without a NextSeq column).
    /// `issue` flags a row that is written all the same (a user without a
    /// WorkOS identity, under its provisional id).
    Write {
        cols: Vec<(&'static str, Val)>,
        issue: Option<Issue>,
        detail: Option<String>,
        /// A key column points at a merged duplicate account: on a key
        /// collision, the oldest account's own row wins.
        via_merged: bool,
    },
    /// A duplicate account folded into `into` (the new user id): nothing
    /// written, the id map points its dependents at `into`.
    Merged { into: String, issue: Issue },
    /// Not written; listed in the report and kept in legacy_import_issues.
    Flagged(Issue),
    /// A parent exists in the old store but is not imported yet (a sync
    /// race): stop here and retry on the next pass.
    Defer(String),
}

/// The identity the reconciliation decided for a legacy user.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// Matched a WorkOS user: the new id.
    WorkOs(String),
    /// No WorkOS user has this email: imported under a provisional id.
    Provisional(String),
    /// Same folded email as an older account (`canonical`, the legacy id),
    /// whose new id is `into`.
    MergedInto { canonical: String, into: String },
}

/// Maps one row of `spec` (its own legacy key in `key`). `identity` is
/// required for users and ignored elsewhere.
pub fn map_row(
    spec: &TableSpec,
    row: &LegacyRow,
    key: &str,
    refs: &dyn Refs,
    identity: Option<&Identity>,
) -> RowPlan {
    match map_fields(spec, row, key, refs, identity) {
        Ok(plan) => plan,
        Err(Stop::Flag(issue)) => RowPlan::Flagged(issue),
        Err(Stop::Defer(why)) => RowPlan::Defer(why),
    }
}

enum Stop {
    Flag(Issue),
    Defer(String),
}

fn violation(spec: &TableSpec, column: &str, why: String) -> Stop {
    Stop::Flag(Issue::new(
        "schema_violation",
        format!("{}.{column}: {why}", spec.target),
    ))
}

fn required<'a>(spec: &TableSpec, row: &'a LegacyRow, column: &str) -> Result<&'a str, Stop> {
    col(row, column).ok_or_else(|| {
        violation(
            spec,
            column,
            "NULL where the new store needs a value".into(),
        )
    })
}

fn millis(spec: &TableSpec, row: &LegacyRow, column: &str) -> Result<Option<i64>, Stop> {
    col(row, column)
        .map(|t| convert::timestamp_ms(t).map_err(|e| violation(spec, column, e)))
        .transpose()
}

/// Resolves a reference to a parent. A parent missing from the map is an
/// orphan when the old store has no such row either (`<column>_exists` is
/// false), else it is not imported yet.
fn parent(
    spec: &TableSpec,
    row: &LegacyRow,
    column: &str,
    found: Ref,
    what: &str,
) -> Result<String, Stop> {
    let id = col(row, column).unwrap_or_default();
    match found {
        Ref::Mapped(new) => Ok(new),
        Ref::Flagged => Err(Stop::Flag(Issue::new(
            "parent_flagged",
            format!("{}.{column} → {what} {id}, which is flagged", spec.legacy),
        ))),
        Ref::Unknown => {
            let exists = col(row, &format!("{column}_exists")).map(|v| v == "true" || v == "t");
            if exists == Some(false) {
                Err(Stop::Flag(Issue::new(
                    "orphan",
                    format!(
                        "{}.{column} → {what} {id}, which does not exist (deleted)",
                        spec.legacy
                    ),
                )))
            } else {
                Err(Stop::Defer(format!("{what} {id} not imported yet")))
            }
        }
    }
}

fn map_fields(
    spec: &TableSpec,
    row: &LegacyRow,
    key: &str,
    refs: &dyn Refs,
    identity: Option<&Identity>,
) -> Result<RowPlan, Stop> {
    let mut issue = None;
    let mut detail = None;
    if spec.legacy == "users" {
        match identity {
            Some(Identity::MergedInto { canonical, into }) => {
                return Ok(RowPlan::Merged {
                    into: into.clone(),
                    issue: Issue::new(
                        "duplicate_email",
                        format!(
                        "same email as legacy user {canonical} (case-folded); merged into {into}"
                    ),
                    ),
                })
            }
            Some(Identity::Provisional(id)) => {
                issue = Some(Issue::new(
                    "no_workos_identity",
                    format!("no WorkOS user with this email; imported as {id}"),
                ));
            }
            Some(Identity::WorkOs(_)) => {}
            None => return Err(Stop::Defer(format!("no identity decided for user {key}"))),
        }
        detail =
            col(row, "auth_id").map(|a| serde_json::json!({ "supabase_auth_id": a }).to_string());
    }
    if spec.legacy == "profiles" {
        let user = col(row, "user_id").unwrap_or_default();
        if let (_, true) = refs.user(user) {
            return Err(Stop::Flag(Issue::new(
                "merged_account_profile",
                format!("profile of legacy user {user}, merged into another account that keeps its own profile"),
            )));
        }
    }

    let mut via_merged = false;
    let mut cols = Vec::with_capacity(spec.fields.len());
    for field in spec.fields {
        let from = field.from;
        let v = match field.rule {
            Rule::NextSeq => continue,
            Rule::Copy => Val::opt_text(col(row, from)),
            Rule::Millis => Val::Int(
                millis(spec, row, from)?
                    .ok_or_else(|| violation(spec, field.target, format!("{from} is NULL")))?,
            ),
            Rule::MillisOrNull => Val::opt_int(millis(spec, row, from)?),
            Rule::Email => Val::text(convert::fold_email(required(spec, row, from)?)),
            Rule::User | Rule::UserOrNull => match col(row, from) {
                None if field.rule == Rule::UserOrNull => Val::Null,
                None => return Err(violation(spec, field.target, format!("{from} is NULL"))),
                Some(id) => {
                    let (found, merged) = refs.user(id);
                    via_merged |= merged && spec.target_key.contains(&field.target);
                    Val::Text(parent(spec, row, from, found, "user")?)
                }
            },
            Rule::Meeting => {
                let id = required(spec, row, from)?;
                Val::Text(parent(spec, row, from, refs.meeting(id), "meeting")?)
            }
            Rule::Interest => {
                let id = required(spec, row, from)?;
                Val::Text(parent(spec, row, from, refs.interest(id), "interest")?)
            }
            Rule::Enum(table) => {
                let old = required(spec, row, from)?;
                Val::text(convert::map_enum(table, old).ok_or_else(|| {
                    violation(spec, field.target, format!("unknown {from} value {old:?}"))
                })?)
            }
            Rule::JsonArray => Val::Text(
                convert::json_array(col(row, from).unwrap_or("[]"))
                    .map_err(|e| violation(spec, field.target, e))?,
            ),
            Rule::ConstText(c) => Val::text(c),
            Rule::ConstInt(n) => Val::Int(n),
            Rule::Derived(_) => derived(spec, field.target, row, identity, refs, &cols)?,
        };
        cols.push((field.target, v));
    }
    if via_merged {
        detail = Some(serde_json::json!({ "via_merged_account": true }).to_string());
    }
    Ok(RowPlan::Write {
        cols,
        issue,
        detail,
        via_merged,
    })
}

fn get<'a>(cols: &'a [(&'static str, Val)], name: &str) -> &'a Val {
    cols.iter()
        .find(|(c, _)| *c == name)
        .map_or(&Val::Null, |(_, v)| v)
}

/// The `Rule::Derived` columns, one arm per (table, column).
fn derived(
    spec: &TableSpec,
    target: &str,
    row: &LegacyRow,
    identity: Option<&Identity>,
    refs: &dyn Refs,
    done: &[(&'static str, Val)],
) -> Result<Val, Stop> {
    let text = |c: &str| col(row, c);
    Ok(match (spec.target, target) {
        ("users", "id") => match identity {
            Some(Identity::WorkOs(id) | Identity::Provisional(id)) => Val::text(id.clone()),
            _ => return Err(Stop::Defer("no identity".into())),
        },
        ("users", "is_active") => Val::Int(i64::from(text("deleted_at").is_none())),
        ("interests", "key") => {
            let key = convert::interest_key(required(spec, row, "name")?);
            if key.is_empty() {
                return Err(violation(
                    spec,
                    "key",
                    "the name has no letters or digits".into(),
                ));
            }
            Val::Text(key)
        }
        ("interests", "category") => Val::text(text("category").unwrap_or("general")),
        ("profiles", "user_id") => {
            let id = required(spec, row, "user_id")?;
            Val::Text(parent(spec, row, "user_id", refs.user(id).0, "user")?)
        }
        ("profiles", "display_name") => {
            match (text("user_full_name").map(str::trim), text("user_email")) {
                (Some(n), _) if !n.is_empty() => Val::text(n),
                (_, Some(email)) => Val::Text(convert::name_from_email(email)),
                _ => {
                    return Err(violation(
                        spec,
                        "display_name",
                        "the user has neither full_name nor email".into(),
                    ))
                }
            }
        }
        ("profiles", "experience") => match (text("job_title"), text("company")) {
            (Some(j), Some(c)) => Val::Text(format!("{j} at {c}")),
            (Some(x), None) | (None, Some(x)) => Val::text(x),
            (None, None) => Val::Null,
        },
        ("connections", "blocked_by") => match get(done, "status").as_text() {
            Some("blocked") => get(done, "addressee_id").clone(),
            _ => Val::Null,
        },
        ("connections", "responded_at") => match get(done, "status").as_text() {
            Some("pending") => Val::Null,
            // updated_at comes later in the field order: read it from the row.
            _ => Val::opt_int(millis(spec, row, "updated_at")?),
        },
        ("meetings", "scheduled_at") => {
            let t = millis(spec, row, "scheduled_at")?
                .or(millis(spec, row, "started_at")?)
                .or(millis(spec, row, "created_at")?);
            Val::Int(t.ok_or_else(|| {
                violation(
                    spec,
                    "scheduled_at",
                    "no scheduled, start or creation time".into(),
                )
            })?)
        }
        ("meetings", "started_at") => {
            let state = get(done, "state").as_text().unwrap_or_default();
            match millis(spec, row, "started_at")? {
                Some(t) => Val::Int(t),
                None if matches!(state, "active" | "concluded") => {
                    get(done, "scheduled_at").clone()
                }
                None => Val::Null,
            }
        }
        ("meetings", "concluded_at") => match get(done, "state").as_text() {
            Some("concluded") => {
                Val::opt_int(millis(spec, row, "ended_at")?.or(millis(spec, row, "updated_at")?))
            }
            _ => Val::Null,
        },
        ("meetings", "cancelled_at") => match get(done, "state").as_text() {
            Some("cancelled") => Val::opt_int(millis(spec, row, "updated_at")?),
            _ => Val::Null,
        },
        ("meetings", "stream_call_type") => match text("stream_room_id") {
            Some(_) => Val::text("default"),
            None => Val::Null,
        },
        ("meetings", "stream_call_cid") => match text("stream_room_id") {
            Some(id) => Val::Text(format!("default:{id}")),
            None => Val::Null,
        },
        ("meetings", "provisioning_status") => Val::text(
            match (text("stream_room_id"), get(done, "state").as_text()) {
                (Some(_), _) => "ready",
                (None, Some("scheduled")) => "pending",
                (None, _) => "failed",
            },
        ),
        ("meetings", "provisioning_error") => match get(done, "provisioning_status").as_text() {
            Some("failed") => Val::text("legacy meeting without a Stream call"),
            _ => Val::Null,
        },
        ("meeting_participants", "presence") => {
            Val::text(match (text("joined_at"), text("left_at")) {
                (_, Some(_)) => "left",
                (Some(_), None) => "joined",
                (None, None) => "invited",
            })
        }
        (table, column) => {
            unreachable!("no derivation for {table}.{column}: add an arm to mapping::derived")
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::spec::{table, TABLES};

    /// An id map for tests: users (with a merged flag), meetings, interests.
    #[derive(Default)]
    struct Map {
        users: HashMap<&'static str, (Ref, bool)>,
        meetings: HashMap<&'static str, Ref>,
    }

    impl Refs for Map {
        fn user(&self, id: &str) -> (Ref, bool) {
            self.users.get(id).cloned().unwrap_or((Ref::Unknown, false))
        }
        fn meeting(&self, id: &str) -> Ref {
            self.meetings.get(id).cloned().unwrap_or(Ref::Unknown)
        }
        fn interest(&self, _: &str) -> Ref {
            Ref::Unknown
        }
    }

    fn row(cols: &[(&str, &str)]) -> LegacyRow {
        cols.iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect()
    }

    fn written(plan: RowPlan) -> Vec<(&'static str, Val)> {
        match plan {
            RowPlan::Write { cols, .. } => cols,
            other => panic!("expected a write, got {other:?}"),
        }
    }

    fn get(cols: &[(&'static str, Val)], name: &str) -> Val {
        super::get(cols, name).clone()
    }

    const T0: &str = "2024-03-01 09:31:00+00";
    const T0_MS: i64 = 1_709_285_460_000;

    #[test]
    fn a_user_takes_its_workos_id_and_a_folded_email() {
        let r = row(&[
            ("email", " Ana@Example.com"),
            ("full_name", "Ana"),
            ("created_at", T0),
            ("updated_at", T0),
            ("auth_id", "a1"),
        ]);
        let plan = map_row(
            table("users").unwrap(),
            &r,
            "u1",
            &Map::default(),
            Some(&Identity::WorkOs("user_A".into())),
        );
        let RowPlan::Write {
            cols,
            issue,
            detail,
            ..
        } = plan
        else {
            panic!()
        };
        assert_eq!(get(&cols, "id"), Val::text("user_A"));
        assert_eq!(get(&cols, "email"), Val::text("ana@example.com"));
        assert_eq!(get(&cols, "is_active"), Val::Int(1));
        assert_eq!(get(&cols, "created_at"), Val::Int(T0_MS));
        assert_eq!(issue, None);
        assert_eq!(detail.as_deref(), Some(r#"{"supabase_auth_id":"a1"}"#));
    }

    #[test]
    fn a_user_without_workos_identity_is_written_and_flagged_and_a_duplicate_is_merged() {
        let r = row(&[
            ("email", "c@x.io"),
            ("created_at", T0),
            ("updated_at", T0),
            ("deleted_at", T0),
        ]);
        let spec = table("users").unwrap();
        let RowPlan::Write { cols, issue, .. } = map_row(
            spec,
            &r,
            "u4",
            &Map::default(),
            Some(&Identity::Provisional("legacy_u4".into())),
        ) else {
            panic!()
        };
        assert_eq!(get(&cols, "id"), Val::text("legacy_u4"));
        assert_eq!(get(&cols, "is_active"), Val::Int(0));
        assert_eq!(issue.unwrap().kind, "no_workos_identity");
        let merged = map_row(
            spec,
            &r,
            "u2",
            &Map::default(),
            Some(&Identity::MergedInto {
                canonical: "u1".into(),
                into: "user_A".into(),
            }),
        );
        assert!(
            matches!(merged, RowPlan::Merged { ref into, ref issue } if into == "user_A" && issue.kind == "duplicate_email")
        );
    }

    #[test]
    fn a_participant_of_a_deleted_meeting_is_an_orphan_but_one_of_a_pending_meeting_waits() {
        let spec = table("meeting_participants").unwrap();
        let mut map = Map::default();
        map.users
            .insert("u1", (Ref::Mapped("user_A".into()), false));
        let mut r = row(&[
            ("meeting_id", "m9"),
            ("user_id", "u1"),
            ("role", "guest"),
            ("created_at", T0),
            ("updated_at", T0),
            ("meeting_id_exists", "false"),
        ]);
        assert!(matches!(
            map_row(spec, &r, "p", &map, None),
            RowPlan::Flagged(Issue { kind: "orphan", .. })
        ));
        r.insert("meeting_id_exists".into(), Some("true".into()));
        assert!(matches!(
            map_row(spec, &r, "p", &map, None),
            RowPlan::Defer(_)
        ));
        map.meetings.insert("m9", Ref::Mapped("m9".into()));
        let cols = written(map_row(spec, &r, "p", &map, None));
        assert_eq!(get(&cols, "role"), Val::text("participant"));
        assert_eq!(get(&cols, "presence"), Val::text("invited"));
        map.meetings.insert("m9", Ref::Flagged);
        assert!(matches!(
            map_row(spec, &r, "p", &map, None),
            RowPlan::Flagged(Issue {
                kind: "parent_flagged",
                ..
            })
        ));
    }

    #[test]
    fn meetings_get_the_state_times_the_new_checks_require() {
        let spec = table("meetings").unwrap();
        let map = Map::default();
        // live without a start time: started_at falls back to the scheduled time.
        let live = row(&[
            ("id", "m1"),
            ("title", "t"),
            ("status", "live"),
            ("scheduled_at", T0),
            ("stream_room_id", "r1"),
            ("created_at", T0),
            ("updated_at", T0),
        ]);
        let cols = written(map_row(spec, &live, "m1", &map, None));
        assert_eq!(get(&cols, "state"), Val::text("active"));
        assert_eq!(get(&cols, "started_at"), Val::Int(T0_MS));
        assert_eq!(get(&cols, "stream_call_cid"), Val::text("default:r1"));
        assert_eq!(get(&cols, "provisioning_status"), Val::text("ready"));
        assert_eq!(get(&cols, "organizer_id"), Val::Null);
        // ended without ended_at and without a room: concluded at updated_at, provisioning failed.
        let ended = row(&[
            ("id", "m2"),
            ("title", "t"),
            ("status", "ended"),
            ("started_at", T0),
            ("created_at", T0),
            ("updated_at", "2024-03-01 10:00:00+00"),
        ]);
        let cols = written(map_row(spec, &ended, "m2", &map, None));
        assert_eq!(get(&cols, "concluded_at"), Val::Int(T0_MS + 29 * 60_000));
        assert_eq!(get(&cols, "scheduled_at"), Val::Int(T0_MS));
        assert_eq!(get(&cols, "provisioning_status"), Val::text("failed"));
        assert_eq!(get(&cols, "stream_call_type"), Val::Null);
        // scheduled without a time or room: created_at, pending provisioning.
        let sched = row(&[
            ("id", "m3"),
            ("title", "t"),
            ("status", "scheduled"),
            ("created_at", T0),
            ("updated_at", T0),
        ]);
        let cols = written(map_row(spec, &sched, "m3", &map, None));
        assert_eq!(get(&cols, "scheduled_at"), Val::Int(T0_MS));
        assert_eq!(get(&cols, "provisioning_status"), Val::text("pending"));
        assert_eq!(get(&cols, "provisioning_error"), Val::Null);
    }

    #[test]
    fn connection_statuses_map_and_an_unknown_one_is_reported() {
        let spec = table("connections").unwrap();
        let mut map = Map::default();
        map.users.insert("a", (Ref::Mapped("A".into()), false));
        map.users.insert("b", (Ref::Mapped("B".into()), false));
        let mut r = row(&[
            ("id", "c"),
            ("requester_id", "a"),
            ("receiver_id", "b"),
            ("status", "blocked"),
            ("created_at", T0),
            ("updated_at", T0),
        ]);
        let cols = written(map_row(spec, &r, "c", &map, None));
        assert_eq!(get(&cols, "blocked_by"), Val::text("B"));
        assert_eq!(get(&cols, "responded_at"), Val::Int(T0_MS));
        r.insert("status".into(), Some("rejected".into()));
        assert_eq!(
            get(&written(map_row(spec, &r, "c", &map, None)), "status"),
            Val::text("declined")
        );
        r.insert("status".into(), Some("ghosted".into()));
        let RowPlan::Flagged(issue) = map_row(spec, &r, "c", &map, None) else {
            panic!()
        };
        assert_eq!(issue.kind, "schema_violation");
        assert!(issue.detail.contains("ghosted"), "{}", issue.detail);
    }

    #[test]
    fn profiles_fall_back_for_the_display_name_and_merged_accounts_profiles_are_flagged() {
        let spec = table("profiles").unwrap();
        let mut map = Map::default();
        map.users.insert("u3", (Ref::Mapped("B".into()), false));
        map.users.insert("u2", (Ref::Mapped("A".into()), true));
        let r = row(&[
            ("user_id", "u3"),
            ("user_email", "Ben@Example.com"),
            ("job_title", "PM"),
            ("skills", "[\"x\"]"),
            ("created_at", T0),
            ("updated_at", T0),
        ]);
        let cols = written(map_row(spec, &r, "p3", &map, None));
        assert_eq!(get(&cols, "display_name"), Val::text("ben"));
        assert_eq!(get(&cols, "experience"), Val::text("PM"));
        assert_eq!(get(&cols, "languages"), Val::text("[]"));
        assert_eq!(get(&cols, "roles"), Val::text("[]"));
        let mut dup = r.clone();
        dup.insert("user_id".into(), Some("u2".into()));
        assert!(matches!(
            map_row(spec, &dup, "p2", &map, None),
            RowPlan::Flagged(Issue {
                kind: "merged_account_profile",
                ..
            })
        ));
    }

    #[test]
    fn rows_through_a_merged_account_say_so_when_it_is_part_of_their_key() {
        let spec = table("user_interests").unwrap();
        struct Interests;
        impl Refs for Interests {
            fn user(&self, id: &str) -> (Ref, bool) {
                (Ref::Mapped("A".into()), id == "dup")
            }
            fn meeting(&self, _: &str) -> Ref {
                Ref::Unknown
            }
            fn interest(&self, _: &str) -> Ref {
                Ref::Mapped("ml".into())
            }
        }
        let r = row(&[
            ("user_id", "dup"),
            ("interest_id", "1"),
            ("created_at", T0),
            ("updated_at", T0),
        ]);
        assert!(matches!(
            map_row(spec, &r, "dup/1", &Interests, None),
            RowPlan::Write {
                via_merged: true,
                ..
            }
        ));
        let r = row(&[
            ("user_id", "orig"),
            ("interest_id", "1"),
            ("created_at", T0),
            ("updated_at", T0),
        ]);
        assert!(matches!(
            map_row(spec, &r, "orig/1", &Interests, None),
            RowPlan::Write {
                via_merged: false,
                ..
            }
        ));
    }

    #[test]
    fn every_mapped_column_exists_in_the_d1_schema() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            conn.execute_batch(&std::fs::read_to_string(&f).unwrap())
                .unwrap();
        }
        for spec in TABLES {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    spec.target
                ))
                .unwrap();
            let have: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .flatten()
                .collect();
            for c in spec.target_columns() {
                assert!(
                    have.iter().any(|h| h == c),
                    "{}.{c} is mapped but D1 has no such column",
                    spec.target
                );
            }
        }
    }
}

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
            _ => get(done, "updated_at").clone(),
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

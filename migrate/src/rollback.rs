//! The rollback's replay (requirement 17.4, rule L5; docs/migration.md
//! "Rollback"): what the new store changed since the cutover `T`, written
//! back to the old store through the reverse of the mapping, so reopening
//! the old app loses no write made in the new one.
//!
//! Pure: one changed D1 row → one upsert of the old row ([`reverse_row`],
//! [`upsert_sql`]), the old-store delete for a row gone from D1
//! ([`delete_sql`]), and the old id of a row the new app created
//! ([`minted_uuid`]: derived from its new key, so a repeated rollback
//! writes the same row, never a second one). The runner
//! (`commands::rollback`) reads D1, applies the statements in one
//! PostgreSQL transaction, then records the minted ids in `legacy_id_map`.
//!
//! The reverse is lossy where the new model is richer, and says so (a
//! note per row): cohosts and observers become `guest`, a connection
//! blocked by its requester is still `blocked` (the old app had no
//! `blocked_by`), and the new app's own tables (notes, transcripts,
//! prompts, insights…) have no old counterpart and are not replayed.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::spec::{TableSpec, CONNECTION_STATUS, MEETING_STATE};
use crate::value::Val;

/// A D1 row by column name.
pub type NewRow = BTreeMap<&'static str, Val>;

/// Old ids of new keys (the id map, plus what this rollback minted).
pub trait Lookup {
    /// The old id of the row with `new_key` in the old table `legacy_table`.
    fn legacy_id(&self, legacy_table: &str, new_key: &str) -> Option<String>;
}

/// How a text parameter becomes the old column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    Text,
    Uuid,
    Int,
    /// unix ms → `timestamptz`.
    Millis,
    /// unix ms → a naive `timestamp` in UTC (messages.created_at).
    MillisNaive,
    /// a JSON array → `text[]`.
    TextArray,
    /// a PostgreSQL enum type.
    Enum(&'static str),
}

impl Cast {
    /// The SQL expression of parameter `$n` (always sent as text).
    pub fn expr(self, n: usize) -> String {
        let p = format!("${n}::text");
        match self {
            Cast::Text => p,
            Cast::Uuid => format!("{p}::uuid"),
            Cast::Int => format!("{p}::integer"),
            Cast::Millis => format!("to_timestamp({p}::bigint / 1000.0)"),
            Cast::MillisNaive => {
                format!("(to_timestamp({p}::bigint / 1000.0) AT TIME ZONE 'UTC')")
            }
            Cast::TextArray => format!(
                "COALESCE(ARRAY(SELECT jsonb_array_elements_text({p}::jsonb)), '{{}}'::text[])"
            ),
            Cast::Enum(t) => format!("{p}::{t}"),
        }
    }
}

/// One old column's new value.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub column: &'static str,
    pub value: Option<String>,
    pub cast: Cast,
}

/// The old row one changed D1 row becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyWrite {
    pub legacy_table: &'static str,
    /// The row's key as `legacy_id_map.legacy_id` holds it.
    pub legacy_id: String,
    /// The D1 key (parts joined with '/').
    pub new_key: String,
    /// True when the row was created in the new store (no old id yet).
    pub minted: bool,
    pub params: Vec<Param>,
    /// The old table's key columns (ON CONFLICT).
    pub conflict: &'static [&'static str],
    /// What the old model cannot hold.
    pub notes: Vec<String>,
}

/// Which D1 column says a row changed after `T`.
pub fn changed_column(spec: &TableSpec) -> Option<&'static str> {
    match spec.legacy {
        // The catalogue is reference data: an interest goes back only when
        // a replayed user_interests row needs it (the runner inserts it).
        "interests" => None,
        "user_interests" | "messages" => Some("created_at"),
        _ => Some("updated_at"),
    }
}

/// A stable old id for a row the new app created: a version-4-shaped UUID
/// from the SHA-256 of its table and new key.
pub fn minted_uuid(legacy_table: &str, new_key: &str) -> String {
    let d = Sha256::digest(format!("connvo-rollback:{legacy_table}:{new_key}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A D1 value as the text the old store is sent (None for NULL).
pub fn val_text(v: &Val) -> Option<String> {
    match v {
        Val::Text(s) => Some(s.clone()),
        Val::Int(n) => Some(n.to_string()),
        Val::Real(f) => Some(f.to_string()),
        Val::Null => None,
    }
}

fn text(row: &NewRow, col: &str) -> Option<String> {
    row.get(col).and_then(val_text)
}

fn p(column: &'static str, value: Option<String>, cast: Cast) -> Param {
    Param {
        column,
        value,
        cast,
    }
}

/// The old value of a new enum value (the forward table read right to left).
fn unmap(table: &[(&'static str, &'static str)], new: &str) -> Option<&'static str> {
    table.iter().find(|(_, n)| *n == new).map(|(o, _)| *o)
}

/// The D1 key of a row (the spec's key columns joined with '/').
pub fn new_key(spec: &TableSpec, row: &NewRow) -> String {
    spec.target_key
        .iter()
        .map(|k| text(row, k).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("/")
}

/// The old row for a changed D1 row. Errors name a reference the old store
/// does not have (the runner replays parents first, so this means a
/// parent the rollback could not write).
pub fn reverse_row(
    spec: &TableSpec,
    row: &NewRow,
    lookup: &dyn Lookup,
) -> Result<LegacyWrite, String> {
    let key = new_key(spec, row);
    let user = |col: &str| -> Result<Option<String>, String> {
        match text(row, col) {
            None => Ok(None),
            Some(id) => lookup
                .legacy_id("users", &id)
                .map(Some)
                .ok_or_else(|| format!("{}.{col}: user {id} is not in the old store", spec.target)),
        }
    };
    let meeting = || -> Result<String, String> {
        let id = text(row, "meeting_id")
            .ok_or_else(|| format!("{}: meeting_id is missing", spec.target))?;
        lookup
            .legacy_id("meetings", &id)
            .ok_or_else(|| format!("{}: meeting {id} is not in the old store", spec.target))
    };
    let required = |v: Option<String>, what: &str| {
        v.ok_or_else(|| format!("{}: {what} is missing", spec.target))
    };
    let existing = lookup.legacy_id(spec.legacy, &key);
    let minted = existing.is_none();
    let id = existing
        .clone()
        .unwrap_or_else(|| minted_uuid(spec.legacy, &key));
    let mut notes = Vec::new();
    let (legacy_id, params, conflict): (String, Vec<Param>, &'static [&'static str]) = match spec
        .legacy
    {
        "users" => {
            let email = match text(row, "email") {
                Some(e) => e,
                None => {
                    notes.push("no email in the new store; the old column is NOT NULL, written as <id>@unknown.invalid".into());
                    format!("{}@unknown.invalid", text(row, "id").unwrap_or_default())
                }
            };
            if minted {
                notes.push(
                    "created in the new app: no Supabase auth id, cannot sign in to the old app"
                        .into(),
                );
            }
            (
                id.clone(),
                vec![
                    p("id", Some(id), Cast::Uuid),
                    p("email", Some(email), Cast::Text),
                    p("full_name", text(row, "display_name"), Cast::Text),
                    p("avatar_url", text(row, "avatar_url"), Cast::Text),
                    p("last_sign_in_at", text(row, "last_seen_at"), Cast::Millis),
                    p("deleted_at", text(row, "deleted_at"), Cast::Millis),
                    p("created_at", text(row, "created_at"), Cast::Millis),
                    p("updated_at", text(row, "updated_at"), Cast::Millis),
                ],
                &["id"],
            )
        }
        "profiles" => {
            let (job_title, company) = match text(row, "experience") {
                Some(e) => match e.split_once(" at ") {
                    Some((j, c)) => (Some(j.to_owned()), Some(c.to_owned())),
                    None => (Some(e), None),
                },
                None => (None, None),
            };
            (
                id.clone(),
                vec![
                    p("id", Some(id), Cast::Uuid),
                    p("user_id", user("user_id")?, Cast::Uuid),
                    p("headline", text(row, "headline"), Cast::Text),
                    p("bio", text(row, "bio"), Cast::Text),
                    p("goals", text(row, "goals"), Cast::Text),
                    p("job_title", job_title, Cast::Text),
                    p("company", company, Cast::Text),
                    p("skills", text(row, "skills"), Cast::TextArray),
                    p("languages", text(row, "languages"), Cast::TextArray),
                    p("created_at", text(row, "created_at"), Cast::Millis),
                    p("updated_at", text(row, "updated_at"), Cast::Millis),
                ],
                &["id"],
            )
        }
        "user_interests" => {
            let u = required(user("user_id")?, "user_id")?;
            let interest_key = required(text(row, "interest_key"), "interest_key")?;
            let interest = lookup
                .legacy_id("interests", &interest_key)
                .ok_or_else(|| format!("interest {interest_key} is not in the old store"))?;
            let created = text(row, "created_at");
            (
                format!("{u}/{interest}"),
                vec![
                    p("user_id", Some(u), Cast::Uuid),
                    p("interest_id", Some(interest), Cast::Int),
                    p("created_at", created.clone(), Cast::Millis),
                    p("updated_at", created, Cast::Millis),
                ],
                &["user_id", "interest_id"],
            )
        }
        "connections" => {
            let status = text(row, "status").unwrap_or_default();
            let old_status = unmap(CONNECTION_STATUS, &status)
                .ok_or_else(|| format!("connections.status {status} has no old value"))?;
            if status == "blocked" && text(row, "blocked_by") == text(row, "requester_id") {
                notes.push(
                    "blocked by the requester; the old app only knew blocks by the receiver".into(),
                );
            }
            (
                id.clone(),
                vec![
                    p("id", Some(id), Cast::Uuid),
                    p("requester_id", user("requester_id")?, Cast::Uuid),
                    p("receiver_id", user("addressee_id")?, Cast::Uuid),
                    p(
                        "status",
                        Some(old_status.to_owned()),
                        Cast::Enum("connection_status"),
                    ),
                    p("message", text(row, "message"), Cast::Text),
                    p("created_at", text(row, "created_at"), Cast::Millis),
                    p("updated_at", text(row, "updated_at"), Cast::Millis),
                ],
                &["id"],
            )
        }
        "meetings" => {
            let state = text(row, "state").unwrap_or_default();
            let status = unmap(MEETING_STATE, &state)
                .ok_or_else(|| format!("meetings.state {state} has no old value"))?;
            (
                id.clone(),
                vec![
                    p("id", Some(id), Cast::Uuid),
                    p("host_id", user("organizer_id")?, Cast::Uuid),
                    p("title", text(row, "title"), Cast::Text),
                    p("description", text(row, "description"), Cast::Text),
                    p("stream_room_id", text(row, "stream_call_id"), Cast::Text),
                    p(
                        "status",
                        Some(status.to_owned()),
                        Cast::Enum("meeting_status"),
                    ),
                    p("scheduled_at", text(row, "scheduled_at"), Cast::Millis),
                    p("started_at", text(row, "started_at"), Cast::Millis),
                    p("ended_at", text(row, "concluded_at"), Cast::Millis),
                    p("created_at", text(row, "created_at"), Cast::Millis),
                    p("updated_at", text(row, "updated_at"), Cast::Millis),
                ],
                &["id"],
            )
        }
        "meeting_participants" => {
            let old_meeting = meeting()?;
            let role = text(row, "role").unwrap_or_default();
            let old_role = match role.as_str() {
                "host" => "host",
                "participant" => "guest",
                other => {
                    notes.push(format!("role {other} has no old value; written as guest"));
                    "guest"
                }
            };
            (
                id.clone(),
                vec![
                    p("id", Some(id), Cast::Uuid),
                    p("meeting_id", Some(old_meeting), Cast::Uuid),
                    p("user_id", user("user_id")?, Cast::Uuid),
                    p(
                        "role",
                        Some(old_role.to_owned()),
                        Cast::Enum("participant_role"),
                    ),
                    p("joined_at", text(row, "joined_at"), Cast::Millis),
                    p("left_at", text(row, "left_at"), Cast::Millis),
                    p("created_at", text(row, "created_at"), Cast::Millis),
                    p("updated_at", text(row, "updated_at"), Cast::Millis),
                ],
                &["id"],
            )
        }
        "messages" => {
            let old_meeting = meeting()?;
            let created = text(row, "created_at");
            (
                id.clone(),
                vec![
                    p("id", Some(id), Cast::Uuid),
                    p("meeting_id", Some(old_meeting), Cast::Uuid),
                    p("sender_id", user("user_id")?, Cast::Uuid),
                    p("content", text(row, "content"), Cast::Text),
                    p("created_at", created.clone(), Cast::MillisNaive),
                    p("updated_at", created, Cast::Millis),
                ],
                &["id"],
            )
        }
        other => return Err(format!("no reverse mapping for {other}")),
    };
    Ok(LegacyWrite {
        legacy_table: spec.legacy,
        legacy_id,
        new_key: key,
        minted,
        params,
        conflict,
        notes,
    })
}

/// A PostgreSQL statement with its text parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct PgStmt {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// `INSERT … ON CONFLICT (key) DO UPDATE` of the old row: the new store's
/// values win (they are the newer writes).
pub fn upsert_sql(w: &LegacyWrite) -> PgStmt {
    let cols: Vec<&str> = w.params.iter().map(|p| p.column).collect();
    let values: Vec<String> = w
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| p.cast.expr(i + 1))
        .collect();
    let updates: Vec<String> = cols
        .iter()
        .filter(|c| !w.conflict.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    PgStmt {
        sql: format!(
            "INSERT INTO {t} ({cols}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {updates}",
            t = w.legacy_table,
            cols = cols.join(", "),
            values = values.join(", "),
            key = w.conflict.join(", "),
            updates = updates.join(", ")
        ),
        params: w.params.iter().map(|p| p.value.clone()).collect(),
    }
}

/// The old-store statement for a row deleted from D1 since `T`. A user is
/// soft-deleted (their history in other people's meetings stays); other
/// rows are deleted.
pub fn delete_sql(legacy_table: &str, legacy_id: &str, now_ms: i64) -> PgStmt {
    match legacy_table {
        "users" => PgStmt {
            sql: "UPDATE users SET deleted_at = COALESCE(deleted_at, to_timestamp($2::text::bigint / 1000.0)), \
                  updated_at = to_timestamp($2::text::bigint / 1000.0) WHERE id = $1::text::uuid"
                .into(),
            params: vec![Some(legacy_id.to_owned()), Some(now_ms.to_string())],
        },
        "user_interests" => {
            let (u, i) = legacy_id.split_once('/').unwrap_or((legacy_id, ""));
            PgStmt {
                sql: "DELETE FROM user_interests WHERE user_id = $1::text::uuid AND interest_id = $2::text::integer".into(),
                params: vec![Some(u.to_owned()), Some(i.to_owned())],
            }
        }
        t => PgStmt {
            sql: format!("DELETE FROM {t} WHERE id = $1::text::uuid"),
            params: vec![Some(legacy_id.to_owned())],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::table;
    use std::collections::HashMap;

    struct Map(HashMap<(String, String), String>);
    impl Lookup for Map {
        fn legacy_id(&self, t: &str, k: &str) -> Option<String> {
            self.0.get(&(t.to_owned(), k.to_owned())).cloned()
        }
    }

    fn map() -> Map {
        Map(HashMap::from([
            (("users".into(), "user_ana".into()), "u-ana".into()),
            (("users".into(), "user_ben".into()), "u-ben".into()),
            (("meetings".into(), "m-1".into()), "m-1".into()),
            (("interests".into(), "golf".into()), "7".into()),
        ]))
    }

    fn row(pairs: &[(&'static str, Val)]) -> NewRow {
        pairs.iter().cloned().collect()
    }

    #[test]
    fn l5_minted_ids_are_stable_uuids() {
        let a = minted_uuid("meetings", "mtg_1");
        assert_eq!(a, minted_uuid("meetings", "mtg_1"));
        assert_ne!(a, minted_uuid("meetings", "mtg_2"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn l5_a_new_meeting_goes_back_with_old_enums_and_a_minted_id() {
        let spec = table("meetings").unwrap();
        let w = reverse_row(
            spec,
            &row(&[
                ("id", Val::text("mtg_new")),
                ("organizer_id", Val::text("user_ana")),
                ("title", Val::text("Retro")),
                ("state", Val::text("concluded")),
                ("scheduled_at", Val::Int(1_000)),
                ("concluded_at", Val::Int(2_000)),
                ("stream_call_id", Val::text("call-1")),
                ("created_at", Val::Int(900)),
                ("updated_at", Val::Int(2_000)),
            ]),
            &map(),
        )
        .unwrap();
        assert!(w.minted);
        assert_eq!(w.legacy_id, minted_uuid("meetings", "mtg_new"));
        let get = |c: &str| {
            w.params
                .iter()
                .find(|p| p.column == c)
                .unwrap()
                .value
                .clone()
        };
        assert_eq!(get("status").as_deref(), Some("ended"));
        assert_eq!(get("host_id").as_deref(), Some("u-ana"));
        assert_eq!(get("ended_at").as_deref(), Some("2000"));
        assert_eq!(get("stream_room_id").as_deref(), Some("call-1"));
        let sql = upsert_sql(&w);
        assert!(sql.sql.starts_with("INSERT INTO meetings (id, host_id"));
        assert!(sql.sql.contains("$6::text::meeting_status"));
        assert!(sql
            .sql
            .contains("ON CONFLICT (id) DO UPDATE SET host_id = excluded.host_id"));
        assert!(!sql.sql.contains("id = excluded.id,"));
        assert_eq!(sql.params.len(), w.params.len());
    }

    #[test]
    fn l5_lossy_values_are_noted_and_missing_parents_refused() {
        let spec = table("meeting_participants").unwrap();
        let w = reverse_row(
            spec,
            &row(&[
                ("meeting_id", Val::text("m-1")),
                ("user_id", Val::text("user_ben")),
                ("role", Val::text("cohost")),
                ("created_at", Val::Int(1)),
                ("updated_at", Val::Int(2)),
            ]),
            &map(),
        )
        .unwrap();
        assert_eq!(w.new_key, "m-1/user_ben");
        assert!(w.notes[0].contains("cohost"));
        let err = reverse_row(
            spec,
            &row(&[
                ("meeting_id", Val::text("m-1")),
                ("user_id", Val::text("user_zed")),
                ("role", Val::text("host")),
            ]),
            &map(),
        )
        .unwrap_err();
        assert!(err.contains("user_zed"), "{err}");
    }

    #[test]
    fn l5_profiles_split_experience_and_interests_use_the_old_serial() {
        let w = reverse_row(
            table("profiles").unwrap(),
            &row(&[
                ("user_id", Val::text("user_ana")),
                ("experience", Val::text("Engineer at Acme")),
                ("skills", Val::text("[\"rust\"]")),
                ("languages", Val::text("[]")),
                ("created_at", Val::Int(1)),
                ("updated_at", Val::Int(2)),
            ]),
            &map(),
        )
        .unwrap();
        let get = |c: &str| {
            w.params
                .iter()
                .find(|p| p.column == c)
                .unwrap()
                .value
                .clone()
        };
        assert_eq!(get("job_title").as_deref(), Some("Engineer"));
        assert_eq!(get("company").as_deref(), Some("Acme"));
        let ui = reverse_row(
            table("user_interests").unwrap(),
            &row(&[
                ("user_id", Val::text("user_ana")),
                ("interest_key", Val::text("golf")),
                ("created_at", Val::Int(5)),
            ]),
            &map(),
        )
        .unwrap();
        assert_eq!(ui.legacy_id, "u-ana/7");
        assert_eq!(ui.conflict, &["user_id", "interest_id"]);
    }

    #[test]
    fn l5_deleted_users_are_soft_deleted_and_other_rows_removed() {
        assert!(delete_sql("users", "u", 5)
            .sql
            .starts_with("UPDATE users SET deleted_at"));
        let d = delete_sql("user_interests", "u/7", 5);
        assert_eq!(d.params, vec![Some("u".to_owned()), Some("7".to_owned())]);
        assert!(delete_sql("messages", "x", 5)
            .sql
            .starts_with("DELETE FROM messages"));
    }
}

//! The statements one legacy row turns into, and the bookkeeping written in
//! the same atomic batch (id map, issues, checkpoint). Pure: the statements
//! are built from the spec's column lists (never listed by hand), and the
//! choice between insert, update, re-key and conflict is [`write_kind`].

use crate::cursor::Cursor;
use crate::mapping::Issue;
use crate::spec::{Rule, TableSpec};
use crate::value::Val;

/// One SQL statement with its parameters (`?1..?N` in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: String,
    pub params: Vec<Val>,
}

/// Statuses of legacy_id_map under which the new row exists.
pub const WRITTEN: [&str; 2] = ["imported", "provisional"];

/// A legacy row's entry in the id map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub new_key: Option<String>,
    pub status: String,
}

impl MapEntry {
    pub fn written(&self) -> bool {
        WRITTEN.contains(&self.status.as_str())
    }
}

/// How to write a mapped row.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteKind {
    Insert,
    /// The row is already there under `key` (a resumed or repeated pass).
    Update {
        key: String,
    },
    /// The row's key changed (e.g. a participant moved to another meeting):
    /// delete the old row, insert the new one.
    Rekey {
        old: String,
    },
    /// Another legacy row already owns the new key.
    Conflict {
        owner: String,
    },
    /// The owner came through a merged duplicate account and this row
    /// through the account it was merged into: this row takes the key
    /// over, the owner is flagged instead.
    Takeover {
        owner: String,
        key: String,
    },
}

/// The legacy row owning a new key, and whether it came through a merged
/// duplicate account.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    pub legacy_id: String,
    pub via_merged: bool,
}

/// Chooses the write. `own` is this row's map entry, `planned` the new key
/// the mapping gives (None when the target assigns it, as for messages),
/// `owner` the legacy row that already owns `planned`, if any, and
/// `via_merged` whether this row came through a merged account.
pub fn write_kind(
    own: Option<&MapEntry>,
    planned: Option<&str>,
    owner: Option<&Owner>,
    legacy_id: &str,
    via_merged: bool,
) -> WriteKind {
    let mine = own.filter(|e| e.written()).and_then(|e| e.new_key.clone());
    if let (Some(owner), Some(key)) = (owner.filter(|o| o.legacy_id != legacy_id), planned) {
        if owner.via_merged && !via_merged {
            return WriteKind::Takeover {
                owner: owner.legacy_id.clone(),
                key: key.to_owned(),
            };
        }
        return WriteKind::Conflict {
            owner: owner.legacy_id.clone(),
        };
    }
    match (mine, planned) {
        (Some(key), None) => WriteKind::Update { key },
        (Some(key), Some(p)) if key == p => WriteKind::Update { key },
        (Some(old), Some(_)) => WriteKind::Rekey { old },
        (None, _) => WriteKind::Insert,
    }
}

/// The new key of a mapped row (parts joined with '/'), or None when the
/// target assigns part of it (NextSeq).
pub fn planned_key(spec: &TableSpec, cols: &[(&'static str, Val)]) -> Option<String> {
    let mut parts = Vec::new();
    for k in spec.target_key {
        let v = cols.iter().find(|(c, _)| c == k)?;
        parts.push(match &v.1 {
            Val::Text(s) => s.clone(),
            other => other.to_string(),
        });
    }
    Some(parts.join("/"))
}

/// L5: in a table keyed by the old id itself (meetings, connections), the
/// id map's key wins over the copied old id. Old ids never change, so the
/// two differ only for a row the new app created and a rollback wrote
/// back under a minted old id: the D1 row keeps its own key, and the
/// next `sync` updates it instead of re-keying (which would cascade).
pub fn keep_mapped_key(spec: &TableSpec, cols: &mut [(&'static str, Val)], own_key: Option<&str>) {
    let Some(own) = own_key else {
        return;
    };
    let copied = spec.target_key.iter().all(|k| {
        spec.fields
            .iter()
            .any(|f| f.target == *k && f.rule == Rule::Copy)
    });
    if !copied || planned_key(spec, cols).as_deref() == Some(own) {
        return;
    }
    for (k, v) in spec.target_key.iter().zip(key_params(spec, own)) {
        if let Some(c) = cols.iter_mut().find(|(c, _)| c == k) {
            c.1 = v;
        }
    }
}

/// The key parts of a stored new key, typed for the WHERE clause.
pub fn key_params(spec: &TableSpec, key: &str) -> Vec<Val> {
    let parts: Vec<&str> = key.splitn(spec.target_key.len(), '/').collect();
    spec.target_key
        .iter()
        .zip(parts)
        .map(|(col, part)| {
            match spec
                .fields
                .iter()
                .find(|f| f.target == *col)
                .map(|f| f.rule)
            {
                Some(Rule::NextSeq) => part
                    .parse()
                    .map(Val::Int)
                    .unwrap_or_else(|_| Val::text(part)),
                _ => Val::text(part),
            }
        })
        .collect()
}

/// `?from, ?from+1, …` for `n` parameters.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// INSERT of a mapped row. A NextSeq column takes the meeting's next
/// sequence number, computed by the target inside the same statement.
pub fn insert(spec: &TableSpec, cols: &[(&'static str, Val)]) -> Stmt {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let params: Vec<Val> = cols.iter().map(|(_, v)| v.clone()).collect();
    let seq = spec.fields.iter().find(|f| f.rule == Rule::NextSeq);
    let sql = match seq {
        None => format!(
            "INSERT INTO {} ({}) VALUES ({})",
            spec.target,
            names.join(", "),
            placeholders(1, names.len())
        ),
        Some(seq) => {
            // The sequence is per parent: the first key column.
            let parent = spec.target_key[0];
            let at = names
                .iter()
                .position(|c| *c == parent)
                .expect("a NextSeq table maps its parent key")
                + 1;
            format!(
                "INSERT INTO {t} ({cols}, {seq}) SELECT {vals}, COALESCE(MAX({seq}) + 1, 0) FROM {t} WHERE {parent} = ?{at}",
                t = spec.target,
                cols = names.join(", "),
                seq = seq.target,
                vals = placeholders(1, names.len()),
            )
        }
    };
    Stmt { sql, params }
}

/// UPDATE of a mapped row under its stored key (key columns are not set).
pub fn update(spec: &TableSpec, key: &str, cols: &[(&'static str, Val)]) -> Stmt {
    let set: Vec<&(&str, Val)> = cols
        .iter()
        .filter(|(c, _)| !spec.target_key.contains(c))
        .collect();
    let mut params: Vec<Val> = set.iter().map(|(_, v)| v.clone()).collect();
    let assignments: Vec<String> = set
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ?{}", i + 1))
        .collect();
    let (cond, kp) = key_condition(spec, key, params.len() + 1);
    params.extend(kp);
    Stmt {
        sql: format!(
            "UPDATE {} SET {} WHERE {cond}",
            spec.target,
            assignments.join(", ")
        ),
        params,
    }
}

/// DELETE of the row under a stored key.
pub fn delete(spec: &TableSpec, key: &str) -> Stmt {
    let (cond, params) = key_condition(spec, key, 1);
    Stmt {
        sql: format!("DELETE FROM {} WHERE {cond}", spec.target),
        params,
    }
}

fn key_condition(spec: &TableSpec, key: &str, from: usize) -> (String, Vec<Val>) {
    let cond = spec
        .target_key
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", from + i))
        .collect::<Vec<_>>()
        .join(" AND ");
    (cond, key_params(spec, key))
}

/// One legacy_id_map row to write.
#[derive(Debug, Clone, Copy)]
pub struct MapRow<'a> {
    pub legacy_id: &'a str,
    pub new_key: Option<&'a str>,
    pub status: &'a str,
    pub detail: Option<&'a str>,
    pub source_updated_at: Option<i64>,
}

impl<'a> MapRow<'a> {
    /// The entry of a row with no new row under it (flagged or deleted).
    pub fn unwritten(
        legacy_id: &'a str,
        status: &'a str,
        source_updated_at: Option<i64>,
    ) -> MapRow<'a> {
        MapRow {
            legacy_id,
            new_key: None,
            status,
            detail: None,
            source_updated_at,
        }
    }
}

/// The id-map upsert for a row. `new_key` None with a NextSeq table reads
/// the key the insert just assigned (by the row's own id column).
pub fn map_upsert(spec: &TableSpec, entry: &MapRow<'_>, now: i64) -> Stmt {
    let mut params = vec![
        Val::text(spec.legacy),
        Val::text(entry.legacy_id),
        Val::text(spec.target),
        Val::opt_text(entry.detail),
        Val::text(entry.status),
        Val::opt_int(entry.source_updated_at),
        Val::Int(now),
    ];
    let key_expr = match (
        entry.new_key,
        spec.fields.iter().find(|f| f.rule == Rule::NextSeq),
    ) {
        (Some(k), _) => {
            params.push(Val::text(k));
            "?8".to_owned()
        }
        (None, Some(seq)) if entry.status != "flagged" && entry.status != "deleted" => {
            // messages: the row the insert just before this statement made
            // (same connection, same batch; no trigger inserts into messages).
            let parent = spec.target_key[0];
            format!(
                "(SELECT {parent} || '/' || {seq} FROM {t} WHERE rowid = last_insert_rowid())",
                seq = seq.target,
                t = spec.target
            )
        }
        _ => "NULL".to_owned(),
    };
    Stmt {
        sql: format!(
            "INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, detail, status, source_updated_at, created_at, updated_at, new_key) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, {key_expr}) \
             ON CONFLICT (legacy_table, legacy_id) DO UPDATE SET new_key = excluded.new_key, status = excluded.status, \
             detail = COALESCE(excluded.detail, legacy_id_map.detail), source_updated_at = excluded.source_updated_at, updated_at = excluded.updated_at"
        ),
        params,
    }
}

/// Records (or refreshes) why a row was flagged, with the old row.
pub fn issue_upsert(
    legacy_table: &str,
    legacy_id: &str,
    issue: &Issue,
    row_json: &str,
    now: i64,
) -> Stmt {
    Stmt {
        sql: "INSERT INTO legacy_import_issues (legacy_table, legacy_id, kind, detail, row_json, resolved_at, created_at, updated_at) \
              VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6) \
              ON CONFLICT (legacy_table, legacy_id) DO UPDATE SET kind = excluded.kind, detail = excluded.detail, \
              row_json = excluded.row_json, resolved_at = NULL, updated_at = excluded.updated_at"
            .into(),
        params: vec![
            Val::text(legacy_table),
            Val::text(legacy_id),
            Val::text(issue.kind),
            Val::text(issue.detail.clone()),
            Val::text(row_json),
            Val::Int(now),
        ],
    }
}

/// Marks an earlier issue of a row resolved (the row is now written).
pub fn issue_resolve(legacy_table: &str, legacy_id: &str, now: i64) -> Stmt {
    Stmt {
        sql: "UPDATE legacy_import_issues SET resolved_at = ?3, updated_at = ?3 WHERE legacy_table = ?1 AND legacy_id = ?2 AND resolved_at IS NULL".into(),
        params: vec![Val::text(legacy_table), Val::text(legacy_id), Val::Int(now)],
    }
}

/// L1: the first import turns the cutover's read switches off in the
/// target environment (`feature_flags` rows `migration.read.*`, disabled),
/// so the new API refuses reads of migrated modules until an operator rolls
/// each one out. A row already there (a resumed import, or an operator's
/// setting) is kept.
pub fn read_switches_off(env: &str, now: i64) -> Vec<Stmt> {
    connvo_shared::migration_reads::ReadModule::ALL
        .into_iter()
        .map(|module| Stmt {
            sql: "INSERT INTO feature_flags (key, env, enabled, value, rollout_percentage, description, updated_by, reason, created_at, updated_at) \
                  VALUES (?1, ?2, 0, 'true', 0, ?3, 'connvo-migrate', 'legacy import: reads stay on the old backend until cutover', ?4, ?4) \
                  ON CONFLICT (key, env) DO NOTHING"
                .into(),
            params: vec![
                Val::text(module.flag().as_str()),
                Val::text(env),
                Val::text(format!("read {} from D1 (legacy cutover)", module.as_str())),
                Val::Int(now),
            ],
        })
        .collect()
}

/// The table's checkpoint after a batch.
pub fn checkpoint(
    legacy_table: &str,
    cursor: Option<&Cursor>,
    rows: i64,
    completed: bool,
    sync: bool,
    now: i64,
) -> Stmt {
    Stmt {
        sql: "INSERT INTO legacy_checkpoints (legacy_table, cursor_changed, cursor_key, rows_read, import_started_at, import_completed_at, last_sync_at, updated_at) \
              VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 THEN ?5 END, CASE WHEN ?7 THEN ?5 END, ?5) \
              ON CONFLICT (legacy_table) DO UPDATE SET \
              cursor_changed = COALESCE(excluded.cursor_changed, legacy_checkpoints.cursor_changed), \
              cursor_key = COALESCE(excluded.cursor_key, legacy_checkpoints.cursor_key), \
              rows_read = legacy_checkpoints.rows_read + excluded.rows_read, \
              import_completed_at = COALESCE(legacy_checkpoints.import_completed_at, excluded.import_completed_at), \
              last_sync_at = COALESCE(excluded.last_sync_at, legacy_checkpoints.last_sync_at), \
              updated_at = excluded.updated_at"
            .into(),
        params: vec![
            Val::text(legacy_table),
            Val::opt_text(cursor.map(|c| c.changed.as_str())),
            Val::opt_text(cursor.map(|c| c.key.as_str())),
            Val::Int(rows),
            Val::Int(now),
            Val::Int(i64::from(completed)),
            Val::Int(i64::from(sync)),
        ],
    }
}

/// The tombstone position after a sync's delete pass.
pub fn tombstone_checkpoint(legacy_table: &str, seq: i64, now: i64) -> Stmt {
    Stmt {
        sql: "UPDATE legacy_checkpoints SET tombstone_seq = MAX(tombstone_seq, ?2), updated_at = ?3 WHERE legacy_table = ?1".into(),
        params: vec![Val::text(legacy_table), Val::Int(seq), Val::Int(now)],
    }
}

/// "Live writes": rows of an imported table that no legacy row owns, i.e.
/// written by the new app. The count query for one table.
pub fn unowned_rows(spec: &TableSpec) -> String {
    let key = spec.target_key.join(" || '/' || ");
    format!(
        "SELECT COUNT(*) FROM {t} WHERE {key} NOT IN (SELECT new_key FROM legacy_id_map WHERE new_table = '{t}' AND new_key IS NOT NULL AND status IN ('imported', 'provisional'))",
        t = spec.target
    )
}

/// Refuses a run over live writes unless the operator said `--merge`.
/// `unowned` lists (table, rows no legacy row owns).
pub fn live_writes_verdict(unowned: &[(&str, i64)], merge: bool) -> Result<(), String> {
    let live: Vec<String> = unowned
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t}: {n}"))
        .collect();
    if live.is_empty() || merge {
        Ok(())
    } else {
        Err(format!(
            "the target D1 has live writes (rows no legacy row owns — {}); refusing to write over them. Re-run with --merge to import beside them",
            live.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::table;

    fn entry(key: &str, status: &str) -> MapEntry {
        MapEntry {
            new_key: Some(key.into()),
            status: status.into(),
        }
    }

    #[test]
    fn a_row_seen_before_is_updated_not_inserted_again() {
        let me = Owner {
            legacy_id: "a".into(),
            via_merged: false,
        };
        assert_eq!(
            write_kind(None, Some("k"), None, "a", false),
            WriteKind::Insert
        );
        assert_eq!(
            write_kind(
                Some(&entry("k", "imported")),
                Some("k"),
                Some(&me),
                "a",
                false
            ),
            WriteKind::Update { key: "k".into() }
        );
        assert_eq!(
            write_kind(Some(&entry("m/3", "imported")), None, None, "a", false),
            WriteKind::Update { key: "m/3".into() }
        );
        assert_eq!(
            write_kind(Some(&entry("k", "flagged")), Some("k"), None, "a", false),
            WriteKind::Insert
        );
    }

    #[test]
    fn l5_a_row_a_rollback_minted_keeps_its_d1_key() {
        let meetings = crate::spec::table("meetings").unwrap();
        let mut cols = vec![
            ("id", Val::text("minted-uuid")),
            ("title", Val::text("Retro")),
        ];
        keep_mapped_key(meetings, &mut cols, Some("mtg_after"));
        assert_eq!(cols[0].1, Val::text("mtg_after"));
        // Tables keyed by something else than the copied old id are untouched.
        let parts = crate::spec::table("meeting_participants").unwrap();
        let mut cols = vec![("meeting_id", Val::text("m")), ("user_id", Val::text("u"))];
        keep_mapped_key(parts, &mut cols, Some("x/y"));
        assert_eq!(cols[0].1, Val::text("m"));
    }

    #[test]
    fn a_key_owned_by_another_row_is_a_conflict_and_a_moved_key_rekeys() {
        let b = Owner {
            legacy_id: "b".into(),
            via_merged: false,
        };
        assert_eq!(
            write_kind(None, Some("k"), Some(&b), "a", false),
            WriteKind::Conflict { owner: "b".into() }
        );
        assert_eq!(
            write_kind(None, Some("k"), Some(&b), "a", true),
            WriteKind::Conflict { owner: "b".into() }
        );
        assert_eq!(
            write_kind(
                Some(&entry("old", "imported")),
                Some("new"),
                None,
                "a",
                false
            ),
            WriteKind::Rekey { old: "old".into() }
        );
    }

    #[test]
    fn the_oldest_accounts_row_takes_a_key_over_from_a_merged_duplicates() {
        let dup = Owner {
            legacy_id: "b".into(),
            via_merged: true,
        };
        assert_eq!(
            write_kind(None, Some("k"), Some(&dup), "a", false),
            WriteKind::Takeover {
                owner: "b".into(),
                key: "k".into()
            }
        );
        assert_eq!(
            write_kind(None, Some("k"), Some(&dup), "a", true),
            WriteKind::Conflict { owner: "b".into() }
        );
    }

    #[test]
    fn messages_take_the_next_seq_of_their_meeting() {
        let spec = table("messages").unwrap();
        let cols = vec![
            ("meeting_id", Val::text("m")),
            ("id", Val::text("x")),
            ("user_id", Val::Null),
            ("content", Val::text("hi")),
            ("created_at", Val::Int(1)),
        ];
        let s = insert(spec, &cols);
        assert_eq!(
            s.sql,
            "INSERT INTO messages (meeting_id, id, user_id, content, created_at, seq) SELECT ?1, ?2, ?3, ?4, ?5, COALESCE(MAX(seq) + 1, 0) FROM messages WHERE meeting_id = ?1"
        );
        assert_eq!(planned_key(spec, &cols), None);
        assert_eq!(key_params(spec, "m/3"), vec![Val::text("m"), Val::Int(3)]);
    }

    #[test]
    fn updates_set_every_column_but_the_key() {
        let spec = table("user_interests").unwrap();
        let cols = vec![
            ("user_id", Val::text("u")),
            ("interest_key", Val::text("ml")),
            ("created_at", Val::Int(5)),
        ];
        let s = update(spec, "u/ml", &cols);
        assert_eq!(
            s.sql,
            "UPDATE user_interests SET created_at = ?1 WHERE user_id = ?2 AND interest_key = ?3"
        );
        assert_eq!(s.params, vec![Val::Int(5), Val::text("u"), Val::text("ml")]);
        assert_eq!(planned_key(spec, &cols).as_deref(), Some("u/ml"));
    }

    #[test]
    fn live_writes_refuse_unless_merging() {
        assert!(live_writes_verdict(&[("users", 0), ("meetings", 0)], false).is_ok());
        let err = live_writes_verdict(&[("users", 2)], false).unwrap_err();
        assert!(err.contains("users: 2") && err.contains("--merge"), "{err}");
        assert!(live_writes_verdict(&[("users", 2)], true).is_ok());
    }
}

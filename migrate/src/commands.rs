//! The subcommands' shells: read the old store, apply the pure decisions,
//! write D1 in atomic batches (rows + id map + issues + checkpoint
//! together), print the report. No mapping decision is made here.

use std::collections::{BTreeMap, HashMap};

use crate::cursor::{sync_start, writable_prefix, Cursor};
use crate::legacy::{changed_ms, row_json, Legacy, Read};
use crate::mapping::{map_row, Identity, Issue, Ref, Refs, RowPlan};
use crate::parity::{self, Discrepancy, Flagged, Report};
use crate::reconcile;
use crate::rekey::{self, Move};
use crate::spec::{Rule, TableSpec, TABLES};
use crate::target::{D1Target, TargetError};
use crate::value::Val;
use crate::writes::{self, MapEntry, MapRow, Owner, Stmt, WriteKind};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The legacy "table" whose position is the tombstone checkpoint.
const TOMBSTONES: &str = "connvo_migrate_tombstones";

#[derive(Debug, Clone)]
pub struct Options {
    pub batch_size: i64,
    /// Stop (as if interrupted) after this many committed batches.
    pub stop_after: Option<usize>,
    /// Sleep between batches (to watch or kill an import mid-way).
    pub throttle_ms: u64,
    pub merge: bool,
    pub overlap_ms: i64,
    pub workos_base: String,
    pub workos_key: String,
    /// The target's `feature_flags.env` (the worker's `ENVIRONMENT`), where
    /// `import` turns the read switches off (L1).
    pub flags_env: String,
}

/// Counts per legacy table.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub read: usize,
    pub written: usize,
    pub merged: usize,
    pub flagged: usize,
    pub deleted: usize,
    /// Wall time of the table's pass.
    pub seconds: f64,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub tables: BTreeMap<&'static str, Counts>,
    pub batches: usize,
    /// True when `--stop-after` ended the run early.
    pub stopped: bool,
    /// Tables whose pass stopped at a row waiting for its parent.
    pub deferred: Vec<String>,
    /// Before the tables: the live-write check, `prepare`, the tombstones
    /// (sync) and the WorkOS directory.
    pub setup_seconds: f64,
    /// Provisional users moved to the WorkOS id WorkOS now has for them (L4).
    pub rekeyed: Vec<Move>,
}

impl Summary {
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
            "table", "read", "written", "merged", "flagged", "deleted", "seconds"
        );
        for (t, c) in &self.tables {
            out.push_str(&format!(
                "{t:<22} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9.1}\n",
                c.read, c.written, c.merged, c.flagged, c.deleted, c.seconds
            ));
        }
        out.push_str(&format!(
            "setup (live-write check, prepare, tombstones, WorkOS directory): {:.1} s\n",
            self.setup_seconds
        ));
        for m in &self.rekeyed {
            out.push_str(&format!(
                "re-keyed: legacy user {} from {} to {} (WorkOS now knows the email)\n",
                m.legacy_id, m.from, m.to
            ));
        }
        for d in &self.deferred {
            out.push_str(&format!("deferred: {d}\n"));
        }
        if self.stopped {
            out.push_str(&format!(
                "stopped after {} batches (--stop-after); run the same command again to resume\n",
                self.batches
            ));
        }
        out
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The parents' id map, in memory (users, meetings, interests).
#[derive(Default)]
pub struct IdCache {
    entries: HashMap<(String, String), MapEntry>,
}

impl IdCache {
    fn load(target: &mut dyn D1Target, tables: &[&str]) -> Result<IdCache, TargetError> {
        let mut cache = IdCache::default();
        for t in tables {
            for r in target.query(
                "SELECT legacy_id, new_key, status FROM legacy_id_map WHERE legacy_table = ?1",
                &[Val::text(*t)],
            )? {
                cache.set(
                    t,
                    text(&r[0]),
                    MapEntry {
                        new_key: r[1].as_text().map(str::to_owned),
                        status: text(&r[2]),
                    },
                );
            }
        }
        Ok(cache)
    }

    fn set(&mut self, table: &str, legacy_id: String, entry: MapEntry) {
        self.entries.insert((table.to_owned(), legacy_id), entry);
    }

    fn get(&self, table: &str, legacy_id: &str) -> Option<&MapEntry> {
        self.entries.get(&(table.to_owned(), legacy_id.to_owned()))
    }

    fn resolve(&self, table: &str, legacy_id: &str) -> (Ref, bool) {
        match self.get(table, legacy_id) {
            None => (Ref::Unknown, false),
            Some(e) if e.written() || e.status == "merged" => (
                e.new_key.clone().map_or(Ref::Flagged, Ref::Mapped),
                e.status == "merged",
            ),
            Some(_) => (Ref::Flagged, false),
        }
    }
}

impl Refs for IdCache {
    fn user(&self, legacy_id: &str) -> (Ref, bool) {
        self.resolve("users", legacy_id)
    }
    fn meeting(&self, legacy_id: &str) -> Ref {
        self.resolve("meetings", legacy_id).0
    }
    fn interest(&self, legacy_id: &str) -> Ref {
        self.resolve("interests", legacy_id).0
    }
}

const PARENTS: [&str; 3] = ["users", "meetings", "interests"];

fn text(v: &Val) -> String {
    match v {
        Val::Text(s) => s.clone(),
        Val::Null => String::new(),
        other => other.to_string(),
    }
}

fn map_entry(
    target: &mut dyn D1Target,
    table: &str,
    legacy_id: &str,
) -> Result<Option<MapEntry>, TargetError> {
    Ok(target
        .query(
            "SELECT new_key, status FROM legacy_id_map WHERE legacy_table = ?1 AND legacy_id = ?2",
            &[Val::text(table), Val::text(legacy_id)],
        )?
        .first()
        .map(|r| MapEntry {
            new_key: r[0].as_text().map(str::to_owned),
            status: text(&r[1]),
        }))
}

/// D1 binds at most 100 parameters a statement.
const IN_CHUNK: usize = 90;

/// The id-map entries of a batch's legacy rows (one query per 90 rows).
fn map_entries(
    target: &mut dyn D1Target,
    table: &str,
    ids: &[&str],
) -> Result<HashMap<String, MapEntry>, TargetError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT legacy_id, new_key, status FROM legacy_id_map WHERE legacy_table = ?1 AND legacy_id IN ({})",
            writes::placeholders(2, chunk.len())
        );
        let mut params = vec![Val::text(table)];
        params.extend(chunk.iter().map(|id| Val::text(*id)));
        for r in target.query(&sql, &params)? {
            out.insert(
                text(&r[0]),
                MapEntry {
                    new_key: r[1].as_text().map(str::to_owned),
                    status: text(&r[2]),
                },
            );
        }
    }
    Ok(out)
}

/// The legacy rows that own these new keys (one query per 90 keys).
fn key_owners(
    target: &mut dyn D1Target,
    new_table: &str,
    keys: &[String],
) -> Result<HashMap<String, Owner>, TargetError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT new_key, legacy_id, COALESCE(json_extract(detail, '$.via_merged_account'), 0) FROM legacy_id_map \
             WHERE new_table = ?1 AND new_key IN ({}) AND status IN ('imported', 'provisional')",
            writes::placeholders(2, chunk.len())
        );
        let mut params = vec![Val::text(new_table)];
        params.extend(chunk.iter().map(|k| Val::text(k.clone())));
        for r in target.query(&sql, &params)? {
            out.insert(
                text(&r[0]),
                Owner {
                    legacy_id: text(&r[1]),
                    via_merged: r[2] == Val::Int(1),
                },
            );
        }
    }
    Ok(out)
}

/// Which of these keys of a single-key table are already in D1.
fn existing_keys(
    target: &mut dyn D1Target,
    spec: &TableSpec,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, TargetError> {
    let mut out = std::collections::HashSet::new();
    for chunk in keys.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT {k} FROM {t} WHERE {k} IN ({})",
            writes::placeholders(1, chunk.len()),
            k = spec.target_key[0],
            t = spec.target
        );
        let params: Vec<Val> = chunk.iter().map(|k| Val::text(k.clone())).collect();
        for r in target.query(&sql, &params)? {
            out.insert(text(&r[0]));
        }
    }
    Ok(out)
}

/// Refuses to write over rows the new app wrote, unless `merge`.
pub fn check_live_writes(target: &mut dyn D1Target, merge: bool) -> Result<(), Error> {
    let mut counts = Vec::new();
    // Seeded reference rows (the interest catalogue) are not live writes.
    for spec in TABLES.iter().filter(|s| !s.adopt_existing) {
        let n = target
            .query(&writes::unowned_rows(spec), &[])?
            .first()
            .and_then(|r| r[0].as_int())
            .unwrap_or(0);
        counts.push((spec.target, n));
    }
    writes::live_writes_verdict(&counts, merge).map_err(Into::into)
}

/// One row's statements, and what to do if the target refuses them.
struct RowWrite<'a> {
    read: &'a Read,
    stmts: Vec<Stmt>,
    /// The cache entry to record once committed (parents only).
    entry: MapEntry,
    outcome: Outcome,
    own_written_key: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Written,
    Merged,
    Flagged,
}

fn flag_stmts(
    spec: &TableSpec,
    read: &Read,
    issue: &Issue,
    own_written_key: Option<&str>,
    now: i64,
) -> Vec<Stmt> {
    let mut stmts = Vec::new();
    if let Some(old) = own_written_key {
        stmts.push(writes::delete(spec, old));
    }
    stmts.push(writes::map_upsert(
        spec,
        &MapRow::unwritten(&read.key, "flagged", changed_ms(&read.row)),
        now,
    ));
    stmts.push(writes::issue_upsert(
        spec.legacy,
        &read.key,
        issue,
        &row_json(&read.row),
        now,
    ));
    stmts
}

/// The batch's planned keys that are already taken in D1 before it.
struct Taken {
    /// By a legacy row.
    owners: HashMap<String, Owner>,
    /// By seeded reference data (`adopt_existing` tables), no legacy row.
    seeded: std::collections::HashSet<String>,
}

/// One row's write. `own` is its id-map entry, `taken` the keys taken
/// before the batch, `pending` those of the rows planned earlier in it.
fn plan_row<'a>(
    spec: &TableSpec,
    read: &'a Read,
    plan: RowPlan,
    own: Option<MapEntry>,
    taken: &Taken,
    pending: &mut HashMap<String, Owner>,
    now: i64,
) -> RowWrite<'a> {
    let own_written_key = own
        .as_ref()
        .filter(|e| e.written())
        .and_then(|e| e.new_key.clone());
    let updated = changed_ms(&read.row);
    let flagged = |issue: Issue, own_key: Option<String>| RowWrite {
        read,
        stmts: flag_stmts(spec, read, &issue, own_key.as_deref(), now),
        entry: MapEntry {
            new_key: None,
            status: "flagged".into(),
        },
        outcome: Outcome::Flagged,
        own_written_key: None,
    };
    match plan {
        RowPlan::Defer(why) => unreachable!("deferred rows are cut off before planning: {why}"),
        RowPlan::Flagged(issue) => flagged(issue, own_written_key),
        RowPlan::Merged { into, issue } => RowWrite {
            read,
            stmts: vec![
                writes::map_upsert(
                    spec,
                    &MapRow {
                        legacy_id: &read.key,
                        new_key: Some(&into),
                        status: "merged",
                        detail: None,
                        source_updated_at: updated,
                    },
                    now,
                ),
                writes::issue_upsert(spec.legacy, &read.key, &issue, &row_json(&read.row), now),
            ],
            entry: MapEntry {
                new_key: Some(into),
                status: "merged".into(),
            },
            outcome: Outcome::Merged,
            own_written_key: None,
        },
        RowPlan::Write {
            mut cols,
            issue,
            detail,
            via_merged,
        } => {
            writes::keep_mapped_key(spec, &mut cols, own_written_key.as_deref());
            let planned = writes::planned_key(spec, &cols);
            let owner = planned
                .as_ref()
                .and_then(|k| pending.get(k).or_else(|| taken.owners.get(k)))
                .cloned();
            if let Some(k) = planned
                .as_ref()
                .filter(|k| owner.is_none() && taken.seeded.contains(*k))
            {
                let issue = Issue::new(
                    "catalogue_match",
                    format!("the seeded {} already has {k}; the old row maps onto it (its own values are not copied)", spec.target),
                );
                return RowWrite {
                    read,
                    stmts: vec![
                        writes::map_upsert(
                            spec,
                            &MapRow {
                                legacy_id: &read.key,
                                new_key: Some(k),
                                status: "merged",
                                detail: None,
                                source_updated_at: updated,
                            },
                            now,
                        ),
                        writes::issue_upsert(
                            spec.legacy,
                            &read.key,
                            &issue,
                            &row_json(&read.row),
                            now,
                        ),
                    ],
                    entry: MapEntry {
                        new_key: Some(k.clone()),
                        status: "merged".into(),
                    },
                    outcome: Outcome::Merged,
                    own_written_key: None,
                };
            }
            let kind = writes::write_kind(
                own.as_ref(),
                planned.as_deref(),
                owner.as_ref(),
                &read.key,
                via_merged,
            );
            let status = if issue.is_some() {
                "provisional"
            } else {
                "imported"
            };
            let mut stmts = Vec::new();
            let key = match kind {
                WriteKind::Conflict { owner } => {
                    let issue = Issue::new(
                        "duplicate_key",
                        format!(
                            "{} {} is already imported from legacy {} {owner}",
                            spec.target,
                            planned.clone().unwrap_or_default(),
                            spec.legacy
                        ),
                    );
                    return flagged(issue, own_written_key);
                }
                WriteKind::Insert => {
                    stmts.push(writes::insert(spec, &cols));
                    planned.clone()
                }
                WriteKind::Update { key } => {
                    stmts.push(writes::update(spec, &key, &cols));
                    Some(key)
                }
                WriteKind::Rekey { old } => {
                    stmts.push(writes::delete(spec, &old));
                    stmts.push(writes::insert(spec, &cols));
                    planned.clone()
                }
                WriteKind::Takeover { owner, key } => {
                    let issue = Issue::new(
                        "duplicate_key",
                        format!("{} {key} is taken over by legacy {} {}, the row of the account this one was merged into", spec.target, spec.legacy, read.key),
                    );
                    stmts.push(writes::update(spec, &key, &cols));
                    stmts.push(writes::map_upsert(
                        spec,
                        &MapRow::unwritten(&owner, "flagged", None),
                        now,
                    ));
                    let kept = serde_json::json!({ "legacy_table": spec.legacy, "legacy_id": owner, "superseded_by": read.key }).to_string();
                    stmts.push(writes::issue_upsert(
                        spec.legacy,
                        &owner,
                        &issue,
                        &kept,
                        now,
                    ));
                    Some(key)
                }
            };
            if let Some(k) = &key {
                pending.insert(
                    k.clone(),
                    Owner {
                        legacy_id: read.key.clone(),
                        via_merged,
                    },
                );
            }
            stmts.push(writes::map_upsert(
                spec,
                &MapRow {
                    legacy_id: &read.key,
                    new_key: key.as_deref(),
                    status,
                    detail: detail.as_deref(),
                    source_updated_at: updated,
                },
                now,
            ));
            stmts.push(match &issue {
                Some(i) => {
                    writes::issue_upsert(spec.legacy, &read.key, i, &row_json(&read.row), now)
                }
                None => writes::issue_resolve(spec.legacy, &read.key, now),
            });
            RowWrite {
                read,
                stmts,
                entry: MapEntry {
                    new_key: key,
                    status: status.into(),
                },
                outcome: Outcome::Written,
                own_written_key,
            }
        }
    }
}

enum Pass {
    Done,
    Stopped,
    Deferred(String),
}

/// What a pass knows of identities: the parents' id map and the users'
/// reconciled identities.
struct Ids {
    cache: IdCache,
    identities: HashMap<String, Identity>,
}

/// L4: moves every provisional user WorkOS now knows to their WorkOS id
/// (one atomic batch each), then reloads the parents' id map.
fn rekey_provisional(target: &mut dyn D1Target, ids: &mut Ids) -> Result<Vec<Move>, Error> {
    let moves = rekey::candidates(&ids.identities, |id| ids.cache.get("users", id).cloned());
    if moves.is_empty() {
        return Ok(moves);
    }
    let columns: Vec<String> = target
        .query(rekey::USERS_COLUMNS_SQL, &[])?
        .iter()
        .map(|r| text(&r[0]))
        .collect();
    let references: Vec<(String, String)> = target
        .query(rekey::REFERENCES_SQL, &[])?
        .iter()
        .map(|r| (text(&r[0]), text(&r[1])))
        .collect();
    for m in &moves {
        target.batch(&rekey::statements(m, &columns, &references, now_ms()))?;
    }
    ids.cache = IdCache::load(target, &PARENTS)?;
    Ok(moves)
}

async fn copy_table(
    legacy: &Legacy,
    target: &mut dyn D1Target,
    spec: &'static TableSpec,
    ids: &mut Ids,
    opts: &Options,
    sync: bool,
    summary: &mut Summary,
) -> Result<Pass, Error> {
    let now = now_ms();
    let cp = target.query(
        "SELECT cursor_changed, cursor_key, import_completed_at FROM legacy_checkpoints WHERE legacy_table = ?1",
        &[Val::text(spec.legacy)],
    )?;
    let stored = cp.first().and_then(|r| {
        Some(Cursor {
            changed: r[0].as_text()?.to_owned(),
            key: r[1].as_text().unwrap_or_default().to_owned(),
        })
    });
    let completed = cp.first().is_some_and(|r| r[2] != Val::Null);
    if !sync && completed {
        return Ok(Pass::Done);
    }
    let mut cursor = if sync {
        sync_start(stored.as_ref(), opts.overlap_ms)
    } else {
        stored
    };
    loop {
        let reads = legacy.batch(spec, cursor.as_ref(), opts.batch_size).await?;
        if reads.is_empty() {
            target.batch(&[writes::checkpoint(spec.legacy, None, 0, true, sync, now)])?;
            return Ok(Pass::Done);
        }
        let plans: Vec<RowPlan> = reads
            .iter()
            .map(|r| map_row(spec, &r.row, &r.key, &ids.cache, ids.identities.get(&r.key)))
            .collect();
        let deferred: Vec<bool> = plans
            .iter()
            .map(|p| matches!(p, RowPlan::Defer(_)))
            .collect();
        let n = writable_prefix(&deferred);
        let defer_reason = plans.get(n).map(|p| match p {
            RowPlan::Defer(why) => format!("{} {}: {why}", spec.legacy, reads[n].key),
            _ => String::new(),
        });
        if n == 0 {
            return Ok(Pass::Deferred(defer_reason.unwrap_or_default()));
        }
        // The id map as it stands for this batch: two queries per 90 rows,
        // not two per row (D1 over HTTP pays a round trip for each).
        let keys: Vec<&str> = reads[..n].iter().map(|r| r.key.as_str()).collect();
        let mut owns = map_entries(target, spec.legacy, &keys)?;
        let planned: Vec<String> = plans[..n]
            .iter()
            .filter_map(|p| match p {
                RowPlan::Write { cols, .. } => writes::planned_key(spec, cols),
                _ => None,
            })
            .collect();
        let owners = key_owners(target, spec.target, &planned)?;
        let seeded = if spec.adopt_existing {
            let unowned: Vec<String> = planned
                .iter()
                .filter(|k| !owners.contains_key(*k))
                .cloned()
                .collect();
            existing_keys(target, spec, &unowned)?
        } else {
            Default::default()
        };
        let taken = Taken { owners, seeded };
        let mut pending = HashMap::new();
        let mut rows = Vec::with_capacity(n);
        for (read, plan) in reads.iter().zip(plans).take(n) {
            let own = owns.remove(&read.key);
            rows.push(plan_row(spec, read, plan, own, &taken, &mut pending, now));
        }
        let last = reads[n - 1].cursor.clone();
        let cp_stmt = writes::checkpoint(spec.legacy, Some(&last), n as i64, false, sync, now);
        let all: Vec<Stmt> = rows
            .iter()
            .flat_map(|r| r.stmts.iter().cloned())
            .chain([cp_stmt.clone()])
            .collect();
        match target.batch(&all) {
            Ok(()) => {}
            Err(TargetError::Constraint(_)) => {
                // Some row breaks the new schema: find it, row by row, and
                // flag it with the database's own words.
                for row in rows.iter_mut() {
                    if let Err(TargetError::Constraint(msg)) = target.batch(&row.stmts) {
                        let issue =
                            Issue::new("schema_violation", format!("{}: {msg}", spec.target));
                        row.stmts =
                            flag_stmts(spec, row.read, &issue, row.own_written_key.as_deref(), now);
                        row.outcome = Outcome::Flagged;
                        row.entry = MapEntry {
                            new_key: None,
                            status: "flagged".into(),
                        };
                        target.batch(&row.stmts)?;
                    }
                }
                target.batch(&[cp_stmt])?;
            }
            Err(e) => return Err(e.into()),
        }
        let counts = summary.tables.entry(spec.legacy).or_default();
        for row in rows {
            counts.read += 1;
            match row.outcome {
                Outcome::Written => counts.written += 1,
                Outcome::Merged => counts.merged += 1,
                Outcome::Flagged => counts.flagged += 1,
            }
            if PARENTS.contains(&spec.legacy) {
                ids.cache.set(spec.legacy, row.read.key.clone(), row.entry);
            }
        }
        summary.batches += 1;
        cursor = Some(last);
        if opts.stop_after.is_some_and(|s| summary.batches >= s) {
            return Ok(Pass::Stopped);
        }
        if let Some(reason) = defer_reason {
            return Ok(Pass::Deferred(reason));
        }
        if opts.throttle_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(opts.throttle_ms)).await;
        }
    }
}

/// Applies the deletes recorded in the old store since the last sync.
async fn apply_tombstones(
    legacy: &Legacy,
    target: &mut dyn D1Target,
    cache: &mut IdCache,
    opts: &Options,
    summary: &mut Summary,
) -> Result<(), Error> {
    let now = now_ms();
    let mut after = target
        .query(
            "SELECT tombstone_seq FROM legacy_checkpoints WHERE legacy_table = ?1",
            &[Val::text(TOMBSTONES)],
        )?
        .first()
        .and_then(|r| r[0].as_int())
        .unwrap_or(0);
    loop {
        let batch = legacy.tombstones(after, opts.batch_size).await?;
        let Some(last) = batch.last().map(|t| t.seq) else {
            return Ok(());
        };
        let mut stmts = Vec::new();
        let mut touched = Vec::new();
        for t in &batch {
            let Some(spec) = crate::spec::table(&t.table) else {
                continue;
            };
            let Some(entry) = map_entry(target, spec.legacy, &t.key)? else {
                continue;
            };
            if entry.status == "deleted" {
                continue;
            }
            if let (true, Some(k)) = (entry.written(), &entry.new_key) {
                stmts.push(writes::delete(spec, k));
            }
            stmts.push(writes::map_upsert(
                spec,
                &MapRow::unwritten(&t.key, "deleted", None),
                now,
            ));
            stmts.push(writes::issue_resolve(spec.legacy, &t.key, now));
            touched.push((spec.legacy, t.key.clone()));
        }
        stmts.push(writes::checkpoint(TOMBSTONES, None, 0, false, true, now));
        stmts.push(writes::tombstone_checkpoint(TOMBSTONES, last, now));
        target.batch(&stmts)?;
        for (table, key) in touched {
            summary.tables.entry(table).or_default().deleted += 1;
            if PARENTS.contains(&table) {
                cache.set(
                    table,
                    key,
                    MapEntry {
                        new_key: None,
                        status: "deleted".into(),
                    },
                );
            }
        }
        after = last;
    }
}

/// `import` (sync = false) and `sync` (sync = true): one pass over every
/// table from its checkpoint. Import resumes an interrupted run; sync
/// continues from the watermark (with the overlap) and applies tombstones.
pub async fn copy(
    legacy: &Legacy,
    target: &mut dyn D1Target,
    opts: &Options,
    sync: bool,
) -> Result<Summary, Error> {
    let setup = std::time::Instant::now();
    check_live_writes(target, opts.merge)?;
    legacy.prepare().await?;
    let mut cache = IdCache::load(target, &PARENTS)?;
    let mut summary = Summary::default();
    if sync {
        apply_tombstones(legacy, target, &mut cache, opts, &mut summary).await?;
    } else {
        // Mark the tombstone position now: deletes from here on are sync's;
        // and keep reads of the migrated modules on the old backend (L1).
        let mut first = vec![writes::checkpoint(
            TOMBSTONES,
            None,
            0,
            false,
            false,
            now_ms(),
        )];
        first.extend(writes::read_switches_off(&opts.flags_env, now_ms()));
        target.batch(&first)?;
    }
    let workos = reconcile_directory(opts).await?;
    let accounts = legacy.accounts().await?;
    summary.setup_seconds = setup.elapsed().as_secs_f64();
    let mut ids = Ids {
        identities: reconcile::identities(&accounts, &workos),
        cache,
    };
    summary.rekeyed = rekey_provisional(target, &mut ids)?;
    for spec in TABLES {
        let started = std::time::Instant::now();
        let pass = copy_table(legacy, target, spec, &mut ids, opts, sync, &mut summary).await?;
        summary.tables.entry(spec.legacy).or_default().seconds += started.elapsed().as_secs_f64();
        match pass {
            Pass::Done => {}
            Pass::Stopped => {
                summary.stopped = true;
                return Ok(summary);
            }
            Pass::Deferred(why) => summary.deferred.push(why),
        }
    }
    Ok(summary)
}

async fn reconcile_directory(opts: &Options) -> Result<HashMap<String, String>, Error> {
    if opts.workos_key.is_empty() {
        return Err(
            "no WorkOS API key (WORKOS_API_KEY or --workos-key): users cannot be reconciled".into(),
        );
    }
    Ok(crate::workos::directory(&opts.workos_base, &opts.workos_key).await?)
}

/// `verify`: the parity report.
pub async fn verify(
    legacy: &Legacy,
    target: &mut dyn D1Target,
    sample: usize,
    seed: u64,
) -> Result<Report, Error> {
    let mut map: HashMap<(String, String), MapEntry> = HashMap::new();
    for r in target.query(
        "SELECT legacy_table, legacy_id, new_key, status FROM legacy_id_map",
        &[],
    )? {
        map.insert(
            (text(&r[0]), text(&r[1])),
            MapEntry {
                new_key: r[2].as_text().map(str::to_owned),
                status: text(&r[3]),
            },
        );
    }
    let mut cache = IdCache::default();
    let mut identities = HashMap::new();
    for ((table, id), e) in &map {
        if PARENTS.contains(&table.as_str()) {
            cache.set(table, id.clone(), e.clone());
        }
        if table == "users" {
            let key = e.new_key.clone().unwrap_or_default();
            let identity = match e.status.as_str() {
                "imported" => Identity::WorkOs(key),
                "provisional" => Identity::Provisional(key),
                _ => Identity::MergedInto {
                    canonical: String::new(),
                    into: key,
                },
            };
            identities.insert(id.clone(), identity);
        }
    }
    let mut report = Report::default();
    for spec in TABLES {
        let columns: Vec<&str> = spec.target_columns().collect();
        let mut expected = parity::Rows::new();
        let mut legacy_rows = 0;
        let mut flagged = 0;
        let mut cursor = None;
        loop {
            let reads = legacy.batch(spec, cursor.as_ref(), 5000).await?;
            let Some(last) = reads.last().map(|r| r.cursor.clone()) else {
                break;
            };
            for r in &reads {
                legacy_rows += 1;
                let d = |what: String| Discrepancy {
                    table: spec.legacy.into(),
                    key: r.key.clone(),
                    what,
                };
                let Some(entry) = map.get(&(spec.legacy.to_owned(), r.key.clone())) else {
                    report.other.push(d(
                        "legacy row never imported (no legacy_id_map entry)".into()
                    ));
                    continue;
                };
                if entry.status == "deleted" {
                    report
                        .other
                        .push(d("deleted from D1 but still in the old store".into()));
                    continue;
                }
                if !entry.written() {
                    flagged += 1;
                    continue;
                }
                let key = entry.new_key.clone().unwrap_or_default();
                match map_row(spec, &r.row, &r.key, &cache, identities.get(&r.key)) {
                    RowPlan::Write { mut cols, .. } => {
                        writes::keep_mapped_key(spec, &mut cols, Some(&key));
                        if let Some(p) = writes::planned_key(spec, &cols).filter(|p| *p != key) {
                            report.other.push(d(format!(
                                "maps to {} {p}, but legacy_id_map says {key}",
                                spec.target
                            )));
                        }
                        let keyed = writes::key_params(spec, &key);
                        let vals = spec
                            .fields
                            .iter()
                            .map(|f| match f.rule {
                                Rule::NextSeq => {
                                    let i = spec
                                        .target_key
                                        .iter()
                                        .position(|k| *k == f.target)
                                        .unwrap_or(0);
                                    keyed.get(i).cloned().unwrap_or(Val::Null)
                                }
                                _ => cols
                                    .iter()
                                    .find(|(c, _)| *c == f.target)
                                    .map_or(Val::Null, |(_, v)| v.clone()),
                            })
                            .collect();
                        expected.insert(key, vals);
                    }
                    other => report.other.push(d(format!(
                        "written to D1, but the mapping now gives {other:?}"
                    ))),
                }
            }
            cursor = Some(last);
        }
        let key_expr = spec.target_key.join(" || '/' || ");
        let mut actual = parity::Rows::new();
        for r in target.query(
            &format!(
                "SELECT {key_expr}, {} FROM {}",
                columns.join(", "),
                spec.target
            ),
            &[],
        )? {
            actual.insert(text(&r[0]), r[1..].to_vec());
        }
        if spec.adopt_existing {
            // The seeded catalogue's own rows are not the old store's business.
            actual.retain(|k, _| expected.contains_key(k));
        }
        let keys = parity::sample_keys(expected.keys(), sample, seed);
        let mut t = parity::compare(spec.target, &columns, &expected, &actual, &keys);
        t.legacy_rows = legacy_rows;
        t.flagged = flagged;
        report.tables.push(t);
    }
    for r in target.query(
        "SELECT legacy_table, legacy_id, kind, detail FROM legacy_import_issues WHERE resolved_at IS NULL ORDER BY legacy_table, legacy_id",
        &[],
    )? {
        report.flagged.push(Flagged { legacy_table: text(&r[0]), legacy_id: text(&r[1]), kind: text(&r[2]), detail: text(&r[3]) });
    }
    Ok(report)
}

/// `plan`: the mapping; with the old store at hand, also the columns it
/// lacks or that the mapping does not mention.
pub async fn plan(legacy: Option<&Legacy>) -> Result<(String, bool), Error> {
    let mut out = crate::spec::render_markdown();
    let mut ok = true;
    if let Some(legacy) = legacy {
        out.push_str("### The old schema against the mapping\n\n");
        for spec in TABLES {
            let have: Vec<&str> = legacy
                .columns(spec.legacy)
                .iter()
                .map(|(c, _)| c.as_str())
                .collect();
            let mentioned: Vec<&str> = spec
                .fields
                .iter()
                .flat_map(|f| f.from.split(", "))
                .chain(spec.dropped.iter().map(|(c, _)| *c))
                .filter(|c| !c.is_empty() && !c.contains('.'))
                .collect();
            for m in &mentioned {
                if !have.contains(m) {
                    ok = false;
                    out.push_str(&format!(
                        "- MISSING: {}.{m} is mapped but the old store has no such column\n",
                        spec.legacy
                    ));
                }
            }
            for h in &have {
                if !mentioned.contains(h) && *h != "updated_at" && *h != "id" {
                    ok = false;
                    out.push_str(&format!("- UNMAPPED: {}.{h} exists in the old store but the mapping does not say where it goes\n", spec.legacy));
                }
            }
        }
        if ok {
            out.push_str("- every old column is mapped or listed as not carried\n");
        }
    }
    Ok((out, ok))
}

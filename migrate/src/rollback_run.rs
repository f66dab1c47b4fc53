//! `connvo-migrate rollback --since T` (rule L5; the pure reverse mapping
//! is `rollback`): reads what D1 changed after the cutover `T`, replays it
//! into the old store in one PostgreSQL transaction, then records in
//! `legacy_id_map` the old ids it minted for rows the new app created and
//! the rows it deleted, so running it again writes the same rows and a
//! later `sync` maps them back without duplicates.
//!
//! Nothing is written when any row cannot be reversed (a reference the
//! old store lacks): the report lists every such row and the command exits
//! non-zero, so a rollback is all or nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::legacy::{Error, Legacy};
use crate::rollback::{self, val_text as text, Lookup, NewRow, PgStmt};
use crate::spec::{self, TABLES};
use crate::target::D1Target;
use crate::value::Val;
use crate::writes::{self, MapRow, Stmt, WRITTEN};

/// Counts per old table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Rows changed in D1 since `T` and written back.
    pub replayed: usize,
    /// Of those, rows the new app created (old ids minted).
    pub minted: usize,
    /// Rows gone from D1, deleted (users: soft-deleted) in the old store.
    pub deleted: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tables: BTreeMap<&'static str, Counts>,
    /// What the old model could not hold (per row).
    pub notes: Vec<String>,
    /// Rows that could not be reversed; non-empty means nothing was written.
    pub errors: Vec<String>,
    pub dry_run: bool,
}

impl Report {
    pub fn render(&self) -> String {
        let mut out = format!(
            "{:<22} {:>9} {:>8} {:>8}\n",
            "old table", "replayed", "minted", "deleted"
        );
        for (t, c) in &self.tables {
            out.push_str(&format!(
                "{t:<22} {:>9} {:>8} {:>8}\n",
                c.replayed, c.minted, c.deleted
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("NOTE {n}\n"));
        }
        for e in &self.errors {
            out.push_str(&format!("CANNOT REVERSE {e}\n"));
        }
        out.push_str(if !self.errors.is_empty() {
            "rollback: refused, nothing written\n"
        } else if self.dry_run {
            "rollback: dry run, nothing written\n"
        } else {
            "rollback: replayed into the old store\n"
        });
        out
    }
}

/// The id map as the reverse needs it: a new key's old id. Users resolve
/// only through rows written under them (a merged duplicate account is
/// not the person's row); interests also through catalogue matches.
#[derive(Default)]
struct Ids(HashMap<(String, String), String>);

impl Lookup for Ids {
    fn legacy_id(&self, legacy_table: &str, new_key: &str) -> Option<String> {
        self.0
            .get(&(legacy_table.to_owned(), new_key.to_owned()))
            .cloned()
    }
}

pub async fn rollback(
    legacy: &Legacy,
    target: &mut dyn D1Target,
    since: i64,
    dry_run: bool,
    now: i64,
) -> Result<Report, Error> {
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    let mut ids = Ids::default();
    // (old table, old id, new key) of every row the id map says D1 holds.
    let mut written: Vec<(String, String, String)> = Vec::new();
    for r in target.query(
        "SELECT legacy_table, legacy_id, new_key, status FROM legacy_id_map WHERE new_key IS NOT NULL",
        &[],
    )? {
        let (Some(table), Some(id), Some(key), Some(status)) =
            (text(&r[0]), text(&r[1]), text(&r[2]), text(&r[3]))
        else {
            continue;
        };
        let live = WRITTEN.contains(&status.as_str());
        if live || (status == "merged" && table == "interests") {
            ids.0.insert((table.clone(), key.clone()), id.clone());
        }
        if live {
            written.push((table, id, key));
        }
    }

    let mut pg: Vec<PgStmt> = Vec::new();
    let mut d1: Vec<Stmt> = Vec::new();
    for spec in TABLES {
        let Some(changed) = rollback::changed_column(spec) else {
            continue;
        };
        let cols: Vec<&'static str> = spec.target_columns().collect();
        let rows = target.query(
            &format!(
                "SELECT {} FROM {} WHERE {changed} > ?1 ORDER BY {changed}",
                cols.join(", "),
                spec.target
            ),
            &[Val::Int(since)],
        )?;
        let counts = report.tables.entry(spec.legacy).or_default();
        for r in rows {
            let row: NewRow = cols.iter().copied().zip(r).collect();
            if spec.legacy == "user_interests" {
                let key = row.get("interest_key").and_then(text).unwrap_or_default();
                if ids.legacy_id("interests", &key).is_none() {
                    let found = target.query(
                        "SELECT label, category FROM interests WHERE key = ?1",
                        &[Val::text(&key)],
                    )?;
                    if let Some(i) = found.first() {
                        let label = text(&i[0]).unwrap_or_else(|| key.clone());
                        let old_id = if dry_run {
                            format!("(new interest {label})")
                        } else {
                            legacy
                                .ensure_interest(&label, text(&i[1]).as_deref())
                                .await?
                        };
                        let interests = spec::table("interests").ok_or("no interests spec")?;
                        d1.push(writes::map_upsert(
                            interests,
                            &MapRow {
                                legacy_id: &old_id,
                                new_key: Some(&key),
                                status: "imported",
                                detail: Some(r#"{"source":"rollback"}"#),
                                source_updated_at: None,
                            },
                            now,
                        ));
                        ids.0.insert(("interests".into(), key.clone()), old_id);
                    }
                }
            }
            match rollback::reverse_row(spec, &row, &ids) {
                Ok(w) => {
                    counts.replayed += 1;
                    for n in &w.notes {
                        report
                            .notes
                            .push(format!("{} {}: {n}", spec.target, w.new_key));
                    }
                    if w.minted {
                        counts.minted += 1;
                        ids.0
                            .insert((spec.legacy.into(), w.new_key.clone()), w.legacy_id.clone());
                        d1.push(writes::map_upsert(
                            spec,
                            &MapRow {
                                legacy_id: &w.legacy_id,
                                new_key: Some(&w.new_key),
                                status: "imported",
                                detail: Some(r#"{"source":"rollback"}"#),
                                source_updated_at: None,
                            },
                            now,
                        ));
                    }
                    pg.push(rollback::upsert_sql(&w));
                }
                Err(e) => report.errors.push(e),
            }
        }
    }

    // Deletes, children first: rows the map says D1 holds but D1 no longer has.
    for spec in TABLES.iter().rev() {
        if spec.legacy == "interests" {
            continue;
        }
        let keys = spec.target_key.join(" || '/' || ");
        let present: HashSet<String> = target
            .query(&format!("SELECT {keys} FROM {}", spec.target), &[])?
            .iter()
            .filter_map(|r| text(&r[0]))
            .collect();
        for (table, old_id, key) in written.iter().filter(|(t, _, _)| t == spec.legacy) {
            if present.contains(key) {
                continue;
            }
            report.tables.entry(spec.legacy).or_default().deleted += 1;
            pg.push(rollback::delete_sql(table, old_id, now));
            d1.push(writes::map_upsert(
                spec,
                &MapRow::unwritten(old_id, "deleted", None),
                now,
            ));
        }
    }

    if !report.errors.is_empty() || dry_run {
        return Ok(report);
    }
    legacy.apply(&pg).await?;
    if !d1.is_empty() {
        target.batch(&d1)?;
    }
    Ok(report)
}

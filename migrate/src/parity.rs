//! The parity report (requirement 16.4): per table, the rows the old store
//! implies (each legacy row through the mapping) against the rows D1 holds —
//! counts, a checksum over normalised rows, every missing, extra or
//! differing row, and a seeded random sample compared field by field. Pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::value::Val;

/// Rows of one table keyed by their new key; values in `columns` order.
pub type Rows = BTreeMap<String, Vec<Val>>;

/// SHA-256 over the rows in key order, each value in its canonical form.
/// Equal checksums mean equal normalised tables.
pub fn checksum(rows: &Rows) -> String {
    let mut h = Sha256::new();
    for (key, vals) in rows {
        h.update(key.len().to_le_bytes());
        h.update(key.as_bytes());
        for v in vals {
            let c = v.canonical();
            h.update(c.len().to_le_bytes());
            h.update(c.as_bytes());
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One difference, named: table, key, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Discrepancy {
    pub table: String,
    pub key: String,
    pub what: String,
}

/// A row not written on purpose, listed beside the parity.
#[derive(Debug, Clone, PartialEq)]
pub struct Flagged {
    pub legacy_table: String,
    pub legacy_id: String,
    pub kind: String,
    pub detail: String,
}

/// One table's parity.
#[derive(Debug, Clone, Default)]
pub struct TableParity {
    pub table: String,
    pub legacy_rows: usize,
    pub flagged: usize,
    pub expected: usize,
    pub actual: usize,
    pub expected_checksum: String,
    pub actual_checksum: String,
    pub sampled: usize,
    pub discrepancies: Vec<Discrepancy>,
}

/// Compares one table. `sample` are keys of `expected` to compare field by
/// field and count as sampled (every differing row is reported anyway).
pub fn compare(
    table: &str,
    columns: &[&str],
    expected: &Rows,
    actual: &Rows,
    sample: &[String],
) -> TableParity {
    let mut discrepancies = Vec::new();
    for (key, want) in expected {
        match actual.get(key) {
            None => discrepancies.push(Discrepancy {
                table: table.into(),
                key: key.clone(),
                what: "missing from D1".into(),
            }),
            Some(got) => {
                for (i, c) in columns.iter().enumerate() {
                    if want.get(i) != got.get(i) {
                        discrepancies.push(Discrepancy {
                            table: table.into(),
                            key: key.clone(),
                            what: format!(
                                "{c}: old store implies {}, D1 has {}",
                                want.get(i).unwrap_or(&Val::Null),
                                got.get(i).unwrap_or(&Val::Null)
                            ),
                        });
                    }
                }
            }
        }
    }
    for key in actual.keys().filter(|k| !expected.contains_key(*k)) {
        discrepancies.push(Discrepancy {
            table: table.into(),
            key: key.clone(),
            what: "in D1 but not in the old store (or not imported from it)".into(),
        });
    }
    let sampled = sample.iter().filter(|k| expected.contains_key(*k)).count();
    TableParity {
        table: table.into(),
        expected: expected.len(),
        actual: actual.len(),
        expected_checksum: checksum(expected),
        actual_checksum: checksum(actual),
        sampled,
        discrepancies,
        ..TableParity::default()
    }
}

/// `n` keys picked at random (xorshift seeded by `seed`), without repeats.
pub fn sample_keys<'a>(keys: impl Iterator<Item = &'a String>, n: usize, seed: u64) -> Vec<String> {
    let all: Vec<&String> = keys.collect();
    if all.len() <= n {
        return all.into_iter().cloned().collect();
    }
    let mut state = seed.max(1);
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        picked.insert((state % all.len() as u64) as usize);
    }
    picked.into_iter().map(|i| all[i].clone()).collect()
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tables: Vec<TableParity>,
    pub flagged: Vec<Flagged>,
    /// Problems outside one table's rows (id map inconsistencies).
    pub other: Vec<Discrepancy>,
}

impl Report {
    pub fn discrepancies(&self) -> impl Iterator<Item = &Discrepancy> {
        self.tables
            .iter()
            .flat_map(|t| t.discrepancies.iter())
            .chain(self.other.iter())
    }

    pub fn clean(&self) -> bool {
        self.discrepancies().next().is_none()
    }

    /// The report as text: one line per table, then every discrepancy, then
    /// the flagged rows.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<22} {:>8} {:>8} {:>9} {:>8} {:>8}  checksum",
            "table", "legacy", "flagged", "expected", "d1", "sampled"
        );
        for t in &self.tables {
            let sum = if t.expected_checksum == t.actual_checksum {
                format!("{} ok", &t.actual_checksum[..12])
            } else {
                format!(
                    "{} ≠ {}",
                    &t.expected_checksum[..12],
                    &t.actual_checksum[..12]
                )
            };
            let _ = writeln!(
                out,
                "{:<22} {:>8} {:>8} {:>9} {:>8} {:>8}  {sum}",
                t.table, t.legacy_rows, t.flagged, t.expected, t.actual, t.sampled
            );
        }
        let n = self.discrepancies().count();
        if n == 0 {
            let _ = writeln!(out, "parity: clean");
        } else {
            let _ = writeln!(out, "parity: {n} discrepancies");
            for d in self.discrepancies() {
                let _ = writeln!(out, "  DISCREPANCY {} {}: {}", d.table, d.key, d.what);
            }
        }
        let _ = writeln!(
            out,
            "flagged rows (not written as they were; kept in legacy_import_issues): {}",
            self.flagged.len()
        );
        for f in &self.flagged {
            let _ = writeln!(
                out,
                "  FLAGGED {} {} [{}] {}",
                f.legacy_table, f.legacy_id, f.kind, f.detail
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(items: &[(&str, Vec<Val>)]) -> Rows {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn equal_tables_are_clean_with_equal_checksums() {
        let a = rows(&[("1", vec![Val::text("x"), Val::Int(1)])]);
        let p = compare("t", &["a", "b"], &a, &a.clone(), &["1".into()]);
        assert!(p.discrepancies.is_empty());
        assert_eq!(p.expected_checksum, p.actual_checksum);
        assert_eq!(p.sampled, 1);
    }

    #[test]
    fn a_changed_field_is_named_and_changes_the_checksum() {
        let a = rows(&[("1", vec![Val::text("x"), Val::Int(1)])]);
        let b = rows(&[("1", vec![Val::text("x"), Val::Int(2)])]);
        let p = compare("t", &["a", "b"], &a, &b, &[]);
        assert_eq!(p.discrepancies.len(), 1);
        assert_eq!(p.discrepancies[0].what, "b: old store implies 1, D1 has 2");
        assert_ne!(p.expected_checksum, p.actual_checksum);
    }

    #[test]
    fn missing_and_extra_rows_are_named() {
        let a = rows(&[("1", vec![Val::Null])]);
        let b = rows(&[("2", vec![Val::Null])]);
        let p = compare("t", &["a"], &a, &b, &[]);
        let whats: Vec<_> = p
            .discrepancies
            .iter()
            .map(|d| (d.key.as_str(), d.what.as_str()))
            .collect();
        assert_eq!(whats[0], ("1", "missing from D1"));
        assert!(whats[1].1.starts_with("in D1 but not"));
    }

    #[test]
    fn checksums_tell_types_and_boundaries_apart() {
        let a = rows(&[("1", vec![Val::Int(1)])]);
        let b = rows(&[("1", vec![Val::text("1")])]);
        assert_ne!(checksum(&a), checksum(&b));
        let c = rows(&[("1", vec![Val::text("ab"), Val::text("c")])]);
        let d = rows(&[("1", vec![Val::text("a"), Val::text("bc")])]);
        assert_ne!(checksum(&c), checksum(&d));
    }

    #[test]
    fn samples_are_seeded_and_distinct() {
        let keys: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let s1 = sample_keys(keys.iter(), 10, 7);
        assert_eq!(s1, sample_keys(keys.iter(), 10, 7));
        assert_eq!(s1.len(), 10);
        assert_eq!(sample_keys(keys.iter().take(3), 10, 7).len(), 3);
    }
}

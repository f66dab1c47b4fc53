//! Keyset cursors and the sync watermark. Every pass over a legacy table
//! reads it in (updated_at, key) order from a cursor, and the cursor of the
//! last row written is the table's checkpoint: an interrupted import resumes
//! after it, and `sync` continues from it (the `updated_at` watermark).

use crate::convert::timestamp_ms;

/// A position in a table's (updated_at, key) order. `changed` is
/// PostgreSQL's own text of the timestamp, so the comparison back in
/// PostgreSQL is exact to the microsecond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub changed: String,
    pub key: String,
}

/// Where a sync pass starts: `overlap_ms` before the watermark, because a
/// transaction can commit after a later one was read while its `updated_at`
/// (taken at its start) is older. Re-reading is harmless: every write is
/// an upsert owned by its legacy row.
pub fn sync_start(watermark: Option<&Cursor>, overlap_ms: i64) -> Option<Cursor> {
    let w = watermark?;
    if overlap_ms <= 0 {
        return Some(w.clone());
    }
    let ms = timestamp_ms(&w.changed).ok()?;
    Some(Cursor {
        changed: ms_to_pg(ms - overlap_ms),
        key: String::new(),
    })
}

/// Unix ms as a PostgreSQL timestamptz literal in UTC.
pub fn ms_to_pg(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03}+00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// How far a batch may go: up to (not including) the first row that must
/// wait for its parent, so the checkpoint never passes a row not written.
pub fn writable_prefix(deferred: &[bool]) -> usize {
    deferred.iter().position(|d| *d).unwrap_or(deferred.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_round_trips_through_the_pg_form() {
        for ms in [0, 1_709_285_525_500, -1, 253_402_300_799_999] {
            assert_eq!(timestamp_ms(&ms_to_pg(ms)), Ok(ms));
        }
    }

    #[test]
    fn sync_starts_an_overlap_before_the_watermark() {
        let w = Cursor {
            changed: "2024-03-01 09:32:05.5+00".into(),
            key: "k".into(),
        };
        let s = sync_start(Some(&w), 5_000).unwrap();
        assert_eq!(timestamp_ms(&s.changed), Ok(1_709_285_520_500));
        assert_eq!(s.key, "");
        assert_eq!(sync_start(Some(&w), 0), Some(w));
        assert_eq!(sync_start(None, 5_000), None);
    }

    #[test]
    fn a_batch_stops_before_the_first_deferred_row() {
        assert_eq!(writable_prefix(&[false, false, true, false]), 2);
        assert_eq!(writable_prefix(&[false, false]), 2);
        assert_eq!(writable_prefix(&[true]), 0);
    }
}

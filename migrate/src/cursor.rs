//! Keyset cursors and the sync watermark. Every pass over a legacy table
//! reads it in (updated_at, key) order from a cursor, and the cursor of the
//! last row written is the table's checkpoint: an interrupted import resumes
//! after it, and `sync` continues from it (the `updated_at` watermark).

use connvo_shared::time::format_rfc3339_ms;

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
        // PostgreSQL reads RFC 3339 as a timestamptz.
        changed: format_rfc3339_ms(ms - overlap_ms)?,
        key: String::new(),
    })
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
    fn ms_round_trips_through_the_cursor_form() {
        for ms in [0, 1_709_285_525_500, -1, 253_402_300_799_999] {
            assert_eq!(timestamp_ms(&format_rfc3339_ms(ms).unwrap()), Ok(ms));
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

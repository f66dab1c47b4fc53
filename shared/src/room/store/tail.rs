//! The newest items of a sequenced stream this store appended, kept in
//! memory so that delivering them does not read back what was just
//! written (issue 17: in the Durable Object every read is a statement and
//! a row conversion through JS). A live room's cursors trail the head by
//! a coalescing window's worth of items at most, so `*_after` is served
//! from here; older cursors (resume, catch-up) read the table.
//!
//! Only correct while this store instance is the only writer, which the
//! room is (its object is the single writer of its SQLite). A clone starts
//! empty, as `Written` does for the call presence.

use std::collections::VecDeque;

/// How many of the newest items are kept: above the room's `coalesce_max`
/// (20), so one coalesced delivery is always served from memory.
pub(super) const TAIL_LEN: usize = 64;

/// The newest items appended, with their seqs, contiguous and ending at
/// the last one appended.
#[derive(Debug)]
pub(super) struct Tail<T> {
    items: VecDeque<(u64, T)>,
}

impl<T> Default for Tail<T> {
    fn default() -> Self {
        Tail {
            items: VecDeque::new(),
        }
    }
}

impl<T> Clone for Tail<T> {
    fn clone(&self) -> Self {
        Tail::default()
    }
}

impl<T: Clone> Tail<T> {
    /// Records an item just appended at `seq` (the store checked it is the
    /// next one).
    pub(super) fn push(&mut self, seq: u64, item: T) {
        if self.items.back().is_some_and(|(last, _)| last + 1 != seq) {
            self.items.clear();
        }
        if self.items.len() == TAIL_LEN {
            self.items.pop_front();
        }
        self.items.push_back((seq, item));
    }

    /// The items after `seq`, at most `limit`, when every one of them is
    /// here; `None` sends the caller to the table.
    pub(super) fn after(&self, seq: u64, limit: usize) -> Option<Vec<T>> {
        let (first, _) = self.items.front()?;
        if seq.saturating_add(1) < *first {
            return None;
        }
        Some(
            self.items
                .iter()
                .filter(|(s, _)| *s > seq)
                .take(limit)
                .map(|(_, item)| item.clone())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_what_it_holds_and_sends_older_cursors_to_the_table() {
        let mut tail = Tail::default();
        assert_eq!(tail.after(0, 10), None, "empty: read the table");
        for seq in 5..=7 {
            tail.push(seq, seq * 10);
        }
        assert_eq!(tail.after(4, 10), Some(vec![50, 60, 70]));
        assert_eq!(tail.after(5, 1), Some(vec![60]));
        assert_eq!(tail.after(7, 10), Some(vec![]));
        assert_eq!(tail.after(3, 10), None, "item 4 is not here");
        // A gap (another writer) starts over.
        tail.push(9, 90);
        assert_eq!(tail.after(7, 10), None);
        assert_eq!(tail.after(8, 10), Some(vec![90]));
        for seq in 10..10 + TAIL_LEN as u64 {
            tail.push(seq, 0);
        }
        assert_eq!(tail.after(8, 1), None, "bounded: the oldest (9) went");
        assert_eq!(tail.after(9, 1), Some(vec![0]));
        assert!(tail.clone().after(100, 1).is_none(), "a clone forgets");
    }
}

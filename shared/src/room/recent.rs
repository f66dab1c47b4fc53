//! The newest committed items of an append-only feed (transcript, chat),
//! kept in memory so that live delivery — cursors a few items behind the
//! head — encodes from them instead of reading the store back for every
//! delivery. Only items already in the store are kept (pushed after the
//! store accepted them), and a read the tail cannot answer whole (an older
//! cursor: a resume, a slow reader) goes to the store as before, so
//! delivery sends exactly what the store holds.

use std::collections::VecDeque;

/// How many items a tail keeps: more than a busy room commits between two
/// deliveries (the coalescing window bounds what waits).
pub(super) const RECENT_ITEMS: usize = 64;

/// The newest items of one feed with their seqs, contiguous up to the
/// newest pushed.
#[derive(Debug, Clone)]
pub(super) struct RecentTail<T> {
    items: VecDeque<(u64, T)>,
}

impl<T> Default for RecentTail<T> {
    fn default() -> Self {
        RecentTail {
            items: VecDeque::new(),
        }
    }
}

impl<T: Clone> RecentTail<T> {
    /// Records the item just committed at `seq`. A gap (a seq that does not
    /// follow the newest) starts the tail again from it.
    pub(super) fn push(&mut self, seq: u64, item: T) {
        if self.items.back().is_some_and(|(last, _)| last + 1 != seq) {
            self.items.clear();
        }
        if self.items.len() == RECENT_ITEMS {
            self.items.pop_front();
        }
        self.items.push_back((seq, item));
    }

    /// The `count` items after `from` (seqs `from + 1 ..= from + count`),
    /// when the tail holds all of them and they reach `head`; `None` sends
    /// the caller to the store.
    pub(super) fn after(&self, from: u64, count: usize, head: u64) -> Option<Vec<T>> {
        let (first, _) = self.items.front()?;
        let (last, _) = self.items.back()?;
        let upto = from.checked_add(u64::try_from(count).ok()?)?;
        if *last != head || from + 1 < *first || upto != head || count == 0 {
            return None;
        }
        let skip = usize::try_from(from + 1 - first).ok()?;
        Some(
            self.items
                .range(skip..skip + count)
                .map(|(_, item)| item.clone())
                .collect(),
        )
    }

    /// [`RecentTail::after`], or else `read` (the store).
    pub(super) fn or_read<E>(
        &self,
        from: u64,
        count: usize,
        head: u64,
        read: impl FnOnce() -> Result<Vec<T>, E>,
    ) -> Result<Vec<T>, E> {
        match self.after(from, count, head) {
            Some(items) => Ok(items),
            None => read(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_answers_only_whole_reads_that_reach_the_head() {
        let mut t = RecentTail::default();
        assert_eq!(t.after(0, 1, 0), None);
        for seq in 1..=3u64 {
            t.push(seq, seq * 10);
        }
        assert_eq!(t.after(2, 1, 3), Some(vec![30]));
        assert_eq!(t.after(0, 3, 3), Some(vec![10, 20, 30]));
        // Not at the head (something was committed without a push).
        assert_eq!(t.after(2, 1, 4), None);
        // Short of the head, or nothing asked.
        assert_eq!(t.after(1, 1, 3), None);
        assert_eq!(t.after(3, 0, 3), None);
        // Older than the tail: the store.
        for seq in 4..=(RECENT_ITEMS as u64 + 10) {
            t.push(seq, seq * 10);
        }
        let head = RECENT_ITEMS as u64 + 10;
        assert_eq!(t.after(0, head as usize, head), None);
        let first = head - RECENT_ITEMS as u64 + 1;
        assert_eq!(
            t.after(first - 1, RECENT_ITEMS, head).map(|v| v.len()),
            Some(RECENT_ITEMS)
        );
        assert_eq!(t.after(first - 2, RECENT_ITEMS + 1, head), None);
        // A gap starts again.
        t.push(head + 5, 1);
        assert_eq!(t.after(head + 4, 1, head + 5), Some(vec![1]));
        assert_eq!(t.after(head, 5, head + 5), None);
    }
}

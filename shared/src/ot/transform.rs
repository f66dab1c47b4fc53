//! Transforming an op so it applies after a concurrent one, and moving a
//! cursor over an op. Semantics, including tie-breaks, are those of
//! `ot-text-unicode`, so the server and browser clients that use that
//! library agree char for char.

use super::op::{Component, Op};
use super::take::{Taker, Whole};

/// Which of two concurrent ops wins a tie, i.e. two inserts at the same
/// position. The op transformed with `Left` keeps its text first.
///
/// The server transforms an incoming op with `Left` against the ops
/// committed before it (ShareDB's choice); the client therefore transforms
/// its unacknowledged ops with `Left` and incoming server ops with `Right`,
/// so both sides compute the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

/// `op` rewritten to apply after `other`, where both were made against the
/// same document. With `a` and `b` concurrent:
/// `apply(apply(d, a), transform(b, a, Right)) == apply(apply(d, b), transform(a, b, Left))`.
///
/// Total: any two ops transform; an op that did not fit its document still
/// will not fit, and `apply` reports it.
pub fn transform(op: &Op, other: &Op, side: Side) -> Op {
    let mut out = Op::builder();
    let mut mine = Taker::new(op);
    for theirs in other.components() {
        match theirs {
            Component::Retain(n) => {
                let mut left = *n;
                while left > 0 {
                    let piece = mine.take(left, Whole::Inserts);
                    if !matches!(piece, Component::Insert(_)) {
                        left -= piece.char_len();
                    }
                    out.push(piece);
                }
            }
            Component::Insert(text) => {
                if side == Side::Left && matches!(mine.peek(), Some(Component::Insert(_))) {
                    if let Some(first) = mine.take_rest() {
                        out.push(first);
                    }
                }
                out.push(Component::Retain(super::chars::char_len(text)));
            }
            Component::Delete(n) => {
                let mut left = *n;
                while left > 0 {
                    match mine.take(left, Whole::Inserts) {
                        // Text the other op deleted: our retain or delete of
                        // it has nothing left to act on.
                        Component::Retain(k) | Component::Delete(k) => left -= k,
                        // Our insert inside their delete survives it.
                        insert @ Component::Insert(_) => out.push(insert),
                    }
                }
            }
        }
    }
    while let Some(rest) = mine.take_rest() {
        out.push(rest);
    }
    out.build()
}

/// Where a cursor at char `cursor` ends up after `op`. An insert exactly at
/// the cursor lands after it (the cursor stays put), as in `ot-text-unicode`'s
/// `transformPosition`; a cursor inside deleted text moves to the deletion's
/// start.
pub fn transform_position(cursor: usize, op: &Op) -> usize {
    let mut cursor = cursor;
    let mut pos = 0usize;
    for component in op.components() {
        if cursor <= pos {
            break;
        }
        match component {
            Component::Retain(n) => pos = pos.saturating_add(*n),
            Component::Insert(text) => {
                let n = super::chars::char_len(text);
                pos = pos.saturating_add(n);
                cursor = cursor.saturating_add(n);
            }
            Component::Delete(n) => cursor -= (*n).min(cursor - pos),
        }
    }
    cursor
}

#[cfg(test)]
mod tests {
    use super::super::apply::apply;
    use super::*;

    fn converge(doc: &str, a: &Op, b: &Op) -> String {
        let ab = apply(&apply(doc, a).unwrap(), &transform(b, a, Side::Right)).unwrap();
        let ba = apply(&apply(doc, b).unwrap(), &transform(a, b, Side::Left)).unwrap();
        assert_eq!(ab, ba, "a={a} b={b}");
        ab
    }

    #[test]
    fn left_insert_goes_first_on_a_tie() {
        let a = Op::insert_at(1, "A");
        let b = Op::insert_at(1, "B");
        assert_eq!(transform(&a, &b, Side::Left), Op::insert_at(1, "A"));
        assert_eq!(transform(&a, &b, Side::Right), Op::insert_at(2, "A"));
        assert_eq!(converge("xy", &a, &b), "xABy");
    }

    #[test]
    fn shifts_past_earlier_edits() {
        let a = Op::insert_at(3, "😀");
        let b = Op::delete_at(0, 2);
        assert_eq!(transform(&a, &b, Side::Left), Op::insert_at(1, "😀"));
        let c = Op::insert_at(0, "𝄞𝄞");
        assert_eq!(transform(&a, &c, Side::Right), Op::insert_at(5, "😀"));
        assert_eq!(converge("abcd", &a, &b), "c😀d");
    }

    #[test]
    fn overlapping_deletes_delete_once() {
        let a = Op::delete_at(1, 3);
        let b = Op::delete_at(2, 3);
        assert_eq!(transform(&a, &b, Side::Left), Op::delete_at(1, 1));
        assert_eq!(converge("abcdefg", &a, &b), "afg");
    }

    #[test]
    fn insert_inside_a_concurrent_delete_survives() {
        let a = Op::insert_at(2, "X");
        let b = Op::delete_at(1, 3);
        assert_eq!(transform(&a, &b, Side::Left), Op::insert_at(1, "X"));
        assert_eq!(converge("abcde", &a, &b), "aXe");
    }

    #[test]
    fn multi_component_ops() {
        let a = Op::builder()
            .retain(1)
            .delete(1)
            .retain(2)
            .insert("é")
            .build();
        let b = Op::builder()
            .insert("👍🏽")
            .retain(2)
            .delete(2)
            .insert("z")
            .build();
        // Both inserts land where "cd" was; `a` is on the left, so é comes first.
        assert_eq!(converge("abcdef", &a, &b), "👍🏽aézef");
    }

    #[test]
    fn positions() {
        let op = Op::builder().retain(2).insert("xyz").delete(2).build();
        assert_eq!(transform_position(0, &op), 0);
        assert_eq!(transform_position(2, &op), 2);
        assert_eq!(transform_position(3, &op), 5);
        assert_eq!(transform_position(4, &op), 5);
        assert_eq!(transform_position(6, &op), 7);
        assert_eq!(
            transform_position(usize::MAX, &Op::insert_at(0, "x")),
            usize::MAX
        );
    }
}

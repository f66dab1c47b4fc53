//! Composing two consecutive ops into one, which is how a client folds
//! edits made while an op is in flight into a single pending op.

use super::op::{Component, Op};
use super::take::{Taker, Whole};

/// One op with the effect of `a` followed by `b` (`b` made against the
/// document `a` produced): `apply(d, compose(a, b)) == apply(apply(d, a), b)`.
///
/// Total, like [`super::transform`]: a `b` that reaches past the end of
/// `a`'s output yields an op that `apply` refuses.
pub fn compose(a: &Op, b: &Op) -> Op {
    let mut out = Op::builder();
    let mut first = Taker::new(a);
    for second in b.components() {
        match second {
            Component::Retain(n) => {
                let mut left = *n;
                while left > 0 {
                    let piece = first.take(left, Whole::Deletes);
                    // `a`'s deletes removed text `b` never saw, so they do
                    // not use up `b`'s retain.
                    if !matches!(piece, Component::Delete(_)) {
                        left -= piece.char_len();
                    }
                    out.push(piece);
                }
            }
            Component::Insert(text) => out.push(Component::Insert(text.clone())),
            Component::Delete(n) => {
                let mut left = *n;
                while left > 0 {
                    match first.take(left, Whole::Deletes) {
                        Component::Retain(k) => {
                            out.push(Component::Delete(k));
                            left -= k;
                        }
                        // Text `a` inserted and `b` deletes: it never existed.
                        Component::Insert(text) => left -= super::chars::char_len(&text),
                        delete @ Component::Delete(_) => out.push(delete),
                    }
                }
            }
        }
    }
    while let Some(rest) = first.take_rest() {
        out.push(rest);
    }
    out.build()
}

#[cfg(test)]
mod tests {
    use super::super::apply::apply;
    use super::*;

    fn check(doc: &str, a: &Op, b: &Op) -> String {
        let step = apply(&apply(doc, a).unwrap(), b).unwrap();
        assert_eq!(apply(doc, &compose(a, b)).unwrap(), step, "a={a} b={b}");
        step
    }

    #[test]
    fn typing_then_fixing_a_typo() {
        let a = Op::insert_at(0, "helo");
        let b = Op::builder().retain(3).insert("l").build();
        assert_eq!(compose(&a, &b), Op::insert_at(0, "hello"));
        assert_eq!(check("", &a, &b), "hello");
    }

    #[test]
    fn deleting_inserted_text_cancels_out() {
        let a = Op::insert_at(1, "😀𝄞");
        let b = Op::delete_at(1, 2);
        assert!(compose(&a, &b).is_noop());
        check("ab", &a, &b);
    }

    #[test]
    fn deletes_pass_through_and_accumulate() {
        let a = Op::delete_at(1, 2);
        let b = Op::delete_at(0, 2);
        assert_eq!(compose(&a, &b), Op::delete_at(0, 4));
        assert_eq!(check("abcdef", &a, &b), "ef");
    }

    #[test]
    fn multi_component() {
        let a = Op::builder()
            .insert("x")
            .retain(2)
            .delete(1)
            .insert("é")
            .build();
        let b = Op::builder()
            .retain(1)
            .delete(2)
            .retain(1)
            .insert("👍🏽")
            .build();
        check("abcdef", &a, &b);
        check("abc", &a, &b);
    }

    #[test]
    fn composing_with_noop_is_identity() {
        let a = Op::builder().retain(2).insert("x").delete(1).build();
        assert_eq!(compose(&a, &Op::noop()), a);
        assert_eq!(compose(&Op::noop(), &a), a);
    }
}

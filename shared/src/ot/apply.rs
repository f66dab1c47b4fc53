//! Applying an op to a document string.

use super::chars::byte_offset;
use super::error::OtError;
use super::op::{Component, Op};

/// The document after `op`. Fails, leaving nothing half-done, when the op
/// retains or deletes past the end of `doc`.
pub fn apply(doc: &str, op: &Op) -> Result<String, OtError> {
    let mismatch = || OtError::BaseLengthMismatch {
        op_len: op.base_len(),
        doc_len: super::chars::char_len(doc),
    };
    let mut out = String::with_capacity(doc.len().saturating_add(op_insert_bytes(op)));
    let mut rest = doc;
    for component in op.components() {
        match component {
            Component::Retain(n) => {
                let at = byte_offset(rest, *n).ok_or_else(mismatch)?;
                let (kept, after) = rest.split_at_checked(at).ok_or_else(mismatch)?;
                out.push_str(kept);
                rest = after;
            }
            Component::Delete(n) => {
                let at = byte_offset(rest, *n).ok_or_else(mismatch)?;
                rest = rest.get(at..).ok_or_else(mismatch)?;
            }
            Component::Insert(text) => out.push_str(text),
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn op_insert_bytes(op: &Op) -> usize {
    op.components()
        .iter()
        .map(|c| match c {
            Component::Insert(text) => text.len(),
            Component::Retain(_) | Component::Delete(_) => 0,
        })
        .fold(0, usize::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_each_kind() {
        let op = Op::builder().retain(1).insert("😀").delete(2).build();
        assert_eq!(apply("a𝄞bc", &op).unwrap(), "a😀c");
        assert_eq!(apply("abc", &Op::noop()).unwrap(), "abc");
        assert_eq!(apply("", &Op::insert_at(0, "hi")).unwrap(), "hi");
        assert_eq!(apply("ab", &Op::insert_at(2, "c")).unwrap(), "abc");
        assert_eq!(apply("ab", &Op::delete_at(0, 2)).unwrap(), "");
    }

    #[test]
    fn never_splits_a_non_bmp_char() {
        // One scalar each, two UTF-16 units and four UTF-8 bytes each.
        let doc = "😀𝄞";
        assert_eq!(apply(doc, &Op::insert_at(1, "|")).unwrap(), "😀|𝄞");
        assert_eq!(apply(doc, &Op::delete_at(1, 1)).unwrap(), "😀");
    }

    #[test]
    fn refuses_ops_that_reach_past_the_end() {
        for op in [
            Op::insert_at(4, "x"),
            Op::delete_at(2, 2),
            Op::delete_at(0, 4),
        ] {
            let err = apply("a😀c", &op).unwrap_err();
            assert_eq!(err.code(), "OT_BASE_LENGTH_MISMATCH", "{op}");
        }
        let err = apply("abc", &Op::delete_at(1, usize::MAX)).unwrap_err();
        assert_eq!(
            err,
            OtError::BaseLengthMismatch {
                op_len: usize::MAX,
                doc_len: 3
            }
        );
    }
}

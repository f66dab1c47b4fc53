//! The text op: a walk over the document made of `Retain(n)`, `Insert(text)`
//! and `Delete(n)` components (the ShareDB / `ot-text-unicode` model), and the
//! normal form every [`Op`] is kept in.
//!
//! Lengths count Unicode scalar values; see [`super::chars`] for why. Text
//! after the op's last component is implicitly retained, so an op only has
//! to reach as far into the document as its last edit.

use super::chars::char_len;
use super::error::OtError;

/// One step of an op's walk over the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    /// Keep the next `n` chars.
    Retain(usize),
    /// Insert this text at the current position.
    Insert(String),
    /// Remove the next `n` chars.
    Delete(usize),
}

impl Component {
    /// Length in chars: the retained or deleted count, or the inserted text's length.
    pub fn char_len(&self) -> usize {
        match self {
            Component::Retain(n) | Component::Delete(n) => *n,
            Component::Insert(text) => char_len(text),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Component::Retain(n) | Component::Delete(n) => *n == 0,
            Component::Insert(text) => text.is_empty(),
        }
    }
}

/// A text op in normal form: no zero-length components, no two adjacent
/// components of the same kind, no trailing retain. The normal form is the
/// one `ot-text-unicode` produces (it does not reorder an insert and a delete
/// at the same position, because that order decides insert tie-breaks), so
/// two ops are equal exactly when their normal forms are.
///
/// Build one with [`Op::builder`], [`Op::insert_at`], [`Op::delete_at`],
/// [`Op::from_components`], or by deserialising the JSON wire form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, type = "Array<number | string | { d: number }>")
)]
pub struct Op {
    components: Vec<Component>,
}

impl Op {
    /// The op that changes nothing.
    pub fn noop() -> Op {
        Op::default()
    }

    pub fn builder() -> OpBuilder {
        OpBuilder::default()
    }

    /// Inserts `text` at char `pos`.
    pub fn insert_at(pos: usize, text: &str) -> Op {
        Op::builder().retain(pos).insert(text).build()
    }

    /// Deletes `len` chars starting at char `pos`.
    pub fn delete_at(pos: usize, len: usize) -> Op {
        Op::builder().retain(pos).delete(len).build()
    }

    /// Normalises any component list. Fails only when the op's lengths do
    /// not fit in a `usize`, which no real document can satisfy.
    pub fn from_components(components: impl IntoIterator<Item = Component>) -> Result<Op, OtError> {
        let mut builder = Op::builder();
        let (mut base, mut inserted) = (0usize, 0usize);
        for component in components {
            match &component {
                Component::Retain(n) | Component::Delete(n) => {
                    base = base
                        .checked_add(*n)
                        .ok_or_else(|| OtError::invalid("op length overflows"))?;
                }
                Component::Insert(text) => {
                    inserted = inserted
                        .checked_add(char_len(text))
                        .ok_or_else(|| OtError::invalid("op length overflows"))?;
                }
            }
            builder.push(component);
        }
        Ok(builder.build())
    }

    pub fn components(&self) -> &[Component] {
        &self.components
    }

    pub fn into_components(self) -> Vec<Component> {
        self.components
    }

    pub fn is_noop(&self) -> bool {
        self.components.is_empty()
    }

    /// How many chars of the document the op walks over (retained plus
    /// deleted). The document must be at least this long.
    pub fn base_len(&self) -> usize {
        self.components
            .iter()
            .map(|c| match c {
                Component::Retain(n) | Component::Delete(n) => *n,
                Component::Insert(_) => 0,
            })
            .fold(0, usize::saturating_add)
    }

    pub fn inserted_chars(&self) -> usize {
        self.components
            .iter()
            .map(|c| match c {
                Component::Insert(text) => char_len(text),
                Component::Retain(_) | Component::Delete(_) => 0,
            })
            .fold(0, usize::saturating_add)
    }

    pub fn deleted_chars(&self) -> usize {
        self.components
            .iter()
            .map(|c| match c {
                Component::Delete(n) => *n,
                Component::Retain(_) | Component::Insert(_) => 0,
            })
            .fold(0, usize::saturating_add)
    }

    /// The document length after applying the op to a document of
    /// `doc_len` chars, or `None` when the op does not fit that document.
    pub fn target_len(&self, doc_len: usize) -> Option<usize> {
        if self.base_len() > doc_len {
            return None;
        }
        (doc_len - self.deleted_chars()).checked_add(self.inserted_chars())
    }

    /// A one-word summary, stored next to archived ops (`note_ops.op_kind`).
    pub fn kind(&self) -> OpKind {
        let inserts = self
            .components
            .iter()
            .any(|c| matches!(c, Component::Insert(_)));
        let deletes = self
            .components
            .iter()
            .any(|c| matches!(c, Component::Delete(_)));
        match (inserts, deletes) {
            (true, true) => OpKind::Replace,
            (true, false) => OpKind::Insert,
            (false, true) => OpKind::Delete,
            (false, false) => OpKind::Retain,
        }
    }

    /// Refuses ops larger than a submission may be. Checked before any
    /// transform work so an oversized op costs the server nothing.
    pub fn check_size(
        &self,
        max_components: usize,
        max_inserted_chars: usize,
    ) -> Result<(), OtError> {
        let components = self.components.len();
        let inserted_chars = self.inserted_chars();
        if components > max_components || inserted_chars > max_inserted_chars {
            return Err(OtError::OpTooLong {
                components,
                inserted_chars,
                max_components,
                max_inserted_chars,
            });
        }
        Ok(())
    }
}

/// What an op does, in one word: only inserts, only deletes, both, or
/// nothing (`Retain`, the no-op).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Insert,
    Delete,
    Replace,
    Retain,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Insert => "insert",
            OpKind::Delete => "delete",
            OpKind::Replace => "replace",
            OpKind::Retain => "retain",
        }
    }
}

/// Appends components, merging and dropping as it goes, so that
/// [`OpBuilder::build`] yields the normal form. Trailing retains are kept
/// until `build`, because a retain followed by an insert is meaningful.
#[derive(Debug, Clone, Default)]
pub struct OpBuilder {
    components: Vec<Component>,
}

impl OpBuilder {
    pub fn retain(mut self, n: usize) -> Self {
        self.push(Component::Retain(n));
        self
    }

    pub fn insert(mut self, text: &str) -> Self {
        self.push(Component::Insert(text.to_owned()));
        self
    }

    pub fn delete(mut self, n: usize) -> Self {
        self.push(Component::Delete(n));
        self
    }

    /// Appends one component, merging it into the last one when they are the
    /// same kind. Sums saturate: they can only overflow for ops that no
    /// document fits, and those are refused when applied.
    pub fn push(&mut self, component: Component) {
        if component.is_empty() {
            return;
        }
        match (self.components.last_mut(), component) {
            (Some(Component::Retain(last)), Component::Retain(n))
            | (Some(Component::Delete(last)), Component::Delete(n)) => {
                *last = last.saturating_add(n);
            }
            (Some(Component::Insert(last)), Component::Insert(text)) => last.push_str(&text),
            (_, component) => self.components.push(component),
        }
    }

    pub fn build(mut self) -> Op {
        if let Some(Component::Retain(_)) = self.components.last() {
            self.components.pop();
        }
        Op {
            components: self.components,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Component::{Delete, Insert, Retain};

    #[test]
    fn normalises_merges_drops_and_trims() {
        let op = Op::from_components([
            Retain(0),
            Retain(2),
            Retain(1),
            Insert(String::new()),
            Insert("a".into()),
            Insert("😀".into()),
            Delete(1),
            Delete(0),
            Delete(2),
            Retain(4),
        ])
        .unwrap();
        assert_eq!(
            op.components(),
            &[Retain(3), Insert("a😀".into()), Delete(3)]
        );
        assert_eq!(op.base_len(), 6);
        assert_eq!(op.inserted_chars(), 2);
        assert_eq!(op.target_len(6), Some(5));
        assert_eq!(op.target_len(5), None);
    }

    #[test]
    fn keeps_insert_and_delete_order_because_it_decides_tie_breaks() {
        let a = Op::builder().delete(1).insert("x").build();
        let b = Op::builder().insert("x").delete(1).build();
        assert_ne!(a, b);
        assert_eq!(a.components().len(), 2);
    }

    #[test]
    fn retain_only_ops_are_noops() {
        assert!(Op::builder().retain(5).build().is_noop());
        assert!(Op::from_components([Retain(0), Delete(0)])
            .unwrap()
            .is_noop());
        assert!(Op::insert_at(3, "").is_noop());
    }

    #[test]
    fn overflowing_lengths_are_refused_not_wrapped() {
        let err =
            Op::from_components([Retain(usize::MAX), Delete(1), Insert("x".into())]).unwrap_err();
        assert_eq!(err.code(), "OT_INVALID_OP");
    }

    #[test]
    fn kinds() {
        assert_eq!(Op::insert_at(3, "x").kind().as_str(), "insert");
        assert_eq!(Op::delete_at(3, 1).kind().as_str(), "delete");
        let both = Op::builder().delete(1).insert("y").build();
        assert_eq!(both.kind().as_str(), "replace");
        assert_eq!(Op::noop().kind().as_str(), "retain");
    }

    #[test]
    fn size_limits() {
        let op = Op::insert_at(2, "héllo");
        assert!(op.check_size(2, 5).is_ok());
        assert_eq!(op.check_size(1, 5).unwrap_err().code(), "OT_OP_TOO_LONG");
        assert_eq!(op.check_size(2, 4).unwrap_err().code(), "OT_OP_TOO_LONG");
    }
}

//! A cursor that hands out an op's components piece by piece, splitting them
//! where the other op's components end. Transform and compose both walk one
//! op with this while iterating over the other.

use super::chars::split_at_char;
use super::op::{Component, Op};

/// Which kind of component must come out whole even when longer than asked:
/// transform never splits inserts, compose never splits deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Whole {
    Inserts,
    Deletes,
}

pub(crate) struct Taker<'a> {
    components: &'a [Component],
    index: usize,
    /// Chars of `components[index]` already handed out.
    offset: usize,
}

impl<'a> Taker<'a> {
    pub(crate) fn new(op: &'a Op) -> Self {
        Taker {
            components: op.components(),
            index: 0,
            offset: 0,
        }
    }

    /// The component the next `take` starts in.
    pub(crate) fn peek(&self) -> Option<&'a Component> {
        self.components.get(self.index)
    }

    /// Up to `max` chars from the front of the op. Past the end the op
    /// retains forever, so this never runs dry.
    pub(crate) fn take(&mut self, max: usize, whole: Whole) -> Component {
        match self.components.get(self.index) {
            None => Component::Retain(max),
            Some(Component::Retain(n)) => Component::Retain(self.take_count(*n, max)),
            Some(Component::Delete(n)) if whole == Whole::Deletes => {
                Component::Delete(self.take_count(*n, usize::MAX))
            }
            Some(Component::Delete(n)) => Component::Delete(self.take_count(*n, max)),
            Some(Component::Insert(text)) if whole == Whole::Inserts => {
                Component::Insert(self.take_text(text, usize::MAX))
            }
            Some(Component::Insert(text)) => Component::Insert(self.take_text(text, max)),
        }
    }

    /// The rest of the current component, or `None` at the end of the op.
    pub(crate) fn take_rest(&mut self) -> Option<Component> {
        let component = match self.components.get(self.index)? {
            Component::Retain(n) => Component::Retain(self.take_count(*n, usize::MAX)),
            Component::Delete(n) => Component::Delete(self.take_count(*n, usize::MAX)),
            Component::Insert(text) => Component::Insert(self.take_text(text, usize::MAX)),
        };
        Some(component)
    }

    fn take_count(&mut self, n: usize, max: usize) -> usize {
        let left = n.saturating_sub(self.offset);
        if left <= max {
            self.next_component();
            left
        } else {
            self.offset += max;
            max
        }
    }

    fn take_text(&mut self, text: &str, max: usize) -> String {
        let (_, rest) = split_at_char(text, self.offset);
        let (part, after) = split_at_char(rest, max);
        if after.is_empty() {
            self.next_component();
        } else {
            self.offset += max;
        }
        part.to_owned()
    }

    fn next_component(&mut self) {
        self.index += 1;
        self.offset = 0;
    }
}

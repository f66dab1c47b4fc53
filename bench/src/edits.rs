//! The notes edits the generator makes: each inserts one tagged line at the
//! start of a random line, and once the document is past a size cap, also
//! deletes one random whole line, so the document (and the server's
//! per-op work) stays bounded however long the run.
//!
//! Keeping every op whole-line is what lets receipts be matched: a line
//! is inserted at a line start and only whole lines are deleted, so OT never
//! cuts a tag in half (a concurrent delete around an insert leaves the insert
//! whole, and inserts at the same position stay separate lines). A line is
//! only deleted while this client has nothing unacknowledged, so the line is
//! committed, and everyone else has received or will receive the op that
//! inserted it whatever happens to it afterwards.
//!
//! The rule works on any replica of the notes ([`NotesText`]): the OT
//! client the Connvo and ShareDB participants hold, and the Yjs document the
//! y-partyserver participants hold, so every target gets the same edits.

use std::borrow::Cow;
use std::fmt::Display;

use connvo_shared::ot::gen::below;
use connvo_shared::ot::{NotesClient, Op, OtError};

/// What the edit rule needs from a participant's copy of the notes.
pub trait NotesText {
    type Error: Display;
    fn content(&self) -> Cow<'_, str>;
    fn char_len(&self) -> usize;
    /// Whether an own edit is still waiting for the server's acknowledgement.
    fn has_unacked(&self) -> bool;
    fn insert(&mut self, at: usize, text: &str) -> Result<(), Self::Error>;
    fn delete(&mut self, at: usize, len: usize) -> Result<(), Self::Error>;
}

impl NotesText for NotesClient {
    type Error = OtError;

    fn content(&self) -> Cow<'_, str> {
        Cow::Borrowed(NotesClient::content(self))
    }

    fn char_len(&self) -> usize {
        NotesClient::char_len(self)
    }

    fn has_unacked(&self) -> bool {
        NotesClient::has_unacked(self)
    }

    fn insert(&mut self, at: usize, text: &str) -> Result<(), OtError> {
        self.edit(Op::insert_at(at, text))
    }

    fn delete(&mut self, at: usize, len: usize) -> Result<(), OtError> {
        self.edit(Op::delete_at(at, len))
    }
}

/// Char positions where the lines of `text` start, plus the end when the
/// text is empty or ends with a newline (inserting there appends a line).
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut len = 0;
    for c in text.chars() {
        len += 1;
        if c == '\n' {
            starts.push(len);
        }
    }
    starts
}

/// Makes one local edit on `client`: inserts `line` (which must end with a
/// newline) at a random line start, then trims one other whole line when
/// the document is over `cap_chars`.
pub fn edit<N: NotesText>(
    client: &mut N,
    line: &str,
    rng: &mut u64,
    cap_chars: usize,
) -> Result<(), N::Error> {
    let may_trim = !client.has_unacked();
    let starts = line_starts(&client.content());
    let at = starts[below(rng, starts.len() as u64) as usize];
    client.insert(at, line)?;

    if may_trim && client.char_len() > cap_chars {
        let starts = line_starts(&client.content());
        // Whole lines are [starts[i], starts[i + 1]); the last start is the end.
        let lines: Vec<(usize, usize)> = starts
            .windows(2)
            .map(|w| (w[0], w[1] - w[0]))
            .filter(|&(start, _)| start != at)
            .collect();
        if !lines.is_empty() {
            let (start, len) = lines[below(rng, lines.len() as u64) as usize];
            client.delete(start, len)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_whole_lines_and_trims_past_the_cap() {
        let mut client = NotesClient::new("c", String::new(), 0);
        client.connect();
        let mut rng = 1;
        for i in 0..40 {
            edit(&mut client, &format!("line {i}\n"), &mut rng, 60).unwrap();
            // Acknowledge at once, as a quiet server would.
            if let Some(s) = client.poll_submit() {
                client.handle_ack(s.client_seq, s.base_version + 1).unwrap();
            }
            let text = client.content();
            assert!(text.ends_with('\n'));
            assert!(text.lines().all(|l| l.starts_with("line ")), "{text:?}");
            assert!(text.contains(&format!("line {i}\n")));
        }
        assert!(client.char_len() <= 60 + "line 39\n".len());
    }

    #[test]
    fn line_starts_include_the_end() {
        assert_eq!(line_starts(""), vec![0]);
        assert_eq!(line_starts("a\nbc\n"), vec![0, 2, 5]);
        assert_eq!(line_starts("a\nbc"), vec![0, 2], "never mid-line");
    }
}

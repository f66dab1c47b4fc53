//! The end-of-run checks: every acknowledged notes op, transcript chunk and
//! chat message is in the meeting's stored history exactly once, with the
//! seq (or version) it was acknowledged with, in each client's send order;
//! the stored op log replays to the stored document; and every client's
//! document equals the room's.
//!
//! The stored history is read from D1 after the meeting ended: ending makes
//! the room flush everything it holds (and answer only once that is done),
//! so D1 then holds what the room's own storage held, flushed across every
//! crash by batches that may repeat but never write twice.

use std::collections::BTreeMap;
use std::path::Path;

use connvo_shared::ot::{apply, Op};

use super::client::{Client, Item};

/// What the checks counted.
#[derive(Debug, Default, Clone)]
pub struct Verdict {
    pub notes_ops: u64,
    pub chunks: u64,
    pub messages: u64,
    /// Items acknowledged before at least one later kill.
    pub acked_before_a_kill: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    pub divergences: u64,
    /// Stored transcript chunks or chat messages no client had acknowledged.
    pub stored_unacknowledged: u64,
    /// Human-readable findings (the first few of each kind).
    pub findings: Vec<String>,
}

impl Verdict {
    pub fn items(&self) -> u64 {
        self.notes_ops + self.chunks + self.messages
    }

    fn finding(&mut self, what: String) {
        if self.findings.len() < 40 {
            self.findings.push(what);
        }
    }
}

/// The room's document as a fresh client saw it.
pub struct ServerDoc {
    pub content: String,
    pub version: u64,
}

pub fn check(
    state_dir: &Path,
    meeting: &str,
    clients: &[Client],
    server: &ServerDoc,
    kills: u32,
) -> Verdict {
    let mut v = Verdict::default();
    let q = |sql: &str| crate::d1::query(state_dir, sql, &[&meeting]);

    // Every client's document is the room's.
    for c in clients {
        if c.notes.content() != server.content || c.notes.version() != server.version {
            v.divergences += 1;
            v.finding(format!(
                "c{}: document at v{} ({} chars) differs from the room's v{} ({} chars)",
                c.index,
                c.notes.version(),
                c.notes.content().chars().count(),
                server.version,
                server.content.chars().count()
            ));
        }
    }

    // Notes: the op log is versions 1..=N, replays to the document, and
    // holds each acknowledged op once, at its acknowledged version.
    let ops = q("SELECT version, client_id, client_seq, op FROM note_ops WHERE meeting_id = ?1 ORDER BY version");
    let mut doc = String::new();
    let mut by_clock: BTreeMap<(String, u64), Vec<u64>> = BTreeMap::new();
    for (i, row) in ops.iter().enumerate() {
        let version = row["version"].as_u64().unwrap_or(0);
        if version != i as u64 + 1 {
            v.lost += 1;
            v.finding(format!(
                "note_ops: version {version} where {} belongs",
                i + 1
            ));
        }
        let op: Option<Op> = row["op"]
            .as_str()
            .and_then(|text| serde_json::from_str(text).ok());
        match op.map(|op| apply(&doc, &op)) {
            Some(Ok(next)) => doc = next,
            _ => {
                v.divergences += 1;
                v.finding(format!("note_ops: version {version} does not apply"));
            }
        }
        let clock = (
            row["client_id"].as_str().unwrap_or_default().to_owned(),
            row["client_seq"].as_u64().unwrap_or(0),
        );
        by_clock.entry(clock).or_default().push(version);
    }
    if ops.len() as u64 != server.version {
        v.lost += server.version.saturating_sub(ops.len() as u64);
        v.finding(format!(
            "note_ops holds {} ops, the room is at version {}",
            ops.len(),
            server.version
        ));
    }
    if doc != server.content {
        v.divergences += 1;
        v.finding("the stored op log does not replay to the room's document".into());
    }
    let stored = q("SELECT content, version FROM meeting_notes WHERE meeting_id = ?1");
    match stored.first() {
        Some(row)
            if row["content"].as_str() == Some(server.content.as_str())
                && row["version"].as_u64() == Some(server.version) => {}
        _ => {
            v.divergences += 1;
            v.finding("meeting_notes differs from the room's document".into());
        }
    }
    for c in clients {
        let mut last = 0;
        for ack in &c.notes_acked {
            v.notes_ops += 1;
            v.acked_before_a_kill += u64::from(ack.acked_at_kill < kills);
            let key = (c.client_id.clone(), ack.client_seq);
            match by_clock.get(&key).map(Vec::as_slice) {
                None | Some([]) => {
                    v.lost += 1;
                    v.finding(format!(
                        "c{}: notes op {} (acked as v{}) is not stored",
                        c.index, ack.client_seq, ack.version
                    ));
                }
                Some([version]) if *version != ack.version => {
                    v.out_of_order += 1;
                    v.finding(format!(
                        "c{}: notes op {} acked as v{}, stored as v{version}",
                        c.index, ack.client_seq, ack.version
                    ));
                }
                Some([_]) => {}
                Some(more) => {
                    v.duplicated += more.len() as u64 - 1;
                    v.finding(format!(
                        "c{}: notes op {} stored as {more:?}",
                        c.index, ack.client_seq
                    ));
                }
            }
            if ack.version <= last {
                v.out_of_order += 1;
                v.finding(format!(
                    "c{}: notes op {} acked as v{} after v{last}",
                    c.index, ack.client_seq, ack.version
                ));
            }
            last = ack.version;
        }
    }

    // Transcript and chat: seqs 1..=N, each acknowledged item once, at its seq.
    let chunks = q("SELECT seq, text AS id, speaker_id AS user_id FROM transcripts WHERE meeting_id = ?1 ORDER BY seq");
    let messages = q("SELECT seq, id, user_id FROM messages WHERE meeting_id = ?1 ORDER BY seq");
    for (what, rows, pick) in [
        (
            "transcript chunk",
            &chunks,
            (|c: &Client| &c.chunks) as fn(&Client) -> &Vec<Item>,
        ),
        ("chat message", &messages, |c: &Client| &c.chats),
    ] {
        let mut stored: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            let seq = row["seq"].as_u64().unwrap_or(0);
            if seq != i as u64 + 1 {
                v.lost += 1;
                v.finding(format!("{what}s: seq {seq} where {} belongs", i + 1));
            }
            let key = (
                row["user_id"].as_str().unwrap_or_default().to_owned(),
                row["id"].as_str().unwrap_or_default().to_owned(),
            );
            stored.entry(key).or_default().push(seq);
        }
        let mut acked_keys = std::collections::BTreeSet::new();
        for c in clients {
            let mut last = 0;
            for item in pick(c) {
                let Some(acked) = item.acked else { continue };
                acked_keys.insert((c.user.id.clone(), item.id.clone()));
                if what == "transcript chunk" {
                    v.chunks += 1;
                } else {
                    v.messages += 1;
                }
                v.acked_before_a_kill += u64::from(item.acked_at_kill < kills);
                match stored
                    .get(&(c.user.id.clone(), item.id.clone()))
                    .map(Vec::as_slice)
                {
                    None | Some([]) => {
                        v.lost += 1;
                        v.finding(format!(
                            "c{}: {what} {} (acked as seq {acked}) is not stored",
                            c.index, item.id
                        ));
                    }
                    Some([seq]) if *seq != acked => {
                        v.out_of_order += 1;
                        v.finding(format!(
                            "c{}: {what} {} acked as seq {acked}, stored as {seq}",
                            c.index, item.id
                        ));
                    }
                    Some([_]) => {}
                    Some(more) => {
                        v.duplicated += more.len() as u64 - 1;
                        v.finding(format!(
                            "c{}: {what} {} stored as seqs {more:?}",
                            c.index, item.id
                        ));
                    }
                }
                if acked <= last {
                    v.out_of_order += 1;
                    v.finding(format!(
                        "c{}: {what} {} acked as seq {acked} after seq {last}",
                        c.index, item.id
                    ));
                }
                last = acked;
            }
        }
        // Rows no acknowledged item accounts for: stored, yet the client
        // never learned it (after the settle, every write was acknowledged).
        let unaccounted: usize = stored
            .iter()
            .filter(|(key, _)| !acked_keys.contains(*key))
            .map(|(_, seqs)| seqs.len())
            .sum();
        if unaccounted > 0 {
            v.stored_unacknowledged += unaccounted as u64;
            v.finding(format!(
                "{unaccounted} stored {what}s that no client had acknowledged"
            ));
        }
    }
    v
}

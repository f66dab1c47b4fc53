//! The export job's pure steps (rules P30–P32 of `docs/privacy.md`): where
//! a run starts, which keyset page it reads next, where the page leaves the
//! cursor, and how the parts the runs wrote become one JSON document.
//!
//! The job works in bounded runs. Each run reads at most a few pages,
//! writes what it read as one part object to R2, and records the progress
//! ([`ExportProgress`], JSON on the request row) with a compare-and-set on
//! the progress it started from, so two deliveries of the same job never
//! both move it. When every data set is read, the parts are merged into
//! the document ([`assemble`]).
//!
//! Every set is read with keyset pagination on a column the statement
//! orders by (rowid, sequence, meeting id, or `(created_at, id)` going
//! back); the few sets that are one row or a short bounded list (account,
//! profile, interests, consents) are read in one statement.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::export::DataSet;
use crate::sql::audit::AuditListByActor;
use crate::sql::connections::ConnectionListAccepted;
use crate::sql::insights::InsightListForUser;
use crate::sql::notifications::NotificationListForUser;
use crate::sql::privacy::{
    ConsentListForUser, ExportMatchOutcomesByUser, ExportMemberships, ExportMessagesByUser,
    ExportNoteOpsByAuthor, ExportPromptFeedbackByUser, ExportTranscriptBySpeaker,
};
use crate::sql::profiles::{ProfileGet, UserInterestListForUser};
use crate::sql::users::UserGet;
use crate::sql::Statement;

/// The format tag of the document.
pub const FORMAT: &str = "connvo.privacy_export.v1";
/// Rows per page, by default.
pub const DEFAULT_PAGE_ROWS: i64 = 500;
/// Pages (statements) per job run, by default.
pub const DEFAULT_PAGES_PER_RUN: u32 = 8;
/// The consents of one user are a short history; one statement reads them.
const CONSENT_ROWS: i64 = 1000;

/// How a set is paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyset {
    /// One statement reads the whole (bounded) set.
    Single,
    /// Ascending on the row's `cursor` column (its rowid).
    RowId,
    /// Ascending on `meeting_id`.
    MeetingId,
    /// Per meeting, ascending on `seq`.
    Seq,
    /// Descending on `(created_at, id)`.
    CreatedDesc,
    /// Descending on `(updated_at, id)`.
    UpdatedDesc,
}

fn keyset(set: DataSet) -> Keyset {
    match set {
        DataSet::Account | DataSet::Profile | DataSet::Interests | DataSet::Consents => {
            Keyset::Single
        }
        DataSet::Memberships => Keyset::MeetingId,
        DataSet::Messages
        | DataSet::NoteOps
        | DataSet::PromptReactions
        | DataSet::MatchOutcomes => Keyset::RowId,
        DataSet::TranscriptLines => Keyset::Seq,
        DataSet::Insights | DataSet::Notifications | DataSet::AuditRows => Keyset::CreatedDesc,
        DataSet::Connections => Keyset::UpdatedDesc,
    }
}

/// Where the next run starts: the set (an index into [`DataSet::ALL`];
/// `ALL.len()` once every set is read) and the cursor inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportProgress {
    pub set: usize,
    /// The numeric half of the cursor: a rowid, a sequence, or a time.
    pub num: i64,
    /// The text half: an id, or a meeting id.
    pub text: String,
    /// Transcript lines: the meeting being read; `None` = find the one
    /// after `text` next.
    pub meeting: Option<String>,
}

impl Default for ExportProgress {
    fn default() -> Self {
        ExportProgress::at(0)
    }
}

/// What a run does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// Read this page of the current set, then [`ExportProgress::after_page`].
    Page(DataSet, Statement),
    /// Find the user's next meeting (one membership row, `meeting_id`),
    /// then [`ExportProgress::after_meeting`].
    NextMeeting(Statement),
    /// Every set is read: assemble the document.
    Finished,
}

impl ExportProgress {
    /// The start of the `set`th set.
    pub fn at(set: usize) -> ExportProgress {
        let num = match DataSet::ALL.get(set).map(|s| keyset(*s)) {
            Some(Keyset::CreatedDesc | Keyset::UpdatedDesc) => i64::MAX,
            Some(Keyset::Seq) => -1,
            _ => 0,
        };
        ExportProgress {
            set,
            num,
            text: String::new(),
            meeting: None,
        }
    }

    /// Every set is read.
    pub fn finished(&self) -> bool {
        self.set >= DataSet::ALL.len()
    }

    /// The current set.
    pub fn data_set(&self) -> Option<DataSet> {
        DataSet::ALL.get(self.set).copied()
    }

    /// The next read for `user_id`, pages of `limit` rows.
    pub fn next_read(&self, user_id: &str, limit: i64) -> Read {
        let Some(set) = self.data_set() else {
            return Read::Finished;
        };
        let after_text = self.text.as_str();
        let statement = match set {
            DataSet::Account => UserGet { id: user_id }.statement(),
            DataSet::Profile => ProfileGet { user_id }.statement(),
            DataSet::Interests => UserInterestListForUser { user_id }.statement(),
            DataSet::Consents => ConsentListForUser {
                user_id,
                limit: CONSENT_ROWS,
            }
            .statement(),
            DataSet::Memberships => ExportMemberships {
                user_id,
                after_meeting_id: after_text,
                limit,
            }
            .statement(),
            DataSet::Messages => ExportMessagesByUser {
                user_id,
                after_rowid: self.num,
                limit,
            }
            .statement(),
            DataSet::NoteOps => ExportNoteOpsByAuthor {
                user_id,
                after_rowid: self.num,
                limit,
            }
            .statement(),
            DataSet::PromptReactions => ExportPromptFeedbackByUser {
                user_id,
                after_rowid: self.num,
                limit,
            }
            .statement(),
            DataSet::MatchOutcomes => ExportMatchOutcomesByUser {
                user_id,
                after_rowid: self.num,
                limit,
            }
            .statement(),
            DataSet::TranscriptLines => match &self.meeting {
                None => {
                    return Read::NextMeeting(
                        ExportMemberships {
                            user_id,
                            after_meeting_id: after_text,
                            limit: 1,
                        }
                        .statement(),
                    )
                }
                Some(meeting_id) => ExportTranscriptBySpeaker {
                    meeting_id,
                    user_id,
                    after_seq: self.num,
                    limit,
                }
                .statement(),
            },
            DataSet::Insights => InsightListForUser {
                user_id,
                before_created_at: self.num,
                before_id: after_text,
                limit,
            }
            .statement(),
            DataSet::Notifications => NotificationListForUser {
                user_id,
                before_created_at: self.num,
                before_id: after_text,
                limit,
            }
            .statement(),
            DataSet::Connections => ConnectionListAccepted {
                user_id,
                before_updated_at: self.num,
                before_id: after_text,
                limit,
            }
            .statement(),
            DataSet::AuditRows => AuditListByActor {
                actor_user_id: Some(user_id),
                from_ms: 0,
                before_created_at: self.num,
                before_id: after_text,
                limit,
            }
            .statement(),
        };
        Read::Page(set, statement)
    }

    /// After a page of the current set: the progress, and the rows as they
    /// go into the document (the internal `cursor` column removed). A short
    /// page ends the set (for transcript lines, the meeting).
    pub fn after_page(&self, mut rows: Vec<Value>, limit: i64) -> (ExportProgress, Vec<Value>) {
        let Some(set) = self.data_set() else {
            return (self.clone(), Vec::new());
        };
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= limit;
        let last = rows.last().cloned().unwrap_or(Value::Null);
        for row in &mut rows {
            if let Some(obj) = row.as_object_mut() {
                obj.remove("cursor");
            }
        }
        let int = |field: &str| last.get(field).and_then(Value::as_i64);
        let text = |field: &str| {
            last.get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let kind = keyset(set);
        let next = match kind {
            Keyset::Single => None,
            _ if !full => None,
            Keyset::RowId => int("cursor").map(|num| ExportProgress {
                num,
                ..self.clone()
            }),
            Keyset::MeetingId => Some(ExportProgress {
                text: text("meeting_id"),
                ..self.clone()
            }),
            Keyset::Seq => int("seq").map(|num| ExportProgress {
                num,
                ..self.clone()
            }),
            Keyset::CreatedDesc => int("created_at").map(|num| ExportProgress {
                num,
                text: text("id"),
                ..self.clone()
            }),
            Keyset::UpdatedDesc => int("updated_at").map(|num| ExportProgress {
                num,
                text: text("id"),
                ..self.clone()
            }),
        };
        let next = match (next, kind, &self.meeting) {
            (Some(p), _, _) => p,
            // A meeting's lines are done: the next meeting after it.
            (None, Keyset::Seq, Some(meeting_id)) => ExportProgress {
                num: -1,
                text: meeting_id.clone(),
                meeting: None,
                ..self.clone()
            },
            (None, _, _) => ExportProgress::at(self.set + 1),
        };
        (next, rows)
    }

    /// After [`Read::NextMeeting`]: read that meeting's lines, or, with no
    /// meeting left, go to the next set.
    pub fn after_meeting(&self, found: Option<&str>) -> ExportProgress {
        match found {
            Some(meeting_id) => ExportProgress {
                num: -1,
                meeting: Some(meeting_id.to_owned()),
                ..self.clone()
            },
            None => ExportProgress::at(self.set + 1),
        }
    }
}

/// One part object: the rows one run read, set by set, in reading order.
pub fn part(pages: &[(DataSet, Vec<Value>)]) -> Value {
    Value::Array(
        pages
            .iter()
            .map(|(set, rows)| json!({ "set": set.key(), "rows": rows }))
            .collect(),
    )
}

/// The R2 key of an export's `n`th part (1-based).
pub fn part_key(export_id: &str, n: i64) -> String {
    format!("{}{n:05}.json", parts_prefix(export_id))
}

/// The prefix of every part of an export.
pub fn parts_prefix(export_id: &str) -> String {
    format!("{}part-", parts_dir(export_id))
}

/// The R2 key of an export's document.
pub fn document_key(export_id: &str) -> String {
    format!("privacy-exports/{export_id}.json")
}

/// The folder of an export's parts (with its trailing `/`, so one
/// export's prefix never matches another's): erasure deletes what is
/// under it, and the document.
pub fn parts_dir(export_id: &str) -> String {
    format!("privacy-exports/{export_id}/")
}

/// What the document says about itself.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    pub export_id: &'a str,
    pub user_id: &'a str,
    pub requested_at: i64,
    pub generated_at: i64,
}

/// Why the parts could not be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssembleError {
    /// A part is not the array of `{set, rows}` [`part`] writes.
    BadPart(usize),
    UnknownSet(String),
}

/// The document: `{format, export_id, user_id, requested_at, generated_at,
/// data: {<set>: [rows…]}}`, every set present (empty when the user has
/// none), rows in the order the parts were written.
pub fn assemble(header: &Header<'_>, parts: &[Value]) -> Result<Value, AssembleError> {
    let mut data = Map::new();
    for set in DataSet::ALL {
        data.insert(set.key().to_owned(), Value::Array(Vec::new()));
    }
    for (i, p) in parts.iter().enumerate() {
        let pages = p.as_array().ok_or(AssembleError::BadPart(i))?;
        for page in pages {
            let key = page["set"].as_str().ok_or(AssembleError::BadPart(i))?;
            let rows = page["rows"].as_array().ok_or(AssembleError::BadPart(i))?;
            let target = data
                .get_mut(key)
                .and_then(Value::as_array_mut)
                .ok_or_else(|| AssembleError::UnknownSet(key.to_owned()))?;
            target.extend(rows.iter().cloned());
        }
    }
    Ok(json!({
        "format": FORMAT,
        "export_id": header.export_id,
        "user_id": header.user_id,
        "requested_at": header.requested_at,
        "generated_at": header.generated_at,
        "data": data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::SqlValue;

    fn page_of(p: &ExportProgress, user: &str) -> (DataSet, Statement) {
        match p.next_read(user, 2) {
            Read::Page(set, st) => (set, st),
            other => panic!("expected a page, got {other:?}"),
        }
    }

    #[test]
    fn p30_every_read_binds_the_user_and_walks_every_set() {
        // Drive a user with no rows at all through every set: each set is
        // read once (the transcript set asks for a meeting and finds none).
        let mut p = ExportProgress::default();
        let mut seen = Vec::new();
        for _ in 0..100 {
            match p.next_read("user_a", 2) {
                Read::Page(set, st) => {
                    assert!(
                        st.params.contains(&SqlValue::Text("user_a".into())),
                        "{} does not bind the user",
                        st.name
                    );
                    seen.push(set);
                    p = p.after_page(Vec::new(), 2).0;
                }
                Read::NextMeeting(st) => {
                    assert_eq!(st.name, "EXPORT_MEMBERSHIPS");
                    seen.push(DataSet::TranscriptLines);
                    p = p.after_meeting(None);
                }
                Read::Finished => break,
            }
        }
        assert!(p.finished());
        assert_eq!(seen, DataSet::ALL.to_vec());
    }

    #[test]
    fn p30_a_full_page_moves_the_keyset_cursor_and_a_short_one_ends_the_set() {
        let messages = ExportProgress::at(4);
        assert_eq!(messages.data_set(), Some(DataSet::Messages));
        let rows = vec![
            json!({"cursor": 7, "id": "m1", "content": "a"}),
            json!({"cursor": 9, "id": "m2", "content": "b"}),
        ];
        let (next, out) = messages.after_page(rows, 2);
        assert_eq!((next.set, next.num), (4, 9));
        assert!(out.iter().all(|r| r.get("cursor").is_none()));
        let (_, st) = page_of(&next, "u");
        assert_eq!(st.params[1], SqlValue::Integer(9));
        let (next, _) = next.after_page(vec![json!({"cursor": 12})], 2);
        assert_eq!(next, ExportProgress::at(5));

        // Going back in time: (created_at, id) of the last row.
        let insights = ExportProgress::at(8);
        assert_eq!(insights.data_set(), Some(DataSet::Insights));
        assert_eq!(insights.num, i64::MAX);
        let (next, _) = insights.after_page(
            vec![
                json!({"id": "i2", "created_at": 20}),
                json!({"id": "i1", "created_at": 10}),
            ],
            2,
        );
        assert_eq!((next.num, next.text.as_str()), (10, "i1"));
        // A single-statement set ends after its one read, full or not.
        let account = ExportProgress::at(0);
        let (next, _) = account.after_page(vec![json!({"id": "u"}), json!({})], 2);
        assert_eq!(next, ExportProgress::at(1));
    }

    #[test]
    fn p30_transcript_lines_are_read_meeting_by_meeting() {
        let start = ExportProgress::at(6);
        assert_eq!(start.data_set(), Some(DataSet::TranscriptLines));
        assert!(matches!(start.next_read("u", 2), Read::NextMeeting(_)));
        let m1 = start.after_meeting(Some("m1"));
        let (_, st) = page_of(&m1, "u");
        assert_eq!(st.name, "EXPORT_TRANSCRIPT_BY_SPEAKER");
        assert_eq!(st.params[0], SqlValue::Text("m1".into()));
        let (more, _) = m1.after_page(vec![json!({"seq": 3}), json!({"seq": 5})], 2);
        assert_eq!((more.meeting.as_deref(), more.num), (Some("m1"), 5));
        let (done, _) = more.after_page(vec![json!({"seq": 8})], 2);
        assert_eq!((done.meeting.as_deref(), done.text.as_str()), (None, "m1"));
        // The next meeting is looked up after m1.
        match done.next_read("u", 2) {
            Read::NextMeeting(st) => assert_eq!(st.params[1], SqlValue::Text("m1".into())),
            other => panic!("{other:?}"),
        }
        assert_eq!(done.after_meeting(None), ExportProgress::at(7));
    }

    #[test]
    fn p31_parts_merge_into_one_document_with_every_set() {
        let p1 = part(&[
            (DataSet::Account, vec![json!({"id": "u"})]),
            (DataSet::Messages, vec![json!({"id": "m1"})]),
        ]);
        let p2 = part(&[(DataSet::Messages, vec![json!({"id": "m2"})])]);
        let header = Header {
            export_id: "exp_1",
            user_id: "u",
            requested_at: 1,
            generated_at: 2,
        };
        let doc = assemble(&header, &[p1, p2]).unwrap();
        assert_eq!(doc["format"], FORMAT);
        assert_eq!(doc["data"]["messages"], json!([{"id": "m1"}, {"id": "m2"}]));
        assert_eq!(doc["data"]["consents"], json!([]));
        assert_eq!(
            doc["data"].as_object().unwrap().len(),
            DataSet::ALL.len(),
            "every set is present"
        );
        assert_eq!(
            assemble(&header, &[json!({"x": 1})]),
            Err(AssembleError::BadPart(0))
        );
        assert_eq!(
            assemble(&header, &[json!([{"set": "secrets", "rows": []}])]),
            Err(AssembleError::UnknownSet("secrets".into()))
        );
        assert_eq!(
            part_key("exp_1", 3),
            "privacy-exports/exp_1/part-00003.json"
        );
        assert!(part_key("exp_1", 3).starts_with(&parts_dir("exp_1")));
        assert!(!part_key("exp_10", 3).starts_with(&parts_dir("exp_1")));
    }

    #[test]
    fn p30_progress_round_trips_as_json() {
        let p = ExportProgress {
            set: 6,
            num: 4,
            text: "m0".into(),
            meeting: Some("m1".into()),
        };
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<ExportProgress>(&text).unwrap(), p);
    }
}

//! The plan of one notification for one user (N10, N11): from what a
//! producer wants to say, the user's preferences and recent history (read
//! by the worker) and `now`, the statements to run in one batch, the hub
//! frame to push and the email to queue. The worker's
//! `notifications::notify` is the only caller; no producer writes the
//! `notifications` table itself.

use serde_json::{json, Map, Value};

use super::decide::{decide, Decision, Email, History, NewNotification, Priority};
use super::preferences::Preferences;
use crate::jobs::Job;
use crate::sql::notifications::{
    EmailOutboxInsert, NotificationCounterSync, NotificationGroupBump, NotificationInsert,
};
use crate::sql::Statement;

/// The categories the `notifications` table accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Meeting,
    User,
    System,
    Announcement,
    Matching,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Meeting => "meeting",
            Category::User => "user",
            Category::System => "system",
            Category::Announcement => "announcement",
            Category::Matching => "matching",
        }
    }
}

/// What a producer wants to tell one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub user_id: String,
    /// The type (`meeting_started`, …; docs/notifications.md "Types").
    pub kind: &'static str,
    pub category: Category,
    pub priority: Priority,
    pub title: String,
    pub body: Option<String>,
    /// Extra fields for the client (ids to open); an object.
    pub data: Map<String, Value>,
    pub meeting_id: Option<String>,
    /// Similar notifications share a key and are grouped (N2).
    pub group_key: Option<String>,
    /// A producer that may fire twice for one event (a retried webhook, the
    /// cron) names the event, and the second insert changes nothing (N11).
    pub dedupe_key: Option<String>,
    pub expires_at: Option<i64>,
}

impl Outgoing {
    pub fn new(
        user_id: &str,
        kind: &'static str,
        category: Category,
        priority: Priority,
        title: impl Into<String>,
    ) -> Outgoing {
        Outgoing {
            user_id: user_id.to_owned(),
            kind,
            category,
            priority,
            title: title.into(),
            body: None,
            data: Map::new(),
            meeting_id: None,
            group_key: None,
            dedupe_key: None,
            expires_at: None,
        }
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn meeting(mut self, meeting_id: &str) -> Self {
        self.meeting_id = Some(meeting_id.to_owned());
        self.data.insert("meeting_id".into(), json!(meeting_id));
        self
    }

    pub fn data(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }

    pub fn group(mut self, key: impl Into<String>) -> Self {
        self.group_key = Some(key.into());
        self
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// What the worker read for the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<'a> {
    pub prefs: Preferences,
    pub history: History<'a>,
    /// The user's email address, when they have one.
    pub email: Option<&'a str>,
}

/// The email part of a plan: the job, and how long to hold it (N4).
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedEmail {
    pub job: Job,
    pub delay_ms: i64,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub decision: Decision,
    /// The id of the notification created or grouped into.
    pub notification_id: Option<String>,
    /// One batch: the write, then the unread counter (N10).
    pub statements: Vec<Statement>,
    /// The hub frame's `notification` (the hub adds `seq` and `unread`).
    pub push: Option<Value>,
    pub email: Option<QueuedEmail>,
}

/// The frame's notification.
fn frame(id: &str, n: &Outgoing, data: &Map<String, Value>, count: u32, now_ms: i64) -> Value {
    json!({
        "id": id, "type": n.kind, "category": n.category.as_str(),
        "priority": n.priority.as_str(), "meeting_id": n.meeting_id,
        "title": n.title, "body": n.body, "data": data, "count": count,
        "read": false, "created_at": now_ms,
    })
}

/// The plan (N10, N11). `new_id` is the id a created notification takes.
pub fn plan(n: &Outgoing, loaded: &Loaded<'_>, now_ms: i64, new_id: &str) -> Plan {
    let decision = decide(
        &loaded.prefs,
        &NewNotification {
            kind: n.kind,
            priority: n.priority,
            group_key: n.group_key.as_deref(),
        },
        &loaded.history,
        now_ms,
    );
    let mut data = n.data.clone();
    if let Some(key) = &n.group_key {
        data.insert("group_key".into(), json!(key));
    }
    let counter = NotificationCounterSync {
        user_id: &n.user_id,
        now_ms,
    }
    .statement();
    match &decision {
        Decision::Drop => Plan {
            decision,
            notification_id: None,
            statements: Vec::new(),
            push: None,
            email: None,
        },
        Decision::Group { into_id, count } => {
            let title = format!("{} (×{count})", n.title);
            data.insert("count".into(), json!(count));
            let grouped = Outgoing {
                title: title.clone(),
                ..n.clone()
            };
            Plan {
                push: Some(frame(into_id, &grouped, &data, *count, now_ms)),
                statements: vec![
                    NotificationGroupBump {
                        id: into_id,
                        user_id: &n.user_id,
                        count: i64::from(*count),
                        title: &title,
                        now_ms,
                    }
                    .statement(),
                    counter,
                ],
                notification_id: Some(into_id.clone()),
                email: None,
                decision,
            }
        }
        Decision::Create { push, email, .. } => {
            let data_text = Value::Object(data.clone()).to_string();
            let dedupe = n.dedupe_key.clone().unwrap_or_else(|| new_id.to_owned());
            let mut statements = vec![
                NotificationInsert {
                    id: new_id,
                    user_id: &n.user_id,
                    kind: n.kind,
                    category: n.category.as_str(),
                    priority: n.priority.as_str(),
                    meeting_id: n.meeting_id.as_deref(),
                    title: &n.title,
                    body: n.body.as_deref(),
                    data: &data_text,
                    dedupe_key: &dedupe,
                    expires_at: n.expires_at,
                    now_ms,
                }
                .statement(),
                counter,
            ];
            let send_after = match email {
                Email::None => None,
                Email::Now => Some(now_ms),
                Email::At(at) => Some(*at),
            };
            let queued = match (send_after, loaded.email) {
                (Some(at), Some(address)) => {
                    statements.push(
                        EmailOutboxInsert {
                            notification_id: new_id,
                            user_id: &n.user_id,
                            to_address: address,
                            subject: &n.title,
                            body: n.body.as_deref().unwrap_or(&n.title),
                            send_after: at,
                            now_ms,
                        }
                        .statement(),
                    );
                    Some(QueuedEmail {
                        job: Job::SendEmail {
                            notification_id: new_id.to_owned(),
                        },
                        delay_ms: (at - now_ms).max(0),
                    })
                }
                _ => None,
            };
            Plan {
                push: push.then(|| frame(new_id, n, &data, 1, now_ms)),
                statements,
                notification_id: Some(new_id.to_owned()),
                email: queued,
                decision,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::preferences::{quiet_hours, ChannelPrefs};

    const NOW: i64 = 1_736_942_400_000; // 2025-01-15T12:00:00Z

    fn joined() -> Outgoing {
        Outgoing::new(
            "u1",
            "participant_joined",
            Category::Meeting,
            Priority::Low,
            "Ada joined",
        )
        .meeting("mtg_1")
        .group("participant_joined:mtg_1")
    }

    fn names(p: &Plan) -> Vec<&str> {
        p.statements.iter().map(|s| s.name).collect()
    }

    #[test]
    fn n10_a_created_notification_and_its_counter_are_one_batch() {
        let loaded = Loaded {
            prefs: Preferences::default(),
            history: History::default(),
            email: Some("u1@example.com"),
        };
        let p = plan(&joined(), &loaded, NOW, "ntf_a");
        assert_eq!(
            names(&p),
            ["NOTIFICATION_INSERT", "NOTIFICATION_COUNTER_SYNC"]
        );
        assert_eq!(p.push.as_ref().unwrap()["id"], "ntf_a");
        assert_eq!(p.push.as_ref().unwrap()["data"]["meeting_id"], "mtg_1");
        assert_eq!(p.email, None, "email is off by default");
    }

    #[test]
    fn n10_grouping_bumps_the_existing_row_and_counts() {
        let loaded = Loaded {
            prefs: Preferences::default(),
            history: History {
                created_last_hour: 1,
                similar: Some(("ntf_a", NOW - 5_000, 4)),
            },
            email: None,
        };
        let p = plan(&joined(), &loaded, NOW, "ntf_b");
        assert_eq!(
            names(&p),
            ["NOTIFICATION_GROUP_BUMP", "NOTIFICATION_COUNTER_SYNC"]
        );
        assert_eq!(p.notification_id.as_deref(), Some("ntf_a"));
        assert_eq!(p.push.unwrap()["count"], 5);
    }

    #[test]
    fn n11_email_is_an_outbox_row_and_a_job_held_by_quiet_hours() {
        let mut prefs = Preferences {
            default: ChannelPrefs {
                in_app: true,
                email: true,
            },
            ..Preferences::default()
        };
        let loaded = |prefs: &Preferences| Loaded {
            prefs: prefs.clone(),
            history: History::default(),
            email: Some("u1@example.com"),
        };
        let now = plan(&joined(), &loaded(&prefs), NOW, "ntf_a");
        assert_eq!(names(&now)[2], "EMAIL_OUTBOX_INSERT");
        assert_eq!(now.email.as_ref().unwrap().delay_ms, 0);
        prefs.quiet_hours = Some(quiet_hours("11:00", "13:00", "UTC").unwrap());
        let held = plan(&joined(), &loaded(&prefs), NOW, "ntf_a");
        assert_eq!(held.email.unwrap().delay_ms, 3_600_000);
        // No address: no email, the in-app part still happens.
        let none = plan(
            &joined(),
            &Loaded {
                email: None,
                ..loaded(&prefs)
            },
            NOW,
            "ntf_a",
        );
        assert_eq!(none.email, None);
        assert_eq!(none.statements.len(), 2);
    }

    #[test]
    fn n11_dropped_plans_write_nothing() {
        let mut prefs = Preferences::default();
        prefs
            .set_kind(
                "participant_joined",
                ChannelPrefs {
                    in_app: false,
                    email: false,
                },
            )
            .unwrap();
        let p = plan(
            &joined(),
            &Loaded {
                prefs,
                history: History::default(),
                email: None,
            },
            NOW,
            "ntf_a",
        );
        assert!(p.statements.is_empty() && p.push.is_none() && p.email.is_none());
    }
}

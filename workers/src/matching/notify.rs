//! Matching's notices to the per-user hub (protocol in docs/protocol.md
//! "The per-user channel"; the hub client is `crate::notifications::hub`).
//! [`Notice::send`] posts one matching frame (`match.proposed`,
//! `match.settled`, issue 12's protocol, which `/v1/me/ws` sockets keep
//! receiving) to several users' hubs at once, and records the matching
//! notification of each user through the one notify function
//! (`match_proposed`, `match_accepted`; N15). A failed notice is logged,
//! never fatal: D1 holds the truth and REST reads it.

use connvo_shared::log::{Level, LogLine};
use connvo_shared::notifications::{Category, Outgoing, Priority};
use futures::future::join_all;
use serde_json::{json, Value};
use worker::Env;

use crate::logging;
use crate::notifications::{hub, notify_all};

/// One notice for several users.
pub struct Notice {
    users: Vec<String>,
    body: Value,
    /// The stored notification of each user, when this notice has one.
    stored: Option<(&'static str, &'static str, String)>,
}

/// `match.proposed`: a cycle paired these two; read the proposal over REST.
pub fn proposed(proposal_id: &str, users: [&str; 2]) -> Notice {
    Notice {
        users: users.iter().map(|u| (*u).to_owned()).collect(),
        body: json!({ "type": "match.proposed", "proposal_id": proposal_id }),
        stored: Some((
            "match_proposed",
            "You have a new match to review",
            format!("match_proposed:{proposal_id}"),
        )),
    }
}

/// `match.settled`: the proposal is over (`outcome`: matched, declined,
/// cancelled, expired), with the meeting when matched.
pub fn settled(
    proposal_id: &str,
    users: [&str; 2],
    outcome: &str,
    meeting_id: Option<&str>,
) -> Notice {
    Notice {
        users: users.iter().map(|u| (*u).to_owned()).collect(),
        body: json!({ "type": "match.settled", "proposal_id": proposal_id,
                      "outcome": outcome, "meeting_id": meeting_id }),
        stored: (outcome == "matched").then(|| {
            (
                "match_accepted",
                "Your match was accepted: a meeting is set",
                format!("match_accepted:{proposal_id}"),
            )
        }),
    }
}

impl Notice {
    /// Posts to every user's hub concurrently, then records the stored
    /// notifications; failures are logged.
    pub async fn send(&self, env: &Env) {
        let sends = self
            .users
            .iter()
            .map(|user| hub::post(env, user, &self.body));
        for (user, result) in self.users.iter().zip(join_all(sends).await) {
            if let Err(err) = result {
                logging::emit(
                    &LogLine::new(Level::Warn, "hub notice failed", "matching")
                        .field("user_id", user.as_str())
                        .field("error", err),
                    Level::Warn,
                );
            }
        }
        if let Some((kind, title, dedupe)) = &self.stored {
            let items: Vec<Outgoing> = self
                .users
                .iter()
                .map(|user| {
                    let mut n =
                        Outgoing::new(user, kind, Category::Matching, Priority::High, *title)
                            .dedupe(dedupe.clone());
                    if let Some(map) = self.body.as_object() {
                        for (k, v) in map.iter().filter(|(k, _)| *k != "type") {
                            n = n.data(k, v.clone());
                        }
                    }
                    if let Some(m) = self.body["meeting_id"].as_str() {
                        n = n.meeting(m);
                    }
                    n
                })
                .collect();
            notify_all(env, &items).await;
        }
    }
}

//! The servers under test, behind one interface the phases use: start a
//! fresh one, join a meeting's participants, name the processes to sample,
//! stop it.
//!
//! Everything the generator and the report need to know about a target
//! that is not how to start it lives in its [`TargetInfo`]: adding a target
//! is a variant of [`TargetKind`], its entry in [`TargetKind::ALL`] and
//! [`TargetKind::info`], and its arms in [`Server`].

use serde::{Serialize, Serializer};

use crate::connvo::ConnvoServer;
use crate::procstat;
use crate::sharedb::{ShareDbOnPostgres, ShareDbServer};
use crate::wire::{Joined, Replica};
use crate::ypartyserver::YPartyServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Connvo,
    /// ShareDB with its in-memory database: the baseline of every ratio.
    ShareDb,
    ShareDbPostgres,
    /// y-partyserver (Yjs on Durable Objects) on the same workerd as Connvo.
    YPartyServer,
}

/// What the report says about a target.
#[derive(Debug)]
pub struct TargetInfo {
    /// The name in `--target` and in the JSON report.
    pub slug: &'static str,
    /// The name in the Markdown report and the chart's legend.
    pub name: &'static str,
    /// Whether it carries the transcript stream (the others get notes only).
    pub transcript: bool,
    /// The chart's colour for its series.
    pub colour: &'static str,
    /// What it does with each op before the others see it, for the report.
    pub per_op: &'static str,
}

const CONNVO: TargetInfo = TargetInfo {
    slug: "connvo",
    name: "Connvo",
    transcript: true,
    colour: "#1f77b4",
    per_op: "the meeting's Durable Object (workerd under `wrangler dev`) stores each op in \
             its SQLite before acknowledging it, and broadcasts it under the room's \
             coalescing rules (docs/protocol.md)",
};

const SHAREDB: TargetInfo = TargetInfo {
    slug: "sharedb",
    name: "ShareDB (in memory)",
    transcript: false,
    colour: "#2ca02c",
    per_op: "ShareDB 7 with its in-memory database and pubsub on Node: nothing is \
             persisted, and each op is sent on as soon as it is committed in memory",
};

const SHAREDB_POSTGRES: TargetInfo = TargetInfo {
    slug: "sharedb-postgres",
    name: "ShareDB (PostgreSQL)",
    transcript: false,
    colour: "#d62728",
    per_op: "ShareDB 7 with `sharedb-postgres` and an in-memory pubsub: each op is \
             committed with the document's new snapshot in one PostgreSQL statement \
             before it is acknowledged and sent on. A fresh local PostgreSQL per phase, \
             with the server's default durability (`fsync`, `synchronous_commit` and \
             `full_page_writes` on) and autovacuum off; a pool of 10 connections",
};

const Y_PARTYSERVER: TargetInfo = TargetInfo {
    slug: "y-partyserver",
    name: "y-partyserver (Yjs)",
    transcript: false,
    colour: "#9467bd",
    per_op: "y-partyserver 2 (Yjs on Durable Objects, `bench/peers/y-partyserver/`) on the \
             same workerd: each update is applied in memory and sent to every connection, \
             the sender included (that echo is its ack); the whole document is saved to \
             the object's SQLite 2 s after the last update, at most 10 s",
};

impl TargetKind {
    /// Every target, in the order phases run and reports list them.
    pub const ALL: &'static [TargetKind] = &[
        TargetKind::Connvo,
        TargetKind::ShareDb,
        TargetKind::ShareDbPostgres,
        TargetKind::YPartyServer,
    ];

    /// The target every other is compared with: the fastest common setup.
    pub const BASELINE: TargetKind = TargetKind::ShareDb;

    pub fn info(self) -> &'static TargetInfo {
        match self {
            TargetKind::Connvo => &CONNVO,
            TargetKind::ShareDb => &SHAREDB,
            TargetKind::ShareDbPostgres => &SHAREDB_POSTGRES,
            TargetKind::YPartyServer => &Y_PARTYSERVER,
        }
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The ShareDB targets have no transcript: their side is notes only.
    pub fn has_transcript(self) -> bool {
        self.info().transcript
    }

    pub fn from_slug(slug: &str) -> Option<TargetKind> {
        Self::ALL.iter().copied().find(|k| k.info().slug == slug)
    }
}

impl Serialize for TargetKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.info().slug)
    }
}

pub enum Server {
    // Boxed: one server lives per phase, and the variants differ in size.
    Connvo(Box<ConnvoServer>),
    ShareDb(ShareDbServer),
    ShareDbPostgres(Box<ShareDbOnPostgres>),
    YPartyServer(YPartyServer),
}

impl Server {
    /// A fresh server with empty state.
    pub async fn start(kind: TargetKind) -> Result<Server, String> {
        Ok(match kind {
            TargetKind::Connvo => Server::Connvo(Box::new(ConnvoServer::start().await?)),
            TargetKind::ShareDb => Server::ShareDb(ShareDbServer::start(None).await?),
            TargetKind::ShareDbPostgres => {
                Server::ShareDbPostgres(Box::new(ShareDbOnPostgres::start().await?))
            }
            TargetKind::YPartyServer => Server::YPartyServer(YPartyServer::start().await?),
        })
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            Server::Connvo(_) => TargetKind::Connvo,
            Server::ShareDb(_) => TargetKind::ShareDb,
            Server::ShareDbPostgres(_) => TargetKind::ShareDbPostgres,
            Server::YPartyServer(_) => TargetKind::YPartyServer,
        }
    }

    pub async fn join_meeting(
        &self,
        meeting: u32,
        participants: u32,
    ) -> Result<Vec<Joined>, String> {
        match self {
            Server::Connvo(s) => s.join_meeting(meeting, participants).await,
            Server::ShareDb(s) => {
                crate::sharedb::join_meeting(&s.url(), meeting, participants).await
            }
            Server::ShareDbPostgres(s) => {
                crate::sharedb::join_meeting(&s.sharedb.url(), meeting, participants).await
            }
            Server::YPartyServer(s) => {
                let joined =
                    crate::ypartyserver::join_meeting(&s.ws_base(), meeting, participants).await?;
                Ok(joined
                    .into_iter()
                    .map(|(ws, doc)| Joined {
                        ws,
                        replica: Replica::Yjs(Box::new(doc)),
                    })
                    .collect())
            }
        }
    }

    /// The processes whose memory, CPU and disk writes are the server's,
    /// and what they are.
    pub fn processes(&self) -> (String, Vec<u32>) {
        match self {
            Server::Connvo(s) => ("workerd".into(), s.workerd_pids()),
            Server::ShareDb(s) => ("ShareDB node".into(), s.pid().into_iter().collect()),
            Server::ShareDbPostgres(s) => ("ShareDB node + postgres".into(), s.pids()),
            Server::YPartyServer(s) => ("workerd (y-partyserver)".into(), s.workerd_pids()),
        }
    }

    /// Processes that run alongside the server without being it (wrangler's
    /// Node), measured so they are not counted as other work.
    pub fn tooling(&self) -> Option<(String, Vec<u32>)> {
        match self {
            Server::Connvo(s) => Some(("wrangler (node)".into(), s.wrangler_pids())),
            Server::YPartyServer(s) => Some(("wrangler (node)".into(), s.wrangler_pids())),
            Server::ShareDb(_) | Server::ShareDbPostgres(_) => None,
        }
    }

    /// The server's log tail, for error reports.
    pub fn log_tail(&self) -> String {
        match self {
            Server::Connvo(s) => s.log_tail(),
            Server::ShareDb(s) => s.log_tail(),
            Server::ShareDbPostgres(s) => s.log_tail(),
            Server::YPartyServer(s) => s.log_tail(),
        }
    }
}

/// Samples the generator itself: on a small machine it competes with the
/// server for the same cores, and the report should show how much it took.
pub fn generator_sampler() -> procstat::Sampler {
    procstat::Sampler::start("loadgen", vec![std::process::id()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_a_distinct_slug_name_and_colour() {
        let mut seen = std::collections::BTreeSet::new();
        for &kind in TargetKind::ALL {
            let info = kind.info();
            assert_eq!(TargetKind::from_slug(info.slug), Some(kind));
            assert!(seen.insert(info.slug) && seen.insert(info.name) && seen.insert(info.colour));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(info.slug)
            );
        }
        assert!(TargetKind::ALL.contains(&TargetKind::BASELINE));
        assert_eq!(TargetKind::from_slug("both"), None);
    }
}

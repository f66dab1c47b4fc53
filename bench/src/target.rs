//! The servers under test, behind one interface the phases use: start a
//! fresh one, join a meeting's participants, name the processes to sample,
//! stop it.

use serde::Serialize;

use crate::connvo::ConnvoServer;
use crate::procstat;
use crate::sharedb::ShareDbServer;
use crate::wire::{Joined, Replica};
use crate::ypartyserver::YPartyServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Connvo,
    ShareDb,
    /// Yjs rooms on Durable Objects, on the same local workerd as Connvo.
    #[serde(rename = "y-partyserver")]
    YPartyServer,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Connvo => "Connvo",
            TargetKind::ShareDb => "ShareDB",
            TargetKind::YPartyServer => "y-partyserver",
        }
    }

    /// Only Connvo has a transcript: the peers' side of the comparison is notes only.
    pub fn has_transcript(self) -> bool {
        match self {
            TargetKind::Connvo => true,
            TargetKind::ShareDb | TargetKind::YPartyServer => false,
        }
    }
}

pub enum Server {
    // Boxed: one server lives per phase, and the variants differ in size.
    Connvo(Box<ConnvoServer>),
    ShareDb(ShareDbServer),
    YPartyServer(YPartyServer),
}

impl Server {
    /// A fresh server with empty state.
    pub async fn start(kind: TargetKind) -> Result<Server, String> {
        Ok(match kind {
            TargetKind::Connvo => Server::Connvo(Box::new(ConnvoServer::start().await?)),
            TargetKind::ShareDb => Server::ShareDb(ShareDbServer::start().await?),
            TargetKind::YPartyServer => Server::YPartyServer(YPartyServer::start().await?),
        })
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            Server::Connvo(_) => TargetKind::Connvo,
            Server::ShareDb(_) => TargetKind::ShareDb,
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

    /// The processes whose memory and CPU are the server's, and what they are.
    pub fn processes(&self) -> (String, Vec<u32>) {
        match self {
            Server::Connvo(s) => ("workerd".into(), s.workerd_pids()),
            Server::ShareDb(s) => ("ShareDB node".into(), s.pid().into_iter().collect()),
            Server::YPartyServer(s) => ("workerd (y-partyserver)".into(), s.workerd_pids()),
        }
    }

    /// Processes that run alongside the server without being it (wrangler's
    /// Node), measured so they are not counted as other work.
    pub fn tooling(&self) -> Option<(String, Vec<u32>)> {
        match self {
            Server::Connvo(s) => Some(("wrangler (node)".into(), s.wrangler_pids())),
            Server::ShareDb(_) => None,
            Server::YPartyServer(s) => Some(("wrangler (node)".into(), s.wrangler_pids())),
        }
    }

    /// The server's log tail, for error reports.
    pub fn log_tail(&self) -> String {
        match self {
            Server::Connvo(s) => s.log_tail(),
            Server::ShareDb(s) => s.log_tail(),
            Server::YPartyServer(s) => s.log_tail(),
        }
    }
}

/// Samples the generator itself: on a small machine it competes with the
/// server for the same cores, and the report should show how much it took.
pub fn generator_sampler() -> procstat::Sampler {
    procstat::Sampler::start("loadgen", vec![std::process::id()])
}

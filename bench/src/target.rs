//! The servers under test, behind one interface the phases use: start a
//! fresh one, join a meeting's participants, name the processes to sample,
//! stop it.

use serde::Serialize;

use crate::connvo::ConnvoServer;
use crate::procstat;
use crate::sharedb::ShareDbServer;
use crate::wire::Joined;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Connvo,
    ShareDb,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Connvo => "Connvo",
            TargetKind::ShareDb => "ShareDB",
        }
    }

    /// ShareDB has no transcript: its side of the comparison is notes only.
    pub fn has_transcript(self) -> bool {
        match self {
            TargetKind::Connvo => true,
            TargetKind::ShareDb => false,
        }
    }
}

pub enum Server {
    // Boxed: one server lives per phase, and the variants differ in size.
    Connvo(Box<ConnvoServer>),
    ShareDb(ShareDbServer),
}

impl Server {
    /// A fresh server with empty state.
    pub async fn start(kind: TargetKind) -> Result<Server, String> {
        Ok(match kind {
            TargetKind::Connvo => Server::Connvo(Box::new(ConnvoServer::start().await?)),
            TargetKind::ShareDb => Server::ShareDb(ShareDbServer::start().await?),
        })
    }

    pub fn kind(&self) -> TargetKind {
        match self {
            Server::Connvo(_) => TargetKind::Connvo,
            Server::ShareDb(_) => TargetKind::ShareDb,
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
        }
    }

    /// The processes whose memory and CPU are the server's, and what they are.
    pub fn processes(&self) -> (String, Vec<u32>) {
        match self {
            Server::Connvo(s) => ("workerd".into(), s.workerd_pids()),
            Server::ShareDb(s) => ("ShareDB node".into(), s.pid().into_iter().collect()),
        }
    }

    /// Processes that run alongside the server without being it (wrangler's
    /// Node), measured so they are not counted as other work.
    pub fn tooling(&self) -> Option<(String, Vec<u32>)> {
        match self {
            Server::Connvo(s) => Some(("wrangler (node)".into(), s.wrangler_pids())),
            Server::ShareDb(_) => None,
        }
    }

    /// The server's log tail, for error reports.
    pub fn log_tail(&self) -> String {
        match self {
            Server::Connvo(s) => s.log_tail(),
            Server::ShareDb(s) => s.log_tail(),
        }
    }
}

/// Samples the generator itself: on a small machine it competes with the
/// server for the same cores, and the report should show how much it took.
pub fn generator_sampler() -> procstat::Sampler {
    procstat::Sampler::start("loadgen", vec![std::process::id()])
}

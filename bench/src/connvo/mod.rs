//! The Connvo side: the real worker under `wrangler dev` (workerd, the
//! release wasm build, a fresh migrated state folder per server), started
//! through the end-to-end harness, and joined the way a browser joins a
//! meeting.
//!
//! Two modules hold everything Connvo-specific, so they are all that
//! changes when the API or the room protocol does:
//! - [`setup`]: the REST side (a local development identity per
//!   participant, the meeting, and a WebSocket ticket per participant);
//! - [`wire`]: the room's WebSocket protocol.
//!
//! Until the routes and the protocol exist on this branch, [`ConnvoServer::start`]
//! fails with a message naming what is missing.

mod setup;
mod wire;

use connvo_e2e::{Backend, BackendOptions};

use crate::procstat;
use crate::wire::Joined;

pub struct ConnvoServer {
    backend: Backend,
    http: reqwest::Client,
}

impl ConnvoServer {
    /// Starts a fresh backend and checks that it can host the benchmark.
    pub async fn start() -> Result<ConnvoServer, String> {
        // The harness panics on failure (it is built for tests); here a
        // failure is an error to report, so it runs in a task whose panic we catch.
        let backend = tokio::spawn(Backend::start_with(BackendOptions::default()))
            .await
            .map_err(|e| {
                format!("wrangler dev did not start (see the panic message above): {e}")
            })?;
        let server = ConnvoServer {
            backend,
            http: reqwest::Client::new(),
        };
        setup::probe(&server.http, &server.backend.base_url).await?;
        wire::check_ready()?;
        Ok(server)
    }

    /// The workerd processes serving this backend (wrangler's own Node
    /// process is the dev tooling, not the runtime, so it is left out).
    pub fn workerd_pids(&self) -> Vec<u32> {
        self.backend
            .process_group()
            .map(|pgid| procstat::group_members(pgid, "workerd"))
            .unwrap_or_default()
    }

    /// Creates meeting `meeting` with `participants` people and connects each.
    pub async fn join_meeting(
        &self,
        meeting: u32,
        participants: u32,
    ) -> Result<Vec<Joined>, String> {
        let setup =
            setup::meeting(&self.http, &self.backend.base_url, meeting, participants).await?;
        let mut joined = Vec::with_capacity(setup.participants.len());
        for person in &setup.participants {
            let url = self.backend.ws_url(&person.ws_path);
            joined.push(wire::join(&url, &setup.meeting_id, person).await?);
        }
        Ok(joined)
    }

    pub fn log_tail(&self) -> String {
        self.backend.log_tail()
    }
}

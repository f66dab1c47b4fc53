//! The Connvo side: the real worker under `wrangler dev` (workerd, the
//! release wasm build, a fresh migrated state folder per server), started
//! through the end-to-end harness, and joined the way a browser joins a
//! meeting.
//!
//! Two modules hold everything Connvo-specific, so they are all that
//! changes when the API or the room protocol does:
//! - [`setup`]: the REST side (development identities, the meeting, a
//!   WebSocket ticket per connection);
//! - [`wire`]: the room's WebSocket protocol.
//!
//! [`ConnvoServer::start`] first checks that the build has every route the
//! benchmark uses, and fails with a message naming the missing ones.

mod setup;
mod wire;

use connvo_e2e::fakes::stream::FakeStream;
use connvo_e2e::{Backend, BackendOptions};
use tokio::sync::OnceCell;

use crate::procstat;
use crate::wire::Joined;

/// The local backend's settings for a benchmark run, on top of
/// wrangler.toml's local ones.
///
/// - `RATE_LIMITS`: every simulated user comes from the one loopback
///   address, so the per-IP and per-user API limits (meant for abuse, and
///   counted for tickets and meeting creation) are lifted. The room's own
///   per-connection frame limit still applies.
/// - The Stream variables point at the end-to-end tests' fake GetStream:
///   each created meeting queues a call-provisioning job, and without a
///   Stream to answer, those jobs would fail and retry in the background of
///   the measurement.
fn backend_options(stream: &FakeStream) -> BackendOptions {
    let lifted = r#"{"limit": 1000000, "window_secs": 60}"#;
    let class = format!(r#"{{"per_user": {lifted}, "per_ip": {lifted}}}"#);
    let limits = format!(
        r#"{{"default": {class}, "meeting_create": {class}, "ws_ticket": {class}, "transcript_ingest": {class}}}"#
    );
    BackendOptions::default()
        .var("RATE_LIMITS", limits)
        .merge(stream.backend_options())
}

pub struct ConnvoServer {
    backend: Backend,
    /// Answers the provisioning jobs; lives as long as the backend.
    _stream: FakeStream,
    http: reqwest::Client,
    /// Minted on first use: every meeting shares the same P people.
    people: OnceCell<Vec<setup::Identity>>,
}

impl ConnvoServer {
    /// Starts a fresh backend and checks that it can host the benchmark.
    pub async fn start() -> Result<ConnvoServer, String> {
        // The harness panics on failure (it is built for tests); here a
        // failure is an error to report, so it runs in a task whose panic we catch.
        let stream = FakeStream::start().await;
        let backend = tokio::spawn(Backend::start_with(backend_options(&stream)))
            .await
            .map_err(|e| {
                format!("wrangler dev did not start (see the panic message above): {e}")
            })?;
        let server = ConnvoServer {
            backend,
            _stream: stream,
            // Many meetings are set up at once; keep their connections pooled.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .map_err(|e| format!("HTTP client: {e}"))?,
            people: OnceCell::new(),
        };
        setup::probe(&server.http, &server.backend.base_url).await?;
        Ok(server)
    }

    /// The workerd processes serving this backend (wrangler's own Node
    /// process is the dev tooling, not the runtime, so it is left out).
    pub fn workerd_pids(&self) -> Vec<u32> {
        self.group_members("workerd")
    }

    /// wrangler's Node processes: dev tooling, not in the request path,
    /// but on the same cores.
    pub fn wrangler_pids(&self) -> Vec<u32> {
        self.group_members("node")
    }

    fn group_members(&self, name: &str) -> Vec<u32> {
        self.backend
            .process_group()
            .map(|pgid| procstat::group_members(pgid, name))
            .unwrap_or_default()
    }

    /// Creates and starts meeting `meeting` with `participants` people and
    /// connects each of them to its room.
    pub async fn join_meeting(
        &self,
        meeting: u32,
        participants: u32,
    ) -> Result<Vec<Joined>, String> {
        let base = &self.backend.base_url;
        let people = self
            .people
            .get_or_try_init(|| setup::identities(&self.http, base, participants))
            .await?;
        // Rotate the host so creating thousands of meetings is spread over everyone.
        let mut order: Vec<setup::Identity> = people.clone();
        let shift = meeting as usize % people.len().max(1);
        order.rotate_left(shift);
        let meeting_id = setup::meeting(&self.http, base, meeting, &order).await?;

        // Participant index p is always the same person, whoever hosts.
        // Each gets its ticket just before connecting (tickets are short
        // lived), all of them at once.
        let joins = people.iter().enumerate().map(|(p, person)| {
            let meeting_id = &meeting_id;
            async move {
                let path = setup::ws_path(&self.http, base, meeting_id, person).await?;
                let client_id = format!("bench-m{meeting}-p{p}");
                wire::join(&self.backend.ws_url(&path), &client_id).await
            }
        });
        futures::future::try_join_all(joins).await
    }

    pub fn log_tail(&self) -> String {
        self.backend.log_tail()
    }
}

//! The REST calls that put participants into a meeting, as a browser makes
//! them: a local development identity per participant (`POST /v1/dev/token`,
//! only where `ENVIRONMENT=local`), the meeting (`POST /v1/meetings`) with
//! everyone on it, and a short-lived single-use ticket per participant
//! (`POST /v1/meetings/{id}/ws-ticket`) for `GET /v1/meetings/{id}/ws?ticket=…`.
//!
//! These routes are being built on other branches (`auth`, `meet`, and the
//! room shell on `main`); [`probe`] names whichever this build lacks, and
//! [`meeting`] is to be written against their `docs/api.md` once they land.

use std::time::Duration;

/// What one participant needs to open its room socket.
#[derive(Debug, Clone)]
pub struct Person {
    /// Path and query of the room WebSocket, ticket included.
    pub ws_path: String,
}

#[derive(Debug, Clone)]
pub struct MeetingSetup {
    pub meeting_id: String,
    pub participants: Vec<Person>,
}

/// The routes the benchmark needs, where each is being built, and a
/// request that reaches each one's handler.
const NEEDED: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/v1/dev/token",
        "a local development identity (branch `auth`)",
    ),
    ("POST", "/v1/meetings", "meeting creation (branch `meet`)"),
    (
        "POST",
        "/v1/meetings/bench-probe/ws-ticket",
        "WebSocket tickets (the MeetingRoom shell, `main`)",
    ),
    (
        "GET",
        "/v1/meetings/bench-probe/ws",
        "the meeting room WebSocket (the MeetingRoom shell, `main`)",
    ),
];

/// Checks that every route the benchmark uses exists on this build. The
/// router answers an unknown path with 404 and "no route for …"; any
/// other answer (401, 400, 405, …) means the route is there.
pub async fn probe(http: &reqwest::Client, base_url: &str) -> Result<(), String> {
    let mut missing = Vec::new();
    for &(method, path, what) in NEEDED {
        let request = match method {
            "GET" => http.get(format!("{base_url}{path}")),
            _ => http
                .post(format!("{base_url}{path}"))
                .header("content-type", "application/json")
                .body("{}"),
        };
        let response = request
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("probing {method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        if status == 404 && body.contains("no route for") {
            missing.push(format!("  {method} {path:<36} {what}"));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the Connvo side cannot run on this build: the worker has no route for\n{}\n\
         The benchmark joins meetings the way a browser does, so it needs all of them \
         (they come with the auth, meeting and room work). \
         Run `./scripts/bench --target sharedb` for the ShareDB side alone.",
        missing.join("\n")
    ))
}

/// Creates meeting number `meeting` with `participants` people, each with
/// an identity and a WebSocket ticket.
pub async fn meeting(
    _http: &reqwest::Client,
    _base_url: &str,
    _meeting: u32,
    _participants: u32,
) -> Result<MeetingSetup, String> {
    // Written against docs/api.md once the routes land (see the module doc);
    // `probe` stops the run before this is reached.
    Err("Connvo meeting setup is not wired yet: the dev-token, meeting and ws-ticket routes are not on this branch".into())
}

//! The REST calls that put participants into a meeting, as a browser makes
//! them (see `docs/api.md`):
//!
//! - `POST /v1/dev/token {user_id, org_id, ttl_secs}` → `{access_token}`:
//!   a local development identity (only where `ENVIRONMENT=local` and
//!   `DEV_AUTH=on`), then `GET /v1/me` with it, which creates the user;
//! - `POST /v1/meetings {title, participants: [{user_id, role}]}` → the
//!   meeting, `{id, …}`, its creator the host;
//! - `POST /v1/meetings/{id}/start` by the host, so live writes are allowed;
//! - `POST /v1/meetings/{id}/ws-ticket` → `{ticket}`, single use and short
//!   lived, so it is fetched just before `GET /v1/meetings/{id}/ws?ticket=…`.
//!
//! Identities are minted once per server: P users (`bench_u0`…) take part
//! in every meeting, the host role rotating so no one user creates them
//! all. Minting signs an RS256 token in the worker, and thousands of
//! meetings must not mean thousands of signatures.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);
const ORG: &str = "org_bench";

/// A participant's identity: user id and bearer token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: String,
    pub token: String,
}

/// The routes the benchmark needs and where each is being built.
const NEEDED: &[(&str, &str, &str)] = &[
    ("POST", "/v1/dev/token", "a local development identity"),
    ("POST", "/v1/meetings", "meeting creation"),
    (
        "POST",
        "/v1/meetings/bench-probe/ws-ticket",
        "WebSocket tickets",
    ),
    (
        "GET",
        "/v1/meetings/bench-probe/ws",
        "the meeting room WebSocket (the MeetingRoom shell)",
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
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("probing {method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        if status == 404 && body.contains("no route for") {
            missing.push(format!("  {method:<4} {path:<36} {what}"));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the Connvo side cannot run on this build: the worker has no route for\n{}\n\
         The benchmark joins meetings the way a browser does, so it needs all of them. \
         Run `./scripts/bench --target sharedb` for the ShareDB side alone.",
        missing.join("\n")
    ))
}

/// POSTs `body` (with `token` as the bearer, if any) and decodes a 2xx
/// answer; anything else is an error quoting the API's error body.
async fn post<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> Result<T, String> {
    let mut request = http.post(url).json(&body).timeout(TIMEOUT);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("POST {url} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("POST {url}: unexpected answer ({e}): {text}"))
}

/// Mints the `participants` identities every meeting uses.
pub async fn identities(
    http: &reqwest::Client,
    base_url: &str,
    participants: u32,
) -> Result<Vec<Identity>, String> {
    let mut out = Vec::new();
    for i in 0..participants {
        let user_id = format!("bench_u{i}");
        let answer: Value = post(
            http,
            &format!("{base_url}/v1/dev/token"),
            None,
            json!({"user_id": user_id, "org_id": ORG, "ttl_secs": 3600}),
        )
        .await?;
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| format!("dev token answer without access_token: {answer}"))?
            .to_owned();
        // The first authenticated request creates the user's row, which
        // meeting invitations need.
        let me = http
            .get(format!("{base_url}/v1/me"))
            .bearer_auth(&token)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("GET /v1/me: {e}"))?;
        if !me.status().is_success() {
            let status = me.status();
            let body = me.text().await.unwrap_or_default();
            return Err(format!("GET /v1/me as {user_id} answered {status}: {body}"));
        }
        out.push(Identity { user_id, token });
    }
    Ok(out)
}

/// Creates and starts meeting number `meeting` with everyone in `people`
/// (the first one hosts), returning its id.
pub async fn meeting(
    http: &reqwest::Client,
    base_url: &str,
    meeting: u32,
    people: &[Identity],
) -> Result<String, String> {
    let (host, others) = people.split_first().ok_or("a meeting needs people")?;
    let participants: Vec<Value> = others
        .iter()
        .map(|p| json!({"user_id": p.user_id, "role": "participant"}))
        .collect();
    let created: Value = post(
        http,
        &format!("{base_url}/v1/meetings"),
        Some(&host.token),
        json!({"title": format!("bench meeting {meeting}"), "participants": participants}),
    )
    .await?;
    let id = created["meeting"]["id"]
        .as_str()
        .or_else(|| created["id"].as_str())
        .ok_or_else(|| format!("meeting created without an id: {created}"))?
        .to_owned();
    let _: Value = post(
        http,
        &format!("{base_url}/v1/meetings/{id}/start"),
        Some(&host.token),
        json!({}),
    )
    .await?;
    Ok(id)
}

/// A fresh single-use ticket; returns the room socket's path and query.
pub async fn ws_path(
    http: &reqwest::Client,
    base_url: &str,
    meeting_id: &str,
    who: &Identity,
) -> Result<String, String> {
    let answer: Value = post(
        http,
        &format!("{base_url}/v1/meetings/{meeting_id}/ws-ticket"),
        Some(&who.token),
        json!({}),
    )
    .await?;
    let ticket = answer["ticket"]
        .as_str()
        .ok_or_else(|| format!("ws-ticket answer without a ticket: {answer}"))?;
    Ok(format!(
        "/v1/meetings/{meeting_id}/ws?ticket={}",
        urlencode(ticket)
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_tickets_for_the_query() {
        assert_eq!(urlencode("a.b-c_d~"), "a.b-c_d~");
        assert_eq!(urlencode("x+y/z="), "x%2By%2Fz%3D");
    }
}

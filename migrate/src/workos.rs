//! WorkOS user management, for the identity reconciliation (I/O only).
//!
//! `GET {base}/user_management/users?limit=100&after=<cursor>` with
//! `Authorization: Bearer <API key>` answers
//! `{"object":"list","data":[{"object":"user","id","email",…}],"list_metadata":{"before","after"}}`;
//! `after` is null on the last page. The whole directory is read once per
//! pass (100 users a request) rather than one request per email; a 429
//! waits `Retry-After` seconds and tries again.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::convert::fold_email;

pub const DEFAULT_BASE: &str = "https://api.workos.com";

#[derive(Deserialize)]
struct Page {
    data: Vec<User>,
    list_metadata: ListMetadata,
}

#[derive(Deserialize)]
struct User {
    id: String,
    email: String,
}

#[derive(Deserialize)]
struct ListMetadata {
    after: Option<String>,
}

/// Every WorkOS user: folded email → WorkOS user id.
pub async fn directory(base: &str, api_key: &str) -> Result<HashMap<String, String>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    let mut after: Option<String> = None;
    let mut throttled = 0;
    loop {
        let mut req = client
            .get(format!(
                "{}/user_management/users",
                base.trim_end_matches('/')
            ))
            .bearer_auth(api_key)
            .query(&[("limit", "100"), ("order", "asc")]);
        if let Some(a) = &after {
            req = req.query(&[("after", a.as_str())]);
        }
        let res = req.send().await.map_err(|e| format!("WorkOS: {e}"))?;
        let status = res.status();
        if status.as_u16() == 429 && throttled < 10 {
            throttled += 1;
            let wait = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait.min(60))).await;
            continue;
        }
        if !status.is_success() {
            let body = res.text().await.unwrap_or_default();
            return Err(format!("WorkOS list users: HTTP {status}: {body}"));
        }
        let page: Page = res
            .json()
            .await
            .map_err(|e| format!("WorkOS list users: {e}"))?;
        for u in page.data {
            out.insert(fold_email(&u.email), u.id);
        }
        match page.list_metadata.after {
            Some(a) if !a.is_empty() => after = Some(a),
            _ => return Ok(out),
        }
    }
}

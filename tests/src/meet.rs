//! Helpers for the meeting and Stream end-to-end tests: a backend wired to
//! a fake WorkOS (tokens) and a fake Stream (calls, webhook secrets), with
//! users who have signed in before, and small clients for the routes.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use crate::fakes::stream::{sign_webhook, FakeStream, API_KEY, API_SECRET};
use crate::fakes::workos::{access_token_claims, FakeWorkos, TestKey};
use crate::{Backend, BackendOptions};

/// The organisation every test user belongs to.
pub const ORG: &str = "org_01ACME";

/// A backend with its fakes.
pub struct World {
    pub workos: FakeWorkos,
    pub stream: FakeStream,
    pub backend: Backend,
    client: reqwest::Client,
}

/// An answer: status, body (JSON, or `Null`), headers.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: HeaderMap,
}

impl World {
    /// A backend knowing `users` (all members of [`ORG`]), with fast job
    /// retries (1 s base).
    pub async fn start(users: &[&str]) -> World {
        Self::start_with(users, BackendOptions::default()).await
    }

    /// As [`World::start`], with `extra` options applied last.
    pub async fn start_with(users: &[&str], extra: BackendOptions) -> World {
        let workos = FakeWorkos::start(&[&TestKey::one()]).await;
        let stream = FakeStream::start().await;
        let mut options = workos
            .backend_options()
            .merge(stream.backend_options())
            .var("JOB_RETRY_BASE_SECS", "1");
        for user in users {
            options = options.seed_sql(format!(
                "INSERT INTO users (id, org_id, org_role, display_name, is_active, created_at, updated_at) \
                 VALUES ('{user}', '{ORG}', 'member', '{user}', 1, 1, 1)"
            ));
        }
        let backend = Backend::start_with(options.merge(extra)).await;
        World {
            workos,
            stream,
            backend,
            client: reqwest::Client::new(),
        }
    }

    /// An access token for `user`, a member of [`ORG`].
    pub fn token(&self, user: &str) -> String {
        self.token_with_role(user, "member")
    }

    /// An access token for `user` with the org role `role`.
    pub fn token_with_role(&self, user: &str, role: &str) -> String {
        TestKey::one().sign(&access_token_claims(user, ORG, role))
    }

    /// Sends `method path` as `user` (no credential when `None`), with a
    /// JSON body when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        user: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let token = user.map(|u| self.token(u));
        self.call_with(method, path, token.as_deref(), body, &[])
            .await
    }

    /// The general form: any bearer token, extra headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, self.backend.url(path));
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
        }
    }

    /// An active, provisioned meeting titled `title`, hosted by `host` with
    /// `guest` as a participant; returns (id, Stream call cid).
    pub async fn live_meeting(&self, title: &str, host: &str, guest: &str) -> (String, String) {
        let m = self
            .create_meeting(host, meeting_body(title, &[(guest, "participant")]))
            .await;
        let id = m["id"].as_str().expect("meeting id").to_owned();
        let m = self.wait_provisioned(host, &id).await;
        let a = self
            .call(
                "POST",
                &format!("/v1/meetings/{id}/start"),
                Some(host),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let cid = m["video"]["call_cid"]
            .as_str()
            .expect("call cid")
            .to_owned();
        (id, cid)
    }

    /// Schedules a meeting as `host` (starting now unless `body` says), and
    /// returns its JSON.
    pub async fn create_meeting(&self, host: &str, body: Value) -> Value {
        let a = self
            .call("POST", "/v1/meetings", Some(host), Some(&body))
            .await;
        assert_eq!(
            a.status,
            201,
            "create: {}\n{}",
            a.body,
            self.backend.log_tail()
        );
        a.body
    }

    pub async fn get_meeting(&self, user: &str, id: &str) -> Answer {
        self.call("GET", &format!("/v1/meetings/{id}"), Some(user), None)
            .await
    }

    /// Posts a webhook body signed as Stream would, with the given id.
    pub async fn webhook(&self, event: &Value, webhook_id: &str) -> Answer {
        let body = event.to_string();
        let signature = sign_webhook(API_SECRET, body.as_bytes());
        self.raw_webhook(body.into_bytes(), &signature, webhook_id, &[])
            .await
    }

    /// Posts raw bytes to the webhook route with the given signature.
    pub async fn raw_webhook(
        &self,
        body: Vec<u8>,
        signature: &str,
        webhook_id: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .client
            .post(self.backend.url("/v1/webhooks/stream"))
            .header("content-type", "application/json")
            .header("x-signature", signature)
            .header("x-api-key", API_KEY)
            .header("x-webhook-id", webhook_id)
            .header("x-webhook-attempt", "1");
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        let resp = req.body(body).send().await.expect("webhook request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
        }
    }

    /// Rows of a read-only query against the backend's D1.
    pub fn d1(&self, sql: &str) -> Vec<Value> {
        crate::d1::query(self.backend.state_dir(), sql, &[])
    }

    /// Polls a read-only query until it returns a row; panics with the
    /// backend's log after `within`.
    pub async fn wait_row(&self, sql: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            if let Some(row) = self.d1(sql).into_iter().next() {
                return row;
            }
            if Instant::now() > deadline {
                panic!("no row for {sql}\n{}", self.backend.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Polls a read-only query until it returns at least `n` rows.
    pub async fn wait_rows(&self, sql: &str, n: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let rows = self.d1(sql);
            if rows.len() >= n {
                return rows;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} rows (wanted {n}) for {sql}\n{}",
                    rows.len(),
                    self.backend.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the backend's log has a line containing `needle`.
    pub async fn wait_log(&self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.backend.log().contains(needle) {
            if Instant::now() > deadline {
                panic!("no log line with {needle}\n{}", self.backend.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Polls the meeting as `user` until `done` holds (or panics after `within`).
    pub async fn wait_for_meeting(
        &self,
        user: &str,
        id: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let a = self.get_meeting(user, id).await;
            if a.status == 200 && done(&a.body) {
                return a.body;
            }
            if Instant::now() > deadline {
                panic!(
                    "the meeting never got there; last: {} {}\n{}",
                    a.status,
                    a.body,
                    self.backend.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the meeting's Stream call is provisioned.
    pub async fn wait_provisioned(&self, user: &str, id: &str) -> Value {
        self.wait_for_meeting(user, id, Duration::from_secs(30), |m| {
            m["video"]["status"] == "ready"
        })
        .await
    }
}

/// Polls `probe` until it returns `Some`, or panics with `what` after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `{"title": title}` plus `participants` with roles.
pub fn meeting_body(title: &str, participants: &[(&str, &str)]) -> Value {
    json!({
        "title": title,
        "participants": participants
            .iter()
            .map(|(u, r)| json!({"user_id": u, "role": r}))
            .collect::<Vec<_>>(),
    })
}

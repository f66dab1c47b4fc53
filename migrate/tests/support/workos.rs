//! A fake WorkOS user-management API: `GET /user_management/users` with
//! `limit` (≤ 100) and `after` (a user id) pagination, answering
//! `{"object":"list","data":[user…],"list_metadata":{"before","after"}}` as
//! WorkOS does, behind a bearer API key. Served by the e2e fakes' HTTP server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use connvo_e2e::fakes::http::{FakeResponse, FakeServer};
use serde_json::json;

pub const API_KEY: &str = "sk_test_migrate";

pub struct FakeWorkos {
    server: FakeServer,
    users: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeWorkos {
    /// Serves these (WorkOS user id, email) users, in this order.
    pub async fn start(users: Vec<(String, String)>) -> FakeWorkos {
        let users = Arc::new(Mutex::new(users));
        let shared = users.clone();
        let server = FakeServer::start(move |req| {
            let users = shared.clone();
            async move {
                let (path, query) = req.path.split_once('?').unwrap_or((req.path.as_str(), ""));
                if req.method != "GET" || path != "/user_management/users" {
                    return FakeResponse::json(404, &json!({"message": "Not Found"}));
                }
                if req.header("authorization") != Some(&format!("Bearer {API_KEY}")) {
                    return FakeResponse::json(401, &json!({"message": "Unauthorized"}));
                }
                let params: BTreeMap<&str, &str> = query.split('&').filter_map(|p| p.split_once('=')).collect();
                let limit: usize = params.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10).clamp(1, 100);
                let all = users.lock().unwrap();
                let start = params
                    .get("after")
                    .and_then(|a| all.iter().position(|(id, _)| id == a))
                    .map_or(0, |i| i + 1);
                let page = &all[start.min(all.len())..(start + limit).min(all.len())];
                let after = if start + page.len() < all.len() { page.last().map(|(id, _)| id.clone()) } else { None };
                let data: Vec<_> = page
                    .iter()
                    .map(|(id, email)| {
                        json!({"object": "user", "id": id, "email": email, "email_verified": true,
                               "first_name": null, "last_name": null, "profile_picture_url": null,
                               "created_at": "2024-01-01T00:00:00.000Z", "updated_at": "2024-01-01T00:00:00.000Z"})
                    })
                    .collect();
                FakeResponse::json(200, &json!({"object": "list", "data": data, "list_metadata": {"before": null, "after": after}}))
            }
        })
        .await;
        FakeWorkos { server, users }
    }

    /// The fixture's WorkOS directory: everyone but chloe@example.com.
    pub async fn for_fixture() -> FakeWorkos {
        let users = [
            ("user_01ANA", "ana@example.com"),
            ("user_01BEN", "ben@example.com"),
            ("user_01DEV", "dev@example.com"),
            ("user_01EVE", "eve@example.com"),
        ];
        FakeWorkos::start(
            users
                .iter()
                .map(|(i, e)| (i.to_string(), e.to_string()))
                .collect(),
        )
        .await
    }

    pub fn base_url(&self) -> &str {
        &self.server.base_url
    }

    pub fn add(&self, id: &str, email: &str) {
        self.users.lock().unwrap().push((id.into(), email.into()));
    }
}

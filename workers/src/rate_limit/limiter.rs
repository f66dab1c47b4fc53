//! `RateLimiter`: one Durable Object per rate-limit subject (`user:<id>`,
//! `ip:<addr>`), holding that subject's sliding-window counters in memory.
//!
//! One object per subject makes the counters global (every isolate in every
//! colo asks the same object) and spreads load: no subject's traffic ever
//! touches another's object, and nothing is written to D1 or KV. Counters
//! live in memory only: an object is evicted only after it has been idle,
//! by which time its windows (a minute by default) have mostly run out; the
//! worst case of an eviction is one extra window's worth of requests.
//!
//! Protocol (internal, from the API worker only): `POST https://rate-limiter/hit`
//! with `{"class","limit","window_secs"}`; answers a `Decision` as JSON.

use std::cell::RefCell;
use std::collections::HashMap;

use connvo_shared::rate_limit::{Limit, WindowCounter};
use serde::Deserialize;
use worker::{durable_object, Date, DurableObject, Env, Request, Response, Result, State};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hit {
    class: String,
    limit: u32,
    window_secs: u32,
}

#[durable_object]
pub struct RateLimiter {
    counters: RefCell<HashMap<String, WindowCounter>>,
}

impl DurableObject for RateLimiter {
    fn new(_state: State, _env: Env) -> Self {
        Self {
            counters: RefCell::new(HashMap::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.path() != "/hit" {
            return Response::error("not found", 404);
        }
        let Ok(hit) = req.json::<Hit>().await else {
            return Response::error("bad hit", 400);
        };
        if hit.class.len() > 64 || hit.limit == 0 || hit.window_secs == 0 {
            return Response::error("bad hit", 400);
        }
        let key = format!("{}:{}:{}", hit.class, hit.limit, hit.window_secs);
        let now_ms = Date::now().as_millis();
        // The borrow ends before any await (there is none after it).
        let decision = self
            .counters
            .borrow_mut()
            .entry(key)
            .or_default()
            .hit(now_ms, Limit::new(hit.limit, hit.window_secs));
        Response::from_json(&decision)
    }
}

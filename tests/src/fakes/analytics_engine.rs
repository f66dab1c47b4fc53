//! A fake Workers Analytics Engine SQL API (docs/operations.md, rule O16):
//! `POST /client/v4/accounts/{account_id}/analytics_engine/sql` with a
//! bearer token and the SQL text as the body, answering the JSON format
//! (`{meta, data, rows, rows_before_limit_at_least}`) as the real API does;
//! a wrong token gets the Cloudflare API's 401 error envelope.
//!
//! It does not run SQL in general: it answers from data points the test
//! seeds, evaluating only the one query shape the worker sends
//! (`connvo_shared::metrics::analytics_engine::minutes_query`): the
//! dataset after `FROM`, the `toDateTime(…)` bounds of the `WHERE`, the
//! sketch-bucket expression's two constants, and the grouping by minute,
//! kind, name and bucket with the weighted sums, `max`, `argMax` it names.
//! Any other query gets a 422 naming what it did not recognise, so a
//! change to the query fails the test rather than reading wrong numbers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::http::{FakeRequest, FakeResponse, FakeServer};

/// One data point as the `METRICS_AE` binding would have written it.
#[derive(Debug, Clone)]
pub struct SeedPoint {
    pub at_ms: i64,
    /// blob1
    pub kind: String,
    /// blob2 (and index1)
    pub name: String,
    pub double1: f64,
    pub double2: f64,
    /// Analytics Engine's sampling weight (1 when not sampled).
    pub sample_interval: f64,
}

impl SeedPoint {
    pub fn latency(name: &str, ms: f64, at_ms: i64) -> SeedPoint {
        SeedPoint {
            at_ms,
            kind: "latency".into(),
            name: name.into(),
            double1: ms,
            double2: 1.0,
            sample_interval: 1.0,
        }
    }

    pub fn count(name: &str, n: f64, at_ms: i64) -> SeedPoint {
        SeedPoint {
            kind: "count".into(),
            ..SeedPoint::latency(name, n, at_ms)
        }
    }
}

struct State {
    account_id: String,
    token: String,
    dataset: String,
    points: Vec<SeedPoint>,
    queries: Vec<String>,
}

pub struct FakeAnalyticsEngine {
    server: FakeServer,
    state: Arc<Mutex<State>>,
}

fn answer(status: u16, body: Value) -> FakeResponse {
    FakeResponse {
        status,
        content_type: "application/json",
        body: body.to_string().into_bytes(),
    }
}

fn cf_error(status: u16, code: u32, message: &str) -> FakeResponse {
    answer(
        status,
        json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
    )
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// What the fake understood of the query.
struct Query {
    from_s: i64,
    to_s: i64,
    min: f64,
    ln_gamma: f64,
}

fn parse(sql: &str, dataset: &str) -> Result<Query, String> {
    let required = [
        "SELECT intDiv(toUnixTimestamp(timestamp), 60) AS minute, blob1 AS kind, blob2 AS name, ",
        "sum(_sample_interval * if(double2 > 0, double2, 1)) AS n",
        "sum(_sample_interval * if(double2 > 0, double2, 1) * double1) AS total",
        "max(double1) AS top",
        "argMax(double1, timestamp) AS newest",
        "max(toUnixTimestamp(timestamp)) AS at",
        "GROUP BY minute, kind, name, bucket",
        "FORMAT JSON",
    ];
    if let Some(missing) = required.iter().find(|r| !sql.contains(*r)) {
        return Err(format!("unrecognised query (no `{missing}`)"));
    }
    let table = between(sql, " FROM ", " ").ok_or("no FROM")?;
    if table != dataset {
        return Err(format!("unknown dataset {table}"));
    }
    let bound = |start| {
        between(sql, start, ")")
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or(format!("no bound {start}"))
    };
    let min = between(sql, "if(double1 <= ", ",")
        .and_then(|s| s.parse().ok())
        .ok_or("no bucket floor")?;
    let ln_gamma = between(sql, &format!("ceil(log(double1 / {min}) / "), ")")
        .and_then(|s| s.parse().ok())
        .ok_or("no bucket width")?;
    Ok(Query {
        from_s: bound("timestamp >= toDateTime(")?,
        to_s: bound("timestamp < toDateTime(")?,
        min,
        ln_gamma,
    })
}

#[derive(Default)]
struct Group {
    n: f64,
    total: f64,
    top: f64,
    newest: (i64, f64),
}

fn run(q: &Query, points: &[SeedPoint]) -> Value {
    let mut groups = BTreeMap::<(i64, String, String, i64), Group>::new();
    for p in points {
        let secs = p.at_ms.div_euclid(1000);
        if secs < q.from_s || secs >= q.to_s {
            continue;
        }
        let bucket = if p.double1 <= q.min {
            0
        } else {
            ((p.double1 / q.min).ln() / q.ln_gamma).ceil() as i64
        };
        let weight = p.sample_interval * if p.double2 > 0.0 { p.double2 } else { 1.0 };
        let g = groups
            .entry((secs.div_euclid(60), p.kind.clone(), p.name.clone(), bucket))
            .or_default();
        if g.n == 0.0 || p.double1 > g.top {
            g.top = p.double1;
        }
        g.n += weight;
        g.total += weight * p.double1;
        if g.n == weight || p.at_ms >= g.newest.0 {
            g.newest = (p.at_ms, p.double1);
        }
    }
    let data: Vec<Value> = groups
        .into_iter()
        .map(|((minute, kind, name, bucket), g)| {
            json!({"minute": minute, "kind": kind, "name": name, "bucket": bucket as f64,
                   "n": g.n, "total": g.total, "top": g.top, "newest": g.newest.1,
                   "at": g.newest.0.div_euclid(1000)})
        })
        .collect();
    let meta = [
        ("minute", "UInt32"),
        ("kind", "String"),
        ("name", "String"),
        ("bucket", "Float64"),
        ("n", "Float64"),
        ("total", "Float64"),
        ("top", "Float64"),
        ("newest", "Float64"),
        ("at", "UInt32"),
    ]
    .map(|(name, ty)| json!({"name": name, "type": ty}));
    json!({"meta": meta, "data": data, "rows": data.len(), "rows_before_limit_at_least": data.len()})
}

fn handle(state: &Mutex<State>, req: &FakeRequest) -> FakeResponse {
    let mut s = state.lock().unwrap();
    let path = format!("/client/v4/accounts/{}/analytics_engine/sql", s.account_id);
    if req.method != "POST" || req.path != path {
        return cf_error(404, 7003, "Could not route to the requested path");
    }
    let bearer = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "));
    if bearer != Some(s.token.as_str()) {
        return cf_error(401, 10000, "Authentication error");
    }
    let sql = String::from_utf8_lossy(&req.body).into_owned();
    s.queries.push(sql.clone());
    match parse(&sql, &s.dataset) {
        Ok(q) => answer(200, run(&q, &s.points)),
        Err(e) => FakeResponse {
            status: 422,
            content_type: "text/plain",
            body: format!("the fake Analytics Engine: {e}").into_bytes(),
        },
    }
}

impl FakeAnalyticsEngine {
    pub async fn start(account_id: &str, token: &str, dataset: &str) -> FakeAnalyticsEngine {
        let state = Arc::new(Mutex::new(State {
            account_id: account_id.into(),
            token: token.into(),
            dataset: dataset.into(),
            points: Vec::new(),
            queries: Vec::new(),
        }));
        let shared = state.clone();
        let server = FakeServer::start(move |req| {
            let state = shared.clone();
            async move { handle(&state, &req) }
        })
        .await;
        FakeAnalyticsEngine { server, state }
    }

    /// The API base to configure (`METRICS_AE_API_BASE`).
    pub fn api_base(&self) -> String {
        format!("{}/client/v4", self.server.base_url)
    }

    pub fn seed(&self, points: impl IntoIterator<Item = SeedPoint>) {
        self.state.lock().unwrap().points.extend(points);
    }

    /// Every query received with the right token.
    pub fn queries(&self) -> Vec<String> {
        self.state.lock().unwrap().queries.clone()
    }
}

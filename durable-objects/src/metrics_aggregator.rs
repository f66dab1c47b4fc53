//! `MetricsAggregator`: the one Durable Object (named `metrics`) that folds
//! every recorded event into per-minute mergeable sketches
//! (`connvo_shared::metrics::Minutes`, rules O1–O3) with the exemplars to
//! trace (O8), and keeps the alert cron's firing set (O5). Being one object,
//! it applies each alert transition once: two overlapping cron runs cannot
//! fire one breach twice.
//!
//! Each minute is stored under its own key (`minute:<n>`, JSON of its
//! metrics and exemplars) so a record rewrites one minute, not the day;
//! everything is loaded once when the object starts.
//!
//! Protocol (internal, from the worker and the rooms only):
//! - `POST /record` a `metrics_sink::Batch` → 204;
//! - `GET /minutes?from_ms=&to_ms=` → `{"minutes": Minutes, "exemplars": Exemplars}` of the range;
//! - `POST /alerts` `{"breaches": [Breach], "now_ms"}` → `Transitions`.

use std::cell::RefCell;

use connvo_shared::metrics::exemplar::{Exemplar, Exemplars};
use connvo_shared::metrics::rooms::RoomLevels;
use connvo_shared::metrics::slo::{transitions, AlertState, Breach};
use connvo_shared::metrics::window::{minute_of, minute_range, Minute, RETENTION_MINUTES};
use connvo_shared::metrics::Minutes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use worker::{
    durable_object, Date, DurableObject, Env, ListOptions, Request, Response, Result, State,
};

use crate::metrics_sink::Batch;

const MINUTE_PREFIX: &str = "minute:";
const ALERTS_KEY: &str = "alerts";

#[derive(Serialize, Deserialize)]
struct StoredMinute {
    metrics: Minute,
    exemplars: BTreeMap<String, Exemplar>,
}

#[derive(Default)]
struct Loaded {
    minutes: Minutes,
    exemplars: Exemplars,
    /// Each room's newest levels (memory only: rooms report every 10 s).
    rooms: RoomLevels,
}

#[derive(Deserialize)]
struct AlertsIn {
    breaches: Vec<Breach>,
    now_ms: i64,
}

#[durable_object]
pub struct MetricsAggregator {
    state: State,
    loaded: RefCell<Option<Loaded>>,
}

fn key(minute: i64) -> String {
    format!("{MINUTE_PREFIX}{minute}")
}

impl DurableObject for MetricsAggregator {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            loaded: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.load().await?;
        let now = Date::now().as_millis() as i64;
        match (req.method().to_string().as_str(), req.path().as_str()) {
            ("POST", "/record") => {
                let Ok(batch) = req.json::<Batch>().await else {
                    return Response::error("bad batch", 400);
                };
                self.record(&batch, now).await?;
                Ok(Response::empty()?.with_status(204))
            }
            ("GET", "/minutes") => {
                let url = req.url()?;
                let q = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .and_then(|(_, v)| v.parse::<i64>().ok())
                };
                let (from, to) = (q("from_ms").unwrap_or(0), q("to_ms").unwrap_or(i64::MAX));
                let range = minute_range(from, to);
                let guard = self.loaded.borrow();
                let Some(l) = guard.as_ref() else {
                    return Response::error("not loaded", 500);
                };
                let minutes = Minutes {
                    minutes: l
                        .minutes
                        .minutes
                        .range(range.clone())
                        .map(|(k, v)| (*k, v.clone()))
                        .collect(),
                    dropped: l.minutes.dropped,
                };
                let exemplars = Exemplars {
                    minutes: l
                        .exemplars
                        .minutes
                        .range(range)
                        .map(|(k, v)| (*k, v.clone()))
                        .collect(),
                };
                Response::from_json(
                    &serde_json::json!({ "minutes": minutes, "exemplars": exemplars }),
                )
            }
            ("POST", "/alerts") => {
                let Ok(input) = req.json::<AlertsIn>().await else {
                    return Response::error("bad alerts", 400);
                };
                let storage = self.state.storage();
                let mut state: AlertState = storage
                    .get::<String>(ALERTS_KEY)
                    .await?
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default();
                let out = transitions(&mut state, &input.breaches, input.now_ms);
                let text = serde_json::to_string(&state).map_err(|e| e.to_string())?;
                storage.put(ALERTS_KEY, text).await?;
                Response::from_json(&out)
            }
            _ => Response::error("not found", 404),
        }
    }
}

impl MetricsAggregator {
    /// Loads every stored minute once per object lifetime.
    async fn load(&self) -> Result<()> {
        if self.loaded.borrow().is_some() {
            return Ok(());
        }
        let map = self
            .state
            .storage()
            .list_with_options(ListOptions::new().prefix(MINUTE_PREFIX))
            .await?;
        let mut loaded = Loaded::default();
        for entry in map.entries() {
            let Ok(pair) = entry else { continue };
            let pair = js_sys::Array::from(&pair);
            let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
                continue;
            };
            let Some(minute) = k
                .strip_prefix(MINUTE_PREFIX)
                .and_then(|m| m.parse::<i64>().ok())
            else {
                continue;
            };
            if let Ok(stored) = serde_json::from_str::<StoredMinute>(&v) {
                loaded.minutes.minutes.insert(minute, stored.metrics);
                loaded.exemplars.minutes.insert(minute, stored.exemplars);
            }
        }
        if self.loaded.borrow().is_none() {
            *self.loaded.borrow_mut() = Some(loaded);
        }
        Ok(())
    }

    /// Folds a batch in and writes its minute (and forgets pruned ones).
    async fn record(&self, batch: &Batch, now: i64) -> Result<()> {
        let (text, pruned) = {
            let mut guard = self.loaded.borrow_mut();
            let Some(l) = guard.as_mut() else {
                return Ok(());
            };
            let before: Vec<i64> = l.minutes.minutes.keys().copied().collect();
            l.minutes.apply(batch.at_ms, &batch.events, now);
            if let Some(level) = &batch.room {
                let gauges = l.rooms.note(level, batch.at_ms);
                l.minutes.apply(batch.at_ms, &gauges, now);
            }
            if let Some(t) = &batch.trace {
                l.exemplars
                    .note(batch.at_ms, &t.series, t.status, t.ms, &t.request_id, now);
            }
            let m = minute_of(batch.at_ms);
            let text = l.minutes.minutes.get(&m).map(|metrics| {
                serde_json::to_string(&StoredMinute {
                    metrics: metrics.clone(),
                    exemplars: l.exemplars.minutes.get(&m).cloned().unwrap_or_default(),
                })
            });
            let oldest = minute_of(now) - RETENTION_MINUTES;
            let pruned: Vec<String> = before
                .into_iter()
                .filter(|k| *k <= oldest)
                .map(key)
                .collect();
            (text.map(|t| (m, t)), pruned)
        };
        let storage = self.state.storage();
        if let Some((m, Ok(text))) = text {
            storage.put(&key(m), text).await?;
        }
        if !pruned.is_empty() {
            storage.delete_multiple(pruned).await?;
        }
        Ok(())
    }
}

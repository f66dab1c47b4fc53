//! Room metrics (rule O14, docs/operations.md): what a meeting room
//! reports, at most every [`REPORT_EVERY_MS`] while it has work, and how
//! the aggregator turns reports from many rooms into the dashboard's
//! gauges. A room reports its sessions and queued frames as samples of
//! the `room.sessions` and `room.queue_depth` series (percentiles across
//! rooms and reports) and what changed since its last report as counters
//! (`room.dropped`, `room.resynced`, `room.shed.*`), and the fan-out
//! latencies it measured since (`room.fanout_ms`, O15). The aggregator keeps
//! each room's newest levels; the gauges `rooms.active`, `rooms.sockets`
//! and `rooms.queue_depth` are over the rooms that reported within
//! [`STALE_MS`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::window::Event;
use super::Sketch;
use crate::room::RoomMetrics;

/// A room reports at most this often.
pub const REPORT_EVERY_MS: u64 = 10_000;
/// The fan-out latency series (O15, `crate::room::RoomCore::take_fanout`).
pub const FANOUT_SERIES: &str = "room.fanout_ms";
/// A room that has not reported for this long no longer counts as active.
pub const STALE_MS: i64 = 120_000;

/// A room's levels in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomLevel {
    pub meeting_id: String,
    pub sessions: f64,
    pub queued: f64,
}

/// The events of one report: levels now, counters since `last`, and the
/// fan-out latencies measured since `last` (`room.fanout_ms`, O15).
pub fn room_events(now: &RoomMetrics, last: &RoomMetrics, fanout: Sketch) -> Vec<Event> {
    let mut out = vec![
        Event::Latency {
            name: "room.sessions".into(),
            ms: now.sessions as f64,
        },
        Event::Latency {
            name: "room.queue_depth".into(),
            ms: now.queued as f64,
        },
    ];
    let deltas = [
        ("room.dropped", now.observed.dropped, last.observed.dropped),
        (
            "room.resynced",
            now.observed.resynced,
            last.observed.resynced,
        ),
        (
            "room.shed.state_frames",
            now.shed.state_frames,
            last.shed.state_frames,
        ),
        (
            "room.shed.held_items",
            now.shed.held_items,
            last.shed.held_items,
        ),
        ("room.shed.episodes", now.shed.episodes, last.shed.episodes),
    ];
    for (name, a, b) in deltas {
        if a > b {
            out.push(Event::Count {
                name: name.into(),
                n: a - b,
            });
        }
    }
    if fanout.count() > 0 {
        out.push(Event::Histogram {
            name: FANOUT_SERIES.into(),
            sketch: fanout,
        });
    }
    out
}

/// The newest levels per room (the aggregator's, in memory).
#[derive(Debug, Clone, Default)]
pub struct RoomLevels {
    rooms: BTreeMap<String, (i64, RoomLevel)>,
}

impl RoomLevels {
    /// Notes a report and answers the gauges as of `at_ms`.
    pub fn note(&mut self, level: &RoomLevel, at_ms: i64) -> Vec<Event> {
        if self.rooms.len() < super::window::MAX_NAMES_PER_MINUTE * 8
            || self.rooms.contains_key(&level.meeting_id)
        {
            self.rooms
                .insert(level.meeting_id.clone(), (at_ms, level.clone()));
        }
        self.rooms.retain(|_, (at, _)| at_ms - *at < STALE_MS);
        let live = self.rooms.values().map(|(_, l)| l);
        let (mut active, mut sockets, mut queued) = (0.0, 0.0, 0.0);
        for l in live {
            // A room with nobody in it is not an active meeting.
            if l.sessions > 0.0 {
                active += 1.0;
            }
            sockets += l.sessions;
            queued += l.queued;
        }
        vec![
            Event::Gauge {
                name: "rooms.active".into(),
                value: active,
            },
            Event::Gauge {
                name: "rooms.sockets".into(),
                value: sockets,
            },
            Event::Gauge {
                name: "rooms.queue_depth".into(),
                value: queued,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(id: &str, sessions: f64, queued: f64) -> RoomLevel {
        RoomLevel {
            meeting_id: id.into(),
            sessions,
            queued,
        }
    }

    #[test]
    fn o14_a_report_carries_levels_and_only_what_changed() {
        let mut now = RoomMetrics {
            sessions: 4,
            queued: 12,
            ..RoomMetrics::default()
        };
        now.observed.resynced = 3;
        now.shed.held_items = 7;
        let mut last = now;
        last.observed.resynced = 1;
        let mut fanout = Sketch::new();
        fanout.record_n(0.0, 3);
        fanout.record(40.0);
        let events = room_events(&now, &last, fanout.clone());
        assert!(events.contains(&Event::Latency {
            name: "room.sessions".into(),
            ms: 4.0
        }));
        assert!(events.contains(&Event::Count {
            name: "room.resynced".into(),
            n: 2
        }));
        assert!(!events
            .iter()
            .any(|e| matches!(e, Event::Count { name, .. } if name == "room.shed.held_items")));
        assert!(events.contains(&Event::Histogram {
            name: FANOUT_SERIES.into(),
            sketch: fanout
        }));
        // No fan-out measured: no histogram event.
        let quiet = room_events(&now, &last, Sketch::new());
        assert!(!quiet.iter().any(|e| matches!(e, Event::Histogram { .. })));
    }

    #[test]
    fn o14_gauges_sum_the_rooms_that_reported_recently() {
        let mut levels = RoomLevels::default();
        levels.note(&level("m1", 3.0, 5.0), 0);
        levels.note(&level("m2", 2.0, 1.0), 1_000);
        let g = levels.note(&level("m1", 4.0, 0.0), 2_000);
        assert!(g.contains(&Event::Gauge {
            name: "rooms.active".into(),
            value: 2.0
        }));
        assert!(g.contains(&Event::Gauge {
            name: "rooms.sockets".into(),
            value: 6.0
        }));
        assert!(g.contains(&Event::Gauge {
            name: "rooms.queue_depth".into(),
            value: 1.0
        }));
        // m2 goes quiet; an empty m1 is not an active meeting.
        let g = levels.note(&level("m1", 0.0, 0.0), 2_000 + STALE_MS);
        assert!(g.contains(&Event::Gauge {
            name: "rooms.active".into(),
            value: 0.0
        }));
        assert!(g.contains(&Event::Gauge {
            name: "rooms.sockets".into(),
            value: 0.0
        }));
    }
}

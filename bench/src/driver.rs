//! One driver per meeting: it ticks at the meeting's transcript rate R and
//! edit rate E, each tick telling a random participant to send. Ticks follow
//! a fixed schedule (each due one interval after the previous was due, from
//! a random phase), so a late tick is followed by quicker ones and the
//! offered rate holds even when the generator falls behind. How late ticks
//! fire is recorded as the generator's own lag: if it grows, the generator,
//! not the server, is the bottleneck, and the report says so.

use std::time::{Duration, Instant};

use connvo_shared::ot::gen::{below, next_u64};
use tokio::sync::mpsc;

use crate::clock::micros;
use crate::participant::Command;
use crate::stats::Samples;

#[derive(Debug, Default)]
pub struct DriverStats {
    /// How late each tick fired, µs.
    pub lag: Samples,
    /// Ticks whose participant's queue was full or gone.
    pub dropped: u64,
}

/// Sends commands to `participants` from `start` until `end`.
pub async fn drive(
    participants: Vec<mpsc::Sender<Command>>,
    edits_per_s: f64,
    transcripts_per_s: f64,
    start: Instant,
    end: Instant,
    mut rng: u64,
) -> DriverStats {
    let mut stats = DriverStats::default();
    let streams = [
        (Command::Edit, edits_per_s),
        (Command::Transcript, transcripts_per_s),
    ];
    let mut due: Vec<(Command, Duration, Instant)> = streams
        .iter()
        .filter(|(_, rate)| *rate > 0.0 && rate.is_finite())
        .map(|&(command, rate)| {
            let interval = Duration::from_secs_f64(1.0 / rate);
            // A random phase, so a thousand meetings do not tick in lockstep.
            let phase = interval.mul_f64((next_u64(&mut rng) % 1_000_000) as f64 / 1e6);
            (command, interval, start + phase)
        })
        .collect();
    if participants.is_empty() {
        return stats;
    }
    while let Some(next) = due.iter_mut().min_by_key(|(_, _, at)| *at) {
        let at = next.2;
        if at >= end {
            break;
        }
        tokio::time::sleep_until(at.into()).await;
        stats
            .lag
            .push_us(micros(Instant::now().saturating_duration_since(at)));
        let who = below(&mut rng, participants.len() as u64) as usize;
        if participants[who].try_send(next.0).is_err() {
            stats.dropped += 1;
        }
        next.2 = at + next.1;
    }
    stats
}

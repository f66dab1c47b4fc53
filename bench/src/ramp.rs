//! Ramp mode: the largest number of concurrent meetings a target serves
//! while p95 delivery stays under the objective with no errors and nothing
//! lost. From the fixed-M comparison's result (or a start value), M doubles
//! while steps pass (quadruples while they pass with p95 under a quarter of
//! the objective), or halves while they fail, then bisects between the last
//! pass and the first failure until they are within an eighth of each other. Each step is a short phase on a
//! fresh server; a time budget bounds the whole search, and the result says
//! which bound stopped it.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::phase::{self, Load, PhaseResult};
use crate::target::TargetKind;

#[derive(Debug, Clone, Serialize)]
pub struct RampSettings {
    pub start: u32,
    pub max: u32,
    #[serde(serialize_with = "secs")]
    pub step_duration: Duration,
    #[serde(serialize_with = "secs")]
    pub budget: Duration,
    pub slo_ms: f64,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

#[derive(Debug, Clone, Serialize)]
pub struct RampStep {
    pub meetings: u32,
    pub pass: bool,
    /// Why the step failed, if it did.
    pub failure: Option<String>,
    /// The fixed-M comparison phase, reused as a step (it ran longer).
    pub from_comparison: bool,
    pub result: Option<PhaseResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RampResult {
    pub target: TargetKind,
    pub workload: &'static str,
    /// The largest M that passed (0 if none did).
    pub best_meetings: u32,
    /// The smallest M that failed, if any did.
    pub first_failure: Option<u32>,
    /// What ended the search: `converged`, `reached max`, `budget`, or `failed at M=1`.
    pub stopped_by: String,
    pub steps: Vec<RampStep>,
    pub elapsed_s: f64,
}

/// Where the search goes after the steps so far: the next M, or why it
/// stops. `roomy` says the best step passed with a wide margin (p95 under a
/// quarter of the objective), so growing by 4 rather than 2 saves steps.
fn next_meetings(
    best: Option<u32>,
    failed: Option<u32>,
    roomy: bool,
    settings: &RampSettings,
) -> Result<u32, &'static str> {
    let growth = if roomy { 4 } else { 2 };
    match (best, failed) {
        (Some(lo), None) if lo >= settings.max => Err("reached max"),
        (Some(lo), None) => Ok(lo.saturating_mul(growth).min(settings.max)),
        (None, Some(hi)) if hi <= 1 => Err("failed at M=1"),
        (None, Some(hi)) => Ok(hi / 2),
        (Some(lo), Some(hi)) if hi <= lo + (lo / 8).max(1) => Err("converged"),
        (Some(lo), Some(hi)) => Ok(lo + (hi - lo) / 2),
        (None, None) => Ok(settings.start.max(1)),
    }
}

/// Searches for the largest passing M; `base` gives everything but M.
/// `known` is a phase already run with this load (the fixed-M comparison):
/// it counts as the first step, so the search starts next to it. An error
/// means the target could not run at all (its first step could not even
/// start); a later step that cannot join its meetings is a failure.
pub async fn run(
    kind: TargetKind,
    base: &Load,
    settings: &RampSettings,
    known: Option<&PhaseResult>,
) -> Result<RampResult, String> {
    let started = Instant::now();
    let mut steps: Vec<RampStep> = Vec::new();
    let mut best: Option<u32> = None;
    let mut failed: Option<u32> = None;
    let mut roomy = false;
    let mut record = |step: RampStep, steps: &mut Vec<RampStep>| {
        eprintln!(
            "[loadgen] ramp {}: M={} {}",
            kind.name(),
            step.meetings,
            match &step.failure {
                None => format!(
                    "pass (p95 {:.1} ms)",
                    step.result.as_ref().map_or(0.0, PhaseResult::worst_p95_ms)
                ),
                Some(why) => format!("fail ({why})"),
            }
        );
        if step.pass {
            if best.is_none_or(|b| step.meetings > b) {
                roomy = step
                    .result
                    .as_ref()
                    .is_some_and(|r| r.worst_p95_ms() < settings.slo_ms / 4.0);
            }
            best = Some(best.map_or(step.meetings, |b| b.max(step.meetings)));
        } else {
            failed = Some(failed.map_or(step.meetings, |f| f.min(step.meetings)));
        }
        steps.push(step);
        next_meetings(best, failed, roomy, settings)
    };
    let mut next = match known {
        Some(result) => {
            let failure = result.failure(settings.slo_ms);
            let step = RampStep {
                meetings: result.load.meetings,
                pass: failure.is_none(),
                failure,
                from_comparison: true,
                result: Some(result.clone()),
            };
            record(step, &mut steps)
        }
        None => next_meetings(None, None, false, settings),
    };
    let mut last_step = Duration::ZERO;
    let stopped_by = loop {
        let m = match next {
            Ok(m) => m,
            Err(why) => break why,
        };
        // Start a step only if one as long as the last still fits the budget.
        if started.elapsed() + last_step > settings.budget && last_step > Duration::ZERO {
            break "budget";
        }
        let load = Load {
            meetings: m,
            duration: settings.step_duration,
            ..base.clone()
        };
        let step_started = Instant::now();
        let step = match phase::run_fresh(kind, &load).await {
            Ok(result) => {
                let failure = result.failure(settings.slo_ms);
                RampStep {
                    meetings: m,
                    pass: failure.is_none(),
                    failure,
                    from_comparison: false,
                    result: Some(result),
                }
            }
            Err(e) if steps.is_empty() && e.starts_with(phase::NOT_STARTED) => return Err(e),
            Err(e) => RampStep {
                meetings: m,
                pass: false,
                failure: Some(e),
                from_comparison: false,
                result: None,
            },
        };
        last_step = step_started.elapsed();
        next = record(step, &mut steps);
    };
    Ok(RampResult {
        target: kind,
        workload: base.workload_for(kind),
        best_meetings: best.unwrap_or(0),
        first_failure: failed,
        stopped_by: stopped_by.to_owned(),
        steps,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

impl RampResult {
    pub fn target_name(&self) -> &'static str {
        self.target.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RampSettings {
        RampSettings {
            start: 64,
            max: 2048,
            step_duration: Duration::from_secs(1),
            budget: Duration::from_secs(1),
            slo_ms: 150.0,
        }
    }

    #[test]
    fn doubles_halves_then_bisects() {
        let s = settings();
        assert_eq!(next_meetings(None, None, false, &s), Ok(64));
        assert_eq!(next_meetings(Some(64), None, false, &s), Ok(128));
        assert_eq!(next_meetings(Some(64), None, true, &s), Ok(256));
        assert_eq!(
            next_meetings(Some(2048), None, true, &s),
            Err("reached max")
        );
        assert_eq!(next_meetings(Some(1500), None, false, &s), Ok(2048));
        assert_eq!(next_meetings(None, Some(50), false, &s), Ok(25));
        assert_eq!(
            next_meetings(None, Some(1), false, &s),
            Err("failed at M=1")
        );
        assert_eq!(next_meetings(Some(256), Some(512), true, &s), Ok(384));
        assert_eq!(
            next_meetings(Some(448), Some(480), false, &s),
            Err("converged")
        );
        assert_eq!(next_meetings(Some(6), Some(7), false, &s), Err("converged"));
    }
}

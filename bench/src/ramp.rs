//! Ramp mode: the largest number of concurrent meetings a target serves
//! while p95 delivery stays under the objective with no errors and nothing
//! lost. M doubles from a start value until a step fails (or reaches the
//! maximum), then bisects between the last pass and the first failure until
//! they are within an eighth of each other. Each step is a short phase on a
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
    /// What ended the search: `converged`, `reached max`, `budget`, or `failed at start`.
    pub stopped_by: String,
    pub steps: Vec<RampStep>,
    pub elapsed_s: f64,
}

/// Searches for the largest passing M; `base` gives everything but M. An
/// error means the target could not run at all (its first step could not
/// even start); a later step that cannot join its meetings is a failure.
pub async fn run(
    kind: TargetKind,
    base: &Load,
    settings: &RampSettings,
) -> Result<RampResult, String> {
    let started = Instant::now();
    let mut steps: Vec<RampStep> = Vec::new();
    let mut best: Option<u32> = None;
    let mut failed: Option<u32> = None;
    let mut m = settings.start.max(1);
    let mut last_step = Duration::ZERO;
    let stopped_by = loop {
        // Start a step only if one as long as the last still fits the budget.
        if started.elapsed() + last_step > settings.budget && !steps.is_empty() {
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
                    result: Some(result),
                }
            }
            Err(e) if steps.is_empty() && e.starts_with(phase::NOT_STARTED) => return Err(e),
            Err(e) => RampStep {
                meetings: m,
                pass: false,
                failure: Some(e),
                result: None,
            },
        };
        last_step = step_started.elapsed();
        eprintln!(
            "[loadgen] ramp {}: M={m} {}",
            kind.name(),
            match &step.failure {
                None => format!(
                    "pass (p95 {:.1} ms)",
                    step.result.as_ref().map_or(0.0, PhaseResult::worst_p95_ms)
                ),
                Some(why) => format!("fail ({why})"),
            }
        );
        if step.pass {
            best = Some(best.map_or(m, |b| b.max(m)));
        } else {
            failed = Some(failed.map_or(m, |f| f.min(m)));
        }
        steps.push(step);

        m = match (best, failed) {
            (Some(lo), None) => {
                if lo >= settings.max {
                    break "reached max";
                }
                lo.saturating_mul(2).min(settings.max)
            }
            (None, Some(hi)) => {
                if hi <= 1 {
                    break "failed at start";
                }
                hi / 2
            }
            (Some(lo), Some(hi)) => {
                if hi <= lo + (lo / 8).max(1) {
                    break "converged";
                }
                lo + (hi - lo) / 2
            }
            (None, None) => break "failed at start",
        };
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

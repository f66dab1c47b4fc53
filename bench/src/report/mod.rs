//! The run's report: everything measured plus the facts needed to compare
//! it with another run, written as `bench-reports/<UTC time>.json` (all of
//! it), `.md` (the tables a person reads) and `-ramp.svg` (delivery latency
//! against meetings, per target).

mod chart;
mod markdown;
pub mod utc;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::envinfo::{Machine, Versions};
use crate::phase::{Load, PhaseResult};
use crate::ramp::{RampResult, RampSettings};
use crate::target::TargetKind;

#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    pub targets: Vec<TargetKind>,
    /// The load of the fixed-M phases (and, but for M and duration, of the ramp steps).
    pub load: Load,
    pub slo_ms: f64,
    pub ramp: Option<RampSettings>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    /// The notes workload on every target, in the order of
    /// [`TargetKind::ALL`]: the one table of the comparison.
    pub notes: Vec<PhaseResult>,
    /// The full workload (transcript and notes) on the targets that carry a
    /// transcript.
    pub full: Vec<PhaseResult>,
}

impl Comparison {
    pub fn notes_of(&self, kind: TargetKind) -> Option<&PhaseResult> {
        self.notes.iter().find(|p| p.target == kind)
    }

    pub fn full_of(&self, kind: TargetKind) -> Option<&PhaseResult> {
        self.full.iter().find(|p| p.target == kind)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: String,
    pub finished_at: String,
    pub command: String,
    pub machine: Machine,
    pub versions: Versions,
    pub parameters: Parameters,
    pub comparison: Comparison,
    pub ramps: Vec<RampResult>,
    /// The ramp chart's file name, beside the report (when there are ramps).
    pub chart: Option<String>,
    /// Phases that could not run, and why.
    pub failures: Vec<String>,
}

impl Report {
    pub fn markdown(&self) -> String {
        markdown::render(self)
    }

    /// The ramp chart (SVG), if the run has ramps.
    pub fn chart_svg(&self) -> Option<String> {
        self.chart
            .as_ref()
            .map(|_| chart::ramp_svg(&self.ramps, self.parameters.slo_ms))
    }

    /// The chart's file name for a report written as `<stamp>.md`.
    pub fn chart_name(stamp: &str) -> String {
        format!("{stamp}-ramp.svg")
    }

    /// Writes `<dir>/<stamp>.json`, `.md` and the chart, returning the
    /// markdown path.
    pub fn write(&self, dir: &Path, stamp: &str) -> Result<PathBuf, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let json_path = dir.join(format!("{stamp}.json"));
        let md_path = dir.join(format!("{stamp}.md"));
        std::fs::write(&json_path, json + "\n")
            .map_err(|e| format!("writing {}: {e}", json_path.display()))?;
        std::fs::write(&md_path, self.markdown())
            .map_err(|e| format!("writing {}: {e}", md_path.display()))?;
        if let (Some(name), Some(svg)) = (&self.chart, self.chart_svg()) {
            let path = dir.join(name);
            std::fs::write(&path, svg).map_err(|e| format!("writing {}: {e}", path.display()))?;
        }
        Ok(md_path)
    }
}

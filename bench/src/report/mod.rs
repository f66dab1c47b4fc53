//! The run's report: everything measured plus the facts needed to compare
//! it with another run, written as `bench-reports/<UTC time>.json` (all of
//! it) and `.md` (the tables a person reads).

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
    /// Connvo with notes only: the side of the comparison matching ShareDB's workload.
    pub connvo_notes: Option<PhaseResult>,
    pub sharedb_notes: Option<PhaseResult>,
    /// Connvo with the full workload (transcript and notes).
    pub connvo_full: Option<PhaseResult>,
    /// y-partyserver (Yjs on the same workerd) with the notes workload.
    pub ypartyserver_notes: Option<PhaseResult>,
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
    /// Phases that could not run, and why.
    pub failures: Vec<String>,
}

impl Report {
    pub fn markdown(&self) -> String {
        markdown::render(self)
    }

    /// Writes `<dir>/<stamp>.json` and `.md`, returning the markdown path.
    pub fn write(&self, dir: &Path, stamp: &str) -> Result<PathBuf, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let json_path = dir.join(format!("{stamp}.json"));
        let md_path = dir.join(format!("{stamp}.md"));
        std::fs::write(&json_path, json + "\n")
            .map_err(|e| format!("writing {}: {e}", json_path.display()))?;
        std::fs::write(&md_path, self.markdown())
            .map_err(|e| format!("writing {}: {e}", md_path.display()))?;
        Ok(md_path)
    }
}

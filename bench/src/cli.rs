//! Command-line flags. Parsed by hand: a dozen numeric flags do not need
//! an argument-parsing crate in the build.

use std::path::PathBuf;
use std::time::Duration;

use crate::phase::Load;
use crate::ramp::RampSettings;
use crate::target::TargetKind;

pub const USAGE: &str = "\
loadgen: load and latency benchmark of Connvo Edge's meeting room, side by side with its peers.
A benchmark, not a test: it measures and reports, and asserts nothing.

usage: loadgen [options]          (./scripts/bench builds everything and runs this)

  --target LIST                 servers to measure, comma-separated, or `all` (the default):
                                  connvo            the worker under wrangler dev (workerd)
                                  sharedb           ShareDB 7, in-memory database
                                  sharedb-postgres  ShareDB 7 on sharedb-postgres, with a
                                                    fresh local PostgreSQL per phase
                                  y-partyserver     Yjs rooms on Durable Objects, on the
                                                    same wrangler dev (workerd)
                                Every target runs the notes phase and its own ramp; ratios
                                are against sharedb. Reports also get an SVG chart of the ramps.
  --meetings M                  concurrent meetings in the fixed-M phases (default 20)
  --participants P              participants per meeting (default 5)
  --transcript-rate R           transcript chunks/s per meeting, Connvo only (default 10)
  --edit-rate E                 notes edits/s per meeting (default 2)
  --duration S                  measured seconds per fixed-M phase (default 15)
  --warmup S                    unmeasured seconds of load before each phase (default 2)
  --drain S                     least seconds to wait for stragglers after each phase (default 3)
  --drain-max S                 most seconds to wait: the drain ends after 1 s without a
                                frame; what has not arrived by then counts as lost (default 15)
  --no-compare                  skip the fixed-M phases (ramp only)
  --ramp / --no-ramp            search for the largest M meeting the objective (default on)
  --ramp-start M                first ramp step without a comparison phase (default 64)
  --ramp-max M                  largest ramp step (default 2048)
  --ramp-step S                 measured seconds per ramp step (default 8)
  --ramp-budget S               time budget of each target's ramp (default 75)
  --slo-ms MS                   p95 delivery objective (default 150)
  --doc-cap CHARS               notes length past which edits also delete a line (default 4000)
  --join-concurrency N          meetings joined at once during setup (default 32)
  --seed N                      random seed (default 1)
  --out DIR                     report directory (default bench-reports/ in the repository)
  -h, --help                    this text
";

#[derive(Debug, Clone)]
pub struct Config {
    pub targets: Vec<TargetKind>,
    pub load: Load,
    pub compare: bool,
    pub ramp: Option<RampSettings>,
    pub slo_ms: f64,
    pub out: Option<PathBuf>,
}

fn value<T: std::str::FromStr>(flag: &str, raw: Option<String>) -> Result<T, String> {
    let raw = raw.ok_or_else(|| format!("{flag} needs a value"))?;
    raw.parse()
        .map_err(|_| format!("{flag}: cannot parse {raw:?}"))
}

fn seconds(flag: &str, raw: Option<String>) -> Result<Duration, String> {
    let s: f64 = value(flag, raw)?;
    if !(s.is_finite() && s >= 0.0) {
        return Err(format!("{flag}: seconds must be a non-negative number"));
    }
    Ok(Duration::from_secs_f64(s))
}

/// `all`, or names from [`TargetKind::ALL`] separated by commas; in the
/// order of `ALL` whatever order they are given in, so reports line up.
fn target_list(raw: &str) -> Result<Vec<TargetKind>, String> {
    if raw == "all" {
        return Ok(TargetKind::ALL.to_vec());
    }
    let mut targets = Vec::new();
    for slug in raw.split(',').map(str::trim) {
        let kind = TargetKind::from_slug(slug).ok_or_else(|| {
            let known: Vec<&str> = TargetKind::ALL.iter().map(|k| k.info().slug).collect();
            format!(
                "--target: {slug:?} is not all or one of {}",
                known.join(", ")
            )
        })?;
        targets.push(kind);
    }
    targets.sort_by_key(|k| TargetKind::ALL.iter().position(|a| a == k));
    targets.dedup();
    Ok(targets)
}

/// `Ok(None)` means help was asked for.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let mut load = Load {
        meetings: 20,
        participants: 5,
        transcript_rate: 10.0,
        edit_rate: 2.0,
        warmup: Duration::from_secs(2),
        duration: Duration::from_secs(15),
        drain: Duration::from_secs(3),
        drain_max: Duration::from_secs(15),
        doc_cap_chars: 4000,
        seed: 1,
        join_concurrency: 32,
    };
    let mut ramp = RampSettings {
        start: 64,
        max: 2048,
        step_duration: Duration::from_secs(8),
        budget: Duration::from_secs(75),
        slo_ms: 150.0,
    };
    let mut targets = TargetKind::ALL.to_vec();
    let mut do_ramp = true;
    let mut compare = true;
    let mut out = None;

    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut next = || args.next();
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--target" => targets = target_list(&value::<String>(&flag, next())?)?,
            "--meetings" => load.meetings = value(&flag, next())?,
            "--participants" => load.participants = value(&flag, next())?,
            "--transcript-rate" => load.transcript_rate = value(&flag, next())?,
            "--edit-rate" => load.edit_rate = value(&flag, next())?,
            "--duration" => load.duration = seconds(&flag, next())?,
            "--warmup" => load.warmup = seconds(&flag, next())?,
            "--drain" => load.drain = seconds(&flag, next())?,
            "--drain-max" => load.drain_max = seconds(&flag, next())?,
            "--no-compare" => compare = false,
            "--ramp" => do_ramp = true,
            "--no-ramp" => do_ramp = false,
            "--ramp-start" => ramp.start = value(&flag, next())?,
            "--ramp-max" => ramp.max = value(&flag, next())?,
            "--ramp-step" => ramp.step_duration = seconds(&flag, next())?,
            "--ramp-budget" => ramp.budget = seconds(&flag, next())?,
            "--slo-ms" => ramp.slo_ms = value(&flag, next())?,
            "--doc-cap" => load.doc_cap_chars = value(&flag, next())?,
            "--join-concurrency" => load.join_concurrency = value(&flag, next())?,
            "--seed" => load.seed = value(&flag, next())?,
            "--out" => out = Some(PathBuf::from(value::<String>(&flag, next())?)),
            other => return Err(format!("unknown flag {other:?} (see --help)")),
        }
    }
    if load.participants < 2 {
        return Err("--participants must be at least 2: delivery is measured at the others".into());
    }
    for (name, rate) in [
        ("--transcript-rate", load.transcript_rate),
        ("--edit-rate", load.edit_rate),
    ] {
        if !(rate.is_finite() && (0.0..=10_000.0).contains(&rate)) {
            return Err(format!("{name} must be between 0 and 10000"));
        }
    }
    if load.edit_rate == 0.0 {
        return Err("--edit-rate must be above 0: the comparison is the notes workload".into());
    }
    if !compare && !do_ramp {
        return Err("--no-compare with --no-ramp leaves nothing to run".into());
    }
    ramp.max = ramp.max.max(ramp.start.max(1));
    load.drain_max = load.drain_max.max(load.drain);
    let slo_ms = ramp.slo_ms;
    Ok(Some(Config {
        targets,
        load,
        compare,
        ramp: do_ramp.then_some(ramp),
        slo_ms,
        out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let c = parse(args("")).unwrap().unwrap();
        assert_eq!(c.targets, TargetKind::ALL);
        assert_eq!((c.load.meetings, c.load.participants), (20, 5));
        assert!(c.ramp.is_some() && c.compare);

        let c = parse(args(
            "--target sharedb --meetings 7 --duration 1.5 --no-ramp",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(c.targets, vec![TargetKind::ShareDb]);
        assert_eq!(c.load.meetings, 7);
        assert_eq!(c.load.duration, Duration::from_millis(1500));
        assert!(c.ramp.is_none());

        let c = parse(args("--target sharedb-postgres,connvo,sharedb-postgres"))
            .unwrap()
            .unwrap();
        assert_eq!(
            c.targets,
            vec![TargetKind::Connvo, TargetKind::ShareDbPostgres],
            "in the order of ALL, once each"
        );
        assert_eq!(
            parse(args("--target all")).unwrap().unwrap().targets,
            TargetKind::ALL
        );
        assert!(parse(args("--target both")).is_err());
        assert!(parse(args("--target sharedb,")).is_err());

        assert!(parse(args("--help")).unwrap().is_none());
        assert!(parse(args("--meetings")).is_err());
        assert!(parse(args("--participants 1")).is_err());
        assert!(parse(args("--bogus")).is_err());
        assert!(parse(args("--no-compare --no-ramp")).is_err());
    }
}

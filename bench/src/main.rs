//! `loadgen`: the load and latency benchmark of Connvo Edge's meeting
//! room, run side by side with its peers (issues 6 and 17). A benchmark,
//! not a test: it measures and reports; nothing asserts a timing.
//!
//! One process holds every client, so one monotonic clock timestamps both
//! the send (written into each message) and every receipt. M meetings × P
//! participants join a fresh server; in each meeting a driver ticks at R
//! transcript chunks/s and E notes edits/s, each from a random participant;
//! every participant receives everything. Phases, for every target asked
//! for (`--target`, default all of [`target::TargetKind::ALL`]):
//!
//! 1. the notes workload (no transcript) at the same M, for the one table
//!    with every target's column and its ratios to ShareDB in memory;
//! 2. the full workload (transcript + notes) at the same M, on the targets
//!    that carry a transcript (Connvo);
//! 3. the ramp: the largest M meeting p95 delivery < 150 ms with no errors,
//!    per target.
//!
//! Reports go to `bench-reports/<UTC time>.md`, `.json` and `-ramp.svg`
//! (the chart); the markdown is also printed. Exit status: 0 when every
//! phase ran, 1 when one could not, 2 when the Connvo side cannot run on
//! this build at all, 64 for bad flags.

mod cli;
mod clock;
mod connvo;
mod driver;
mod edits;
mod envinfo;
mod participant;
mod phase;
mod procstat;
mod ramp;
mod report;
mod sharedb;
mod stats;
mod tag;
mod target;
mod wire;
mod ypartyserver;

use std::process::ExitCode;

use connvo_e2e::backend::repo_root;

use crate::phase::Load;
use crate::report::utc::Utc;
use crate::report::{Comparison, Parameters, Report};
use crate::target::TargetKind;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match cli::parse(args.clone()) {
        Ok(Some(config)) => config,
        Ok(None) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("loadgen: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(64);
        }
    };
    raise_open_files_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config, args))
}

/// Every participant holds a socket, and so does the server's side of it;
/// a thousand meetings of five need more than the usual soft limit of 1,024.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn notes_only(load: &Load) -> Load {
    Load {
        transcript_rate: 0.0,
        ..load.clone()
    }
}

async fn run(config: cli::Config, args: Vec<String>) -> ExitCode {
    clock::now_us();
    let started = Utc::now();
    let mut machine = envinfo::machine();
    let versions = envinfo::versions();
    let mut comparison = Comparison::default();
    let mut ramps = Vec::new();
    let mut failures = Vec::new();

    if config.compare {
        // Connvo first (the order of `TargetKind::ALL`): when it cannot run
        // on this build, say so before spending minutes on the rest.
        for &kind in &config.targets {
            match phase::run_fresh(kind, &notes_only(&config.load)).await {
                Ok(result) => comparison.notes.push(result),
                Err(e) if kind == TargetKind::Connvo => return connvo_unavailable(&e),
                Err(e) => failures.push(format!("{}, notes workload: {e}", kind.name())),
            }
            if kind.has_transcript() && config.load.transcript_rate > 0.0 {
                match phase::run_fresh(kind, &config.load).await {
                    Ok(result) => comparison.full.push(result),
                    Err(e) => failures.push(format!("{}, full workload: {e}", kind.name())),
                }
            }
        }
    }
    if let Some(settings) = &config.ramp {
        for &kind in &config.targets {
            // The comparison phase with the ramp's own load seeds the search.
            let known = if kind.has_transcript() && config.load.transcript_rate > 0.0 {
                comparison.full_of(kind)
            } else {
                comparison.notes_of(kind)
            };
            match ramp::run(kind, &config.load, settings, known).await {
                Ok(result) => ramps.push(result),
                Err(e) if kind == TargetKind::Connvo => return connvo_unavailable(&e),
                Err(e) => failures.push(format!("{} ramp: {e}", kind.name())),
            }
        }
    }

    machine.load_average_end = envinfo::load_average();
    let stamp = started.compact();
    let report = Report {
        started_at: started.iso(),
        finished_at: Utc::now().iso(),
        command: format!("loadgen {}", args.join(" ")).trim_end().to_owned(),
        machine,
        versions,
        parameters: Parameters {
            targets: config.targets.clone(),
            load: config.load.clone(),
            slo_ms: config.slo_ms,
            ramp: config.ramp.clone(),
        },
        comparison,
        chart: (!ramps.is_empty()).then(|| Report::chart_name(&stamp)),
        ramps,
        failures,
    };
    let dir = config
        .out
        .clone()
        .unwrap_or_else(|| repo_root().join("bench-reports"));
    match report.write(&dir, &stamp) {
        Ok(path) => {
            println!("{}", report.markdown());
            eprintln!(
                "[loadgen] report written to {} (and .json{})",
                path.display(),
                report
                    .chart
                    .as_ref()
                    .map_or(String::new(), |c| format!(", {c}"))
            );
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::FAILURE;
        }
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn connvo_unavailable(why: &str) -> ExitCode {
    let why = why.strip_prefix(phase::NOT_STARTED).unwrap_or(why);
    eprintln!("\nloadgen: Connvo side unavailable: {why}\n");
    ExitCode::from(2)
}

//! `scripts/chaos`: the crash-durability run from the command line.
//!
//!   chaos [--kills N] [--seed S] [--clients C] [--min-run-ms A] [--max-run-ms B] [--quiet]
//!
//! Prints the report (its first line is the summary) and exits 0 when it is
//! clean, 1 when anything acknowledged was lost, duplicated, reordered or
//! diverged, 2 on bad arguments.

use connvo_e2e::chaos::{parse_args, report_json, run};

#[tokio::main]
async fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("chaos: {e}\nusage: chaos [--kills N] [--seed S] [--clients C] [--min-run-ms A] [--max-run-ms B] [--quiet]");
            std::process::exit(2);
        }
    };
    let report = run(opts).await;
    println!("{report}");
    if let Ok(path) = std::env::var("CHAOS_REPORT_JSON") {
        let _ = std::fs::write(&path, report_json(&report).to_string());
    }
    std::process::exit(if report.is_clean() { 0 } else { 1 });
}

//! The human half of the report: the notes table with a column per target
//! and ratios to ShareDB in memory, the full workload per stream, each
//! target's ramp (a summary, the chart, the steps), and any errors with the
//! first detail of each kind.

use std::fmt::Write;

use super::Report;
use crate::phase::{PhaseResult, StreamResult};
use crate::ramp::RampResult;
use crate::stats::Summary;
use crate::target::TargetKind;

fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A parameter: whole numbers without decimals.
fn plain(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn ratio(ours: f64, theirs: f64) -> Option<String> {
    (ours > 0.0 && theirs > 0.0).then(|| format!("{:.2}×", ours / theirs))
}

/// The notes table's columns: one per target asked for (`None` when its
/// phase could not run), and the baseline the ratios divide by.
struct Columns<'a> {
    targets: Vec<(TargetKind, Option<&'a PhaseResult>)>,
    baseline: Option<&'a PhaseResult>,
}

impl Columns<'_> {
    /// One row: a value per target, followed by its ratio to the baseline
    /// when the row has ratios and the target is not the baseline.
    fn row(
        &self,
        out: &mut String,
        label: &str,
        get: impl Fn(&PhaseResult) -> f64,
        with_ratio: bool,
    ) {
        let _ = write!(out, "| {label} |");
        for (kind, phase) in &self.targets {
            let cell = match (phase, self.baseline) {
                (None, _) => "not run".to_owned(),
                (Some(p), Some(b)) if with_ratio && *kind != TargetKind::BASELINE => {
                    match ratio(get(p), get(b)) {
                        Some(r) => format!("{} ({r})", num(get(p))),
                        None => num(get(p)),
                    }
                }
                (Some(p), _) => num(get(p)),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }

    /// A row of counts (errors, losses): integers, no ratio.
    fn count_row(&self, out: &mut String, label: &str, get: impl Fn(&PhaseResult) -> u64) {
        let _ = write!(out, "| {label} |");
        for (_, phase) in &self.targets {
            let cell = phase.map_or_else(|| "not run".into(), |p| get(p).to_string());
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
}

/// Seconds of load the server's CPU and disk figures cover (warm-up and
/// measurement).
fn loaded_s(p: &PhaseResult) -> f64 {
    (p.load.warmup + p.load.duration).as_secs_f64()
}

/// Server CPU per delivered message, in µs: the CPU it took to get each
/// message to each other participant.
fn cpu_us_per_delivery(p: &PhaseResult) -> f64 {
    let deliveries =
        p.notes.deliveries_per_s + p.transcript.as_ref().map_or(0.0, |t| t.deliveries_per_s);
    if deliveries > 0.0 {
        p.server.cpu_pct / 100.0 * 1e6 / deliveries
    } else {
        0.0
    }
}

/// Server disk writes per notes edit, in KB (1,000 bytes): the notes
/// workload writes nothing else.
fn disk_kb_per_edit(p: &PhaseResult) -> f64 {
    let edits = p.notes.sent_per_s * loaded_s(p);
    if edits > 0.0 {
        p.server.disk_write_mib * 1024.0 * 1024.0 / 1000.0 / edits
    } else {
        0.0
    }
}

fn notes_table(out: &mut String, report: &Report) {
    let c = &report.comparison;
    let Some(any) = c.notes.first() else {
        return;
    };
    let columns = Columns {
        targets: report
            .parameters
            .targets
            .iter()
            .map(|&k| (k, c.notes_of(k)))
            .collect(),
        baseline: c.notes_of(TargetKind::BASELINE),
    };
    let l = &any.load;
    let _ = writeln!(
        out,
        "## Notes workload, every target\n\n\
         {} meetings × {} participants, {} notes edits/s per meeting, every participant \
         subscribed; {} s measured after {} s of warm-up. Same generator, same run, a fresh \
         server for each target. Latencies in ms. In parentheses, the ratio to {} in the \
         same run: under 1 favours the target for latencies, memory, CPU and disk, over 1 \
         for throughput.\n\n\
         The targets do different work per op:\n",
        l.meetings,
        l.participants,
        plain(l.edit_rate),
        plain(l.duration.as_secs_f64()),
        plain(l.warmup.as_secs_f64()),
        TargetKind::BASELINE.name(),
    );
    for (kind, _) in &columns.targets {
        let _ = writeln!(out, "- **{}**: {}.", kind.name(), kind.info().per_op);
    }
    out.push_str("\n| notes |");
    for (kind, _) in &columns.targets {
        let _ = write!(out, " {} |", kind.name());
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(columns.targets.len()));
    out.push('\n');
    let n = |p: &PhaseResult| p.notes.clone();
    let t = &columns;
    t.row(out, "delivery p50", |p| n(p).delivery.p50_ms, true);
    t.row(out, "delivery p95", |p| n(p).delivery.p95_ms, true);
    t.row(out, "delivery p99", |p| n(p).delivery.p99_ms, true);
    t.row(out, "delivery max", |p| n(p).delivery.max_ms, true);
    t.row(out, "ack p50", |p| n(p).ack.p50_ms, true);
    t.row(out, "ack p95", |p| n(p).ack.p95_ms, true);
    t.row(out, "ack p99", |p| n(p).ack.p99_ms, true);
    t.row(out, "edits/s", |p| n(p).sent_per_s, true);
    t.row(out, "deliveries/s", |p| n(p).deliveries_per_s, true);
    t.count_row(out, "errors", |p| p.errors);
    t.count_row(out, "lost", |p| n(p).lost);
    t.count_row(out, "out of order", |p| n(p).out_of_order);
    t.row(
        out,
        "server peak RSS, MiB (sampled)",
        |p| p.server.peak_rss_mib,
        true,
    );
    t.row(
        out,
        "server peak PSS, MiB (sampled)",
        |p| p.server.peak_pss_mib,
        true,
    );
    t.row(out, "server VmHWM, MiB", |p| p.server.hwm_mib, true);
    t.row(out, "server CPU, % of a core", |p| p.server.cpu_pct, true);
    t.row(
        out,
        "server CPU per delivery, µs",
        cpu_us_per_delivery,
        true,
    );
    t.row(
        out,
        "server disk writes, MiB",
        |p| p.server.disk_write_mib,
        true,
    );
    t.row(
        out,
        "server disk writes per edit, KB",
        disk_kb_per_edit,
        true,
    );
    t.row(
        out,
        "generator CPU, % of a core",
        |p| p.generator.cpu_pct,
        false,
    );
    t.row(
        out,
        "wrangler (node) CPU, % of a core",
        |p| p.tooling.as_ref().map_or(0.0, |t| t.cpu_pct),
        false,
    );
    t.row(
        out,
        "other processes' CPU, % of a core",
        |p| p.others_cpu_pct,
        false,
    );
    t.row(out, "generator lag p99", |p| p.generator_lag.p99_ms, false);
    t.row(out, "setup (join all), s", |p| p.setup_s, false);
    let servers: Vec<String> = c
        .notes
        .iter()
        .map(|p| format!("{}: {}", p.target.name(), p.server.what))
        .collect();
    let _ = writeln!(
        out,
        "\nServer processes measured: {}.\n",
        servers.join("; ")
    );
}

fn stream_row(out: &mut String, name: &str, s: &StreamResult) {
    let d: &Summary = &s.delivery;
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        num(s.sent_per_s),
        num(s.deliveries_per_s),
        num(d.p50_ms),
        num(d.p95_ms),
        num(d.p99_ms),
        num(d.max_ms),
        num(s.ack.p50_ms),
        num(s.ack.p95_ms),
        s.lost,
        s.out_of_order
    );
}

fn full_workload(out: &mut String, p: &PhaseResult) {
    let l = &p.load;
    let _ = writeln!(
        out,
        "## {}, full workload\n\n\
         {} meetings × {} participants; per meeting {} transcript chunks/s and {} notes \
         edits/s; {} s measured. Server: {} peak RSS {} MiB (PSS {} MiB, VmHWM {} MiB), CPU {} % of \
         a core ({} µs per delivery), {} MiB written to disk. Generator CPU {} %, lag p99 {} ms; wrangler (node) CPU {} %; other processes' CPU \
         {} % of a core. Errors: {}.\n",
        p.target.name(),
        l.meetings,
        l.participants,
        plain(l.transcript_rate),
        plain(l.edit_rate),
        plain(l.duration.as_secs_f64()),
        p.server.what,
        num(p.server.peak_rss_mib),
        num(p.server.peak_pss_mib),
        num(p.server.hwm_mib),
        num(p.server.cpu_pct),
        num(cpu_us_per_delivery(p)),
        num(p.server.disk_write_mib),
        num(p.generator.cpu_pct),
        num(p.generator_lag.p99_ms),
        num(p.tooling.as_ref().map_or(0.0, |t| t.cpu_pct)),
        num(p.others_cpu_pct),
        p.errors
    );
    out.push_str(
        "| stream | sent/s | deliveries/s | p50 | p95 | p99 | max | ack p50 | ack p95 | lost | out of order |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    if let Some(t) = &p.transcript {
        stream_row(out, "transcript", t);
    }
    stream_row(out, "notes", &p.notes);
    out.push('\n');
}

fn ramp(out: &mut String, r: &RampResult, slo_ms: f64) {
    let _ = writeln!(
        out,
        "### {} ({})\n\n**Largest M holding p95 delivery < {} ms with no errors: {}** \
         (first failure: {}; search stopped: {}; {:.0} s).\n",
        r.target_name(),
        r.workload,
        plain(slo_ms),
        r.best_meetings,
        r.first_failure
            .map_or_else(|| "none".into(), |m| m.to_string()),
        r.stopped_by,
        r.elapsed_s
    );
    out.push_str(
        "| M | connections | deliveries/s | p50 | p95 | p99 | server CPU % | gen. CPU % | others' CPU % | server RSS MiB | gen. lag p99 | result |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for step in &r.steps {
        let mut verdict = step
            .failure
            .as_ref()
            .map_or_else(|| "pass".to_owned(), |f| format!("fail: {f}"));
        if step.from_comparison {
            verdict.push_str(" (the comparison phase)");
        }
        match &step.result {
            Some(p) => {
                let deliveries = p.notes.deliveries_per_s
                    + p.transcript.as_ref().map_or(0.0, |t| t.deliveries_per_s);
                let worst = worst_delivery(p);
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {verdict} |",
                    step.meetings,
                    p.connections,
                    num(deliveries),
                    num(worst.p50_ms),
                    num(worst.p95_ms),
                    num(worst.p99_ms),
                    num(p.server.cpu_pct),
                    num(p.generator.cpu_pct),
                    num(p.others_cpu_pct),
                    num(p.server.peak_rss_mib),
                    num(p.generator_lag.p99_ms),
                );
            }
            None => {
                let _ = writeln!(out, "| {} | | | | | | | | | | | {verdict} |", step.meetings);
            }
        }
    }
    out.push('\n');
}

fn errors(out: &mut String, report: &Report) {
    let mut phases: Vec<(String, &PhaseResult)> = Vec::new();
    let c = &report.comparison;
    for p in &c.notes {
        phases.push((format!("{} notes", p.target.name()), p));
    }
    for p in &c.full {
        phases.push((format!("{} full", p.target.name()), p));
    }
    for r in &report.ramps {
        for step in &r.steps {
            if let Some(p) = &step.result {
                phases.push((format!("ramp {} M={}", r.target_name(), step.meetings), p));
            }
        }
    }
    let with_errors: Vec<_> = phases.iter().filter(|(_, p)| p.errors > 0).collect();
    if with_errors.is_empty() && report.failures.is_empty() {
        return;
    }
    out.push_str("## Errors\n\n");
    for failure in &report.failures {
        let _ = writeln!(out, "- could not run: {failure}");
    }
    for (name, p) in with_errors {
        for (kind, e) in &p.error_kinds {
            let _ = writeln!(out, "- {name}: `{kind}` × {} (first: {})", e.count, e.first);
        }
    }
    out.push('\n');
}

/// The largest M of each target, and the chart of every ramp step.
fn ramp_summary(out: &mut String, report: &Report) {
    let slo = plain(report.parameters.slo_ms);
    let _ = writeln!(
        out,
        "| target | workload | largest M with p95 < {slo} ms | its p50 / p95, ms | first failure | search stopped |\n\
         |---|---|---:|---:|---:|---|"
    );
    for r in &report.ramps {
        let best = r
            .steps
            .iter()
            .filter(|s| s.pass && s.meetings == r.best_meetings)
            .find_map(|s| s.result.as_ref())
            .map(worst_delivery);
        let _ = writeln!(
            out,
            "| {} | {} | **{}**{} | {} | {} | {} |",
            r.target_name(),
            r.workload,
            r.best_meetings,
            if r.stopped_by == "reached max" {
                "+"
            } else {
                ""
            },
            best.map_or_else(
                || "—".into(),
                |d| format!("{} / {}", num(d.p50_ms), num(d.p95_ms))
            ),
            r.first_failure
                .map_or_else(|| "none".into(), |m| m.to_string()),
            r.stopped_by,
        );
    }
    out.push('\n');
    if let Some(chart) = &report.chart {
        let _ = writeln!(
            out,
            "![Delivery latency p50 and p95 against concurrent meetings, per target]({chart})\n\n\
             `{chart}`: every ramp step's delivery p50 (dashed) and p95 (solid) against M, \
             both axes logarithmic; hollow markers are failed steps.\n"
        );
    }
}

/// The step's slowest stream, which is what the objective judges.
fn worst_delivery(p: &PhaseResult) -> &Summary {
    match &p.transcript {
        Some(t) if t.delivery.p95_ms > p.notes.delivery.p95_ms => &t.delivery,
        _ => &p.notes.delivery,
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let v = &report.versions;
    let p = &report.parameters;
    let l = &p.load;
    let _ = writeln!(
        out,
        "# Connvo Edge load benchmark, {}\n\n\
         - **Machine**: {} cores ({}), {} GiB, Linux {}; load average {} at start, {} at end\n\
         - **Versions**: connvo-edge {} (git {}), wrangler {}, workerd {}, node {}, sharedb {}, \
         sharedb-postgres {}, pg {}, PostgreSQL {}, y-partyserver {}, partyserver {}, yjs {}, \
         ot-text-unicode {}, ws {}, {}\n\
         - **Parameters**: M={} meetings × P={} participants, R={} transcript chunks/s \
         (Connvo only) and E={} notes edits/s per meeting; targets {}; {} s measured after {} s warm-up, \
         {} s drain; objective p95 delivery < {} ms; seed {}\n\
         - **Command**: `{}`\n",
        report.started_at,
        m.cores,
        m.cpu,
        m.memory_gib,
        m.kernel,
        m.load_average_start,
        m.load_average_end,
        v.connvo,
        v.git,
        v.wrangler,
        v.workerd,
        v.node,
        v.sharedb,
        v.sharedb_postgres,
        v.pg,
        v.postgresql,
        v.y_partyserver,
        v.partyserver,
        v.yjs,
        v.ot_text_unicode,
        v.ws,
        v.rustc,
        l.meetings,
        l.participants,
        plain(l.transcript_rate),
        plain(l.edit_rate),
        p.targets
            .iter()
            .map(|k| k.info().slug)
            .collect::<Vec<_>>()
            .join(", "),
        plain(l.duration.as_secs_f64()),
        plain(l.warmup.as_secs_f64()),
        plain(l.drain.as_secs_f64()),
        plain(p.slo_ms),
        l.seed,
        report.command,
    );
    notes_table(&mut out, report);
    for full in &report.comparison.full {
        full_workload(&mut out, full);
    }
    if !report.ramps.is_empty() {
        let r = p.ramp.as_ref();
        let _ = writeln!(
            out,
            "## Ramp\n\n\
             Same P, R and E. Starting next to the comparison phase (or at M={} without one), M \
             doubles while steps pass (quadruples while p95 is under a quarter of the \
             objective; up to {}) or halves while they fail, then bisects. Each \
             step runs {} s on a fresh server; each target's search has a {} s budget. \
             Latencies are of the slowest stream. A + after the largest M: the search reached \
             its cap, so the target may hold more.\n",
            r.map_or(0, |r| r.start),
            r.map_or(0, |r| r.max),
            plain(r.map_or(0.0, |r| r.step_duration.as_secs_f64())),
            plain(r.map_or(0.0, |r| r.budget.as_secs_f64())),
        );
        ramp_summary(&mut out, report);
        for r in &report.ramps {
            ramp(&mut out, r, p.slo_ms);
        }
    }
    errors(&mut out, report);
    out.push_str(
        "Delivery: a message's send time (carried in the message) to its receipt at each other \
         participant, on the generator's one clock. Ack: notes submit → ack, transcript send → \
         own echo. Server: workerd for Connvo; the Node process for ShareDB; for ShareDB on \
         PostgreSQL, the Node process and every PostgreSQL process (the postmaster, its \
         background processes and the pool's connections), summed. Memory summed over several \
         processes: RSS and VmHWM count a shared page once per process that maps it \
         (PostgreSQL's shared buffers), PSS divides it among them. Lost: receipts still missing when the drain ends (a second without any frame, \
         at most `drain_max` after the load stops). Generator lag: how late the \
         generator's own send ticks fired (if high, the generator was the bottleneck). Others' \
         CPU: the machine's busy CPU while load was offered, less the server's, the \
         generator's and wrangler's own Node process's (for Connvo): other work on a shared \
         machine. When server, generator and others together approach 100 % × cores, the run \
         measured CPU contention as much as the server.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envinfo::{Machine, Versions};
    use crate::procstat::ProcResult;
    use crate::ramp::{RampResult, RampStep};
    use crate::report::{Comparison, Parameters};

    fn notes(kind: TargetKind, p50: f64, rss: f64) -> PhaseResult {
        let mut p = PhaseResult::empty(kind);
        p.notes.delivery.count = 10;
        p.notes.delivery.p50_ms = p50;
        p.notes.sent_per_s = 40.0;
        p.server = ProcResult {
            what: format!("{} (1 process)", kind.name()),
            peak_rss_mib: rss,
            disk_write_mib: 1.0,
            ..ProcResult::default()
        };
        p
    }

    fn report() -> Report {
        let text = |s: &str| s.to_owned();
        let parameters = {
            let c = crate::cli::parse(Vec::new()).unwrap().unwrap();
            Parameters {
                targets: vec![
                    TargetKind::Connvo,
                    TargetKind::ShareDb,
                    TargetKind::ShareDbPostgres,
                ],
                load: c.load,
                slo_ms: c.slo_ms,
                ramp: c.ramp,
            }
        };
        let best = RampStep {
            meetings: 2048,
            pass: true,
            failure: None,
            from_comparison: false,
            result: Some(notes(TargetKind::ShareDb, 1.4, 225.0)),
        };
        Report {
            started_at: text("2026-12-02T00:00:00Z"),
            finished_at: text("2026-12-02T00:10:00Z"),
            command: text("loadgen"),
            machine: Machine {
                cores: 2,
                cpu: text("cpu"),
                memory_gib: 1.0,
                kernel: text("6"),
                load_average_start: text("0 0 0"),
                load_average_end: text("0 0 0"),
            },
            versions: Versions {
                connvo: text("0"),
                git: text("abc"),
                wrangler: text("1"),
                workerd: text("1"),
                node: text("22"),
                sharedb: text("7.0.0"),
                sharedb_postgres: text("5.0.1"),
                pg: text("8.23.1"),
                postgresql: text("15.18"),
                y_partyserver: text("2.2.0"),
                partyserver: text("0.5.10"),
                yjs: text("13.6.33"),
                ot_text_unicode: text("4"),
                ws: text("8"),
                rustc: text("rustc"),
            },
            parameters,
            // Connvo's notes phase ran, ShareDB on PostgreSQL's did not.
            comparison: Comparison {
                notes: vec![
                    notes(TargetKind::Connvo, 3.0, 400.0),
                    notes(TargetKind::ShareDb, 1.5, 80.0),
                ],
                full: Vec::new(),
            },
            ramps: vec![RampResult {
                target: TargetKind::ShareDb,
                workload: "notes",
                best_meetings: 2048,
                first_failure: None,
                stopped_by: text("reached max"),
                steps: vec![best],
                elapsed_s: 60.0,
            }],
            chart: Some(text("20261202T000000Z-ramp.svg")),
            failures: vec![text("ShareDB (PostgreSQL), notes workload: no server")],
        }
    }

    #[test]
    fn the_notes_table_has_a_column_per_target_with_ratios_to_the_baseline() {
        let md = render(&report());
        assert!(md.contains(
            "| notes | Connvo | ShareDB (in memory) | ShareDB (PostgreSQL) |\n|---|---:|---:|---:|\n"
        ));
        assert!(
            md.contains("| delivery p50 | 3.00 (2.00×) | 1.50 | not run |"),
            "{md}"
        );
        assert!(md.contains("| server peak RSS, MiB (sampled) | 400 (5.00×) | 80.0 | not run |"));
        // Counts have no ratio.
        assert!(md.contains("| errors | 0 | 0 | not run |"));
        // Disk per edit: 1 MiB over 40 edits/s × (2 s warm-up + 15 s).
        assert!(md.contains("| server disk writes per edit, KB | 1.54 (1.00×) | 1.54 | not run |"));
        for kind in [
            TargetKind::Connvo,
            TargetKind::ShareDb,
            TargetKind::ShareDbPostgres,
        ] {
            assert!(md.contains(&format!("- **{}**: ", kind.name())));
        }
        assert!(md.contains("- could not run: ShareDB (PostgreSQL), notes workload"));
    }

    #[test]
    fn the_ramp_summary_lists_each_target_and_links_the_chart() {
        let md = render(&report());
        assert!(
            md.contains(
                "| ShareDB (in memory) | notes | **2048**+ | 1.40 / 0.00 | none | reached max |"
            ),
            "{md}"
        );
        assert!(md.contains("](20261202T000000Z-ramp.svg)"));
        let mut no_chart = report();
        no_chart.chart = None;
        assert!(!render(&no_chart).contains(".svg"));
    }
}

//! The human half of the report: the side-by-side notes table with
//! Connvo ÷ ShareDB ratios, Connvo's full workload per stream, the ramp
//! steps, and any errors with the first detail of each kind.

use std::fmt::Write;

use super::Report;
use crate::phase::{PhaseResult, StreamResult};
use crate::ramp::RampResult;
use crate::stats::Summary;

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

fn ratio(ours: f64, theirs: f64) -> String {
    if ours > 0.0 && theirs > 0.0 {
        format!("{:.2}×", ours / theirs)
    } else {
        "—".into()
    }
}

/// One row of the side-by-side table: a label and a value from each side,
/// with their ratio when it means something.
fn row(
    out: &mut String,
    label: &str,
    ours: Option<&PhaseResult>,
    theirs: Option<&PhaseResult>,
    get: impl Fn(&PhaseResult) -> f64,
    with_ratio: bool,
) {
    let cell = |p: Option<&PhaseResult>| p.map_or_else(|| "not run".into(), |p| num(get(p)));
    let r = match (ours, theirs) {
        (Some(a), Some(b)) if with_ratio => ratio(get(a), get(b)),
        _ => "—".into(),
    };
    let _ = writeln!(out, "| {label} | {} | {} | {r} |", cell(ours), cell(theirs));
}

/// A row of counts (errors, losses): integers, no ratio.
fn count_row(
    out: &mut String,
    label: &str,
    ours: Option<&PhaseResult>,
    theirs: Option<&PhaseResult>,
    get: impl Fn(&PhaseResult) -> u64,
) {
    let cell = |p: Option<&PhaseResult>| p.map_or_else(|| "not run".into(), |p| get(p).to_string());
    let _ = writeln!(out, "| {label} | {} | {} | — |", cell(ours), cell(theirs));
}

fn side_by_side(out: &mut String, ours: Option<&PhaseResult>, theirs: Option<&PhaseResult>) {
    let Some(any) = ours.or(theirs) else {
        return;
    };
    let l = &any.load;
    let _ = writeln!(
        out,
        "## Notes workload, side by side\n\n\
         {} meetings × {} participants, {} notes edits/s per meeting, every participant \
         subscribed; {} s measured after {} s of warm-up. Same generator, same run, a fresh \
         server for each side. Latencies in ms; a ratio under 1 favours Connvo for latencies \
         and memory, over 1 for throughput.\n\n\
         The two do different work per op. ShareDB runs with its in-memory database and \
         pubsub: nothing is persisted, and each op is sent on as soon as it is committed. \
         Connvo stores each op in the meeting's Durable Object SQLite before acknowledging \
         it, and coalesces broadcasts of the hot streams (notes ops, transcript chunks) over \
         a short window by design (`RoomConfig::coalesce_ms`), which puts a floor under its \
         delivery latency.\n",
        l.meetings,
        l.participants,
        plain(l.edit_rate),
        plain(l.duration.as_secs_f64()),
        plain(l.warmup.as_secs_f64()),
    );
    out.push_str("| notes | Connvo | ShareDB | Connvo ÷ ShareDB |\n|---|---:|---:|---:|\n");
    let s = |p: &PhaseResult| p.notes.clone();
    row(
        out,
        "delivery p50",
        ours,
        theirs,
        |p| s(p).delivery.p50_ms,
        true,
    );
    row(
        out,
        "delivery p95",
        ours,
        theirs,
        |p| s(p).delivery.p95_ms,
        true,
    );
    row(
        out,
        "delivery p99",
        ours,
        theirs,
        |p| s(p).delivery.p99_ms,
        true,
    );
    row(
        out,
        "delivery max",
        ours,
        theirs,
        |p| s(p).delivery.max_ms,
        true,
    );
    row(out, "ack p50", ours, theirs, |p| s(p).ack.p50_ms, true);
    row(out, "ack p95", ours, theirs, |p| s(p).ack.p95_ms, true);
    row(out, "ack p99", ours, theirs, |p| s(p).ack.p99_ms, true);
    row(out, "edits/s", ours, theirs, |p| s(p).sent_per_s, true);
    row(
        out,
        "deliveries/s",
        ours,
        theirs,
        |p| s(p).deliveries_per_s,
        true,
    );
    count_row(out, "errors", ours, theirs, |p| p.errors);
    count_row(out, "lost", ours, theirs, |p| s(p).lost);
    count_row(out, "out of order", ours, theirs, |p| s(p).out_of_order);
    row(
        out,
        "server peak RSS, MiB (sampled)",
        ours,
        theirs,
        |p| p.server.peak_rss_mib,
        true,
    );
    row(
        out,
        "server VmHWM, MiB",
        ours,
        theirs,
        |p| p.server.hwm_mib,
        true,
    );
    row(
        out,
        "server CPU, % of a core",
        ours,
        theirs,
        |p| p.server.cpu_pct,
        true,
    );
    row(
        out,
        "server disk writes, MiB",
        ours,
        theirs,
        |p| p.server.disk_write_mib,
        true,
    );
    row(
        out,
        "generator CPU, % of a core",
        ours,
        theirs,
        |p| p.generator.cpu_pct,
        false,
    );
    row(
        out,
        "wrangler (node) CPU, % of a core",
        ours,
        theirs,
        |p| p.tooling.as_ref().map_or(0.0, |t| t.cpu_pct),
        false,
    );
    row(
        out,
        "other processes' CPU, % of a core",
        ours,
        theirs,
        |p| p.others_cpu_pct,
        false,
    );
    row(
        out,
        "generator lag p99",
        ours,
        theirs,
        |p| p.generator_lag.p99_ms,
        false,
    );
    row(
        out,
        "setup (join all), s",
        ours,
        theirs,
        |p| p.setup_s,
        false,
    );
    out.push('\n');
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

/// One phase's streams in a table, under `title`, with its processes' figures.
fn full_workload(out: &mut String, title: &str, p: &PhaseResult) {
    let l = &p.load;
    let _ = writeln!(
        out,
        "## {title}\n\n\
         {} meetings × {} participants; per meeting {} transcript chunks/s and {} notes \
         edits/s; {} s measured. Server: {} peak RSS {} MiB (VmHWM {} MiB), CPU {} % of a core, \
         {} MiB written to disk. Generator CPU {} %, lag p99 {} ms; wrangler (node) CPU {} %; other processes' CPU \
         {} % of a core. Errors: {}.\n",
        l.meetings,
        l.participants,
        plain(l.transcript_rate),
        plain(l.edit_rate),
        plain(l.duration.as_secs_f64()),
        p.server.what,
        num(p.server.peak_rss_mib),
        num(p.server.hwm_mib),
        num(p.server.cpu_pct),
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
                // Percentiles of the slowest stream, which is what the objective judges.
                let worst = match &p.transcript {
                    Some(t) if t.delivery.p95_ms > p.notes.delivery.p95_ms => &t.delivery,
                    _ => &p.notes.delivery,
                };
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
    for (name, p) in [
        ("Connvo notes", &c.connvo_notes),
        ("ShareDB notes", &c.sharedb_notes),
        ("Connvo full", &c.connvo_full),
        ("y-partyserver notes", &c.ypartyserver_notes),
    ] {
        if let Some(p) = p {
            phases.push((name.to_owned(), p));
        }
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
         ot-text-unicode {}, ws {}, y-partyserver {}, partyserver {}, yjs {}, {}\n\
         - **Parameters**: M={} meetings × P={} participants, R={} transcript chunks/s \
         (Connvo only) and E={} notes edits/s per meeting; {} s measured after {} s warm-up, \
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
        v.ot_text_unicode,
        v.ws,
        v.y_partyserver,
        v.partyserver,
        v.yjs,
        v.rustc,
        l.meetings,
        l.participants,
        plain(l.transcript_rate),
        plain(l.edit_rate),
        plain(l.duration.as_secs_f64()),
        plain(l.warmup.as_secs_f64()),
        plain(l.drain.as_secs_f64()),
        plain(p.slo_ms),
        l.seed,
        report.command,
    );
    let c = &report.comparison;
    side_by_side(&mut out, c.connvo_notes.as_ref(), c.sharedb_notes.as_ref());
    if let Some(full) = &c.connvo_full {
        full_workload(&mut out, "Connvo, full workload", full);
    }
    if let Some(peer) = &c.ypartyserver_notes {
        // Until the side-by-side table takes any number of targets.
        full_workload(&mut out, "y-partyserver, notes workload", peer);
        out.push_str(
            "y-partyserver: Yjs rooms on Durable Objects (`bench/peers/y-partyserver/`) on the \
             same local workerd as Connvo. Its ack is the server's echo of the sender's own \
             update (Yjs has no acknowledgement): applied and broadcast, not yet stored; the \
             document is saved to the object's SQLite 2 s after the last update (at most 10 s).\n\n",
        );
    }
    if !report.ramps.is_empty() {
        let r = p.ramp.as_ref();
        let _ = writeln!(
            out,
            "## Ramp\n\n\
             Same P, R and E. Starting next to the comparison phase (or at M={} without one), M \
             doubles while steps pass (quadruples while p95 is under a quarter of the \
             objective; up to {}) or halves while they fail, then bisects. Each \
             step runs {} s on a fresh server. Latencies are of the slowest stream.\n",
            r.map_or(0, |r| r.start),
            r.map_or(0, |r| r.max),
            plain(r.map_or(0.0, |r| r.step_duration.as_secs_f64())),
        );
        for r in &report.ramps {
            ramp(&mut out, r, p.slo_ms);
        }
    }
    errors(&mut out, report);
    out.push_str(
        "Delivery: a message's send time (carried in the message) to its receipt at each other \
         participant, on the generator's one clock. Ack: notes submit → ack, transcript send → \
         own echo. Lost: receipts still missing when the drain ends (a second without any frame, \
         at most `drain_max` after the load stops). Generator lag: how late the \
         generator's own send ticks fired (if high, the generator was the bottleneck). Others' \
         CPU: the machine's busy CPU while load was offered, less the server's, the \
         generator's and wrangler's own Node process's (for Connvo): other work on a shared \
         machine. When server, generator and others together approach 100 % × cores, the run \
         measured CPU contention as much as the server.\n",
    );
    out
}

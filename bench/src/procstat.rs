//! Memory and CPU of the processes under test (workerd, or ShareDB's node)
//! and of the generator itself, read from `/proc` (Linux only, like the
//! rest of the tooling).
//!
//! Peak memory is reported three ways: the sum of `VmHWM` (the kernel's own
//! high-water mark per process, since it started, so it includes start-up),
//! the highest sum of `VmRSS` seen by sampling every 200 ms during the
//! phase (what was resident at the same time across processes), and the
//! highest sum of PSS sampled the same way (shared pages counted once).

use std::time::Duration;

use serde::Serialize;
use std::sync::mpsc;

use crate::stats::round3;

/// The number after `key:` in `/proc/<pid>/<file>` (a `key: value [unit]`
/// listing such as `status`, `io` or `smaps_rollup`).
fn proc_number(pid: u32, file: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn status_field_kb(pid: u32, field: &str) -> Option<u64> {
    proc_number(pid, "status", field)
}

/// Proportional set size: the process's resident memory with each shared
/// page divided among the processes sharing it, so sums over processes
/// (PostgreSQL's, which share its buffers) count shared memory once.
fn pss_kb(pid: u32) -> Option<u64> {
    proc_number(pid, "smaps_rollup", "Pss")
}

/// The fields of `/proc/<pid>/stat` after the command name, which is in
/// parentheses and may itself contain spaces or parentheses.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Bytes the process caused to be written to storage (`/proc/<pid>/io`):
/// for a server that stores every write durably, disk traffic can bound
/// latency when CPU does not.
fn write_bytes(pid: u32) -> Option<u64> {
    proc_number(pid, "io", "write_bytes")
}

/// User plus system CPU time, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let f = stat_fields(pid)?;
    // After the command name: state(0) ppid pgrp session tty tpgid flags
    // minflt cminflt majflt cmajflt utime(11) stime(12).
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// The processes in process group `pgid` whose command name starts with `name`.
pub fn group_members(pgid: u32, name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            stat_fields(pid).and_then(|f| f.get(2)?.parse::<u32>().ok()) == Some(pgid)
                && comm(pid).is_some_and(|c| c.starts_with(name))
        })
        .collect()
}

/// The processes whose parent is `ppid` (PostgreSQL's postmaster runs
/// each of its processes in a session of its own, so they share no group).
pub fn children(ppid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) == Some(ppid))
        .collect()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcResult {
    /// What was measured, e.g. `workerd (2 processes)`.
    pub what: String,
    /// Sum of the processes' `VmHWM` at the end of the phase.
    pub hwm_mib: f64,
    /// Highest sampled sum of `VmRSS` during the phase.
    pub peak_rss_mib: f64,
    /// Highest sampled sum of PSS: the same with shared pages counted once
    /// across the processes (it differs from RSS for multi-process servers).
    pub peak_pss_mib: f64,
    /// CPU time used while load was offered (warm-up and measurement).
    pub cpu_s: f64,
    /// `cpu_s` over that wall time: 100 is one core busy.
    pub cpu_pct: f64,
    /// Bytes written to storage while load was offered.
    pub disk_write_mib: f64,
}

/// Samples the resident memory of a fixed set of processes until stopped.
pub struct Sampler {
    what: String,
    pids: Vec<u32>,
    stop: mpsc::Sender<()>,
    /// Peak sums of (RSS, PSS), in KiB, from the sampling thread.
    peak: std::thread::JoinHandle<(u64, u64)>,
    cpu_start: Option<u64>,
    cpu_end: Option<u64>,
    written_start: u64,
    written_end: u64,
    loaded_for: Duration,
}

impl Sampler {
    pub fn start(what: impl Into<String>, pids: Vec<u32>) -> Sampler {
        let (stop, stopped) = mpsc::channel();
        let sampled = pids.clone();
        // Its own thread, not a task: reading `smaps_rollup` walks the
        // process's page tables (milliseconds for a large workerd), and a
        // blocking read on the runtime's threads made the generator late
        // (its lag p99 rose from 2 to 18 ms). PSS is read every 5th tick.
        let peak = std::thread::spawn(move || {
            let mut peak = (0, 0);
            for tick in 0u64.. {
                let rss: u64 = sampled
                    .iter()
                    .filter_map(|&p| status_field_kb(p, "VmRSS"))
                    .sum();
                peak.0 = peak.0.max(rss);
                if tick % 5 == 0 {
                    let pss: u64 = sampled.iter().filter_map(|&p| pss_kb(p)).sum();
                    peak.1 = peak.1.max(pss);
                }
                match stopped.recv_timeout(Duration::from_millis(200)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            peak
        });
        Sampler {
            what: what.into(),
            pids,
            stop,
            peak,
            cpu_start: None,
            cpu_end: None,
            written_start: 0,
            written_end: 0,
            loaded_for: Duration::ZERO,
        }
    }

    fn cpu_now(&self) -> Option<u64> {
        self.pids.iter().map(|&p| cpu_ticks(p)).sum()
    }

    fn written_now(&self) -> u64 {
        self.pids.iter().filter_map(|&p| write_bytes(p)).sum()
    }

    /// Marks the start of the loaded period (CPU and disk writes count from here).
    pub fn load_started(&mut self) {
        self.cpu_start = self.cpu_now();
        self.written_start = self.written_now();
    }

    /// Marks the end of the loaded period, `loaded_for` after it started.
    pub fn load_ended(&mut self, loaded_for: Duration) {
        self.cpu_end = self.cpu_now();
        self.written_end = self.written_now();
        self.loaded_for = loaded_for;
    }

    pub async fn finish(self) -> ProcResult {
        let hwm: u64 = self
            .pids
            .iter()
            .filter_map(|&p| status_field_kb(p, "VmHWM"))
            .sum();
        let _ = self.stop.send(());
        let peak = self.peak;
        let (peak, peak_pss) = tokio::task::spawn_blocking(move || peak.join().unwrap_or((0, 0)))
            .await
            .unwrap_or((0, 0));
        let cpu_s = match (self.cpu_start, self.cpu_end) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / ticks_per_second(),
            _ => 0.0,
        };
        let wall = self.loaded_for.as_secs_f64();
        ProcResult {
            what: format!(
                "{} ({} process{})",
                self.what,
                self.pids.len(),
                if self.pids.len() == 1 { "" } else { "es" }
            ),
            hwm_mib: round3(hwm as f64 / 1024.0),
            peak_rss_mib: round3(peak as f64 / 1024.0),
            peak_pss_mib: round3(peak_pss as f64 / 1024.0),
            cpu_s: round3(cpu_s),
            cpu_pct: if wall > 0.0 {
                round3(100.0 * cpu_s / wall)
            } else {
                0.0
            },
            disk_write_mib: round3(
                self.written_end.saturating_sub(self.written_start) as f64 / 1024.0 / 1024.0,
            ),
        }
    }
}

/// Machine-wide CPU use from `/proc/stat`: on a shared machine, what other
/// processes took during a phase explains results that the server's and
/// the generator's own numbers cannot.
#[derive(Debug, Clone, Copy)]
pub struct MachineCpu {
    busy: u64,
    total: u64,
}

impl MachineCpu {
    pub fn now() -> Option<MachineCpu> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .take(8) // user nice system idle iowait irq softirq steal
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        let total: u64 = fields.iter().sum();
        let idle = fields.get(3)? + fields.get(4)?;
        Some(MachineCpu {
            busy: total - idle,
            total,
        })
    }

    /// Busy CPU since `start`, in % of one core (100 × cores when all are busy).
    pub fn busy_pct_since(&self, start: &MachineCpu, cores: usize) -> f64 {
        let total = self.total.saturating_sub(start.total);
        if total == 0 {
            return 0.0;
        }
        let busy = self.busy.saturating_sub(start.busy);
        round3(100.0 * cores as f64 * busy as f64 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_measures_this_process() {
        let me = std::process::id();
        // SAFETY: getpgrp has no preconditions.
        let pgid = unsafe { libc::getpgrp() } as u32;
        let name = comm(me).unwrap();
        assert!(group_members(pgid, &name).contains(&me));
        // SAFETY: getppid has no preconditions.
        let parent = unsafe { libc::getppid() } as u32;
        assert!(children(parent).contains(&me));
        assert!(!children(me).contains(&me));
        assert!(status_field_kb(me, "VmRSS").unwrap() > 0);
        assert!(status_field_kb(me, "VmHWM").unwrap() > 0);
        let pss = pss_kb(me).unwrap();
        assert!(pss > 0 && pss <= status_field_kb(me, "VmRSS").unwrap() + 1024);
        assert!(cpu_ticks(me).is_some());
        assert!(write_bytes(me).is_some());
        let a = MachineCpu::now().unwrap();
        let b = MachineCpu::now().unwrap();
        assert!((0.0..=100.0 * 4096.0).contains(&b.busy_pct_since(&a, 2)));
    }
}

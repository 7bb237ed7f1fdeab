//! Runs the real `gateway` binary for end-to-end tests and cleans it up on drop.
//!
//! stdout (the access log by default) and stderr (the daemon's JSON logs) go to files
//! in the test's temporary directory so tests can read them while it runs.
#![allow(dead_code)]

use std::{
    fs::File,
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A free loopback port (bound then released; good enough for tests on loopback).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A running gateway daemon, killed when dropped.
pub struct GatewayProcess {
    child: Child,
    /// Where stdout goes.
    pub stdout: PathBuf,
    /// Where stderr (the daemon's logs) goes.
    pub stderr: PathBuf,
    /// The admin listener.
    pub admin: SocketAddr,
}

impl GatewayProcess {
    /// Starts `gateway run --config <config>` and waits until `/readyz` answers 200.
    pub fn start(config: &Path, workdir: &Path, admin: SocketAddr) -> Self {
        let stdout = workdir.join("gateway.stdout");
        let stderr = workdir.join("gateway.stderr");
        let out = File::create(&stdout).unwrap_or_else(|e| panic!("create stdout file: {e}"));
        let err = File::create(&stderr).unwrap_or_else(|e| panic!("create stderr file: {e}"));
        let child = Command::new(env!("CARGO_BIN_EXE_gateway"))
            .arg("run")
            .arg("--config")
            .arg(config)
            .current_dir(workdir)
            .env("GATEWAY_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the gateway binary: {e}"));
        let mut gw = Self {
            child,
            stdout,
            stderr,
            admin,
        };
        gw.wait_ready(Duration::from_secs(30));
        gw
    }

    /// The daemon's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends a signal to the daemon.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig}) failed", self.pid());
    }

    /// The daemon's logs so far.
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The daemon's logs so far, parsed (lines that are not JSON are skipped).
    pub fn log_lines(&self) -> Vec<serde_json::Value> {
        self.stderr_text()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Polls until `pred` holds on the parsed log lines, or panics after `timeout`.
    pub fn wait_for_log(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log_lines().into_iter().find(|l| pred(l)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line {what} within {timeout:?}; logs:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_ready(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the gateway exited ({status}) before it was ready; logs:\n{}",
                    self.stderr_text()
                );
            }
            if admin_request(self.admin, "GET", "/readyz").0 == 200 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the gateway was not ready within {timeout:?}; logs:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One blocking HTTP/1.1 request to the admin listener: (status, body). Status 0 when
/// the connection failed.
pub fn admin_request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return (0, String::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

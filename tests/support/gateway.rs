//! Spawns the real `gateway` binary with a temporary config and finds the ports its
//! listeners bound (configs use port 0; the daemon logs `listening` with the address).
#![allow(dead_code)]
use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A running gateway process; killed when dropped.
pub struct GatewayProcess {
    child: Child,
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    addrs: HashMap<String, SocketAddr>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

fn pump(
    stream: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<String>>,
    lines: Option<std::sync::mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut s) = into.lock() {
                s.push_str(&line);
                s.push('\n');
            }
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    });
}

impl GatewayProcess {
    /// Writes `yaml` to a temp file, runs `gateway run --config` on it and waits until
    /// the listeners named in `listeners` log their address (or panics after 20 s).
    pub fn start(yaml: &str, listeners: &[&str]) -> Self {
        Self::start_with_env(yaml, listeners, &[])
    }

    /// `start` with extra environment variables for the daemon (a private
    /// `GATEWAY_STATE_DIR`, …) without touching this test process's environment.
    pub fn start_with_env(
        yaml: &str,
        listeners: &[&str],
        vars: &[(&str, &std::path::Path)],
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gateway.yaml");
        std::fs::write(&path, yaml).expect("write config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_gateway"))
            .arg("run")
            .arg("--config")
            .arg(&path)
            .env("RUST_LOG", "info")
            .envs(vars.iter().map(|(k, v)| (*k, *v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gateway");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        pump(
            child.stderr.take().expect("stderr"),
            stderr.clone(),
            Some(tx),
        );
        pump(child.stdout.take().expect("stdout"), stdout.clone(), None);
        let mut addrs = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        // Other sockets (the admin listener) log `listening` too: wait for the named ones.
        while !listeners.iter().all(|l| addrs.contains_key(*l)) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                let log = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                panic!("gateway did not start listening; stderr:\n{log}");
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            // Plain tracing JSON nests fields; the gateway's own format is flat.
            let f = if v.get("fields").is_some() {
                &v["fields"]
            } else {
                &v
            };
            let msg = f.get("message").or_else(|| f.get("msg"));
            if msg.and_then(|m| m.as_str()) == Some("listening")
                && let (Some(name), Some(addr)) = (f["listener"].as_str(), f["addr"].as_str())
            {
                addrs.insert(name.to_string(), addr.parse().expect("listening addr"));
            }
        }
        Self {
            child,
            _dir: dir,
            config: path,
            addrs,
            stderr,
            stdout,
        }
    }

    /// Address the named listener bound.
    pub fn addr(&self, listener: &str) -> SocketAddr {
        self.addrs[listener]
    }

    /// The configuration file the daemon was started with (and reloads).
    pub fn config_path(&self) -> &std::path::Path {
        &self.config
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Replaces the config file and sends SIGHUP (reload).
    pub fn reload_with(&self, yaml: &str) {
        std::fs::write(&self.config, yaml).expect("rewrite config");
        // SAFETY: plain syscall on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGHUP);
        }
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        // SAFETY: plain syscall on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything the process wrote to stderr so far (its JSON logs).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Everything the process wrote to stdout so far (the access log).
    pub fn stdout(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

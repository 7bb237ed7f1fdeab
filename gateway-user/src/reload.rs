//! Configuration reload: load the file, build a new runtime, swap it in atomically.
//!
//! Triggered by SIGHUP and `POST /admin/reload`. A file that does not load or a
//! runtime that does not build leaves the running configuration untouched; the error
//! is logged, counted (`gateway_config_reloads_total{result="error"}`) and returned.
//! Every configuration applied (at startup too) is logged as an audit line
//! `{"msg":"config applied","digest":…,"path":…,"source":…}`. A reload of an
//! unchanged file still rebuilds, so certificates renewed on disk are picked up.
use std::{
    collections::BTreeSet,
    fmt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use crate::{
    config::{self, Config},
    telemetry::Telemetry,
};

/// What triggered a configuration load (logged in the audit line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadSource {
    /// The daemon starting.
    Startup,
    /// SIGHUP.
    Sighup,
    /// `POST /admin/reload`.
    Admin,
}

impl ReloadSource {
    /// The name used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReloadSource::Startup => "startup",
            ReloadSource::Sighup => "sighup",
            ReloadSource::Admin => "admin",
        }
    }
}

impl fmt::Display for ReloadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a reload was refused; the running configuration is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The file does not load or validate (every error, with its line).
    #[error("{0}")]
    Invalid(String),
    /// The configuration is valid but the runtime could not be built from it.
    #[error("the configuration is valid but cannot be applied: {0}")]
    Build(String),
}

/// A configuration that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// sha256 of the file now in use.
    pub digest: String,
    /// The digest in use before, if any.
    pub previous: Option<String>,
}

impl Applied {
    /// Whether the file content differs from the previous one.
    pub fn changed(&self) -> bool {
        self.previous.as_deref() != Some(self.digest.as_str())
    }
}

/// The running thing a configuration is applied to (the proxy's `Gateway`).
pub trait Apply: Send + Sync {
    /// Builds a runtime from `config` and swaps it in; on error, nothing changes.
    fn apply(&self, config: &Config) -> Result<(), String>;
}

impl<F> Apply for F
where
    F: Fn(&Config) -> Result<(), String> + Send + Sync,
{
    fn apply(&self, config: &Config) -> Result<(), String> {
        self(config)
    }
}

/// Something the admin API can ask to reload (the [`Reloader`], or a fake in tests).
pub trait Reload: Send + Sync {
    /// Loads and applies the configuration file again.
    fn reload(&self, source: ReloadSource) -> Result<Applied, ReloadError>;
    /// The digest of the configuration in use, once one is.
    fn current_digest(&self) -> Option<String>;
}

/// Loads, builds and swaps configurations, one at a time.
pub struct Reloader {
    path: PathBuf,
    target: Arc<dyn Apply>,
    telemetry: Arc<Telemetry>,
    /// Held for a whole reload so two reloads never interleave their swaps.
    reloading: Mutex<()>,
    /// The digest in use; locked only briefly, so `/readyz` (an async handler)
    /// never waits for a reload that is reading files and certificates.
    current: Mutex<Option<String>>,
    /// Sockets bound at startup (listeners, admin): a reload cannot move them.
    sockets: Mutex<Option<String>>,
    /// (upstream, target) pairs of the configuration in use, to retire their series.
    targets: Mutex<BTreeSet<(String, String)>>,
}

impl fmt::Debug for Reloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloader")
            .field("path", &self.path)
            .field("current", &self.current_digest())
            .finish_non_exhaustive()
    }
}

impl Reloader {
    /// A reloader for the file at `path`, applying to `target`.
    pub fn new(
        path: impl Into<PathBuf>,
        target: Arc<dyn Apply>,
        telemetry: Arc<Telemetry>,
    ) -> Self {
        Self {
            path: path.into(),
            target,
            telemetry,
            reloading: Mutex::new(()),
            current: Mutex::new(None),
            sockets: Mutex::new(None),
            targets: Mutex::new(BTreeSet::new()),
        }
    }

    /// The configuration file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the configuration the daemon started with (audit line, digest metric).
    pub fn started_with(&self, config: &Config) {
        let _reloading = lock(&self.reloading);
        let applied = Applied {
            digest: config.digest.clone(),
            previous: lock(&self.current).take(),
        };
        self.audit(&applied, ReloadSource::Startup);
        *lock(&self.current) = Some(applied.digest);
        *lock(&self.sockets) = Some(sockets_of(config));
        *lock(&self.targets) = targets_of(config);
    }

    fn audit(&self, applied: &Applied, source: ReloadSource) {
        self.telemetry.metrics.set_config_digest(&applied.digest);
        tracing::info!(
            target: "gateway::audit",
            digest = %applied.digest,
            path = %self.path.display(),
            source = source.as_str(),
            previous = applied.previous.as_deref().unwrap_or(""),
            changed = applied.changed(),
            "config applied"
        );
    }

    /// Drops the health series of targets the new configuration no longer has, so a
    /// target removed while down does not keep `GatewayUpstreamTargetUnhealthy` firing.
    fn retire_removed_targets(&self, config: &Config) {
        let now = targets_of(config);
        let mut before = lock(&self.targets);
        for (upstream, target) in before.difference(&now) {
            self.telemetry
                .metrics
                .forget_upstream_target(upstream, target);
        }
        *before = now;
    }

    fn refuse(&self, err: ReloadError, source: ReloadSource) -> ReloadError {
        self.telemetry.metrics.config_reload(false);
        tracing::error!(
            path = %self.path.display(),
            source = source.as_str(),
            error = %err,
            "config reload failed; the previous configuration keeps running"
        );
        err
    }
}

impl Reload for Reloader {
    fn reload(&self, source: ReloadSource) -> Result<Applied, ReloadError> {
        // Held for the whole reload: two reloads never interleave their swaps.
        let _reloading = lock(&self.reloading);
        if source == ReloadSource::Sighup {
            // SIGHUP is also logrotate's signal: start a new access log file.
            self.telemetry.access_log.reopen();
        }
        let config = config::load(&self.path)
            .map_err(|e| self.refuse(ReloadError::Invalid(e.to_string()), source))?;
        warn_on_restart_only_changes(&config, &self.telemetry, lock(&self.sockets).as_deref());
        self.target
            .apply(&config)
            .map_err(|e| self.refuse(ReloadError::Build(e), source))?;
        self.telemetry.metrics.config_reload(true);
        self.retire_removed_targets(&config);
        let applied = Applied {
            digest: config.digest.clone(),
            previous: self.current_digest(),
        };
        self.audit(&applied, source);
        *lock(&self.current) = Some(applied.digest.clone());
        Ok(applied)
    }

    fn current_digest(&self) -> Option<String> {
        lock(&self.current).clone()
    }
}

/// Every (upstream, target) pair of a configuration.
fn targets_of(config: &Config) -> BTreeSet<(String, String)> {
    config
        .upstreams
        .iter()
        .flat_map(|(name, up)| {
            up.targets
                .iter()
                .map(move |t| (name.clone(), t.addr.clone()))
        })
        .collect()
}

/// The bound sockets of a configuration, as a comparable string.
fn sockets_of(config: &Config) -> String {
    let listeners: Vec<_> = config
        .listeners
        .iter()
        .map(|l| (l.name.as_str(), l.bind, l.tls.is_some()))
        .collect();
    let admin = config.admin.as_ref().map(|a| (a.bind, a.tls.is_some()));
    format!("{listeners:?} {admin:?}")
}

/// Settings read once at startup: say so instead of silently ignoring the change.
fn warn_on_restart_only_changes(config: &Config, telemetry: &Telemetry, sockets: Option<&str>) {
    if sockets.is_some_and(|bound| bound != sockets_of(config)) {
        tracing::warn!(
            "listeners or the admin listener changed (name, bind or tls on/off); the sockets bound at startup stay in use until the next restart"
        );
    }
    let wanted = if config.access_log.enabled {
        config.access_log.path.as_deref()
    } else {
        None
    };
    let running = telemetry.access_log.path();
    let enabled_changed = config.access_log.enabled != telemetry.access_log.is_enabled();
    if enabled_changed || (config.access_log.enabled && wanted != running) {
        tracing::warn!("the access_log settings changed; they take effect at the next restart");
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reloads on every SIGHUP until the runtime shuts down.
pub fn spawn_sighup_task(
    reloader: Arc<dyn Reload>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let reloader = Arc::clone(&reloader);
            // Loading files and certificates blocks: keep it off the async workers.
            let done =
                tokio::task::spawn_blocking(move || reloader.reload(ReloadSource::Sighup)).await;
            if let Err(err) = done {
                tracing::error!(error = %err, "the reload task failed");
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const GOOD: &str = "listeners:\n  - name: plain\n    bind: 127.0.0.1:18080\nupstreams:\n  u:\n    targets: [127.0.0.1:9001]\nroutes:\n  - name: r\n    match: { path_prefix: / }\n    upstream: u\n";

    struct Counting(Arc<AtomicUsize>);
    impl Apply for Counting {
        fn apply(&self, _: &Config) -> Result<(), String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn setup(text: &str) -> (tempfile::TempDir, PathBuf, Arc<Telemetry>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.yaml");
        std::fs::write(&path, text).unwrap();
        (dir, path, Arc::new(Telemetry::without_access_log()))
    }

    #[test]
    fn a_valid_file_is_applied_and_its_digest_published() {
        let (_dir, path, telemetry) = setup(GOOD);
        let applied_count = Arc::new(AtomicUsize::new(0));
        let r = Reloader::new(
            &path,
            Arc::new(Counting(applied_count.clone())),
            telemetry.clone(),
        );
        let applied = r.reload(ReloadSource::Admin).unwrap();
        assert_eq!(applied_count.load(Ordering::SeqCst), 1);
        assert_eq!(applied.digest.len(), 64);
        assert_eq!(r.current_digest(), Some(applied.digest.clone()));
        let text = telemetry.metrics.encode();
        assert!(text.contains(&format!(
            "gateway_config_info{{digest=\"{}\"}} 1",
            applied.digest
        )));
        assert!(text.contains("gateway_config_reloads_total{result=\"ok\"} 1"));
    }

    #[test]
    fn an_invalid_file_keeps_the_old_config_and_counts_an_error() {
        let (_dir, path, telemetry) = setup(GOOD);
        let applied_count = Arc::new(AtomicUsize::new(0));
        let r = Reloader::new(
            &path,
            Arc::new(Counting(applied_count.clone())),
            telemetry.clone(),
        );
        let first = r.reload(ReloadSource::Sighup).unwrap();
        std::fs::write(&path, "listeners: [ {name: x, bind: nonsense} ]\n").unwrap();
        let err = r.reload(ReloadSource::Sighup).unwrap_err();
        assert!(matches!(err, ReloadError::Invalid(_)), "{err}");
        assert!(err.to_string().contains("gateway.yaml"), "{err}");
        assert_eq!(applied_count.load(Ordering::SeqCst), 1);
        assert_eq!(r.current_digest(), Some(first.digest));
        assert!(
            telemetry
                .metrics
                .encode()
                .contains("gateway_config_reloads_total{result=\"error\"} 1")
        );
    }

    #[test]
    fn a_runtime_that_fails_to_build_is_not_applied() {
        let (_dir, path, telemetry) = setup(GOOD);
        let r = Reloader::new(
            &path,
            Arc::new(|_: &Config| -> Result<(), String> { Err("no certificate".to_string()) }),
            telemetry,
        );
        let err = r.reload(ReloadSource::Admin).unwrap_err();
        assert!(matches!(err, ReloadError::Build(_)));
        assert!(err.to_string().contains("no certificate"));
        assert_eq!(r.current_digest(), None);
    }

    #[test]
    fn health_series_of_removed_targets_are_retired() {
        let (_dir, path, telemetry) = setup(GOOD);
        let r = Reloader::new(&path, Arc::new(Counting(Arc::default())), telemetry.clone());
        r.started_with(&config::load(&path).unwrap());
        telemetry
            .metrics
            .set_upstream_health("u", "127.0.0.1:9001", false);
        std::fs::write(&path, GOOD.replace("127.0.0.1:9001", "127.0.0.1:9002")).unwrap();
        r.reload(ReloadSource::Admin).unwrap();
        telemetry
            .metrics
            .set_upstream_health("u", "127.0.0.1:9002", true);
        let text = telemetry.metrics.encode();
        assert!(!text.contains("127.0.0.1:9001"), "{text}");
        assert!(text.contains("target=\"127.0.0.1:9002\"} 1"), "{text}");
    }

    /// Blocks in `apply` until the test lets it go, to hold a reload open.
    struct Gate {
        entered: std::sync::mpsc::SyncSender<()>,
        release: Mutex<std::sync::mpsc::Receiver<()>>,
    }
    impl Apply for Gate {
        fn apply(&self, _: &Config) -> Result<(), String> {
            let _ = self.entered.send(());
            let _ = lock(&self.release).recv();
            Ok(())
        }
    }

    #[test]
    fn the_digest_can_be_read_while_a_reload_is_in_progress() {
        let (_dir, path, telemetry) = setup(GOOD);
        let (entered_tx, entered_rx) = std::sync::mpsc::sync_channel(1);
        let (release_tx, release_rx) = std::sync::mpsc::channel();
        let gate = Gate {
            entered: entered_tx,
            release: Mutex::new(release_rx),
        };
        let r = Arc::new(Reloader::new(&path, Arc::new(gate), telemetry));
        r.started_with(&config::load(&path).unwrap());
        let started = r.current_digest();
        let reloading = {
            let r = Arc::clone(&r);
            std::thread::spawn(move || r.reload(ReloadSource::Admin))
        };
        entered_rx.recv().unwrap();
        // The reload is now inside `apply`; reading the digest must not wait for it.
        let (read_tx, read_rx) = std::sync::mpsc::channel();
        {
            let r = Arc::clone(&r);
            std::thread::spawn(move || {
                let _ = read_tx.send(r.current_digest());
            });
        }
        let read = read_rx.recv_timeout(std::time::Duration::from_secs(30));
        release_tx.send(()).unwrap();
        assert_eq!(read.ok(), Some(started));
        assert!(reloading.join().unwrap().is_ok());
    }

    #[test]
    fn reloading_an_unchanged_file_rebuilds_but_reports_no_change() {
        let (_dir, path, telemetry) = setup(GOOD);
        let applied_count = Arc::new(AtomicUsize::new(0));
        let r = Reloader::new(&path, Arc::new(Counting(applied_count.clone())), telemetry);
        assert!(r.reload(ReloadSource::Admin).unwrap().changed());
        assert!(!r.reload(ReloadSource::Admin).unwrap().changed());
        assert_eq!(applied_count.load(Ordering::SeqCst), 2);
    }
}

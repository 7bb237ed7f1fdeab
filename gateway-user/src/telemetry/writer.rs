//! The access log writer: lines go to a dedicated thread through a bounded queue.
//!
//! The line is serialized on the caller's thread and handed to the writer thread;
//! when the queue is full the line is dropped and counted
//! (`gateway_access_log_dropped_total`) instead of stalling requests. The writer
//! flushes whenever the queue runs dry, and reopens its file on request (logrotate).
use std::{
    fs::OpenOptions,
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError},
    },
    thread,
    time::Duration,
};

use prometheus_client::metrics::counter::Counter;

use super::{access::AccessRecord, top_sources::TopSources};

/// Lines queued for the writer before new ones are dropped.
const QUEUE_LINES: usize = 16 * 1024;

/// What the writer thread is asked to do.
enum Msg {
    Line(String),
    /// Reopen the file (after log rotation); a no-op for stdout.
    Reopen,
    /// Flush and acknowledge.
    Flush(SyncSender<()>),
}

/// Where access log lines go: stdout, a file, or nowhere.
#[derive(Debug)]
pub struct AccessLog {
    tx: Option<SyncSender<Msg>>,
    /// Set when a reopen could not be queued (queue full): the writer reopens
    /// before its next line, so a rotation under load is never lost.
    reopen_missed: Arc<AtomicBool>,
    dropped: Counter,
    path: Option<PathBuf>,
    top_sources: Option<Arc<TopSources>>,
}

impl AccessLog {
    /// Writes lines to standard output.
    pub fn stdout() -> Self {
        Self::spawn(Sink::Stdout(io::stdout()), None)
    }

    /// Appends lines to a file (created if missing, mode 0640).
    pub fn file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = open_append(&path)?;
        Ok(Self::spawn(Sink::File(file), Some(path)))
    }

    /// Logs nothing.
    pub fn disabled() -> Self {
        Self {
            tx: None,
            reopen_missed: Arc::default(),
            dropped: Counter::default(),
            path: None,
            top_sources: None,
        }
    }

    fn spawn(sink: Sink, path: Option<PathBuf>) -> Self {
        let (tx, rx) = mpsc::sync_channel(QUEUE_LINES);
        let writer_path = path.clone();
        let reopen_missed = Arc::new(AtomicBool::new(false));
        let writer_missed = Arc::clone(&reopen_missed);
        let spawned = thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer_loop(rx, sink, writer_path, &writer_missed));
        match spawned {
            Ok(_) => Self {
                tx: Some(tx),
                reopen_missed,
                dropped: Counter::default(),
                path,
                top_sources: None,
            },
            Err(err) => {
                tracing::error!(error = %err, "cannot start the access log writer; access log disabled");
                Self::disabled()
            }
        }
    }

    /// Connects the log to the metrics: `dropped` counts lost lines, `top` sees every
    /// record's client and status (for the top refused sources gauge).
    pub(crate) fn attach(mut self, dropped: Counter, top: Arc<TopSources>) -> Self {
        self.dropped = dropped;
        self.top_sources = Some(top);
        self
    }

    /// Whether lines are written anywhere.
    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// The file lines are appended to, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Queues one line; never blocks on I/O. Drops (and counts) it if the queue is full.
    pub fn write(&self, rec: &AccessRecord<'_>) {
        if let Some(top) = &self.top_sources {
            top.record(rec.client_ip, rec.status);
        }
        if self.tx.is_some() {
            self.send(Msg::Line(rec.to_json_line()));
        }
    }

    /// Asks the writer to reopen its file, for logrotate's `postrotate` via SIGHUP.
    ///
    /// Queued in order with the lines; if the queue is full (logrotate fired under
    /// load) the writer is told out of band instead, rather than keep writing to the
    /// rotated file until the next SIGHUP.
    pub fn reopen(&self) {
        let Some(tx) = &self.tx else { return };
        if tx.try_send(Msg::Reopen).is_err() {
            self.reopen_missed.store(true, Ordering::SeqCst);
        }
    }

    /// Waits (up to `timeout`) until every queued line has been written out.
    pub fn flush(&self, timeout: Duration) {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        if self.send(Msg::Flush(ack_tx)) {
            let _ = ack_rx.recv_timeout(timeout);
        }
    }

    fn send(&self, msg: Msg) -> bool {
        let Some(tx) = &self.tx else { return false };
        match tx.try_send(msg) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.inc();
                false
            }
        }
    }

    /// Lines dropped so far (queue full or writer gone).
    pub fn dropped(&self) -> u64 {
        self.dropped.get()
    }
}

enum Sink {
    Stdout(io::Stdout),
    File(std::fs::File),
}

fn open_append(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
}

fn writer_loop(rx: Receiver<Msg>, sink: Sink, path: Option<PathBuf>, reopen_missed: &AtomicBool) {
    let mut out: BufWriter<Box<dyn Write + Send>> = BufWriter::with_capacity(
        64 * 1024,
        match sink {
            Sink::Stdout(s) => Box::new(s),
            Sink::File(f) => Box::new(f),
        },
    );
    let mut pending = false;
    loop {
        // Flush as soon as the queue runs dry, so lines appear promptly under light load
        // and are batched under heavy load.
        let msg = if pending {
            match rx.recv_timeout(Duration::from_millis(0)) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    report(out.flush());
                    pending = false;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(msg) => msg,
                Err(_) => break,
            }
        };
        if reopen_missed.swap(false, Ordering::SeqCst) {
            reopen(&mut out, path.as_deref());
        }
        match msg {
            Msg::Line(line) => {
                report(out.write_all(line.as_bytes()));
                pending = true;
            }
            Msg::Reopen => {
                reopen(&mut out, path.as_deref());
                pending = false;
            }
            Msg::Flush(ack) => {
                report(out.flush());
                pending = false;
                let _ = ack.try_send(());
            }
        }
    }
    report(out.flush());
}

/// Flushes the current file and continues in a freshly opened one at `path`.
fn reopen(out: &mut BufWriter<Box<dyn Write + Send>>, path: Option<&Path>) {
    report(out.flush());
    if let Some(path) = path {
        match open_append(path) {
            Ok(file) => *out = BufWriter::with_capacity(64 * 1024, Box::new(file)),
            Err(err) => tracing::error!(path = %path.display(), error = %err,
                "cannot reopen the access log; still writing to the old file"),
        }
    }
}

/// Logs write errors, at most once a minute: a full disk must not flood the logs.
fn report(result: io::Result<()>) {
    use std::sync::Mutex;
    static LAST: Mutex<Option<std::time::Instant>> = Mutex::new(None);
    let Err(err) = result else { return };
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
        *last = Some(std::time::Instant::now());
        tracing::warn!(error = %err, "access log write failed (further failures are reported once a minute)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::access::tests::record;

    #[test]
    fn lines_reach_the_file_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let log = AccessLog::file(&path).unwrap();
        log.write(&record());
        let rotated = dir.path().join("access.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        log.write(&record());
        log.reopen();
        log.write(&record());
        log.flush(Duration::from_secs(5));
        let old = std::fs::read_to_string(&rotated).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();
        assert_eq!(old.lines().count(), 2);
        assert_eq!(new.lines().count(), 1);
        for line in old.lines().chain(new.lines()) {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
        assert_eq!(log.dropped(), 0);
    }

    #[test]
    fn a_reopen_that_did_not_fit_in_the_queue_still_happens_before_the_next_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let file = open_append(&path).unwrap();
        let rotated = dir.path().join("access.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        let (tx, rx) = mpsc::sync_channel(4);
        tx.send(Msg::Line("after rotation\n".to_string())).unwrap();
        drop(tx);
        // What `reopen` records when `try_send` finds the queue full.
        let missed = AtomicBool::new(true);
        writer_loop(rx, Sink::File(file), Some(path.clone()), &missed);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "after rotation\n");
        assert_eq!(std::fs::read_to_string(&rotated).unwrap(), "");
        assert!(!missed.load(Ordering::SeqCst));
    }

    #[test]
    fn a_disabled_log_writes_nothing_and_drops_nothing() {
        let log = AccessLog::disabled();
        log.write(&record());
        assert!(!log.is_enabled());
        assert_eq!(log.dropped(), 0);
    }
}

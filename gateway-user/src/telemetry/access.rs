//! JSON access log: one line per request, written off the request path.
//!
//! Callers fill an [`AccessRecord`] (borrowed fields, no headers at all, so a token,
//! API key, cookie or Authorization value cannot end up in the log by accident) and
//! call [`AccessLog::write`]. The line is serialized on the caller's thread and handed
//! to a dedicated writer thread through a bounded queue; when the queue is full the
//! line is dropped and counted (`gateway_access_log_dropped_total`) instead of
//! stalling requests. The path is logged WITHOUT its query string, because query
//! strings often carry keys (`?api_key=…`).
use std::{
    fs::OpenOptions,
    io::{self, BufWriter, Write},
    net::IpAddr,
    path::{Path, PathBuf},
    sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError},
    thread,
    time::{Duration, SystemTime},
};

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use serde::Serialize;

use super::{time::rfc3339_millis, top_sources::TopSources};

/// Lines queued for the writer before new ones are dropped.
const QUEUE_LINES: usize = 16 * 1024;

/// Everything logged about one request. Borrowed, so building it costs no copies.
#[derive(Debug, Clone)]
pub struct AccessRecord<'a> {
    /// When the request head was received.
    pub time: SystemTime,
    /// The request id sent upstream and returned in `X-Request-Id`.
    pub request_id: &'a str,
    /// The `traceparent` forwarded upstream.
    pub traceparent: &'a str,
    /// The client address (after trusted-proxy resolution).
    pub client_ip: IpAddr,
    /// The request method.
    pub method: &'a str,
    /// The normalized path; anything from `?` on is cut before logging.
    pub path: &'a str,
    /// The matched route name, if any.
    pub route: Option<&'a str>,
    /// The status sent to the client.
    pub status: u16,
    /// Request body bytes received.
    pub bytes_in: u64,
    /// Response body bytes sent.
    pub bytes_out: u64,
    /// Total time spent on the request.
    pub duration: Duration,
    /// Time until the upstream answered, when one was asked.
    pub upstream_duration: Option<Duration>,
    /// The upstream target that answered (host:port).
    pub upstream_addr: Option<&'a str>,
    /// "TLSv1.2" or "TLSv1.3" on TLS listeners.
    pub tls_version: Option<&'a str>,
    /// Verified client certificate subject (RFC 4514).
    pub client_cert_subject: Option<&'a str>,
    /// The User-Agent header (not a credential; truncated to 256 bytes).
    pub user_agent: Option<&'a str>,
    /// The authenticated consumer name (never its credential).
    pub consumer: Option<&'a str>,
    /// The auth result, e.g. "jwt", "api_key", "denied:expired".
    pub auth: Option<&'a str>,
    /// The rate-limit decision, e.g. "allowed", "limited:per_ip".
    pub rate_limit: Option<&'a str>,
    /// The WAF verdict, e.g. "pass", "block", "detect".
    pub waf: Option<&'a str>,
    /// Ids of the WAF rules that matched.
    pub waf_rules: &'a [u32],
    /// The stage that answered the request itself, if one did.
    pub reject_stage: Option<&'a str>,
}

impl<'a> AccessRecord<'a> {
    /// A record with the required fields set and every optional field empty.
    pub fn new(
        time: SystemTime,
        request_id: &'a str,
        traceparent: &'a str,
        client_ip: IpAddr,
        method: &'a str,
        path: &'a str,
    ) -> Self {
        Self {
            time,
            request_id,
            traceparent,
            client_ip,
            method,
            path,
            route: None,
            status: 0,
            bytes_in: 0,
            bytes_out: 0,
            duration: Duration::ZERO,
            upstream_duration: None,
            upstream_addr: None,
            tls_version: None,
            client_cert_subject: None,
            user_agent: None,
            consumer: None,
            auth: None,
            rate_limit: None,
            waf: None,
            waf_rules: &[],
            reject_stage: None,
        }
    }

    /// Serializes the record as one JSON line (with the trailing newline).
    pub fn to_json_line(&self) -> String {
        let line = Line {
            time: rfc3339_millis(self.time),
            request_id: self.request_id,
            traceparent: self.traceparent,
            client_ip: self.client_ip,
            method: self.method,
            path: path_without_query(self.path),
            route: self.route,
            status: self.status,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            duration_ms: millis(self.duration),
            upstream_ms: self.upstream_duration.map(millis),
            upstream_addr: self.upstream_addr,
            tls_version: self.tls_version,
            client_cert_subject: self.client_cert_subject,
            user_agent: self.user_agent.map(|ua| truncate(ua, 256)),
            consumer: self.consumer,
            auth: self.auth,
            rate_limit: self.rate_limit,
            waf: self.waf,
            waf_rules: self.waf_rules,
            reject_stage: self.reject_stage,
        };
        // Serializing plain strings and numbers cannot fail; keep a line anyway.
        let mut out = serde_json::to_string(&line)
            .unwrap_or_else(|_| String::from("{\"error\":\"unserializable access record\"}"));
        out.push('\n');
        out
    }
}

/// The serialized shape; field order is the order operators read the line in.
#[derive(Serialize)]
struct Line<'a> {
    time: String,
    request_id: &'a str,
    traceparent: &'a str,
    client_ip: IpAddr,
    method: &'a str,
    path: &'a str,
    route: Option<&'a str>,
    status: u16,
    bytes_in: u64,
    bytes_out: u64,
    duration_ms: f64,
    upstream_ms: Option<f64>,
    upstream_addr: Option<&'a str>,
    tls_version: Option<&'a str>,
    client_cert_subject: Option<&'a str>,
    user_agent: Option<&'a str>,
    consumer: Option<&'a str>,
    auth: Option<&'a str>,
    rate_limit: Option<&'a str>,
    waf: Option<&'a str>,
    waf_rules: &'a [u32],
    reject_stage: Option<&'a str>,
}

fn path_without_query(path: &str) -> &str {
    path.split_once('?').map_or(path, |(p, _)| p)
}

/// Milliseconds with microsecond precision.
fn millis(d: Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

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
            dropped: Counter::default(),
            path: None,
            top_sources: None,
        }
    }

    fn spawn(sink: Sink, path: Option<PathBuf>) -> Self {
        let (tx, rx) = mpsc::sync_channel(QUEUE_LINES);
        let writer_path = path.clone();
        let spawned = thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer_loop(rx, sink, writer_path));
        match spawned {
            Ok(_) => Self {
                tx: Some(tx),
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
    pub fn reopen(&self) {
        self.send(Msg::Reopen);
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

fn writer_loop(rx: Receiver<Msg>, sink: Sink, path: Option<PathBuf>) {
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
        match msg {
            Msg::Line(line) => {
                report(out.write_all(line.as_bytes()));
                pending = true;
            }
            Msg::Reopen => {
                report(out.flush());
                pending = false;
                if let Some(path) = &path {
                    match open_append(path) {
                        Ok(file) => out = BufWriter::with_capacity(64 * 1024, Box::new(file)),
                        Err(err) => tracing::error!(path = %path.display(), error = %err,
                            "cannot reopen the access log; still writing to the old file"),
                    }
                }
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

fn report(result: io::Result<()>) {
    if let Err(err) = result {
        tracing::warn!(error = %err, "access log write failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>() -> AccessRecord<'a> {
        let mut rec = AccessRecord::new(
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            "req-1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "198.18.0.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            "GET",
            "/api/users?api_key=SECRET",
        );
        rec.route = Some("users");
        rec.status = 200;
        rec.duration = Duration::from_micros(1500);
        rec.waf_rules = &[942100];
        rec
    }

    #[test]
    fn a_record_is_one_json_line_with_every_field() {
        let line = record().to_json_line();
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["time"], "2023-11-14T22:13:20.123Z");
        assert_eq!(v["request_id"], "req-1");
        assert_eq!(v["client_ip"], "198.18.0.7");
        assert_eq!(v["route"], "users");
        assert_eq!(v["status"], 200);
        assert_eq!(v["duration_ms"], 1.5);
        assert_eq!(v["upstream_ms"], serde_json::Value::Null);
        assert_eq!(v["waf_rules"][0], 942100);
        for key in [
            "traceparent",
            "method",
            "path",
            "bytes_in",
            "bytes_out",
            "upstream_addr",
            "tls_version",
            "client_cert_subject",
            "user_agent",
            "consumer",
            "auth",
            "rate_limit",
            "waf",
            "reject_stage",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }

    #[test]
    fn the_query_string_is_never_logged() {
        let line = record().to_json_line();
        assert!(!line.contains("SECRET"), "{line}");
        assert!(line.contains("\"path\":\"/api/users\""), "{line}");
    }

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
    fn a_disabled_log_writes_nothing_and_drops_nothing() {
        let log = AccessLog::disabled();
        log.write(&record());
        assert!(!log.is_enabled());
        assert_eq!(log.dropped(), 0);
    }
}

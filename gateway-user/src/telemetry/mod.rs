//! Observability: metrics, the access log, trace context and the daemon's own logs.
//!
//! The proxy holds one `Arc<Telemetry>` for its whole life (it outlives reloads) and
//! records into it from every stage; the admin server renders `metrics.encode()`.
pub mod access;
pub mod logging;
pub mod metrics;
pub(crate) mod time;
pub mod top_sources;
pub mod trace;
pub mod writer;

pub use access::AccessRecord;
pub use metrics::Metrics;
pub use time::rfc3339_millis;
pub use trace::TraceContext;
pub use writer::AccessLog;

/// Metrics and access log, shared by every connection as `Arc<Telemetry>`.
#[derive(Debug)]
pub struct Telemetry {
    /// The Prometheus registry and its recording methods.
    pub metrics: Metrics,
    /// Where one JSON line per request goes.
    pub access_log: AccessLog,
}

impl crate::limit::LimitEvents for Telemetry {
    fn redis_error(&self) {
        self.metrics.rate_limit_redis_error();
    }
    fn store_fallback(&self) {
        self.metrics.rate_limit_store_fallback();
    }
    fn breaker_opened(&self) {
        self.metrics.rate_limit_breaker_opened();
    }
}

impl Telemetry {
    /// Builds the telemetry, exporting the access log's drop count as a metric.
    pub fn new(access_log: AccessLog) -> Self {
        let metrics = Metrics::new();
        let access_log = access_log.attach(metrics.access_log_dropped(), metrics.top_sources());
        Self {
            metrics,
            access_log,
        }
    }

    /// Builds the telemetry with the access log the configuration asks for.
    pub fn from_config(config: &crate::config::AccessLogConfig) -> std::io::Result<Self> {
        let access_log = match (&config.enabled, &config.path) {
            (false, _) => AccessLog::disabled(),
            (true, None) => AccessLog::stdout(),
            (true, Some(path)) => AccessLog::file(path).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot open the access log {}: {e}", path.display()),
                )
            })?,
        };
        Ok(Self::new(access_log))
    }

    /// Telemetry with the access log switched off (tests, `gateway check`).
    pub fn without_access_log() -> Self {
        Self::new(AccessLog::disabled())
    }
}

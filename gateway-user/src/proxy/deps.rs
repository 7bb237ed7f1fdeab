//! Seams to the modules built in parallel with the proxy (`crate::tls`,
//! `crate::telemetry`): the proxy imports them from here only. Until telemetry lands
//! on main, a minimal local stand-in with the agreed shape lives here; once merged,
//! this file only re-exports.
pub use self::telemetry::{AccessLog, AccessRecord, Metrics, Telemetry, TraceContext};
pub use crate::tls::{ClientCert, PeerInfo, ServerTls, TlsError, failure_reason};

/// Stand-in for `crate::telemetry` (metrics are dropped, the access log goes to stdout).
pub mod telemetry {
    use std::{
        net::IpAddr,
        time::{Duration, SystemTime},
    };

    /// Metrics and access log.
    #[derive(Debug)]
    pub struct Telemetry {
        /// Prometheus metrics.
        pub metrics: Metrics,
        /// One JSON line per request.
        pub access_log: AccessLog,
    }

    impl Telemetry {
        /// Builds the telemetry.
        pub fn new(access_log: AccessLog) -> Self {
            Self {
                metrics: Metrics,
                access_log,
            }
        }
        /// Telemetry without an access log.
        pub fn without_access_log() -> Self {
            Self::new(AccessLog::disabled())
        }
    }

    /// Prometheus metrics (stand-in: records nothing).
    #[derive(Debug, Default)]
    pub struct Metrics;

    #[allow(missing_docs)]
    impl Metrics {
        pub fn observe_request(&self, _route: &str, _method: &str, _status: u16, _t: Duration) {}
        pub fn observe_upstream(
            &self,
            _upstream: &str,
            _target: &str,
            _status: Option<u16>,
            _t: Duration,
        ) {
        }
        pub fn upstream_error(&self, _upstream: &str, _kind: &'static str) {}
        pub fn set_upstream_health(&self, _upstream: &str, _target: &str, _healthy: bool) {}
        pub fn connection_opened(&self, _listener: &str) {}
        pub fn connection_closed(&self, _listener: &str) {}
        pub fn tls_handshake_failed(&self, _listener: &str, _reason: &'static str) {}
        pub fn request_rejected(&self, _stage: &'static str, _status: u16) {}
    }

    /// One access-log line.
    #[allow(missing_docs)]
    pub struct AccessRecord<'a> {
        pub time: SystemTime,
        pub request_id: &'a str,
        pub traceparent: &'a str,
        pub client_ip: IpAddr,
        pub method: &'a str,
        pub path: &'a str,
        pub route: Option<&'a str>,
        pub status: u16,
        pub bytes_in: u64,
        pub bytes_out: u64,
        pub duration: Duration,
        pub upstream_duration: Option<Duration>,
        pub upstream_addr: Option<&'a str>,
        pub tls_version: Option<&'a str>,
        pub client_cert_subject: Option<&'a str>,
        pub user_agent: Option<&'a str>,
        pub consumer: Option<&'a str>,
        pub auth: Option<&'a str>,
        pub rate_limit: Option<&'a str>,
        pub waf: Option<&'a str>,
        pub waf_rules: &'a [u32],
        pub reject_stage: Option<&'a str>,
    }

    /// Where access-log lines go.
    #[derive(Debug)]
    pub struct AccessLog {
        enabled: bool,
    }

    impl AccessLog {
        /// Lines to standard output.
        pub fn stdout() -> Self {
            Self { enabled: true }
        }
        /// Lines appended to a file (stand-in: standard output).
        pub fn file(_path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
            Ok(Self::stdout())
        }
        /// No access log.
        pub fn disabled() -> Self {
            Self { enabled: false }
        }
        /// Writes one record.
        pub fn write(&self, rec: &AccessRecord<'_>) {
            if self.enabled {
                let line = serde_json::json!({
                    "request_id": rec.request_id, "client_ip": rec.client_ip.to_string(),
                    "method": rec.method, "path": rec.path, "route": rec.route,
                    "status": rec.status, "bytes_in": rec.bytes_in, "bytes_out": rec.bytes_out,
                    "duration_ms": rec.duration.as_secs_f64() * 1000.0,
                    "reject_stage": rec.reject_stage, "traceparent": rec.traceparent,
                });
                println!("{line}");
            }
        }
    }

    /// W3C trace context.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TraceContext {
        trace_id: [u8; 16],
        parent_id: [u8; 8],
        flags: u8,
    }

    impl TraceContext {
        /// Parses a `traceparent` header value.
        pub fn parse(value: &str) -> Option<Self> {
            let parts: Vec<&str> = value.trim().split('-').collect();
            if parts.len() != 4 || parts[0] != "00" {
                return None;
            }
            let mut trace_id = [0u8; 16];
            let mut parent_id = [0u8; 8];
            let mut flags = [0u8; 1];
            hex::decode_to_slice(parts[1], &mut trace_id).ok()?;
            hex::decode_to_slice(parts[2], &mut parent_id).ok()?;
            hex::decode_to_slice(parts[3], &mut flags).ok()?;
            if trace_id == [0; 16] || parent_id == [0; 8] {
                return None;
            }
            Some(Self {
                trace_id,
                parent_id,
                flags: flags[0],
            })
        }
        /// A new random trace.
        pub fn generate() -> Self {
            Self {
                trace_id: rand::random(),
                parent_id: rand::random(),
                flags: 1,
            }
        }
        /// The same trace with a new span id.
        pub fn child(&self) -> Self {
            Self {
                trace_id: self.trace_id,
                parent_id: rand::random(),
                flags: self.flags,
            }
        }
        /// The `traceparent` header value.
        pub fn to_header(&self) -> String {
            format!(
                "00-{}-{}-{:02x}",
                hex::encode(self.trace_id),
                hex::encode(self.parent_id),
                self.flags
            )
        }
        /// The trace id in hex.
        pub fn trace_id_hex(&self) -> String {
            hex::encode(self.trace_id)
        }
    }
}

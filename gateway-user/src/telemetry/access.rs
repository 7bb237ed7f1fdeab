//! Access log records: what is logged about one request, and its JSON line.
//!
//! An [`AccessRecord`] has borrowed fields and no headers at all, so a token, API
//! key, cookie or Authorization value cannot end up in the log by accident. The path
//! is logged WITHOUT its query string, because query strings often carry keys
//! (`?api_key=…`). Writing lines out is `writer.rs`'s job.
use std::{
    net::IpAddr,
    time::{Duration, SystemTime},
};

use serde::Serialize;

use super::time::rfc3339_millis;

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
    /// The WAF verdict: "pass", "detected" (rules fired, let through) or "blocked".
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A typical record (route, status, WAF rule, a key in the query) for tests.
    pub(in crate::telemetry) fn record<'a>() -> AccessRecord<'a> {
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
}

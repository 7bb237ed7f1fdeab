//! `RequestContext`: what one request carries through the stages — identity
//! (request id, trace, client IP), where it came from (listener, peer, TLS), what
//! earlier stages decided (route, consumer, limits, WAF) and timings for the log.
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Instant, SystemTime},
};

use http::{HeaderValue, Method};

use super::{
    deps::{PeerInfo, TraceContext},
    route::CompiledRoute,
};

/// What is known about a client connection; shared by the requests it carries.
#[derive(Debug)]
pub struct ConnInfo {
    /// Name of the listener that accepted it.
    pub listener: Arc<str>,
    /// The socket peer address.
    pub peer: SocketAddr,
    /// TLS session facts; `None` on plain listeners.
    pub tls: Option<PeerInfo>,
    /// The WebSocket tunnel this connection became, if it did.
    pub tunnel: Arc<super::upgrade::TunnelState>,
}

/// Per-request state shared by every stage.
#[derive(Debug)]
pub struct RequestContext {
    /// `X-Request-Id`: propagated when well-formed, else random 128-bit hex.
    pub request_id: String,
    /// Trace context of the hop to the upstream (a child of the client's, or new).
    pub trace: TraceContext,
    /// The client IP (socket peer, or from `X-Forwarded-For` through trusted proxies).
    pub client_ip: IpAddr,
    /// The connection this request arrived on.
    pub conn: Arc<ConnInfo>,
    /// Whether the socket peer is a trusted proxy (its `X-Forwarded-For` is kept).
    pub peer_trusted: bool,
    /// Request method.
    pub method: Method,
    /// Normalized path (set by the hygiene stage; routing and later stages use it).
    pub path: String,
    /// Request host (lowercase, without port), from `Host` or the URI authority.
    pub host: Option<String>,
    /// The matched route (set by the route stage).
    pub route: Option<Arc<CompiledRoute>>,
    /// `User-Agent`, for the log.
    pub user_agent: Option<String>,
    /// Authenticated consumer (auth stage).
    pub consumer: Option<String>,
    /// Who the caller is (auth stage): consumer, subject, groups, plan; limits key on it.
    pub identity: Option<crate::auth::Identity>,
    /// Auth result for the log (`ok`, `missing`, `invalid`, …).
    pub auth: Option<String>,
    /// Rate-limit decision for the log.
    pub rate_limit: Option<String>,
    /// The limiter's decision (rate limit stage); its headers go on the response.
    pub limit_decision: Option<Arc<crate::limit::Decision>>,
    /// WAF verdict for the log.
    pub waf: Option<String>,
    /// WAF rule ids that matched.
    pub waf_rules: Vec<u32>,
    /// The stage that answered the request itself, if any.
    pub reject_stage: Option<&'static str>,
    /// CORS origin to echo in the response (set by the CORS stage).
    pub cors_origin: Option<HeaderValue>,
    /// Upstream target the request was sent to (`host:port`).
    pub upstream_addr: Option<String>,
    /// Status the upstream answered with (absent when the gateway answered).
    pub upstream_status: Option<u16>,
    /// Time spent waiting for the upstream response head.
    pub upstream_duration: Option<std::time::Duration>,
    /// Keeps the upstream target's in-flight count until the response is done.
    pub upstream_guard: Option<super::upstream::InFlight>,
    /// When the request head was received.
    pub started: Instant,
    /// Wall-clock time of `started`, for the log.
    pub started_at: SystemTime,
}

impl RequestContext {
    /// A fresh context for a request with the given identity.
    pub fn new(
        conn: Arc<ConnInfo>,
        client_ip: IpAddr,
        method: Method,
        request_id: String,
        trace: TraceContext,
    ) -> Self {
        Self {
            request_id,
            trace,
            client_ip,
            conn,
            peer_trusted: false,
            method,
            path: String::new(),
            host: None,
            route: None,
            user_agent: None,
            consumer: None,
            identity: None,
            auth: None,
            rate_limit: None,
            limit_decision: None,
            waf: None,
            waf_rules: Vec::new(),
            reject_stage: None,
            cors_origin: None,
            upstream_addr: None,
            upstream_status: None,
            upstream_duration: None,
            upstream_guard: None,
            started: Instant::now(),
            started_at: SystemTime::now(),
        }
    }

    /// Whether the request arrived over TLS.
    pub fn is_tls(&self) -> bool {
        self.conn.tls.is_some()
    }

    /// Name of the matched route, if any.
    pub fn route_name(&self) -> Option<&str> {
        self.route.as_deref().map(|r| r.name.as_str())
    }
}

/// Whether a client-supplied `X-Request-Id` may be propagated: 1–128 chars of
/// `[A-Za-z0-9._-]` (anything else could inject into logs or headers).
pub fn is_valid_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new random 128-bit request id in hex.
pub fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_with_spaces_or_too_long_are_not_propagated() {
        assert!(is_valid_request_id("abc-123_x.y"));
        assert!(!is_valid_request_id("abc 123"));
        assert!(!is_valid_request_id(&"a".repeat(129)));
        assert!(!is_valid_request_id(""));
    }

    #[test]
    fn generated_request_ids_are_32_hex_chars() {
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

//! Prometheus metrics of the gateway: one registry, typed recording methods.
//!
//! Names are a contract (the alerts in `examples/prometheus/alerts.yaml` and later
//! stages rely on them), so every series is registered here and nowhere else.
//! Label values come from the configuration (route, upstream, target and listener
//! names) or from small fixed sets (method, status, stage, kind), never from
//! request data such as paths, so cardinality stays bounded.
use std::{net::IpAddr, sync::Arc, time::Duration};

use prometheus_client::{
    encoding::text,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram, info::Info},
    registry::Registry,
};

use self::labels::*;
use super::top_sources::{SourceLabels, TopSources};

mod labels;

/// Latency buckets in seconds: 5 ms … 10 s, the range an API gateway's SLOs live in.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0,
];

/// Creates a histogram with the gateway's latency buckets.
fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

type HistogramFamily<S> = Family<S, Histogram, fn() -> Histogram>;

/// The gateway's metric registry and the handles the request path records into.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    described: Vec<(&'static str, &'static str)>,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<RouteLabels>,
    upstream_requests: Family<UpstreamRequestLabels, Counter>,
    upstream_duration: HistogramFamily<UpstreamLabels>,
    upstream_errors: Family<UpstreamErrorLabels, Counter>,
    upstream_healthy: Family<TargetLabels, Gauge>,
    connections_open: Family<ListenerLabels, Gauge>,
    websockets_open: Family<RouteLabels, Gauge>,
    tls_handshake_failures: Family<HandshakeLabels, Counter>,
    rejected: Family<RejectLabels, Counter>,
    auth_failures: Family<AuthFailureLabels, Counter>,
    waf_matches: Family<WafLabels, Counter>,
    config_reloads: Family<ReloadLabels, Counter>,
    last_reload_ok: Gauge,
    config_info: Family<DigestLabels, Gauge>,
    access_log_dropped: Counter,
    rate_limit_redis_errors: Counter,
    rate_limit_store_fallbacks: Counter,
    rate_limit_breaker_opens: Counter,
    top_sources: Arc<TopSources>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates a registry with every gateway metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        // Families without series are left out by prometheus-client; `encode` adds
        // their HELP/TYPE lines back so scrapers and the alerts test see every name.
        let mut described: Vec<(&'static str, &'static str)> = Vec::new();
        let requests = Family::<RequestLabels, Counter>::default();
        // prometheus-client appends `_total` to counters and `_info` to info metrics.
        registry.register(
            "gateway_requests",
            "Requests answered, by route, method and status",
            requests.clone(),
        );
        described.push((
            "gateway_requests",
            "Requests answered, by route, method and status",
        ));
        let request_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "gateway_request_duration_seconds",
            "Time from request head received to response end, by route",
            request_duration.clone(),
        );
        described.push((
            "gateway_request_duration_seconds",
            "Time from request head received to response end, by route",
        ));
        let upstream_requests = Family::<UpstreamRequestLabels, Counter>::default();
        registry.register(
            "gateway_upstream_requests",
            "Requests sent to upstream targets, by status (error = no answer)",
            upstream_requests.clone(),
        );
        described.push((
            "gateway_upstream_requests",
            "Requests sent to upstream targets, by status (error = no answer)",
        ));
        let upstream_duration: HistogramFamily<UpstreamLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "gateway_upstream_duration_seconds",
            "Time until the upstream answered with a response head, by upstream",
            upstream_duration.clone(),
        );
        described.push((
            "gateway_upstream_duration_seconds",
            "Time until the upstream answered with a response head, by upstream",
        ));
        let upstream_errors = Family::<UpstreamErrorLabels, Counter>::default();
        registry.register(
            "gateway_upstream_errors",
            "Upstream failures by kind: connect, timeout, protocol, unavailable",
            upstream_errors.clone(),
        );
        described.push((
            "gateway_upstream_errors",
            "Upstream failures by kind: connect, timeout, protocol, unavailable",
        ));
        let upstream_healthy = Family::<TargetLabels, Gauge>::default();
        registry.register(
            "gateway_upstream_healthy",
            "1 when the upstream target is considered healthy, 0 otherwise",
            upstream_healthy.clone(),
        );
        described.push((
            "gateway_upstream_healthy",
            "1 when the upstream target is considered healthy, 0 otherwise",
        ));
        let connections_open = Family::<ListenerLabels, Gauge>::default();
        registry.register(
            "gateway_connections_open",
            "Client connections currently open, by listener",
            connections_open.clone(),
        );
        described.push((
            "gateway_connections_open",
            "Client connections currently open, by listener",
        ));
        let websockets_open = Family::<RouteLabels, Gauge>::default();
        registry.register(
            "gateway_websockets_open",
            "WebSocket tunnels currently open, by route",
            websockets_open.clone(),
        );
        described.push((
            "gateway_websockets_open",
            "WebSocket tunnels currently open, by route",
        ));
        let tls_handshake_failures = Family::<HandshakeLabels, Counter>::default();
        registry.register(
            "gateway_tls_handshake_failures",
            "Failed TLS handshakes, by listener and reason",
            tls_handshake_failures.clone(),
        );
        described.push((
            "gateway_tls_handshake_failures",
            "Failed TLS handshakes, by listener and reason",
        ));
        let rejected = Family::<RejectLabels, Counter>::default();
        registry.register(
            "gateway_rejected_requests",
            "Requests answered by the gateway itself, by stage and status",
            rejected.clone(),
        );
        described.push((
            "gateway_rejected_requests",
            "Requests answered by the gateway itself, by stage and status",
        ));
        let auth_failures = Family::<AuthFailureLabels, Counter>::default();
        registry.register(
            "gateway_auth_failures",
            "Requests refused by authentication or authorization, by route and reason",
            auth_failures.clone(),
        );
        described.push((
            "gateway_auth_failures",
            "Requests refused by authentication or authorization, by route and reason",
        ));
        let waf_matches = Family::<WafLabels, Counter>::default();
        registry.register(
            "gateway_waf_matches",
            "WAF rules that fired, by rule id and category (block and detect modes)",
            waf_matches.clone(),
        );
        described.push((
            "gateway_waf_matches",
            "WAF rules that fired, by rule id and category (block and detect modes)",
        ));
        let config_reloads = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "gateway_config_reloads",
            "Configuration reload attempts, by result (ok or error)",
            config_reloads.clone(),
        );
        described.push((
            "gateway_config_reloads",
            "Configuration reload attempts, by result (ok or error)",
        ));
        // Both results exist from the start so `increase()` sees the first failure.
        let _ = config_reloads.get_or_create(&ReloadLabels { result: "ok" });
        let _ = config_reloads.get_or_create(&ReloadLabels { result: "error" });
        // Like Prometheus' own `prometheus_config_last_reload_successful`: stays 0 while
        // the file on disk is broken, however long ago the failed reload was.
        let last_reload_ok = Gauge::default();
        last_reload_ok.set(1);
        registry.register(
            "gateway_config_last_reload_successful",
            "1 if the last configuration load (startup or reload) succeeded, 0 if it failed",
            last_reload_ok.clone(),
        );
        described.push((
            "gateway_config_last_reload_successful",
            "1 if the last configuration load (startup or reload) succeeded, 0 if it failed",
        ));
        let config_info = Family::<DigestLabels, Gauge>::default();
        registry.register(
            "gateway_config_info",
            "Always 1; the label carries the sha256 digest of the configuration in use",
            config_info.clone(),
        );
        described.push((
            "gateway_config_info",
            "Always 1; the label carries the sha256 digest of the configuration in use",
        ));
        let access_log_dropped = Counter::default();
        registry.register(
            "gateway_access_log_dropped",
            "Access log lines dropped because the writer could not keep up",
            access_log_dropped.clone(),
        );
        described.push((
            "gateway_access_log_dropped",
            "Access log lines dropped because the writer could not keep up",
        ));
        let mut counter = |name: &'static str, help: &'static str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            described.push((name, help));
            c
        };
        let rate_limit_redis_errors = counter(
            "gateway_rate_limit_redis_errors",
            "Rate-limit calls to Redis that failed or timed out",
        );
        let rate_limit_store_fallbacks = counter(
            "gateway_rate_limit_store_fallbacks",
            "Rate-limit checks answered by this gateway's local counters because Redis was unreachable",
        );
        let rate_limit_breaker_opens = counter(
            "gateway_rate_limit_breaker_opens",
            "Times the rate limiter's Redis circuit breaker opened",
        );
        let top_sources_gauge = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "gateway_top_rejected_sources",
            "Requests answered 401, 403 or 429 per client IP during the last complete minute, for the top 10 sources only",
            top_sources_gauge.clone(),
        );
        described.push(("gateway_top_rejected_sources", "Requests answered 401, 403 or 429 per client IP during the last complete minute, for the top 10 sources only"));
        registry.register(
            "gateway_build",
            "Build information of the running gateway",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        described.push(("gateway_build", "Build information of the running gateway"));
        Self {
            registry,
            described,
            requests,
            request_duration,
            upstream_requests,
            upstream_duration,
            upstream_errors,
            upstream_healthy,
            connections_open,
            websockets_open,
            tls_handshake_failures,
            rejected,
            auth_failures,
            waf_matches,
            config_reloads,
            last_reload_ok,
            config_info,
            access_log_dropped,
            rate_limit_redis_errors,
            rate_limit_store_fallbacks,
            rate_limit_breaker_opens,
            top_sources: Arc::new(TopSources::new(top_sources_gauge)),
        }
    }

    /// Renders every metric in the Prometheus/OpenMetrics text format.
    pub fn encode(&self) -> String {
        self.top_sources.refresh();
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = text::encode(&mut out, &self.registry);
        let missing: String = self
            .described
            .iter()
            .filter(|(name, _)| !out.contains(&format!("# TYPE {name} ")))
            .map(|(name, help)| format!("# HELP {name} {help}.\n# TYPE {name} {}\n", kind_of(name)))
            .collect();
        if let Some(eof) = out.rfind("# EOF") {
            out.insert_str(eof, &missing);
        } else {
            out.push_str(&missing);
        }
        out
    }

    /// Records one answered request (route name from config, not the path).
    pub fn observe_request(&self, route: &str, method: &str, status: u16, total: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method_label(method),
                status,
            })
            .inc();
        self.request_duration
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(total.as_secs_f64());
    }

    /// Records one upstream exchange; `status` is `None` when no response came back.
    pub fn observe_upstream(
        &self,
        upstream: &str,
        target: &str,
        status: Option<u16>,
        latency: Duration,
    ) {
        self.upstream_requests
            .get_or_create(&UpstreamRequestLabels {
                upstream: upstream.to_owned(),
                target: target.to_owned(),
                status: UpstreamStatus(status),
            })
            .inc();
        self.upstream_duration
            .get_or_create(&UpstreamLabels {
                upstream: upstream.to_owned(),
            })
            .observe(latency.as_secs_f64());
    }

    /// Counts an upstream failure (`connect`, `timeout`, `protocol`, `unavailable`).
    pub fn upstream_error(&self, upstream: &str, kind: &'static str) {
        self.upstream_errors
            .get_or_create(&UpstreamErrorLabels {
                upstream: upstream.to_owned(),
                kind,
            })
            .inc();
    }

    /// Sets the health gauge of one upstream target.
    pub fn set_upstream_health(&self, upstream: &str, target: &str, healthy: bool) {
        self.upstream_healthy
            .get_or_create(&TargetLabels {
                upstream: upstream.to_owned(),
                target: target.to_owned(),
            })
            .set(i64::from(healthy));
    }

    /// Removes the health series of one target (it left the configuration).
    pub fn forget_upstream_target(&self, upstream: &str, target: &str) {
        self.upstream_healthy.remove(&TargetLabels {
            upstream: upstream.to_owned(),
            target: target.to_owned(),
        });
    }

    /// Counts a client connection accepted on a listener.
    pub fn connection_opened(&self, listener: &str) {
        self.connections_open
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .inc();
    }

    /// Counts a client connection closed on a listener.
    pub fn connection_closed(&self, listener: &str) {
        self.connections_open
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .dec();
    }

    /// Counts a WebSocket tunnel opened on a route.
    pub fn websocket_opened(&self, route: &str) {
        self.websockets_open
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .inc();
    }

    /// Counts a WebSocket tunnel closed on a route.
    pub fn websocket_closed(&self, route: &str) {
        self.websockets_open
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .dec();
    }

    /// Counts a failed TLS handshake with a short, fixed reason.
    pub fn tls_handshake_failed(&self, listener: &str, reason: &'static str) {
        self.tls_handshake_failures
            .get_or_create(&HandshakeLabels {
                listener: listener.to_owned(),
                reason,
            })
            .inc();
    }

    /// Counts a request the gateway answered itself (4xx/5xx) at the given stage.
    pub fn request_rejected(&self, stage: &'static str, status: u16) {
        self.rejected
            .get_or_create(&RejectLabels { stage, status })
            .inc();
    }

    /// Counts one request refused by the auth stage, with `AuthError::reason`'s word.
    pub fn auth_failure(&self, route: &str, reason: &'static str) {
        self.auth_failures
            .get_or_create(&AuthFailureLabels {
                route: route.to_owned(),
                reason,
            })
            .inc();
    }

    /// Counts one WAF rule that fired on a request.
    pub fn waf_match(&self, rule: u32, category: &'static str) {
        self.waf_matches
            .get_or_create(&WafLabels { rule, category })
            .inc();
    }

    /// Counts a configuration reload attempt.
    pub fn config_reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.config_reloads
            .get_or_create(&ReloadLabels { result })
            .inc();
        self.last_reload_ok.set(i64::from(ok));
    }

    /// Publishes the digest of the configuration now in use (replacing the old one).
    pub fn set_config_digest(&self, digest: &str) {
        self.config_info.clear();
        self.config_info
            .get_or_create(&DigestLabels {
                digest: digest.to_owned(),
            })
            .set(1);
    }

    /// Counts a 401/403/429 answer to `client_ip` for the bounded top-sources gauge
    /// (other statuses are ignored). The access log calls this for every record.
    pub fn source_answered(&self, client_ip: IpAddr, status: u16) {
        self.top_sources.record(client_ip, status);
    }

    /// The top-sources tracker the access log feeds.
    pub(crate) fn top_sources(&self) -> Arc<TopSources> {
        Arc::clone(&self.top_sources)
    }

    /// Counts a failed or timed-out rate-limit call to Redis.
    pub fn rate_limit_redis_error(&self) {
        self.rate_limit_redis_errors.inc();
    }

    /// Counts a rate-limit check answered by the local fallback.
    pub fn rate_limit_store_fallback(&self) {
        self.rate_limit_store_fallbacks.inc();
    }

    /// Counts an opening of the rate limiter's circuit breaker.
    pub fn rate_limit_breaker_opened(&self) {
        self.rate_limit_breaker_opens.inc();
    }

    /// The counter the access log increments when it drops a line.
    pub(crate) fn access_log_dropped(&self) -> Counter {
        self.access_log_dropped.clone()
    }
}

/// The OpenMetrics type of a registered family, derived from the naming convention.
fn kind_of(name: &str) -> &'static str {
    if name.ends_with("_seconds") {
        "histogram"
    } else if matches!(
        name,
        "gateway_upstream_healthy"
            | "gateway_connections_open"
            | "gateway_websockets_open"
            | "gateway_config_info"
            | "gateway_top_rejected_sources"
            | "gateway_config_last_reload_successful"
    ) {
        "gauge"
    } else if name == "gateway_build" {
        "info"
    } else {
        "counter"
    }
}

/// Maps a request method onto a fixed set so clients cannot mint label values.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests;

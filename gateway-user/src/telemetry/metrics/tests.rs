//! Unit tests of the metric registry.
use super::*;

#[test]
fn a_fresh_registry_describes_every_contract_metric() {
    let text = Metrics::new().encode();
    for name in [
        "gateway_requests",
        "gateway_request_duration_seconds",
        "gateway_upstream_requests",
        "gateway_upstream_duration_seconds",
        "gateway_upstream_errors",
        "gateway_upstream_healthy",
        "gateway_connections_open",
        "gateway_tls_handshake_failures",
        "gateway_rejected_requests",
        "gateway_waf_matches",
        "gateway_config_reloads",
        "gateway_config_info",
        "gateway_build",
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("gateway_build_info{version="), "{text}");
    assert!(text.contains("gateway_config_reloads_total{result=\"error\"} 0"));
}

#[test]
fn requests_are_counted_by_route_method_and_status() {
    let m = Metrics::new();
    m.observe_request("users", "GET", 200, Duration::from_millis(3));
    m.observe_request("users", "GET", 200, Duration::from_millis(30));
    m.observe_request("users", "BREW", 404, Duration::from_millis(1));
    let text = m.encode();
    assert!(
        text.contains("gateway_requests_total{route=\"users\",method=\"GET\",status=\"200\"} 2")
    );
    assert!(
        text.contains("method=\"OTHER\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("gateway_request_duration_seconds_bucket{le=\"0.005\",route=\"users\"} 2")
            || text.contains(
                "gateway_request_duration_seconds_bucket{route=\"users\",le=\"0.005\"} 2"
            ),
        "{text}"
    );
    assert!(text.contains("gateway_request_duration_seconds_count{route=\"users\"} 3"));
}

#[test]
fn failed_upstream_exchanges_are_labelled_error() {
    let m = Metrics::new();
    m.observe_upstream("users", "127.0.0.1:9001", None, Duration::from_millis(5));
    m.observe_upstream(
        "users",
        "127.0.0.1:9001",
        Some(503),
        Duration::from_millis(5),
    );
    let text = m.encode();
    assert!(
        text.contains("target=\"127.0.0.1:9001\",status=\"error\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("target=\"127.0.0.1:9001\",status=\"503\"} 1"),
        "{text}"
    );
}

#[test]
fn connections_gauge_goes_up_and_down() {
    let m = Metrics::new();
    m.connection_opened("public");
    m.connection_opened("public");
    m.connection_closed("public");
    assert!(
        m.encode()
            .contains("gateway_connections_open{listener=\"public\"} 1")
    );
}

#[test]
fn config_info_shows_only_the_current_digest() {
    let m = Metrics::new();
    m.set_config_digest("aaaa");
    m.set_config_digest("bbbb");
    let text = m.encode();
    assert!(text.contains("gateway_config_info{digest=\"bbbb\"} 1"));
    assert!(!text.contains("aaaa"));
}

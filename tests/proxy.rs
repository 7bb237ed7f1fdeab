//! End to end: the real gateway binary in front of in-test upstreams — forwarding
//! headers, routing precedence, load balancing, ejection and health checks, upstream
//! failures, response hygiene, CORS and graceful shutdown.
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::time::Duration;

use bytes::Bytes;
use client::{get, req, send};
use gateway::GatewayProcess;
use http_body_util::Full;
use upstream::Upstream;

fn one_upstream_config(target: std::net::SocketAddr, extra_route: &str) -> String {
    format!(
        r#"
listeners:
  - name: plain
    bind: 127.0.0.1:0
upstreams:
  echo:
    targets: ["{target}"]
routes:
  - name: api
    match: {{ path_prefix: /api }}
    upstream: echo
{extra_route}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_is_forwarded_with_forwarded_headers_request_id_and_traceparent() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&one_upstream_config(up.addr, ""), &["plain"]);
    let addr = gw.addr("plain");
    let r = send(
        addr,
        req("GET", "/api/users?x=1", "api.example.com")
            .header("x-forwarded-for", "203.0.113.66")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let echo = r.json();
    assert_eq!(echo["uri"], "/api/users?x=1");
    // The peer is not a trusted proxy: its X-Forwarded-For is replaced, not believed.
    assert_eq!(r.echoed("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(r.echoed("x-forwarded-proto").as_deref(), Some("http"));
    assert_eq!(
        r.echoed("x-forwarded-host").as_deref(),
        Some("api.example.com")
    );
    assert_eq!(r.echoed("host").as_deref(), Some("api.example.com"));
    let id = r.echoed("x-request-id").unwrap();
    assert_eq!(id.len(), 32);
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    let tp = r.echoed("traceparent").unwrap();
    assert!(tp.starts_with("00-") && tp.len() == 55, "traceparent {tp}");
    // Response hygiene: upstream identity hidden, security headers added, no HSTS
    // on a plain listener, response hop-by-hop headers removed.
    assert_eq!(r.header("server"), None);
    assert_eq!(r.header("x-powered-by"), None);
    assert_eq!(r.header("keep-alive"), None);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("strict-transport-security"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_formed_request_id_and_traceparent_are_propagated_and_bad_ids_replaced() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&one_upstream_config(up.addr, ""), &["plain"]);
    let addr = gw.addr("plain");
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let r = send(
        addr,
        req("GET", "/api", "h")
            .header("x-request-id", "client-id.42_x")
            .header("traceparent", parent)
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.echoed("x-request-id").as_deref(), Some("client-id.42_x"));
    let tp = r.echoed("traceparent").unwrap();
    assert!(
        tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "same trace: {tp}"
    );
    assert_ne!(tp, parent, "a child span, not the client's span");

    let r = send(
        addr,
        req("GET", "/api", "h")
            .header("x-request-id", "bad id with spaces")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    let id = r.echoed("x-request-id").unwrap();
    assert_ne!(id, "bad id with spaces");
    assert_eq!(id.len(), 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hop_by_hop_and_client_certificate_headers_are_stripped_before_the_upstream() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&one_upstream_config(up.addr, ""), &["plain"]);
    let r = send(
        gw.addr("plain"),
        req("GET", "/api", "h")
            .header("connection", "x-secret-hop")
            .header("x-secret-hop", "1")
            .header("keep-alive", "timeout=5")
            .header("te", "trailers")
            .header("proxy-authorization", "Basic Zm9vOmJhcg==")
            .header("x-client-cert-subject", "CN=forged")
            .header("x-client-cert-san", "DNS:forged")
            .header("x-kept", "yes")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    for h in [
        "connection",
        "x-secret-hop",
        "keep-alive",
        "te",
        "proxy-authorization",
        "x-client-cert-subject",
        "x-client-cert-san",
    ] {
        assert_eq!(r.echoed(h), None, "{h} must not reach the upstream");
    }
    assert_eq!(r.echoed("x-kept").as_deref(), Some("yes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn most_specific_route_wins_and_unknown_paths_get_a_json_404() {
    let exact_host = Upstream::start("exact_host").await;
    let wildcard = Upstream::start("wildcard").await;
    let any = Upstream::start("any").await;
    let long = Upstream::start("long_prefix").await;
    let exact_path = Upstream::start("exact_path").await;
    let config = format!(
        r#"
listeners:
  - name: plain
    bind: 127.0.0.1:0
upstreams:
  exact_host: {{ targets: ["{}"] }}
  wildcard: {{ targets: ["{}"] }}
  any: {{ targets: ["{}"] }}
  long: {{ targets: ["{}"] }}
  exact_path: {{ targets: ["{}"] }}
routes:
  - {{ name: any, match: {{ path_prefix: /api }}, upstream: any }}
  - {{ name: wildcard, match: {{ host: "*.example.com", path_prefix: /api }}, upstream: wildcard }}
  - {{ name: exact_host, match: {{ host: api.example.com, path_prefix: /api }}, upstream: exact_host }}
  - {{ name: long, match: {{ path_prefix: /api/v1/users }}, upstream: long, strip_prefix: true }}
  - {{ name: exact_path, match: {{ path: /api/v1/users/me }}, upstream: exact_path }}
"#,
        exact_host.addr, wildcard.addr, any.addr, long.addr, exact_path.addr
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let addr = gw.addr("plain");
    let who = |host: &'static str, path: &'static str| async move {
        let r = send(addr, req("GET", path, host).body(Full::default()).unwrap()).await;
        (r.status, r.header("x-upstream").map(str::to_owned), r)
    };
    assert_eq!(
        who("api.example.com", "/api/x").await.1.as_deref(),
        Some("exact_host")
    );
    assert_eq!(
        who("www.example.com", "/api/x").await.1.as_deref(),
        Some("wildcard")
    );
    assert_eq!(who("other.org", "/api/x").await.1.as_deref(), Some("any"));
    assert_eq!(
        who("other.org", "/api/v1/users/me").await.1.as_deref(),
        Some("exact_path")
    );
    let (_, name, r) = who("other.org", "/api/v1/users/42").await;
    assert_eq!(name.as_deref(), Some("long_prefix"));
    assert_eq!(
        r.json()["uri"],
        "/42",
        "strip_prefix removes the matched prefix"
    );
    // Segment-aware prefix: /apix is not under /api.
    let (status, _, r) = who("other.org", "/apix").await;
    assert_eq!(status, 404);
    let body = r.json();
    assert_eq!(body["error"], "not_found");
    assert_eq!(body["request_id"].as_str(), r.header("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_spreads_requests_by_weight() {
    let a = Upstream::start("a").await;
    let b = Upstream::start("b").await;
    let config = format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  pool:
    targets: [{{ addr: "{}", weight: 3 }}, {{ addr: "{}", weight: 1 }}]
routes: [{{ name: all, upstream: pool }}]
"#,
        a.addr, b.addr
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    for _ in 0..40 {
        assert_eq!(get(gw.addr("plain"), "/").await.status, 200);
    }
    assert_eq!((a.hits(), b.hits()), (30, 10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_target_gets_no_traffic_and_health_checks_bring_it_back() {
    let a = Upstream::start("a").await;
    let b = Upstream::start("b").await;
    let a_addr = a.addr;
    let config = format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  pool:
    targets: ["{}", "{}"]
    health_check: {{ path: /healthz, interval: 100ms, timeout: 500ms, healthy_threshold: 1, unhealthy_threshold: 1 }}
    passive: {{ max_failures: 1, ejection: 1h }}
routes: [{{ name: all, upstream: pool }}]
"#,
        a.addr, b.addr
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let addr = gw.addr("plain");
    a.stop();
    drop(a);
    // Every request succeeds: a connect failure on an idempotent request is retried
    // on the other target, and the dead one is ejected.
    for _ in 0..10 {
        let r = get(addr, "/").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-upstream"), Some("b"));
    }
    let before = b.hits();
    // Bring it back on the same port: the health check marks it healthy again and
    // lifts the ejection.
    let a = Upstream::start_on("a", a_addr).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while a.hits() == 0 && std::time::Instant::now() < deadline {
        let _ = get(addr, "/").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(a.hits() > 0, "traffic moved back to the revived target");
    assert!(b.hits() > before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_upstream_is_502_and_a_fully_ejected_pool_is_503() {
    // A port nothing listens on: bind, read the port, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  pool:
    targets: ["{dead}"]
    passive: {{ max_failures: 1, ejection: 1h }}
routes: [{{ name: all, upstream: pool }}]
"#
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let r = get(gw.addr("plain"), "/").await;
    assert_eq!(r.status, 502);
    let body = r.json();
    assert_eq!(body["error"], "bad_gateway");
    assert!(
        !String::from_utf8_lossy(&r.body).contains(&dead.port().to_string()),
        "no internal detail"
    );
    let r = get(gw.addr("plain"), "/").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["request_id"].as_str(), r.header("x-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_is_answered_with_504() {
    let up = Upstream::start("slow").await;
    let config = format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  pool: {{ targets: ["{}"], response_timeout: 300ms }}
routes: [{{ name: all, upstream: pool }}]
"#,
        up.addr
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let r = get(gw.addr("plain"), "/slow?ms=3000").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.json()["error"], "gateway_timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_5xx_bodies_are_replaced_unless_the_route_opts_out() {
    let up = Upstream::start("leaky").await;
    let config = format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  pool: {{ targets: ["{}"] }}
routes:
  - {{ name: safe, match: {{ path_prefix: /safe }}, upstream: pool }}
  - {{ name: raw, match: {{ path_prefix: /raw }}, upstream: pool, sanitize_errors: false }}
"#,
        up.addr
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let r = get(gw.addr("plain"), "/safe/status/500").await;
    assert_eq!(r.status, 500);
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(!text.contains("hunter2"), "leaked: {text}");
    assert_eq!(r.json()["request_id"].as_str(), r.header("x-request-id"));
    assert_eq!(r.header("server"), None);
    let r = get(gw.addr("plain"), "/raw/status/500").await;
    assert!(String::from_utf8_lossy(&r.body).contains("hunter2"));
    // 4xx bodies are the application's business and pass through.
    let r = get(gw.addr("plain"), "/safe/status/404").await;
    assert!(String::from_utf8_lossy(&r.body).contains("Traceback"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_is_answered_by_the_gateway_and_unknown_origins_get_no_cors_headers() {
    let up = Upstream::start("a").await;
    let route = r#"  - name: cors
    match: { path_prefix: /cors, methods: [GET, POST] }
    upstream: echo
    cors: { origins: ["https://app.example.com"], methods: [GET, POST], headers: [Authorization, Content-Type], expose_headers: [X-Total], credentials: true, max_age: 10m }
    response_headers: { add: { X-Route: cors }, remove: [X-Upstream] }"#;
    let gw = GatewayProcess::start(&one_upstream_config(up.addr, route), &["plain"]);
    let addr = gw.addr("plain");
    let r = send(
        addr,
        req("OPTIONS", "/cors/items", "h")
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(up.hits(), 0, "preflight never reaches the upstream");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert!(
        r.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    assert_eq!(r.header("vary"), Some("Origin"));

    let r = send(
        addr,
        req("GET", "/cors/items", "h")
            .header("origin", "https://app.example.com")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(r.header("access-control-expose-headers"), Some("X-Total"));
    assert_eq!(r.header("x-route"), Some("cors"));
    assert_eq!(r.header("x-upstream"), None);

    let r = send(
        addr,
        req("GET", "/cors/items", "h")
            .header("origin", "https://evil.example.net")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_in_flight_request_finish_then_exits_0_and_refuses_new_connections() {
    let up = Upstream::start("slow").await;
    let mut gw = GatewayProcess::start(&one_upstream_config(up.addr, ""), &["plain"]);
    let addr = gw.addr("plain");
    let in_flight = tokio::spawn(async move { get(addr, "/api/slow?ms=1500").await });
    // Wait until the upstream has the request, then ask the gateway to stop.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while up.hits() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.sigterm();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "new connections are refused while draining"
    );
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200, "the in-flight request completed");
    let status = tokio::task::spawn_blocking(move || gw.wait_exit(Duration::from_secs(10)))
        .await
        .unwrap()
        .expect("gateway exited");
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_upstreams_are_reached_with_prior_knowledge() {
    let up = Upstream::start("h2").await;
    let config = format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  pool: {{ targets: ["{}"], protocol: h2 }}
routes: [{{ name: all, upstream: pool }}]
"#,
        up.addr
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let r = send(
        gw.addr("plain"),
        req("POST", "/x", "h")
            .body(Full::new(Bytes::from_static(b"hello")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let echo = r.json();
    assert_eq!(echo["version"], "HTTP/2.0");
    assert_eq!(echo["body_len"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ips_outside_the_allow_list_or_in_the_deny_list_get_403() {
    let up = Upstream::start("a").await;
    let routes = r#"  - name: private
    match: { path_prefix: /private }
    upstream: echo
    ip: { allow: [10.0.0.0/8] }"#;
    let gw = GatewayProcess::start(&one_upstream_config(up.addr, routes), &["plain"]);
    let r = get(gw.addr("plain"), "/private/x").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "forbidden");
    assert_eq!(get(gw.addr("plain"), "/api/x").await.status, 200);
    assert_eq!(up.hits(), 1);

    let config = format!(
        "{}\nip: {{ deny: [127.0.0.0/8] }}\n",
        one_upstream_config(up.addr, "")
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    assert_eq!(get(gw.addr("plain"), "/api/x").await.status, 403);
    assert_eq!(
        get(gw.addr("plain"), "/no/route").await.status,
        403,
        "global deny comes first"
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_a_trusted_proxy_sets_the_client_ip_and_is_appended() {
    let up = Upstream::start("a").await;
    let routes = r#"  - name: guarded
    match: { path_prefix: /guarded }
    upstream: echo
    ip: { deny: [203.0.113.0/24] }"#;
    let config = format!(
        "{}\nclient_ip: {{ trusted_proxies: [127.0.0.0/8] }}\n",
        one_upstream_config(up.addr, routes)
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let with_xff = |xff: &'static str| {
        req("GET", "/guarded/x", "h")
            .header("x-forwarded-for", xff)
            .body(Full::default())
            .unwrap()
    };
    assert_eq!(
        send(gw.addr("plain"), with_xff("203.0.113.5")).await.status,
        403
    );
    let r = send(gw.addr("plain"), with_xff("198.51.100.1")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.echoed("x-forwarded-for").as_deref(),
        Some("198.51.100.1, 127.0.0.1")
    );
    // The access log names the client, not the proxy.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        gw.stdout().contains("\"client_ip\":\"198.51.100.1\""),
        "{}",
        gw.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let up = Upstream::start("a").await;
    let config = format!(
        "{}\nlimits: {{ idle_timeout: 300ms }}\n",
        one_upstream_config(up.addr, "")
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    // A keep-alive request; the server must close the connection by itself.
    let text = client::raw(
        gw.addr("plain"),
        b"GET /api HTTP/1.1\r\nHost: h\r\n\r\n",
        Duration::from_secs(8),
    )
    .await;
    assert_eq!(client::raw_status(&text), Some(200));
    let mut s = tokio::net::TcpStream::connect(gw.addr("plain"))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut s, b"GET /api HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(8),
        tokio::io::AsyncReadExt::read_to_end(&mut s, &mut buf),
    )
    .await;
    assert!(
        read.is_ok(),
        "connection still open: idle timeout not enforced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_total_limit_are_closed_without_an_answer() {
    let up = Upstream::start("a").await;
    let config = format!(
        "{}\nlimits: {{ max_connections: 2 }}\n",
        one_upstream_config(up.addr, "")
    );
    let gw = GatewayProcess::start(&config, &["plain"]);
    let addr = gw.addr("plain");
    let _a = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _b = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = client::raw(
        addr,
        b"GET /api HTTP/1.1\r\nHost: h\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(text, "", "over the limit: closed, nothing served");
    assert_eq!(up.hits(), 0);
    drop(_a);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(addr, "/api").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_fails_no_request_and_applies_the_new_routes() {
    let a = Upstream::start("a").await;
    let b = Upstream::start("b").await;
    let before = one_upstream_config(a.addr, "");
    let after = format!(
        "{}  - {{ name: v2, match: {{ path_prefix: /v2 }}, upstream: second }}\n",
        one_upstream_config(a.addr, "")
    )
    .replace(
        "upstreams:\n",
        &format!("upstreams:\n  second: {{ targets: [\"{}\"] }}\n", b.addr),
    );
    let gw = GatewayProcess::start(&before, &["plain"]);
    let addr = gw.addr("plain");
    assert_eq!(get(addr, "/v2/x").await.status, 404);
    // Four clients keep sending (bounded: 2000 requests or 20 s each) until the
    // reload has been applied and served.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let done = done.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let mut statuses = Vec::new();
                while !done.load(std::sync::atomic::Ordering::SeqCst)
                    && statuses.len() < 2000
                    && started.elapsed() < Duration::from_secs(20)
                {
                    statuses.push(get(addr, "/api/load").await.status);
                }
                statuses
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.reload_with(&after);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    while std::time::Instant::now() < deadline {
        status = get(addr, "/v2/x").await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(status, 200, "the new route is served after the reload");
    assert_eq!(b.hits(), 1);
    let mut total = 0;
    for c in clients {
        let statuses = c.await.unwrap();
        total += statuses.len();
        assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    }
    assert!(total > 8, "load ran across the reload ({total} requests)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_gateway_on_a_busy_port_fails_fast_naming_the_listener() {
    let up = Upstream::start("a").await;
    let first = GatewayProcess::start(&one_upstream_config(up.addr, ""), &["plain"]);
    let busy = first.addr("plain");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.yaml");
    let config = one_upstream_config(up.addr, "").replace("127.0.0.1:0", &busy.to_string());
    std::fs::write(&path, config).unwrap();
    let (status, stderr) = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
            .args(["run", "--config"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Bounded: a gateway that wrongly started would be killed after 10 s.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status, err)
    })
    .await
    .unwrap();
    let status = status.expect("the second gateway exited instead of serving");
    assert!(!status.success());
    assert!(
        stderr.contains("listener `plain`") && stderr.contains("cannot bind"),
        "{stderr}"
    );
    // The first one still serves.
    assert_eq!(get(busy, "/api").await.status, 200);
}

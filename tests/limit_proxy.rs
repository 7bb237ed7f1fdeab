//! End to end through the real gateway binary: route limits answer 429 with
//! `Retry-After`, the RateLimit headers and a JSON body; three gateway processes
//! share one Redis quota exactly; a Redis outage without fallback answers 503; and
//! `gateway limits show|reset` reach the running gateway's admin listener.
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/redis.rs"]
mod redis_support;
#[path = "support/upstream.rs"]
mod upstream;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use client::get;
use gateway::GatewayProcess;
use redis_support::RedisServer;
use upstream::Upstream;

/// A config with one plain listener, one upstream and the given extra YAML.
fn config(upstream: SocketAddr, extra: &str) -> String {
    format!(
        "listeners:
  - {{ name: plain, bind: 127.0.0.1:0 }}
upstreams:
  u: {{ targets: [{upstream}] }}
{extra}"
    )
}

#[tokio::test]
async fn a_route_over_its_limit_answers_429_with_retry_after_headers_and_a_json_body() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(
        &config(
            up.addr,
            "routes:
  - name: limited
    match: { path_prefix: /limited }
    upstream: u
    rate_limit: [{ by: ip, rate: 1/h, burst: 3 }]
  - name: open
    match: { path_prefix: /open }
    upstream: u
",
        ),
        &["plain"],
    );
    let addr = gw.addr("plain");
    for left in ["2", "1", "0"] {
        let r = get(addr, "/limited/x").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-limit"), Some("3"));
        assert_eq!(r.header("ratelimit-remaining"), Some(left));
        assert_eq!(r.header("x-ratelimit-limit-hour"), Some("3"));
        assert!(r.header("ratelimit-policy").is_some());
    }
    let r = get(addr, "/limited/x").await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    // 1/h: the next request fits one emission interval (an hour) after the burst.
    assert!((3500..=3600).contains(&retry), "retry-after {retry}");
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    let body = r.json();
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(body["retry_after"], retry);
    assert!(body["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        up.hits(),
        3,
        "the refused request never reached the upstream"
    );

    let r = get(addr, "/open/x").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("ratelimit-limit").is_none(),
        "unlimited routes carry no headers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_gateway_processes_share_one_redis_quota_exactly() {
    let redis = RedisServer::start();
    let up = Upstream::start("u").await;
    let yaml = config(
        up.addr,
        &format!(
            "rate_limit:
  store: redis
  redis: {{ url: \"{}\", timeout: 2s, fault_tolerant: false }}
routes:
  - name: shared
    match: {{ path_prefix: / }}
    upstream: u
    rate_limit: [{{ by: route, quota: 150/day }}]
",
            redis.url()
        ),
    );
    let gateways: Vec<GatewayProcess> = (0..3)
        .map(|_| GatewayProcess::start(&yaml, &["plain"]))
        .collect();
    let ok = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // 3 gateways × 4 clients × 25 requests = 300 attempts at a quota of 150.
    for gw in &gateways {
        for _ in 0..4 {
            let (addr, ok, refused) = (gw.addr("plain"), ok.clone(), refused.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    match get(addr, "/q").await.status {
                        200 => ok.fetch_add(1, Ordering::Relaxed),
                        429 => refused.fetch_add(1, Ordering::Relaxed),
                        other => panic!("unexpected status {other}"),
                    };
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (ok, refused) = (ok.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    assert_eq!(ok + refused, 300);
    assert!(
        (149..=150).contains(&ok),
        "allowed {ok} of 150 across three gateways"
    );
}

#[tokio::test]
async fn a_redis_outage_without_fault_tolerance_answers_503_with_retry_after() {
    let mut redis = RedisServer::start();
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(
        &config(
            up.addr,
            &format!(
                "rate_limit:
  store: redis
  redis: {{ url: \"{}\", timeout: 500ms, fault_tolerant: false }}
routes:
  - name: r
    match: {{ path_prefix: / }}
    upstream: u
    rate_limit: [{{ by: ip, rate: 100/s }}]
",
                redis.url()
            ),
        ),
        &["plain"],
    );
    let addr = gw.addr("plain");
    assert_eq!(get(addr, "/").await.status, 200);
    redis.stop();
    let r = get(addr, "/").await;
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.json()["error"], "rate_limit_unavailable");
    redis.restart();
    let start = Instant::now();
    while get(addr, "/").await.status != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "limits never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// GET `path` from the admin listener; the body as text ("" when unreachable).
fn admin_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The value of an unlabelled counter in a /metrics text (0 when absent).
fn counter(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn with_fault_tolerance_a_redis_outage_limits_locally_and_shows_in_metrics() {
    let mut redis = RedisServer::start();
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(
        &config(
            up.addr,
            &format!(
                "admin: {{ bind: 127.0.0.1:0 }}
rate_limit:
  store: redis
  redis: {{ url: \"{}\", timeout: 500ms, fault_tolerant: true }}
routes:
  - name: r
    match: {{ path_prefix: / }}
    upstream: u
    rate_limit: [{{ by: ip, quota: 3/day }}]
",
                redis.url()
            ),
        ),
        &["plain", "admin"],
    );
    let addr = gw.addr("plain");
    let admin_port = gw.addr("admin").port();
    assert_eq!(get(addr, "/").await.status, 200);
    redis.stop();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(addr, "/").await.status);
    }
    // The local counters start empty: three more pass, then the quota holds.
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429], "never unlimited");
    let start = Instant::now();
    let metrics = loop {
        let m = admin_get(admin_port, "/metrics");
        if m.contains("gateway_rate_limit") || start.elapsed() > Duration::from_secs(10) {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        counter(&metrics, "gateway_rate_limit_store_fallbacks_total") >= 6.0,
        "{metrics}"
    );
    assert!(counter(&metrics, "gateway_rate_limit_redis_errors_total") >= 1.0);
    assert!(counter(&metrics, "gateway_rate_limit_breaker_opens_total") >= 1.0);
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(args)
        .output()
        .expect("the gateway binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_limits_show_and_reset_talk_to_the_running_gateway() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(
        &config(
            up.addr,
            "admin: { bind: 127.0.0.1:0 }
routes:
  - name: r
    match: { path_prefix: / }
    upstream: u
    rate_limit: [{ by: ip, quota: 1/day }]
",
        ),
        &["plain", "admin"],
    );
    let addr = gw.addr("plain");
    let admin_port = gw.addr("admin").port();
    assert_eq!(get(addr, "/").await.status, 200);
    assert_eq!(get(addr, "/").await.status, 429);
    let admin = format!("127.0.0.1:{admin_port}");
    let show = {
        let admin = admin.clone();
        move || cli(&["limits", "show", "ip:127.0.0.1", "--admin", &admin])
    };
    // The admin listener starts right after the proxy listeners: retry briefly.
    let start = Instant::now();
    let out = loop {
        let out = tokio::task::spawn_blocking(show.clone()).await.unwrap();
        if out.status.success() || start.elapsed() > Duration::from_secs(10) {
            break out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["store"], "local");
    assert_eq!(shown["policies"][0]["quota_used"], 1);

    let out = tokio::task::spawn_blocking(move || {
        cli(&["limits", "reset", "ip:127.0.0.1", "--admin", &admin])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get(addr, "/").await.status, 200, "the quota starts over");
}

/// The hex sha256 of an API key, as `consumers[].api_keys` stores it.
fn key_hash(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[tokio::test]
async fn a_consumer_authenticated_by_api_key_gets_its_plans_limit_and_others_are_unaffected() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(
        &config(
            up.addr,
            &format!(
                "plans:
  free: {{ rate: 1/s, burst: 3 }}
  pro: {{ rate: 100/s, burst: 100 }}
consumers:
  - name: alice
    plan: free
    api_keys: [{{ sha256: {alice} }}]
  - name: bob
    plan: free
    api_keys: [{{ sha256: {bob} }}]
  - name: carol
    plan: pro
    api_keys: [{{ sha256: {carol} }}]
routes:
  - name: api
    match: {{ path_prefix: /api }}
    upstream: u
    auth: {{ api_key: true }}
    rate_limit: [{{ by: consumer }}]
",
                alice = key_hash("alice-key-0001"),
                bob = key_hash("bob-key-0002"),
                carol = key_hash("carol-key-0003"),
            ),
        ),
        &["plain"],
    );
    let addr = gw.addr("plain");
    let call = |key: &'static str| {
        client::req("GET", "/api/x", "test")
            .header("x-api-key", key)
            .body(http_body_util::Full::default())
            .expect("request")
    };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(client::send(addr, call("alice-key-0001")).await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429], "alice's free plan: burst 3");
    // Another consumer on the same plan has its own bucket; a pro consumer its own plan.
    for key in ["bob-key-0002", "carol-key-0003"] {
        for _ in 0..3 {
            assert_eq!(client::send(addr, call(key)).await.status, 200, "{key}");
        }
    }
    for _ in 0..5 {
        assert_eq!(client::send(addr, call("carol-key-0003")).await.status, 200);
    }
    // Without a key the route refuses before any limit applies.
    assert_eq!(get(addr, "/api/x").await.status, 401);
    assert_eq!(up.hits(), 3 + 3 + 3 + 5);
}

//! The daemon's ban loop end to end: `gateway run` with `edge`, `bans` and
//! `cluster` sections subscribes to a real redis-server; a ban published by
//! another node lands in its XDP map (private pin dir) and its accept loop
//! refuses the banned client; the unban restores service. Needs root and bpffs.
#[path = "support/edge.rs"]
mod edge_support;
#[path = "support/gateway.rs"]
mod gateway_support;
#[path = "support/redis.rs"]
mod redis_support;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use edge_support::PinDir;
use gateway::{
    bans::{
        ClusterConfig,
        cluster::{self, ClusterMsg, Op},
    },
    edge::Edge,
};
use gateway_support::GatewayProcess;
use redis_support::RedisServer as Redis;

/// Sends one request; returns what came back before the connection closed.
fn exchange(addr: SocketAddr) -> Vec<u8> {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return Vec::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_cluster_ban_reaches_the_daemons_xdp_map_and_its_accept_loop_refuses_the_client() {
    let pins = PinDir::new();
    let redis = Redis::start();
    let channel = format!("bans-daemon-{}", std::process::id());
    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 127.0.0.1:0\nupstreams:\n  u:\n    targets: [127.0.0.1:9]\nroutes:\n  - name: r\n    upstream: u\n\
edge: {{ interfaces: [], pin_dir: {} }}\nbans: {{ threshold: 20 }}\ncluster: {{ redis: \"{}\", channel: {channel}, node: gw-under-test }}\n",
        pins.base.display(),
        redis.url()
    );
    // The daemon shares the ban notes (origin nodes) with `gateway ban list` via `pins`.
    let gw =
        GatewayProcess::start_with_env(&yaml, &["p"], &[("GATEWAY_STATE_DIR", pins.state.path())]);
    let addr = gw.addr("p");
    assert!(
        exchange(addr).starts_with(b"HTTP/1.1"),
        "served before the ban"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    wait_for("the daemon subscribes", || {
        rt.block_on(async {
            let Ok(mut c) = client.get_multiplexed_async_connection().await else {
                return false;
            };
            let r: redis::RedisResult<(String, i64)> = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(&channel)
                .query_async(&mut c)
                .await;
            r.map(|(_, n)| n >= 1).unwrap_or(false)
        })
    });
    let cfg = ClusterConfig {
        redis: redis.url(),
        channel: channel.clone(),
        node: Some("other".into()),
    };
    let mut msg = ClusterMsg {
        op: Op::Add,
        cidr: "127.0.0.1/32".into(),
        expires_unix: None,
        reason: "waf".into(),
        node: "other".into(),
        sent_ms: 0,
    };
    rt.block_on(cluster::publish_once(&cfg, &msg))
        .expect("publish");
    wait_for("the XDP map holds the cluster ban", || {
        Edge::open(&pins.base)
            .and_then(|e| e.all_bans())
            .map(|b| {
                b.iter()
                    .any(|x| x.net.to_string() == "127.0.0.1/32" && x.reason_name() == "cluster")
            })
            .unwrap_or(false)
    });
    let listed = pins.json(&["ban", "list", "--json"]);
    let ban = listed
        .as_array()
        .and_then(|b| b.iter().find(|b| b["cidr"] == "127.0.0.1/32"))
        .unwrap_or_else(|| panic!("the cluster ban is listed: {listed}"));
    assert_eq!(ban["origin"], "other", "ban list names the deciding node");
    wait_for("the banned client is refused at accept", || {
        exchange(addr).is_empty()
    });

    msg.op = Op::Del;
    rt.block_on(cluster::publish_once(&cfg, &msg))
        .expect("publish unban");
    wait_for("service restored after the unban", || {
        exchange(addr).starts_with(b"HTTP/1.1")
    });
    assert!(
        gw.stderr().contains("gateway::audit")
            || gw.stdout().contains("gateway::audit")
            || gw.stderr().contains("\"audit\""),
        "no audit line logged"
    );
}

/// Sends a request with an API key; the status code, or None when refused at accept.
fn status_with_key(addr: SocketAddr, key: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let req =
        format!("GET /x HTTP/1.1\r\nHost: t\r\nX-API-Key: {key}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let head = String::from_utf8_lossy(&out);
    head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[test]
fn repeated_auth_failures_ban_the_client_in_the_xdp_map_and_at_accept_until_the_ttl_ends() {
    use sha2::{Digest, Sha256};
    let pins = PinDir::new();
    let good = hex::encode(Sha256::digest(b"good-key"));
    // Two failures (2 points each) reach the threshold of 4; the ban lasts 2s.
    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 127.0.0.1:0\nupstreams:\n  u:\n    targets: [127.0.0.1:9]\n\
consumers:\n  - name: c\n    api_keys: [{{ sha256: {good} }}]\n\
routes:\n  - name: r\n    upstream: u\n    auth: {{ api_key: true }}\n\
edge: {{ interfaces: [], pin_dir: {} }}\n\
bans: {{ threshold: 4, window: 1m, ttl: 2s, max_ttl: 1h, points: {{ auth: 2 }} }}\n",
        pins.base.display(),
    );
    let gw =
        GatewayProcess::start_with_env(&yaml, &["p"], &[("GATEWAY_STATE_DIR", pins.state.path())]);
    let addr = gw.addr("p");
    assert_eq!(status_with_key(addr, "wrong-1"), Some(401));
    assert_eq!(status_with_key(addr, "wrong-2"), Some(401));
    wait_for("the XDP map holds the auth ban", || {
        Edge::open(&pins.base)
            .and_then(|e| e.all_bans())
            .map(|b| {
                b.iter()
                    .any(|x| x.net.to_string() == "127.0.0.1/32" && x.reason_name() == "auth")
            })
            .unwrap_or(false)
    });
    assert_eq!(
        status_with_key(addr, "good-key"),
        None,
        "a banned client is refused at accept, even with a good key"
    );
    wait_for("the ban ends with its TTL", || {
        status_with_key(addr, "good-key").is_some()
    });
}

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
    let state = tempfile::tempdir().expect("state dir");
    // SAFETY: set before the daemon is spawned; it inherits it.
    unsafe { std::env::set_var("GATEWAY_STATE_DIR", state.path()) };
    let redis = Redis::start();
    let pins = PinDir::new();
    let channel = format!("bans-daemon-{}", std::process::id());
    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 127.0.0.1:0\nupstreams:\n  u:\n    targets: [127.0.0.1:9]\nroutes:\n  - name: r\n    upstream: u\n\
edge: {{ interfaces: [], pin_dir: {} }}\nbans: {{ threshold: 20 }}\ncluster: {{ redis: \"{}\", channel: {channel}, node: gw-under-test }}\n",
        pins.base.display(),
        redis.url()
    );
    let gw = GatewayProcess::start(&yaml, &["p"]);
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

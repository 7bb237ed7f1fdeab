//! Bans shared over a real redis-server between nodes with separate XDP pin
//! directories: a ban on node A reaches node B's blocklist map, a node started
//! later loads it, an unban propagates, and an expired ban is swept and never
//! loaded. Needs root and bpffs.
#[path = "support/edge.rs"]
mod edge_support;
#[path = "support/redis.rs"]
mod redis_support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use edge_support::PinDir;
use gateway::{
    bans::{BanManager, BansConfig, ClusterConfig, Origin, cluster},
    edge::Edge,
};
use gateway_common::BanReason;
use ipnet::IpNet;
use redis_support::RedisServer as Redis;

/// How long a ban may take to reach another node (the spec says within a second;
/// the margin absorbs a loaded CI machine).
const PROPAGATION: Duration = Duration::from_secs(3);

struct Node {
    pins: PinDir,
    manager: Arc<BanManager>,
    _link: cluster::ClusterLink,
}

fn node(name: &str, cluster_cfg: &ClusterConfig) -> Node {
    let pins = PinDir::new();
    let edge = Edge::open(&pins.base).expect("open pinned maps");
    let manager = Arc::new(BanManager::new(
        BansConfig::default(),
        vec![],
        name.into(),
        Some(edge),
    ));
    let link = cluster::start(manager.clone(), cluster_cfg).expect("cluster link");
    Node {
        pins,
        manager,
        _link: link,
    }
}

/// The blocklist entry for `net` in the node's XDP map, read through its own handle.
fn xdp_ban(node: &Node, net: IpNet) -> Option<gateway::edge::Ban> {
    let edge = Edge::open(&node.pins.base).expect("open maps");
    edge.all_bans()
        .expect("list bans")
        .into_iter()
        .find(|b| b.net == net)
}

async fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn subscribers(redis: &Redis, channel: &str) -> i64 {
    let client = redis::Client::open(redis.url()).expect("client");
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return 0;
    };
    let r: Result<(String, i64), _> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(&mut conn)
        .await;
    r.map(|(_, n)| n).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_on_one_node_reaches_the_xdp_maps_of_the_others_and_its_unban_too() {
    let state = tempfile::tempdir().expect("state dir");
    // SAFETY: set before any node starts; only this test's threads read it.
    unsafe { std::env::set_var("GATEWAY_STATE_DIR", state.path()) };
    let redis = Redis::start();
    let cfg = ClusterConfig {
        redis: redis.url(),
        channel: format!("bans-test-{}", std::process::id()),
        node: None,
    };
    let a = node("node-a", &cfg);
    let b = node("node-b", &cfg);
    let deadline = Instant::now() + Duration::from_secs(10);
    while subscribers(&redis, &cfg.channel).await < 2 {
        assert!(Instant::now() < deadline, "nodes never subscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let net: IpNet = "198.18.77.0/24".parse().unwrap();
    assert!(a.manager.ban(
        net,
        Some(Duration::from_secs(600)),
        BanReason::Waf,
        Origin::Manual,
        serde_json::Value::Null
    ));
    assert_eq!(
        xdp_ban(&a, net).map(|x| x.reason()),
        Some(Some(BanReason::Waf))
    );
    eventually(
        "node B installs the ban in its XDP map",
        PROPAGATION,
        || xdp_ban(&b, net).is_some(),
    )
    .await;
    assert_eq!(
        xdp_ban(&b, net).and_then(|x| x.reason()),
        Some(BanReason::Cluster)
    );
    assert!(b.manager.is_banned("198.18.77.9".parse().unwrap()));

    // A node started later loads the current set.
    let c = node("node-c", &cfg);
    eventually("node C loads the ban at start", PROPAGATION, || {
        xdp_ban(&c, net).is_some()
    })
    .await;

    a.manager.unban(net, Origin::Manual);
    assert!(xdp_ban(&a, net).is_none());
    eventually("the unban reaches B and C", PROPAGATION, || {
        xdp_ban(&b, net).is_none() && xdp_ban(&c, net).is_none()
    })
    .await;
    assert!(!b.manager.is_banned("198.18.77.9".parse().unwrap()));

    // Expiry: a short ban reaches B, ends there, and a later node never loads it.
    let short: IpNet = "198.18.78.1/32".parse().unwrap();
    a.manager.ban(
        short,
        Some(Duration::from_secs(2)),
        BanReason::Auth,
        Origin::Automatic,
        serde_json::Value::Null,
    );
    eventually("node B installs the short ban", PROPAGATION, || {
        xdp_ban(&b, short).is_some()
    })
    .await;
    eventually(
        "the short ban expires on B",
        Duration::from_secs(10),
        || {
            b.manager.sweep();
            xdp_ban(&b, short).is_none()
        },
    )
    .await;
    assert!(!b.manager.is_banned("198.18.78.1".parse().unwrap()));
    let d = node("node-d", &cfg);
    eventually("node D subscribes", Duration::from_secs(10), || true).await;
    let loaded = {
        let client = redis::Client::open(redis.url()).expect("client");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("conn");
        cluster::load_current(&mut conn, &cfg.channel)
            .await
            .expect("load")
    };
    assert!(
        loaded.iter().all(|m| m.cidr != short.to_string()),
        "expired ban still in the set: {loaded:?}"
    );
    assert!(xdp_ban(&d, short).is_none());
}

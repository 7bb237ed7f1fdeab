//! Two gateway daemons sharing a real redis-server, each with its own pin
//! directory and its own network namespace on a veth pair with the filter
//! attached. A client that attacks node A is banned there; node B's XDP map holds
//! the ban soon after and drops that client's packets arriving on B's own
//! interface; `gateway ban add --config` on B reaches A's map; a node started
//! later loads both. Needs root, bpffs and redis-server.
#[path = "support/edge.rs"]
mod edge_support;
#[path = "support/gateway.rs"]
mod gateway_support;
#[path = "support/netns.rs"]
mod netns;
#[path = "support/redis.rs"]
mod redis_support;
#[path = "support/upstream.rs"]
mod upstream;

use std::time::{Duration, Instant};

use edge_support::PinDir;
use gateway::edge::Edge;
use gateway_support::GatewayProcess;
use netns::VethNs;
use redis_support::RedisServer as Redis;

/// How long a ban may take to reach another node. The issue asks for a second;
/// the margin absorbs a loaded CI machine (`cargo xtask bench loop` measures it).
const PROPAGATION: Duration = Duration::from_secs(3);

/// A daemon with its own pin directory, namespace and state directory.
struct Node {
    pins: PinDir,
    config: std::path::PathBuf,
    gw: GatewayProcess,
}

fn start_node(name: &str, ns: Option<&VethNs>, upstream: &str, redis: &Redis) -> Node {
    let pins = PinDir::new();
    let interfaces = ns.map_or(String::new(), |n| n.host_if.clone());
    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 0.0.0.0:0\n\
upstreams:\n  u: {{ targets: [{upstream}] }}\n\
routes:\n  - name: r\n    upstream: u\n\
waf: {{ mode: block }}\n\
edge: {{ interfaces: [{interfaces}], mode: skb, pin_dir: {} }}\n\
bans: {{ threshold: 10, window: 1m, ttl: 10m, points: {{ waf: 5 }} }}\n\
cluster: {{ redis: \"{}\", channel: bans-netns-{}, node: {name} }}\n",
        pins.base.display(),
        redis.url(),
        std::process::id(),
    );
    let gw =
        GatewayProcess::start_with_env(&yaml, &["p"], &[("GATEWAY_STATE_DIR", pins.state.path())]);
    let config = gw.config_path().to_path_buf();
    Node { pins, config, gw }
}

/// The ban of `cidr` in a node's XDP map, as `gateway ban list --json` shows it.
fn listed(node: &Node, cidr: &str) -> Option<serde_json::Value> {
    node.pins
        .json(&["ban", "list", "--json"])
        .as_array()?
        .iter()
        .find(|b| b["cidr"] == cidr)
        .cloned()
}

/// A packet counter of a node's filter (`gateway edge stats --json`).
fn counter(node: &Node, name: &str) -> u64 {
    node.pins.json(&["edge", "stats", "--json"])["counters"][name]["packets"]
        .as_u64()
        .unwrap_or(0)
}

fn wait_for(what: &str, within: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < within, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_decided_on_one_node_is_enforced_by_the_other_nodes_xdp_and_loaded_by_a_later_node() {
    let redis = Redis::start();
    let up = upstream::Upstream::start("app").await;
    let upstream = up.addr.to_string();
    let (ns_a, ns_b) = (VethNs::new(), VethNs::new());
    tokio::task::block_in_place(|| {
        let a = start_node("node-a", Some(&ns_a), &upstream, &redis);
        let b = start_node("node-b", Some(&ns_b), &upstream, &redis);
        let port_a = a.gw.addr("p").port();
        let attacker = ns_a.peer_ip;
        let cidr = format!("{attacker}/32");
        // The attacker's address also lives in B's namespace, so its packets reach B's
        // interface too. (B's host routes replies to that address toward A's pair, so
        // what counts is B's filter: passed before the ban, dropped after.)
        ns_b.exec(&[
            "ip",
            "addr",
            "add",
            &format!("{attacker}/32"),
            "dev",
            &ns_b.peer_if,
        ]);
        let (passed, dropped) = (counter(&b, "pass"), counter(&b, "drop_blocklist"));
        ns_b.ping_count_from(&attacker.to_string(), 3);
        assert!(
            counter(&b, "pass") >= passed + 3,
            "before the ban, B's filter passes the attacker's packets"
        );
        assert_eq!(counter(&b, "drop_blocklist"), dropped);

        let url = format!(
            "http://{}:{port_a}/search?q=1%27%20OR%201%3D1--",
            ns_a.host_ip
        );
        for _ in 0..2 {
            let out = ns_a.exec(&[
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-m",
                "2",
                "-w",
                "%{http_code}",
                &url,
            ]);
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "403",
                "A's WAF blocks the attack"
            );
        }
        wait_for("node A bans the attacker", Duration::from_secs(10), || {
            listed(&a, &cidr).is_some()
        });
        let lag = wait_for("node B's XDP map holds the ban", PROPAGATION, || {
            Edge::open(&b.pins.base)
                .and_then(|e| e.all_bans())
                .is_ok_and(|bans| bans.iter().any(|x| x.net.to_string() == cidr))
        });
        eprintln!("ban reached node B {lag:?} after node A's map showed it");
        let on_b = listed(&b, &cidr).expect("listed on B");
        assert_eq!(on_b["reason"], "cluster", "{on_b}");
        assert_eq!(
            on_b["origin"], "node-a",
            "B names the node that decided: {on_b}"
        );

        let before = counter(&b, "drop_blocklist");
        ns_b.ping_count_from(&attacker.to_string(), 3);
        let after = counter(&b, "drop_blocklist");
        assert!(
            after >= before + 3,
            "B's filter drops the attacker's packets on its own interface ({before} -> {after})"
        );

        // A manual ban published from B acts on A as well.
        let manual = "198.19.250.0/24";
        let config = b.config.display().to_string();
        b.pins
            .ok(&["ban", "add", manual, "--ttl", "1h", "--config", &config]);
        wait_for("A's map holds B's manual ban", PROPAGATION, || {
            listed(&a, manual).is_some()
        });

        // A node started later loads the current set.
        let c = start_node("node-c", None, &upstream, &redis);
        wait_for(
            "the later node loads both bans",
            Duration::from_secs(10),
            || listed(&c, &cidr).is_some() && listed(&c, manual).is_some(),
        );
        drop(c);
        drop(b);
        drop(a);
    });
}

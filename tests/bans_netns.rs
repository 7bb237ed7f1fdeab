//! The whole loop on a real network path: a client in a network namespace sends
//! SQL injection through the gateway on the host end of a veth pair; the WAF
//! blocks it, the ban loop bans its address in the XDP map of that veth, and its
//! further TCP SYNs are dropped at the NIC (connects time out, the drop counter
//! rises) while a client on the host keeps being served. The ban ends with its TTL,
//! a repeat offender is banned for longer, and an allowlisted client is never
//! banned however it behaves. Needs root and bpffs.
#[path = "support/edge.rs"]
mod edge_support;
#[path = "support/gateway.rs"]
mod gateway_support;
#[path = "support/netns.rs"]
mod netns;
#[path = "support/upstream.rs"]
mod upstream;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use edge_support::PinDir;
use gateway::edge::Edge;
use gateway_support::GatewayProcess;
use netns::VethNs;

/// Status of `GET path` sent from inside the namespace with curl (bounded by its timeout).
fn status_from_namespace(ns: &VethNs, url: &str) -> Option<u16> {
    let out = ns.exec(&[
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-m",
        "2",
        "-w",
        "%{http_code}",
        url,
    ]);
    let code: u16 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    (code != 0).then_some(code)
}

/// Status of `GET /search?q=books` sent from the host.
fn status_from_host(addr: SocketAddr) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    s.write_all(b"GET /search?q=books HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_sql_injection_is_banned_and_its_syns_are_dropped_at_xdp() {
    let ns = VethNs::new();
    let pins = PinDir::new();
    let up = upstream::Upstream::start("app").await;
    // Two WAF blocks (5 points each) reach the threshold of 10.
    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 0.0.0.0:0\n\
upstreams:\n  u: {{ targets: [{}] }}\n\
routes:\n  - name: r\n    upstream: u\n\
waf: {{ mode: block }}\n\
edge: {{ interfaces: [{}], mode: skb, pin_dir: {} }}\n\
bans: {{ threshold: 10, window: 1m, ttl: 10m, points: {{ waf: 5 }} }}\n",
        up.addr,
        ns.host_if,
        pins.base.display(),
    );
    let state = pins.state.path().to_path_buf();
    let gw = tokio::task::spawn_blocking(move || {
        GatewayProcess::start_with_env(&yaml, &["p"], &[("GATEWAY_STATE_DIR", &state)])
    })
    .await
    .unwrap();
    let port = gw.addr("p").port();
    let base = format!("http://{}:{port}", ns.host_ip);
    let host_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    let ns_ref = &ns;
    let good = tokio::task::block_in_place(|| {
        status_from_namespace(ns_ref, &format!("{base}/search?q=books"))
    });
    assert_eq!(
        good,
        Some(200),
        "the namespace client is served before it attacks"
    );
    for _ in 0..2 {
        let attack = tokio::task::block_in_place(|| {
            status_from_namespace(ns_ref, &format!("{base}/search?q=1%27%20OR%201%3D1--"))
        });
        assert_eq!(attack, Some(403), "the WAF blocks the injection");
    }

    let peer = format!("{}/32", ns.peer_ip);
    tokio::task::block_in_place(|| {
        wait_for("the attacker's address is in the XDP blocklist", || {
            Edge::open(&pins.base)
                .and_then(|e| e.all_bans())
                .map(|b| {
                    b.iter()
                        .any(|x| x.net.to_string() == peer && x.reason_name() == "waf")
                })
                .unwrap_or(false)
        });
        let drops_before =
            pins.json(&["edge", "stats", "--json"])["counters"]["drop_blocklist"]["packets"]
                .as_u64()
                .unwrap_or(0);
        assert!(
            !ns.tcp_connect(port),
            "the banned client's SYNs are dropped"
        );
        let drops_after =
            pins.json(&["edge", "stats", "--json"])["counters"]["drop_blocklist"]["packets"]
                .as_u64()
                .unwrap_or(0);
        assert!(
            drops_after > drops_before,
            "the XDP drop counter rises ({drops_before} -> {drops_after})"
        );
        assert_eq!(
            status_from_host(host_addr),
            Some(200),
            "another client keeps being served"
        );

        // `gateway ban del` lifts the ban in the map and, within the daemon's next
        // sweep, at accept too: the client is served again.
        pins.ok(&["ban", "del", &peer]);
        wait_for("the unbanned client is served again", || {
            let out = std::process::Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &ns.ns,
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-m",
                    "2",
                ])
                .args(["-w", "%{http_code}", &format!("{base}/search?q=books")])
                .output()
                .expect("run curl");
            out.stdout == b"200"
        });
    });
    drop(gw);
}

/// The ban of `ip` as `gateway ban list --json` shows it, if any.
fn listed(pins: &PinDir, ip: std::net::Ipv4Addr) -> Option<serde_json::Value> {
    let cidr = format!("{ip}/32");
    pins.json(&["ban", "list", "--json"])
        .as_array()?
        .iter()
        .find(|b| b["cidr"] == cidr.as_str())
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_ends_with_its_ttl_a_repeat_offender_is_banned_longer_and_an_allowlisted_client_never()
 {
    let attacker = VethNs::new();
    let friend = VethNs::new();
    let pins = PinDir::new();
    let up = upstream::Upstream::start("app").await;
    // Two WAF blocks (5 points each) reach the threshold; the first ban lasts 2 s,
    // the next one twice that.
    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 0.0.0.0:0\n\
upstreams:\n  u: {{ targets: [{}] }}\n\
routes:\n  - name: r\n    upstream: u\n\
waf: {{ mode: block }}\n\
edge: {{ interfaces: [{}, {}], mode: skb, pin_dir: {} }}\n\
bans: {{ threshold: 10, window: 1m, ttl: 2s, max_ttl: 1h, points: {{ waf: 5 }}, allow: [{}/32] }}\n",
        up.addr,
        attacker.host_if,
        friend.host_if,
        pins.base.display(),
        friend.peer_ip,
    );
    let state = pins.state.path().to_path_buf();
    let gw = tokio::task::spawn_blocking(move || {
        GatewayProcess::start_with_env(&yaml, &["p"], &[("GATEWAY_STATE_DIR", &state)])
    })
    .await
    .unwrap();
    let port = gw.addr("p").port();
    let attack = |ns: &VethNs| {
        status_from_namespace(
            ns,
            &format!("http://{}:{port}/search?q=1%27%20OR%201%3D1--", ns.host_ip),
        )
    };
    tokio::task::block_in_place(|| {
        // The allowlisted client attacks twice the threshold: blocked, never banned.
        for _ in 0..4 {
            assert_eq!(attack(&friend), Some(403), "the WAF still blocks a friend");
        }
        for _ in 0..2 {
            assert_eq!(attack(&attacker), Some(403));
        }
        wait_for("the attacker is banned", || {
            listed(&pins, attacker.peer_ip).is_some()
        });
        let first = listed(&pins, attacker.peer_ip).unwrap();
        assert!(
            first["remaining_secs"].as_u64().is_some_and(|s| s <= 2),
            "the first ban lasts the configured 2 s: {first}"
        );
        assert!(
            !attacker.tcp_connect(port),
            "the banned client's SYNs are dropped"
        );
        assert_eq!(
            listed(&pins, friend.peer_ip),
            None,
            "an allowlisted address is never banned"
        );
        assert!(
            friend.tcp_connect(port),
            "the allowlisted client still connects"
        );

        wait_for("the ban ends with its TTL", || attacker.tcp_connect(port));
        assert_eq!(
            listed(&pins, attacker.peer_ip),
            None,
            "the expired ban is gone"
        );

        for _ in 0..2 {
            assert_eq!(attack(&attacker), Some(403));
        }
        wait_for("the repeat offender is banned again", || {
            listed(&pins, attacker.peer_ip).is_some()
        });
        let second = listed(&pins, attacker.peer_ip).unwrap();
        assert!(
            second["remaining_secs"].as_u64().is_some_and(|s| s >= 3),
            "a repeat offender's ban lasts longer (2 s doubled): {second}"
        );
        assert!(!attacker.tcp_connect(port), "dropped again");
        assert_eq!(listed(&pins, friend.peer_ip), None);
    });
    drop(gw);
}

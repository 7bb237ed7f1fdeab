//! End to end: the real `gateway` binary attaches the XDP filter to a veth
//! whose peer lives in a private network namespace, and bans, unbans, imports
//! and re-attaches while traffic from the namespace is checked.
//!
//! Needs root, bpffs and the real XDP program (not an AYA_BUILD_SKIP build).
#[path = "support/edge.rs"]
mod edge;
#[path = "support/netns.rs"]
mod netns;

use std::{io::Write, net::TcpListener};

use edge::PinDir;
use netns::VethNs;

/// Packets counted under a `gateway edge stats --json` counter.
fn counter(pins: &PinDir, name: &str) -> u64 {
    let stats = pins.json(&["edge", "stats", "--json", "--interval", "1s"]);
    stats["counters"][name]["packets"]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter {name} in {stats}"))
}

/// Number of live bans `gateway ban list --json` shows.
fn ban_count(pins: &PinDir) -> usize {
    pins.json(&["ban", "list", "--json"])
        .as_array()
        .map_or(0, Vec::len)
}

/// Entries of a map as `gateway edge status --json` reports them.
fn map_entries(pins: &PinDir, map: &str) -> u64 {
    let status = pins.json(&["edge", "status", "--json"]);
    status["maps"]
        .as_array()
        .and_then(|maps| maps.iter().find(|m| m["name"] == map))
        .and_then(|m| m["entries"].as_u64())
        .unwrap_or_else(|| panic!("no map {map} in {status}"))
}

#[test]
fn a_ban_drops_traffic_from_the_namespace_and_ban_del_restores_it() {
    let net = VethNs::new();
    let pins = PinDir::new();
    let listener = TcpListener::bind((net.host_ip, 0)).expect("bind on the host side");
    let port = listener.local_addr().expect("local addr").port();

    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    assert!(
        net.ping_host(),
        "ping passes with the filter attached and no ban"
    );
    assert!(net.tcp_connect(port), "TCP passes with no ban");

    let dropped_before = counter(&pins, "drop_blocklist");
    pins.ok(&["ban", "add", &format!("{}/32", net.peer_ip), "--ttl", "1h"]);
    assert!(
        !net.ping_host(),
        "ping is dropped once the source is banned"
    );
    assert!(
        !net.tcp_connect(port),
        "TCP is dropped once the source is banned"
    );
    let dropped_after = counter(&pins, "drop_blocklist");
    assert!(
        dropped_after > dropped_before,
        "drop counter rose ({dropped_before} -> {dropped_after})"
    );
    let stats = pins.json(&["edge", "stats", "--json", "--interval", "1s"]);
    let top = stats["top_dropped"].to_string();
    assert!(
        top.contains(&net.peer_ip.to_string()),
        "top dropped sources name the peer: {top}"
    );

    pins.ok(&["ban", "del", &net.peer_ip.to_string()]);
    assert!(net.ping_host(), "ping passes again after ban del");
    assert!(net.tcp_connect(port), "TCP passes again after ban del");
}

#[test]
fn a_ban_survives_detach_and_reattach() {
    let net = VethNs::new();
    let pins = PinDir::new();
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    pins.ok(&["ban", "add", &net.peer_ip.to_string()]);
    assert!(!net.ping_host(), "banned source is dropped");

    pins.ok(&["edge", "detach", "--iface", &net.host_if]);
    assert!(net.ping_host(), "without the filter, traffic passes");
    let status = pins.json(&["edge", "status", "--json"]);
    assert_eq!(
        status["interfaces"].as_array().map(Vec::len),
        Some(0),
        "{status}"
    );

    // A "restart": a fresh load reuses the pinned maps, bans included.
    pins.ok(&[
        "edge",
        "attach",
        "--iface",
        &net.host_if,
        "--mode",
        "native",
    ]);
    assert_eq!(ban_count(&pins), 1, "the ban is still listed");
    assert!(!net.ping_host(), "the ban still holds after re-attaching");
    let status = pins.json(&["edge", "status", "--json"]);
    assert_eq!(
        status["interfaces"][0]["iface"],
        net.host_if.as_str(),
        "{status}"
    );
    assert_eq!(status["interfaces"][0]["mode"], "native", "{status}");

    // Uninstall: every link and every map goes.
    let err = pins.fails(&["edge", "detach", "--purge"]);
    assert!(err.contains("--all") || err.contains("--iface"), "{err}");
    pins.ok(&["edge", "detach", "--all", "--purge"]);
    assert!(net.ping_host(), "nothing filters after a purge");
    let status = pins.json(&["edge", "status", "--json"]);
    assert_eq!(
        status["interfaces"].as_array().map(Vec::len),
        Some(0),
        "{status}"
    );
    assert_eq!(status["maps"].as_array().map(Vec::len), Some(0), "{status}");
    assert_eq!(ban_count(&pins), 0, "the bans went with the maps");
}

#[test]
fn attaching_twice_is_refused_unless_forced() {
    let net = VethNs::new();
    let pins = PinDir::new();
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    let before = pins.json(&["edge", "status", "--json"]);
    let err = pins.fails(&["edge", "attach", "--iface", &net.host_if]);
    assert!(err.contains("already attached"), "{err}");

    pins.ok(&["ban", "add", &net.peer_ip.to_string()]);
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--force"]);
    let after = pins.json(&["edge", "status", "--json"]);
    let (b, a) = (&before["interfaces"][0], &after["interfaces"][0]);
    assert_eq!(
        a["link_id"], b["link_id"],
        "the link is kept: {before} {after}"
    );
    assert_ne!(
        a["program_id"], b["program_id"],
        "the program is new: {before} {after}"
    );
    assert_eq!(a["mode"], "skb", "{after}");
    assert!(!net.ping_host(), "the ban holds through the replacement");
    pins.ok(&["ban", "del", &net.peer_ip.to_string()]);
    assert!(
        net.ping_host(),
        "traffic passes through the replaced filter"
    );
    let err = pins.fails(&["edge", "detach", "--iface", "gwt-none0"]);
    assert!(err.contains("not attached"), "{err}");
}

#[test]
fn importing_100000_lines_works_and_a_file_with_a_bad_line_changes_nothing() {
    let pins = PinDir::new();
    let mut good = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(good, "# generated blocklist").expect("write");
    for i in 0..100_000u32 {
        // 100,000 host addresses of 198.18.0.0/15.
        let [_, b, c, d] = i.to_be_bytes();
        writeln!(good, "198.{}.{c}.{d}", 18 + b).expect("write");
    }
    let path = good.path().to_string_lossy().into_owned();
    let out = pins.ok(&["ban", "import", &path, "--ttl", "1h"]);
    assert!(out.contains("100000"), "{out}");
    assert_eq!(map_entries(&pins, "BLOCK_V4"), 100_000);
    assert_eq!(map_entries(&pins, "BLOCK_V6"), 0);

    let mut bad = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(
        bad,
        "198.19.2.0/24\n# fine so far\n198.19.2.300\n198.19.100.0/24"
    )
    .expect("write");
    let bad_path = bad.path().to_string_lossy().into_owned();
    let err = pins.fails(&["ban", "import", &bad_path]);
    assert!(
        err.contains(":3:") && err.contains("198.19.2.300"),
        "names the bad line: {err}"
    );
    assert_eq!(
        map_entries(&pins, "BLOCK_V4"),
        100_000,
        "nothing was inserted"
    );
    let bans = pins.json(&["ban", "list", "--json"]);
    assert!(
        !bans.to_string().contains("198.19.2.0/24"),
        "the good line before the bad one was not inserted"
    );
}

#[test]
fn a_ban_table_filled_to_capacity_refuses_new_bans_and_still_replaces_old_ones() {
    // As many consecutive addresses as the table takes: a structured set,
    // which the table's hash must place at full capacity.
    let pins = PinDir::new();
    let capacity = gateway_common::capacity::BLOCK;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let mut text = String::with_capacity(capacity as usize * 14);
    for i in 0..capacity {
        let [_, b, c, d] = i.to_be_bytes();
        text.push_str(&format!("10.{b}.{c}.{d}\n"));
    }
    file.write_all(text.as_bytes()).expect("write");
    let path = file.path().to_string_lossy().into_owned();
    let out = pins.ok(&["ban", "import", &path]);
    assert!(out.contains(&format!("{capacity} new")), "{out}");
    assert_eq!(map_entries(&pins, "BLOCK_V4"), u64::from(capacity));

    let err = pins.fails(&["ban", "add", "198.18.7.7"]);
    assert!(
        err.contains(&format!(
            "BLOCK_V4 is full: it holds {capacity} of {capacity}"
        )) && err.contains("nothing was changed"),
        "{err}"
    );
    let out = pins.ok(&["ban", "add", "10.0.0.9", "--ttl", "1h"]);
    assert!(
        out.contains("10.0.0.9/32 for 1h"),
        "a ban already there is replaced: {out}"
    );
    pins.ok(&["ban", "del", "10.0.0.9"]);
    pins.ok(&["ban", "add", "198.18.7.7"]);
    assert_eq!(map_entries(&pins, "BLOCK_V4"), u64::from(capacity));
}

/// The pinned CONFIG entry, read with bpftool (another program than ours).
fn pinned_config(pins: &PinDir) -> gateway_common::EdgeConfig {
    let path = pins
        .base
        .join(format!("v{}", gateway_common::LAYOUT_VERSION))
        .join("CONFIG");
    let out = std::process::Command::new("bpftool")
        .args(["-j", "map", "lookup", "pinned"])
        .arg(&path)
        .args(["key", "0", "0", "0", "0"])
        .output()
        .expect("run bpftool");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bpftool JSON");
    let bytes: Vec<u8> = json["value"]
        .as_array()
        .expect("value bytes")
        .iter()
        .map(|b| u8::from_str_radix(b.as_str().unwrap_or("").trim_start_matches("0x"), 16))
        .collect::<Result<_, _>>()
        .expect("hex bytes");
    assert_eq!(bytes.len(), size_of::<gateway_common::EdgeConfig>());
    // SAFETY: the length is checked, EdgeConfig is plain data valid for any bytes.
    unsafe {
        bytes
            .as_ptr()
            .cast::<gateway_common::EdgeConfig>()
            .read_unaligned()
    }
}

#[test]
fn config_tells_the_filter_which_lists_and_ban_lengths_to_look_up() {
    use gateway_common::skip;
    let pins = PinDir::new();
    let all = skip::ALLOW_V4 | skip::ALLOW_V6 | skip::LIMIT_V4 | skip::LIMIT_V6;
    pins.ok(&["ban", "add", "198.18.200.1"]);
    let config = pinned_config(&pins);
    assert_eq!(config.skip, all);
    assert_eq!(config.block_lens_v4, 1 << 32);
    assert!(
        config.tick_ns > 0 && config.tick_ns <= 10_000_000,
        "{}",
        config.tick_ns
    );
    pins.ok(&["ban", "add", "198.18.201.0/24"]);
    pins.ok(&["ban", "add", "2001:db8::/48"]);
    pins.ok(&["ban", "add", "2001:db8::1"]);
    let config = pinned_config(&pins);
    assert_eq!(config.block_lens_v4, 1 << 32 | 1 << 24);
    assert_eq!(config.block_lens_v6, [1 << 48, 0, 1]);
    pins.ok(&["ban", "del", "198.18.200.1"]);
    pins.ok(&["ban", "del", "2001:db8::/48"]);
    let config = pinned_config(&pins);
    assert_eq!(
        config.block_lens_v4,
        1 << 24,
        "a length without bans is dropped"
    );
    assert_eq!(config.block_lens_v6, [0, 0, 1]);
    pins.ok(&["ban", "del", "198.18.201.0/24"]);
    pins.ok(&["ban", "del", "2001:db8::1"]);
    pins.ok(&["allow", "add", "2001:db8::/32"]);
    let config = pinned_config(&pins);
    assert_eq!(config.skip, all & !skip::ALLOW_V6);
    assert_eq!((config.block_lens_v4, config.block_lens_v6), (0, [0; 3]));
    pins.ok(&["allow", "del", "2001:db8::/32"]);
    assert_eq!(pinned_config(&pins).skip, all, "every list is empty again");
}

#[test]
fn bad_input_gives_clear_errors_and_changes_nothing() {
    let pins = PinDir::new();
    pins.ok(&["ban", "add", "198.19.2.1"]);

    let err = pins.fails(&["ban", "add", "198.19.2.999"]);
    assert!(
        err.contains("invalid CIDR") && err.contains("198.19.2.999"),
        "{err}"
    );
    let err = pins.fails(&["ban", "add", "198.19.2.0/33"]);
    assert!(err.contains("invalid CIDR"), "{err}");
    let err = pins.fails(&["ban", "add", "198.19.2.7", "--ttl", "soon"]);
    assert!(err.contains("invalid TTL") && err.contains("soon"), "{err}");
    let err = pins.fails(&["ban", "add", "198.19.2.7", "--reason", " "]);
    assert!(err.contains("unknown ban reason"), "{err}");
    let err = pins.fails(&["edge", "attach", "--iface", "gwt-nosuch0"]);
    assert!(
        err.contains("no network interface") && err.contains("gwt-nosuch0"),
        "{err}"
    );
    let err = pins.fails(&["ban", "del", "198.19.2.2"]);
    assert!(err.contains("not in the blocklist"), "{err}");
    assert_eq!(ban_count(&pins), 1, "only the first, valid ban exists");

    pins.ok(&[
        "ban",
        "add",
        "198.19.2.8",
        "--reason",
        "scanner from ticket 42",
    ]);
    let bans = pins.json(&["ban", "list", "--json"]);
    let noted = bans
        .as_array()
        .and_then(|b| b.iter().find(|b| b["cidr"] == "198.19.2.8/32"))
        .unwrap_or_else(|| panic!("198.19.2.8 listed: {bans}"));
    assert_eq!(noted["reason"], "manual", "{noted}");
    assert_eq!(noted["note"], "scanner from ticket 42", "{noted}");
    assert_eq!(noted["origin"], "cli", "{noted}");
    pins.ok(&["ban", "del", "198.19.2.8"]);

    let out = pins.gateway(&["ban", "add", "198.19.2.77/24"]);
    assert!(out.status.success());
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(
        warning.contains("198.19.2.0/24"),
        "host bits are normalised with a warning: {warning}"
    );
}

#[test]
fn a_pinned_map_of_another_shape_is_refused_rather_than_reused() {
    let pins = PinDir::new();
    let dir = pins
        .base
        .join(format!("v{}", gateway_common::LAYOUT_VERSION));
    std::fs::create_dir_all(&dir).expect("create the pin dir on bpffs");
    let config = dir.join("CONFIG");
    netns::run(
        "bpftool",
        &[
            "map",
            "create",
            &config.to_string_lossy(),
            "type",
            "array",
            "key",
            "4",
            "value",
            "8",
            "entries",
            "1",
            "name",
            "CONFIG",
        ],
    );
    let err = pins.fails(&["ban", "add", "198.19.3.1"]);
    assert!(
        err.contains("incompatible") && err.contains("CONFIG") && err.contains("value size 8"),
        "{err}"
    );
    let err = pins.fails(&["edge", "status"]);
    assert!(err.contains("incompatible"), "{err}");
}

#[test]
fn a_filter_left_by_a_newer_layout_version_is_replaced_only_with_force() {
    let net = VethNs::new();
    let pins = PinDir::new();
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    // Pretend a newer gateway pinned this link under its own layout directory
    // (an older one of ours is upgraded without --force: tests/edge_upgrade.rs).
    let newer = gateway_common::LAYOUT_VERSION + 1;
    let old = pins.base.join(format!("v{newer}"));
    std::fs::create_dir_all(&old).expect("create the newer layout's dir");
    let link = format!("link_{}", net.host_if);
    std::fs::rename(
        pins.base
            .join(format!("v{}", gateway_common::LAYOUT_VERSION))
            .join(&link),
        old.join(&link),
    )
    .expect("move the pin");

    let err = pins.fails(&["edge", "attach", "--iface", &net.host_if]);
    assert!(
        err.contains(&format!("layout v{newer}")) && err.contains("cannot read"),
        "{err}"
    );
    let status = pins.ok(&["edge", "status"]);
    assert!(status.contains("another map layout"), "{status}");

    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--force"]);
    assert!(!old.join(&link).exists(), "the old layout's link is gone");
    pins.ok(&["ban", "add", &net.peer_ip.to_string()]);
    assert!(!net.ping_host(), "the new filter drops the banned source");
}

#[test]
fn a_default_rate_limit_drops_a_flood_and_pps_0_turns_it_off() {
    let net = VethNs::new();
    let pins = PinDir::new();
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    assert!(net.ping_host(), "no limit: traffic passes");

    pins.ok(&["edge", "limit", "set", "--pps", "1", "--burst", "2"]);
    let shown = pins.json(&["edge", "limit", "show", "--json"]);
    assert_eq!(shown["default"]["pps"], 1, "{shown}");
    let answered = net.ping_burst(30);
    assert!(
        answered < 30,
        "a 1 pps limit drops most of a 100 pps burst ({answered}/30 answered)"
    );
    assert!(
        counter(&pins, "drop_rate") > 0,
        "the rate drop counter rose"
    );
    assert_eq!(
        map_entries(&pins, "BUCKETS_V4"),
        1,
        "edge status counts the peer as a tracked source"
    );

    // An override for the peer's CIDR beats the default; removing it restores the default.
    let peer = format!("{}/32", net.peer_ip);
    pins.ok(&[
        "edge", "limit", "set", "--pps", "1000", "--burst", "1000", "--cidr", &peer,
    ]);
    assert_eq!(
        net.ping_burst(30),
        30,
        "the generous override lets the burst through"
    );
    pins.ok(&["edge", "limit", "del", "--cidr", &peer]);
    assert!(
        net.ping_burst(30) < 30,
        "without the override the default limit applies again"
    );

    pins.ok(&["edge", "limit", "set", "--pps", "0"]);
    assert_eq!(net.ping_burst(30), 30, "pps 0 disables the rate stage");
    assert_eq!(
        map_entries(&pins, "BUCKETS_V4"),
        0,
        "limit set emptied the buckets, and pps 0 claims none"
    );
}

#[test]
fn monitor_mode_counts_a_banned_source_but_lets_it_through() {
    let net = VethNs::new();
    let pins = PinDir::new();
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    pins.ok(&["ban", "add", &net.peer_ip.to_string()]);
    assert!(!net.ping_host(), "banned source is dropped");

    pins.ok(&["edge", "monitor", "on"]);
    let before = counter(&pins, "monitor_blocklist");
    assert!(net.ping_host(), "monitor mode drops nothing");
    assert!(
        counter(&pins, "monitor_blocklist") > before,
        "would-be drops are counted"
    );

    pins.ok(&["edge", "monitor", "off"]);
    assert!(!net.ping_host(), "monitor off: the ban drops again");
}

#[test]
fn an_allowlisted_source_passes_despite_a_ban() {
    let net = VethNs::new();
    let pins = PinDir::new();
    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    pins.ok(&["ban", "add", &net.peer_ip.to_string()]);
    assert!(!net.ping_host(), "banned source is dropped");

    let peer = format!("{}/32", net.peer_ip);
    pins.ok(&["allow", "add", &peer]);
    let listed = pins.json(&["allow", "list", "--json"]).to_string();
    assert!(listed.contains(&peer), "{listed}");
    let before = counter(&pins, "pass_allowlist");
    assert!(net.ping_host(), "the allowlist wins over the ban");
    assert!(
        counter(&pins, "pass_allowlist") > before,
        "allowlist passes are counted"
    );

    // Removing one entry recomputes the allowlist hints: the others keep theirs.
    let around = format!(
        "{}/24",
        ipnet::Ipv4Net::new(net.peer_ip, 24)
            .unwrap()
            .trunc()
            .network()
    );
    pins.ok(&["allow", "add", &around]);
    pins.ok(&["allow", "del", &peer]);
    assert!(net.ping_host(), "still allowlisted by {around}");
    pins.ok(&["allow", "del", &around]);
    assert!(
        !net.ping_host(),
        "without the allowlist entries the ban drops again"
    );
}

#[test]
fn the_daemon_sweep_removes_expired_bans_a_slice_at_a_time_then_their_prefix_length() {
    use gateway::edge::{Edge, sweep::SLICES};
    use gateway_common::BanReason;
    use ipnet::IpNet;
    use std::time::Duration;

    let pins = PinDir::new();
    pins.ok(&["ban", "add", "198.19.0.0/16", "--ttl", "1h"]);
    let mut edge = Edge::open(&pins.base).expect("open the pinned maps");
    let live: Vec<IpNet> = (0..200u32)
        .map(|i| {
            format!("198.19.{}.{}/32", i / 100, i % 100)
                .parse()
                .unwrap()
        })
        .collect();
    let expired: Vec<IpNet> = (0..2000u32)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap())
        .collect();
    edge.ban_import(&live, Some(Duration::from_secs(3600)), BanReason::Import)
        .expect("import live bans");
    edge.ban_import(&expired, Some(Duration::from_nanos(1)), BanReason::Import)
        .expect("import bans that expire at once");
    assert_eq!(ban_count(&pins), 201, "ban list hides expired bans");
    let lens = |e: &Edge| e.config().expect("read CONFIG").block_lens_v4;
    assert_ne!(lens(&edge) & 1 << 24, 0);

    // One step walks a slice of the rows: some of the expired bans, not all.
    let first = edge.sweep_step().expect("sweep step");
    assert!(0 < first && first < expired.len(), "{first} removed");
    assert_ne!(
        lens(&edge) & 1 << 24,
        0,
        "a stale bit stays until the cycle ends"
    );
    let rest: usize = (1..SLICES)
        .map(|_| edge.sweep_step().expect("sweep step"))
        .sum();
    assert_eq!(
        first + rest,
        expired.len(),
        "a cycle removes every expired ban"
    );
    assert_eq!(
        lens(&edge),
        1 << 32 | 1 << 16,
        "the /24 length is no longer probed"
    );
    assert_eq!(edge.all_bans().expect("bans").len(), 201, "live bans stay");

    // `ban sweep` does it all at once.
    edge.ban_import(&expired, Some(Duration::from_nanos(1)), BanReason::Import)
        .expect("import bans that expire at once");
    let out = pins.ok(&["ban", "sweep"]);
    assert!(out.contains("removed 2000 expired bans"), "{out}");
    assert_eq!(lens(&edge), 1 << 32 | 1 << 16);
}

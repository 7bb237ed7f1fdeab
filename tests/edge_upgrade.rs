//! End to end: an upgrade from map layout v3 or v4 carries the old filter's
//! state over. A genuine old pin directory is built with bpftool (that
//! layout's map definitions, byte for byte: v3's CONFIG is 80 bytes and its
//! token buckets an LRU hash; v4's CONFIG is 88 bytes, its buckets tables,
//! and neither has the ban tables' spill maps), filled with bans, an
//! allowlist entry, a rate override and settings, and given a link on a
//! veth; then the real `gateway` binary attaches the current filter there
//! without `--force`.
//!
//! Needs root, bpffs, bpftool and the real XDP program (not an AYA_BUILD_SKIP build).
#[path = "support/edge.rs"]
mod edge;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/netns.rs"]
mod netns;

use std::path::{Path, PathBuf};

use edge::PinDir;
use gateway::GatewayProcess;
use gateway_common::{LAYOUT_VERSION, table};
use netns::VethNs;

/// Creates one pinned map with bpftool.
fn create(dir: &Path, name: &str, kind: &str, key: u32, value: u32, entries: u32, flags: u32) {
    let path = dir.join(name);
    let (key, value, entries, flags) = (
        key.to_string(),
        value.to_string(),
        entries.to_string(),
        flags.to_string(),
    );
    netns::run(
        "bpftool",
        &[
            "map",
            "create",
            &path.to_string_lossy(),
            "type",
            kind,
            "key",
            &key,
            "value",
            &value,
            "entries",
            &entries,
            "name",
            name,
            "flags",
            &flags,
        ],
    );
}

/// Writes one entry of a pinned map with bpftool.
fn update(dir: &Path, name: &str, key: &[u8], value: &[u8]) {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>();
    let path = dir.join(name).to_string_lossy().into_owned();
    let mut args = vec!["map", "update", "pinned", &path, "key", "hex"];
    let (k, v) = (hex(key), hex(value));
    args.extend(k.iter().map(String::as_str));
    args.extend(["value", "hex"]);
    args.extend(v.iter().map(String::as_str));
    netns::run("bpftool", &args);
}

/// Now on `CLOCK_MONOTONIC`, the clock ban expiries use.
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A ban slot as the v3 (and v4) tables store it: key word, then the `BanValue`.
fn ban_v4(addr: [u8; 4], len: u32, expires_ns: u64, reason: u32) -> Vec<u8> {
    let key = table::key_v4(len, u32::from_be_bytes(addr));
    let mut out = key.to_ne_bytes().to_vec();
    out.extend(ban_value(expires_ns, reason));
    out
}

fn ban_value(expires_ns: u64, reason: u32) -> Vec<u8> {
    let mut out = expires_ns.to_ne_bytes().to_vec();
    out.extend(1_700_000_000u64.to_ne_bytes());
    out.extend(reason.to_ne_bytes());
    out.extend(0u32.to_ne_bytes());
    out
}

/// An LPM trie key: prefix length (host order), then the address.
fn lpm(len: u32, addr: &[u8]) -> Vec<u8> {
    let mut out = len.to_ne_bytes().to_vec();
    out.extend(addr);
    out
}

const BLOCK_ROWS: u32 = table::BLOCK_ROWS;
const MMAPABLE: u32 = 1024;
const NO_PREALLOC: u32 = 1;

/// Creates every map of layout v3 in `{base}/v3`, as a v3 gateway pins them
/// (sizes from the v3 definitions: `git show c293757:gateway-common/src/lib.rs`).
fn v3_layout(base: &Path) -> PathBuf {
    old_layout(base, 3)
}

/// Creates every map of layout v3 to v7 in `{base}/v{version}` (v4's
/// definitions: `git show f37c533:gateway-common/src/lib.rs`; v5 added the
/// hint maps and v6 the cover maps, as `gateway_common` at f790d2c has them;
/// v7 changed only the ban tables' hash).
fn old_layout(base: &Path, version: u32) -> PathBuf {
    let dir = base.join(format!("v{version}"));
    std::fs::create_dir_all(&dir).expect("create the old layout on bpffs");
    create(&dir, "ALLOW_V4", "lpm_trie", 8, 1, 1 << 16, NO_PREALLOC);
    create(&dir, "ALLOW_V6", "lpm_trie", 20, 1, 1 << 16, NO_PREALLOC);
    create(&dir, "BLOCK_V4", "array", 4, 4 * 32, BLOCK_ROWS, MMAPABLE);
    create(&dir, "BLOCK_V6", "array", 4, 4 * 48, BLOCK_ROWS, MMAPABLE);
    create(&dir, "LIMIT_V4", "lpm_trie", 8, 16, 1 << 14, NO_PREALLOC);
    create(&dir, "LIMIT_V6", "lpm_trie", 20, 16, 1 << 14, NO_PREALLOC);
    if version == 3 {
        create(&dir, "BUCKETS", "lru_hash", 24, 32, 1 << 18, 0);
        create(&dir, "CONFIG", "array", 4, 80, 1, 0);
    } else {
        // Rows: 4 key words and 4 buckets of 32 bytes; IPv6 adds 4 networks.
        create(&dir, "BUCKETS_V4", "array", 4, 160, 1 << 16, MMAPABLE);
        create(&dir, "BUCKETS_V6", "array", 4, 224, 1 << 15, MMAPABLE);
        let config = if version == 4 { 88 } else { 272 };
        create(&dir, "CONFIG", "array", 4, config, 1, 0);
    }
    if version >= 5 {
        for hints in [
            "ALLOW_HINTS_V4",
            "ALLOW_HINTS_V6",
            "LIMIT_HINTS_V4",
            "LIMIT_HINTS_V6",
        ] {
            create(&dir, hints, "array", 4, 8, 1024, 0);
        }
    }
    if version >= 6 {
        for cover in ["BAN_COVER_V4", "BAN_COVER_V6"] {
            create(&dir, cover, "array", 4, 8, 1 << 19, MMAPABLE);
        }
    }
    create(&dir, "STATS", "percpu_array", 4, 16, 24, 0);
    create(&dir, "DROPS", "lru_hash", 24, 40, 1 << 14, 0);
    create(&dir, "EVENTS", "ringbuf", 0, 0, 1 << 16, 0);
    dir
}

/// A v3 CONFIG: 1000 pps burst 2000, buckets per IPv4 /24 and IPv6 /56, monitor off.
fn v3_config() -> Vec<u8> {
    let mut c = Vec::new();
    c.extend(1000u64.to_ne_bytes());
    c.extend(2000u64.to_ne_bytes());
    c.extend(24u32.to_ne_bytes()); // prefix_v4
    c.extend(56u32.to_ne_bytes()); // prefix_v6
    c.extend(0u32.to_ne_bytes()); // monitor
    c.extend(0u32.to_ne_bytes()); // skip
    c.extend(((1u64 << 32) | (1 << 24)).to_ne_bytes()); // block_lens_v4
    c.extend([0u64, 1 << 48, 0].iter().flat_map(|w| w.to_ne_bytes())); // block_lens_v6
    c.extend((BLOCK_ROWS - 1).to_ne_bytes()); // block_row_mask
    c.extend(4_000_000u32.to_ne_bytes()); // tick_ns
    c.extend(0x1234_5678_9abc_def0u64.to_ne_bytes()); // table_seed
    assert_eq!(c.len(), 80);
    c
}

/// A v4 CONFIG: v3's, then the bucket tables' row masks.
fn v4_config() -> Vec<u8> {
    let mut c = v3_config();
    c.extend(((1u32 << 16) - 1).to_ne_bytes()); // bucket_mask_v4
    c.extend(((1u32 << 15) - 1).to_ne_bytes()); // bucket_mask_v6
    c
}

/// A v5 CONFIG: v4's, then the probe order of the lengths in use.
fn v5_config() -> Vec<u8> {
    let mut c = v4_config();
    c.extend(2u32.to_ne_bytes()); // block_count_v4
    c.extend(1u32.to_ne_bytes()); // block_count_v6
    let mut order_v4 = [0u8; 40];
    order_v4[..2].copy_from_slice(&[32, 24]);
    let mut order_v6 = [0u8; 136];
    order_v6[0] = 48;
    c.extend(order_v4);
    c.extend(order_v6);
    assert_eq!(c.len(), 272);
    c
}

/// The notes file a gateway keeps for `base` in the state directory.
fn notes_path(pins: &PinDir) -> PathBuf {
    let tag: String = pins
        .base
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    pins.state.path().join(format!("ban-notes{tag}.json"))
}

/// Moves a link of the current filter, attached under a scratch pin base, into
/// `{dir}`: to the kernel and to `gateway`, the interface then runs that layout's filter.
fn pretend_attached(dir: &Path, net: &VethNs) {
    let scratch = PinDir::new();
    scratch.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    let link = format!("link_{}", net.host_if);
    std::fs::create_dir_all(dir).expect("create the layout dir");
    std::fs::rename(
        scratch.base.join(format!("v{LAYOUT_VERSION}")).join(&link),
        dir.join(&link),
    )
    .expect("move the link pin");
}

#[test]
fn an_upgrade_from_layout_v3_carries_bans_allowlist_limits_and_settings_over() {
    let net = VethNs::new();
    let pins = PinDir::new();
    let v3 = v3_layout(&pins.base);
    let peer = net.peer_ip.octets();
    let in_an_hour = monotonic_ns() + 3600 * 1_000_000_000;
    // Row 0 of the old table: the old seed put them anywhere; the reader scans every row.
    let mut row = ban_v4(peer, 32, 0, 2);
    row.extend(ban_v4([198, 19, 77, 0], 24, 1, 1)); // expired long ago
    row.extend(ban_v4([198, 19, 78, 0], 24, in_an_hour, 4));
    row.extend(vec![0; 32]);
    update(&v3, "BLOCK_V4", &[0, 0, 0, 0], &row);
    let mut row6 = table::key_v6(48).to_ne_bytes().to_vec();
    row6.extend(0x2001_0db8_0066_0000u64.to_ne_bytes());
    row6.extend(0u64.to_ne_bytes());
    row6.extend(ban_value(0, 5));
    row6.extend(vec![0; 3 * 48]);
    update(&v3, "BLOCK_V6", &[7, 0, 0, 0], &row6);
    update(&v3, "ALLOW_V4", &lpm(24, &[198, 19, 99, 0]), &[1]);
    let mut limit = 50u64.to_ne_bytes().to_vec();
    limit.extend(100u64.to_ne_bytes());
    update(&v3, "LIMIT_V4", &lpm(24, &[198, 19, 100, 0]), &limit);
    update(&v3, "CONFIG", &[0, 0, 0, 0], &v3_config());
    let peer_cidr = format!("{}/32", net.peer_ip);
    std::fs::write(
        notes_path(&pins),
        serde_json::json!({ peer_cidr.clone(): "scanner, ticket 7" }).to_string(),
    )
    .expect("write the notes");
    pretend_attached(&v3, &net);
    assert!(net.ping_host(), "the old filter's own maps ban nothing");

    let out = pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    assert!(out.contains("upgraded from map layout v3"), "{out}");
    assert!(
        out.contains("replaced the program"),
        "swapped on the old link: {out}"
    );

    assert!(
        !net.ping_host(),
        "the carried ban drops the peer on the upgraded filter"
    );
    let bans = pins.json(&["ban", "list", "--json"]);
    let find = |cidr: &str| {
        bans.as_array()
            .and_then(|a| a.iter().find(|b| b["cidr"] == cidr))
            .cloned()
    };
    let ban = find(&peer_cidr).unwrap_or_else(|| panic!("{peer_cidr} carried: {bans}"));
    assert_eq!(ban["reason"], "waf", "{ban}");
    assert!(ban["expires"].is_null(), "still permanent: {ban}");
    assert_eq!(ban["note"], "scanner, ticket 7", "{ban}");
    assert!(ban["created"].to_string().contains("2023-11-14"), "{ban}");
    let timed = find("198.19.78.0/24").unwrap_or_else(|| panic!("timed ban carried: {bans}"));
    assert_eq!(timed["reason"], "rate");
    let left = timed["remaining_secs"].as_u64().expect("a timed ban");
    assert!((3500..=3600).contains(&left), "its expiry is kept: {timed}");
    let v6 = find("2001:db8:66::/48").unwrap_or_else(|| panic!("IPv6 ban carried: {bans}"));
    assert_eq!(v6["reason"], "cluster");
    assert!(
        find("198.19.77.0/24").is_none(),
        "expired bans stay behind: {bans}"
    );
    assert_eq!(bans.as_array().map(Vec::len), Some(3), "{bans}");

    let allow = pins.json(&["allow", "list", "--json"]);
    assert_eq!(allow, serde_json::json!(["198.19.99.0/24"]));
    let limits = pins.json(&["edge", "limit", "show", "--json"]);
    assert_eq!(limits["default"]["pps"], 1000, "{limits}");
    assert_eq!(limits["default"]["burst"], 2000, "{limits}");
    assert_eq!(
        limits["overrides"][0]["cidr"], "198.19.100.0/24",
        "{limits}"
    );
    assert_eq!(limits["overrides"][0]["pps"], 50, "{limits}");
    let status = pins.json(&["edge", "status", "--json"]);
    assert_eq!(status["config"]["prefix_v4"], 24, "{status}");
    assert_eq!(status["config"]["prefix_v6"], 56, "{status}");
    assert_eq!(
        status["interfaces"][0]["iface"], net.host_if,
        "the link is pinned in the current layout: {status}"
    );
    assert!(
        !v3.exists(),
        "the old layout's pins are removed once unused"
    );
}

#[test]
fn an_upgrade_from_layout_v4_carries_bans_and_settings_over() {
    upgrade_carries_bans_and_settings_over(4, v4_config());
}

#[test]
fn an_upgrade_from_layout_v5_carries_bans_and_settings_over() {
    upgrade_carries_bans_and_settings_over(5, v5_config());
}

/// v6's maps are v5's and the cover maps; its ban tables are hashed another
/// way than today's, so the bans are re-inserted, and drop only if carried.
#[test]
fn an_upgrade_from_layout_v6_carries_bans_and_settings_over() {
    upgrade_carries_bans_and_settings_over(6, v5_config());
}

/// v7's maps are v6's, with the ban tables hashed by multiply-shift.
#[test]
fn an_upgrade_from_layout_v7_carries_bans_and_settings_over() {
    upgrade_carries_bans_and_settings_over(7, v5_config());
}

fn upgrade_carries_bans_and_settings_over(version: u32, config: Vec<u8>) {
    let net = VethNs::new();
    let pins = PinDir::new();
    let v4 = old_layout(&pins.base, version);
    let mut row = ban_v4(net.peer_ip.octets(), 32, 0, 1);
    if version >= 5 {
        // The row's spill mark (bit 62 of slot 0's key word) is not part of the key.
        row[7] |= 0x40;
    }
    row.extend(ban_v4([198, 19, 79, 0], 24, 0, 6));
    row.extend(vec![0; 2 * 32]);
    update(&v4, "BLOCK_V4", &[3, 0, 0, 0], &row);
    update(&v4, "CONFIG", &[0, 0, 0, 0], &config);
    pretend_attached(&v4, &net);
    assert!(net.ping_host(), "the old filter's own maps ban nothing");

    let out = pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    assert!(
        out.contains(&format!("upgraded from map layout v{version}")),
        "{out}"
    );
    assert!(
        !net.ping_host(),
        "the carried ban drops the peer on the upgraded filter"
    );
    let bans = pins.json(&["ban", "list", "--json"]).to_string();
    assert!(bans.contains(&format!("{}/32", net.peer_ip)), "{bans}");
    assert!(
        bans.contains("198.19.79.0/24") && bans.contains("import"),
        "{bans}"
    );
    let status = pins.json(&["edge", "status", "--json"]);
    assert_eq!(status["config"]["prefix_v4"], 24, "{status}");
    assert_eq!(status["config"]["prefix_v6"], 56, "{status}");
    assert!(
        !v4.exists(),
        "the old layout's pins are removed once unused"
    );
}

#[test]
fn a_v3_layout_is_carried_over_when_a_command_creates_the_new_maps() {
    let pins = PinDir::new();
    let v3 = v3_layout(&pins.base);
    let mut row = ban_v4([198, 19, 80, 1], 32, 0, 1);
    row.extend(vec![0; 3 * 32]);
    update(&v3, "BLOCK_V4", &[9, 0, 0, 0], &row);
    update(&v3, "CONFIG", &[0, 0, 0, 0], &v3_config());

    // Any command that creates the current maps carries the old state in first.
    pins.ok(&["ban", "add", "198.19.80.2"]);
    let bans = pins.json(&["ban", "list", "--json"]).to_string();
    assert!(bans.contains("198.19.80.1/32"), "{bans}");
    assert!(bans.contains("198.19.80.2/32"), "{bans}");
    assert!(
        !v3.exists(),
        "no filter ran on the old maps: they are removed"
    );
}

#[test]
fn an_older_layout_this_gateway_cannot_read_is_refused_unless_forced() {
    let net = VethNs::new();
    let pins = PinDir::new();
    let v2 = pins.base.join("v2");
    std::fs::create_dir_all(&v2).expect("create v2");
    create(&v2, "CONFIG", "array", 4, 64, 1, 0);
    pretend_attached(&v2, &net);

    let err = pins.fails(&["edge", "attach", "--iface", &net.host_if]);
    assert!(
        err.contains("layout v2") && err.contains("cannot read") && err.contains("--force"),
        "{err}"
    );
    assert!(
        !pins
            .base
            .join(format!("v{LAYOUT_VERSION}"))
            .join("CONFIG")
            .exists(),
        "nothing was created"
    );
    let status = pins.ok(&["edge", "status"]);
    assert!(status.contains("cannot read"), "{status}");

    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--force"]);
    pins.ok(&["ban", "add", &net.peer_ip.to_string()]);
    assert!(!net.ping_host(), "the new filter runs");
}

#[test]
fn bans_the_old_filter_gains_after_the_new_maps_exist_are_merged_on_attach() {
    let net = VethNs::new();
    let pins = PinDir::new();
    let v3 = v3_layout(&pins.base);
    update(&v3, "CONFIG", &[0, 0, 0, 0], &v3_config());
    pretend_attached(&v3, &net);
    // The new binary's CLI creates the current maps while the old filter still runs...
    pins.ok(&["ban", "add", "198.19.82.1"]);
    assert!(
        v3.exists(),
        "the old layout stays while its filter is attached"
    );
    let status = pins.json(&["edge", "status", "--json"]);
    let old = &status["other_layouts"][0];
    assert_eq!(old["version"], 3, "{status}");
    assert_eq!(
        old["interfaces"],
        serde_json::json!([net.host_if]),
        "{status}"
    );
    assert_eq!(old["carries_over"], true, "{status}");
    let text = pins.ok(&["edge", "status"]);
    assert!(
        text.contains("still attached to") && text.contains("upgrades it"),
        "{text}"
    );
    // ...and the old daemon, still running, bans the peer in the old maps.
    let mut row = ban_v4(net.peer_ip.octets(), 32, 0, 3);
    row.extend(vec![0; 3 * 32]);
    update(&v3, "BLOCK_V4", &[3, 0, 0, 0], &row);

    pins.ok(&["edge", "attach", "--iface", &net.host_if, "--mode", "skb"]);
    assert!(
        !net.ping_host(),
        "the late ban is merged in and drops the peer"
    );
    let bans = pins.json(&["ban", "list", "--json"]).to_string();
    assert!(bans.contains("198.19.82.1/32"), "{bans}");
    assert!(bans.contains(&format!("{}/32", net.peer_ip)), "{bans}");
    assert!(
        !v3.exists(),
        "the old layout is removed after its last interface moved"
    );
}

#[test]
fn gateway_run_upgrades_a_configured_interface_running_the_v3_filter() {
    let net = VethNs::new();
    let pins = PinDir::new();
    let v3 = v3_layout(&pins.base);
    let mut row = ban_v4(net.peer_ip.octets(), 32, 0, 2);
    row.extend(vec![0; 3 * 32]);
    update(&v3, "BLOCK_V4", &[11, 0, 0, 0], &row);
    update(&v3, "CONFIG", &[0, 0, 0, 0], &v3_config());
    pretend_attached(&v3, &net);
    assert!(net.ping_host(), "the old filter's own maps ban nothing");

    let yaml = format!(
        "listeners:\n  - name: p\n    bind: 127.0.0.1:0\n\
upstreams:\n  u: {{ targets: [127.0.0.1:9] }}\n\
routes:\n  - name: r\n    upstream: u\n\
edge: {{ interfaces: [{}], mode: skb, pin_dir: {} }}\n",
        net.host_if,
        pins.base.display(),
    );
    let _gw =
        GatewayProcess::start_with_env(&yaml, &["p"], &[("GATEWAY_STATE_DIR", pins.state.path())]);
    assert!(
        !net.ping_host(),
        "the daemon's filter drops the carried ban"
    );
    let bans = pins.json(&["ban", "list", "--json"]).to_string();
    assert!(bans.contains(&format!("{}/32", net.peer_ip)), "{bans}");
    assert!(
        !v3.exists(),
        "the old layout is removed once the daemon moved its interface"
    );
    let status = pins.json(&["edge", "status", "--json"]);
    assert_eq!(status["interfaces"][0]["iface"], net.host_if, "{status}");
}

//! The XDP program run through `BPF_PROG_TEST_RUN` on crafted frames: the verdict,
//! the STATS counters, the DROPS map and the EVENTS ring for every stage.
//!
//! Each test loads its own copy of the embedded object (nothing is pinned), so
//! tests share no maps and run in parallel. Needs root (CAP_BPF).

#[path = "support/frames.rs"]
mod frames;
#[path = "support/test_run.rs"]
mod test_run;

use std::{
    net::Ipv6Addr,
    thread,
    time::{Duration, Instant},
};

use frames::{Frame, TPID_8021AD, TPID_8021Q};
use gateway_common::{BanReason, EdgeConfig, stat};
use test_run::{
    DST4, DST6, Filter, XDP_DROP, XDP_PASS, limited, monotonic_ns, pin_to_one_cpu, v4, v4_key, v6,
    v6_key,
};

// ---- parsing ----

#[test]
fn ipv4_from_an_unlisted_source_passes_and_counts_packets_and_bytes() {
    let filter = Filter::with_config(EdgeConfig::DEFAULT);
    let frame = Frame::new().ipv4_udp(v4(198, 18, 1, 1), DST4, b"hello");
    assert_eq!(filter.run(&frame), XDP_PASS);
    assert_eq!(filter.run(&frame), XDP_PASS);
    let pass = filter.stat(stat::PASS);
    assert_eq!(pass.packets, 2);
    assert_eq!(pass.bytes, 2 * frame.len() as u64);
    assert_eq!(filter.packets(stat::PASS_NON_IP), 0);
    assert_eq!(filter.packets(stat::PASS_MALFORMED), 0);
}

#[test]
fn ipv6_from_an_unlisted_source_passes() {
    let filter = Filter::with_config(EdgeConfig::DEFAULT);
    let frame = Frame::new().ipv6_tcp_syn(v6("2001:db8:1::5"), DST6, 443);
    assert_eq!(filter.run(&frame), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS), 1);
}

#[test]
fn arp_passes_and_is_counted_as_non_ip() {
    let filter = Filter::with_config(EdgeConfig::DEFAULT);
    let frame = Frame::new().arp_request(v4(198, 18, 1, 1), DST4);
    assert_eq!(filter.run(&frame), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_NON_IP), 1);
    assert_eq!(filter.packets(stat::PASS), 0);
}

#[test]
fn vlan_tagged_ipv4_from_a_blocked_source_is_dropped() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.7.0/24", BanReason::Manual, 0);
    let frame = Frame::new()
        .vlan(TPID_8021Q, 42)
        .ipv4_udp(v4(198, 18, 7, 9), DST4, b"x");
    assert_eq!(filter.run(&frame), XDP_DROP);
    assert_eq!(filter.shown_packets("drop_blocklist"), 1);
    let unbanned = Frame::new()
        .vlan(TPID_8021Q, 42)
        .ipv4_udp(v4(198, 18, 8, 9), DST4, b"x");
    assert_eq!(filter.run(&unbanned), XDP_PASS);
}

#[test]
fn qinq_tagged_ipv4_and_ipv6_from_blocked_sources_are_dropped() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.7.0/24", BanReason::Manual, 0);
    filter.ban("2001:db8:bad::/48", BanReason::Manual, 0);
    let qinq = Frame::new().vlan(TPID_8021AD, 100).vlan(TPID_8021Q, 42);
    assert_eq!(qinq.l3_offset(), 22);
    assert_eq!(
        filter.run(&qinq.ipv4_udp(v4(198, 18, 7, 9), DST4, b"x")),
        XDP_DROP
    );
    assert_eq!(
        filter.run(&qinq.ipv6_udp(v6("2001:db8:bad:1::1"), DST6, b"x")),
        XDP_DROP
    );
    assert_eq!(
        filter.run(&qinq.ipv6_udp(v6("2001:db8:900d::1"), DST6, b"x")),
        XDP_PASS
    );
    assert_eq!(filter.shown_packets("drop_blocklist"), 2);
    assert_eq!(filter.packets(stat::PASS), 1);
}

#[test]
fn truncated_ipv4_header_is_counted_as_malformed_and_passed() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.0.0/15", BanReason::Manual, 0);
    let mut frame = Frame::new().ipv4_udp(v4(198, 18, 7, 9), DST4, b"");
    frame.truncate(frames::ETH_LEN + 15); // source address cut in half
    assert_eq!(filter.run(&frame), XDP_PASS);
    let mut tagged = Frame::new()
        .vlan(TPID_8021Q, 1)
        .ipv4_udp(v4(198, 18, 7, 9), DST4, b"");
    tagged.truncate(frames::ETH_LEN + frames::VLAN_LEN + 19);
    assert_eq!(filter.run(&tagged), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_MALFORMED), 2);
    assert_eq!(filter.shown_packets("drop_blocklist"), 0);
}

#[test]
fn truncated_ipv6_header_is_counted_as_malformed_and_passed() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("2001:db8::/32", BanReason::Manual, 0);
    let mut frame = Frame::new().ipv6_udp(v6("2001:db8::1"), DST6, b"");
    frame.truncate(frames::ETH_LEN + 39); // one byte short of the fixed header
    assert_eq!(filter.run(&frame), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_MALFORMED), 1);
    assert_eq!(filter.shown_packets("drop_blocklist"), 0);
}

#[test]
fn truncated_vlan_tag_is_counted_as_malformed() {
    let filter = Filter::with_config(EdgeConfig::DEFAULT);
    // An 802.1Q ethertype with nothing after it.
    let frame = Frame::new().wrap(TPID_8021Q, &[]);
    assert_eq!(filter.run(&frame), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_MALFORMED), 1);
}

#[test]
fn ipv4_header_with_bad_ihl_or_version_is_counted_as_malformed_and_passed() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.0.0/15", BanReason::Manual, 0);
    let good = Frame::new().ipv4_udp(v4(198, 18, 7, 9), DST4, b"payload");
    let l3 = frames::ETH_LEN;
    for first_byte in [0x44, 0x4f, 0x65] {
        // IHL 4 (< 20 bytes), IHL 15 (60 bytes, past the end), version 6 in an IPv4 frame.
        let mut frame = good.clone();
        frame[l3] = first_byte;
        assert_eq!(filter.run(&frame), XDP_PASS, "first byte {first_byte:#x}");
    }
    assert_eq!(filter.packets(stat::PASS_MALFORMED), 3);
    assert_eq!(filter.run(&good), XDP_DROP, "the intact frame is blocked");
}

// ---- allowlist and blocklist ----

#[test]
fn allowlisted_source_passes_even_when_also_blocked() {
    let mut filter = Filter::with_config(limited(1000, 1));
    filter.ban("198.18.0.0/15", BanReason::Manual, 0);
    filter.allow("198.18.5.0/24");
    filter.ban("2001:db8::/32", BanReason::Manual, 0);
    filter.allow("2001:db8:5::/48");
    let frame4 = Frame::new().ipv4_udp(v4(198, 18, 5, 5), DST4, b"x");
    let frame6 = Frame::new().ipv6_udp(v6("2001:db8:5::5"), DST6, b"x");
    for _ in 0..3 {
        // Three packets with a burst of one: the rate stage is skipped too.
        assert_eq!(filter.run(&frame4), XDP_PASS);
        assert_eq!(filter.run(&frame6), XDP_PASS);
    }
    assert_eq!(filter.packets(stat::PASS_ALLOWLIST), 6);
    assert_eq!(filter.shown_packets("drop_blocklist"), 0);
    assert_eq!(filter.packets(stat::DROP_RATE), 0);
}

#[test]
fn the_allowlist_is_looked_up_only_where_an_allowlist_hint_bit_is_set() {
    use aya::maps::lpm_trie::Key;
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.19.0.0/16", BanReason::Manual, 0);
    filter.ban("2001:db8::/32", BanReason::Manual, 0);
    // Entries written without their hint bits are never looked up: the bit gates the trie.
    filter
        .allow_v4
        .insert(&Key::new(24, [198, 19, 5, 0]), 1, 0)
        .expect("insert");
    let mut net6 = [0u8; 16];
    net6[..6].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 5]);
    filter
        .allow_v6
        .insert(&Key::new(48, net6), 1, 0)
        .expect("insert");
    let frame4 = Frame::new().ipv4_udp(v4(198, 19, 5, 5), DST4, b"x");
    let frame6 = Frame::new().ipv6_udp(v6("2001:db8:5::5"), DST6, b"x");
    assert_eq!(filter.run(&frame4), XDP_DROP);
    assert_eq!(filter.run(&frame6), XDP_DROP);
    // As the gateway adds them: hint bits, then the entry.
    filter.allow("198.19.5.0/24");
    filter.allow("2001:db8:5::/48");
    assert_eq!(filter.run(&frame4), XDP_PASS);
    assert_eq!(filter.run(&frame6), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_ALLOWLIST), 2);

    // A prefix shorter than /16 hints every /16 it covers; an IPv6 one
    // shorter than /32, every bit.
    filter.ban("10.200.0.0/16", BanReason::Manual, 0);
    filter.ban("2a00:1:2::/48", BanReason::Manual, 0);
    let far4 = Frame::new().ipv4_udp(v4(10, 200, 1, 1), DST4, b"x");
    let far6 = Frame::new().ipv6_udp(v6("2a00:1:2::1"), DST6, b"x");
    assert_eq!(filter.run(&far4), XDP_DROP);
    assert_eq!(filter.run(&far6), XDP_DROP);
    filter.allow("10.0.0.0/8");
    filter.allow("2a00::/12");
    assert_eq!(filter.run(&far4), XDP_PASS);
    assert_eq!(filter.run(&far6), XDP_PASS);
}

#[test]
fn blocked_ipv4_cidr_drops_with_the_reason_of_the_longest_prefix() {
    pin_to_one_cpu();
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.0.0/15", BanReason::Waf, 0);
    filter.ban("198.18.5.0/24", BanReason::Auth, 0);
    let inner = Frame::new().ipv4_udp(v4(198, 18, 5, 7), DST4, b"x");
    let outer = Frame::new().ipv4_tcp_syn(v4(198, 19, 200, 1), DST4, 80);
    assert_eq!(filter.run(&inner), XDP_DROP);
    assert_eq!(filter.run(&inner), XDP_DROP);
    assert_eq!(filter.run(&outer), XDP_DROP);
    assert_eq!(filter.shown_packets("drop_blocklist"), 3);
    assert_eq!(filter.shown_packets("block_auth"), 2);
    assert_eq!(filter.shown("block_auth").bytes, 2 * inner.len() as u64);
    assert_eq!(filter.shown_packets("block_waf"), 1);

    // DROPS is sampled: the first drop on this CPU is recorded, the next two are not.
    let drops = filter
        .drops
        .get(&v4_key(v4(198, 18, 5, 7)), 0)
        .expect("the dropped source is in DROPS");
    assert_eq!(drops.packets, 1);
    assert_eq!(drops.bytes, inner.len() as u64);
    assert_eq!(stat::verdict_name(drops.last_stat), "drop_blocklist");
    assert!(drops.last_ns > 0);
}

#[test]
fn blocked_ipv6_cidr_drops_and_is_attributed_to_its_64() {
    pin_to_one_cpu();
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("2001:db8:bad::/48", BanReason::Cluster, 0);
    let frame = Frame::new().ipv6_udp(v6("2001:db8:bad:7::42"), DST6, b"x");
    assert_eq!(filter.run(&frame), XDP_DROP);
    assert_eq!(filter.shown_packets("block_cluster"), 1);
    let drops = filter
        .drops
        .get(&v6_key(v6("2001:db8:bad:7::"), 64), 0)
        .expect("the /64 of the source is in DROPS");
    assert_eq!(drops.packets, 1);
}

#[test]
fn expired_ban_is_ignored_and_a_future_one_drops() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    let now = monotonic_ns();
    filter.ban("198.18.1.0/24", BanReason::Rate, now - 1_000_000_000);
    filter.ban("198.18.2.0/24", BanReason::Rate, now + 3_600_000_000_000);
    filter.ban("2001:db8:1::/48", BanReason::Rate, now - 1);
    let expired4 = Frame::new().ipv4_udp(v4(198, 18, 1, 1), DST4, b"x");
    let live4 = Frame::new().ipv4_udp(v4(198, 18, 2, 1), DST4, b"x");
    let expired6 = Frame::new().ipv6_udp(v6("2001:db8:1::1"), DST6, b"x");
    assert_eq!(filter.run(&expired4), XDP_PASS);
    assert_eq!(filter.run(&expired6), XDP_PASS);
    assert_eq!(filter.run(&live4), XDP_DROP);
    assert_eq!(filter.packets(stat::PASS), 2);
    assert_eq!(filter.shown_packets("drop_blocklist"), 1);
}

#[test]
fn permanent_ban_drops_every_packet() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.3.3/32", BanReason::Import, 0);
    let frame = Frame::new().ipv4_udp(v4(198, 18, 3, 3), DST4, b"x");
    assert_eq!(filter.run_repeat(&frame, 100), XDP_DROP);
    assert_eq!(filter.shown_packets("drop_blocklist"), 100);
    assert_eq!(filter.shown_packets("block_import"), 100);
}

#[test]
fn an_address_ban_is_an_exact_match_and_its_expiry_uncovers_a_live_prefix_ban() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.7.7/32", BanReason::Waf, 0);
    filter.ban("2001:db8:7::7/128", BanReason::Auth, 0);
    let hit4 = Frame::new().ipv4_udp(v4(198, 18, 7, 7), DST4, b"x");
    let miss4 = Frame::new().ipv4_udp(v4(198, 18, 7, 8), DST4, b"x");
    let hit6 = Frame::new().ipv6_udp(v6("2001:db8:7::7"), DST6, b"x");
    let miss6 = Frame::new().ipv6_udp(v6("2001:db8:7::8"), DST6, b"x");
    assert_eq!(filter.run(&hit4), XDP_DROP);
    assert_eq!(filter.run(&miss4), XDP_PASS);
    assert_eq!(filter.run(&hit6), XDP_DROP);
    assert_eq!(filter.run(&miss6), XDP_PASS);
    assert_eq!(filter.shown_packets("block_waf"), 1);
    assert_eq!(filter.shown_packets("block_auth"), 1);

    // An expired address ban under a live /24: the /24 still drops.
    filter.ban("198.18.8.8/32", BanReason::Rate, monotonic_ns() - 1);
    let expired = Frame::new().ipv4_udp(v4(198, 18, 8, 8), DST4, b"x");
    assert_eq!(filter.run(&expired), XDP_PASS);
    filter.ban("198.18.8.0/24", BanReason::Manual, 0);
    assert_eq!(filter.run(&expired), XDP_DROP);
    assert_eq!(filter.shown_packets("block_manual"), 1);
}

#[test]
fn lists_marked_empty_in_config_are_not_looked_up() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.9.0/24", BanReason::Manual, 0);
    filter.ban("198.18.10.10/32", BanReason::Manual, 0);
    filter.allow("198.18.11.0/24");
    let prefix = Frame::new().ipv4_udp(v4(198, 18, 9, 1), DST4, b"x");
    let host = Frame::new().ipv4_udp(v4(198, 18, 10, 10), DST4, b"x");
    let allowed = Frame::new().ipv4_udp(v4(198, 18, 11, 1), DST4, b"x");
    assert_eq!(filter.run(&prefix), XDP_DROP);
    assert_eq!(filter.run(&host), XDP_DROP);
    assert_eq!(filter.run(&allowed), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_ALLOWLIST), 1);

    // Claiming the allowlist is empty (a stale bit) and no ban length in use
    // makes the program skip them: proof that correct bits save the lookups.
    let mut config = filter.config();
    config.skip = gateway_common::skip::ALLOW_V4;
    config.set_block_lens(0, config.block_lens_v6);
    filter.config.set(0, config, 0).expect("write CONFIG");
    assert_eq!(filter.run(&prefix), XDP_PASS);
    assert_eq!(filter.run(&host), XDP_PASS);
    assert_eq!(filter.run(&allowed), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS_ALLOWLIST), 1, "allowlist skipped");
    assert_eq!(filter.packets(stat::PASS), 3);

    // Only the marked lengths are probed: /24 alone finds the prefix ban, not the address ban.
    config.set_block_lens(1 << 24, config.block_lens_v6);
    filter.config.set(0, config, 0).expect("write CONFIG");
    assert_eq!(filter.run(&prefix), XDP_DROP);
    assert_eq!(filter.run(&host), XDP_PASS);
}

#[test]
fn the_longest_live_prefix_decides_across_every_length_in_use() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.16.0.0/12", BanReason::Cluster, 0);
    filter.ban("198.18.0.0/16", BanReason::Waf, 0);
    filter.ban("198.18.5.0/24", BanReason::Auth, 0);
    filter.ban("198.18.5.5/32", BanReason::Manual, 0);
    let cases = [
        (v4(198, 18, 5, 5), "block_manual"),
        (v4(198, 18, 5, 6), "block_auth"),
        (v4(198, 18, 6, 1), "block_waf"),
        (v4(198, 19, 0, 1), "block_cluster"),
    ];
    for (n, (src, counter)) in cases.into_iter().enumerate() {
        let frame = Frame::new().ipv4_udp(src, DST4, b"x");
        assert_eq!(filter.run(&frame), XDP_DROP, "{src}");
        assert_eq!(
            filter.shown_packets(counter),
            1,
            "{src} counted as {counter}"
        );
        assert_eq!(filter.shown_packets("drop_blocklist"), n as u64 + 1);
    }
    let outside = Frame::new().ipv4_udp(v4(198, 32, 0, 1), DST4, b"x");
    assert_eq!(filter.run(&outside), XDP_PASS);
}

#[test]
fn an_expired_longer_ban_never_hides_a_live_shorter_one() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    let past = monotonic_ns() - 1_000_000_000;
    filter.ban("198.18.0.0/16", BanReason::Waf, 0);
    filter.ban("198.18.7.0/24", BanReason::Auth, past);
    filter.ban("198.18.7.7/32", BanReason::Manual, past);
    filter.ban("2001:db8::/32", BanReason::Cluster, 0);
    filter.ban("2001:db8:7::/48", BanReason::Auth, past);
    filter.ban("2001:db8:7::7/128", BanReason::Manual, past);
    let v4_frame = Frame::new().ipv4_udp(v4(198, 18, 7, 7), DST4, b"x");
    let v6_frame = Frame::new().ipv6_udp(v6("2001:db8:7::7"), DST6, b"x");
    assert_eq!(filter.run(&v4_frame), XDP_DROP);
    assert_eq!(filter.run(&v6_frame), XDP_DROP);
    assert_eq!(filter.shown_packets("block_waf"), 1);
    assert_eq!(filter.shown_packets("block_cluster"), 1);
    assert_eq!(filter.shown_packets("block_auth"), 0);
    assert_eq!(filter.shown_packets("block_manual"), 0);
}

#[test]
fn ipv6_bans_match_at_every_kind_of_prefix_length() {
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    // In the high half, at the boundary, in the low half, the full address, and very short.
    let bans = [
        ("2a00:1450::/33", "2a00:1450:1::1", "2a00:1450:8000::1"),
        (
            "2001:db8:2:3::/64",
            "2001:db8:2:3:ffff::1",
            "2001:db8:2:4::1",
        ),
        (
            "2001:db8:4:5:6:7::/100",
            "2001:db8:4:5:6:7:fff:1",
            "2001:db8:4:5:6:7:1000:0",
        ),
        ("2001:db8:9::9/128", "2001:db8:9::9", "2001:db8:9::8"),
        ("fc00::/7", "fdff::1", "fe00::1"),
    ];
    for (cidr, _, _) in bans {
        filter.ban(cidr, BanReason::Manual, 0);
    }
    for (cidr, inside, outside) in bans {
        let hit = Frame::new().ipv6_udp(v6(inside), DST6, b"x");
        let miss = Frame::new().ipv6_udp(v6(outside), DST6, b"x");
        assert_eq!(filter.run(&hit), XDP_DROP, "{inside} is in {cidr}");
        assert_eq!(filter.run(&miss), XDP_PASS, "{outside} is not in {cidr}");
    }
}

#[test]
fn a_nearly_full_ban_table_finds_every_entry_and_forgets_removed_ones() {
    // 900 bans in 1024 slots: inserting them moves entries between their two rows.
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    let src = |i: u32| v4(10, (i >> 16) as u8, (i >> 8) as u8, i as u8);
    for i in 0..900 {
        filter.ban(&format!("{}/32", src(i * 7)), BanReason::Import, 0);
    }
    for i in 0..900 {
        let frame = Frame::new().ipv4_udp(src(i * 7), DST4, b"x");
        assert_eq!(filter.run(&frame), XDP_DROP, "{}", src(i * 7));
    }
    let unbanned = Frame::new().ipv4_udp(src(1), DST4, b"x");
    assert_eq!(filter.run(&unbanned), XDP_PASS);
    let key = |ip: std::net::Ipv4Addr| gateway::edge::table::NetKey {
        len: 32,
        hi: u64::from(u32::from(ip)),
        lo: 0,
    };
    assert!(filter.block_v4.remove(&key(src(7))));
    let removed = Frame::new().ipv4_udp(src(7), DST4, b"x");
    assert_eq!(filter.run(&removed), XDP_PASS);
    assert_eq!(filter.block_v4.entries().len(), 899);
}

#[test]
fn a_ban_in_its_second_row_is_found_through_the_spill_mark_of_its_first() {
    use gateway::edge::table::NetKey;
    use gateway_common::table;
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    let seed = filter.config().table_seed;
    let key = |ip: std::net::Ipv4Addr| NetKey {
        len: 32,
        hi: u64::from(u32::from(ip)),
        lo: 0,
    };
    let first_row = |ip: std::net::Ipv4Addr| {
        let word = table::key_v4(32, u32::from(ip));
        table::rows(table::hash_v4(word, seed), test_run::TABLE_ROWS - 1).0
    };
    // Five addresses whose first row is the same: the fifth must spill.
    let target = v4(198, 18, 40, 1);
    let row = first_row(target);
    let same_row: Vec<_> = (0..65_536u32)
        .map(|i| v4(198, 19, (i >> 8) as u8, i as u8))
        .filter(|&ip| first_row(ip) == row)
        .take(4)
        .collect();
    assert_eq!(same_row.len(), 4, "addresses sharing row {row}");
    assert!(
        !filter.block_v4.is_spilled(row),
        "a fresh table has no marks"
    );
    for ip in &same_row {
        filter.ban(&format!("{ip}/32"), BanReason::Manual, 0);
    }
    assert!(
        !filter.block_v4.is_spilled(row),
        "four fit in their first row"
    );
    filter.ban(&format!("{target}/32"), BanReason::Waf, 0);
    assert!(
        filter.block_v4.is_spilled(row),
        "the fifth went to its second row"
    );
    let frame = Frame::new().ipv4_udp(target, DST4, b"x");
    assert_eq!(filter.run(&frame), XDP_DROP);

    // Emptying the first row leaves the mark (the entry is still in its second row).
    for ip in &same_row {
        assert!(filter.block_v4.remove(&key(*ip)));
    }
    filter.block_v4.refresh_marks();
    assert!(filter.block_v4.is_spilled(row), "still needed");
    assert_eq!(filter.run(&frame), XDP_DROP);
    // Without the entry, a refresh clears the stale mark.
    assert!(filter.block_v4.remove(&key(target)));
    assert!(
        filter.block_v4.is_spilled(row),
        "marks are sticky until a refresh"
    );
    filter.block_v4.refresh_marks();
    assert!(!filter.block_v4.is_spilled(row), "a stale mark is cleared");
    assert_eq!(filter.run(&frame), XDP_PASS);
}

#[test]
fn an_ipv6_ban_in_its_second_row_is_found_through_the_spill_mark_of_its_first() {
    use gateway_common::table;
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    let seed = filter.config().table_seed;
    let halves = |ip: Ipv6Addr| {
        let b = ip.octets();
        (
            u64::from_be_bytes(b[..8].try_into().unwrap()),
            u64::from_be_bytes(b[8..].try_into().unwrap()),
        )
    };
    let first_row = |ip: Ipv6Addr| {
        let (hi, lo) = halves(ip);
        let h = table::hash_v6(table::key_v6(128), hi, lo, seed);
        table::first_row(h, test_run::TABLE_ROWS - 1)
    };
    // Five addresses whose first row is the same: the fifth must spill.
    let target = v6("2001:db8:40::1");
    let row = first_row(target);
    let same_row: Vec<_> = (0..=u16::MAX)
        .map(|i| Ipv6Addr::new(0x2001, 0xdb8, 0x41, 0, 0, 0, i >> 8, i & 0xff))
        .filter(|&ip| first_row(ip) == row)
        .take(4)
        .collect();
    assert_eq!(same_row.len(), 4, "addresses sharing row {row}");
    for ip in &same_row {
        filter.ban(&format!("{ip}/128"), BanReason::Manual, 0);
    }
    assert!(
        !filter.block_v6.is_spilled(row),
        "four fit in their first row"
    );
    filter.ban(&format!("{target}/128"), BanReason::Waf, 0);
    assert!(
        filter.block_v6.is_spilled(row),
        "the fifth went to its second row"
    );
    let frame = Frame::new().ipv6_udp(target, DST6, b"x");
    assert_eq!(filter.run(&frame), XDP_DROP);
    // Its neighbours in the first row are still found there.
    let frame = Frame::new().ipv6_udp(same_row[3], DST6, b"x");
    assert_eq!(filter.run(&frame), XDP_DROP);
}

#[test]
fn the_ban_tables_are_probed_only_for_the_classes_the_cover_bits_name() {
    use gateway_common::cover;
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.7.0/24", BanReason::Manual, 0);
    filter.ban("198.18.7.9/32", BanReason::Waf, 0);
    filter.ban("2001:db8:7::/48", BanReason::Manual, 0);
    filter.ban("2001:db8:7::9/128", BanReason::Waf, 0);
    let addr4 = Frame::new().ipv4_udp(v4(198, 18, 7, 9), DST4, b"x");
    let addr6 = Frame::new().ipv6_udp(v6("2001:db8:7::9"), DST6, b"x");
    let waf = stat::DROP_BAN + BanReason::Waf as u32;
    let manual = stat::DROP_BAN + BanReason::Manual as u32;
    assert_eq!(filter.run(&addr4), XDP_DROP);
    assert_eq!(filter.run(&addr6), XDP_DROP);
    assert_eq!((filter.packets(waf), filter.packets(manual)), (2, 0));

    // Only the short-prefix bit of the sources' groups: the address bans
    // are not probed, so the /24 and the /48 decide.
    let group4 = cover::group_v4(u32::from(v4(198, 18, 7, 9)));
    let group6 = cover::group_v6((u128::from(v6("2001:db8:7::9")) >> 64) as u64);
    let only = |group: u32, class: u64| {
        let mut words = vec![0u64; cover::WORDS as usize];
        let (w, shift) = cover::word(group);
        words[w as usize] = class << shift;
        words
    };
    let cover4 = filter.block_v4.cover().expect("cover map");
    let cover6 = filter.block_v6.cover().expect("cover map");
    cover4.replace(&only(group4, cover::SHORT));
    cover6.replace(&only(group6, cover::SHORT));
    assert_eq!(filter.run(&addr4), XDP_DROP);
    assert_eq!(filter.run(&addr6), XDP_DROP);
    assert_eq!((filter.packets(waf), filter.packets(manual)), (2, 2));

    // No bit at all: nothing is probed.
    cover4.replace(&only(group4, 0));
    cover6.replace(&only(group6, 0));
    assert_eq!(filter.run(&addr4), XDP_PASS);
    assert_eq!(filter.run(&addr6), XDP_PASS);

    // A refresh rebuilds the bits from the tables.
    filter.block_v4.refresh_marks();
    filter.block_v6.refresh_marks();
    assert_eq!(filter.run(&addr4), XDP_DROP);
    assert_eq!(filter.run(&addr6), XDP_DROP);
    assert_eq!((filter.packets(waf), filter.packets(manual)), (4, 2));
}

#[test]
fn a_cover_refresh_clears_the_bits_of_removed_bans_and_keeps_the_others() {
    use gateway::edge::table::NetKey;
    use gateway_common::cover;
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("10.0.0.0/8", BanReason::Manual, 0);
    filter.ban("198.18.7.9/32", BanReason::Manual, 0);
    let group = |ip: std::net::Ipv4Addr| cover::group_v4(u32::from(ip));
    let (inside, banned) = (v4(10, 200, 1, 1), v4(198, 18, 7, 9));
    let classes = |filter: &Filter, ip| filter.block_v4.cover().expect("cover").classes(group(ip));
    assert_eq!(classes(&filter, inside), cover::SHORT);
    assert_eq!(classes(&filter, v4(10, 0, 0, 1)), cover::SHORT);
    assert_eq!(classes(&filter, v4(11, 0, 0, 1)), 0);
    assert_eq!(classes(&filter, banned), cover::LONG);

    let eight = NetKey {
        len: 8,
        hi: u64::from(u32::from(v4(10, 0, 0, 0))),
        lo: 0,
    };
    assert!(filter.block_v4.remove(&eight));
    assert_eq!(
        classes(&filter, inside),
        cover::SHORT,
        "sticky until a refresh"
    );
    filter.block_v4.refresh_marks();
    assert_eq!(classes(&filter, inside), 0);
    assert_eq!(classes(&filter, banned), cover::LONG);
    assert_eq!(
        filter.run(&Frame::new().ipv4_udp(inside, DST4, b"x")),
        XDP_PASS
    );
    assert_eq!(
        filter.run(&Frame::new().ipv4_udp(banned, DST4, b"x")),
        XDP_DROP
    );
}

#[test]
fn drops_are_sampled_into_drops_every_drop_sample_drops_with_their_weight() {
    pin_to_one_cpu();
    let mut filter = Filter::with_config(EdgeConfig::DEFAULT);
    filter.ban("198.18.12.12/32", BanReason::Manual, 0);
    let frame = Frame::new().ipv4_udp(v4(198, 18, 12, 12), DST4, b"x");
    let key = v4_key(v4(198, 18, 12, 12));
    let sample = gateway_common::DROP_SAMPLE;
    assert_eq!(filter.run(&frame), XDP_DROP);
    assert_eq!(filter.drops.get(&key, 0).expect("first drop").packets, 1);
    // Drops 2..=DROP_SAMPLE are not recorded; the next stands for the DROP_SAMPLE since the first.
    filter.run_repeat(&frame, sample as u32 - 1);
    assert_eq!(filter.drops.get(&key, 0).expect("in DROPS").packets, 1);
    filter.run(&frame);
    let drops = filter.drops.get(&key, 0).expect("in DROPS");
    assert_eq!(drops.packets, 1 + sample);
    assert_eq!(drops.bytes, (1 + sample) * frame.len() as u64);
    assert_eq!(
        filter.shown_packets("drop_blocklist"),
        1 + sample,
        "STATS stay exact"
    );
}

// ---- rate buckets ----

#[test]
fn empty_bucket_drops_then_refills_after_time_passes() {
    let mut filter = Filter::with_config(limited(1000, 5));
    let src = v4(198, 18, 9, 9);
    let frame = Frame::new().ipv4_udp(src, DST4, b"x");
    // A burst of 5 passes at once; the refill (one packet per ms) cannot keep
    // up with back-to-back runs for long, so a drop comes within a few more.
    let mut verdicts = Vec::new();
    for _ in 0..50 {
        verdicts.push(filter.run(&frame));
        if verdicts.last() == Some(&XDP_DROP) {
            break;
        }
    }
    assert!(verdicts[..5].iter().all(|v| *v == XDP_PASS), "{verdicts:?}");
    assert_eq!(verdicts.last(), Some(&XDP_DROP), "{verdicts:?}");
    assert_eq!(filter.packets(stat::DROP_RATE), 1);
    let drops = filter.drops.get(&v4_key(src), 0).expect("source in DROPS");
    assert_eq!(drops.last_stat, stat::DROP_RATE);
    let bucket = filter.buckets.get(&v4_key(src)).expect("bucket exists");
    assert_eq!(bucket.dropped, 1);

    // Refill: 1000 pps is a packet per millisecond; give it real time.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut passed = false;
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        if filter.run(&frame) == XDP_PASS {
            passed = true;
            break;
        }
    }
    assert!(passed, "the bucket never refilled");
    assert_eq!(filter.drain_events().len(), 1);
}

#[test]
fn a_source_under_its_rate_passes_even_when_its_burst_is_less_than_a_jiffy_of_credit() {
    // 1000 pps with a burst of 1: a jiffy (1-10 ms) is worth several packets.
    // Sending one packet every 2 ms (500 pps) must never be dropped: credit
    // that arrives a jiffy at a time is not clipped to the burst.
    let filter = Filter::with_config(limited(1000, 1));
    let frame = Frame::new().ipv4_udp(v4(198, 18, 21, 7), DST4, b"x");
    for _ in 0..100 {
        assert_eq!(filter.run(&frame), XDP_PASS);
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(filter.packets(stat::DROP_RATE), 0);
}

#[test]
fn per_cidr_override_replaces_the_default_limit() {
    let mut filter = Filter::with_config(limited(1, 50));
    filter.limit("198.18.20.0/24", 1, 2);
    filter.limit("2001:db8:20::/48", 0, 0); // rate 0 for this CIDR: unlimited
    let tight = Frame::new().ipv4_udp(v4(198, 18, 20, 1), DST4, b"x");
    let default = Frame::new().ipv4_udp(v4(198, 18, 21, 1), DST4, b"x");
    let free = Frame::new().ipv6_udp(v6("2001:db8:20::1"), DST6, b"x");
    assert_eq!(filter.run(&tight), XDP_PASS);
    assert_eq!(filter.run(&tight), XDP_PASS);
    assert_eq!(filter.run(&tight), XDP_DROP);
    for _ in 0..10 {
        assert_eq!(filter.run(&default), XDP_PASS);
    }
    assert_eq!(filter.run_repeat(&free, 500), XDP_PASS);
    assert_eq!(filter.packets(stat::DROP_RATE), 1);
    assert_eq!(filter.packets(stat::PASS), 2 + 10 + 500);
}

#[test]
fn a_rate_override_is_looked_up_only_where_its_hint_bit_is_set() {
    use aya::maps::lpm_trie::Key;
    let mut filter = Filter::with_config(limited(1, 50));
    // Written without its hint bit, the override is never looked up: the default applies.
    filter
        .limit_v4
        .insert(
            &Key::new(24, [198, 19, 20, 0]),
            gateway_common::RateLimit { pps: 1, burst: 1 },
            0,
        )
        .expect("insert");
    let first = Frame::new().ipv4_udp(v4(198, 19, 20, 1), DST4, b"x");
    for _ in 0..5 {
        assert_eq!(filter.run(&first), XDP_PASS);
    }
    // As the gateway sets it: hint bit, then the entry.
    filter.limit("198.19.20.0/24", 1, 1);
    let second = Frame::new().ipv4_udp(v4(198, 19, 20, 2), DST4, b"x");
    assert_eq!(filter.run(&second), XDP_PASS);
    assert_eq!(filter.run(&second), XDP_DROP, "burst 1 of the override");
}

#[test]
fn two_ipv6_addresses_in_one_64_share_a_bucket() {
    let filter = Filter::with_config(limited(1, 4));
    let a = Frame::new().ipv6_udp(v6("2001:db8:1:2::a"), DST6, b"x");
    let b = Frame::new().ipv6_udp(v6("2001:db8:1:2:ffff::b"), DST6, b"x");
    let other = Frame::new().ipv6_udp(v6("2001:db8:1:3::a"), DST6, b"x");
    assert_eq!(filter.run(&a), XDP_PASS);
    assert_eq!(filter.run(&b), XDP_PASS);
    assert_eq!(filter.run(&a), XDP_PASS);
    assert_eq!(filter.run(&b), XDP_PASS);
    assert_eq!(filter.run(&a), XDP_DROP);
    assert_eq!(filter.run(&b), XDP_DROP);
    assert_eq!(
        filter.run(&other),
        XDP_PASS,
        "another /64 has its own bucket"
    );
    let key = v6_key(v6("2001:db8:1:2::"), 64);
    let bucket = filter.buckets.get(&key).expect("one bucket for the /64");
    assert_eq!(bucket.dropped, 2);
}

#[test]
fn ipv4_sources_share_a_bucket_when_the_prefix_is_shorter() {
    let filter = Filter::with_config(EdgeConfig {
        prefix_v4: 24,
        ..limited(1, 2)
    });
    assert_eq!(
        filter.run(&Frame::new().ipv4_udp(v4(198, 18, 30, 1), DST4, b"x")),
        XDP_PASS
    );
    assert_eq!(
        filter.run(&Frame::new().ipv4_udp(v4(198, 18, 30, 2), DST4, b"x")),
        XDP_PASS
    );
    assert_eq!(
        filter.run(&Frame::new().ipv4_udp(v4(198, 18, 30, 3), DST4, b"x")),
        XDP_DROP
    );
    let mut key = v4_key(v4(198, 18, 30, 0));
    key.prefix_len = 24;
    assert!(
        filter.buckets.get(&key).is_some(),
        "bucket keyed by the /24"
    );
}

#[test]
fn rate_zero_disables_the_rate_stage() {
    let filter = Filter::with_config(limited(0, 1));
    let frame = Frame::new().ipv4_udp(v4(198, 18, 9, 9), DST4, b"x");
    assert_eq!(filter.run_repeat(&frame, 1000), XDP_PASS);
    assert_eq!(filter.packets(stat::PASS), 1000);
    assert_eq!(filter.packets(stat::DROP_RATE), 0);
    assert!(
        filter.buckets.get(&v4_key(v4(198, 18, 9, 9))).is_none(),
        "no bucket is created when the stage is off"
    );
}

#[test]
fn a_fifth_source_in_a_full_row_takes_the_fullest_slot_and_limited_sources_keep_theirs() {
    // One row of 4 slots holds every source. At 1 pps refills are negligible
    // while the test runs, so the buckets hold what the packets left.
    let filter = Filter::one_bucket_row(limited(1, 3));
    let frame = |last: u8| Frame::new().ipv4_udp(v4(198, 18, 70, last), DST4, b"x");
    // a and b are limited (burst spent, one drop each), c has 2 tokens, d has 1.
    for _ in 0..3 {
        assert_eq!(filter.run(&frame(1)), XDP_PASS);
        assert_eq!(filter.run(&frame(2)), XDP_PASS);
    }
    assert_eq!(filter.run(&frame(1)), XDP_DROP);
    assert_eq!(filter.run(&frame(2)), XDP_DROP);
    assert_eq!(filter.run(&frame(3)), XDP_PASS);
    assert_eq!(filter.run(&frame(4)), XDP_PASS);
    assert_eq!(filter.run(&frame(4)), XDP_PASS);
    assert_eq!(filter.buckets.counts(), (4, 0), "the row is full");

    // e takes c's slot (the fullest bucket): c loses nothing, it will get a
    // full bucket back; the limited sources keep their empty buckets.
    assert_eq!(
        filter.run(&frame(5)),
        XDP_PASS,
        "a new source gets its burst"
    );
    let tracked = |last: u8| filter.buckets.get(&v4_key(v4(198, 18, 70, last))).is_some();
    assert!(!tracked(3), "the fullest bucket was evicted");
    assert!(tracked(1) && tracked(2) && tracked(4) && tracked(5));
    assert_eq!(filter.buckets.counts(), (4, 0), "still one source per slot");
    assert_eq!(filter.run(&frame(1)), XDP_DROP, "a is still limited");
    assert_eq!(filter.run(&frame(2)), XDP_DROP, "b is still limited");
    assert_eq!(filter.packets(stat::DROP_RATE), 4);

    // c comes back with a full bucket, in the slot of e (2 tokens, now the fullest).
    for _ in 0..3 {
        assert_eq!(filter.run(&frame(3)), XDP_PASS);
    }
    assert!(tracked(3) && !tracked(5));
}

#[test]
fn the_tracked_count_is_the_number_of_sources_with_a_bucket() {
    let filter = Filter::with_config(limited(1000, 10));
    for last in 1..=20 {
        filter.run(&Frame::new().ipv4_udp(v4(198, 18, 71, last), DST4, b"x"));
    }
    for n in 1..=7u16 {
        let src = format!("2001:db8:71:{n:x}::1")
            .parse()
            .expect("an IPv6 address");
        filter.run(&Frame::new().ipv6_udp(src, DST6, b"x"));
    }
    // The second address of a /64 shares its bucket.
    filter.run(&Frame::new().ipv6_udp(v6("2001:db8:71:1::2"), DST6, b"x"));
    assert_eq!(filter.buckets.counts(), (20, 7));
    let nets: Vec<String> = filter
        .buckets
        .entries(64)
        .iter()
        .map(|t| t.net.to_string())
        .collect();
    assert!(nets.contains(&"198.18.71.20/32".to_string()), "{nets:?}");
    assert!(nets.contains(&"2001:db8:71:7::/64".to_string()), "{nets:?}");
}

#[test]
fn clearing_buckets_gives_their_sources_a_full_bucket_again() {
    let mut filter = Filter::with_config(limited(1, 2));
    let a = Frame::new().ipv4_udp(v4(198, 18, 72, 1), DST4, b"x");
    let b = Frame::new().ipv6_udp(v6("2001:db8:72::1"), DST6, b"x");
    for frame in [&a, &b] {
        filter.run_repeat(frame, 2);
        assert_eq!(filter.run(frame), XDP_DROP);
    }
    let within = "2001:db8:72::/48".parse().expect("a CIDR");
    assert_eq!(
        filter.buckets.clear(Some(within), 64),
        1,
        "only the IPv6 /64"
    );
    assert_eq!(filter.run(&b), XDP_PASS, "a fresh bucket");
    assert_eq!(filter.run(&a), XDP_DROP, "the IPv4 source is still limited");
    assert_eq!(filter.buckets.clear(None, 64), 2);
    assert_eq!(filter.buckets.counts(), (0, 0));
    assert_eq!(filter.run(&a), XDP_PASS);
}

#[test]
fn one_source_spread_over_several_cpus_gets_no_more_than_its_burst() {
    // pps 1 makes refills negligible: the burst passes and not more, however
    // the packets are spread over CPUs. Plain read-modify-write of the bucket
    // would lose updates while the threads overlap, and let more through.
    const BURST: u64 = 50_000;
    const THREADS: usize = 4;
    const REPEAT: u32 = 100_000;
    let filter = Filter::with_config(limited(1, BURST));
    let frame = Frame::new().ipv4_udp(v4(198, 18, 40, 1), DST4, b"x");
    filter.run(&frame); // create the bucket, so no insert race muddies the count
    let start = std::sync::Barrier::new(THREADS);
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start.wait();
                filter.run_repeat(&frame, REPEAT)
            });
        }
    });
    let passed = filter.packets(stat::PASS);
    let dropped = filter.packets(stat::DROP_RATE);
    assert_eq!(passed + dropped, 1 + THREADS as u64 * u64::from(REPEAT));
    // A few tokens of refill at 1 pps while the test runs.
    assert!(
        (BURST..=BURST + 10).contains(&passed),
        "{passed} packets passed with a burst of {BURST}"
    );
}

// ---- monitor mode and events ----

#[test]
fn monitor_mode_passes_but_counts_would_be_drops() {
    pin_to_one_cpu();
    let mut filter = Filter::with_config(EdgeConfig {
        monitor: 1,
        ..limited(1, 1)
    });
    filter.ban("198.18.50.0/24", BanReason::Manual, 0);
    let banned = Frame::new().ipv4_udp(v4(198, 18, 50, 1), DST4, b"x");
    let limited_src = v4(198, 18, 51, 1);
    let flooding = Frame::new().ipv4_udp(limited_src, DST4, b"x");
    assert_eq!(filter.run(&banned), XDP_PASS);
    assert_eq!(filter.run(&flooding), XDP_PASS);
    assert_eq!(filter.run(&flooding), XDP_PASS);
    assert_eq!(filter.run(&flooding), XDP_PASS);
    assert_eq!(filter.shown_packets("monitor_blocklist"), 1);
    assert_eq!(filter.packets(stat::MONITOR_RATE), 2);
    assert_eq!(filter.packets(stat::PASS), 1);
    assert_eq!(filter.shown_packets("drop_blocklist"), 0);
    assert_eq!(filter.packets(stat::DROP_RATE), 0);
    // Sampled: the first would-be drop of the slot on this CPU is recorded.
    let drops = filter.drops.get(&v4_key(limited_src), 0).expect("in DROPS");
    assert_eq!(drops.packets, 1);
    assert_eq!(drops.last_stat, stat::MONITOR_RATE);
}

#[test]
fn overflow_event_appears_on_the_events_ring_once_per_second_per_source() {
    let mut filter = Filter::with_config(limited(1, 1));
    let a = v4(198, 18, 60, 1);
    let b6 = v6("2001:db8:60:1::1");
    let frame_a = Frame::new().ipv4_udp(a, DST4, b"x");
    let frame_b = Frame::new().ipv6_udp(b6, DST6, b"x");
    assert_eq!(filter.run(&frame_a), XDP_PASS);
    assert_eq!(filter.run_repeat(&frame_a, 10), XDP_DROP);
    assert_eq!(filter.run(&frame_b), XDP_PASS);
    assert_eq!(filter.run_repeat(&frame_b, 10), XDP_DROP);
    let before = monotonic_ns();
    let events = filter.drain_events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].source, v4_key(a));
    assert_eq!(events[0].dropped, 1);
    assert_eq!(events[1].source, v6_key(v6("2001:db8:60:1::"), 64));
    assert!(events.iter().all(|e| e.ts_ns > 0 && e.ts_ns <= before));
    assert!(filter.drain_events().is_empty());
}

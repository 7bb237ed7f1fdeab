//! Per-packet cost of the XDP program through `BPF_PROG_TEST_RUN`: the drop path
//! (blocklisted), the pass paths (allowlisted; unlisted with a bucket update),
//! for IPv4 and IPv6, first with near-empty maps and then with 1,000,000
//! blocklist entries per family and 100,000 tracked sources.
//!
//! Run by `cargo xtask bench edge` (which also measures xdp-filter); by hand:
//! `cargo run --release -p gateway-user --example bench_edge -- [--repeat N]`.
//! Prints a table, and one `RESULT phase=… case=… ns=…` line per measurement
//! for the xtask to collect. Needs root. Never run by the tests.
//! `bench_edge attach …` and `bench_edge flood …` are the two halves of the
//! veth flood (see flood.rs); `bench_edge sweep` times the daemon's ban
//! sweep (sweep.rs).

mod flood;
mod floor;
#[path = "../../../tests/support/frames.rs"]
mod frames;
mod peer;
mod sweep;

use std::{
    net::{Ipv4Addr, Ipv6Addr},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use aya::{
    Ebpf, EbpfLoader,
    maps::{Array, LpmTrie, MapData, lpm_trie::Key},
    programs::{TestRun, TestRunOptions, Xdp},
};
use frames::Frame;
use gateway::edge::{
    hints,
    table::{NetKey, TableV4, TableV6, with_len},
};
use gateway_common::{BanReason, BanValue, EdgeConfig, PROGRAM_NAME, RateLimit, cover, maps, skip};
use ipnet::IpNet;
use rand::Rng;

const BLOCK_ENTRIES: u32 = 1_000_000;
const TRACKED_SOURCES: u32 = 100_000;
/// Rounds per measurement; the median is reported.
const ROUNDS: usize = 5;

const DST4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const DST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1);
const BLOCKED4: Ipv4Addr = Ipv4Addr::new(198, 18, 66, 6);
// The allowlisted network is in another /16 (IPv6: /32) than the other
// sources, so their allowlist hint bit is clear; NEAR* share its hint bit.
const ALLOWED4: Ipv4Addr = Ipv4Addr::new(198, 19, 77, 7);
const NEAR4: Ipv4Addr = Ipv4Addr::new(198, 19, 88, 8);
const UNLISTED4: Ipv4Addr = Ipv4Addr::new(198, 18, 88, 8);
const HOST4: Ipv4Addr = Ipv4Addr::new(198, 18, 55, 5);
// Not banned, but in the /24 (IPv6: /48) of the address ban, so its cover
// bit is set and it probes the tables like a banned source.
const NEAR_BANNED4: Ipv4Addr = Ipv4Addr::new(198, 18, 55, 99);
const HOST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x55, 5, 0, 0, 0, 5);
const BLOCKED6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x66, 6, 0, 0, 0, 6);
const ALLOWED6: Ipv6Addr = Ipv6Addr::new(0x3fff, 0, 0x77, 7, 0, 0, 0, 7);
const NEAR6: Ipv6Addr = Ipv6Addr::new(0x3fff, 0, 0x88, 8, 0, 0, 0, 8);
const UNLISTED6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x88, 8, 0, 0, 0, 8);
const NEAR_BANNED6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x55, 9, 0, 0, 0, 9);

struct Case {
    name: &'static str,
    frame: Vec<u8>,
    expect: u32,
}

fn cases() -> Vec<Case> {
    let f = Frame::new();
    let pad = [0u8; 18]; // 60-byte IPv4 frames, 62-byte IPv6 frames
    vec![
        Case {
            name: "v4_drop_blocklisted",
            frame: f.ipv4_udp(BLOCKED4, DST4, &pad),
            expect: 1,
        },
        Case {
            name: "v4_drop_address_ban",
            frame: f.ipv4_udp(HOST4, DST4, &pad),
            expect: 1,
        },
        Case {
            name: "v4_pass_allowlisted",
            frame: f.ipv4_udp(ALLOWED4, DST4, &pad),
            expect: 2,
        },
        Case {
            name: "v4_pass_bucket_update",
            frame: f.ipv4_udp(UNLISTED4, DST4, &pad),
            expect: 2,
        },
        Case {
            name: "v4_pass_bucket_near_allowlisted",
            frame: f.ipv4_udp(NEAR4, DST4, &pad),
            expect: 2,
        },
        Case {
            name: "v4_pass_bucket_near_banned",
            frame: f.ipv4_udp(NEAR_BANNED4, DST4, &pad),
            expect: 2,
        },
        Case {
            name: "v6_drop_blocklisted",
            frame: f.ipv6_udp(BLOCKED6, DST6, &[]),
            expect: 1,
        },
        Case {
            name: "v6_drop_address_ban",
            frame: f.ipv6_udp(HOST6, DST6, &[]),
            expect: 1,
        },
        Case {
            name: "v6_pass_allowlisted",
            frame: f.ipv6_udp(ALLOWED6, DST6, &[]),
            expect: 2,
        },
        Case {
            name: "v6_pass_bucket_update",
            frame: f.ipv6_udp(UNLISTED6, DST6, &[]),
            expect: 2,
        },
        Case {
            name: "v6_pass_bucket_near_allowlisted",
            frame: f.ipv6_udp(NEAR6, DST6, &[]),
            expect: 2,
        },
        Case {
            name: "v6_pass_bucket_near_banned",
            frame: f.ipv6_udp(NEAR_BANNED6, DST6, &[]),
            expect: 2,
        },
    ]
}

fn main() -> Result<()> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    match all.first().map(String::as_str) {
        Some("attach") => return flood::attach(&all[1..]),
        Some("flood") => return flood::flood(&all[1..]),
        Some("floor") => return floor::floor(&all[1..]),
        Some("sweep") => return sweep::sweep(&all[1..]),
        _ => {}
    }
    let mut repeat: u32 = 1_000_000;
    let mut empty_only = false;
    let mut peer = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => {
                repeat = args
                    .next()
                    .context("--repeat needs a number")?
                    .parse()
                    .context("--repeat needs a number")?;
            }
            "--empty-only" => empty_only = true,
            "--peer" => {
                let path = args.next().context("--peer needs a pinned program")?;
                peer = Some(peer::Peer::open(path.as_ref())?);
            }
            other => {
                bail!("unknown argument {other:?} (expected --repeat N, --empty-only, --peer PIN)")
            }
        }
    }
    // BENCH_EDGE_OBJECT=path measures another build of the program (for experiments).
    let object = match std::env::var_os("BENCH_EDGE_OBJECT") {
        Some(path) => std::fs::read(&path).with_context(|| format!("read {path:?}"))?,
        None => gateway::edge::OBJECT.to_vec(),
    };
    if object.is_empty() {
        bail!("the XDP object is empty: build without AYA_BUILD_SKIP");
    }

    let mut ebpf = EbpfLoader::new()
        .load(&object)
        .context("load the XDP object (root needed)")?;
    let program: &mut Xdp = ebpf
        .program_mut(PROGRAM_NAME)
        .context("program missing")?
        .try_into()?;
    program.load().context("verifier")?;
    let info = program.info()?;
    println!(
        "program: {} instructions ({} bytes JIT-compiled), {} verified",
        info.size_translated().unwrap_or(0) / 8,
        info.size_jitted(),
        info.verified_instruction_count().unwrap_or(0)
    );
    let mut block = setup_lists(&mut ebpf)?;
    // BENCH_EDGE_HOLD=1 keeps the program loaded for a while, to read it with bpftool.
    if std::env::var_os("BENCH_EDGE_HOLD").is_some() {
        println!("holding program id {} for 60 s", info.id());
        std::thread::sleep(std::time::Duration::from_secs(60));
    }

    let cases = cases();
    println!("repeat {repeat}, median (and minimum) of {ROUNDS} rounds, ns per packet");
    measure(&ebpf, "empty", &cases, repeat, &mut peer)?;
    measure_without_allowlist(&mut ebpf, "empty-noallow", &cases, repeat, &mut peer)?;
    if empty_only {
        peer.iter_mut().for_each(peer::Peer::report);
        return Ok(());
    }

    let started = Instant::now();
    fill_maps(&mut ebpf, &mut block)?;
    println!(
        "filled {BLOCK_ENTRIES} blocklist entries per family and {TRACKED_SOURCES} sources in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    measure(&ebpf, "full", &cases, repeat, &mut peer)?;
    measure_without_allowlist(&mut ebpf, "full-noallow", &cases, repeat, &mut peer)?;
    peer.iter_mut().for_each(peer::Peer::report);
    Ok(())
}

/// Measures the non-allowlisted cases with the allowlist marked empty (its
/// lookup skipped), as `gateway` does when no allowlist entry exists.
fn measure_without_allowlist(
    ebpf: &mut Ebpf,
    phase: &str,
    cases: &[Case],
    repeat: u32,
    peer: &mut Option<peer::Peer>,
) -> Result<()> {
    let with_allowlist = set_skip(ebpf, |s| s | skip::ALLOW_V4 | skip::ALLOW_V6)?;
    let others: Vec<&Case> = cases
        .iter()
        .filter(|c| !c.name.contains("allowlisted"))
        .collect();
    let res = measure_refs(ebpf, phase, &others, repeat, peer);
    set_skip(ebpf, |_| with_allowlist)?;
    res
}

/// Rewrites the CONFIG skip bits; returns the old ones.
fn set_skip(ebpf: &mut Ebpf, f: impl Fn(u32) -> u32) -> Result<u32> {
    let mut config: Array<&mut MapData, EdgeConfig> =
        Array::try_from(ebpf.map_mut(maps::CONFIG).context("CONFIG")?)?;
    let mut value = config.get(&0, 0)?;
    let old = value.skip;
    value.skip = f(old);
    config.set(0, value, 0)?;
    Ok(old)
}

/// The ban tables, filled the way `gateway` fills them: the prefix length
/// marked in CONFIG, the entry in the table of its family.
struct Blocklist {
    v4: TableV4,
    v6: TableV6,
}

impl Blocklist {
    fn ban4(&mut self, ebpf: &mut Ebpf, len: u32, ip: [u8; 4], value: BanValue) -> Result<()> {
        let key = NetKey {
            len,
            hi: u64::from(u32::from_be_bytes(ip)),
            lo: 0,
        };
        update_config(ebpf, |c| {
            c.set_block_lens(with_len([c.block_lens_v4, 0, 0], len)[0], c.block_lens_v6)
        })?;
        self.v4.insert(&key, &value)?;
        Ok(())
    }

    fn ban6(&mut self, ebpf: &mut Ebpf, len: u32, ip: [u8; 16], value: BanValue) -> Result<()> {
        let bits = u128::from_be_bytes(ip);
        let key = NetKey {
            len,
            hi: (bits >> 64) as u64,
            lo: bits as u64,
        };
        update_config(ebpf, |c| {
            c.set_block_lens(c.block_lens_v4, with_len(c.block_lens_v6, len))
        })?;
        self.v6.insert(&key, &value)?;
        Ok(())
    }
}

/// Applies `f` to the CONFIG entry.
fn update_config(ebpf: &mut Ebpf, f: impl FnOnce(&mut EdgeConfig)) -> Result<()> {
    let mut config: Array<&mut MapData, EdgeConfig> =
        Array::try_from(ebpf.map_mut(maps::CONFIG).context("CONFIG")?)?;
    let mut value = config.get(&0, 0)?;
    let before = value;
    f(&mut value);
    if value != before {
        config.set(0, value, 0)?;
    }
    Ok(())
}

/// The entries the cases hit, and a limit high enough that the bucket never empties.
fn setup_lists(ebpf: &mut Ebpf) -> Result<Blocklist> {
    // What `gateway` itself would write: no per-CIDR limits, so those tries are skipped.
    let initial = EdgeConfig {
        rate: RateLimit {
            pps: 1 << 30,
            burst: 1 << 30,
        },
        skip: skip::LIMIT_V4 | skip::LIMIT_V6,
        ..gateway::edge::initial_config()
    };
    let mut config: Array<&mut MapData, EdgeConfig> =
        Array::try_from(ebpf.map_mut(maps::CONFIG).context("CONFIG")?)?;
    config.set(0, initial, 0)?;
    let seed = initial.table_seed;
    let mut block = Blocklist {
        v4: TableV4::from_map(
            ebpf.take_map(maps::BLOCK_V4).context("BLOCK_V4")?,
            ebpf.take_map(maps::BAN_COVER_V4).context("BAN_COVER_V4")?,
            seed,
        )?,
        v6: TableV6::from_map(
            ebpf.take_map(maps::BLOCK_V6).context("BLOCK_V6")?,
            ebpf.take_map(maps::BAN_COVER_V6).context("BAN_COVER_V6")?,
            seed,
        )?,
    };
    let ban = BanValue {
        expires_ns: 0,
        created_unix: 0,
        reason: BanReason::Manual as u32,
        _pad: 0,
    };
    block.ban4(ebpf, 24, [198, 18, 66, 0], ban)?;
    let mut net6 = BLOCKED6.octets();
    net6[6..].fill(0);
    block.ban6(ebpf, 48, net6, ban)?;
    block.ban4(ebpf, 32, HOST4.octets(), ban)?;
    block.ban6(ebpf, 128, HOST6.octets(), ban)?;
    // As `gateway allow add` does: the hint bits, then the entries.
    for (name, net) in [
        (
            maps::ALLOW_HINTS_V4,
            IpNet::new(ALLOWED4.into(), 24)?.trunc(),
        ),
        (
            maps::ALLOW_HINTS_V6,
            IpNet::new(ALLOWED6.into(), 48)?.trunc(),
        ),
    ] {
        let mut words = hints::Words::default();
        words.set(hints::bits(&net));
        let mut map: Array<&mut MapData, u64> =
            Array::try_from(ebpf.map_mut(name).context("allowlist hints")?)?;
        hints::write(&mut map, name, &words, true)?;
    }
    let mut allow4: LpmTrie<&mut MapData, [u8; 4], u8> =
        LpmTrie::try_from(ebpf.map_mut(maps::ALLOW_V4).context("ALLOW_V4")?)?;
    allow4.insert(&Key::new(24, ALLOWED4.octets()), 1, 0)?;
    let mut allow6: LpmTrie<&mut MapData, [u8; 16], u8> =
        LpmTrie::try_from(ebpf.map_mut(maps::ALLOW_V6).context("ALLOW_V6")?)?;
    allow6.insert(&Key::new(48, ALLOWED6.octets()), 1, 0)?;
    Ok(block)
}

fn fill_maps(ebpf: &mut Ebpf, block: &mut Blocklist) -> Result<()> {
    let mut rng = rand::rng();
    let ban = BanValue {
        expires_ns: 0,
        created_unix: 0,
        reason: BanReason::Import as u32,
        _pad: 0,
    };
    // The random bans keep out of the measured sources' cover groups, so
    // each source keeps its own cover bits (and its own entries stay the
    // longest match): a random IPv6 ban shares a source's folded group one
    // time in 2^24, about 6% of runs for a million bans.
    let groups_v4 = [BLOCKED4, ALLOWED4, NEAR4, UNLISTED4, HOST4, NEAR_BANNED4]
        .map(|a| cover::group_v4(a.to_bits()));
    let groups_v6 = [BLOCKED6, ALLOWED6, NEAR6, UNLISTED6, HOST6, NEAR_BANNED6]
        .map(|a| cover::group_v6((a.to_bits() >> 64) as u64));
    let mut n = 0;
    while n < BLOCK_ENTRIES {
        let mut ip: [u8; 4] = rng.random();
        if ip[..2] == [198, 18] || groups_v4.contains(&cover::group_v4(u32::from_be_bytes(ip))) {
            continue;
        }
        let len = if n % 10 == 0 { 24 } else { 32 };
        if len == 24 {
            ip[3] = 0;
        }
        block.ban4(ebpf, len, ip, ban)?;
        n += 1;
    }
    let mut n = 0;
    while n < BLOCK_ENTRIES {
        let mut ip: [u8; 16] = rng.random();
        ip[0] = 0x2a;
        ip[1] = 0x02;
        let hi = u64::from_be_bytes(ip[..8].try_into().expect("8 bytes"));
        if groups_v6.contains(&cover::group_v6(hi)) {
            continue;
        }
        let len = if n % 10 == 0 { 48 } else { 128 };
        if len == 48 {
            ip[6..].fill(0);
        }
        block.ban6(ebpf, len, ip, ban)?;
        n += 1;
    }
    // Tracked sources: one packet from each through the program, which claims their slots.
    let program: &Xdp = ebpf
        .program(PROGRAM_NAME)
        .context("program missing")?
        .try_into()?;
    let f = Frame::new();
    for n in 0..TRACKED_SOURCES {
        let frame = if n % 2 == 0 {
            let ip: [u8; 4] = rng.random();
            f.ipv4_udp(ip.into(), DST4, &[0u8; 18])
        } else {
            let mut ip: [u8; 16] = rng.random();
            ip[0] = 0x2a;
            ip[1] = 0x03;
            f.ipv6_udp(ip.into(), DST6, &[])
        };
        program.test_run(TestRunOptions {
            data_in: Some(&frame),
            repeat: 1,
            ..TestRunOptions::default()
        })?;
    }
    Ok(())
}

fn measure(
    ebpf: &Ebpf,
    phase: &str,
    cases: &[Case],
    repeat: u32,
    peer: &mut Option<peer::Peer>,
) -> Result<()> {
    measure_refs(ebpf, phase, &cases.iter().collect::<Vec<_>>(), repeat, peer)
}

/// Runs every case `ROUNDS` times; after each round, the peer (if any)
/// runs the frame that case compares with.
fn measure_refs(
    ebpf: &Ebpf,
    phase: &str,
    cases: &[&Case],
    repeat: u32,
    peer: &mut Option<peer::Peer>,
) -> Result<()> {
    let program: &Xdp = ebpf
        .program(PROGRAM_NAME)
        .context("program missing")?
        .try_into()?;
    println!("{phase}:");
    for case in cases {
        let mut samples = Vec::with_capacity(ROUNDS);
        let mut ratios = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let result = program.test_run(TestRunOptions {
                data_in: Some(&case.frame),
                repeat,
                ..TestRunOptions::default()
            })?;
            if result.return_value != case.expect {
                bail!(
                    "{}: action {} instead of {}",
                    case.name,
                    result.return_value,
                    case.expect
                );
            }
            // The kernel reports the mean duration of one run.
            let ours = result.duration.as_nanos() as u64;
            samples.push(ours);
            if let Some(peer) = peer.as_mut() {
                let theirs = peer.round(case.name, repeat)?;
                ratios.push(ours as f64 / theirs.max(1) as f64);
            }
        }
        samples.sort_unstable();
        ratios.sort_unstable_by(f64::total_cmp);
        let (ns, min) = (samples[ROUNDS / 2], samples[0]);
        // Each round's ratio to the peer round right after it; their median.
        let paired = ratios
            .get(ROUNDS / 2)
            .map(|r| format!(" ratio={r:.3}"))
            .unwrap_or_default();
        println!("  {:<24} {:>5} ns (min {min}){paired}", case.name, ns);
        println!(
            "RESULT phase={phase} case={} ns={ns} min={min}{paired}",
            case.name
        );
    }
    Ok(())
}

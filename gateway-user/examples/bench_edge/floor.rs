//! `bench_edge floor`: what the building blocks of the filter cost through
//! `BPF_PROG_TEST_RUN` on this machine, measured on the bench-only programs of
//! `gateway-ebpf/src/floor.rs` (each adds one step to the one before). It
//! tells how far a path of the real program can go: no path can cost less
//! than the steps it must take.

use anyhow::{Context, Result, bail};
use aya::{
    Ebpf, EbpfLoader,
    maps::{HashMap, MapData},
    programs::{TestRun, TestRunOptions, Xdp},
};

use crate::frames::Frame;

/// The floor object, built with the filter by gateway-user's build script.
static FLOOR_OBJECT: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/gateway-xdp-floor"));

/// Programs in the order they add steps, with what the step is.
const PROGRAMS: [(&str, &str); 16] = [
    ("floor_return", "return XDP_DROP (the test-run loop)"),
    ("floor_parse", "+ parse Ethernet/VLAN/IPv4"),
    ("floor_count", "+ one per-CPU counter"),
    ("floor_config", "+ read the settings array"),
    ("floor_coarse", "parse + count + bpf_ktime_get_coarse_ns"),
    ("floor_jiffies", "parse + count + bpf_jiffies64"),
    (
        "floor_hash4",
        "parse + count + hash lookup, 4-byte key (hit)",
    ),
    (
        "floor_hash8",
        "parse + count + hash lookup, 8-byte key (hit)",
    ),
    (
        "floor_hash8x2",
        "parse + count + two 8-byte lookups (miss, hit)",
    ),
    (
        "floor_hash_miss",
        "parse + count + hash lookup, 8-byte key (miss)",
    ),
    (
        "floor_lpm",
        "parse + count + LPM trie lookup (one /24, hit)",
    ),
    (
        "floor_probe",
        "parse + count + inline probe of an array table (hit)",
    ),
    (
        "floor_probe2",
        "parse + count + two inline probes (miss, hit)",
    ),
    (
        "floor_lru4",
        "parse + count + LRU lookup, 4-byte key, plain add",
    ),
    (
        "floor_lru4_atomic",
        "parse + count + LRU 4-byte key + atomic add",
    ),
    (
        "floor_lru24_atomic",
        "parse + count + LRU 24-byte key + atomic add",
    ),
];

/// `floor [--repeat N] [--rounds N]`: prints median and minimum per program.
pub fn floor(args: &[String]) -> Result<()> {
    let mut repeat = 1_000_000u32;
    let mut rounds = 7usize;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().context("a number after the flag")?;
        match arg.as_str() {
            "--repeat" => repeat = value.parse().context("--repeat")?,
            "--rounds" => rounds = value.parse().context("--rounds")?,
            other => bail!("unknown argument {other:?} (expected --repeat N, --rounds N)"),
        }
    }
    let object = match std::env::var_os("BENCH_EDGE_FLOOR_OBJECT") {
        Some(path) => std::fs::read(&path).with_context(|| format!("read {path:?}"))?,
        None => FLOOR_OBJECT.to_vec(),
    };
    if object.is_empty() {
        bail!("the floor object is empty: build without AYA_BUILD_SKIP");
    }
    let mut ebpf = EbpfLoader::new()
        .load(&object)
        .context("load the floor object")?;
    for (name, _) in PROGRAMS {
        let program: &mut Xdp = ebpf.program_mut(name).context(name)?.try_into()?;
        program
            .load()
            .with_context(|| format!("verifier: {name}"))?;
    }
    let src = [198, 18, 66, 6];
    fill(&mut ebpf, src)?;
    let frame = Frame::new().ipv4_udp(src.into(), [198, 18, 0, 1].into(), &[0u8; 18]);

    // Rounds interleave the programs, so a burst of load on the machine hits them all alike.
    let mut samples = vec![Vec::with_capacity(rounds); PROGRAMS.len()];
    for _ in 0..rounds {
        for (i, (name, _)) in PROGRAMS.iter().enumerate() {
            let program: &Xdp = ebpf.program(name).context(name)?.try_into()?;
            let result = program.test_run(TestRunOptions {
                data_in: Some(&frame),
                repeat,
                ..TestRunOptions::default()
            })?;
            samples[i].push(result.duration.as_nanos());
        }
    }
    println!("floor: repeat {repeat}, {rounds} rounds, ns per packet (median, min)");
    for ((name, what), mut s) in PROGRAMS.iter().zip(samples) {
        s.sort_unstable();
        let (median, min) = (s[s.len() / 2], s[0]);
        println!("  {name:<20} {median:>4} {min:>4}  {what}");
        println!("RESULT phase=floor case={name} ns={median} min={min}");
    }
    Ok(())
}

/// Puts the measured source in every map the programs look it up in.
fn fill(ebpf: &mut Ebpf, a: [u8; 4]) -> Result<()> {
    let mut h4: HashMap<&mut MapData, [u8; 4], [u64; 3]> =
        HashMap::try_from(ebpf.map_mut("FLOOR_HASH4").context("FLOOR_HASH4")?)?;
    h4.insert(a, [0; 3], 0)?;
    let mut h8: HashMap<&mut MapData, [u8; 8], [u64; 3]> =
        HashMap::try_from(ebpf.map_mut("FLOOR_HASH8").context("FLOOR_HASH8")?)?;
    h8.insert([32, 0, 0, 0, a[0], a[1], a[2], a[3]], [0; 3], 0)?;
    h8.insert([24, 0, 0, 0, a[0], a[1], a[2], 0], [0; 3], 0)?;
    let mut lpm: aya::maps::LpmTrie<&mut MapData, [u8; 4], [u64; 3]> =
        aya::maps::LpmTrie::try_from(ebpf.map_mut("FLOOR_LPM").context("FLOOR_LPM")?)?;
    lpm.insert(
        &aya::maps::lpm_trie::Key::new(24, [a[0], a[1], a[2], 0]),
        [0; 3],
        0,
    )?;
    let mut table: aya::maps::Array<&mut MapData, [u64; 8]> =
        aya::maps::Array::try_from(ebpf.map_mut("FLOOR_TABLE").context("FLOOR_TABLE")?)?;
    let addr = u32::from_be_bytes(a);
    for (len, addr) in [(32u64, addr), (24, addr & 0xffff_ff00)] {
        let key = (1u64 << 40) | (len << 32) | u64::from(addr);
        let h = (key ^ 0x5bd1_e995_1234_5678).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 48;
        let mut slots = table.get(&(h as u32), 0)?;
        slots[3] = key; // the last slot: the worst case of a bucket
        slots[7] = 1;
        table.set(h as u32, slots, 0)?;
    }
    let mut l4: HashMap<&mut MapData, [u8; 4], [u64; 4]> =
        HashMap::try_from(ebpf.map_mut("FLOOR_LRU4").context("FLOOR_LRU4")?)?;
    l4.insert(a, [0; 4], 0)?;
    let mut key = [0u8; 24];
    key[0] = 4;
    key[4] = 32;
    key[8..12].copy_from_slice(&a);
    let mut l24: HashMap<&mut MapData, [u8; 24], [u64; 4]> =
        HashMap::try_from(ebpf.map_mut("FLOOR_LRU24").context("FLOOR_LRU24")?)?;
    l24.insert(key, [0; 4], 0)?;
    Ok(())
}

//! `cargo xtask bench edge`: per-packet cost of the XDP program through
//! `BPF_PROG_TEST_RUN`, next to xdp-filter's program measured the same way in
//! the same run.
//!
//! Our side runs `gateway-user`'s `bench_edge` example (xtask must not depend
//! on gateway-user: it has to build before bpf-linker exists). xdp-filter is
//! loaded on a veth inside a throwaway network namespace (198.18.x addresses),
//! its program is run by id with `bpftool prog run`, then everything is removed.
//! Prints a Markdown table for BENCHMARKS.md. Needs root.

#[path = "../../tests/support/frames.rs"]
mod frames;

use std::{
    collections::BTreeMap,
    fs,
    net::{Ipv4Addr, Ipv6Addr},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, Result, bail};

use crate::cmd_output;

/// Rounds per xdp-filter case; the median is reported (as in the example).
const ROUNDS: usize = 5;

const DST4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const DST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1);
// The same sources as the example's cases.
const BLOCKED4: Ipv4Addr = Ipv4Addr::new(198, 18, 66, 6);
const UNLISTED4: Ipv4Addr = Ipv4Addr::new(198, 18, 88, 8);
const BLOCKED6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x66, 6, 0, 0, 0, 6);
const UNLISTED6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x88, 8, 0, 0, 0, 8);

/// Runs the whole edge benchmark and prints the results.
pub fn bench_edge(repeat: u32, flood: bool) -> Result<()> {
    println!("== gateway XDP program (BPF_PROG_TEST_RUN, repeat {repeat}) ==");
    let ours = run_ours(repeat)?;
    println!("== xdp-filter (bpftool prog run, repeat {repeat}) ==");
    let theirs = run_xdp_filter(repeat)?;
    print_table(&ours, &theirs, repeat);
    if flood {
        println!();
        println!("== veth flood ==");
        let floods = crate::bench_flood::run_floods("target/release/examples/bench_edge")?;
        println!();
        println!("| receiver | sent (pps) | dropped or received (pps) | softirq CPU (ns/packet) |");
        println!("|---|---|---|---|");
        for f in floods {
            println!(
                "| {} | {:.0} | {:.0} | {:.0} |",
                f.mode, f.sent_pps, f.handled_pps, f.softirq_ns_per_packet
            );
        }
    }
    Ok(())
}

/// (phase, case) → ns per packet: (median, minimum) of the rounds.
type Results = BTreeMap<(String, String), (u64, u64)>;

fn run_ours(repeat: u32) -> Result<Results> {
    let out = cmd_output(Command::new("cargo").args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "gateway-user",
        "--example",
        "bench_edge",
        "--",
        "--repeat",
        &repeat.to_string(),
    ]))?;
    let mut results = Results::new();
    for line in out.lines() {
        let Some(rest) = line.strip_prefix("RESULT ") else {
            println!("{line}");
            continue;
        };
        let field = |name: &str| {
            rest.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name))
                .map(str::to_owned)
        };
        let (Some(phase), Some(case), Some(ns), Some(min)) =
            (field("phase="), field("case="), field("ns="), field("min="))
        else {
            bail!("unreadable line from bench_edge: {line}");
        };
        results.insert(
            (phase, case),
            (ns.parse().context("ns")?, min.parse().context("min")?),
        );
    }
    Ok(results)
}

/// A network namespace with a veth pair, deleted (with whatever is attached) on drop.
struct Netns {
    name: String,
    veth: String,
}

impl Netns {
    fn create() -> Result<Netns> {
        let id = std::process::id();
        let ns = Netns {
            name: format!("gwbench-{id}"),
            veth: format!("gwb{}a", id % 100_000),
        };
        crate::run(Command::new("ip").args(["netns", "add", &ns.name]))?;
        let peer = format!("gwb{}b", id % 100_000);
        ns.ip(&[
            "link", "add", &ns.veth, "type", "veth", "peer", "name", &peer,
        ])?;
        ns.ip(&["addr", "add", "198.18.250.1/30", "dev", &ns.veth])?;
        ns.ip(&["addr", "add", "198.18.250.2/30", "dev", &peer])?;
        ns.ip(&["link", "set", &ns.veth, "up"])?;
        ns.ip(&["link", "set", &peer, "up"])?;
        Ok(ns)
    }

    fn ip(&self, args: &[&str]) -> Result<String> {
        cmd_output(Command::new("ip").arg("-n").arg(&self.name).args(args))
    }

    /// A command run inside the namespace's network (but the host's mounts, so bpffs is there).
    fn exec(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net=/var/run/netns/{}", self.name))
            .arg(program);
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = self
            .exec("xdp-filter")
            .args(["unload", &self.veth])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A scratch directory for frame files, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run_xdp_filter(repeat: u32) -> Result<Results> {
    let ns = Netns::create()?;
    // Attach xdp-filter's program itself, not libxdp's dispatcher in front of
    // it, so both programs are measured alone.
    crate::run(
        ns.exec("xdp-filter")
            .env("LIBXDP_SKIP_DISPATCHER", "1")
            .args(["load", &ns.veth]),
    )?;
    for ip in [BLOCKED4.to_string(), BLOCKED6.to_string()] {
        crate::run(ns.exec("xdp-filter").args(["ip", &ip, "-m", "src"]))?;
    }
    let link = ns.ip(&["-d", "link", "show", "dev", &ns.veth])?;
    let id = link
        .split_whitespace()
        .skip_while(|w| !w.starts_with("prog/xdp"))
        .nth(2)
        .with_context(|| format!("no XDP program id in: {link}"))?
        .to_owned();
    let info = cmd_output(Command::new("bpftool").args(["prog", "show", "id", &id]))?;
    println!("{}", info.lines().next().unwrap_or_default());

    let scratch = Scratch(std::env::temp_dir().join(format!("gwbench-{}", std::process::id())));
    fs::create_dir_all(&scratch.0)?;
    let f = frames::Frame::new();
    let pad = [0u8; 18];
    let cases = [
        ("v4_drop_blocklisted", f.ipv4_udp(BLOCKED4, DST4, &pad), 1),
        ("v4_pass_unlisted", f.ipv4_udp(UNLISTED4, DST4, &pad), 2),
        ("v6_drop_blocklisted", f.ipv6_udp(BLOCKED6, DST6, &[]), 1),
        ("v6_pass_unlisted", f.ipv6_udp(UNLISTED6, DST6, &[]), 2),
    ];
    let mut results = Results::new();
    for (name, frame, expect) in cases {
        let path = scratch.0.join(format!("{name}.bin"));
        fs::write(&path, &frame)?;
        let mut samples = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let (action, ns_per_packet) = bpftool_run(&id, &path, repeat)?;
            if action != expect {
                bail!("xdp-filter {name}: action {action} instead of {expect}");
            }
            samples.push(ns_per_packet);
        }
        samples.sort_unstable();
        let (ns_per_packet, min) = (samples[ROUNDS / 2], samples[0]);
        println!("  {name:<24} {ns_per_packet:>5} ns (min {min})");
        results.insert(("xdp-filter".into(), name.into()), (ns_per_packet, min));
    }
    Ok(results)
}

/// `bpftool prog run`: (return value, mean ns per run).
fn bpftool_run(id: &str, frame: &Path, repeat: u32) -> Result<(u32, u64)> {
    let out = cmd_output(Command::new("bpftool").args([
        "prog",
        "run",
        "id",
        id,
        "data_in",
        &frame.display().to_string(),
        "repeat",
        &repeat.to_string(),
    ]))?;
    // "Return value: 1, duration (average): 123ns"
    let number_after = |label: &str| -> Option<u64> {
        let rest = &out[out.find(label)? + label.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    match (number_after("Return value:"), number_after("(average):")) {
        (Some(action), Some(ns)) => Ok((action as u32, ns)),
        _ => bail!("unreadable bpftool output: {out}"),
    }
}

fn print_table(ours: &Results, theirs: &Results, repeat: u32) {
    let get =
        |map: &Results, phase: &str, case: &str| map.get(&(phase.into(), case.into())).copied();
    // "median (min)"; ratios are of medians.
    let cell = |v: Option<(u64, u64)>| v.map_or("-".to_owned(), |(m, lo)| format!("{m} ({lo})"));
    let ratio = |a: Option<(u64, u64)>, b: Option<(u64, u64)>| match (a, b) {
        (Some((a, _)), Some((b, _))) if b > 0 => format!("{:.2}", a as f64 / b as f64),
        _ => "-".to_owned(),
    };
    println!();
    println!(
        "ns per packet, BPF_PROG_TEST_RUN, repeat {repeat}, median (minimum) of {ROUNDS} rounds"
    );
    println!();
    println!(
        "| case | gateway (near-empty maps) | gateway (1M bans/family, 100k sources) | xdp-filter | gateway / xdp-filter | full / empty |"
    );
    println!("|---|---|---|---|---|---|");
    // "no allowlist": the same program with the allowlist empty, so its lookup
    // is skipped (CONFIG skip bits), as on a host that configures none.
    let rows = [
        ("drop_blocklisted", "drop_blocklisted", ""),
        ("drop_address_ban", "drop_blocklisted", ""),
        ("pass_allowlisted", "pass_unlisted", ""),
        ("pass_bucket_update", "pass_unlisted", ""),
        ("pass_bucket_near_allowlisted", "pass_unlisted", ""),
        ("pass_bucket_near_banned", "pass_unlisted", ""),
        ("drop_blocklisted", "drop_blocklisted", "-noallow"),
        ("drop_address_ban", "drop_blocklisted", "-noallow"),
        ("pass_bucket_update", "pass_unlisted", "-noallow"),
        ("pass_bucket_near_banned", "pass_unlisted", "-noallow"),
    ];
    for fam in ["v4", "v6"] {
        for (case, theirs_case, variant) in rows {
            let name = format!("{fam}_{case}");
            let empty = get(ours, &format!("empty{variant}"), &name);
            let full = get(ours, &format!("full{variant}"), &name);
            let xf = get(theirs, "xdp-filter", &format!("{fam}_{theirs_case}"));
            let label = if variant.is_empty() {
                name.clone()
            } else {
                format!("{name}, no allowlist")
            };
            println!(
                "| {label} | {} | {} | {} ({fam}_{theirs_case}) | {} | {} |",
                cell(empty),
                cell(full),
                cell(xf),
                ratio(empty, xf),
                ratio(full, empty),
            );
        }
    }
}

//! `cargo xtask bench edge`: per-packet cost of the XDP program through
//! `BPF_PROG_TEST_RUN`, next to xdp-filter's program measured the same way in
//! the same rounds.
//!
//! xdp-filter is loaded first, on a veth inside a throwaway network namespace
//! (198.18.x addresses), with the blocked sources added; its program is
//! pinned in bpffs. Then `gateway-user`'s `bench_edge` example (xtask must
//! not depend on gateway-user: it has to build before bpf-linker exists)
//! runs our cases and, after each round of each, xdp-filter's matching case
//! from the pin (`--peer`), so the ratios do not depend on when in the run
//! this VM was fast. Everything is removed afterwards. Prints a Markdown
//! table for BENCHMARKS.md. Needs root.

use std::{
    collections::BTreeMap,
    fs,
    net::{Ipv4Addr, Ipv6Addr},
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::{Context, Result, bail};

use crate::cmd_output;

/// Rounds per case; the median is reported (the example's constant).
const ROUNDS: usize = 5;

// The sources the example's peer cases send from.
const BLOCKED4: Ipv4Addr = Ipv4Addr::new(198, 18, 66, 6);
const BLOCKED6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x66, 6, 0, 0, 0, 6);

/// Runs the whole edge benchmark and prints the results.
pub fn bench_edge(repeat: u32, flood: bool) -> Result<()> {
    let results = {
        let peer = XdpFilter::load()?;
        println!("== gateway XDP program and xdp-filter (BPF_PROG_TEST_RUN, repeat {repeat}) ==");
        run_ours(repeat, &peer.pin)?
    };
    print_table(&results, repeat);
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

/// One case's ns per packet: (median, minimum) of the rounds, and the
/// median ratio of each round to the xdp-filter round run right after it.
type Measured = (u64, u64, Option<f64>);

/// (phase, case) → what was measured.
type Results = BTreeMap<(String, String), Measured>;

fn run_ours(repeat: u32, peer: &std::path::Path) -> Result<Results> {
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
        "--peer",
        &peer.display().to_string(),
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
        let ratio = field("ratio=")
            .map(|r| r.parse())
            .transpose()
            .context("ratio")?;
        results.insert(
            (phase, case),
            (
                ns.parse().context("ns")?,
                min.parse().context("min")?,
                ratio,
            ),
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

/// xdp-filter loaded in its namespace, its program pinned; all removed on drop.
struct XdpFilter {
    pin: PathBuf,
    // Dropped after the pin: unloads xdp-filter and deletes the namespace.
    _ns: Netns,
}

impl XdpFilter {
    fn load() -> Result<XdpFilter> {
        let ns = Netns::create()?;
        // Attach xdp-filter's program itself, not libxdp's dispatcher in front
        // of it, so both programs are measured alone.
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
        println!("xdp-filter: {}", info.lines().next().unwrap_or_default());
        let pin = PathBuf::from(format!(
            "/sys/fs/bpf/gwbench-xdp-filter-{}",
            std::process::id()
        ));
        crate::run(
            Command::new("bpftool")
                .args(["prog", "pin", "id", &id])
                .arg(&pin),
        )?;
        Ok(XdpFilter { pin, _ns: ns })
    }
}

impl Drop for XdpFilter {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.pin);
    }
}

fn print_table(results: &Results, repeat: u32) {
    let get =
        |map: &Results, phase: &str, case: &str| map.get(&(phase.into(), case.into())).copied();
    // "median (min)".
    let cell = |v: Option<Measured>| v.map_or("-".to_owned(), |(m, lo, _)| format!("{m} ({lo})"));
    let paired = |v: Option<Measured>| {
        v.and_then(|(_, _, r)| r)
            .map_or("-".to_owned(), |r| format!("{r:.2}"))
    };
    // Full against near-empty: of the paired ratios (each measured against
    // xdp-filter at the same moment, so the drift between the two phases,
    // minutes apart, cancels); of the medians without a peer.
    let ratio = |a: Option<Measured>, b: Option<Measured>| match (a, b) {
        (Some((_, _, Some(a))), Some((_, _, Some(b)))) if b > 0.0 => format!("{:.2}", a / b),
        (Some((a, _, _)), Some((b, _, _))) if b > 0 => format!("{:.2}", a as f64 / b as f64),
        _ => "-".to_owned(),
    };
    println!();
    println!(
        "ns per packet, BPF_PROG_TEST_RUN, repeat {repeat}, median (minimum) of {ROUNDS} rounds; \
         xdp-filter: of its rounds, one after each round of ours. gateway / xdp-filter: the \
         median of each round's ratio to the xdp-filter round right after it."
    );
    println!();
    println!(
        "| case | gateway (near-empty maps) | gateway (1M bans/family, 100k sources) | xdp-filter | gateway / xdp-filter, near-empty | gateway / xdp-filter, full | full / empty |"
    );
    println!("|---|---|---|---|---|---|---|");
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
            let empty = get(results, &format!("empty{variant}"), &name);
            let full = get(results, &format!("full{variant}"), &name);
            let xf = get(results, "xdp-filter", &format!("{fam}_{theirs_case}"));
            let label = if variant.is_empty() {
                name.clone()
            } else {
                format!("{name}, no allowlist")
            };
            println!(
                "| {label} | {} | {} | {} ({fam}_{theirs_case}) | {} | {} | {} |",
                cell(empty),
                cell(full),
                cell(xf),
                paired(empty),
                paired(full),
                ratio(full, empty),
            );
        }
    }
}

//! The veth flood of `cargo xtask bench edge`: one namespace floods another
//! over a veth pair (198.18.251.0/30) with a banned source, and we count what
//! the receiver dropped, per second and in softirq CPU per packet, for: no
//! filter, an nftables drop rule in the netdev ingress hook, our filter in
//! native XDP mode, and in SKB (generic) mode.
//!
//! On veth the sender's CPU bounds all of these (both namespaces share the
//! host's cores), so the packets/s say more about the sender than the filter;
//! the softirq time per packet is the better comparison, and is still noisy.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, Result, bail};

use crate::cmd_output;

const SENDER_IP: &str = "198.18.251.1";
const RECEIVER_IP: &str = "198.18.251.2";
/// Upper bounds of one flood.
const MAX_PACKETS: u64 = 20_000_000;
const SECONDS: u64 = 3;

/// One flood's outcome.
pub struct FloodResult {
    /// Receiver set-up measured.
    pub mode: &'static str,
    /// Packets the sender got out, per second.
    pub sent_pps: f64,
    /// Packets the receiver dropped (or, with no filter, received), per second.
    pub handled_pps: f64,
    /// Softirq CPU time over the flood, per handled packet.
    pub softirq_ns_per_packet: f64,
}

/// Two namespaces joined by a veth pair; deleted on drop.
struct Pair {
    sender: String,
    receiver: String,
    tx: String,
    rx: String,
}

impl Pair {
    fn create(tag: &str) -> Result<Pair> {
        let id = std::process::id() % 100_000;
        let pair = Pair {
            sender: format!("gwflood-s-{tag}-{id}"),
            receiver: format!("gwflood-r-{tag}-{id}"),
            tx: format!("gwf{id}{}", &tag[..1]),
            rx: format!("gwf{id}{}r", &tag[..1]),
        };
        crate::run(Command::new("ip").args(["netns", "add", &pair.sender]))?;
        crate::run(Command::new("ip").args(["netns", "add", &pair.receiver]))?;
        crate::run(Command::new("ip").args([
            "link",
            "add",
            &pair.tx,
            "netns",
            &pair.sender,
            "type",
            "veth",
            "peer",
            "name",
            &pair.rx,
            "netns",
            &pair.receiver,
        ]))?;
        crate::run(Command::new("ip").args([
            "-n",
            &pair.sender,
            "addr",
            "add",
            &format!("{SENDER_IP}/30"),
            "dev",
            &pair.tx,
        ]))?;
        crate::run(Command::new("ip").args([
            "-n",
            &pair.receiver,
            "addr",
            "add",
            &format!("{RECEIVER_IP}/30"),
            "dev",
            &pair.rx,
        ]))?;
        for (ns, dev) in [(&pair.sender, &pair.tx), (&pair.receiver, &pair.rx)] {
            crate::run(Command::new("ip").args(["-n", ns, "link", "set", dev, "up"]))?;
        }
        Ok(pair)
    }

    fn in_receiver(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.receiver, program]);
        cmd
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for ns in [&self.sender, &self.receiver] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A child process killed on drop (the XDP holder, if the flood fails midway).
struct Holder(Child);

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Softirq jiffies of all CPUs, from /proc/stat.
fn softirq_ticks() -> Result<u64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    // cpu user nice system idle iowait irq softirq …
    line.split_whitespace()
        .nth(7)
        .context("short /proc/stat")?
        .parse()
        .context("/proc/stat softirq")
}

/// Runs the four floods; `bench` is the path of the built bench_edge example.
pub fn run_floods(bench: &str) -> Result<Vec<FloodResult>> {
    let mut results = Vec::new();
    for mode in ["none", "nft-ingress", "xdp-native", "xdp-skb"] {
        let result = flood_once(bench, mode).with_context(|| format!("flood with {mode}"))?;
        println!(
            "  {:<12} sent {:>9.0} pps, handled {:>9.0} pps, softirq {:>6.0} ns/packet",
            result.mode, result.sent_pps, result.handled_pps, result.softirq_ns_per_packet
        );
        results.push(result);
    }
    Ok(results)
}

fn flood_once(bench: &str, mode: &'static str) -> Result<FloodResult> {
    let tag = match mode {
        "none" => "n",
        "nft-ingress" => "f",
        "xdp-native" => "x",
        _ => "k",
    };
    let pair = Pair::create(tag)?;
    let mut holder = None;
    match mode {
        "nft-ingress" => {
            let rules = format!(
                "table netdev gwbench {{\n  chain ingress {{\n    type filter hook ingress device {} priority -500;\n    ip saddr {SENDER_IP} counter drop\n  }}\n}}\n",
                pair.rx
            );
            let mut nft = pair
                .in_receiver("nft")
                .args(["-f", "-"])
                .stdin(Stdio::piped())
                .spawn()?;
            nft.stdin
                .take()
                .context("nft stdin")?
                .write_all(rules.as_bytes())?;
            if !nft.wait()?.success() {
                bail!("nft rejected the ruleset");
            }
        }
        "xdp-native" | "xdp-skb" => {
            let xdp_mode = if mode == "xdp-native" {
                "native"
            } else {
                "skb"
            };
            let mut child = Holder(
                pair.in_receiver(bench)
                    .args([
                        "attach", "--iface", &pair.rx, "--mode", xdp_mode, "--ban", SENDER_IP,
                    ])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()?,
            );
            let stdout = child.0.stdout.take().context("holder stdout")?;
            let mut lines = BufReader::new(stdout).lines();
            match lines.next() {
                Some(Ok(line)) if line == "ready" => {}
                other => bail!("the XDP holder did not start: {other:?}"),
            }
            holder = Some((child, lines));
        }
        _ => {}
    }
    let link = cmd_output(Command::new("ip").args([
        "-n",
        &pair.receiver,
        "-br",
        "link",
        "show",
        "dev",
        &pair.rx,
    ]))?;
    let mac = link
        .split_whitespace()
        .nth(2)
        .context("receiver MAC")?
        .to_owned();
    let rx_before = rx_packets(&pair)?;
    let soft_before = softirq_ticks()?;
    let out = cmd_output(Command::new("ip").args([
        "netns",
        "exec",
        &pair.sender,
        bench,
        "flood",
        "--iface",
        &pair.tx,
        "--dst-mac",
        &mac,
        "--src",
        SENDER_IP,
        "--dst",
        RECEIVER_IP,
        "--count",
        &MAX_PACKETS.to_string(),
        "--seconds",
        &SECONDS.to_string(),
    ]))?;
    // Let the receiver finish its backlog before reading counters.
    std::thread::sleep(Duration::from_millis(200));
    let soft_after = softirq_ticks()?;
    let field = |text: &str, name: &str| -> Result<f64> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .with_context(|| format!("no {name} in {text}"))?
            .parse()
            .with_context(|| format!("bad {name} in {text}"))
    };
    let sent = field(&out, "sent=")?;
    let seconds = field(&out, "seconds=")?;
    let handled = match mode {
        "nft-ingress" => {
            let rules = cmd_output(
                pair.in_receiver("nft")
                    .args(["list", "table", "netdev", "gwbench"]),
            )?;
            field(&rules.replace("packets ", "packets="), "packets=")?
        }
        "xdp-native" | "xdp-skb" => {
            let (mut child, mut lines) = holder.take().context("holder")?;
            drop(child.0.stdin.take());
            let line = lines
                .find_map(|l| l.ok().filter(|l| l.starts_with("RESULT")))
                .context("no result from the XDP holder")?;
            let _ = child.0.wait();
            field(&line, "dropped=")?
        }
        _ => (rx_packets(&pair)? - rx_before) as f64,
    };
    // USER_HZ is 100 on Linux: one tick is 10 ms.
    let softirq_ns = (soft_after - soft_before) as f64 * 10_000_000.0;
    Ok(FloodResult {
        mode,
        sent_pps: sent / seconds,
        handled_pps: handled / seconds,
        softirq_ns_per_packet: if handled > 0.0 {
            softirq_ns / handled
        } else {
            0.0
        },
    })
}

/// RX packets of the receiving veth.
fn rx_packets(pair: &Pair) -> Result<u64> {
    let out = cmd_output(Command::new("ip").args([
        "-n",
        &pair.receiver,
        "-s",
        "link",
        "show",
        "dev",
        &pair.rx,
    ]))?;
    let mut lines = out.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("RX:") {
            let values = lines.next().context("RX values")?;
            return values
                .split_whitespace()
                .nth(1)
                .context("RX packets")?
                .parse()
                .context("RX packets");
        }
    }
    bail!("no RX statistics in: {out}")
}

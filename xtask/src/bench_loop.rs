//! `cargo xtask bench loop`: how fast the loop closes, and what it saves.
//!
//! - One node: the time from sending the offending request to the first TCP SYN
//!   the XDP filter drops. A thread inside the attacker's namespace sends one SQL
//!   injection (the ban threshold is one WAF block), then connects every
//!   millisecond; a connect that times out is a dropped SYN.
//! - Two nodes: the same request sent to node A; the time until node B's XDP map
//!   holds the ban (polled with `gateway ban list --json`, a few ms per poll).
//! - The attacker's share of the gateway's CPU under the same flood of attack
//!   requests (8 connections in a loop), without a ban and with it, from
//!   `/proc/PID/stat`.
use std::{
    fmt::Write as _,
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    os::fd::AsRawFd,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread::sleep,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::{
    bench_util::{Killed, free_port, start_nginx, wait_port, write_section},
    run,
};

/// Options of the loop benchmark.
pub struct Options {
    /// Measurements per latency.
    pub runs: u32,
    /// Seconds of flood per CPU measurement.
    pub flood_secs: u32,
}

const NS_A: &str = "gwloop-a";
const NS_B: &str = "gwloop-b";
/// (namespace, host side, namespace side, host address, namespace address)
const PAIRS: [(&str, &str, &str, &str, &str); 2] = [
    (
        NS_A,
        "gwloop-a0",
        "gwloop-a1",
        "198.18.210.1",
        "198.18.210.2",
    ),
    (
        NS_B,
        "gwloop-b0",
        "gwloop-b1",
        "198.18.210.5",
        "198.18.210.6",
    ),
];
const PINS: [&str; 2] = ["/sys/fs/bpf/gateway-loop-a", "/sys/fs/bpf/gateway-loop-b"];
const ATTACK: &[u8] =
    b"GET /search?q=1%27%20OR%201%3D1-- HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";

struct Cleanup;

impl Cleanup {
    fn run() {
        for (ns, host_if, ..) in PAIRS {
            let _ = Command::new("ip")
                .args(["link", "del", host_if])
                .stderr(Stdio::null())
                .status();
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
        for p in PINS {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        Cleanup::run();
    }
}

/// Runs the benchmark.
pub fn bench(o: &Options) -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--bin", "gateway"]))?;
    let root = std::env::current_dir()?;
    let gateway = root.join("target/release/gateway");
    let dir = root.join("target/bench-loop");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Cleanup::run();
    let _cleanup = Cleanup;
    for (ns, host_if, peer_if, host_ip, peer_ip) in PAIRS {
        for args in [
            vec!["netns", "add", ns],
            vec![
                "link", "add", host_if, "type", "veth", "peer", "name", peer_if,
            ],
            vec!["link", "set", peer_if, "netns", ns],
            vec!["addr", "add", &format!("{host_ip}/30"), "dev", host_if],
            vec!["link", "set", host_if, "up"],
        ] {
            run(Command::new("ip").args(&args))?;
        }
        for args in [
            vec!["addr", "add", &format!("{peer_ip}/30"), "dev", peer_if],
            vec!["link", "set", peer_if, "up"],
            vec!["link", "set", "lo", "up"],
        ] {
            run(Command::new("ip")
                .args(["netns", "exec", ns, "ip"])
                .args(&args))?;
        }
    }
    let up = free_port()?;
    let _upstream = start_nginx(
        &dir,
        1,
        "",
        &format!("    server {{ listen 127.0.0.1:{up}; location / {{ return 200 \"ok\\n\"; }} }}"),
    )?;
    wait_port(up)?;
    let redis_port = free_port()?;
    let _redis = Killed(
        Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .context("start redis-server")?,
    );
    wait_port(redis_port)?;

    // Node A (attacker side) and node B, sharing bans; one WAF block bans.
    let port = free_port()?;
    let mut nodes = Vec::new();
    for (i, (_, host_if, _, host_ip, _)) in PAIRS.iter().enumerate() {
        let name = if i == 0 { "a" } else { "b" };
        let yaml = format!(
            "listeners:\n  - name: p\n    bind: {host_ip}:{port}\n\
upstreams:\n  u: {{ targets: [\"127.0.0.1:{up}\"] }}\n\
routes:\n  - name: r\n    upstream: u\n\
access_log: {{ enabled: false }}\n\
waf: {{ mode: block }}\n\
edge: {{ interfaces: [{host_if}], mode: skb, pin_dir: {} }}\n\
bans: {{ threshold: 5, window: 1m, ttl: 1h, points: {{ waf: 5 }} }}\n\
cluster: {{ redis: \"redis://127.0.0.1:{redis_port}\", channel: gateway-bench-loop, node: node-{name} }}\n",
            PINS[i]
        );
        let path = dir.join(format!("node-{name}.yaml"));
        std::fs::write(&path, yaml)?;
        std::fs::create_dir_all(dir.join(format!("state-{name}")))?;
        nodes.push(Killed(
            Command::new(&gateway)
                .args(["run", "--config"])
                .arg(&path)
                .env("GATEWAY_STATE_DIR", dir.join(format!("state-{name}")))
                .env("GATEWAY_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .context("start a gateway node")?,
        ));
    }
    let a_addr: SocketAddr = format!("{}:{port}", PAIRS[0].3).parse()?;
    let attacker_ip = PAIRS[0].4;
    wait_until("node A listens", || {
        in_ns(NS_A, move || {
            TcpStream::connect_timeout(&a_addr, Duration::from_secs(1)).is_ok()
        })
        .unwrap_or(false)
    })?;
    let cli = |pin: &str, args: &[&str]| -> Result<String> {
        let state = if pin == PINS[0] { "state-a" } else { "state-b" };
        let out = Command::new(&gateway)
            .args(args)
            .env("GATEWAY_PIN_DIR", pin)
            .env("GATEWAY_STATE_DIR", dir.join(state))
            .output()?;
        if !out.status.success() {
            bail!(
                "gateway {args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let cidr = format!("{attacker_ip}/32");
    let unban = |reason: &str| -> Result<()> {
        // Unban everywhere (published), then wait until both maps are clear.
        let config = dir.join("node-a.yaml");
        cli(
            PINS[0],
            &["ban", "del", &cidr, "--config", &config.to_string_lossy()],
        )
        .with_context(|| format!("unban after {reason}"))?;
        wait_until("both maps drop the ban", || {
            PINS.iter()
                .all(|p| cli(p, &["ban", "list", "--json"]).is_ok_and(|s| !s.contains(&cidr)))
        })?;
        // The daemon lifts the ban at accept on its next sweep (every second).
        wait_until("node A serves the client again", || {
            in_ns(NS_A, move || served(a_addr)).unwrap_or(false)
        })?;
        Ok(())
    };

    let mut to_drop = Vec::new();
    let mut to_remote_map = Vec::new();
    for run_i in 0..o.runs {
        // One node: request → first dropped SYN, measured inside the namespace.
        let elapsed = in_ns(NS_A, move || request_to_first_drop(a_addr))?
            .with_context(|| format!("one-node run {}", run_i + 1))?;
        to_drop.push(elapsed);
        // Two nodes: the same ban reaching node B's map (t0 = the request).
        unban("a one-node run")?;
        let t0 = Instant::now();
        in_ns(NS_A, move || send_attack(a_addr))?
            .with_context(|| format!("two-node run {}", run_i + 1))?;
        wait_until("node B's map holds the ban", || {
            cli(PINS[1], &["ban", "list", "--json"]).is_ok_and(|s| s.contains(&cidr))
        })?;
        to_remote_map.push(t0.elapsed());
        println!(
            "run {}: request → first dropped SYN on A {:.1} ms; request → ban in B's map {:.1} ms",
            run_i + 1,
            elapsed.as_secs_f64() * 1e3,
            to_remote_map.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        );
        unban("a two-node run")?;
    }

    // CPU: the same flood without a ban and with the attacker banned. Node A is
    // restarted with `bans.dry_run` (it logs decisions, bans nothing; the pinned
    // filter stays attached), so the flood is served by the WAF until a ban is
    // added by hand.
    drop(nodes.remove(0));
    let dry = dir.join("node-a-dry.yaml");
    std::fs::write(
        &dry,
        std::fs::read_to_string(dir.join("node-a.yaml"))?
            .replace("bans: { threshold", "bans: { dry_run: true, threshold"),
    )?;
    let node_a = Killed(
        Command::new(&gateway)
            .args(["run", "--config"])
            .arg(&dry)
            .env("GATEWAY_STATE_DIR", dir.join("state-a"))
            // Quiet: dry-run logs a warning per would-be ban, which is not the WAF's cost.
            .env("GATEWAY_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("restart node A")?,
    );
    wait_until("node A serves the client", || {
        in_ns(NS_A, move || served(a_addr)).unwrap_or(false)
    })?;
    let pid = node_a.0.id();
    let flood = |secs: u32| -> Result<(f64, u64, u64)> {
        let stop = Arc::new(AtomicBool::new(false));
        let (sent, answered) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let before = cpu_ticks(pid)?;
        let t0 = Instant::now();
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (stop, sent, answered) = (stop.clone(), sent.clone(), answered.clone());
                std::thread::spawn(move || {
                    let _ = in_ns_here(NS_A);
                    while !stop.load(Ordering::Relaxed) {
                        sent.fetch_add(1, Ordering::Relaxed);
                        if send_attack(a_addr).is_ok() {
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        sleep(Duration::from_secs(u64::from(secs)));
        stop.store(true, Ordering::Relaxed);
        let wall = t0.elapsed().as_secs_f64();
        let used = cpu_ticks(pid)? - before;
        for w in workers {
            let _ = w.join();
        }
        let hz = 100.0; // USER_HZ
        Ok((
            used as f64 / hz / wall,
            sent.load(Ordering::Relaxed),
            answered.load(Ordering::Relaxed),
        ))
    };
    let (cpu_before, sent_before, ok_before) = flood(o.flood_secs)?;
    cli(
        PINS[0],
        &["ban", "add", &cidr, "--ttl", "10m", "--reason", "waf"],
    )?;
    sleep(Duration::from_millis(200));
    let (cpu_after, sent_after, ok_after) = flood(o.flood_secs)?;
    println!(
        "gateway CPU under the attack flood: {:.1} % of a core before the ban ({sent_before} attempts, {ok_before} answered), {:.1} % after ({sent_after} attempts, {ok_after} answered)",
        cpu_before * 100.0,
        cpu_after * 100.0
    );

    let report = report(
        &to_drop,
        &to_remote_map,
        (cpu_before, sent_before, ok_before),
        (cpu_after, sent_after, ok_after),
        o,
    );
    print!("{report}");
    drop(node_a);
    drop(nodes);
    write_section(&root.join("BENCHMARKS.md"), "loop", &report)
}

/// Moves the calling thread into a network namespace.
fn in_ns_here(ns: &str) -> Result<()> {
    let f = std::fs::File::open(format!("/var/run/netns/{ns}"))
        .with_context(|| format!("namespace {ns}"))?;
    // SAFETY: setns on a valid namespace fd affects only this thread's network namespace.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        bail!("setns({ns}): {}", std::io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `f` on a thread inside the namespace.
fn in_ns<T: Send + 'static>(ns: &'static str, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    std::thread::spawn(move || in_ns_here(ns).map(|()| f()))
        .join()
        .map_err(|_| anyhow::anyhow!("namespace thread panicked"))?
}

/// Whether a benign request is answered 200.
fn served(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /search?q=books HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"HTTP/1.1 200"))
}

/// Sends the attack and reads the answer (403 expected).
fn send_attack(addr: SocketAddr) -> Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(100))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    s.write_all(ATTACK)?;
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf)?;
    if !buf[..n].starts_with(b"HTTP/1.1 403") {
        bail!(
            "the attack was answered {:?}",
            String::from_utf8_lossy(&buf[..n.min(40)])
        );
    }
    Ok(())
}

/// Sends the attack, then connects every millisecond until a SYN goes unanswered
/// (20 ms connect timeout); the time from the request to that connect attempt.
fn request_to_first_drop(addr: SocketAddr) -> Result<Duration> {
    let t0 = Instant::now();
    send_attack(addr)?;
    let deadline = t0 + Duration::from_secs(5);
    while Instant::now() < deadline {
        let attempt = Instant::now();
        match TcpStream::connect_timeout(&addr, Duration::from_millis(20)) {
            Ok(_) => sleep(Duration::from_millis(1)),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(attempt - t0),
            // Refused at accept (RST) or reset: not yet dropped at XDP.
            Err(_) => sleep(Duration::from_millis(1)),
        }
    }
    bail!("no SYN was dropped within 5 s of the offending request")
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("bad /proc stat")?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the command name: state is field 3, utime 14, stime 15 (1-based).
    Ok(f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return Ok(());
        }
        sleep(Duration::from_millis(2));
    }
    bail!("timed out waiting until {what}")
}

fn median_ms(v: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        f64::NAN
    } else {
        ms[ms.len() / 2]
    }
}

fn report(
    to_drop: &[Duration],
    to_remote: &[Duration],
    before: (f64, u64, u64),
    after: (f64, u64, u64),
    o: &Options,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<!-- loop:start -->");
    let _ = writeln!(
        s,
        "## Ban loop: from the offending request to dropped packets\n"
    );
    let _ = writeln!(
        s,
        "`cargo xtask bench loop` — two gateway nodes on the host, each with the filter (SKB mode) on its own veth pair to a namespace, sharing bans through a local `redis-server`; one WAF block bans (threshold 5, WAF 5 points). {} runs, medians (min–max).\n",
        o.runs
    );
    let range = |v: &[Duration]| {
        let ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let lo = ms.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ms.iter().copied().fold(0.0, f64::max);
        format!("{:.1} ms ({lo:.1}–{hi:.1})", median_ms(v))
    };
    let _ = writeln!(s, "| measurement | median |");
    let _ = writeln!(s, "|---|---:|");
    let _ = writeln!(
        s,
        "| one node: request sent → first TCP SYN dropped at XDP (probes every 1 ms, 20 ms timeout) | {} |",
        range(to_drop)
    );
    let _ = writeln!(
        s,
        "| two nodes: request sent to A → ban in node B's XDP map (polled with `gateway ban list`, a few ms per poll) | {} |",
        range(to_remote)
    );
    let _ = writeln!(
        s,
        "\nThe attacker's cost to the gateway under the same flood (8 connections in a loop, each sending an SQL injection, {} s each):\n",
        o.flood_secs
    );
    let _ = writeln!(
        s,
        "| | gateway CPU (share of one core) | attempts | answered |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| no ban (`bans.dry_run`): every request reaches the WAF and gets 403 | {:.1} % | {} | {} |",
        before.0 * 100.0,
        before.1,
        before.2
    );
    let _ = writeln!(
        s,
        "| attacker banned: SYNs dropped at XDP | {:.1} % | {} | {} |",
        after.0 * 100.0,
        after.1,
        after.2
    );
    let _ = writeln!(s, "<!-- loop:end -->");
    s
}

//! `cargo xtask demo`: the whole product on one machine. Two network namespaces, a
//! good client and an attacker, each behind its own veth pair (198.18.200.0/29);
//! the gateway runs in front of a demo upstream with the WAF blocking and bans on,
//! and attaches the XDP filter to both host-side veths. The good client is served;
//! the attacker's SQL injection gets 403 from the WAF, the second one crosses the
//! ban threshold, and from then on its packets are dropped at XDP while the good
//! client keeps working. Everything it creates is removed on every exit path.
use std::{
    process::{Command, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::{
    bench_util::{Killed, free_port, start_nginx, wait_port},
    run,
};

/// The demo's namespaces, interfaces and addresses (fixed, so a run after an
/// interrupted one can clean up first).
const GOOD: Side = Side {
    ns: "gwdemo-good",
    host_if: "gwdemo-g0",
    peer_if: "gwdemo-g1",
    host_ip: "198.18.200.1",
    peer_ip: "198.18.200.2",
};
const ATTACKER: Side = Side {
    ns: "gwdemo-attacker",
    host_if: "gwdemo-a0",
    peer_if: "gwdemo-a1",
    host_ip: "198.18.200.5",
    peer_ip: "198.18.200.6",
};
const PIN_DIR: &str = "/sys/fs/bpf/gateway-demo";

/// One client: a namespace joined to the host by a veth pair.
struct Side {
    ns: &'static str,
    host_if: &'static str,
    peer_if: &'static str,
    host_ip: &'static str,
    peer_ip: &'static str,
}

impl Side {
    fn create(&self) -> Result<()> {
        run(Command::new("ip").args(["netns", "add", self.ns]))?;
        run(Command::new("ip").args([
            "link",
            "add",
            self.host_if,
            "type",
            "veth",
            "peer",
            "name",
            self.peer_if,
        ]))?;
        run(Command::new("ip").args(["link", "set", self.peer_if, "netns", self.ns]))?;
        run(Command::new("ip").args([
            "addr",
            "add",
            &format!("{}/30", self.host_ip),
            "dev",
            self.host_if,
        ]))?;
        run(Command::new("ip").args(["link", "set", self.host_if, "up"]))?;
        for args in [
            vec![
                "addr",
                "add",
                &format!("{}/30", self.peer_ip),
                "dev",
                self.peer_if,
            ],
            vec!["link", "set", self.peer_if, "up"],
            vec!["link", "set", "lo", "up"],
        ] {
            run(Command::new("ip")
                .args(["netns", "exec", self.ns, "ip"])
                .args(&args))?;
        }
        Ok(())
    }

    fn remove(&self) {
        // Deleting the host end removes the pair (and the XDP program on it).
        let quiet = |args: &[&str]| {
            let _ = Command::new("ip")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        quiet(&["link", "del", self.host_if]);
        quiet(&["netns", "del", self.ns]);
    }

    /// `curl` from inside the namespace: the status code and the body, or `None`
    /// when no connection could be made within 2 s.
    fn curl(&self, url: &str) -> Option<(u16, String)> {
        let out = Command::new("ip")
            .args(["netns", "exec", self.ns, "curl", "-s", "--max-time", "2"])
            .args(["-w", "\n%{http_code}", url])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n')?;
        match code.trim().parse() {
            Ok(0) | Err(_) => None,
            Ok(code) => Some((code, body.to_owned())),
        }
    }
}

/// Removes everything the demo creates; runs at the start and on drop.
struct Cleanup;

impl Cleanup {
    fn run() {
        GOOD.remove();
        ATTACKER.remove();
        // Unpinning the links detaches anything left; then the maps go.
        let _ = Command::new("rm").args(["-rf", PIN_DIR]).status();
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        Cleanup::run();
        println!("\ncleaned up: namespaces, veth pairs, XDP links and maps, processes");
    }
}

/// Runs the demonstration.
pub fn demo() -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--bin", "gateway"]))?;
    let root = std::env::current_dir()?;
    let gateway = root.join("target/release/gateway");
    let dir = root.join("target/demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("state"))?;

    Cleanup::run();
    let _cleanup = Cleanup;
    GOOD.create()?;
    ATTACKER.create()?;

    let up = free_port()?;
    let _upstream = start_nginx(
        &dir,
        1,
        "",
        &format!(
            "    server {{ listen 127.0.0.1:{up}; location / {{ default_type application/json; return 200 '{{\"service\":\"demo\",\"ok\":true}}\\n'; }} }}"
        ),
    )?;
    wait_port(up)?;
    let port = free_port()?;
    let admin = free_port()?;
    let config = dir.join("gateway.yaml");
    std::fs::write(&config, demo_config(up, port, admin))?;
    let log = std::fs::File::create(dir.join("gateway.log"))?;
    let _gateway = Killed(
        Command::new(&gateway)
            .args(["run", "--config"])
            .arg(&config)
            .env("GATEWAY_STATE_DIR", dir.join("state"))
            .env("GATEWAY_LOG", "info")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("start the gateway")?,
    );
    wait_port(admin)?;
    let cli = |args: &[&str]| -> Result<String> {
        let out = Command::new(&gateway)
            .args(args)
            .env("GATEWAY_PIN_DIR", PIN_DIR)
            .env("GATEWAY_STATE_DIR", dir.join("state"))
            .output()?;
        if !out.status.success() {
            bail!(
                "gateway {args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    wait_until("the XDP filter is attached to both veths", || {
        cli(&["edge", "status"])
            .is_ok_and(|s| s.contains(GOOD.host_if) && s.contains(ATTACKER.host_if))
    })?;

    let good_url = format!(
        "http://{}:{port}/api/v1/search?q=running+shoes",
        GOOD.host_ip
    );
    let attack_url = format!(
        "http://{}:{port}/api/v1/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--",
        ATTACKER.host_ip
    );
    println!("\n== 1. Both clients are served");
    println!(
        "   good client {} and attacker {} in their own namespaces, filter attached in SKB mode",
        GOOD.peer_ip, ATTACKER.peer_ip
    );
    for side in [&GOOD, &ATTACKER] {
        let url = format!(
            "http://{}:{port}/api/v1/search?q=running+shoes",
            side.host_ip
        );
        let (code, body) = side.curl(&url).context("no answer before any attack")?;
        println!(
            "   {:8} GET /api/v1/search?q=running+shoes -> {code} {}",
            name(side),
            body.trim()
        );
    }

    println!("\n== 2. The attacker sends SQL injection: the WAF blocks it (403)");
    for _ in 0..2 {
        let (code, body) = ATTACKER
            .curl(&attack_url)
            .context("no answer to the attack")?;
        println!(
            "   attacker GET ?q=1' UNION SELECT password FROM users-- -> {code} {}",
            body.trim()
        );
        if code != 403 {
            bail!("the WAF did not block the attack (status {code})");
        }
    }
    let metrics = http_get(admin, "/metrics")?;
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("gateway_waf_matches_total"))
    {
        println!("   metrics: {line}");
    }

    println!("\n== 3. Two blocks crossed the ban threshold: the address is in the XDP blocklist");
    let peer = format!("{}/32", ATTACKER.peer_ip);
    wait_until("the attacker's ban reaches the XDP map", || {
        cli(&["ban", "list", "--json"]).is_ok_and(|s| s.contains(&peer))
    })?;
    for line in cli(&["ban", "list"])?.lines() {
        println!("   {line}");
    }
    if let Ok(audit) = std::fs::read_to_string(dir.join("gateway.log")) {
        for line in audit
            .lines()
            .filter(|l| l.contains("\"ban\"") || l.contains("ban_added") || l.contains("\"audit\""))
            .take(2)
        {
            println!("   audit: {line}");
        }
    }

    println!(
        "\n== 4. The attacker's packets are now dropped at the NIC; the good client is served"
    );
    let drops = |stats: &str| -> u64 {
        serde_json::from_str::<serde_json::Value>(stats)
            .ok()
            .and_then(|v| v["counters"]["drop_blocklist"]["packets"].as_u64())
            .unwrap_or(0)
    };
    let before = drops(&cli(&["edge", "stats", "--json"])?);
    let started = Instant::now();
    let blocked = ATTACKER.curl(&format!("http://{}:{port}/", ATTACKER.host_ip));
    println!(
        "   attacker GET / -> {} after {:.1} s",
        match &blocked {
            Some((code, _)) => format!("{code} (unexpected)"),
            None => "no connection (SYNs dropped)".to_string(),
        },
        started.elapsed().as_secs_f64()
    );
    let after = drops(&cli(&["edge", "stats", "--json"])?);
    println!("   XDP drop_blocklist packets: {before} -> {after}");
    let (code, _) = GOOD
        .curl(&good_url)
        .context("the good client got no answer")?;
    println!("   good     GET /api/v1/search?q=running+shoes -> {code}");
    if blocked.is_some() || after <= before || code != 200 {
        bail!("the demo did not show what it should (see above)");
    }
    println!("\n   `gateway edge stats`:");
    for line in cli(&["edge", "stats"])?.lines() {
        println!("   {line}");
    }
    println!("\nThe gateway's log: {}", dir.join("gateway.log").display());
    Ok(())
}

fn name(side: &Side) -> &'static str {
    if side.ns == GOOD.ns {
        "good"
    } else {
        "attacker"
    }
}

fn demo_config(up: u16, port: u16, admin: u16) -> String {
    format!(
        r#"listeners:
  - name: good
    bind: {good}:{port}
  - name: attacker
    bind: {bad}:{port}
admin: {{ bind: 127.0.0.1:{admin} }}
upstreams:
  demo:
    targets: ["127.0.0.1:{up}"]
routes:
  - name: api
    upstream: demo
waf: {{ mode: block, paranoia: 1, threshold: 5 }}
edge: {{ interfaces: [{gi}, {ai}], mode: skb, pin_dir: {PIN_DIR} }}
bans: {{ threshold: 10, window: 1m, ttl: 10m, points: {{ waf: 5 }} }}
"#,
        good = GOOD.host_ip,
        bad = ATTACKER.host_ip,
        gi = GOOD.host_if,
        ai = ATTACKER.host_if,
    )
}

/// A plain HTTP/1.0 GET on loopback (the admin listener), body only.
fn http_get(port: u16, path: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    Ok(text
        .split_once("\r\n\r\n")
        .map_or(text.clone(), |(_, b)| b.to_owned()))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return Ok(());
        }
        sleep(Duration::from_millis(100));
    }
    bail!("timed out waiting until {what}")
}

//! A network namespace joined to the host by a veth pair, with 198.18.x.y/30
//! addresses, deleted (with its links) when dropped.
#![allow(dead_code)]
use std::{
    net::Ipv4Addr,
    process::{Command, Output},
    sync::atomic::{AtomicU32, Ordering},
};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A namespace and a veth pair: `host_if` (host side, `host_ip`) and `peer_if`
/// (inside `ns`, `peer_ip`).
pub struct VethNs {
    /// Namespace name.
    pub ns: String,
    /// Host-side interface.
    pub host_if: String,
    /// Namespace-side interface.
    pub peer_if: String,
    /// Address of the host side.
    pub host_ip: Ipv4Addr,
    /// Address of the namespace side (the traffic source the filter sees).
    pub peer_ip: Ipv4Addr,
}

/// Runs a command and panics with its output if it fails.
pub fn run(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl VethNs {
    /// Creates a namespace and veth pair with names and a /30 unique to this process and call.
    pub fn new() -> VethNs {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let tag = format!("gwt{}x{n}", pid % 100_000);
        // 198.18.0.0/15 holds 32768 /30s: 16 per process (by pid), one per call.
        assert!(n < 16, "at most 16 namespaces per test process");
        let slot = (pid % 2048) * 16 + n;
        let base = u32::from(Ipv4Addr::new(198, 18, 0, 0)) + slot * 4;
        let me = VethNs {
            ns: format!("{tag}ns"),
            host_if: format!("{tag}h"),
            peer_if: format!("{tag}p"),
            host_ip: Ipv4Addr::from(base + 1),
            peer_ip: Ipv4Addr::from(base + 2),
        };
        run("ip", &["netns", "add", &me.ns]);
        run(
            "ip",
            &[
                "link",
                "add",
                &me.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &me.peer_if,
            ],
        );
        run("ip", &["link", "set", &me.peer_if, "netns", &me.ns]);
        run(
            "ip",
            &[
                "addr",
                "add",
                &format!("{}/30", me.host_ip),
                "dev",
                &me.host_if,
            ],
        );
        run("ip", &["link", "set", &me.host_if, "up"]);
        me.exec(&[
            "ip",
            "addr",
            "add",
            &format!("{}/30", me.peer_ip),
            "dev",
            &me.peer_if,
        ]);
        me.exec(&["ip", "link", "set", &me.peer_if, "up"]);
        me.exec(&["ip", "link", "set", "lo", "up"]);
        me
    }

    /// Runs a command inside the namespace; panics if it fails.
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut full = vec!["netns", "exec", &self.ns];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// Pings the host side from the namespace (3 packets, at most ~3 s); true if any reply came back.
    pub fn ping_host(&self) -> bool {
        let host = self.host_ip.to_string();
        Command::new("ip")
            .args([
                "netns", "exec", &self.ns, "ping", "-q", "-c", "3", "-i", "0.2", "-W", "1", "-w",
                "3", &host,
            ])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Sends `count` pings 10 ms apart from the namespace (at most `count`/100 + 5 s) and returns how many were answered.
    pub fn ping_burst(&self, count: u32) -> u32 {
        let host = self.host_ip.to_string();
        let count_s = count.to_string();
        let deadline = (count / 100 + 5).to_string();
        let out = Command::new("ip")
            .args([
                "netns", "exec", &self.ns, "ping", "-q", "-c", &count_s, "-i", "0.01", "-W", "1",
                "-w", &deadline, &host,
            ])
            .output()
            .expect("run ping");
        let text = String::from_utf8_lossy(&out.stdout);
        // "20 packets transmitted, 3 received, ..."
        text.split(',')
            .find_map(|part| part.trim().strip_suffix(" received"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Pings the host end `count` times from `source` (an address of the namespace,
    /// 0.2 s apart, bounded); the number of replies.
    pub fn ping_count_from(&self, source: &str, count: u32) -> u32 {
        let host = self.host_ip.to_string();
        let (count_s, deadline) = (count.to_string(), (count / 5 + 2).to_string());
        let out = Command::new("ip")
            .args([
                "netns", "exec", &self.ns, "ping", "-q", "-c", &count_s, "-i", "0.2",
            ])
            .args(["-W", "1", "-w", &deadline, "-I", source, &host])
            .output()
            .expect("run ping");
        let text = String::from_utf8_lossy(&out.stdout);
        text.split(',')
            .find_map(|part| part.trim().strip_suffix(" received"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Opens a TCP connection from the namespace to `host_ip:port` (2 s timeout); true if it connected.
    pub fn tcp_connect(&self, port: u16) -> bool {
        let script = format!("exec 3<>/dev/tcp/{}/{port}", self.host_ip);
        Command::new("ip")
            .args([
                "netns", "exec", &self.ns, "timeout", "2", "bash", "-c", &script,
            ])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }
}

impl Drop for VethNs {
    fn drop(&mut self) {
        // Deleting the host end removes the pair; deleting the namespace removes the rest.
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
    }
}

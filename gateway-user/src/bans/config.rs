//! The `edge`, `bans` and `cluster` sections of the configuration file: plain
//! data with defaults, checked by [`check`] when the file is loaded.
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

use crate::config::Duration;

/// `edge:` — interfaces the gateway attaches the XDP filter to when it runs.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeSection {
    /// Interfaces to attach to (`[eth0]`).
    #[serde(default)]
    pub interfaces: Vec<String>,
    /// Attach mode: `auto`, `native` or `skb`.
    #[serde(default)]
    pub mode: EdgeMode,
    /// Default per-source packet rate; absent leaves the map's setting as it is.
    #[serde(default)]
    pub rate: Option<EdgeRate>,
    /// Pin directory base (default `$GATEWAY_PIN_DIR` or `/sys/fs/bpf/gateway`).
    #[serde(default)]
    pub pin_dir: Option<PathBuf>,
}

/// XDP attach mode as written in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeMode {
    /// Native if the driver supports it, else skb.
    #[default]
    Auto,
    /// Native (driver) XDP only.
    Native,
    /// Generic XDP.
    Skb,
}

impl From<EdgeMode> for crate::edge::AttachMode {
    fn from(m: EdgeMode) -> Self {
        match m {
            EdgeMode::Auto => crate::edge::AttachMode::Auto,
            EdgeMode::Native => crate::edge::AttachMode::Native,
            EdgeMode::Skb => crate::edge::AttachMode::Skb,
        }
    }
}

/// `edge.rate`: token bucket per source.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeRate {
    /// Packets per second (0 disables the stage).
    pub pps: u64,
    /// Bucket depth in packets (defaults to twice `pps`).
    #[serde(default)]
    pub burst: Option<u64>,
}

/// `bans:` — offense scoring and automatic bans.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BansConfig {
    /// Points within `window` that ban the client.
    #[serde(default = "threshold")]
    pub threshold: u32,
    /// Length of the sliding window points are summed over.
    #[serde(default = "window")]
    pub window: Duration,
    /// First ban's duration; doubled for each repeat offense.
    #[serde(default = "ttl")]
    pub ttl: Duration,
    /// Longest ban; repeat offenders are remembered this long.
    #[serde(default = "max_ttl")]
    pub max_ttl: Duration,
    /// IPv4 prefix banned (32 = the address alone, 24 = its /24).
    #[serde(default = "prefix_v4")]
    pub prefix_v4: u8,
    /// IPv6 prefix banned (64 = its /64).
    #[serde(default = "prefix_v6")]
    pub prefix_v6: u8,
    /// Points per offense kind.
    #[serde(default)]
    pub points: Points,
    /// Networks never banned automatically (besides the edge allowlist and trusted proxies).
    #[serde(default, deserialize_with = "crate::config::nets")]
    pub allow: Vec<IpNet>,
    /// Most client addresses scored at once (memory bound).
    #[serde(default = "max_tracked")]
    pub max_tracked: usize,
    /// Only log what would be banned (like the XDP monitor mode).
    #[serde(default)]
    pub dry_run: bool,
}

impl Default for BansConfig {
    fn default() -> Self {
        BansConfig {
            threshold: threshold(),
            window: window(),
            ttl: ttl(),
            max_ttl: max_ttl(),
            prefix_v4: prefix_v4(),
            prefix_v6: prefix_v6(),
            points: Points::default(),
            allow: Vec::new(),
            max_tracked: max_tracked(),
            dry_run: false,
        }
    }
}

/// `bans.points`: what each kind of offense costs.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Points {
    /// A request blocked by the WAF.
    #[serde(default = "p5")]
    pub waf: u32,
    /// A failed authentication.
    #[serde(default = "p2")]
    pub auth: u32,
    /// A request answered 429.
    #[serde(default = "p1")]
    pub rate: u32,
    /// A malformed request (400-class hygiene failures).
    #[serde(default = "p2")]
    pub malformed: u32,
    /// An XDP bucket overflow reported by the filter.
    #[serde(default = "p5")]
    pub edge: u32,
}

impl Default for Points {
    fn default() -> Self {
        Points {
            waf: 5,
            auth: 2,
            rate: 1,
            malformed: 2,
            edge: 5,
        }
    }
}

/// `cluster:` — sharing bans between gateways over Redis.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Redis URL (`redis://host:6379`, `unix:///path`).
    pub redis: String,
    /// Pub/sub channel; the durable sorted set is `{channel}:set`.
    #[serde(default = "channel")]
    pub channel: String,
    /// This node's name in audit lines and `ban list` (default: the host name).
    #[serde(default)]
    pub node: Option<String>,
}

impl ClusterConfig {
    /// The node name: configured, else the host name, else `gateway`.
    pub fn node_name(&self) -> String {
        self.node.clone().unwrap_or_else(host_name)
    }
}

/// The host name (`gateway` if it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "gateway".to_string())
}

/// Checks meaning the types cannot express; returns one message per problem.
pub fn check(bans: &BansConfig) -> Vec<String> {
    let mut out = Vec::new();
    if bans.threshold == 0 {
        out.push("`bans.threshold` must be at least 1".to_string());
    }
    if bans.window.is_zero() {
        out.push("`bans.window` must be longer than 0s".to_string());
    }
    if bans.ttl.is_zero() {
        out.push("`bans.ttl` must be longer than 0s".to_string());
    }
    if *bans.max_ttl < *bans.ttl {
        out.push(format!(
            "`bans.max_ttl` ({}) is shorter than `bans.ttl` ({})",
            bans.max_ttl, bans.ttl
        ));
    }
    if bans.prefix_v4 == 0 || bans.prefix_v4 > 32 {
        out.push("`bans.prefix_v4` must be between 1 and 32".to_string());
    }
    if bans.prefix_v6 == 0 || bans.prefix_v6 > 128 {
        out.push("`bans.prefix_v6` must be between 1 and 128".to_string());
    }
    if bans.max_tracked == 0 {
        out.push("`bans.max_tracked` must be at least 1".to_string());
    }
    out
}

fn threshold() -> u32 {
    20
}
fn window() -> Duration {
    Duration::from_secs(60)
}
fn ttl() -> Duration {
    Duration::from_secs(600)
}
fn max_ttl() -> Duration {
    Duration::from_secs(86_400)
}
fn prefix_v4() -> u8 {
    32
}
fn prefix_v6() -> u8 {
    64
}
fn max_tracked() -> usize {
    100_000
}
fn p1() -> u32 {
    1
}
fn p2() -> u32 {
    2
}
fn p5() -> u32 {
    5
}
fn channel() -> String {
    "gateway:bans".to_string()
}

//! Map names, keys and values shared by the XDP program and the gateway.
//!
//! The layout of every map is written once, here. A change to any type or map
//! below must bump [`LAYOUT_VERSION`], so user space pins the new maps under a
//! new directory and never reuses an incompatible pinned map.
#![no_std]

/// Version of the map layout; maps are pinned under `/sys/fs/bpf/gateway/v{LAYOUT_VERSION}`.
pub const LAYOUT_VERSION: u32 = 2;

/// Name of the XDP program inside the object file.
pub const PROGRAM_NAME: &str = "gateway_xdp";

/// Map names, as declared in the eBPF object and as pinned in bpffs.
pub mod maps {
    /// `LpmTrie<[u8; 4], u8>`: IPv4 CIDRs that skip every check.
    pub const ALLOW_V4: &str = "ALLOW_V4";
    /// `LpmTrie<[u8; 16], u8>`: IPv6 CIDRs that skip every check.
    pub const ALLOW_V6: &str = "ALLOW_V6";
    /// `LpmTrie<[u8; 4], BanValue>`: banned IPv4 prefixes (/0 to /31).
    pub const BLOCK_V4: &str = "BLOCK_V4";
    /// `LpmTrie<[u8; 16], BanValue>`: banned IPv6 prefixes (/0 to /127).
    pub const BLOCK_V6: &str = "BLOCK_V6";
    /// `HashMap<[u8; 4], BanValue>`: banned IPv4 addresses (/32), looked up before the trie.
    pub const BLOCK_HOST_V4: &str = "BLOCK_HOST_V4";
    /// `HashMap<[u8; 16], BanValue>`: banned IPv6 addresses (/128), looked up before the trie.
    pub const BLOCK_HOST_V6: &str = "BLOCK_HOST_V6";
    /// `LpmTrie<[u8; 4], RateLimit>`: per-CIDR rate overrides for IPv4 sources.
    pub const LIMIT_V4: &str = "LIMIT_V4";
    /// `LpmTrie<[u8; 16], RateLimit>`: per-CIDR rate overrides for IPv6 sources.
    pub const LIMIT_V6: &str = "LIMIT_V6";
    /// `LruHashMap<SourceKey, Bucket>`: one token bucket per source.
    pub const BUCKETS: &str = "BUCKETS";
    /// `Array<EdgeConfig>` with one entry: default rate, prefixes, monitor flag.
    pub const CONFIG: &str = "CONFIG";
    /// `PerCpuArray<Counter>` indexed by [`crate::stat`].
    pub const STATS: &str = "STATS";
    /// `LruHashMap<SourceKey, DropCount>`: drops per source, for "top dropped sources".
    pub const DROPS: &str = "DROPS";
    /// `RingBuf` of [`crate::OverflowEvent`]: sources whose bucket overflowed (rate-limited).
    pub const EVENTS: &str = "EVENTS";
}

/// Capacities of the maps (entries).
pub mod capacity {
    /// Blocklist prefixes (LPM trie) per address family.
    pub const BLOCK: u32 = 1 << 21;
    /// Blocklisted single addresses (hash map, allocated on insert) per address family.
    pub const BLOCK_HOSTS: u32 = 1 << 21;
    /// Allowlist entries per address family.
    pub const ALLOW: u32 = 1 << 16;
    /// Per-CIDR rate overrides per address family.
    pub const LIMIT: u32 = 1 << 14;
    /// Tracked sources (token buckets).
    pub const BUCKETS: u32 = 1 << 18;
    /// Tracked dropped sources.
    pub const DROPS: u32 = 1 << 14;
    /// Ring buffer size in bytes (a power of two multiple of the page size).
    pub const EVENTS_BYTES: u32 = 1 << 16;
}

/// Why an address is banned. Stored as `u32` in [`BanValue::reason`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BanReason {
    /// Added by an operator (`gateway ban add`).
    Manual = 1,
    /// Caught by the web application firewall.
    Waf = 2,
    /// Repeated authentication failures.
    Auth = 3,
    /// Repeated rate-limit violations.
    Rate = 4,
    /// Received from another node of the cluster.
    Cluster = 5,
    /// Loaded by `gateway ban import`.
    Import = 6,
}

impl BanReason {
    /// Every reason, in code order.
    pub const ALL: [BanReason; 6] = [
        BanReason::Manual,
        BanReason::Waf,
        BanReason::Auth,
        BanReason::Rate,
        BanReason::Cluster,
        BanReason::Import,
    ];

    /// The reason for a stored code, if it is one we know.
    pub const fn from_code(code: u32) -> Option<BanReason> {
        match code {
            1 => Some(BanReason::Manual),
            2 => Some(BanReason::Waf),
            3 => Some(BanReason::Auth),
            4 => Some(BanReason::Rate),
            5 => Some(BanReason::Cluster),
            6 => Some(BanReason::Import),
            _ => None,
        }
    }

    /// The lower-case name used on the command line, in logs and in metrics.
    pub const fn name(self) -> &'static str {
        match self {
            BanReason::Manual => "manual",
            BanReason::Waf => "waf",
            BanReason::Auth => "auth",
            BanReason::Rate => "rate",
            BanReason::Cluster => "cluster",
            BanReason::Import => "import",
        }
    }
}

/// Value of a blocklist entry.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BanValue {
    /// Expiry as `CLOCK_MONOTONIC` nanoseconds (`bpf_ktime_get_ns`); 0 = permanent.
    pub expires_ns: u64,
    /// When the ban was made, in seconds since the Unix epoch (for listing only).
    pub created_unix: u64,
    /// A [`BanReason`] code.
    pub reason: u32,
    /// Reserved; zero.
    pub _pad: u32,
}

/// A packets-per-second limit with a burst, in the CONFIG map and the LIMIT tries.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate in packets per second; 0 disables rate limiting.
    pub pps: u64,
    /// Bucket depth in packets.
    pub burst: u64,
}

/// Global settings of the filter: the single entry of the CONFIG map.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeConfig {
    /// Default per-source limit; `pps == 0` turns the rate stage off.
    pub rate: RateLimit,
    /// Bucket key prefix for IPv4 sources (1..=32; 32 = per address).
    pub prefix_v4: u32,
    /// Bucket key prefix for IPv6 sources (1..=128; 64 by default).
    pub prefix_v6: u32,
    /// Non-zero: count what would be dropped, drop nothing.
    pub monitor: u32,
    /// Lists user space knows to be empty ([`skip`] bits): the program skips
    /// their lookups. 0 (the default) looks every list up, which is always right.
    pub skip: u32,
}

impl EdgeConfig {
    /// The configuration a freshly created CONFIG map should hold.
    pub const DEFAULT: EdgeConfig = EdgeConfig {
        rate: RateLimit { pps: 0, burst: 0 },
        prefix_v4: 32,
        prefix_v6: 64,
        monitor: 0,
        skip: 0,
    };
}

/// Bits of [`EdgeConfig::skip`]: a set bit says the list is empty, so its lookup is skipped.
///
/// User space sets a bit only after seeing the map empty and clears it after
/// every insert, so a stale bit can at worst delay a new entry by the time
/// between its insert and the next refresh (and the daemon's sweep refreshes).
pub mod skip {
    /// ALLOW_V4 is empty.
    pub const ALLOW_V4: u32 = 1 << 0;
    /// ALLOW_V6 is empty.
    pub const ALLOW_V6: u32 = 1 << 1;
    /// BLOCK_HOST_V4 is empty.
    pub const BLOCK_HOST_V4: u32 = 1 << 2;
    /// BLOCK_HOST_V6 is empty.
    pub const BLOCK_HOST_V6: u32 = 1 << 3;
    /// BLOCK_V4 (prefixes) is empty.
    pub const BLOCK_V4: u32 = 1 << 4;
    /// BLOCK_V6 (prefixes) is empty.
    pub const BLOCK_V6: u32 = 1 << 5;
    /// LIMIT_V4 is empty.
    pub const LIMIT_V4: u32 = 1 << 6;
    /// LIMIT_V6 is empty.
    pub const LIMIT_V6: u32 = 1 << 7;
}

/// DROPS sampling: on each CPU, per drop slot, the first drop and then every
/// `DROP_SAMPLE`-th one update DROPS, the sampled one counting for the
/// `DROP_SAMPLE` drops since the last (its own bytes times `DROP_SAMPLE`).
/// Counts in DROPS are therefore estimates for heavy sources (exact at each
/// sample) and a light source may be missed; STATS and the buckets stay exact.
pub const DROP_SAMPLE: u64 = 16;

/// Address family tag of a [`SourceKey`].
pub mod family {
    /// IPv4: the first 4 bytes of `addr` are used.
    pub const V4: u32 = 4;
    /// IPv6: all 16 bytes of `addr` are used.
    pub const V6: u32 = 6;
}

/// A traffic source: an IPv4 address or an IPv6 prefix, masked to the configured length.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceKey {
    /// [`family::V4`] or [`family::V6`].
    pub family: u32,
    /// Prefix length the address was masked to.
    pub prefix_len: u32,
    /// Address bytes in network order; unused bytes are zero.
    pub addr: [u8; 16],
}

/// Token bucket of one source.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Tokens left, scaled by [`TOKEN_SCALE`]; a signed (`i64`) value stored as `u64`.
    pub tokens: u64,
    /// Last refill, `CLOCK_MONOTONIC` nanoseconds.
    pub last_ns: u64,
    /// Last time an overflow of this source was reported on the EVENTS ring.
    pub reported_ns: u64,
    /// Packets dropped by this bucket since it was created.
    pub dropped: u64,
}

/// Tokens per packet: buckets count nano-packets, so a refill of `elapsed_ns × pps`
/// is exact (no division, no rounding loss however often refills happen).
pub const TOKEN_SCALE: u64 = 1_000_000_000;

/// Packets and bytes of one counter slot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// Packets counted.
    pub packets: u64,
    /// Bytes counted (frame length as seen by XDP).
    pub bytes: u64,
}

/// Drops attributed to one source.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropCount {
    /// Packets dropped (or, in monitor mode, that would have been).
    pub packets: u64,
    /// Bytes dropped.
    pub bytes: u64,
    /// Last drop, `CLOCK_MONOTONIC` nanoseconds.
    pub last_ns: u64,
    /// The `stat` slot of the last drop (blocklist or rate).
    pub last_stat: u32,
    /// Reserved; zero.
    pub _pad: u32,
}

/// A source whose bucket overflowed, reported at most once per second per source.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverflowEvent {
    /// The source (masked as in the bucket map).
    pub source: SourceKey,
    /// Packets this bucket has dropped so far.
    pub dropped: u64,
    /// When, `CLOCK_MONOTONIC` nanoseconds.
    pub ts_ns: u64,
}

/// Slots of the STATS per-CPU array: one per verdict and reason.
pub mod stat {
    /// Not IPv4 or IPv6 (ARP, LLDP, …): passed.
    pub const PASS_NON_IP: u32 = 0;
    /// Truncated or malformed IP header: passed.
    pub const PASS_MALFORMED: u32 = 1;
    /// Source matched the allowlist: passed.
    pub const PASS_ALLOWLIST: u32 = 2;
    /// Went through every stage: passed.
    pub const PASS: u32 = 3;
    /// Dropped by the blocklist (all reasons).
    pub const DROP_BLOCKLIST: u32 = 4;
    /// Dropped by an empty rate bucket.
    pub const DROP_RATE: u32 = 5;
    /// Monitor mode: would have been dropped by the blocklist.
    pub const MONITOR_BLOCKLIST: u32 = 6;
    /// Monitor mode: would have been dropped by the rate bucket.
    pub const MONITOR_RATE: u32 = 7;
    /// Blocklist matches by reason: slot `BLOCK_REASON_BASE + reason code`.
    pub const BLOCK_REASON_BASE: u32 = 8;
    /// Number of slots.
    pub const COUNT: u32 = 16;

    /// Name of a slot, as shown by `gateway edge stats` and in metrics.
    pub const fn name(slot: u32) -> &'static str {
        match slot {
            PASS_NON_IP => "pass_non_ip",
            PASS_MALFORMED => "pass_malformed",
            PASS_ALLOWLIST => "pass_allowlist",
            PASS => "pass",
            DROP_BLOCKLIST => "drop_blocklist",
            DROP_RATE => "drop_rate",
            MONITOR_BLOCKLIST => "monitor_blocklist",
            MONITOR_RATE => "monitor_rate",
            9 => "block_manual",
            10 => "block_waf",
            11 => "block_auth",
            12 => "block_rate",
            13 => "block_cluster",
            14 => "block_import",
            _ => "unused",
        }
    }
}

#[cfg(feature = "user")]
mod pod {
    // SAFETY: every type is `repr(C)`, `Copy`, has no padding the kernel could
    // leave uninitialised (explicit `_pad` fields), and any bit pattern is valid.
    unsafe impl aya::Pod for super::BanValue {}
    unsafe impl aya::Pod for super::RateLimit {}
    unsafe impl aya::Pod for super::EdgeConfig {}
    unsafe impl aya::Pod for super::SourceKey {}
    unsafe impl aya::Pod for super::Bucket {}
    unsafe impl aya::Pod for super::Counter {}
    unsafe impl aya::Pod for super::DropCount {}
    unsafe impl aya::Pod for super::OverflowEvent {}
}

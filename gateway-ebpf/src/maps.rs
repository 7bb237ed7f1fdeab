//! The maps of the edge filter, with the names and types of `gateway_common::maps`.

use aya_ebpf::{
    bindings::BPF_F_NO_PREALLOC,
    macros::map,
    maps::{Array, HashMap, LpmTrie, LruHashMap, PerCpuArray, RingBuf},
};
use gateway_common::{
    BanValue, Bucket, Counter, DropCount, EdgeConfig, RateLimit, SourceKey, capacity, stat,
};

/// IPv4 CIDRs that skip every check.
#[map(name = "ALLOW_V4")]
pub static ALLOW_V4: LpmTrie<[u8; 4], u8> = LpmTrie::with_max_entries(capacity::ALLOW, 0);

/// IPv6 CIDRs that skip every check.
#[map(name = "ALLOW_V6")]
pub static ALLOW_V6: LpmTrie<[u8; 16], u8> = LpmTrie::with_max_entries(capacity::ALLOW, 0);

/// Banned IPv4 addresses (/32): an exact match is cheaper than a deep trie walk.
// Allocated on insert: two million preallocated entries would pin memory for bans never made.
#[map(name = "BLOCK_HOST_V4")]
pub static BLOCK_HOST_V4: HashMap<[u8; 4], BanValue> =
    HashMap::with_max_entries(capacity::BLOCK_HOSTS, BPF_F_NO_PREALLOC);

/// Banned IPv6 addresses (/128).
#[map(name = "BLOCK_HOST_V6")]
pub static BLOCK_HOST_V6: HashMap<[u8; 16], BanValue> =
    HashMap::with_max_entries(capacity::BLOCK_HOSTS, BPF_F_NO_PREALLOC);

/// Banned IPv4 prefixes (shorter than /32).
#[map(name = "BLOCK_V4")]
pub static BLOCK_V4: LpmTrie<[u8; 4], BanValue> = LpmTrie::with_max_entries(capacity::BLOCK, 0);

/// Banned IPv6 prefixes (shorter than /128).
#[map(name = "BLOCK_V6")]
pub static BLOCK_V6: LpmTrie<[u8; 16], BanValue> = LpmTrie::with_max_entries(capacity::BLOCK, 0);

/// Per-CIDR rate overrides for IPv4 sources.
#[map(name = "LIMIT_V4")]
pub static LIMIT_V4: LpmTrie<[u8; 4], RateLimit> = LpmTrie::with_max_entries(capacity::LIMIT, 0);

/// Per-CIDR rate overrides for IPv6 sources.
#[map(name = "LIMIT_V6")]
pub static LIMIT_V6: LpmTrie<[u8; 16], RateLimit> = LpmTrie::with_max_entries(capacity::LIMIT, 0);

/// One token bucket per source (shared by all CPUs; updated atomically).
#[map(name = "BUCKETS")]
pub static BUCKETS: LruHashMap<SourceKey, Bucket> =
    LruHashMap::with_max_entries(capacity::BUCKETS, 0);

/// Global settings, one entry.
#[map(name = "CONFIG")]
pub static CONFIG: Array<EdgeConfig> = Array::with_max_entries(1, 0);

/// Packets and bytes per verdict and reason, per CPU.
#[map(name = "STATS")]
pub static STATS: PerCpuArray<Counter> = PerCpuArray::with_max_entries(stat::COUNT, 0);

/// Drops per source, for "top dropped sources".
#[map(name = "DROPS")]
pub static DROPS: LruHashMap<SourceKey, DropCount> =
    LruHashMap::with_max_entries(capacity::DROPS, 0);

/// Sources whose bucket overflowed, at most once per second each.
#[map(name = "EVENTS")]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(capacity::EVENTS_BYTES, 0);

//! The maps of the edge filter, with the names and types of `gateway_common::maps`.

use aya_ebpf::{
    bindings::BPF_F_MMAPABLE,
    macros::map,
    maps::{Array, LpmTrie, LruHashMap, PerCpuArray, RingBuf},
};
use gateway_common::{
    Counter, DropCount, EdgeConfig, RateLimit, SourceKey,
    bucket::{BucketRowV4, BucketRowV6, ROWS_V4, ROWS_V6},
    capacity, cover, hint, stat,
    table::{BLOCK_ROWS, BanRowV4, BanRowV6},
};

/// IPv4 CIDRs that skip every check.
#[map(name = "ALLOW_V4")]
pub static ALLOW_V4: LpmTrie<[u8; 4], u8> = LpmTrie::with_max_entries(capacity::ALLOW, 0);

/// IPv6 CIDRs that skip every check.
#[map(name = "ALLOW_V6")]
pub static ALLOW_V6: LpmTrie<[u8; 16], u8> = LpmTrie::with_max_entries(capacity::ALLOW, 0);

/// Allowlist hints: a bit per IPv4 /16 an allowlist entry may cover
/// (`gateway_common::hint`); the trie is looked up only when it is set.
#[map(name = "ALLOW_HINTS_V4")]
pub static ALLOW_HINTS_V4: Array<u64> = Array::with_max_entries(hint::WORDS, 0);

/// Allowlist hints for IPv6: a bit per folded /32.
#[map(name = "ALLOW_HINTS_V6")]
pub static ALLOW_HINTS_V6: Array<u64> = Array::with_max_entries(hint::WORDS, 0);

/// The IPv4 ban table (every prefix length; see `gateway_common::table`).
/// Mmapable: user space edits it in place.
#[map(name = "BLOCK_V4")]
pub static BLOCK_V4: Array<BanRowV4> = Array::with_max_entries(BLOCK_ROWS, BPF_F_MMAPABLE);

/// The IPv6 ban table.
#[map(name = "BLOCK_V6")]
pub static BLOCK_V6: Array<BanRowV6> = Array::with_max_entries(BLOCK_ROWS, BPF_F_MMAPABLE);

/// Which IPv4 /24s a ban of a long or of a short prefix may cover
/// (`gateway_common::cover`): the ban table is probed only for the lengths
/// whose bit is set. Mmapable: user space rebuilds it in place.
#[map(name = "BAN_COVER_V4")]
pub static BAN_COVER_V4: Array<u64> = Array::with_max_entries(cover::WORDS, BPF_F_MMAPABLE);

/// The same for IPv6 sources, per folded /48.
#[map(name = "BAN_COVER_V6")]
pub static BAN_COVER_V6: Array<u64> = Array::with_max_entries(cover::WORDS, BPF_F_MMAPABLE);

/// Rate override hints: a bit per IPv4 /16 an override may cover.
#[map(name = "LIMIT_HINTS_V4")]
pub static LIMIT_HINTS_V4: Array<u64> = Array::with_max_entries(hint::WORDS, 0);

/// Rate override hints for IPv6: a bit per folded /32.
#[map(name = "LIMIT_HINTS_V6")]
pub static LIMIT_HINTS_V6: Array<u64> = Array::with_max_entries(hint::WORDS, 0);

/// Per-CIDR rate overrides for IPv4 sources.
#[map(name = "LIMIT_V4")]
pub static LIMIT_V4: LpmTrie<[u8; 4], RateLimit> = LpmTrie::with_max_entries(capacity::LIMIT, 0);

/// Per-CIDR rate overrides for IPv6 sources.
#[map(name = "LIMIT_V6")]
pub static LIMIT_V6: LpmTrie<[u8; 16], RateLimit> = LpmTrie::with_max_entries(capacity::LIMIT, 0);

/// Token buckets of IPv4 sources (shared by all CPUs; slots claimed and
/// updated atomically; see `slots.rs`). Mmapable: user space reads it in place.
#[map(name = "BUCKETS_V4")]
pub static BUCKETS_V4: Array<BucketRowV4> = Array::with_max_entries(ROWS_V4, BPF_F_MMAPABLE);

/// Token buckets of IPv6 sources.
#[map(name = "BUCKETS_V6")]
pub static BUCKETS_V6: Array<BucketRowV6> = Array::with_max_entries(ROWS_V6, BPF_F_MMAPABLE);

/// Global settings, one entry.
#[map(name = "CONFIG")]
pub static CONFIG: Array<EdgeConfig> = Array::with_max_entries(1, 0);

/// CONFIG's single entry.
///
/// Read with a key in read-only data rather than through `Array::get`, which
/// stores the key on the stack: the verifier inlines the lookup as a load of
/// the key, and that load would wait for the store just before it, at the
/// start of every packet's critical path.
#[inline(always)]
pub fn config() -> Option<&'static EdgeConfig> {
    // SAFETY: `Array` is a transparent wrapper of its map definition, and
    // the key is a u32 that lives as long as the program.
    let value = unsafe {
        aya_ebpf::helpers::bpf_map_lookup_elem(
            (&raw const CONFIG).cast_mut().cast(),
            (&raw const CONFIG_KEY).cast(),
        )
    };
    // SAFETY: a non-null result points to CONFIG's value, an `EdgeConfig`.
    unsafe { value.cast::<EdgeConfig>().as_ref() }
}

/// The key of CONFIG's entry, in read-only data.
static CONFIG_KEY: u32 = 0;

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

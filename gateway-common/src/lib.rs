//! Map names, keys and values shared by the XDP program and the gateway.
//!
//! The layout of every map is written once, here. A change to any type or map
//! below must bump [`LAYOUT_VERSION`], so user space pins the new maps under a
//! new directory and never reuses an incompatible pinned map.
#![no_std]

/// Version of the map layout; maps are pinned under `/sys/fs/bpf/gateway/v{LAYOUT_VERSION}`.
pub const LAYOUT_VERSION: u32 = 8;

/// Name of the XDP program inside the object file.
pub const PROGRAM_NAME: &str = "gateway_xdp";

/// Map names, as declared in the eBPF object and as pinned in bpffs.
pub mod maps {
    /// `LpmTrie<[u8; 4], u8>`: IPv4 CIDRs that skip every check.
    pub const ALLOW_V4: &str = "ALLOW_V4";
    /// `LpmTrie<[u8; 16], u8>`: IPv6 CIDRs that skip every check.
    pub const ALLOW_V6: &str = "ALLOW_V6";
    /// `Array<u64>`: which IPv4 /16s an allowlist entry may cover (see [`crate::hint`]).
    pub const ALLOW_HINTS_V4: &str = "ALLOW_HINTS_V4";
    /// `Array<u64>`: which folded IPv6 /32s an allowlist entry may cover.
    pub const ALLOW_HINTS_V6: &str = "ALLOW_HINTS_V6";
    /// `Array<BanRowV4>` (mmapable): the IPv4 ban table, every prefix length (see [`crate::table`]).
    pub const BLOCK_V4: &str = "BLOCK_V4";
    /// `Array<BanRowV6>` (mmapable): the IPv6 ban table, every prefix length.
    pub const BLOCK_V6: &str = "BLOCK_V6";
    /// `LpmTrie<[u8; 4], RateLimit>`: per-CIDR rate overrides for IPv4 sources.
    pub const LIMIT_V4: &str = "LIMIT_V4";
    /// `LpmTrie<[u8; 16], RateLimit>`: per-CIDR rate overrides for IPv6 sources.
    pub const LIMIT_V6: &str = "LIMIT_V6";
    /// `Array<u64>`: which IPv4 /16s a rate override may cover (see [`crate::hint`]).
    pub const LIMIT_HINTS_V4: &str = "LIMIT_HINTS_V4";
    /// `Array<u64>`: which folded IPv6 /32s a rate override may cover.
    pub const LIMIT_HINTS_V6: &str = "LIMIT_HINTS_V6";
    /// `Array<BucketRowV4>` (mmapable): token buckets of IPv4 sources (see [`crate::bucket`]).
    pub const BUCKETS_V4: &str = "BUCKETS_V4";
    /// `Array<BucketRowV6>` (mmapable): token buckets of IPv6 sources.
    pub const BUCKETS_V6: &str = "BUCKETS_V6";
    /// `Array<EdgeConfig>` with one entry: default rate, prefixes, monitor flag.
    pub const CONFIG: &str = "CONFIG";
    /// `PerCpuArray<Counter>` indexed by [`crate::stat`].
    pub const STATS: &str = "STATS";
    /// `LruHashMap<SourceKey, DropCount>`: drops per source, for "top dropped sources".
    pub const DROPS: &str = "DROPS";
    /// `RingBuf` of [`crate::OverflowEvent`]: sources whose bucket overflowed (rate-limited).
    pub const EVENTS: &str = "EVENTS";
    /// `Array<u64>` (mmapable): which IPv4 /24s a ban may cover, per prefix class (see [`crate::cover`]).
    pub const BAN_COVER_V4: &str = "BAN_COVER_V4";
    /// `Array<u64>` (mmapable): which folded IPv6 /48s a ban may cover, per prefix class.
    pub const BAN_COVER_V6: &str = "BAN_COVER_V6";
}

/// Capacities of the maps (entries).
pub mod capacity {
    /// Bans per address family (addresses and prefixes): three quarters of
    /// the table's slots, where cuckoo insertion practically never fails.
    pub const BLOCK: u32 = crate::table::BLOCK_ROWS * crate::table::WAYS as u32 / 4 * 3;
    /// Allowlist entries per address family.
    pub const ALLOW: u32 = 1 << 16;
    /// Per-CIDR rate overrides per address family.
    pub const LIMIT: u32 = 1 << 14;
    /// Tracked IPv4 sources (token buckets): every slot of BUCKETS_V4.
    pub const BUCKETS_V4: u32 = crate::bucket::ROWS_V4 * crate::bucket::WAYS as u32;
    /// Tracked IPv6 sources (token buckets): every slot of BUCKETS_V6.
    pub const BUCKETS_V6: u32 = crate::bucket::ROWS_V6 * crate::bucket::WAYS as u32;
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

/// The ban tables: BLOCK_V4 and BLOCK_V6 are open-addressing hash tables in
/// mmapable array maps, keyed by (prefix length, network address).
///
/// Why not kernel hash maps or LPM tries: on the hosts we measured, every
/// call the program makes costs 15-25 ns (a hash map lookup is a call, and
/// its key compare another), while an array lookup is inlined by the
/// verifier. The program probes these tables with plain loads, once per
/// prefix length in use (`EdgeConfig::block_lens_*`), longest first; an LPM
/// trie's cost instead grows with the number of prefixes it holds.
///
/// Layout: a row holds [`WAYS`] slots. An entry lives in one of two rows
/// chosen by its hash (cuckoo hashing): its first row when that has room,
/// else its second. When an entry is placed in its second row, its first
/// row is marked spilled ([`SPILLED`] in the key word of the row's slot 0,
/// set before the entry is written); a lookup reads the second row only when
/// the first misses and is marked, so a miss usually costs one row. Marks
/// stay when entries are removed (a stale mark costs a second row read,
/// never a wrong answer) until user space recomputes them. Only user space
/// writes the tables (through the mmap, under a lock): it fills a slot's
/// address and ban first and its `key` word last, and empties a slot by
/// clearing `key` (all but the spill mark), so the program never matches a
/// half-written entry; an entry moved to its other row is written there
/// before it leaves the first.
pub mod table {
    use crate::BanValue;

    /// Slots per row.
    pub const WAYS: usize = 4;
    /// Rows of each ban table (a power of two): 2^21 slots per family.
    pub const BLOCK_ROWS: u32 = 1 << 19;
    /// Set in the `key` word of a used slot; an empty slot's `key` is 0 (or,
    /// in slot 0, [`SPILLED`] alone).
    pub const USED: u64 = 1 << 63;
    /// Set in the key word of a row's slot 0 (used or not) when entries whose
    /// first row this is live in their second row. Never part of a key: a
    /// slot is used when its word has [`USED`], and its key is the word
    /// without this bit.
    pub const SPILLED: u64 = 1 << 62;

    /// One IPv4 ban: `key` is `USED | prefix_len << 32 | network` (the
    /// network address as a big-endian u32, host bits zero).
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct BanSlotV4 {
        /// 0 when empty, else `USED | len << 32 | addr`.
        pub key: u64,
        /// The ban.
        pub ban: BanValue,
    }

    /// One IPv6 ban: `key` is `USED | prefix_len`, the network in `hi`/`lo`.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct BanSlotV6 {
        /// 0 when empty, else `USED | len`.
        pub key: u64,
        /// Bytes 0..8 of the network address, big-endian.
        pub hi: u64,
        /// Bytes 8..16 of the network address, big-endian.
        pub lo: u64,
        /// The ban.
        pub ban: BanValue,
    }

    /// One row of BLOCK_V4.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct BanRowV4 {
        /// The slots.
        pub slots: [BanSlotV4; WAYS],
    }

    /// One row of BLOCK_V6.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct BanRowV6 {
        /// The slots.
        pub slots: [BanSlotV6; WAYS],
    }

    /// The key word of an IPv4 network (`addr` with host bits already zero).
    #[inline(always)]
    pub const fn key_v4(prefix_len: u32, addr: u32) -> u64 {
        USED | (prefix_len as u64) << 32 | addr as u64
    }

    /// The key word of an IPv6 network.
    #[inline(always)]
    pub const fn key_v6(prefix_len: u32) -> u64 {
        USED | prefix_len as u64
    }

    /// A 64-bit mixer (the splitmix64 finalizer): every input bit moves every output bit.
    #[inline(always)]
    pub const fn mix(z: u64) -> u64 {
        let z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    // The ban tables' hash must look random on the structured sets bans
    // come in (runs of addresses, every /24 of a range): an entry may live
    // in either of two rows, and whether a set fits at all depends on more
    // than each row's share of first rows. Layout v7's multiply-shift spread
    // such sets evenly over the rows and still left 3-5% of seeds unable to
    // place 90% of a table (see the test `structured_ban_sets_fit_...`), so
    // every key goes through the splitmix finalizer: two chained
    // multiplications for IPv4, three for IPv6, whose 128-bit network is
    // first folded to 64 bits with secret multipliers.

    /// The two odd multipliers of the IPv6 fold, from the table seed (each
    /// uniform when the seed is).
    #[inline(always)]
    const fn multipliers(seed: u64) -> (u64, u64) {
        (
            (seed ^ 0x9e37_79b9_7f4a_7c15) | 1,
            (seed.rotate_left(32) ^ 0xd1b5_4a32_d192_ed03) | 1,
        )
    }

    /// The hash of an IPv4 key word: low half the first row, high half the second.
    #[inline(always)]
    pub const fn hash_v4(key: u64, seed: u64) -> u64 {
        mix(key ^ seed)
    }

    /// The hash of an IPv6 network. The halves are xor-folded onto their low
    /// 32 bits (a bijection) before `x * a + y * b`, so two networks that
    /// differ only in high bits (the first bits of the address, or of its
    /// interface id) still differ below bit 32, where the secret multipliers
    /// make the fold collide with probability about 2^-31 per pair.
    #[inline(always)]
    pub const fn hash_v6(key: u64, hi: u64, lo: u64, seed: u64) -> u64 {
        let (a, b) = multipliers(seed);
        let x = hi ^ (hi >> 32);
        let y = lo ^ (lo >> 32);
        mix(x.wrapping_mul(a).wrapping_add(y.wrapping_mul(b)) ^ key)
    }

    // The functions below are written without branches: the XDP program runs
    // them once per prefix length probed, and a branch on a value the verifier
    // cannot know doubles the states it must follow through the rest of the loop.

    /// 1 if `x` is 0, else 0.
    #[inline(always)]
    const fn is_zero(x: u64) -> u64 {
        ((x | x.wrapping_neg()) >> 63) ^ 1
    }

    /// `x << s` for `s` in 0..=64 (64 gives 0).
    #[inline(always)]
    const fn shl(x: u64, s: u32) -> u64 {
        let half = s >> 1;
        (x << half) << (s - half)
    }

    /// The two rows an entry with hash `h` may live in (they differ when `row_mask` > 0).
    #[inline(always)]
    pub const fn rows(h: u64, row_mask: u32) -> (u32, u32) {
        (first_row(h, row_mask), second_row(h, row_mask))
    }

    /// The first of [`rows`]. The program computes the second only when the
    /// first is marked spilled, so a hit in the first row never pays for it.
    #[inline(always)]
    pub const fn first_row(h: u64, row_mask: u32) -> u32 {
        h as u32 & row_mask
    }

    /// The second of [`rows`].
    #[inline(always)]
    pub const fn second_row(h: u64, row_mask: u32) -> u32 {
        let first = first_row(h, row_mask);
        let second = (h >> 32) as u32 & row_mask;
        let same = is_zero((first ^ second) as u64) as u32;
        second ^ (same & row_mask & 1)
    }

    /// The IPv4 network of `addr` (big-endian u32) at `prefix_len` (0..=32).
    #[inline(always)]
    pub const fn mask_v4(addr: u32, prefix_len: u32) -> u32 {
        addr & (u64::MAX << (32 - (prefix_len & 63))) as u32
    }

    /// The IPv6 network of `hi`/`lo` (big-endian halves) at `prefix_len` (0..=128).
    #[inline(always)]
    pub const fn mask_v6(hi: u64, lo: u64, prefix_len: u32) -> (u64, u64) {
        let len = (prefix_len & 255) as i64;
        // min(len, 64) without a branch: subtract the excess over 64 when there is one.
        let over = len - 64;
        let hi_len = (len - (over & !(over >> 63))) as u32;
        let lo_len = len as u32 - hi_len;
        (
            hi & shl(u64::MAX, 64 - hi_len),
            lo & shl(u64::MAX, 64 - lo_len),
        )
    }
}

/// The bucket tables: BUCKETS_V4 and BUCKETS_V6 are set-associative tables
/// in mmapable array maps, one token bucket per source, probed inline like
/// the ban tables (no hash map call per packet; see [`crate::table`]).
///
/// A source (an IPv4 address or an IPv6 prefix, masked to the configured
/// length) hashes, with CONFIG's secret `table_seed`, to one row of [`WAYS`]
/// slots, and lives in one of them. Unlike the ban tables, the *program*
/// fills these: a packet whose source has no slot claims one with a
/// compare-and-exchange of the slot's key word, so only one CPU wins it.
/// Which slot a new source takes, and what that means under a flood, is
/// described in `gateway-ebpf/src/slots.rs`. User space only reads the tables
/// and empties slots (a store of 0 to the key word), for `edge limit set`.
pub mod bucket {
    use crate::{Bucket, table};

    /// Slots per row.
    pub const WAYS: usize = 4;
    /// Rows of BUCKETS_V4 (a power of two): 2^18 IPv4 sources.
    pub const ROWS_V4: u32 = 1 << 16;
    /// Rows of BUCKETS_V6 (a power of two): 2^17 IPv6 prefixes.
    pub const ROWS_V6: u32 = 1 << 15;

    /// One row of BUCKETS_V4: the key words together (one cache line to probe), then the buckets.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct BucketRowV4 {
        /// 0 when the slot is empty, else [`key_v4`] of its source.
        pub keys: [u64; WAYS],
        /// The token buckets.
        pub buckets: [Bucket; WAYS],
    }

    /// One row of BUCKETS_V6.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct BucketRowV6 {
        /// 0 when the slot is empty, else [`key_v6`] of its source (a fingerprint).
        pub keys: [u64; WAYS],
        /// The source's network (big-endian halves, masked), for user space:
        /// written by the program just after it claims the slot.
        pub nets: [[u64; 2]; WAYS],
        /// The token buckets.
        pub buckets: [Bucket; WAYS],
    }

    /// The key word of an IPv4 source: `USED | prefix_len << 32 | network`,
    /// exact (the network as a big-endian u32, host bits zero).
    #[inline(always)]
    pub const fn key_v4(prefix_len: u32, net: u32) -> u64 {
        table::key_v4(prefix_len, net)
    }

    /// The key word of an IPv6 source: a 63-bit keyed fingerprint of its
    /// prefix length and network, so that a slot is claimed with one
    /// compare-and-exchange. Two prefixes share a bucket only if their
    /// fingerprints are equal (2^-63 per pair; and the seed is secret, so
    /// nobody can choose such a pair).
    #[inline(always)]
    pub const fn key_v6(prefix_len: u32, hi: u64, lo: u64, seed: u64) -> u64 {
        let key = table::key_v6(prefix_len);
        // Two splitmix rounds, not the ban tables' one-round fold: every bit
        // of a fingerprint must depend on every input bit.
        table::USED | table::mix(table::mix(hi ^ seed ^ SALT ^ key.rotate_left(17)) ^ lo)
    }

    /// Mixed into the seed so bucket rows do not follow ban rows.
    const SALT: u64 = 0x9e37_79b9_7f4a_7c15;

    /// The row of an IPv4 key word, for a table of `row_mask + 1` rows.
    #[inline(always)]
    pub const fn row_v4(key: u64, seed: u64, row_mask: u32) -> u32 {
        (table::mix(key ^ seed ^ SALT) >> 32) as u32 & row_mask
    }

    /// The row of an IPv6 key word: its low bits, already a keyed hash (one
    /// mix fewer per packet than hashing it again).
    #[inline(always)]
    pub const fn row_v6(key: u64, row_mask: u32) -> u32 {
        key as u32 & row_mask
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::table::*;

    #[test]
    fn masks_keep_exactly_the_prefix_bits() {
        assert_eq!(mask_v4(0xc612_07ff, 0), 0);
        assert_eq!(mask_v4(0xc612_07ff, 24), 0xc612_0700);
        assert_eq!(mask_v4(0xc612_07ff, 32), 0xc612_07ff);
        assert_eq!(mask_v4(0xffff_ffff, 1), 0x8000_0000);
        let (hi, lo) = (u64::MAX, u64::MAX);
        assert_eq!(mask_v6(hi, lo, 0), (0, 0));
        assert_eq!(mask_v6(hi, lo, 1), (1 << 63, 0));
        assert_eq!(mask_v6(hi, lo, 48), (u64::MAX << 16, 0));
        assert_eq!(mask_v6(hi, lo, 64), (u64::MAX, 0));
        assert_eq!(mask_v6(hi, lo, 65), (u64::MAX, 1 << 63));
        assert_eq!(mask_v6(hi, lo, 127), (u64::MAX, u64::MAX << 1));
        assert_eq!(mask_v6(hi, lo, 128), (u64::MAX, u64::MAX));
    }

    #[test]
    fn the_probe_order_lists_the_lengths_in_use_longest_first() {
        let mut c = crate::EdgeConfig::DEFAULT;
        c.set_block_lens(1 << 32 | 1 << 24 | 1, [1 << 48 | 1, 1, 1]);
        assert_eq!(&c.block_order_v4[..c.block_count_v4 as usize], &[32, 24, 0]);
        assert_eq!(
            &c.block_order_v6[..c.block_count_v6 as usize],
            &[128, 64, 48, 0]
        );
        c.set_block_lens(u64::MAX, [u64::MAX; 3]);
        assert_eq!((c.block_count_v4, c.block_count_v6), (33, 129));
        assert_eq!(c.block_order_v6[128], 0);
        c.set_block_lens(0, [0; 3]);
        assert_eq!((c.block_count_v4, c.block_count_v6), (0, 0));
    }

    #[test]
    fn an_entry_has_two_different_rows() {
        for h in [
            0u64,
            1,
            0x0000_0005_0000_0005,
            u64::MAX,
            0x1234_5678_9abc_def0,
        ] {
            let (a, b) = rows(h, 255);
            assert_ne!(a, b, "{h:#x}");
            assert!(a <= 255 && b <= 255);
        }
    }

    /// The most keys any row of a 2^16-row table is the first row of, for
    /// 2^16 keys.
    fn fullest_row(keys: impl Iterator<Item = u64>) -> u32 {
        let mut load = [0u32; 1 << 16];
        for h in keys {
            load[rows(h, (1 << 16) - 1).0 as usize] += 1;
        }
        load.into_iter().max().unwrap_or(0)
    }

    #[test]
    fn the_ban_hash_spreads_networks_that_differ_only_in_high_bits() {
        // One key per row on average; a uniform hash puts at most 9 or so in
        // the fullest row, one that keeps the networks' structure thousands.
        for seed in [0, 5, 0x1234_5678_9abc_def0, u64::MAX] {
            let every_24_of_a_8 = (0..1u32 << 16).map(|i| key_v4(24, 0x0a00_0000 | i << 8));
            let lengths = (0..1u32 << 16).map(|i| key_v4(16 + (i & 15), (i >> 4) << 20));
            let every_32_v6 = (0..1u64 << 16).map(|i| (key_v6(32), (0x2000 + i) << 48, 0));
            let every_48_v6 =
                (0..1u64 << 16).map(|i| (key_v6(48), 0x2001_0db8_0000_0000 | i << 16, 0));
            let every_128_v6 = (0..1u64 << 16).map(|i| (key_v6(128), 0x2001_0db8 << 32, i << 48));
            for (name, fullest) in [
                (
                    "IPv4 /24s",
                    fullest_row(every_24_of_a_8.map(|k| hash_v4(k, seed))),
                ),
                (
                    "IPv4 lengths",
                    fullest_row(lengths.map(|k| hash_v4(k, seed))),
                ),
                (
                    "IPv6 /32s",
                    fullest_row(every_32_v6.map(|(k, hi, lo)| hash_v6(k, hi, lo, seed))),
                ),
                (
                    "IPv6 /48s",
                    fullest_row(every_48_v6.map(|(k, hi, lo)| hash_v6(k, hi, lo, seed))),
                ),
                (
                    "IPv6 /128s",
                    fullest_row(every_128_v6.map(|(k, hi, lo)| hash_v6(k, hi, lo, seed))),
                ),
            ] {
                assert!(
                    fullest <= 12,
                    "{name}, seed {seed:#x}: {fullest} keys in one row"
                );
            }
        }
    }

    /// Whether entries with these hashes fit a table of `rows` rows of
    /// [`WAYS`] slots, each in one of its two rows. Entries go in one by one,
    /// each by a breadth-first search for a chain of moves that frees a slot
    /// (augmenting paths), so a `false` is exact: no placement exists.
    fn fits(hashes: &[u64], rows: u32) -> bool {
        use std::{collections::VecDeque, vec, vec::Vec};
        let other = |h: u64, row: u32| {
            let (a, b) = super::table::rows(h, rows - 1);
            if a == row { b } else { a }
        };
        let mut load: Vec<Vec<u64>> = vec![Vec::new(); rows as usize];
        for &h in hashes {
            let (a, b) = super::table::rows(h, rows - 1);
            // came_from[row]: the row and entry whose move reaches it.
            let mut came_from: Vec<Option<(u32, u64)>> = vec![None; rows as usize];
            let mut seen = vec![false; rows as usize];
            let mut queue = VecDeque::from([a, b]);
            (seen[a as usize], seen[b as usize]) = (true, true);
            let mut free = None;
            while let Some(row) = queue.pop_front() {
                if load[row as usize].len() < WAYS {
                    free = Some(row);
                    break;
                }
                for &e in &load[row as usize] {
                    let next = other(e, row);
                    if !seen[next as usize] {
                        seen[next as usize] = true;
                        came_from[next as usize] = Some((row, e));
                        queue.push_back(next);
                    }
                }
            }
            let Some(mut row) = free else {
                return false;
            };
            while let Some((from, e)) = came_from[row as usize] {
                let at = load[from as usize].iter().position(|&x| x == e);
                load[from as usize].swap_remove(at.expect("the moved entry is in its row"));
                load[row as usize].push(e);
                row = from;
            }
            load[row as usize].push(h);
        }
        true
    }

    #[test]
    fn structured_ban_sets_fit_a_table_nine_tenths_full_for_every_seed() {
        // 920 entries in 256 rows of 4 (1,024 slots). With a random hash
        // such sets fit for every seed (a simulation found no failure in
        // 4,000); multiply-shift, which keeps the networks' arithmetic
        // structure, left 3-5% of seeds with no placement at all.
        let hash = |set: usize, i: u64, seed: u64| match set {
            0 => hash_v4(key_v4(32, 0x0a00_0000 + 7 * i as u32), seed),
            1 => hash_v4(key_v4(24, 0xc612_0000 + ((i as u32) << 8)), seed),
            2 => hash_v4(key_v4(32, 0x0a00_0001 + ((i as u32) << 8)), seed),
            3 => hash_v6(key_v6(128), 0x2001_0db8_0000_0001, 3 * i, seed),
            _ => hash_v6(key_v6(48), 0x2001_0db8_0000_0000 | i << 16, 0, seed),
        };
        let names = [
            "every 7th IPv4 address",
            "consecutive IPv4 /24s",
            "every 256th IPv4 address",
            "every 3rd IPv6 address of a /64",
            "consecutive IPv6 /48s",
        ];
        for seed in (1..=32u64).map(|s| s.wrapping_mul(0x2545_f491_4f6c_dd1d)) {
            for (set, name) in names.iter().enumerate() {
                let hashes: std::vec::Vec<u64> = (0..920).map(|i| hash(set, i, seed)).collect();
                assert!(
                    fits(&hashes, 256),
                    "{name}, seed {seed:#x}: no placement of 920 entries in 1,024 slots"
                );
            }
        }
    }

    #[test]
    fn one_address_at_different_lengths_has_different_rows() {
        for seed in [0, 5, 0x1234_5678_9abc_def0] {
            let mut firsts: [u32; 33] = [0; 33];
            for (len, first) in firsts.iter_mut().enumerate() {
                let key = key_v4(len as u32, mask_v4(0xc612_4206, len as u32));
                *first = rows(hash_v4(key, seed), (1 << 19) - 1).0;
            }
            let mut sorted = firsts;
            sorted.sort_unstable();
            assert!(
                sorted.windows(2).all(|w| w[0] != w[1]),
                "seed {seed:#x}: {firsts:?}"
            );
        }
    }
}

/// The hints of the LPM tries (the allowlist: ALLOW_HINTS_V4/V6; the rate
/// overrides: LIMIT_HINTS_V4/V6) hold one bit per IPv4 /16 and per IPv6 /32
/// (folded to 16 bits), set when an entry of the trie may cover an address
/// there. The program looks a source up in a trie only when its bit is set:
/// a trie lookup is a helper call, which costs more than the rest of the
/// blocklist stage (BENCHMARKS.md), and most sources are not near any
/// allowlisted or specially limited network.
///
/// User space sets an entry's bits before it inserts the entry, so no lookup
/// that should find it is skipped, and recomputes them from the trie after
/// removals (a stale bit only costs a lookup). An entry shorter than /16
/// (IPv4) sets the bits of every /16 it covers; one shorter than /32 (IPv6)
/// sets them all.
pub mod hint {
    /// Words of each hint map: 65,536 bits.
    pub const WORDS: u32 = 1024;

    /// The hint bit of an IPv4 address (big-endian u32): its /16.
    #[inline(always)]
    pub const fn bit_v4(addr: u32) -> u32 {
        addr >> 16
    }

    /// The hint bit of an IPv6 address (`hi`: its first 8 bytes, big-endian):
    /// its /32, folded to 16 bits.
    #[inline(always)]
    pub const fn bit_v6(hi: u64) -> u32 {
        let p = (hi >> 32) as u32;
        (p ^ (p >> 16)) & 0xffff
    }

    /// The word of a hint bit, and its mask in that word.
    #[inline(always)]
    pub const fn word(bit: u32) -> (u32, u64) {
        ((bit >> 6) & (WORDS - 1), 1 << (bit & 63))
    }
}

/// The cover maps (BAN_COVER_V4, BAN_COVER_V6) say, for every group of
/// addresses (an IPv4 /24; an IPv6 /48, folded to 24 bits), whether a ban
/// of a long prefix (IPv4 /25../32, IPv6 /49../128) and whether a ban of a
/// short one may cover an address there: two bits per group. The program
/// probes the ban tables only for the lengths whose class bit is set in
/// the source's group, so a source in a group no ban touches (most traffic)
/// probes nothing, and one in a banned /24 or /48 skips the probes of the
/// address bans.
///
/// User space sets a ban's bits before it publishes the ban, so no probe
/// that would find it is skipped, and recomputes them from the tables after
/// removals (a stale bit only costs probes). An IPv4 ban shorter than /24
/// sets the short bit of every /24 it covers; an IPv6 one between /25 and
/// /48 sets the short bits of the aligned block of groups its /48s fold
/// into, and one of /24 or shorter sets them all.
pub mod cover {
    /// Words of each cover map: 2^24 groups of two bits.
    pub const WORDS: u32 = 1 << 19;
    /// Groups per map.
    pub const GROUPS: u32 = 1 << 24;
    /// The bit of a group that stands for bans of long prefixes.
    pub const LONG: u64 = 1;
    /// The bit of a group that stands for bans of short prefixes.
    pub const SHORT: u64 = 2;
    /// The longest IPv4 prefix that is short: a /24 is a group.
    pub const SPLIT_V4: u32 = 24;
    /// The longest IPv6 prefix that is short: a /48 is a group.
    pub const SPLIT_V6: u32 = 48;

    /// The group of an IPv4 address (big-endian u32): its /24.
    #[inline(always)]
    pub const fn group_v4(addr: u32) -> u32 {
        addr >> 8
    }

    /// The group of an IPv6 address (`hi`: its first 8 bytes, big-endian):
    /// its /48, the two halves of those 48 bits XORed into 24.
    #[inline(always)]
    pub const fn group_v6(hi: u64) -> u32 {
        let p = hi >> 16;
        ((p ^ (p >> 24)) & (GROUPS as u64 - 1)) as u32
    }

    /// The class bit a prefix length of its family stands under.
    #[inline(always)]
    pub const fn class(prefix_len: u32, split: u32) -> u64 {
        if prefix_len > split { LONG } else { SHORT }
    }

    /// The word of a group, and the shift of its two bits in that word.
    #[inline(always)]
    pub const fn word(group: u32) -> (u32, u32) {
        ((group >> 5) & (WORDS - 1), (group & 31) * 2)
    }
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
    /// Prefix lengths that hold at least one IPv4 ban: bit n stands for /n
    /// (0..=32). Set with [`EdgeConfig::set_block_lens`], which keeps
    /// `block_order_v4` (what the program reads) in step.
    pub block_lens_v4: u64,
    /// The same for IPv6: bit n % 64 of word n / 64 stands for /n (0..=128).
    pub block_lens_v6: [u64; 3],
    /// Rows of each ban table minus one (rows are a power of two); fixed when
    /// the maps are created. 0 probes row 0 only.
    pub block_row_mask: u32,
    /// Nanoseconds per jiffy (the resolution of `CLOCK_MONOTONIC_COARSE`), for
    /// the token buckets' clock. 0 turns the rate stage off.
    pub tick_ns: u32,
    /// Seed of the ban and bucket tables' hashes, chosen at random when the maps are created.
    pub table_seed: u64,
    /// Rows of BUCKETS_V4 minus one (a power of two); fixed when the maps are created.
    pub bucket_mask_v4: u32,
    /// Rows of BUCKETS_V6 minus one.
    pub bucket_mask_v6: u32,
    /// How many lengths `block_order_v4` holds.
    pub block_count_v4: u32,
    /// How many lengths `block_order_v6` holds.
    pub block_count_v6: u32,
    /// The lengths of `block_lens_v4`, longest first: the program probes the
    /// ban table once for each of the first `block_count_v4` (a list read
    /// costs a load per probe where finding the next set bit costs dozens of
    /// instructions).
    pub block_order_v4: [u8; 40],
    /// The lengths of `block_lens_v6`, longest first.
    pub block_order_v6: [u8; 136],
}

impl EdgeConfig {
    /// The configuration a freshly created CONFIG map should hold.
    pub const DEFAULT: EdgeConfig = EdgeConfig {
        rate: RateLimit { pps: 0, burst: 0 },
        prefix_v4: 32,
        prefix_v6: 64,
        monitor: 0,
        skip: 0,
        block_lens_v4: 0,
        block_lens_v6: [0; 3],
        block_row_mask: table::BLOCK_ROWS - 1,
        tick_ns: 0,
        table_seed: 0,
        bucket_mask_v4: bucket::ROWS_V4 - 1,
        bucket_mask_v6: bucket::ROWS_V6 - 1,
        block_count_v4: 0,
        block_count_v6: 0,
        block_order_v4: [0; 40],
        block_order_v6: [0; 136],
    };

    /// Sets the prefix lengths that hold bans (`block_lens_*` bits) and the
    /// probe order derived from them.
    pub fn set_block_lens(&mut self, v4: u64, v6: [u64; 3]) {
        self.block_lens_v4 = v4 & ((1 << 33) - 1);
        self.block_lens_v6 = [v6[0], v6[1], v6[2] & 1];
        self.block_count_v4 = 0;
        for len in (0..=32u32).rev() {
            if self.block_lens_v4 & (1 << len) != 0 {
                self.block_order_v4[self.block_count_v4 as usize] = len as u8;
                self.block_count_v4 += 1;
            }
        }
        self.block_count_v6 = 0;
        for len in (0..=128u32).rev() {
            if self.block_lens_v6[(len / 64) as usize] & (1 << (len % 64)) != 0 {
                self.block_order_v6[self.block_count_v6 as usize] = len as u8;
                self.block_count_v6 += 1;
            }
        }
    }
}

/// Bits of [`EdgeConfig::skip`]: a set bit says the list is empty, so its lookup is skipped.
/// (The ban tables say which prefix lengths they hold instead: `block_lens_*`.)
///
/// User space sets a bit only after seeing the map empty and clears it after
/// every insert, so a stale bit can at worst delay a new entry by the time
/// between its insert and the next refresh (and the daemon's sweep refreshes).
pub mod skip {
    /// ALLOW_V4 is empty.
    pub const ALLOW_V4: u32 = 1 << 0;
    /// ALLOW_V6 is empty.
    pub const ALLOW_V6: u32 = 1 << 1;
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
/// At 16 the sampled update (an LRU hash lookup and a clock read) still cost
/// about 3 ns per drop, a tenth of the whole drop path; at 64, under 1 ns.
pub const DROP_SAMPLE: u64 = 64;

/// Address family tag of a [`SourceKey`].
pub mod family {
    /// IPv4: the first 4 bytes of `addr` are used.
    pub const V4: u32 = 4;
    /// IPv6: all 16 bytes of `addr` are used.
    pub const V6: u32 = 6;
}

/// A traffic source: an IPv4 address or an IPv6 prefix, masked to the configured
/// length (the key of DROPS and of overflow events).
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

/// Token bucket of one source (a slot of the bucket tables).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Tokens left, scaled by [`TOKEN_SCALE`]; a signed (`i64`) value stored as `u64`.
    pub tokens: u64,
    /// Last refill, in jiffies (`bpf_jiffies64`): the last jiffy the source sent in.
    pub last_tick: u64,
    /// Last time an overflow of this source was reported on the EVENTS ring, in jiffies.
    pub reported_tick: u64,
    /// Packets dropped by this bucket since its source claimed the slot.
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
    /// The source (masked as in the bucket tables).
    pub source: SourceKey,
    /// Packets this bucket has dropped so far.
    pub dropped: u64,
    /// When, `CLOCK_MONOTONIC` nanoseconds.
    pub ts_ns: u64,
}

/// Slots of the STATS per-CPU array. The program updates exactly one slot
/// per packet: a blocklist verdict has one slot per reason, and user space
/// sums slots into the counters it shows ([`stat::SHOWN`]).
pub mod stat {
    /// Not IPv4 or IPv6 (ARP, LLDP, …): passed.
    pub const PASS_NON_IP: u32 = 0;
    /// Truncated or malformed IP header: passed.
    pub const PASS_MALFORMED: u32 = 1;
    /// Source matched the allowlist: passed.
    pub const PASS_ALLOWLIST: u32 = 2;
    /// Went through every stage: passed.
    pub const PASS: u32 = 3;
    /// Dropped by an empty rate bucket.
    pub const DROP_RATE: u32 = 4;
    /// Monitor mode: would have been dropped by the rate bucket.
    pub const MONITOR_RATE: u32 = 5;
    /// Dropped by the blocklist: slot `DROP_BAN + (reason code & 7)`.
    pub const DROP_BAN: u32 = 8;
    /// Monitor mode, would have been dropped by the blocklist: `MONITOR_BAN + (reason & 7)`.
    pub const MONITOR_BAN: u32 = 16;
    /// Number of slots.
    pub const COUNT: u32 = 24;

    /// A counter shown by `gateway edge stats` (and in metrics): the sum of some slots.
    pub struct Shown {
        /// Its name.
        pub name: &'static str,
        /// The slots it sums.
        pub slots: &'static [u32],
    }

    const fn shown(name: &'static str, slots: &'static [u32]) -> Shown {
        Shown { name, slots }
    }

    /// Every counter shown, in display order.
    pub const SHOWN: [Shown; 14] = [
        shown("pass_non_ip", &[PASS_NON_IP]),
        shown("pass_malformed", &[PASS_MALFORMED]),
        shown("pass_allowlist", &[PASS_ALLOWLIST]),
        shown("pass", &[PASS]),
        shown("drop_blocklist", &[8, 9, 10, 11, 12, 13, 14, 15]),
        shown("drop_rate", &[DROP_RATE]),
        shown("monitor_blocklist", &[16, 17, 18, 19, 20, 21, 22, 23]),
        shown("monitor_rate", &[MONITOR_RATE]),
        shown("block_manual", &[DROP_BAN + 1, MONITOR_BAN + 1]),
        shown("block_waf", &[DROP_BAN + 2, MONITOR_BAN + 2]),
        shown("block_auth", &[DROP_BAN + 3, MONITOR_BAN + 3]),
        shown("block_rate", &[DROP_BAN + 4, MONITOR_BAN + 4]),
        shown("block_cluster", &[DROP_BAN + 5, MONITOR_BAN + 5]),
        shown("block_import", &[DROP_BAN + 6, MONITOR_BAN + 6]),
    ];

    /// The slots of a shown counter (empty for an unknown name).
    pub fn slots_of(name: &str) -> &'static [u32] {
        SHOWN
            .iter()
            .find(|s| s.name == name)
            .map_or(&[], |s| s.slots)
    }

    /// The verdict a slot records (`drop_blocklist` for every ban reason), as in DROPS' `last_stat`.
    pub const fn verdict_name(slot: u32) -> &'static str {
        match slot {
            PASS_NON_IP => "pass_non_ip",
            PASS_MALFORMED => "pass_malformed",
            PASS_ALLOWLIST => "pass_allowlist",
            PASS => "pass",
            DROP_RATE => "drop_rate",
            MONITOR_RATE => "monitor_rate",
            8..=15 => "drop_blocklist",
            16..=23 => "monitor_blocklist",
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
    unsafe impl aya::Pod for super::table::BanRowV4 {}
    unsafe impl aya::Pod for super::table::BanRowV6 {}
    unsafe impl aya::Pod for super::bucket::BucketRowV4 {}
    unsafe impl aya::Pod for super::bucket::BucketRowV6 {}
}

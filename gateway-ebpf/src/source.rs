//! The source of a packet and the keys derived from it for each map.

use aya_ebpf::maps::{Array, lpm_trie::Key};
use gateway_common::{EdgeConfig, SourceKey, family, hint, table};

/// The source address of an IP packet, as words: the packet path masks,
/// hashes and compares these, and bytes are only built for the maps keyed by them.
#[derive(Clone, Copy)]
pub struct Source {
    /// [`family::V4`] or [`family::V6`].
    pub family: u32,
    /// IPv4: the address (`u32::from_be_bytes` of its bytes). IPv6: bytes
    /// 0..8, big-endian.
    pub hi: u64,
    /// IPv6: bytes 8..16, big-endian. IPv4: 0.
    pub lo: u64,
}

impl Source {
    /// Whether this is an IPv4 source.
    #[inline(always)]
    pub fn is_v4(&self) -> bool {
        self.family == family::V4
    }

    /// The IPv4 address (meaningful for IPv4 sources only).
    #[inline(always)]
    pub fn v4(&self) -> u32 {
        self.hi as u32
    }

    /// The address bytes in network order (IPv4 in the first 4).
    #[inline(always)]
    fn bytes(hi: u64, lo: u64, v4: bool) -> [u8; 16] {
        let mut addr = [0u8; 16];
        if v4 {
            addr[..4].copy_from_slice(&(hi as u32).to_be_bytes());
        } else {
            addr[..8].copy_from_slice(&hi.to_be_bytes());
            addr[8..].copy_from_slice(&lo.to_be_bytes());
        }
        addr
    }

    /// The source's bit in a trie's hint map (`gateway_common::hint`).
    #[inline(always)]
    pub fn hint_bit(&self) -> u32 {
        if self.is_v4() {
            hint::bit_v4(self.v4())
        } else {
            hint::bit_v6(self.hi)
        }
    }

    /// The bucket / drop-count key: the address masked to the configured prefix.
    #[inline(always)]
    pub fn key(&self, config: &EdgeConfig) -> SourceKey {
        if self.is_v4() {
            let prefix = prefix_v4(config);
            SourceKey {
                family: family::V4,
                prefix_len: prefix,
                addr: Self::bytes(u64::from(table::mask_v4(self.v4(), prefix)), 0, true),
            }
        } else {
            let prefix = prefix_v6(config);
            let (hi, lo) = table::mask_v6(self.hi, self.lo, prefix);
            SourceKey {
                family: family::V6,
                prefix_len: prefix,
                addr: Self::bytes(hi, lo, false),
            }
        }
    }
}

/// The prefix an IPv4 source's bucket and drop count are kept per. One
/// outside the valid range (0 in a zeroed CONFIG) means the default: per address.
#[inline(always)]
pub fn prefix_v4(config: &EdgeConfig) -> u32 {
    match config.prefix_v4 {
        p @ 1..=32 => p,
        _ => 32,
    }
}

/// The same for IPv6 sources; the default is per /64.
#[inline(always)]
pub fn prefix_v6(config: &EdgeConfig) -> u32 {
    match config.prefix_v6 {
        p @ 1..=128 => p,
        _ => 64,
    }
}

/// The IPv6 network of `hi`/`lo` (big-endian halves) at `prefix_len`
/// (0..=128; longer keeps the address): two loads from a table of masks in
/// read-only data, where computing them without branches (which would
/// multiply the verifier's states) takes about 25 instructions.
#[inline(always)]
pub fn net_v6(hi: u64, lo: u64, prefix_len: u32) -> (u64, u64) {
    let [mask_hi, mask_lo] = MASKS_V6
        .get(prefix_len as usize)
        .copied()
        .unwrap_or([u64::MAX; 2]);
    (hi & mask_hi, lo & mask_lo)
}

/// The masks (high and low halves) of every IPv6 prefix length.
static MASKS_V6: [[u64; 2]; 129] = masks_v6();

const fn masks_v6() -> [[u64; 2]; 129] {
    let mut out = [[0; 2]; 129];
    let mut len = 0;
    while len < out.len() {
        let (hi, lo) = table::mask_v6(u64::MAX, u64::MAX, len as u32);
        out[len] = [hi, lo];
        len += 1;
    }
    out
}

/// Whether a trie's hint map has the source's bit set, i.e. whether the trie
/// is worth looking up (an array read, inlined by the verifier).
#[inline(always)]
pub fn hinted(hints: &Array<u64>, source: &Source) -> bool {
    let (word, mask) = hint::word(source.hint_bit());
    hints.get(word).is_some_and(|w| w & mask != 0)
}

/// The IPv4 LPM key for a full-length lookup of `source`.
#[inline(always)]
pub fn lpm_v4(source: &Source) -> Key<[u8; 4]> {
    Key::new(32, source.v4().to_be_bytes())
}

/// The IPv6 LPM key for a full-length lookup of `source`.
#[inline(always)]
pub fn lpm_v6(source: &Source) -> Key<[u8; 16]> {
    Key::new(128, Source::bytes(source.hi, source.lo, false))
}

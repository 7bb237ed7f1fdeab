//! The blocklist lookup: probes the ban tables (`gateway_common::table`) once
//! per prefix length in use, longest first, with inlined array reads only.
//!
//! A live ban at the longest matching length wins; an expired entry is
//! skipped, so it never hides a live shorter prefix ban over it.

use gateway_common::{
    EdgeConfig,
    table::{self, BanRowV4, BanRowV6},
};

use crate::{
    live,
    maps::{BLOCK_V4, BLOCK_V6},
    source::Source,
};

/// The reason code of the live ban covering `source`, if any.
#[inline(always)]
pub fn live_ban(source: &Source, config: &EdgeConfig) -> Option<u32> {
    if source.is_v4() {
        live_ban_v4(source, config)
    } else {
        live_ban_v6(source, config)
    }
}

// Verifier note: each probe ends in one of two states, "found live" (leave
// the loop) or "go on", and carries no pointer out of it: matches are read
// into plain scalars (expiry, reason). Otherwise every slot a match could be
// in would give the next iteration its own state, and the verifier's work
// would grow fourfold with every length probed.

#[inline(always)]
fn live_ban_v4(source: &Source, config: &EdgeConfig) -> Option<u32> {
    let addr = u32::from_be_bytes([
        source.addr[0],
        source.addr[1],
        source.addr[2],
        source.addr[3],
    ]);
    // Lengths /0../32; one probe per set bit, longest first.
    let mut lens = config.block_lens_v4 & ((1 << 33) - 1);
    for _ in 0..33 {
        if lens == 0 {
            break;
        }
        let len = table::highest_bit(lens);
        lens &= !(1 << len);
        let key = table::key_v4(len, table::mask_v4(addr, len));
        let (first, second) = table::rows(
            table::hash_v4(key, config.table_seed),
            config.block_row_mask,
        );
        let found = match find_v4(BLOCK_V4.get(first), key) {
            Some(hit) => Some(hit),
            None => find_v4(BLOCK_V4.get(second), key),
        };
        if let Some((expires_ns, reason)) = found
            && live(expires_ns)
        {
            return Some(reason);
        }
    }
    None
}

/// The expiry and reason of the slot of `row` holding `key`.
#[inline(always)]
fn find_v4(row: Option<&BanRowV4>, key: u64) -> Option<(u64, u32)> {
    let row = row?;
    for slot in &row.slots {
        if slot.key == key {
            return Some((slot.ban.expires_ns, slot.ban.reason));
        }
    }
    None
}

#[inline(always)]
fn live_ban_v6(source: &Source, config: &EdgeConfig) -> Option<u32> {
    let mut half = [0u8; 8];
    half.copy_from_slice(&source.addr[..8]);
    let hi = u64::from_be_bytes(half);
    half.copy_from_slice(&source.addr[8..]);
    let lo = u64::from_be_bytes(half);
    // Lengths /0../128 in three words (/128 alone in the last); one probe
    // per set bit, longest first.
    let words = [
        (config.block_lens_v6[2] & 1, 128),
        (config.block_lens_v6[1], 64),
        (config.block_lens_v6[0], 0),
    ];
    for (word, base) in words {
        let mut lens = word;
        for _ in 0..64 {
            if lens == 0 {
                break;
            }
            let bit = table::highest_bit(lens);
            lens &= !(1 << bit);
            let len = base + bit;
            let (net_hi, net_lo) = table::mask_v6(hi, lo, len);
            let key = table::key_v6(len);
            let (first, second) = table::rows(
                table::hash_v6(key, net_hi, net_lo, config.table_seed),
                config.block_row_mask,
            );
            let found = match find_v6(BLOCK_V6.get(first), key, net_hi, net_lo) {
                Some(hit) => Some(hit),
                None => find_v6(BLOCK_V6.get(second), key, net_hi, net_lo),
            };
            if let Some((expires_ns, reason)) = found
                && live(expires_ns)
            {
                return Some(reason);
            }
        }
    }
    None
}

/// The expiry and reason of the slot of `row` holding the network.
#[inline(always)]
fn find_v6(row: Option<&BanRowV6>, key: u64, hi: u64, lo: u64) -> Option<(u64, u32)> {
    let row = row?;
    for slot in &row.slots {
        if slot.key == key && slot.hi == hi && slot.lo == lo {
            return Some((slot.ban.expires_ns, slot.ban.reason));
        }
    }
    None
}

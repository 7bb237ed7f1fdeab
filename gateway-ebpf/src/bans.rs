//! The blocklist lookup: probes the ban tables (`gateway_common::table`) once
//! per prefix length in use, longest first, with inlined array reads only:
//! an entry's first row, and its second only when the first is marked spilled.
//!
//! Before any probe, the source's group in the cover map (`gateway_common::
//! cover`) says which classes of length (long, short) may hold a ban over
//! it; the lengths of a class whose bit is clear are not probed, and a source
//! no ban comes near probes nothing.
//!
//! A live ban at the longest matching length wins; an expired entry is
//! skipped, so it never hides a live shorter prefix ban over it.

use aya_ebpf::maps::Array;
use gateway_common::{
    EdgeConfig, cover,
    table::{self, BanRowV4, BanRowV6, SPILLED},
};

use crate::{
    live,
    maps::{BAN_COVER_V4, BAN_COVER_V6, BLOCK_V4, BLOCK_V6},
    source::{self, Source},
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
    let addr = source.v4();
    let classes = covered(&BAN_COVER_V4, cover::group_v4(addr));
    if classes == 0 {
        return None;
    }
    // One probe per length in use, longest first (user space lists them).
    let count = config.block_count_v4;
    for i in 0..33 {
        if i >= count {
            break;
        }
        let len = u32::from(config.block_order_v4[i as usize]);
        let len = if len > 32 { 32 } else { len };
        if classes & cover::class(len, cover::SPLIT_V4) == 0 {
            continue;
        }
        let key = table::key_v4(len, table::mask_v4(addr, len));
        let h = table::hash_v4(key, config.table_seed);
        let mask = config.block_row_mask;
        let found = resolve(
            find_v4(BLOCK_V4.get(table::first_row(h, mask)), key),
            || find_v4(BLOCK_V4.get(table::second_row(h, mask)), key),
        );
        if let Some((expires_ns, reason)) = found
            && live(expires_ns)
        {
            return Some(reason);
        }
    }
    None
}

/// The class bits of a group in a cover map (an array read, inlined by the
/// verifier); both when the word cannot be read, which never skips a probe.
#[inline(always)]
fn covered(map: &Array<u64>, group: u32) -> u64 {
    let (word, shift) = cover::word(group);
    map.get(word).map_or(cover::LONG | cover::SHORT, |w| {
        (w >> shift) & (cover::LONG | cover::SHORT)
    })
}

/// The expiry and reason a lookup found: in the first row, else (when the
/// first row is marked spilled) in the second.
#[inline(always)]
fn resolve(first: Probe, second: impl FnOnce() -> Probe) -> Option<(u64, u32)> {
    let probe = match first {
        Probe::Spilled => second(),
        other => other,
    };
    match probe {
        Probe::Hit(expires_ns, reason) => Some((expires_ns, reason)),
        Probe::Spilled | Probe::Miss => None,
    }
}

/// What one row says about a key.
enum Probe {
    /// The key's slot: its ban's expiry and reason.
    Hit(u64, u32),
    /// Not here, and the row is marked spilled: look in the second row.
    Spilled,
    /// Not here, and nowhere else.
    Miss,
}

/// Looks for `key` in `row`. Slot 0's key word carries the row's spill
/// mark, so it is compared without it.
#[inline(always)]
fn find_v4(row: Option<&BanRowV4>, key: u64) -> Probe {
    let Some(row) = row else {
        return Probe::Miss;
    };
    let head = row.slots[0].key;
    for (way, slot) in row.slots.iter().enumerate() {
        let word = if way == 0 { head & !SPILLED } else { slot.key };
        if word == key {
            return Probe::Hit(slot.ban.expires_ns, slot.ban.reason);
        }
    }
    if head & SPILLED != 0 {
        Probe::Spilled
    } else {
        Probe::Miss
    }
}

#[inline(always)]
fn live_ban_v6(source: &Source, config: &EdgeConfig) -> Option<u32> {
    let (hi, lo) = (source.hi, source.lo);
    let classes = covered(&BAN_COVER_V6, cover::group_v6(hi));
    if classes == 0 {
        return None;
    }
    let count = config.block_count_v6;
    for i in 0..129 {
        if i >= count {
            break;
        }
        let len = u32::from(config.block_order_v6[i as usize]);
        let len = if len > 128 { 128 } else { len };
        if classes & cover::class(len, cover::SPLIT_V6) == 0 {
            continue;
        }
        let (net_hi, net_lo) = source::net_v6(hi, lo, len);
        let key = table::key_v6(len);
        let h = table::hash_v6(key, net_hi, net_lo, config.table_seed);
        let mask = config.block_row_mask;
        let found = resolve(
            find_v6(BLOCK_V6.get(table::first_row(h, mask)), key, net_hi, net_lo),
            || {
                find_v6(
                    BLOCK_V6.get(table::second_row(h, mask)),
                    key,
                    net_hi,
                    net_lo,
                )
            },
        );
        if let Some((expires_ns, reason)) = found
            && live(expires_ns)
        {
            return Some(reason);
        }
    }
    None
}

/// Looks for the network in `row` (slot 0's word without the spill mark).
#[inline(always)]
fn find_v6(row: Option<&BanRowV6>, key: u64, hi: u64, lo: u64) -> Probe {
    let Some(row) = row else {
        return Probe::Miss;
    };
    let head = row.slots[0].key;
    for (way, slot) in row.slots.iter().enumerate() {
        let word = if way == 0 { head & !SPILLED } else { slot.key };
        if word == key && slot.hi == hi && slot.lo == lo {
            return Probe::Hit(slot.ban.expires_ns, slot.ban.reason);
        }
    }
    if head & SPILLED != 0 {
        Probe::Spilled
    } else {
        Probe::Miss
    }
}

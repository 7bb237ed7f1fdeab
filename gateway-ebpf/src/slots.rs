//! The bucket tables from the program's side: finding a source's slot, and
//! claiming one for a new source.
//!
//! Where a source's token bucket lives: BUCKETS_V4 / BUCKETS_V6 are
//! set-associative tables in array maps (`gateway_common::bucket`): a source
//! hashes (with a secret seed) to one row of `WAYS` slots, and the program
//! reads the row's key words inline: no map helper call, which costs more
//! than everything else on this path (BENCHMARKS.md, "the floor"). IPv4 keys
//! are the 8-byte (prefix, address) word itself; IPv6 keys are a keyed 63-bit
//! fingerprint, whose low bits pick the row.
//!
//! A new source claims a slot of its row itself, with one compare-and-exchange
//! of the slot's key word (from what it held to the new key), so two CPUs can
//! never both take a slot; the loser's packet passes without a bucket, as the
//! LRU map's insert race did before. The winner then writes a full bucket
//! minus this packet. Which slot it takes: an empty one, else the one whose
//! bucket would be fullest now (its tokens plus the refill it is owed, at
//! this packet's rate). Evicting a full bucket loses nothing, since a source
//! that comes back gets a full bucket; the sources that lose their slot last
//! are those with empty buckets, the ones being limited. So:
//!
//! * a flood from many sources (spoofed or not) takes slots from idle and
//!   well-behaved sources, who lose nothing by it, and from its own fresh,
//!   nearly full buckets; to give a limited source a fresh bucket it must
//!   fill all the other slots of that source's row (a row it cannot compute
//!   without the seed) with buckets emptier than the limited one, i.e. with
//!   sources that are being limited themselves;
//! * what a flood of new sources does get is what any new source gets: one
//!   burst each. Per-source limits cannot stop that; bans can;
//! * the tables hold `capacity::BUCKETS_V4` / `_V6` sources; more active
//!   sources than slots in one row evict each other as above (no error, no
//!   pass without a bucket but for a lost claim race), and each comes back
//!   with a fresh burst, as sources evicted from an LRU map would.
//!
//! Races around a claim are small and err by a packet or two: a CPU that
//! found the old source's slot just before it was taken may spend one token
//! of the new source's bucket, and a packet of the new source on another CPU
//! between the claim and the write of the fresh bucket may use the old
//! bucket's tokens once.

use gateway_common::{
    Bucket, EdgeConfig, TOKEN_SCALE,
    bucket::{self, WAYS},
    table,
};

use crate::{
    atomic,
    maps::{BUCKETS_V4, BUCKETS_V6},
    rate::{MAX_ELAPSED_NS, Rate},
    source::{self, Source},
};

/// The bucket of an IPv4 source if it had one; claims a slot for it if not.
#[inline(always)]
pub(crate) fn slot_v4(source: &Source, config: &EdgeConfig, rate: &Rate) -> Option<*mut Bucket> {
    let prefix = source::prefix_v4(config);
    let addr = source.v4();
    let key = bucket::key_v4(prefix, table::mask_v4(addr, prefix));
    let row = BUCKETS_V4.get_ptr_mut(bucket::row_v4(
        key,
        config.table_seed,
        config.bucket_mask_v4,
    ))?;
    // SAFETY: `row` is a live row of BUCKETS_V4.
    unsafe {
        match find_or_claim(&raw mut (*row).keys, &raw mut (*row).buckets, key, rate) {
            Found::Hit(way) => Some(&raw mut (*row).buckets[way & (WAYS - 1)]),
            Found::Claimed(_) | Found::Lost => None,
        }
    }
}

/// The bucket of an IPv6 source (its configured prefix) if it had one; claims a slot if not.
#[inline(always)]
pub(crate) fn slot_v6(source: &Source, config: &EdgeConfig, rate: &Rate) -> Option<*mut Bucket> {
    let prefix = source::prefix_v6(config);
    let (hi, lo) = table::mask_v6(source.hi, source.lo, prefix);
    let key = bucket::key_v6(prefix, hi, lo, config.table_seed);
    let row = BUCKETS_V6.get_ptr_mut(bucket::row_v6(key, config.bucket_mask_v6))?;
    // SAFETY: `row` is a live row of BUCKETS_V6.
    unsafe {
        match find_or_claim(&raw mut (*row).keys, &raw mut (*row).buckets, key, rate) {
            Found::Hit(way) => Some(&raw mut (*row).buckets[way & (WAYS - 1)]),
            Found::Claimed(way) => {
                // For user space only (edge limit set finds a network's buckets by it).
                (*row).nets[way & (WAYS - 1)] = [hi, lo];
                None
            }
            Found::Lost => None,
        }
    }
}

/// What [`find_or_claim`] did.
enum Found {
    /// The source has this slot.
    Hit(usize),
    /// The source has just claimed this slot, with a fresh bucket minus this packet.
    Claimed(usize),
    /// Another CPU changed the chosen slot first: no bucket this time.
    Lost,
}

/// Finds the slot of `key` in a row, or claims the slot whose bucket would
/// be fullest now (an empty slot first) and writes a fresh bucket there.
///
/// # Safety
/// `keys` and `buckets` must be the fields of one live row of a bucket table.
#[inline(always)]
unsafe fn find_or_claim(
    keys: *mut [u64; WAYS],
    buckets: *mut [Bucket; WAYS],
    key: u64,
    rate: &Rate,
) -> Found {
    unsafe {
        for way in 0..WAYS {
            if core::ptr::read_volatile(&raw const (*keys)[way]) == key {
                return Found::Hit(way);
            }
        }
        let mut victim = 0;
        let mut old = 0;
        let mut best = 0;
        for way in 0..WAYS {
            let held = core::ptr::read_volatile(&raw const (*keys)[way]);
            if held == key {
                // Claimed by another CPU since the first look.
                return Found::Hit(way);
            }
            let score = if held == 0 {
                u64::MAX
            } else {
                fullness(&raw const (*buckets)[way], rate)
            };
            if way == 0 || score > best {
                victim = way;
                old = held;
                best = score;
            }
        }
        let victim = victim & (WAYS - 1);
        if atomic::compare_exchange(&raw mut (*keys)[victim], old, key) != old {
            return Found::Lost;
        }
        let fresh = &raw mut (*buckets)[victim];
        (*fresh).tokens = rate.cap - TOKEN_SCALE;
        (*fresh).last_tick = rate.now;
        (*fresh).reported_tick = 0;
        (*fresh).dropped = 0;
        Found::Claimed(victim)
    }
}

/// The tokens a bucket would hold now, with the refill it is owed at this
/// packet's rate, between 0 and the cap: how little its source loses if the
/// slot is taken from it.
///
/// # Safety
/// `bucket` must point into a live row of a bucket table.
#[inline(always)]
unsafe fn fullness(bucket: *const Bucket, rate: &Rate) -> u64 {
    let (tokens, last) = unsafe {
        (
            core::ptr::read_volatile(&raw const (*bucket).tokens) as i64,
            core::ptr::read_volatile(&raw const (*bucket).last_tick),
        )
    };
    let elapsed = rate.now.saturating_sub(last);
    if elapsed >= MAX_ELAPSED_NS / rate.tick_ns {
        return rate.cap;
    }
    let refill = (elapsed * rate.tick_ns).wrapping_mul(rate.pps);
    if refill >= rate.cap {
        return rate.cap;
    }
    let total = tokens.wrapping_add(refill as i64);
    if total < 0 {
        0
    } else if total as u64 > rate.cap {
        rate.cap
    } else {
        total as u64
    }
}

//! Per-source token buckets, shared by all CPUs.
//!
//! Design (why it stays at the configured rate when one source is spread over
//! several CPUs): BUCKETS is one shared LRU hash, and every update of a bucket
//! is a single atomic instruction, never a read-modify-write of plain memory.
//!
//! * Refill: a CPU claims the time since the last refill by moving `last_ns`
//!   forward with compare-and-exchange (`last → now`). A claim that loses the
//!   race credits nothing (the winner credited that time), so each nanosecond
//!   is credited exactly once and all refills together add up to
//!   `pps × elapsed time` however many CPUs see the source.
//! * Tokens are kept in nano-packets (`TOKEN_SCALE` = 1e9 per packet), so a
//!   refill of `elapsed_ns × pps` is exact: no division and no rounding loss,
//!   however often refills happen. `elapsed` is capped at 2^32 ns and `pps` at
//!   2^30, so the product cannot overflow u64; an idle gap longer than the cap
//!   (4.3 s) simply fills the bucket.
//! * Take: one fetch-and-add of `refill - 1 packet`. If the value before it,
//!   plus the refill, held less than one packet, the bucket was empty and the
//!   packet is given back with an atomic add (the refill is kept). Concurrent
//!   takes can never both get the last token.
//! * Cap: if the refill overfilled the bucket, the overflow (at most this
//!   CPU's own refill) is subtracted atomically. Two racing refills near the
//!   cap can leave the bucket slightly under full, never over.
//! * Clock: reading the precise clock (`bpf_ktime_get_ns`) costs more than the
//!   rest of the bucket update, so a packet first refills with the coarse clock
//!   (same CLOCK_MONOTONIC timeline, one tick old at most), and only a packet
//!   that finds the bucket empty reads the precise clock and refills again
//!   before it is dropped. Credit is never lost, only taken in tick-sized
//!   chunks while tokens remain; the effect is at most one tick of extra
//!   burst (`pps × 1/HZ` packets), never a higher sustained rate.
//!
//! The token count is a signed value stored in a u64: while a give-back is in
//! flight another CPU can see it below zero, which only errs towards dropping.

use aya_ebpf::{bindings::BPF_NOEXIST, helpers::bpf_ktime_get_ns};
use gateway_common::{Bucket, EdgeConfig, OverflowEvent, RateLimit, SourceKey, TOKEN_SCALE, skip};

use crate::{
    atomic,
    maps::{BUCKETS, EVENTS, LIMIT_V4, LIMIT_V6},
    source::{Source, lpm_v4, lpm_v6},
};

/// Longest elapsed time credited by one refill; a longer idle gap fills the bucket.
const MAX_ELAPSED_NS: u64 = 1 << 32;
/// Highest rate honoured (about a billion packets per second).
const MAX_PPS: u64 = 1 << 30;
/// Deepest bucket honoured, in packets (keeps `burst × TOKEN_SCALE` inside i64).
const MAX_BURST: u64 = 1 << 32;
/// Overflow events are sent at most this often per source.
const REPORT_INTERVAL_NS: u64 = 1_000_000_000;

/// What the rate stage decided.
pub enum RateVerdict {
    /// Under the limit, or the stage is off.
    Pass,
    /// The bucket of this source is empty.
    Over,
}

/// The limit that applies to `source`: its CIDR override, else the default.
/// The override tries are not looked up when user space says they are empty.
#[inline(always)]
fn limit_for(source: &Source, config: &EdgeConfig) -> RateLimit {
    let found = if source.is_v4() {
        if config.skip & skip::LIMIT_V4 != 0 {
            None
        } else {
            LIMIT_V4.get(lpm_v4(source))
        }
    } else if config.skip & skip::LIMIT_V6 != 0 {
        None
    } else {
        LIMIT_V6.get(lpm_v6(source))
    };
    match found {
        Some(limit) => *limit,
        None => config.rate,
    }
}

/// The precise CLOCK_MONOTONIC time.
#[inline(always)]
fn precise_now() -> u64 {
    // SAFETY: a helper call with no arguments.
    unsafe { bpf_ktime_get_ns() }
}

/// Takes one token from the bucket of `source`, creating the bucket if needed.
#[inline(always)]
pub fn check(source: &Source, config: &EdgeConfig) -> RateVerdict {
    let limit = limit_for(source, config);
    if limit.pps == 0 {
        return RateVerdict::Pass;
    }
    // Only a stage that is on pays for the clock and the key.
    let coarse_now = crate::coarse_now();
    let key = &source.key(config);
    let pps = if limit.pps > MAX_PPS {
        MAX_PPS
    } else {
        limit.pps
    };
    let burst = match limit.burst {
        0 => 1,
        b if b > MAX_BURST => MAX_BURST,
        b => b,
    };
    let cap = burst * TOKEN_SCALE;

    let Some(bucket) = BUCKETS.get_ptr_mut(key) else {
        // First packet of this source: a full bucket, minus this packet.
        let fresh = Bucket {
            tokens: cap - TOKEN_SCALE,
            last_ns: precise_now(),
            reported_ns: 0,
            dropped: 0,
        };
        // If another CPU created it first, this one packet passes uncounted.
        let _ = BUCKETS.insert(key, fresh, u64::from(BPF_NOEXIST));
        return RateVerdict::Pass;
    };

    // SAFETY: `bucket` points to a live, 8-byte aligned value of BUCKETS; every
    // write below is atomic, plain reads are only hints.
    unsafe {
        if take(bucket, cap, pps, coarse_now) {
            return RateVerdict::Pass;
        }
        // Empty by the coarse clock: catch up with the precise one before dropping.
        let now = precise_now();
        if take(bucket, cap, pps, now) {
            return RateVerdict::Pass;
        }
        let dropped = atomic::fetch_add(&raw mut (*bucket).dropped, 1) + 1;
        report(bucket, key, dropped, now);
    }
    RateVerdict::Over
}

/// Refills the bucket up to `now` and takes one packet's worth of tokens, if there is one.
///
/// # Safety
/// `bucket` must point to a live value of BUCKETS.
#[inline(always)]
unsafe fn take(bucket: *mut Bucket, cap: u64, pps: u64, now: u64) -> bool {
    unsafe {
        let refill = claim_refill(bucket, cap, pps, now);
        let before =
            atomic::fetch_add(&raw mut (*bucket).tokens, refill.wrapping_sub(TOKEN_SCALE)) as i64;
        let available = before.wrapping_add(refill as i64);
        if available < TOKEN_SCALE as i64 {
            atomic::add(&raw mut (*bucket).tokens, TOKEN_SCALE);
            return false;
        }
        let cap = cap as i64;
        if available > cap {
            let over = available - cap;
            let over = if over > refill as i64 {
                refill as i64
            } else {
                over
            };
            atomic::add(&raw mut (*bucket).tokens, (over as u64).wrapping_neg());
        }
        true
    }
}

/// Claims the time between the last refill and `now`; returns the tokens it is worth.
///
/// # Safety
/// `bucket` must point to a live value of BUCKETS.
#[inline(always)]
unsafe fn claim_refill(bucket: *mut Bucket, cap: u64, pps: u64, now: u64) -> u64 {
    unsafe {
        let last = core::ptr::read_volatile(&raw const (*bucket).last_ns);
        if now <= last {
            return 0;
        }
        if atomic::compare_exchange(&raw mut (*bucket).last_ns, last, now) != last {
            // Another CPU moved `last_ns` meanwhile and credited that time itself.
            return 0;
        }
        let elapsed = now - last;
        if elapsed >= MAX_ELAPSED_NS {
            return cap;
        }
        let refill = elapsed.wrapping_mul(pps);
        if refill > cap { cap } else { refill }
    }
}

/// Sends an overflow event for `key` unless one went out less than a second ago.
///
/// # Safety
/// `bucket` must point to a live value of BUCKETS.
#[inline(always)]
unsafe fn report(bucket: *mut Bucket, key: &SourceKey, dropped: u64, now: u64) {
    unsafe {
        let last = core::ptr::read_volatile(&raw const (*bucket).reported_ns);
        if now.wrapping_sub(last) < REPORT_INTERVAL_NS {
            return;
        }
        // Whoever swaps in first reports; the others see a recent time and stay quiet.
        let previous = atomic::swap(&raw mut (*bucket).reported_ns, now);
        if now <= previous || now - previous < REPORT_INTERVAL_NS {
            return;
        }
    }
    let event = OverflowEvent {
        source: *key,
        dropped,
        ts_ns: now,
    };
    // A full ring loses the event; the next one comes a second later.
    let _ = EVENTS.output::<OverflowEvent>(&event, 0);
}

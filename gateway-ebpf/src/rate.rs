//! Per-source token buckets, shared by all CPUs.
//!
//! Where a bucket lives, and how a new source gets one: `slots.rs`.
//!
//! Why it stays at the configured rate when one source is spread over several
//! CPUs: all CPUs share the one bucket of a source, and every update of it is
//! a single atomic instruction, never a read-modify-write of plain memory.
//!
//! * Clock: jiffies (`bpf_jiffies64`, which the verifier turns into one load;
//!   a clock helper costs more than the rest of the update). CONFIG's
//!   `tick_ns`, the length of a jiffy, converts them: user space reads it
//!   from the resolution of `CLOCK_MONOTONIC_COARSE`.
//! * Refill: a CPU claims the jiffies since the last refill by moving
//!   `last_tick` forward with compare-and-exchange (`last → now`). A claim that
//!   loses the race credits nothing (the winner credited that time), so each
//!   jiffy is credited exactly once and all refills together add up to
//!   `pps × elapsed time` however many CPUs see the source. Within a jiffy
//!   nothing is claimed and no compare-and-exchange is tried.
//! * Tokens are kept in nano-packets (`TOKEN_SCALE` = 1e9 per packet), so a
//!   refill of `elapsed × tick_ns × pps` is exact: no division and no rounding
//!   loss. `elapsed × tick_ns` is capped at 2^32 ns and `pps` at 2^30, so the
//!   product cannot overflow u64; an idle gap longer than the cap (4.3 s)
//!   simply fills the bucket.
//! * Credit arrives a jiffy at a time, so the bucket holds one jiffy of
//!   credit (`pps × tick`) above the burst: a source sending at exactly its
//!   rate is never held back by the clock's granularity, and the effect is at
//!   most one jiffy of extra burst (`pps / HZ` packets), never a higher
//!   sustained rate.
//! * Take: one fetch-and-add of `refill - 1 packet`. If the value before it,
//!   plus the refill, held less than one packet, the bucket was empty and the
//!   packet is given back with an atomic add (the refill is kept). Concurrent
//!   takes can never both get the last token.
//! * Cap: if the refill overfilled the bucket, the overflow (at most this
//!   CPU's own refill) is subtracted atomically. Two racing refills near the
//!   cap can leave the bucket slightly under full, never over.
//!
//! The token count is a signed value stored in a u64: while a give-back is in
//! flight another CPU can see it below zero, which only errs towards dropping.

use aya_ebpf::helpers::bpf_jiffies64;
use gateway_common::{Bucket, EdgeConfig, OverflowEvent, RateLimit, TOKEN_SCALE, skip};

use crate::{
    atomic,
    maps::{EVENTS, LIMIT_HINTS_V4, LIMIT_HINTS_V6, LIMIT_V4, LIMIT_V6},
    slots::{slot_v4, slot_v6},
    source::{Source, hinted, lpm_v4, lpm_v6},
};

/// Longest elapsed time credited by one refill; a longer idle gap fills the bucket.
pub(crate) const MAX_ELAPSED_NS: u64 = 1 << 32;
/// Longest jiffy honoured (HZ=100); a CONFIG saying more is treated as this.
const MAX_TICK_NS: u64 = 10_000_000;
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
/// The override tries are not looked up when user space says they are
/// empty, nor when no override is near the source (its hint bit is clear).
#[inline(always)]
fn limit_for(source: &Source, config: &EdgeConfig) -> RateLimit {
    let found = if source.is_v4() {
        if config.skip & skip::LIMIT_V4 != 0 || !hinted(&LIMIT_HINTS_V4, source) {
            None
        } else {
            LIMIT_V4.get(lpm_v4(source))
        }
    } else if config.skip & skip::LIMIT_V6 != 0 || !hinted(&LIMIT_HINTS_V6, source) {
        None
    } else {
        LIMIT_V6.get(lpm_v6(source))
    };
    match found {
        Some(limit) => *limit,
        None => config.rate,
    }
}

/// Jiffies since boot (inlined by the verifier: one load).
#[inline(always)]
fn jiffies() -> u64 {
    // SAFETY: a helper call with no arguments.
    unsafe { bpf_jiffies64() }
}

/// Takes one token from the bucket of `source`, claiming a slot for it if needed.
#[inline(always)]
pub fn check(source: &Source, config: &EdgeConfig) -> RateVerdict {
    let limit = limit_for(source, config);
    let tick_ns = u64::from(config.tick_ns);
    // A CONFIG without a jiffy length was never set up by gateway: no clock, no stage.
    if limit.pps == 0 || tick_ns == 0 {
        return RateVerdict::Pass;
    }
    let tick_ns = if tick_ns > MAX_TICK_NS {
        MAX_TICK_NS
    } else {
        tick_ns
    };
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
    let rate = Rate {
        // One jiffy of credit above the burst (see the design notes).
        cap: burst * TOKEN_SCALE + pps * tick_ns,
        pps,
        tick_ns,
        now: jiffies(),
    };
    let found = if source.is_v4() {
        slot_v4(source, config, &rate)
    } else {
        slot_v6(source, config, &rate)
    };
    // A fresh bucket (this packet taken), or a claim lost to another CPU:
    // either way this packet passes.
    let Some(bucket) = found else {
        return RateVerdict::Pass;
    };

    // SAFETY: `bucket` points into a live, 8-byte aligned row of a bucket
    // table; every write below is atomic, plain reads are only hints.
    unsafe {
        if take(bucket, &rate) {
            return RateVerdict::Pass;
        }
        let dropped = atomic::fetch_add(&raw mut (*bucket).dropped, 1) + 1;
        report(bucket, source, config, dropped, &rate);
    }
    RateVerdict::Over
}

/// The limit of one packet's source, and the clock, in the units of a bucket.
#[derive(Clone, Copy)]
pub(crate) struct Rate {
    /// Most tokens a bucket holds: the burst plus a jiffy of credit.
    pub cap: u64,
    /// Packets per second (capped).
    pub pps: u64,
    /// Nanoseconds per jiffy (capped).
    pub tick_ns: u64,
    /// Jiffies now.
    pub now: u64,
}

/// Refills the bucket up to `now` and takes one packet's worth of tokens, if there is one.
///
/// # Safety
/// `bucket` must point into a live row of a bucket table.
#[inline(always)]
unsafe fn take(bucket: *mut Bucket, rate: &Rate) -> bool {
    let cap = rate.cap;
    unsafe {
        let refill = claim_refill(bucket, rate);
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

/// Claims the jiffies between the last refill and `now`; returns the tokens they are worth.
///
/// # Safety
/// `bucket` must point into a live row of a bucket table.
#[inline(always)]
unsafe fn claim_refill(bucket: *mut Bucket, rate: &Rate) -> u64 {
    let Rate {
        cap,
        pps,
        tick_ns,
        now,
    } = *rate;
    unsafe {
        let last = core::ptr::read_volatile(&raw const (*bucket).last_tick);
        // The common case: still the same jiffy, nothing to claim.
        if now <= last {
            return 0;
        }
        if atomic::compare_exchange(&raw mut (*bucket).last_tick, last, now) != last {
            // Another CPU moved `last_tick` meanwhile and credited that time itself.
            return 0;
        }
        let elapsed = now - last;
        // Bounded before multiplying: that many jiffies exceed the cap anyway.
        if elapsed >= MAX_ELAPSED_NS / tick_ns {
            return cap;
        }
        let refill = (elapsed * tick_ns).wrapping_mul(pps);
        if refill > cap { cap } else { refill }
    }
}

/// Sends an overflow event for `source` unless one went out less than a second ago.
///
/// # Safety
/// `bucket` must point into a live row of a bucket table.
#[inline(always)]
unsafe fn report(
    bucket: *mut Bucket,
    source: &Source,
    config: &EdgeConfig,
    dropped: u64,
    rate: &Rate,
) {
    let now = rate.now;
    let interval = REPORT_INTERVAL_NS / rate.tick_ns;
    unsafe {
        let last = core::ptr::read_volatile(&raw const (*bucket).reported_tick);
        if last != 0 && now.wrapping_sub(last) < interval {
            return;
        }
        // Whoever swaps in first reports; the others see a recent time and stay quiet.
        let previous = atomic::swap(&raw mut (*bucket).reported_tick, now);
        if previous != 0 && (now <= previous || now - previous < interval) {
            return;
        }
    }
    let event = OverflowEvent {
        source: source.key(config),
        dropped,
        // Once a second at most: the event may pay for a clock read in nanoseconds.
        ts_ns: crate::coarse_now(),
    };
    // A full ring loses the event; the next one comes a second later.
    let _ = EVENTS.output::<OverflowEvent>(&event, 0);
}

//! The XDP edge filter: per packet, parse → allowlist → blocklist → rate bucket,
//! counting every verdict. Monitor mode counts would-be drops and passes them.
//! No logging on this path: counters, the DROPS map and the EVENTS ring are
//! the only output.
// On the host (clippy --workspace) this is a plain std binary with an empty main,
// so the kernel code is still type-checked and linted.
#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(target_arch = "bpf", no_main)]
#![cfg_attr(target_arch = "bpf", feature(asm_experimental_arch))]

mod atomic;
mod bans;
mod maps;
mod parse;
mod rate;
mod slots;
mod source;
mod stats;

use aya_ebpf::{
    bindings::xdp_action,
    helpers::{bpf_ktime_get_coarse_ns, bpf_ktime_get_ns},
    macros::xdp,
    programs::XdpContext,
};
use gateway_common::{EdgeConfig, skip, stat};

use crate::{
    maps::{ALLOW_HINTS_V4, ALLOW_HINTS_V6, ALLOW_V4, ALLOW_V6},
    parse::{Parsed, parse},
    rate::RateVerdict,
    source::{Source, hinted, lpm_v4, lpm_v6},
};

/// Entry point attached to the interface.
#[xdp]
pub fn gateway_xdp(ctx: XdpContext) -> u32 {
    let bytes = (ctx.data_end() - ctx.data()) as u64;
    // One CONFIG read per packet: it says which lists and prefix lengths to look up.
    let Some(config) = maps::config() else {
        return xdp_action::XDP_PASS;
    };
    let (action, slot) = filter(&ctx, config, bytes);
    stats::count(slot, bytes);
    action
}

/// The slot `filter` returns for a packet it has counted itself (`stats::count` ignores it).
const COUNTED: u32 = stat::COUNT;

/// The verdict for one frame and the STATS slot it is counted in (one slot per packet).
#[inline(always)]
fn filter(ctx: &XdpContext, config: &EdgeConfig, bytes: u64) -> (u32, u32) {
    let source = match parse(ctx) {
        Parsed::NonIp => return (xdp_action::XDP_PASS, stat::PASS_NON_IP),
        Parsed::Malformed => return (xdp_action::XDP_PASS, stat::PASS_MALFORMED),
        Parsed::Ip(source) => source,
    };
    if allowlisted(&source, config.skip) {
        return (xdp_action::XDP_PASS, stat::PASS_ALLOWLIST);
    }
    let monitor = config.monitor != 0;

    if let Some(reason) = bans::live_ban(&source, config) {
        // One slot per verdict and reason: user space sums them into drop_blocklist.
        let reason = reason & 7;
        return if monitor {
            dropped(
                &source,
                config,
                xdp_action::XDP_PASS,
                stat::MONITOR_BAN + reason,
                bytes,
            )
        } else {
            dropped(
                &source,
                config,
                xdp_action::XDP_DROP,
                stat::DROP_BAN + reason,
                bytes,
            )
        };
    }

    match rate::check(&source, config) {
        RateVerdict::Pass => (xdp_action::XDP_PASS, stat::PASS),
        RateVerdict::Over if monitor => dropped(
            &source,
            config,
            xdp_action::XDP_PASS,
            stat::MONITOR_RATE,
            bytes,
        ),
        RateVerdict::Over => dropped(
            &source,
            config,
            xdp_action::XDP_DROP,
            stat::DROP_RATE,
            bytes,
        ),
    }
}

/// Counts a drop (or a would-be drop in monitor mode) and samples it into DROPS.
#[inline(always)]
fn dropped(source: &Source, config: &EdgeConfig, action: u32, slot: u32, bytes: u64) -> (u32, u32) {
    let n = stats::count(slot, bytes);
    stats::sample_drop(source, config, n, slot, bytes);
    (action, COUNTED)
}

/// Whether the source matches the allowlist (never, when user space says it
/// is empty; the trie is looked up only when the source's hint bit is set).
#[inline(always)]
fn allowlisted(source: &Source, skips: u32) -> bool {
    if source.is_v4() {
        skips & skip::ALLOW_V4 == 0
            && hinted(&ALLOW_HINTS_V4, source)
            && ALLOW_V4.get(lpm_v4(source)).is_some()
    } else {
        skips & skip::ALLOW_V6 == 0
            && hinted(&ALLOW_HINTS_V6, source)
            && ALLOW_V6.get(lpm_v6(source)).is_some()
    }
}

/// Whether a ban is still in force. Expired entries are ignored here; the
/// daemon sweeps them. Permanent bans never read a clock.
#[inline(always)]
pub(crate) fn live(expires: u64) -> bool {
    if expires == 0 {
        return true;
    }
    // The coarse clock is up to a tick behind: close to the expiry, ask the precise one.
    let now = coarse_now();
    expires > now && (expires - now > COARSE_CLOCK_SLACK_NS || expires > precise_now())
}

/// The coarse CLOCK_MONOTONIC time (at most a tick old, a fraction of the precise clock's cost).
#[inline(always)]
pub(crate) fn coarse_now() -> u64 {
    // SAFETY: a plain helper call with no arguments.
    unsafe { bpf_ktime_get_coarse_ns() }
}

/// More than one tick at any HZ (100 and up): past this, the coarse clock is precise enough.
const COARSE_CLOCK_SLACK_NS: u64 = 20_000_000;

/// The precise CLOCK_MONOTONIC time.
#[inline(always)]
fn precise_now() -> u64 {
    // SAFETY: a helper call with no arguments.
    unsafe { bpf_ktime_get_ns() }
}

#[cfg(target_arch = "bpf")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 4] = *b"GPL\0";

#[cfg(not(target_arch = "bpf"))]
fn main() {}

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
mod maps;
mod parse;
mod rate;
mod source;
mod stats;

use aya_ebpf::{
    bindings::xdp_action,
    helpers::{bpf_ktime_get_coarse_ns, bpf_ktime_get_ns},
    macros::xdp,
    programs::XdpContext,
};
use gateway_common::{BanValue, EdgeConfig, stat};

use crate::{
    maps::{ALLOW_V4, ALLOW_V6, BLOCK_V4, BLOCK_V6, CONFIG},
    parse::{Parsed, parse},
    rate::RateVerdict,
    source::{Source, lpm_v4, lpm_v6},
};

/// Entry point attached to the interface.
#[xdp]
pub fn gateway_xdp(ctx: XdpContext) -> u32 {
    let bytes = (ctx.data_end() - ctx.data()) as u64;
    let (action, slot) = filter(&ctx, bytes);
    stats::count(slot, bytes);
    action
}

/// The verdict for one frame and the STATS slot it is counted in.
#[inline(always)]
fn filter(ctx: &XdpContext, bytes: u64) -> (u32, u32) {
    let source = match parse(ctx) {
        Parsed::NonIp => return (xdp_action::XDP_PASS, stat::PASS_NON_IP),
        Parsed::Malformed => return (xdp_action::XDP_PASS, stat::PASS_MALFORMED),
        Parsed::Ip(source) => source,
    };
    if allowlisted(&source) {
        return (xdp_action::XDP_PASS, stat::PASS_ALLOWLIST);
    }

    let config = match CONFIG.get(0) {
        Some(config) => *config,
        None => EdgeConfig::DEFAULT,
    };
    let monitor = config.monitor != 0;
    // The coarse clock (CLOCK_MONOTONIC, at most a tick old) costs a fraction of
    // the precise one; ban expiry and drop times do not need better. The rate
    // stage reads the precise clock itself when a bucket runs dry.
    // SAFETY: a plain helper call with no arguments.
    let now = unsafe { bpf_ktime_get_coarse_ns() };
    let key = source.key(&config);

    if let Some(ban) = live_ban(&source, now) {
        stats::count(stat::BLOCK_REASON_BASE.wrapping_add(ban.reason), bytes);
        return if monitor {
            stats::record_drop(&key, stat::MONITOR_BLOCKLIST, bytes, now);
            (xdp_action::XDP_PASS, stat::MONITOR_BLOCKLIST)
        } else {
            stats::record_drop(&key, stat::DROP_BLOCKLIST, bytes, now);
            (xdp_action::XDP_DROP, stat::DROP_BLOCKLIST)
        };
    }

    match rate::check(&source, &key, &config, now) {
        RateVerdict::Pass => (xdp_action::XDP_PASS, stat::PASS),
        RateVerdict::Over if monitor => {
            stats::record_drop(&key, stat::MONITOR_RATE, bytes, now);
            (xdp_action::XDP_PASS, stat::MONITOR_RATE)
        }
        RateVerdict::Over => {
            stats::record_drop(&key, stat::DROP_RATE, bytes, now);
            (xdp_action::XDP_DROP, stat::DROP_RATE)
        }
    }
}

/// Whether the source matches the allowlist.
#[inline(always)]
fn allowlisted(source: &Source) -> bool {
    if source.is_v4() {
        ALLOW_V4.get(lpm_v4(source)).is_some()
    } else {
        ALLOW_V6.get(lpm_v6(source)).is_some()
    }
}

/// The blocklist entry covering the source, unless there is none or it has expired.
#[inline(always)]
fn live_ban(source: &Source, now: u64) -> Option<BanValue> {
    let ban = if source.is_v4() {
        BLOCK_V4.get(lpm_v4(source))
    } else {
        BLOCK_V6.get(lpm_v6(source))
    }?;
    // Expired entries are ignored here; the daemon sweeps them. `now` is the
    // coarse clock, up to a tick behind: close to the expiry, ask the precise one.
    let expires = ban.expires_ns;
    let live = expires == 0
        || (expires > now && (expires - now > COARSE_CLOCK_SLACK_NS || expires > precise_now()));
    if live { Some(*ban) } else { None }
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

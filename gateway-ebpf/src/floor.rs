//! Bench-only XDP programs (never attached by `gateway`): the building blocks
//! of the edge filter measured one at a time through `BPF_PROG_TEST_RUN`
//! (`bench_edge floor`), to tell what a path of the real program can cost at
//! best. Each program adds one step to the one before it.
#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(target_arch = "bpf", no_main)]
#![cfg_attr(target_arch = "bpf", feature(asm_experimental_arch))]
#![allow(dead_code)]

#[allow(unused_imports)]
mod atomic;
mod parse;
mod source;

use aya_ebpf::{
    bindings::xdp_action,
    helpers::{bpf_jiffies64, bpf_ktime_get_coarse_ns},
    macros::{map, xdp},
    maps::{Array, HashMap, LruHashMap, PerCpuArray},
    programs::XdpContext,
};
use gateway_common::{Counter, EdgeConfig};

use crate::parse::{Parsed, parse};

/// One counter slot per program.
#[map(name = "FLOOR_STATS")]
static FLOOR_STATS: PerCpuArray<Counter> = PerCpuArray::with_max_entries(1, 0);

/// A settings entry like CONFIG.
#[map(name = "FLOOR_CONFIG")]
static FLOOR_CONFIG: Array<EdgeConfig> = Array::with_max_entries(1, 0);

/// An exact-match map with a 4-byte key (an IPv4 address).
#[map(name = "FLOOR_HASH4")]
static FLOOR_HASH4: HashMap<[u8; 4], [u64; 3]> = HashMap::with_max_entries(1024, 0);

/// An exact-match map with an 8-byte key (prefix length + IPv4 address).
#[map(name = "FLOOR_HASH8")]
static FLOOR_HASH8: HashMap<[u8; 8], [u64; 3]> = HashMap::with_max_entries(1024, 0);

/// An LRU map with a 4-byte key, like an IPv4 bucket map.
#[map(name = "FLOOR_LRU4")]
static FLOOR_LRU4: LruHashMap<[u8; 4], [u64; 4]> = LruHashMap::with_max_entries(1024, 0);

/// An LRU map with a 24-byte key, like BUCKETS.
#[map(name = "FLOOR_LRU24")]
static FLOOR_LRU24: LruHashMap<[u8; 24], [u64; 4]> = LruHashMap::with_max_entries(1024, 0);

/// The IPv4 source of a frame, as 4 bytes (None for anything else).
#[inline(always)]
fn source_v4(ctx: &XdpContext) -> Option<[u8; 4]> {
    match parse(ctx) {
        Parsed::Ip(s) => Some(s.v4().to_be_bytes()),
        _ => None,
    }
}

#[inline(always)]
fn count(bytes: u64) {
    if let Some(c) = FLOOR_STATS.get_ptr_mut(0) {
        // SAFETY: a per-CPU slot, only this CPU touches it.
        unsafe {
            (*c).packets += 1;
            (*c).bytes += bytes;
        }
    }
}

#[inline(always)]
fn len(ctx: &XdpContext) -> u64 {
    (ctx.data_end() - ctx.data()) as u64
}

/// Nothing: the cost of the test-run loop itself.
#[xdp]
pub fn floor_return(_ctx: XdpContext) -> u32 {
    xdp_action::XDP_DROP
}

/// Parse Ethernet, VLANs and the IP header.
#[xdp]
pub fn floor_parse(ctx: XdpContext) -> u32 {
    match source_v4(&ctx) {
        Some(_) => xdp_action::XDP_DROP,
        None => xdp_action::XDP_PASS,
    }
}

/// Parse, then one per-CPU counter update.
#[xdp]
pub fn floor_count(ctx: XdpContext) -> u32 {
    let Some(_) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    xdp_action::XDP_DROP
}

/// Parse, read the settings entry, count.
#[xdp]
pub fn floor_config(ctx: XdpContext) -> u32 {
    let skip = FLOOR_CONFIG.get(0).map_or(0, |c| c.skip);
    let Some(_) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    if skip == u32::MAX {
        return xdp_action::XDP_PASS;
    }
    count(len(&ctx));
    xdp_action::XDP_DROP
}

/// Parse, count, one 4-byte-key hash lookup (drop on a hit).
#[xdp]
pub fn floor_hash4(ctx: XdpContext) -> u32 {
    let Some(addr) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    if FLOOR_HASH4.get_ptr(addr).is_some() {
        xdp_action::XDP_DROP
    } else {
        xdp_action::XDP_PASS
    }
}

/// Parse, count, one 8-byte-key hash lookup (drop on a hit).
#[xdp]
pub fn floor_hash8(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    let key = [32, 0, 0, 0, a[0], a[1], a[2], a[3]];
    if FLOOR_HASH8.get_ptr(key).is_some() {
        xdp_action::XDP_DROP
    } else {
        xdp_action::XDP_PASS
    }
}

/// Parse, count, two 8-byte-key hash lookups (a miss, then a /24 hit).
#[xdp]
pub fn floor_hash8x2(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    // Length 31 is never stored: a miss, as for an address with no ban of its own.
    let host = [31, 0, 0, 0, a[0], a[1], a[2], a[3]];
    let net = [24, 0, 0, 0, a[0], a[1], a[2], 0];
    if FLOOR_HASH8.get_ptr(host).is_some() || FLOOR_HASH8.get_ptr(net).is_some() {
        xdp_action::XDP_DROP
    } else {
        xdp_action::XDP_PASS
    }
}

/// Parse, count, the coarse clock.
#[xdp]
pub fn floor_coarse(ctx: XdpContext) -> u32 {
    let Some(_) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    // SAFETY: a helper call with no arguments.
    let now = unsafe { bpf_ktime_get_coarse_ns() };
    if now == 0 {
        return xdp_action::XDP_PASS;
    }
    count(len(&ctx));
    xdp_action::XDP_DROP
}

/// Parse, count, jiffies (inlined by the verifier).
#[xdp]
pub fn floor_jiffies(ctx: XdpContext) -> u32 {
    let Some(_) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    // SAFETY: a helper call with no arguments.
    let now = unsafe { bpf_jiffies64() };
    if now == 0 {
        return xdp_action::XDP_PASS;
    }
    count(len(&ctx));
    xdp_action::XDP_DROP
}

/// Parse, count, a 4-byte-key LRU lookup and one atomic add on the value.
#[xdp]
pub fn floor_lru4_atomic(ctx: XdpContext) -> u32 {
    let Some(addr) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    match FLOOR_LRU4.get_ptr_mut(addr) {
        Some(v) => {
            // SAFETY: a live, aligned map value.
            unsafe { atomic::add(&raw mut (*v)[0], 1) };
            xdp_action::XDP_PASS
        }
        None => xdp_action::XDP_DROP,
    }
}

/// Parse, count, a 4-byte-key LRU lookup, a plain add (no atomic).
#[xdp]
pub fn floor_lru4(ctx: XdpContext) -> u32 {
    let Some(addr) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    match FLOOR_LRU4.get_ptr_mut(addr) {
        Some(v) => {
            // SAFETY: a live, aligned map value (racy on purpose: a bench).
            unsafe { (*v)[0] += 1 };
            xdp_action::XDP_PASS
        }
        None => xdp_action::XDP_DROP,
    }
}

/// Parse, count, a 24-byte-key LRU lookup and one atomic add on the value.
#[xdp]
pub fn floor_lru24_atomic(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    let mut key = [0u8; 24];
    key[0] = 4;
    key[4] = 32;
    key[8] = a[0];
    key[9] = a[1];
    key[10] = a[2];
    key[11] = a[3];
    match FLOOR_LRU24.get_ptr_mut(key) {
        Some(v) => {
            // SAFETY: a live, aligned map value.
            unsafe { atomic::add(&raw mut (*v)[0], 1) };
            xdp_action::XDP_PASS
        }
        None => xdp_action::XDP_DROP,
    }
}

/// A bucket of 4 slots of an open-addressing table in an array map.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct Slots {
    keys: [u64; 4],
    values: [u64; 4],
}

/// An array-backed hash table (probed inline, no call).
#[map(name = "FLOOR_TABLE")]
static FLOOR_TABLE: Array<Slots> = Array::with_max_entries(1 << 16, 0);

/// An LPM trie with one /24.
#[map(name = "FLOOR_LPM")]
static FLOOR_LPM: aya_ebpf::maps::LpmTrie<[u8; 4], [u64; 3]> =
    aya_ebpf::maps::LpmTrie::with_max_entries(1024, 0);

/// One inline probe of FLOOR_TABLE for (len, addr); the value if found.
#[inline(always)]
fn probe(len: u64, addr: u32) -> Option<u64> {
    let key = (1u64 << 40) | (len << 32) | u64::from(addr);
    let h = (key ^ 0x5bd1_e995_1234_5678).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 48;
    let b = FLOOR_TABLE.get(h as u32)?;
    for i in 0..4 {
        if b.keys[i] == key {
            return Some(b.values[i]);
        }
    }
    None
}

/// Parse, count, one inline probe of an array-backed table (hit).
#[xdp]
pub fn floor_probe(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    match probe(32, u32::from_be_bytes(a)) {
        Some(v) if v != 7 => xdp_action::XDP_DROP,
        _ => xdp_action::XDP_PASS,
    }
}

/// Parse, count, two inline probes (a miss, then a /24 hit).
#[xdp]
pub fn floor_probe2(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    let addr = u32::from_be_bytes(a);
    if probe(31, addr).is_some() || probe(24, addr & 0xffff_ff00).is_some() {
        xdp_action::XDP_DROP
    } else {
        xdp_action::XDP_PASS
    }
}

/// Parse, count, one LPM trie lookup (a trie holding one /24: hit).
#[xdp]
pub fn floor_lpm(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    let key = aya_ebpf::maps::lpm_trie::Key::new(32, a);
    if FLOOR_LPM.get(key).is_some() {
        xdp_action::XDP_DROP
    } else {
        xdp_action::XDP_PASS
    }
}

/// Parse, count, one hash lookup in an empty map (a miss).
#[xdp]
pub fn floor_hash_miss(ctx: XdpContext) -> u32 {
    let Some(a) = source_v4(&ctx) else {
        return xdp_action::XDP_PASS;
    };
    count(len(&ctx));
    let key = [30, 0, 0, 0, a[0], a[1], a[2], a[3]];
    if FLOOR_HASH8.get_ptr(key).is_some() {
        xdp_action::XDP_PASS
    } else {
        xdp_action::XDP_DROP
    }
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

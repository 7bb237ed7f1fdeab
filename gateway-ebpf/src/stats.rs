//! Counters: packets and bytes per verdict (per-CPU), and drops per source (shared).

use aya_ebpf::bindings::BPF_NOEXIST;
use gateway_common::{DropCount, SourceKey, stat};

use crate::{
    atomic,
    maps::{DROPS, STATS},
};

/// Adds one packet of `bytes` to the `slot` counter of this CPU.
#[inline(always)]
pub fn count(slot: u32, bytes: u64) {
    if slot >= stat::COUNT {
        return;
    }
    if let Some(counter) = STATS.get_ptr_mut(slot) {
        // SAFETY: a per-CPU slot is only touched by this CPU, and XDP does not nest.
        unsafe {
            (*counter).packets += 1;
            (*counter).bytes += bytes;
        }
    }
}

/// Attributes a drop (or, in monitor mode, a would-be drop) in `slot` to `source`.
#[inline(always)]
pub fn record_drop(source: &SourceKey, slot: u32, bytes: u64, now: u64) {
    match DROPS.get_ptr_mut(source) {
        Some(entry) => {
            // SAFETY: `entry` points to a live 8-byte aligned map value; the
            // counters are shared between CPUs, so they are added atomically.
            // The last_* fields are informational and may race harmlessly.
            unsafe {
                atomic::add(&raw mut (*entry).packets, 1);
                atomic::add(&raw mut (*entry).bytes, bytes);
                (*entry).last_ns = now;
                (*entry).last_stat = slot;
            }
        }
        None => {
            let fresh = DropCount {
                packets: 1,
                bytes,
                last_ns: now,
                last_stat: slot,
                _pad: 0,
            };
            // Losing the race to another CPU's insert loses one count: acceptable.
            let _ = DROPS.insert(source, fresh, u64::from(BPF_NOEXIST));
        }
    }
}

//! Counters: packets and bytes per verdict (per-CPU), and sampled drops per source (shared).

use aya_ebpf::bindings::BPF_NOEXIST;
use gateway_common::{DROP_SAMPLE, DropCount, EdgeConfig, SourceKey, stat};

use crate::{
    atomic, coarse_now,
    maps::{DROPS, STATS},
    source::Source,
};

/// Adds one packet of `bytes` to the `slot` counter of this CPU; returns its new packet count.
#[inline(always)]
pub fn count(slot: u32, bytes: u64) -> u64 {
    if slot >= stat::COUNT {
        return 0;
    }
    match STATS.get_ptr_mut(slot) {
        // SAFETY: a per-CPU slot is only touched by this CPU, and XDP does not nest.
        Some(counter) => unsafe {
            let packets = (*counter).packets + 1;
            (*counter).packets = packets;
            (*counter).bytes += bytes;
            packets
        },
        None => 0,
    }
}

/// Attributes a drop to its source in DROPS if it is a sampled one.
///
/// `n` is this CPU's count of `slot` including this drop: the first drop and
/// every `DROP_SAMPLE`-th after it are recorded, standing for the drops since
/// the last sample, so DROPS holds exactly `n` at each sample. This keeps the
/// shared LRU update (a hash of a 24-byte key and two atomic adds, a third
/// of the drop path) off all but one drop in `DROP_SAMPLE`.
#[inline(always)]
pub fn sample_drop(source: &Source, config: &EdgeConfig, n: u64, slot: u32, bytes: u64) {
    let weight = if n == 1 {
        1
    } else if n % DROP_SAMPLE == 1 {
        DROP_SAMPLE
    } else {
        return;
    };
    record_drop(
        &source.key(config),
        slot,
        weight,
        bytes.wrapping_mul(weight),
        coarse_now(),
    );
}

/// Attributes `packets` drops (or, in monitor mode, would-be drops) of `bytes` in `slot` to `source`.
#[inline(always)]
fn record_drop(source: &SourceKey, slot: u32, packets: u64, bytes: u64, now: u64) {
    match DROPS.get_ptr_mut(source) {
        Some(entry) => {
            // SAFETY: `entry` points to a live 8-byte aligned map value; the
            // counters are shared between CPUs, so they are added atomically.
            // The last_* fields are informational and may race harmlessly.
            unsafe {
                atomic::add(&raw mut (*entry).packets, packets);
                atomic::add(&raw mut (*entry).bytes, bytes);
                (*entry).last_ns = now;
                (*entry).last_stat = slot;
            }
        }
        None => {
            let fresh = DropCount {
                packets,
                bytes,
                last_ns: now,
                last_stat: slot,
                _pad: 0,
            };
            // Losing the race to another CPU's insert loses one sample: acceptable.
            let _ = DROPS.insert(source, fresh, u64::from(BPF_NOEXIST));
        }
    }
}

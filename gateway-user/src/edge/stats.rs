//! Reading the filter's counters: per-CPU STATS summed per slot, rates from two
//! samples, and the top dropped sources from DROPS (which the program samples:
//! see `gateway_common::DROP_SAMPLE`; counts there are estimates).
use std::net::IpAddr;

use gateway_common::{Counter, DropCount, SourceKey, family, maps, stat};
use ipnet::IpNet;
use serde::Serialize;

use super::{
    Edge,
    error::{EdgeError, Result},
    ttl::monotonic_ns,
};

/// Counters of every STATS slot, summed over CPUs, at one instant.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// One counter per slot, indexed by `gateway_common::stat`.
    pub slots: Vec<Counter>,
    /// When it was taken, `CLOCK_MONOTONIC` nanoseconds.
    pub taken_ns: u64,
}

/// One slot as shown by `gateway edge stats`.
#[derive(Clone, Debug, Serialize)]
pub struct SlotView {
    /// Slot name (`pass`, `drop_blocklist`, …).
    pub name: &'static str,
    /// Packets since the program was loaded.
    pub packets: u64,
    /// Bytes since the program was loaded.
    pub bytes: u64,
    /// Packets per second between the two samples.
    pub pps: f64,
    /// Bytes per second between the two samples.
    pub bps: f64,
}

/// A dropped source as shown by `gateway edge stats`.
#[derive(Clone, Debug, Serialize)]
pub struct DropView {
    /// The source (an address, or a prefix when bucketed by prefix).
    pub source: String,
    /// Packets dropped.
    pub packets: u64,
    /// Bytes dropped.
    pub bytes: u64,
    /// Slot of the last drop (`drop_blocklist`, `drop_rate`, …).
    pub last: &'static str,
}

impl Snapshot {
    /// The counter a user sees: the sum of the slots it stands for ([`stat::SHOWN`]).
    pub fn counter(&self, name: &str) -> Counter {
        stat::slots_of(name)
            .iter()
            .filter_map(|&slot| self.slots.get(slot as usize))
            .fold(Counter::default(), |sum, c| Counter {
                packets: sum.packets.wrapping_add(c.packets),
                bytes: sum.bytes.wrapping_add(c.bytes),
            })
    }

    /// Every shown counter with its rate against an earlier snapshot (no rates without one).
    pub fn views(&self, earlier: Option<&Snapshot>) -> Vec<SlotView> {
        let secs = earlier
            .map(|e| self.taken_ns.saturating_sub(e.taken_ns) as f64 / 1e9)
            .filter(|s| *s > 0.0);
        stat::SHOWN
            .iter()
            .map(|shown| {
                let c = self.counter(shown.name);
                let (pps, bps) = match (earlier.map(|e| e.counter(shown.name)), secs) {
                    (Some(e), Some(s)) => (
                        c.packets.saturating_sub(e.packets) as f64 / s,
                        c.bytes.saturating_sub(e.bytes) as f64 / s,
                    ),
                    _ => (0.0, 0.0),
                };
                SlotView {
                    name: shown.name,
                    packets: c.packets,
                    bytes: c.bytes,
                    pps,
                    bps,
                }
            })
            .collect()
    }
}

impl Edge {
    /// Sums the per-CPU counters of every slot.
    pub fn stats(&self) -> Result<Snapshot> {
        let mut slots = Vec::with_capacity(stat::COUNT as usize);
        for i in 0..stat::COUNT {
            let per_cpu = self
                .stats
                .get(&i, 0)
                .map_err(|e| EdgeError::map("read", maps::STATS, e))?;
            let mut sum = Counter::default();
            for c in per_cpu.iter() {
                sum.packets = sum.packets.wrapping_add(c.packets);
                sum.bytes = sum.bytes.wrapping_add(c.bytes);
            }
            slots.push(sum);
        }
        Ok(Snapshot {
            slots,
            taken_ns: monotonic_ns(),
        })
    }

    /// The `n` sources with the most dropped packets.
    pub fn top_drops(&self, n: usize) -> Result<Vec<DropView>> {
        let mut all: Vec<(SourceKey, DropCount)> = Vec::new();
        for item in self.drops.iter() {
            match item {
                Ok(kv) => all.push(kv),
                // LRU entries can vanish while we walk the map.
                Err(e) if super::maps::is_not_found(&e) => continue,
                Err(e) => return Err(EdgeError::map("iterate", maps::DROPS, e)),
            }
        }
        all.sort_by_key(|e| std::cmp::Reverse(e.1.packets));
        Ok(all
            .into_iter()
            .take(n)
            .map(|(k, d)| DropView {
                source: source_name(&k),
                packets: d.packets,
                bytes: d.bytes,
                last: stat::verdict_name(d.last_stat),
            })
            .collect())
    }
}

/// The network a source key stands for, if its family is known.
pub fn source_net(k: &SourceKey) -> Option<IpNet> {
    if k.family == family::V4 {
        let mut a = [0u8; 4];
        a.copy_from_slice(&k.addr[..4]);
        IpNet::new(IpAddr::from(a), k.prefix_len.min(32) as u8).ok()
    } else if k.family == family::V6 {
        IpNet::new(IpAddr::from(k.addr), k.prefix_len.min(128) as u8).ok()
    } else {
        None
    }
}

/// Shows a source key: a bare address for a full-length key, else a prefix.
pub fn source_name(k: &SourceKey) -> String {
    match source_net(k) {
        Some(n) if n.prefix_len() == n.max_prefix_len() => n.addr().to_string(),
        Some(n) => n.to_string(),
        None => format!("family-{}", k.family),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_the_difference_of_two_samples() {
        let mut slots = vec![Counter::default(); stat::COUNT as usize];
        let a = Snapshot {
            slots: slots.clone(),
            taken_ns: 1_000_000_000,
        };
        // Two reasons' slots add up to drop_blocklist.
        slots[(stat::DROP_BAN + 1) as usize] = Counter {
            packets: 30,
            bytes: 3000,
        };
        slots[(stat::DROP_BAN + 2) as usize] = Counter {
            packets: 20,
            bytes: 2000,
        };
        let b = Snapshot {
            slots,
            taken_ns: 3_000_000_000,
        };
        let views = b.views(Some(&a));
        let drop = views.iter().find(|v| v.name == "drop_blocklist").unwrap();
        assert_eq!(drop.packets, 50);
        assert_eq!(drop.pps, 25.0);
        assert_eq!(drop.bps, 2500.0);
        assert!(views.iter().all(|v| v.name != "unused"));
        let manual = views.iter().find(|v| v.name == "block_manual").unwrap();
        assert_eq!(manual.packets, 30);
    }

    #[test]
    fn sources_show_as_addresses_or_prefixes() {
        let mut addr = [0u8; 16];
        addr[..4].copy_from_slice(&[198, 18, 0, 2]);
        let v4 = SourceKey {
            family: family::V4,
            prefix_len: 32,
            addr,
        };
        assert_eq!(source_name(&v4), "198.18.0.2");
        let mut a6 = [0u8; 16];
        a6[0] = 0x20;
        a6[1] = 0x01;
        let v6 = SourceKey {
            family: family::V6,
            prefix_len: 64,
            addr: a6,
        };
        assert_eq!(source_name(&v6), "2001::/64");
    }
}

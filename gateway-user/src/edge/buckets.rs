//! The bucket tables (BUCKETS_V4, BUCKETS_V6) from user space: mapped into
//! this process, read in place, and emptied slot by slot. The XDP program
//! claims and updates the slots itself (`gateway_common::bucket`,
//! `gateway-ebpf/src/slots.rs`); user space never writes a bucket, it only
//! stores 0 in a slot's key word so the source's next packet claims a fresh one.
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::atomic::{AtomicU64, Ordering},
};

use aya::maps::{Map, MapData};
use gateway_common::{
    Bucket, SourceKey,
    bucket::{self, BucketRowV4, BucketRowV6, WAYS},
    family,
};
use ipnet::IpNet;

use super::{mapping::Mapping, table::TableError};

/// Both bucket tables, mapped.
pub struct Buckets {
    v4: Mapping<BucketRowV4>,
    v6: Mapping<BucketRowV6>,
    seed: u64,
}

/// One used slot: its source and its bucket.
#[derive(Clone, Copy, Debug)]
pub struct Tracked {
    /// The source: an IPv4 network, or an IPv6 network at the configured prefix.
    pub net: IpNet,
    /// Its bucket as read (fields may be mid-update).
    pub bucket: Bucket,
}

/// The key word of a slot: one load.
///
/// # Safety
/// `p` must be a key word of a live mapping.
unsafe fn load(p: *const u64) -> u64 {
    // SAFETY: the caller's guarantee; 8-byte aligned words of the mapping.
    unsafe { AtomicU64::from_ptr(p.cast_mut()).load(Ordering::Acquire) }
}

impl Buckets {
    /// Maps the two array maps; `seed` is CONFIG's `table_seed`.
    pub fn new(v4: MapData, v6: MapData, seed: u64) -> Result<Buckets, TableError> {
        Ok(Buckets {
            v4: Mapping::new(v4)?,
            v6: Mapping::new(v6)?,
            seed,
        })
    }

    /// Maps maps taken out of a loaded object (tests, benchmarks).
    pub fn from_maps(v4: Map, v6: Map, seed: u64) -> Result<Buckets, TableError> {
        Ok(Buckets {
            v4: Mapping::from_map(v4)?,
            v6: Mapping::from_map(v6)?,
            seed,
        })
    }

    /// Rows of the IPv4 and the IPv6 table (what CONFIG's `bucket_mask_*` must say, plus one).
    pub fn rows(&self) -> (u32, u32) {
        (self.v4.rows(), self.v6.rows())
    }

    /// The bucket of a source (masked as the program masks it), if it has a slot.
    pub fn get(&self, source: &SourceKey) -> Option<Bucket> {
        if source.family == family::V4 {
            let mut a = [0u8; 4];
            a.copy_from_slice(&source.addr[..4]);
            let key = bucket::key_v4(source.prefix_len, u32::from_be_bytes(a));
            let row = self
                .v4
                .row(bucket::row_v4(key, self.seed, self.v4.rows() - 1));
            // SAFETY: a live row of the mapping; key words are loaded atomically.
            unsafe { find(&raw const (*row).keys, &raw const (*row).buckets, key) }
        } else {
            let (hi, lo) = halves(&source.addr);
            let key = bucket::key_v6(source.prefix_len, hi, lo, self.seed);
            let row = self.v6.row(bucket::row_v6(key, self.v6.rows() - 1));
            // SAFETY: as above.
            unsafe { find(&raw const (*row).keys, &raw const (*row).buckets, key) }
        }
    }

    /// Used slots of the IPv4 and the IPv6 table.
    pub fn counts(&self) -> (u64, u64) {
        let mut v4 = 0;
        let mut v6 = 0;
        self.scan_v4(|_, _, _| v4 += 1);
        self.scan_v6(|_, _, _| v6 += 1);
        (v4, v6)
    }

    /// Every used slot; IPv6 networks are shown at `prefix_v6`, the configured prefix.
    pub fn entries(&self, prefix_v6: u32) -> Vec<Tracked> {
        let mut out = Vec::new();
        self.scan_v4(|row, way, key| {
            // SAFETY: `scan_v4` passes live rows.
            let bucket = unsafe { (&raw const (*row).buckets[way]).read_volatile() };
            out.push(Tracked {
                net: net_v4(key),
                bucket,
            });
        });
        self.scan_v6(|row, way, _| {
            // SAFETY: `scan_v6` passes live rows.
            let (net, bucket) = unsafe {
                (
                    (&raw const (*row).nets[way]).read_volatile(),
                    (&raw const (*row).buckets[way]).read_volatile(),
                )
            };
            out.push(Tracked {
                net: net_v6(net, prefix_v6),
                bucket,
            });
        });
        out
    }

    /// Empties the slots of the sources in `within` (all when `None`), so
    /// their next packet claims a fresh, full bucket; returns how many.
    /// IPv6 slots are matched at `prefix_v6`, the configured prefix.
    pub fn clear(&mut self, within: Option<IpNet>, prefix_v6: u32) -> usize {
        let hit = |net: IpNet| within.is_none_or(|w| w.contains(&net) || net.contains(&w));
        let mut doomed: Vec<*const u64> = Vec::new();
        self.scan_v4(|row, way, key| {
            if hit(net_v4(key)) {
                // SAFETY: `scan_v4` passes live rows.
                doomed.push(unsafe { &raw const (*row).keys[way] });
            }
        });
        self.scan_v6(|row, way, _| {
            // SAFETY: `scan_v6` passes live rows.
            let net = unsafe { (&raw const (*row).nets[way]).read_volatile() };
            if hit(net_v6(net, prefix_v6)) {
                // SAFETY: as above.
                doomed.push(unsafe { &raw const (*row).keys[way] });
            }
        });
        for &key in &doomed {
            // SAFETY: a key word of the mapping, owned by `&mut self`. The
            // program may claim the slot for another source meanwhile; that
            // source then starts again with a full bucket, as a cleared one would.
            unsafe { super::table::publish(key.cast_mut(), 0) };
        }
        doomed.len()
    }

    fn scan_v4(&self, mut f: impl FnMut(*const BucketRowV4, usize, u64)) {
        for i in 0..self.v4.rows() {
            let row = self.v4.row(i).cast_const();
            for way in 0..WAYS {
                // SAFETY: a live row of the mapping.
                let key = unsafe { load(&raw const (*row).keys[way]) };
                if key != 0 {
                    f(row, way, key);
                }
            }
        }
    }

    fn scan_v6(&self, mut f: impl FnMut(*const BucketRowV6, usize, u64)) {
        for i in 0..self.v6.rows() {
            let row = self.v6.row(i).cast_const();
            for way in 0..WAYS {
                // SAFETY: a live row of the mapping.
                let key = unsafe { load(&raw const (*row).keys[way]) };
                if key != 0 {
                    f(row, way, key);
                }
            }
        }
    }
}

/// The bucket of the slot holding `key` in one row.
///
/// # Safety
/// `keys` and `buckets` must be the fields of one live row.
unsafe fn find(
    keys: *const [u64; WAYS],
    buckets: *const [Bucket; WAYS],
    key: u64,
) -> Option<Bucket> {
    (0..WAYS).find_map(|way| {
        // SAFETY: the caller's guarantee.
        unsafe {
            (load(&raw const (*keys)[way]) == key)
                .then(|| (&raw const (*buckets)[way]).read_volatile())
        }
    })
}

/// The network of an IPv4 key word (`USED | len << 32 | network`).
fn net_v4(key: u64) -> IpNet {
    let len = ((key >> 32) & 0xff).min(32) as u8;
    let addr = Ipv4Addr::from(key as u32);
    IpNet::new(IpAddr::V4(addr), len).unwrap_or_else(|_| IpNet::from(IpAddr::V4(addr)))
}

/// The network of an IPv6 slot at the configured prefix.
fn net_v6(net: [u64; 2], prefix: u32) -> IpNet {
    let addr = Ipv6Addr::from((u128::from(net[0]) << 64) | u128::from(net[1]));
    let len = prefix.clamp(1, 128) as u8;
    IpNet::new(IpAddr::V6(addr), len).unwrap_or_else(|_| IpNet::from(IpAddr::V6(addr)))
}

/// The big-endian halves of an IPv6 address.
fn halves(addr: &[u8; 16]) -> (u64, u64) {
    let bits = u128::from_be_bytes(*addr);
    ((bits >> 64) as u64, bits as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_common::table;

    #[test]
    fn key_words_decode_to_their_networks() {
        let key = table::key_v4(24, 0xc612_0700);
        assert_eq!(net_v4(key).to_string(), "198.18.7.0/24");
        let net = [0x2001_0db8_0001_0002, 0];
        assert_eq!(net_v6(net, 64).to_string(), "2001:db8:1:2::/64");
    }
}

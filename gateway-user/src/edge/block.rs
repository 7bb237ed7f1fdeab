//! Where a ban is stored: one ban table per address family, keyed by prefix
//! length and network (`gateway_common::table`), and CONFIG's bits of the
//! prefix lengths in use, which tell the XDP program what to probe. Everything
//! that writes or reads the blocklist goes through [`BlockKey`] and the
//! methods here, so the tables and the length bits never disagree.
use std::net::IpAddr;

use gateway_common::{BanValue, capacity, maps};
use ipnet::IpNet;

use super::{
    Edge, cidr,
    error::{EdgeError, Result},
    table::{NetKey, TableError, with_len},
};

/// The table key of one banned network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BlockKey {
    /// An IPv4 network: BLOCK_V4.
    V4(NetKey),
    /// An IPv6 network: BLOCK_V6.
    V6(NetKey),
}

impl BlockKey {
    /// The key of a (normalized) network.
    pub(crate) fn of(net: &IpNet) -> BlockKey {
        let len = u32::from(net.prefix_len());
        match net.addr() {
            IpAddr::V4(a) => BlockKey::V4(NetKey {
                len,
                hi: u64::from(u32::from(a)),
                lo: 0,
            }),
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                BlockKey::V6(NetKey {
                    len,
                    hi: (bits >> 64) as u64,
                    lo: bits as u64,
                })
            }
        }
    }

    /// The network this key stands for.
    pub(crate) fn net(&self) -> IpNet {
        match *self {
            BlockKey::V4(k) => cidr::from_v4(k.len, (k.hi as u32).to_be_bytes()),
            BlockKey::V6(k) => cidr::from_v6(
                k.len,
                ((u128::from(k.hi) << 64) | u128::from(k.lo)).to_be_bytes(),
            ),
        }
    }

    /// The name of the map holding this key.
    pub(crate) fn map(&self) -> &'static str {
        match self {
            BlockKey::V4(_) => maps::BLOCK_V4,
            BlockKey::V6(_) => maps::BLOCK_V6,
        }
    }

    /// The number of bans its table accepts.
    pub(crate) fn capacity(&self) -> u32 {
        capacity::BLOCK
    }
}

/// The two ban tables, in listing order (IPv4 first).
pub(crate) const BLOCK_MAPS: [&str; 2] = [maps::BLOCK_V4, maps::BLOCK_V6];

impl Edge {
    /// Inserts or replaces one ban; returns true when the network is new.
    /// Its prefix length is marked in use before the entry appears.
    pub(crate) fn block_insert(&mut self, key: &BlockKey, value: BanValue) -> Result<bool> {
        let mut cfg = self.config()?;
        let before = (cfg.block_lens_v4, cfg.block_lens_v6);
        let (v4, v6) = match key {
            BlockKey::V4(k) => (with_len([before.0, 0, 0], k.len)[0], before.1),
            BlockKey::V6(k) => (before.0, with_len(before.1, k.len)),
        };
        if (v4, v6) != before {
            cfg.set_block_lens(v4, v6);
            self.write_config(&cfg)?;
        }
        let res = match key {
            BlockKey::V4(k) => self.block_v4.insert(k, &value),
            BlockKey::V6(k) => self.block_v6.insert(k, &value),
        };
        if res.is_err() && (v4, v6) != before {
            // Nothing was added: the length goes back to unused, as it was.
            cfg.set_block_lens(before.0, before.1);
            self.write_config(&cfg)?;
        }
        res.map_err(|e| match e {
            TableError::Full => self.block_full(key, 1),
            TableError::Map(detail) => EdgeError::IncompatibleMap {
                path: self.dir.join(key.map()),
                detail,
            },
        })
    }

    /// Removes one ban; false if there was none. The length bits are left
    /// set (an extra probe, never a missed ban) until [`Edge::refresh_lens`].
    pub(crate) fn block_remove(&mut self, key: &BlockKey) -> bool {
        match key {
            BlockKey::V4(k) => self.block_v4.remove(k),
            BlockKey::V6(k) => self.block_v6.remove(k),
        }
    }

    /// The error for `adding` new bans that the table of `key`'s family
    /// cannot take, with the number it really holds (one load per slot, a few
    /// milliseconds): a table whose entries each have two possible rows can
    /// refuse one before its last slot is taken.
    pub(crate) fn block_full(&self, key: &BlockKey, adding: u64) -> EdgeError {
        EdgeError::Full {
            map: key.map(),
            used: match key {
                BlockKey::V4(_) => self.block_v4.count(),
                BlockKey::V6(_) => self.block_v6.count(),
            },
            adding,
            capacity: key.capacity(),
        }
    }

    /// Whether the table of `key`'s family holds fewer bans than its capacity
    /// (a sample of its rows answers unless it is near).
    pub(crate) fn block_has_room(&self, key: &BlockKey) -> bool {
        let capacity = u64::from(key.capacity());
        match key {
            BlockKey::V4(_) => self.block_v4.holds_fewer_than(capacity),
            BlockKey::V6(_) => self.block_v6.holds_fewer_than(capacity),
        }
    }

    /// The ban of exactly this network.
    pub(crate) fn block_get(&self, key: &BlockKey) -> Option<BanValue> {
        match key {
            BlockKey::V4(k) => self.block_v4.get(k),
            BlockKey::V6(k) => self.block_v6.get(k),
        }
    }

    /// Every ban of both tables, IPv4 first.
    pub(crate) fn block_entries(&self) -> Vec<(BlockKey, BanValue)> {
        let v4 = self.block_v4.entries().into_iter();
        let v6 = self.block_v6.entries().into_iter();
        v4.map(|(k, v)| (BlockKey::V4(k), v))
            .chain(v6.map(|(k, v)| (BlockKey::V6(k), v)))
            .collect()
    }

    /// Bans per table: (map name, entries), expired ones not yet swept included.
    pub(crate) fn block_counts(&self) -> [(&'static str, u64); 2] {
        [
            (maps::BLOCK_V4, self.block_v4.count()),
            (maps::BLOCK_V6, self.block_v6.count()),
        ]
    }

    /// Recomputes the prefix lengths in use from the tables (after removals):
    /// one load per slot of both tables, tens of milliseconds. Callers hold
    /// the writers' lock, so no length another writer is adding can be cleared.
    pub(crate) fn refresh_lens(&mut self) -> Result<()> {
        self.set_lens(self.block_v4.lens()[0], self.block_v6.lens())
    }

    /// Clears the spill marks and cover bits removals left stale (a stale
    /// mark costs lookups a second row read; a stale cover bit makes the
    /// sources of its group probe the tables): one walk of each table,
    /// hashing every entry. Callers hold the writers' lock.
    pub(crate) fn refresh_marks(&mut self) {
        self.block_v4.refresh_marks();
        self.block_v6.refresh_marks();
    }

    /// Writes the length bits of everything the tables hold (callers hold the lock).
    pub(crate) fn set_lens(&mut self, v4: u64, v6: [u64; 3]) -> Result<()> {
        let mut cfg = self.config()?;
        if (cfg.block_lens_v4, cfg.block_lens_v6) != (v4, v6) {
            cfg.set_block_lens(v4, v6);
            self.write_config(&cfg)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_of_both_families_round_trip_through_their_keys() {
        let cases = [
            ("198.18.0.1/32", maps::BLOCK_V4),
            ("198.18.0.0/24", maps::BLOCK_V4),
            ("0.0.0.0/0", maps::BLOCK_V4),
            ("2001:db8::1/128", maps::BLOCK_V6),
            ("2001:db8::/127", maps::BLOCK_V6),
            ("2001:db8:0:1::/64", maps::BLOCK_V6),
            ("::/0", maps::BLOCK_V6),
        ];
        for (text, map) in cases {
            let net: IpNet = text.parse().unwrap();
            let key = BlockKey::of(&net);
            assert_eq!(key.map(), map, "{text}");
            assert_eq!(key.net(), net, "{text} round-trips");
        }
    }

    #[test]
    fn an_ipv4_key_holds_the_address_as_a_big_endian_word() {
        let net: IpNet = "198.18.7.0/24".parse().unwrap();
        let BlockKey::V4(k) = BlockKey::of(&net) else {
            panic!("an IPv4 key")
        };
        assert_eq!(k.hi, 0xc612_0700);
        assert_eq!(k.len, 24);
    }
}

//! Where a ban is stored: a single address (/32, /128) in an exact-match hash
//! map, which the XDP program looks up first, and any shorter prefix in an LPM
//! trie. Everything that writes or reads the blocklist goes through [`BlockKey`],
//! so the two kinds of map can never disagree about where an entry lives.
use std::net::IpAddr;

use aya::maps::{MapError, lpm_trie::Key};
use gateway_common::{BanValue, capacity, maps};
use ipnet::IpNet;

use super::{
    Edge, cidr,
    error::{EdgeError, Result},
    maps::is_not_found,
};

/// The map key of one banned network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BlockKey {
    /// An IPv4 address (/32): BLOCK_HOST_V4.
    HostV4([u8; 4]),
    /// An IPv6 address (/128): BLOCK_HOST_V6.
    HostV6([u8; 16]),
    /// A shorter IPv4 prefix: BLOCK_V4.
    PrefixV4(u32, [u8; 4]),
    /// A shorter IPv6 prefix: BLOCK_V6.
    PrefixV6(u32, [u8; 16]),
}

impl BlockKey {
    /// The key of a (normalized) network.
    pub(crate) fn of(net: &IpNet) -> BlockKey {
        let len = u32::from(net.prefix_len());
        match net.addr() {
            IpAddr::V4(a) if len == 32 => BlockKey::HostV4(a.octets()),
            IpAddr::V4(a) => BlockKey::PrefixV4(len, a.octets()),
            IpAddr::V6(a) if len == 128 => BlockKey::HostV6(a.octets()),
            IpAddr::V6(a) => BlockKey::PrefixV6(len, a.octets()),
        }
    }

    /// The network this key stands for.
    pub(crate) fn net(&self) -> IpNet {
        match *self {
            BlockKey::HostV4(a) => cidr::from_v4(32, a),
            BlockKey::HostV6(a) => cidr::from_v6(128, a),
            BlockKey::PrefixV4(len, a) => cidr::from_v4(len, a),
            BlockKey::PrefixV6(len, a) => cidr::from_v6(len, a),
        }
    }

    /// The name of the map holding this key.
    pub(crate) fn map(&self) -> &'static str {
        match self {
            BlockKey::HostV4(_) => maps::BLOCK_HOST_V4,
            BlockKey::HostV6(_) => maps::BLOCK_HOST_V6,
            BlockKey::PrefixV4(..) => maps::BLOCK_V4,
            BlockKey::PrefixV6(..) => maps::BLOCK_V6,
        }
    }

    /// The capacity of the map holding this key.
    pub(crate) fn capacity(&self) -> u32 {
        match self {
            BlockKey::HostV4(_) | BlockKey::HostV6(_) => capacity::BLOCK_HOSTS,
            BlockKey::PrefixV4(..) | BlockKey::PrefixV6(..) => capacity::BLOCK,
        }
    }
}

/// The four blocklist maps, in listing order (IPv4 first).
pub(crate) const BLOCK_MAPS: [&str; 4] = [
    maps::BLOCK_HOST_V4,
    maps::BLOCK_V4,
    maps::BLOCK_HOST_V6,
    maps::BLOCK_V6,
];

impl Edge {
    /// Inserts or replaces one blocklist entry (the kernel's error is kept for the caller).
    pub(crate) fn block_insert(
        &mut self,
        key: &BlockKey,
        value: BanValue,
    ) -> std::result::Result<(), MapError> {
        match *key {
            BlockKey::HostV4(a) => self.block_host_v4.insert(a, value, 0),
            BlockKey::HostV6(a) => self.block_host_v6.insert(a, value, 0),
            BlockKey::PrefixV4(len, a) => self.block_v4.insert(&Key::new(len, a), value, 0),
            BlockKey::PrefixV6(len, a) => self.block_v6.insert(&Key::new(len, a), value, 0),
        }
    }

    /// Removes one blocklist entry (the kernel's error is kept for the caller).
    pub(crate) fn block_remove(&mut self, key: &BlockKey) -> std::result::Result<(), MapError> {
        match *key {
            BlockKey::HostV4(a) => self.block_host_v4.remove(&a),
            BlockKey::HostV6(a) => self.block_host_v6.remove(&a),
            BlockKey::PrefixV4(len, a) => self.block_v4.remove(&Key::new(len, a)),
            BlockKey::PrefixV6(len, a) => self.block_v6.remove(&Key::new(len, a)),
        }
    }

    /// The entry for this network: exact for single addresses; for a prefix, the
    /// trie's longest match (a covering prefix keeps the network banned anyway).
    pub(crate) fn block_get(&self, key: &BlockKey) -> Result<Option<BanValue>> {
        let found = match *key {
            BlockKey::HostV4(a) => self.block_host_v4.get(&a, 0),
            BlockKey::HostV6(a) => self.block_host_v6.get(&a, 0),
            BlockKey::PrefixV4(len, a) => self.block_v4.get(&Key::new(len, a), 0),
            BlockKey::PrefixV6(len, a) => self.block_v6.get(&Key::new(len, a), 0),
        };
        match found {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(EdgeError::map("lookup", key.map(), e)),
        }
    }

    /// Every blocklist entry of the four maps, IPv4 first.
    pub(crate) fn block_entries(&self) -> Result<Vec<(BlockKey, BanValue)>> {
        let mut out = Vec::new();
        for item in self.block_host_v4.iter() {
            match item {
                Ok((a, v)) => out.push((BlockKey::HostV4(a), v)),
                // Hash map entries can vanish while we walk the map.
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(EdgeError::map("iterate", maps::BLOCK_HOST_V4, e)),
            }
        }
        for item in self.block_v4.iter() {
            let (k, v) = item.map_err(|e| EdgeError::map("iterate", maps::BLOCK_V4, e))?;
            out.push((BlockKey::PrefixV4(k.prefix_len(), k.data()), v));
        }
        for item in self.block_host_v6.iter() {
            match item {
                Ok((a, v)) => out.push((BlockKey::HostV6(a), v)),
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(EdgeError::map("iterate", maps::BLOCK_HOST_V6, e)),
            }
        }
        for item in self.block_v6.iter() {
            let (k, v) = item.map_err(|e| EdgeError::map("iterate", maps::BLOCK_V6, e))?;
            out.push((BlockKey::PrefixV6(k.prefix_len(), k.data()), v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_addresses_go_to_the_host_maps_and_prefixes_to_the_tries() {
        let cases = [
            ("198.18.0.1/32", maps::BLOCK_HOST_V4),
            ("198.18.0.0/24", maps::BLOCK_V4),
            ("0.0.0.0/0", maps::BLOCK_V4),
            ("2001:db8::1/128", maps::BLOCK_HOST_V6),
            ("2001:db8::/127", maps::BLOCK_V6),
        ];
        for (text, map) in cases {
            let net: IpNet = text.parse().unwrap();
            let key = BlockKey::of(&net);
            assert_eq!(key.map(), map, "{text}");
            assert_eq!(key.net(), net, "{text} round-trips");
        }
    }
}

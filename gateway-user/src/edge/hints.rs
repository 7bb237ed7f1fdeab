//! The hints of the LPM tries (`gateway_common::hint`) from user space: the
//! bits a network of the allowlist or of the rate overrides needs, set
//! before the network is inserted (so the program never skips a lookup that
//! would find it), and recomputed from the trie after removals (a stale bit
//! only costs the program a lookup).
use std::{borrow::BorrowMut, net::IpAddr, ops::Range};

use aya::maps::{Array, MapData};
use gateway_common::{hint, maps};
use ipnet::IpNet;

use super::{
    Edge,
    error::{EdgeError, Result},
};

/// The trie a hint map stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// ALLOW_V4 / ALLOW_V6.
    Allow,
    /// LIMIT_V4 / LIMIT_V6.
    Limit,
}

/// The hint bits a network needs, in its family's map.
pub fn bits(net: &IpNet) -> Range<u32> {
    let all = 0..hint::WORDS * 64;
    match net.network() {
        IpAddr::V4(a) => {
            let first = hint::bit_v4(u32::from(a));
            match net.prefix_len() {
                len @ 0..16 => first..first + (1 << (16 - len)),
                _ => first..first + 1,
            }
        }
        IpAddr::V6(a) => {
            if net.prefix_len() < 32 {
                return all;
            }
            let bit = hint::bit_v6((u128::from(a) >> 64) as u64);
            bit..bit + 1
        }
    }
}

/// A hint map's words being built.
#[derive(Clone, PartialEq, Eq)]
pub struct Words(Vec<u64>);

impl Default for Words {
    fn default() -> Self {
        Words(vec![0; hint::WORDS as usize])
    }
}

impl Words {
    /// Sets the bits `bits`.
    pub fn set(&mut self, bits: Range<u32>) {
        for bit in bits {
            let (word, mask) = hint::word(bit);
            self.0[word as usize] |= mask;
        }
    }

    /// The words, in map order.
    pub fn words(&self) -> &[u64] {
        &self.0
    }
}

/// ORs `want` into a hint map (`only_add`), or makes the map equal to it;
/// writes only the words that change.
pub fn write<T: BorrowMut<MapData>>(
    map: &mut Array<T, u64>,
    name: &'static str,
    want: &Words,
    only_add: bool,
) -> Result<()> {
    for (i, &bits) in want.words().iter().enumerate() {
        let i = i as u32;
        if only_add && bits == 0 {
            continue;
        }
        let held = map
            .get(&i, 0)
            .map_err(|e| EdgeError::map("read", name, e))?;
        let new = if only_add { held | bits } else { bits };
        if new != held {
            map.set(i, new, 0)
                .map_err(|e| EdgeError::map("update", name, e))?;
        }
    }
    Ok(())
}

/// The words both families' hint maps need for `nets`: (IPv4, IPv6).
fn words_of<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> (Words, Words) {
    let (mut v4, mut v6) = (Words::default(), Words::default());
    for net in nets {
        match net {
            IpNet::V4(_) => v4.set(bits(net)),
            IpNet::V6(_) => v6.set(bits(net)),
        }
    }
    (v4, v6)
}

impl Edge {
    /// Sets the hint bits of networks about to be added to `list`.
    pub(crate) fn hint(&mut self, list: List, nets: &[IpNet]) -> Result<()> {
        let (v4, v6) = words_of(nets);
        self.write_hints(list, &v4, &v6, true)
    }

    /// Recomputes the hint bits of `list` from its trie (after removals).
    pub(crate) fn refresh_hints(&mut self, list: List) -> Result<()> {
        let nets: Vec<IpNet> = match list {
            List::Allow => self.allows()?,
            List::Limit => self.limits()?.into_iter().map(|(net, _)| net).collect(),
        };
        let (v4, v6) = words_of(&nets);
        self.write_hints(list, &v4, &v6, false)
    }

    fn write_hints(&mut self, list: List, v4: &Words, v6: &Words, only_add: bool) -> Result<()> {
        let [(m4, n4), (m6, n6)] = match list {
            List::Allow => [
                (&mut self.allow_hints_v4, maps::ALLOW_HINTS_V4),
                (&mut self.allow_hints_v6, maps::ALLOW_HINTS_V6),
            ],
            List::Limit => [
                (&mut self.limit_hints_v4, maps::LIMIT_HINTS_V4),
                (&mut self.limit_hints_v6, maps::LIMIT_HINTS_V6),
            ],
        };
        write(m4, n4, v4, only_add)?;
        write(m6, n6, v6, only_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn an_ipv4_network_hints_every_16_it_touches() {
        assert_eq!(bits(&net("198.18.7.0/24")), 0xc612..0xc613);
        assert_eq!(bits(&net("198.18.0.0/16")), 0xc612..0xc613);
        assert_eq!(bits(&net("198.18.0.0/15")), 0xc612..0xc614);
        assert_eq!(bits(&net("10.0.0.0/8")), 0x0a00..0x0b00);
        assert_eq!(bits(&net("0.0.0.0/0")), 0..65536);
    }

    #[test]
    fn an_ipv6_network_hints_its_folded_32_or_everything_when_shorter() {
        let b = bits(&net("2001:db8:77::/48"));
        assert_eq!(b.len(), 1);
        assert_eq!(b.start, hint::bit_v6(0x2001_0db8_0077_0000));
        assert_eq!(bits(&net("2001:db8::/32")), b);
        assert_eq!(bits(&net("2001::/16")), 0..65536);
    }

    #[test]
    fn words_hold_the_bits_set() {
        let mut w = Words::default();
        w.set(0..1);
        w.set(64..66);
        w.set(65535..65536);
        assert_eq!(w.words()[0], 1);
        assert_eq!(w.words()[1], 0b11);
        assert_eq!(w.words()[1023], 1 << 63);
    }
}

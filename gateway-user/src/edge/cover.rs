//! The ban tables' cover maps (BAN_COVER_V4, BAN_COVER_V6; the layout is in
//! `gateway_common::cover`) from user space: which groups and which class
//! bit a ban needs, set before the ban is published, and the whole map
//! rebuilt from the table after removals. A missing bit would hide a ban
//! from the program; a stale one only costs it probes.
use std::{
    ops::Range,
    sync::atomic::{AtomicU64, Ordering},
};

use aya::maps::{Map, MapData};
use gateway_common::cover::{self, GROUPS, LONG, SHORT, SPLIT_V4, SPLIT_V6};

use super::{
    mapping::Mapping,
    table::{NetKey, TableError},
};

/// The class bit and the groups of an IPv4 ban.
pub fn groups_v4(key: &NetKey) -> (u64, Range<u32>) {
    let first = cover::group_v4(key.hi as u32);
    if key.len > SPLIT_V4 {
        (LONG, first..first + 1)
    } else {
        (
            SHORT,
            first..first + (1 << (SPLIT_V4 - key.len.min(SPLIT_V4))),
        )
    }
}

/// The class bit and the groups of an IPv6 ban. The /48s of a prefix
/// between /25 and /48 fold into one aligned block of groups (the fold
/// XORs the fixed upper 24 bits into the lower ones, whose free low bits
/// take every value); a prefix of /24 or shorter reaches every group.
pub fn groups_v6(key: &NetKey) -> (u64, Range<u32>) {
    let group = cover::group_v6(key.hi);
    if key.len > SPLIT_V6 {
        return (LONG, group..group + 1);
    }
    if key.len <= SPLIT_V6 - 24 {
        return (SHORT, 0..GROUPS);
    }
    let size = 1 << (SPLIT_V6 - key.len);
    let first = group & !(size - 1);
    (SHORT, first..first + size)
}

/// The (word, mask) pairs that set `class` in every group of `groups`.
pub fn masks(class: u64, groups: Range<u32>) -> impl Iterator<Item = (u32, u64)> {
    // The class bit of all 32 groups of a word.
    let every = if class == LONG {
        0x5555_5555_5555_5555
    } else {
        0xaaaa_aaaa_aaaa_aaaa
    };
    let end = groups.end.min(GROUPS);
    let start = groups.start.min(end);
    let words = if start == end {
        0..0
    } else {
        start >> 5..((end - 1) >> 5) + 1
    };
    words.map(move |w| {
        let (lo, hi) = (
            start.max(w << 5) - (w << 5),
            end.min((w + 1) << 5) - (w << 5),
        );
        // Bits 2*lo .. 2*hi of the word.
        let span = (u64::MAX >> (64 - 2 * (hi - lo))) << (2 * lo);
        (w, every & span)
    })
}

/// A cover map, mapped into this process.
pub struct Cover {
    words: Mapping<u64>,
}

impl Cover {
    /// Maps a pinned cover map (created with `BPF_F_MMAPABLE`).
    pub fn new(map: MapData) -> Result<Self, TableError> {
        let words = Mapping::new(map)?;
        Self::checked(words)
    }

    /// Maps a map taken out of a loaded object (tests, benchmarks).
    pub fn from_map(map: Map) -> Result<Self, TableError> {
        Self::checked(Mapping::from_map(map)?)
    }

    fn checked(words: Mapping<u64>) -> Result<Self, TableError> {
        if words.rows() != cover::WORDS {
            return Err(TableError::Map(format!(
                "{} words, expected {}",
                words.rows(),
                cover::WORDS
            )));
        }
        Ok(Cover { words })
    }

    fn word(&self, i: u32) -> &AtomicU64 {
        // SAFETY: a word of the mapping, 8-byte aligned, alive as long as `self`.
        unsafe { AtomicU64::from_ptr(self.words.row(i)) }
    }

    /// Sets `class` in the groups `groups` (before the ban they stand for is
    /// published: the release orders these stores before it).
    pub fn add(&self, class: u64, groups: Range<u32>) {
        for (w, mask) in masks(class, groups) {
            let word = self.word(w);
            if word.load(Ordering::Relaxed) & mask != mask {
                word.fetch_or(mask, Ordering::Release);
            }
        }
    }

    /// Makes the map hold exactly `want` (one word per map word), writing
    /// only the words that change. The caller is the only writer, and
    /// `want` covers every ban in the table, so no needed bit is ever clear.
    pub fn replace(&self, want: &[u64]) {
        for (i, &bits) in (0..cover::WORDS).zip(want) {
            let word = self.word(i);
            if word.load(Ordering::Relaxed) != bits {
                word.store(bits, Ordering::Release);
            }
        }
    }

    /// The class bits of one group.
    pub fn classes(&self, group: u32) -> u64 {
        let (w, shift) = cover::word(group);
        (self.word(w).load(Ordering::Acquire) >> shift) & (LONG | SHORT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> NetKey {
        let net: ipnet::Ipv4Net = s.parse().unwrap();
        NetKey {
            len: u32::from(net.prefix_len()),
            hi: u64::from(u32::from(net.network())),
            lo: 0,
        }
    }

    fn v6(s: &str) -> NetKey {
        let net: ipnet::Ipv6Net = s.parse().unwrap();
        let bits = u128::from(net.network());
        NetKey {
            len: u32::from(net.prefix_len()),
            hi: (bits >> 64) as u64,
            lo: bits as u64,
        }
    }

    #[test]
    fn an_ipv4_address_ban_is_long_in_its_24_and_a_prefix_ban_short_in_each_24() {
        assert_eq!(groups_v4(&v4("198.18.7.9/32")), (LONG, 0xc61207..0xc61208));
        assert_eq!(
            groups_v4(&v4("198.18.7.128/25")),
            (LONG, 0xc61207..0xc61208)
        );
        assert_eq!(groups_v4(&v4("198.18.7.0/24")), (SHORT, 0xc61207..0xc61208));
        assert_eq!(groups_v4(&v4("198.18.0.0/15")), (SHORT, 0xc61200..0xc61400));
        assert_eq!(groups_v4(&v4("0.0.0.0/0")), (SHORT, 0..GROUPS));
    }

    #[test]
    fn every_ipv6_address_under_a_prefix_falls_in_the_groups_it_sets() {
        for (net, inside) in [
            (
                "2001:db8:66::/48",
                ["2001:db8:66::1", "2001:db8:66:ffff::9"],
            ),
            ("2001:db8:60::/44", ["2001:db8:60::1", "2001:db8:6f:1::2"]),
            ("2001:db8::/32", ["2001:db8::1", "2001:db8:ffff:1::"]),
            ("2001:d00::/25", ["2001:d00::1", "2001:d7f:ffff::1"]),
            ("2001::/16", ["2001::1", "2001:ffff::1"]),
            (
                "2001:db8:66:6::/64",
                ["2001:db8:66:6::6", "2001:db8:66:6:ffff::"],
            ),
        ] {
            let key = v6(net);
            let (class, groups) = groups_v6(&key);
            assert_eq!(class, if key.len > 48 { LONG } else { SHORT }, "{net}");
            for addr in inside {
                let a: std::net::Ipv6Addr = addr.parse().unwrap();
                let g = cover::group_v6((u128::from(a) >> 64) as u64);
                assert!(
                    groups.contains(&g),
                    "{addr} in {net}: {g:#x} not in {groups:?}"
                );
            }
        }
        assert_eq!(groups_v6(&v6("2001:db8::/32")).1.len(), 1 << 16);
        assert_eq!(groups_v6(&v6("2001:db8:66::/48")).1.len(), 1);
    }

    #[test]
    fn masks_set_the_class_bit_of_exactly_the_groups_asked() {
        assert_eq!(masks(LONG, 0..1).collect::<Vec<_>>(), [(0, 0b01)]);
        assert_eq!(masks(SHORT, 1..2).collect::<Vec<_>>(), [(0, 0b1000)]);
        assert_eq!(
            masks(LONG, 31..33).collect::<Vec<_>>(),
            [(0, 1 << 62), (1, 1)]
        );
        assert_eq!(
            masks(SHORT, 32..96).collect::<Vec<_>>(),
            [(1, 0xaaaa_aaaa_aaaa_aaaa), (2, 0xaaaa_aaaa_aaaa_aaaa)]
        );
        assert_eq!(masks(SHORT, 0..GROUPS).count(), cover::WORDS as usize);
        assert_eq!(masks(LONG, 5..5).count(), 0);
        let (w, mask) = masks(LONG, GROUPS - 1..GROUPS).next().unwrap();
        assert_eq!((w, mask), (cover::WORDS - 1, 1 << 62));
    }
}

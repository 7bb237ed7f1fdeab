//! Crafted Ethernet frames for driving the XDP program: optional VLAN tags,
//! IPv4/IPv6 with correct lengths and checksums, UDP or TCP, and ARP.
//!
//! Malformed frames are made from good ones (`Vec::truncate`, byte edits).
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr};

/// 802.1Q customer VLAN tag protocol identifier.
pub const TPID_8021Q: u16 = 0x8100;
/// 802.1ad service VLAN (QinQ outer tag) protocol identifier.
pub const TPID_8021AD: u16 = 0x88a8;

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_ARP: u16 = 0x0806;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// Length of the Ethernet header without tags.
pub const ETH_LEN: usize = 14;
/// Length of one VLAN tag.
pub const VLAN_LEN: usize = 4;

/// A frame under construction: the link layer (MACs and VLAN tags) to put in front of a packet.
#[derive(Clone, Debug, Default)]
pub struct Frame {
    tags: Vec<(u16, u16)>,
}

impl Frame {
    /// An untagged frame.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a VLAN tag (outermost first): `tpid` is [`TPID_8021Q`] or [`TPID_8021AD`].
    pub fn vlan(mut self, tpid: u16, vid: u16) -> Self {
        self.tags.push((tpid, vid & 0x0fff));
        self
    }

    /// Offset of the network header in frames built from this one.
    pub fn l3_offset(&self) -> usize {
        ETH_LEN + VLAN_LEN * self.tags.len()
    }

    /// An IPv4 UDP datagram from `src` to `dst` carrying `payload`.
    pub fn ipv4_udp(&self, src: Ipv4Addr, dst: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
        let l4 = udp(40000, 53, payload, |_| 0);
        self.wrap(ETH_P_IP, &ipv4(src, dst, IPPROTO_UDP, &l4))
    }

    /// An IPv4 TCP SYN from `src` to port `dport` of `dst`.
    pub fn ipv4_tcp_syn(&self, src: Ipv4Addr, dst: Ipv4Addr, dport: u16) -> Vec<u8> {
        let mut l4 = tcp_syn(40000, dport);
        let sum = checksum(&[&pseudo_v4(src, dst, IPPROTO_TCP, l4.len()), &l4]);
        l4[16..18].copy_from_slice(&sum.to_be_bytes());
        self.wrap(ETH_P_IP, &ipv4(src, dst, IPPROTO_TCP, &l4))
    }

    /// An IPv6 UDP datagram from `src` to `dst` carrying `payload`.
    pub fn ipv6_udp(&self, src: Ipv6Addr, dst: Ipv6Addr, payload: &[u8]) -> Vec<u8> {
        let l4 = udp(40000, 53, payload, |seg| {
            checksum(&[&pseudo_v6(src, dst, IPPROTO_UDP, seg.len()), seg])
        });
        self.wrap(ETH_P_IPV6, &ipv6(src, dst, IPPROTO_UDP, &l4))
    }

    /// An IPv6 TCP SYN from `src` to port `dport` of `dst`.
    pub fn ipv6_tcp_syn(&self, src: Ipv6Addr, dst: Ipv6Addr, dport: u16) -> Vec<u8> {
        let mut l4 = tcp_syn(40000, dport);
        let sum = checksum(&[&pseudo_v6(src, dst, IPPROTO_TCP, l4.len()), &l4]);
        l4[16..18].copy_from_slice(&sum.to_be_bytes());
        self.wrap(ETH_P_IPV6, &ipv6(src, dst, IPPROTO_TCP, &l4))
    }

    /// An ARP request: who has `target`? tell `sender`.
    pub fn arp_request(&self, sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
        let mut arp = Vec::with_capacity(28);
        arp.extend_from_slice(&1u16.to_be_bytes()); // Ethernet
        arp.extend_from_slice(&ETH_P_IP.to_be_bytes());
        arp.extend_from_slice(&[6, 4]);
        arp.extend_from_slice(&1u16.to_be_bytes()); // request
        arp.extend_from_slice(&SRC_MAC);
        arp.extend_from_slice(&sender.octets());
        arp.extend_from_slice(&[0; 6]);
        arp.extend_from_slice(&target.octets());
        self.wrap(ETH_P_ARP, &arp)
    }

    /// Ethernet header, tags, then `packet` of type `ethertype`.
    pub fn wrap(&self, ethertype: u16, packet: &[u8]) -> Vec<u8> {
        let mut frame = Vec::with_capacity(self.l3_offset() + packet.len());
        frame.extend_from_slice(&DST_MAC);
        frame.extend_from_slice(&SRC_MAC);
        for (tpid, vid) in &self.tags {
            frame.extend_from_slice(&tpid.to_be_bytes());
            frame.extend_from_slice(&vid.to_be_bytes());
        }
        frame.extend_from_slice(&ethertype.to_be_bytes());
        frame.extend_from_slice(packet);
        frame
    }
}

const DST_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const SRC_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

/// An IPv4 header (no options, valid checksum) followed by `l4`.
fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, l4: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + l4.len()).unwrap_or(u16::MAX);
    let mut h = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0];
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    let sum = checksum(&[&h]);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h.extend_from_slice(l4);
    h
}

/// An IPv6 header followed by `l4`.
fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, l4: &[u8]) -> Vec<u8> {
    let payload = u16::try_from(l4.len()).unwrap_or(u16::MAX);
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&payload.to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(l4);
    h
}

/// A UDP segment; `sum` computes the checksum over the segment (0 = none, IPv4 only).
fn udp(sport: u16, dport: u16, payload: &[u8], sum: impl Fn(&[u8]) -> u16) -> Vec<u8> {
    let len = u16::try_from(8 + payload.len()).unwrap_or(u16::MAX);
    let mut s = Vec::with_capacity(8 + payload.len());
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&len.to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(payload);
    let c = sum(&s);
    s[6..8].copy_from_slice(&c.to_be_bytes());
    s
}

/// A TCP SYN segment with a zero checksum (filled in by the caller).
fn tcp_syn(sport: u16, dport: u16) -> Vec<u8> {
    let mut s = Vec::with_capacity(20);
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&1u32.to_be_bytes()); // seq
    s.extend_from_slice(&0u32.to_be_bytes()); // ack
    s.extend_from_slice(&[0x50, 0x02]); // data offset 5, SYN
    s.extend_from_slice(&64240u16.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent
    s
}

fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(12);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&[0, proto]);
    p.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    p
}

fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, next]);
    p
}

/// The Internet checksum over the concatenation of `parts` (each of even length but the last).
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        for pair in part.chunks(2) {
            let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
            sum += u32::from(word);
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    match !(sum as u16) {
        0 => 0xffff,
        c => c,
    }
}

//! Packet parsing: Ethernet, up to two VLAN tags, then the IPv4 or IPv6 source.
//!
//! Every read of packet memory goes through [`ptr_at`], which checks the read
//! against `data_end` in a form the verifier understands.

use aya_ebpf::programs::XdpContext;
use gateway_common::family;

use crate::source::Source;

const ETH_HDR_LEN: usize = 14;
const VLAN_HDR_LEN: usize = 4;
const IPV4_MIN_HDR_LEN: usize = 20;
const IPV6_HDR_LEN: usize = 40;

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;

/// What the parser found in a frame.
pub enum Parsed {
    /// Not IPv4 or IPv6 (ARP, LLDP, …).
    NonIp,
    /// Claims to be IP but the header is truncated or invalid.
    Malformed,
    /// An IP packet from this source.
    Ip(Source),
}

/// A pointer to a `T` at `offset` bytes into the packet, if the packet is long enough.
#[inline(always)]
fn ptr_at<T>(ctx: &XdpContext, offset: usize) -> Option<*const T> {
    let start = ctx.data();
    let end = ctx.data_end();
    if start + offset + core::mem::size_of::<T>() > end {
        return None;
    }
    Some((start + offset) as *const T)
}

/// Reads a `T` (plain bytes, any alignment) at `offset`, if the packet is long enough.
#[inline(always)]
fn read_at<T: Copy>(ctx: &XdpContext, offset: usize) -> Option<T> {
    // SAFETY: ptr_at checked that `size_of::<T>()` bytes at `offset` lie inside the packet.
    ptr_at::<T>(ctx, offset).map(|p| unsafe { p.read_unaligned() })
}

/// Reads a big-endian u16 at `offset`.
#[inline(always)]
fn read_be16(ctx: &XdpContext, offset: usize) -> Option<u16> {
    read_at::<[u8; 2]>(ctx, offset).map(u16::from_be_bytes)
}

/// Parses the frame far enough to know its source address.
#[inline(always)]
pub fn parse(ctx: &XdpContext) -> Parsed {
    // A frame too short for an Ethernet header is malformed, whatever it carries.
    let Some(mut proto) = read_be16(ctx, 12) else {
        return Parsed::Malformed;
    };
    let mut offset = ETH_HDR_LEN;
    // Up to two tags: 802.1Q, or 802.1ad (QinQ) outer + 802.1Q inner. Unrolled by hand.
    if proto == ETH_P_8021Q || proto == ETH_P_8021AD {
        let Some(inner) = read_be16(ctx, offset + 2) else {
            return Parsed::Malformed;
        };
        proto = inner;
        offset += VLAN_HDR_LEN;
        if proto == ETH_P_8021Q || proto == ETH_P_8021AD {
            let Some(inner) = read_be16(ctx, offset + 2) else {
                return Parsed::Malformed;
            };
            proto = inner;
            offset += VLAN_HDR_LEN;
        }
    }
    match proto {
        ETH_P_IP => parse_ipv4(ctx, offset),
        ETH_P_IPV6 => parse_ipv6(ctx, offset),
        _ => Parsed::NonIp,
    }
}

#[inline(always)]
fn parse_ipv4(ctx: &XdpContext, offset: usize) -> Parsed {
    let Some(header) = read_at::<[u8; IPV4_MIN_HDR_LEN]>(ctx, offset) else {
        return Parsed::Malformed;
    };
    let version = header[0] >> 4;
    let header_len = usize::from(header[0] & 0x0f) * 4;
    let total_len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if version != 4
        || header_len < IPV4_MIN_HDR_LEN
        || total_len < header_len
        || ctx.data() + offset + header_len > ctx.data_end()
    {
        return Parsed::Malformed;
    }
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&header[12..16]);
    Parsed::Ip(Source {
        family: family::V4,
        addr,
    })
}

#[inline(always)]
fn parse_ipv6(ctx: &XdpContext, offset: usize) -> Parsed {
    // The whole fixed header must be present even though only the source is read.
    let Some(first) = read_at::<u8>(ctx, offset) else {
        return Parsed::Malformed;
    };
    if first >> 4 != 6 || ptr_at::<[u8; IPV6_HDR_LEN]>(ctx, offset).is_none() {
        return Parsed::Malformed;
    }
    let Some(addr) = read_at::<[u8; 16]>(ctx, offset + 8) else {
        return Parsed::Malformed;
    };
    Parsed::Ip(Source {
        family: family::V6,
        addr,
    })
}

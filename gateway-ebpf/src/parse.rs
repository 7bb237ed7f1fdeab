//! Packet parsing: Ethernet, up to two VLAN tags, then the IPv4 or IPv6 source.
//!
//! Every read of packet memory is of an address [`at`] checked against
//! `data_end`, in a form the verifier understands, and loads a whole word.

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

/// The address of `len` bytes at `offset` into the packet, if the packet is long enough.
#[inline(always)]
fn at(ctx: &XdpContext, offset: usize, len: usize) -> Option<usize> {
    let start = ctx.data();
    if start + offset + len > ctx.data_end() {
        return None;
    }
    Some(start + offset)
}

/// Loads of packet words, one instruction each, at addresses [`at`] checked.
///
/// Written as inline assembly because Rust's unaligned reads compile to one
/// load per byte on the BPF target, and an aligned read would claim an
/// alignment the packet does not promise. The kernel accepts these loads: on
/// hosts without efficient unaligned access its verifier checks packet loads
/// against `NET_IP_ALIGN`, which puts IP headers (at 14, 18 or 22 bytes) on a
/// 4-byte boundary, and every load here is of a 16-bit word at an even offset
/// or of a 32-bit word in an IP header, so it sits on its own boundary there.
#[cfg(target_arch = "bpf")]
mod load {
    use core::arch::asm;

    /// The big-endian u16 at `p`.
    ///
    /// # Safety
    /// `p` must be a packet address with 2 readable bytes.
    #[inline(always)]
    pub unsafe fn be16(p: usize) -> u16 {
        let v: u64;
        unsafe {
            asm!("{v} = *(u16 *)({p} + 0)", p = in(reg) p, v = lateout(reg) v, options(readonly, nostack));
        }
        u16::from_be(v as u16)
    }

    /// The big-endian u32 at `p`.
    ///
    /// # Safety
    /// `p` must be a packet address with 4 readable bytes.
    #[inline(always)]
    pub unsafe fn be32(p: usize) -> u32 {
        let v: u64;
        unsafe {
            asm!("{v} = *(u32 *)({p} + 0)", p = in(reg) p, v = lateout(reg) v, options(readonly, nostack));
        }
        u32::from_be(v as u32)
    }
}

/// The host build (clippy only) reads the bytes one by one.
#[cfg(not(target_arch = "bpf"))]
mod load {
    /// The big-endian u16 at `p`.
    ///
    /// # Safety
    /// `p` must point to 2 readable bytes.
    pub unsafe fn be16(p: usize) -> u16 {
        u16::from_be_bytes(unsafe { (p as *const [u8; 2]).read_unaligned() })
    }

    /// The big-endian u32 at `p`.
    ///
    /// # Safety
    /// `p` must point to 4 readable bytes.
    pub unsafe fn be32(p: usize) -> u32 {
        u32::from_be_bytes(unsafe { (p as *const [u8; 4]).read_unaligned() })
    }
}

/// The big-endian u16 at `offset`, if the packet is long enough.
#[inline(always)]
fn read_be16(ctx: &XdpContext, offset: usize) -> Option<u16> {
    // SAFETY: `at` checked that the 2 bytes lie inside the packet.
    at(ctx, offset, 2).map(|p| unsafe { load::be16(p) })
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
    let Some(header) = at(ctx, offset, IPV4_MIN_HDR_LEN) else {
        return Parsed::Malformed;
    };
    // SAFETY: `at` checked the 20 bytes of the minimal header; both words lie in it.
    let (first, source) = unsafe { (load::be32(header), load::be32(header + 12)) };
    let version = first >> 28;
    let header_len = ((first >> 24) & 0x0f) as usize * 4;
    let total_len = (first & 0xffff) as usize;
    if version != 4
        || header_len < IPV4_MIN_HDR_LEN
        || total_len < header_len
        || at(ctx, offset, header_len).is_none()
    {
        return Parsed::Malformed;
    }
    Parsed::Ip(Source {
        family: family::V4,
        hi: u64::from(source),
        lo: 0,
    })
}

#[inline(always)]
fn parse_ipv6(ctx: &XdpContext, offset: usize) -> Parsed {
    // The whole fixed header must be present even though only the source is read.
    let Some(header) = at(ctx, offset, IPV6_HDR_LEN) else {
        return Parsed::Malformed;
    };
    // SAFETY: `at` checked the 40 bytes of the fixed header; every load lies in it.
    let word = |i: usize| u64::from(unsafe { load::be32(header + i) });
    if word(0) >> 28 != 6 {
        return Parsed::Malformed;
    }
    Parsed::Ip(Source {
        family: family::V6,
        hi: word(8) << 32 | word(12),
        lo: word(16) << 32 | word(20),
    })
}

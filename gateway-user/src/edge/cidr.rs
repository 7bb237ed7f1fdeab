//! Parsing and normalising the CIDRs given to `ban`, `allow` and `limit`.
//!
//! A bare address is a host route (/32 or /128). An address with host bits set
//! is accepted and truncated to its network, and the caller is told what it
//! became so it can warn: `198.18.0.5/24` becomes `198.18.0.0/24`.
use std::net::IpAddr;

use ipnet::IpNet;

use super::error::{EdgeError, Result};

/// A parsed CIDR, plus whether it had to be normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedCidr {
    /// The network, host bits cleared.
    pub net: IpNet,
    /// True when the input had host bits set and was truncated.
    pub normalized: bool,
}

impl ParsedCidr {
    /// A warning for stderr when the input was normalised, naming what it became.
    pub fn warning(&self, input: &str) -> Option<String> {
        self.normalized.then(|| {
            format!(
                "{} has host bits set; using the network {}",
                input.trim(),
                self.net
            )
        })
    }
}

/// Parses `198.18.0.0/15`, `2001:db8::/32`, or a bare address (a /32 or /128).
pub fn parse_cidr(input: &str) -> Result<ParsedCidr> {
    let text = input.trim();
    let invalid = |reason: &str| EdgeError::InvalidCidr {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(invalid("empty"));
    }
    let net = match text.split_once('/') {
        None => {
            let addr: IpAddr = text
                .parse()
                .map_err(|_| invalid("not an IPv4 or IPv6 address"))?;
            IpNet::from(addr)
        }
        Some((addr, len)) => {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| invalid("not an IPv4 or IPv6 address before the /"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| invalid(&format!("prefix length must be 0..={max}")))?;
            IpNet::new(addr, len).map_err(|_| invalid("bad prefix length"))?
        }
    };
    let trunc = net.trunc();
    Ok(ParsedCidr {
        net: trunc,
        normalized: trunc != net,
    })
}

/// Builds a network from the raw key of an LPM trie (prefix length and bytes).
pub fn from_v4(prefix: u32, octets: [u8; 4]) -> IpNet {
    IpNet::new(IpAddr::from(octets), prefix.min(32) as u8)
        .unwrap_or_else(|_| IpNet::from(IpAddr::from(octets)))
}

/// Builds a network from the raw key of an IPv6 LPM trie.
pub fn from_v6(prefix: u32, octets: [u8; 16]) -> IpNet {
    IpNet::new(IpAddr::from(octets), prefix.min(128) as u8)
        .unwrap_or_else(|_| IpNet::from(IpAddr::from(octets)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn bare_ipv4_address_becomes_a_slash_32() {
        let p = parse_cidr("198.18.0.7").unwrap();
        assert_eq!(p.net, net("198.18.0.7/32"));
        assert!(!p.normalized);
    }

    #[test]
    fn bare_ipv6_address_becomes_a_slash_128() {
        let p = parse_cidr("2001:db8::1").unwrap();
        assert_eq!(p.net, net("2001:db8::1/128"));
    }

    #[test]
    fn network_without_host_bits_is_kept_as_is() {
        let p = parse_cidr(" 198.18.0.0/15 ").unwrap();
        assert_eq!(p.net, net("198.18.0.0/15"));
        assert!(!p.normalized);
        assert!(p.warning("198.18.0.0/15").is_none());
    }

    #[test]
    fn host_bits_are_cleared_with_a_warning_naming_the_result() {
        let p = parse_cidr("198.18.3.5/16").unwrap();
        assert_eq!(p.net, net("198.18.0.0/16"));
        assert!(p.normalized);
        let w = p.warning("198.18.3.5/16").unwrap();
        assert!(w.contains("198.18.0.0/16"), "{w}");
    }

    #[test]
    fn ipv6_host_bits_are_cleared() {
        let p = parse_cidr("2001:db8::1/64").unwrap();
        assert_eq!(p.net, net("2001:db8::/64"));
        assert!(p.normalized);
    }

    #[test]
    fn garbage_is_rejected_naming_the_input() {
        for bad in [
            "",
            "hello",
            "1.2.3",
            "1.2.3.4/33",
            "::1/129",
            "1.2.3.4/",
            "1.2.3.4/x",
            "300.1.1.1",
        ] {
            let err = parse_cidr(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }

    #[test]
    fn trie_keys_round_trip_to_networks() {
        assert_eq!(from_v4(24, [10, 0, 0, 0]), net("10.0.0.0/24"));
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        assert_eq!(from_v6(16, v6), net("2001::/16"));
    }
}

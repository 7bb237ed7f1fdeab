//! W3C Trace Context (`traceparent`): parse, generate, and derive the gateway's child span.
//!
//! Format (version 00): `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`, lowercase.
//! An all-zero trace-id or parent-id is invalid; an invalid header is replaced by a new
//! trace, as the W3C recommendation says, rather than forwarded.
use std::fmt;

use rand::RngCore;

/// A parsed or generated `traceparent` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
}

/// Flags set on traces the gateway starts: sampled, so downstream tracers record them.
const GENERATED_FLAGS: u8 = 0x01;

impl TraceContext {
    /// Parses a `traceparent` header value; `None` if it is not valid.
    ///
    /// Versions above 00 are accepted as the spec asks (the first four fields are read
    /// and anything after a further `-` is ignored); version `ff` is always invalid.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim_matches(|c| c == ' ' || c == '\t');
        let bytes = value.as_bytes();
        if bytes.len() < 55 {
            return None;
        }
        let version = decode_hex::<1>(&bytes[0..2])?[0];
        if version == 0xff || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        if version == 0 && bytes.len() != 55 {
            return None;
        }
        if version != 0 && bytes.len() > 55 && bytes[55] != b'-' {
            return None;
        }
        let trace_id = decode_hex::<16>(&bytes[3..35])?;
        let parent_id = decode_hex::<8>(&bytes[36..52])?;
        let flags = decode_hex::<1>(&bytes[53..55])?[0];
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// Starts a new trace with random, non-zero ids.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut trace_id = [0u8; 16];
        while trace_id == [0; 16] {
            rng.fill_bytes(&mut trace_id);
        }
        Self {
            trace_id,
            parent_id: random_span_id(),
            flags: GENERATED_FLAGS,
        }
    }

    /// Parses the header if present and valid, otherwise starts a new trace.
    pub fn from_header_or_generate(value: Option<&str>) -> Self {
        value.and_then(Self::parse).unwrap_or_else(Self::generate)
    }

    /// The context the gateway forwards upstream: same trace-id and flags, new parent-id.
    pub fn child(&self) -> Self {
        Self {
            trace_id: self.trace_id,
            parent_id: random_span_id(),
            flags: self.flags,
        }
    }

    /// Renders the value for a `traceparent` header (always version 00).
    pub fn to_header(&self) -> String {
        self.to_string()
    }

    /// The trace-id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    /// The parent-id (span id) as 16 lowercase hex digits.
    pub fn parent_id_hex(&self) -> String {
        hex::encode(self.parent_id)
    }

    /// The trace flags byte (bit 0 = sampled).
    pub fn flags(&self) -> u8 {
        self.flags
    }
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            hex::encode(self.trace_id),
            hex::encode(self.parent_id),
            self.flags
        )
    }
}

fn random_span_id() -> [u8; 8] {
    let mut rng = rand::rng();
    let mut id = [0u8; 8];
    while id == [0; 8] {
        rng.fill_bytes(&mut id);
    }
    id
}

/// Decodes exactly `2*N` lowercase hex digits (the spec forbids uppercase).
fn decode_hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_round_trips() {
        let t = TraceContext::parse(VALID).unwrap();
        assert_eq!(t.to_header(), VALID);
        assert_eq!(t.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.flags(), 1);
    }

    #[test]
    fn invalid_traceparents_are_refused() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(TraceContext::parse(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_future_version_with_extra_fields_is_accepted() {
        let t =
            TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-whatever")
                .unwrap();
        assert_eq!(t.to_header(), VALID);
    }

    #[test]
    fn a_child_keeps_the_trace_id_and_gets_a_new_parent_id() {
        let parent = TraceContext::parse(VALID).unwrap();
        let child = parent.child();
        assert_eq!(child.trace_id_hex(), parent.trace_id_hex());
        assert_ne!(child.parent_id_hex(), parent.parent_id_hex());
        assert_eq!(child.flags(), parent.flags());
        assert!(TraceContext::parse(&child.to_header()).is_some());
    }

    #[test]
    fn a_missing_or_invalid_header_starts_a_new_valid_trace() {
        let a = TraceContext::from_header_or_generate(None);
        let b = TraceContext::from_header_or_generate(Some("00-zz"));
        assert_ne!(a.trace_id_hex(), b.trace_id_hex());
        assert_eq!(TraceContext::parse(&a.to_header()), Some(a));
        assert_eq!(TraceContext::parse(&b.to_header()), Some(b));
    }
}

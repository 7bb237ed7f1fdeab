//! Request hygiene before anything looks at the request: head size (431), body size
//! announced by Content-Length (413; streamed bodies are counted in the pipeline),
//! ambiguous framing (400, no request smuggling), and the ONE path normalization
//! every later stage relies on (400 on NUL and bad encodings). Also checks and fills
//! the host (400 when an HTTP/1.1 request has none, two, or a malformed one).
use std::net::Ipv6Addr;

use http::{HeaderMap, Version, header, request};

use crate::proxy::{
    context::RequestContext,
    error::GatewayError,
    path,
    stage::{Flow, Stage, StageResult},
};

/// Size limits, framing checks and path normalization.
pub struct Hygiene {
    /// `limits.max_header_bytes`.
    pub max_header_bytes: u64,
    /// `limits.max_body`.
    pub max_body: u64,
}

/// Bytes of the request head as sent on the wire (close enough for a limit).
fn head_bytes(head: &request::Parts) -> u64 {
    let target = head.uri.path_and_query().map_or(1, |p| p.as_str().len())
        + head.uri.authority().map_or(0, |a| a.as_str().len());
    let line = head.method.as_str().len() + target + 12;
    let headers: usize = head
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    (line + headers) as u64
}

/// Refuses ambiguous body framing. hyper already refuses differing Content-Length
/// values and Transfer-Encoding without a final `chunked`; this also refuses any
/// coding other than exactly `chunked` (gzip, identity, lists, repeats) and a
/// Transfer-Encoding next to a Content-Length (hyper drops the latter silently).
fn check_framing(headers: &HeaderMap) -> Result<(), GatewayError> {
    let mut te = headers.get_all(header::TRANSFER_ENCODING).iter();
    if let Some(v) = te.next() {
        if te.next().is_some() || !v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"chunked") {
            return Err(GatewayError::BadRequest("unsupported Transfer-Encoding"));
        }
        if headers.contains_key(header::CONTENT_LENGTH) {
            return Err(GatewayError::BadRequest(
                "both Content-Length and Transfer-Encoding are present",
            ));
        }
    }
    let mut cl = headers.get_all(header::CONTENT_LENGTH).iter();
    if let Some(first) = cl.next() {
        if cl.any(|v| v != first) {
            return Err(GatewayError::BadRequest(
                "conflicting Content-Length headers",
            ));
        }
        if first
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .is_none()
        {
            return Err(GatewayError::BadRequest("invalid Content-Length"));
        }
    }
    Ok(())
}

/// Refuses what RFC 9112 (section 3.2) says a server must answer with 400: an
/// HTTP/1.1 request without a Host header (unless its target is in absolute
/// form), with more than one, or with one that is not a valid authority. Two
/// hosts, or a malformed one, could route a request one way here and another
/// way in a cache or an upstream.
fn check_host(head: &request::Parts) -> Result<(), GatewayError> {
    let mut hosts = head.headers.get_all(header::HOST).iter();
    let first = hosts.next();
    if hosts.next().is_some() {
        return Err(GatewayError::BadRequest("more than one Host header"));
    }
    match first {
        Some(v) if !valid_authority(v.as_bytes()) => {
            Err(GatewayError::BadRequest("invalid Host header"))
        }
        None if head.version == Version::HTTP_11 && head.uri.authority().is_none() => {
            Err(GatewayError::BadRequest("missing Host header"))
        }
        _ => Ok(()),
    }
}

/// Whether `v` is `host [":" port]` as RFC 3986 spells it, without userinfo: a
/// bracketed IPv6 literal, or a reg-name (which covers IPv4 addresses) of
/// unreserved and sub-delim characters and percent escapes; the port is at most
/// 65535. An empty value is valid: it is what a client sends for a target
/// without an authority.
fn valid_authority(v: &[u8]) -> bool {
    let (host_ok, rest) = match v.strip_prefix(b"[") {
        Some(inner) => match inner.iter().position(|&b| b == b']') {
            Some(end) => (
                std::str::from_utf8(&inner[..end]).is_ok_and(|s| s.parse::<Ipv6Addr>().is_ok()),
                &inner[end + 1..],
            ),
            None => return false,
        },
        None => {
            let end = v.iter().position(|&b| b == b':').unwrap_or(v.len());
            (reg_name(&v[..end]), &v[end..])
        }
    };
    host_ok
        && match rest {
            [] => true,
            [b':', port @ ..] => {
                port.len() <= 5
                    && port.iter().all(u8::is_ascii_digit)
                    && port.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) <= 65_535
            }
            _ => false,
        }
}

/// Whether `host` is an RFC 3986 reg-name: unreserved and sub-delim characters,
/// and `%` only as the start of a two-digit hex escape.
fn reg_name(host: &[u8]) -> bool {
    let mut i = 0;
    while i < host.len() {
        match host[i] {
            b'%' => {
                if !host
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
                {
                    return false;
                }
                i += 3;
                continue;
            }
            b if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// The request host: URI authority (h2, absolute-form) or `Host`, lowercase, no port.
pub(crate) fn request_host(head: &request::Parts) -> Option<String> {
    let raw = head.uri.host().map(str::to_owned).or_else(|| {
        head.headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })?;
    let raw = raw.trim();
    let host = if let Some(rest) = raw.strip_prefix('[') {
        // IPv6 literal: keep the brackets, drop the port.
        rest.split_once(']')
            .map_or(raw.to_string(), |(h, _)| format!("[{h}]"))
    } else {
        raw.split_once(':').map_or(raw, |(h, _)| h).to_string()
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

impl Stage for Hygiene {
    fn name(&self) -> &'static str {
        "hygiene"
    }

    fn on_request(&self, ctx: &mut RequestContext, head: &mut request::Parts) -> StageResult {
        if head_bytes(head) > self.max_header_bytes {
            return Err(GatewayError::HeadersTooLarge);
        }
        check_framing(&head.headers)?;
        check_host(head)?;
        let announced = head
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > self.max_body) {
            return Err(GatewayError::BodyTooLarge);
        }
        ctx.path =
            path::normalize(head.uri.path()).map_err(|e| GatewayError::BadRequest(e.reason()))?;
        ctx.host = request_host(head);
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn transfer_encoding_other_than_chunked_is_refused() {
        assert!(check_framing(&headers(&[("transfer-encoding", "chunked")])).is_ok());
        assert!(check_framing(&headers(&[("transfer-encoding", "gzip, chunked")])).is_err());
        assert!(
            check_framing(&headers(&[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked")
            ]))
            .is_err()
        );
    }

    #[test]
    fn content_length_with_transfer_encoding_is_refused() {
        let h = headers(&[("transfer-encoding", "chunked"), ("content-length", "5")]);
        assert!(check_framing(&h).is_err());
    }

    #[test]
    fn conflicting_content_lengths_are_refused() {
        assert!(
            check_framing(&headers(&[
                ("content-length", "5"),
                ("content-length", "6")
            ]))
            .is_err()
        );
    }

    fn head(version: Version, uri: &str, hosts: &[&str]) -> request::Parts {
        let (mut parts, _) = http::Request::new(()).into_parts();
        parts.version = version;
        parts.uri = uri.parse().unwrap();
        for h in hosts {
            parts
                .headers
                .append(header::HOST, HeaderValue::from_bytes(h.as_bytes()).unwrap());
        }
        parts
    }

    #[test]
    fn an_http11_request_needs_exactly_one_host() {
        let ok = |v, uri, hosts: &[&str]| check_host(&head(v, uri, hosts)).is_ok();
        assert!(ok(Version::HTTP_11, "/", &["api.example.com"]));
        assert!(!ok(Version::HTTP_11, "/", &[]), "missing");
        assert!(!ok(Version::HTTP_11, "/", &["a", "b"]), "two different");
        assert!(!ok(Version::HTTP_11, "/", &["a", "a"]), "the same twice");
        // Absolute form carries the host; HTTP/1.0 and h2 need no Host header.
        assert!(ok(Version::HTTP_11, "http://a.example/x", &[]));
        assert!(ok(Version::HTTP_10, "/", &[]));
        assert!(ok(Version::HTTP_2, "https://a.example/x", &[]));
        assert!(
            !ok(Version::HTTP_10, "/", &["a b"]),
            "a bad value is bad in 1.0 too"
        );
    }

    #[test]
    fn host_values_are_rfc_3986_authorities() {
        for good in [
            "example.com",
            "API.Example.com:8080",
            "127.0.0.1",
            "127.0.0.1:65535",
            "[::1]",
            "[2001:db8::1]:443",
            "under_score.local",
            "xn--bcher-kva.example",
            "caf%C3%A9.example",
            "host:",
            "",
        ] {
            assert!(valid_authority(good.as_bytes()), "{good:?}");
        }
        for bad in [
            "a b",
            "user@example.com",
            "example.com:65536",
            "example.com:123456",
            "example.com:8o",
            "a:1:2",
            "[::1",
            "[not-v6]",
            "[::1]x",
            "[::1]:99999",
            "example.com/path",
            "exa%mple.com",
            "exa%4",
            "a\\b",
            "a\"b",
        ] {
            assert!(!valid_authority(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn host_is_lowercased_without_port() {
        let (mut parts, _) = http::Request::new(()).into_parts();
        parts.headers.insert(
            header::HOST,
            HeaderValue::from_static("API.Example.com:8080"),
        );
        assert_eq!(request_host(&parts).as_deref(), Some("api.example.com"));
    }
}

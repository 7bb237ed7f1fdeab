//! Request hygiene before anything looks at the request: head size (431), body size
//! announced by Content-Length (413; streamed bodies are counted in the pipeline),
//! ambiguous framing (400, no request smuggling), and the ONE path normalization
//! every later stage relies on (400 on NUL and bad encodings). Also fills the host.
use http::{HeaderMap, header, request};

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

/// The request host: URI authority (h2, absolute-form) or `Host`, lowercase, no port.
fn request_host(head: &request::Parts) -> Option<String> {
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

//! The borrowed view of a request that the WAF inspects.
//!
//! The proxy fills it from the request it already holds; nothing is copied.
use std::net::IpAddr;

/// What the WAF sees of a request. Every field borrows from the proxy's request.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The request method as sent.
    pub method: &'a str,
    /// The path as sent (still percent-encoded, may hold `..`).
    pub raw_path: &'a str,
    /// The normalized path the router matched on.
    pub path: &'a str,
    /// The query string without `?`.
    pub query: Option<&'a str>,
    /// Request headers.
    pub headers: &'a http::HeaderMap,
    /// The body bytes read so far (at most the inspection size plus one byte is enough).
    pub body: Option<&'a [u8]>,
    /// True when the proxy stopped reading before the end of the body.
    pub body_truncated: bool,
    /// The Content-Type header value.
    pub content_type: Option<&'a str>,
    /// The client address, for `ip_match` custom rules.
    pub client_ip: Option<IpAddr>,
}

impl<'a> RequestView<'a> {
    /// A view of a body-less GET, handy for tests and health checks.
    pub fn get(raw_path: &'a str, query: Option<&'a str>, headers: &'a http::HeaderMap) -> Self {
        RequestView {
            method: "GET",
            raw_path,
            path: raw_path,
            query,
            headers,
            body: None,
            body_truncated: false,
            content_type: None,
            client_ip: None,
        }
    }
}

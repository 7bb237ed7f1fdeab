//! Building the request sent upstream and cleaning the response that comes back:
//! hop-by-hop headers removed both ways (Connection and the headers it names,
//! Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*), the client's
//! `X-Client-Cert-*` removed, `X-Forwarded-For/-Proto/-Host`, `X-Request-Id`,
//! `traceparent` and the verified client certificate set.
use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue, Request, Uri, Version, header, request};

use super::{body::ProxyBody, context::RequestContext, error::GatewayError, route::CompiledRoute};

/// Subject of the verified client certificate, forwarded upstream.
pub const X_CLIENT_CERT_SUBJECT: HeaderName = HeaderName::from_static("x-client-cert-subject");
/// SANs of the verified client certificate, comma-separated, forwarded upstream.
pub const X_CLIENT_CERT_SAN: HeaderName = HeaderName::from_static("x-client-cert-san");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// Identity headers other proxies set; never believed from a client.
const X_FORWARDED_CLIENT_CERT: HeaderName = HeaderName::from_static("x-forwarded-client-cert");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Removes hop-by-hop headers, including those named in `Connection`.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::try_from(n.trim()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
    for n in [
        header::CONNECTION,
        KEEP_ALIVE,
        PROXY_CONNECTION,
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(n);
    }
}

/// The client IP: the socket peer, or — when the peer is a trusted proxy — the
/// rightmost `X-Forwarded-For` hop that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| {
        let ip = super::route::canonical(*ip);
        trusted.iter().any(|n| n.contains(&ip))
    };
    let mut client = super::route::canonical(peer);
    if trusted.is_empty() || !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = super::route::canonical(ip);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// The headers sent upstream (computed once, reused on a retry).
pub fn upstream_headers(
    ctx: &RequestContext,
    head: &request::Parts,
    route: &CompiledRoute,
) -> HeaderMap {
    let mut h = head.headers.clone();
    strip_hop_by_hop(&mut h);
    h.remove(&X_CLIENT_CERT_SUBJECT);
    h.remove(&X_CLIENT_CERT_SAN);
    // Upstreams written for Envoy trust these; a client must not plant them.
    h.remove(&X_FORWARDED_CLIENT_CERT);
    h.remove(&X_REAL_IP);
    // X-Forwarded-For: appended through trusted proxies, otherwise replaced (a
    // client must not be able to plant addresses that upstreams might believe).
    let peer = super::route::canonical(ctx.conn.peer.ip());
    let xff = match (
        ctx.peer_trusted,
        h.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()),
    ) {
        (true, Some(prev)) => format!("{prev}, {peer}"),
        _ => peer.to_string(),
    };
    h.remove(&X_FORWARDED_FOR);
    if let Ok(v) = HeaderValue::try_from(xff) {
        h.insert(X_FORWARDED_FOR, v);
    }
    h.insert(
        X_FORWARDED_PROTO,
        HeaderValue::from_static(if ctx.is_tls() { "https" } else { "http" }),
    );
    let host = head.headers.get(header::HOST).cloned().or_else(|| {
        head.uri
            .authority()
            .and_then(|a| HeaderValue::try_from(a.as_str()).ok())
    });
    if let Some(host) = host {
        if !h.contains_key(header::HOST) {
            // h2 clients send :authority only; HTTP/1.1 upstreams need a Host.
            h.insert(header::HOST, host.clone());
        }
        h.insert(X_FORWARDED_HOST, host);
    }
    if let Ok(v) = HeaderValue::try_from(ctx.request_id.as_str()) {
        h.insert(X_REQUEST_ID, v);
    }
    if let Ok(v) = HeaderValue::try_from(ctx.trace.to_header()) {
        h.insert(TRACEPARENT, v);
    }
    if let Some(cert) = ctx.conn.tls.as_ref().and_then(|t| t.client_cert.as_ref()) {
        h.insert(X_CLIENT_CERT_SUBJECT, cert.subject_header());
        if let Ok(v) = HeaderValue::try_from(cert.sans.join(",")) {
            h.insert(X_CLIENT_CERT_SAN, v);
        }
    }
    route.request_headers.apply(&mut h);
    h
}

/// Builds the upstream request to `target` (`host:port`).
pub fn build_request(
    ctx: &RequestContext,
    head: &request::Parts,
    route: &CompiledRoute,
    headers: HeaderMap,
    target: &str,
    h2: bool,
    body: ProxyBody,
) -> Result<Request<ProxyBody>, GatewayError> {
    let path = route.upstream_path(&ctx.path);
    let uri = match head.uri.query() {
        Some(q) => format!("http://{target}{path}?{q}"),
        None => format!("http://{target}{path}"),
    };
    let uri: Uri = uri
        .parse()
        .map_err(|_| GatewayError::BadRequest("invalid request target"))?;
    let mut req = Request::new(body);
    *req.method_mut() = head.method.clone();
    *req.uri_mut() = uri;
    *req.version_mut() = if h2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    // The client's Host is kept, over h2 too (RFC 9113 §8.3.1 lets an intermediary
    // retain it; `:authority` names the target the pool connected to).
    *req.headers_mut() = headers;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_named_headers_are_stripped_with_the_standard_hop_by_hop_set() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, X-Secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert(header::TE, HeaderValue::from_static("trailers"));
        h.insert("proxy-authorization", HeaderValue::from_static("x"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn forwarded_for_is_believed_only_through_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.7, 10.0.0.2"),
        );
        let via_proxy = client_ip("10.0.0.1".parse().unwrap(), &h, &trusted);
        assert_eq!(via_proxy, "198.51.100.7".parse::<IpAddr>().unwrap());
        let direct = client_ip("203.0.113.9".parse().unwrap(), &h, &trusted);
        assert_eq!(direct, "203.0.113.9".parse::<IpAddr>().unwrap());
    }
}

//! Semantic checks of routes: their upstream exists, their match is well formed and
//! not a copy of another route's, header edits and CORS make sense.
use std::collections::BTreeMap;

use super::{
    model::{ClientAuth, Config, HeaderEdits, Route, RouteMatch},
    suggest::did_you_mean,
    tree::Seg,
    validate::{Checker, I, K, Origins, valid_dns_name, valid_name},
};

/// Headers the gateway manages itself: letting routes edit them would open the
/// door to request smuggling or broken framing.
const MANAGED_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Checks every route of `config` (lowercasing match hosts, which match without case).
pub(crate) fn check(config: &mut Config, origins: &Origins, c: &mut Checker<'_>) {
    let mutual_tls = config.listeners.iter().any(|l| {
        l.tls
            .as_ref()
            .is_some_and(|t| t.client_auth != ClientAuth::None)
    });
    let upstream_names: Vec<&str> = config
        .upstreams
        .keys()
        .map(String::as_str)
        .chain(origins.broken_upstreams.iter().map(String::as_str))
        .collect();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut matches: Vec<(RouteMatch, String, usize)> = Vec::new();
    for (i, route) in config.routes.iter_mut().enumerate() {
        let at = origins.routes.get(i).copied().unwrap_or(i);
        let r = |k: &'static str| [K("routes"), I(at), K(k)];
        if !valid_name(&route.name) {
            c.err(
                &r("name"),
                format!(
                    "route name `{}` must be letters, digits, `_`, `-` or `.`",
                    route.name
                ),
            );
        }
        let line = c.line(&r("name"));
        if let Some(first) = names.insert(route.name.clone(), line) {
            c.err(
                &r("name"),
                format!(
                    "duplicate route name `{}` (first used at line {first})",
                    route.name
                ),
            );
        }
        if !upstream_names.contains(&route.upstream.as_str()) {
            let hint = match did_you_mean(&route.upstream, &upstream_names) {
                Some(s) => format!(", did you mean `{s}`?"),
                None if upstream_names.is_empty() => ": no upstreams are defined".to_string(),
                None => format!("; the upstreams are: {}", upstream_names.join(", ")),
            };
            c.err(
                &r("upstream"),
                format!(
                    "route `{}` names an unknown upstream `{}`{hint}",
                    route.name, route.upstream
                ),
            );
        }
        route_match(route, at, c);
        if route.strip_prefix && route.r#match.path_prefix.is_none() {
            c.err(
                &r("strip_prefix"),
                "strip_prefix needs `match.path_prefix` (the prefix to strip)",
            );
        }
        if route.timeout.is_some_and(|t| t.is_zero()) {
            c.err(&r("timeout"), "timeout must be more than 0");
        }
        if let Some(rule) = &route.client_cert {
            if (rule.required || !rule.san.is_empty()) && !mutual_tls {
                c.err(&r("client_cert"), "this route requires a client certificate but no listener asks for one: set `client_auth: optional` or `required` on a TLS listener");
            }
            for (j, san) in rule.san.iter().enumerate() {
                if let Err(why) = check_san(san) {
                    c.err(
                        &[K("routes"), I(at), K("client_cert"), K("san"), I(j)],
                        format!("SAN `{san}` {why}"),
                    );
                }
            }
        }
        header_edits(
            &route.request_headers,
            &[K("routes"), I(at), K("request_headers")],
            c,
        );
        header_edits(
            &route.response_headers,
            &[K("routes"), I(at), K("response_headers")],
            c,
        );
        cors(route, at, c);
        ip_overlap(route, at, c);

        // An empty match is a fallback: the most specific route wins, so it never
        // shadows another route. Two routes with the same match would, so refuse that.
        let m = &route.r#match;
        let line = c.line(&r("name"));
        if let Some((_, other, other_line)) = matches.iter().find(|(om, _, _)| same_requests(om, m))
        {
            c.err(&r("match"), format!("route `{}` matches exactly the same requests as route `{other}` (line {other_line}), so one of them could never be chosen", route.name));
        }
        matches.push((m.clone(), route.name.clone(), line));
    }
    for name in config.upstreams.keys() {
        if !config.routes.iter().any(|r| &r.upstream == name) {
            c.warn(
                &[K("upstreams"), K(name.as_str())],
                format!("upstream `{name}` is not used by any route"),
            );
        }
    }
}

fn same_requests(a: &RouteMatch, b: &RouteMatch) -> bool {
    let methods = |m: &RouteMatch| {
        let mut v = m.methods.clone();
        v.sort();
        v.dedup();
        v
    };
    let headers = |m: &RouteMatch| -> BTreeMap<String, String> {
        m.headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect()
    };
    a.host == b.host
        && a.path == b.path
        && a.path_prefix.as_deref().map(|p| p.trim_end_matches('/'))
            == b.path_prefix.as_deref().map(|p| p.trim_end_matches('/'))
        && methods(a) == methods(b)
        && headers(a) == headers(b)
}

fn route_match(route: &mut Route, at: usize, c: &mut Checker<'_>) {
    let m = |k: &'static str| [K("routes"), I(at), K("match"), K(k)];
    let rm = &mut route.r#match;
    // `*` is the same as no host; normalizing it keeps duplicate detection exact.
    if rm.host.as_deref() == Some("*") {
        rm.host = None;
    }
    if let Some(host) = &mut rm.host {
        *host = host.to_ascii_lowercase();
        let bare = host.strip_prefix("*.").unwrap_or(host);
        if host.contains(':') {
            c.err(
                &m("host"),
                format!("host `{host}` must not carry a port (routes match the host name only)"),
            );
        } else if !valid_dns_name(bare) {
            c.err(
                &m("host"),
                format!(
                    "host `{host}` is not a host name: write `api.example.com` or `*.example.com`"
                ),
            );
        }
    }
    for (key, value) in [("path_prefix", &rm.path_prefix), ("path", &rm.path)] {
        if let Some(p) = value
            && let Err(why) = check_path(p)
        {
            c.err(&m(key), format!("{key} `{p}` {why}"));
        }
    }
    if rm.path.is_some() && rm.path_prefix.is_some() {
        c.err(
            &m("path"),
            "set either `path` (exact) or `path_prefix`, not both",
        );
    }
    for (j, method) in rm.methods.iter().enumerate() {
        let at = [K("routes"), I(at), K("match"), K("methods"), I(j)];
        let upper = method.to_ascii_uppercase();
        if http::Method::from_bytes(method.as_bytes()).is_err() {
            c.err(&at, format!("`{method}` is not an HTTP method"));
        } else if upper != *method && STANDARD_METHODS.contains(&upper.as_str()) {
            c.err(
                &at,
                format!("methods are case-sensitive: write `{upper}`, not `{method}`"),
            );
        }
    }
    for (name, value) in &rm.headers {
        let at = [
            K("routes"),
            I(at),
            K("match"),
            K("headers"),
            K(name.as_str()),
        ];
        header_name(name, &at, c);
        if http::HeaderValue::from_str(value).is_err() {
            c.err(&at, format!("`{value}` is not a valid header value"));
        }
    }
}

const STANDARD_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

fn header_name(name: &str, at: &[Seg<'_>], c: &mut Checker<'_>) -> bool {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        c.err(at, format!("`{name}` is not a valid header name"));
        return false;
    }
    true
}

fn header_edits(edits: &HeaderEdits, at: &[Seg<'_>], c: &mut Checker<'_>) {
    for (name, value) in &edits.add {
        let mut p = at.to_vec();
        p.extend([K("add"), K(name.as_str())]);
        if header_name(name, &p, c) {
            managed(name, &p, c);
        }
        if http::HeaderValue::from_str(value).is_err() {
            c.err(&p, format!("`{value}` is not a valid header value"));
        }
    }
    for (j, name) in edits.remove.iter().enumerate() {
        let mut p = at.to_vec();
        p.extend([K("remove"), I(j)]);
        if header_name(name, &p, c) {
            managed(name, &p, c);
        }
    }
}

fn managed(name: &str, at: &[Seg<'_>], c: &mut Checker<'_>) {
    if MANAGED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        c.err(
            at,
            format!("`{name}` is managed by the gateway (message framing); routes cannot edit it"),
        );
    }
}

fn cors(route: &Route, at: usize, c: &mut Checker<'_>) {
    let Some(cors) = &route.cors else { return };
    let p = |k: &'static str| [K("routes"), I(at), K("cors"), K(k)];
    if cors.origins.is_empty() {
        c.err(
            &p("origins"),
            "cors.origins is empty: list the allowed origins (e.g. https://app.example.com) or `*`",
        );
    }
    for (j, origin) in cors.origins.iter().enumerate() {
        let at = [K("routes"), I(at), K("cors"), K("origins"), I(j)];
        if origin == "*" {
            if cors.credentials {
                c.err(&at, "cors origin `*` with `credentials: true` is refused (browsers refuse it too): list the origins");
            }
        } else if let Err(why) = check_origin(origin) {
            c.err(&at, format!("`{origin}` is not an origin: {why}"));
        }
    }
    for (j, method) in cors.methods.iter().enumerate() {
        if http::Method::from_bytes(method.as_bytes()).is_err() {
            c.err(
                &[K("routes"), I(at), K("cors"), K("methods"), I(j)],
                format!("`{method}` is not an HTTP method"),
            );
        }
    }
    for key in ["headers", "expose_headers"] {
        let list = if key == "headers" {
            &cors.headers
        } else {
            &cors.expose_headers
        };
        for (j, name) in list.iter().enumerate() {
            if name != "*" {
                header_name(name, &[K("routes"), I(at), K("cors"), K(key), I(j)], c);
            }
        }
    }
}

/// A route path as requests are matched: after normalization, so it must itself
/// be normalized or it could never match.
fn check_path(p: &str) -> Result<(), String> {
    if !p.starts_with('/') {
        return Err("must start with `/`".to_string());
    }
    if p.contains(['?', '#']) {
        return Err("must not contain `?` or `#` (routes match the path only)".to_string());
    }
    if p.contains('%') {
        return Err(
            "must not be percent-encoded (requests are matched after decoding)".to_string(),
        );
    }
    let body = p.trim_end_matches('/');
    if p.contains("//") || body.split('/').skip(1).any(|seg| seg == "." || seg == "..") {
        return Err("is not normalized (no `//`, `.` or `..` segments): requests are matched after normalization, so it would never match".to_string());
    }
    Ok(())
}

/// A SAN pattern as `tls::ClientCert::has_san` reads it: a kind (`DNS`, `URI`,
/// `email`, `IP`, any case) and a value; IPs must be addresses.
fn check_san(san: &str) -> Result<(), String> {
    let Some((kind, value)) = san.split_once(':') else {
        return Err(
            "must start with DNS:, URI:, email: or IP: (e.g. `URI:spiffe://example.org/billing`)"
                .to_string(),
        );
    };
    let Some(kind) = ["DNS", "URI", "email", "IP"]
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(kind))
    else {
        return Err(
            "must start with DNS:, URI:, email: or IP: (e.g. `URI:spiffe://example.org/billing`)"
                .to_string(),
        );
    };
    if value.is_empty() {
        return Err("has nothing after the kind".to_string());
    }
    if kind == "IP" && value.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("has `{value}`, which is not an IP address"));
    }
    Ok(())
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing after.
fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or("write scheme://host[:port], e.g. https://app.example.com")?;
    if rest.contains('/') {
        return Err("an origin has no path (not even a trailing `/`)".to_string());
    }
    let host = match rest.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') && h.contains(':') => {
            return Err(format!("bad host `{h}:{port}`"));
        }
        Some((h, port)) => {
            if port.parse::<u16>().is_err() {
                return Err(format!("bad port `{port}`"));
            }
            h
        }
        None => rest,
    };
    let is_ip6 = host.starts_with('[') && host.ends_with(']');
    if !is_ip6 && !valid_dns_name(host) {
        return Err(format!("bad host `{host}`"));
    }
    Ok(())
}

fn ip_overlap(route: &Route, at: usize, c: &mut Checker<'_>) {
    for (j, net) in route.ip.allow.iter().enumerate() {
        if route.ip.deny.contains(net) {
            c.warn(
                &[K("routes"), I(at), K("ip"), K("allow"), I(j)],
                format!("{net} is both allowed and denied; deny wins"),
            );
        }
    }
}

//! The route table: routes compiled once from the config (typed header names,
//! parsed methods, host and path matchers) and sorted so the first match is the
//! most specific: exact host > wildcard (longer suffix first) > any host; exact path
//! > longer prefix > any path; more conditions win ties; then config order.
use std::{cmp::Reverse, sync::Arc};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use ipnet::IpNet;

use super::{runtime::BuildError, upstream::Pool};
use crate::config::{self, Route};

/// How a route matches the request host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMatch {
    /// Any host.
    Any,
    /// Exactly this (lowercase) host.
    Exact(String),
    /// Any host ending with this suffix (`.example.com`), at least one label before.
    Suffix(String),
}

/// How a route matches the (normalized) path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    /// Any path.
    Any,
    /// Exactly this path.
    Exact(String),
    /// This prefix on a segment boundary (`/api` takes `/api` and `/api/x`, not `/apix`).
    Prefix(String),
}

/// Compiled allow/deny lists: deny wins; a non-empty allow list refuses the rest.
#[derive(Debug, Clone, Default)]
pub struct IpAcl {
    /// Networks let in (all when empty).
    pub allow: Vec<IpNet>,
    /// Networks refused.
    pub deny: Vec<IpNet>,
}

impl IpAcl {
    /// Compiles the config lists.
    pub fn new(rules: &config::IpRules) -> Self {
        Self {
            allow: rules.allow.clone(),
            deny: rules.deny.clone(),
        }
    }

    /// Whether the lists are empty (nothing to check).
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Whether `ip` is let in.
    pub fn permits(&self, ip: std::net::IpAddr) -> bool {
        let ip = canonical(ip);
        if self.deny.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|n| n.contains(&ip))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) compared as IPv4.
pub fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}

/// Header additions and removals, with names and values parsed once.
#[derive(Debug, Clone, Default)]
pub struct HeaderOps {
    /// Headers set (replacing).
    pub add: Vec<(HeaderName, HeaderValue)>,
    /// Headers removed.
    pub remove: Vec<HeaderName>,
}

impl HeaderOps {
    fn compile(route: &str, what: &str, edits: &config::HeaderEdits) -> Result<Self, BuildError> {
        let bad = |h: &str| BuildError::Route {
            route: route.to_string(),
            why: format!("{what}: `{h}` is not a valid header"),
        };
        let mut add = Vec::new();
        for (k, v) in &edits.add {
            let name = HeaderName::try_from(k.as_str()).map_err(|_| bad(k))?;
            let value = HeaderValue::try_from(v.as_str()).map_err(|_| bad(k))?;
            add.push((name, value));
        }
        let mut remove = Vec::new();
        for k in &edits.remove {
            remove.push(HeaderName::try_from(k.as_str()).map_err(|_| bad(k))?);
        }
        Ok(Self { add, remove })
    }

    /// Applies removals then additions.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for name in &self.remove {
            headers.remove(name);
        }
        for (name, value) in &self.add {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// A route ready to match and serve.
#[derive(Debug)]
pub struct CompiledRoute {
    /// Route name (logs, metrics).
    pub name: String,
    /// Host condition.
    pub host: HostMatch,
    /// Path condition.
    pub path: PathMatch,
    /// Allowed methods (any when empty).
    pub methods: Vec<Method>,
    /// Headers that must be present with exactly these values.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Upstream pool requests go to.
    pub upstream: Arc<Pool>,
    /// Remove the matched prefix before forwarding.
    pub strip_prefix: bool,
    /// Client certificate requirement.
    pub client_cert: Option<config::ClientCertRule>,
    /// Route IP lists.
    pub ip: IpAcl,
    /// Edits of the request sent upstream.
    pub request_headers: HeaderOps,
    /// Edits of the response sent to the client.
    pub response_headers: HeaderOps,
    /// CORS policy.
    pub cors: Option<config::Cors>,
    /// Replace upstream 5xx bodies with a generic error.
    pub sanitize_errors: bool,
    /// Response timeout overriding the upstream's.
    pub timeout: Option<std::time::Duration>,
    /// Whether WebSocket handshakes are forwarded and tunnelled.
    pub websocket: bool,
    /// Request validation (schemas compiled when the config loaded).
    pub validator: Option<Arc<crate::validate::Validator>>,
    /// Position in the config (last tie-breaker).
    pub index: usize,
}

impl CompiledRoute {
    /// Compiles one route, resolving its upstream in `pools`.
    pub fn compile(
        index: usize,
        route: &Route,
        pools: &std::collections::BTreeMap<String, Arc<Pool>>,
    ) -> Result<Self, BuildError> {
        let err = |why: String| BuildError::Route {
            route: route.name.clone(),
            why,
        };
        let m = &route.r#match;
        let host = match m.host.as_deref().map(str::to_ascii_lowercase) {
            None => HostMatch::Any,
            Some(h) if h == "*" => HostMatch::Any,
            Some(h) => match h.strip_prefix('*') {
                Some(suffix) if suffix.starts_with('.') => HostMatch::Suffix(suffix.to_string()),
                Some(_) => {
                    return Err(err(format!(
                        "host `{h}`: wildcards must look like *.example.com"
                    )));
                }
                None => HostMatch::Exact(h),
            },
        };
        let path = match (&m.path, &m.path_prefix) {
            (Some(_), Some(_)) => {
                return Err(err("set either `path` or `path_prefix`, not both".into()));
            }
            (Some(p), None) => PathMatch::Exact(normalized(p).map_err(err)?),
            (None, Some(p)) => {
                let p = normalized(p).map_err(err)?;
                let p = p.trim_end_matches('/');
                if p.is_empty() {
                    PathMatch::Any
                } else {
                    PathMatch::Prefix(p.to_string())
                }
            }
            (None, None) => PathMatch::Any,
        };
        let methods = m
            .methods
            .iter()
            .map(|s| {
                Method::from_bytes(s.to_ascii_uppercase().as_bytes())
                    .map_err(|_| err(format!("`{s}` is not an HTTP method")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let headers = m
            .headers
            .iter()
            .map(|(k, v)| {
                Ok((
                    HeaderName::try_from(k.as_str())
                        .map_err(|_| err(format!("`{k}` is not a header name")))?,
                    HeaderValue::try_from(v.as_str())
                        .map_err(|_| err(format!("`{v}` is not a header value")))?,
                ))
            })
            .collect::<Result<Vec<_>, BuildError>>()?;
        let upstream = pools
            .get(&route.upstream)
            .cloned()
            .ok_or_else(|| err(format!("upstream `{}` is not defined", route.upstream)))?;
        Ok(Self {
            name: route.name.clone(),
            host,
            path,
            methods,
            headers,
            upstream,
            strip_prefix: route.strip_prefix,
            client_cert: route.client_cert.clone(),
            ip: IpAcl::new(&route.ip),
            request_headers: HeaderOps::compile(
                &route.name,
                "request_headers",
                &route.request_headers,
            )?,
            response_headers: HeaderOps::compile(
                &route.name,
                "response_headers",
                &route.response_headers,
            )?,
            cors: route.cors.clone(),
            sanitize_errors: route.sanitize_errors,
            timeout: route.timeout.map(|d| d.0),
            websocket: route.websocket,
            validator: route.validator.clone(),
            index,
        })
    }

    /// Sort key: larger is more specific.
    fn specificity(&self) -> (u8, usize, u8, usize, usize, Reverse<usize>) {
        let (h, hl) = match &self.host {
            HostMatch::Exact(h) => (2, h.len()),
            HostMatch::Suffix(s) => (1, s.len()),
            HostMatch::Any => (0, 0),
        };
        let (p, pl) = match &self.path {
            PathMatch::Exact(p) => (2, p.len()),
            PathMatch::Prefix(p) => (1, p.len()),
            PathMatch::Any => (0, 0),
        };
        let conditions = usize::from(!self.methods.is_empty()) + self.headers.len();
        (h, hl, p, pl, conditions, Reverse(self.index))
    }

    /// Whether this route takes the request.
    pub fn matches(
        &self,
        host: Option<&str>,
        path: &str,
        method: &Method,
        headers: &HeaderMap,
    ) -> bool {
        let host_ok = match &self.host {
            HostMatch::Any => true,
            HostMatch::Exact(h) => host == Some(h.as_str()),
            HostMatch::Suffix(s) => {
                host.is_some_and(|h| h.len() > s.len() && h.ends_with(s.as_str()))
            }
        };
        host_ok
            && self.path_matches(path)
            && (self.methods.is_empty() || self.methods.contains(method))
            && self
                .headers
                .iter()
                .all(|(k, v)| headers.get_all(k).iter().any(|have| have == v))
    }

    fn path_matches(&self, path: &str) -> bool {
        match &self.path {
            PathMatch::Any => true,
            PathMatch::Exact(p) => path == p,
            PathMatch::Prefix(p) => {
                path.starts_with(p.as_str())
                    && matches!(path.as_bytes().get(p.len()), None | Some(b'/'))
            }
        }
    }

    /// The path sent upstream: the prefix removed when `strip_prefix` is set.
    pub fn upstream_path<'a>(&self, path: &'a str) -> &'a str {
        match (&self.path, self.strip_prefix) {
            (PathMatch::Prefix(p), true) => match &path[p.len().min(path.len())..] {
                "" => "/",
                rest => rest,
            },
            _ => path,
        }
    }
}

fn normalized(p: &str) -> Result<String, String> {
    super::path::normalize(p).map_err(|e| format!("path `{p}`: {e}"))
}

/// All routes, most specific first.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Arc<CompiledRoute>>,
}

impl RouteTable {
    /// Sorts compiled routes by specificity.
    pub fn new(mut routes: Vec<CompiledRoute>) -> Self {
        routes.sort_by_key(|r| Reverse(r.specificity()));
        Self {
            routes: routes.into_iter().map(Arc::new).collect(),
        }
    }

    /// The most specific route taking the request.
    pub fn find(
        &self,
        host: Option<&str>,
        path: &str,
        method: &Method,
        headers: &HeaderMap,
    ) -> Option<&Arc<CompiledRoute>> {
        self.routes
            .iter()
            .find(|r| r.matches(host, path, method, headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::upstream::Pool;

    fn route(name: &str, yaml_match: &str) -> Route {
        let text = format!("name: {name}\nupstream: u\nmatch: {yaml_match}\n");
        serde_yaml_ng::from_str(&text).unwrap()
    }

    fn table(routes: &[Route]) -> RouteTable {
        let mut pools = std::collections::BTreeMap::new();
        pools.insert("u".to_string(), Arc::new(Pool::for_tests("u")));
        RouteTable::new(
            routes
                .iter()
                .enumerate()
                .map(|(i, r)| CompiledRoute::compile(i, r, &pools).unwrap())
                .collect(),
        )
    }

    fn pick<'a>(t: &'a RouteTable, host: &str, path: &str) -> Option<&'a str> {
        t.find(Some(host), path, &Method::GET, &HeaderMap::new())
            .map(|r| r.name.as_str())
    }

    #[test]
    fn prefix_matches_whole_segments_only() {
        let t = table(&[route("api", "{path_prefix: /api}")]);
        assert_eq!(pick(&t, "x", "/api"), Some("api"));
        assert_eq!(pick(&t, "x", "/api/x"), Some("api"));
        assert_eq!(pick(&t, "x", "/apix"), None);
    }

    #[test]
    fn exact_host_beats_wildcard_which_beats_any_host() {
        let t = table(&[
            route("any", "{path_prefix: /}"),
            route("wild", "{host: '*.example.com'}"),
            route("exact", "{host: api.example.com}"),
        ]);
        assert_eq!(pick(&t, "api.example.com", "/"), Some("exact"));
        assert_eq!(pick(&t, "www.example.com", "/"), Some("wild"));
        assert_eq!(pick(&t, "example.com", "/"), Some("any"));
    }

    #[test]
    fn exact_path_beats_longer_prefix_which_beats_shorter_prefix() {
        let t = table(&[
            route("short", "{path_prefix: /a}"),
            route("long", "{path_prefix: /a/b}"),
            route("exact", "{path: /a/b/c}"),
        ]);
        assert_eq!(pick(&t, "h", "/a/b/c"), Some("exact"));
        assert_eq!(pick(&t, "h", "/a/b/d"), Some("long"));
        assert_eq!(pick(&t, "h", "/a/x"), Some("short"));
    }

    #[test]
    fn more_conditions_win_ties_then_config_order() {
        let t = table(&[
            route("first", "{path_prefix: /a}"),
            route("second", "{path_prefix: /a}"),
            route("get", "{path_prefix: /a, methods: [GET]}"),
        ]);
        assert_eq!(pick(&t, "h", "/a"), Some("get"));
        let post = t
            .find(Some("h"), "/a", &Method::POST, &HeaderMap::new())
            .unwrap();
        assert_eq!(post.name, "first");
    }

    #[test]
    fn strip_prefix_keeps_a_leading_slash() {
        let mut r = route("api", "{path_prefix: /api}");
        r.strip_prefix = true;
        let t = table(&[r]);
        let found = t
            .find(Some("h"), "/api", &Method::GET, &HeaderMap::new())
            .unwrap();
        assert_eq!(found.upstream_path("/api"), "/");
        assert_eq!(found.upstream_path("/api/v1"), "/v1");
    }
}

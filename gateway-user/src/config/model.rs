//! The configuration model: plain data, deserialized from YAML with every default
//! filled in. Nothing here does I/O; `load.rs` reads, `validate.rs` checks meaning.
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, sync::Arc};

use ipnet::IpNet;
use serde::Deserialize;

pub use crate::validate::ValidateConfig;
use crate::validate::Validator;

use super::{
    defaults,
    units::{ByteSize, Duration},
};

/// The whole gateway configuration, validated and immutable once loaded. Cloning
/// copies everything: share one as `Arc<Config>` (the runtime snapshot holds it).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Sockets the proxy accepts client connections on.
    #[serde(default)]
    pub listeners: Vec<Listener>,
    /// The admin listener (`/metrics`, `/healthz`, `/readyz`, admin API); none when absent.
    #[serde(default)]
    pub admin: Option<Admin>,
    /// Named pools of upstream servers.
    #[serde(default)]
    pub upstreams: BTreeMap<String, Upstream>,
    /// Routes from requests to upstreams; the most specific match wins.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Request hygiene limits: sizes, timeouts, connection counts.
    #[serde(default)]
    pub limits: Limits,
    /// How the client IP is found (trusted proxies for `X-Forwarded-For`).
    #[serde(default)]
    pub client_ip: ClientIp,
    /// Global IP allow/deny lists (answered with 403).
    #[serde(default)]
    pub ip: IpRules,
    /// Security headers added to every response.
    #[serde(default)]
    pub security_headers: SecurityHeaders,
    /// The JSON access log.
    #[serde(default)]
    pub access_log: AccessLogConfig,
    /// Plans (tiers) of rates and quotas that consumers and route limits refer to.
    #[serde(default)]
    pub plans: crate::limit::PlansConfig,
    /// Where rate limit counters live (`local` or `redis`) and what to do when Redis fails.
    #[serde(default)]
    pub rate_limit: crate::limit::RateLimitConfig,
    /// Authentication: JWT providers, API key locations, external authorizers.
    #[serde(default)]
    pub auth: crate::auth::AuthConfig,
    /// Consumers: who calls, with which credentials, groups and plan.
    #[serde(default)]
    pub consumers: Vec<crate::auth::Consumer>,
    /// The WAF (`waf:`); absent means off unless a route turns it on.
    #[serde(default)]
    pub waf: Option<crate::waf::WafConfig>,
    /// The XDP filter the gateway attaches when it runs (`edge:`).
    #[serde(default)]
    pub edge: Option<crate::bans::EdgeSection>,
    /// Offense scoring and automatic bans (`bans:`); off when absent.
    #[serde(default)]
    pub bans: Option<crate::bans::BansConfig>,
    /// Bans shared over Redis (`cluster:`).
    #[serde(default)]
    pub cluster: Option<crate::bans::ClusterConfig>,
    /// sha256 (hex) of the file bytes this configuration was read from.
    #[serde(skip)]
    pub digest: String,
}

/// A socket the proxy accepts client connections on.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// Unique name, used in logs and metrics.
    pub name: String,
    /// Address and port to bind, e.g. `0.0.0.0:8443` or `[::]:8443`.
    pub bind: SocketAddr,
    /// TLS settings; plain HTTP when absent.
    #[serde(default)]
    pub tls: Option<ListenerTls>,
}

/// TLS (and optionally mutual TLS) settings of a listener.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerTls {
    /// PEM certificate chain served by default.
    pub cert: PathBuf,
    /// PEM private key of `cert`.
    pub key: PathBuf,
    /// Extra certificates, chosen by the SNI name the client asks for.
    #[serde(default)]
    pub sni: Vec<CertPair>,
    /// PEM bundle of CAs that sign client certificates (mutual TLS).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Whether clients must present a certificate.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// PEM file of certificate revocation lists (`-----BEGIN X509 CRL-----`) from the
    /// client CAs; a revoked client certificate fails the handshake.
    #[serde(default)]
    pub client_crl: Option<PathBuf>,
}

/// A certificate chain and its private key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertPair {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Client certificate policy of a TLS listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// No client certificate is asked for.
    #[default]
    None,
    /// A certificate is asked for and verified when sent; routes may require it.
    Optional,
    /// The handshake fails without a verified client certificate.
    Required,
}

/// The admin listener.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    /// Address to bind; loopback only unless `tls.client_auth` is `required`.
    pub bind: SocketAddr,
    /// TLS (mutual TLS to expose it beyond loopback).
    #[serde(default)]
    pub tls: Option<ListenerTls>,
}

/// A pool of upstream servers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Servers of the pool (`host:port`, or `{ addr, weight }`).
    pub targets: Vec<Target>,
    /// Load-balancing algorithm.
    #[serde(default)]
    pub balance: Balance,
    /// Active HTTP health checks; none when absent.
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
    /// Passive health: eject a target after consecutive failures.
    #[serde(default)]
    pub passive: PassiveHealth,
    /// Time allowed to open a connection to a target.
    #[serde(default = "defaults::connect_timeout")]
    pub connect_timeout: Duration,
    /// Time allowed for the response headers after the request was sent.
    #[serde(default = "defaults::response_timeout")]
    pub response_timeout: Duration,
    /// HTTP version spoken to the targets.
    #[serde(default)]
    pub protocol: UpstreamProtocol,
    /// Keep-alive connection pool.
    #[serde(default)]
    pub keepalive: KeepAlive,
}

/// One server of an upstream pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `host:port` (IP literal or DNS name).
    pub addr: String,
    /// Relative weight for round robin (default 1).
    pub weight: u32,
}

/// Load-balancing algorithm of an upstream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    /// Weighted round robin.
    #[default]
    RoundRobin,
    /// The target with the fewest requests in flight.
    LeastConn,
    /// A hash of the client IP (sticky).
    IpHash,
}

/// Active health check of an upstream's targets.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// Path requested with GET; a 2xx or 3xx answer is healthy.
    #[serde(default = "defaults::health_path")]
    pub path: String,
    /// Time between two checks of a target.
    #[serde(default = "defaults::health_interval")]
    pub interval: Duration,
    /// Time allowed for one check.
    #[serde(default = "defaults::health_timeout")]
    pub timeout: Duration,
    /// Consecutive successes that bring a target back.
    #[serde(default = "defaults::healthy_threshold")]
    pub healthy_threshold: u32,
    /// Consecutive failures that take a target out.
    #[serde(default = "defaults::unhealthy_threshold")]
    pub unhealthy_threshold: u32,
}

/// Passive health: ejection after consecutive failed requests.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveHealth {
    /// Consecutive failures (connect errors, timeouts, 502/503/504) before ejection; 0 = never.
    #[serde(default = "defaults::max_failures")]
    pub max_failures: u32,
    /// How long an ejected target is left out.
    #[serde(default = "defaults::ejection")]
    pub ejection: Duration,
}

/// HTTP version spoken to upstream targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamProtocol {
    /// HTTP/1.1.
    #[default]
    Http1,
    /// HTTP/2 with prior knowledge (h2c).
    H2,
}

/// Keep-alive connection pool to the targets of an upstream.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepAlive {
    /// Idle connections kept per target.
    #[serde(default = "defaults::max_idle_per_target")]
    pub max_idle_per_target: usize,
    /// How long an idle connection is kept.
    #[serde(default = "defaults::keepalive_idle")]
    pub idle_timeout: Duration,
}

/// A route: which requests go to which upstream, and what happens on the way.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Unique name, used in logs and metrics.
    pub name: String,
    /// Which requests this route takes; the most specific match wins.
    #[serde(rename = "match", default)]
    pub r#match: RouteMatch,
    /// Name of the upstream requests are sent to.
    pub upstream: String,
    /// Remove the matched `path_prefix` before forwarding.
    #[serde(default)]
    pub strip_prefix: bool,
    /// Client certificate requirement (mutual TLS listeners).
    #[serde(default)]
    pub client_cert: Option<ClientCertRule>,
    /// IP allow/deny lists of this route (after the global ones).
    #[serde(default)]
    pub ip: IpRules,
    /// Headers added to / removed from the request sent upstream.
    #[serde(default)]
    pub request_headers: HeaderEdits,
    /// Headers added to / removed from the response sent to the client.
    #[serde(default)]
    pub response_headers: HeaderEdits,
    /// CORS policy; preflight requests are answered by the gateway.
    #[serde(default)]
    pub cors: Option<Cors>,
    /// Replace upstream 5xx bodies with a generic JSON error.
    #[serde(default = "defaults::yes")]
    pub sanitize_errors: bool,
    /// Response timeout of this route (overrides the upstream's).
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Forward WebSocket handshakes (`Upgrade: websocket`) and tunnel the upgraded
    /// connection; when false the `Upgrade` header is stripped like any hop-by-hop header.
    #[serde(default = "defaults::yes")]
    pub websocket: bool,
    /// Rate limits and quotas of this route (`[{ by: consumer }, { by: ip, rate: 100/s }]`).
    #[serde(default)]
    pub rate_limit: Vec<crate::limit::RouteLimitConfig>,
    /// Who may call this route; open to all when absent.
    #[serde(default)]
    pub auth: Option<crate::auth::RouteAuth>,
    /// Request validation: JSON Schemas for body and query, content types, JSON limits.
    #[serde(default)]
    pub validate: Option<ValidateConfig>,
    /// WAF overrides and exclusions for this route.
    #[serde(default)]
    pub waf: Option<crate::waf::RouteWafConfig>,
    /// `validate` compiled at load (schemas read once); set by the config checks.
    #[serde(skip)]
    pub validator: Option<Arc<Validator>>,
}

/// The request properties a route matches on; empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteMatch {
    /// Host, exact (`api.example.com`) or wildcard (`*.example.com`).
    #[serde(default)]
    pub host: Option<String>,
    /// Path prefix, matched on whole segments (`/api` matches `/api/x`, not `/apix`).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Exact path.
    #[serde(default)]
    pub path: Option<String>,
    /// Allowed methods; any when empty.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Headers that must be present with exactly this value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A route's client certificate requirement.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCertRule {
    /// A verified client certificate is required (default true).
    #[serde(default = "defaults::yes")]
    pub required: bool,
    /// The certificate must carry one of these SANs (`DNS:x`, `URI:spiffe://…`, `email:…`, `IP:…`).
    #[serde(default)]
    pub san: Vec<String>,
}

/// IP allow and deny lists (CIDRs); deny wins, and a non-empty allow list refuses the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpRules {
    /// Only these networks are let in (all when empty).
    #[serde(default, deserialize_with = "nets")]
    pub allow: Vec<IpNet>,
    /// These networks are refused.
    #[serde(default, deserialize_with = "nets")]
    pub deny: Vec<IpNet>,
}

/// Header additions and removals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderEdits {
    /// Headers set (replacing any value already there).
    #[serde(default)]
    pub add: BTreeMap<String, String>,
    /// Headers removed.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A route's CORS policy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// Allowed origins (`https://app.example.com`, or `*`).
    #[serde(default)]
    pub origins: Vec<String>,
    /// Allowed methods for preflight.
    #[serde(default = "defaults::cors_methods")]
    pub methods: Vec<String>,
    /// Allowed request headers for preflight.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Response headers exposed to scripts.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// Allow credentials (cookies, client certificates); refused with origin `*`.
    #[serde(default)]
    pub credentials: bool,
    /// How long browsers cache a preflight answer.
    #[serde(default = "defaults::cors_max_age")]
    pub max_age: Duration,
}

/// Request hygiene limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest request body (413 above, enforced while streaming).
    #[serde(default = "defaults::max_body")]
    pub max_body: ByteSize,
    /// Largest request head (431 above).
    #[serde(default = "defaults::max_header_bytes")]
    pub max_header_bytes: ByteSize,
    /// Time allowed to receive the request head (slowloris).
    #[serde(default = "defaults::header_timeout")]
    pub header_timeout: Duration,
    /// Time an idle keep-alive client connection is kept.
    #[serde(default = "defaults::idle_timeout")]
    pub idle_timeout: Duration,
    /// Total concurrent client connections.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Concurrent client connections per client IP; 0 = unlimited.
    #[serde(default = "defaults::max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// On SIGTERM, how long in-flight requests may take to finish.
    #[serde(default = "defaults::drain_timeout")]
    pub drain_timeout: Duration,
}

/// How the client IP is found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIp {
    /// Peers whose `X-Forwarded-For` is believed.
    #[serde(default, deserialize_with = "nets")]
    pub trusted_proxies: Vec<IpNet>,
}

/// Security headers added to responses.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityHeaders {
    /// Add them at all.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
    /// `Strict-Transport-Security` value (TLS listeners only).
    #[serde(default = "defaults::hsts")]
    pub hsts: String,
    /// `Referrer-Policy` value.
    #[serde(default = "defaults::referrer_policy")]
    pub referrer_policy: String,
    /// `X-Frame-Options` value.
    #[serde(default = "defaults::frame_options")]
    pub frame_options: String,
}

/// The JSON access log.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessLogConfig {
    /// Write one line per request.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
    /// File to append to; standard output when absent.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Long {
            addr: String,
            #[serde(default = "defaults::weight")]
            weight: u32,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Target;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a target: \"host:port\" or { addr: \"host:port\", weight: N }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Target, E> {
                Ok(Target {
                    addr: v.to_string(),
                    weight: defaults::weight(),
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Target, A::Error> {
                let Long { addr, weight } =
                    Long::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Target { addr, weight })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Reads a list of networks: CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or single
/// addresses (`192.0.2.7` = `/32`). Host bits are cleared (`10.1.2.3/8` = `10.0.0.0/8`).
pub(crate) fn nets<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<IpNet>, D::Error> {
    struct Net(IpNet);
    impl<'de> Deserialize<'de> for Net {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            let net = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "`{text}` is not a network: expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, or one address"
                    ))
                })?;
            Ok(Net(net.trunc()))
        }
    }
    Ok(Vec::<Net>::deserialize(deserializer)?
        .into_iter()
        .map(|n| n.0)
        .collect())
}

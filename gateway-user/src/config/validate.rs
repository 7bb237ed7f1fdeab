//! Semantic checks of a deserialized `Config`: what serde cannot see (references
//! between sections, duplicates, files that must exist, values that would make the
//! gateway refuse everything). Every problem is reported, each at its line.
//!
//! Relative file paths are resolved here against the configuration file's
//! directory, so the runtime never depends on the current directory.
use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    path::{Path, PathBuf},
};

use super::{
    auth,
    errors::ConfigError,
    listeners,
    model::{Config, Upstream},
    rate_limits, routes, schemas,
    tree::{Node, Seg},
    waf,
};

pub(crate) use Seg::{Idx as I, Key as K};

/// Collects errors and warnings, locating them through the YAML tree.
pub(crate) struct Checker<'a> {
    pub root: &'a Node,
    pub base: Option<&'a Path>,
    /// Problems that make the file unusable.
    pub errors: Vec<ConfigError>,
    /// Things that work but are probably not what was meant.
    pub warnings: Vec<ConfigError>,
}

impl<'a> Checker<'a> {
    /// A checker over `root`, resolving relative paths against `base`.
    pub fn new(root: &'a Node, base: Option<&'a Path>) -> Self {
        Checker {
            root,
            base,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records an error at `path`.
    pub fn err(&mut self, path: &[Seg<'_>], message: impl Into<String>) {
        let location = Some(self.root.locate(path));
        self.errors.push(ConfigError {
            location,
            message: message.into(),
        });
    }

    /// Records a warning at `path`.
    pub fn warn(&mut self, path: &[Seg<'_>], message: impl Into<String>) {
        let location = Some(self.root.locate(path));
        self.warnings.push(ConfigError {
            location,
            message: message.into(),
        });
    }

    /// The directory relative paths are resolved against (the config file's).
    pub fn base(&self) -> &Path {
        self.base.unwrap_or(Path::new("."))
    }

    /// The line of the node at `path`.
    pub fn line(&self, path: &[Seg<'_>]) -> usize {
        self.root.locate(path).line
    }

    /// Resolves `file` against the config directory and checks it holds PEM of
    /// the expected kind (certificates, or a private key).
    pub fn pem_file(&mut self, path: &[Seg<'_>], file: &mut PathBuf, kind: Pem) {
        if file.is_relative()
            && let Some(base) = self.base
        {
            *file = base.join(&*file);
        }
        if let Err(why) = kind.check(file) {
            self.err(
                path,
                format!("the {} `{}` {why}", kind.name(), file.display()),
            );
        }
    }
}

/// What a PEM file referenced by the configuration must hold.
#[derive(Clone, Copy)]
pub(crate) enum Pem {
    /// One or more certificates (a chain).
    Chain,
    /// One or more CA certificates.
    CaBundle,
    /// One private key (PKCS#8, PKCS#1 or SEC1).
    Key,
    /// One or more certificate revocation lists.
    Crl,
}

impl Pem {
    fn name(self) -> &'static str {
        match self {
            Pem::Chain => "certificate",
            Pem::CaBundle => "client CA bundle",
            Pem::Key => "private key",
            Pem::Crl => "client CRL file",
        }
    }

    /// Reads the file and explains what is wrong with it, if anything.
    fn check(self, file: &Path) -> Result<(), String> {
        use rustls_pki_types::{
            CertificateDer, CertificateRevocationListDer, PrivateKeyDer,
            pem::{Error, PemObject},
        };
        let explain = |e: Error| match e {
            Error::Io(e) => format!("cannot be read: {e}"),
            Error::NoItemsFound => match self {
                Pem::Key => "holds no PEM private key (-----BEGIN PRIVATE KEY-----)".to_string(),
                Pem::Crl => "holds no PEM CRL (-----BEGIN X509 CRL-----)".to_string(),
                _ => "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string(),
            },
            other => format!("is not valid PEM: {other}"),
        };
        match self {
            Pem::Key => PrivateKeyDer::from_pem_file(file)
                .map(drop)
                .map_err(explain),
            Pem::Chain | Pem::CaBundle => {
                let certs = CertificateDer::pem_file_iter(file)
                    .map_err(explain)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(explain)?;
                if certs.is_empty() {
                    Err(explain(Error::NoItemsFound))
                } else {
                    Ok(())
                }
            }
            Pem::Crl => {
                let crls = CertificateRevocationListDer::pem_file_iter(file)
                    .map_err(explain)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(explain)?;
                if crls.is_empty() {
                    Err(explain(Error::NoItemsFound))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Where each deserialized list item sits in the file (items that failed to
/// deserialize are missing from the config but not from the file).
pub(crate) struct Origins {
    pub listeners: Vec<usize>,
    pub routes: Vec<usize>,
    pub consumers: Vec<usize>,
    pub auth_broken: bool,
    pub broken_upstreams: BTreeSet<String>,
}

/// Checks `config`, resolving its relative paths; returns errors and warnings.
pub(crate) fn check(config: &mut Config, origins: &Origins, c: &mut Checker<'_>) {
    listeners::check(config, origins, c);
    upstreams(config, c);
    routes::check(config, origins, c);
    rate_limits::check(config, origins, c);
    auth::check(config, origins, c);
    schemas::check(config, origins, c);
    waf::check(config, origins, c);
    limits(config, c);
    globals(config, c);
}

/// Names used in metrics and logs: letters, digits, `_`, `-`, `.`.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn upstreams(config: &Config, c: &mut Checker<'_>) {
    for (name, up) in &config.upstreams {
        let at = |k: &'static str| [K("upstreams"), K(name.as_str()), K(k)];
        if !valid_name(name) {
            c.err(
                &[K("upstreams"), K(name.as_str())],
                format!("upstream name `{name}` must be letters, digits, `_`, `-` or `.`"),
            );
        }
        if up.targets.is_empty() {
            c.err(
                &at("targets"),
                format!("upstream `{name}` has no targets: list at least one `host:port`"),
            );
        }
        targets(name, up, c);
        if let Some(hc) = &up.health_check {
            let hat = |k: &'static str| [K("upstreams"), K(name.as_str()), K("health_check"), K(k)];
            if !hc.path.starts_with('/') {
                c.err(
                    &hat("path"),
                    format!("health check path `{}` must start with `/`", hc.path),
                );
            }
            if hc.interval.is_zero() {
                c.err(
                    &hat("interval"),
                    "health check interval must be more than 0",
                );
            }
            if hc.timeout.is_zero() {
                c.err(&hat("timeout"), "health check timeout must be more than 0");
            } else if hc.timeout > hc.interval && !hc.interval.is_zero() {
                c.warn(
                    &hat("timeout"),
                    format!(
                        "health check timeout {} is longer than its interval {}",
                        hc.timeout, hc.interval
                    ),
                );
            }
            if hc.healthy_threshold == 0 {
                c.err(
                    &hat("healthy_threshold"),
                    "healthy_threshold must be at least 1",
                );
            }
            if hc.unhealthy_threshold == 0 {
                c.err(
                    &hat("unhealthy_threshold"),
                    "unhealthy_threshold must be at least 1",
                );
            }
        }
        if up.passive.max_failures > 0 && up.passive.ejection.is_zero() {
            c.err(
                &[
                    K("upstreams"),
                    K(name.as_str()),
                    K("passive"),
                    K("ejection"),
                ],
                "ejection must be more than 0 (set max_failures: 0 to turn passive ejection off)",
            );
        }
        if up.connect_timeout.is_zero() {
            c.err(
                &at("connect_timeout"),
                "connect_timeout must be more than 0",
            );
        }
        if up.response_timeout.is_zero() {
            c.err(
                &at("response_timeout"),
                "response_timeout must be more than 0",
            );
        }
    }
}

fn targets(name: &str, up: &Upstream, c: &mut Checker<'_>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, t) in up.targets.iter().enumerate() {
        let at = [K("upstreams"), K(name), K("targets"), I(i)];
        if let Err(why) = check_host_port(&t.addr) {
            c.err(&at, format!("target `{}` {why}", t.addr));
        }
        if t.weight == 0 {
            c.err(&at, format!("target `{}` has weight 0: weights start at 1 (remove the target to stop sending it traffic)", t.addr));
        }
        let line = c.line(&at);
        if let Some(first) = seen.insert(t.addr.as_str(), line) {
            c.err(
                &at,
                format!(
                    "target `{}` is listed twice (first at line {first}); use `weight` instead",
                    t.addr
                ),
            );
        }
    }
}

/// Checks a `host:port` target: an IP literal (IPv6 in brackets) or a DNS name, and a port.
pub(crate) fn check_host_port(addr: &str) -> Result<(), String> {
    if addr.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    if addr.contains("://") {
        return Err("must be `host:port`, without a scheme".to_string());
    }
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Err("has no port: write `host:port`, e.g. 127.0.0.1:9001".to_string());
    };
    if host.contains(':') {
        return Err(
            "looks like an IPv6 address: write it in brackets, e.g. [::1]:9001".to_string(),
        );
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => {}
        _ => return Err(format!("has an invalid port `{port}` (1-65535)")),
    }
    if !valid_dns_name(host) {
        return Err(format!("has an invalid host `{host}`"));
    }
    Ok(())
}

/// A DNS name: dot-separated labels of letters, digits and `-`.
pub(crate) fn valid_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn limits(config: &Config, c: &mut Checker<'_>) {
    let l = &config.limits;
    let at = |k: &'static str| [K("limits"), K(k)];
    if l.max_body.0 == 0 {
        c.err(
            &at("max_body"),
            "max_body 0 would refuse every request with a body; set a size like 10MiB",
        );
    }
    if l.max_header_bytes.0 < 1024 {
        c.err(&at("max_header_bytes"), format!("max_header_bytes {} is too small for real requests: use at least 1KiB (default 16KiB)", l.max_header_bytes));
    }
    if l.header_timeout.is_zero() {
        c.err(
            &at("header_timeout"),
            "header_timeout must be more than 0 (it protects against slowloris)",
        );
    }
    if l.idle_timeout.is_zero() {
        c.err(&at("idle_timeout"), "idle_timeout must be more than 0");
    }
    if l.max_connections == 0 {
        c.err(
            &at("max_connections"),
            "max_connections 0 would refuse every connection",
        );
    }
    if l.max_connections_per_ip > l.max_connections && l.max_connections > 0 {
        c.warn(
            &at("max_connections_per_ip"),
            "max_connections_per_ip is above max_connections, so it never applies",
        );
    }
}

fn globals(config: &mut Config, c: &mut Checker<'_>) {
    for (i, net) in config.client_ip.trusted_proxies.iter().enumerate() {
        if net.prefix_len() == 0 {
            c.warn(
                &[K("client_ip"), K("trusted_proxies"), I(i)],
                format!(
                    "trusting {net} lets every client choose its own IP through X-Forwarded-For"
                ),
            );
        }
    }
    let sh = &config.security_headers;
    for (key, value) in [
        ("hsts", &sh.hsts),
        ("referrer_policy", &sh.referrer_policy),
        ("frame_options", &sh.frame_options),
    ] {
        if http::HeaderValue::from_str(value).is_err() {
            c.err(
                &[K("security_headers"), K(key)],
                format!("`{value}` is not a valid header value"),
            );
        }
    }
    if !sh.frame_options.eq_ignore_ascii_case("DENY")
        && !sh.frame_options.eq_ignore_ascii_case("SAMEORIGIN")
    {
        c.err(
            &[K("security_headers"), K("frame_options")],
            format!(
                "frame_options `{}` must be DENY or SAMEORIGIN (browsers ignore anything else)",
                sh.frame_options
            ),
        );
    }
    if let Some(path) = &mut config.access_log.path {
        if path.is_relative()
            && let Some(base) = c.base
        {
            *path = base.join(&*path);
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            let shown = path.display().to_string();
            c.err(
                &[K("access_log"), K("path")],
                format!("the directory of the access log `{shown}` does not exist"),
            );
        }
    }
}

//! From YAML text to a `Config`: parse into a located tree, refuse sections this
//! version does not implement, then deserialize section by section (and list item by
//! list item) so that one bad route does not hide the errors in the next one.
//!
//! Adding a section (a later issue's `auth`, `waf`, …): add its field to `Config`
//! (or `Route`) in `model.rs`, add its key to `TOP_KEYS` and an arm below (or drop
//! it from `FUTURE_ROUTE_KEYS`), remove it from `FUTURE_TOP_KEYS`, and put its
//! semantic checks in a file of its own called from `validate::check`.
use std::collections::BTreeSet;

use super::{
    de::from_node,
    errors::ConfigError,
    model::{Config, Route},
    suggest::did_you_mean,
    tree::{Kind, Node},
};

/// Top-level keys this version reads.
const TOP_KEYS: &[&str] = &[
    "listeners",
    "admin",
    "upstreams",
    "routes",
    "limits",
    "client_ip",
    "ip",
    "security_headers",
    "access_log",
    "plans",
    "rate_limit",
    "auth",
    "consumers",
    "waf",
    "edge",
    "bans",
    "cluster",
];

/// Top-level sections of later versions: refused, never ignored (ignoring an `auth`
/// section would leave routes open).
const FUTURE_TOP_KEYS: &[&str] = &["validate"];

/// Route keys of later versions, refused for the same reason.
const FUTURE_ROUTE_KEYS: &[&str] = &[];

/// What deserialization produced: the config (possibly partial) and the names of
/// upstreams that exist in the file but failed to read, so that routes naming
/// them are not also reported as pointing at an unknown upstream.
pub(crate) struct Parsed {
    pub config: Config,
    pub broken_upstreams: BTreeSet<String>,
    /// Index in the file of each listener in `config.listeners`.
    pub listener_index: Vec<usize>,
    /// Index in the file of each route in `config.routes`.
    pub route_index: Vec<usize>,
    /// Index in the file of each consumer in `config.consumers`.
    pub consumer_index: Vec<usize>,
    /// The `auth` section failed to read: references to its providers are not checked.
    pub auth_broken: bool,
}

fn not_supported(key: &Node, name: &str) -> ConfigError {
    ConfigError {
        location: Some(key.loc),
        message: format!(
            "`{name}` is not supported by this version yet (refused rather than ignored)"
        ),
    }
}

/// Deserializes the tree into a `Config`, collecting every error.
pub(crate) fn deserialize(root: &Node, errors: &mut Vec<ConfigError>) -> Parsed {
    let mut config = Config::default();
    let mut broken_upstreams = BTreeSet::new();
    let (mut listener_index, mut route_index) = (Vec::new(), Vec::new());
    let mut consumer_index = Vec::new();
    let mut auth_broken = false;
    let entries: &[(Node, Node)] = match &root.kind {
        Kind::Map(entries) => entries,
        _ if root.is_null() => &[],
        _ => {
            errors.push(ConfigError {
                location: Some(root.loc),
                message: format!(
                    "the configuration must be a mapping (`listeners:`, `routes:`, …), not {}",
                    root.describe()
                ),
            });
            return Parsed {
                config,
                broken_upstreams,
                listener_index: vec![],
                route_index: vec![],
                consumer_index: vec![],
                auth_broken: false,
            };
        }
    };
    for (key, value) in entries {
        let Some(name) = key.as_str() else { continue };
        let mut take = |r: Result<(), ConfigError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        match name {
            "listeners" => {
                (config.listeners, listener_index) = each_item(value, errors, |item, _| from_node(item))
            }
            "routes" => (config.routes, route_index) = each_item(value, errors, route),
            "upstreams" => match &value.kind {
                Kind::Map(ups) => {
                    for (k, v) in ups {
                        let Some(up_name) = k.as_str() else { continue };
                        match from_node(v) {
                            Ok(up) => {
                                config.upstreams.insert(up_name.to_string(), up);
                            }
                            Err(e) => {
                                errors.push(e);
                                broken_upstreams.insert(up_name.to_string());
                            }
                        }
                    }
                }
                _ if value.is_null() => {}
                _ => errors.push(ConfigError {
                    location: Some(value.loc),
                    message: format!(
                        "`upstreams` must be a mapping of names to upstreams (`users: {{ targets: [...] }}`), not {}",
                        value.describe()
                    ),
                }),
            },
            "admin" => take(from_node(value).map(|v| config.admin = v)),
            "limits" => take(from_node(value).map(|v| config.limits = v)),
            "client_ip" => take(from_node(value).map(|v| config.client_ip = v)),
            "ip" => take(from_node(value).map(|v| config.ip = v)),
            "security_headers" => take(from_node(value).map(|v| config.security_headers = v)),
            "access_log" => take(from_node(value).map(|v| config.access_log = v)),
            // Plan by plan, so one bad plan does not hide the others.
            "plans" => match &value.kind {
                Kind::Map(plans) => {
                    for (k, v) in plans {
                        let Some(plan) = k.as_str() else { continue };
                        match from_node(v) {
                            Ok(p) => {
                                config.plans.insert(plan.to_string(), p);
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                }
                _ if value.is_null() => {}
                _ => errors.push(ConfigError {
                    location: Some(value.loc),
                    message: format!(
                        "`plans` must be a mapping of names to plans (`free: {{ rate: 2/s, quota: 1000/day }}`), not {}",
                        value.describe()
                    ),
                }),
            },
            "rate_limit" => take(from_node(value).map(|v| config.rate_limit = v)),
            "auth" => match from_node(value) {
                Ok(v) => config.auth = v,
                Err(e) => {
                    errors.push(e);
                    auth_broken = true;
                }
            },
            "consumers" => {
                (config.consumers, consumer_index) = each_item(value, errors, |item, _| from_node(item))
            }
            "waf" => take(from_node(value).map(|v| config.waf = Some(v))),
            "edge" => take(from_node(value).map(|v| config.edge = Some(v))),
            "bans" => take(from_node::<crate::bans::BansConfig>(value).and_then(|v| {
                match crate::bans::config::check(&v).into_iter().next() {
                    Some(message) => Err(ConfigError {
                        location: Some(value.loc),
                        message,
                    }),
                    None => {
                        config.bans = Some(v);
                        Ok(())
                    }
                }
            })),
            "cluster" => take(from_node(value).map(|v| config.cluster = Some(v))),
            _ if FUTURE_TOP_KEYS.contains(&name) => errors.push(not_supported(key, name)),
            _ => errors.push(ConfigError {
                location: Some(key.loc),
                message: match did_you_mean(name, TOP_KEYS) {
                    Some(s) => format!("unknown section `{name}`, did you mean `{s}`?"),
                    None => format!("unknown section `{name}`; the sections are: {}", TOP_KEYS.join(", ")),
                },
            }),
        }
    }
    Parsed {
        config,
        broken_upstreams,
        listener_index,
        route_index,
        consumer_index,
        auth_broken,
    }
}

/// Deserializes each item of a list on its own, keeping the good ones with their
/// index in the file.
fn each_item<T>(
    value: &Node,
    errors: &mut Vec<ConfigError>,
    mut read: impl FnMut(&Node, &mut Vec<ConfigError>) -> Result<T, ConfigError>,
) -> (Vec<T>, Vec<usize>) {
    match &value.kind {
        Kind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut index = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match read(item, errors) {
                    Ok(v) => {
                        out.push(v);
                        index.push(i);
                    }
                    Err(e) => errors.push(e),
                }
            }
            (out, index)
        }
        _ if value.is_null() => (Vec::new(), Vec::new()),
        _ => {
            errors.push(ConfigError {
                location: Some(value.loc),
                message: format!(
                    "expected a list (items starting with `- `), found {}",
                    value.describe()
                ),
            });
            (Vec::new(), Vec::new())
        }
    }
}

/// Reads one route, refusing the keys of later versions first.
fn route(item: &Node, errors: &mut Vec<ConfigError>) -> Result<Route, ConfigError> {
    let Kind::Map(entries) = &item.kind else {
        return from_node(item);
    };
    let mut refused = false;
    for (k, _) in entries {
        if let Some(name) = k.as_str().filter(|n| FUTURE_ROUTE_KEYS.contains(n)) {
            errors.push(not_supported(k, name));
            refused = true;
        }
    }
    if !refused {
        return from_node(item);
    }
    let kept: Vec<(Node, Node)> = entries
        .iter()
        .filter(|(k, _)| !k.as_str().is_some_and(|n| FUTURE_ROUTE_KEYS.contains(&n)))
        .cloned()
        .collect();
    from_node(&Node {
        loc: item.loc,
        kind: Kind::Map(kept),
    })
}

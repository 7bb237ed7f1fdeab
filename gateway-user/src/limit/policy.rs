//! Policies (a rate with a burst and/or a quota) and the per-route limit list that
//! turns who a request comes from into the `LimitCheck`s the limiter evaluates.
use std::{net::IpAddr, sync::Arc};

use http::{HeaderMap, HeaderName};
use sha2::{Digest, Sha256};

use super::{
    LimitError,
    config::{LimitBy, Plans, RouteLimitConfig},
    rate::{Quota, Rate},
};

/// One limit: a rate with a burst (GCRA), a calendar quota, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Name reported in headers and logs and used in storage keys ("plan:free").
    pub name: String,
    /// Sustained rate.
    pub rate: Option<Rate>,
    /// Requests an idle key may send at once (at least 1).
    pub burst: u32,
    /// Calendar quota.
    pub quota: Option<Quota>,
}

impl Policy {
    /// Builds a policy from its textual parts; the burst defaults to the rate's count.
    pub fn compile(
        name: String,
        rate: Option<Rate>,
        burst: Option<u32>,
        quota: Option<Quota>,
    ) -> Result<Policy, LimitError> {
        if rate.is_none() && quota.is_none() {
            return Err(LimitError::Config(format!(
                "limit {name} needs a rate, a quota or both"
            )));
        }
        if burst == Some(0) {
            return Err(LimitError::Config(format!(
                "limit {name}: burst must be at least 1"
            )));
        }
        if burst.is_some() && rate.is_none() {
            return Err(LimitError::Config(format!(
                "limit {name}: burst needs a rate"
            )));
        }
        let default_burst = rate.map_or(1, |r| u32::try_from(r.count).unwrap_or(u32::MAX));
        Ok(Policy {
            name,
            rate,
            burst: burst.unwrap_or(default_burst),
            quota,
        })
    }

    /// A policy with a rate only, for tests and programmatic use.
    pub fn rate(name: &str, rate: Rate, burst: u32) -> Policy {
        Policy {
            name: name.to_string(),
            rate: Some(rate),
            burst: burst.max(1),
            quota: None,
        }
    }

    /// A policy with a quota only, for tests and programmatic use.
    pub fn quota(name: &str, quota: Quota) -> Policy {
        Policy {
            name: name.to_string(),
            rate: None,
            burst: 1,
            quota: Some(quota),
        }
    }
}

/// One limit to evaluate for a request: a key ("consumer:mobile-app", "ip:198.18.0.1",
/// "route:users", "header:x-tenant:acme") under a policy.
#[derive(Debug, Clone)]
pub struct LimitCheck {
    /// What is being counted.
    pub key: String,
    /// The limit it is counted against.
    pub policy: Arc<Policy>,
}

/// A route's compiled `rate_limit:` list.
#[derive(Debug, Clone, Default)]
pub struct RouteLimits {
    route: String,
    entries: Vec<RouteLimit>,
}

#[derive(Debug, Clone)]
struct RouteLimit {
    by: LimitBy,
    header: Option<HeaderName>,
    /// The entry's own policy or named plan; `None` means "the consumer's plan".
    policy: Option<Arc<Policy>>,
}

/// Who a request comes from, as the earlier stages learned it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Authenticated consumer name.
    pub consumer: Option<&'a str>,
    /// The consumer's plan name.
    pub plan: Option<&'a str>,
    /// A stable id of the credential used (e.g. the API key's hash prefix).
    pub credential: Option<&'a str>,
    /// Client address.
    pub ip: IpAddr,
    /// Request headers.
    pub headers: &'a HeaderMap,
}

/// Name of the plan applied to clients without a consumer on `by: consumer` limits.
pub const ANONYMOUS_PLAN: &str = "anonymous";

impl RouteLimits {
    /// Compiles a route's list, resolving named plans.
    pub fn compile(
        route: &str,
        list: &[RouteLimitConfig],
        plans: &Plans,
    ) -> Result<RouteLimits, LimitError> {
        let mut entries = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let ctx = |e: LimitError| LimitError::InRoute {
                route: route.to_string(),
                index: i,
                source: Box::new(e),
            };
            let header = match (entry.by, &entry.header) {
                (LimitBy::Header, Some(h)) => Some(
                    HeaderName::try_from(h.as_str())
                        .map_err(|_| ctx(LimitError::Config(format!("bad header name {h:?}"))))?,
                ),
                (LimitBy::Header, None) => {
                    return Err(ctx(LimitError::Config(
                        "by: header needs header: NAME".into(),
                    )));
                }
                _ => None,
            };
            let own = entry.rate.is_some() || entry.quota.is_some() || entry.burst.is_some();
            let policy = if own {
                let by = by_name(entry.by);
                let name = match &header {
                    Some(h) => format!("route:{route}:{by}:{h}#{i}"),
                    None => format!("route:{route}:{by}#{i}"),
                };
                Some(Arc::new(
                    Policy::compile(name, entry.rate, entry.burst, entry.quota).map_err(ctx)?,
                ))
            } else if let Some(plan) = &entry.plan {
                Some(
                    plans
                        .get(plan)
                        .cloned()
                        .ok_or_else(|| ctx(LimitError::UnknownPlan(plan.clone())))?,
                )
            } else if entry.by == LimitBy::Consumer {
                None
            } else {
                return Err(ctx(LimitError::Config(format!(
                    "by: {} needs its own rate/quota or a plan",
                    by_name(entry.by)
                ))));
            };
            entries.push(RouteLimit {
                by: entry.by,
                header,
                policy,
            });
        }
        Ok(RouteLimits {
            route: route.to_string(),
            entries,
        })
    }

    /// No limits on this route.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The checks that apply to one request. A `by: consumer` limit on a request
    /// without a consumer falls back to the client IP (with the `anonymous` plan
    /// when the entry has no own limit); `by: header` without the header falls back
    /// to the client IP.
    pub fn checks(&self, subject: &Subject<'_>, plans: &Plans) -> Vec<LimitCheck> {
        let mut out = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            let ip_key = || format!("ip:{}", subject.ip);
            let (key, policy) = match entry.by {
                LimitBy::Consumer => match (subject.consumer, &entry.policy) {
                    (Some(c), Some(p)) => (format!("consumer:{c}"), Some(p.clone())),
                    (Some(c), None) => (
                        format!("consumer:{c}"),
                        subject.plan.and_then(|p| plans.get(p)).cloned(),
                    ),
                    (None, Some(p)) => (ip_key(), Some(p.clone())),
                    (None, None) => (ip_key(), plans.get(ANONYMOUS_PLAN).cloned()),
                },
                LimitBy::Credential => match subject.credential {
                    Some(c) => (format!("credential:{}", bounded(c)), entry.policy.clone()),
                    None => (ip_key(), entry.policy.clone()),
                },
                LimitBy::Ip => (ip_key(), entry.policy.clone()),
                LimitBy::Route => (format!("route:{}", self.route), entry.policy.clone()),
                LimitBy::Header => {
                    let value = entry
                        .header
                        .as_ref()
                        .and_then(|h| subject.headers.get(h))
                        .and_then(|v| v.to_str().ok());
                    match (value, &entry.header) {
                        (Some(v), Some(h)) => {
                            (format!("header:{h}:{}", bounded(v)), entry.policy.clone())
                        }
                        _ => (ip_key(), entry.policy.clone()),
                    }
                }
            };
            if let Some(policy) = policy {
                out.push(LimitCheck { key, policy });
            }
        }
        out
    }
}

fn by_name(by: LimitBy) -> &'static str {
    match by {
        LimitBy::Consumer => "consumer",
        LimitBy::Credential => "credential",
        LimitBy::Ip => "ip",
        LimitBy::Header => "header",
        LimitBy::Route => "route",
    }
}

/// Keeps client-chosen key parts short: long values are replaced by their hash.
fn bounded(value: &str) -> String {
    if value.len() <= 128 {
        value.to_string()
    } else {
        format!("sha256:{}", hex::encode(Sha256::digest(value.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{PlanConfig, PlansConfig};
    use super::*;

    fn plans() -> Plans {
        let mut cfg = PlansConfig::new();
        cfg.insert(
            "free".into(),
            PlanConfig {
                rate: Some(Rate::parse("2/s").unwrap()),
                burst: Some(10),
                quota: Some(Quota::parse("1000/day").unwrap()),
            },
        );
        Plans::compile(&cfg).unwrap()
    }

    fn entry(by: LimitBy, rate: Option<&str>) -> RouteLimitConfig {
        RouteLimitConfig {
            by,
            header: None,
            plan: None,
            rate: rate.map(|r| Rate::parse(r).unwrap()),
            burst: None,
            quota: None,
        }
    }

    #[test]
    fn consumer_limits_use_the_consumers_plan_and_ip_limits_their_own_rate() {
        let plans = plans();
        let limits = RouteLimits::compile(
            "users",
            &[
                entry(LimitBy::Consumer, None),
                entry(LimitBy::Ip, Some("100/s")),
            ],
            &plans,
        )
        .unwrap();
        let headers = HeaderMap::new();
        let subject = Subject {
            consumer: Some("mobile-app"),
            plan: Some("free"),
            credential: None,
            ip: "198.18.0.1".parse().unwrap(),
            headers: &headers,
        };
        let checks = limits.checks(&subject, &plans);
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].key, "consumer:mobile-app");
        assert_eq!(checks[0].policy.name, "plan:free");
        assert_eq!(checks[1].key, "ip:198.18.0.1");
        assert_eq!(checks[1].policy.burst, 100, "burst defaults to the count");
    }

    #[test]
    fn header_limits_key_by_the_header_value_or_fall_back_to_the_ip() {
        let plans = plans();
        let mut e = entry(LimitBy::Header, Some("10/s"));
        e.header = Some("X-Tenant".into());
        let limits = RouteLimits::compile("r", &[e], &plans).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-tenant", "acme".parse().unwrap());
        let mut subject = Subject {
            consumer: None,
            plan: None,
            credential: None,
            ip: "198.18.0.2".parse().unwrap(),
            headers: &headers,
        };
        assert_eq!(
            limits.checks(&subject, &plans)[0].key,
            "header:x-tenant:acme"
        );
        let empty = HeaderMap::new();
        subject.headers = &empty;
        assert_eq!(limits.checks(&subject, &plans)[0].key, "ip:198.18.0.2");
    }

    #[test]
    fn an_ip_limit_without_a_rate_or_plan_is_refused() {
        let err = RouteLimits::compile("r", &[entry(LimitBy::Ip, None)], &plans()).unwrap_err();
        assert!(err.to_string().contains("route r"), "{err}");
    }

    #[test]
    fn a_policy_needs_a_rate_or_a_quota() {
        assert!(Policy::compile("x".into(), None, None, None).is_err());
        assert!(Policy::compile("x".into(), Rate::parse("1/s").ok(), Some(0), None).is_err());
    }
}

//! Configuration of limits as written in the YAML file (`plans`, `rate_limit`, a
//! route's `rate_limit` list), and its compilation into policies.
use std::{collections::BTreeMap, sync::Arc, time::Duration};

use serde::{Deserialize, Deserializer};

use super::{
    LimitError,
    policy::Policy,
    rate::{Quota, Rate},
};

/// One plan (tier) under `plans:`: `{ rate: 2/s, burst: 10, quota: 1000/day }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// Sustained rate, e.g. "2/s".
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Requests an idle client may send at once (default: the rate's count).
    #[serde(default)]
    pub burst: Option<u32>,
    /// Calendar quota, e.g. "1000/day" or "1000000/month".
    #[serde(default)]
    pub quota: Option<Quota>,
}

/// The `plans:` section: plan name to plan.
pub type PlansConfig = BTreeMap<String, PlanConfig>;

/// Where counters live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// In-process, per gateway.
    #[default]
    Local,
    /// Shared over Redis (standalone or cluster).
    Redis,
}

/// The `rate_limit:` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// `local` (default) or `redis`.
    #[serde(default)]
    pub store: StoreKind,
    /// Redis settings, required when `store: redis`.
    #[serde(default)]
    pub redis: Option<RedisConfig>,
    /// Bounds of the in-process store (also used as the Redis fallback).
    #[serde(default)]
    pub local: LocalConfig,
    /// Hide the RateLimit-* and X-RateLimit-* response headers.
    #[serde(default)]
    pub hide_headers: bool,
}

/// `rate_limit.redis`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://host:port[/db]`, `rediss://…` or `redis+unix:///path/to/sock`.
    pub url: String,
    /// More seed nodes; with `cluster: true` all of them (and `url`) seed the cluster.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Talk the Redis Cluster protocol.
    #[serde(default)]
    pub cluster: bool,
    /// Bound on one round trip, connection included (default 50ms).
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// When Redis is unreachable: true → local limits, false → 503.
    #[serde(default = "default_true")]
    pub fault_tolerant: bool,
    /// Consecutive failures that open the circuit breaker (default 3).
    #[serde(default = "default_failures")]
    pub breaker_failures: u32,
    /// How long the breaker stays open before one probe (default 2s).
    #[serde(default = "default_cooldown", deserialize_with = "duration")]
    pub breaker_cooldown: Duration,
    /// Prefix of every key (default "gw:rl").
    #[serde(default = "default_prefix")]
    pub key_prefix: String,
}

/// `rate_limit.local`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// Most keys kept in memory; the least recently used go first (default 100000).
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            max_keys: default_max_keys(),
        }
    }
}

impl RedisConfig {
    /// A configuration for `url` with every default.
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            urls: Vec::new(),
            cluster: false,
            timeout: default_timeout(),
            fault_tolerant: true,
            breaker_failures: default_failures(),
            breaker_cooldown: default_cooldown(),
            key_prefix: default_prefix(),
        }
    }
}

fn default_timeout() -> Duration {
    Duration::from_millis(50)
}
fn default_true() -> bool {
    true
}
fn default_failures() -> u32 {
    3
}
fn default_cooldown() -> Duration {
    Duration::from_secs(2)
}
fn default_prefix() -> String {
    "gw:rl".to_string()
}
fn default_max_keys() -> usize {
    100_000
}

/// What a route limit is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitBy {
    /// The authenticated consumer (its plan applies unless the entry sets its own).
    Consumer,
    /// The credential used (API key hash, token subject, certificate SAN).
    Credential,
    /// The client IP address.
    Ip,
    /// The value of a request header (`header: X-Tenant`).
    Header,
    /// The route as a whole, shared by every client.
    Route,
}

/// One entry of a route's `rate_limit:` list: `{ by: ip, rate: 100/s, burst: 200 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteLimitConfig {
    /// What the limit is keyed by.
    pub by: LimitBy,
    /// Header name when `by: header`.
    #[serde(default)]
    pub header: Option<String>,
    /// Use this plan instead of the consumer's.
    #[serde(default)]
    pub plan: Option<String>,
    /// Own rate (overrides the plan's).
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Own burst.
    #[serde(default)]
    pub burst: Option<u32>,
    /// Own quota.
    #[serde(default)]
    pub quota: Option<Quota>,
}

/// Compiled plans: name to policy (named `plan:<name>`).
#[derive(Debug, Clone, Default)]
pub struct Plans {
    by_name: BTreeMap<String, Arc<Policy>>,
}

impl Plans {
    /// Compiles and validates the `plans:` section.
    pub fn compile(config: &PlansConfig) -> Result<Plans, LimitError> {
        let mut by_name = BTreeMap::new();
        for (name, plan) in config {
            let policy = Policy::compile(format!("plan:{name}"), plan.rate, plan.burst, plan.quota)
                .map_err(|e| LimitError::InPlan {
                    plan: name.clone(),
                    source: Box::new(e),
                })?;
            by_name.insert(name.clone(), Arc::new(policy));
        }
        Ok(Plans { by_name })
    }

    /// The policy of a plan.
    pub fn get(&self, name: &str) -> Option<&Arc<Policy>> {
        self.by_name.get(name)
    }

    /// Every plan, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Arc<Policy>)> {
        self.by_name.iter()
    }
}

impl RateLimitConfig {
    /// Checks the cross-field rules serde cannot.
    pub fn validate(&self) -> Result<(), LimitError> {
        if self.store == StoreKind::Redis && self.redis.is_none() {
            return Err(LimitError::MissingRedis);
        }
        if let Some(redis) = &self.redis {
            if redis.timeout.is_zero() {
                return Err(LimitError::Config(
                    "rate_limit.redis.timeout must be longer than zero".into(),
                ));
            }
            if redis.key_prefix.contains(['{', '}']) {
                return Err(LimitError::Config(
                    "rate_limit.redis.key_prefix must not contain { or } (the gateway adds the cluster hash tag)".into(),
                ));
            }
            if redis.breaker_failures == 0 {
                return Err(LimitError::Config(
                    "rate_limit.redis.breaker_failures must be at least 1".into(),
                ));
            }
        }
        if self.local.max_keys == 0 {
            return Err(LimitError::Config(
                "rate_limit.local.max_keys must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Durations as the rest of the configuration writes them ("50ms", "2s", "1h30m").
fn duration<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
    crate::config::Duration::deserialize(de).map(|d| d.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_parses_and_compiles() {
        let yaml = r#"
plans:
  free: { rate: 2/s, burst: 10, quota: 1000/day }
  enterprise: { rate: 50/s, burst: 100, quota: 1000000/month }
rate_limit:
  store: local
  redis: { url: redis://127.0.0.1:6379, timeout: 50ms, fault_tolerant: true }
routes:
  - rate_limit: [{ by: consumer }, { by: ip, rate: 100/s, burst: 200 }]
"#;
        #[derive(Deserialize)]
        struct Route {
            rate_limit: Vec<RouteLimitConfig>,
        }
        #[derive(Deserialize)]
        struct Doc {
            plans: PlansConfig,
            rate_limit: RateLimitConfig,
            routes: Vec<Route>,
        }
        let doc: Doc = serde_yaml_ng::from_str(yaml).unwrap();
        doc.rate_limit.validate().unwrap();
        let redis = doc.rate_limit.redis.unwrap();
        assert_eq!(redis.timeout, Duration::from_millis(50));
        assert!(redis.fault_tolerant);
        let plans = Plans::compile(&doc.plans).unwrap();
        let free = plans.get("free").unwrap();
        assert_eq!(free.burst, 10);
        assert_eq!(free.quota.unwrap().count, 1000);
        assert_eq!(doc.routes[0].rate_limit[1].by, LimitBy::Ip);
    }

    #[test]
    fn a_bad_plan_names_the_plan_in_its_error() {
        let mut plans = PlansConfig::new();
        plans.insert(
            "gold".into(),
            PlanConfig {
                burst: Some(5),
                ..Default::default()
            },
        );
        let err = Plans::compile(&plans).unwrap_err().to_string();
        assert!(
            err.contains("gold") && err.contains("needs a rate"),
            "{err}"
        );
    }

    #[test]
    fn redis_store_without_redis_settings_is_refused() {
        let cfg = RateLimitConfig {
            store: StoreKind::Redis,
            ..Default::default()
        };
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn a_malformed_rate_is_refused_while_reading_the_file() {
        let err = serde_yaml_ng::from_str::<PlansConfig>("free: { rate: 2/fortnight }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("2/fortnight"), "{err}");
    }

    #[test]
    fn redis_durations_read_like_every_other_duration() {
        let r: RedisConfig =
            serde_yaml_ng::from_str("{ url: redis://x, timeout: 250ms, breaker_cooldown: 1m }")
                .unwrap();
        assert_eq!(r.timeout, Duration::from_millis(250));
        assert_eq!(r.breaker_cooldown, Duration::from_secs(60));
        assert!(serde_yaml_ng::from_str::<RedisConfig>("{ url: x, timeout: 5 parsecs }").is_err());
    }
}

//! Rate limits and quotas: plans and per-route limits evaluated against an
//! in-process store or Redis, with a circuit breaker and a local fallback.
//!
//! The request stage builds its `LimitCheck`s (usually with
//! [`RouteLimits::checks`]), calls [`Limiter::check`] once, then:
//! `decision.error.is_some()` → 503 with `Retry-After`; `!decision.allowed` → 429 with
//! [`rejection_body`]; in every case [`headers::apply`] on the response.
//!
//! A request is charged only if every limit allows it (check all, then commit all):
//! a request denied by its IP limit does not use up its consumer's quota.
pub mod admin;
pub mod breaker;
pub mod compiled;
pub mod config;
pub mod gcra;
pub mod headers;
pub mod local;
pub mod policy;
pub mod rate;
pub mod redis;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

pub use compiled::CompiledLimits;
pub use config::{LimitBy, Plans, PlansConfig, RateLimitConfig, RedisConfig, RouteLimitConfig};
pub use policy::{LimitCheck, Policy, RouteLimits, Subject};
pub use rate::{Quota, QuotaWindow, Rate, Window};

use breaker::{Breaker, BreakerState, Permit};
use gcra::{PolicyOutcome, PolicyState};
use local::LocalStore;
use redis::RedisStore;

/// Errors in the limit configuration, and store failures.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// A rate or quota string did not parse.
    #[error("invalid rate {value:?}: {reason}")]
    InvalidRate {
        /// The text as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another configuration rule was broken.
    #[error("{0}")]
    Config(String),
    /// `store: redis` without `redis:` settings.
    #[error("rate_limit.store is redis but rate_limit.redis is missing")]
    MissingRedis,
    /// A route names a plan that does not exist.
    #[error("unknown plan {0:?}")]
    UnknownPlan(String),
    /// An error inside one plan.
    #[error("plan {plan}: {source}")]
    InPlan {
        /// Plan name.
        plan: String,
        /// The error.
        source: Box<LimitError>,
    },
    /// An error inside one route's `rate_limit` list.
    #[error("route {route}, rate_limit[{index}]: {source}")]
    InRoute {
        /// Route name.
        route: String,
        /// Index in the list.
        index: usize,
        /// The error.
        source: Box<LimitError>,
    },
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The Redis URL is malformed.
    #[error("bad redis url: {0}")]
    BadUrl(String),
    /// Redis answered with an error or the connection failed.
    #[error("redis: {0}")]
    Redis(String),
    /// Redis did not answer within the timeout.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The circuit breaker is open: Redis is not being tried.
    #[error("redis circuit breaker is open")]
    BreakerOpen,
}

/// Time source in µs since the Unix epoch (UTC); a trait so tests can move time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in µs since the Unix epoch.
    fn now_us(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
}

/// A clock that only moves when told to (tests, benchmarks).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock showing `now_us`.
    pub fn new(now_us: u64) -> ManualClock {
        ManualClock(AtomicU64::new(now_us))
    }
    /// Sets the time.
    pub fn set(&self, now_us: u64) {
        self.0.store(now_us, Ordering::SeqCst);
    }
    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(
            u64::try_from(by.as_micros()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Which part of a policy a state describes or ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exhausted {
    /// The rate (with its burst) is used up for now.
    Rate,
    /// The day's or month's quota is used up.
    Quota,
}

/// Which store answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreUsed {
    /// The in-process store (`store: local`).
    Local,
    /// Redis.
    Redis,
    /// The in-process store standing in for an unreachable Redis.
    LocalFallback,
}

/// One limit's standing after a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitState {
    /// Requests the window allows: the burst for a rate, the count for a quota.
    pub limit: u64,
    /// Requests still allowed now.
    pub remaining: u64,
    /// Until the limit is whole again (allowed) or a request fits (denied).
    pub reset: Duration,
    /// Policy name.
    pub policy: String,
    /// Window the limit is reported under.
    pub window: Window,
    /// Rate or quota.
    pub kind: Exhausted,
    /// This limit allows the request.
    pub allowed: bool,
    /// For rates: the sustained count per `period` (RateLimit-Policy).
    pub rate_count: u64,
    /// The rate's period or the quota window's nominal length.
    pub period: Duration,
}

/// The answer of [`Limiter::check`].
#[derive(Debug, Clone)]
pub struct Decision {
    /// Let the request through.
    pub allowed: bool,
    /// The limit to report: the one that denied (longest wait), else the one with
    /// the fewest requests left.
    pub most_restrictive: Option<LimitState>,
    /// Every limit evaluated (two per policy with a rate and a quota).
    pub states: Vec<LimitState>,
    /// When to try again (denied or store error).
    pub retry_after: Option<Duration>,
    /// What ran out, when denied.
    pub exhausted: Option<Exhausted>,
    /// Which store answered.
    pub store: StoreUsed,
    /// Set only when the store failed and no fallback is configured: answer 503.
    pub error: Option<StoreError>,
}

impl Decision {
    /// The status to answer instead of proxying: 503 when the store failed without a
    /// fallback, 429 when a limit ran out, `None` to let the request through.
    pub fn refusal_status(&self) -> Option<http::StatusCode> {
        if self.error.is_some() {
            Some(http::StatusCode::SERVICE_UNAVAILABLE)
        } else if !self.allowed {
            Some(http::StatusCode::TOO_MANY_REQUESTS)
        } else {
            None
        }
    }

    fn unlimited(store: StoreUsed) -> Decision {
        Decision {
            allowed: true,
            most_restrictive: None,
            states: Vec::new(),
            retry_after: None,
            exhausted: None,
            store,
            error: None,
        }
    }
}

/// What a store holds for one policy of a key (`gateway limits show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyUsage {
    /// Policy name.
    pub policy: String,
    /// How far the GCRA TAT is ahead of now, in ms (0: the bucket is full).
    pub rate_debt_ms: Option<u64>,
    /// Requests counted in the current quota window.
    pub quota_used: Option<u64>,
    /// The quota window id the count belongs to.
    pub quota_window: Option<u64>,
}

impl PolicyUsage {
    fn from_state(policy: &str, s: PolicyState, now_us: u64) -> PolicyUsage {
        PolicyUsage {
            policy: policy.to_string(),
            rate_debt_ms: (s.tat != 0).then(|| s.tat.saturating_sub(now_us) / 1000),
            quota_used: s.quota.map(|q| q.1),
            quota_window: s.quota.map(|q| q.0),
        }
    }
}

/// A key as the store sees it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInspection {
    /// The key.
    pub key: String,
    /// Where it was read.
    pub store: StoreUsed,
    /// Its counters per policy.
    pub policies: Vec<PolicyUsage>,
}

/// Counters for the metrics exporter.
#[derive(Debug, Default)]
struct Stats {
    allowed: AtomicU64,
    denied: AtomicU64,
    store_fallbacks: AtomicU64,
    redis_errors: AtomicU64,
    redis_unavailable: AtomicU64,
    breaker_opens: AtomicU64,
}

/// A snapshot of the limiter's counters.
#[derive(Debug, Clone, Serialize)]
pub struct LimitStats {
    /// Requests allowed.
    pub allowed: u64,
    /// Requests denied (429).
    pub denied: u64,
    /// Checks answered by the local fallback because Redis was unreachable.
    pub store_fallbacks: u64,
    /// Redis calls that failed or timed out.
    pub redis_errors: u64,
    /// Checks answered with an error (503) because Redis was unreachable.
    pub redis_unavailable: u64,
    /// Times the circuit breaker opened.
    pub breaker_opens: u64,
    /// Keys evicted from the local store.
    pub local_evictions: u64,
    /// Keys held by the local store.
    pub local_keys: u64,
    /// "closed", "open" or "half_open"; "none" without Redis.
    pub breaker: &'static str,
}

struct RedisPart {
    config: RedisConfig,
    store: RedisStore,
    breaker: Breaker,
    timeout: Duration,
    fault_tolerant: bool,
}

impl RedisPart {
    fn new(r: &RedisConfig) -> Result<RedisPart, StoreError> {
        Ok(RedisPart {
            config: r.clone(),
            store: RedisStore::new(r)?,
            breaker: Breaker::new(r.breaker_failures, r.breaker_cooldown),
            timeout: r.timeout,
            fault_tolerant: r.fault_tolerant,
        })
    }
}

/// The limiter: evaluates a request's checks against the configured store.
pub struct Limiter {
    local: Arc<LocalStore>,
    local_max_keys: usize,
    redis: Option<Arc<RedisPart>>,
    clock: Arc<dyn Clock>,
    plans: Plans,
    hide_headers: bool,
    stats: Arc<Stats>,
    last_warn_us: AtomicU64,
    suppressed_warns: AtomicU64,
    checks_seen: AtomicU64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("redis", &self.redis.is_some())
            .field("local_keys", &self.local.len())
            .finish_non_exhaustive()
    }
}

const WARN_EVERY_US: u64 = 10_000_000;
/// Checks between two sweeps of one local shard.
const SWEEP_EVERY: u64 = 4096;

impl Limiter {
    /// Builds a limiter on the system clock. Nothing connects to Redis yet.
    pub fn new(config: &RateLimitConfig, plans: &Plans) -> Result<Limiter, LimitError> {
        Limiter::with_clock(config, plans, Arc::new(SystemClock))
    }

    /// Builds a limiter on the given clock.
    pub fn with_clock(
        config: &RateLimitConfig,
        plans: &Plans,
        clock: Arc<dyn Clock>,
    ) -> Result<Limiter, LimitError> {
        config.validate()?;
        let redis = match (config.store, &config.redis) {
            (config::StoreKind::Redis, Some(r)) => Some(Arc::new(RedisPart::new(r)?)),
            _ => None,
        };
        Ok(Limiter {
            local: Arc::new(LocalStore::new(config.local.max_keys)),
            local_max_keys: config.local.max_keys,
            redis,
            clock,
            plans: plans.clone(),
            hide_headers: config.hide_headers,
            stats: Arc::default(),
            last_warn_us: AtomicU64::new(0),
            suppressed_warns: AtomicU64::new(0),
            checks_seen: AtomicU64::new(0),
        })
    }

    /// A limiter for a reloaded configuration that keeps what still applies: the
    /// local counters (same `max_keys`), the Redis connection and breaker (same
    /// `redis` settings) and the statistics, so a reload neither resets limits nor
    /// reconnects needlessly.
    pub fn reconfigure(
        &self,
        config: &RateLimitConfig,
        plans: &Plans,
    ) -> Result<Limiter, LimitError> {
        config.validate()?;
        let local = if config.local.max_keys == self.local_max_keys {
            self.local.clone()
        } else {
            Arc::new(LocalStore::new(config.local.max_keys))
        };
        let redis = match (config.store, &config.redis) {
            (config::StoreKind::Redis, Some(r)) => match &self.redis {
                Some(old) if old.config == *r => Some(old.clone()),
                _ => Some(Arc::new(RedisPart::new(r)?)),
            },
            _ => None,
        };
        Ok(Limiter {
            local,
            local_max_keys: config.local.max_keys,
            redis,
            clock: self.clock.clone(),
            plans: plans.clone(),
            hide_headers: config.hide_headers,
            stats: self.stats.clone(),
            last_warn_us: AtomicU64::new(0),
            suppressed_warns: AtomicU64::new(0),
            checks_seen: AtomicU64::new(0),
        })
    }

    /// The plans this limiter was built with.
    pub fn plans(&self) -> &Plans {
        &self.plans
    }

    /// Whether responses should omit the rate limit headers.
    pub fn hide_headers(&self) -> bool {
        self.hide_headers
    }

    /// Evaluates every check; charges all of them only if all allow.
    pub async fn check(&self, checks: &[LimitCheck]) -> Decision {
        let checks = dedup(checks);
        let checks: &[LimitCheck] = &checks;
        let store_kind = if self.redis.is_some() {
            StoreUsed::Redis
        } else {
            StoreUsed::Local
        };
        if checks.is_empty() {
            return Decision::unlimited(store_kind);
        }
        let now = self.clock.now_us();
        // Idle keys leave the local store a shard at a time, off the common path.
        if self.checks_seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.local.sweep_next(now);
        }
        let Some(redis) = &self.redis else {
            let out = self.local.check(checks, now);
            return self.count(decide(checks, &out, StoreUsed::Local));
        };
        let failure = match redis.breaker.permit(Instant::now()) {
            Permit::Skip => StoreError::BreakerOpen,
            Permit::Go | Permit::Probe => {
                match tokio::time::timeout(redis.timeout, redis.store.check(checks, now)).await {
                    Ok(Ok(out)) => {
                        if redis.breaker.success() {
                            tracing::info!(
                                "redis is reachable again: rate limits are shared again"
                            );
                        }
                        return self.count(decide(checks, &out, StoreUsed::Redis));
                    }
                    Ok(Err(e)) => e,
                    Err(_) => {
                        redis.store.forget_connection();
                        StoreError::Timeout(redis.timeout)
                    }
                }
            }
        };
        if failure != StoreError::BreakerOpen {
            self.stats.redis_errors.fetch_add(1, Ordering::Relaxed);
            if redis.breaker.failure(Instant::now()) {
                self.stats.breaker_opens.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %failure, "redis circuit breaker opened");
            }
        }
        if redis.fault_tolerant {
            self.stats.store_fallbacks.fetch_add(1, Ordering::Relaxed);
            self.warn_fallback(now, &failure);
            let out = self.local.check(checks, now);
            return self.count(decide(checks, &out, StoreUsed::LocalFallback));
        }
        self.stats.redis_unavailable.fetch_add(1, Ordering::Relaxed);
        let wait = redis
            .breaker
            .cooldown_left(Instant::now())
            .max(Duration::from_secs(1));
        Decision {
            allowed: false,
            retry_after: Some(wait),
            error: Some(failure),
            ..Decision::unlimited(StoreUsed::Redis)
        }
    }

    /// What the store holds for `key` (every policy counted under it).
    pub async fn inspect(&self, key: &str) -> Result<KeyInspection, LimitError> {
        let now = self.clock.now_us();
        let (store, policies) = match &self.redis {
            Some(r) => {
                let got = tokio::time::timeout(r.timeout * 10, r.store.inspect(key, now))
                    .await
                    .map_err(|_| StoreError::Timeout(r.timeout * 10))??;
                (StoreUsed::Redis, got)
            }
            None => (StoreUsed::Local, self.local.inspect(key, now)),
        };
        Ok(KeyInspection {
            key: key.to_string(),
            store,
            policies,
        })
    }

    /// Clears `key` in every store; true if anything was there.
    pub async fn reset(&self, key: &str) -> Result<bool, LimitError> {
        let local = self.local.reset(key);
        match &self.redis {
            Some(r) => {
                let remote = tokio::time::timeout(r.timeout * 10, r.store.reset(key))
                    .await
                    .map_err(|_| StoreError::Timeout(r.timeout * 10))??;
                Ok(local || remote)
            }
            None => Ok(local),
        }
    }

    /// Drops every idle key from the local store (for a periodic timer); returns how many.
    pub fn sweep_idle(&self) -> usize {
        self.local.sweep_all(self.clock.now_us())
    }

    /// The limiter's counters, for metrics.
    pub fn stats(&self) -> LimitStats {
        let s = &self.stats;
        LimitStats {
            allowed: s.allowed.load(Ordering::Relaxed),
            denied: s.denied.load(Ordering::Relaxed),
            store_fallbacks: s.store_fallbacks.load(Ordering::Relaxed),
            redis_errors: s.redis_errors.load(Ordering::Relaxed),
            redis_unavailable: s.redis_unavailable.load(Ordering::Relaxed),
            breaker_opens: s.breaker_opens.load(Ordering::Relaxed),
            local_evictions: self.local.evictions(),
            local_keys: self.local.len() as u64,
            breaker: match self.redis.as_ref().map(|r| r.breaker.state()) {
                None => "none",
                Some(BreakerState::Closed) => "closed",
                Some(BreakerState::Open) => "open",
                Some(BreakerState::HalfOpen) => "half_open",
            },
        }
    }

    fn count(&self, d: Decision) -> Decision {
        let counter = if d.allowed {
            &self.stats.allowed
        } else {
            &self.stats.denied
        };
        counter.fetch_add(1, Ordering::Relaxed);
        d
    }

    /// Warns at most once per 10 s of limiter time, saying how many were skipped.
    fn warn_fallback(&self, now: u64, err: &StoreError) {
        let last = self.last_warn_us.load(Ordering::Relaxed);
        if now.saturating_sub(last) < WARN_EVERY_US
            || self
                .last_warn_us
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.suppressed_warns.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let skipped = self.suppressed_warns.swap(0, Ordering::Relaxed);
        tracing::warn!(
            error = %err,
            similar_since_last = skipped,
            "redis unavailable: rate limits fall back to this gateway's local counters"
        );
    }
}

/// Drops repeated (key, policy) pairs so a request is charged once per limit.
fn dedup(checks: &[LimitCheck]) -> std::borrow::Cow<'_, [LimitCheck]> {
    let dup = checks.iter().enumerate().any(|(i, c)| {
        checks[..i]
            .iter()
            .any(|d| d.key == c.key && d.policy.name == c.policy.name)
    });
    if !dup {
        return std::borrow::Cow::Borrowed(checks);
    }
    let mut out: Vec<LimitCheck> = Vec::with_capacity(checks.len());
    for c in checks {
        if !out
            .iter()
            .any(|d| d.key == c.key && d.policy.name == c.policy.name)
        {
            out.push(c.clone());
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Turns store outcomes into a decision.
fn decide(checks: &[LimitCheck], outcomes: &[PolicyOutcome], store: StoreUsed) -> Decision {
    let mut states = Vec::with_capacity(checks.len() * 2);
    for (check, out) in checks.iter().zip(outcomes) {
        let p = &check.policy;
        if let (Some(rate), Some(o)) = (p.rate, out.rate) {
            states.push(LimitState {
                limit: u64::from(p.burst),
                remaining: o.remaining,
                reset: Duration::from_micros(o.wait_us),
                policy: p.name.clone(),
                window: rate.window(),
                kind: Exhausted::Rate,
                allowed: o.allowed,
                rate_count: rate.count,
                period: rate.per,
            });
        }
        if let (Some(quota), Some(o)) = (p.quota, out.quota) {
            let period = match quota.window {
                QuotaWindow::Day => Duration::from_secs(86_400),
                QuotaWindow::Month => Duration::from_secs(30 * 86_400),
            };
            states.push(LimitState {
                limit: quota.count,
                remaining: o.remaining,
                reset: Duration::from_micros(o.reset_us),
                policy: p.name.clone(),
                window: quota.window_name(),
                kind: Exhausted::Quota,
                allowed: o.allowed,
                rate_count: quota.count,
                period,
            });
        }
    }
    let allowed = states.iter().all(|s| s.allowed);
    let most = if allowed {
        states
            .iter()
            .min_by(|a, b| a.remaining.cmp(&b.remaining).then(b.reset.cmp(&a.reset)))
    } else {
        states
            .iter()
            .filter(|s| !s.allowed)
            .max_by(|a, b| a.reset.cmp(&b.reset))
    }
    .cloned();
    Decision {
        allowed,
        retry_after: if allowed {
            None
        } else {
            most.as_ref().map(|s| s.reset)
        },
        exhausted: if allowed {
            None
        } else {
            most.as_ref().map(|s| s.kind)
        },
        most_restrictive: most,
        states,
        store,
        error: None,
    }
}

/// The JSON body of a 429 (or 503 when the store failed): says whether a rate or a
/// quota ran out and when to retry.
pub fn rejection_body(decision: &Decision) -> serde_json::Value {
    let retry = decision.retry_after.map(headers::whole_seconds);
    if let Some(err) = &decision.error {
        return serde_json::json!({
            "error": "rate_limit_unavailable",
            "status": 503,
            "message": format!("rate limits cannot be checked right now ({err}); retry later"),
            "retry_after": retry,
        });
    }
    let most = decision.most_restrictive.as_ref();
    let (code, what) = match decision.exhausted {
        Some(Exhausted::Quota) => ("quota_exceeded", "quota"),
        _ => ("rate_limited", "rate limit"),
    };
    let window = most.map(|s| s.window.as_str());
    serde_json::json!({
        "error": code,
        "status": 429,
        "message": match window {
            Some(w) => format!("{what} exceeded (per {w}); retry after {} s", retry.unwrap_or(1)),
            None => format!("{what} exceeded"),
        },
        "policy": most.map(|s| s.policy.as_str()),
        "window": window,
        "limit": most.map(|s| s.limit),
        "retry_after": retry,
    })
}

#[cfg(test)]
mod tests;

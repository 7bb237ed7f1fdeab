//! `Limiter`: runs a request's checks on the configured store — Redis behind a
//! timeout and a circuit breaker, with the local store as fallback — and keeps the
//! counters the metrics exporter reads.
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde::Serialize;

use super::{
    Clock, Decision, KeyInspection, LimitCheck, LimitError, Plans, RateLimitConfig, RedisConfig,
    StoreError, StoreUsed, SystemClock,
    breaker::{Breaker, BreakerState, Permit},
    config,
    decision::decide,
    local::LocalStore,
    redis::RedisStore,
};

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

/// Where the limiter reports what operators alert on (the metrics registry).
pub trait LimitEvents: Send + Sync {
    /// A Redis call failed or timed out.
    fn redis_error(&self);
    /// A check was answered by the local fallback because Redis was unreachable.
    fn store_fallback(&self);
    /// The circuit breaker opened.
    fn breaker_opened(&self);
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
    events: Option<Arc<dyn LimitEvents>>,
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
            events: None,
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
            events: self.events.clone(),
        })
    }

    /// Reports Redis errors, fallbacks and breaker openings to `events` too.
    pub fn with_events(mut self, events: Arc<dyn LimitEvents>) -> Limiter {
        self.events = Some(events);
        self
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
            if let Some(e) = &self.events {
                e.redis_error();
            }
            if redis.breaker.failure(Instant::now()) {
                self.stats.breaker_opens.fetch_add(1, Ordering::Relaxed);
                if let Some(e) = &self.events {
                    e.breaker_opened();
                }
                tracing::warn!(error = %failure, "redis circuit breaker opened");
            }
        }
        if redis.fault_tolerant {
            self.stats.store_fallbacks.fetch_add(1, Ordering::Relaxed);
            if let Some(e) = &self.events {
                e.store_fallback();
            }
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

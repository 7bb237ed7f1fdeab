//! Circuit breaker in front of Redis: after `failures` consecutive errors it opens
//! and requests skip Redis (fallback or 503) for `cooldown`; then one request probes
//! Redis (half-open) and its result closes the breaker or opens it again.
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// State of the breaker, as reported to logs and the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Redis is used.
    Closed,
    /// Redis is skipped until the cooldown ends.
    Open,
    /// One probe is in flight; everyone else skips Redis.
    HalfOpen,
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { since: Instant },
}

/// A consecutive-failure circuit breaker with a single half-open probe.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

/// What the caller may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Use Redis normally.
    Go,
    /// Use Redis as the half-open probe; report the result.
    Probe,
    /// Skip Redis.
    Skip,
}

impl Breaker {
    /// A closed breaker that opens after `threshold` consecutive failures.
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    /// Asks whether Redis may be tried now.
    pub fn permit(&self, now: Instant) -> Permit {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => Permit::Go,
            Inner::Open { until } if now >= until => {
                *inner = Inner::HalfOpen { since: now };
                Permit::Probe
            }
            Inner::Open { .. } => Permit::Skip,
            // A probe lost (its task dropped) must not wedge the breaker half-open.
            Inner::HalfOpen { since } if now.duration_since(since) > self.cooldown * 2 => {
                *inner = Inner::HalfOpen { since: now };
                Permit::Probe
            }
            Inner::HalfOpen { .. } => Permit::Skip,
        }
    }

    /// Records a success; closes the breaker. Returns true if it was not closed.
    pub fn success(&self) -> bool {
        let mut inner = self.lock();
        let was_open = !matches!(*inner, Inner::Closed { .. });
        *inner = Inner::Closed { failures: 0 };
        was_open
    }

    /// Records a failure; returns true if this failure opened the breaker.
    pub fn failure(&self, now: Instant) -> bool {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { failures } if failures + 1 >= self.threshold => {
                *inner = Inner::Open {
                    until: now + self.cooldown,
                };
                true
            }
            Inner::Closed { failures } => {
                *inner = Inner::Closed {
                    failures: failures + 1,
                };
                false
            }
            Inner::HalfOpen { .. } => {
                *inner = Inner::Open {
                    until: now + self.cooldown,
                };
                true
            }
            Inner::Open { .. } => false,
        }
    }

    /// Current state.
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::Open { .. } => BreakerState::Open,
            Inner::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Time left before the next probe (zero when closed).
    pub fn cooldown_left(&self, now: Instant) -> Duration {
        match *self.lock() {
            Inner::Open { until } => until.saturating_duration_since(now),
            Inner::HalfOpen { .. } => self.cooldown,
            Inner::Closed { .. } => Duration::ZERO,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_probes_after_the_cooldown() {
        let b = Breaker::new(3, Duration::from_secs(2));
        let t0 = Instant::now();
        assert!(!b.failure(t0));
        assert!(!b.failure(t0));
        assert_eq!(b.permit(t0), Permit::Go);
        assert!(b.failure(t0), "the third failure opens it");
        assert_eq!(b.permit(t0 + Duration::from_secs(1)), Permit::Skip);
        let t2 = t0 + Duration::from_secs(2);
        assert_eq!(b.permit(t2), Permit::Probe);
        assert_eq!(b.permit(t2), Permit::Skip, "only one probe at a time");
        assert!(b.failure(t2), "a failed probe opens it again");
        assert_eq!(b.permit(t2 + Duration::from_secs(1)), Permit::Skip);
        assert_eq!(b.permit(t2 + Duration::from_secs(2)), Permit::Probe);
        assert!(b.success());
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let b = Breaker::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        b.failure(t0);
        b.success();
        assert!(!b.failure(t0));
        assert_eq!(b.state(), BreakerState::Closed);
    }
}

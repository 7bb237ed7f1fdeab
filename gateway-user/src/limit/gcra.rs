//! The limiting arithmetic shared by both stores: GCRA for rates with a burst, and
//! fixed calendar-window counters for quotas. The Redis Lua script mirrors these
//! functions line for line; keep them in step.
//!
//! GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical
//! arrival time (TAT). Each request costs one emission interval `T = per / count`; a
//! request is allowed while `TAT + T - now <= burst * T`, so an idle key can take
//! `burst` requests at once and then `count` per `per`. It is a token bucket of size
//! `burst` refilled at `count/per`, stored as a single timestamp.
use super::rate::{Quota, Rate, window_bounds};

/// What one GCRA evaluation decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateOutcome {
    /// The request fits.
    pub allowed: bool,
    /// TAT to store if the request is committed.
    pub new_tat: u64,
    /// Requests still allowed right now after this one.
    pub remaining: u64,
    /// µs until the bucket is full again (allowed) or until one request fits (denied).
    pub wait_us: u64,
}

/// Evaluates GCRA at `now` (µs) for a key whose stored TAT is `tat` (0 if none).
pub fn gcra(tat: u64, now: u64, interval: u64, burst: u32) -> RateOutcome {
    let interval = interval.max(1);
    let capacity = interval.saturating_mul(u64::from(burst.max(1)));
    let tat = tat.max(now);
    let new_tat = tat.saturating_add(interval);
    let debt = new_tat - now;
    if debt > capacity {
        RateOutcome {
            allowed: false,
            new_tat: tat,
            remaining: 0,
            wait_us: debt - capacity,
        }
    } else {
        RateOutcome {
            allowed: true,
            new_tat,
            remaining: (capacity - debt) / interval,
            wait_us: debt,
        }
    }
}

/// What one quota evaluation decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaOutcome {
    /// The request fits.
    pub allowed: bool,
    /// The window the count belongs to.
    pub window_id: u64,
    /// Count to store if the request is committed.
    pub new_count: u64,
    /// Requests still allowed in this window after this one.
    pub remaining: u64,
    /// µs until the window edge.
    pub reset_us: u64,
}

/// Evaluates a quota at `now` (µs) given the stored `(window_id, count)`.
pub fn quota(stored: Option<(u64, u64)>, now: u64, quota: &Quota) -> QuotaOutcome {
    let (window_id, end) = window_bounds(quota.window, now);
    let used = match stored {
        Some((id, count)) if id == window_id => count,
        _ => 0,
    };
    let reset_us = end.saturating_sub(now);
    if used >= quota.count {
        QuotaOutcome {
            allowed: false,
            window_id,
            new_count: used,
            remaining: 0,
            reset_us,
        }
    } else {
        QuotaOutcome {
            allowed: true,
            window_id,
            new_count: used + 1,
            remaining: quota.count - used - 1,
            reset_us,
        }
    }
}

/// Stored state of one policy on one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyState {
    /// GCRA theoretical arrival time in µs (0: none).
    pub tat: u64,
    /// Quota window id and count in it.
    pub quota: Option<(u64, u64)>,
}

/// Both outcomes of one policy on one key.
#[derive(Debug, Clone, Copy)]
pub struct PolicyOutcome {
    /// Rate part, if the policy has a rate.
    pub rate: Option<RateOutcome>,
    /// Quota part, if the policy has a quota.
    pub quota: Option<QuotaOutcome>,
}

impl PolicyOutcome {
    /// Every part of the policy allows the request.
    pub fn allowed(&self) -> bool {
        self.rate.is_none_or(|r| r.allowed) && self.quota.is_none_or(|q| q.allowed)
    }

    /// The state to store when the whole request is committed.
    pub fn committed(&self, old: PolicyState) -> PolicyState {
        PolicyState {
            tat: self.rate.map_or(old.tat, |r| r.new_tat),
            quota: self.quota.map(|q| (q.window_id, q.new_count)).or(old.quota),
        }
    }

    /// µs after which nothing in this state matters any more (its TTL).
    pub fn ttl_us(&self, now: u64) -> u64 {
        let rate = self.rate.map_or(0, |r| r.new_tat.saturating_sub(now));
        let quota = self.quota.map_or(0, |q| q.reset_us);
        rate.max(quota)
    }
}

/// Evaluates a rate and/or quota against a stored state, without changing it.
pub fn evaluate(
    rate: Option<(&Rate, u32)>,
    quota_cfg: Option<&Quota>,
    state: PolicyState,
    now: u64,
) -> PolicyOutcome {
    PolicyOutcome {
        rate: rate.map(|(r, burst)| gcra(state.tat, now, r.interval_us(), burst)),
        quota: quota_cfg.map(|q| quota(state.quota, now, q)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::rate::QuotaWindow;
    use super::*;

    const SEC: u64 = 1_000_000;

    #[test]
    fn an_idle_key_takes_the_burst_then_the_steady_rate() {
        // 2/s with a burst of 10: T = 0.5 s.
        let rate = Rate::parse("2/s").unwrap();
        let t = rate.interval_us();
        let now = 1_000 * SEC;
        let mut tat = 0;
        for i in 0..10 {
            let o = gcra(tat, now, t, 10);
            assert!(o.allowed, "request {i} of the burst");
            assert_eq!(o.remaining, 9 - i);
            tat = o.new_tat;
        }
        let denied = gcra(tat, now, t, 10);
        assert!(!denied.allowed);
        assert_eq!(denied.wait_us, t, "one request fits after one interval");
        // Half a second later exactly one more request fits, then none.
        let later = now + t;
        let o = gcra(tat, later, t, 10);
        assert!(o.allowed);
        assert!(!gcra(o.new_tat, later, t, 10).allowed);
        // Over 10 seconds of steady traffic, 2/s get through.
        let mut tat = o.new_tat;
        let mut allowed = 0;
        for step in 1..=100 {
            let at = later + step * SEC / 10;
            let o = gcra(tat, at, t, 10);
            if o.allowed {
                allowed += 1;
                tat = o.new_tat;
            }
        }
        assert_eq!(allowed, 20);
    }

    #[test]
    fn a_full_bucket_reports_the_time_to_refill() {
        let o = gcra(0, 100 * SEC, SEC, 5);
        assert_eq!((o.remaining, o.wait_us), (4, SEC));
    }

    #[test]
    fn a_quota_stops_at_its_count_and_resets_at_the_utc_midnight() {
        let q = Quota {
            count: 3,
            window: QuotaWindow::Day,
        };
        let day = super::super::rate::days_from_civil(2026, 11, 23) as u64;
        let before_midnight = (day + 1) * 86_400 * SEC - SEC;
        let mut stored = None;
        for _ in 0..3 {
            let o = quota(stored, before_midnight, &q);
            assert!(o.allowed);
            stored = Some((o.window_id, o.new_count));
        }
        let o = quota(stored, before_midnight, &q);
        assert!(!o.allowed);
        assert_eq!(o.reset_us, SEC, "reset is the time to the window edge");
        let o = quota(stored, before_midnight + SEC, &q);
        assert!(o.allowed, "a new day starts a new count");
        assert_eq!(o.remaining, 2);
    }

    #[test]
    fn a_denied_policy_keeps_its_old_state_when_committed_elsewhere() {
        let rate = Rate::parse("1/s").unwrap();
        let state = PolicyState {
            tat: 10 * SEC,
            quota: None,
        };
        let out = evaluate(Some((&rate, 1)), None, state, 9 * SEC);
        assert!(!out.allowed());
        assert_eq!(out.committed(state), state);
    }
}

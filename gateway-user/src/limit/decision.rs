//! What a check decided: per-limit states, the most restrictive one, and the 429
//! (or 503) body that says whether a rate or a quota ran out.
use std::time::Duration;

use serde::Serialize;

use super::{
    LimitCheck, QuotaWindow, StoreError, Window,
    gcra::{PolicyOutcome, PolicyState},
    headers,
};

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

    pub(super) fn unlimited(store: StoreUsed) -> Decision {
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
    pub(super) fn from_state(policy: &str, s: PolicyState, now_us: u64) -> PolicyUsage {
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

/// Turns store outcomes into a decision.
pub(super) fn decide(
    checks: &[LimitCheck],
    outcomes: &[PolicyOutcome],
    store: StoreUsed,
) -> Decision {
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

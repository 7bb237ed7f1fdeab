//! Response headers for a limit decision: the IETF draft's `RateLimit-Limit`,
//! `-Remaining`, `-Reset` and `RateLimit-Policy` for the most restrictive limit, Kong's
//! `X-RateLimit-Limit-<Window>` / `X-RateLimit-Remaining-<Window>` per window, and
//! `Retry-After` on refusals (which the hide switch keeps: clients need it).
use std::{fmt::Write, time::Duration};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{Decision, LimitState, Window};

/// Seconds for headers: rounded up, so a client never retries too early.
pub fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Adds the limit headers for `decision` to a response's headers.
pub fn apply(decision: &Decision, headers: &mut HeaderMap, hide: bool) {
    if !decision.allowed
        && let Some(retry) = decision.retry_after
    {
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from(whole_seconds(retry).max(1)),
        );
    }
    if hide || decision.error.is_some() {
        return;
    }
    let Some(most) = &decision.most_restrictive else {
        return;
    };
    headers.insert("ratelimit-limit", HeaderValue::from(most.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(most.remaining));
    headers.insert(
        "ratelimit-reset",
        HeaderValue::from(whole_seconds(most.reset)),
    );
    let mut policy = String::new();
    push_policy(&mut policy, most);
    for s in &decision.states {
        if s.policy != most.policy || s.kind != most.kind {
            policy.push_str(", ");
            push_policy(&mut policy, s);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&policy) {
        headers.insert("ratelimit-policy", v);
    }
    for window in [
        Window::Second,
        Window::Minute,
        Window::Hour,
        Window::Day,
        Window::Month,
    ] {
        let tightest = decision
            .states
            .iter()
            .filter(|s| s.window == window)
            .min_by_key(|s| s.remaining);
        if let Some(s) = tightest {
            insert_named(headers, "x-ratelimit-limit-", window, s.limit);
            insert_named(headers, "x-ratelimit-remaining-", window, s.remaining);
        }
    }
}

fn push_policy(out: &mut String, s: &LimitState) {
    let w = s.period.as_secs().max(1);
    let _ = match s.kind {
        super::Exhausted::Rate => write!(out, "{};w={w};burst={}", s.rate_count, s.limit),
        super::Exhausted::Quota => write!(out, "{};w={w}", s.limit),
    };
}

fn insert_named(headers: &mut HeaderMap, prefix: &str, window: Window, value: u64) {
    let name = format!("{prefix}{}", window.as_str());
    if let Ok(name) = HeaderName::try_from(name) {
        headers.insert(name, HeaderValue::from(value));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Exhausted, StoreUsed};
    use super::*;

    fn state(
        policy: &str,
        kind: Exhausted,
        window: Window,
        limit: u64,
        remaining: u64,
    ) -> LimitState {
        LimitState {
            limit,
            remaining,
            reset: Duration::from_millis(1500),
            policy: policy.into(),
            window,
            kind,
            allowed: true,
            rate_count: if kind == Exhausted::Rate { 2 } else { limit },
            period: match window {
                Window::Second => Duration::from_secs(1),
                _ => Duration::from_secs(86_400),
            },
        }
    }

    fn decision(allowed: bool) -> Decision {
        let rate = state("plan:free", Exhausted::Rate, Window::Second, 10, 4);
        let quota = state("plan:free", Exhausted::Quota, Window::Day, 1000, 900);
        let ip = state(
            "route:users:ip#1",
            Exhausted::Rate,
            Window::Second,
            200,
            150,
        );
        Decision {
            allowed,
            most_restrictive: Some(rate.clone()),
            states: vec![rate, quota, ip],
            retry_after: (!allowed).then(|| Duration::from_millis(500)),
            exhausted: (!allowed).then_some(Exhausted::Rate),
            store: StoreUsed::Local,
            error: None,
        }
    }

    #[test]
    fn headers_describe_the_most_restrictive_limit_and_each_window() {
        let mut h = HeaderMap::new();
        apply(&decision(true), &mut h, false);
        assert_eq!(h["ratelimit-limit"], "10");
        assert_eq!(h["ratelimit-remaining"], "4");
        assert_eq!(h["ratelimit-reset"], "2", "rounded up");
        assert_eq!(
            h["ratelimit-policy"],
            "2;w=1;burst=10, 1000;w=86400, 2;w=1;burst=200"
        );
        assert_eq!(h["x-ratelimit-limit-second"], "10");
        assert_eq!(
            h["x-ratelimit-remaining-second"], "4",
            "tightest of the window"
        );
        assert_eq!(h["x-ratelimit-limit-day"], "1000");
        assert_eq!(h["x-ratelimit-remaining-day"], "900");
        assert!(h.get("retry-after").is_none());
    }

    #[test]
    fn hidden_headers_still_carry_retry_after_on_refusals() {
        let mut h = HeaderMap::new();
        apply(&decision(false), &mut h, true);
        assert_eq!(h.len(), 1);
        assert_eq!(h["retry-after"], "1");
    }

    #[test]
    fn rejection_body_says_which_kind_ran_out() {
        let mut d = decision(false);
        let body = super::super::rejection_body(&d);
        assert_eq!(body["error"], "rate_limited");
        assert_eq!(body["retry_after"], 1);
        d.exhausted = Some(Exhausted::Quota);
        assert_eq!(super::super::rejection_body(&d)["error"], "quota_exceeded");
    }
}

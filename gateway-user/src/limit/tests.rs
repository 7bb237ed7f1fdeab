//! Unit tests of the limiter over the local store, on a manual clock.
use std::sync::Arc;

use std::time::Duration;

use super::*;
use crate::limit::rate::days_from_civil;

const DAY_US: u64 = 86_400_000_000;

fn plans(yaml: &str) -> Plans {
    let cfg: PlansConfig = serde_yaml_ng::from_str(yaml).unwrap();
    Plans::compile(&cfg).unwrap()
}

fn check(key: &str, p: &Arc<Policy>) -> LimitCheck {
    LimitCheck {
        key: key.into(),
        policy: p.clone(),
    }
}

fn limiter(plans: &Plans, clock: Arc<ManualClock>) -> Limiter {
    Limiter::with_clock(&RateLimitConfig::default(), plans, clock).unwrap()
}

#[tokio::test]
async fn the_burst_is_allowed_then_refused_with_a_retry_after() {
    let plans = plans("free: { rate: 2/s, burst: 10 }");
    let clock = Arc::new(ManualClock::new(1_800_000_000_000_000));
    let l = limiter(&plans, clock.clone());
    let free = plans.get("free").unwrap();
    for i in 0..10 {
        let d = l.check(&[check("consumer:a", free)]).await;
        assert!(d.allowed, "request {i}");
        assert_eq!(d.store, StoreUsed::Local);
    }
    let d = l.check(&[check("consumer:a", free)]).await;
    assert!(!d.allowed);
    assert_eq!(d.exhausted, Some(Exhausted::Rate));
    assert_eq!(d.retry_after, Some(Duration::from_millis(500)));
    assert_eq!(
        d.refusal_status(),
        Some(http::StatusCode::TOO_MANY_REQUESTS)
    );
    clock.advance(Duration::from_millis(500));
    assert!(l.check(&[check("consumer:a", free)]).await.allowed);
    assert_eq!(l.stats().denied, 1);
}

#[tokio::test]
async fn a_quota_resets_at_the_utc_day_edge_and_reports_the_seconds_to_it() {
    let plans = plans("free: { quota: 2/day }");
    let day = days_from_civil(2026, 11, 23) as u64;
    let clock = Arc::new(ManualClock::new((day + 1) * DAY_US - 90_000_000));
    let l = limiter(&plans, clock.clone());
    let free = plans.get("free").unwrap();
    assert!(l.check(&[check("k", free)]).await.allowed);
    assert!(l.check(&[check("k", free)]).await.allowed);
    let d = l.check(&[check("k", free)]).await;
    assert!(!d.allowed);
    assert_eq!(d.exhausted, Some(Exhausted::Quota));
    assert_eq!(d.retry_after, Some(Duration::from_secs(90)));
    assert_eq!(rejection_body(&d)["error"], "quota_exceeded");
    clock.advance(Duration::from_secs(90));
    let d = l.check(&[check("k", free)]).await;
    assert!(d.allowed, "a new UTC day");
    assert_eq!(d.most_restrictive.unwrap().remaining, 1);
}

#[tokio::test]
async fn the_most_restrictive_limit_is_the_one_with_the_fewest_requests_left() {
    let plans = plans("free: { rate: 2/s, burst: 10, quota: 1000/day }");
    let clock = Arc::new(ManualClock::new(1_800_000_000_000_000));
    let l = limiter(&plans, clock);
    let ip = Arc::new(Policy::rate(
        "route:users:ip#1",
        Rate::parse("100/s").unwrap(),
        200,
    ));
    let d = l
        .check(&[
            check("consumer:a", plans.get("free").unwrap()),
            check("ip:198.18.0.1", &ip),
        ])
        .await;
    assert!(d.allowed);
    assert_eq!(d.states.len(), 3);
    let most = d.most_restrictive.unwrap();
    assert_eq!((most.policy.as_str(), most.remaining), ("plan:free", 9));
    assert_eq!(most.window, Window::Second);
}

#[tokio::test]
async fn a_repeated_check_charges_the_key_once() {
    let plans = plans("free: { quota: 5/day }");
    let l = limiter(&plans, Arc::new(ManualClock::new(1_800_000_000_000_000)));
    let free = plans.get("free").unwrap();
    let d = l.check(&[check("k", free), check("k", free)]).await;
    assert_eq!(d.most_restrictive.unwrap().remaining, 4);
}

#[tokio::test]
async fn inspect_and_reset_see_and_clear_a_local_key() {
    let plans = plans("free: { rate: 1/m, quota: 5/day }");
    let l = limiter(&plans, Arc::new(ManualClock::new(1_800_000_000_000_000)));
    let free = plans.get("free").unwrap();
    assert!(l.check(&[check("consumer:a", free)]).await.allowed);
    let seen = l.inspect("consumer:a").await.unwrap();
    assert_eq!(seen.policies.len(), 1);
    assert_eq!(seen.policies[0].quota_used, Some(1));
    assert_eq!(seen.policies[0].rate_debt_ms, Some(60_000));
    assert!(!l.check(&[check("consumer:a", free)]).await.allowed);
    assert!(l.reset("consumer:a").await.unwrap());
    assert!(l.check(&[check("consumer:a", free)]).await.allowed);
}

#[tokio::test]
async fn no_checks_means_allowed_without_headers() {
    let l = limiter(&Plans::default(), Arc::new(ManualClock::new(0)));
    let d = l.check(&[]).await;
    assert!(d.allowed && d.most_restrictive.is_none());
}

#[tokio::test]
async fn a_reload_keeps_the_counters_of_unchanged_stores() {
    let plans = plans("free: { quota: 2/day }");
    let l = limiter(&plans, Arc::new(ManualClock::new(1_800_000_000_000_000)));
    let free = plans.get("free").unwrap();
    assert!(l.check(&[check("k", free)]).await.allowed);
    assert!(l.check(&[check("k", free)]).await.allowed);
    let reloaded = l.reconfigure(&RateLimitConfig::default(), &plans).unwrap();
    assert!(
        !reloaded.check(&[check("k", free)]).await.allowed,
        "still counted"
    );
    assert_eq!(reloaded.stats().allowed, 2, "statistics carry over");
    let mut bigger = RateLimitConfig::default();
    bigger.local.max_keys = 5;
    let resized = l.reconfigure(&bigger, &plans).unwrap();
    assert!(
        resized.check(&[check("k", free)]).await.allowed,
        "a new store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_tasks_of_a_thousand_checks_get_exactly_a_limit_of_five_hundred() {
    let plans = plans("free: { rate: 1/h, burst: 500 }");
    let l = Arc::new(limiter(
        &plans,
        Arc::new(ManualClock::new(1_800_000_000_000_000)),
    ));
    let free = plans.get("free").unwrap().clone();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (l, free) = (l.clone(), free.clone());
            tokio::spawn(async move {
                let mut allowed = 0u32;
                for _ in 0..1000 {
                    // Two limits per request, as with a consumer plus an IP limit.
                    let d = l
                        .check(&[
                            check("consumer:shared", &free),
                            check("ip:198.18.0.3", &free),
                        ])
                        .await;
                    allowed += u32::from(d.allowed);
                }
                allowed
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 500);
}

//! End to end: the limiter against real redis-server processes — shared limits
//! across several gateways, outages with and without fallback, recovery, quota
//! rollover on an injected clock, key TTLs, and Redis Cluster.
#[path = "support/redis.rs"]
mod redis_support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use gateway::limit::{
    LimitCheck, Limiter, ManualClock, Plans, PlansConfig, Policy, Quota, QuotaWindow, Rate,
    RateLimitConfig, RedisConfig, StoreUsed, config::StoreKind, rejection_body,
};
use redis_support::{RedisCluster, RedisServer};

const DAY_US: u64 = 86_400_000_000;
/// 2027-01-01T00:00:00Z minus one second.
const NEW_YEAR_US: u64 = 1_798_761_600_000_000;

fn redis_config(url: &str, fault_tolerant: bool) -> RateLimitConfig {
    let mut redis = RedisConfig::new(url);
    // The build machine is shared and busy: generous bounds keep tests about
    // behaviour, not timing.
    redis.timeout = Duration::from_secs(2);
    redis.fault_tolerant = fault_tolerant;
    redis.breaker_failures = 1;
    redis.breaker_cooldown = Duration::from_millis(200);
    RateLimitConfig {
        store: StoreKind::Redis,
        redis: Some(redis),
        ..Default::default()
    }
}

fn limiter(url: &str, fault_tolerant: bool, clock: &Arc<ManualClock>) -> Limiter {
    Limiter::with_clock(
        &redis_config(url, fault_tolerant),
        &Plans::default(),
        clock.clone(),
    )
    .expect("limiter")
}

fn quota(name: &str, count: u64) -> Arc<Policy> {
    Arc::new(Policy::quota(
        name,
        Quota {
            count,
            window: QuotaWindow::Day,
        },
    ))
}

fn check(key: &str, policy: &Arc<Policy>) -> LimitCheck {
    LimitCheck {
        key: key.to_string(),
        policy: policy.clone(),
    }
}

/// Runs `attempts` checks from `tasks` concurrent tasks on each limiter; returns
/// (allowed, errors).
async fn hammer(
    limiters: &[Arc<Limiter>],
    checks: Vec<LimitCheck>,
    tasks: usize,
    attempts: usize,
) -> (u64, u64) {
    let allowed = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let checks = Arc::new(checks);
    let mut handles = Vec::new();
    for l in limiters {
        for _ in 0..tasks {
            let (l, checks, allowed, errors) =
                (l.clone(), checks.clone(), allowed.clone(), errors.clone());
            handles.push(tokio::spawn(async move {
                for _ in 0..attempts {
                    let d = l.check(&checks).await;
                    if d.error.is_some() {
                        errors.fetch_add(1, Ordering::Relaxed);
                    } else if d.allowed {
                        assert_eq!(d.store, StoreUsed::Redis);
                        allowed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    for h in handles {
        h.await.expect("task");
    }
    (
        allowed.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_gateways_sharing_one_key_together_allow_the_configured_amount() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    // Three limiters, each with its own connection: three gateways.
    let gateways: Vec<Arc<Limiter>> = (0..3)
        .map(|_| Arc::new(limiter(&redis.url(), false, &clock)))
        .collect();
    let plan = quota("plan:free", 1500);
    // 3 gateways × 8 tasks × 125 attempts = 3000 attempts for 1500 allowed.
    let (allowed, errors) = hammer(&gateways, vec![check("consumer:shared", &plan)], 8, 125).await;
    assert_eq!(errors, 0, "no store errors");
    let tolerance = 1500 / 100;
    assert!(
        allowed.abs_diff(1500) <= tolerance && allowed <= 1500,
        "allowed {allowed} of 1500"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_rate_shared_by_three_gateways_is_never_exceeded() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let gateways: Vec<Arc<Limiter>> = (0..3)
        .map(|_| Arc::new(limiter(&redis.url(), false, &clock)))
        .collect();
    // 10/hour with a burst of 300: time stands still, so exactly the burst passes.
    let rate = Arc::new(Policy::rate(
        "route:r:ip#0",
        Rate::parse("10/h").unwrap(),
        300,
    ));
    let (allowed, errors) = hammer(&gateways, vec![check("ip:198.18.0.9", &rate)], 4, 60).await;
    assert_eq!((allowed, errors), (300, 0));
}

#[tokio::test]
async fn a_request_denied_by_one_limit_consumes_none_of_the_others_in_redis() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let l = limiter(&redis.url(), false, &clock);
    let tight = quota("tight", 1);
    let loose = quota("loose", 10);
    assert!(l.check(&[check("ip:198.18.0.1", &tight)]).await.allowed);
    let d = l
        .check(&[check("ip:198.18.0.1", &tight), check("consumer:c", &loose)])
        .await;
    assert!(!d.allowed);
    assert_eq!(d.store, StoreUsed::Redis);
    let d = l.check(&[check("consumer:c", &loose)]).await;
    assert_eq!(
        d.most_restrictive.unwrap().remaining,
        9,
        "loose was not charged"
    );
}

#[tokio::test]
async fn a_quota_rolls_over_at_the_utc_day_edge_on_the_injected_clock() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 1_000_000));
    let l = limiter(&redis.url(), false, &clock);
    let plan = quota("plan:free", 2);
    let c = [check("consumer:a", &plan)];
    assert!(l.check(&c).await.allowed);
    assert!(l.check(&c).await.allowed);
    let d = l.check(&c).await;
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Some(Duration::from_secs(1)));
    assert_eq!(rejection_body(&d)["error"], "quota_exceeded");
    clock.advance(Duration::from_secs(1));
    let d = l.check(&c).await;
    assert!(d.allowed, "the new day has a fresh quota");
    assert_eq!(d.most_restrictive.unwrap().remaining, 1);
    // A month quota does not roll over at midnight inside a month.
    let monthly = Arc::new(Policy::quota(
        "plan:m",
        Quota {
            count: 1,
            window: QuotaWindow::Month,
        },
    ));
    let m = [check("consumer:m", &monthly)];
    assert!(l.check(&m).await.allowed);
    clock.advance(Duration::from_micros(DAY_US));
    assert!(!l.check(&m).await.allowed, "still January");
}

#[tokio::test]
async fn keys_carry_ttls_that_outlive_their_state_and_no_more() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 100_000_000));
    let l = limiter(&redis.url(), false, &clock);
    let rate = Arc::new(Policy::rate("r", Rate::parse("1/m").unwrap(), 1));
    assert!(l.check(&[check("ip:198.18.0.2", &rate)]).await.allowed);
    let ttl: i64 = redis
        .cli(&["TTL", "gw:rl:{rl}:ip:198.18.0.2"])
        .parse()
        .unwrap();
    assert!((55..=61).contains(&ttl), "rate key TTL {ttl}");
    // A day quota 100 s before midnight lives until midnight.
    let q = quota("q", 5);
    assert!(l.check(&[check("consumer:t", &q)]).await.allowed);
    let ttl: i64 = redis
        .cli(&["TTL", "gw:rl:{rl}:consumer:t"])
        .parse()
        .unwrap();
    assert!((95..=101).contains(&ttl), "quota key TTL {ttl}");
}

#[tokio::test]
async fn the_script_is_reloaded_when_redis_forgot_it() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let l = limiter(&redis.url(), false, &clock);
    let q = quota("q", 5);
    assert_eq!(l.check(&[check("k", &q)]).await.store, StoreUsed::Redis);
    assert_eq!(redis.cli(&["SCRIPT", "FLUSH"]), "OK");
    let d = l.check(&[check("k", &q)]).await;
    assert!(d.error.is_none(), "{:?}", d.error);
    assert_eq!(d.most_restrictive.unwrap().remaining, 3);
}

#[tokio::test]
async fn inspect_and_reset_work_on_redis_keys() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let l = limiter(&redis.url(), false, &clock);
    let q = quota("plan:free", 1);
    assert!(l.check(&[check("consumer:x", &q)]).await.allowed);
    let seen = l.inspect("consumer:x").await.unwrap();
    assert_eq!(seen.store, StoreUsed::Redis);
    assert_eq!(seen.policies[0].policy, "plan:free");
    assert_eq!(seen.policies[0].quota_used, Some(1));
    assert!(!l.check(&[check("consumer:x", &q)]).await.allowed);
    assert!(l.reset("consumer:x").await.unwrap());
    assert_eq!(redis.cli(&["EXISTS", "gw:rl:{rl}:consumer:x"]), "0");
    assert!(l.check(&[check("consumer:x", &q)]).await.allowed);
}

/// Checks until the limiter answers from Redis again (bounded).
async fn until_redis_is_used(l: &Limiter, c: &[LimitCheck]) {
    let start = Instant::now();
    loop {
        let d = l.check(c).await;
        if d.store == StoreUsed::Redis && d.error.is_none() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the limiter never went back to redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn with_fault_tolerance_an_outage_falls_back_to_local_limits_and_recovers() {
    let mut redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let l = limiter(&redis.url(), true, &clock);
    let q = quota("plan:free", 5);
    let c = [check("consumer:f", &q)];
    assert_eq!(l.check(&c).await.store, StoreUsed::Redis);

    redis.stop();
    let mut allowed = 0;
    for _ in 0..20 {
        let d = l.check(&c).await;
        assert_eq!(d.store, StoreUsed::LocalFallback);
        assert!(d.error.is_none());
        if d.allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5, "the fallback still limits (never unlimited)");
    let stats = l.stats();
    assert!(
        stats.redis_errors >= 1 && stats.store_fallbacks == 20,
        "{stats:?}"
    );

    redis.restart();
    until_redis_is_used(&l, &c).await;
    assert_eq!(l.stats().breaker, "closed");
}

#[tokio::test]
async fn without_fault_tolerance_an_outage_gives_an_error_decision_then_recovers() {
    let mut redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let l = limiter(&redis.url(), false, &clock);
    let q = quota("plan:free", 5);
    let c = [check("consumer:g", &q)];
    assert!(l.check(&c).await.allowed);

    redis.stop();
    for _ in 0..5 {
        let d = l.check(&c).await;
        assert!(!d.allowed);
        assert!(d.error.is_some());
        assert!(d.retry_after.is_some());
        assert_eq!(rejection_body(&d)["status"], 503);
        let mut headers = http::HeaderMap::new();
        gateway::limit::headers::apply(&d, &mut headers, false);
        assert!(headers.contains_key("retry-after"));
    }
    assert!(l.stats().redis_unavailable >= 5);

    redis.restart();
    until_redis_is_used(&l, &c).await;
}

#[tokio::test]
async fn a_hung_redis_is_cut_off_by_the_timeout_and_the_fallback_answers() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let mut cfg = redis_config(&redis.url(), true);
    if let Some(r) = cfg.redis.as_mut() {
        r.timeout = Duration::from_millis(100);
    }
    let l = Limiter::with_clock(&cfg, &Plans::default(), clock.clone()).unwrap();
    let q = quota("plan:free", 3);
    let c = [check("consumer:h", &q)];
    assert_eq!(l.check(&c).await.store, StoreUsed::Redis);

    redis.pause();
    // Bounded by the test harness too: a hang here fails instead of blocking forever.
    let d = tokio::time::timeout(Duration::from_secs(30), l.check(&c))
        .await
        .expect("the check returns although redis does not answer");
    assert_eq!(d.store, StoreUsed::LocalFallback);
    assert!(d.allowed);
    assert!(l.stats().redis_errors >= 1);
    assert_eq!(l.stats().breaker, "open");

    redis.resume();
    until_redis_is_used(&l, &c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_shares_limits_and_keeps_a_requests_keys_in_one_slot() {
    let cluster = RedisCluster::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let urls = cluster.urls();
    let gateways: Vec<Arc<Limiter>> = (0..3)
        .map(|_| {
            let mut cfg = redis_config(&urls[0], false);
            if let Some(r) = cfg.redis.as_mut() {
                r.cluster = true;
                r.urls = urls[1..].to_vec();
            }
            Arc::new(
                Limiter::with_clock(
                    &cfg,
                    &Plans::compile(&PlansConfig::new()).unwrap(),
                    clock.clone(),
                )
                .unwrap(),
            )
        })
        .collect();
    // Two keys per request (consumer and IP): one script, one slot, no CROSSSLOT.
    let consumer = quota("plan:free", 300);
    let ip = quota("route:r:ip#1", 100_000);
    let checks = vec![check("consumer:cl", &consumer), check("ip:198.18.0.7", &ip)];
    let (allowed, errors) = hammer(&gateways, checks, 4, 50).await;
    assert_eq!((allowed, errors), (300, 0));
    assert_eq!(
        cluster
            .cli(&["HGET", "gw:rl:{rl}:ip:198.18.0.7", "route:r:ip#1|q"])
            .split(':')
            .nth(1),
        Some("300")
    );
}

/// Serves `limit::admin::handle` on a loopback port, as the admin listener does.
async fn serve_admin(limiter: Arc<Limiter>) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use http_body_util::Full;
    use hyper::{Response, server::conn::http1, service::service_fn};
    use hyper_util::rt::TokioIo;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let limiter = limiter.clone();
                    async move {
                        let (status, body) = gateway::limit::admin::handle(
                            &limiter,
                            req.method(),
                            req.uri().query(),
                        )
                        .await;
                        let mut resp =
                            Response::new(Full::new(bytes::Bytes::from(body.to_string())));
                        *resp.status_mut() = status;
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(args)
        .output()
        .expect("the gateway binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_limits_show_and_reset_reach_the_redis_store_through_the_admin_api() {
    let redis = RedisServer::start();
    let clock = Arc::new(ManualClock::new(NEW_YEAR_US - 3_600_000_000));
    let l = Arc::new(limiter(&redis.url(), false, &clock));
    let q = quota("plan:free", 1);
    let c = [check("consumer:mobile-app", &q)];
    assert!(l.check(&c).await.allowed);
    let (addr, server) = serve_admin(l.clone()).await;
    let admin = addr.to_string();

    let out = tokio::task::spawn_blocking({
        let admin = admin.clone();
        move || cli(&["limits", "show", "consumer:mobile-app", "--admin", &admin])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["store"], "redis");
    assert_eq!(shown["policies"][0]["policy"], "plan:free");
    assert_eq!(shown["policies"][0]["quota_used"], 1);
    assert!(!l.check(&c).await.allowed);

    let out = tokio::task::spawn_blocking({
        let admin = admin.clone();
        move || cli(&["limits", "reset", "consumer:mobile-app", "--admin", &admin])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        l.check(&c).await.allowed,
        "the quota starts over after a reset"
    );
    server.abort();
}

//! Active health checks: one task per target sends `GET <path>` every interval;
//! `unhealthy_threshold` consecutive failures take the target out,
//! `healthy_threshold` consecutive successes (2xx/3xx) bring it back.
use std::sync::{Arc, atomic::Ordering};

use http::{Request, header};
use tokio::task::JoinHandle;

use super::{Pool, now_ms};
use crate::proxy::{body, deps::Telemetry};

/// Starts the checks of every target of `pool` (none without `health_check`).
pub fn spawn_health_checks(pool: &Arc<Pool>, telemetry: &Arc<Telemetry>) -> Vec<JoinHandle<()>> {
    let Some(hc) = pool.health_check.clone() else {
        return Vec::new();
    };
    (0..pool.targets.len())
        .map(|i| {
            let pool = pool.clone();
            let telemetry = telemetry.clone();
            let hc = hc.clone();
            tokio::spawn(async move {
                let target = &pool.targets[i];
                let uri = format!("http://{}{}", target.addr, hc.path);
                let mut ticker = tokio::time::interval(hc.interval.0);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticker.tick().await;
                    let ok = check_once(&pool, &uri, &target.addr, hc.timeout.0).await;
                    let h = &target.health;
                    if ok {
                        h.check_failures.store(0, Ordering::Relaxed);
                        let n = h.check_successes.fetch_add(1, Ordering::Relaxed) + 1;
                        let ejected = h.ejected_until.load(Ordering::Relaxed) > now_ms();
                        if n >= hc.healthy_threshold
                            && (h.active_down.swap(false, Ordering::Relaxed) || ejected)
                        {
                            // A target that passes its checks again is also let out of a
                            // passive ejection: the checks know better than a timer.
                            h.ejected_until.store(0, Ordering::Relaxed);
                            tracing::info!(upstream = %pool.name, target = %target.addr, "target is healthy again");
                            telemetry.metrics.set_upstream_health(&pool.name, &target.addr, true);
                        }
                    } else {
                        h.check_successes.store(0, Ordering::Relaxed);
                        let n = h.check_failures.fetch_add(1, Ordering::Relaxed) + 1;
                        if n >= hc.unhealthy_threshold && !h.active_down.swap(true, Ordering::Relaxed) {
                            tracing::warn!(upstream = %pool.name, target = %target.addr, "target failed its health checks");
                            telemetry.metrics.set_upstream_health(&pool.name, &target.addr, false);
                        }
                    }
                }
            })
        })
        .collect()
}

async fn check_once(pool: &Pool, uri: &str, addr: &str, timeout: std::time::Duration) -> bool {
    let Ok(req) = Request::get(uri)
        .header(header::HOST, addr)
        .header(header::USER_AGENT, "gateway-health-check")
        .body(body::empty())
    else {
        return false;
    };
    match tokio::time::timeout(timeout, pool.client().request(req)).await {
        Ok(Ok(resp)) => {
            let s = resp.status();
            s.is_success() || s.is_redirection()
        }
        _ => false,
    }
}

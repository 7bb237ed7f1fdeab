//! Upstream pools: the targets of one named upstream, how one is picked (weighted
//! round robin, least connections, client-IP hash), their health (active checks and
//! passive ejection, state kept in `Shared` so it survives reloads) and the
//! keep-alive client used to reach them.
mod balance;
mod client;
mod health;

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

pub use client::{UpstreamClient, UpstreamFailure, classify};
pub use health::spawn_health_checks;

use crate::config::{self, Balance};

/// Milliseconds on a process-wide monotonic clock (for ejection deadlines).
pub fn now_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
}

/// Health and load of one target; lives in `Shared` (keyed by upstream and address)
/// so reloads keep it.
#[derive(Debug, Default)]
pub struct TargetHealth {
    /// Marked down by active health checks.
    pub active_down: AtomicBool,
    /// Consecutive failed active checks.
    pub check_failures: AtomicU32,
    /// Consecutive successful active checks.
    pub check_successes: AtomicU32,
    /// Consecutive failed requests (passive health).
    pub request_failures: AtomicU32,
    /// Ejected (passive health) until this `now_ms()`.
    pub ejected_until: AtomicU64,
    /// Requests in flight (least connections).
    pub in_flight: AtomicUsize,
}

impl TargetHealth {
    /// Whether requests may be sent to the target now.
    pub fn is_available(&self) -> bool {
        !self.active_down.load(Ordering::Relaxed)
            && self.ejected_until.load(Ordering::Relaxed) <= now_ms()
    }
}

/// One server of a pool.
#[derive(Debug)]
pub struct Target {
    /// `host:port`.
    pub addr: String,
    /// Relative weight.
    pub weight: u32,
    /// Shared health state.
    pub health: Arc<TargetHealth>,
}

/// Counts a request in flight on a target until dropped.
#[derive(Debug)]
pub struct InFlight(Arc<TargetHealth>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A named upstream: targets, balancing, health policy and client.
#[derive(Debug)]
pub struct Pool {
    /// Upstream name (logs, metrics).
    pub name: String,
    /// Its targets, in config order.
    pub targets: Vec<Target>,
    balance: Balance,
    /// Weighted round-robin schedule (indices into `targets`).
    schedule: Vec<usize>,
    cursor: AtomicUsize,
    /// Passive health policy.
    pub passive: config::PassiveHealth,
    /// Active health check policy.
    pub health_check: Option<config::HealthCheck>,
    /// Time allowed for the response head.
    pub response_timeout: Duration,
    /// Keep-alive clients: one per worker thread (so a request and its upstream
    /// connection stay on one thread), plus one for everything else (health checks).
    clients: Vec<UpstreamClient>,
}

thread_local! {
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// Marks the current thread as worker `i` (its requests use client `i` of each pool).
pub fn set_worker(i: usize) {
    WORKER.with(|w| w.set(i));
}

impl Pool {
    /// Builds a pool; health state comes from (and stays in) `health_of`.
    pub fn new(
        name: &str,
        up: &config::Upstream,
        workers: usize,
        health_of: impl Fn(&str) -> Arc<TargetHealth>,
    ) -> Self {
        let targets: Vec<Target> = up
            .targets
            .iter()
            .map(|t| Target {
                addr: t.addr.clone(),
                weight: t.weight.max(1),
                health: health_of(&t.addr),
            })
            .collect();
        let weights: Vec<u32> = targets.iter().map(|t| t.weight).collect();
        Self {
            name: name.to_string(),
            schedule: balance::smooth_wrr_schedule(&weights),
            targets,
            balance: up.balance,
            cursor: AtomicUsize::new(0),
            passive: up.passive.clone(),
            health_check: up.health_check.clone(),
            response_timeout: up.response_timeout.0,
            clients: (0..=workers).map(|_| UpstreamClient::new(up)).collect(),
        }
    }

    /// The client of the current worker thread.
    pub fn client(&self) -> &UpstreamClient {
        let i = WORKER.with(|w| w.get()).min(self.clients.len() - 1);
        &self.clients[i]
    }

    /// A one-target pool for unit tests.
    #[cfg(test)]
    pub fn for_tests(name: &str) -> Self {
        let up: config::Upstream = serde_yaml_ng::from_str("targets: ['127.0.0.1:9']").unwrap();
        Self::new(name, &up, 1, |_| Arc::new(TargetHealth::default()))
    }

    /// Picks an available target for a request from `client_ip`, never `exclude`.
    pub fn pick(&self, client_ip: IpAddr, exclude: Option<usize>) -> Option<usize> {
        let ok = |i: usize| Some(i) != exclude && self.targets[i].health.is_available();
        match self.balance {
            Balance::RoundRobin => {
                let start = self.cursor.fetch_add(1, Ordering::Relaxed);
                balance::first_in_schedule(&self.schedule, start, ok)
            }
            Balance::IpHash => {
                let start = balance::hash_ip(client_ip) as usize;
                balance::first_in_schedule(&self.schedule, start, ok)
            }
            Balance::LeastConn => {
                let start = self.cursor.fetch_add(1, Ordering::Relaxed);
                balance::least_loaded(&self.targets, start, ok)
            }
        }
    }

    /// Marks a request in flight on target `i`.
    pub fn enter(&self, i: usize) -> InFlight {
        let h = self.targets[i].health.clone();
        h.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(h)
    }

    /// Records a request outcome on target `i` for passive health, and says whether
    /// it changed the target's state (for the health metric and logs).
    pub fn record(&self, i: usize, ok: bool) -> HealthChange {
        let h = &self.targets[i].health;
        if ok {
            h.request_failures.store(0, Ordering::Relaxed);
            // The first success after an ejection ended: the target is back.
            if h.ejected_until.swap(0, Ordering::Relaxed) != 0 {
                return HealthChange::Recovered;
            }
            return HealthChange::None;
        }
        if self.passive.max_failures == 0 {
            return HealthChange::None;
        }
        let n = h.request_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.passive.max_failures {
            h.request_failures.store(0, Ordering::Relaxed);
            h.ejected_until.store(
                now_ms() + self.passive.ejection.0.as_millis() as u64,
                Ordering::Relaxed,
            );
            return HealthChange::Ejected;
        }
        HealthChange::None
    }
}

/// How a request outcome changed a target's passive health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    /// Nothing changed.
    None,
    /// Too many consecutive failures: the target is ejected.
    Ejected,
    /// A success after an ejection: the target is back.
    Recovered,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(yaml: &str) -> Pool {
        let up: config::Upstream = serde_yaml_ng::from_str(yaml).unwrap();
        Pool::new("u", &up, 1, |_| Arc::new(TargetHealth::default()))
    }

    fn ip() -> IpAddr {
        "192.0.2.1".parse().unwrap()
    }

    #[test]
    fn round_robin_follows_the_weights() {
        let p = pool("targets: [{addr: 'a:1', weight: 3}, {addr: 'b:1', weight: 1}]");
        let mut counts = [0; 2];
        for _ in 0..400 {
            counts[p.pick(ip(), None).unwrap()] += 1;
        }
        assert_eq!(counts, [300, 100]);
    }

    #[test]
    fn ejected_targets_are_skipped_until_the_ejection_ends() {
        let p = pool("targets: ['a:1', 'b:1']\npassive: {max_failures: 2, ejection: 1h}");
        assert_eq!(p.record(0, false), HealthChange::None);
        assert_eq!(p.record(0, false), HealthChange::Ejected);
        for _ in 0..10 {
            assert_eq!(p.pick(ip(), None), Some(1));
        }
        assert_eq!(p.pick(ip(), Some(1)), None);
    }

    #[test]
    fn ip_hash_sends_one_client_to_one_target() {
        let p = pool("targets: ['a:1', 'b:1', 'c:1']\nbalance: ip_hash");
        let first = p.pick(ip(), None);
        for _ in 0..10 {
            assert_eq!(p.pick(ip(), None), first);
        }
    }

    #[test]
    fn least_conn_prefers_the_target_with_fewer_requests_in_flight() {
        let p = pool("targets: ['a:1', 'b:1']\nbalance: least_conn");
        let _busy = p.enter(0);
        for _ in 0..5 {
            assert_eq!(p.pick(ip(), None), Some(1));
        }
    }
}

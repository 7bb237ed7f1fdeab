//! Authentication failures counted per client IP and per reason: the ban engine
//! (issue 6) subscribes with a hook and the metrics read the totals. The per-IP table
//! is bounded; counts are over a sliding-free fixed window (reset when it ends).
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::error::AuthError;

/// Called with the client IP, the failure, and its count in the current window.
pub type FailureHook = Arc<dyn Fn(IpAddr, &AuthError, u64) + Send + Sync>;

/// Most client IPs tracked at once.
const MAX_IPS: usize = 100_000;
/// Reasons, in the order of `AuthError::reason` values counted.
const REASONS: [&str; 10] = [
    "missing",
    "invalid_token",
    "invalid_api_key",
    "invalid_certificate",
    "insufficient_scope",
    "forbidden",
    "ext_authz_denied",
    "ext_authz_unavailable",
    "keys_unavailable",
    "config",
];

/// Per-IP and per-reason failure counts.
pub struct FailureTracker {
    window: Duration,
    per_ip: Mutex<HashMap<IpAddr, (Instant, u64)>>,
    by_reason: [AtomicU64; REASONS.len()],
    hook: RwLock<Option<FailureHook>>,
}

impl std::fmt::Debug for FailureTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureTracker")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Default for FailureTracker {
    fn default() -> Self {
        FailureTracker::new(Duration::from_secs(60))
    }
}

impl FailureTracker {
    /// A tracker counting per IP over windows of `window`.
    pub fn new(window: Duration) -> FailureTracker {
        FailureTracker {
            window,
            per_ip: Mutex::new(HashMap::new()),
            by_reason: Default::default(),
            hook: RwLock::new(None),
        }
    }

    /// Sets the function told about every failure (the ban engine).
    pub fn set_hook(&self, hook: FailureHook) {
        if let Ok(mut h) = self.hook.write() {
            *h = Some(hook);
        }
    }

    /// Records a failure of `ip`; client-caused ones count toward the IP.
    pub fn record(&self, ip: IpAddr, err: &AuthError) {
        if let Some(i) = REASONS.iter().position(|r| *r == err.reason())
            && let Some(c) = self.by_reason.get(i)
        {
            c.fetch_add(1, Ordering::Relaxed);
        }
        if !err.is_client_failure() {
            return;
        }
        let count = {
            let Ok(mut map) = self.per_ip.lock() else {
                return;
            };
            if map.len() >= MAX_IPS && !map.contains_key(&ip) {
                let window = self.window;
                map.retain(|_, (start, _)| start.elapsed() < window);
                if map.len() >= MAX_IPS {
                    map.clear();
                }
            }
            let entry = map.entry(ip).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= self.window {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
            entry.1
        };
        let hook = self.hook.read().ok().and_then(|h| h.clone());
        if let Some(hook) = hook {
            hook(ip, err, count);
        }
    }

    /// Failures of `ip` in its current window.
    pub fn count(&self, ip: IpAddr) -> u64 {
        self.per_ip
            .lock()
            .ok()
            .and_then(|m| {
                m.get(&ip)
                    .filter(|(s, _)| s.elapsed() < self.window)
                    .map(|e| e.1)
            })
            .unwrap_or(0)
    }

    /// Total failures by reason, for metrics.
    pub fn totals(&self) -> Vec<(&'static str, u64)> {
        REASONS
            .iter()
            .zip(&self.by_reason)
            .map(|(r, c)| (*r, c.load(Ordering::Relaxed)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_failures_count_per_ip_and_reach_the_hook() {
        let t = FailureTracker::default();
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        t.set_hook(Arc::new(move |_, _, n| s.store(n, Ordering::Relaxed)));
        let ip: IpAddr = "198.18.0.9".parse().unwrap();
        t.record(ip, &AuthError::InvalidApiKey);
        t.record(ip, &AuthError::Missing);
        assert_eq!(t.count(ip), 2);
        assert_eq!(seen.load(Ordering::Relaxed), 2);
        assert_eq!(t.count("198.18.0.10".parse().unwrap()), 0);
    }

    #[test]
    fn server_side_failures_are_not_held_against_the_client() {
        let t = FailureTracker::default();
        let ip: IpAddr = "::1".parse().unwrap();
        t.record(ip, &AuthError::KeysUnavailable);
        assert_eq!(t.count(ip), 0);
        assert!(t.totals().contains(&("keys_unavailable", 1)));
    }
}

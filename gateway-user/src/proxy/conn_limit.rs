//! Client connection limits, like nginx `limit_conn`: a total and a per-client-IP
//! count of open connections. Over `max_connections` a new connection is closed at
//! once (answering would spend what the limit protects); over
//! `max_connections_per_ip` the connection is served a single `429 Too Many
//! Requests` JSON answer with `Connection: close`. The counts live in `Shared` and
//! the limits follow the current runtime (a reload changes them for new connections).
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use super::{deps::Telemetry, route::canonical};
use crate::config::Limits;

/// Open connections and the limits in force.
#[derive(Debug)]
pub struct ConnCounts {
    open: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    max_total: AtomicUsize,
    max_per_ip: AtomicUsize,
}

impl Default for ConnCounts {
    fn default() -> Self {
        Self {
            open: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
            max_total: AtomicUsize::new(usize::MAX),
            max_per_ip: AtomicUsize::new(0),
        }
    }
}

impl ConnCounts {
    /// Applies the limits of a (new) runtime.
    pub fn set_limits(&self, limits: &Limits) {
        self.max_total
            .store(limits.max_connections, Ordering::Relaxed);
        self.max_per_ip
            .store(limits.max_connections_per_ip, Ordering::Relaxed);
    }

    /// Open client connections, all listeners.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// A counted connection; releases its counts when dropped.
pub struct ConnSlot {
    counts: Arc<ConnCounts>,
    telemetry: Arc<Telemetry>,
    listener: Arc<str>,
    ip: IpAddr,
    /// Over the per-IP limit: answer 429 and close.
    pub over_ip_limit: bool,
}

impl ConnSlot {
    /// Counts a new connection from `ip`; `None` when the total limit is reached.
    pub fn acquire(
        counts: &Arc<ConnCounts>,
        telemetry: &Arc<Telemetry>,
        listener: &Arc<str>,
        ip: IpAddr,
    ) -> Option<Self> {
        let ip = canonical(ip);
        let prev = counts.open.fetch_add(1, Ordering::AcqRel);
        if prev >= counts.max_total.load(Ordering::Relaxed) {
            counts.open.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let max_ip = counts.max_per_ip.load(Ordering::Relaxed);
        let mut per_ip = counts.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let n = per_ip.entry(ip).or_insert(0);
        *n += 1;
        let over_ip_limit = max_ip != 0 && *n > max_ip;
        drop(per_ip);
        telemetry.metrics.connection_opened(listener);
        Some(Self {
            counts: counts.clone(),
            telemetry: telemetry.clone(),
            listener: listener.clone(),
            ip,
            over_ip_limit,
        })
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.counts.open.fetch_sub(1, Ordering::AcqRel);
        let mut per_ip = self.counts.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
        drop(per_ip);
        self.telemetry.metrics.connection_closed(&self.listener);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_ip: usize) -> Limits {
        let mut l: Limits = serde_yaml_ng::from_str("{}").unwrap();
        l.max_connections = total;
        l.max_connections_per_ip = per_ip;
        l
    }

    #[test]
    fn connections_over_the_per_ip_limit_are_marked_and_released_on_drop() {
        let counts = Arc::new(ConnCounts::default());
        counts.set_limits(&limits(10, 1));
        let t = Arc::new(Telemetry::without_access_log());
        let l: Arc<str> = Arc::from("l");
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let first = ConnSlot::acquire(&counts, &t, &l, ip).unwrap();
        let second = ConnSlot::acquire(&counts, &t, &l, ip).unwrap();
        assert!(!first.over_ip_limit);
        assert!(second.over_ip_limit);
        drop((first, second));
        assert_eq!(counts.open(), 0);
        assert!(
            !ConnSlot::acquire(&counts, &t, &l, ip)
                .unwrap()
                .over_ip_limit
        );
    }

    #[test]
    fn connections_over_the_total_limit_are_refused() {
        let counts = Arc::new(ConnCounts::default());
        counts.set_limits(&limits(1, 0));
        let t = Arc::new(Telemetry::without_access_log());
        let l: Arc<str> = Arc::from("l");
        let _held = ConnSlot::acquire(&counts, &t, &l, "192.0.2.1".parse().unwrap()).unwrap();
        assert!(ConnSlot::acquire(&counts, &t, &l, "192.0.2.2".parse().unwrap()).is_none());
    }
}

//! Starting the ban loop in the daemon: attach the filter to `edge.interfaces`,
//! open its maps, build the [`BanManager`], connect the cluster, read XDP
//! overflow events, sweep expired bans every second, and install the manager
//! process-wide so the accept loop ([`is_banned`]) and the proxy stages
//! ([`offense`]) reach it without being handed it.
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use gateway_common::RateLimit;

use super::{
    cluster::{self, ClusterLink},
    config::host_name,
    events::{self, EventReader},
    manager::{BanManager, OffenseKind},
};
use crate::{config::Config, edge};

static INSTALLED: OnceLock<Arc<BanManager>> = OnceLock::new();

/// The process-wide manager, once the daemon started one.
pub fn installed() -> Option<&'static Arc<BanManager>> {
    INSTALLED.get()
}

/// Records an offense (the hook WAF, auth, rate-limit and hygiene stages call); a no-op without `bans`.
pub fn offense(ip: std::net::IpAddr, kind: OffenseKind, evidence: &str) {
    if let Some(m) = INSTALLED.get() {
        m.offense(ip, kind, evidence);
    }
}

/// True when connections from `ip` must be refused at accept.
pub fn is_banned(ip: std::net::IpAddr) -> bool {
    INSTALLED.get().is_some_and(|m| m.is_banned(ip))
}

/// Names the interfaces still running an older layout's filter, which this
/// daemon cannot feed (it writes the current layout's maps), and how to upgrade them.
fn warn_older_filters(base: &std::path::Path) {
    for dir in edge::pin::other_versions(base) {
        if !edge::migrate::carries(&dir) {
            continue;
        }
        for iface in edge::migrate::linked_interfaces(&dir) {
            tracing::warn!(
                iface = %iface,
                layout = edge::migrate::version_of(&dir).unwrap_or(0),
                "{iface} runs the edge filter of an older map layout, which this gateway does not update: \
                 run `gateway edge attach --iface {iface}` (or list it in edge.interfaces) to upgrade it, its bans carried over"
            );
        }
    }
}

/// What the daemon keeps alive while it runs.
pub struct BanLoop {
    /// The manager.
    pub manager: Arc<BanManager>,
    _link: Option<ClusterLink>,
    _events: Option<EventReader>,
    sweeper: tokio::task::JoinHandle<()>,
}

impl Drop for BanLoop {
    fn drop(&mut self) {
        self.sweeper.abort();
    }
}

/// Starts the ban loop when the configuration has `edge`, `bans` or `cluster`.
pub fn start(config: &Config) -> anyhow::Result<Option<BanLoop>> {
    if config.edge.is_none() && config.bans.is_none() && config.cluster.is_none() {
        return Ok(None);
    }
    let base = edge::pin_base(config.edge.as_ref().and_then(|e| e.pin_dir.as_deref()));
    let mut xdp = None;
    if let Some(e) = &config.edge {
        for iface in &e.interfaces {
            let done = edge::ensure_attached(&base, iface, e.mode.into())
                .with_context(|| format!("attaching the edge filter to {iface}"))?;
            tracing::info!(iface = %iface, mode = %done.mode, program_id = done.program_id, "edge filter attached");
        }
        let mut handle = edge::Edge::open(&base).context("opening the edge filter's maps")?;
        if let Some(rate) = e.rate {
            let limit = RateLimit {
                pps: rate.pps,
                burst: rate.burst.unwrap_or(rate.pps.saturating_mul(2)),
            };
            handle
                .set_default_limit(limit)
                .context("setting edge.rate")?;
        }
        xdp = Some(handle);
    } else {
        // No `edge` section: use the filter if an operator attached it, else enforce at accept only.
        // open_existing: never create maps on a host where nobody attached the filter.
        match edge::Edge::open_existing(&edge::pin::versioned(&base)) {
            Ok(h) => xdp = Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "no XDP maps: bans are enforced at accept only");
                warn_older_filters(&base);
            }
        }
    }
    let events_edge = match &xdp {
        Some(_) => edge::Edge::open_existing(&edge::pin::versioned(&base)).ok(),
        None => None,
    };
    let node = config
        .cluster
        .as_ref()
        .map_or_else(host_name, |c| c.node_name());
    let manager = Arc::new(
        BanManager::new(
            config.bans.clone().unwrap_or_default(),
            config.client_ip.trusted_proxies.clone(),
            node,
            xdp,
        )
        .with_offenders_file(edge::notes::state_file(&base, "offenders", "json")),
    );
    let link = match &config.cluster {
        Some(c) => Some(cluster::start(manager.clone(), c).context("cluster.redis")?),
        None => None,
    };
    let reader = match (&events_edge, config.bans.is_some()) {
        (Some(e), true) => match events::start(e, manager.clone()) {
            Ok(r) => Some(r),
            Err(err) => {
                tracing::warn!(error = %err, "XDP overflow events are not read");
                None
            }
        },
        _ => None,
    };
    let sweeping = manager.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let m = sweeping.clone();
            let _ = tokio::task::spawn_blocking(move || m.sweep()).await;
        }
    });
    if INSTALLED.set(manager.clone()).is_err() {
        tracing::warn!("a ban manager was already installed in this process");
    }
    Ok(Some(BanLoop {
        manager,
        _link: link,
        _events: reader,
        sweeper,
    }))
}

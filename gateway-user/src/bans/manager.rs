//! [`BanManager`]: turns offenses into bans. It scores offenses per client
//! address, bans the address (masked to `prefix_v4`/`prefix_v6`) when the
//! threshold is crossed, doubles the TTL for repeat offenders up to `max_ttl`,
//! never bans allowlisted networks, installs bans in the XDP blocklist (when
//! the host has one) and in an in-process set consulted at accept, writes the
//! audit line, and hands the ban to the cluster publisher.
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use gateway_common::BanReason;
use ipnet::IpNet;
use tokio::sync::mpsc;

use super::{
    audit::{Action, AuditEvent, Origin},
    cluster::{ClusterMsg, Op},
    config::BansConfig,
    offenders::Offenders,
    score::Scoreboard,
};
use crate::edge::{Edge, ttl::unix_now};

/// Kinds of offense, each worth `bans.points.<kind>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OffenseKind {
    /// Blocked by the WAF.
    Waf,
    /// Failed authentication.
    Auth,
    /// Answered 429.
    Rate,
    /// Malformed request.
    Malformed,
    /// XDP bucket overflow.
    Edge,
}

impl OffenseKind {
    /// Lower-case name used in evidence.
    pub const fn name(self) -> &'static str {
        match self {
            OffenseKind::Waf => "waf",
            OffenseKind::Auth => "auth",
            OffenseKind::Rate => "rate",
            OffenseKind::Malformed => "malformed",
            OffenseKind::Edge => "edge",
        }
    }

    /// The ban reason recorded when this kind tips the balance (edge overflows → `rate`).
    pub const fn reason(self) -> BanReason {
        match self {
            OffenseKind::Waf => BanReason::Waf,
            OffenseKind::Auth => BanReason::Auth,
            OffenseKind::Rate | OffenseKind::Edge | OffenseKind::Malformed => BanReason::Rate,
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// A ban the manager knows about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveBan {
    /// Unix second it ends; `None` = permanent.
    pub expires_unix: Option<u64>,
    /// Why.
    pub reason: BanReason,
    /// The node that decided it.
    pub node: String,
    /// Installed in this host's XDP map: lifting it there (`gateway ban del`) lifts it
    /// at accept too.
    pub in_map: bool,
}

/// What [`BanManager::offense`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The banned network.
    pub net: IpNet,
    /// Ban length.
    pub ttl: Duration,
    /// Reason recorded.
    pub reason: BanReason,
    /// Which ban of this network this is (0 = first).
    pub repeat: u32,
}

/// Offenses gathered for one address, for the audit line.
#[derive(Debug, Default)]
struct Evidence {
    counts: [u32; 5],
    notes: Vec<String>,
}

/// Mutable scoring state behind one lock.
#[derive(Debug)]
struct State {
    board: Scoreboard,
    evidence: HashMap<IpAddr, Evidence>,
    /// Networks banned before, kept for `max_ttl` (on disk in the daemon).
    offenders: Offenders,
}

const REASONS: usize = 7;

/// The ban loop's state, shared by the proxy stages, the event reader and the cluster link.
pub struct BanManager {
    cfg: BansConfig,
    node: String,
    allow: RwLock<Vec<IpNet>>,
    edge: Option<Mutex<Edge>>,
    state: Mutex<State>,
    active: RwLock<HashMap<IpNet, ActiveBan>>,
    outbox: Mutex<Option<mpsc::UnboundedSender<ClusterMsg>>>,
    issued: [AtomicU64; REASONS],
    sync_lag_ms: AtomicU64,
}

impl BanManager {
    /// A manager for `cfg`; `allow` (trusted proxies, …) is never banned, nor is
    /// the edge allowlist; `edge` is `None` on hosts without XDP.
    pub fn new(cfg: BansConfig, allow: Vec<IpNet>, node: String, edge: Option<Edge>) -> Self {
        let board = Scoreboard::new(*cfg.window, cfg.max_tracked);
        let mut all_allow = allow;
        all_allow.extend(cfg.allow.iter().copied());
        if let Some(e) = &edge {
            all_allow.extend(e.allows().unwrap_or_default());
        }
        BanManager {
            cfg,
            node,
            allow: RwLock::new(all_allow),
            edge: edge.map(Mutex::new),
            state: Mutex::new(State {
                board,
                evidence: HashMap::new(),
                offenders: Offenders::default(),
            }),
            active: RwLock::new(HashMap::new()),
            outbox: Mutex::new(None),
            issued: Default::default(),
            sync_lag_ms: AtomicU64::new(0),
        }
    }

    /// Keeps the repeat-offender history in `file` (loading it now), so the
    /// escalating TTL survives restarts.
    pub fn with_offenders_file(self, file: std::path::PathBuf) -> Self {
        if let Ok(mut st) = self.state.lock() {
            st.offenders = Offenders::persistent(file);
        }
        self
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Sends every ban and unban decided here to the cluster link from now on.
    pub fn set_publisher(&self, tx: mpsc::UnboundedSender<ClusterMsg>) {
        if let Ok(mut o) = self.outbox.lock() {
            *o = Some(tx);
        }
    }

    /// True when `ip` lies in an allowlisted network (never banned).
    pub fn is_allowed(&self, ip: IpAddr) -> bool {
        self.allow
            .read()
            .map(|a| a.iter().any(|n| n.contains(&ip)))
            .unwrap_or(false)
    }

    /// The network banned for `ip`: the address masked to `prefix_v4`/`prefix_v6`.
    pub fn ban_net(&self, ip: IpAddr) -> IpNet {
        let prefix = match ip {
            IpAddr::V4(_) => self.cfg.prefix_v4,
            IpAddr::V6(_) => self.cfg.prefix_v6,
        };
        IpNet::new(ip, prefix)
            .map(|n| n.trunc())
            .unwrap_or_else(|_| IpNet::from(ip))
    }

    /// Records an offense by `ip`; bans it when its points within the window reach
    /// the threshold. `evidence` (a rule id, a status) goes into the audit line.
    pub fn offense(&self, ip: IpAddr, kind: OffenseKind, evidence: &str) -> Option<Decision> {
        if self.is_allowed(ip) || self.is_banned(ip) {
            return None;
        }
        let points = match kind {
            OffenseKind::Waf => self.cfg.points.waf,
            OffenseKind::Auth => self.cfg.points.auth,
            OffenseKind::Rate => self.cfg.points.rate,
            OffenseKind::Malformed => self.cfg.points.malformed,
            OffenseKind::Edge => self.cfg.points.edge,
        };
        if points == 0 {
            return None;
        }
        let now = Instant::now();
        let (decision, evidence) = {
            let mut st = self.state.lock().ok()?;
            let total = st.board.add(ip, points, now);
            if st.evidence.len() >= self.cfg.max_tracked && !st.evidence.contains_key(&ip) {
                st.evidence.clear();
            }
            let ev = st.evidence.entry(ip).or_default();
            ev.counts[kind.index()] += 1;
            if !evidence.is_empty()
                && ev.notes.len() < 16
                && !ev.notes.iter().any(|n| n == evidence)
            {
                ev.notes.push(evidence.to_string());
            }
            if total < u64::from(self.cfg.threshold) {
                return None;
            }
            let ev = st.evidence.remove(&ip).unwrap_or_default();
            st.board.reset(ip);
            let net = self.ban_net(ip);
            let max = *self.cfg.max_ttl;
            let cap = self.cfg.max_tracked;
            let repeat = st
                .offenders
                .record(net, unix_now(), max.as_secs().max(1), cap);
            let ttl = escalate(*self.cfg.ttl, max, repeat);
            let mut json = serde_json::Map::new();
            for k in [
                OffenseKind::Waf,
                OffenseKind::Auth,
                OffenseKind::Rate,
                OffenseKind::Malformed,
                OffenseKind::Edge,
            ] {
                if ev.counts[k.index()] > 0 {
                    json.insert(k.name().into(), ev.counts[k.index()].into());
                }
            }
            json.insert("points".into(), total.into());
            json.insert("repeat".into(), repeat.into());
            json.insert("details".into(), ev.notes.into());
            json.insert("client".into(), ip.to_string().into());
            (
                Decision {
                    net,
                    ttl,
                    reason: kind.reason(),
                    repeat,
                },
                serde_json::Value::Object(json),
            )
        };
        if self.cfg.dry_run {
            tracing::warn!(net = %decision.net, reason = decision.reason.name(), "bans.dry_run: would ban");
            return Some(decision);
        }
        self.ban(
            decision.net,
            Some(decision.ttl),
            decision.reason,
            Origin::Automatic,
            evidence,
        );
        Some(decision)
    }

    /// Bans `net` here and on every node; allowlisted networks are refused (returns false).
    pub fn ban(
        &self,
        net: IpNet,
        ttl: Option<Duration>,
        reason: BanReason,
        origin: Origin,
        evidence: serde_json::Value,
    ) -> bool {
        if self.is_allowed(net.network()) {
            tracing::warn!(%net, "not banning an allowlisted network");
            return false;
        }
        let expires_unix = ttl.map(|t| unix_now() + t.as_secs().max(1));
        self.install(
            net,
            expires_unix,
            reason,
            self.node.clone(),
            origin,
            evidence,
        );
        self.publish(ClusterMsg {
            op: Op::Add,
            cidr: net.to_string(),
            expires_unix,
            reason: reason.name().to_string(),
            node: self.node.clone(),
            sent_ms: unix_ms(),
        });
        true
    }

    /// Lifts the ban of `net` here and on every node.
    pub fn unban(&self, net: IpNet, origin: Origin) {
        self.remove(net, "manual", &self.node.clone(), origin);
        self.publish(ClusterMsg {
            op: Op::Del,
            cidr: net.to_string(),
            expires_unix: None,
            reason: "manual".into(),
            node: self.node.clone(),
            sent_ms: unix_ms(),
        });
    }

    /// Applies a ban or unban received from another node (reason `cluster`; never republished).
    pub fn apply_remote(&self, msg: &ClusterMsg) {
        let Ok(net) = msg.cidr.parse::<IpNet>() else {
            tracing::warn!(cidr = %msg.cidr, "cluster message with a bad network ignored");
            return;
        };
        if msg.sent_ms > 0 {
            self.sync_lag_ms
                .store(unix_ms().saturating_sub(msg.sent_ms), Ordering::Relaxed);
        }
        match msg.op {
            Op::Add => {
                if msg.expires_unix.is_some_and(|e| e <= unix_now()) {
                    return;
                }
                if self.is_allowed(net.network()) {
                    tracing::warn!(%net, node = %msg.node, "cluster ban of an allowlisted network ignored");
                    return;
                }
                let evidence = serde_json::json!({"from": msg.node, "reason": msg.reason});
                self.install(
                    net,
                    msg.expires_unix,
                    BanReason::Cluster,
                    msg.node.clone(),
                    Origin::Automatic,
                    evidence,
                );
            }
            Op::Del => self.remove(net, "cluster", &msg.node, Origin::Manual),
        }
    }

    /// True when `ip` is inside a live ban (checked when a connection is accepted).
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        let Ok(active) = self.active.read() else {
            return false;
        };
        if active.is_empty() {
            return false;
        }
        let now = unix_now();
        active
            .iter()
            .any(|(net, b)| net.contains(&ip) && b.expires_unix.is_none_or(|e| e > now))
    }

    /// Live bans known to this manager.
    pub fn active(&self) -> Vec<(IpNet, ActiveBan)> {
        let now = unix_now();
        let mut out: Vec<_> = self
            .active
            .read()
            .map(|a| {
                a.iter()
                    .filter(|(_, b)| b.expires_unix.is_none_or(|e| e > now))
                    .map(|(n, b)| (*n, b.clone()))
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by_key(|(n, _)| *n);
        out
    }

    /// Removes expired bans (in-process set and XDP map), forgets idle scores,
    /// refreshes the edge allowlist; returns how many bans ended.
    pub fn sweep(&self) -> usize {
        let now = unix_now();
        let expired: Vec<IpNet> = self
            .active
            .write()
            .map(|mut a| {
                let gone: Vec<IpNet> = a
                    .iter()
                    .filter(|(_, b)| b.expires_unix.is_some_and(|e| e <= now))
                    .map(|(n, _)| *n)
                    .collect();
                for n in &gone {
                    a.remove(n);
                }
                gone
            })
            .unwrap_or_default();
        for net in &expired {
            self.audit(
                Action::Unban,
                *net,
                "expired",
                serde_json::Value::Null,
                None,
                &self.node,
                Origin::Automatic,
            );
        }
        if let Some(edge) = &self.edge
            && let Ok(mut e) = edge.lock()
        {
            // A slice of the ban tables per call: a full cycle every 32 s.
            if let Err(err) = e.sweep_step() {
                tracing::warn!(error = %err, "sweeping expired XDP bans failed");
            }
            // `gateway ban del` edits the map only: a ban that left it is lifted at
            // accept as well (point lookups of the few live bans, not a map walk).
            let lifted: Vec<IpNet> = self
                .active
                .read()
                .map(|a| {
                    a.iter()
                        .filter(|(net, b)| b.in_map && matches!(e.is_blocked(**net), Ok(false)))
                        .map(|(net, _)| *net)
                        .collect()
                })
                .unwrap_or_default();
            if let Ok(mut a) = self.active.write() {
                for net in &lifted {
                    a.remove(net);
                }
            }
            for net in lifted {
                self.audit(
                    Action::Unban,
                    net,
                    "manual",
                    serde_json::json!({"lifted": "removed from the XDP map (gateway ban del)"}),
                    None,
                    &self.node,
                    Origin::Manual,
                );
            }
            if let Ok(list) = e.allows()
                && let Ok(mut allow) = self.allow.write()
            {
                for n in list {
                    if !allow.contains(&n) {
                        allow.push(n);
                    }
                }
            }
        }
        if let Ok(mut st) = self.state.lock() {
            st.board.prune(Instant::now());
            let live: Vec<IpAddr> = st.evidence.keys().copied().collect();
            for ip in live {
                if st.board.score(ip, Instant::now()) == 0 {
                    st.evidence.remove(&ip);
                }
            }
        }
        expired.len()
    }

    /// Prometheus text for the ban metrics (appended to `/metrics`).
    pub fn metrics_text(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP gateway_bans_active Live bans by reason.\n# TYPE gateway_bans_active gauge\n",
        );
        let active = self.active();
        for r in BanReason::ALL {
            let n = active.iter().filter(|(_, b)| b.reason == r).count();
            out.push_str(&format!(
                "gateway_bans_active{{reason=\"{}\"}} {n}\n",
                r.name()
            ));
        }
        out.push_str("# HELP gateway_bans_issued Bans installed by reason.\n# TYPE gateway_bans_issued counter\n");
        for r in BanReason::ALL {
            let n = self.issued[r as usize].load(Ordering::Relaxed);
            out.push_str(&format!(
                "gateway_bans_issued_total{{reason=\"{}\"}} {n}\n",
                r.name()
            ));
        }
        out.push_str("# HELP gateway_cluster_sync_lag_seconds Age of the last ban received from another node when it arrived.\n# TYPE gateway_cluster_sync_lag_seconds gauge\n");
        let lag = self.sync_lag_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        out.push_str(&format!("gateway_cluster_sync_lag_seconds {lag}\n"));
        out
    }

    fn install(
        &self,
        net: IpNet,
        expires_unix: Option<u64>,
        reason: BanReason,
        node: String,
        origin: Origin,
        evidence: serde_json::Value,
    ) {
        let ttl = expires_unix.map(|e| Duration::from_secs(e.saturating_sub(unix_now()).max(1)));
        let mut in_map = false;
        if let Some(edge) = &self.edge
            && let Ok(mut e) = edge.lock()
        {
            let note = format!("node {node}");
            match e.ban_add_noted(net, ttl, reason, Some(&note)) {
                Ok(()) => in_map = true,
                Err(err) => {
                    tracing::error!(%net, error = %err, "installing the ban in the XDP map failed; enforced at accept only");
                }
            }
        }
        if let Ok(mut a) = self.active.write() {
            a.insert(
                net,
                ActiveBan {
                    expires_unix,
                    reason,
                    node: node.clone(),
                    in_map,
                },
            );
        }
        self.issued[reason as usize].fetch_add(1, Ordering::Relaxed);
        self.audit(
            Action::Ban,
            net,
            reason.name(),
            evidence,
            ttl.map(|t| t.as_secs()),
            &node,
            origin,
        );
    }

    fn remove(&self, net: IpNet, reason: &str, node: &str, origin: Origin) {
        let known = self
            .active
            .write()
            .map(|mut a| a.remove(&net).is_some())
            .unwrap_or(false);
        let mut in_map = false;
        if let Some(edge) = &self.edge
            && let Ok(mut e) = edge.lock()
        {
            in_map = e.ban_del(net).is_ok();
        }
        if known || in_map {
            self.audit(
                Action::Unban,
                net,
                reason,
                serde_json::Value::Null,
                None,
                node,
                origin,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn audit(
        &self,
        action: Action,
        net: IpNet,
        reason: &str,
        evidence: serde_json::Value,
        ttl_secs: Option<u64>,
        node: &str,
        origin: Origin,
    ) {
        AuditEvent {
            action,
            address: net.to_string(),
            reason: reason.to_string(),
            evidence,
            ttl_secs,
            node: node.to_string(),
            origin,
            at_unix: unix_now(),
        }
        .emit();
    }

    fn publish(&self, msg: ClusterMsg) {
        if let Ok(o) = self.outbox.lock()
            && let Some(tx) = o.as_ref()
        {
            let _ = tx.send(msg);
        }
    }
}

/// `ttl × 2^repeat`, capped at `max`.
pub fn escalate(ttl: Duration, max: Duration, repeat: u32) -> Duration {
    let factor = 1u32.checked_shl(repeat.min(31)).unwrap_or(u32::MAX);
    ttl.checked_mul(factor).unwrap_or(max).min(max)
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;

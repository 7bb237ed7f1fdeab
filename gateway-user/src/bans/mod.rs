//! The ban loop: offenses seen at layer 7 (WAF, auth, 429, malformed) and XDP
//! bucket overflows are scored per client; offenders are banned in the XDP
//! blocklist and refused at accept, and bans are shared across the cluster.
//!
//! Proxy stages call [`BanManager::offense`]; the accept loop calls
//! [`BanManager::is_banned`]; the daemon calls [`BanManager::sweep`] periodically,
//! [`cluster::start`] when `cluster` is configured and [`events::start`] when the
//! filter is attached.
pub mod audit;
pub mod classify;
pub mod cluster;
pub mod config;
pub mod events;
pub mod manager;
pub mod offenders;
pub mod run;
pub mod score;

pub use audit::{AuditEvent, Origin};
pub use classify::offense_for;
pub use config::{BansConfig, ClusterConfig, EdgeSection};
pub use manager::{ActiveBan, BanManager, Decision, OffenseKind};
pub use run::{BanLoop, installed, is_banned, offense};

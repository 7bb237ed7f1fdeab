//! The edge filter: loading the XDP program, pinning it, and managing its maps.
//!
//! The library surface the CLI and the daemon use: [`Edge`] (open the pinned
//! maps; bans, allowlist, limits, settings, counters), [`attach`] / [`detach`] /
//! [`status`] for interfaces, and [`sweep_expired`] for a clean-up
//! (the daemon sweeps a slice a second: [`Edge::sweep_step`]).
mod bans;
mod block;
pub mod buckets;
pub mod cidr;
pub mod cover;
mod error;
pub mod hints;
pub mod import;
mod layouts;
mod links;
mod lists;
mod loader;
mod lock;
pub mod mapping;
mod maps;
pub mod migrate;
pub mod notes;
pub mod pin;
mod stats;
pub mod sweep;
pub mod table;
pub mod ttl;

use std::path::{Path, PathBuf};

pub use bans::{Ban, BanView, ImportReport, parse_reason, parse_reason_or_note};
pub use error::{EdgeError, Result};
pub use links::{LinkStatus, detach, purge, status};
pub use lists::check_limit;
pub use loader::{
    AttachMode, Attached, attach, create_maps, ensure_attached, initial_config, tick_ns,
};
pub use maps::{Edge, parse_overflow};
pub use stats::{DropView, SlotView, Snapshot};

/// The compiled XDP object, built by `build.rs` (empty when `AYA_BUILD_SKIP=1`).
pub static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/gateway-xdp"));

/// Deletes every expired ban at once (`gateway ban sweep`; the daemon calls
/// [`Edge::sweep_step`] every second instead).
pub fn sweep_expired(edge: &mut Edge) -> Result<usize> {
    edge.sweep_expired()
}

/// The pin base directory: the given one, else `$GATEWAY_PIN_DIR`, else `/sys/fs/bpf/gateway`.
pub fn pin_base(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(pin::PIN_DIR_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(pin::DEFAULT_BASE))
}

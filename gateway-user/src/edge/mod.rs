//! The edge filter: loading the XDP program, pinning it, and managing its maps.

/// The compiled XDP object, built by `build.rs` (empty when `AYA_BUILD_SKIP=1`).
pub static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/gateway-xdp"));

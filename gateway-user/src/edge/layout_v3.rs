//! Reading the maps of layout v3 (the layout before this one), for carrying
//! an older filter's state over on an upgrade (`migrate.rs`).
//!
//! Only what differs from the current layout is written here. Layout v4
//! changed the token buckets (v3's LRU hash BUCKETS became the BUCKETS_V4 and
//! BUCKETS_V6 tables) and appended two fields to CONFIG (`bucket_mask_v4`,
//! `bucket_mask_v6`). The ban tables (BLOCK_V4, BLOCK_V6: same rows, slots
//! and `BanValue`), the allowlist tries (ALLOW_V4, ALLOW_V6) and the limit
//! tries (LIMIT_V4, LIMIT_V6) have the same format in both, so they are read
//! with the current readers, their shapes checked against the current specs.
use std::path::Path;

use aya::maps::{Array, Map, MapData};
use gateway_common::{RateLimit, maps};

use super::error::{EdgeError, Result};

/// The layout version this module reads.
pub const VERSION: u32 = 3;

/// CONFIG's single entry in layout v3: today's [`gateway_common::EdgeConfig`]
/// without the bucket masks (80 bytes instead of 88).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigV3 {
    /// Default per-source limit; `pps == 0` turns the rate stage off.
    pub rate: RateLimit,
    /// Bucket key prefix for IPv4 sources.
    pub prefix_v4: u32,
    /// Bucket key prefix for IPv6 sources.
    pub prefix_v6: u32,
    /// Non-zero: monitor mode.
    pub monitor: u32,
    /// Skip bits (recomputed, not carried).
    pub skip: u32,
    /// Prefix lengths of IPv4 bans (recomputed, not carried).
    pub block_lens_v4: u64,
    /// Prefix lengths of IPv6 bans (recomputed, not carried).
    pub block_lens_v6: [u64; 3],
    /// Rows of the v3 ban tables minus one (belongs to the old tables).
    pub block_row_mask: u32,
    /// Nanoseconds per jiffy (recomputed, not carried).
    pub tick_ns: u32,
    /// Seed of the v3 ban tables' hash (belongs to the old tables).
    pub table_seed: u64,
}

// SAFETY: `repr(C)`, `Copy`, no padding (every field is 8-byte aligned where
// it lies), and any bit pattern is a valid value.
unsafe impl aya::Pod for ConfigV3 {}

/// Reads the CONFIG entry of a v3 pin directory; `None` when it is not pinned.
pub fn read_config(dir: &Path) -> Result<Option<ConfigV3>> {
    let path = dir.join(maps::CONFIG);
    if !path.exists() {
        return Ok(None);
    }
    let data = MapData::from_pin(&path).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
    let size = data
        .info()
        .map_err(|e| EdgeError::map("read the info of", maps::CONFIG, e))?
        .value_size();
    if size as usize != size_of::<ConfigV3>() {
        return Err(EdgeError::IncompatibleMap {
            path,
            detail: format!(
                "value size {size}, expected {} for layout v{VERSION}",
                size_of::<ConfigV3>()
            ),
        });
    }
    let map = Map::from_map_data(data).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
    let config: Array<MapData, ConfigV3> =
        Array::try_from(map).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
    config
        .get(&0, 0)
        .map(Some)
        .map_err(|e| EdgeError::map("read", maps::CONFIG, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_v3_config_is_the_current_one_without_its_last_two_fields() {
        assert_eq!(size_of::<ConfigV3>(), 80);
        assert_eq!(
            size_of::<gateway_common::EdgeConfig>(),
            size_of::<ConfigV3>() + 8
        );
        assert_eq!(
            std::mem::offset_of!(ConfigV3, table_seed),
            std::mem::offset_of!(gateway_common::EdgeConfig, table_seed)
        );
    }
}

//! Reading the maps of the older layouts this gateway upgrades from (v3 to
//! v7), for carrying an older filter's state over (`migrate.rs`).
//!
//! Only what differs from the current layout is written here:
//! - v4 changed the token buckets (v3's LRU hash BUCKETS became the
//!   BUCKETS_V4 and BUCKETS_V6 tables; buckets are not carried) and appended
//!   two fields to CONFIG (`bucket_mask_v4`, `bucket_mask_v6`);
//! - v5 marks spilled rows in the ban tables (bit 62 of slot 0's key word,
//!   never set by older layouts), added the hints of the allowlist and rate
//!   override tries (ALLOW_HINTS_*, LIMIT_HINTS_*; set from the copied
//!   entries) and appended the probe order to CONFIG (`block_count_*`,
//!   `block_order_*`);
//! - v6 added the ban tables' cover maps (BAN_COVER_*; set by inserting
//!   the copied bans). Its CONFIG is v5's;
//! - v7 changed the ban tables' hash (multiply-shift instead of splitmix):
//!   the same rows and slots, but an entry's rows differ, so the bans are
//!   re-inserted (as from every older layout). Its CONFIG is v5's;
//! - v8 changed it back to a mixing hash (splitmix), because multiply-shift
//!   left some structured ban sets with no placement (`gateway_common::table`).
//!   Its maps are v7's; the bans are re-inserted.
//!
//! The ban tables (BLOCK_V4, BLOCK_V6: same rows, slots and `BanValue`), the
//! allowlist tries (ALLOW_V4, ALLOW_V6) and the limit tries (LIMIT_V4,
//! LIMIT_V6) have the same format in all of them, so they are read with the
//! current readers, their shapes checked against the current specs. The
//! settings carried (default rate, bucket prefixes, monitor mode) sit at the
//! start of CONFIG, the same in every layout.
use std::path::Path;

use aya::maps::{Array, Map, MapData};
use gateway_common::{EdgeConfig, RateLimit, maps};

use super::error::{EdgeError, Result};

/// The layout versions this module reads.
pub const READABLE: [u32; 5] = [3, 4, 5, 6, 7];

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

/// CONFIG's single entry in layout v4: v3's, then the bucket tables' masks.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigV4 {
    /// The fields v3 had, unchanged.
    pub v3: ConfigV3,
    /// Rows of BUCKETS_V4 minus one (belongs to the old tables).
    pub bucket_mask_v4: u32,
    /// Rows of BUCKETS_V6 minus one (belongs to the old tables).
    pub bucket_mask_v6: u32,
}

// SAFETY (both): `repr(C)`, `Copy`, no padding (every field is 8-byte
// aligned where it lies, and ConfigV4's two u32 fill its last word), and
// any bit pattern is a valid value.
unsafe impl aya::Pod for ConfigV3 {}
unsafe impl aya::Pod for ConfigV4 {}

/// Reads the settings in the CONFIG entry of an older pin directory (the v3
/// fields, which the later layouts start with); `None` when it is not pinned.
pub fn read_config(dir: &Path, version: u32) -> Result<Option<ConfigV3>> {
    match version {
        3 => read_entry::<ConfigV3>(dir, version),
        4 => Ok(read_entry::<ConfigV4>(dir, version)?.map(|c| c.v3)),
        _ => Ok(read_entry::<EdgeConfig>(dir, version)?.map(|c| ConfigV3 {
            rate: c.rate,
            prefix_v4: c.prefix_v4,
            prefix_v6: c.prefix_v6,
            monitor: c.monitor,
            skip: c.skip,
            block_lens_v4: c.block_lens_v4,
            block_lens_v6: c.block_lens_v6,
            block_row_mask: c.block_row_mask,
            tick_ns: c.tick_ns,
            table_seed: c.table_seed,
        })),
    }
}

/// Reads CONFIG's entry as a `T`, refusing a map whose value is not a `T`.
fn read_entry<T: aya::Pod>(dir: &Path, version: u32) -> Result<Option<T>> {
    let path = dir.join(maps::CONFIG);
    if !path.exists() {
        return Ok(None);
    }
    let data = MapData::from_pin(&path).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
    let size = data
        .info()
        .map_err(|e| EdgeError::map("read the info of", maps::CONFIG, e))?
        .value_size();
    if size as usize != size_of::<T>() {
        return Err(EdgeError::IncompatibleMap {
            path,
            detail: format!(
                "value size {size}, expected {} for layout v{version}",
                size_of::<T>()
            ),
        });
    }
    let map = Map::from_map_data(data).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
    let config: Array<MapData, T> =
        Array::try_from(map).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
    config
        .get(&0, 0)
        .map(Some)
        .map_err(|e| EdgeError::map("read", maps::CONFIG, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::mem::offset_of;

    #[test]
    fn the_older_configs_are_prefixes_of_the_current_one() {
        assert_eq!(size_of::<ConfigV3>(), 80);
        assert_eq!(size_of::<ConfigV4>(), 88);
        assert_eq!(
            offset_of!(ConfigV3, table_seed),
            offset_of!(EdgeConfig, table_seed)
        );
        assert_eq!(
            offset_of!(ConfigV3, monitor),
            offset_of!(EdgeConfig, monitor)
        );
        assert_eq!(
            offset_of!(ConfigV4, bucket_mask_v6),
            offset_of!(EdgeConfig, bucket_mask_v6)
        );
        assert_eq!(offset_of!(EdgeConfig, block_count_v4), 88);
    }
}

//! Typed handles on the pinned maps: [`Edge`] opens every map of the layout
//! from the pin directory, creating and pinning them first if needed, so the
//! CLI and the daemon can edit them while the filter runs (or before it is
//! attached).
use std::{
    net::IpAddr,
    path::{Path, PathBuf},
};

use aya::maps::{
    Array, HashMap, Map, MapData, MapError, PerCpuArray, RingBuf,
    lpm_trie::{Key, LpmTrie},
};
use gateway_common::{
    Counter, DropCount, EdgeConfig, OverflowEvent, RateLimit, SourceKey, bucket::WAYS, maps, skip,
};
use ipnet::IpNet;

use super::{
    buckets::Buckets,
    cover::Cover,
    error::{EdgeError, Result},
    loader::{self, AttachMode, Attached},
    lock::WriteLock,
    pin,
    table::{TableV4, TableV6},
};

/// An IPv4 LPM trie with values `V`.
pub(crate) type TrieV4<V> = LpmTrie<MapData, [u8; 4], V>;
/// An IPv6 LPM trie with values `V`.
pub(crate) type TrieV6<V> = LpmTrie<MapData, [u8; 16], V>;

/// The edge filter's maps, opened from their pins.
pub struct Edge {
    pub(crate) dir: PathBuf,
    pub(crate) allow_v4: TrieV4<u8>,
    pub(crate) allow_v6: TrieV6<u8>,
    pub(crate) allow_hints_v4: Array<MapData, u64>,
    pub(crate) allow_hints_v6: Array<MapData, u64>,
    pub(crate) block_v4: TableV4,
    pub(crate) block_v6: TableV6,
    pub(crate) limit_v4: TrieV4<RateLimit>,
    pub(crate) limit_v6: TrieV6<RateLimit>,
    pub(crate) limit_hints_v4: Array<MapData, u64>,
    pub(crate) limit_hints_v6: Array<MapData, u64>,
    pub(crate) config: Array<MapData, EdgeConfig>,
    pub(crate) stats: PerCpuArray<MapData, Counter>,
    pub(crate) drops: HashMap<MapData, SourceKey, DropCount>,
    pub(crate) buckets: Buckets,
    /// Taken around every change of the ban tables and CONFIG.
    pub(crate) lock: WriteLock,
    /// Where the daemon's incremental sweep of the ban tables is.
    pub(crate) sweep: super::sweep::Cursor,
}

impl Edge {
    /// Opens the maps pinned under `{base}/v{LAYOUT_VERSION}`, creating and pinning them if absent.
    pub fn open(base: &Path) -> Result<Edge> {
        let dir = pin::prepare(base)?;
        pin::check_pinned(&dir)?;
        if !pin::all_pinned(&dir) {
            // Another process may create them at the same moment; its maps are as good as ours.
            if let Err(e) = loader::create_maps(&dir)
                && !pin::all_pinned(&dir)
            {
                return Err(e);
            }
        }
        let mut edge = Self::open_existing(&dir)?;
        // Fresh maps start with no skip bits (always right, but slower): set them.
        edge.refresh_skips()?;
        edge.refresh_clock()?;
        Ok(edge)
    }

    /// Opens maps that are already pinned in the versioned directory `dir`; never creates any.
    pub fn open_existing(dir: &Path) -> Result<Edge> {
        if !pin::all_pinned(dir) {
            return Err(EdgeError::NotPinned {
                dir: dir.to_path_buf(),
            });
        }
        let config: Array<MapData, EdgeConfig> = typed(dir, maps::CONFIG)?;
        let seed = config
            .get(&0, 0)
            .map_err(|e| EdgeError::map("read", maps::CONFIG, e))?
            .table_seed;
        Ok(Edge {
            dir: dir.to_path_buf(),
            allow_v4: typed(dir, maps::ALLOW_V4)?,
            allow_v6: typed(dir, maps::ALLOW_V6)?,
            allow_hints_v4: typed(dir, maps::ALLOW_HINTS_V4)?,
            allow_hints_v6: typed(dir, maps::ALLOW_HINTS_V6)?,
            block_v4: table(dir, maps::BLOCK_V4, seed)?.with_cover(cover(dir, maps::BAN_COVER_V4)?),
            block_v6: table(dir, maps::BLOCK_V6, seed)?.with_cover(cover(dir, maps::BAN_COVER_V6)?),
            lock: WriteLock::new(dir.parent().unwrap_or(dir)),
            limit_v4: typed(dir, maps::LIMIT_V4)?,
            limit_v6: typed(dir, maps::LIMIT_V6)?,
            limit_hints_v4: typed(dir, maps::LIMIT_HINTS_V4)?,
            limit_hints_v6: typed(dir, maps::LIMIT_HINTS_V6)?,
            config,
            stats: typed(dir, maps::STATS)?,
            drops: typed(dir, maps::DROPS)?,
            buckets: buckets(dir, seed)?,
            sweep: Default::default(),
        })
    }

    /// The versioned pin directory these maps live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The base pin directory (the parent of the versioned one).
    pub fn base(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    /// Attaches the filter to `iface` using these maps; if it is already
    /// attached there, its program is replaced in place (bans are kept).
    pub fn attach(&self, iface: &str, mode: AttachMode) -> Result<Attached> {
        loader::attach(self.base(), iface, mode, true)
    }

    /// Detaches the filter from `iface`; the maps stay pinned.
    pub fn detach(&self, iface: &str) -> Result<()> {
        super::links::detach(self.base(), iface)
    }

    /// Entries in use per map: (name, entries, capacity). Arrays count as full.
    pub fn fill_levels(&self) -> Result<Vec<(&'static str, u64, u32)>> {
        let mut out = Vec::new();
        let bans = self.block_counts();
        let buckets = self.buckets.counts();
        for spec in &pin::SPECS {
            let used = match spec.name {
                maps::ALLOW_V4 => count(maps::ALLOW_V4, self.allow_v4.keys())?,
                maps::ALLOW_V6 => count(maps::ALLOW_V6, self.allow_v6.keys())?,
                maps::BLOCK_V4 => bans[0].1,
                maps::BLOCK_V6 => bans[1].1,
                maps::LIMIT_V4 => count(maps::LIMIT_V4, self.limit_v4.keys())?,
                maps::LIMIT_V6 => count(maps::LIMIT_V6, self.limit_v6.keys())?,
                maps::BUCKETS_V4 => buckets.0,
                maps::BUCKETS_V6 => buckets.1,
                maps::DROPS => count(maps::DROPS, self.drops.keys())?,
                // Not entries: the ring, the tries' hint bits and the bans' cover bits.
                maps::EVENTS
                | maps::BAN_COVER_V4
                | maps::BAN_COVER_V6
                | maps::ALLOW_HINTS_V4
                | maps::ALLOW_HINTS_V6
                | maps::LIMIT_HINTS_V4
                | maps::LIMIT_HINTS_V6 => continue,
                _ => u64::from(spec.capacity),
            };
            let capacity = match spec.name {
                maps::BLOCK_V4 | maps::BLOCK_V6 => gateway_common::capacity::BLOCK,
                maps::BUCKETS_V4 => self.buckets.rows().0 * WAYS as u32,
                maps::BUCKETS_V6 => self.buckets.rows().1 * WAYS as u32,
                _ => spec.capacity,
            };
            out.push((spec.name, used, capacity));
        }
        Ok(out)
    }

    /// Opens the EVENTS ring buffer (rate-limit overflows) for a consumer such
    /// as the daemon's ban loop; read items with [`parse_overflow`].
    pub fn overflow_events(&self) -> Result<RingBuf<MapData>> {
        typed(&self.dir, maps::EVENTS)
    }

    /// The filter's global settings (CONFIG entry 0).
    pub fn config(&self) -> Result<EdgeConfig> {
        self.config
            .get(&0, 0)
            .map_err(|e| EdgeError::map("read", maps::CONFIG, e))
    }

    /// Replaces the settings an operator chooses (default rate, bucket
    /// prefixes, monitor mode); the XDP program sees them on its next packet.
    ///
    /// The fields user space maintains (skip bits, prefix lengths in use, the
    /// tables' shape and seed, the clock tick) are kept or recomputed, never
    /// taken from `cfg`.
    pub fn set_config(&mut self, cfg: &EdgeConfig) -> Result<()> {
        let _held = self.lock.hold()?;
        let current = self.config()?;
        let cfg = EdgeConfig {
            rate: cfg.rate,
            prefix_v4: cfg.prefix_v4,
            prefix_v6: cfg.prefix_v6,
            monitor: cfg.monitor,
            skip: self.empty_lists()?,
            ..current
        };
        self.write_config(&cfg)
    }

    /// Writes CONFIG as it is (callers hold the lock).
    pub(crate) fn write_config(&mut self, cfg: &EdgeConfig) -> Result<()> {
        self.config
            .set(0, cfg, 0)
            .map_err(|e| EdgeError::map("write", maps::CONFIG, e))
    }

    /// Recomputes which lists are empty and tells the XDP program to skip
    /// their lookups (CONFIG `skip` bits). Every change of a list calls this;
    /// it costs one "first key" call per map.
    pub fn refresh_skips(&mut self) -> Result<()> {
        let _held = self.lock.hold()?;
        let skip = self.empty_lists()?;
        let mut cfg = self.config()?;
        if cfg.skip != skip {
            cfg.skip = skip;
            self.write_config(&cfg)?;
        }
        Ok(())
    }

    /// Writes this kernel's jiffy length and the tables' row counts into CONFIG
    /// if they are not there yet (the program's bucket clock and probes use them).
    fn refresh_clock(&mut self) -> Result<()> {
        let _held = self.lock.hold()?;
        let current = self.config()?;
        let (v4, v6) = self.buckets.rows();
        let cfg = EdgeConfig {
            tick_ns: loader::tick_ns(),
            block_row_mask: self.block_v4.rows().min(self.block_v6.rows()) - 1,
            bucket_mask_v4: v4 - 1,
            bucket_mask_v6: v6 - 1,
            ..current
        };
        if cfg != current {
            self.write_config(&cfg)?;
        }
        Ok(())
    }

    /// The [`skip`] bits of the lists that hold no entry right now.
    fn empty_lists(&self) -> Result<u32> {
        let checks = [
            (
                skip::ALLOW_V4,
                is_empty(maps::ALLOW_V4, self.allow_v4.keys())?,
            ),
            (
                skip::ALLOW_V6,
                is_empty(maps::ALLOW_V6, self.allow_v6.keys())?,
            ),
            (
                skip::LIMIT_V4,
                is_empty(maps::LIMIT_V4, self.limit_v4.keys())?,
            ),
            (
                skip::LIMIT_V6,
                is_empty(maps::LIMIT_V6, self.limit_v6.keys())?,
            ),
        ];
        Ok(checks
            .iter()
            .filter(|(_, empty)| *empty)
            .fold(0, |bits, (bit, _)| bits | bit))
    }
}

/// Opens one pinned map, checks its shape, and wraps it in its typed handle.
pub(crate) fn typed<T>(dir: &Path, name: &'static str) -> Result<T>
where
    T: TryFrom<Map, Error = MapError>,
{
    let path = dir.join(name);
    let data = MapData::from_pin(&path).map_err(|e| EdgeError::map("open", name, e))?;
    if let Some(spec) = pin::SPECS.iter().find(|s| s.name == name) {
        pin::check_shape(spec, &path, &data)?;
    }
    let map = Map::from_map_data(data).map_err(|e| EdgeError::map("open", name, e))?;
    T::try_from(map).map_err(|e| EdgeError::map("open", name, e))
}

/// Opens the pinned bucket tables, checks their shape, and maps them.
fn buckets(dir: &Path, seed: u64) -> Result<Buckets> {
    let open = |name: &'static str| -> Result<MapData> {
        let path = dir.join(name);
        let data = MapData::from_pin(&path).map_err(|e| EdgeError::map("open", name, e))?;
        if let Some(spec) = pin::SPECS.iter().find(|s| s.name == name) {
            pin::check_shape(spec, &path, &data)?;
        }
        Ok(data)
    };
    Buckets::new(open(maps::BUCKETS_V4)?, open(maps::BUCKETS_V6)?, seed).map_err(|e| {
        EdgeError::IncompatibleMap {
            path: dir.join(maps::BUCKETS_V4),
            detail: e.to_string(),
        }
    })
}

/// Opens a pinned ban table, checks its shape, and maps it (without its
/// cover map: read only, until [`super::table::Table::with_cover`]).
pub(crate) fn table<F: super::table::Family>(
    dir: &Path,
    name: &'static str,
    seed: u64,
) -> Result<super::table::Table<F>> {
    let (path, data) = pinned(dir, name)?;
    super::table::Table::new(data, seed).map_err(|e| EdgeError::IncompatibleMap {
        path,
        detail: e.to_string(),
    })
}

/// Opens a pinned cover map, checks its shape, and maps it.
fn cover(dir: &Path, name: &'static str) -> Result<Cover> {
    let (path, data) = pinned(dir, name)?;
    Cover::new(data).map_err(|e| EdgeError::IncompatibleMap {
        path,
        detail: e.to_string(),
    })
}

/// Opens a pinned map and checks its shape against this layout's spec.
fn pinned(dir: &Path, name: &'static str) -> Result<(PathBuf, MapData)> {
    let path = dir.join(name);
    let data = MapData::from_pin(&path).map_err(|e| EdgeError::map("open", name, e))?;
    if let Some(spec) = pin::SPECS.iter().find(|s| s.name == name) {
        pin::check_shape(spec, &path, &data)?;
    }
    Ok((path, data))
}

/// Counts the keys of a map.
pub(crate) fn count<K>(
    name: &'static str,
    keys: impl Iterator<Item = std::result::Result<K, MapError>>,
) -> Result<u64> {
    let mut n = 0u64;
    for k in keys {
        k.map_err(|e| EdgeError::map("iterate", name, e))?;
        n += 1;
    }
    Ok(n)
}

/// Whether a map has no key (only its first key is asked for).
fn is_empty<K>(
    name: &'static str,
    mut keys: impl Iterator<Item = std::result::Result<K, MapError>>,
) -> Result<bool> {
    match keys.next() {
        None => Ok(true),
        Some(Ok(_)) => Ok(false),
        // An entry deleted while we looked: ask again rather than guess.
        Some(Err(e)) if is_not_found(&e) => Ok(false),
        Some(Err(e)) => Err(EdgeError::map("iterate", name, e)),
    }
}

/// The LPM key of an IPv4 network.
pub(crate) fn key_v4(net: &IpNet) -> Option<Key<[u8; 4]>> {
    match net.addr() {
        IpAddr::V4(a) => Some(Key::new(u32::from(net.prefix_len()), a.octets())),
        IpAddr::V6(_) => None,
    }
}

/// The LPM key of an IPv6 network.
pub(crate) fn key_v6(net: &IpNet) -> Option<Key<[u8; 16]>> {
    match net.addr() {
        IpAddr::V6(a) => Some(Key::new(u32::from(net.prefix_len()), a.octets())),
        IpAddr::V4(_) => None,
    }
}

/// True when a map error is the kernel saying "no such key".
pub(crate) fn is_not_found(e: &MapError) -> bool {
    match e {
        MapError::KeyNotFound | MapError::ElementNotFound => true,
        MapError::SyscallError(s) => s.io_error.raw_os_error() == Some(libc::ENOENT),
        _ => false,
    }
}

/// True when a map error is the kernel saying the map is full.
pub(crate) fn is_full(e: &MapError) -> bool {
    match e {
        MapError::SyscallError(s) => matches!(
            s.io_error.raw_os_error(),
            Some(libc::ENOSPC) | Some(libc::E2BIG)
        ),
        _ => false,
    }
}

/// Decodes one EVENTS ring-buffer item; `None` if it is too short.
pub fn parse_overflow(bytes: &[u8]) -> Option<OverflowEvent> {
    if bytes.len() < std::mem::size_of::<OverflowEvent>() {
        return None;
    }
    // SAFETY: the length is checked above, OverflowEvent is plain `repr(C)` data
    // valid for any bit pattern, and read_unaligned copes with any alignment.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<OverflowEvent>()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_handles_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<Edge>();
    }

    #[test]
    fn overflow_events_decode_and_short_items_are_refused() {
        let ev = OverflowEvent {
            source: SourceKey {
                family: gateway_common::family::V4,
                prefix_len: 32,
                addr: [198, 18, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            },
            dropped: 7,
            ts_ns: 42,
        };
        // SAFETY: viewing a plain repr(C) value as bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&ev as *const OverflowEvent).cast::<u8>(),
                std::mem::size_of::<OverflowEvent>(),
            )
        };
        assert_eq!(parse_overflow(bytes), Some(ev));
        assert_eq!(parse_overflow(&bytes[..10]), None);
    }
}

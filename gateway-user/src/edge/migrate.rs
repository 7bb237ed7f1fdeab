//! Carrying state over from an older map layout on an upgrade, so that a
//! new gateway loses no ban: when the current layout's maps are created, the
//! newest older layout directory under the same pin base (`{base}/v4`, `v3`) is
//! read and its live bans, allowlist, rate overrides and settings are copied
//! in; when `attach` then moves an interface off the old filter, whatever the
//! old maps gained meanwhile is merged in too, and the old directory goes
//! once no interface uses it.
//!
//! Not carried: token buckets (sources start with a full bucket), counters,
//! the top-dropped-sources map and the ring of overflow events. Ban notes and
//! the daemon's offenders live in the state directory per pin base, not per
//! layout, so they need no copy.
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use aya::{
    Pod,
    maps::{
        MapData,
        lpm_trie::{Key, LpmTrie},
    },
};

use gateway_common::{EdgeConfig, LAYOUT_VERSION, RateLimit, maps};
use ipnet::IpNet;

use super::{
    Edge,
    block::BlockKey,
    cidr,
    error::{EdgeError, Result},
    hints::List,
    layouts,
    lists::check_limit,
    maps::{TrieV4, TrieV6, table, typed},
    pin,
    table::{V4, V6},
    ttl::monotonic_ns,
};

/// The older layout, if any, whose state a new set of maps should take over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Older {
    /// No older layout holds maps: nothing to carry.
    Nothing,
    /// A layout this gateway reads ([`layouts`]).
    Readable(PathBuf),
    /// An older layout whose format this gateway does not know.
    Unreadable {
        /// Its pin directory.
        dir: PathBuf,
        /// Its version.
        version: u32,
    },
}

/// The layout version of a pin directory named `v{N}`.
pub fn version_of(dir: &Path) -> Option<u32> {
    dir.file_name()?.to_str()?.strip_prefix('v')?.parse().ok()
}

/// True when a pin directory holds at least one map (a pin that is not a link).
fn holds_maps(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| !e.file_name().to_string_lossy().starts_with("link_"))
    })
}

/// The interfaces a pin directory holds a link for, sorted.
pub fn linked_interfaces(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_prefix("link_").map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The newest layout older than this one that holds maps under `base`
/// (anything older still was superseded by it already).
pub fn older_layout(base: &Path) -> Older {
    let newest = pin::other_versions(base)
        .into_iter()
        .filter_map(|dir| version_of(&dir).map(|v| (v, dir)))
        .filter(|(v, dir)| *v < LAYOUT_VERSION && holds_maps(dir))
        .max_by_key(|(v, _)| *v);
    match newest {
        None => Older::Nothing,
        Some((version, dir)) if layouts::READABLE.contains(&version) => Older::Readable(dir),
        Some((version, dir)) => Older::Unreadable { dir, version },
    }
}

/// True when an older layout's state can be carried over: its maps are of a
/// layout this gateway reads, or it has none (a link alone holds no state).
pub fn carries(dir: &Path) -> bool {
    version_of(dir)
        .is_some_and(|v| v < LAYOUT_VERSION && (layouts::READABLE.contains(&v) || !holds_maps(dir)))
}

/// What was copied from an older layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    /// Live bans copied (or, merging, added because they were missing).
    pub bans: usize,
    /// Expired bans left behind.
    pub expired: usize,
    /// Allowlist entries copied.
    pub allows: usize,
    /// Rate overrides copied.
    pub limits: usize,
}

/// How much of the old state to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Fresh maps: copy everything, settings too.
    Fresh,
    /// Maps in use: add the entries they lack, keep their own settings and
    /// their own value for a network both hold.
    Merge,
}

/// Copies the state of the older layout in `old` into `edge`'s maps.
///
/// The ban tables are scanned slot by slot, so the old tables' seed is not
/// needed; each ban is inserted with the new tables' own seed. With
/// [`Mode::Fresh`] the last write is CONFIG's settings (default rate, bucket
/// prefixes, monitor mode), which also marks the new maps ready.
pub(crate) fn carry_over(edge: &mut Edge, old: &Path, mode: Mode) -> Result<Carried> {
    let _held = edge.lock.hold()?;
    let mut carried = Carried::default();
    let now = monotonic_ns();

    let mut bans = Vec::new();
    if old.join(maps::BLOCK_V4).exists() {
        let t = table::<V4>(old, maps::BLOCK_V4, 0)?;
        bans.extend(t.entries().into_iter().map(|(k, v)| (BlockKey::V4(k), v)));
    }
    if old.join(maps::BLOCK_V6).exists() {
        let t = table::<V6>(old, maps::BLOCK_V6, 0)?;
        bans.extend(t.entries().into_iter().map(|(k, v)| (BlockKey::V6(k), v)));
    }
    for (key, ban) in bans {
        if ban.expires_ns != 0 && ban.expires_ns <= now {
            carried.expired += 1;
        } else if mode == Mode::Fresh || edge.block_get(&key).is_none() {
            edge.block_insert(&key, ban)?;
            carried.bans += 1;
        }
    }

    let (v4, v6) = (old.join(maps::ALLOW_V4), old.join(maps::ALLOW_V6));
    if v4.exists() {
        let trie: TrieV4<u8> = typed(old, maps::ALLOW_V4)?;
        let items = read_trie(&trie, maps::ALLOW_V4)?;
        edge.hint(List::Allow, &nets_of(&items, cidr::from_v4))?;
        carried.allows += copy_trie(&items, &mut edge.allow_v4, maps::ALLOW_V4, mode)?;
    }
    if v6.exists() {
        let trie: TrieV6<u8> = typed(old, maps::ALLOW_V6)?;
        let items = read_trie(&trie, maps::ALLOW_V6)?;
        edge.hint(List::Allow, &nets_of(&items, cidr::from_v6))?;
        carried.allows += copy_trie(&items, &mut edge.allow_v6, maps::ALLOW_V6, mode)?;
    }
    if old.join(maps::LIMIT_V4).exists() {
        let trie: TrieV4<RateLimit> = typed(old, maps::LIMIT_V4)?;
        let items = read_trie(&trie, maps::LIMIT_V4)?;
        edge.hint(List::Limit, &nets_of(&items, cidr::from_v4))?;
        carried.limits += copy_trie(&items, &mut edge.limit_v4, maps::LIMIT_V4, mode)?;
    }
    if old.join(maps::LIMIT_V6).exists() {
        let trie: TrieV6<RateLimit> = typed(old, maps::LIMIT_V6)?;
        let items = read_trie(&trie, maps::LIMIT_V6)?;
        edge.hint(List::Limit, &nets_of(&items, cidr::from_v6))?;
        carried.limits += copy_trie(&items, &mut edge.limit_v6, maps::LIMIT_V6, mode)?;
    }
    edge.refresh_skips()?;

    if mode == Mode::Fresh {
        let version = version_of(old).unwrap_or(layouts::READABLE[0]);
        let old_config = layouts::read_config(old, version)?;
        let cfg = settings(edge.config()?, old_config.as_ref());
        edge.set_config(&cfg)?;
    }
    Ok(carried)
}

/// The new CONFIG with the old one's settings: default rate, bucket prefixes
/// and monitor mode. The tables' seed and masks, the clock tick, the skip and
/// length bits belong to the new maps and stay. A value the old map should
/// never have held falls back to the default.
fn settings(new: EdgeConfig, old: Option<&layouts::ConfigV3>) -> EdgeConfig {
    let d = EdgeConfig::DEFAULT;
    let Some(old) = old else {
        return EdgeConfig {
            rate: d.rate,
            prefix_v4: d.prefix_v4,
            prefix_v6: d.prefix_v6,
            monitor: d.monitor,
            ..new
        };
    };
    EdgeConfig {
        rate: if check_limit(&old.rate).is_ok() {
            old.rate
        } else {
            d.rate
        },
        prefix_v4: if (1..=32).contains(&old.prefix_v4) {
            old.prefix_v4
        } else {
            d.prefix_v4
        },
        prefix_v6: if (1..=128).contains(&old.prefix_v6) {
            old.prefix_v6
        } else {
            d.prefix_v6
        },
        monitor: u32::from(old.monitor != 0),
        ..new
    }
}

/// Every (key, value) of an old trie, read once: its networks get their hint
/// bits before the entries are copied (so the program never skips a lookup
/// that would find one).
fn read_trie<K: Pod, V: Pod>(
    trie: &LpmTrie<MapData, K, V>,
    name: &'static str,
) -> Result<Vec<(Key<K>, V)>> {
    trie.iter()
        .map(|item| item.map_err(|e| EdgeError::map("iterate", name, e)))
        .collect()
}

/// The networks of trie entries.
fn nets_of<K: Pod, V>(items: &[(Key<K>, V)], to_net: fn(u32, K) -> IpNet) -> Vec<IpNet> {
    items
        .iter()
        .map(|(key, _)| to_net(key.prefix_len(), key.data()))
        .collect()
}

/// Copies the entries of an old trie into a new one; returns how many were written.
fn copy_trie<K: Pod, V: Pod>(
    from: &[(Key<K>, V)],
    to: &mut LpmTrie<MapData, K, V>,
    name: &'static str,
    mode: Mode,
) -> Result<usize> {
    // Merging: the networks `to` already holds exactly (not merely covers).
    let held: HashSet<(u32, Vec<u8>)> = match mode {
        Mode::Fresh => HashSet::new(),
        Mode::Merge => to
            .keys()
            .map(|k| {
                k.map(|k| (k.prefix_len(), bytes_of(&k.data())))
                    .map_err(|e| EdgeError::map("iterate", name, e))
            })
            .collect::<Result<_>>()?,
    };
    let mut n = 0;
    for (key, value) in from {
        if held.contains(&(key.prefix_len(), bytes_of(&key.data()))) {
            continue;
        }
        to.insert(key, *value, 0)
            .map_err(|e| EdgeError::map("insert", name, e))?;
        n += 1;
    }
    Ok(n)
}

/// The bytes of a map key.
fn bytes_of<K: Pod>(k: &K) -> Vec<u8> {
    // SAFETY: a Pod value is plain bytes.
    unsafe { std::slice::from_raw_parts((k as *const K).cast::<u8>(), size_of::<K>()) }.to_vec()
}

/// Removes an older layout's pin directory once no interface uses it: its
/// maps (their state was carried over) and the directory. Returns whether it went.
pub(crate) fn retire(dir: &Path) -> Result<bool> {
    if !linked_interfaces(dir).is_empty() {
        return Ok(false);
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            std::fs::remove_file(&path).map_err(|err| EdgeError::io(&path, err))?;
        }
    }
    std::fs::remove_dir(dir).map_err(|e| EdgeError::io(dir, e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_directory_is_named_after_its_version() {
        assert_eq!(version_of(Path::new("/sys/fs/bpf/gateway/v3")), Some(3));
        assert_eq!(version_of(Path::new("/sys/fs/bpf/gateway/v12")), Some(12));
        assert_eq!(version_of(Path::new("/sys/fs/bpf/gateway/x3")), None);
    }

    #[test]
    fn old_settings_are_kept_and_the_new_tables_own_their_seed_and_masks() {
        let new = EdgeConfig {
            table_seed: 77,
            tick_ns: 4_000_000,
            prefix_v4: 0,
            ..EdgeConfig::DEFAULT
        };
        let old = layouts::ConfigV3 {
            rate: RateLimit {
                pps: 100,
                burst: 200,
            },
            prefix_v4: 24,
            prefix_v6: 56,
            monitor: 1,
            skip: 0xff,
            block_lens_v4: 1 << 32,
            block_lens_v6: [1, 2, 3],
            block_row_mask: 1,
            tick_ns: 1,
            table_seed: 5,
        };
        let cfg = settings(new, Some(&old));
        assert_eq!(cfg.rate, old.rate);
        assert_eq!((cfg.prefix_v4, cfg.prefix_v6, cfg.monitor), (24, 56, 1));
        assert_eq!((cfg.table_seed, cfg.tick_ns), (77, 4_000_000));
        assert_eq!(cfg.block_row_mask, new.block_row_mask);
        assert_eq!(cfg.bucket_mask_v4, new.bucket_mask_v4);
        assert_eq!(cfg.block_lens_v4, 0);
    }

    #[test]
    fn settings_an_old_map_should_never_hold_fall_back_to_the_defaults() {
        let new = EdgeConfig {
            prefix_v4: 0,
            ..EdgeConfig::DEFAULT
        };
        let old = layouts::ConfigV3 {
            rate: RateLimit { pps: 5, burst: 0 },
            prefix_v4: 0,
            prefix_v6: 200,
            monitor: 0,
            skip: 0,
            block_lens_v4: 0,
            block_lens_v6: [0; 3],
            block_row_mask: 0,
            tick_ns: 0,
            table_seed: 0,
        };
        let cfg = settings(new, Some(&old));
        assert_eq!(cfg.rate, EdgeConfig::DEFAULT.rate);
        assert_eq!((cfg.prefix_v4, cfg.prefix_v6), (32, 64));
        assert_eq!(settings(new, None).prefix_v4, 32, "no old CONFIG: defaults");
    }
}

//! Where the edge filter lives in bpffs: mounting bpffs, the versioned pin
//! directory, and the check that a pinned map still has the shape we expect.
//!
//! Layout: `{base}/v{LAYOUT_VERSION}/{MAP_NAME}` for maps and
//! `{base}/v{LAYOUT_VERSION}/link_{ifname}` for XDP links. A new layout version
//! gets a new directory, so an incompatible map is never reused; `migrate.rs`
//! carries the older directory's state into the new maps.
use std::{
    ffi::CString,
    mem::size_of,
    os::unix::ffi::OsStrExt as _,
    path::{Path, PathBuf},
};

use aya::maps::{MapData, MapType};
use gateway_common::{
    Counter, DropCount, EdgeConfig, LAYOUT_VERSION, RateLimit, SourceKey,
    bucket::{BucketRowV4, BucketRowV6, ROWS_V4, ROWS_V6},
    capacity, cover, hint, maps, stat,
    table::{BLOCK_ROWS, BanRowV4, BanRowV6},
};

use super::error::{EdgeError, Result};

/// Default base directory of the pins.
pub const DEFAULT_BASE: &str = "/sys/fs/bpf/gateway";
/// Environment variable overriding the base directory.
pub const PIN_DIR_ENV: &str = "GATEWAY_PIN_DIR";
/// `statfs` magic of bpffs.
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// The versioned directory for a base directory: `{base}/v{LAYOUT_VERSION}`.
pub fn versioned(base: &Path) -> PathBuf {
    base.join(format!("v{LAYOUT_VERSION}"))
}

/// Path of the pinned link of an interface.
pub fn link_path(dir: &Path, iface: &str) -> PathBuf {
    dir.join(format!("link_{iface}"))
}

/// The shape a map must have in the current layout.
#[derive(Clone, Copy, Debug)]
pub struct MapSpec {
    /// Map name (also its pin file name).
    pub name: &'static str,
    /// Kernel map type.
    pub kind: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity in entries (bytes for the ring buffer).
    pub capacity: u32,
}

const fn lpm_key(addr_len: usize) -> u32 {
    (4 + addr_len) as u32
}

/// Every map of layout v{LAYOUT_VERSION}.
pub const SPECS: [MapSpec; 18] = [
    spec(
        maps::ALLOW_V4,
        MapType::LpmTrie,
        lpm_key(4),
        1,
        capacity::ALLOW,
    ),
    spec(
        maps::ALLOW_V6,
        MapType::LpmTrie,
        lpm_key(16),
        1,
        capacity::ALLOW,
    ),
    spec(maps::ALLOW_HINTS_V4, MapType::Array, 4, 8, hint::WORDS),
    spec(maps::ALLOW_HINTS_V6, MapType::Array, 4, 8, hint::WORDS),
    spec(
        maps::BLOCK_V4,
        MapType::Array,
        4,
        size_of::<BanRowV4>() as u32,
        BLOCK_ROWS,
    ),
    spec(
        maps::BLOCK_V6,
        MapType::Array,
        4,
        size_of::<BanRowV6>() as u32,
        BLOCK_ROWS,
    ),
    spec(maps::BAN_COVER_V4, MapType::Array, 4, 8, cover::WORDS),
    spec(maps::BAN_COVER_V6, MapType::Array, 4, 8, cover::WORDS),
    spec(
        maps::LIMIT_V4,
        MapType::LpmTrie,
        lpm_key(4),
        size_of::<RateLimit>() as u32,
        capacity::LIMIT,
    ),
    spec(
        maps::LIMIT_V6,
        MapType::LpmTrie,
        lpm_key(16),
        size_of::<RateLimit>() as u32,
        capacity::LIMIT,
    ),
    spec(maps::LIMIT_HINTS_V4, MapType::Array, 4, 8, hint::WORDS),
    spec(maps::LIMIT_HINTS_V6, MapType::Array, 4, 8, hint::WORDS),
    spec(
        maps::BUCKETS_V4,
        MapType::Array,
        4,
        size_of::<BucketRowV4>() as u32,
        ROWS_V4,
    ),
    spec(
        maps::BUCKETS_V6,
        MapType::Array,
        4,
        size_of::<BucketRowV6>() as u32,
        ROWS_V6,
    ),
    spec(
        maps::CONFIG,
        MapType::Array,
        4,
        size_of::<EdgeConfig>() as u32,
        1,
    ),
    spec(
        maps::STATS,
        MapType::PerCpuArray,
        4,
        size_of::<Counter>() as u32,
        stat::COUNT,
    ),
    spec(
        maps::DROPS,
        MapType::LruHash,
        size_of::<SourceKey>() as u32,
        size_of::<DropCount>() as u32,
        capacity::DROPS,
    ),
    spec(maps::EVENTS, MapType::RingBuf, 0, 0, capacity::EVENTS_BYTES),
];

const fn spec(
    name: &'static str,
    kind: MapType,
    key_size: u32,
    value_size: u32,
    capacity: u32,
) -> MapSpec {
    MapSpec {
        name,
        kind,
        key_size,
        value_size,
        capacity,
    }
}

/// Makes sure `/sys/fs/bpf` is a bpffs (mounting it if not) when the base is
/// under it, creates the versioned directory, and checks it is on bpffs.
pub fn prepare(base: &Path) -> Result<PathBuf> {
    if base.starts_with("/sys/fs/bpf") {
        ensure_bpffs_mounted(Path::new("/sys/fs/bpf"))?;
    }
    let dir = versioned(base);
    std::fs::create_dir_all(&dir).map_err(|e| EdgeError::io(&dir, e))?;
    if fs_magic(&dir)? != BPF_FS_MAGIC {
        return Err(EdgeError::Bpffs(format!(
            "{} is not on a bpf file system; choose a --pin-dir under a bpffs mount such as /sys/fs/bpf",
            dir.display()
        )));
    }
    Ok(dir)
}

/// Mounts bpffs on `mount_point` unless it already is one.
fn ensure_bpffs_mounted(mount_point: &Path) -> Result<()> {
    if !mount_point.exists() {
        std::fs::create_dir_all(mount_point).map_err(|e| EdgeError::io(mount_point, e))?;
    }
    if fs_magic(mount_point)? == BPF_FS_MAGIC {
        return Ok(());
    }
    let target = cstring(mount_point)?;
    let fstype = c"bpf";
    // SAFETY: all pointers are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::mount(
            fstype.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(EdgeError::Bpffs(format!(
            "{} is not a bpf file system and mounting one failed: {} (are you root?)",
            mount_point.display(),
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// The `f_type` of the file system holding `path`.
fn fs_magic(path: &Path) -> Result<i64> {
    let c = cstring(path)?;
    // SAFETY: statfs is plain data; zeroed is a valid initial value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string and `st` a valid out-pointer.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return Err(EdgeError::io(path, std::io::Error::last_os_error()));
    }
    #[allow(clippy::unnecessary_cast)]
    Ok(st.f_type as i64)
}

fn cstring(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| EdgeError::Bpffs(format!("path {} contains a NUL byte", path.display())))
}

/// Checks every map already pinned in `dir` against [`SPECS`]; missing ones are fine.
pub fn check_pinned(dir: &Path) -> Result<()> {
    for spec in &SPECS {
        let path = dir.join(spec.name);
        if !path.exists() {
            continue;
        }
        let data = MapData::from_pin(&path).map_err(|e| EdgeError::IncompatibleMap {
            path: path.clone(),
            detail: format!("cannot open it: {e}"),
        })?;
        check_shape(spec, &path, &data)?;
    }
    Ok(())
}

/// Compares one opened map with its spec.
pub fn check_shape(spec: &MapSpec, path: &Path, data: &MapData) -> Result<()> {
    let info = data.info().map_err(|e| EdgeError::IncompatibleMap {
        path: path.to_path_buf(),
        detail: format!("cannot read its info: {e}"),
    })?;
    let kind = info.map_type().ok();
    let mut diffs = Vec::new();
    if kind != Some(spec.kind) {
        diffs.push(format!("type {kind:?}, expected {:?}", spec.kind));
    }
    if info.key_size() != spec.key_size {
        diffs.push(format!(
            "key size {}, expected {}",
            info.key_size(),
            spec.key_size
        ));
    }
    if info.value_size() != spec.value_size {
        diffs.push(format!(
            "value size {}, expected {}",
            info.value_size(),
            spec.value_size
        ));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(EdgeError::IncompatibleMap {
            path: path.to_path_buf(),
            detail: diffs.join(", "),
        })
    }
}

/// Pin directories of other layout versions under `base` (left by older or newer gateways).
pub fn other_versions(base: &Path) -> Vec<PathBuf> {
    let current = versioned(base);
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p != &current
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix('v'))
                    .is_some_and(|v| v.parse::<u32>().is_ok())
        })
        .collect();
    out.sort();
    out
}

/// True when every map of the layout is pinned in `dir`.
pub fn all_pinned(dir: &Path) -> bool {
    SPECS.iter().all(|s| dir.join(s.name).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_go_under_a_directory_named_after_the_layout_version() {
        let dir = versioned(Path::new("/sys/fs/bpf/gateway"));
        assert_eq!(
            dir,
            PathBuf::from(format!("/sys/fs/bpf/gateway/v{LAYOUT_VERSION}"))
        );
        assert_eq!(link_path(&dir, "eth0"), dir.join("link_eth0"));
    }

    #[test]
    fn every_map_name_has_one_spec() {
        let mut names: Vec<_> = SPECS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SPECS.len());
    }
}

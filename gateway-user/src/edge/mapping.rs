//! An mmapable array map (created with `BPF_F_MMAPABLE`) mapped into this
//! process as a slice of rows: how user space reads and edits the tables the
//! XDP program probes inline (the ban tables, the bucket tables).
use std::{os::fd::AsFd, ptr::NonNull};

use aya::maps::{Map, MapData};

use super::table::TableError;

/// The rows of one array map, mapped shared.
pub struct Mapping<Row> {
    /// Keeps the map alive as long as the mapping.
    _map: MapData,
    base: NonNull<Row>,
    rows: u32,
}

// SAFETY: the mapping is shared memory owned by this value; nothing in it is
// tied to the thread that created it. Its owners say who may write it.
unsafe impl<Row> Send for Mapping<Row> {}
// SAFETY: as above; shared access only reads (volatile loads).
unsafe impl<Row> Sync for Mapping<Row> {}

impl<Row> Mapping<Row> {
    /// Maps an array map of `Row` with a power-of-two number of rows.
    pub fn new(map: MapData) -> Result<Self, TableError> {
        let info = map
            .info()
            .map_err(|e| TableError::Map(format!("reading the map's info: {e}")))?;
        let rows = info.max_entries();
        if info.value_size() as usize != size_of::<Row>() || !rows.is_power_of_two() {
            return Err(TableError::Map(format!(
                "value size {} and {} rows, expected {} and a power of two",
                info.value_size(),
                rows,
                size_of::<Row>()
            )));
        }
        // SAFETY: a shared mapping of the map's values, as long as the map
        // (the kernel refuses maps created without BPF_F_MMAPABLE).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                rows as usize * size_of::<Row>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                std::os::fd::AsRawFd::as_raw_fd(&map.fd().as_fd()),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(TableError::Map(format!(
                "mapping it: {}",
                std::io::Error::last_os_error()
            )));
        }
        let base = NonNull::new(ptr.cast::<Row>())
            .ok_or_else(|| TableError::Map("mmap returned null".into()))?;
        Ok(Mapping {
            _map: map,
            base,
            rows,
        })
    }

    /// Maps a map taken out of a loaded object (tests, benchmarks).
    pub fn from_map(map: Map) -> Result<Self, TableError> {
        match map {
            Map::Array(data) => Self::new(data),
            _ => Err(TableError::Map("not an array map".into())),
        }
    }

    /// Rows in the map.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Row `i` (taken modulo the number of rows).
    pub fn row(&self, i: u32) -> *mut Row {
        // SAFETY: `i & (rows - 1)` is inside the mapping.
        unsafe { self.base.as_ptr().add((i & (self.rows - 1)) as usize) }
    }
}

impl<Row> Drop for Mapping<Row> {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`.
        unsafe {
            libc::munmap(
                self.base.as_ptr().cast(),
                self.rows as usize * size_of::<Row>(),
            );
        }
    }
}

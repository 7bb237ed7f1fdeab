//! The ban tables (BLOCK_V4, BLOCK_V6) from user space: mapped into this
//! process and edited in place. The layout, the hash and the publication
//! order the XDP program relies on are described in `gateway_common::table`.
//!
//! Only one writer may edit a table at a time: [`super::Edge`] holds a lock
//! around every change; tests and benchmarks own their private maps.
use std::{
    collections::HashSet,
    marker::PhantomData,
    ops::Range,
    sync::atomic::{AtomicU64, Ordering},
};

use aya::maps::{Map, MapData};
use gateway_common::{
    BanValue,
    table::{self, BanRowV4, BanRowV6, WAYS},
};

use super::{cover::Cover, mapping::Mapping};

/// A network as the tables key it: prefix length and address, host bits zero.
/// IPv4 keeps its address (big-endian u32) in `hi`; IPv6 its two halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetKey {
    /// Prefix length.
    pub len: u32,
    /// IPv4 address, or bytes 0..8 of the IPv6 address (big-endian).
    pub hi: u64,
    /// Bytes 8..16 of the IPv6 address (big-endian); 0 for IPv4.
    pub lo: u64,
}

/// Why a table change failed.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Neither row of the entry, nor any row reachable by moving entries, has room.
    #[error("no free slot for this entry in the table")]
    Full,
    /// The map cannot be mapped or has the wrong shape.
    #[error("{0}")]
    Map(String),
}

/// One address family's row and slot layout.
pub trait Family {
    /// The row type of the array map.
    type Row: Copy;
    /// The hash of a key.
    fn hash(key: &NetKey, seed: u64) -> u64;
    /// The key of a used slot.
    ///
    /// # Safety
    /// `row` must point to a live row of the mapping.
    unsafe fn key_at(row: *const Self::Row, way: usize) -> Option<NetKey>;
    /// The ban of a slot.
    ///
    /// # Safety
    /// As for `key_at`.
    unsafe fn ban_at(row: *const Self::Row, way: usize) -> BanValue;
    /// Fills a free slot: address and ban first, the key word last.
    ///
    /// # Safety
    /// As for `key_at`, and the caller is the only writer.
    unsafe fn fill(row: *mut Self::Row, way: usize, key: &NetKey, ban: &BanValue);
    /// Replaces the ban of a used slot.
    ///
    /// # Safety
    /// As for `fill`.
    unsafe fn set_ban(row: *mut Self::Row, way: usize, ban: &BanValue);
    /// Empties a slot (one store of its key word).
    ///
    /// # Safety
    /// As for `fill`.
    unsafe fn clear(row: *mut Self::Row, way: usize);
    /// Where the key word of a slot is.
    ///
    /// # Safety
    /// As for `key_at`.
    unsafe fn word_ptr(row: *mut Self::Row, way: usize) -> *mut u64;
    /// The key word of a slot: one load (scans of the whole table). Without
    /// [`table::USED`] when empty; slot 0's may hold [`table::SPILLED`].
    ///
    /// # Safety
    /// As for `key_at`.
    unsafe fn word(row: *const Self::Row, way: usize) -> u64 {
        // SAFETY: the caller's guarantee.
        unsafe { Self::word_ptr(row.cast_mut(), way).read_volatile() }
    }
    /// The prefix length a used slot's key word holds.
    fn word_len(word: u64) -> u32;
    /// The cover map's class bit and groups of a key (`super::cover`).
    fn cover_groups(key: &NetKey) -> (u64, Range<u32>);
}

/// IPv4: rows of [`BanRowV4`].
pub enum V4 {}
/// IPv6: rows of [`BanRowV6`].
pub enum V6 {}

/// Publishes a key word after the stores before it.
///
/// # Safety
/// `p` must be a live, 8-byte aligned word of the mapping.
pub(crate) unsafe fn publish(p: *mut u64, value: u64) {
    // SAFETY: the caller's guarantee; the release store orders the slot's
    // other fields before its key word for every reader.
    unsafe { AtomicU64::from_ptr(p).store(value, Ordering::Release) }
}

/// Publishes a ban table's key word (0 empties the slot), keeping the row's
/// spill mark if the word holds it.
///
/// # Safety
/// As for [`publish`], and the caller is the only writer.
unsafe fn publish_key(p: *mut u64, key: u64) {
    // SAFETY: the caller's guarantee.
    unsafe {
        let mark = AtomicU64::from_ptr(p).load(Ordering::Relaxed) & table::SPILLED;
        publish(p, key | mark);
    }
}

impl Family for V4 {
    type Row = BanRowV4;

    fn hash(key: &NetKey, seed: u64) -> u64 {
        table::hash_v4(table::key_v4(key.len, key.hi as u32), seed)
    }

    unsafe fn key_at(row: *const BanRowV4, way: usize) -> Option<NetKey> {
        // SAFETY: the caller's guarantee.
        let word = unsafe { (&raw const (*row).slots[way].key).read_volatile() };
        (word & table::USED != 0).then_some(NetKey {
            len: ((word >> 32) & 0xff) as u32,
            hi: word & 0xffff_ffff,
            lo: 0,
        })
    }

    unsafe fn ban_at(row: *const BanRowV4, way: usize) -> BanValue {
        // SAFETY: the caller's guarantee.
        unsafe { (&raw const (*row).slots[way].ban).read_volatile() }
    }

    unsafe fn fill(row: *mut BanRowV4, way: usize, key: &NetKey, ban: &BanValue) {
        // SAFETY: the caller's guarantee.
        unsafe {
            let slot = &raw mut (*row).slots[way];
            (&raw mut (*slot).ban).write_volatile(*ban);
            publish_key(&raw mut (*slot).key, table::key_v4(key.len, key.hi as u32));
        }
    }

    unsafe fn set_ban(row: *mut BanRowV4, way: usize, ban: &BanValue) {
        // SAFETY: the caller's guarantee.
        unsafe { (&raw mut (*row).slots[way].ban).write_volatile(*ban) }
    }

    unsafe fn clear(row: *mut BanRowV4, way: usize) {
        // SAFETY: the caller's guarantee.
        unsafe { publish_key(&raw mut (*row).slots[way].key, 0) }
    }

    unsafe fn word_ptr(row: *mut BanRowV4, way: usize) -> *mut u64 {
        // SAFETY: the caller's guarantee.
        unsafe { &raw mut (*row).slots[way].key }
    }

    fn word_len(word: u64) -> u32 {
        ((word >> 32) & 0xff) as u32
    }

    fn cover_groups(key: &NetKey) -> (u64, Range<u32>) {
        super::cover::groups_v4(key)
    }
}

impl Family for V6 {
    type Row = BanRowV6;

    fn hash(key: &NetKey, seed: u64) -> u64 {
        table::hash_v6(table::key_v6(key.len), key.hi, key.lo, seed)
    }

    unsafe fn key_at(row: *const BanRowV6, way: usize) -> Option<NetKey> {
        // SAFETY: the caller's guarantee.
        unsafe {
            let slot = &raw const (*row).slots[way];
            let word = (&raw const (*slot).key).read_volatile();
            (word & table::USED != 0).then(|| NetKey {
                len: (word & 0xff) as u32,
                hi: (&raw const (*slot).hi).read_volatile(),
                lo: (&raw const (*slot).lo).read_volatile(),
            })
        }
    }

    unsafe fn ban_at(row: *const BanRowV6, way: usize) -> BanValue {
        // SAFETY: the caller's guarantee.
        unsafe { (&raw const (*row).slots[way].ban).read_volatile() }
    }

    unsafe fn fill(row: *mut BanRowV6, way: usize, key: &NetKey, ban: &BanValue) {
        // SAFETY: the caller's guarantee.
        unsafe {
            let slot = &raw mut (*row).slots[way];
            (&raw mut (*slot).hi).write_volatile(key.hi);
            (&raw mut (*slot).lo).write_volatile(key.lo);
            (&raw mut (*slot).ban).write_volatile(*ban);
            publish_key(&raw mut (*slot).key, table::key_v6(key.len));
        }
    }

    unsafe fn set_ban(row: *mut BanRowV6, way: usize, ban: &BanValue) {
        // SAFETY: the caller's guarantee.
        unsafe { (&raw mut (*row).slots[way].ban).write_volatile(*ban) }
    }

    unsafe fn clear(row: *mut BanRowV6, way: usize) {
        // SAFETY: the caller's guarantee.
        unsafe { publish_key(&raw mut (*row).slots[way].key, 0) }
    }

    unsafe fn word_ptr(row: *mut BanRowV6, way: usize) -> *mut u64 {
        // SAFETY: the caller's guarantee.
        unsafe { &raw mut (*row).slots[way].key }
    }

    fn word_len(word: u64) -> u32 {
        (word & 0xff) as u32
    }

    fn cover_groups(key: &NetKey) -> (u64, Range<u32>) {
        super::cover::groups_v6(key)
    }
}

/// Rows visited at most when looking for room by moving entries (cuckoo
/// insertion, breadth first): a few thousand slots, microseconds.
const MAX_SEARCH_ROWS: usize = 1024;

/// A ban table mapped into this process, with its cover map (`super::cover`)
/// when it is to be written: a table opened without one can only be read.
pub struct Table<F: Family> {
    rows: Mapping<F::Row>,
    cover: Option<Cover>,
    seed: u64,
    _family: PhantomData<F>,
}

/// The IPv4 ban table.
pub type TableV4 = Table<V4>;
/// The IPv6 ban table.
pub type TableV6 = Table<V6>;

impl<F: Family> Table<F> {
    /// Maps an array map of `F::Row` (created with `BPF_F_MMAPABLE`); `seed`
    /// is CONFIG's `table_seed`.
    pub fn new(map: MapData, seed: u64) -> Result<Self, TableError> {
        Ok(Table {
            rows: Mapping::new(map)?,
            cover: None,
            seed,
            _family: PhantomData,
        })
    }

    /// Maps a table and its cover map taken out of a loaded object (tests,
    /// benchmarks).
    pub fn from_map(map: Map, cover: Map, seed: u64) -> Result<Self, TableError> {
        Ok(Table {
            rows: Mapping::from_map(map)?,
            cover: Some(Cover::from_map(cover)?),
            seed,
            _family: PhantomData,
        })
    }

    /// Gives the table its cover map, which every insert keeps up to date.
    pub fn with_cover(mut self, cover: Cover) -> Self {
        self.cover = Some(cover);
        self
    }

    /// The table's cover map.
    pub fn cover(&self) -> Option<&Cover> {
        self.cover.as_ref()
    }

    /// Rows in the table (what CONFIG's `block_row_mask` must say, minus one).
    pub fn rows(&self) -> u32 {
        self.rows.rows()
    }

    fn row(&self, i: u32) -> *mut F::Row {
        self.rows.row(i)
    }

    fn rows_of(&self, key: &NetKey) -> (u32, u32) {
        table::rows(F::hash(key, self.seed), self.rows() - 1)
    }

    /// Where `key` is stored: (row, way).
    fn find(&self, key: &NetKey) -> Option<(u32, usize)> {
        let (first, second) = self.rows_of(key);
        [first, second].into_iter().find_map(|r| {
            // SAFETY: rows come from `row`, inside the mapping.
            (0..WAYS)
                .find(|&w| unsafe { F::key_at(self.row(r), w) } == Some(*key))
                .map(|w| (r, w))
        })
    }

    fn free_way(&self, r: u32) -> Option<usize> {
        // SAFETY: as in `find`.
        (0..WAYS).find(|&w| unsafe { F::key_at(self.row(r), w) }.is_none())
    }

    /// The ban stored for exactly this network.
    pub fn get(&self, key: &NetKey) -> Option<BanValue> {
        // SAFETY: as in `find`.
        self.find(key)
            .map(|(r, w)| unsafe { F::ban_at(self.row(r), w) })
    }

    /// Stores a ban; returns true when the network was not in the table.
    /// The key's cover bits are set first, so the program never skips the
    /// probe that finds it.
    pub fn insert(&mut self, key: &NetKey, ban: &BanValue) -> Result<bool, TableError> {
        let Some(cover) = &self.cover else {
            return Err(TableError::Map("opened without its cover map".into()));
        };
        let (class, groups) = F::cover_groups(key);
        cover.add(class, groups);
        if let Some((r, w)) = self.find(key) {
            // SAFETY: a used slot of the mapping; we are the only writer.
            unsafe { F::set_ban(self.row(r), w, ban) };
            return Ok(false);
        }
        let (first, second) = self.rows_of(key);
        let (r, w) = match [first, second]
            .into_iter()
            .find_map(|r| self.free_way(r).map(|w| (r, w)))
        {
            Some(free) => free,
            None => self.make_room(first, second)?,
        };
        if r != first {
            self.mark_spilled(first);
        }
        // SAFETY: a free slot of the mapping; we are the only writer.
        unsafe { F::fill(self.row(r), w, key, ban) };
        Ok(true)
    }

    /// Marks `row` as spilled: lookups that miss in it read the second row
    /// too. Done before the entry is written there, so no lookup misses it.
    fn mark_spilled(&mut self, row: u32) {
        // SAFETY: slot 0's key word of a row of the mapping; we are the only writer.
        unsafe { spill_word::<F>(self.row(row)).fetch_or(table::SPILLED, Ordering::Release) };
    }

    /// Whether `row` is marked spilled.
    pub fn is_spilled(&self, row: u32) -> bool {
        // SAFETY: as in `mark_spilled`, read only.
        unsafe { spill_word::<F>(self.row(row)).load(Ordering::Acquire) & table::SPILLED != 0 }
    }

    /// Recomputes what the program reads besides the entries, clearing what
    /// removals left stale, in one walk of the table (tens of milliseconds
    /// for full tables): the spill marks, set on exactly the rows that have
    /// an entry living in its second row, and the cover map (if the table
    /// has one), rebuilt from the entries.
    pub fn refresh_marks(&mut self) {
        let mut spilled = vec![false; self.rows() as usize];
        let mut cover = self
            .cover
            .as_ref()
            .map(|_| vec![0u64; gateway_common::cover::WORDS as usize]);
        self.scan(0..self.rows(), |row, w, _| {
            // SAFETY: `scan` passes rows of the mapping.
            let Some(key) = (unsafe { F::key_at(row, w) }) else {
                return;
            };
            let (first, second) = self.rows_of(&key);
            if self.row(second).cast_const() == row {
                spilled[first as usize] = true;
            }
            if let Some(words) = cover.as_mut() {
                let (class, groups) = F::cover_groups(&key);
                for (i, mask) in super::cover::masks(class, groups) {
                    words[i as usize] |= mask;
                }
            }
        });
        for (i, want) in (0..self.rows()).zip(spilled) {
            if self.is_spilled(i) != want {
                // SAFETY: as in `mark_spilled`. A mark is only cleared when
                // no entry whose first row this is lives in its second (we
                // are the only writer, so none moves there meanwhile).
                let word = unsafe { spill_word::<F>(self.row(i)) };
                if want {
                    word.fetch_or(table::SPILLED, Ordering::Release);
                } else {
                    word.fetch_and(!table::SPILLED, Ordering::Release);
                }
            }
        }
        if let (Some(map), Some(words)) = (&self.cover, cover) {
            map.replace(&words);
        }
    }

    /// Frees a slot in `first` or `second` by moving entries to their other
    /// row: a breadth-first search for a chain ending at a free slot, then the
    /// moves from its end, each entry written at its new place before it is
    /// cleared at the old one, so lookups always find it.
    fn make_room(&mut self, first: u32, second: u32) -> Result<(u32, usize), TableError> {
        struct Node {
            row: u32,
            /// The node this row was reached from, and the way whose entry would move here.
            from: Option<(usize, usize)>,
        }
        let mut nodes = vec![
            Node {
                row: first,
                from: None,
            },
            Node {
                row: second,
                from: None,
            },
        ];
        let mut seen: HashSet<u32> = [first, second].into_iter().collect();
        let mut next = 0;
        while next < nodes.len() && nodes.len() < MAX_SEARCH_ROWS {
            let row = nodes[next].row;
            for way in 0..WAYS {
                // SAFETY: a used slot (the row has no free way, or we would not be here).
                let Some(key) = (unsafe { F::key_at(self.row(row), way) }) else {
                    continue;
                };
                let (a, b) = self.rows_of(&key);
                let other = if a == row { b } else { a };
                if let Some(free) = self.free_way(other) {
                    // Found: move entries from the end of the chain back to its start.
                    let mut to = (other, free);
                    let mut at = (next, way);
                    loop {
                        let (node, way) = at;
                        let from = (nodes[node].row, way);
                        self.move_entry(from, to);
                        to = from;
                        match nodes[node].from {
                            Some(parent) => at = parent,
                            None => return Ok(to),
                        }
                    }
                }
                if seen.insert(other) {
                    nodes.push(Node {
                        row: other,
                        from: Some((next, way)),
                    });
                }
            }
            next += 1;
        }
        Err(TableError::Full)
    }

    /// Copies the entry at `from` into the free slot `to` (marking its first
    /// row spilled if `to` is its second), then clears `from`.
    fn move_entry(&mut self, from: (u32, usize), to: (u32, usize)) {
        let (src, dst) = (self.row(from.0), self.row(to.0));
        // SAFETY: slots of the mapping; we are the only writer.
        let Some(key) = (unsafe { F::key_at(src, from.1) }) else {
            return;
        };
        let (first, _) = self.rows_of(&key);
        if to.0 != first {
            self.mark_spilled(first);
        }
        // SAFETY: as above.
        unsafe {
            let ban = F::ban_at(src, from.1);
            F::fill(dst, to.1, &key, &ban);
            F::clear(src, from.1);
        }
    }

    /// Removes the ban of exactly this network; false if there was none.
    pub fn remove(&mut self, key: &NetKey) -> bool {
        match self.find(key) {
            Some((r, w)) => {
                // SAFETY: a used slot of the mapping; we are the only writer.
                unsafe { F::clear(self.row(r), w) };
                true
            }
            None => false,
        }
    }

    /// Every entry, in table order. A walk of the whole mapping (tens of
    /// milliseconds), kept to one load per empty slot.
    pub fn entries(&self) -> Vec<(NetKey, BanValue)> {
        let mut out = Vec::new();
        self.scan(0..self.rows(), |row, w, _| {
            // SAFETY: `scan` passes rows of the mapping.
            if let Some(key) = unsafe { F::key_at(row, w) } {
                out.push((key, unsafe { F::ban_at(row, w) }));
            }
        });
        out
    }

    /// The number of entries: one load per slot.
    pub fn count(&self) -> u64 {
        let mut n = 0;
        self.scan(0..self.rows(), |_, _, _| n += 1);
        n
    }

    /// Whether the table holds fewer than `limit` entries. Every 128th row
    /// is read first (microseconds, where [`Self::count`] takes milliseconds):
    /// entries land in rows by a keyed hash, so the sample's fill is the
    /// table's within a few thousand entries, and a table clearly below the
    /// limit is not counted. Near it, every slot is.
    pub fn holds_fewer_than(&self, limit: u64) -> bool {
        const STEP: u32 = 128;
        let (mut used, mut sampled) = (0u64, 0u64);
        for r in (0..self.rows()).step_by(STEP as usize) {
            self.scan(r..r + 1, |_, _, _| used += 1);
            sampled += 1;
        }
        let estimate = used * u64::from(self.rows()) / sampled.max(1);
        // The estimate's standard error is at most sqrt(slots * STEP / 4)
        // entries (8,192 for the ban tables' 2^21 slots); allow ten.
        let margin = 10 * ((u64::from(self.rows()) * WAYS as u64 * u64::from(STEP)) / 4).isqrt();
        if estimate.saturating_add(margin) < limit {
            return true;
        }
        self.count() < limit
    }

    /// The prefix lengths in use, as CONFIG's bits (`block_lens_v6` layout;
    /// IPv4 uses word 0): one load per slot.
    pub fn lens(&self) -> [u64; 3] {
        let mut bits = [0; 3];
        self.scan(0..self.rows(), |_, _, word| {
            bits = with_len(bits, F::word_len(word))
        });
        bits
    }

    /// Removes the entries of rows `rows` (clipped to the table) that expired
    /// at `now_ns` (`CLOCK_MONOTONIC`). Returns their keys, and the prefix
    /// lengths of the entries left in those rows (as [`Table::lens`]). Loads
    /// one word per empty slot.
    pub fn remove_expired(&mut self, rows: Range<u32>, now_ns: u64) -> (Vec<NetKey>, [u64; 3]) {
        let mut expired = Vec::new();
        let mut kept = [0; 3];
        self.scan(rows, |row, w, word| {
            // SAFETY: `scan` passes rows of the mapping.
            let ban = unsafe { F::ban_at(row, w) };
            if ban.expires_ns != 0 && ban.expires_ns <= now_ns {
                expired.push((row, w));
            } else {
                kept = with_len(kept, F::word_len(word));
            }
        });
        let removed = expired
            .into_iter()
            .filter_map(|(row, w)| {
                // SAFETY: a used slot of the mapping; we are the only writer
                // (`&mut self`), so it still holds what `scan` saw.
                unsafe {
                    let key = F::key_at(row, w)?;
                    F::clear(row.cast_mut(), w);
                    Some(key)
                }
            })
            .collect();
        (removed, kept)
    }

    /// Calls `f(row, way, key word)` for every used slot of rows `rows`
    /// (clipped to the table); the word without the row's spill mark.
    fn scan(&self, rows: Range<u32>, mut f: impl FnMut(*const F::Row, usize, u64)) {
        let end = rows.end.min(self.rows());
        for i in rows.start.min(end)..end {
            let row = self.row(i).cast_const();
            for w in 0..WAYS {
                // SAFETY: `row` is a row of the mapping.
                let word = unsafe { F::word(row, w) };
                if word & table::USED != 0 {
                    f(row, w, word & !table::SPILLED);
                }
            }
        }
    }
}

/// The word holding a row's spill mark: the key word of its slot 0.
///
/// # Safety
/// `row` must be a live row of a mapping.
unsafe fn spill_word<'a, F: Family>(row: *mut F::Row) -> &'a AtomicU64 {
    // SAFETY: the caller's guarantee; key words are 8-byte aligned.
    unsafe { AtomicU64::from_ptr(F::word_ptr(row, 0)) }
}

/// Sets the bit of prefix length `len` in CONFIG-style length bits.
pub fn with_len(mut bits: [u64; 3], len: u32) -> [u64; 3] {
    bits[(len / 64).min(2) as usize] |= 1 << (len % 64);
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bits_follow_the_config_layout() {
        let bits = with_len(with_len(with_len([0; 3], 0), 64), 128);
        assert_eq!(bits, [1, 1, 1]);
        assert_eq!(with_len([0; 3], 24), [1 << 24, 0, 0]);
    }
}

//! Sweeping expired bans out of the tables.
//!
//! The XDP program ignores an expired ban, and `ban list` hides it, so
//! removing one is housekeeping: it frees the slot and the note, and lets
//! the prefix length's bit in CONFIG go once no ban of that length is left.
//! That makes a lazy sweep safe, and the daemon's once-a-second call
//! ([`Edge::sweep_step`]) cheap: it walks 1/[`SLICES`] of each table's rows
//! (a cursor goes round, so a full cycle takes [`SLICES`] seconds) instead
//! of 160 MiB of tables every second.
//!
//! The prefix-length bits, spill marks and cover bits are recomputed from
//! the tables (one load per slot of both tables) only after a full cycle
//! that removed something, and at most every [`LENS_INTERVAL`]: until then a
//! length whose last ban went costs one extra probe per packet, never a
//! wrong verdict. Everything that
//! walks the tables or rewrites CONFIG holds the writers' lock, so a length
//! the CLI has just marked is never cleared.
//!
//! `gateway ban sweep` ([`Edge::sweep_expired`]) does all of it at once.
use std::{
    ops::Range,
    time::{Duration, Instant},
};

use ipnet::IpNet;

use super::{Edge, block::BlockKey, error::Result, ttl::monotonic_ns};

/// Calls of [`Edge::sweep_step`] per cycle over the tables.
pub const SLICES: u32 = 32;
/// Shortest time between two recomputations of the prefix-length bits by the sweep.
pub const LENS_INTERVAL: Duration = Duration::from_secs(180);

/// Where the incremental sweep is, and whether the length bits may be stale.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// The first row of the next slice.
    next_row: u32,
    /// A cycle has ended since the bits were last recomputed.
    cycled: bool,
    /// Bans were removed since the bits were last recomputed.
    removed: bool,
    /// When the sweep last recomputed them.
    lens_at: Option<Instant>,
}

impl Edge {
    /// One step of the daemon's sweep: removes the expired bans of the next
    /// 1/[`SLICES`] of the rows of both tables, recomputes the length bits
    /// and spill marks when due (see the module notes), and repairs the skip bits. Returns
    /// how many bans were removed.
    pub fn sweep_step(&mut self) -> Result<usize> {
        let removed = {
            let _held = self.lock.hold()?;
            let rows = self.block_v4.rows().max(self.block_v6.rows());
            let start = self.sweep.next_row.min(rows);
            let end = start.saturating_add((rows / SLICES).max(1)).min(rows);
            let (removed, _) = self.remove_expired(start..end);
            let cursor = &mut self.sweep;
            cursor.next_row = if end >= rows { 0 } else { end };
            cursor.cycled |= end >= rows;
            cursor.removed |= !removed.is_empty();
            let due = cursor
                .lens_at
                .is_none_or(|at| at.elapsed() >= LENS_INTERVAL);
            if cursor.cycled && cursor.removed && due {
                self.refresh_lens()?;
                self.refresh_marks();
                self.sweep = Cursor {
                    next_row: self.sweep.next_row,
                    lens_at: Some(Instant::now()),
                    ..Cursor::default()
                };
            }
            self.refresh_skips()?;
            removed
        };
        self.forget_notes(&removed);
        Ok(removed.len())
    }

    /// Deletes every expired ban of both tables and recomputes the length
    /// bits and spill marks at once (`gateway ban sweep`); returns how many
    /// were removed.
    pub fn sweep_expired(&mut self) -> Result<usize> {
        let removed = {
            let _held = self.lock.hold()?;
            // One walk: what it leaves is every ban there is, so its lengths are the bits.
            let (removed, (v4, v6)) = self.remove_expired(0..u32::MAX);
            self.set_lens(v4, v6)?;
            self.refresh_marks();
            self.refresh_skips()?;
            removed
        };
        self.forget_notes(&removed);
        Ok(removed.len())
    }

    /// Removes the expired bans of rows `rows` of both tables (callers hold
    /// the lock); also returns the length bits of the bans left in those rows.
    fn remove_expired(&mut self, rows: Range<u32>) -> (Vec<IpNet>, (u64, [u64; 3])) {
        let now = monotonic_ns();
        let (v4, lens_v4) = self.block_v4.remove_expired(rows.clone(), now);
        let (v6, lens_v6) = self.block_v6.remove_expired(rows, now);
        let removed = v4
            .into_iter()
            .map(BlockKey::V4)
            .chain(v6.into_iter().map(BlockKey::V6))
            .map(|k| k.net())
            .collect();
        (removed, (lens_v4[0], lens_v6))
    }
}

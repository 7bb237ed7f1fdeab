//! Offense scoring: per client address, the points earned within a sliding
//! window. Memory is bounded twice: each address keeps at most [`MAX_MARKS`]
//! time-stamped marks (older ones are merged), and at most `max_tracked`
//! addresses are scored at once (when full, idle addresses are dropped first,
//! then the one seen longest ago).
use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    time::{Duration, Instant},
};

/// Most marks kept per address; further offenses fold into the newest one.
pub const MAX_MARKS: usize = 32;

/// Points earned by one address, oldest first.
#[derive(Debug, Default)]
struct Tally {
    marks: VecDeque<(Instant, u32)>,
    sum: u64,
}

impl Tally {
    fn expire(&mut self, cutoff: Instant) {
        while let Some(&(at, pts)) = self.marks.front() {
            if at > cutoff {
                break;
            }
            self.marks.pop_front();
            self.sum -= u64::from(pts);
        }
    }

    fn last_seen(&self) -> Option<Instant> {
        self.marks.back().map(|m| m.0)
    }
}

/// Sliding-window offense points per client address.
#[derive(Debug)]
pub struct Scoreboard {
    window: Duration,
    max_tracked: usize,
    tallies: HashMap<IpAddr, Tally>,
}

impl Scoreboard {
    /// An empty scoreboard summing points over `window`, scoring at most `max_tracked` addresses.
    pub fn new(window: Duration, max_tracked: usize) -> Self {
        Scoreboard {
            window,
            max_tracked: max_tracked.max(1),
            tallies: HashMap::new(),
        }
    }

    /// Adds `points` for `ip` at `now`; returns its total within the window.
    pub fn add(&mut self, ip: IpAddr, points: u32, now: Instant) -> u64 {
        let cutoff = now.checked_sub(self.window).unwrap_or(now);
        if !self.tallies.contains_key(&ip) && self.tallies.len() >= self.max_tracked {
            self.make_room(cutoff);
        }
        let tally = self.tallies.entry(ip).or_default();
        tally.expire(cutoff);
        let full = tally.marks.len() >= MAX_MARKS;
        match tally.marks.back_mut() {
            // Full: fold into the newest mark (it expires a little later, never earlier).
            Some(last) if full => {
                last.0 = now;
                last.1 = last.1.saturating_add(points);
            }
            _ => tally.marks.push_back((now, points)),
        }
        tally.sum += u64::from(points);
        tally.sum
    }

    /// The points `ip` has within the window ending at `now`.
    pub fn score(&mut self, ip: IpAddr, now: Instant) -> u64 {
        let cutoff = now.checked_sub(self.window).unwrap_or(now);
        match self.tallies.get_mut(&ip) {
            Some(t) => {
                t.expire(cutoff);
                t.sum
            }
            None => 0,
        }
    }

    /// Forgets `ip` (after it was banned, so the next ban needs fresh offenses).
    pub fn reset(&mut self, ip: IpAddr) {
        self.tallies.remove(&ip);
    }

    /// Addresses currently scored.
    pub fn len(&self) -> usize {
        self.tallies.len()
    }

    /// True when no address is scored.
    pub fn is_empty(&self) -> bool {
        self.tallies.is_empty()
    }

    /// Drops addresses with nothing left in the window ending at `now`.
    pub fn prune(&mut self, now: Instant) {
        let cutoff = now.checked_sub(self.window).unwrap_or(now);
        self.tallies.retain(|_, t| {
            t.expire(cutoff);
            !t.marks.is_empty()
        });
    }

    fn make_room(&mut self, cutoff: Instant) {
        self.tallies.retain(|_, t| {
            t.expire(cutoff);
            !t.marks.is_empty()
        });
        if self.tallies.len() < self.max_tracked {
            return;
        }
        let oldest = self
            .tallies
            .iter()
            .min_by_key(|(_, t)| t.last_seen())
            .map(|(ip, _)| *ip);
        if let Some(ip) = oldest {
            self.tallies.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn points_add_up_within_the_window_and_fall_out_after_it() {
        let mut board = Scoreboard::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        assert_eq!(board.add(ip("198.18.0.2"), 5, t0), 5);
        assert_eq!(
            board.add(ip("198.18.0.2"), 5, t0 + Duration::from_secs(30)),
            10
        );
        assert_eq!(
            board.score(ip("198.18.0.2"), t0 + Duration::from_secs(61)),
            5
        );
        assert_eq!(
            board.score(ip("198.18.0.2"), t0 + Duration::from_secs(91)),
            0
        );
    }

    #[test]
    fn addresses_are_scored_separately() {
        let mut board = Scoreboard::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        board.add(ip("198.18.0.2"), 7, t0);
        assert_eq!(board.add(ip("198.18.0.3"), 1, t0), 1);
        assert_eq!(board.score(ip("198.18.0.2"), t0), 7);
    }

    #[test]
    fn marks_per_address_are_bounded_but_the_sum_is_kept() {
        let mut board = Scoreboard::new(Duration::from_secs(60), 10);
        let t0 = Instant::now();
        for i in 0..1000u64 {
            board.add(ip("198.18.0.2"), 1, t0 + Duration::from_millis(i));
        }
        assert_eq!(
            board.score(ip("198.18.0.2"), t0 + Duration::from_secs(1)),
            1000
        );
        let marks = board.tallies[&ip("198.18.0.2")].marks.len();
        assert!(marks <= MAX_MARKS, "{marks} marks kept");
    }

    #[test]
    fn the_number_of_scored_addresses_never_exceeds_the_bound() {
        let mut board = Scoreboard::new(Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..1000u32 {
            let a = std::net::Ipv4Addr::from(0xC612_0000 + i);
            board.add(IpAddr::V4(a), 1, t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(board.len(), 100);
        // The newest address is still scored; the first was evicted.
        assert_eq!(
            board.score(IpAddr::V4(std::net::Ipv4Addr::from(0xC612_0000 + 999)), t0),
            1
        );
        assert_eq!(
            board.score(IpAddr::V4(std::net::Ipv4Addr::from(0xC612_0000)), t0),
            0
        );
    }

    #[test]
    fn prune_forgets_idle_addresses() {
        let mut board = Scoreboard::new(Duration::from_secs(10), 10);
        let t0 = Instant::now();
        board.add(ip("2001:db8::1"), 3, t0);
        board.prune(t0 + Duration::from_secs(11));
        assert!(board.is_empty());
    }
}

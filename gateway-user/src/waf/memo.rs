//! Searches that a reading repeats from ever later starts, answered once each:
//! where a run of bytes ends and where a needle next occurs, remembered for the
//! last start asked. A value that repeats an opening (`x=<x=<…`, `/*a/*a…`) asks
//! from every opening; each would otherwise search to the same far end again,
//! quadratic in the value.

/// Where a run of bytes ends: the first byte a predicate accepts, or the input's
/// end. Ask with one input and one predicate.
pub(crate) struct RunEnd {
    from: usize,
    end: usize,
}

impl RunEnd {
    /// Nothing remembered yet.
    pub(crate) const NEW: RunEnd = RunEnd {
        from: usize::MAX,
        end: 0,
    };

    /// The first position at or after `from` whose byte `stop` accepts, or
    /// `b.len()`.
    pub(crate) fn find(&mut self, b: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
        // No stop byte lies in `self.from..self.end`, so from anywhere in it the
        // run ends at `self.end` too.
        if !(self.from <= from && from <= self.end) {
            self.end = b[from..]
                .iter()
                .position(|&c| stop(c))
                .map_or(b.len(), |p| from + p);
            self.from = from;
        }
        self.end
    }
}

/// Where a needle next occurs. Ask with one input.
pub(crate) struct NextFind {
    needle: &'static [u8],
    from: usize,
    at: usize,
}

impl NextFind {
    /// Nothing remembered yet.
    pub(crate) fn new(needle: &'static str) -> NextFind {
        NextFind {
            needle: needle.as_bytes(),
            from: usize::MAX,
            at: 0,
        }
    }

    /// The start of the needle's first occurrence at or after `from`.
    pub(crate) fn at(&mut self, b: &[u8], from: usize) -> Option<usize> {
        // The needle starts nowhere in `self.from..self.at` (`self.at` is
        // `b.len()` when it starts nowhere after `self.from`).
        if !(self.from <= from && from <= self.at) {
            self.at = memchr::memmem::find(&b[from..], self.needle).map_or(b.len(), |p| from + p);
            self.from = from;
        }
        (self.at < b.len()).then_some(self.at)
    }

    /// Whether `b[from..to]` holds the needle.
    pub(crate) fn within(&mut self, b: &[u8], from: usize, to: usize) -> bool {
        self.at(b, from)
            .is_some_and(|p| p + self.needle.len() <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts that go forward, jump back and repeat, as nested readings ask.
    fn starts(len: usize) -> impl Iterator<Item = usize> {
        (0..len)
            .chain((0..len).rev())
            .chain((0..len).map(move |i| (i * 7) % len))
    }

    #[test]
    fn a_remembered_run_end_is_the_one_a_fresh_search_finds() {
        let b = b"ab cd\tx=<y=<z  >w";
        let stop = |c: u8| c <= b' ' || c == b'>';
        let mut run = RunEnd::NEW;
        for from in starts(b.len() + 1) {
            let fresh = b[from..]
                .iter()
                .position(|&c| stop(c))
                .map_or(b.len(), |p| from + p);
            assert_eq!(run.find(b, from, stop), fresh, "from {from}");
        }
    }

    #[test]
    fn a_remembered_needle_is_the_one_a_fresh_search_finds() {
        let b = b"/*a*/b/*c*/*/ /* d";
        let mut next = NextFind::new("*/");
        for from in starts(b.len() + 1) {
            let fresh = memchr::memmem::find(&b[from..], b"*/").map(|p| from + p);
            assert_eq!(next.at(b, from), fresh, "from {from}");
            for to in from..=b.len() {
                let holds = memchr::memmem::find(&b[from..to], b"*/").is_some();
                assert_eq!(next.within(b, from, to), holds, "{from}..{to}");
            }
        }
    }
}

//! The values inspected last in a request and the built-in rules that fired on
//! them. Built-in rules see only a field's kind and value (its name matters only
//! to exclusions, which are checked per field), so a value that comes again fires
//! the same rules: a repeated JSON member, or the same text in every record of an
//! array, is looked at once.
use std::ops::Range;

/// How many recent values are remembered. A few cover runs of records; a lookup
/// compares lengths first, so a miss costs a handful of integer compares.
const SLOTS: usize = 8;

/// Recently inspected values of one request.
#[derive(Default)]
pub(super) struct Recent<'v> {
    /// (field kind bit, value, the range of `rules` that fired on it).
    slots: [Option<(u16, &'v str, Range<usize>)>; SLOTS],
    /// The slot the next value takes.
    next: usize,
    /// Rule indices (into the engine's rule table) in the order they fired.
    rules: Vec<usize>,
}

impl<'v> Recent<'v> {
    /// The rules that fired on an earlier field of this kind with this value.
    pub(super) fn get(&self, bit: u16, value: &str) -> Option<&[usize]> {
        self.slots.iter().flatten().find_map(|(b, v, range)| {
            (*b == bit && v.len() == value.len() && *v == value).then(|| &self.rules[range.clone()])
        })
    }

    /// Starts recording the rules that fire on `value`; `push` them, then `finish`.
    pub(super) fn start(&mut self) -> usize {
        self.rules.len()
    }

    /// Records a rule that fired.
    pub(super) fn push(&mut self, rule: usize) {
        self.rules.push(rule);
    }

    /// Remembers `value` with the rules pushed since `start`, and returns them.
    pub(super) fn finish(&mut self, bit: u16, value: &'v str, start: usize) -> &[usize] {
        let range = start..self.rules.len();
        self.slots[self.next] = Some((bit, value, range.clone()));
        self.next = (self.next + 1) % SLOTS;
        &self.rules[range]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_seen_before_gives_back_its_rules() {
        let mut recent = Recent::default();
        let start = recent.start();
        recent.push(3);
        recent.push(7);
        assert_eq!(recent.finish(16, "x' or 1=1", start), &[3, 7]);
        let start = recent.start();
        recent.finish(16, "benign text", start);
        assert_eq!(recent.get(16, "x' or 1=1"), Some(&[3, 7][..]));
        assert_eq!(recent.get(16, "benign text"), Some(&[][..]));
        // Another kind, or another value, is not the same field.
        assert_eq!(recent.get(32, "x' or 1=1"), None);
        assert_eq!(recent.get(16, "x' or 1=2"), None);
    }

    #[test]
    fn only_the_last_few_values_are_kept() {
        let mut recent = Recent::default();
        let values: Vec<String> = (0..=SLOTS).map(|i| format!("value {i}")).collect();
        for v in &values {
            let start = recent.start();
            recent.finish(16, v, start);
        }
        assert_eq!(recent.get(16, &values[0]), None);
        assert!(recent.get(16, &values[SLOTS]).is_some());
    }
}

//! The transformation chains the compiled rules use, and the per-field cache that
//! computes each chain's value at most once — starting from the value of its longest
//! prefix chain (`XSS_TIGHT` is `XSS` plus one step) — and the symbols of a value
//! for the prefilters.
use std::borrow::Cow;

use super::symbols::Symbols;
use super::transform::{Effect, Transform, Triggers, apply_chain, apply_to};

/// The distinct chains, each with its longest prefix among them.
#[derive(Debug, Default)]
pub(super) struct Chains {
    list: Vec<Vec<Transform>>,
    /// For each chain, the longest other non-empty chain that is its prefix.
    parents: Vec<Option<usize>>,
    /// For each chain, the symbols that can make it change a value.
    triggers: Vec<Option<Triggers>>,
}

impl Chains {
    /// The index of `chain`, added if new.
    pub(super) fn index(&mut self, chain: &[Transform]) -> usize {
        if let Some(i) = self.list.iter().position(|p| p.as_slice() == chain) {
            return i;
        }
        self.list.push(chain.to_vec());
        self.triggers.push(
            chain
                .iter()
                .try_fold(Triggers::default(), |all, t| Some(all.then(t.triggers()?))),
        );
        self.parents = self
            .list
            .iter()
            .map(|p| {
                (0..self.list.len())
                    .filter(|&q| {
                        self.list[q].len() < p.len()
                            && !self.list[q].is_empty()
                            && p.starts_with(&self.list[q])
                    })
                    .max_by_key(|&q| self.list[q].len())
            })
            .collect();
        self.list.len() - 1
    }

    /// Where to test that the value under chain `i` holds one of `needs`: the
    /// symbols to look for and the chain (added if new) that is chain `i` without
    /// the trailing steps that cannot add them (`Transform::needs_before`). A value
    /// without them there is without `needs` under chain `i`, so most values never
    /// go through the rest of the chain.
    pub(super) fn gate(&mut self, i: usize, needs: Symbols) -> (Symbols, usize) {
        let mut chain = self.list[i].clone();
        let mut needs = needs;
        while let Some(before) = chain.last().and_then(|t| t.needs_before(needs)) {
            needs = before;
            chain.pop();
        }
        (needs, self.index(&chain))
    }

    /// The symbols that can make chain `i` change a value (`None`: any value).
    pub(super) fn triggers(&self, i: usize) -> Option<Triggers> {
        self.triggers[i]
    }

    /// The steps of chain `i`.
    pub(super) fn get(&self, i: usize) -> &[Transform] {
        &self.list[i]
    }

    /// Slots for the fields of one request, to pass to `with_cache` field after field.
    pub(super) fn slots<'f>(&self) -> Slots<'f> {
        Slots(
            std::iter::repeat_with(Slot::default)
                .take(self.list.len())
                .collect(),
        )
    }

    /// Runs `f` with an empty cache for one field value, kept in `slots`.
    pub(super) fn with_cache<'f, R>(
        &self,
        slots: &mut Slots<'f>,
        value: &'f str,
        f: impl FnOnce(&mut FieldCache<'_, 'f>) -> R,
    ) -> R {
        let mut cache = FieldCache {
            chains: self,
            raw: value,
            raw_chars: None,
            slots: &mut slots.0,
            filled: 0,
        };
        let out = f(&mut cache);
        cache.clear();
        out
    }
}

/// The chain slots of a request's fields. One set serves every field: a field
/// fills few of them, and clearing those costs less than setting up and
/// dropping every slot for each field.
pub(super) struct Slots<'f>(Vec<Slot<'f>>);

/// One chain's value for the field being inspected, and its symbols.
#[derive(Default)]
pub(super) struct Slot<'f> {
    value: Option<Cow<'f, str>>,
    chars: Option<Symbols>,
}

/// The chain values of one field, computed on demand.
pub(super) struct FieldCache<'s, 'f> {
    chains: &'s Chains,
    raw: &'f str,
    raw_chars: Option<Symbols>,
    slots: &'s mut [Slot<'f>],
    /// Bit `p` set: slot `p` was filled for this field (bit 63 stands for slots
    /// 63 and up).
    filled: u64,
}

impl<'f> FieldCache<'_, 'f> {
    /// Marks slot `p` as filled, to be cleared after the field.
    fn mark(&mut self, p: usize) {
        self.filled |= 1 << p.min(63);
    }

    /// Empties the slots this field filled.
    fn clear(&mut self) {
        let mut filled = self.filled;
        while filled != 0 {
            let p = filled.trailing_zeros() as usize;
            filled &= filled - 1;
            match p {
                63 => self.slots[63..]
                    .iter_mut()
                    .for_each(|s| *s = Slot::default()),
                _ => self.slots[p] = Slot::default(),
            }
        }
        self.filled = 0;
    }

    /// The field value as extracted, before any chain.
    pub(super) fn raw(&self) -> &'f str {
        self.raw
    }

    /// The symbols of the raw value.
    pub(super) fn raw_symbols(&mut self) -> Symbols {
        *self.raw_chars.get_or_insert_with(|| Symbols::of(self.raw))
    }

    /// What chain `p` does to the raw value, as far as its symbols tell (nothing is
    /// computed).
    pub(super) fn effect(&mut self, p: usize) -> Effect {
        match self.chains.triggers[p] {
            Some(triggers) => triggers.effect(self.raw_symbols()),
            None => Effect::Unknown,
        }
    }

    /// The field value under chain `p`.
    pub(super) fn value(&mut self, p: usize) -> &str {
        // Most chains leave most values as they are: the raw value, with no slot
        // to fill.
        if self.slots[p].value.is_none() && self.effect(p) == Effect::Unchanged {
            return self.raw;
        }
        self.fill(p);
        self.slots[p].value.as_deref().unwrap_or("")
    }

    /// The field value under chain `p`, or the raw value when the chain changes at
    /// most its ASCII case (for tests that ignore case: nothing is computed).
    pub(super) fn value_up_to_case(&mut self, p: usize) -> &str {
        if self.slots[p].value.is_none() && self.effect(p) != Effect::Unknown {
            return self.raw;
        }
        self.value(p)
    }

    /// The symbols of the field value under chain `p` (the uppercase bit may be stale).
    pub(super) fn chars(&mut self, p: usize) -> Symbols {
        if let Some(chars) = self.slots[p].chars {
            return chars;
        }
        // A chain that at most changes ASCII case keeps the raw value's symbols
        // (uppercase aside, which no prefilter asks about): no need to compute it.
        if self.effect(p) != Effect::Unknown {
            let chars = self.raw_symbols();
            self.slots[p].chars = Some(chars);
            self.mark(p);
            return chars;
        }
        self.fill(p);
        let chars = match &self.slots[p].value {
            // Most chains change nothing: the symbols are the raw value's.
            Some(Cow::Borrowed(v)) if v.len() == self.raw.len() => self.raw_symbols(),
            Some(v) => Symbols::of(v),
            None => Symbols::default(),
        };
        self.slots[p].chars = Some(chars);
        self.mark(p);
        chars
    }

    fn fill(&mut self, p: usize) {
        if self.slots[p].value.is_some() {
            return;
        }
        let chains = self.chains;
        let chain = chains.get(p);
        let computed = match chains.parents[p] {
            Some(parent) => {
                self.fill(parent);
                let rest = &chain[chains.get(parent).len()..];
                match &self.slots[parent].value {
                    Some(Cow::Borrowed(b)) => {
                        let b: &'f str = b;
                        self.apply_borrowed(rest, b)
                    }
                    Some(Cow::Owned(o)) => Cow::Owned(apply_chain(rest, o).into_owned()),
                    None => self.apply_borrowed(chain, self.raw),
                }
            }
            None => self.apply_borrowed(chain, self.raw),
        };
        self.slots[p].value = Some(computed);
        self.mark(p);
    }

    /// Applies `steps` to a value borrowed from the field, skipping the steps the raw
    /// value's symbols show would change nothing while it is still the raw value.
    fn apply_borrowed(&mut self, steps: &[Transform], value: &'f str) -> Cow<'f, str> {
        let symbols = self.raw_symbols();
        let raw_len = self.raw.len();
        steps.iter().fold(Cow::Borrowed(value), |cur, &t| {
            let untouched = matches!(cur, Cow::Borrowed(v) if v.len() == raw_len);
            if untouched && t.effect(symbols) == Effect::Unchanged {
                cur
            } else {
                apply_to(cur, t)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_never_sees_the_chain_values_of_the_field_before() {
        let mut chains = Chains::default();
        let url = chains.index(&[Transform::UrlDecode]);
        let lower = chains.index(&[Transform::UrlDecode, Transform::Lowercase]);
        let mut slots = chains.slots();
        chains.with_cache(&mut slots, "A%42", |c| {
            assert_eq!(c.value(lower), "ab");
            assert!(c.chars(url).intersects(Symbols::UPPERCASE));
        });
        chains.with_cache(&mut slots, "x%3Cy", |c| {
            assert!(!c.chars(url).intersects(Symbols::UPPERCASE));
            assert_eq!(c.value(lower), "x<y");
        });
        chains.with_cache(&mut slots, "plain", |c| {
            assert_eq!(c.value(lower), "plain");
            assert_eq!(c.value(url), "plain");
        });
    }

    #[test]
    fn slots_beyond_the_sixty_third_are_cleared_too() {
        let mut chains = Chains::default();
        // Seventy distinct chains: one to seventy `Trim` steps.
        let steps = [Transform::Trim; 70];
        let last = (1..=70)
            .map(|n| chains.index(&steps[..n]))
            .max()
            .unwrap_or(0);
        assert!(last >= 64);
        let mut slots = chains.slots();
        chains.with_cache(&mut slots, " a ", |c| assert_eq!(c.value(last), "a"));
        chains.with_cache(&mut slots, " b ", |c| assert_eq!(c.value(last), "b"));
        chains.with_cache(&mut slots, "%41", |c| {
            assert_eq!(c.value(last), "%41");
            assert!(c.chars(last).intersects(Symbols::of_bytes(b"%")));
        });
    }
}

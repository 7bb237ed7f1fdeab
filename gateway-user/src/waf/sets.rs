//! The built-in regex rules compiled into `RegexSet`s, and the scan of one field.
//!
//! Rules sharing a transformation chain and a paranoia level go into one set, split
//! in two when only some of them have a prefilter (characters every match needs,
//! see `prefilter`): a filtered set is skipped when the value lacks all of them.
//! The unfiltered sets, which run on nearly every value, are also compiled
//! together: one scan of the raw value decides for all of them when each would see
//! the raw value, up to ASCII case (see `Sets::unfiltered_miss`).
use regex::{RegexSet, RegexSetBuilder};

use super::WafError;
use super::chains::{Chains, FieldCache};
use super::prefilter::{ignores_ascii_case, required_chars};
use super::symbols::Symbols;
use super::transform::Effect;

/// One built-in regex rule to compile.
pub(super) struct RegexRule {
    /// The rule's index in the engine's rule table.
    pub index: usize,
    /// The pattern (ASCII word boundaries already in place).
    pub pattern: String,
    /// Its chain in `Chains`.
    pub pipeline: usize,
    pub paranoia: u8,
    /// Field kinds it looks at.
    pub targets: u16,
}

/// Rules sharing a chain, a paranoia level, and whether they have a prefilter.
struct Group {
    pipeline: usize,
    targets: u16,
    paranoia: u8,
    /// Characters every match needs one of, tested on the value under chain `gate`
    /// (a prefix of `pipeline` whose remaining steps add no such character), so
    /// the rest of the chain and the scan are skipped for most values.
    prefilter: Option<(Symbols, usize)>,
    /// Every pattern ignores ASCII case (`prefilter::ignores_ascii_case`).
    ignores_case: bool,
    set: RegexSet,
    /// Rule index of each pattern of `set`.
    rules: Vec<usize>,
}

/// The compiled sets.
pub(super) struct Sets {
    groups: Vec<Group>,
    /// The patterns of every group without a prefilter, in one set.
    unfiltered: Option<RegexSet>,
}

fn compile(patterns: &[String]) -> Result<RegexSet, WafError> {
    RegexSetBuilder::new(patterns)
        .case_insensitive(true)
        .size_limit(64 << 20)
        .dfa_size_limit(16 << 20)
        .build()
        .map_err(|e| WafError::Builtin(e.to_string()))
}

impl Sets {
    /// Groups and compiles the rules; prefilter gates are added to `chains`.
    pub(super) fn build(rules: Vec<RegexRule>, chains: &mut Chains) -> Result<Sets, WafError> {
        // (chain, paranoia, filtered) -> rules, in first-seen order.
        let mut by_key: Vec<((usize, u8, bool), Vec<RegexRule>)> = Vec::new();
        for rule in rules {
            let key = (
                rule.pipeline,
                rule.paranoia,
                required_chars(&rule.pattern).is_some(),
            );
            match by_key.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(rule),
                None => by_key.push((key, vec![rule])),
            }
        }
        let mut groups = Vec::new();
        let mut unfiltered = Vec::new();
        for ((pipeline, paranoia, filtered), list) in by_key {
            let patterns: Vec<String> = list.iter().map(|r| r.pattern.clone()).collect();
            let prefilter = if filtered {
                let needs = patterns
                    .iter()
                    .filter_map(|p| required_chars(p))
                    .fold(Symbols::default(), Symbols::union);
                // Test the characters before the trailing steps that cannot add them.
                let mut chain = chains.get(pipeline).to_vec();
                while chain.last().is_some_and(|t| t.adds_no_symbols()) {
                    chain.pop();
                }
                Some((needs, chains.index(&chain)))
            } else {
                unfiltered.extend(patterns.iter().cloned());
                None
            };
            groups.push(Group {
                pipeline,
                targets: list.iter().fold(0, |all, r| all | r.targets),
                paranoia,
                prefilter,
                ignores_case: patterns.iter().all(|p| ignores_ascii_case(p)),
                set: compile(&patterns)?,
                rules: list.iter().map(|r| r.index).collect(),
            });
        }
        let unfiltered = match unfiltered.is_empty() {
            true => None,
            false => Some(compile(&unfiltered)?),
        };
        Ok(Sets { groups, unfiltered })
    }

    /// Calls `fired` with the index of every rule whose pattern matches the field
    /// (rules of kind `bit`, up to `paranoia`; their own targets and paranoia are
    /// for the caller to check).
    pub(super) fn scan(
        &self,
        bit: u16,
        paranoia: u8,
        cache: &mut FieldCache<'_, '_>,
        mut fired: impl FnMut(usize),
    ) {
        let skip_unfiltered = self.unfiltered_miss(bit, paranoia, cache);
        for g in &self.groups {
            if g.targets & bit == 0 || g.paranoia > paranoia {
                continue;
            }
            match g.prefilter {
                None if skip_unfiltered => continue,
                Some((needs, gate)) if !needs.intersects(cache.chars(gate)) => continue,
                _ => {}
            }
            let value = cache.value(g.pipeline);
            // `is_match` stops early and allocates nothing; most fields end here.
            if value.is_empty() || !g.set.is_match(value) {
                continue;
            }
            for i in g.set.matches(value).iter() {
                fired(g.rules[i]);
            }
        }
    }

    /// True when no unfiltered set can match this field, found with one scan of the
    /// raw value by all their patterns together. That holds when each set that
    /// applies would see the raw value itself, or the raw value with only ASCII case
    /// changed and patterns that ignore case; otherwise (a value with escapes,
    /// comments, ...) the sets run one by one.
    fn unfiltered_miss(&self, bit: u16, paranoia: u8, cache: &mut FieldCache<'_, '_>) -> bool {
        let Some(all) = &self.unfiltered else {
            return false;
        };
        let mut applies = self
            .groups
            .iter()
            .filter(|g| g.prefilter.is_none() && g.targets & bit != 0 && g.paranoia <= paranoia)
            .peekable();
        if applies.peek().is_none() {
            return false;
        }
        let raw_alike = applies.all(|g| match cache.effect(g.pipeline) {
            Effect::Unchanged => true,
            Effect::CaseOnly => g.ignores_case,
            Effect::Unknown => false,
        });
        raw_alike && !all.is_match(cache.raw())
    }
}

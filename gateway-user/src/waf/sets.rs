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
use super::transform::{Effect, Triggers};

/// Field kinds (`FieldKind` bits) and paranoia levels that plans are made for.
const KINDS: usize = 16;
const LEVELS: usize = 4;

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

/// What to scan for one field kind at one paranoia level, worked out at load time.
#[derive(Default)]
struct Plan {
    /// The groups that apply, in order.
    groups: Vec<usize>,
    /// Some group without a prefilter applies.
    unfiltered: bool,
    /// The symbols that can make the chains of those groups change a value (`None`
    /// when one of them may change any value).
    unfiltered_triggers: Option<Triggers>,
    /// Every one of those groups ignores ASCII case.
    unfiltered_ignore_case: bool,
}

/// The compiled sets.
pub(super) struct Sets {
    groups: Vec<Group>,
    /// The patterns of every group without a prefilter, in one set.
    unfiltered: Option<RegexSet>,
    /// Indexed by field kind bit and paranoia level - 1.
    plans: Vec<Plan>,
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
                Some(chains.gate(pipeline, needs))
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
        let plans = (0..KINDS * LEVELS)
            .map(|i| {
                let (bit, paranoia) = (1u16 << (i / LEVELS), (i % LEVELS) as u8 + 1);
                let applies: Vec<usize> = (0..groups.len())
                    .filter(|&g| groups[g].targets & bit != 0 && groups[g].paranoia <= paranoia)
                    .collect();
                let unfiltered: Vec<&Group> = applies
                    .iter()
                    .map(|&g| &groups[g])
                    .filter(|g| g.prefilter.is_none())
                    .collect();
                Plan {
                    unfiltered: !unfiltered.is_empty(),
                    unfiltered_triggers: unfiltered
                        .iter()
                        .try_fold(Triggers::default(), |all, g| {
                            Some(all.then(chains.triggers(g.pipeline)?))
                        }),
                    unfiltered_ignore_case: unfiltered.iter().all(|g| g.ignores_case),
                    groups: applies,
                }
            })
            .collect();
        Ok(Sets {
            groups,
            unfiltered,
            plans,
        })
    }

    /// The plan for a field kind at a paranoia level (levels are 1-4; every rule is
    /// at 4 or below, none at 0).
    fn plan(&self, bit: u16, paranoia: u8) -> Option<&Plan> {
        let kind = bit.trailing_zeros() as usize;
        let level = usize::from(paranoia.min(LEVELS as u8)).checked_sub(1)?;
        self.plans.get(kind * LEVELS + level)
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
        let Some(plan) = self.plan(bit, paranoia) else {
            return;
        };
        let skip_unfiltered = self.unfiltered_miss(plan, cache);
        for g in plan.groups.iter().map(|&g| &self.groups[g]) {
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
    fn unfiltered_miss(&self, plan: &Plan, cache: &mut FieldCache<'_, '_>) -> bool {
        let (Some(all), Some(triggers), true) =
            (&self.unfiltered, plan.unfiltered_triggers, plan.unfiltered)
        else {
            return false;
        };
        let raw_alike = match triggers.effect(cache.raw_symbols()) {
            Effect::Unchanged => true,
            Effect::CaseOnly => plan.unfiltered_ignore_case,
            Effect::Unknown => false,
        };
        raw_alike && !all.is_match(cache.raw())
    }
}

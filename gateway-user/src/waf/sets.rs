//! The built-in regex rules compiled into pattern sets (`factors::PatternSet`),
//! and the scan of one field.
//!
//! Rules sharing a transformation chain and a paranoia level go into one set, split
//! in two when only some of them have a prefilter (characters every match needs,
//! see `prefilter`): a filtered set is skipped when the value lacks all of them.
//! Every pattern is also compiled into one more set: one scan of the raw value
//! by it decides for each set that would see the raw value, up to ASCII case (see
//! `sees_raw`) — most values are left as they are by most chains, so one scan
//! stands for several. For the kinds most fields are (arguments, headers,
//! cookies, JSON) at the configured paranoia level, that set holds only the
//! patterns that can fire there: a URL or an e-mail address is no longer sent
//! down every group because a higher-paranoia rule, or one for file names only,
//! matches it.
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::WafError;
use super::chains::{Chains, FieldCache};
use super::factors::{Pattern, PatternSet};
use super::fields::FieldKind;
use super::prefilter::{Pairs, ignores_ascii_case, required_pairs};
use super::symbols::Symbols;
use super::transform::{Effect, Transform, Triggers};

/// Field kinds (`FieldKind` bits) and paranoia levels that plans are made for.
const KINDS: usize = 16;
const LEVELS: usize = 4;

/// The kinds nearly every field of a request is, which get the focused set.
const COMMON_KINDS: u16 = FieldKind::ArgName as u16
    | FieldKind::ArgValue as u16
    | FieldKind::Header as u16
    | FieldKind::Cookie as u16
    | FieldKind::BodyKey as u16
    | FieldKind::BodyValue as u16;

/// One built-in regex rule to compile.
pub(super) struct RegexRule {
    /// The rule's index in the engine's rule table.
    pub index: usize,
    /// The pattern (ASCII word boundaries already in place).
    pub pattern: String,
    /// The pattern that confirms a match on a non-ASCII value, when it differs:
    /// no Latin letter before a word where a match starts.
    pub latin_word_starts: Option<String>,
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
    /// For a chain that ends by removing whitespace: pairs of adjacent characters
    /// every match needs one of, tested on the value under chain `before` (the
    /// chain without that step). Such a chain changes every value with a space,
    /// so the group can never stand on the raw scan (`raw_miss`), and a `:` alone
    /// is in many values; `t:` is in few.
    pairs: Option<(Pairs, usize)>,
    /// Every pattern ignores ASCII case (`prefilter::ignores_ascii_case`).
    ignores_case: bool,
    /// The symbols that can make the chain change a value (`None`: any value).
    triggers: Option<Triggers>,
    set: PatternSet,
    /// Rule index of each pattern of `set`.
    rules: Vec<usize>,
}

/// Symbol bits (see `Symbols::bits`).
const SYMBOL_BITS: usize = 64;

/// What to scan for one field kind at one paranoia level, worked out at load time.
#[derive(Default)]
struct Plan {
    /// The groups that apply, in order.
    groups: Vec<usize>,
    /// The raw value is tested by `Sets::focused` rather than `Sets::every`.
    focused: bool,
    /// When the plan has at most 64 groups: for each symbol bit, the groups (bit
    /// `i` for `groups[i]`) whose prefilter needs it, and the groups without a
    /// prefilter. A value's groups are then found from its few symbols rather
    /// than by testing every group.
    masks: Option<GroupMasks>,
    /// The symbols that can make the chains of the groups without a prefilter
    /// change a value (`None` when one of them may change any value).
    unfiltered_triggers: Option<Triggers>,
    /// Every one of those groups ignores ASCII case.
    unfiltered_ignore_case: bool,
    /// The symbols that can make the gate chains of the filtered groups change a
    /// value beyond ASCII case (`None`: one of them may change any value).
    gate_triggers: Option<Triggers>,
}

/// The groups of a plan by the symbols their prefilters need (see `Plan::masks`),
/// and by what their chains do to a value with a symbol (see `seeing_raw`).
struct GroupMasks {
    by_symbol: [u64; SYMBOL_BITS],
    unfiltered: u64,
    /// For each symbol bit, the groups whose chain may change a value with it.
    changes: [u64; SYMBOL_BITS],
    /// For each symbol bit, the groups whose chain may change a value with it
    /// beyond ASCII case.
    changes_beyond_case: [u64; SYMBOL_BITS],
    /// The groups whose chain may change any value.
    changes_any_value: u64,
    /// The groups whose patterns all ignore ASCII case.
    ignore_case: u64,
    /// The groups with pairs (`Group::pairs`).
    paired: u64,
}

impl GroupMasks {
    fn new(groups: &[Group], applies: &[usize]) -> Option<GroupMasks> {
        if applies.len() > 64 {
            return None;
        }
        let mut masks = GroupMasks {
            by_symbol: [0; SYMBOL_BITS],
            unfiltered: 0,
            changes: [0; SYMBOL_BITS],
            changes_beyond_case: [0; SYMBOL_BITS],
            changes_any_value: 0,
            ignore_case: 0,
            paired: 0,
        };
        let add = |table: &mut [u64; SYMBOL_BITS], set: Symbols, i: usize| {
            for (bit, mask) in table.iter_mut().enumerate() {
                if set.bits() & (1 << bit) != 0 {
                    *mask |= 1 << i;
                }
            }
        };
        for (i, &g) in applies.iter().enumerate() {
            let group = &groups[g];
            match group.triggers {
                Some(t) => {
                    add(&mut masks.changes, t.any_change(), i);
                    add(&mut masks.changes_beyond_case, t.beyond_case(), i);
                }
                None => masks.changes_any_value |= 1 << i,
            }
            if group.ignores_case {
                masks.ignore_case |= 1 << i;
            }
            if group.pairs.is_some() {
                masks.paired |= 1 << i;
            }
            match groups[g].prefilter {
                Some((needs, _)) => {
                    for (bit, mask) in masks.by_symbol.iter_mut().enumerate() {
                        if needs.bits() & (1 << bit) != 0 {
                            *mask |= 1 << i;
                        }
                    }
                }
                None => masks.unfiltered |= 1 << i,
            }
        }
        Some(masks)
    }

    /// The groups whose prefilter passes on a value with symbols `symbols`, and
    /// the unfiltered ones.
    fn live(&self, symbols: Symbols) -> u64 {
        let mut live = self.unfiltered;
        let mut bits = symbols.bits();
        while bits != 0 {
            live |= self.by_symbol[bits.trailing_zeros() as usize];
            bits &= bits - 1;
        }
        live
    }

    /// The groups that see a value with symbols `symbols` as it is, up to ASCII
    /// case when their patterns ignore it (`sees` for each group at once).
    fn seeing_raw(&self, symbols: Symbols) -> u64 {
        let (mut changed, mut beyond_case) = (0, 0);
        let mut bits = symbols.bits();
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            changed |= self.changes[bit];
            beyond_case |= self.changes_beyond_case[bit];
            bits &= bits - 1;
        }
        !self.changes_any_value & (!changed | (!beyond_case & self.ignore_case))
    }
}

/// The compiled sets.
pub(super) struct Sets {
    groups: Vec<Group>,
    /// The patterns of every group, in one set.
    every: Option<PatternSet>,
    /// The patterns of the rules up to the configured paranoia level that target
    /// one of `COMMON_KINDS`, in one set.
    focused: Option<PatternSet>,
    /// Indexed by field kind bit and paranoia level - 1.
    plans: Vec<Plan>,
}

/// Each pattern compiled once, for the several sets it goes into, with the
/// pattern that confirms its matches on non-ASCII values.
#[derive(Default)]
struct Compiled {
    patterns: HashMap<String, Pattern>,
    confirm: HashMap<String, String>,
}

impl Compiled {
    fn pattern(&mut self, source: &str) -> Result<&Pattern, WafError> {
        Ok(match self.patterns.entry(source.to_string()) {
            Entry::Occupied(done) => done.into_mut(),
            Entry::Vacant(slot) => slot.insert(
                Pattern::compile(source, self.confirm.get(source).map(String::as_str))
                    .map_err(WafError::Builtin)?,
            ),
        })
    }

    fn set(&mut self, patterns: &[String]) -> Result<PatternSet, WafError> {
        let list = patterns
            .iter()
            .map(|p| self.pattern(p).cloned())
            .collect::<Result<Vec<_>, _>>()?;
        PatternSet::new(&list).map_err(WafError::Builtin)
    }
}

impl Sets {
    /// Groups and compiles the rules; prefilter gates are added to `chains`.
    /// `paranoia` is the configured level, which most requests are inspected at.
    pub(super) fn build(
        rules: Vec<RegexRule>,
        chains: &mut Chains,
        paranoia: u8,
    ) -> Result<Sets, WafError> {
        let mut compiled = Compiled::default();
        for r in &rules {
            if let Some(strict) = &r.latin_word_starts {
                compiled.confirm.insert(r.pattern.clone(), strict.clone());
            }
        }
        let focus_level = paranoia.clamp(1, LEVELS as u8);
        let focused: Vec<String> = rules
            .iter()
            .filter(|r| r.paranoia <= focus_level && r.targets & COMMON_KINDS != 0)
            .map(|r| r.pattern.clone())
            .collect();
        let focused = match focused.is_empty() {
            true => None,
            false => Some(compiled.set(&focused)?),
        };
        // (chain, paranoia, filtered) -> rules, in first-seen order.
        let mut by_key: Vec<((usize, u8, bool), Vec<RegexRule>)> = Vec::new();
        for rule in rules {
            let key = (
                rule.pipeline,
                rule.paranoia,
                compiled.pattern(&rule.pattern)?.needs().is_some(),
            );
            match by_key.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(rule),
                None => by_key.push((key, vec![rule])),
            }
        }
        let mut groups = Vec::new();
        let mut every = Vec::new();
        for ((pipeline, paranoia, filtered), list) in by_key {
            let patterns: Vec<String> = list.iter().map(|r| r.pattern.clone()).collect();
            let prefilter = if filtered {
                let mut needs = Symbols::default();
                for p in &patterns {
                    needs = needs.union(compiled.pattern(p)?.needs().unwrap_or_default());
                }
                Some(chains.gate(pipeline, needs))
            } else {
                None
            };
            let pairs = match chains.get(pipeline).split_last() {
                Some((Transform::RemoveWhitespace, before)) => {
                    let before = before.to_vec();
                    patterns
                        .iter()
                        .map(|p| required_pairs(p))
                        .try_fold(Pairs::default(), |all, p| Some(all.union(p?)))
                        .map(|pairs| (pairs, chains.index(&before)))
                }
                _ => None,
            };
            every.extend(patterns.iter().cloned());
            groups.push(Group {
                pipeline,
                targets: list.iter().fold(0, |all, r| all | r.targets),
                paranoia,
                prefilter,
                pairs,
                ignores_case: patterns.iter().all(|p| ignores_ascii_case(p)),
                triggers: chains.triggers(pipeline),
                set: compiled.set(&patterns)?,
                rules: list.iter().map(|r| r.index).collect(),
            });
        }
        let every = match every.is_empty() {
            true => None,
            false => Some(compiled.set(&every)?),
        };
        let plans = (0..KINDS * LEVELS)
            .map(|i| {
                let (bit, paranoia) = (1u16 << (i / LEVELS), (i % LEVELS) as u8 + 1);
                let applies: Vec<usize> = (0..groups.len())
                    .filter(|&g| groups[g].targets & bit != 0 && groups[g].paranoia <= paranoia)
                    .collect();
                let unfiltered = || {
                    applies
                        .iter()
                        .map(|&g| &groups[g])
                        .filter(|g| g.prefilter.is_none())
                };
                let gate_triggers = applies
                    .iter()
                    .filter_map(|&g| groups[g].prefilter)
                    .try_fold(Triggers::default(), |all, (_, gate)| {
                        Some(all.then(chains.triggers(gate)?))
                    });
                Plan {
                    focused: bit & COMMON_KINDS != 0 && paranoia == focus_level,
                    masks: GroupMasks::new(&groups, &applies),
                    gate_triggers,
                    unfiltered_triggers: unfiltered()
                        .try_fold(Triggers::default(), |all, g| Some(all.then(g.triggers?))),
                    unfiltered_ignore_case: unfiltered().all(|g| g.ignores_case),
                    groups: applies,
                }
            })
            .collect();
        Ok(Sets {
            groups,
            every,
            focused,
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
        // Most values are left as they are (up to ASCII case) by every gate chain:
        // then the symbols of each gate's value are the raw value's, as
        // `FieldCache::chars` would find one by one.
        let raw = cache.raw_symbols();
        let gates_see_raw = plan
            .gate_triggers
            .is_some_and(|t| t.effect(raw) != Effect::Unknown);
        // Most values look the same to every unfiltered group: one test for all.
        let all_see_raw = sees_raw(plan.unfiltered_triggers, plan.unfiltered_ignore_case, cache);
        // Whether no pattern at all matches the raw value, found on first need.
        let mut raw_miss = None;
        // The groups whose prefilter passes on the raw symbols, when those are
        // what every gate sees (the others are tested one by one below).
        let live = match &plan.masks {
            Some(masks) if gates_see_raw => Some(masks.live(raw)),
            _ => None,
        };
        // With `live`, only its groups are visited (in plan order): most of a
        // plan's groups are filtered out for most values.
        let (mut pending, mut next) = (live.unwrap_or(0), 0);
        // When a live group without pairs sees the raw value, the raw scan is
        // needed anyway: done first, a miss drops every group that sees the raw
        // value at once, rather than one visit each.
        if let (Some(masks), Some(_)) = (&plan.masks, live) {
            let seeing = masks.seeing_raw(raw) & pending;
            if seeing & !masks.paired != 0 && *raw_miss.insert(self.raw_miss(plan, cache)) {
                pending &= !seeing;
            }
        }
        loop {
            let i = if live.is_some() {
                if pending == 0 {
                    break;
                }
                let i = pending.trailing_zeros() as usize;
                pending &= pending - 1;
                i
            } else {
                if next == plan.groups.len() {
                    break;
                }
                next += 1;
                next - 1
            };
            let Some(g) = plan.groups.get(i).map(|&g| &self.groups[g]) else {
                continue;
            };
            let sees = match g.prefilter {
                Some((needs, gate))
                    if live.is_none()
                        && !needs.intersects(if gates_see_raw {
                            raw
                        } else {
                            cache.chars(gate)
                        }) =>
                {
                    continue;
                }
                Some(_) => sees_raw(g.triggers, g.ignores_case, cache),
                None => all_see_raw || sees_raw(g.triggers, g.ignores_case, cache),
            };
            if let Some((pairs, before)) = &g.pairs
                && !pairs.may_hold_joined(cache.value_up_to_case(*before))
            {
                continue;
            }
            if sees && *raw_miss.get_or_insert_with(|| self.raw_miss(plan, cache)) {
                continue;
            }
            let symbols = cache.chars(g.pipeline);
            let value = cache.value(g.pipeline);
            if value.is_empty() {
                continue;
            }
            // Lazy and allocation-free: on a miss it costs what `is_match` would,
            // and a hit is not searched for twice.
            for i in g.set.matches(value, symbols) {
                fired(g.rules[i]);
            }
        }
    }

    /// True when no built-in pattern that can fire in `plan` matches the raw
    /// value: one scan by all of them together (the focused set holds every rule
    /// of the plan's kind and level). Groups whose chain changes the value
    /// (escapes, comments, ...) still run one by one.
    fn raw_miss(&self, plan: &Plan, cache: &mut FieldCache<'_, '_>) -> bool {
        let set = match plan.focused {
            true => &self.focused,
            false => &self.every,
        };
        let symbols = cache.raw_symbols();
        set.as_ref()
            .is_some_and(|all| !all.is_match(cache.raw(), symbols))
    }
}

/// True when chains with these triggers leave the raw value as it is, or change
/// only its ASCII case and the patterns ignore case: then a miss of all the
/// patterns together on the raw value is a miss of theirs.
fn sees_raw(
    triggers: Option<Triggers>,
    ignores_case: bool,
    cache: &mut FieldCache<'_, '_>,
) -> bool {
    sees(triggers, ignores_case, cache.raw_symbols())
}

/// `sees_raw` for a value with symbols `raw`.
fn sees(triggers: Option<Triggers>, ignores_case: bool, raw: Symbols) -> bool {
    let Some(triggers) = triggers else {
        return false;
    };
    match triggers.effect(raw) {
        Effect::Unchanged => true,
        Effect::CaseOnly => ignores_case,
        Effect::Unknown => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::{Engine, WafConfig};

    /// Every line of the own corpus and of two public dev halves, and the ways an
    /// attacker varies one: case, the long s and Kelvin sign that fold to `s`
    /// and `k`, tabs for spaces.
    fn samples() -> Vec<String> {
        let mut out = Vec::new();
        for line in crate::waf::tests::corpus_lines(&["waf", "waf-public/dev", "waf-public3/dev"]) {
            out.push(line.to_uppercase());
            out.push(line.replace('s', "\u{17f}").replace('k', "\u{212a}"));
            out.push(line.replace(' ', "\t"));
            out.push(line);
        }
        out
    }

    #[test]
    fn no_pattern_that_matches_a_value_is_skipped_by_its_factors_or_punctuation() {
        let engine = Engine::compile(&WafConfig {
            paranoia: 4,
            ..WafConfig::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let every = engine
            .sets
            .every
            .as_ref()
            .unwrap_or_else(|| panic!("no set"));
        let values = samples();
        assert!(values.len() > 20_000, "{} values", values.len());
        let mut matched = 0;
        for v in &values {
            assert_eq!(every.skipped(v), Vec::<usize>::new(), "{v:?}");
            matched += usize::from(every.is_match(v, Symbols::of(v)));
        }
        // The attacks match: the comparison above was not made on misses only.
        assert!(matched > 5_000, "{matched}");
    }

    #[test]
    fn the_groups_seeing_a_value_as_it_is_are_told_at_once_as_one_by_one() {
        let engine = Engine::compile(&WafConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let sets = &engine.sets;
        let values = [
            "plain words",
            "Patrick O'Brien",
            "a%27b",
            "&lt;x&gt;",
            "UPPER lower",
            "caf\u{e9}",
            "tab\there",
            "two  spaces",
            "c'a't /etc/passwd",
            "/*x*/--",
            "\0nul",
            "${IFS}",
            "a\\b",
        ];
        let mut checked = 0;
        for plan in &sets.plans {
            let Some(masks) = &plan.masks else { continue };
            for v in values {
                let raw = Symbols::of(v);
                let seeing = masks.seeing_raw(raw);
                for (i, &g) in plan.groups.iter().enumerate() {
                    let group = &sets.groups[g];
                    assert_eq!(
                        seeing & (1 << i) != 0,
                        sees(group.triggers, group.ignores_case, raw),
                        "{v:?}, group {g}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}

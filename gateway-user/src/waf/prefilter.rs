//! A cheap test that proves a regex cannot match a value, so its set is not run.
//!
//! At load time each pattern is parsed (with the flags the set is compiled with)
//! and walked to find characters that every match must contain: `sleep\s*\(`
//! cannot match without `(`, `<\?php` without `<` or `?`. Only punctuation,
//! control and non-ASCII characters count — letters, digits and spaces are in
//! nearly every value, so requiring them would skip nothing. The walk is
//! conservative: what it cannot reason about (look-arounds, optional parts, empty
//! matches) requires nothing, and a pattern that requires nothing is always run.
//!
//! Some patterns need a character only in one place: `javascript:` needs a `:`
//! right after a `t`. Such pairs (`required_pairs`) tell a value with a `:` in
//! it (a time, a URL, `Note: ...`) from one that may match.
use regex_syntax::hir::{Class, Hir, HirKind};

use super::symbols::Symbols;
use super::transform::is_ascii_ws;

/// A set of characters as the analysis sees them: ASCII ones exactly, non-ASCII
/// ones as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Chars {
    /// Bit `b` set: ASCII byte `b` is in the set.
    ascii: u128,
    /// Non-ASCII characters are in the set.
    non_ascii: bool,
}

impl Chars {
    fn union(self, other: Chars) -> Chars {
        Chars {
            ascii: self.ascii | other.ascii,
            non_ascii: self.non_ascii || other.non_ascii,
        }
    }

    fn byte(b: u8) -> Chars {
        if b < 0x80 {
            Chars {
                ascii: 1u128 << b,
                non_ascii: false,
            }
        } else {
            // A byte of a multi-byte character.
            Chars {
                ascii: 0,
                non_ascii: true,
            }
        }
    }

    /// How likely a benign value holds one of the characters (lower is better).
    fn cost(self) -> u32 {
        (self.ascii & COMMON).count_ones() * 1000
            + (self.ascii & FREQUENT).count_ones() * 10
            + self.ascii.count_ones()
            + if self.non_ascii { 20 } else { 0 }
    }

    /// The symbols of a set without letters, digits or spaces.
    fn symbols(self) -> Symbols {
        (0..128u8)
            .filter(|&b| self.ascii & (1u128 << b) != 0)
            .chain(self.non_ascii.then_some(0x80))
            .fold(Symbols::default(), |set, b| set.union(Symbols::of_byte(b)))
    }
}

/// ASCII letters, digits and the space: never part of a requirement.
const COMMON: u128 = {
    let mut m = 1u128 << b' ';
    let mut b = 0u8;
    while b < 128 {
        if b.is_ascii_alphanumeric() {
            m |= 1u128 << b;
        }
        b += 1;
    }
    m
};

/// ASCII whitespace and controls: what whitespace steps remove (`is_ascii_ws`).
const WHITESPACE: u128 = {
    let mut m = 0u128;
    let mut b = 0u8;
    while b < 128 {
        if is_ascii_ws(b) {
            m |= 1u128 << b;
        }
        b += 1;
    }
    m
};

/// Punctuation that ordinary values (prose, e-mail addresses, URLs, dates) often hold.
const FREQUENT: u128 = {
    let mut m = 0u128;
    let s = b".,-_'/:@!?\t\r\n";
    let mut i = 0;
    while i < s.len() {
        m |= 1u128 << s[i];
        i += 1;
    }
    m
};

/// Characters every match of `pattern` (compiled case-insensitively, as the
/// built-in sets are) contains at least one of; `None` when there are none to
/// rely on. The set never holds a letter, digit or space.
#[cfg(test)]
fn required_chars(pattern: &str) -> Option<Symbols> {
    required_sets(pattern).first().copied()
}

/// Sets of characters such that every match of `pattern` holds one of each,
/// the cheapest first: `[\r\n][\w-]+:` needs a line break and a colon, and a
/// value with a colon alone (a time, a URL) cannot match. A set is left out
/// when a value holding an earlier one always holds it too.
pub fn required_sets(pattern: &str) -> Vec<Symbols> {
    let Ok(hir) = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
    else {
        return Vec::new();
    };
    let mut sets = Vec::new();
    every_required(&hir, &mut sets);
    sets.retain(|set| set.ascii & COMMON == 0);
    // Stable: among equal costs the first found wins, as `required` picks it.
    sets.sort_by_key(|set| set.cost());
    let mut out: Vec<Symbols> = Vec::new();
    for set in sets.into_iter().map(Chars::symbols) {
        // A set only helps when some value holds every earlier one but not it:
        // not when it holds every symbol of an earlier set.
        if out.iter().all(|&earlier| set.union(earlier) != set) {
            out.push(set);
        }
    }
    out
}

/// Two adjacent characters: a byte of `first` right before a byte of `second`
/// (ASCII bytes, as bit masks; `second` is punctuation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    first: u128,
    second: u128,
}

impl Pair {
    /// The pair of two sets, when it can be tested cheaply and exactly: ASCII
    /// only, no whitespace or control (whitespace steps remove them), and
    /// punctuation second, so the test only stops at rare bytes. `first` gets both
    /// ASCII cases of its letters, so a value may be tested before lowercasing.
    fn of(first: Chars, second: Chars) -> Option<Pair> {
        let usable = |c: Chars| !c.non_ascii && c.ascii != 0 && c.ascii & WHITESPACE == 0;
        if !usable(first) || !usable(second) || second.ascii & COMMON != 0 {
            return None;
        }
        let cased = (b'a'..=b'z')
            .filter(|&l| first.ascii & (1u128 << l | 1u128 << l.to_ascii_uppercase()) != 0)
            .fold(0, |m, l| m | 1u128 << l | 1u128 << l.to_ascii_uppercase());
        Some(Pair {
            first: first.ascii | cased,
            second: second.ascii,
        })
    }

    /// How likely a benign value holds the pair (lower is better).
    fn cost(self) -> u32 {
        let second = Chars {
            ascii: self.second,
            non_ascii: false,
        };
        second.cost() * self.first.count_ones()
    }
}

/// Pairs of adjacent characters every match of a pattern holds one of (see
/// `required_pairs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs {
    /// Each second character (a byte), with the bytes that may come before it.
    by_second: Vec<(u8, u128)>,
}

impl Pairs {
    fn new(list: &[Pair]) -> Pairs {
        let by_second = (0..128u8)
            .filter_map(|c| {
                let before = list
                    .iter()
                    .filter(|p| p.second & (1u128 << c) != 0)
                    .fold(0, |m, p| m | p.first);
                (before != 0).then_some((c, before))
            })
            .collect();
        Pairs { by_second }
    }

    /// Both sets' pairs.
    pub fn union(self, other: Pairs) -> Pairs {
        let mut by_second = self.by_second;
        for (c, before) in other.by_second {
            match by_second.iter_mut().find(|(s, _)| *s == c) {
                Some((_, all)) => *all |= before,
                None => by_second.push((c, before)),
            }
        }
        Pairs { by_second }
    }

    /// False when `value`, once its whitespace and controls are removed (and its
    /// ASCII case changed, if at all), holds none of the pairs. Non-ASCII
    /// characters may be whitespace that goes: one right before a pair's second
    /// character counts as a match.
    pub fn may_hold_joined(&self, value: &str) -> bool {
        let b = value.as_bytes();
        self.by_second.iter().any(|&(second, before)| {
            // A byte search: the second characters are rare, values are not short.
            let mut from = 0;
            while let Some(at) = memchr::memchr(second, &b[from..]) {
                let i = from + at;
                match b[..i].iter().rev().find(|&&p| !is_ascii_ws(p)) {
                    Some(&p) if p >= 0x80 || before & (1u128 << p) != 0 => return true,
                    _ => from = i + 1,
                }
            }
            false
        })
    }
}

/// Pairs of adjacent characters every match of `pattern` (compiled
/// case-insensitively) contains one of; `None` when there are none to rely on.
pub fn required_pairs(pattern: &str) -> Option<Pairs> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .ok()?;
    pairs(&hir).map(|list| Pairs::new(&list))
}

fn pairs(hir: &Hir) -> Option<Vec<Pair>> {
    match hir.kind() {
        HirKind::Literal(lit) => cheapest_pairs(
            lit.0
                .windows(2)
                .map(|w| Pair::of(Chars::byte(w[0]), Chars::byte(w[1])).map(|p| vec![p])),
        ),
        HirKind::Repetition(rep) if rep.min >= 1 => pairs(&rep.sub),
        HirKind::Capture(cap) => pairs(&cap.sub),
        // A pair inside one part, or across two parts next to each other (a
        // look-around between them takes no room).
        HirKind::Concat(parts) => {
            let solid: Vec<&Hir> = parts
                .iter()
                .filter(|p| !matches!(p.kind(), HirKind::Look(_)))
                .collect();
            let across = solid
                .windows(2)
                .map(|w| Pair::of(last(w[0])?, first(w[1])?).map(|p| vec![p]));
            cheapest_pairs(parts.iter().map(pairs).chain(across))
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(pairs(b)?);
            }
            Some(all)
        }
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) | HirKind::Repetition(_) => None,
    }
}

fn cheapest_pairs(sets: impl Iterator<Item = Option<Vec<Pair>>>) -> Option<Vec<Pair>> {
    sets.flatten()
        .min_by_key(|s| s.iter().map(|p| p.cost()).sum::<u32>())
}

/// The characters every match of `hir` starts with (`None`: it may be empty, or
/// the walk cannot tell).
fn first(hir: &Hir) -> Option<Chars> {
    edge(hir, true)
}

/// The characters every match of `hir` ends with.
fn last(hir: &Hir) -> Option<Chars> {
    edge(hir, false)
}

fn edge(hir: &Hir, start: bool) -> Option<Chars> {
    match hir.kind() {
        HirKind::Literal(lit) => {
            let b = if start { lit.0.first() } else { lit.0.last() };
            b.map(|&b| Chars::byte(b))
        }
        HirKind::Class(class) => Some(class_chars(class)),
        HirKind::Repetition(rep) if rep.min >= 1 => edge(&rep.sub, start),
        HirKind::Capture(cap) => edge(&cap.sub, start),
        HirKind::Concat(parts) => {
            let mut solid = parts
                .iter()
                .filter(|p| !matches!(p.kind(), HirKind::Look(_)));
            let part = if start {
                solid.next()
            } else {
                solid.next_back()
            };
            edge(part?, start)
        }
        HirKind::Alternation(branches) => {
            let mut all = Chars::default();
            for b in branches {
                all = all.union(edge(b, start)?);
            }
            Some(all)
        }
        HirKind::Empty | HirKind::Look(_) | HirKind::Repetition(_) => None,
    }
}

/// True when `pattern` (compiled case-insensitively) cannot tell ASCII letters
/// from their other case: no letter stands alone and every class that holds a
/// letter holds both cases. Such a pattern matches a value exactly when it matches
/// the value with ASCII case changed.
pub fn ignores_ascii_case(pattern: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .is_ok_and(|hir| case_closed(&hir))
}

fn case_closed(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => !lit.0.iter().any(u8::is_ascii_alphabetic),
        HirKind::Class(class) => {
            let chars = class_chars(class);
            (b'a'..=b'z').all(|l| {
                let lower = chars.ascii & (1u128 << l) != 0;
                let upper = chars.ascii & (1u128 << l.to_ascii_uppercase()) != 0;
                lower == upper
            })
        }
        HirKind::Repetition(rep) => case_closed(&rep.sub),
        HirKind::Capture(cap) => case_closed(&cap.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().all(case_closed),
    }
}

/// Pushes sets of characters every match of `hir` contains one of each of: a
/// concatenation needs what each of its parts needs.
fn every_required(hir: &Hir, sets: &mut Vec<Chars>) {
    match hir.kind() {
        HirKind::Literal(lit) => sets.extend(lit.0.iter().map(|&b| Chars::byte(b))),
        HirKind::Repetition(rep) if rep.min >= 1 => every_required(&rep.sub, sets),
        HirKind::Capture(cap) => every_required(&cap.sub, sets),
        HirKind::Concat(parts) => parts.iter().for_each(|p| every_required(p, sets)),
        _ => sets.extend(required(hir)),
    }
}

/// Characters every match of `hir` contains at least one of.
fn required(hir: &Hir) -> Option<Chars> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => cheapest(lit.0.iter().map(|&b| Some(Chars::byte(b)))),
        HirKind::Class(class) => Some(class_chars(class)),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(cap) => required(&cap.sub),
        // Every part of a concatenation is in the match: any one part's set will do.
        HirKind::Concat(parts) => cheapest(parts.iter().map(required)),
        // A match is one of the branches: it needs the union of theirs.
        HirKind::Alternation(branches) => {
            let mut all = Chars::default();
            for b in branches {
                all = all.union(required(b)?);
            }
            Some(all)
        }
    }
}

fn cheapest(sets: impl Iterator<Item = Option<Chars>>) -> Option<Chars> {
    sets.flatten().min_by_key(|s| s.cost())
}

fn class_chars(class: &Class) -> Chars {
    let mut set = Chars::default();
    let mut add = |lo: u32, hi: u32| {
        for c in lo..=hi.min(0x7f) {
            set.ascii |= 1u128 << c;
        }
        if hi >= 0x80 {
            set.non_ascii = true;
        }
    };
    match class {
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .for_each(|r| add(u32::from(r.start()), u32::from(r.end()))),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .for_each(|r| add(u32::from(r.start()), u32::from(r.end()))),
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may_match(pattern: &str, value: &str) -> bool {
        required_chars(pattern).is_none_or(|r| r.intersects(Symbols::of(value)))
    }

    #[test]
    fn a_pattern_needing_punctuation_is_skipped_on_values_without_it() {
        assert!(may_match(r"\bsleep\s*\(\s*\d", "SLEEP(5)"));
        assert!(!may_match(r"\bsleep\s*\(\s*\d", "sleep 5 hours"));
        assert!(may_match(r"<\?(?:php\b|=|\s)", "<?php"));
        assert!(!may_match(r"<\?(?:php\b|=|\s)", "lorem ipsum 42"));
        assert!(!may_match(r"[\r\n]", "one line"));
        assert!(!may_match(r"\x00", "no nul"));
    }

    #[test]
    fn a_pattern_that_matches_words_alone_requires_nothing() {
        for p in [r"\bunion\s+select\b", r"\bjndi\b", r"a?", r"(?:x|$)", r"\s"] {
            assert_eq!(required_chars(p), None, "{p}");
        }
    }

    #[test]
    fn every_branch_of_an_alternation_counts() {
        let r = required_chars(r"\$\{|<%|#\{").expect("requirement");
        for v in ["${x}", "<%= x %>", "#{x}"] {
            assert!(r.intersects(Symbols::of(v)), "{v}");
        }
        assert_eq!(required_chars(r"\$\{|select"), None);
    }

    #[test]
    fn a_pattern_needing_two_kinds_of_punctuation_needs_both() {
        let p = r"[\r\n][\w-]+[ \t]*:";
        let may = |v: &str| {
            required_sets(p)
                .iter()
                .all(|r| r.intersects(Symbols::of(v)))
        };
        assert_eq!(required_sets(p).len(), 2);
        assert!(may("x\r\nSet-Cookie: a=1"));
        assert!(!may("gift note 1: lorem ipsum"));
        assert!(!may("line one\nline two"));
        // A second set the first implies is no requirement of its own.
        assert_eq!(required_sets(r"\$[$}]").len(), 1);
        assert_eq!(required_sets(r"\bselect\b").len(), 0);
        // Every kind is kept, the rarest first.
        let sets = required_sets(r#"['"][a-z_]+['"]\.\("#);
        assert_eq!(sets.len(), 3);
        assert_eq!(sets[0], Symbols::of("("));
    }

    #[test]
    fn non_ascii_requirements_are_kept() {
        let r = required_chars(r"\x{FF1C}script").expect("requirement");
        assert!(r.intersects(Symbols::of("＜script")));
        assert!(!r.intersects(Symbols::of("script")));
    }

    #[test]
    fn case_insensitive_patterns_are_recognised() {
        assert!(ignores_ascii_case(r#"\bsleep\s*\(\s*[\d(@'"]"#));
        assert!(ignores_ascii_case(r"[a-f0-9]+|[^x]"));
        assert!(!ignores_ascii_case(r"(?-i)Select"));
        assert!(!ignores_ascii_case(r"(?-i:[a-z])"));
    }

    fn may_hold(pattern: &str, value: &str) -> bool {
        required_pairs(pattern).is_none_or(|p| p.may_hold_joined(value))
    }

    #[test]
    fn a_pattern_needing_a_letter_before_a_colon_is_skipped_on_other_colons() {
        let p = r"(?:java|vb)script:\S|\bdata:text/html";
        assert!(may_hold(p, "javascript:alert(1)"));
        assert!(may_hold(p, "JAVA SCRIPT\t:x"));
        assert!(may_hold(p, "DATA :text/html"));
        assert!(may_hold(p, "script\u{a0}:x"));
        assert!(!may_hold(p, "gift note 1: lorem ipsum"));
        assert!(!may_hold(p, "https://example.com/a"));
        assert!(!may_hold(p, ": leading colon"));
    }

    #[test]
    fn a_pair_across_an_optional_part_is_not_required() {
        assert_eq!(required_pairs(r"t(?:x)?:"), None);
        assert_eq!(required_pairs(r"t\s*:"), None);
        assert_eq!(required_pairs(r"javascript|data:"), None);
        assert!(required_pairs(r"t\b:").is_some());
    }

    #[test]
    fn optional_parts_are_not_required() {
        assert!(may_match(r"(?:\(\s*)?\$\{", "${x}"));
        assert!(!may_match(r"(?:\(\s*)?\$\{", "(x"));
    }
}

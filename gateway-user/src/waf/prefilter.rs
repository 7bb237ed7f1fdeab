//! A cheap test that proves a regex cannot match a value, so its set is not run.
//!
//! At load time each pattern is parsed (with the flags the set is compiled with)
//! and walked to find characters that every match must contain: `sleep\s*\(`
//! cannot match without `(`, `<\?php` without `<` or `?`. Only punctuation,
//! control and non-ASCII characters count — letters, digits and spaces are in
//! nearly every value, so requiring them would skip nothing. The walk is
//! conservative: what it cannot reason about (look-arounds, optional parts, empty
//! matches) requires nothing, and a pattern that requires nothing is always run.
use regex_syntax::hir::{Class, Hir, HirKind};

use super::symbols::Symbols;

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
pub fn required_chars(pattern: &str) -> Option<Symbols> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .ok()?;
    required(&hir)
        .filter(|set| set.ascii & COMMON == 0)
        .map(Chars::symbols)
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

    #[test]
    fn optional_parts_are_not_required() {
        assert!(may_match(r"(?:\(\s*)?\$\{", "${x}"));
        assert!(!may_match(r"(?:\(\s*)?\$\{", "(x"));
    }
}

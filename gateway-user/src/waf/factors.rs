//! Many patterns matched as one set, through the literal factors of each.
//!
//! A factor set of a pattern is a few strings one of which every match holds:
//! `\bunion\s+select\b` cannot match without `select`, `(?:php|phar)://` without
//! `php` or `phar`. One Aho-Corasick pass over a value finds the factors it
//! holds, and only the patterns they belong to run, each as its own regex. A
//! pattern whose best factors are too common to help (`w`, `.`, `:`) has none,
//! and runs on every value that holds its punctuation (`required_sets`), as
//! every pattern must: `sleep\s*\(` is not run on a value without `(`.
//!
//! The sets used to be `RegexSet`s, one lazy DFA over all their patterns. Its
//! states are combinations of every pattern's partial matches, so text it has not
//! seen keeps making new ones: over the benign corpora, the paranoia-1 patterns
//! made a state for every byte or two of prose, at about 100k instructions each,
//! and 1 KiB of fresh text cost milliseconds. The cache stayed warm only for a
//! benchmark that sends one request again and again. A single pattern's DFA
//! stays small, and most values hold no factor of most patterns.
//!
//! A pattern that is an alternation, and lacks factors or punctuation as a
//! whole, is split into its branches, each with its own: `' or true|1=1` would
//! otherwise run on every value holding `or`, whatever the branch. A value that
//! may match one branch runs that branch alone; one that may match several runs
//! the whole pattern.
//!
//! Factors are lowercase ASCII, found without regard to ASCII case. The patterns
//! are case-insensitive with Unicode's simple case folding, under which two
//! non-ASCII characters fold to ASCII letters: U+017F (long s, to `s`) and
//! U+212A (Kelvin sign, to `k`). A value holding one runs every pattern whose
//! punctuation it holds.
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use regex::{Regex, RegexBuilder};
use regex_syntax::hir::{Class, Hir, HirKind};

use super::prefilter::required_sets;
use super::symbols::Symbols;

/// Most branches in one set (the candidates are a fixed bit set).
const MAX_BRANCHES: usize = 1024;
const WORDS: usize = MAX_BRANCHES / 64;

/// One pattern, compiled as the sets compile it, with its branches.
#[derive(Clone)]
pub(super) struct Pattern {
    regex: Regex,
    /// Its top-level alternatives, each with its own factors and punctuation:
    /// a value holding a factor of one branch runs that branch alone. One
    /// branch when the pattern is not an alternation.
    branches: Vec<Branch>,
    /// Punctuation every match holds one of (the first of `prefilter::required_sets`).
    needs: Option<Symbols>,
    /// What a match on a non-ASCII value must also match, when the pattern's
    /// ASCII `\b` may sit inside a word of another Latin script (`Señor`).
    confirm: Option<Regex>,
}

/// A top-level alternative of a pattern.
#[derive(Clone)]
struct Branch {
    regex: Regex,
    /// `None` when some match may hold none of the strings the branch names, or
    /// when the strings are so common that looking for them saves nothing.
    factors: Option<Vec<String>>,
    /// Punctuation every match of the branch holds one of.
    needs: Option<Symbols>,
    /// More punctuation every match holds one of, besides `needs`.
    also: Option<Symbols>,
    /// Any further sets of punctuation every match holds one of each.
    rest: Vec<Symbols>,
}

/// Compiles `source` case-insensitive, with room for the large rules.
fn compile(source: &str) -> Result<Regex, String> {
    RegexBuilder::new(source)
        .case_insensitive(true)
        .size_limit(64 << 20)
        // Per pattern and thread, as `regex` sets by default. One pattern's
        // DFA stays far below it on ordinary text (300 KiB at most over the
        // benign corpora); text made to grow it makes the search fall back
        // to a slower linear engine rather than the memory grow to 136
        // times 16 MiB, the limit the whole set had.
        .dfa_size_limit(2 << 20)
        .build()
        .map_err(|e| e.to_string())
}

impl Pattern {
    /// Compiles `source`, and each of its top-level branches when the pattern
    /// as a whole has no factors or no punctuation to rely on. A pattern with
    /// both is gated well enough; its branches, often a list of keywords, would
    /// each cost a compiled regex (tens of KiB) and save little.
    pub(super) fn compile(source: &str, confirm: Option<&str>) -> Result<Pattern, String> {
        let regex = compile(source)?;
        let confirm = confirm.map(compile).transpose()?;
        let whole = Branch::new(regex.clone(), source);
        let needs = whole.needs;
        let branches = match split(source).as_slice() {
            parts if (whole.factors.is_none() || whole.needs.is_none()) && parts.len() > 1 => parts
                .iter()
                .map(|&part| Ok(Branch::new(compile(part)?, part)))
                .collect::<Result<_, String>>()?,
            _ => vec![whole],
        };
        Ok(Pattern {
            regex,
            branches,
            needs,
            confirm,
        })
    }

    /// Punctuation every match holds one of; `None` when there is none to rely on.
    pub(super) fn needs(&self) -> Option<Symbols> {
        self.needs
    }
}

impl Branch {
    fn new(regex: Regex, source: &str) -> Branch {
        let mut needs = required_sets(source).into_iter();
        Branch {
            regex,
            factors: factors(source),
            needs: needs.next(),
            also: needs.next(),
            rest: needs.collect(),
        }
    }
}

/// The top-level alternatives of `source`, as slices of it; none when it is not
/// an alternation, or when a branch sets flags (which would reach into the
/// branches after it).
fn split(source: &str) -> Vec<&str> {
    use regex_syntax::ast::{Ast, parse::Parser};
    let sets_flags = |ast: &Ast| match ast {
        Ast::Flags(_) => true,
        Ast::Concat(c) => c.asts.iter().any(|a| matches!(a, Ast::Flags(_))),
        _ => false,
    };
    match &Parser::new().parse(source) {
        Ok(Ast::Alternation(alt)) if !alt.asts.iter().any(sets_flags) => alt
            .asts
            .iter()
            .map(|a| &source[a.span().start.offset..a.span().end.offset])
            .collect(),
        _ => Vec::new(),
    }
}

/// Patterns tested together: `is_match` and `matches` answer as a `RegexSet` of
/// the same patterns would (on a value with non-ASCII characters, of the
/// patterns confirmed by their `Pattern::confirm`).
pub(super) struct PatternSet {
    patterns: Vec<Regex>,
    /// `Pattern::confirm` of each pattern.
    confirm: Vec<Option<Regex>>,
    /// Every branch of every pattern, a pattern's branches in a row, and the
    /// pattern of each.
    branches: Vec<Regex>,
    pattern_of: Vec<u16>,
    /// Every factor of every branch; `owners[i]` is the branch of factor `i`.
    finder: Option<Finder>,
    owners: Vec<u16>,
    /// The branches without useful factors, run whenever their punctuation is
    /// there.
    unfactored: Bits,
    /// For each symbol bit (`Symbols::bits`), the branches that need it among
    /// their punctuation; and the branches that need none. A branch whose
    /// punctuation a value lacks is not run, whatever factor it holds.
    by_symbol: Vec<Bits>,
    needless: Bits,
    /// The same for the branches' second requirement (`Branch::also`).
    also_by_symbol: Vec<Bits>,
    also_needless: Bits,
    /// The symbol bits some branch needs, first and second: the others add no
    /// branch, and most sets have no second requirement at all.
    needed: u64,
    also_needed: u64,
    /// `Branch::rest` of each branch, tested on the few candidates only: a
    /// browser's User-Agent holds `(`, `;` and `.`, and no quote.
    rest: Vec<Box<[Symbols]>>,
}

type Bits = [u64; WORDS];

fn set_bit(bits: &mut Bits, i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

impl PatternSet {
    pub(super) fn new(patterns: &[Pattern]) -> Result<PatternSet, String> {
        let count: usize = patterns.iter().map(|p| p.branches.len()).sum();
        if count > MAX_BRANCHES {
            return Err(format!(
                "{count} pattern branches in one set, more than {MAX_BRANCHES}"
            ));
        }
        let mut strings = Vec::new();
        let mut owners = Vec::new();
        let mut unfactored = [0; WORDS];
        let (mut by_symbol, mut needless) = (vec![[0; WORDS]; 64], [0; WORDS]);
        let (mut also_by_symbol, mut also_needless) = (vec![[0; WORDS]; 64], [0; WORDS]);
        let mut branches = Vec::with_capacity(count);
        let mut pattern_of = Vec::with_capacity(count);
        let mut rest = Vec::with_capacity(count);
        for (p, pattern) in patterns.iter().enumerate() {
            for branch in &pattern.branches {
                let i = branches.len();
                branches.push(branch.regex.clone());
                pattern_of.push(p as u16);
                match &branch.factors {
                    Some(factors) => {
                        for f in factors {
                            strings.push(f.as_str());
                            owners.push(i as u16);
                        }
                    }
                    None => set_bit(&mut unfactored, i),
                }
                needing(branch.needs, i, &mut by_symbol, &mut needless);
                needing(branch.also, i, &mut also_by_symbol, &mut also_needless);
                rest.push(branch.rest.clone().into_boxed_slice());
            }
        }
        let finder = match strings.is_empty() {
            true => None,
            false => Some(Finder::new(&strings)?),
        };
        let used = |by_symbol: &[Bits]| {
            (0..64)
                .filter(|&bit| by_symbol[bit].iter().any(|&w| w != 0))
                .fold(0u64, |m, bit| m | 1 << bit)
        };
        let (needed, also_needed) = (used(&by_symbol), used(&also_by_symbol));
        Ok(PatternSet {
            patterns: patterns.iter().map(|p| p.regex.clone()).collect(),
            confirm: patterns.iter().map(|p| p.confirm.clone()).collect(),
            branches,
            pattern_of,
            finder,
            owners,
            unfactored,
            by_symbol,
            needless,
            also_by_symbol,
            also_needless,
            needed,
            also_needed,
            rest,
        })
    }

    /// True when any pattern matches `value`, whose symbols (`Symbols::of`) are
    /// `symbols`: the caller has them already.
    pub(super) fn is_match(&self, value: &str, symbols: Symbols) -> bool {
        self.matches(value, symbols).next().is_some()
    }

    /// A match of pattern `p` on `value` stands: on ASCII the pattern's `\b` is
    /// the word boundary it means; elsewhere its confirming form says.
    fn confirmed(&self, p: usize, value: &str) -> bool {
        value.is_ascii() || self.confirm[p].as_ref().is_none_or(|c| c.is_match(value))
    }

    /// The index of every pattern that matches `value` (with `symbols`), in order.
    pub(super) fn matches<'a>(
        &'a self,
        value: &'a str,
        symbols: Symbols,
    ) -> impl Iterator<Item = usize> + 'a {
        self.runs(value, symbols)
            .filter(|&(p, r)| r.is_match(value) && self.confirmed(p, value))
            .map(|(p, _)| p)
    }

    /// The patterns with a branch that matches `value` but would not be run on
    /// it: none, when the factors and punctuation are right.
    #[cfg(test)]
    pub(super) fn skipped(&self, value: &str) -> Vec<usize> {
        let run: Vec<usize> = self.to_run(value, Symbols::of(value)).collect();
        let mut skipped: Vec<usize> = (0..self.branches.len())
            .filter(|b| !run.contains(b) && self.branches[*b].is_match(value))
            .map(|b| usize::from(self.pattern_of[b]))
            .collect();
        skipped.dedup();
        skipped
    }

    /// The patterns to test on `value`, each with the regex to test: the one
    /// branch that may match, or the whole pattern when several may.
    fn runs<'a>(
        &'a self,
        value: &str,
        symbols: Symbols,
    ) -> impl Iterator<Item = (usize, &'a Regex)> + 'a {
        let mut found = self.to_run(value, symbols).peekable();
        std::iter::from_fn(move || {
            let branch = found.next()?;
            let pattern = self.pattern_of[branch];
            let mut regex = &self.branches[branch];
            while found.next_if(|&b| self.pattern_of[b] == pattern).is_some() {
                regex = &self.patterns[usize::from(pattern)];
            }
            Some((usize::from(pattern), regex))
        })
    }

    /// The branches to run on `value`, in order: the candidates that also hold
    /// one of each of their further sets of punctuation.
    fn to_run<'a>(&'a self, value: &str, symbols: Symbols) -> impl Iterator<Item = usize> + 'a {
        ones(self.candidates(value, symbols), self.branches.len())
            .filter(move |&b| self.rest[b].iter().all(|s| s.intersects(symbols)))
    }

    /// The branches that may match `value`: those whose punctuation it holds
    /// (the first two sets), and a factor of, when they have factors.
    fn candidates(&self, value: &str, symbols: Symbols) -> Bits {
        let words = self.branches.len().div_ceil(64);
        // The branches needing nothing, and those needing a symbol `bits` holds.
        let gather = |mut acc: Bits, rows: &[Bits], mut bits: u64| {
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                for (a, b) in acc[..words].iter_mut().zip(&rows[bit]) {
                    *a |= b;
                }
            }
            acc
        };
        let mut allowed = gather(self.needless, &self.by_symbol, symbols.bits() & self.needed);
        if self.also_needed != 0 {
            let also = gather(
                self.also_needless,
                &self.also_by_symbol,
                symbols.bits() & self.also_needed,
            );
            for (a, b) in allowed[..words].iter_mut().zip(also) {
                *a &= b;
            }
        }
        let mut found = self.unfactored;
        if let Some(finder) = &self.finder {
            // `symbols` are those of `value`, or of a value it differs from in
            // ASCII case only: without their non-ASCII bit, `value` is ASCII.
            if symbols.has_any(Symbols::NON_ASCII) && folds_to_ascii(value) {
                for &owner in &self.owners {
                    set_bit(&mut found, usize::from(owner));
                }
            } else if allowed[..words]
                .iter()
                .zip(&self.unfactored)
                .any(|(a, u)| a & !u != 0)
            {
                // Some branch with factors may still match.
                finder.each_factor(value.as_bytes(), |factor| {
                    set_bit(&mut found, usize::from(self.owners[factor]));
                });
            }
        }
        for (f, a) in found[..words].iter_mut().zip(allowed) {
            *f &= a;
        }
        found
    }
}

/// The factors of a set as one Aho-Corasick DFA, walked byte by byte: a value
/// holds few factors or none, and the set only needs to know which, not where.
/// The crate's overlapping iterator returns at every factor found, which cost
/// more than the walk itself on prose, where `or`, `if` and `in` are everywhere.
struct Finder {
    dfa: DFA,
    start: StateID,
}

impl Finder {
    fn new(strings: &[&str]) -> Result<Finder, String> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // Without a prefilter only match states are special, so the walk
            // leaves its loop on a factor alone.
            .prefilter(false)
            .build(strings)
            .map_err(|e| e.to_string())?;
        let start = dfa.start_state(Anchored::No).map_err(|e| e.to_string())?;
        Ok(Finder { dfa, start })
    }

    /// Calls `found` with the index of every factor `value` holds, once for
    /// each place it ends at. Under standard match semantics a match state
    /// lists every factor ending there, the shorter ones inside it too.
    #[inline]
    fn each_factor(&self, value: &[u8], mut found: impl FnMut(usize)) {
        let mut sid = self.start;
        for &b in value {
            sid = self.dfa.next_state(Anchored::No, sid, b);
            if self.dfa.is_special(sid) && self.dfa.is_match(sid) {
                for i in 0..self.dfa.match_len(sid) {
                    found(self.dfa.match_pattern(sid, i).as_usize());
                }
            }
        }
    }
}

/// Marks branch `i` in `by_symbol` under each symbol of `needs`, or in
/// `needless` when it needs none.
fn needing(needs: Option<Symbols>, i: usize, by_symbol: &mut [Bits], needless: &mut Bits) {
    match needs {
        Some(needs) => {
            for (bit, branches) in by_symbol.iter_mut().enumerate() {
                if needs.bits() & (1 << bit) != 0 {
                    set_bit(branches, i);
                }
            }
        }
        None => set_bit(needless, i),
    }
}

/// The set bits of `bits` below `len`, in order.
fn ones(bits: Bits, len: usize) -> impl Iterator<Item = usize> {
    (0..len.div_ceil(64)).flat_map(move |w| {
        let mut word = bits[w];
        std::iter::from_fn(move || {
            let bit = (word != 0).then(|| word.trailing_zeros() as usize)?;
            word &= word - 1;
            Some(w * 64 + bit)
        })
    })
}

/// True when `value` holds a character that a case-insensitive pattern reads as
/// an ASCII letter (U+017F, U+212A): then factors found by ASCII case say
/// nothing about it.
fn folds_to_ascii(value: &str) -> bool {
    let bytes = value.as_bytes();
    memchr::memchr2_iter(0xC5, 0xE2, bytes).any(|i| {
        bytes[i..].starts_with(&[0xC5, 0xBF]) || bytes[i..].starts_with(&[0xE2, 0x84, 0xAA])
    })
}

/// Most strings in a set of exact strings, and the longest, while concatenations
/// multiply them.
const MAX_EXACT: usize = 16;
const MAX_LEN: usize = 32;
/// Most strings in a pattern's factor set (an alternation of keywords).
const MAX_FACTORS: usize = 512;
/// Most characters in a class read as a choice of literals.
const MAX_CLASS: usize = 4;

/// The factors of `pattern` parsed case-insensitive, lowercase; `None` when
/// there are none to rely on.
pub(super) fn factors(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .ok()?;
    let set = best(&info(&hir)).filter(|set| rarity(set) >= MIN_RARITY)?;
    set.into_iter().map(|s| String::from_utf8(s).ok()).collect()
}

type Set = Vec<Vec<u8>>;

/// What a piece of a pattern tells: every string it matches, when there are few
/// (`exact`), and strings one of which each of its matches holds (`factors`).
#[derive(Clone, Default)]
struct Info {
    exact: Option<Set>,
    factors: Option<Set>,
}

fn info(hir: &Hir) -> Info {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Info {
            exact: Some(vec![Vec::new()]),
            factors: None,
        },
        HirKind::Literal(lit) => Info {
            exact: lit.0.is_ascii().then(|| vec![lit.0.to_ascii_lowercase()]),
            factors: None,
        },
        HirKind::Class(class) => Info {
            exact: class_choices(class),
            factors: None,
        },
        HirKind::Capture(cap) => info(&cap.sub),
        HirKind::Repetition(rep) if rep.min == 0 => Info::default(),
        HirKind::Repetition(rep) => {
            let sub = info(&rep.sub);
            // `x{2,}` holds `xx`; `x{3}` is `xxx`.
            let repeated = sub.exact.as_ref().and_then(|one| {
                (0..rep.min.min(4)).try_fold(vec![Vec::new()], |all, _| product(&all, one))
            });
            Info {
                exact: repeated
                    .clone()
                    .filter(|_| rep.max == Some(rep.min) && rep.min <= 4),
                factors: pick(repeated.and_then(useful), best(&sub)),
            }
        }
        HirKind::Concat(parts) => {
            let parts: Vec<Info> = parts.iter().map(info).collect();
            let exact = parts
                .iter()
                .try_fold(vec![Vec::new()], |all, p| product(&all, p.exact.as_ref()?));
            // Runs of adjacent exact parts make longer factors; any part's own
            // factors will do too.
            let mut found = None;
            let mut run = vec![Vec::new()];
            for part in &parts {
                match &part.exact {
                    Some(e) => match product(&run, e) {
                        Some(longer) => run = longer,
                        None => found = pick(found, useful(std::mem::replace(&mut run, e.clone()))),
                    },
                    None => {
                        found = pick(found, useful(std::mem::replace(&mut run, vec![Vec::new()])));
                        found = pick(found, part.factors.clone());
                    }
                }
            }
            Info {
                exact,
                factors: pick(found, useful(run)),
            }
        }
        HirKind::Alternation(branches) => {
            let branches: Vec<Info> = branches.iter().map(info).collect();
            let union = |each: &dyn Fn(&Info) -> Option<Set>, max: usize| {
                branches
                    .iter()
                    .try_fold(Vec::new(), |mut all: Set, b| {
                        all.extend(each(b)?);
                        Some(all)
                    })
                    .map(dedup)
                    .filter(|all| all.len() <= max)
            };
            Info {
                exact: union(&|b| b.exact.clone(), MAX_EXACT),
                // A match is one of the branches: it holds a factor of that one.
                factors: union(&best, MAX_FACTORS),
            }
        }
    }
}

/// The characters of a class, lowercased, when they are a few ASCII ones (or
/// the two non-ASCII characters that fold to ASCII letters).
fn class_choices(class: &Class) -> Option<Set> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut chars: Vec<u8> = Vec::new();
    for (start, end) in ranges {
        if end - start >= 2 * MAX_CLASS as u32 {
            return None;
        }
        for c in start..=end {
            let b = match c {
                0x17F => b's',
                0x212A => b'k',
                c if c < 0x80 => (c as u8).to_ascii_lowercase(),
                _ => return None,
            };
            if !chars.contains(&b) {
                chars.push(b);
            }
        }
    }
    (chars.len() <= MAX_CLASS).then(|| chars.into_iter().map(|b| vec![b]).collect())
}

/// Every string of `a` followed by one of `b`, while there are few short ones.
fn product(a: &Set, b: &Set) -> Option<Set> {
    if a.len() * b.len() > MAX_EXACT {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            if x.len() + y.len() > MAX_LEN {
                return None;
            }
            out.push([x.as_slice(), y.as_slice()].concat());
        }
    }
    Some(dedup(out))
}

fn dedup(mut set: Set) -> Set {
    set.sort();
    set.dedup();
    set
}

/// The set, unless it holds the empty string (which every value holds).
fn useful(set: Set) -> Option<Set> {
    (!set.is_empty() && set.iter().all(|s| !s.is_empty())).then_some(set)
}

/// The better of a piece's exact strings and its factors.
fn best(i: &Info) -> Option<Set> {
    pick(i.exact.clone().and_then(useful), i.factors.clone())
}

/// The better of two factor sets: the one whose commonest string is rarer in
/// ordinary text, then the smaller.
fn pick(a: Option<Set>, b: Option<Set>) -> Option<Set> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let (ra, rb) = (rarity(&a), rarity(&b));
            Some(match rb > ra || (rb == ra && b.len() < a.len()) {
                true => b,
                false => a,
            })
        }
        (a, b) => a.or(b),
    }
}

/// The rarity (tenths of a bit) below which factors are too common to look
/// for: a value of a hundred bytes would hold one more often than one time in
/// five, and the pattern's punctuation says as much.
const MIN_RARITY: u32 = 90;

/// How rarely ordinary text holds a string of the set, in tenths of a bit: the
/// commonest string's sum of byte weights.
fn rarity(set: &Set) -> u32 {
    set.iter()
        .map(|s| s.iter().map(|&b| byte_rarity(b)).sum())
        .min()
        .unwrap_or(0)
}

/// -log2 of a byte's frequency, in tenths of a bit, as measured over the benign
/// corpora of `tests/corpus` (prose, search strings, names, URLs, JSON,
/// markdown, code), lowercased.
fn byte_rarity(b: u8) -> u32 {
    match b {
        b' ' => 34,
        b'e' => 35,
        b't' => 41,
        b'a' | b'o' | b'r' => 42,
        b'i' | b's' => 43,
        b'n' => 44,
        b'd' => 48,
        b'"' => 49,
        b'l' | b'c' => 51,
        b'u' => 54,
        b'p' => 55,
        b'm' | b'h' => 57,
        b'g' | b':' | b'f' => 61,
        b'/' | b'b' | b'.' => 63,
        b',' | b'\n' | b'v' => 66,
        b'y' => 68,
        b'w' | b'-' => 70,
        b'k' | b'_' => 73,
        b'{' | b'}' => 74,
        b'0'..=b'9' => 80,
        b'x' => 78,
        b')' | b'(' | b'`' | b'\\' | b'>' | b'<' => 85,
        b'z' | b'j' | b'\'' | b'q' => 90,
        b'=' => 95,
        b';' | b']' | b'[' => 98,
        b'*' | b'#' => 104,
        b'&' => 110,
        b'!' | b'?' => 118,
        b'@' | b'+' => 122,
        b'|' | b'%' => 126,
        b'$' => 132,
        _ => 140,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_factor_is_the_rarest_literal_every_match_holds() {
        assert_eq!(factors(r"\bunion\s+select\b"), strings(&["select"]));
        assert_eq!(factors(r"(?:foo|bar)\d+"), strings(&["bar", "foo"]));
        // `x{2,}` holds `xx`.
        assert_eq!(factors(r"\.{2,}[\\/]"), strings(&[".."]));
        assert_eq!(factors(r"sleep\s*\("), strings(&["sleep"]));
        assert_eq!(factors(r"<\?php"), strings(&["<?php"]));
        // Each branch gives its own best.
        assert_eq!(factors(r"\bor\s+1=1|<script"), strings(&["1=1", "<script"]));
    }

    #[test]
    fn a_pattern_that_may_match_without_any_literal_has_no_factors() {
        assert_eq!(factors(r"a?b*"), None);
        assert_eq!(factors(r"[a-z]+\d"), None);
        assert_eq!(factors(r"select|\w+"), None);
        assert_eq!(factors(r"select|\w+@"), strings(&["@", "select"]));
        assert_eq!(factors(r"^$"), None);
    }

    #[test]
    fn an_alternation_splits_into_its_top_level_branches() {
        assert_eq!(split(r"a|b(?:c|d)|\|e"), vec!["a", "b(?:c|d)", r"\|e"]);
        assert_eq!(split(r"(?:a|b)c"), Vec::<&str>::new());
        assert_eq!(split(r"abc"), Vec::<&str>::new());
        // Flags set in one branch reach into the branches after it.
        assert_eq!(split(r"a|(?-i)b|c"), Vec::<&str>::new());
        let p = Pattern::compile(r"\bor\s+true\b|1=1", None).unwrap_or_else(|e| panic!("{e}"));
        let factors: Vec<_> = p.branches.iter().map(|b| b.factors.clone()).collect();
        assert_eq!(factors, vec![strings(&["true"]), strings(&["1=1"])]);
    }

    fn set(patterns: &[&str]) -> PatternSet {
        let compiled: Vec<Pattern> = patterns
            .iter()
            .map(|p| Pattern::compile(p, None).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        PatternSet::new(&compiled).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_branch_runs_only_on_a_value_holding_each_kind_of_punctuation_it_needs() {
        let s = set(&[
            r"[\r\n][\w-]+[ \t]*:",
            r"\bunion\b",
            r"<script",
            r#"['"][a-z_]{1,12}['"](?:\s*\.\s*['"][a-z_]{1,12}['"])+\s*\("#,
        ]);
        let runs = |v: &str| {
            s.runs(v, Symbols::of(v))
                .map(|(p, _)| p)
                .collect::<Vec<_>>()
        };
        assert_eq!(runs("gift note 1: lorem"), Vec::<usize>::new());
        assert_eq!(runs("line one\nline two"), Vec::<usize>::new());
        assert_eq!(runs("x\r\nSet-Cookie: a=1"), vec![0]);
        assert_eq!(runs("a <script> union"), vec![1, 2]);
        // Three kinds: a quote, a dot and a parenthesis. A browser's
        // User-Agent holds the last two.
        assert_eq!(
            runs("Mozilla/5.0 (X11; Linux x86_64; rv:120.0)"),
            Vec::<usize>::new()
        );
        assert_eq!(runs("'sys'.'tem'('id')"), vec![3]);
    }

    #[test]
    fn a_set_finds_the_patterns_a_regex_set_would() {
        let patterns = [
            r"\bunion\s+select\b",
            r"<script",
            r"[a-z]+\d{3}",
            r"\bsleep\s*\(",
            r"\bskip\b",
            // Branches with factors and punctuation of their own.
            r"\bdrop\s+table\b|\d+\s*=\s*\d+|[;|]\s*id\b",
            // Factors ending where a longer one ends (`lect` in `select`).
            r"lect\d",
            r"\bselect\d",
        ];
        let ours = set(&patterns);
        let theirs = regex::RegexSetBuilder::new(patterns)
            .case_insensitive(true)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        for value in [
            "1 UNION SELECT 2",
            "<ScRiPt>",
            "abc123",
            "SLEEP (5)",
            "plain words",
            "",
            // Long s and the Kelvin sign fold to `s` and `k`.
            "1 union \u{17F}elect 2",
            "\u{17F}leep(1) \u{212A}ip",
            "\u{212A}ip \u{17F}kip",
            "1 = 1",
            "x; ID",
            "Drop  Table t",
            "drop table; 2=2",
            "the id; 1 = table",
            "SELECT2",
            "xselect2",
            "select lect9",
        ] {
            let want: Vec<usize> = theirs.matches(value).iter().collect();
            let got: Vec<usize> = ours.matches(value, Symbols::of(value)).collect();
            assert_eq!(got, want, "{value:?}");
            let symbols = Symbols::of(value);
            assert_eq!(ours.is_match(value, symbols), !want.is_empty(), "{value:?}");
        }
        let value = "1 union \u{17F}elect 2";
        assert!(ours.is_match(value, Symbols::of(value)));
    }
}

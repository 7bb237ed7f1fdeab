//! The compiled WAF: built once from configuration, then used read-only by every request.
//!
//! Each field is transformed at most once per chain (`chains`), scanned by the
//! regex sets that can match it (`sets`) and by the detectors. Scores add up once
//! per rule (CRS anomaly scoring); a route's policy sets mode, paranoia, threshold
//! and exclusions.
use std::borrow::Cow;

use super::chains::{Chains, FieldCache, Slots};
use super::config::{InvalidBody, Mode, Oversize, RouteWafConfig, RuleSelector, WafConfig};
use super::custom::CustomRule;
use super::fields::{Field, FieldKind, Limits, extract};
use super::recent::Recent;
use super::request::RequestView;
use super::rules::{
    Category, Check, Severity, builtin, parameter_value, plain_sql_name, stray_percents,
};
use super::seen::Seen;
use super::sets::{RegexRule, Sets};
use super::sqli::joined_words;
use super::symbols::Symbols;
use super::transform::{Effect, Triggers, base64_decode, url_decode_repeated};
use super::{RuleMatch, Verdict, WafError};

/// Matches kept per request (the score still counts every rule).
const MAX_MATCHES: usize = 64;

/// The bytes of a plain token: letters, digits and `-_:@+` (see `inspect_field`).
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'@' | b'+');
        c += 1;
    }
    t
};

/// All bytes `PLAIN`, with no `__`, `--` or `@@` (a SQL server variable,
/// `@@version`): one pass, the pair test only at the bytes that can start one.
/// A script URL (`javascript:x`, 941181) is no plain token either.
/// `Some(true)` when the plain value holds a `+`.
fn plain(value: &[u8]) -> Option<bool> {
    let (mut prev, mut plus, mut colon) = (0u8, false, false);
    for &c in value {
        if !PLAIN[usize::from(c)] || (c == prev && matches!(c, b'_' | b'-' | b'@')) {
            return None;
        }
        plus |= c == b'+';
        colon |= c == b':';
        prev = c;
    }
    if colon && script_scheme(value) {
        return None;
    }
    Some(plus)
}

/// A value that starts with a scheme that runs script (`javascript:`, `vbscript:`,
/// `livescript:`), in any case.
fn script_scheme(value: &[u8]) -> bool {
    [&b"javascript:"[..], b"vbscript:", b"livescript:"]
        .iter()
        .any(|s| {
            value
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
        })
}

/// A value that writes its spaces as `+` (`;+cat+/etc/passwd`, `<svg+onload=..>`,
/// `%2B&&%2Bls`), URL-decoded, with its `+` as spaces: a form encoding decoded
/// once too few times, as payloads copied from query strings are sent. Only a
/// value of at most 2 KiB with a `+` between two characters that are neither a
/// space nor a `+` (`C++` has none); its own reading is inspected first. `v` is
/// the value URL-decoded.
fn plus_as_space(v: &str) -> Option<String> {
    let glued = v
        .as_bytes()
        .windows(3)
        .any(|w| w[1] == b'+' && !matches!(w[0], b' ' | b'+') && !matches!(w[2], b' ' | b'+'));
    glued.then(|| v.replace('+', " "))
}

/// The symbols `plus_as_space` needs.
const PLUS_OR_PERCENT: Symbols = Symbols::of_bytes(b"+%");
/// What a value that is itself a parameter holds (`parameter_value`).
const EQUALS: Symbols = Symbols::of_bytes(b"=");
/// The symbol `percent_stripped` needs.
const PERCENT: Symbols = Symbols::of_bytes(b"%");

/// A value peppered with `%` signs that no escape decoded (`%S%E%L%E%C%T %1%=%1`,
/// sqlmap's `percentage` tamper), URL-decoded and without them: what an ASP
/// server, which drops such signs, hands on, read by every rule. Only a value
/// with four such signs or more. `v` is the value URL-decoded.
fn percent_stripped(v: &str) -> Option<String> {
    (stray_percents(v) >= 4).then(|| v.replace('%', ""))
}

/// The largest value the extra readings rewrite.
const MAX_REWRITTEN: usize = 8192;
/// The largest value `plus_as_space` rewrites.
const MAX_PLUS_AS_SPACE: usize = 2048;

/// Whether the extra readings (`plus_as_space`, joined words, `percent_stripped`)
/// may rewrite `field`.
fn rewritable(field: &Field<'_>) -> bool {
    matches!(
        field.kind,
        FieldKind::ArgValue | FieldKind::Cookie | FieldKind::BodyValue
    ) && field.value.len() <= MAX_REWRITTEN
}

/// The symbols one of which a value whose words are joined holds: a comment's
/// `*`, `<>`'s `<`, a seam's `"`, an invisible character's non-ASCII bytes, or an
/// escape of any of them.
const SPLIT_MARKS: Symbols = Symbols::of_bytes(b"*<\"%").with(Symbols::NON_ASCII);

/// Request body larger than the inspection size under `oversize: block`.
pub const RULE_BODY_TOO_LARGE: u32 = 920400;
/// More fields than `max_fields`.
pub const RULE_TOO_MANY_FIELDS: u32 = 920380;
/// A complete JSON body that does not parse (ModSecurity's `REQBODY_ERROR` rule).
pub const RULE_INVALID_BODY: u32 = 200002;

#[derive(Debug, Clone, Copy)]
struct Meta {
    id: u32,
    category: Category,
    paranoia: u8,
    score: u32,
    targets: u16,
    msg: &'static str,
}

struct DetectorRule {
    rule: usize,
    /// The rule's field kinds and paranoia level, as in `meta` (read here
    /// without a second load for every detector of every field).
    targets: u16,
    paranoia: u8,
    pipeline: usize,
    f: fn(&str) -> bool,
    /// Characters every value the detector reports holds one of, tested on the
    /// value under chain `gate` (see `Chains::gate`).
    prefilter: Option<(Symbols, usize)>,
}

/// The compiled WAF.
pub struct Engine {
    mode: Mode,
    paranoia: u8,
    threshold: u32,
    inspect_body: usize,
    oversize: Oversize,
    invalid_body: InvalidBody,
    decode_base64: bool,
    pub(super) limits: Limits,
    chains: Chains,
    meta: Vec<Meta>,
    pub(super) sets: Sets,
    detectors: Vec<DetectorRule>,
    /// The symbols that can make the detectors' gate chains change a value beyond
    /// ASCII case (`None`: one of them may change any value).
    detector_gates: Option<Triggers>,
    custom: Vec<CustomRule>,
    /// Method, path and header values earlier requests sent, and what fired on
    /// them.
    pub(super) seen: Seen,
}

/// A route's compiled WAF policy.
#[derive(Debug, Clone)]
pub struct RoutePolicy {
    /// Mode for the route.
    pub mode: Mode,
    /// Paranoia level for the route.
    pub paranoia: u8,
    /// Threshold for the route.
    pub threshold: u32,
    /// What a JSON body that does not parse gets on this route.
    pub invalid_body: InvalidBody,
    exclusions: Vec<(RuleSelector, Option<String>)>,
}

impl RoutePolicy {
    fn excluded(&self, id: u32, field: &Field<'_>) -> bool {
        self.exclusions
            .iter()
            .any(|(sel, f)| sel.covers(id) && f.as_deref().is_none_or(|f| field.name_matches(f)))
    }

    fn excluded_everywhere(&self, id: u32) -> bool {
        self.exclusions
            .iter()
            .any(|(sel, f)| f.is_none() && sel.covers(id))
    }
}

/// ASCII word boundaries, word characters and digits in a built-in pattern.
///
/// Unicode `\b` stops the lazy DFA on non-ASCII input, and every Unicode `\w` or
/// `\d` is hundreds of NFA states: with the whole rule table in one set, they
/// pushed its lazy DFA past its memory limit, and every scan fell back to the
/// PikeVM, ten times slower. The attacks these rules read are written in ASCII
/// (SQL, shells and template engines take ASCII names and digits), so nothing is
/// lost. `\s` stays Unicode: JavaScript reads U+00A0 and U+2028 as spaces.
///
/// An ASCII `\b` also sits between a non-ASCII letter and an ASCII one, inside
/// a word: `\belt\s*\(` matched "Haßelt (1599)" and `\bor\b` "Señor". See
/// [`latin_word_starts`].
fn ascii_classes(p: &str) -> String {
    translate(p, false).0
}

/// [`ascii_classes`], but where a match starts (the pattern's start, a top-level
/// branch, a group opened there) `\b` is written as the start or a character that
/// is no word character and no Latin letter: what it meant for `is_match`,
/// without splitting "Señor". The pattern set confirms a match of the ASCII form
/// on a non-ASCII value with this one (`PatternSet::confirmed`): as the form to
/// search with, its class before the word would hide the literal prefix the
/// regex crate's prefilter finds. `None` when it is the ASCII form.
fn latin_word_starts(p: &str) -> Option<String> {
    let (strict, wrote_word_start) = translate(p, true);
    wrote_word_start.then_some(strict)
}

/// The pattern with ASCII classes, and with `WORD_START` for a `\b` where a match
/// starts when `word_start` is set; also whether any was written.
fn translate(p: &str, word_start: bool) -> (String, bool) {
    let mut out = String::with_capacity(p.len() + 32);
    let mut wrote_word_start = false;
    // Depth of nested brackets: inside one, `\w` is written as a class item.
    let mut depth = 0usize;
    // Whether a match may start here, and the same for each open group.
    let (mut start, mut groups) = (true, Vec::new());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        let at_start = std::mem::replace(&mut start, false);
        match c {
            '(' if depth == 0 => {
                out.push('(');
                let rest = chars.as_str();
                // `(?flags)` sets flags and matches nothing; `(?:`, `(?i:`,
                // `(?P<name>` open a group whose start is where it opens.
                let header = if rest.starts_with('?') {
                    rest.find([':', ')', '>']).map_or(0, |i| i + 1)
                } else {
                    0
                };
                out.push_str(&rest[..header]);
                chars = rest[header..].chars();
                if !rest[..header].ends_with(')') {
                    groups.push(at_start);
                }
                start = at_start;
            }
            ')' if depth == 0 => {
                groups.pop();
                out.push(')');
            }
            '|' if depth == 0 => {
                start = groups.last().copied().unwrap_or(true);
                out.push('|');
            }
            '^' if depth == 0 => {
                start = at_start;
                out.push('^');
            }
            '\\' => match (chars.next(), depth) {
                (Some('b'), 0) if at_start && word_start => {
                    out.push_str(WORD_START);
                    wrote_word_start = true;
                }
                (Some('b'), 0) => out.push_str("(?-u:\\b)"),
                (Some('w'), 0) => out.push_str("[[:word:]]"),
                (Some('W'), 0) => out.push_str("[^[:word:]]"),
                (Some('d'), 0) => out.push_str("[0-9]"),
                (Some('D'), 0) => out.push_str("[^0-9]"),
                (Some('w'), _) => out.push_str("[:word:]"),
                (Some('d'), _) => out.push_str("0-9"),
                (Some(n), _) => {
                    out.push('\\');
                    out.push(n);
                }
                (None, _) => out.push('\\'),
            },
            '[' => {
                out.push('[');
                let rest = chars.as_str();
                if depth > 0 && rest.starts_with(':') {
                    // A POSIX class such as `[:alpha:]`, copied whole.
                    let len = rest.find(":]").map_or(0, |i| i + 2);
                    out.push_str(&rest[..len]);
                    chars = rest[len..].chars();
                    continue;
                }
                depth += 1;
                // A `]` first in a class (after any `^`) is a literal.
                let skip = usize::from(rest.starts_with('^'));
                if rest[skip..].starts_with(']') {
                    out.push_str(&rest[..skip + 1]);
                    chars = rest[skip + 1..].chars();
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    (out, wrote_word_start)
}

/// `\b` where a match starts, before a word: the start of the value or a
/// character that is neither an ASCII word character nor a letter of the Latin
/// scripts (Latin-1, Latin Extended A and B, combining accents, Vietnamese), the
/// letters that share words with ASCII ones. Spaces of any script, symbols and
/// U+FFFD still come before a word, as they did.
const WORD_START: &str =
    r"(?:^|[^0-9A-Za-z_\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{24F}\x{300}-\x{36F}\x{1E00}-\x{1EFF}])";

impl Engine {
    /// Compiles the configuration: every regex set, detector table and custom rule.
    pub fn compile(cfg: &WafConfig) -> Result<Engine, WafError> {
        cfg.validate().map_err(WafError::Invalid)?;
        let mut chains = Chains::default();
        let mut meta = Vec::new();
        let mut regex_rules = Vec::new();
        let mut detectors = Vec::new();
        for def in builtin() {
            let idx = meta.len();
            meta.push(Meta {
                id: def.id,
                category: def.category,
                paranoia: def.paranoia,
                score: def.severity.score(),
                targets: def.targets,
                msg: def.msg,
            });
            let p = chains.index(def.pipeline);
            match def.check {
                Check::Regex(src) => regex_rules.push(RegexRule {
                    index: idx,
                    pattern: ascii_classes(src),
                    latin_word_starts: latin_word_starts(src),
                    pipeline: p,
                    paranoia: def.paranoia,
                    targets: def.targets,
                }),
                Check::Detector(f, needs) => {
                    // Letters and digits have no symbol: a set of them would skip everything.
                    if needs
                        .iter()
                        .any(|&b| Symbols::of_byte(b) == Symbols::default())
                    {
                        return Err(WafError::Builtin(format!(
                            "rule {}: a detector prefilter holds a letter or digit",
                            def.id
                        )));
                    }
                    detectors.push(DetectorRule {
                        rule: idx,
                        targets: def.targets,
                        paranoia: def.paranoia,
                        pipeline: p,
                        f,
                        prefilter: (!needs.is_empty())
                            .then(|| chains.gate(p, Symbols::of_bytes(needs))),
                    });
                }
            }
        }
        // Detectors with lazily built automata build them now, not on a request.
        for d in &detectors {
            let _ = (d.f)("");
        }
        let detector_gates = detectors
            .iter()
            .filter_map(|d| d.prefilter)
            .try_fold(Triggers::default(), |all, (_, gate)| {
                Some(all.then(chains.triggers(gate)?))
            });
        let sets = Sets::build(regex_rules, &mut chains, cfg.paranoia)?;
        let mut custom = Vec::new();
        let mut headers: Vec<String> = cfg.headers.iter().map(|h| h.to_ascii_lowercase()).collect();
        for c in &cfg.custom_rules {
            if meta.iter().any(|m| m.id == c.id) {
                return Err(WafError::Invalid(format!(
                    "custom rule id {} collides with a built-in rule",
                    c.id
                )));
            }
            let p = chains.index(&c.transformations);
            let rule = CustomRule::compile(c, p)?;
            headers.extend(rule.header_names());
            custom.push(rule);
        }
        headers.sort();
        headers.dedup();
        Ok(Engine {
            mode: cfg.mode,
            paranoia: cfg.paranoia,
            threshold: cfg.threshold,
            inspect_body: cfg.inspect_body.0,
            oversize: cfg.oversize,
            invalid_body: cfg.invalid_body,
            decode_base64: cfg.decode_base64,
            limits: Limits {
                max_json_depth: cfg.max_json_depth,
                max_fields: cfg.max_fields,
                headers,
            },
            chains,
            meta,
            sets,
            detectors,
            detector_gates,
            custom,
            seen: Seen::new(cfg.seen_values),
        })
    }

    /// How many body bytes the proxy should buffer for inspection: reading one byte
    /// more than this tells the engine the body is oversized.
    pub fn inspect_body_limit(&self) -> usize {
        self.inspect_body
    }

    /// The description of a built-in rule, for logs (`None` for custom or unknown ids).
    pub fn rule_message(&self, id: u32) -> Option<&'static str> {
        self.meta.iter().find(|m| m.id == id).map(|m| m.msg)
    }

    /// The policy for a route without a `waf:` block.
    pub fn default_policy(&self) -> RoutePolicy {
        RoutePolicy {
            mode: self.mode,
            paranoia: self.paranoia,
            threshold: self.threshold,
            invalid_body: self.invalid_body,
            exclusions: Vec::new(),
        }
    }

    /// Compiles a route's overrides and exclusions.
    pub fn route_policy(&self, route: &RouteWafConfig) -> Result<RoutePolicy, WafError> {
        route.validate().map_err(WafError::Invalid)?;
        for ex in &route.exclude {
            let known = self.meta.iter().any(|m| ex.rule.covers(m.id))
                || self.custom.iter().any(|c| ex.rule.covers(c.id))
                || ex.rule.covers(RULE_BODY_TOO_LARGE)
                || ex.rule.covers(RULE_TOO_MANY_FIELDS)
                || ex.rule.covers(RULE_INVALID_BODY);
            if !known {
                return Err(WafError::Invalid(format!(
                    "exclusion names rule {}, which does not exist",
                    ex.rule
                )));
            }
        }
        Ok(RoutePolicy {
            mode: route.mode.unwrap_or(self.mode),
            paranoia: route.paranoia.unwrap_or(self.paranoia),
            threshold: route.threshold.unwrap_or(self.threshold),
            invalid_body: route.invalid_body.unwrap_or(self.invalid_body),
            exclusions: route
                .exclude
                .iter()
                .map(|e| (e.rule, e.field.clone()))
                .collect(),
        })
    }

    /// Inspects a request under a route policy.
    pub fn inspect(&self, view: &RequestView<'_>, policy: &RoutePolicy) -> Verdict {
        let mut acc = Acc {
            matches: Vec::new(),
            fired: Vec::new(),
            score: 0,
            force_block: false,
        };
        if policy.mode == Mode::Off {
            return Verdict {
                score: 0,
                blocked: false,
                mode: Mode::Off,
                matches: Vec::new(),
                invalid_body: false,
            };
        }
        let (body, oversize) = match view.body {
            Some(b) if b.len() > self.inspect_body => (Some(&b[..self.inspect_body]), true),
            Some(b) => (Some(b), view.body_truncated),
            None => (None, view.body_truncated),
        };
        let protocol_field = |name: &'static str| Field {
            kind: FieldKind::BodyValue,
            prefix: name,
            key: Cow::Borrowed(""),
            value: Cow::Borrowed(""),
        };
        if oversize && self.oversize == Oversize::Block {
            let f = protocol_field("body");
            if !policy.excluded(RULE_BODY_TOO_LARGE, &f) {
                acc.record(
                    RULE_BODY_TOO_LARGE,
                    Category::Protocol,
                    Severity::Critical.score(),
                    &f,
                );
                acc.force_block = true;
            }
        }
        let names = bumpalo::Bump::new();
        let fields = extract(view, body, &self.limits, &names);
        if fields.overflow {
            let f = protocol_field("args");
            if !policy.excluded(RULE_TOO_MANY_FIELDS, &f) {
                acc.record(
                    RULE_TOO_MANY_FIELDS,
                    Category::Protocol,
                    Severity::Critical.score(),
                    &f,
                );
            }
        }
        // Only a whole body can be known not to parse (a cut one never does), and
        // an empty one hides nothing.
        let mut invalid = false;
        if fields.malformed_body
            && !oversize
            && policy.invalid_body == InvalidBody::Reject
            && body.is_some_and(|b| b.iter().any(|c| !c.is_ascii_whitespace()))
        {
            let f = protocol_field("body");
            if !policy.excluded(RULE_INVALID_BODY, &f) {
                acc.record(RULE_INVALID_BODY, Category::Protocol, 0, &f);
                invalid = true;
            }
        }
        let mut recent = Recent::default();
        let mut slots = self.chains.slots();
        for field in &fields.list {
            let symbols =
                self.inspect_field(field, Some(&mut recent), &mut slots, policy, &mut acc);
            if rewritable(field) {
                // URL-decoded once for every reading below that needs it.
                let decoded = std::cell::OnceCell::new();
                let decoded = || decoded.get_or_init(|| url_decode_repeated(&field.value));
                if symbols.has_any(PLUS_OR_PERCENT)
                    && field.value.len() <= MAX_PLUS_AS_SPACE
                    && let Some(spaced) = plus_as_space(decoded())
                {
                    self.inspect_reading(field, spaced, policy, &mut acc);
                }
                // Comments, `<>`, JSON array seams or invisible characters that
                // split a SQL word (`1]-(SEL/**/ECT 0 WH/**/ERE 1=1;CA/**/LL …`,
                // `un<>ion sel<>ect`), joined: what a filter that strips such marks
                // hands on, read by every rule and not by 942100's grammar alone.
                if symbols.has_any(SPLIT_MARKS)
                    && let Some(joined) = joined_words(decoded())
                {
                    self.inspect_reading(field, joined, policy, &mut acc);
                }
                if symbols.has_any(PERCENT)
                    && let Some(stripped) = percent_stripped(decoded())
                {
                    self.inspect_reading(field, stripped, policy, &mut acc);
                }
                // A value that is itself a parameter (`pay=;drop`, a form or URL
                // carried in one field): its inner value, read by every rule as
                // the application reading it would, so that a rule looking at a
                // whole value or at its start sees it.
                if symbols.has_any(EQUALS)
                    && let Some(inner) = parameter_value(field.value.as_bytes())
                {
                    let inner = &field.value[field.value.len() - inner.len()..];
                    self.inspect_reading(field, inner.to_owned(), policy, &mut acc);
                }
            }
            if self.decode_base64
                && let Cow::Owned(decoded) = base64_decode(&field.value)
            {
                self.inspect_reading(field, decoded, policy, &mut acc);
            }
        }
        for rule in self
            .custom
            .iter()
            .filter(|r| r.selects_client_ip() && r.paranoia <= policy.paranoia)
        {
            let f = Field {
                kind: FieldKind::ClientIp,
                prefix: "remote_addr",
                key: Cow::Borrowed(""),
                value: Cow::Borrowed(""),
            };
            if rule.test_ip(view.client_ip) && !policy.excluded(rule.id, &f) {
                acc.record(rule.id, Category::Custom, rule.score, &f);
                acc.force_block |= rule.block;
            }
        }
        let attack = acc.score >= policy.threshold || acc.force_block;
        let blocked = policy.mode == Mode::Block && (attack || invalid);
        Verdict {
            score: acc.score,
            blocked,
            mode: policy.mode,
            matches: acc.matches,
            // An attack found in the lenient scan is still answered as one.
            invalid_body: blocked && !attack,
        }
    }

    /// Inspects one field; `recent` remembers what fired on the field's value (and
    /// answers for a value seen before) when the value lives as long as it does.
    /// Returns the symbols of the value when it is read for the first time here
    /// (computed for the rules anyway; only its `+` for a plain token, nothing for
    /// a value seen before), for the other readings.
    fn inspect_field<'v>(
        &self,
        field: &'v Field<'_>,
        recent: Option<&mut Recent<'v>>,
        slots: &mut Slots<'v>,
        policy: &RoutePolicy,
        acc: &mut Acc,
    ) -> Symbols {
        if field.value.is_empty() {
            return Symbols::default();
        }
        // A short token of letters, digits and `-_:@+` (ids, enum values, dates, JSON
        // keys) cannot carry any built-in attack; only custom rules look at it.
        // `__proto__` is not plain; dots are not (`win.ini`), nor are file names.
        // At paranoia 2, a SQL system name alone (`information_schema`,
        // `xp_cmdshell`) is a probe, read by 942143.
        let plain_plus = if !matches!(
            field.kind,
            FieldKind::Method | FieldKind::Header | FieldKind::FileName
        ) && field.value.len() < 64
            && !(policy.paranoia >= 2 && plain_sql_name(field.value.as_bytes()))
        {
            plain(field.value.as_bytes())
        } else {
            None
        };
        let plain = plain_plus.is_some();
        let plain_symbols = |plus: bool| {
            if plus {
                Symbols::of_bytes(b"+")
            } else {
                Symbols::default()
            }
        };
        if let Some(plus) = plain_plus
            && self.custom.is_empty()
        {
            return plain_symbols(plus);
        }
        let bit = field.kind.bit();
        let consider =
            |rule: usize, acc: &mut Acc| self.consider(self.meta[rule], field, policy, acc);
        // A method, path or header value an earlier request of this thread sent
        // (an endpoint's path, the client's User-Agent) fired what it fired then.
        let repeats = Seen::holds(field.kind) && recent.is_some();
        let answered = |acc: &mut Acc| {
            if let Some(rules) = recent.as_deref().and_then(|r| r.get(bit, &field.value)) {
                rules.iter().for_each(|&rule| consider(rule, acc));
                return true;
            }
            repeats
                && self.seen.with(bit, policy.paranoia, &field.value, |rules| {
                    rules.iter().for_each(|&rule| consider(rule, acc));
                })
        };
        if !plain && answered(acc) {
            if !self.custom.is_empty() {
                self.chains.with_cache(slots, &field.value, |cache| {
                    self.custom_rules(field, policy, acc, cache);
                });
            }
            return Symbols::default();
        }
        // Each chain is computed at most once for this field, and only if a rule needs it.
        self.chains.with_cache(slots, &field.value, |cache| {
            if !plain {
                match recent {
                    Some(recent) => {
                        let start = recent.start();
                        self.builtin_rules(bit, policy.paranoia, cache, |rule| recent.push(rule));
                        let fired = recent.finish(bit, &field.value, start);
                        if repeats {
                            self.seen
                                .remember(bit, policy.paranoia, &field.value, fired);
                        }
                        for &rule in fired {
                            consider(rule, acc);
                        }
                    }
                    None => self.builtin_rules(bit, policy.paranoia, cache, |rule| {
                        consider(rule, acc);
                    }),
                }
            }
            self.custom_rules(field, policy, acc, cache);
            plain_plus.map_or_else(|| cache.raw_symbols(), plain_symbols)
        })
    }

    /// Inspects another reading of `field`'s value (spaces for `+`, base64
    /// decoded) under the field's own name, with chains of its own.
    fn inspect_reading(
        &self,
        field: &Field<'_>,
        value: String,
        policy: &RoutePolicy,
        acc: &mut Acc,
    ) {
        let alt = Field {
            kind: field.kind,
            prefix: field.prefix,
            key: field.key.clone(),
            value: Cow::Owned(value),
        };
        self.inspect_field(&alt, None, &mut self.chains.slots(), policy, acc);
    }

    /// Calls `fired` with every built-in rule (its index in `meta`) that matches a
    /// value of field kind `bit`, up to `paranoia`.
    fn builtin_rules(
        &self,
        bit: u16,
        paranoia: u8,
        cache: &mut FieldCache<'_, '_>,
        mut fired: impl FnMut(usize),
    ) {
        self.sets.scan(bit, paranoia, cache, |rule| {
            let m = self.meta[rule];
            if m.targets & bit != 0 && m.paranoia <= paranoia {
                fired(rule);
            }
        });
        // As in `Sets::scan`: when no gate chain changes the value beyond ASCII
        // case, every gate sees the raw value's symbols.
        let raw = cache.raw_symbols();
        let gates_see_raw = self
            .detector_gates
            .is_some_and(|t| t.effect(raw) != Effect::Unknown);
        for d in &self.detectors {
            if d.targets & bit == 0 || d.paranoia > paranoia {
                continue;
            }
            if let Some((needs, gate)) = d.prefilter
                && !needs.intersects(if gates_see_raw {
                    raw
                } else {
                    cache.chars(gate)
                })
            {
                continue;
            }
            let value = cache.value(d.pipeline);
            if !value.is_empty() && (d.f)(value) {
                fired(d.rule);
            }
        }
    }

    fn custom_rules(
        &self,
        field: &Field<'_>,
        policy: &RoutePolicy,
        acc: &mut Acc,
        cache: &mut FieldCache<'_, '_>,
    ) {
        for rule in &self.custom {
            if rule.paranoia > policy.paranoia || rule.selects_client_ip() || !rule.selects(field) {
                continue;
            }
            let value = cache.value(rule.pipeline);
            if rule.test(value) && !policy.excluded(rule.id, field) {
                acc.record(rule.id, Category::Custom, rule.score, field);
                acc.force_block |= rule.block;
            }
        }
    }

    fn consider(&self, m: Meta, field: &Field<'_>, policy: &RoutePolicy, acc: &mut Acc) {
        if m.targets & field.kind.bit() == 0 || m.paranoia > policy.paranoia {
            return;
        }
        if policy.excluded_everywhere(m.id) || policy.excluded(m.id, field) {
            return;
        }
        acc.record(m.id, m.category, m.score, field);
    }
}

struct Acc {
    matches: Vec<RuleMatch>,
    fired: Vec<u32>,
    score: u32,
    force_block: bool,
}

impl Acc {
    fn record(&mut self, id: u32, category: Category, score: u32, field: &Field<'_>) {
        if !self.fired.contains(&id) {
            self.fired.push(id);
            self.score = self.score.saturating_add(score);
        }
        if self.matches.len() < MAX_MATCHES
            && !self.matches.iter().any(|m| {
                m.rule_id == id
                    && m.field.0.len()
                        == field.prefix.len() + field.key.len() + usize::from(!field.key.is_empty())
                    && field.name_matches(&m.field.0)
            })
        {
            self.matches.push(RuleMatch {
                rule_id: id,
                category,
                field: field.name(),
                score,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ascii_classes, latin_word_starts};

    #[test]
    fn word_characters_digits_and_boundaries_become_ascii_in_and_out_of_classes() {
        assert_eq!(ascii_classes(r"\bor\b"), r"(?-u:\b)or(?-u:\b)");
        assert_eq!(ascii_classes(r"\w+\d"), "[[:word:]]+[0-9]");
        assert_eq!(ascii_classes(r"\W\D"), "[^[:word:]][^0-9]");
        assert_eq!(ascii_classes(r"[\w.%]"), "[[:word:].%]");
        assert_eq!(ascii_classes(r"[^\d,]"), "[^0-9,]");
        assert_eq!(ascii_classes(r"[]\w]"), "[][:word:]]");
        assert_eq!(ascii_classes(r"[^]\w]\w"), "[^][:word:]][[:word:]]");
        assert_eq!(
            ascii_classes(r"[[:alpha:]\w]\w"),
            "[[:alpha:][:word:]][[:word:]]"
        );
        assert_eq!(ascii_classes(r"\[\w\]"), r"\[[[:word:]]\]");
        assert_eq!(ascii_classes(r"\s\.\\"), r"\s\.\\");
    }

    #[test]
    fn a_boundary_where_a_match_starts_needs_no_word_character_or_latin_letter_before() {
        let start = super::WORD_START;
        let strict = |p: &str| latin_word_starts(p).unwrap_or_else(|| ascii_classes(p));
        assert_eq!(strict(r"\bor\b"), format!(r"{start}or(?-u:\b)"));
        assert_eq!(strict(r"a|\bb"), format!("a|{start}b"));
        assert_eq!(strict(r"(?:\ba|x\bb)"), format!("(?:{start}a|x(?-u:\\b)b)"));
        assert_eq!(strict(r"(?i)^\ba"), format!("(?i)^{start}a"));
        assert_eq!(strict(r"x(?:\ba)|\bb"), format!("x(?:(?-u:\\b)a)|{start}b"));
        assert_eq!(latin_word_starts(r"[(]\ba"), None);
        assert_eq!(latin_word_starts(r"x\bor"), None);
        let elt = regex::Regex::new(&strict(r"\b(?:if|elt)\s*\(|\bor\b"))
            .unwrap_or_else(|e| panic!("{e}"));
        for v in [
            "elt(1",
            "x elt (2",
            "(or",
            "a-or 1",
            "if(",
            "\u{a0}or",
            "\u{fffd}if(",
        ] {
            assert!(elt.is_match(v), "{v}");
        }
        for v in [
            "und Ha\u{df}elt (1599)",
            "Se\u{f1}or",
            "gr\u{e4}if(",
            "xor",
            "_or",
        ] {
            assert!(!elt.is_match(v), "{v}");
        }
    }

    #[test]
    fn the_ascii_patterns_match_ascii_as_before_and_no_longer_non_ascii_letters() {
        let unicode = regex::Regex::new(r"^\w+\s\d+$").unwrap_or_else(|e| panic!("{e}"));
        let ascii =
            regex::Regex::new(&ascii_classes(r"^\w+\s\d+$")).unwrap_or_else(|e| panic!("{e}"));
        for v in ["union 1", "a_b 42", "x y", "1 z"] {
            assert_eq!(unicode.is_match(v), ascii.is_match(v), "{v}");
        }
        assert!(unicode.is_match("caf\u{e9} 1"));
        assert!(!ascii.is_match("caf\u{e9} 1"));
        assert!(ascii.is_match("cafe\u{a0}1"), "\\s stays Unicode");
    }
}

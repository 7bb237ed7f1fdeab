//! Transformations applied to a field before a rule looks at it.
//!
//! Each returns `Cow::Borrowed` when it changes nothing, so benign traffic (which
//! mostly has nothing to decode) costs no allocation. The engine computes each
//! distinct chain once per field and shares the result between rules.
use std::borrow::Cow;

use base64::Engine as _;
use serde::Deserialize;

use super::symbols::Symbols;

/// How many times URL decoding is repeated at most (double, triple encoding).
const MAX_URL_DECODE_ROUNDS: usize = 4;

/// One transformation, named as in the configuration (`url_decode`, `lowercase`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Percent decoding repeated until stable, with `%uXXXX`, overlong UTF-8 and full-width forms.
    UrlDecode,
    /// `&lt;`, `&#60;`, `&#x3c;` (semicolon optional) and the common named entities.
    HtmlEntityDecode,
    /// Lowercase.
    Lowercase,
    /// Runs of whitespace and control characters become one space.
    CompressWhitespace,
    /// Remove all whitespace and control characters.
    RemoveWhitespace,
    /// Remove `/* */`, `<!-- -->` and `--` line comments (MySQL `/*! */` keeps its content).
    RemoveComments,
    /// As `RemoveComments`, but each comment becomes a space, as SQL reads it
    /// (`WAITFOR/**/DELAY` is two words).
    ReplaceComments,
    /// Remove NUL bytes.
    RemoveNulls,
    /// `\` to `/`, collapse `//`, drop `/./`, resolve `dir/../` (leading `../` kept).
    NormalizePath,
    /// Decode the value when it looks like base64 (standard or URL-safe).
    Base64Decode,
    /// Shell de-obfuscation: drop `\ ' " ^`, `${IFS}` to space, lowercase, compress.
    CmdLine,
    /// Strip leading and trailing whitespace.
    Trim,
}

impl Transform {
    /// Every transformation, in declaration order.
    pub const ALL: [Transform; 12] = [
        Transform::UrlDecode,
        Transform::HtmlEntityDecode,
        Transform::Lowercase,
        Transform::CompressWhitespace,
        Transform::RemoveWhitespace,
        Transform::RemoveComments,
        Transform::ReplaceComments,
        Transform::RemoveNulls,
        Transform::NormalizePath,
        Transform::Base64Decode,
        Transform::CmdLine,
        Transform::Trim,
    ];
}

/// What a step does to a value, as far as the value's symbols tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// The value comes out as it went in.
    Unchanged,
    /// At most ASCII letters change case (the value is ASCII).
    CaseOnly,
    /// The symbols do not tell.
    Unknown,
}

/// The symbols that can make a step (or a chain of steps) change a value; the
/// default (no step) changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Triggers {
    /// A value with none of these comes out unchanged.
    any_change: Symbols,
    /// A value with none of these changes at most in ASCII case.
    beyond_case: Symbols,
}

impl Triggers {
    const fn on(set: Symbols) -> Triggers {
        Triggers {
            any_change: set,
            beyond_case: set,
        }
    }

    /// What the step or chain does to a value with these symbols.
    pub fn effect(self, s: Symbols) -> Effect {
        if !s.has_any(self.any_change) {
            Effect::Unchanged
        } else if !s.has_any(self.beyond_case) {
            Effect::CaseOnly
        } else {
            Effect::Unknown
        }
    }

    /// The symbols that can make the step or chain change a value.
    pub fn any_change(self) -> Symbols {
        self.any_change
    }

    /// The symbols that can make the step or chain change a value beyond ASCII case.
    pub fn beyond_case(self) -> Symbols {
        self.beyond_case
    }

    /// The triggers of this step followed by `next`.
    pub const fn then(self, next: Triggers) -> Triggers {
        Triggers {
            any_change: self.any_change.with(next.any_change),
            beyond_case: self.beyond_case.with(next.beyond_case),
        }
    }
}

impl Transform {
    /// The symbols that can make this step change a value (`None`: any value may
    /// change). The engine skips steps, and sets, that provably change nothing or
    /// only ASCII case (see `chains`).
    pub fn triggers(self) -> Option<Triggers> {
        const URL: Triggers = Triggers::on(Symbols::of_bytes(b"%").with(Symbols::NON_ASCII));
        const HTML: Triggers = Triggers::on(Symbols::of_bytes(b"&"));
        const LOWERCASE: Triggers = Triggers {
            any_change: Symbols::UPPERCASE.with(Symbols::NON_ASCII),
            beyond_case: Symbols::NON_ASCII,
        };
        const COMPRESS: Triggers = Triggers::on(Symbols::UNCOMPRESSED);
        const WHITESPACE: Triggers = Triggers::on(Symbols::WHITESPACE);
        // Every opener (`/*`, `--`, `<!--`) has a `-` or a `*`.
        const COMMENTS: Triggers = Triggers::on(Symbols::of_bytes(b"-*"));
        const NULS: Triggers = Triggers::on(Symbols::of_bytes(b"\0"));
        const SEPARATORS: Triggers = Triggers::on(Symbols::of_bytes(b"/\\"));
        // Without these, `cmd_line` only lowercases and compresses whitespace.
        const SHELL: Triggers = Triggers::on(Symbols::of_bytes(b"$\n\r\\'\"^"));
        Some(match self {
            Transform::UrlDecode => URL,
            Transform::HtmlEntityDecode => HTML,
            Transform::Lowercase => LOWERCASE,
            Transform::CompressWhitespace => COMPRESS,
            Transform::RemoveWhitespace | Transform::Trim => WHITESPACE,
            Transform::RemoveComments | Transform::ReplaceComments => COMMENTS,
            Transform::RemoveNulls => NULS,
            Transform::NormalizePath => SEPARATORS,
            Transform::Base64Decode => return None,
            Transform::CmdLine => SHELL.then(COMPRESS).then(LOWERCASE),
        })
    }

    /// What the step does to a value with these symbols.
    pub fn effect(self, s: Symbols) -> Effect {
        self.triggers().map_or(Effect::Unknown, |t| t.effect(s))
    }

    /// The symbols a value must hold one of for this step's output to hold one of
    /// `needs` (`None`: the step may output any symbol). A prefilter can then test
    /// the value from before the step (see `Chains::gate`). Steps output letters,
    /// digits and spaces freely, so `needs` must hold none of them (as prefilter
    /// requirements never do).
    pub fn needs_before(self, needs: Symbols) -> Option<Symbols> {
        const SLASH: Symbols = Symbols::of_bytes(b"/");
        const SEMICOLON: Symbols = Symbols::of_bytes(b";");
        match self {
            // Every character out is one in, an ASCII letter or digit, a space, or
            // a non-ASCII character of an input that has one.
            Transform::Lowercase
            | Transform::CompressWhitespace
            | Transform::RemoveWhitespace
            | Transform::RemoveComments
            | Transform::ReplaceComments
            | Transform::RemoveNulls
            | Transform::Trim => Some(needs),
            // As above, and `\` becomes `/`.
            Transform::NormalizePath if needs.intersects(SLASH) => {
                Some(needs.with(Symbols::of_bytes(b"\\")))
            }
            Transform::NormalizePath => Some(needs),
            // As above, and line breaks become `;`.
            Transform::CmdLine if needs.intersects(SEMICOLON) => {
                Some(needs.with(Symbols::of_bytes(b"\n\r")))
            }
            Transform::CmdLine => Some(needs),
            Transform::UrlDecode | Transform::HtmlEntityDecode | Transform::Base64Decode => None,
        }
    }
}

/// Applies one transformation.
pub fn apply(t: Transform, input: &str) -> Cow<'_, str> {
    match t {
        Transform::UrlDecode => url_decode_repeated(input),
        Transform::HtmlEntityDecode => html_entity_decode(input),
        Transform::Lowercase => lowercase(input),
        Transform::CompressWhitespace => compress_whitespace(input),
        Transform::RemoveWhitespace => remove_whitespace(input),
        Transform::RemoveComments => remove_comments(input),
        Transform::ReplaceComments => replace_comments(input),
        Transform::RemoveNulls => remove_nulls(input),
        Transform::NormalizePath => normalize_path(input),
        Transform::Base64Decode => base64_decode(input),
        Transform::CmdLine => cmd_line(input),
        Transform::Trim => Cow::Borrowed(input.trim()),
    }
}

/// Applies a chain of transformations in order.
pub fn apply_chain<'a>(chain: &[Transform], input: &'a str) -> Cow<'a, str> {
    chain
        .iter()
        .fold(Cow::Borrowed(input), |cur, &t| then(cur, |s| apply(t, s)))
}

/// Applies one transformation to a value that may already be owned.
pub fn apply_to(cur: Cow<'_, str>, t: Transform) -> Cow<'_, str> {
    then(cur, |s| apply(t, s))
}

/// Applies `step` to a value that may already be owned, without copying it when the
/// step changes nothing.
fn then<'a>(cur: Cow<'a, str>, step: impl Fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    match cur {
        Cow::Borrowed(s) => step(s),
        Cow::Owned(s) => match step(&s) {
            // Unchanged, or a sub-slice (`trim`) of the owned value.
            Cow::Borrowed(b) if b.len() == s.len() => Cow::Owned(s),
            Cow::Borrowed(b) => Cow::Owned(b.to_owned()),
            Cow::Owned(n) => Cow::Owned(n),
        },
    }
}

/// Whitespace and controls, and the byte-order mark, which JavaScript reads as
/// a space (`javascript:\u{FEFF}alert(1)`).
fn is_ws(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c == '\u{FEFF}'
}

/// `is_ws` for an ASCII byte: controls, whitespace and DEL.
pub(super) const fn is_ascii_ws(b: u8) -> bool {
    // One lookup rather than two compares: the whitespace steps test every byte.
    ASCII_WS[b as usize]
}

/// The bytes up to the space, and DEL (see `is_ascii_ws`).
const ASCII_WS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b <= b' ' as usize || b == 0x7f;
        b += 1;
    }
    t
};

/// The value of one hexadecimal digit.
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// True when one more round of decoding could change the text.
fn needs_url_decode(s: &str) -> bool {
    let b = s.as_bytes();
    // Most values have neither an escape nor a full-width form: two fast byte searches.
    if !b.contains(&b'%') && !b.contains(&0xEF) {
        return false;
    }
    let escape = b.iter().enumerate().any(|(i, &c)| {
        c == b'%'
            && ((i + 2 < b.len() && hex_val(b[i + 1]).is_some() && hex_val(b[i + 2]).is_some())
                || (i + 1 < b.len() && (b[i + 1] == b'u' || b[i + 1] == b'U')))
    });
    // Full-width forms are U+FF01..U+FF5E, all encoded with a leading 0xEF byte.
    escape || (b.contains(&0xEF) && s.chars().any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c)))
}

/// One round of percent decoding (`%XX`, `%uXXXX`), then overlong UTF-8 and full-width folding.
pub fn url_decode_once(input: &str) -> Cow<'_, str> {
    if !needs_url_decode(input) {
        return Cow::Borrowed(input);
    }
    let b = input.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 < b.len()
                && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
            {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            // `%uXXXX`, the IIS form.
            if i + 5 < b.len() && (b[i + 1] == b'u' || b[i + 1] == b'U') {
                let hx = &b[i + 2..i + 6];
                if hx.iter().all(|&c| hex_val(c).is_some()) {
                    let v = hx
                        .iter()
                        .fold(0u32, |a, &c| a << 4 | u32::from(hex_val(c).unwrap_or(0)));
                    let ch = char::from_u32(v).map(fold_fullwidth).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    i += 6;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(decode_bytes_lenient(&out))
}

/// Full-width ASCII forms (U+FF01..U+FF5E) to their ASCII counterparts.
fn fold_fullwidth(c: char) -> char {
    if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c)
    } else {
        c
    }
}

/// UTF-8 decoding that maps overlong forms (`C0 AF` is `/`) to their character
/// instead of U+FFFD, because that is how lenient back ends read them.
fn decode_bytes_lenient(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match std::str::from_utf8(&b[i..]) {
            Ok(s) => {
                out.extend(s.chars().map(fold_fullwidth));
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                if let Ok(s) = std::str::from_utf8(&b[i..i + good]) {
                    out.extend(s.chars().map(fold_fullwidth));
                }
                i += good;
                let rest = &b[i..];
                // Overlong two-byte (C0/C1 xx) and three-byte (E0 80..9F xx) forms.
                if rest.len() >= 2 && (rest[0] == 0xC0 || rest[0] == 0xC1) && rest[1] & 0xC0 == 0x80
                {
                    let v = (u32::from(rest[0] & 0x1F) << 6) | u32::from(rest[1] & 0x3F);
                    out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                    i += 2;
                } else if rest.len() >= 3
                    && rest[0] == 0xE0
                    && rest[1] & 0xE0 == 0x80
                    && rest[2] & 0xC0 == 0x80
                {
                    let v = (u32::from(rest[1] & 0x3F) << 6) | u32::from(rest[2] & 0x3F);
                    out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                    i += 3;
                } else if rest[0] == 0xA0 {
                    // A lone Latin-1 no-break space: MySQL treats it as whitespace.
                    out.push(' ');
                    i += 1;
                } else {
                    out.push('\u{FFFD}');
                    i += e.error_len().unwrap_or(rest.len()).max(1);
                }
            }
        }
    }
    out
}

/// Percent decoding repeated until the text stops changing (bounded).
pub fn url_decode_repeated(input: &str) -> Cow<'_, str> {
    let mut cur = match url_decode_once(input) {
        Cow::Borrowed(s) => return Cow::Borrowed(s),
        Cow::Owned(s) => s,
    };
    for _ in 1..MAX_URL_DECODE_ROUNDS {
        match url_decode_once(&cur) {
            Cow::Borrowed(_) => break,
            Cow::Owned(n) => cur = n,
        }
    }
    Cow::Owned(cur)
}

const NAMED_ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("tab", '\t'),
    ("newline", '\n'),
    ("colon", ':'),
    ("lpar", '('),
    ("rpar", ')'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("semi", ';'),
    ("equals", '='),
    ("comma", ','),
    ("period", '.'),
    ("excl", '!'),
    ("quest", '?'),
    ("num", '#'),
    ("grave", '`'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("plus", '+'),
    ("percnt", '%'),
    ("dollar", '$'),
    ("ast", '*'),
    ("lowbar", '_'),
    ("verbar", '|'),
    // HTML5's other names for ASCII punctuation (`&commat;import`).
    ("commat", '@'),
    ("midast", '*'),
    ("lbrack", '['),
    ("rbrack", ']'),
    ("lbrace", '{'),
    ("rbrace", '}'),
    ("underbar", '_'),
];

/// HTML entity decoding, numeric (decimal, hex, semicolon optional) and named.
pub fn html_entity_decode(input: &str) -> Cow<'_, str> {
    if !input.contains('&') {
        return Cow::Borrowed(input);
    }
    let b = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] != b'&' {
            i += 1;
            continue;
        }
        if let Some((ch, len)) = parse_entity(&b[i + 1..]) {
            out.push_str(&input[last..i]);
            out.push(ch);
            i += 1 + len;
            last = i;
        } else {
            i += 1;
        }
    }
    if last == 0 {
        return Cow::Borrowed(input);
    }
    out.push_str(&input[last..]);
    Cow::Owned(out)
}

/// Parses what follows `&`; returns the character and the bytes consumed.
fn parse_entity(b: &[u8]) -> Option<(char, usize)> {
    if b.first() == Some(&b'#') {
        let (hex, start) = match b.get(1) {
            Some(b'x') | Some(b'X') => (true, 2),
            _ => (false, 1),
        };
        // Leading zeros pad without limit (`&#00000000000000000040;` is `(`).
        let mut j = start + b[start..].iter().take_while(|&&c| c == b'0').count();
        let digits = j;
        let mut v: u32 = 0;
        while j < b.len() && j - digits < 10 {
            let d = if hex {
                hex_val(b[j]).map(u32::from)
            } else {
                (b[j] as char).to_digit(10)
            };
            match d {
                Some(d) => {
                    v = v
                        .saturating_mul(if hex { 16 } else { 10 })
                        .saturating_add(d)
                }
                None => break,
            }
            j += 1;
        }
        if j == start {
            return None;
        }
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        let ch = char::from_u32(v).map(fold_fullwidth).unwrap_or('\u{FFFD}');
        return Some((ch, j));
    }
    let mut j = 0;
    while j < b.len() && j < 10 && b[j].is_ascii_alphabetic() {
        j += 1;
    }
    if j == 0 {
        return None;
    }
    let name = std::str::from_utf8(&b[..j]).ok()?;
    // Longest known name that prefixes the run (`&ltscript` is `<script`).
    for len in (2..=j).rev() {
        let cand = &name[..len];
        if let Some(ch) = named_entity(cand.as_bytes()) {
            let mut used = len;
            if b.get(used) == Some(&b';') {
                used += 1;
            } else if len < j
                && !matches!(
                    cand.to_ascii_lowercase().as_str(),
                    "lt" | "gt" | "amp" | "quot"
                )
            {
                continue;
            }
            return Some((ch, used));
        }
    }
    None
}

/// The character a named character reference stands for (`gt` is `>`), for the
/// names [`html_entity_decode`] knows; case-insensitive.
pub fn named_entity(name: &[u8]) -> Option<char> {
    NAMED_ENTITIES
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, ch)| ch)
}

/// Lowercase (ASCII fast path).
pub fn lowercase(input: &str) -> Cow<'_, str> {
    if input.is_ascii() {
        if input.bytes().any(|c| c.is_ascii_uppercase()) {
            Cow::Owned(input.to_ascii_lowercase())
        } else {
            Cow::Borrowed(input)
        }
    } else if input.chars().any(char::is_uppercase) {
        Cow::Owned(input.to_lowercase())
    } else {
        Cow::Borrowed(input)
    }
}

/// Runs of whitespace/control characters become a single space.
pub fn compress_whitespace(input: &str) -> Cow<'_, str> {
    let changes = if input.is_ascii() {
        let b = input.as_bytes();
        (0..b.len())
            .any(|i| is_ascii_ws(b[i]) && (b[i] != b' ' || (i > 0 && is_ascii_ws(b[i - 1]))))
    } else {
        let mut prev_ws = false;
        input.chars().any(|c| {
            let ws = is_ws(c);
            let r = ws && (prev_ws || c != ' ');
            prev_ws = ws;
            r
        })
    };
    if !changes {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    if input.is_ascii() {
        // Byte runs between whitespace are copied whole, not char by char.
        let b = input.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < b.len() {
            if is_ascii_ws(b[i]) {
                out.push_str(&input[start..i]);
                out.push(' ');
                while i < b.len() && is_ascii_ws(b[i]) {
                    i += 1;
                }
                start = i;
            } else {
                i += 1;
            }
        }
        out.push_str(&input[start..]);
        return Cow::Owned(out);
    }
    let mut prev_ws = false;
    for c in input.chars() {
        if is_ws(c) {
            if !prev_ws {
                out.push(' ');
            }
            prev_ws = true;
        } else {
            out.push(c);
            prev_ws = false;
        }
    }
    Cow::Owned(out)
}

/// Removes every whitespace and control character.
pub fn remove_whitespace(input: &str) -> Cow<'_, str> {
    if input.is_ascii() {
        if !input.bytes().any(is_ascii_ws) {
            return Cow::Borrowed(input);
        }
        return Cow::Owned(without_ascii(input, is_ascii_ws));
    }
    if !input.chars().any(is_ws) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    input.split(is_ws).for_each(|piece| out.push_str(piece));
    Cow::Owned(out)
}

/// `input` without the ASCII bytes `drop` picks (dropping ASCII bytes keeps every
/// other character whole). Compacted in place by `retain`, byte by byte: the runs
/// between dropped bytes are short (words), and a copy call per run cost more than
/// the bytes; `retain` also needs no bounds check per byte, which a hand-written
/// compaction loop paid.
fn without_ascii(input: &str, drop: impl Fn(u8) -> bool) -> String {
    let mut out = input.as_bytes().to_vec();
    out.retain(|&b| !(b.is_ascii() && drop(b)));
    // Still UTF-8; the lossy branch is never taken.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Removes NUL bytes.
pub fn remove_nulls(input: &str) -> Cow<'_, str> {
    if !input.contains('\0') {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.replace('\0', ""))
}

/// Removes `/* */` (keeping the body of MySQL `/*! */`), `<!-- -->` and `--` to end of line.
pub fn remove_comments(input: &str) -> Cow<'_, str> {
    strip_comments(input, "")
}

/// Comments as in `remove_comments`, each replaced by a space.
pub fn replace_comments(input: &str) -> Cow<'_, str> {
    strip_comments(input, " ")
}

/// Comments as in `remove_comments`, each written as `sep` instead.
fn strip_comments<'a>(input: &'a str, sep: &str) -> Cow<'a, str> {
    // `<!--` holds `--`: one pass for the two openers.
    if !input
        .as_bytes()
        .windows(2)
        .any(|w| matches!(w, [b'/', b'*'] | [b'-', b'-']))
    {
        return Cow::Borrowed(input);
    }
    let b = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    let mut last = 0;
    let mut in_exec = false;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            out.push_str(&input[last..i]);
            out.push_str(sep);
            if b.get(i + 2) == Some(&b'!') {
                // MySQL executable comment: keep the body, drop the version number.
                i += 3;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                in_exec = true;
            } else {
                i = match input[i + 2..].find("*/") {
                    Some(p) => i + 2 + p + 2,
                    None => b.len(),
                };
            }
            last = i;
        } else if in_exec && b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            out.push_str(&input[last..i]);
            out.push_str(sep);
            i += 2;
            last = i;
            in_exec = false;
        } else if b[i] == b'<' && input[i..].starts_with("<!--") {
            out.push_str(&input[last..i]);
            out.push_str(sep);
            i = match input[i + 4..].find("-->") {
                Some(p) => i + 4 + p + 3,
                None => b.len(),
            };
            last = i;
        } else if b[i] == b'-' && b.get(i + 1) == Some(&b'-') {
            out.push_str(&input[last..i]);
            out.push_str(sep);
            i = match input[i..].find('\n') {
                Some(p) => i + p,
                None => b.len(),
            };
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&input[last..]);
    if out.len() == input.len() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(out)
}

/// Path normalization for file-name matching.
pub fn normalize_path(input: &str) -> Cow<'_, str> {
    let b = input.as_bytes();
    if !(b.contains(&b'\\')
        || b.windows(2)
            .any(|w| matches!(w, [b'/', b'/' | b'.'] | [b'.', b'/'])))
    {
        return Cow::Borrowed(input);
    }
    // Segments are written straight into `out`; a `..` takes the last one back off.
    // Kept parts are leading `..`s, then names: a `..` pops a name when there is one.
    let is_sep = |b: u8| b == b'/' || b == b'\\';
    let mut out = String::with_capacity(input.len() + 1);
    if b.first().is_some_and(|&c| is_sep(c)) {
        out.push('/');
    }
    let base = out.len();
    let (mut parts, mut dotdots) = (0usize, 0usize);
    let mut start = 0;
    for end in (0..=b.len()).filter(|&i| i == b.len() || is_sep(b[i])) {
        let seg = &input[start..end];
        start = end + 1;
        match seg {
            "" | "." => {}
            ".." if parts > dotdots => {
                let cut = out[base..].rfind('/').map_or(base, |p| base + p);
                out.truncate(cut);
                parts -= 1;
            }
            seg => {
                if out.len() > base {
                    out.push('/');
                }
                out.push_str(seg);
                parts += 1;
                dotdots += usize::from(seg == "..");
            }
        }
    }
    if b.last().is_some_and(|&c| is_sep(c)) && parts > 0 {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Decodes values that look like base64 into text; others are returned as they are.
pub fn base64_decode(input: &str) -> Cow<'_, str> {
    let t = input.trim();
    if t.len() < 12
        || !t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_' | b'='))
    {
        return Cow::Borrowed(input);
    }
    let trimmed = t.trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed));
    match decoded {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) if s.chars().all(|c| !c.is_control() || c.is_whitespace()) => Cow::Owned(s),
            _ => Cow::Borrowed(input),
        },
        Err(_) => Cow::Borrowed(input),
    }
}

/// Shell de-obfuscation in the spirit of ModSecurity's `cmdLine`.
pub fn cmd_line(input: &str) -> Cow<'_, str> {
    // Without these characters only case and whitespace change (the common case).
    if !input
        .bytes()
        .any(|c| matches!(c, b'$' | b'\n' | b'\r' | b'\\' | b'\'' | b'"' | b'^'))
    {
        return then(lowercase(input), compress_whitespace);
    }
    // Quoting alone in ASCII text (`O'Brien`, `c'a't`): the steps below in one pass.
    if let Some(out) = unquote_ascii(input) {
        return Cow::Owned(out);
    }
    let mut s: Cow<'_, str> = match without_tables(input) {
        Some(rest) => Cow::Owned(rest),
        None => Cow::Borrowed(input),
    };
    // Both forms start with `$`, which most values lack.
    if s.contains('$') && (s.contains("$IFS") || s.contains("${IFS}")) {
        s = Cow::Owned(
            s.replace("${IFS}", " ")
                .replace("$IFS$9", " ")
                .replace("$IFS", " "),
        );
    }
    if s.as_bytes().iter().any(|&c| c == b'\n' || c == b'\r') {
        s = Cow::Owned(breaks_as_separators(&s));
    }
    if s.contains('$') {
        // `cat$u /etc$u/passwd`, `ca$@t`: an empty expansion glued to a word.
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < b.len() {
            let glued = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'/');
            if b[i] == b'$' && glued && i + 1 < b.len() {
                // Special and positional parameters (`$@`, `$1`) and an empty
                // subshell (`w$()hoami`) expand to nothing.
                if matches!(b[i + 1], b'@' | b'*' | b'!' | b'#' | b'-' | b'0'..=b'9') {
                    i += 2;
                    continue;
                }
                if s[i + 1..].starts_with("()") {
                    i += 3;
                    continue;
                }
                // `who${x}ami`: a braced one- or two-letter name, as below.
                if b[i + 1] == b'{' {
                    let name = b[i + 2..]
                        .iter()
                        .take(3)
                        .take_while(|c| c.is_ascii_alphabetic() || **c == b'_')
                        .count();
                    if (1..=2).contains(&name) && b.get(i + 2 + name) == Some(&b'}') {
                        i += 3 + name;
                        continue;
                    }
                }
                if b[i + 1].is_ascii_alphabetic() {
                    let mut j = i + 1;
                    while j < b.len()
                        && (b[j].is_ascii_alphanumeric() || b[j] == b'_')
                        && j - i <= 2
                    {
                        j += 1;
                    }
                    // Only one- or two-letter names: `$u`, `$xy`; real variables stay.
                    if j - i <= 3 && !(j < b.len() && b[j].is_ascii_alphanumeric()) {
                        i = j;
                        continue;
                    }
                }
            }
            let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&s[i..i + ch_len]);
            i += ch_len;
        }
        if out.len() != s.len() {
            s = Cow::Owned(out);
        }
    }
    let quoting = |c: u8| matches!(c, b'\\' | b'\'' | b'"' | b'^');
    if s.bytes().any(quoting) {
        s = Cow::Owned(without_ascii(&s, quoting));
    }
    then(then(s, lowercase), compress_whitespace)
}

/// Line breaks as the command separators they are, kept visible as `;` after
/// compression; inside a Markdown code block, from a ```` ``` ```` line to the
/// next one or, left open, to the end of the value, documentation: there they
/// stay whitespace. The lines before a fence are not in it: a value that only
/// ends in one is read as a shell reads it.
fn breaks_as_separators(s: &str) -> String {
    if !s.contains("```") {
        return s.replace(['\n', '\r'], ";");
    }
    let lines: Vec<&str> = s.split('\n').collect();
    let fences: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with("```"))
        .collect();
    let mut fenced = vec![false; lines.len()];
    for pair in fences.chunks(2) {
        let end = pair.get(1).copied().unwrap_or(lines.len());
        for f in &mut fenced[pair[0]..end] {
            *f = true;
        }
    }
    let mut out = String::with_capacity(s.len());
    for (i, line) in lines.iter().enumerate() {
        if fenced[i] {
            out.push_str(line);
        } else {
            out.push_str(&line.replace('\r', ";"));
        }
        if i + 1 < lines.len() {
            out.push(if fenced[i] { '\n' } else { ';' });
        }
    }
    out
}

/// The value with the lines of its Markdown tables left empty, where no shell runs
/// any of them; `None` when it has none. A table is a header line ending with
/// `|`, a delimiter row (`|---|:--:|`, not the value's first line) and the rows
/// after it that open with `|`. To sh and bash a line that opens with a pipe is
/// a syntax error, and the header's trailing pipe joins the header to it, so they
/// parse none of it (`| Id | Date |` pipes into nothing); PowerShell cannot parse
/// the empty pipe element between a line's closing `|` and the next one's
/// opening `|`. A line a shell could still run part of stays: one with a quote,
/// a backtick or `$` (the value may sit inside the caller's quotes, which such a
/// line could close, or expand), a bracket (which could close a `${`, `((`,
/// `[[` or `case` opened above, where a `|` is text), a `#`, a backslash, `<` or
/// a carriage return; and so does every line of a table whose header a trailing
/// backslash joins to the line before. The lines around a table are read as
/// they are.
fn without_tables(s: &str) -> Option<String> {
    let b = s.as_bytes();
    memchr::memchr(b'|', b)?;
    memchr::memchr(b'\n', b)?;
    let mut spans = Vec::new();
    let mut start = 0;
    for p in memchr::memchr_iter(b'\n', b) {
        spans.push(start..p);
        start = p + 1;
    }
    spans.push(start..b.len());
    let line = |i: usize| &s[spans[i].clone()];
    let plain = |l: &str| !l.bytes().any(|c| b"'\"`$#\\<\r(){}[]".contains(&c));
    let ends_pipe = |l: &str| l.trim_end_matches([' ', '\t']).ends_with('|');
    let delimiter = |l: &str| {
        l.starts_with('|')
            && l.contains('-')
            && l.bytes()
                .all(|c| matches!(c, b'|' | b'-' | b':' | b' ' | b'\t'))
            && ends_pipe(l)
    };
    let mut blank = vec![false; spans.len()];
    let mut any = false;
    let mut i = 1;
    while i < spans.len() {
        let header = line(i - 1);
        if delimiter(line(i))
            && !blank[i - 1]
            && ends_pipe(header)
            && plain(header)
            && (i < 2 || !line(i - 2).ends_with('\\'))
        {
            blank[i - 1] = true;
            blank[i] = true;
            any = true;
            i += 1;
            while i < spans.len() && line(i).starts_with('|') && plain(line(i)) {
                blank[i] = true;
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    if !any {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for (k, span) in spans.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        if !blank[k] {
            out.push_str(&s[span.clone()]);
        }
    }
    Some(out)
}

/// `cmd_line` of ASCII text without `$` or line breaks: the quoting marks dropped,
/// lowercased, whitespace runs compressed to one space. `None` for other text,
/// which takes the general path.
fn unquote_ascii(input: &str) -> Option<String> {
    // Written by index into room for every byte: pushing byte by byte kept the
    // length in memory and a grow check in the loop.
    let mut out = vec![0u8; input.len()];
    let mut len = 0;
    let mut in_space = false;
    for c in input.bytes() {
        let byte = match UNQUOTE[usize::from(c)] {
            DROP => continue,
            GIVE_UP => return None,
            SPACE if in_space => continue,
            SPACE => b' ',
            lower => lower,
        };
        in_space = byte == b' ';
        if let Some(d) = out.get_mut(len) {
            *d = byte;
            len += 1;
        }
    }
    out.truncate(len);
    String::from_utf8(out).ok()
}

/// What `unquote_ascii` does with a byte: drop it (shell quoting), write one space
/// for a run of whitespace, give up (`$`, line breaks, non-ASCII), or write the
/// byte lowercased (the entry itself, never one of the three codes).
const UNQUOTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if matches!(b, b'\\' | b'\'' | b'"' | b'^') {
            DROP
        } else if matches!(b, b'$' | b'\n' | b'\r') || b >= 0x80 {
            GIVE_UP
        } else if is_ascii_ws(b) {
            SPACE
        } else {
            b.to_ascii_lowercase()
        };
        c += 1;
    }
    t
};
const DROP: u8 = 0;
const SPACE: u8 = 1;
const GIVE_UP: u8 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding_repeats_until_stable() {
        assert_eq!(url_decode_repeated("%253Cscript%253E"), "<script>");
        assert_eq!(url_decode_repeated("%25252e%25252e%25252f"), "../");
        assert!(matches!(
            url_decode_repeated("plain text"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn url_decoding_handles_percent_u_overlong_and_fullwidth() {
        assert_eq!(url_decode_repeated("%u003cscript%u003e"), "<script>");
        assert_eq!(url_decode_repeated("..%c0%af..%c0%afetc"), "../../etc");
        assert_eq!(url_decode_repeated("%e0%80%afetc"), "/etc");
        assert_eq!(url_decode_repeated("%uff1cscript%uff1e"), "<script>");
        assert_eq!(url_decode_repeated("＜svg＞"), "<svg>");
    }

    #[test]
    fn url_decoding_leaves_broken_escapes_alone() {
        assert_eq!(url_decode_repeated("100%"), "100%");
        assert_eq!(url_decode_repeated("%zz%4"), "%zz%4");
        assert_eq!(url_decode_repeated("%u12"), "%u12");
    }

    #[test]
    fn html_entities_decode_numeric_named_and_unterminated() {
        assert_eq!(html_entity_decode("&lt;img&gt;"), "<img>");
        assert_eq!(html_entity_decode("&#106;&#x61;&#0000118;a"), "java");
        assert_eq!(
            html_entity_decode("prompt&#00000000000000000040;1&#x000000000000029;"),
            "prompt(1)"
        );
        assert_eq!(
            html_entity_decode("javascript&colon;alert&lpar;1&rpar;"),
            "javascript:alert(1)"
        );
        assert_eq!(
            html_entity_decode("&commat;import&lbrack;x&rbrack;"),
            "@import[x]"
        );
        assert_eq!(html_entity_decode("&ltscript"), "<script");
        assert_eq!(html_entity_decode("Tom & Jerry &co"), "Tom & Jerry &co");
    }

    #[test]
    fn lowercase_handles_ascii_and_unicode() {
        assert_eq!(lowercase("SeLeCt"), "select");
        assert_eq!(lowercase("ÉCOLE"), "école");
        assert!(matches!(lowercase("abc"), Cow::Borrowed(_)));
    }

    #[test]
    fn whitespace_is_compressed_and_removed() {
        assert_eq!(compress_whitespace("a \t\n\x0b b"), "a b");
        assert_eq!(remove_whitespace("j a\tv\na"), "java");
        assert_eq!(
            remove_whitespace("javascript:\u{FEFF}alert"),
            "javascript:alert"
        );
        assert!(matches!(compress_whitespace("a b c"), Cow::Borrowed(_)));
    }

    #[test]
    fn comments_are_removed_but_mysql_executable_comments_keep_their_body() {
        assert_eq!(remove_comments("UN/**/ION SEL/*x*/ECT"), "UNION SELECT");
        assert_eq!(remove_comments("/*!50000UNION*/ SELECT"), "UNION SELECT");
        assert_eq!(remove_comments("1 -- trailing"), "1 ");
        assert_eq!(remove_comments("a<!-- x -->b"), "ab");
    }

    #[test]
    fn replaced_comments_leave_the_space_sql_reads() {
        let r = |s| apply(Transform::ReplaceComments, s);
        assert_eq!(r("WAITFOR/**/DELAY/**/'0:0:5'"), "WAITFOR DELAY '0:0:5'");
        assert_eq!(r("/*!50000select*/1"), " select 1");
        assert_eq!(r("1 -- trailing"), "1  ");
        assert!(matches!(r("no comment - here"), Cow::Borrowed(_)));
    }

    #[test]
    fn nuls_are_removed() {
        assert_eq!(remove_nulls("ja\0va"), "java");
    }

    #[test]
    fn paths_are_normalized_keeping_leading_parent_references() {
        assert_eq!(normalize_path("/etc/./passwd"), "/etc/passwd");
        assert_eq!(normalize_path("/var//www/../../etc/passwd"), "/etc/passwd");
        assert_eq!(
            normalize_path("..\\..\\windows\\win.ini"),
            "../../windows/win.ini"
        );
    }

    #[test]
    fn base64_is_decoded_only_when_it_looks_like_text() {
        assert_eq!(
            base64_decode("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
            "<script>alert(1)</script>"
        );
        assert_eq!(base64_decode("hello world"), "hello world");
        assert_eq!(base64_decode("AAECAwQFBgcICQoL"), "AAECAwQFBgcICQoL");
    }

    #[test]
    fn line_breaks_separate_commands_outside_a_code_fence() {
        assert_eq!(breaks_as_separators("a\nid\r\nb"), "a;id;;b");
        // Inside a closed fence the breaks stay; around it they separate.
        assert_eq!(
            breaks_as_separators("run:\n```\nls -la\n```\nid"),
            "run:;```\nls -la\n```;id"
        );
        // A fence left open fences what follows it, not what stands before it.
        assert_eq!(
            breaks_as_separators("see\n```sh\nls\nid"),
            "see;```sh\nls\nid"
        );
        assert_eq!(
            breaks_as_separators("127.0.0.1\nid\n```"),
            "127.0.0.1;id;```"
        );
    }

    #[test]
    fn a_markdown_table_is_not_read_as_a_shell_line_but_what_stands_around_it_is() {
        // The header row joins the delimiter row, a syntax error: nothing runs.
        let table = "| Version | Date |\n|---|:---:|\n| 1.0 | 2026-01-02 |";
        assert_eq!(without_tables(table).as_deref(), Some("\n\n"));
        assert_eq!(cmd_line(table), ";;");
        // Lines before and after a table are read as they are.
        let around = "x;id\n| Id | Who |\n| --- | --- |\n| 1 | me |\nuptime";
        assert_eq!(cmd_line(around), "x;id;;;;uptime");
        // No table: a line that only opens with a pipe, rows without a delimiter
        // row, a delimiter row first, or a header that does not end with a pipe.
        for v in [
            "a\n| id",
            "| Id | Date |\n| 1 | 2 |",
            "|---|---|\n;id",
            "x \\\n|-|\nid",
        ] {
            assert_eq!(without_tables(v), None, "{v:?}");
        }
        // Lines a shell could run part of stay: quotes, backticks, `$`, comments,
        // carriage returns, a continuation into the header.
        for v in [
            "x |\n|-|\n| ';id;' |",
            "x |\n|-|\n| $(id) |",
            ";curl x|sh #|\n|-|",
            ";touch x |\r\n|-|",
            "a \\\n| id |\n|-|",
            "cat <<a |\n|-|\na\nid",
            ": ${x-\n|a|\n|-|\n|};id",
            "(( 1 |\n|-|\n| 1 ));id",
        ] {
            let kept = without_tables(v).unwrap_or_else(|| v.to_string());
            assert!(
                kept.contains("id") || kept.contains("curl") || kept.contains("touch"),
                "{v:?}"
            );
        }
    }

    #[test]
    fn cmd_line_strips_shell_quoting_tricks() {
        assert_eq!(cmd_line("c'a't /e\"tc\"/pa\\sswd"), "cat /etc/passwd");
        assert_eq!(cmd_line("cat${IFS}/etc/passwd"), "cat /etc/passwd");
        assert_eq!(cmd_line("W^H^O^A^M^I"), "whoami");
        assert_eq!(cmd_line("cat$u /etc$u/passwd"), "cat /etc/passwd");
        assert_eq!(cmd_line("ca$@t x"), "cat x");
        assert_eq!(cmd_line(";wh$1oami"), ";whoami");
        assert_eq!(cmd_line(";w$()hoami"), ";whoami");
        assert_eq!(cmd_line(";who${x}ami"), ";whoami");
        assert_eq!(cmd_line("a${HOME}b"), "a${home}b");
        assert_eq!(cmd_line("US$1,000"), "us,000");
        assert_eq!(cmd_line("echo $HOME"), "echo $home");
    }

    #[test]
    fn cmd_line_in_one_pass_agrees_with_its_steps() {
        let quoting = |c: u8| matches!(c, b'\\' | b'\'' | b'"' | b'^');
        let mut samples = corpus_samples();
        samples.extend(
            [
                "O'Brien",
                " 'a' \t ' b ' ",
                "''",
                "X\"Y\"Z  \x7f\x01w",
                "^^",
                "a \\ b",
            ]
            .map(String::from),
        );
        let mut checked = 0;
        for s in samples
            .iter()
            .filter(|s| s.is_ascii() && s.bytes().any(quoting))
        {
            if s.bytes().any(|c| matches!(c, b'$' | b'\n' | b'\r')) {
                continue;
            }
            let steps = then(
                then(Cow::Owned(without_ascii(s, quoting)), lowercase),
                compress_whitespace,
            );
            assert_eq!(cmd_line(s), steps, "{s:?}");
            checked += 1;
        }
        assert!(checked > 100, "too few samples with quoting: {checked}");
    }

    /// The characters `lowercase` may output for `input`.
    fn allowed(input: &str, c: char) -> bool {
        input.contains(c)
            || c.is_ascii_alphanumeric()
            || c == ' '
            || (!c.is_ascii() && !input.is_ascii())
    }

    #[test]
    fn a_step_outputs_a_needed_symbol_only_from_what_needs_before_names() {
        let samples = [
            "a /* x */ b -- c\n<!-- d -->",
            "/*!50000UNION*/ SELECT\t\x0b1",
            "  \tTrim\r\n ",
            "N\0UL\0",
            "ÉCOLE İstanbul K ſ ＜ＳＣＲＩＰＴ＞",
            "\u{0085}\u{00A0}\u{2028}x\u{3000}y\u{1680}",
            "C:\\Windows\\..\\system32\\x",
            "a//b/./c/../d/",
            "cat${IFS}/etc/passwd\nid\rls",
            "W^H'O\"A\\MI ca$@t $u; echo $HOME",
        ];
        // Every byte with a symbol of its own, but the space (steps add spaces freely).
        let symbol_bytes = (0..=0x80u8).filter(|&b| {
            b != b' ' && !b.is_ascii_alphanumeric() && Symbols::of_byte(b) != Symbols::default()
        });
        for t in Transform::ALL {
            for s in samples {
                let (before, after) = (Symbols::of(s), Symbols::of(&apply(t, s)));
                for b in symbol_bytes.clone() {
                    let needs = Symbols::of_byte(b);
                    if let Some(n) = t.needs_before(needs) {
                        assert!(
                            !after.intersects(needs) || before.intersects(n),
                            "{t:?} on {s:?} outputs {:?}",
                            char::from(b)
                        );
                    }
                }
            }
        }
        // Lowercase over every character: a non-ASCII character never lowercases to
        // ASCII punctuation (only to letters, or to other non-ASCII characters).
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let s = c.to_string();
            assert!(lowercase(&s).chars().all(|l| allowed(&s, l)), "{c:?}");
        }
    }

    #[test]
    fn fast_paths_agree_with_the_character_definitions() {
        let samples = [
            "a  b",
            "a \t b",
            " lead",
            "trail ",
            "x\x7fy",
            "ctl\x01\x02",
            "no_change here",
            "a\u{00A0}\u{2028}b",
            "/* x */ -- y",
            "<!-- z -->",
            "a\\b//c/./d",
            "plain",
            "",
        ];
        for s in samples {
            let mut prev_ws = false;
            let compressed: String = s
                .chars()
                .filter_map(|c| {
                    let ws = is_ws(c);
                    let keep = !(ws && prev_ws);
                    prev_ws = ws;
                    keep.then_some(if ws { ' ' } else { c })
                })
                .collect();
            assert_eq!(compress_whitespace(s), compressed, "{s:?}");
            let removed: String = s.chars().filter(|&c| !is_ws(c)).collect();
            assert_eq!(remove_whitespace(s), removed, "{s:?}");
            if s.contains("/*") || s.contains("--") {
                assert_ne!(remove_comments(s), s, "{s:?}");
            } else {
                assert!(matches!(remove_comments(s), Cow::Borrowed(_)), "{s:?}");
            }
            let path_like = ["\\", "//", "/.", "./"].iter().any(|p| s.contains(p));
            assert_eq!(
                matches!(normalize_path(s), Cow::Borrowed(_)),
                !path_like,
                "{s:?}"
            );
        }
    }

    /// Every line of the WAF corpus (attacks and benign traffic) and a few variants.
    fn corpus_samples() -> Vec<String> {
        let mut out = Vec::new();
        for line in crate::waf::tests::corpus_lines(&["waf"]) {
            out.push(line.to_uppercase());
            out.push(line.replace(' ', "  "));
            out.push(url_decode_repeated(&line).into_owned());
            out.push(line);
        }
        out.extend(["", " ", "a\0b", "A/*x*/B", "x\r\ny", "Ｓ", "\u{212A}"].map(String::from));
        out
    }

    #[test]
    fn effects_told_from_symbols_hold() {
        let samples = corpus_samples();
        assert!(samples.len() > 1000, "corpus not found");
        let all = Transform::ALL;
        for s in &samples {
            let symbols = Symbols::of(s);
            for t in all {
                let out = apply(t, s);
                match t.effect(symbols) {
                    Effect::Unchanged => assert_eq!(out, s.as_str(), "{t:?} on {s:?}"),
                    Effect::CaseOnly => assert!(
                        out.len() == s.len() && out.eq_ignore_ascii_case(s),
                        "{t:?} on {s:?}"
                    ),
                    Effect::Unknown => {}
                }
            }
        }
    }

    #[test]
    fn chains_apply_in_order() {
        let chain = [
            Transform::UrlDecode,
            Transform::HtmlEntityDecode,
            Transform::Lowercase,
        ];
        assert_eq!(apply_chain(&chain, "%26lt%3BSCRIPT%26gt%3B"), "<script>");
        assert_eq!(
            apply_chain(&[Transform::Lowercase, Transform::Trim], " ON "),
            "on"
        );
    }
}

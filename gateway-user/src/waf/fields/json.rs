//! JSON bodies: every key and string value becomes a field, named by its path
//! (`json.user.name`; arrays keep the parent's path).
//!
//! Fields are pushed while the document is parsed, by a small parser of its own
//! that accepts exactly what `serde_json::from_str` accepts (nesting up to 127
//! levels, numbers in the range of an `f64`, paired surrogate escapes) — serde's
//! visitor machinery cost more than the rest of the inspection of a typical API
//! body. No tree is built, and strings without escapes borrow from the body. Every
//! member of an object is seen, so a repeated key (`{"q":"benign","q":"' or 1=1--"}`)
//! has each of its values inspected — a back end may read either copy. A document
//! that does not parse (malformed, truncated, too deep) has its string literals
//! scanned leniently instead.
use std::borrow::Cow;

use bumpalo::Bump;

use super::{Field, FieldKind, Fields, Limits};

/// Containers open at once that make serde_json give up (its recursion limit).
const MAX_NESTING: usize = 128;

/// Pushes the fields of a JSON document. On a parse error nothing is pushed and
/// `false` is returned (the fields pushed so far are taken back).
pub(super) fn push_parsed<'a>(
    body: &'a [u8],
    limits: &Limits,
    names: &'a Bump,
    out: &mut Fields<'a>,
) -> bool {
    let (len, overflow) = (out.list.len(), out.overflow);
    // JSON text is UTF-8: bytes that are not can only sit in a string, where
    // serde_json rejects them too.
    let parsed = std::str::from_utf8(body).is_ok_and(|text| {
        let mut parser = Parser {
            text,
            pos: 0,
            out: &mut *out,
            limits,
            path: String::new(),
            names,
        };
        parser.document().is_some()
    });
    if !parsed {
        out.list.truncate(len);
        out.overflow = overflow;
    }
    parsed
}

/// Pushes the fields of a JSON body, falling back to a lenient scan of its strings.
pub(super) fn extract_json<'a>(
    body: &'a [u8],
    limits: &Limits,
    names: &'a Bump,
    out: &mut Fields<'a>,
) {
    if push_parsed(body, limits, names, out) {
        return;
    }
    // Malformed, truncated, or too deep for serde: scan it leniently, the way a
    // forgiving parser (JSON5, a JavaScript object literal) would still read it.
    out.malformed_body = true;
    for (kind, s) in lenient_json_tokens(body) {
        out.push(
            limits.max_fields,
            Field {
                kind,
                prefix: "json",
                key: Cow::Borrowed(""),
                value: Cow::Owned(s),
            },
        );
    }
}

/// The strings and member names of text that is meant to be JSON, even when it does
/// not parse: every string literal, and every name before a `:`, quoted or bare
/// (`{$ne: 1}`, `{'$where': …}`), so that an operator in a broken document is still
/// seen as the key it is to a lenient back end.
fn lenient_json_tokens(body: &[u8]) -> Vec<(FieldKind, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() && out.len() < 4096 {
        let c = body[i];
        if c == b'"' || c == b'\'' {
            let start = i + 1;
            let mut j = start;
            while j < body.len() && body[j] != c {
                j += if body[j] == b'\\' { 2 } else { 1 };
            }
            let raw = &body[start..j.min(body.len())];
            let text = String::from_utf8_lossy(raw);
            let value = if c == b'"' {
                let quoted = format!("\"{text}\"");
                serde_json::from_str::<String>(&quoted).unwrap_or_else(|_| text.into_owned())
            } else {
                text.into_owned()
            };
            i = j + 1;
            out.push((name_or_value(body, i), value));
        } else if c == b'$' || c == b'_' || c.is_ascii_alphabetic() {
            let start = i;
            while i < body.len()
                && (body[i] == b'$' || body[i] == b'_' || body[i].is_ascii_alphanumeric())
            {
                i += 1;
            }
            // Bare words are only names (`true`, `null` and numbers are not fields).
            if name_or_value(body, i) == FieldKind::BodyKey {
                out.push((
                    FieldKind::BodyKey,
                    String::from_utf8_lossy(&body[start..i]).into_owned(),
                ));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// A token ending just before `at` is a member name when a `:` follows it.
fn name_or_value(body: &[u8], at: usize) -> FieldKind {
    let next = body
        .get(at..)
        .and_then(|rest| rest.iter().find(|c| !c.is_ascii_whitespace()));
    if next == Some(&b':') {
        FieldKind::BodyKey
    } else {
        FieldKind::BodyValue
    }
}

/// The parse of one document. A syntax error is `None`, as serde_json's `Err`.
///
/// `path` is shared by the whole walk: a member appends its name and takes it off
/// again when done. `top` is the path as the member's fields name it: its name
/// borrowed from the body for a top-level member (the common case), else a copy
/// of `path` in the `names` arena, made once for the member's key, its value and
/// the items of an array value (`None`: the document itself, whose path is empty).
struct Parser<'p, 'a> {
    text: &'a str,
    pos: usize,
    out: &'p mut Fields<'a>,
    limits: &'p Limits,
    path: String,
    names: &'a Bump,
}

impl<'a> Parser<'_, 'a> {
    /// The whole text: one value, then only whitespace.
    fn document(&mut self) -> Option<()> {
        self.value(None, 0)?;
        self.skip_whitespace();
        (self.pos == self.text.len()).then_some(())
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and takes `c`.
    fn expect(&mut self, c: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == c).then(|| self.pos += 1)
    }

    /// The current path as a field key.
    fn key(top: Option<&'a str>) -> Cow<'a, str> {
        Cow::Borrowed(top.unwrap_or(""))
    }

    fn push(&mut self, kind: FieldKind, key: Cow<'a, str>, value: Cow<'a, str>) {
        self.out.push(
            self.limits.max_fields,
            Field {
                kind,
                prefix: "json",
                key,
                value,
            },
        );
    }

    /// One value inside `depth` containers.
    fn value(&mut self, top: Option<&'a str>, depth: usize) -> Option<()> {
        self.skip_whitespace();
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                let value = self.string()?;
                self.push(FieldKind::BodyValue, Self::key(top), value);
                Some(())
            }
            b'[' if depth + 1 < MAX_NESTING => {
                self.pos += 1;
                self.skip_whitespace();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                // Items keep the array's path, one level deeper.
                loop {
                    self.value(top, depth + 1)?;
                    self.skip_whitespace();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => break,
                        _ => return None,
                    }
                }
                self.pos += 1;
                Some(())
            }
            b'{' if depth + 1 < MAX_NESTING => {
                self.pos += 1;
                self.skip_whitespace();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.member(top, depth)?;
                    self.skip_whitespace();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => break,
                        _ => return None,
                    }
                }
                self.pos += 1;
                Some(())
            }
            b'n' => self.literal("null"),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// One member of an object inside `depth` containers (the object's depth).
    fn member(&mut self, top: Option<&'a str>, depth: usize) -> Option<()> {
        self.expect(b'"')?;
        let name = self.string()?;
        self.expect(b':')?;
        let parent_len = self.path.len();
        // Beyond `max_json_depth` members keep their parent's name.
        let named = depth < self.limits.max_json_depth;
        if named {
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&name);
        }
        let top = match &name {
            Cow::Borrowed(n) if named && parent_len == 0 => Some(*n),
            _ if named => Some(&*self.names.alloc_str(&self.path)),
            _ => top,
        };
        self.push(FieldKind::BodyKey, Self::key(top), name);
        self.value(top, depth + 1)?;
        self.path.truncate(parent_len);
        Some(())
    }

    /// `word`, whose first byte is the current one.
    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.pos + word.len();
        (self.text.as_bytes().get(self.pos..end)? == word.as_bytes()).then(|| self.pos = end)
    }

    /// A number: the run of bytes numbers are made of must be one number, in range.
    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.pos += 1;
        }
        let run = self.text.get(start..self.pos)?;
        // The run is all of a number in the document exactly when it is a number
        // on its own (serde_json stops a number where the run stops being one,
        // and no number byte may follow a value); anything but a short plain
        // number is left to serde_json to decide, range included.
        (short_decimal(run.as_bytes()) || serde_json::from_str::<serde_json::Number>(run).is_ok())
            .then_some(())
    }

    /// The rest of a string whose opening quote is read, unescaped.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        self.pos += special(bytes.get(start..)?)?;
        if bytes[self.pos] == b'"' {
            let s = self.text.get(start..self.pos)?;
            self.pos += 1;
            return Some(Cow::Borrowed(s));
        }
        let mut owned = String::from(self.text.get(start..self.pos)?);
        loop {
            match *bytes.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(Cow::Owned(owned));
                }
                b'\\' => {
                    self.pos += 1;
                    let c = self.escape()?;
                    owned.push(c);
                }
                0..=0x1f => return None,
                _ => {
                    let run = self.pos;
                    self.pos += special(bytes.get(run..)?)?;
                    owned.push_str(self.text.get(run..self.pos)?);
                }
            }
        }
    }

    /// The character of an escape whose `\` is read. Surrogates must come in
    /// pairs, as serde_json wants them in a string.
    fn escape(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let n = self.hex4()?;
                match n {
                    0xD800..=0xDBFF => {
                        self.literal("\\u")?;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        char::from_u32(0x1_0000 + ((n - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    _ => char::from_u32(n)?,
                }
            }
            _ => return None,
        })
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.as_bytes().get(self.pos..self.pos + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.pos += 4;
        Some(n)
    }
}

/// Where the first `"`, `\\` or control byte of `b` is (`None`: none, the string
/// is not closed). Eight bytes at a time: string contents are most of a body.
fn special(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes below `n` (n <= 0x80) get their high bit set; the lowest one found is
    // exact (a borrow only spills into the bytes above it).
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let mut chunks = b.chunks_exact(8);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hits = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if hits != 0 {
            return Some(k * 8 + hits.trailing_zeros() as usize / 8);
        }
    }
    let tail = b.len() - chunks.remainder().len();
    chunks
        .remainder()
        .iter()
        .position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f))
        .map(|i| tail + i)
}

/// `-?(0|[1-9][0-9]{0,17})(\.[0-9]+)?`: a number serde_json always accepts (too
/// small to leave the range of an `f64`).
fn short_decimal(run: &[u8]) -> bool {
    let run = run.strip_prefix(b"-").unwrap_or(run);
    let int = run.iter().take_while(|c| c.is_ascii_digit()).count();
    let int_ok = int == 1 || (1..=18).contains(&int) && run[0] != b'0';
    let frac = &run[int..];
    int_ok
        && (frac.is_empty()
            || frac.len() > 1 && frac[0] == b'.' && frac[1..].iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(
        body: &'a str,
        names: &'a Bump,
        max_json_depth: usize,
        max_fields: usize,
    ) -> Fields<'a> {
        let limits = Limits {
            max_json_depth,
            max_fields,
            headers: vec![],
        };
        let mut out = Fields {
            list: Vec::new(),
            overflow: false,
            malformed_body: false,
        };
        extract_json(body.as_bytes(), &limits, names, &mut out);
        out
    }

    fn named(f: &Fields<'_>) -> Vec<(FieldKind, String, String)> {
        f.list
            .iter()
            .map(|x| (x.kind, x.name().0, x.value.to_string()))
            .collect()
    }

    #[test]
    fn each_copy_of_a_repeated_key_is_a_field() {
        let names = Bump::new();
        let f = fields(
            r#"{"q":"a","q":"b","r":{"s":"c","s":"d"}}"#,
            &names,
            32,
            100,
        );
        let values: Vec<_> = named(&f)
            .into_iter()
            .filter(|(k, _, _)| *k == FieldKind::BodyValue)
            .map(|(_, n, v)| (n, v))
            .collect();
        assert_eq!(
            values,
            [
                ("json.q".into(), "a".into()),
                ("json.q".into(), "b".into()),
                ("json.r.s".into(), "c".into()),
                ("json.r.s".into(), "d".into()),
            ]
        );
    }

    #[test]
    fn names_stop_growing_at_the_depth_limit() {
        let names = Bump::new();
        let f = fields(r#"{"a":{"b":{"c":{"d":"x"}}},"l":[["y"]]}"#, &names, 2, 100);
        assert_eq!(
            named(&f),
            [
                (FieldKind::BodyKey, "json.a".into(), "a".into()),
                (FieldKind::BodyKey, "json.a.b".into(), "b".into()),
                (FieldKind::BodyKey, "json.a.b".into(), "c".into()),
                (FieldKind::BodyKey, "json.a.b".into(), "d".into()),
                (FieldKind::BodyValue, "json.a.b".into(), "x".into()),
                (FieldKind::BodyKey, "json.l".into(), "l".into()),
                (FieldKind::BodyValue, "json.l".into(), "y".into()),
            ]
        );
    }

    #[test]
    fn escaped_strings_are_unescaped_and_plain_ones_borrowed() {
        let names = Bump::new();
        let f = fields(r#"{"k\u0027":"a\"b","plain":"text"}"#, &names, 32, 100);
        assert_eq!(f.list[0].value, "k'");
        assert_eq!(f.list[1].value, "a\"b");
        assert!(matches!(f.list[3].value, Cow::Borrowed("text")));
    }

    #[test]
    fn a_document_that_fails_late_yields_only_its_lenient_strings() {
        // `1e400` is out of range for serde_json, as it was for a `Value`.
        let names = Bump::new();
        let f = fields(r#"{"a":"x","b":1e400,"c":"y"}"#, &names, 32, 100);
        assert!(f.malformed_body);
        assert!(f.list.iter().all(|x| x.key.is_empty()));
        assert_eq!(f.list.len(), 5);
    }

    #[test]
    fn names_in_a_broken_document_are_keys_quoted_or_bare() {
        let names = Bump::new();
        let f = fields(
            r#"{user: {$nin: [""]}}, 'pw': {'$ne': "x"}"#,
            &names,
            32,
            100,
        );
        assert!(f.malformed_body);
        assert_eq!(
            named(&f)
                .into_iter()
                .map(|(k, _, v)| (k, v))
                .collect::<Vec<_>>(),
            [
                (FieldKind::BodyKey, "user".into()),
                (FieldKind::BodyKey, "$nin".into()),
                (FieldKind::BodyValue, "".into()),
                (FieldKind::BodyKey, "pw".into()),
                (FieldKind::BodyKey, "$ne".into()),
                (FieldKind::BodyValue, "x".into()),
            ]
        );
    }

    #[test]
    fn documents_parse_exactly_when_serde_json_parses_them() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let deep_objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let mut docs: Vec<String> = [
            r#"{"a":1}"#,
            r#" { "a" : [ 1 , 2.5 , -3e2 , true , false , null , "x" ] } "#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"[,1]"#,
            r#"{,}"#,
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            r#"{a:1}"#,
            r#"{"a":1}x"#,
            r#"{"a":1}}"#,
            "",
            "   ",
            "\u{feff}{}",
            r#""plain""#,
            "1",
            "-",
            "-0",
            "01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "1E-5",
            "1e400",
            "-1e400",
            "1e-400",
            "123456789012345678",
            "1234567890123456789012345678901234567890",
            &"9".repeat(400),
            "0.000000000000000000000000000000000001",
            "1.5.3",
            "1+2",
            "[1-2]",
            "nul",
            "nulll",
            "True",
            r#"["a\"b\\c\/d\b\f\n\r\t"]"#,
            r#"["\u0041\u00e9\u20AC"]"#,
            r#"["\ud83d\ude00"]"#,
            r#"["\ud83d"]"#,
            r#"["\ud83dx"]"#,
            r#"["\ud83d\n"]"#,
            r#"["\ud83d\u0041"]"#,
            r#"["\ude00"]"#,
            r#"["\u12"]"#,
            r#"["\u12G4"]"#,
            r#"["\x41"]"#,
            "[\"tab\there\"]",
            "[\"nul\u{0}\"]",
            "[\"caf\u{e9}\"]",
            r#"["unterminated"#,
            r#"{"k\u0027":"a\"b","plain":"text"}"#,
        ]
        .iter()
        .map(|d| d.to_string())
        .collect();
        for n in [126, 127, 128, 129] {
            docs.push(deep(n));
            docs.push(deep_objects(n));
        }
        for doc in &docs {
            let serde = serde_json::from_str::<serde_json::Value>(doc).is_ok();
            let limits = Limits {
                max_json_depth: 32,
                max_fields: 1000,
                headers: vec![],
            };
            let names = Bump::new();
            let mut out = Fields {
                list: Vec::new(),
                overflow: false,
                malformed_body: false,
            };
            assert_eq!(
                push_parsed(doc.as_bytes(), &limits, &names, &mut out),
                serde,
                "{doc:?}"
            );
        }
    }

    /// Every key and string of a serde_json value, in no particular order.
    fn strings_of(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    strings_of(v, out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn mutated_documents_parse_and_decode_as_serde_json_does() {
        use rand::{Rng, SeedableRng, rngs::StdRng};
        let seeds = [
            r#"{"user":{"name":"A\u00e9 \"b\"","tags":["x","y\\z"],"age":31,"ok":true,"n":null},"q":"1' or 1=1--"}"#,
            r#"[{"a":[1,2.5e-3,-0,{"b":"\ud83d\ude00"}]},"tail\n",false]"#,
            r#"{"$where":"sleep(1)","k":{"k":{"k":["\u0027",""]}}}"#,
        ];
        let pieces = [
            "\"", "\\", "{", "}", "[", "]", ":", ",", "\\u", "d83d", "e", "-", ".", " ", "null",
            "\u{0}",
        ];
        let mut rng = StdRng::seed_from_u64(0x6a73_6f6e);
        let limits = Limits {
            max_json_depth: 256,
            max_fields: 100_000,
            headers: vec![],
        };
        let boundary = |doc: &str, mut at: usize, up: bool| {
            while !doc.is_char_boundary(at) {
                if up { at += 1 } else { at -= 1 }
            }
            at
        };
        let mut accepted = 0;
        for round in 0..20_000 {
            let mut doc = seeds[round % seeds.len()].to_string();
            for _ in 0..rng.random_range(1..4) {
                let at = boundary(&doc, rng.random_range(0..=doc.len()), false);
                let piece = pieces[rng.random_range(0..pieces.len())];
                match rng.random_range(0..3) {
                    0 => doc.insert_str(at, piece),
                    n => {
                        let len = if n == 1 { rng.random_range(1..4) } else { 1 };
                        let end = boundary(&doc, (at + len).min(doc.len()), true);
                        doc.replace_range(at..end, if n == 1 { "" } else { piece });
                    }
                }
            }
            let theirs = serde_json::from_str::<serde_json::Value>(&doc);
            let names = Bump::new();
            let mut out = Fields {
                list: Vec::new(),
                overflow: false,
                malformed_body: false,
            };
            let ours = push_parsed(doc.as_bytes(), &limits, &names, &mut out);
            assert_eq!(ours, theirs.is_ok(), "acceptance differs on {doc:?}");
            if let Ok(value) = theirs {
                accepted += 1;
                let seen: std::collections::HashSet<String> =
                    out.list.iter().map(|f| f.value.to_string()).collect();
                let mut want = Vec::new();
                strings_of(&value, &mut want);
                for s in want {
                    assert!(seen.contains(&s), "{s:?} of {doc:?} is not a field");
                }
            }
        }
        // Both outcomes are exercised: mutants that still parse, and broken ones.
        assert!((2_000..18_000).contains(&accepted), "{accepted} accepted");
    }

    #[test]
    fn escapes_are_decoded_as_serde_json_decodes_them() {
        let doc = r#"{"k":["a\"b\\c\/d\b\f\n\r\t","\u0041\u00e9\u20AC","\ud83d\ude00"]}"#;
        let names = Bump::new();
        let f = fields(doc, &names, 32, 100);
        let ours: Vec<String> = f.list[1..].iter().map(|x| x.value.to_string()).collect();
        let theirs: Vec<String> = serde_json::from_str::<
            std::collections::HashMap<String, Vec<String>>,
        >(doc)
        .unwrap()["k"]
            .clone();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn the_first_quote_backslash_or_control_byte_is_found() {
        let naive = |b: &[u8]| b.iter().position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f));
        let mut cases: Vec<Vec<u8>> = vec![b"".to_vec(), b"abc".to_vec()];
        for len in 0..20 {
            for at in 0..len {
                for c in [b'"', b'\\', 0, 0x1f, b'\n'] {
                    let mut v: Vec<u8> = (0..len).map(|i| b"ab\xc3\xa9 ~\x7f!"[i % 8]).collect();
                    v[at] = c;
                    if at + 1 < len {
                        v[at + 1] = b'"';
                    }
                    cases.push(v);
                }
            }
        }
        for v in cases {
            assert_eq!(special(&v), naive(&v), "{v:?}");
        }
    }

    #[test]
    fn fields_beyond_the_limit_set_overflow() {
        let names = Bump::new();
        let f = fields(r#"{"a":"1","b":"2","c":"3"}"#, &names, 32, 4);
        assert_eq!(f.list.len(), 4);
        assert!(f.overflow);
        let names = Bump::new();
        let f = fields(r#"{"a":"1","b":"2"}"#, &names, 32, 4);
        assert!(!f.overflow);
    }
}

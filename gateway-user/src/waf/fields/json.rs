//! JSON bodies: every key and string value becomes a field, named by its path
//! (`json.user.name`; arrays keep the parent's path).
//!
//! Fields are pushed while serde parses the document: no `serde_json::Value` tree is
//! built, and strings without escapes borrow from the body. Every member of an object
//! is seen, so a repeated key (`{"q":"benign","q":"' or 1=1--"}`) has each of its
//! values inspected — a back end may read either copy. A document that does not parse
//! (malformed, truncated, too deep for serde) has its string literals scanned
//! leniently instead.
use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Field, FieldKind, Fields, Limits};

/// Pushes the fields of a JSON document. On a parse error nothing is pushed and
/// `false` is returned (the fields pushed so far are taken back).
pub(super) fn push_parsed<'a>(body: &'a [u8], limits: &Limits, out: &mut Fields<'a>) -> bool {
    let (len, overflow) = (out.list.len(), out.overflow);
    // A body that is UTF-8 as a whole (nearly all) is checked once, not string by
    // string; the parse is the same either way.
    let parsed = match std::str::from_utf8(body) {
        Ok(text) => walk(serde_json::Deserializer::from_str(text), limits, out),
        Err(_) => walk(serde_json::Deserializer::from_slice(body), limits, out),
    };
    if !parsed {
        out.list.truncate(len);
        out.overflow = overflow;
    }
    parsed
}

/// Parses a whole document with `de`, pushing its fields; false on a parse error.
fn walk<'a, R: serde_json::de::Read<'a>>(
    mut de: serde_json::Deserializer<R>,
    limits: &Limits,
    out: &mut Fields<'a>,
) -> bool {
    let walker = Node {
        out,
        limits,
        path: &mut String::new(),
        top: None,
        depth: 0,
    };
    walker.deserialize(&mut de).and_then(|()| de.end()).is_ok()
}

/// Pushes the fields of a JSON body, falling back to a lenient scan of its strings.
pub(super) fn extract_json<'a>(body: &'a [u8], limits: &Limits, out: &mut Fields<'a>) {
    if push_parsed(body, limits, out) {
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

/// One JSON value at a path and depth. `path` is shared by the whole walk: a
/// member appends its name and takes it off again when done.
struct Node<'w, 'a> {
    out: &'w mut Fields<'a>,
    limits: &'w Limits,
    path: &'w mut String,
    /// The path when it is one name borrowed from the body (top-level members,
    /// the common case), so their fields need no copy of it.
    top: Option<&'a str>,
    depth: usize,
}

impl<'w, 'a> Node<'w, 'a> {
    /// The current path as a field key.
    fn key(&self) -> Cow<'a, str> {
        match self.top {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(self.path.clone()),
        }
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
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for Node<'_, 'a> {
    type Value = ();

    // Numbers, booleans and nulls go through `deserialize_any` too, so a document
    // parses (or fails, e.g. on `1e400`) exactly as it would into a `Value`.
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Node<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(mut self, v: &'de str) -> Result<(), E> {
        let key = self.key();
        self.push(FieldKind::BodyValue, key, Cow::Borrowed(v));
        Ok(())
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        let key = self.key();
        self.push(FieldKind::BodyValue, key, Cow::Owned(v.to_owned()));
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Items keep the array's path, one level deeper.
        let depth = self.depth + 1;
        while seq
            .next_element_seed(Node {
                out: &mut *self.out,
                limits: self.limits,
                path: &mut *self.path,
                top: self.top,
                depth,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let parent_len = self.path.len();
        while let Some(name) = map.next_key_seed(Name)? {
            // Beyond `max_json_depth` members keep their parent's name.
            let named = self.depth < self.limits.max_json_depth;
            if named {
                if !self.path.is_empty() {
                    self.path.push('.');
                }
                self.path.push_str(&name);
            }
            let top = match &name {
                Cow::Borrowed(n) if named && parent_len == 0 => Some(*n),
                _ if named => None,
                _ => self.top,
            };
            let mut member = Node {
                out: &mut *self.out,
                limits: self.limits,
                path: &mut *self.path,
                top,
                depth: self.depth + 1,
            };
            let key = member.key();
            member.push(FieldKind::BodyKey, key, name);
            map.next_value_seed(member)?;
            self.path.truncate(parent_len);
        }
        Ok(())
    }
}

/// An object member's name, borrowed from the body when it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str, max_json_depth: usize, max_fields: usize) -> Fields<'_> {
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
        extract_json(body.as_bytes(), &limits, &mut out);
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
        let f = fields(r#"{"q":"a","q":"b","r":{"s":"c","s":"d"}}"#, 32, 100);
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
        let f = fields(r#"{"a":{"b":{"c":{"d":"x"}}},"l":[["y"]]}"#, 2, 100);
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
        let f = fields(r#"{"k\u0027":"a\"b","plain":"text"}"#, 32, 100);
        assert_eq!(f.list[0].value, "k'");
        assert_eq!(f.list[1].value, "a\"b");
        assert!(matches!(f.list[3].value, Cow::Borrowed("text")));
    }

    #[test]
    fn a_document_that_fails_late_yields_only_its_lenient_strings() {
        // `1e400` is out of range for serde_json, as it was for a `Value`.
        let f = fields(r#"{"a":"x","b":1e400,"c":"y"}"#, 32, 100);
        assert!(f.malformed_body);
        assert!(f.list.iter().all(|x| x.key.is_empty()));
        assert_eq!(f.list.len(), 5);
    }

    #[test]
    fn names_in_a_broken_document_are_keys_quoted_or_bare() {
        let f = fields(r#"{user: {$nin: [""]}}, 'pw': {'$ne': "x"}"#, 32, 100);
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
    fn fields_beyond_the_limit_set_overflow() {
        let f = fields(r#"{"a":"1","b":"2","c":"3"}"#, 32, 4);
        assert_eq!(f.list.len(), 4);
        assert!(f.overflow);
        let f = fields(r#"{"a":"1","b":"2"}"#, 32, 4);
        assert!(!f.overflow);
    }
}

//! Extraction of the inspectable fields of a request: method, path, query arguments,
//! headers, cookies and bodies (form, JSON, multipart, XML, text).
//!
//! Values borrow from the request when no decoding is needed. Field names are only
//! formatted into strings when a rule fires (see [`Field::name`]).
use std::borrow::Cow;
use std::fmt;

use bumpalo::Bump;

mod body;
mod json;

use super::request::RequestView;
use super::transform::url_decode_once;
use body::extract_body;

/// Where a field comes from; rules target sets of kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum FieldKind {
    /// The request method.
    Method = 1,
    /// The raw path (still encoded).
    Path = 1 << 1,
    /// One segment of the raw path.
    PathSegment = 1 << 2,
    /// A query, form or multipart argument name.
    ArgName = 1 << 3,
    /// A query, form or multipart argument value.
    ArgValue = 1 << 4,
    /// An inspected header value.
    Header = 1 << 5,
    /// A cookie value.
    Cookie = 1 << 6,
    /// A JSON object key.
    BodyKey = 1 << 7,
    /// A JSON string, XML text or attribute, or a text body.
    BodyValue = 1 << 8,
    /// A multipart file name.
    FileName = 1 << 9,
    /// A whole XML body (for DOCTYPE/ENTITY rules).
    XmlRaw = 1 << 10,
    /// The client address (custom `ip_match` rules only).
    ClientIp = 1 << 11,
}

impl FieldKind {
    /// The kind as a bit for target masks.
    pub fn bit(self) -> u16 {
        self as u16
    }
}

/// The name of a field as logged and as used in exclusions: `args.q`, `json.user.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldName(pub String);

impl FieldName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One inspectable value.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// Where it comes from.
    pub kind: FieldKind,
    /// Name prefix: `args`, `args_names`, `json`, `header`, `cookie`, `path`, ...
    pub prefix: &'static str,
    /// Key under the prefix (empty for `path`, `method`, `body`, `xml`).
    pub key: Cow<'a, str>,
    /// The value, decoded once from its container (form decoding, JSON unescaping).
    pub value: Cow<'a, str>,
}

impl Field<'_> {
    /// The full field name.
    pub fn name(&self) -> FieldName {
        if self.key.is_empty() {
            FieldName(self.prefix.to_string())
        } else {
            FieldName(format!("{}.{}", self.prefix, self.key))
        }
    }

    /// True when the name matches an exclusion selector (exact, or prefix ending in `*`).
    pub fn name_matches(&self, selector: &str) -> bool {
        let (pat, wildcard) = match selector.strip_suffix('*') {
            Some(p) => (p, true),
            None => (selector, false),
        };
        let full_len = self.prefix.len()
            + if self.key.is_empty() {
                0
            } else {
                1 + self.key.len()
            };
        if !wildcard && full_len != pat.len() {
            return false;
        }
        // Compare without formatting the name.
        let mut parts = [self.prefix, ".", self.key.as_ref()];
        if self.key.is_empty() {
            parts[1] = "";
        }
        let mut rest = pat;
        for part in parts {
            if rest.len() <= part.len() {
                return part.starts_with(rest) && (wildcard || rest.len() == part.len());
            }
            if !rest.starts_with(part) {
                return false;
            }
            rest = &rest[part.len()..];
        }
        rest.is_empty()
    }
}

/// Limits that bound extraction.
#[derive(Debug, Clone)]
pub struct Limits {
    /// JSON depth up to which names grow.
    pub max_json_depth: usize,
    /// Maximum number of fields.
    pub max_fields: usize,
    /// Extra headers to inspect (lowercase).
    pub headers: Vec<String>,
}

/// The fields of one request.
pub struct Fields<'a> {
    /// The fields in inspection order.
    pub list: Vec<Field<'a>>,
    /// True when `max_fields` was reached and some fields were not extracted.
    pub overflow: bool,
    /// True when a JSON or XML body did not parse (it was scanned leniently instead).
    pub malformed_body: bool,
}

impl<'a> Fields<'a> {
    fn push(&mut self, max: usize, f: Field<'a>) {
        if self.list.len() >= max {
            self.overflow = true;
        } else {
            self.list.push(f);
        }
    }
}

/// Header bytes as text, invalid UTF-8 replaced. Valid text (nearly all) goes
/// through the validator's ASCII fast path rather than the lossy decoder's.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Form decoding of one component: `+` is a space, `%XX` is decoded once.
fn form_decode(s: &str) -> Cow<'_, str> {
    if s.contains('+') {
        let spaced = s.replace('+', " ");
        Cow::Owned(url_decode_once(&spaced).into_owned())
    } else {
        url_decode_once(s)
    }
}

/// Extracts every inspectable field; `body` is the (possibly cut) body to inspect.
/// Names built from parts (nested JSON paths) are copied into `names`, one arena
/// for the request rather than one allocation per field.
pub fn extract<'a>(
    view: &RequestView<'a>,
    body: Option<&'a [u8]>,
    limits: &Limits,
    names: &'a Bump,
) -> Fields<'a> {
    // About one field per 16 body bytes (JSON keys and values), so the list is
    // not regrown field by field.
    let guess = 16 + body.map_or(0, |b| b.len() / 16);
    let mut out = Fields {
        list: Vec::with_capacity(guess.min(limits.max_fields)),
        overflow: false,
        malformed_body: false,
    };
    let max = limits.max_fields;
    out.push(
        max,
        Field {
            kind: FieldKind::Method,
            prefix: "method",
            key: Cow::Borrowed(""),
            value: Cow::Borrowed(view.method),
        },
    );
    out.push(
        max,
        Field {
            kind: FieldKind::Path,
            prefix: "path",
            key: Cow::Borrowed(""),
            value: Cow::Borrowed(view.raw_path),
        },
    );
    for seg in view.raw_path.split('/') {
        if !seg.is_empty()
            && !seg
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~'))
        {
            out.push(
                max,
                Field {
                    kind: FieldKind::PathSegment,
                    prefix: "path",
                    key: Cow::Borrowed(""),
                    value: url_decode_once(seg),
                },
            );
        }
    }
    if let Some(q) = view.query {
        extract_form(q, &mut out, max);
    }
    for (name, value) in view.headers.iter() {
        let n = name.as_str();
        let wanted = n == "user-agent" || n == "referer" || limits.headers.iter().any(|h| h == n);
        if wanted {
            let mut value = text(value.as_bytes());
            if n == "referer" {
                push_referer_args(&value, &mut out, max);
                let host = view.headers.get(http::header::HOST).map(|h| h.as_bytes());
                if let Some(path) = own_origin_path(&value, host) {
                    value = Cow::Owned(path.to_owned());
                }
            }
            out.push(
                max,
                Field {
                    kind: FieldKind::Header,
                    prefix: "header",
                    key: Cow::Borrowed(n),
                    value,
                },
            );
        } else if n == "cookie" {
            let raw = text(value.as_bytes());
            extract_cookies(raw, &mut out, max);
        }
    }
    if let Some(body) = body.filter(|b| !b.is_empty()) {
        extract_body(view.content_type, body, limits, names, &mut out);
    }
    out
}

pub(super) fn extract_form<'a>(q: &'a str, out: &mut Fields<'a>, max: usize) {
    for pair in q.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = form_decode(k);
        out.push(
            max,
            Field {
                kind: FieldKind::ArgName,
                prefix: "args_names",
                key: key.clone(),
                value: key.clone(),
            },
        );
        out.push(
            max,
            Field {
                kind: FieldKind::ArgValue,
                prefix: "args",
                key,
                value: form_decode(v),
            },
        );
    }
}

/// The path of a Referer URL on the request's own host (`Host: 127.0.0.1:8080`,
/// `Referer: http://127.0.0.1:8080/items?id=1` gives `/items?id=1`): a page of
/// the site itself, whose scheme and host are no payload. An address in them
/// would otherwise read as a URL to an internal host (931101, 931172) on every
/// link followed on a site served from an IP address or `localhost`.
fn own_origin_path<'v>(referer: &'v str, host: Option<&[u8]>) -> Option<&'v str> {
    let host = host?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    (!authority.is_empty()
        && !authority.contains('@')
        && authority.as_bytes().eq_ignore_ascii_case(host))
    .then(|| &rest[end..])
}

/// The query arguments of a Referer URL, each name and value a `header.referer`
/// field of its own: a payload in the page's query is read the way it would be
/// in ours, from its own first character, not from the middle of a URL.
fn push_referer_args<'a>(referer: &str, out: &mut Fields<'a>, max: usize) {
    let Some((_, query)) = referer.split_once('?') else {
        return;
    };
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        // Named as the header, judged as the argument name or value it is (a
        // short plain token, `page=2`, costs nothing).
        for (kind, part) in [(FieldKind::ArgName, name), (FieldKind::ArgValue, value)] {
            if !part.is_empty() {
                out.push(
                    max,
                    Field {
                        kind,
                        prefix: "header",
                        key: Cow::Borrowed("referer"),
                        value: Cow::Owned(form_decode(part).into_owned()),
                    },
                );
            }
        }
    }
}

fn extract_cookies<'a>(raw: Cow<'a, str>, out: &mut Fields<'a>, max: usize) {
    match raw {
        // A header that is UTF-8 (nearly all): names and values borrow from it.
        Cow::Borrowed(raw) => push_cookies(raw, out, max, Cow::Borrowed),
        // Cookie values are few and short; owning them keeps the borrow simple.
        Cow::Owned(raw) => push_cookies(&raw, out, max, |s| Cow::Owned(s.to_string())),
    }
}

/// The cookies of `raw`, each part turned into a field's text by `text`.
fn push_cookies<'r, 'a>(
    raw: &'r str,
    out: &mut Fields<'a>,
    max: usize,
    text: impl Fn(&'r str) -> Cow<'a, str>,
) {
    for pair in raw.split(';') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push(
            max,
            Field {
                kind: FieldKind::ArgName,
                prefix: "cookie_names",
                key: text(k),
                value: text(k),
            },
        );
        let value = match url_decode_once(v) {
            Cow::Borrowed(v) => text(v),
            Cow::Owned(v) => Cow::Owned(v),
        };
        out.push(
            max,
            Field {
                kind: FieldKind::Cookie,
                prefix: "cookie",
                key: text(k),
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_json_depth: 32,
            max_fields: 100,
            headers: vec![],
        }
    }

    fn names_values(f: &Fields<'_>, kind: FieldKind) -> Vec<(String, String)> {
        f.list
            .iter()
            .filter(|x| x.kind == kind)
            .map(|x| (x.name().0, x.value.to_string()))
            .collect()
    }

    #[test]
    fn query_arguments_are_form_decoded_with_names() {
        let h = http::HeaderMap::new();
        let v = RequestView::get("/s", Some("q=a+b%27c&x[%24ne]=1"), &h);
        let names = Bump::new();
        let f = extract(&v, None, &limits(), &names);
        let args = names_values(&f, FieldKind::ArgValue);
        assert_eq!(args[0], ("args.q".into(), "a b'c".into()));
        assert!(
            f.list
                .iter()
                .any(|x| x.kind == FieldKind::ArgName && x.value == "x[$ne]")
        );
    }

    #[test]
    fn headers_and_cookies_are_inspected() {
        let mut h = http::HeaderMap::new();
        h.insert("user-agent", "sqlmap/1.7".parse().unwrap());
        h.insert("cookie", "session=abc; pref=%27x".parse().unwrap());
        h.insert("x-other", "ignored".parse().unwrap());
        let v = RequestView::get("/", None, &h);
        let names = Bump::new();
        let f = extract(&v, None, &limits(), &names);
        assert_eq!(
            names_values(&f, FieldKind::Header),
            vec![("header.user-agent".into(), "sqlmap/1.7".into())]
        );
        assert!(names_values(&f, FieldKind::Cookie).contains(&("cookie.pref".into(), "'x".into())));
    }

    #[test]
    fn json_bodies_yield_keys_and_string_values_with_paths() {
        let h = http::HeaderMap::new();
        let mut v = RequestView::get("/", None, &h);
        v.content_type = Some("application/json");
        let body = br#"{"user":{"name":"x' or 1=1--","tags":["a","b"]},"q":{"$ne":1}}"#;
        let names = Bump::new();
        let f = extract(&v, Some(body), &limits(), &names);
        let vals = names_values(&f, FieldKind::BodyValue);
        assert!(vals.contains(&("json.user.name".into(), "x' or 1=1--".into())));
        assert!(vals.contains(&("json.user.tags".into(), "b".into())));
        assert!(
            names_values(&f, FieldKind::BodyKey).contains(&("json.q.$ne".into(), "$ne".into()))
        );
    }

    #[test]
    fn a_referers_query_values_are_inspected_one_by_one_under_its_name() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "referer",
            "https://shop.example/s?page=2&q=1%27+or+%271%27%3D%271&empty=#frag=x"
                .parse()
                .unwrap(),
        );
        let v = RequestView::get("/", None, &h);
        let names = Bump::new();
        let f = extract(&v, None, &limits(), &names);
        let args = names_values(&f, FieldKind::ArgValue);
        assert!(args.contains(&("header.referer".into(), "1' or '1'='1".into())));
        assert!(args.contains(&("header.referer".into(), "2".into())));
        assert_eq!(
            args.len(),
            2,
            "no field for an empty value or the fragment: {args:?}"
        );
        let names = names_values(&f, FieldKind::ArgName);
        assert_eq!(names.len(), 3, "page, q, empty: {names:?}");
        assert!(names.iter().all(|(n, _)| n == "header.referer"));
        let whole = names_values(&f, FieldKind::Header);
        assert!(
            whole
                .iter()
                .any(|(n, v)| n == "header.referer" && v.starts_with("https://shop.example/s?")),
            "the whole URL is still a field: {whole:?}"
        );
    }

    #[test]
    fn a_referer_on_the_requests_own_host_is_read_from_its_path() {
        let whole = |host: Option<&str>, referer: &str| {
            let mut h = http::HeaderMap::new();
            if let Some(host) = host {
                h.insert("host", host.parse().unwrap());
            }
            h.insert("referer", referer.parse().unwrap());
            let v = RequestView::get("/", None, &h);
            let names = Bump::new();
            let f = extract(&v, None, &limits(), &names);
            names_values(&f, FieldKind::Header)
                .into_iter()
                .find(|(n, _)| n == "header.referer")
                .map(|(_, v)| v)
                .unwrap()
        };
        let own = "http://127.0.0.1:8080/items?id=1";
        assert_eq!(whole(Some("127.0.0.1:8080"), own), "/items?id=1");
        assert_eq!(whole(Some("LOCALHOST"), "https://localhost"), "");
        // Another host, a port of its own, user info or no Host: the whole URL.
        assert_eq!(whole(Some("127.0.0.1"), own), own);
        assert_eq!(whole(Some("shop.example"), own), own);
        assert_eq!(whole(None, own), own);
        let userinfo = "http://shop.example@127.0.0.1/";
        assert_eq!(whole(Some("127.0.0.1"), userinfo), userinfo);
    }

    #[test]
    fn malformed_json_is_scanned_leniently() {
        let h = http::HeaderMap::new();
        let mut v = RequestView::get("/", None, &h);
        v.content_type = Some("application/json");
        let names = Bump::new();
        let f = extract(
            &v,
            Some(br#"{"a": "<script>alert(1)</script>", "b": "trunc"#),
            &limits(),
            &names,
        );
        assert!(f.malformed_body);
        assert!(
            f.list
                .iter()
                .any(|x| x.value == "<script>alert(1)</script>")
        );
        assert!(f.list.iter().any(|x| x.value == "trunc"));
    }

    #[test]
    fn multipart_yields_fields_and_file_names_but_not_file_content() {
        let h = http::HeaderMap::new();
        let mut v = RequestView::get("/", None, &h);
        v.content_type = Some("multipart/form-data; boundary=XyZ");
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhello ' union select 1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"../../x.php\"\r\nContent-Type: application/octet-stream\r\n\r\nBINARY<script>\r\n--XyZ--\r\n";
        let names = Bump::new();
        let f = extract(&v, Some(body), &limits(), &names);
        assert!(
            names_values(&f, FieldKind::ArgValue)
                .contains(&("args.comment".into(), "hello ' union select 1".into()))
        );
        assert_eq!(
            names_values(&f, FieldKind::FileName),
            vec![("files.up".into(), "../../x.php".into())]
        );
        assert!(!f.list.iter().any(|x| x.value.contains("BINARY")));
    }

    #[test]
    fn xml_yields_the_raw_body_text_nodes_and_attributes() {
        let h = http::HeaderMap::new();
        let mut v = RequestView::get("/", None, &h);
        v.content_type = Some("application/xml");
        let names = Bump::new();
        let f = extract(
            &v,
            Some(b"<a id=\"7\"><b>hi</b><c><![CDATA[x<y]]></c></a>"),
            &limits(),
            &names,
        );
        assert_eq!(
            f.list
                .iter()
                .filter(|x| x.kind == FieldKind::XmlRaw)
                .count(),
            1
        );
        let vals = names_values(&f, FieldKind::BodyValue);
        assert!(vals.contains(&("xml.a".into(), "7".into())));
        assert!(vals.contains(&("xml.b".into(), "hi".into())));
        assert!(vals.contains(&("xml.c".into(), "x<y".into())));
    }

    #[test]
    fn field_count_is_bounded() {
        let h = http::HeaderMap::new();
        let q = "a=1&".repeat(500);
        let v = RequestView::get("/", Some(&q), &h);
        let names = Bump::new();
        let f = extract(&v, None, &limits(), &names);
        assert_eq!(f.list.len(), 100);
        assert!(f.overflow);
    }

    #[test]
    fn names_match_exact_and_wildcard_selectors() {
        let f = Field {
            kind: FieldKind::BodyValue,
            prefix: "json",
            key: Cow::Borrowed("user.name"),
            value: Cow::Borrowed(""),
        };
        assert!(f.name_matches("json.user.name"));
        assert!(f.name_matches("json.user.*"));
        assert!(f.name_matches("json*"));
        assert!(!f.name_matches("json.user"));
        assert!(!f.name_matches("json.user.names"));
        let p = Field {
            kind: FieldKind::Path,
            prefix: "path",
            key: Cow::Borrowed(""),
            value: Cow::Borrowed(""),
        };
        assert!(p.name_matches("path"));
        assert!(!p.name_matches("path.x"));
    }
}

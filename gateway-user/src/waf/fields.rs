//! Extraction of the inspectable fields of a request: method, path, query arguments,
//! headers, cookies and bodies (form, JSON, multipart, XML, text).
//!
//! Values borrow from the request when no decoding is needed. Field names are only
//! formatted into strings when a rule fires (see [`Field::name`]).
use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use super::request::RequestView;
use super::transform::url_decode_once;

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
pub fn extract<'a>(view: &RequestView<'a>, body: Option<&'a [u8]>, limits: &Limits) -> Fields<'a> {
    let mut out = Fields {
        list: Vec::with_capacity(16),
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
            out.push(
                max,
                Field {
                    kind: FieldKind::Header,
                    prefix: "header",
                    key: Cow::Borrowed(n),
                    value: String::from_utf8_lossy(value.as_bytes()),
                },
            );
        } else if n == "cookie" {
            let raw = String::from_utf8_lossy(value.as_bytes());
            extract_cookies(raw, &mut out, max);
        }
    }
    if let Some(body) = body.filter(|b| !b.is_empty()) {
        extract_body(view.content_type, body, limits, &mut out);
    }
    out
}

fn extract_form<'a>(q: &'a str, out: &mut Fields<'a>, max: usize) {
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

fn extract_cookies<'a>(raw: Cow<'a, str>, out: &mut Fields<'a>, max: usize) {
    // Cookie values are few and short; owning them keeps the borrow simple.
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
                key: Cow::Owned(k.to_string()),
                value: Cow::Owned(k.to_string()),
            },
        );
        out.push(
            max,
            Field {
                kind: FieldKind::Cookie,
                prefix: "cookie",
                key: Cow::Owned(k.to_string()),
                value: Cow::Owned(url_decode_once(v).into_owned()),
            },
        );
    }
}

fn extract_body<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    limits: &Limits,
    out: &mut Fields<'a>,
) {
    let original_ct = content_type.unwrap_or("");
    let ct = original_ct.to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim();
    let max = limits.max_fields;
    if mime == "application/x-www-form-urlencoded" {
        let text = String::from_utf8_lossy(body);
        match text {
            Cow::Borrowed(t) => extract_form(t, out, max),
            Cow::Owned(t) => {
                // Rare (invalid UTF-8 in a form): inspect the lossy text as one value.
                out.push(
                    max,
                    Field {
                        kind: FieldKind::BodyValue,
                        prefix: "body",
                        key: Cow::Borrowed(""),
                        value: Cow::Owned(t),
                    },
                );
            }
        }
    } else if mime.starts_with("multipart/") {
        match boundary(original_ct) {
            Some(b) => extract_multipart(body, &b, out, max),
            None => push_text(body, out, max),
        }
    } else if mime.ends_with("json") || mime.ends_with("+json") {
        extract_json(body, limits, out);
    } else if mime.ends_with("/xml") || mime.ends_with("+xml") {
        extract_xml(body, out, max);
    } else {
        // Text or unknown: the back end may still parse it, so look at it whole,
        // and walk it as JSON when it looks like JSON.
        let trimmed = body
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .map(|p| body[p]);
        if matches!(trimmed, Some(b'{') | Some(b'['))
            && let Ok(v) = serde_json::from_slice::<Value>(body)
        {
            walk_json(&v, limits, out);
            return;
        }
        if matches!(trimmed, Some(b'<'))
            && (body
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"<!doctype"))
                || body.starts_with(b"<?xml"))
        {
            extract_xml(body, out, max);
            return;
        }
        push_text(body, out, max);
    }
}

fn push_text<'a>(body: &'a [u8], out: &mut Fields<'a>, max: usize) {
    out.push(
        max,
        Field {
            kind: FieldKind::BodyValue,
            prefix: "body",
            key: Cow::Borrowed(""),
            value: String::from_utf8_lossy(body),
        },
    );
}

fn extract_json<'a>(body: &'a [u8], limits: &Limits, out: &mut Fields<'a>) {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => walk_json(&v, limits, out),
        Err(_) => {
            // Malformed, truncated, or too deep for serde: scan its strings leniently.
            out.malformed_body = true;
            for s in lenient_json_strings(body) {
                out.push(
                    limits.max_fields,
                    Field {
                        kind: FieldKind::BodyValue,
                        prefix: "json",
                        key: Cow::Borrowed(""),
                        value: Cow::Owned(s),
                    },
                );
            }
        }
    }
}

fn walk_json<'a>(root: &Value, limits: &Limits, out: &mut Fields<'a>) {
    let mut stack: Vec<(String, &Value, usize)> = vec![(String::new(), root, 0)];
    while let Some((path, v, depth)) = stack.pop() {
        if out.list.len() >= limits.max_fields {
            out.overflow = true;
            return;
        }
        match v {
            Value::String(s) => out.push(
                limits.max_fields,
                Field {
                    kind: FieldKind::BodyValue,
                    prefix: "json",
                    key: Cow::Owned(path),
                    value: Cow::Owned(s.clone()),
                },
            ),
            Value::Array(items) => {
                for item in items.iter().rev() {
                    stack.push((path.clone(), item, depth + 1));
                }
            }
            Value::Object(map) => {
                let entries: Vec<_> = map.iter().collect();
                for (k, child) in entries.into_iter().rev() {
                    let child_path = if depth >= limits.max_json_depth {
                        path.clone()
                    } else if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push(
                        limits.max_fields,
                        Field {
                            kind: FieldKind::BodyKey,
                            prefix: "json",
                            key: Cow::Owned(child_path.clone()),
                            value: Cow::Owned(k.clone()),
                        },
                    );
                    stack.push((child_path, child, depth + 1));
                }
            }
            _ => {}
        }
    }
}

/// Every string literal in text that is meant to be JSON, even when it does not parse.
pub fn lenient_json_strings(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() && out.len() < 4096 {
        if body[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < body.len() && body[j] != b'"' {
            j += if body[j] == b'\\' { 2 } else { 1 };
        }
        let raw = &body[start..j.min(body.len())];
        let text = String::from_utf8_lossy(raw);
        let quoted = format!("\"{text}\"");
        out.push(serde_json::from_str::<String>(&quoted).unwrap_or_else(|_| text.into_owned()));
        i = j + 1;
    }
    out
}

fn boundary(ct: &str) -> Option<String> {
    ct.split(';')
        .map(str::trim)
        .find_map(|p| {
            p.split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
                .map(|(_, v)| v)
        })
        .map(|b| b.trim().trim_matches('"').to_string())
}

/// `name="x"` or `name=x` from a Content-Disposition header.
fn disposition_param<'h>(header: &'h str, param: &str) -> Option<&'h str> {
    let lower = header.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(param) {
        let at = from + p;
        let before_ok = at == 0 || matches!(lower.as_bytes()[at - 1], b';' | b' ' | b'\t');
        let after = at + param.len();
        if before_ok && lower.as_bytes().get(after) == Some(&b'=') {
            let rest = &header[after + 1..];
            return Some(if let Some(r) = rest.strip_prefix('"') {
                r.find('"').map_or(r, |e| &r[..e])
            } else {
                rest.split(';').next().unwrap_or("").trim()
            });
        }
        from = after;
    }
    None
}

fn extract_multipart<'a>(body: &'a [u8], boundary: &str, out: &mut Fields<'a>, max: usize) {
    let delim = format!("--{boundary}");
    let d = delim.as_bytes();
    let mut positions = Vec::new();
    let mut i = 0;
    while i + d.len() <= body.len() {
        if &body[i..i + d.len()] == d {
            positions.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    if positions.is_empty() {
        push_text(body, out, max);
        return;
    }
    positions.push(body.len());
    for w in positions.windows(2) {
        let mut part = &body[w[0] + d.len()..w[1]];
        if part.starts_with(b"--") {
            break;
        }
        part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        part = part
            .strip_suffix(b"\r\n")
            .or_else(|| part.strip_suffix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n") {
            Some(p) => (&part[..p], &part[p + 4..]),
            None => match find(part, b"\n\n") {
                Some(p) => (&part[..p], &part[p + 2..]),
                None => (part, &part[part.len()..]),
            },
        };
        let head = String::from_utf8_lossy(head);
        let disp = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap_or("");
        let name = disposition_param(disp, "name").unwrap_or("").to_string();
        let filename =
            disposition_param(disp, "filename").or_else(|| disposition_param(disp, "filename*"));
        out.push(
            max,
            Field {
                kind: FieldKind::ArgName,
                prefix: "args_names",
                key: Cow::Owned(name.clone()),
                value: Cow::Owned(name.clone()),
            },
        );
        match filename {
            Some(f) => out.push(
                max,
                Field {
                    kind: FieldKind::FileName,
                    prefix: "files",
                    key: Cow::Owned(name),
                    value: Cow::Owned(f.to_string()),
                },
            ),
            None => out.push(
                max,
                Field {
                    kind: FieldKind::ArgValue,
                    prefix: "args",
                    key: Cow::Owned(name),
                    value: String::from_utf8_lossy(content),
                },
            ),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn extract_xml<'a>(body: &'a [u8], out: &mut Fields<'a>, max: usize) {
    let text = String::from_utf8_lossy(body);
    let mut values: Vec<(String, String)> = Vec::new();
    {
        let t = text.as_ref();
        let b = t.as_bytes();
        let mut i = 0;
        let mut current = String::new();
        while i < b.len() && values.len() < max {
            if b[i] != b'<' {
                let end = t[i..].find('<').map_or(b.len(), |p| i + p);
                let s = t[i..end].trim();
                if !s.is_empty() {
                    values.push((current.clone(), s.to_string()));
                }
                i = end;
                continue;
            }
            let rest = &t[i..];
            if rest.starts_with("<!--") {
                i = rest.find("-->").map_or(b.len(), |p| i + p + 3);
            } else if rest.starts_with("<![CDATA[") {
                let end = rest.find("]]>").map_or(b.len(), |p| i + p);
                values.push((current.clone(), t[i + 9..end].to_string()));
                i = (end + 3).min(b.len());
            } else if rest.starts_with("<!") || rest.starts_with("<?") {
                i = rest.find('>').map_or(b.len(), |p| i + p + 1);
            } else {
                let (tag_end, end) = rest
                    .find('>')
                    .map_or((b.len(), b.len()), |p| (i + p, i + p + 1));
                let tag = &t[i + 1..tag_end];
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
                    .collect();
                if !tag.starts_with('/') {
                    current = name.clone();
                    let mut rest = &tag[name.len().min(tag.len())..];
                    while let Some(eq) = rest.find('=') {
                        let after = rest[eq + 1..].trim_start();
                        let (v, consumed) = match after.chars().next() {
                            Some(q @ ('"' | '\'')) => {
                                let body = &after[1..];
                                let e = body.find(q).unwrap_or(body.len());
                                (&body[..e], e + 2)
                            }
                            _ => {
                                let e = after.find(char::is_whitespace).unwrap_or(after.len());
                                (&after[..e], e)
                            }
                        };
                        if !v.is_empty() {
                            values.push((name.clone(), v.to_string()));
                        }
                        let skip = rest.len() - after.len() + consumed.min(after.len());
                        rest = &rest[skip.min(rest.len())..];
                    }
                }
                i = end;
            }
        }
    }
    out.push(
        max,
        Field {
            kind: FieldKind::XmlRaw,
            prefix: "xml",
            key: Cow::Borrowed(""),
            value: text,
        },
    );
    for (k, v) in values {
        out.push(
            max,
            Field {
                kind: FieldKind::BodyValue,
                prefix: "xml",
                key: Cow::Owned(k),
                value: Cow::Owned(v),
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
        let f = extract(&v, None, &limits());
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
        let f = extract(&v, None, &limits());
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
        let f = extract(&v, Some(body), &limits());
        let vals = names_values(&f, FieldKind::BodyValue);
        assert!(vals.contains(&("json.user.name".into(), "x' or 1=1--".into())));
        assert!(vals.contains(&("json.user.tags".into(), "b".into())));
        assert!(
            names_values(&f, FieldKind::BodyKey).contains(&("json.q.$ne".into(), "$ne".into()))
        );
    }

    #[test]
    fn malformed_json_is_scanned_leniently() {
        let h = http::HeaderMap::new();
        let mut v = RequestView::get("/", None, &h);
        v.content_type = Some("application/json");
        let f = extract(
            &v,
            Some(br#"{"a": "<script>alert(1)</script>", "b": "trunc"#),
            &limits(),
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
        let f = extract(&v, Some(body), &limits());
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
        let f = extract(
            &v,
            Some(b"<a id=\"7\"><b>hi</b><c><![CDATA[x<y]]></c></a>"),
            &limits(),
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
        let f = extract(&v, None, &limits());
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

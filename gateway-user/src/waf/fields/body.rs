//! Body extraction: URL-encoded forms, JSON (see `json`), multipart (fields and file
//! names), XML (text and attributes), and text.
use std::borrow::Cow;

use bumpalo::Bump;

use super::json::{extract_json, push_parsed};
use super::{Field, FieldKind, Fields, Limits, extract_form};

pub(super) fn extract_body<'a>(
    content_type: Option<&str>,
    body: &'a [u8],
    limits: &Limits,
    names: &'a Bump,
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
        extract_json(body, limits, names, out);
    } else if mime.ends_with("/xml") || mime.ends_with("+xml") {
        extract_xml(body, out, max);
    } else {
        // Text or unknown: the back end may still parse it, so look at it whole,
        // and walk it as JSON when it looks like JSON.
        let trimmed = body
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .map(|p| body[p]);
        if matches!(trimmed, Some(b'{') | Some(b'[')) && push_parsed(body, limits, names, out) {
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

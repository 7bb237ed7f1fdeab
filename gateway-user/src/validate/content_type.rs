//! Media-type matching for `content_types`: `type/subtype` compared without case,
//! parameters (`charset=utf-8`, `boundary=…`) ignored, wildcards `*/*`, `text/*`
//! and structured-syntax suffixes `application/*+json`.

/// One allowed media type pattern, parsed once at config load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaRange {
    /// The pattern as written (shown to clients in 415 answers).
    pub text: String,
    kind: String,
    sub: SubPattern,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum SubPattern {
    Any,
    Exact(String),
    /// `*+json`: any subtype ending in `+json`.
    Suffix(String),
}

impl MediaRange {
    /// Parses a pattern such as `application/json` or `application/*+json`.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let (kind, sub) = essence(pattern).ok_or_else(|| {
            format!("`{pattern}` is not a media type: write `type/subtype`, e.g. application/json")
        })?;
        if kind == "*" && sub != "*" {
            return Err(format!(
                "`{pattern}`: a `*` type needs a `*` subtype (`*/*`)"
            ));
        }
        let sub = if sub == "*" {
            SubPattern::Any
        } else if let Some(suffix) = sub.strip_prefix('*') {
            if !suffix.starts_with('+') || suffix.len() < 2 || suffix.contains('*') {
                return Err(format!(
                    "`{pattern}`: a wildcard subtype is `*` or `*+suffix` (e.g. application/*+json)"
                ));
            }
            SubPattern::Suffix(suffix.to_string())
        } else if sub.contains('*') {
            return Err(format!("`{pattern}`: `*` only at the start of the subtype"));
        } else {
            SubPattern::Exact(sub.to_string())
        };
        Ok(MediaRange {
            text: pattern.trim().to_string(),
            kind: kind.to_string(),
            sub,
        })
    }

    /// Whether everything this pattern admits is JSON (`application/json`,
    /// `application/*+json`, `application/x+json`).
    pub fn is_json_only(&self) -> bool {
        self.kind == "application"
            && match &self.sub {
                SubPattern::Any => false,
                SubPattern::Exact(s) => s == "json" || s.ends_with("+json"),
                SubPattern::Suffix(s) => s == "+json",
            }
    }

    /// Whether this pattern admits exactly HTML form bodies
    /// (`application/x-www-form-urlencoded`), which a body schema can also check.
    pub fn is_form_only(&self) -> bool {
        self.kind == "application" && self.sub == SubPattern::Exact(FORM_SUBTYPE.to_string())
    }

    /// Whether a request's `Content-Type` value matches this pattern.
    pub fn matches(&self, content_type: &str) -> bool {
        let Some((kind, sub)) = essence(content_type) else {
            return false;
        };
        if self.kind != "*" && self.kind != kind {
            return false;
        }
        match &self.sub {
            SubPattern::Any => true,
            SubPattern::Exact(s) => *s == sub,
            SubPattern::Suffix(suffix) => {
                sub.len() > suffix.len() && sub.ends_with(suffix.as_str())
            }
        }
    }
}

/// Whether a `Content-Type` value says the body is JSON (`application/json`,
/// `application/…+json`), which is what a body schema needs.
pub fn is_json(content_type: &str) -> bool {
    match essence(content_type) {
        Some((kind, sub)) => kind == "application" && (sub == "json" || sub.ends_with("+json")),
        None => false,
    }
}

/// The subtype of `application/x-www-form-urlencoded`.
const FORM_SUBTYPE: &str = "x-www-form-urlencoded";

/// Whether a `Content-Type` value says the body is an HTML form
/// (`application/x-www-form-urlencoded`).
pub fn is_form(content_type: &str) -> bool {
    essence(content_type).is_some_and(|(kind, sub)| kind == "application" && sub == FORM_SUBTYPE)
}

/// `type` and `subtype` of a media type, lowercased, parameters dropped.
fn essence(value: &str) -> Option<(String, String)> {
    let main = value.split(';').next()?.trim();
    let (kind, sub) = main.split_once('/')?;
    let (kind, sub) = (kind.trim(), sub.trim());
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+*".contains(&b))
    };
    if !token(kind) || !token(sub) {
        return None;
    }
    Some((kind.to_ascii_lowercase(), sub.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, value: &str) -> bool {
        MediaRange::parse(pattern)
            .map(|r| r.matches(value))
            .unwrap_or(false)
    }

    #[test]
    fn charset_and_other_parameters_are_ignored() {
        assert!(m("application/json", "application/json; charset=utf-8"));
        assert!(m("application/json", "Application/JSON;charset=UTF-8"));
        assert!(m("multipart/form-data", "multipart/form-data; boundary=x"));
    }

    #[test]
    fn suffix_wildcard_matches_structured_json_types_only() {
        assert!(m("application/*+json", "application/vnd.api+json"));
        assert!(m(
            "application/*+json",
            "application/problem+json; charset=utf-8"
        ));
        assert!(!m("application/*+json", "application/json"));
        assert!(!m("application/*+json", "application/+json"));
        assert!(!m("application/*+json", "application/xml"));
        assert!(!m("application/*+json", "text/vnd+json"));
    }

    #[test]
    fn type_wildcards_match_whole_families() {
        assert!(m("text/*", "text/plain"));
        assert!(!m("text/*", "application/json"));
        assert!(m("*/*", "image/png"));
    }

    #[test]
    fn a_different_media_type_or_garbage_does_not_match() {
        assert!(!m("application/json", "text/plain"));
        assert!(!m("application/json", "application/jsonx"));
        assert!(!m("application/json", "json"));
        assert!(!m("application/json", ""));
    }

    #[test]
    fn malformed_patterns_are_refused_with_a_hint() {
        for bad in [
            "json",
            "*/json",
            "application/js*n",
            "application/*json",
            "",
        ] {
            assert!(MediaRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_detection_accepts_plus_json_subtypes() {
        assert!(is_json("application/json"));
        assert!(is_json("application/merge-patch+json; charset=utf-8"));
        assert!(!is_json("text/json"));
    }

    #[test]
    fn form_detection_takes_only_urlencoded_forms() {
        assert!(is_form("application/x-www-form-urlencoded; charset=utf-8"));
        assert!(!is_form("multipart/form-data; boundary=x"));
        assert!(!is_form("application/json"));
        let range = |p: &str| MediaRange::parse(p).map(|r| r.is_form_only());
        assert_eq!(range("application/x-www-form-urlencoded"), Ok(true));
        assert_eq!(range("application/*"), Ok(false));
    }
}

//! Where credentials are carried: a header (`Authorization: Bearer …` by default), a
//! query parameter or a cookie. Reading borrows from the request; `remove` strips the
//! credential before the request goes upstream (`hide_credentials`).
use std::borrow::Cow;

use http::{HeaderName, Uri, header, request::Parts};

use super::{config::TokenSource, error::AuthError};

/// A compiled credential location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenLocation {
    /// A header; with `bearer`, the value must read `Bearer <token>`.
    Header {
        /// Header name.
        name: HeaderName,
        /// Strip a `Bearer ` scheme (the `Authorization` header).
        bearer: bool,
    },
    /// A query parameter.
    Query(String),
    /// A cookie.
    Cookie(String),
}

impl TokenLocation {
    /// Compiles a configured source (default `Authorization: Bearer`).
    pub fn from_source(source: &TokenSource) -> Result<TokenLocation, AuthError> {
        if let Some(q) = &source.query {
            return Ok(TokenLocation::Query(q.clone()));
        }
        if let Some(c) = &source.cookie {
            return Ok(TokenLocation::Cookie(c.clone()));
        }
        match &source.header {
            Some(h) => Self::header(h),
            None => Ok(TokenLocation::Header {
                name: header::AUTHORIZATION,
                bearer: true,
            }),
        }
    }

    /// A header location; `Authorization` is read as a bearer token.
    pub fn header(name: &str) -> Result<TokenLocation, AuthError> {
        let name = HeaderName::try_from(name)
            .map_err(|_| AuthError::Config(format!("`{name}` is not a valid header name")))?;
        let bearer = name == header::AUTHORIZATION;
        Ok(TokenLocation::Header { name, bearer })
    }

    /// The credential in `parts`, if this location carries one. A header that is
    /// present but unreadable or not `Bearer` counts as absent here.
    pub fn extract<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        match self {
            TokenLocation::Header { name, bearer } => {
                let value = parts.headers.get(name)?.to_str().ok()?.trim();
                let token = if *bearer {
                    let (scheme, rest) = value.split_once(' ')?;
                    if !scheme.eq_ignore_ascii_case("bearer") {
                        return None;
                    }
                    rest.trim()
                } else {
                    value
                };
                (!token.is_empty()).then_some(Cow::Borrowed(token))
            }
            TokenLocation::Query(param) => query_param(&parts.uri, param),
            TokenLocation::Cookie(name) => parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(k, _)| k == name)
                .map(|(_, v)| Cow::Borrowed(v.trim_matches('"')))
                .filter(|v| !v.is_empty()),
        }
    }

    /// Refuses a credential sent twice (two headers, a repeated query parameter or
    /// cookie): the gateway and the upstream could each read a different one.
    pub fn check_single(&self, parts: &Parts) -> Result<(), AuthError> {
        let count = match self {
            TokenLocation::Header { name, .. } => parts.headers.get_all(name).iter().count(),
            TokenLocation::Query(param) => parts.uri.query().map_or(0, |q| {
                q.split('&')
                    .filter(|pair| pair.split('=').next() == Some(param.as_str()))
                    .count()
            }),
            TokenLocation::Cookie(name) => parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter(|pair| pair.trim().split('=').next() == Some(name.as_str()))
                .count(),
        };
        if count > 1 {
            return Err(AuthError::InvalidToken(
                "the credential was sent more than once".to_string(),
            ));
        }
        Ok(())
    }

    /// Removes the credential from `parts` (the upstream never sees it).
    pub fn remove(&self, parts: &mut Parts) {
        match self {
            TokenLocation::Header { name, .. } => {
                parts.headers.remove(name);
            }
            TokenLocation::Query(param) => {
                let Some(query) = parts.uri.query() else {
                    return;
                };
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| pair.split('=').next() != Some(param.as_str()))
                    .collect();
                let path = parts.uri.path();
                let pq = if kept.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{}", kept.join("&"))
                };
                let mut builder = http::uri::Parts::from(parts.uri.clone());
                if let Ok(pq) = pq.parse() {
                    builder.path_and_query = Some(pq);
                    if let Ok(uri) = Uri::from_parts(builder) {
                        parts.uri = uri;
                    }
                }
            }
            TokenLocation::Cookie(name) => {
                let rest: Vec<String> = parts
                    .headers
                    .get_all(header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .map(str::trim)
                    .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
                    .map(str::to_string)
                    .collect();
                parts.headers.remove(header::COOKIE);
                if !rest.is_empty()
                    && let Ok(v) = rest.join("; ").parse()
                {
                    parts.headers.insert(header::COOKIE, v);
                }
            }
        }
    }
}

/// The (percent-decoded) value of query parameter `name`.
fn query_param<'a>(uri: &'a Uri, name: &str) -> Option<Cow<'a, str>> {
    let value = uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)?;
    if value.is_empty() {
        return None;
    }
    if !value.contains(['%', '+']) {
        return Some(Cow::Borrowed(value));
    }
    percent_decode(value).map(Cow::Owned)
}

/// Decodes `%XX` and `+`; None when the result is not UTF-8 or an escape is broken.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_token_is_read_from_authorization_by_default() {
        let loc = TokenLocation::from_source(&TokenSource::default()).unwrap();
        let p = parts("/", &[("authorization", "Bearer abc.def.ghi")]);
        assert_eq!(loc.extract(&p).as_deref(), Some("abc.def.ghi"));
        let p = parts("/", &[("authorization", "bearer   abc")]);
        assert_eq!(loc.extract(&p).as_deref(), Some("abc"));
        let p = parts("/", &[("authorization", "Basic dXNlcjpwYXNz")]);
        assert_eq!(loc.extract(&p), None);
    }

    #[test]
    fn query_parameter_is_percent_decoded_and_removed() {
        let loc = TokenLocation::Query("api_key".into());
        let mut p = parts("/x?a=1&api_key=gw_a%2Db&b=2", &[]);
        assert_eq!(loc.extract(&p).as_deref(), Some("gw_a-b"));
        loc.remove(&mut p);
        assert_eq!(p.uri.to_string(), "/x?a=1&b=2");
        let mut p = parts("/x?api_key=k", &[]);
        loc.remove(&mut p);
        assert_eq!(p.uri.to_string(), "/x");
    }

    #[test]
    fn cookie_is_found_among_others_and_removed_alone() {
        let loc = TokenLocation::Cookie("session".into());
        let mut p = parts("/", &[("cookie", "a=1; session=tok; b=2")]);
        assert_eq!(loc.extract(&p).as_deref(), Some("tok"));
        loc.remove(&mut p);
        assert_eq!(p.headers.get("cookie").unwrap(), "a=1; b=2");
    }

    #[test]
    fn credential_sent_twice_is_refused() {
        let loc = TokenLocation::from_source(&TokenSource::default()).unwrap();
        let p = parts(
            "/",
            &[("authorization", "Bearer a"), ("authorization", "Bearer b")],
        );
        assert!(loc.check_single(&p).is_err());
        let p = parts("/", &[("authorization", "Bearer a")]);
        assert!(loc.check_single(&p).is_ok());
        let q = TokenLocation::Query("k".into());
        assert!(q.check_single(&parts("/?k=1&k=2", &[])).is_err());
        let c = TokenLocation::Cookie("s".into());
        assert!(
            c.check_single(&parts("/", &[("cookie", "s=1; s=2")]))
                .is_err()
        );
    }

    #[test]
    fn custom_header_is_read_whole_and_removed() {
        let loc = TokenLocation::header("X-Token").unwrap();
        let mut p = parts("/", &[("x-token", "t1")]);
        assert_eq!(loc.extract(&p).as_deref(), Some("t1"));
        loc.remove(&mut p);
        assert!(p.headers.get("x-token").is_none());
    }
}

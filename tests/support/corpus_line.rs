//! The corpus line format (`tests/corpus/*/`): one payload a line, with `\n`,
//! `\r` and `\t` written as escapes; and how a payload is put into a request
//! (query, JSON, multipart, headers, ...). Shared by the WAF corpus test and
//! `examples/waf_probe.rs`, so the probe shows the verdict the test counts.
use gateway::waf::RequestView;

/// A corpus line with its escaped newlines, carriage returns and tabs read back.
pub fn unescape(line: &str) -> String {
    line.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
}

/// `s` with every byte but the unreserved ones (`A-Z a-z 0-9 - _ . ~`) written
/// as `%XX`, as a careful client sends it.
pub fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How a payload is put into a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    Query,
    Json,
    Multipart,
    RawQuery,
    RawJson,
    Xml,
    UserAgent,
    GraphQl,
    Cookie,
    PathSegment,
    Referer,
}

/// A request built around a payload, borrowed by the engine's view of it.
pub struct Req {
    query: Option<String>,
    headers: http::HeaderMap,
    body: Option<Vec<u8>>,
    content_type: Option<String>,
    path: String,
}

/// The request that carries `payload` in `placement`, with a browser's User-Agent.
pub fn build(payload: &str, placement: Placement) -> Req {
    let mut r = Req {
        query: None,
        headers: http::HeaderMap::new(),
        body: None,
        content_type: None,
        path: "/api/v1/items".into(),
    };
    r.headers.insert(
        "user-agent",
        http::HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
    );
    match placement {
        Placement::Query => r.query = Some(format!("q={}", pct(payload))),
        Placement::RawQuery => r.query = Some(payload.to_string()),
        Placement::Json => {
            r.body = Some(serde_json::json!({ "q": payload }).to_string().into_bytes());
            r.content_type = Some("application/json".into());
        }
        Placement::GraphQl => {
            r.body = Some(
                serde_json::json!({ "query": payload })
                    .to_string()
                    .into_bytes(),
            );
            r.content_type = Some("application/json".into());
        }
        Placement::RawJson => {
            r.body = Some(payload.as_bytes().to_vec());
            r.content_type = Some("application/json".into());
        }
        Placement::Multipart => {
            let body = format!(
                "--b0undary\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n{payload}\r\n--b0undary--\r\n"
            );
            r.body = Some(body.into_bytes());
            r.content_type = Some("multipart/form-data; boundary=b0undary".into());
        }
        Placement::Xml => {
            r.body = Some(payload.as_bytes().to_vec());
            r.content_type = Some("application/xml".into());
        }
        Placement::UserAgent => {
            if let Ok(v) = http::HeaderValue::from_str(payload) {
                r.headers.insert("user-agent", v);
            }
        }
        Placement::Cookie => {
            let cookie = format!("session=abc123; q={}", pct(payload));
            r.headers.insert(
                "cookie",
                http::HeaderValue::from_str(&cookie).expect("percent-encoded"),
            );
        }
        Placement::PathSegment => r.path = format!("/api/v1/items/{}", pct(payload)),
        Placement::Referer => {
            let url = format!("https://shop.example/search?page=2&q={}", pct(payload));
            r.headers.insert(
                "referer",
                http::HeaderValue::from_str(&url).expect("percent-encoded"),
            );
        }
    }
    r
}

impl Req {
    /// The engine's view of the request: POST when it has a body, GET otherwise.
    pub fn view(&self) -> RequestView<'_> {
        RequestView {
            method: if self.body.is_some() { "POST" } else { "GET" },
            raw_path: &self.path,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: self.body.as_deref(),
            body_truncated: false,
            content_type: self.content_type.as_deref(),
            client_ip: None,
        }
    }
}

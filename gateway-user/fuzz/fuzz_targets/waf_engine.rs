//! The whole engine on arbitrary query strings and bodies of every content type,
//! at paranoia 2 (every paranoia-1 rule runs there too).
#![no_main]
use std::sync::LazyLock;

use gateway::waf::{Engine, RequestView, WafConfig};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| match Engine::compile(&WafConfig { decode_base64: true, paranoia: 2, ..WafConfig::default() }) {
    Ok(e) => e,
    Err(e) => panic!("default config must compile: {e}"),
});

const TYPES: [&str; 6] = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/xml", "text/plain", ""];

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let ct = TYPES[usize::from(data[0]) % TYPES.len()];
    let rest = &data[1..];
    let split = rest.len() / 3;
    let query = String::from_utf8_lossy(&rest[..split]);
    let mut headers = http::HeaderMap::new();
    headers.insert("cookie", http::HeaderValue::from_static("a=1; b=%27"));
    let view = RequestView {
        method: "POST",
        raw_path: "/x/..%2f",
        path: "/x",
        query: Some(&query),
        headers: &headers,
        body: Some(&rest[split..]),
        body_truncated: false,
        content_type: if ct.is_empty() { None } else { Some(ct) },
        client_ip: None,
    };
    let _ = ENGINE.inspect(&view, &ENGINE.default_policy());
});

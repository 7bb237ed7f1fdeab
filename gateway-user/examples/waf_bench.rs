//! Rough timing of WAF inspection (the criterion benchmark lives in xtask):
//! `cargo run --release -p gateway-user --example waf_bench`.
use std::time::Instant;

use gateway::waf::{Engine, RequestView, WafConfig};

fn main() -> anyhow::Result<()> {
    let engine = Engine::compile(&WafConfig::default())?;
    let policy = engine.default_policy();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0".parse()?,
    );
    headers.insert("referer", "https://app.example.com/orders?page=2".parse()?);
    headers.insert(
        "cookie",
        "session=3f9a0c1e7b2d4a6f8e0b1c2d3e4f5a6b; theme=dark; lang=en-GB".parse()?,
    );
    let mut body = String::from(
        r#"{"order":{"id":"A-10023","customer":{"name":"Patrick O'Brien","email":"pat.obrien@example.com","phone":"+1 555 010 9999"},"#,
    );
    body.push_str(r#""items":[{"sku":"SKU-1001","name":"Running shoes","qty":1,"price":89.99},{"sku":"SKU-2002","name":"Socks (3 pack)","qty":2,"price":12.5}],"#);
    body.push_str(r#""shipping":{"line1":"221B Baker St.","city":"London","postcode":"NW1 6XE","country":"GB"},"notes":"Please leave at the door -- thanks! Don't ring the bell after 9pm.","#);
    body.push_str(r#""coupon":"SPRING-10","gift":false,"tags":["priority","gift-wrap"],"meta":{"source":"web","campaign":"spring_sale","ab":"B"}}}"#);
    while body.len() < 1024 {
        body.insert_str(body.len() - 1, r#","pad":"lorem ipsum dolor sit amet""#);
    }
    let big: String = {
        let item = r#"{"id":"x1","text":"The quick brown fox jumps over the lazy dog, isn't it?","n":42},"#;
        let mut s = String::from("[");
        while s.len() < 64 * 1024 - item.len() {
            s.push_str(item);
        }
        s.push_str("{}]");
        s
    };
    for (label, b) in [
        ("1 KiB JSON", body.as_bytes()),
        ("64 KiB JSON", big.as_bytes()),
    ] {
        let view = RequestView {
            method: "POST",
            raw_path: "/api/v1/orders",
            path: "/api/v1/orders",
            query: Some("expand=items&dry_run=false"),
            headers: &headers,
            body: Some(b),
            body_truncated: false,
            content_type: Some("application/json"),
            client_ip: None,
        };
        let iters = if b.len() > 4096 { 200 } else { 5000 };
        let mut samples = Vec::with_capacity(iters);
        for _ in 0..iters {
            let t = Instant::now();
            let v = engine.inspect(&view, &policy);
            samples.push(t.elapsed());
            assert!(!v.blocked, "{:?}", v.matches);
        }
        samples.sort();
        println!(
            "{label} ({} bytes): median {:?}, p99 {:?}",
            b.len(),
            samples[iters / 2],
            samples[iters * 99 / 100]
        );
    }
    Ok(())
}

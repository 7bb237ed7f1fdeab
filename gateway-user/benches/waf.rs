//! Criterion benchmark of WAF inspection: the median time to inspect a typical
//! 1 KiB JSON API request and a 64 KiB JSON body, at paranoia 1 (the default) and 2.
//! `cargo bench -p gateway-user --bench waf`; `cargo xtask bench waf` runs it and
//! reads the medians from `target/criterion/`.
use criterion::{Criterion, criterion_group, criterion_main};
use gateway::waf::{Engine, RequestView, WafConfig};

// The allocator of the `gateway` binary, so the numbers are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Headers, a 1 KiB order and a 64 KiB list, as an API client would send them.
fn requests() -> (http::HeaderMap, String, String) {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
            .parse()
            .expect("header"),
    );
    headers.insert(
        "referer",
        "https://app.example.com/orders?page=2"
            .parse()
            .expect("header"),
    );
    headers.insert(
        "cookie",
        "session=3f9a0c1e7b2d4a6f8e0b1c2d3e4f5a6b; theme=dark; lang=en-GB"
            .parse()
            .expect("header"),
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
    (headers, body, big)
}

fn inspect(c: &mut Criterion) {
    let (headers, body, big) = requests();
    for paranoia in [1u8, 2] {
        let config = WafConfig {
            paranoia,
            ..WafConfig::default()
        };
        let engine = Engine::compile(&config).expect("the default rules compile");
        let policy = engine.default_policy();
        for (label, b) in [
            ("1KiB_json", body.as_bytes()),
            ("64KiB_json", big.as_bytes()),
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
            // A benign request must pass, or the benchmark measures a block.
            let verdict = engine.inspect(&view, &policy);
            assert!(!verdict.blocked, "{label} blocked: {:?}", verdict.matches);
            c.bench_function(&format!("waf_pl{paranoia}_{label}"), |bench| {
                bench.iter(|| engine.inspect(std::hint::black_box(&view), &policy))
            });
        }
    }
}

criterion_group!(benches, inspect);
criterion_main!(benches);

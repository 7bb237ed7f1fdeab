//! The requests the WAF benchmark inspects, shared by the criterion bench
//! (`benches/waf.rs`) and the instruction-count driver (`examples/waf_inspect.rs`),
//! so both measure the same thing.
use gateway::waf::RequestView;

/// Headers, a 1 KiB order and a 64 KiB list, as an API client would send them.
pub fn requests() -> (http::HeaderMap, String, String) {
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
        // Distinct members: a value repeated within a request is inspected once.
        let n = body.matches("\"line").count() + 1;
        body.insert_str(
            body.len() - 1,
            &format!(r#","line{n}":"gift note {n}: lorem ipsum dolor sit amet""#),
        );
    }
    let big: String = {
        // Distinct records, as a real list has (a repeated value is inspected once).
        let mut s = String::from("[");
        for n in 0.. {
            let item = format!(
                r#"{{"id":"x{n}","text":"The quick brown fox {n} jumps over the lazy dog, isn't it?","n":{n}}},"#
            );
            if s.len() + item.len() >= 64 * 1024 - 3 {
                break;
            }
            s.push_str(&item);
        }
        s.push_str("{}]");
        s
    };
    (headers, body, big)
}

/// The POST that carries `body`: a JSON API call with two query arguments.
pub fn view<'a>(headers: &'a http::HeaderMap, body: &'a [u8]) -> RequestView<'a> {
    RequestView {
        method: "POST",
        raw_path: "/api/v1/orders",
        path: "/api/v1/orders",
        query: Some("expand=items&dry_run=false"),
        headers,
        body: Some(body),
        body_truncated: false,
        content_type: Some("application/json"),
        client_ip: None,
    }
}

/// `count` distinct orders of about 1 KiB whose text comes from the benign half
/// of the repository's public corpus (names, shop searches, prose, links), as
/// real traffic varies. A matcher whose automata grow with text it has not seen
/// looks fast on one request sent again and again; this is what it costs on
/// many.
pub fn varied(count: usize) -> Vec<String> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/corpus/waf-public/dev/benign/"
    );
    let lines = |name: &str| -> Vec<String> {
        std::fs::read_to_string(format!("{dir}{name}"))
            .expect("the benign corpus")
            .lines()
            .map(|l| l.replace("\\n", "\n").replace("\\t", "\t"))
            .collect()
    };
    let (names, searches, prose, urls) = (
        lines("names.txt"),
        lines("search.txt"),
        lines("prose.txt"),
        lines("urls.txt"),
    );
    let pick = |list: &[String], i: usize| list[i % list.len()].clone();
    (0..count)
        .map(|n| {
            let mut notes = Vec::new();
            let mut order = serde_json::json!({
                "order": {
                    "id": format!("A-{}", 10000 + n),
                    "customer": {"name": pick(&names, n), "email": format!("c{n}@example.com")},
                    "items": [
                        {"sku": format!("SKU-{n}"), "name": pick(&searches, 2 * n), "qty": 1 + n % 3},
                        {"sku": format!("SKU-{}", n + 1), "name": pick(&searches, 2 * n + 1), "qty": 1}
                    ],
                    "referrer": pick(&urls, n),
                    "gift": n % 2 == 0
                }
            });
            let mut k = n;
            while order.to_string().len() + notes.iter().map(String::len).sum::<usize>() < 1000 {
                notes.push(pick(&prose, k));
                k += prose.len() / 7 + 1;
            }
            order["order"]["notes"] = serde_json::json!(notes);
            order.to_string()
        })
        .collect()
}

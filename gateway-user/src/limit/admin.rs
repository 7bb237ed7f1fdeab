//! The limiter's admin endpoint, for the admin listener to route to:
//! `GET /admin/limits?key=KEY` shows what the store holds for KEY and
//! `DELETE /admin/limits?key=KEY` clears it (`gateway limits show|reset KEY`).
use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::Limiter;

/// The path the admin listener routes to [`handle`].
pub const PATH: &str = "/admin/limits";

/// Answers one request to [`PATH`] with a status and a JSON body.
pub async fn handle(
    limiter: &Limiter,
    method: &Method,
    query: Option<&str>,
) -> (StatusCode, Value) {
    let Some(key) = query
        .and_then(|q| query_value(q, "key"))
        .filter(|k| !k.is_empty())
    else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": "missing ?key=KEY (e.g. consumer:mobile-app, ip:198.18.0.1)"}),
        );
    };
    match *method {
        Method::GET => match limiter.inspect(&key).await {
            Ok(seen) => (StatusCode::OK, json!(seen)),
            Err(e) => unavailable(&e),
        },
        Method::DELETE => match limiter.reset(&key).await {
            Ok(existed) => (StatusCode::OK, json!({"key": key, "reset": existed})),
            Err(e) => unavailable(&e),
        },
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "use GET to show a key or DELETE to reset it"}),
        ),
    }
}

fn unavailable(e: &super::LimitError) -> (StatusCode, Value) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"error": "the limit store did not answer", "detail": e.to_string()}),
    )
}

/// The percent-decoded value of `name` in a query string.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = || {
            let h = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            u8::from_str_radix(h, 16).ok()
        };
        match (bytes[i], hex()) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::limit::{LimitCheck, ManualClock, Plans, PlansConfig, RateLimitConfig};

    #[test]
    fn keys_survive_the_round_trip_through_a_query_string() {
        let key = "header:x-tenant:a&b=c %/ü";
        let q = format!("x=1&key={}", percent_encode(key));
        assert_eq!(query_value(&q, "key").as_deref(), Some(key));
        assert_eq!(query_value("key=%zz", "key").as_deref(), Some("%zz"));
    }

    #[tokio::test]
    async fn show_and_reset_answer_json() {
        let cfg: PlansConfig = serde_yaml_ng::from_str("free: { quota: 5/day }").unwrap();
        let plans = Plans::compile(&cfg).unwrap();
        let clock = Arc::new(ManualClock::new(1_800_000_000_000_000));
        let l = Limiter::with_clock(&RateLimitConfig::default(), &plans, clock).unwrap();
        let check = LimitCheck {
            key: "consumer:a".into(),
            policy: plans.get("free").unwrap().clone(),
        };
        assert!(l.check(&[check]).await.allowed);
        let (status, body) = handle(&l, &Method::GET, Some("key=consumer%3Aa")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["policies"][0]["quota_used"], 1);
        let (status, body) = handle(&l, &Method::DELETE, Some("key=consumer:a")).await;
        assert_eq!(
            (status, body["reset"].clone()),
            (StatusCode::OK, json!(true))
        );
        let (status, _) = handle(&l, &Method::GET, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = handle(&l, &Method::PUT, Some("key=a")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }
}

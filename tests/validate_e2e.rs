//! End to end: the real gateway binary with a `validate:` route in front of an
//! in-test upstream. Valid requests reach the upstream whole; invalid ones are
//! answered 400/413/415 by the gateway with the error list and the request id, and
//! never reach the upstream.
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::path::Path;

use bytes::Bytes;
use client::{Resp, req, send};
use gateway::GatewayProcess;
use http_body_util::Full;
use upstream::Upstream;

fn config(target: std::net::SocketAddr, extra: &str) -> String {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/schemas");
    let schemas = schemas.display();
    format!(
        r#"
listeners:
  - name: plain
    bind: 127.0.0.1:0
upstreams:
  echo:
    targets: ["{target}"]
routes:
  - name: search
    match: {{ path_prefix: /api/v1/search }}
    upstream: echo
    validate:
      body_schema: {schemas}/search.json
      query_schema: {schemas}/search-query.json
      content_types: [application/json, application/*+json]
      max_json_depth: 8
      max_json_bytes: 4KiB
{extra}
  - name: other
    match: {{ path_prefix: /other }}
    upstream: echo
"#
    )
}

async fn post(gw: &GatewayProcess, path: &str, content_type: &str, body: &str) -> Resp {
    send(
        gw.addr("plain"),
        req("POST", path, "test")
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request"),
    )
    .await
}

async fn get(gw: &GatewayProcess, path: &str) -> Resp {
    send(
        gw.addr("plain"),
        req("GET", path, "test")
            .body(Full::default())
            .expect("request"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_requests_reach_the_upstream_with_their_body_intact() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let body = r#"{"query":"red shoes","page":{"size":5}}"#;
    let r = post(
        &gw,
        "/api/v1/search?q=x",
        "application/json; charset=utf-8",
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["body_len"], body.len());
    let r = get(&gw, "/api/v1/search?q=shoes&limit=10&tag=a&tag=b").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_breaking_the_schema_is_a_400_listing_the_error_with_the_request_id() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let r = post(
        &gw,
        "/api/v1/search?q=x",
        "application/json",
        r#"{"query":"x","page":{"size":"big"}}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["error"], "invalid_request");
    assert_eq!(v["errors"][0]["path"], "/page/size");
    assert_eq!(v["errors"][0]["in"], "body");
    assert_eq!(
        Some(v["request_id"].as_str().unwrap_or("missing")),
        r.header("x-request-id")
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detailed_errors_are_all_listed_end_to_end() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "      errors: detailed"), &["plain"]);
    let r = post(
        &gw,
        "/api/v1/search?q=x",
        "application/json",
        r#"{"sort":1,"extra":true}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    let v = r.json();
    let n = v["error_count"].as_u64().unwrap_or(0);
    assert!(n >= 3, "{v}");
    assert_eq!(v["errors"].as_array().map(|a| a.len() as u64), Some(n));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_query_is_a_400_before_the_upstream() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let r = get(&gw, "/api/v1/search?q=x&limit=500").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["in"], "query");
    assert_eq!(r.json()["errors"][0]["path"], "/limit");
    assert_eq!(up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_type_is_a_415_listing_the_allowed_types() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let r = post(&gw, "/api/v1/search?q=x", "text/plain", r#"{"query":"x"}"#).await;
    assert_eq!(r.status, 415);
    assert_eq!(
        r.json()["allowed"],
        serde_json::json!(["application/json", "application/*+json"])
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_deep_invalid_and_empty_bodies_are_refused() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let big = format!(r#"{{"query":"{}"}}"#, "a".repeat(5000));
    let r = post(&gw, "/api/v1/search?q=x", "application/json", &big).await;
    assert_eq!(r.status, 413);
    let r = post(
        &gw,
        "/api/v1/search?q=x",
        "application/json",
        &"[".repeat(3000),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deeper than 8")
    );
    let r = post(&gw, "/api/v1/search?q=x", "application/json", "{not json").await;
    assert_eq!(r.status, 400);
    let r = post(&gw, "/api/v1/search?q=x", "application/json", "").await;
    assert_eq!(r.status, 400);
    assert_eq!(up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_without_validate_are_not_affected() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let r = post(&gw, "/other", "text/plain", "[[[[[[[[[[[[[[[[[[[[[[").await;
    assert_eq!(r.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_recompiles_changed_schemas_and_a_broken_one_keeps_the_old() {
    let up = Upstream::start("a").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("body.json");
    let write = |text: &str| std::fs::write(&schema, text).expect("write schema");
    write(r#"{"type":"object","required":["a"]}"#);
    let yaml = format!(
        "listeners:\n  - {{ name: plain, bind: 127.0.0.1:0 }}\nupstreams:\n  echo: {{ targets: [\"{}\"] }}\nroutes:\n  - name: r\n    upstream: echo\n    validate: {{ body_schema: {} }}\n",
        up.addr,
        schema.display()
    );
    let gw = GatewayProcess::start(&yaml, &["plain"]);
    assert_eq!(
        post(&gw, "/x", "application/json", r#"{"b":1}"#)
            .await
            .status,
        400
    );

    write(r#"{"type":"object","required":["b"]}"#);
    gw.reload_with(&yaml);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut status = 0;
    while std::time::Instant::now() < deadline {
        status = post(&gw, "/x", "application/json", r#"{"b":1}"#)
            .await
            .status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200, "the changed schema applies after the reload");

    write(r#"{"type":"objekt"}"#);
    gw.reload_with(&yaml);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !gw.stderr().contains("config reload failed") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        gw.stderr().contains("body_schema") || gw.stderr().contains("does not compile"),
        "{}",
        gw.stderr()
    );
    assert_eq!(
        post(&gw, "/x", "application/json", r#"{"b":1}"#)
            .await
            .status,
        200
    );
    assert_eq!(
        post(&gw, "/x", "application/json", r#"{"a":1}"#)
            .await
            .status,
        400
    );
}

/// HTTP/2 lets a request carry a body without Content-Length (END_STREAM is not on
/// its HEADERS frame). Such a body on a schema route must be validated like any
/// other, not forwarded unchecked because no header announced it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2_body_without_content_length_is_still_validated() {
    use http_body_util::{BodyExt, StreamBody};
    use hyper::body::Frame;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, ""), &["plain"]);
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let stream = tokio::net::TcpStream::connect(gw.addr("plain"))
            .await
            .expect("connect");
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .expect("h2 handshake");
        tokio::spawn(conn);
        // A stream body has no exact size, so hyper sends no content-length.
        let frames = vec![Ok::<_, std::convert::Infallible>(Frame::data(
            Bytes::from_static(br#"{"query":"x","page":{"size":"big"}}"#),
        ))];
        let request = http::Request::builder()
            .method("GET")
            .uri("http://test/api/v1/search?q=x")
            .header("content-type", "application/json")
            .body(StreamBody::new(futures_util::stream::iter(frames)))
            .expect("request");
        assert!(request.headers().get("content-length").is_none());
        let resp = sender.send_request(request).await.expect("response");
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await;
        status
    })
    .await
    .expect("request timed out");
    assert_eq!(status, 400);
    assert_eq!(up.hits(), 0, "the unvalidated body reached the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urlencoded_form_is_validated_against_the_body_schema_end_to_end() {
    let up = Upstream::start("a").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("signup.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","required":["email","age"],"additionalProperties":false,
            "properties":{"email":{"type":"string","format":"email"},"age":{"type":"integer","minimum":13}}}"#,
    )
    .expect("write schema");
    let yaml = format!(
        "listeners:\n  - {{ name: plain, bind: 127.0.0.1:0 }}\nupstreams:\n  echo: {{ targets: [\"{}\"] }}\nroutes:\n  - name: signup\n    upstream: echo\n    validate: {{ body_schema: {}, content_types: [application/x-www-form-urlencoded] }}\n",
        up.addr,
        schema.display()
    );
    let gw = GatewayProcess::start(&yaml, &["plain"]);
    let form = "application/x-www-form-urlencoded";
    let ok = "email=pat%40example.com&age=42";
    let r = post(&gw, "/signup", form, ok).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["body_len"], ok.len());

    let r = post(&gw, "/signup", form, "email=pat%40example.com&age=9").await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["errors"][0]["path"], "/age");
    let r = post(
        &gw,
        "/signup",
        "application/json",
        r#"{"email":"a@b.co","age":42}"#,
    )
    .await;
    assert_eq!(r.status, 415, "only the form type is allowed on this route");
    assert_eq!(up.hits(), 1);
}

//! End to end through the real gateway binary: the WAF stage refuses attacks in
//! query arguments and JSON bodies with a 403 JSON body carrying the request id
//! (the upstream never sees them), lets benign traffic through, only logs rule ids
//! in detect mode, honours route exclusions and custom rules, applies the
//! `oversize` policy to bodies beyond `inspect_body`, answers a JSON body that does
//! not parse with 400 under `invalid_body: reject`, and `gateway check` refuses
//! an exclusion of a rule that does not exist.
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::{net::SocketAddr, process::Command};

use bytes::Bytes;
use client::{Resp, get, req, send};
use gateway::GatewayProcess;
use http_body_util::Full;
use upstream::Upstream;

/// `' UNION SELECT password FROM users--`, percent-encoded for a query string.
const SQLI_QUERY: &str = "%27%20UNION%20SELECT%20password%20FROM%20users--";

/// A gateway in front of `upstream` with the given `waf:` section and routes.
fn config(upstream: SocketAddr, waf: &str, routes: &str) -> String {
    format!(
        "listeners:
  - {{ name: plain, bind: 127.0.0.1:0 }}
upstreams:
  u: {{ targets: [{upstream}] }}
{waf}
routes:
{routes}"
    )
}

const ROUTES: &str = "  - name: detect
    match: { path_prefix: /detect }
    upstream: u
    waf: { mode: detect }
  - name: excluded
    match: { path_prefix: /excluded }
    upstream: u
    waf: { exclude: [{ rule: 942000-942999, field: args.q }] }
  - name: api
    match: { path_prefix: /api }
    upstream: u
";

const WAF: &str = "waf:
  mode: block
  paranoia: 1
  threshold: 5
  custom_rules:
    - id: 100001
      field: header.x-debug
      transformations: [lowercase]
      operator: { equals: \"on\" }
      action: block
";

async fn post_json(addr: SocketAddr, path: &str, body: &str) -> Resp {
    post(addr, path, "application/json", body.as_bytes().to_vec()).await
}

async fn post(addr: SocketAddr, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
    let r = req("POST", path, "test")
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    send(addr, r).await
}

fn assert_blocked(r: &Resp) {
    assert_eq!(r.status, 403, "body: {}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["error"], "waf_blocked");
    let id = body["request_id"].as_str().unwrap_or_default();
    assert!(!id.is_empty(), "the 403 carries the request id: {body}");
    assert_eq!(r.header("x-request-id"), Some(id));
}

/// The access log lines (JSON on stdout) whose path is `path`.
fn access_lines(gw: &GatewayProcess, path: &str) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let lines: Vec<serde_json::Value> = gw
            .stdout()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["path"] == path)
            .collect();
        if !lines.is_empty() || std::time::Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test]
async fn sql_injection_in_a_query_argument_is_refused_with_403_json_and_never_reaches_the_upstream()
{
    let up = Upstream::start("u").await;
    let waf = format!("admin: {{ bind: 127.0.0.1:0 }}\n{WAF}");
    let gw = GatewayProcess::start(&config(up.addr, &waf, ROUTES), &["plain", "admin"]);
    let r = get(gw.addr("plain"), &format!("/api/search?q={SQLI_QUERY}")).await;
    assert_blocked(&r);
    assert_eq!(up.hits(), 0, "the upstream never saw the attack");
    let lines = access_lines(&gw, "/api/search");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["waf"], "blocked");
    assert_eq!(lines[0]["reject_stage"], "waf");
    let rules = lines[0]["waf_rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!rules.is_empty());
    let metrics = admin_get(gw.addr("admin"), "/metrics");
    let first = rules[0].as_u64().unwrap_or_default();
    assert!(
        metrics.contains(&format!(
            "gateway_waf_matches_total{{rule=\"{first}\",category=\"sqli\"}} 1"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("gateway_rejected_requests_total{stage=\"waf\",status=\"403\"} 1"),
        "counted once as a rejection: {metrics}"
    );
}

/// GET `path` from the admin listener, the raw HTTP/1.1 response as text.
fn admin_get(addr: SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[tokio::test]
async fn xss_in_a_json_body_is_refused_with_403() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let r = post_json(
        gw.addr("plain"),
        "/api/comments",
        r#"{"post": 7, "comment": {"text": "<script>alert(document.cookie)</script>"}}"#,
    )
    .await;
    assert_blocked(&r);
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn benign_searches_and_json_bodies_pass_the_waf() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    let r = get(addr, "/api/search?q=O%27Brien%20select%20a%20plan&page=2").await;
    assert_eq!(r.status, 200);
    let r = post_json(
        addr,
        "/api/users",
        r#"{"name": "Siobhán O'Connor", "bio": "I like SQL & <b>bold</b> ideas; 1 = 1 is true.", "tags": ["a", "b"]}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A URL fragment with a character across byte 11 of what reads as a `#`
    // comment: its inspection once panicked and the connection got no answer.
    let r = get(addr, "/api/docs?u=x%20%23abcdefghi%E2%91%A0").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(up.hits(), 3);
    let lines = access_lines(&gw, "/api/users");
    assert_eq!(lines[0]["waf"], "pass");
}

#[tokio::test]
async fn detect_mode_lets_an_attack_through_but_logs_its_rule_ids_and_never_the_payload() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let r = get(gw.addr("plain"), &format!("/detect/search?q={SQLI_QUERY}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(up.hits(), 1);
    let lines = access_lines(&gw, "/detect/search");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["waf"], "detected");
    let rules = lines[0]["waf_rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        rules
            .iter()
            .any(|r| r.as_u64().is_some_and(|id| (942000..943000).contains(&id))),
        "a SQL injection rule id is logged: {rules:?}"
    );
    // The WAF line and the access line are written by different stages, and
    // each stream is read by a thread of its own: wait for the WAF line too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let logs = loop {
        let logs = format!("{}{}", gw.stdout(), gw.stderr());
        if logs.contains("args.q") || std::time::Instant::now() > deadline {
            break logs;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        logs.contains("args.q"),
        "the field is named in the WAF log line"
    );
    for payload in ["UNION", "password FROM", "%27%20UNION"] {
        assert!(!logs.contains(payload), "`{payload}` leaked into the logs");
    }
}

#[tokio::test]
async fn a_route_exclusion_for_the_rule_and_field_lets_that_field_through_only() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    let r = get(addr, &format!("/excluded/search?q={SQLI_QUERY}")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = get(addr, &format!("/excluded/search?other={SQLI_QUERY}")).await;
    assert_blocked(&r);
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn a_custom_rule_with_action_block_refuses_the_request() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    let debug = |v: &'static str| {
        req("GET", "/api/x", "test")
            .header("x-debug", v)
            .body(Full::default())
            .expect("request")
    };
    assert_blocked(&send(addr, debug("ON")).await);
    assert_eq!(send(addr, debug("off")).await.status, 200);
    let lines = access_lines(&gw, "/api/x");
    assert!(
        lines
            .iter()
            .any(|l| l["waf_rules"] == serde_json::json!([100001])),
        "{lines:?}"
    );
}

/// 2 KiB of harmless text, with `tail` appended.
fn big_body(tail: &str) -> Vec<u8> {
    let mut body = "lorem ipsum dolor sit amet ".repeat(80).into_bytes();
    body.extend_from_slice(tail.as_bytes());
    body
}

#[tokio::test]
async fn a_body_beyond_inspect_body_is_refused_under_oversize_block() {
    let up = Upstream::start("u").await;
    let waf = "waf: { mode: block, inspect_body: 1KiB, oversize: block }";
    let gw = GatewayProcess::start(&config(up.addr, waf, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    assert_blocked(&post(addr, "/api/notes", "text/plain", big_body("")).await);
    let small = b"a short note".to_vec();
    assert_eq!(
        post(addr, "/api/notes", "text/plain", small).await.status,
        200
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn under_oversize_inspect_prefix_only_the_first_inspect_body_bytes_are_inspected() {
    let up = Upstream::start("u").await;
    let waf = "waf: { mode: block, inspect_body: 1KiB, oversize: inspect_prefix }";
    let gw = GatewayProcess::start(&config(up.addr, waf, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    let attack = " <script>alert(1)</script>";
    // Beyond the first KiB: not inspected, so it passes (and reaches the upstream whole).
    let r = post(addr, "/api/notes", "text/plain", big_body(attack)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Within the first KiB: refused.
    let mut early = attack.as_bytes().to_vec();
    early.extend(big_body(""));
    assert_blocked(&post(addr, "/api/notes", "text/plain", early).await);
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn under_invalid_body_reject_a_json_body_that_does_not_parse_is_refused_with_400() {
    let up = Upstream::start("u").await;
    let waf = "waf: { mode: block, invalid_body: reject, inspect_body: 1KiB }";
    let gw = GatewayProcess::start(&config(up.addr, waf, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    let r = post_json(addr, "/api/notes", r#"{"title": "draft", "tags": ["a",]}"#).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["error"], "invalid_body");
    assert_eq!(body["request_id"].as_str(), r.header("x-request-id"));
    // The same mistake carrying an attack is answered as the attack it is.
    let attack = r#"{"q": "<script>alert(1)</script>", "tags": ["a",]}"#;
    assert_blocked(&post_json(addr, "/api/notes", attack).await);
    // Detect mode logs rule 200002 and lets it through; valid JSON passes; a body cut
    // at the inspection size is never called invalid.
    let r = post_json(addr, "/detect/notes", r#"{"title": "draft"#).await;
    assert_eq!(r.status, 200);
    let lines = access_lines(&gw, "/detect/notes");
    assert_eq!(
        lines[0]["waf_rules"],
        serde_json::json!([200002]),
        "{lines:?}"
    );
    let r = post_json(addr, "/api/notes", r#"{"title": "draft", "tags": ["a"]}"#).await;
    assert_eq!(r.status, 200);
    let long = format!(r#"{{"note": "{}"}}"#, "lorem ipsum ".repeat(200));
    assert_eq!(post_json(addr, "/api/notes", &long).await.status, 200);
    assert_eq!(up.hits(), 3);
}

#[test]
fn gateway_check_refuses_an_exclusion_of_a_rule_that_does_not_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gateway.yaml");
    let routes = "  - name: search
    match: { path_prefix: /search }
    upstream: u
    waf: { exclude: [{ rule: 942100, field: args.q }, { rule: 999999, field: args.q }] }
";
    let text = config("127.0.0.1:9".parse().expect("addr"), WAF, routes);
    std::fs::write(&path, &text).expect("write");
    let line = 1 + text
        .lines()
        .position(|l| l.contains("waf: { exclude"))
        .expect("the route waf line");
    let out = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .arg("check")
        .arg("--config")
        .arg(&path)
        .output()
        .expect("run gateway check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("999999"), "names the rule: {stderr}");
    assert!(stderr.contains("search"), "names the route: {stderr}");
    assert!(
        stderr.contains(&format!(":{line}:")),
        "points at line {line}: {stderr}"
    );
    assert!(
        !stderr.contains("942100"),
        "the good exclusion is fine: {stderr}"
    );
}

#[tokio::test]
async fn an_h2_body_without_content_length_is_still_inspected() {
    use http_body_util::{BodyExt, StreamBody};
    use hyper::body::Frame;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let stream = tokio::net::TcpStream::connect(gw.addr("plain"))
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2c handshake");
    tokio::spawn(conn);
    // A streamed body has no exact size, so no Content-Length is sent.
    let chunks: Vec<Result<Frame<Bytes>, std::convert::Infallible>> = vec![
        Ok(Frame::data(Bytes::from_static(b"{\"comment\": \"<script>"))),
        Ok(Frame::data(Bytes::from_static(b"alert(1)</script>\"}"))),
    ];
    let body = StreamBody::new(futures_util::stream::iter(chunks));
    let request = http::Request::builder()
        .method("POST")
        .uri("http://test/api/comments")
        .header("content-type", "application/json")
        .body(body)
        .expect("request");
    assert!(request.headers().get("content-length").is_none());
    let resp = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sender.send_request(request),
    )
    .await
    .expect("timed out")
    .expect("response");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert_eq!(up.hits(), 0);
}

/// `gateway waf test --config FILE TARGET`: exit status and JSON verdict.
fn waf_test(config: &std::path::Path, target: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["waf", "test", "--json", "--config"])
        .arg(config)
        .args(extra)
        .arg(target)
        .output()
        .expect("run gateway waf test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdict = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout} / {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), verdict)
}

#[tokio::test]
async fn gateway_waf_test_gives_the_verdict_the_running_gateway_gives() {
    let up = Upstream::start("u").await;
    let gw = GatewayProcess::start(&config(up.addr, WAF, ROUTES), &["plain"]);
    let addr = gw.addr("plain");
    let file = gw.config_path();
    // (target, what the gateway answers): a block, a detect-mode pass, an
    // exclusion for one field only, and clean traffic.
    let cases = [
        (format!("/api/search?q={SQLI_QUERY}"), 403),
        (format!("/detect/search?q={SQLI_QUERY}"), 200),
        (format!("/excluded/search?q={SQLI_QUERY}"), 200),
        (format!("/excluded/search?other={SQLI_QUERY}"), 403),
        ("/api/search?q=O%27Brien".to_string(), 200),
    ];
    for (target, status) in &cases {
        assert_eq!(get(addr, target).await.status, *status, "{target}");
        let (code, verdict) = waf_test(file, target, &[]);
        let blocked = *status == 403;
        assert_eq!(verdict["blocked"], blocked, "{target}: {verdict}");
        assert_eq!(code, i32::from(blocked), "{target}: exit status");
    }
    // The route is named, and so is every rule with its field.
    let (_, verdict) = waf_test(file, &cases[1].0, &[]);
    assert_eq!(verdict["route"], "detect");
    assert_eq!(verdict["mode"], "detect");
    assert!(
        verdict["score"].as_u64().unwrap_or_default() >= 5,
        "{verdict}"
    );
    assert!(
        verdict["matches"].as_array().is_some_and(|m| m
            .iter()
            .any(|m| m["category"] == "sqli" && m["field"] == "args.q")),
        "{verdict}"
    );
    // Headers and bodies go where the gateway reads them.
    let (code, verdict) = waf_test(file, "/api/x", &["-H", "X-Debug: ON"]);
    assert_eq!(
        (code, verdict["matches"][0]["rule"].clone()),
        (1, serde_json::json!(100001))
    );
    let (code, verdict) = waf_test(
        file,
        "/api/x",
        &[
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"c":"<script>alert(1)</script>"}"#,
        ],
    );
    assert_eq!(code, 1, "{verdict}");
    assert!(
        verdict["matches"]
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["field"] == "json.c")),
        "{verdict}"
    );
}

#[test]
fn gateway_waf_test_refuses_a_bad_configuration_or_request_with_status_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gateway.yaml");
    std::fs::write(&path, "routes: [\n").expect("write");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gateway"))
            .args(["waf", "test"])
            .args(args)
            .output()
            .expect("run gateway waf test")
    };
    let out = run(&["--config", path.to_str().expect("utf-8 path"), "/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("gateway.yaml:2:"),
        "names the line: {stderr}"
    );
    let out = run(&["-H", "no colon", "/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Name: value"));
    let out = run(&["no-slash"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("400"));
}

//! End to end request hygiene on the wire: head and body limits (431/413, with
//! Content-Length and chunked), slowloris, smuggling attempts on raw TCP, path
//! normalization, the Host header, and the per-client-IP connection limit.
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::time::{Duration, Instant};

use bytes::Bytes;
use client::{get, raw, raw_status, req, send};
use gateway::GatewayProcess;
use http_body_util::{Full, StreamBody};
use tokio::io::AsyncWriteExt;
use upstream::Upstream;

fn config(target: std::net::SocketAddr, limits: &str) -> String {
    format!(
        r#"
listeners: [{{ name: plain, bind: "127.0.0.1:0" }}]
upstreams:
  echo: {{ targets: ["{target}"] }}
routes:
  - {{ name: api, match: {{ path_prefix: /api }}, upstream: echo }}
  - {{ name: b, match: {{ path_prefix: /b }}, upstream: echo }}
limits: {limits}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused_with_431_json() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "{ max_header_bytes: 2KiB }"), &["plain"]);
    let r = send(
        gw.addr("plain"),
        req("GET", "/api", "h")
            .header("x-big", "a".repeat(3000))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 431);
    assert_eq!(r.json()["error"], "request_header_fields_too_large");
    // Far beyond the limit hyper's own guard answers, still with 431.
    let text = raw(
        gw.addr("plain"),
        format!(
            "GET /api HTTP/1.1\r\nHost: h\r\nX-Huge: {}\r\n\r\n",
            "a".repeat(64 * 1024)
        )
        .as_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(raw_status(&text), Some(431), "{text}");
    assert_eq!(up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_refused_with_413_by_content_length_and_while_streaming() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "{ max_body: 1KiB }"), &["plain"]);
    let addr = gw.addr("plain");
    let r = send(
        addr,
        req("POST", "/api", "h")
            .body(Full::new(Bytes::from(vec![b'x'; 2048])))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], "payload_too_large");
    assert_eq!(
        up.hits(),
        0,
        "announced oversize body never reaches the upstream"
    );

    // Chunked, no length announced: counted while streaming.
    let chunks: Vec<Result<http_body::Frame<Bytes>, std::io::Error>> = (0..8)
        .map(|_| Ok(http_body::Frame::data(Bytes::from(vec![b'y'; 512]))))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let stream = http::Request::builder()
        .method("POST")
        .uri("/api")
        .header("host", "h")
        .body(StreamBody::new(stream))
        .unwrap();
    let conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, c) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(conn))
        .await
        .unwrap();
    tokio::spawn(c);
    let resp = tokio::time::timeout(Duration::from_secs(10), sender.send_request(stream))
        .await
        .expect("answered")
        .expect("response");
    assert_eq!(resp.status(), 413);

    // A body under the limit goes through.
    let r = send(
        addr,
        req("POST", "/api", "h")
            .body(Full::new(Bytes::from(vec![b'x'; 1000])))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["body_len"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connection_is_closed_after_the_header_timeout() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "{ header_timeout: 500ms }"), &["plain"]);
    let mut s = tokio::net::TcpStream::connect(gw.addr("plain"))
        .await
        .unwrap();
    let started = Instant::now();
    let head = b"GET /api HTTP/1.1\r\nHost: h\r\nX-a: b\r\n";
    let mut closed = false;
    // Trickle one byte every 100 ms, for at most 10 s.
    for i in 0..100 {
        if s.write_all(&head[i % head.len()..i % head.len() + 1])
            .await
            .is_err()
        {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut buf = [0u8; 512];
        match tokio::time::timeout(
            Duration::from_millis(1),
            tokio::io::AsyncReadExt::read(&mut s, &mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {} // a 408 may be written before the close
            Err(_) => {}
        }
    }
    assert!(
        closed,
        "connection still open after {:?}",
        started.elapsed()
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_attempts_are_refused_with_400() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "{}"), &["plain"]);
    let addr = gw.addr("plain");
    let attempts: [(&str, &str); 5] = [
        (
            "CL then TE",
            "POST /api HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
        ),
        (
            "TE then CL",
            "POST /api HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG",
        ),
        (
            "two different CL",
            "POST /api HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
        ),
        (
            "TE gzip, chunked",
            "POST /api HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        ),
        (
            "TE identity",
            "POST /api HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
        ),
    ];
    for (what, bytes) in attempts {
        let text = raw(addr, bytes.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(raw_status(&text), Some(400), "{what}: {text}");
    }
    assert_eq!(up.hits(), 0, "no smuggling attempt reached the upstream");
    // A plain chunked request still works.
    let text = raw(
        addr,
        b"POST /api HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(raw_status(&text), Some(200), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_doubled_or_malformed_host_is_refused_with_400() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "{}"), &["plain"]);
    let addr = gw.addr("plain");
    let refused: [(&str, &str); 4] = [
        ("no Host", "GET /api HTTP/1.1\r\nConnection: close\r\n\r\n"),
        (
            "two Hosts",
            "GET /api HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        ),
        (
            "a space in Host",
            "GET /api HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
        ),
        (
            "userinfo in Host",
            "GET /api HTTP/1.1\r\nHost: me@a\r\nConnection: close\r\n\r\n",
        ),
    ];
    for (what, bytes) in refused {
        let text = raw(addr, bytes.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(raw_status(&text), Some(400), "{what}: {text}");
        assert!(
            text.contains("Host header"),
            "{what}: the reason is named: {text}"
        );
    }
    assert_eq!(up.hits(), 0, "no refused request reached the upstream");
    let passed: [(&str, &str); 3] = [
        ("HTTP/1.0 without Host", "GET /api HTTP/1.0\r\n\r\n"),
        (
            "absolute form without Host",
            "GET http://a.example/api HTTP/1.1\r\nConnection: close\r\n\r\n",
        ),
        (
            "an IPv6 literal with a port",
            "GET /api HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
        ),
    ];
    for (what, bytes) in passed {
        let text = raw(addr, bytes.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(raw_status(&text), Some(200), "{what}: {text}");
    }
    assert_eq!(up.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_are_normalized_once_and_bad_encodings_are_refused() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(&config(up.addr, "{}"), &["plain"]);
    let addr = gw.addr("plain");
    let r = get(addr, "/a/../b/x").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["uri"], "/b/x");
    let r = get(addr, "/api/%2e%2e/b/y").await;
    assert_eq!(r.json()["uri"], "/b/y");
    let r = get(addr, "//api///v1").await;
    assert_eq!(r.json()["uri"], "/api/v1");
    // Routing sees the normalized path: /api/../admin is /admin, which has no route.
    assert_eq!(get(addr, "/api/../admin").await.status, 404);
    for bad in [
        "/api/%00",
        "/api/%zz",
        "/api/%c3%28",
        "/api/..;/admin",
        "/api/..%2Fadmin",
        "/api/..%5cadmin",
    ] {
        let r = get(addr, bad).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["error"], "bad_request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_ip_limit_get_429() {
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(
        &config(up.addr, "{ max_connections_per_ip: 2 }"),
        &["plain"],
    );
    let addr = gw.addr("plain");
    let _held1 = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _held2 = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = get(addr, "/api").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"], "too_many_requests");
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // Logged like every other answer, with the stage that refused it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gw.stdout().contains("connection_limit") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gw.stdout().contains("connection_limit"), "{}", gw.stdout());
    drop(_held1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(addr, "/api").await.status, 200);
}

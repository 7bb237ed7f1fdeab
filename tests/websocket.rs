//! End to end: WebSocket through the real gateway binary, with a real WebSocket
//! client and echo server (tokio-tungstenite). The handshake goes through the
//! request stages (auth here), the tunnel carries frames both ways and is counted
//! in `gateway_websockets_open`, `websocket: false` and `h2c` are never upgraded,
//! a 101 nobody asked for is a 502, and an idle tunnel is closed.
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use gateway::GatewayProcess;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_tungstenite::tungstenite::{
    Message, client::IntoClientRequest, handshake::server::Request as WsRequest,
};

/// A WebSocket echo server; every handshake's request headers are sent on `heads`.
async fn echo_server() -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Vec<String>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                // The callback's error type is tungstenite's, large or not.
                #[allow(clippy::result_large_err)]
                let callback = |req: &WsRequest, resp| {
                    let names = req
                        .headers()
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("")))
                        .collect();
                    let _ = tx.send(names);
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_close() {
                        break;
                    }
                    if ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, rx)
}

fn config(upstream: SocketAddr, extra: &str) -> String {
    format!(
        r#"
listeners:
  - {{ name: plain, bind: 127.0.0.1:0 }}
admin: {{ bind: 127.0.0.1:0 }}
limits: {{ idle_timeout: 1s }}
upstreams:
  ws: {{ targets: ["{upstream}"] }}
consumers:
  - {{ name: app, api_keys: [{{ sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }}] }}
routes:
  - name: chat
    match: {{ path_prefix: /chat }}
    upstream: ws
    auth: {{ api_key: true }}
  - name: plain-only
    match: {{ path_prefix: /nows }}
    upstream: ws
    websocket: false
{extra}"#
    )
}

/// A WebSocket request to the gateway, with the API key unless `key` is None.
fn ws_request(
    gw: &GatewayProcess,
    path: &str,
    key: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = format!("ws://{}{path}", gw.addr("plain"))
        .into_client_request()
        .expect("ws request");
    if let Some(key) = key {
        req.headers_mut()
            .insert("x-api-key", key.parse().expect("header"));
    }
    req
}

async fn metrics(gw: &GatewayProcess) -> String {
    client::get(gw.addr("admin"), "/metrics")
        .await
        .body
        .iter()
        .map(|&b| b as char)
        .collect()
}

fn open_tunnels(metrics: &str) -> Option<&str> {
    metrics
        .lines()
        .find(|l| l.starts_with("gateway_websockets_open{route=\"chat\"}"))
        .and_then(|l| l.split_whitespace().last())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_cross_the_gateway_both_ways_and_the_tunnel_is_counted_while_open() {
    let (up, mut heads) = echo_server().await;
    let gw = GatewayProcess::start(&config(up, ""), &["plain", "admin"]);
    let (mut ws, resp) = tokio_tungstenite::connect_async(ws_request(&gw, "/chat", Some("test")))
        .await
        .expect("handshake through the gateway");
    assert_eq!(resp.status(), 101);
    assert!(resp.headers().contains_key("x-request-id"));
    let head = heads.recv().await.expect("upstream saw the handshake");
    assert!(
        head.iter().any(|h| h.starts_with("x-forwarded-for:")),
        "{head:?}"
    );
    assert!(
        head.iter()
            .any(|h| h.eq_ignore_ascii_case("upgrade: websocket")),
        "{head:?}"
    );

    for msg in [
        Message::text("hello through the edge"),
        Message::binary(vec![0u8, 1, 2, 255]),
    ] {
        ws.send(msg.clone()).await.expect("send");
        let echoed = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("echo in time")
            .expect("stream open")
            .expect("frame");
        assert_eq!(echoed, msg);
    }
    assert_eq!(open_tunnels(&metrics(&gw).await), Some("1"));

    ws.close(None).await.expect("close");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let m = metrics(&gw).await;
        if open_tunnels(&m) == Some("0") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "tunnel still counted: {m}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        gw.stdout().contains("\"status\":101"),
        "the handshake is in the access log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_passes_the_request_stages_first() {
    let (up, mut heads) = echo_server().await;
    let gw = GatewayProcess::start(&config(up, ""), &["plain"]);
    let err = tokio_tungstenite::connect_async(ws_request(&gw, "/chat", None))
        .await
        .expect_err("no key, no tunnel");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 401),
        other => panic!("expected a 401 answer, got {other}"),
    }
    assert!(
        heads.try_recv().is_err(),
        "the upstream never saw the handshake"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_with_websocket_false_forwards_no_upgrade() {
    let (up, _heads) = echo_server().await;
    let gw = GatewayProcess::start(&config(up, ""), &["plain"]);
    let err = tokio_tungstenite::connect_async(ws_request(&gw, "/nows", None))
        .await
        .expect_err("no upgrade on this route");
    // The echo server gets a plain GET without Upgrade and refuses it.
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_ne!(resp.status(), 101),
        other => panic!("expected an HTTP answer, got {other}"),
    }
}

/// Sends a raw HTTP/1.1 request and returns everything read until the peer is quiet.
async fn raw_exchange(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(700), s.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An upstream that answers every request with a 101 to `protocol` and records the head.
async fn switching_upstream(
    protocol: &'static str,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tx.send(String::from_utf8_lossy(&head).to_lowercase());
                let answer = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\n\r\nsecret-upstream-bytes"
                );
                let _ = s.write_all(answer.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            });
        }
    });
    (addr, rx)
}

/// Sends `request` to an open route in front of an upstream that answers 101 to
/// `protocol`; returns what the client got and the head the upstream saw.
async fn through_switching_upstream(protocol: &'static str, request: &str) -> (String, String) {
    let (up, mut heads) = switching_upstream(protocol).await;
    let open_route = "  - name: open\n    match: { path_prefix: /open }\n    upstream: ws\n";
    let gw = GatewayProcess::start(&config(up, open_route), &["plain"]);
    let answer = raw_exchange(gw.addr("plain"), request).await;
    let head = heads.recv().await.expect("upstream saw the request");
    (answer, head)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_upgrades_are_stripped_and_a_101_nobody_asked_for_is_a_502() {
    let (answer, head) = through_switching_upstream(
        "h2c",
        "GET /open HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    )
    .await;
    assert!(!head.contains("upgrade"), "upstream got: {head}");
    assert!(answer.starts_with("HTTP/1.1 502"), "client got: {answer}");
    assert!(!answer.contains("secret-upstream-bytes"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_to_another_protocol_than_websocket_is_a_502() {
    let (answer, head) = through_switching_upstream(
        "something-else",
        "GET /open HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await;
    assert!(head.contains("upgrade: websocket"), "upstream got: {head}");
    assert!(answer.starts_with("HTTP/1.1 502"), "client got: {answer}");
    assert!(!answer.contains("secret-upstream-bytes"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tunnel_is_closed_after_the_idle_timeout() {
    let (up, _heads) = echo_server().await;
    let gw = GatewayProcess::start(&config(up, ""), &["plain"]);
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_request(&gw, "/chat", Some("test")))
        .await
        .expect("handshake");
    ws.send(Message::text("ping")).await.expect("send");
    assert!(matches!(ws.next().await, Some(Ok(Message::Text(_)))));
    // idle_timeout is 1s: with nothing sent, the gateway closes both sides.
    let started = std::time::Instant::now();
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => break,
                Some(Ok(Message::Close(_))) => {}
                Some(Ok(other)) => panic!("unexpected frame {other:?}"),
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the idle tunnel was never closed");
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_open_tunnels_and_the_gateway_exits_cleanly() {
    let (up, _heads) = echo_server().await;
    let mut gw = GatewayProcess::start(
        &config(up, "").replace("idle_timeout: 1s", "idle_timeout: 60s"),
        &["plain"],
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_request(&gw, "/chat", Some("test")))
        .await
        .expect("handshake");
    ws.send(Message::text("ping")).await.expect("send");
    assert!(matches!(ws.next().await, Some(Ok(Message::Text(_)))));
    gw.sigterm();
    let status = tokio::task::block_in_place(|| gw.wait_exit(Duration::from_secs(10)));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "a drain waits for nothing but the tunnel it closes"
    );
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(closed.is_ok(), "the client saw its tunnel end");
}

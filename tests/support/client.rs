//! Test clients: one-shot HTTP/1.1 requests over a fresh connection (hyper), and raw
//! bytes over TCP for what a well-behaved client would never send.
#![allow(dead_code)]
use std::{net::SocketAddr, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A response read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl Resp {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header the upstream echoed back (lowercase name).
    pub fn echoed(&self, name: &str) -> Option<String> {
        self.json()["headers"][name].as_str().map(str::to_owned)
    }
}

/// Sends `req` over a new HTTP/1.1 connection to `addr` (10 s bound).
pub async fn send(addr: SocketAddr, req: Request<Full<Bytes>>) -> Resp {
    tokio::time::timeout(Duration::from_secs(10), async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let resp = sender.send_request(req).await.expect("send request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    })
    .await
    .expect("request timed out")
}

/// A request builder with `Host: host` and an empty body.
pub fn req(method: &str, path: &str, host: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
}

/// GET `path` with `Host: test`.
pub async fn get(addr: SocketAddr, path: &str) -> Resp {
    send(
        addr,
        req("GET", path, "test").body(Full::default()).unwrap(),
    )
    .await
}

/// Writes raw bytes and reads until the server closes or `wait` passes.
pub async fn raw(addr: SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of the first response in raw HTTP/1.1 text.
pub fn raw_status(text: &str) -> Option<u16> {
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Sends `req` over TLS (HTTP/1.1, or h2 when `h2`) to `addr`, verifying the server
/// as `server_name` with `config` (10 s bound). Returns the response and the ALPN.
pub async fn send_tls(
    addr: SocketAddr,
    server_name: &str,
    config: std::sync::Arc<rustls::ClientConfig>,
    req: Request<Full<Bytes>>,
    h2: bool,
) -> Result<Resp, String> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let name = rustls::pki_types::ServerName::try_from(server_name.to_string())
            .map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, stream)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let io = TokioIo::new(tls);
        let resp = if h2 {
            let (mut sender, conn) =
                hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                    .await
                    .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            sender.send_request(req).await
        } else {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            sender.send_request(req).await
        }
        .map_err(|e| format!("request: {e}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Resp {
            status,
            headers,
            body,
        })
    })
    .await
    .map_err(|_| "timed out".to_string())?
}

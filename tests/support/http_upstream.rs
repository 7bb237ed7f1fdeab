//! A tiny in-test upstream: answers every request with JSON naming itself and echoing
//! what the gateway forwarded (path, traceparent, credentials it received).
#![allow(dead_code)]

use std::{convert::Infallible, net::SocketAddr};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinHandle};

/// A running upstream on 127.0.0.1, stopped when dropped.
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Upstream {
    /// Starts an upstream whose answers carry `"upstream": name`.
    pub async fn start(name: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind upstream: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("upstream addr: {e}"));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let service =
                        service_fn(move |req: Request<hyper::body::Incoming>| async move {
                            let header = |n: &str| {
                                req.headers()
                                    .get(n)
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned)
                            };
                            let body = serde_json::json!({
                                "upstream": name,
                                "path": req.uri().path(),
                                "traceparent": header("traceparent"),
                                "x_request_id": header("x-request-id"),
                            });
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                                body.to_string(),
                            ))))
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, task }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

//! In-test upstream servers (tokio + hyper, h1 and h2c) that echo what they received
//! as JSON, and answer special paths: `/healthz` (200, or 503 when set unhealthy),
//! `/slow?ms=N` (answers after N ms), `/status/N` (status N with a leaky body).
#![allow(dead_code)]
use std::{
    collections::BTreeMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use tokio::{net::TcpListener, task::AbortHandle};

struct State {
    name: String,
    hits: AtomicUsize,
    healthy: AtomicBool,
    conns: Mutex<Vec<AbortHandle>>,
}

/// A running upstream; stopped (listener and every connection) when dropped.
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: AbortHandle,
}

impl Upstream {
    /// Starts an upstream on a free loopback port.
    pub async fn start(name: &str) -> Self {
        Self::start_on(name, "127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts an upstream on `addr` (to bring a stopped one back on its port).
    pub async fn start_on(name: &str, addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind upstream");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            name: name.to_string(),
            hits: AtomicUsize::new(0),
            healthy: AtomicBool::new(true),
            conns: Mutex::new(Vec::new()),
        });
        let st = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let st2 = st.clone();
                let task = tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(st2.clone(), req));
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
                st.conns.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            state,
            accept,
        }
    }

    /// Requests served (health checks excluded).
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Makes `/healthz` answer 200 (true) or 503 (false).
    pub fn set_healthy(&self, healthy: bool) {
        self.state.healthy.store(healthy, Ordering::SeqCst);
    }

    /// Stops listening and closes every connection (the port then refuses).
    pub fn stop(&self) {
        self.accept.abort();
        for c in self.state.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn handle(
    st: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    if path == "/healthz" {
        let code = if st.healthy.load(Ordering::SeqCst) {
            200
        } else {
            503
        };
        return Ok(Response::builder()
            .status(code)
            .body(Full::new(Bytes::from_static(b"ok")))
            .unwrap());
    }
    st.hits.fetch_add(1, Ordering::SeqCst);
    if path.ends_with("/slow") {
        let ms = req
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("ms="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(code) = path
        .rsplit_once("/status/")
        .and_then(|(_, c)| c.parse::<u16>().ok())
    {
        return Ok(Response::builder()
            .status(code)
            .header("server", "leaky/1.0")
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from_static(
                b"Traceback: psycopg2.OperationalError password=hunter2 at db.internal:5432",
            )))
            .unwrap());
    }
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let version = format!("{:?}", req.version());
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in req.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).to_string();
        headers
            .entry(k.as_str().to_string())
            .and_modify(|prev| {
                prev.push_str(", ");
                prev.push_str(&v);
            })
            .or_insert(v);
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let echo = serde_json::json!({
        "upstream": st.name,
        "method": method,
        "uri": uri,
        "version": version,
        "headers": headers,
        "body_len": body.len(),
    });
    Ok(Response::builder()
        .header("content-type", "application/json")
        .header("server", "upstream-echo/1.0")
        .header("x-powered-by", "Express")
        .header("keep-alive", "timeout=5")
        .header("x-upstream", st.name.as_str())
        .body(Full::new(Bytes::from(echo.to_string())))
        .unwrap())
}

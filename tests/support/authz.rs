//! An external authorization service on loopback for auth tests. It decides on the
//! `Authorization` header: `Bearer allow-<user>` → 200 with `X-User-Id: <user>` and
//! `X-Tenant-Id: t1`; `Bearer deny401` → 401; `Bearer deny403` → 403; `Bearer slow`
//! → answers after 3 s; anything else → 500. Counts calls; stopped on drop.
#![allow(dead_code)]

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinHandle};

/// A running authorization service.
pub struct AuthzServer {
    /// Where it listens.
    pub addr: SocketAddr,
    calls: Arc<AtomicU64>,
    last_uri: Arc<Mutex<String>>,
    task: JoinHandle<()>,
}

impl AuthzServer {
    /// Starts it on 127.0.0.1, on a free port.
    pub async fn start() -> AuthzServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let calls = Arc::new(AtomicU64::new(0));
        let last_uri = Arc::new(Mutex::new(String::new()));
        let (c, l) = (calls.clone(), last_uri.clone());
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (c, l) = (c.clone(), l.clone());
                conns.spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let (c, l) = (c.clone(), l.clone());
                        async move { Ok::<_, Infallible>(decide(req, &c, &l).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        AuthzServer {
            addr,
            calls,
            last_uri,
            task,
        }
    }

    /// The service's URL.
    pub fn url(&self) -> String {
        format!("http://{}/authorize", self.addr)
    }

    /// Calls received so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// `X-Forwarded-Uri` of the last call.
    pub fn last_uri(&self) -> String {
        self.last_uri.lock().unwrap().clone()
    }
}

impl Drop for AuthzServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn decide(
    req: Request<Incoming>,
    calls: &AtomicU64,
    last_uri: &Mutex<String>,
) -> Response<Full<Bytes>> {
    calls.fetch_add(1, Ordering::SeqCst);
    if let Some(u) = req
        .headers()
        .get("x-forwarded-uri")
        .and_then(|v| v.to_str().ok())
    {
        *last_uri.lock().unwrap() = u.to_string();
    }
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let empty = || Full::new(Bytes::new());
    if let Some(user) = auth.strip_prefix("Bearer allow-") {
        return Response::builder()
            .header("x-user-id", user)
            .header("x-tenant-id", "t1")
            .header("x-internal-secret", "not-forwarded")
            .body(empty())
            .unwrap();
    }
    let status = match auth.as_str() {
        "Bearer deny401" => 401,
        "Bearer deny403" => 403,
        "Bearer slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            200
        }
        _ => 500,
    };
    Response::builder().status(status).body(empty()).unwrap()
}

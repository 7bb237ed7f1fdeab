//! A local JWKS server on loopback for auth tests: serves a key set that the test can
//! rotate, counts the requests it answers, and can be stopped (connections are then
//! refused) to play an unreachable issuer. Stopped on drop.
#![allow(dead_code)]

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinHandle};

/// A running JWKS server.
pub struct JwksServer {
    /// Where it listens.
    pub addr: SocketAddr,
    https: bool,
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicU64>,
    task: Option<JoinHandle<()>>,
}

impl JwksServer {
    /// Starts serving `jwks` (a JSON document) on 127.0.0.1, on a free port.
    pub async fn start(jwks: String) -> JwksServer {
        Self::start_with(jwks, None).await
    }

    /// Starts serving `jwks` over HTTPS with a certificate for 127.0.0.1 signed by a
    /// fresh test CA; returns the server and the CA certificate (PEM).
    pub async fn start_tls(jwks: String) -> (JwksServer, String) {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        (Self::start_with(jwks, Some(acceptor)).await, ca.pem())
    }

    async fn start_with(jwks: String, tls: Option<tokio_rustls::TlsAcceptor>) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let body = Arc::new(Mutex::new(jwks));
        let hits = Arc::new(AtomicU64::new(0));
        let https = tls.is_some();
        let task = tokio::spawn(serve(listener, tls, body.clone(), hits.clone()));
        JwksServer {
            addr,
            https,
            body,
            hits,
            task: Some(task),
        }
    }

    /// The URL of the key set.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}/.well-known/jwks.json", self.addr)
    }

    /// Replaces the key set (a rotation at the issuer).
    pub fn rotate(&self, jwks: String) {
        *self.body.lock().unwrap() = jwks;
    }

    /// Requests answered so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }

    /// Stops listening: later fetches fail to connect.
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicU64>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let body = body.clone();
        let hits = hits.clone();
        let tls = tls.clone();
        conns.spawn(async move {
            let svc = service_fn(move |_req: Request<Incoming>| {
                hits.fetch_add(1, Ordering::SeqCst);
                let text = body.lock().unwrap().clone();
                async move {
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(text)))
                            .unwrap(),
                    )
                }
            });
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), svc).await;
                }
            }
        });
    }
}

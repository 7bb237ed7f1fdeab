//! Admin API against a real socket, with a fake reloader.
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::{
    reload::{Applied, Reload, ReloadError, ReloadSource},
    telemetry::Telemetry,
};

/// Applies the next scripted outcome on each reload.
struct FakeReload {
    outcomes: Mutex<Vec<Result<Applied, ReloadError>>>,
    current: Mutex<Option<String>>,
}

impl Reload for FakeReload {
    fn reload(&self, source: ReloadSource) -> Result<Applied, ReloadError> {
        assert_eq!(source, ReloadSource::Admin);
        let next = self
            .outcomes
            .lock()
            .map(|mut o| o.remove(0))
            .unwrap_or_else(|_| Err(ReloadError::Build("poisoned".into())));
        if let (Ok(applied), Ok(mut c)) = (&next, self.current.lock()) {
            *c = Some(applied.digest.clone());
        }
        next
    }
    fn current_digest(&self) -> Option<String> {
        self.current.lock().ok().and_then(|c| c.clone())
    }
}

fn admin_at(bind: &str) -> config::Admin {
    config::Admin {
        bind: bind.parse().unwrap(),
        tls: None,
    }
}

async fn start(outcomes: Vec<Result<Applied, ReloadError>>) -> (AdminServer, Arc<AdminState>) {
    let state = Arc::new(AdminState {
        telemetry: Arc::new(Telemetry::without_access_log()),
        ready: Arc::new(Readiness::default()),
        reload: Arc::new(FakeReload {
            outcomes: Mutex::new(outcomes),
            current: Mutex::new(Some("old".into())),
        }),
        limits: Arc::default(),
    });
    let server = AdminServer::start(&admin_at("127.0.0.1:0"), None, Arc::clone(&state))
        .await
        .unwrap();
    (server, state)
}

/// Sends one HTTP/1.1 request and returns (status, head, body).
async fn call(addr: SocketAddr, method: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

#[tokio::test]
async fn metrics_are_served_as_openmetrics_text() {
    let (server, state) = start(vec![]).await;
    state
        .telemetry
        .metrics
        .observe_request("users", "GET", 200, Duration::from_millis(2));
    let (status, head, body) = call(server.local_addr(), "GET", "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text")
    );
    assert!(
        body.contains("gateway_requests_total{route=\"users\",method=\"GET\",status=\"200\"} 1")
    );
    assert!(body.trim_end().ends_with("# EOF"));
    server.shutdown().await;
}

#[tokio::test]
async fn healthz_is_ok_while_readyz_waits_for_the_listeners() {
    let (server, state) = start(vec![]).await;
    let addr = server.local_addr();
    assert_eq!(call(addr, "GET", "/healthz").await.0, 200);
    let (status, _, body) = call(addr, "GET", "/readyz").await;
    assert_eq!(status, 503, "{body}");
    state.ready.set(true);
    let (status, _, body) = call(addr, "GET", "/readyz").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"digest\":\"old\""), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn reload_answers_the_new_digest_or_the_error() {
    let (server, _state) = start(vec![
        Ok(Applied {
            digest: "new".into(),
            previous: Some("old".into()),
        }),
        Err(ReloadError::Invalid(
            "gateway.yaml:3:7: unknown field `bnd`".into(),
        )),
        Err(ReloadError::Build("cannot read certs/server.pem".into())),
    ])
    .await;
    let addr = server.local_addr();
    let (status, _, body) = call(addr, "POST", "/admin/reload").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["digest"], "new");
    assert_eq!(v["previous"], "old");
    assert_eq!(v["changed"], true);

    let (status, _, body) = call(addr, "POST", "/admin/reload").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("gateway.yaml:3:7: unknown field `bnd`"),
        "{body}"
    );

    let (status, _, body) = call(addr, "POST", "/admin/reload").await;
    assert_eq!(status, 500);
    assert!(body.contains("cannot read certs/server.pem"), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn reload_by_get_is_refused_with_405() {
    let (server, _state) = start(vec![]).await;
    let (status, head, _) = call(server.local_addr(), "GET", "/admin/reload").await;
    assert_eq!(status, 405);
    assert!(head.to_ascii_lowercase().contains("allow: post"));
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let (server, _state) = start(vec![]).await;
    let (status, head, body) = call(server.local_addr(), "GET", "/nope").await;
    assert_eq!(status, 404);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "not found");
    server.shutdown().await;
}

#[test]
fn a_non_loopback_admin_without_mutual_tls_is_refused() {
    assert!(check_exposure(&admin_at("127.0.0.1:9901")).is_ok());
    assert!(check_exposure(&admin_at("[::1]:9901")).is_ok());
    let err = check_exposure(&admin_at("0.0.0.0:9901")).unwrap_err();
    assert!(err.to_string().contains("not loopback"));
    let tls = |client_auth| config::ListenerTls {
        cert: "c.pem".into(),
        key: "k.pem".into(),
        sni: vec![],
        client_ca: Some("ca.pem".into()),
        client_auth,
        client_crl: None,
    };
    let mut exposed = admin_at("198.18.0.1:9901");
    exposed.tls = Some(tls(ClientAuth::Optional));
    assert!(check_exposure(&exposed).is_err());
    exposed.tls = Some(tls(ClientAuth::Required));
    assert!(check_exposure(&exposed).is_ok());
}

#[tokio::test]
async fn an_exposed_admin_listener_does_not_start() {
    let state = Arc::new(AdminState {
        telemetry: Arc::new(Telemetry::without_access_log()),
        ready: Arc::new(Readiness::default()),
        reload: Arc::new(FakeReload {
            outcomes: Mutex::new(vec![]),
            current: Mutex::new(None),
        }),
        limits: Arc::default(),
    });
    let started = AdminServer::start(&admin_at("0.0.0.0:0"), None, state).await;
    assert!(matches!(started, Err(AdminError::Exposed(_))));
}

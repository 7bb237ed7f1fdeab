//! Operations end to end with the real binary: metrics after real requests, health and
//! readiness, reload by SIGHUP and by the admin API (good and bad files), reload under
//! load without a failed request, an access log that never holds a credential, and the
//! admin listener's exposure rules (mutual TLS, loopback).
#[path = "support/certs.rs"]
mod certs;
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use gateway::GatewayProcess;
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use sha2::{Digest, Sha256};
use upstream::Upstream;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Upstreams `a` and `b` and a directory for the access log; the gateway's listeners
/// bind port 0 (the helper reads the real ports from the `listening` log lines).
struct Setup {
    dir: tempfile::TempDir,
    a: Upstream,
    b: Upstream,
    /// The `admin:` mapping.
    admin: String,
}

impl Setup {
    async fn new() -> Self {
        Self::with_admin("{ bind: 127.0.0.1:0 }".to_string()).await
    }

    async fn with_admin(admin: String) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
            a: Upstream::start("a").await,
            b: Upstream::start("b").await,
            admin,
        }
    }

    fn access_log(&self) -> PathBuf {
        self.dir.path().join("access.log")
    }

    /// Routes `/a` to upstream a; with `with_b`, also `/b` to upstream b.
    fn config(&self, with_b: bool) -> String {
        let route_b = if with_b {
            "  - name: route-b\n    match: { path_prefix: /b }\n    upstream: b\n"
        } else {
            ""
        };
        format!(
            "listeners:\n  - name: plain\n    bind: 127.0.0.1:0\nadmin: {admin}\n\
             upstreams:\n  a:\n    targets: [\"{a}\"]\n  b:\n    targets: [\"{b}\"]\n\
             routes:\n  - name: route-a\n    match: {{ path_prefix: /a }}\n    upstream: a\n{route_b}\
             access_log: {{ path: {log} }}\n",
            admin = self.admin,
            a = self.a.addr,
            b = self.b.addr,
            log = self.access_log().display(),
        )
    }

    fn start(&self) -> Running {
        let gw = GatewayProcess::start(&self.config(false), &["plain", "admin"]);
        let running = Running {
            listen: gw.addr("plain"),
            admin: gw.addr("admin"),
            gw,
        };
        running.wait_ready();
        running
    }
}

/// A started gateway and its addresses.
struct Running {
    gw: GatewayProcess,
    listen: SocketAddr,
    admin: SocketAddr,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listen)
    }

    /// Replaces the configuration file atomically (write + rename, as editors and
    /// config management do) and returns its sha256.
    fn write_config(&self, text: &str) -> String {
        let path = self.gw.config_path();
        let tmp = path.with_extension("yaml.tmp");
        std::fs::write(&tmp, text).unwrap_or_else(|e| panic!("write config: {e}"));
        std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("rename config: {e}"));
        sha256(text)
    }

    fn sighup(&self) {
        // SAFETY: kill(2) on the pid of our own child, which is still running.
        let rc = unsafe { libc::kill(self.gw.pid() as i32, libc::SIGHUP) };
        assert_eq!(rc, 0);
    }

    /// The daemon's log lines that are JSON.
    fn logs(&self) -> Vec<serde_json::Value> {
        self.gw
            .stderr()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Polls until a log line satisfies `pred`, or panics after 10 s.
    fn wait_for_log(
        &self,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self.logs().into_iter().find(|l| pred(l)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line {what}; logs:\n{}",
                self.gw.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `listening` is logged just before `/readyz` turns 200: wait for the latter.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while admin_blocking(self.admin, "GET", "/readyz").0 != 200 {
            assert!(
                Instant::now() < deadline,
                "never ready; logs:\n{}",
                self.gw.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// One blocking request to the admin listener: (status, body); status 0 when the
/// connection fails.
fn admin_blocking(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return (0, String::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (client::raw_status(head).unwrap_or(0), body.to_string())
}

/// [`admin_blocking`] off the async workers.
async fn admin(addr: SocketAddr, method: &'static str, path: &'static str) -> (u16, String) {
    tokio::task::spawn_blocking(move || admin_blocking(addr, method, path))
        .await
        .unwrap_or((0, String::new()))
}

/// A pooled keep-alive client: connections opened before a reload are reused after it.
fn pooled_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// GET through the gateway: (status, body), or an error text.
async fn get(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String), String> {
    let mut req = hyper::Request::get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(10), client.request(req))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).to_string()))
}

/// Polls `url` until the upstream named `want` answers it, or panics.
async fn wait_for_upstream(client: &HttpClient, url: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok((200, body)) = get(client, url, &[]).await
            && body.contains(&format!("\"upstream\":\"{want}\""))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} never reached upstream {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn metric_value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_real_requests_and_health_endpoints_answer() {
    let setup = Setup::new().await;
    let run = setup.start();
    let client = pooled_client();
    for _ in 0..5 {
        let (status, body) = get(&client, &run.url("/a/items"), &[]).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = get(&client, &run.url("/nowhere"), &[]).await.unwrap();
    assert_eq!(status, 404);

    assert_eq!(admin(run.admin, "GET", "/healthz").await.0, 200);
    let (status, ready) = admin(run.admin, "GET", "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let digest = sha256(&setup.config(false));
    assert!(ready.contains(&digest), "{ready}");

    let (status, metrics) = admin(run.admin, "GET", "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        metric_value(
            &metrics,
            "gateway_requests_total{route=\"route-a\",method=\"GET\",status=\"200\"}"
        ),
        Some(5.0),
        "{metrics}"
    );
    assert!(
        metrics.contains("gateway_request_duration_seconds_count{route=\"route-a\"} 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("gateway_config_info{{digest=\"{digest}\"}} 1")),
        "{metrics}"
    );
    assert!(metrics.contains("gateway_build_info{"), "{metrics}");
    assert_eq!(
        metric_value(
            &metrics,
            "gateway_rejected_requests_total{stage=\"route\",status=\"404\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(admin(run.admin, "GET", "/nope").await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_a_changed_file_applies_the_new_route_and_logs_its_digest() {
    let setup = Setup::new().await;
    let run = setup.start();
    let client = pooled_client();
    let (status, _) = get(&client, &run.url("/b/x"), &[]).await.unwrap();
    assert_eq!(status, 404, "route b exists before the reload");
    run.wait_for_log("config applied at startup", |l| {
        l["msg"] == "config applied" && l["source"] == "startup"
    });

    let digest = run.write_config(&setup.config(true));
    run.sighup();
    wait_for_upstream(&client, &run.url("/b/x"), "b").await;
    let audit = run.wait_for_log("config applied by sighup", |l| {
        l["msg"] == "config applied" && l["source"] == "sighup"
    });
    assert_eq!(audit["digest"], digest.as_str(), "{audit}");
    assert_eq!(
        audit["path"],
        run.gw.config_path().display().to_string(),
        "{audit}"
    );
    let (_, ready) = admin(run.admin, "GET", "/readyz").await;
    assert!(ready.contains(&digest), "{ready}");
    // The old route still works on the new configuration.
    wait_for_upstream(&client, &run.url("/a/x"), "a").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_on_reload_keeps_the_old_config_serving() {
    let setup = Setup::new().await;
    let run = setup.start();
    let client = pooled_client();
    let good = sha256(&setup.config(false));

    let broken = setup
        .config(true)
        .replace("path_prefix: /b", "path_prefix: /b, colour: blue");
    run.write_config(&broken);
    let (status, body) = admin(run.admin, "POST", "/admin/reload").await;
    assert_eq!(status, 400, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("gateway.yaml:"), "{body}");
    assert!(detail.contains("colour"), "{body}");

    // The old configuration keeps serving, and says so.
    let (status, _) = get(&client, &run.url("/a/x"), &[]).await.unwrap();
    assert_eq!(status, 200);
    let (status, _) = get(&client, &run.url("/b/x"), &[]).await.unwrap();
    assert_eq!(status, 404);
    let (_, ready) = admin(run.admin, "GET", "/readyz").await;
    assert!(ready.contains(&good), "{ready}");
    run.wait_for_log("config reload failed", |l| {
        l["level"] == "error"
            && l["msg"]
                .as_str()
                .unwrap_or_default()
                .contains("config reload failed")
            && l["error"].as_str().unwrap_or_default().contains("colour")
    });

    // A SIGHUP with the same bad file fails the same way and is counted too.
    run.sighup();
    run.wait_for_log("second reload failure", |l| {
        l["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("config reload failed")
            && l["source"] == "sighup"
    });
    let (_, metrics) = admin(run.admin, "GET", "/metrics").await;
    assert_eq!(
        metric_value(&metrics, "gateway_config_reloads_total{result=\"error\"}"),
        Some(2.0),
        "{metrics}"
    );
    assert!(metrics.contains(&format!("gateway_config_info{{digest=\"{good}\"}} 1")));
    assert_eq!(
        metric_value(&metrics, "gateway_config_last_reload_successful"),
        Some(0.0),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reloads_under_load_fail_no_request() {
    const WORKERS: usize = 8;
    const PER_WORKER: usize = 250; // 2,000 requests in all
    let setup = Setup::new().await;
    let run = Arc::new(setup.start());
    let client = pooled_client();
    let failures = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let first_failure = Arc::new(Mutex::new(None::<String>));

    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (client, run) = (client.clone(), Arc::clone(&run));
        let (failures, done, first_failure) = (
            Arc::clone(&failures),
            Arc::clone(&done),
            Arc::clone(&first_failure),
        );
        workers.push(tokio::spawn(async move {
            for i in 0..PER_WORKER {
                let url = run.url(&format!("/a/w{w}/{i}"));
                match get(&client, &url, &[]).await {
                    Ok((200, _)) => {}
                    other => {
                        failures.fetch_add(1, Ordering::SeqCst);
                        if let Ok(mut f) = first_failure.lock() {
                            f.get_or_insert(format!("{url}: {other:?}"));
                        }
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
                // Spread the load over ~3 s so reloads land in the middle of it.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }

    // Six reloads while the load runs, alternating SIGHUP and the admin API, each
    // with a different file.
    let reloads = 6;
    for n in 0..reloads {
        tokio::time::sleep(Duration::from_millis(400)).await;
        run.write_config(&setup.config(n % 2 == 0));
        if n % 2 == 0 {
            run.sighup();
        } else {
            let (status, body) = admin(run.admin, "POST", "/admin/reload").await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let all = async {
        for w in workers {
            let _ = w.await;
        }
    };
    assert!(
        tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .is_ok(),
        "the load did not finish"
    );
    assert_eq!(done.load(Ordering::SeqCst), WORKERS * PER_WORKER);
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "first failure: {:?}",
        first_failure.lock().map(|f| f.clone()).unwrap_or_default()
    );
    // Every reload was applied (none was lost or refused).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let applied = run
            .logs()
            .iter()
            .filter(|l| l["msg"] == "config applied" && l["source"] != "startup")
            .count();
        if applied >= reloads {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{applied} of {reloads} reloads applied; logs:\n{}",
            run.gw.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the access log holds at least `n` lines and returns them.
fn access_lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "access log has {} lines, expected {n}",
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_are_json_and_never_hold_credentials() {
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.SIGNATURE-7f3a";
    const API_KEY: &str = "ak_live_5d2f9c0e4b8a";
    const COOKIE: &str = "sess-1b9d6bcd-bbfd-4b2d";
    const QUERY_KEY: &str = "qk_9e107d9d372bb682";
    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let incoming_tp = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
    let setup = Setup::new().await;
    let run = setup.start();
    let client = pooled_client();
    let bearer = format!("Bearer {TOKEN}");
    let cookie = format!("session={COOKIE}");
    let url = run.url(&format!("/a/orders?api_key={QUERY_KEY}&page=2"));
    let (status, body) = get(
        &client,
        &url,
        &[
            ("authorization", bearer.as_str()),
            ("x-api-key", API_KEY),
            ("cookie", cookie.as_str()),
            ("traceparent", incoming_tp.as_str()),
            ("user-agent", "ops-test/1.0"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(&client, &run.url("/missing"), &[("traceparent", "garbage")])
        .await
        .unwrap();
    assert_eq!(status, 404);

    // The upstream got the same trace with the gateway's own span as parent.
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let forwarded = seen["headers"]["traceparent"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(forwarded.starts_with(&format!("00-{TRACE_ID}-")), "{seen}");
    assert_ne!(forwarded, incoming_tp);

    let lines = access_lines(&setup.access_log(), 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        for secret in [TOKEN, API_KEY, COOKIE, QUERY_KEY, "Bearer"] {
            assert!(!line.contains(secret), "access log holds {secret}: {line}");
        }
    }
    let first: serde_json::Value =
        serde_json::from_str(&lines[0]).unwrap_or_else(|e| panic!("not JSON: {e}: {}", lines[0]));
    assert_eq!(first["path"], "/a/orders");
    assert_eq!(first["route"], "route-a");
    assert_eq!(first["status"], 200);
    assert_eq!(first["method"], "GET");
    assert_eq!(first["client_ip"], "127.0.0.1");
    assert_eq!(first["user_agent"], "ops-test/1.0");
    assert_eq!(first["upstream_addr"], setup.a.addr.to_string());
    assert_eq!(first["traceparent"], forwarded.as_str());
    assert!(first["duration_ms"].as_f64().is_some(), "{first}");
    assert!(first["upstream_ms"].as_f64().is_some(), "{first}");
    assert_eq!(
        first["request_id"], seen["headers"]["x-request-id"],
        "{first} vs {seen}"
    );
    assert!(first["time"].as_str().unwrap_or_default().ends_with('Z'));

    // An invalid traceparent is replaced by a fresh, valid one.
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap_or_default();
    assert_eq!(second["status"], 404);
    assert_eq!(second["route"], serde_json::Value::Null);
    let tp = second["traceparent"].as_str().unwrap_or_default();
    assert!(
        ::gateway::telemetry::TraceContext::parse(tp).is_some(),
        "{second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reopens_the_access_log_after_rotation() {
    let setup = Setup::new().await;
    let run = setup.start();
    let client = pooled_client();
    let (status, _) = get(&client, &run.url("/a/before"), &[]).await.unwrap();
    assert_eq!(status, 200);
    access_lines(&setup.access_log(), 1);

    // What logrotate does: rename, then signal.
    let rotated = setup.dir.path().join("access.log.1");
    std::fs::rename(setup.access_log(), &rotated).unwrap_or_else(|e| panic!("rename: {e}"));
    run.sighup();
    run.wait_for_log("reload after rotation", |l| {
        l["msg"] == "config applied" && l["source"] == "sighup"
    });
    let (status, _) = get(&client, &run.url("/a/after"), &[]).await.unwrap();
    assert_eq!(status, 200);

    let new = access_lines(&setup.access_log(), 1);
    assert!(new[0].contains("\"path\":\"/a/after\""), "{new:?}");
    let old = std::fs::read_to_string(&rotated).unwrap_or_default();
    assert!(old.contains("\"path\":\"/a/before\""), "{old}");
    assert!(!old.contains("/a/after"), "{old}");
}

/// One HTTP/1.1 request to the admin listener over TLS: (status, body).
fn tls_admin_request(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    path: &str,
) -> Result<(u16, String), String> {
    use std::io::{Read, Write};
    let name = rustls::pki_types::ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(tls, name).map_err(|e| e.to_string())?;
    let sock = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut stream = rustls::StreamOwned::new(conn, sock);
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    // A client that offered h2 (curl does) would speak HTTP/2 if it were chosen.
    if let Some(alpn) = stream.conn.alpn_protocol()
        && alpn != b"http/1.1"
    {
        return Err(format!("ALPN chose {:?}", String::from_utf8_lossy(alpn)));
    }
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or(format!("no response: {text:?}"))?;
    let status = client::raw_status(head).ok_or(format!("bad status line: {head}"))?;
    Ok((status, body.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_over_mutual_tls_answers_only_clients_with_a_certificate() {
    let pki = certs::TestPki::new();
    let server = pki.server("admin", &["localhost", "127.0.0.1"]);
    let ops_client = pki.client("ops", "ops", &[]);
    let setup = Setup::with_admin(format!(
        "{{ bind: 127.0.0.1:0, tls: {{ cert: {}, key: {}, client_ca: {}, client_auth: required }} }}",
        server.cert.display(),
        server.key.display(),
        pki.ca_cert().display()
    ))
    .await;
    let gw = GatewayProcess::start(&setup.config(false), &["plain", "admin"]);
    let admin_addr = gw.addr("admin");
    // Offers h2 first, as curl does: the admin listener must pick http/1.1.
    let with_cert = certs::client_config(&pki, Some(&ops_client));
    let without_cert = certs::client_config_with(&pki, None, &[b"http/1.1"], None);

    let deadline = Instant::now() + Duration::from_secs(10);
    let metrics = loop {
        match tls_admin_request(admin_addr, Arc::clone(&with_cert), "/metrics") {
            Ok((200, body)) => break body,
            other => assert!(Instant::now() < deadline, "admin over mTLS: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(metrics.contains("gateway_config_info{"), "{metrics}");

    let refused = tls_admin_request(admin_addr, without_cert, "/metrics");
    assert!(
        refused.is_err(),
        "answered without a client certificate: {refused:?}"
    );
    // Plain HTTP gets nothing either.
    assert_eq!(admin_blocking(admin_addr, "GET", "/metrics").0, 0);
    drop(gw);
}

#[test]
fn an_admin_listener_exposed_without_mutual_tls_stops_the_daemon() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let config = dir.path().join("gateway.yaml");
    let text = "listeners:\n  - name: plain\n    bind: 127.0.0.1:0\nadmin: { bind: 0.0.0.0:0 }\n\
                upstreams:\n  a:\n    targets: [\"127.0.0.1:9\"]\n\
                routes:\n  - name: r\n    match: { path_prefix: / }\n    upstream: a\n";
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("write: {e}"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["run", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the gateway kept running with an exposed admin listener");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!status.success());
    assert!(stderr.contains("not loopback"), "{stderr}");
}

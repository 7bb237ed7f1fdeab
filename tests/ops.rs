//! Operations end to end with the real binary: metrics after real requests, health and
//! readiness, reload by SIGHUP and by the admin API (good and bad files), reload under
//! load without a failed request, and an access log that never holds a credential.
#[path = "support/gateway_proc.rs"]
mod gateway_proc;
#[path = "support/http_upstream.rs"]
mod http_upstream;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use gateway_proc::{GatewayProcess, admin_request, free_port};
use http_body_util::{BodyExt, Full};
use http_upstream::Upstream;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use sha2::{Digest, Sha256};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A gateway with upstreams `a` and `b`, its files in a temporary directory.
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    listen: SocketAddr,
    admin: SocketAddr,
    a: Upstream,
    b: Upstream,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let config = dir.path().join("gateway.yaml");
        let listen: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let admin: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let a = Upstream::start("a").await;
        let b = Upstream::start("b").await;
        let setup = Self {
            dir,
            config,
            listen,
            admin,
            a,
            b,
        };
        setup.write_config(false);
        setup
    }

    fn access_log(&self) -> PathBuf {
        self.dir.path().join("access.log")
    }

    /// Routes `/a` to upstream a; with `with_b`, also `/b` to upstream b.
    fn config_text(&self, with_b: bool) -> String {
        let route_b = if with_b {
            "  - name: route-b\n    match: { path_prefix: /b }\n    upstream: b\n"
        } else {
            ""
        };
        format!(
            "listeners:\n  - name: plain\n    bind: {listen}\nadmin: {{ bind: {admin} }}\n\
             upstreams:\n  a:\n    targets: [\"{a}\"]\n  b:\n    targets: [\"{b}\"]\n\
             routes:\n  - name: route-a\n    match: {{ path_prefix: /a }}\n    upstream: a\n{route_b}\
             access_log: {{ path: {log} }}\n",
            listen = self.listen,
            admin = self.admin,
            a = self.a.addr,
            b = self.b.addr,
            log = self.access_log().display(),
        )
    }

    /// Writes the configuration file and returns its sha256.
    fn write_config(&self, with_b: bool) -> String {
        self.write_raw(&self.config_text(with_b))
    }

    fn write_raw(&self, text: &str) -> String {
        // Write then rename, as editors and config management do, so a reload never
        // reads a half-written file.
        let tmp = self.dir.path().join("gateway.yaml.tmp");
        std::fs::write(&tmp, text).unwrap_or_else(|e| panic!("write config: {e}"));
        std::fs::rename(&tmp, &self.config).unwrap_or_else(|e| panic!("rename config: {e}"));
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    fn start(&self) -> GatewayProcess {
        GatewayProcess::start(&self.config, self.dir.path(), self.admin)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listen)
    }
}

fn client() -> HttpClient {
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

/// Runs a blocking admin call off the async workers.
async fn admin(addr: SocketAddr, method: &'static str, path: &'static str) -> (u16, String) {
    tokio::task::spawn_blocking(move || admin_request(addr, method, path))
        .await
        .unwrap_or((0, String::new()))
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
    let gw = setup.start();
    let client = client();
    for _ in 0..5 {
        let (status, body) = get(&client, &setup.url("/a/items"), &[]).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = get(&client, &setup.url("/nowhere"), &[]).await.unwrap();
    assert_eq!(status, 404);

    assert_eq!(admin(gw.admin, "GET", "/healthz").await.0, 200);
    let (status, ready) = admin(gw.admin, "GET", "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let digest = hex::encode(Sha256::digest(setup.config_text(false).as_bytes()));
    assert!(ready.contains(&digest), "{ready}");

    let (status, metrics) = admin(gw.admin, "GET", "/metrics").await;
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
    assert_eq!(admin(gw.admin, "GET", "/nope").await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_a_changed_file_applies_the_new_route_and_logs_its_digest() {
    let setup = Setup::new().await;
    let gw = setup.start();
    let client = client();
    let (status, _) = get(&client, &setup.url("/b/x"), &[]).await.unwrap();
    assert_eq!(status, 404, "route b exists before the reload");
    gw.wait_for_log("config applied at startup", Duration::from_secs(5), |l| {
        l["msg"] == "config applied" && l["source"] == "startup"
    });

    let digest = setup.write_config(true);
    gw.signal(libc::SIGHUP);
    wait_for_upstream(&client, &setup.url("/b/x"), "b").await;
    let audit = gw.wait_for_log("config applied by sighup", Duration::from_secs(5), |l| {
        l["msg"] == "config applied" && l["source"] == "sighup"
    });
    assert_eq!(audit["digest"], digest.as_str(), "{audit}");
    assert_eq!(audit["path"], setup.config.display().to_string(), "{audit}");
    let (_, ready) = admin(gw.admin, "GET", "/readyz").await;
    assert!(ready.contains(&digest), "{ready}");
    // The old route still works on the new configuration.
    wait_for_upstream(&client, &setup.url("/a/x"), "a").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_on_reload_keeps_the_old_config_serving() {
    let setup = Setup::new().await;
    let gw = setup.start();
    let client = client();
    let good = hex::encode(Sha256::digest(setup.config_text(false).as_bytes()));

    let broken = setup
        .config_text(true)
        .replace("path_prefix: /b", "path_prefix: /b, colour: blue");
    setup.write_raw(&broken);
    let (status, body) = admin(gw.admin, "POST", "/admin/reload").await;
    assert_eq!(status, 400, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("gateway.yaml:"), "{body}");
    assert!(detail.contains("colour"), "{body}");

    // The old configuration keeps serving, and says so.
    let (status, _) = get(&client, &setup.url("/a/x"), &[]).await.unwrap();
    assert_eq!(status, 200);
    let (status, _) = get(&client, &setup.url("/b/x"), &[]).await.unwrap();
    assert_eq!(status, 404);
    let (_, ready) = admin(gw.admin, "GET", "/readyz").await;
    assert!(ready.contains(&good), "{ready}");
    gw.wait_for_log("config reload failed", Duration::from_secs(5), |l| {
        l["level"] == "error"
            && l["msg"]
                .as_str()
                .unwrap_or_default()
                .contains("config reload failed")
            && l["error"].as_str().unwrap_or_default().contains("colour")
    });

    // A SIGHUP with the same bad file fails the same way and is counted too.
    gw.signal(libc::SIGHUP);
    gw.wait_for_log("second reload failure", Duration::from_secs(5), |l| {
        l["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("config reload failed")
            && l["source"] == "sighup"
    });
    let (_, metrics) = admin(gw.admin, "GET", "/metrics").await;
    assert_eq!(
        metric_value(&metrics, "gateway_config_reloads_total{result=\"error\"}"),
        Some(2.0),
        "{metrics}"
    );
    assert!(metrics.contains(&format!("gateway_config_info{{digest=\"{good}\"}} 1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reloads_under_load_fail_no_request() {
    const WORKERS: usize = 8;
    const PER_WORKER: usize = 250; // 2,000 requests in all
    let setup = Arc::new(Setup::new().await);
    let gw = setup.start();
    let client = client();
    let failures = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let first_failure = Arc::new(std::sync::Mutex::new(None::<String>));

    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (client, setup) = (client.clone(), Arc::clone(&setup));
        let (failures, done, first_failure) = (
            Arc::clone(&failures),
            Arc::clone(&done),
            Arc::clone(&first_failure),
        );
        workers.push(tokio::spawn(async move {
            for i in 0..PER_WORKER {
                let url = setup.url(&format!("/a/w{w}/{i}"));
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
    let mut applied = 0;
    for n in 0..6 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        setup.write_config(n % 2 == 0);
        if n % 2 == 0 {
            gw.signal(libc::SIGHUP);
        } else {
            let (status, body) = admin(gw.admin, "POST", "/admin/reload").await;
            assert_eq!(status, 200, "{body}");
        }
        applied += 1;
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
        let reloads = gw
            .log_lines()
            .iter()
            .filter(|l| l["msg"] == "config applied" && l["source"] != "startup")
            .count();
        if reloads >= applied {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{reloads} of {applied} reloads applied; logs:\n{}",
            gw.stderr_text()
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
    let gw = setup.start();
    let client = client();
    let bearer = format!("Bearer {TOKEN}");
    let cookie = format!("session={COOKIE}");
    let url = setup.url(&format!("/a/orders?api_key={QUERY_KEY}&page=2"));
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
    let (status, _) = get(
        &client,
        &setup.url("/missing"),
        &[("traceparent", "garbage")],
    )
    .await
    .unwrap();
    assert_eq!(status, 404);

    // The upstream got the same trace with the gateway's own span as parent.
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let forwarded = seen["traceparent"].as_str().unwrap_or_default().to_string();
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
        first["request_id"], seen["x_request_id"],
        "{first} vs {seen}"
    );
    assert!(first["time"].as_str().unwrap_or_default().ends_with('Z'));

    // An invalid traceparent is replaced by a fresh, valid one.
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap_or_default();
    assert_eq!(second["status"], 404);
    assert_eq!(second["route"], serde_json::Value::Null);
    let tp = second["traceparent"].as_str().unwrap_or_default();
    assert!(
        gateway::telemetry::TraceContext::parse(tp).is_some(),
        "{second}"
    );
    drop(gw);
}

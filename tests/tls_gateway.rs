//! End to end through the real `gateway` binary, for what `proxy_tls.rs` does not
//! cover: a listener with `client_auth: required` refusing clients (no certificate,
//! foreign CA, TLS 1.1) and counting each refusal in /metrics; SAN wildcard rules; curl
//! over h2 with a client certificate; the admin API behind mutual TLS; certificate
//! rotation by reload (and a broken key keeping the old one); broken key files named by
//! `gateway check` and `gateway run`.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use certs::{CertFiles, TestPki};
use client::{Resp, send_tls};
use gateway::GatewayProcess;
use http_body_util::Full;
use upstream::Upstream;

const NAME: &str = "api.example.com";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .uri(path)
        .header("host", NAME)
        .body(Full::default())
        .expect("request")
}

async fn https(
    addr: SocketAddr,
    cfg: Arc<rustls::ClientConfig>,
    path: &str,
) -> Result<Resp, String> {
    send_tls(addr, NAME, cfg, get(path), false).await
}

/// A gateway with TLS listener `tls` (`client_auth` given), an admin listener on
/// `admin`, route `/open` and route `/svc` that needs a SAN under `trusted.internal`.
fn config(
    pki: &TestPki,
    server: &CertFiles,
    client_auth: &str,
    up: SocketAddr,
    admin: u16,
) -> String {
    format!(
        r#"
listeners:
  - name: tls
    bind: 127.0.0.1:0
    tls: {{ cert: {cert}, key: {key}, client_ca: {ca}, client_auth: {client_auth} }}
admin: {{ bind: "127.0.0.1:{admin}" }}
upstreams:
  echo: {{ targets: ["{up}"] }}
routes:
  - {{ name: open, match: {{ path_prefix: /open }}, upstream: echo }}
  - name: svc
    match: {{ path_prefix: /svc }}
    upstream: echo
    client_cert: {{ san: ["DNS:*.trusted.internal"] }}
"#,
        cert = server.cert.display(),
        key = server.key.display(),
        ca = pki.ca_cert().display(),
    )
}

/// Polls /metrics (bounded) until every wanted `reason` of the `tls` listener's
/// handshake failures has the wanted count; returns the last scrape on failure.
async fn wait_for_failures(admin: u16, wanted: &[(&str, u64)]) -> Result<(), String> {
    let addr: SocketAddr = ([127, 0, 0, 1], admin).into();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = String::from_utf8_lossy(&client::get(addr, "/metrics").await.body).into_owned();
        let count = |reason: &str| {
            text.lines()
                .filter(|l| l.starts_with("gateway_tls_handshake_failures_total{"))
                .filter(|l| {
                    l.contains("listener=\"tls\"") && l.contains(&format!("reason=\"{reason}\""))
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>() as u64
        };
        if wanted.iter().all(|(r, n)| count(r) == *n) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn openssl_tls11(addr: SocketAddr) -> std::process::Output {
    Command::new("timeout")
        .args([
            "10",
            "openssl",
            "s_client",
            "-tls1_1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
        ])
        .arg("-connect")
        .arg(addr.to_string())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_listener_refuses_untrusted_clients_and_counts_each_refusal() {
    let pki = TestPki::new();
    let server = pki.server("server", &[NAME]);
    let up = Upstream::start("a").await;
    let admin = free_port();
    let gw = GatewayProcess::start(&config(&pki, &server, "required", up.addr, admin), &["tls"]);
    let addr = gw.addr("tls");

    let none = https(addr, certs::client_config(&pki, None), "/open/x").await;
    assert!(
        none.is_err(),
        "no certificate got through: {:?}",
        none.map(|r| r.status)
    );
    let mallory = pki
        .other_ca("Stranger CA")
        .client(pki.dir(), "mallory", "mallory", &[]);
    let foreign = https(addr, certs::client_config(&pki, Some(&mallory)), "/open/x").await;
    assert!(
        foreign.is_err(),
        "foreign CA got through: {:?}",
        foreign.map(|r| r.status)
    );
    let old = tokio::task::spawn_blocking(move || openssl_tls11(addr))
        .await
        .expect("join");
    assert!(
        !old.status.success(),
        "TLS 1.1 accepted: {}",
        String::from_utf8_lossy(&old.stdout)
    );
    assert_eq!(up.hits(), 0);

    wait_for_failures(
        admin,
        &[
            ("no_client_cert", 1),
            ("bad_client_cert", 1),
            ("protocol_version", 1),
        ],
    )
    .await
    .unwrap_or_else(|scrape| panic!("handshake failures not counted as expected:\n{scrape}"));

    // A trusted certificate gets through; the SAN wildcard rule still applies per route.
    let svc = pki.client("svc", "billing", &["DNS:billing.trusted.internal"]);
    let alice = pki.client(
        "alice",
        "alice",
        &["URI:spiffe://prod/alice", "DNS:a.b.trusted.internal"],
    );
    let ok = https(addr, certs::client_config(&pki, Some(&svc)), "/svc/pay")
        .await
        .expect("svc");
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.echoed("x-client-cert-subject").as_deref(),
        Some("CN=billing,O=Gateway Tests")
    );
    let denied = https(addr, certs::client_config(&pki, Some(&alice)), "/svc/pay")
        .await
        .expect("alice");
    assert_eq!(denied.status, 403, "a wildcard covers one label only");
    let open = https(addr, certs::client_config(&pki, Some(&alice)), "/open/x")
        .await
        .expect("alice");
    assert_eq!(open.status, 200);
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_over_h2_with_a_client_certificate_reaches_the_upstream() {
    let pki = TestPki::new();
    let server = pki.server("server", &[NAME]);
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(
        &config(&pki, &server, "required", up.addr, free_port()),
        &["tls"],
    );
    let port = gw.addr("tls").port();
    let svc = pki.client("svc", "billing", &["DNS:billing.trusted.internal"]);
    let curl = |with_cert: bool| {
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sS",
            "--max-time",
            "10",
            "--http2",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{http_version}",
        ])
        .arg("--cacert")
        .arg(pki.ca_cert())
        .arg("--resolve")
        .arg(format!("{NAME}:{port}:127.0.0.1"));
        if with_cert {
            cmd.arg("--cert").arg(&svc.cert).arg("--key").arg(&svc.key);
        }
        cmd.arg(format!("https://{NAME}:{port}/svc/curl"))
            .output()
            .expect("curl")
    };
    let out = curl(true);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text, "200 2", "{}", String::from_utf8_lossy(&out.stderr));
    let out = curl(false);
    assert!(
        !out.status.success(),
        "curl without a certificate got through"
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_behind_mutual_tls_serves_metrics_only_to_trusted_clients() {
    let pki = TestPki::new();
    let server = pki.server("server", &["localhost"]);
    let admin = free_port();
    let yaml = format!(
        r#"
listeners:
  - name: plain
    bind: 127.0.0.1:0
admin:
  bind: "127.0.0.1:{admin}"
  tls: {{ cert: {cert}, key: {key}, client_ca: {ca}, client_auth: required }}
upstreams:
  echo: {{ targets: ["127.0.0.1:9"] }}
routes:
  - {{ name: r, match: {{ path_prefix: / }}, upstream: echo }}
"#,
        cert = server.cert.display(),
        key = server.key.display(),
        ca = pki.ca_cert().display(),
    );
    let _gw = GatewayProcess::start(&yaml, &["plain"]);
    let addr: SocketAddr = ([127, 0, 0, 1], admin).into();
    let ops = pki.client("ops", "ops", &["DNS:ops.internal"]);
    let scrape = |cfg| async move {
        let req = http::Request::builder()
            .uri("/metrics")
            .header("host", "localhost")
            .body(Full::default())
            .expect("request");
        send_tls(addr, "localhost", cfg, req, false).await
    };
    // The admin listener may come up just after the proxy listeners: retry briefly.
    let deadline = Instant::now() + Duration::from_secs(10);
    let trusted = loop {
        match scrape(certs::client_config(&pki, Some(&ops))).await {
            Ok(r) => break r,
            Err(e) if Instant::now() > deadline => panic!("admin over mTLS: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert_eq!(trusted.status, 200);
    assert!(String::from_utf8_lossy(&trusted.body).contains("gateway_"));
    assert!(scrape(certs::client_config(&pki, None)).await.is_err());
    let plain = client::raw(
        addr,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(2),
    )
    .await;
    assert!(
        !plain.contains("gateway_"),
        "metrics served without TLS: {plain}"
    );
}

/// The subject CN of the certificate a fresh connection is served.
async fn served_cn(addr: SocketAddr, pki: &TestPki) -> String {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from(NAME).expect("name");
    let tls = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_rustls::TlsConnector::from(certs::client_config(pki, None)).connect(name, tcp),
    )
    .await
    .expect("handshake in time")
    .expect("handshake");
    let der = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .expect("server cert")
        .clone();
    ::gateway::tls::ClientCert::from_der(&der)
        .expect("parse")
        .subject
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_rotates_the_certificate_and_a_broken_key_keeps_the_old_one() {
    let pki = TestPki::new();
    let first = pki.ca.issue(pki.dir(), "first", cert_params("first"));
    let second = pki.ca.issue(pki.dir(), "second", cert_params("second"));
    let up = Upstream::start("a").await;
    let admin = free_port();
    let gw = GatewayProcess::start(&config(&pki, &first, "optional", up.addr, admin), &["tls"]);
    let addr = gw.addr("tls");
    assert_eq!(served_cn(addr, &pki).await, "CN=first");

    gw.reload_with(&config(&pki, &second, "optional", up.addr, admin));
    let deadline = Instant::now() + Duration::from_secs(10);
    while served_cn(addr, &pki).await != "CN=second" {
        assert!(
            Instant::now() < deadline,
            "reload did not rotate the certificate"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let broken = CertFiles {
        key: pki.write(
            "broken.key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ),
        ..second.clone()
    };
    gw.reload_with(&config(&pki, &broken, "optional", up.addr, admin));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gw.stderr().contains("broken.key") {
        assert!(
            Instant::now() < deadline,
            "failed reload not logged:\n{}",
            gw.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served_cn(addr, &pki).await, "CN=second");
    let r = https(addr, certs::client_config(&pki, None), "/open/still")
        .await
        .expect("still serving");
    assert_eq!(r.status, 200);
}

fn cert_params(cn: &str) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(vec![NAME.to_string()]).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params
}

#[test]
fn broken_key_file_is_named_by_check_and_stops_run() {
    let pki = TestPki::new();
    let server = pki.server("server", &[NAME]);
    let bad = CertFiles {
        key: pki.write(
            "broken.key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ),
        ..server
    };
    let path = pki.write(
        "gateway.yaml",
        &config(
            &pki,
            &bad,
            "optional",
            "127.0.0.1:9".parse().expect("addr"),
            free_port(),
        ),
    );
    for command in ["check", "run"] {
        let out = Command::new("timeout")
            .args(["20", env!("CARGO_BIN_EXE_gateway"), command, "--config"])
            .arg(&path)
            .output()
            .expect("gateway");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{command} accepted a broken key: {stderr}"
        );
        assert!(stderr.contains("broken.key"), "{command}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_subject_reaches_the_upstream_hex_escaped() {
    let pki = TestPki::new();
    let server = pki.server("server", &[NAME]);
    let up = Upstream::start("a").await;
    let gw = GatewayProcess::start(
        &config(&pki, &server, "optional", up.addr, free_port()),
        &["tls"],
    );
    let jose = pki.client("jose", "Jos\u{e9}", &["DNS:jose.trusted.internal"]);
    let r = https(
        gw.addr("tls"),
        certs::client_config(&pki, Some(&jose)),
        "/svc/x",
    )
    .await
    .expect("request");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.echoed("x-client-cert-subject").as_deref(),
        Some("CN=Jos\\c3\\a9,O=Gateway Tests")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_client_certificate_is_refused_by_the_gateway() {
    let pki = TestPki::new();
    let server = pki.server("server", &[NAME]);
    let good = pki.client("good", "good", &["DNS:good.trusted.internal"]);
    let eve = pki.client("eve", "eve", &["DNS:eve.trusted.internal"]);
    let crl = pki.ca.crl(pki.dir(), "ca.crl", &[&eve]);
    let up = Upstream::start("a").await;
    let yaml = config(&pki, &server, "required", up.addr, free_port()).replace(
        "client_auth: required }",
        &format!("client_auth: required, client_crl: {} }}", crl.display()),
    );
    assert!(yaml.contains("client_crl"), "{yaml}");
    let gw = GatewayProcess::start(&yaml, &["tls"]);
    let addr = gw.addr("tls");
    let revoked = https(addr, certs::client_config(&pki, Some(&eve)), "/svc/x").await;
    assert!(
        revoked.is_err(),
        "revoked certificate got through: {:?}",
        revoked.map(|r| r.status)
    );
    let ok = https(addr, certs::client_config(&pki, Some(&good)), "/svc/x")
        .await
        .expect("good certificate");
    assert_eq!(ok.status, 200);
    assert_eq!(up.hits(), 1);
}

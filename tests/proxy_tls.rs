//! End to end over TLS: the real gateway with a TLS listener (certificates from an
//! in-test CA), HSTS and `X-Forwarded-Proto: https`, h2 from clients, per-route
//! client certificate requirements and SAN lists, the verified identity forwarded
//! upstream and forged identity headers stripped, plain HTTP on the TLS port.
#[path = "support/certs.rs"]
mod certs;
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gateway;
#[path = "support/upstream.rs"]
mod upstream;

use std::time::Duration;

use client::{req, send_tls};
use gateway::GatewayProcess;
use http_body_util::Full;
use upstream::Upstream;

struct Setup {
    pki: certs::TestPki,
    client: certs::CertFiles,
    gw: GatewayProcess,
    up: Upstream,
}

async fn setup() -> Setup {
    let pki = certs::TestPki::new();
    let server = pki.server("gw", &["api.test", "localhost"]);
    let client = pki.client(
        "alice",
        "alice",
        &["URI:spiffe://test/alice", "DNS:alice.test"],
    );
    let up = Upstream::start("a").await;
    let config = format!(
        r#"
listeners:
  - name: tls
    bind: 127.0.0.1:0
    tls: {{ cert: {cert}, key: {key}, client_ca: {ca}, client_auth: optional }}
upstreams:
  echo: {{ targets: ["{up}"] }}
routes:
  - {{ name: open, match: {{ path_prefix: /open }}, upstream: echo }}
  - name: mtls
    match: {{ path_prefix: /mtls }}
    upstream: echo
    client_cert: {{ required: true }}
  - name: san
    match: {{ path_prefix: /san }}
    upstream: echo
    client_cert: {{ required: true, san: ["URI:spiffe://test/bob"] }}
"#,
        cert = server.cert.display(),
        key = server.key.display(),
        ca = pki.ca_cert().display(),
        up = up.addr,
    );
    let gw = GatewayProcess::start(&config, &["tls"]);
    Setup {
        pki,
        client,
        gw,
        up,
    }
}

fn get(path: &str) -> http::Request<Full<bytes::Bytes>> {
    req("GET", path, "api.test").body(Full::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listener_forwards_with_https_proto_and_answers_with_hsts() {
    let s = setup().await;
    let cfg = certs::client_config_with(&s.pki, None, &[b"http/1.1"], None);
    let r = send_tls(s.gw.addr("tls"), "api.test", cfg, get("/open/x"), false)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.echoed("x-forwarded-proto").as_deref(), Some("https"));
    assert!(
        r.header("strict-transport-security")
            .unwrap()
            .contains("max-age=")
    );
    assert_eq!(r.echoed("x-client-cert-subject"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_clients_are_served_over_tls() {
    let s = setup().await;
    let cfg = certs::client_config_with(&s.pki, None, &[b"h2"], None);
    let r = send_tls(
        s.gw.addr("tls"),
        "api.test",
        cfg,
        get("https://api.test/open/h2"),
        true,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["uri"], "/open/h2");
    assert_eq!(r.echoed("x-forwarded-host").as_deref(), Some("api.test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_requiring_a_client_certificate_refuses_clients_without_one_with_403() {
    let s = setup().await;
    let cfg = certs::client_config_with(&s.pki, None, &[b"http/1.1"], None);
    let r = send_tls(s.gw.addr("tls"), "api.test", cfg, get("/mtls/x"), false)
        .await
        .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "client_certificate_required");
    assert_eq!(s.up.hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_client_identity_is_forwarded_and_forged_identity_headers_are_dropped() {
    let s = setup().await;
    let cfg = certs::client_config_with(&s.pki, Some(&s.client), &[b"http/1.1"], None);
    let forged = req("GET", "/mtls/x", "api.test")
        .header("x-client-cert-subject", "CN=admin")
        .header("x-client-cert-san", "URI:spiffe://test/admin")
        .header("x-forwarded-client-cert", "URI=spiffe://test/admin")
        .body(Full::default())
        .unwrap();
    let r = send_tls(s.gw.addr("tls"), "api.test", cfg, forged, false)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let subject = r.echoed("x-client-cert-subject").unwrap();
    assert!(subject.contains("CN=alice"), "{subject}");
    let sans = r.echoed("x-client-cert-san").unwrap();
    assert!(sans.contains("URI:spiffe://test/alice"), "{sans}");
    assert!(!sans.contains("admin"));
    assert_eq!(r.echoed("x-forwarded-client-cert"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_without_an_allowed_san_is_refused_with_403() {
    let s = setup().await;
    let cfg = certs::client_config_with(&s.pki, Some(&s.client), &[b"http/1.1"], None);
    let r = send_tls(s.gw.addr("tls"), "api.test", cfg, get("/san/x"), false)
        .await
        .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "client_certificate_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_sent_to_the_tls_port_gets_a_readable_400() {
    let s = setup().await;
    let text = client::raw(
        s.gw.addr("tls"),
        b"GET /open HTTP/1.1\r\nHost: api.test\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(client::raw_status(&text), Some(400), "{text}");
    assert!(text.contains("HTTPS"));
}

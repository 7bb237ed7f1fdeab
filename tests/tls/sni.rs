//! Certificate choice by SNI: exact names, wildcards, and the default certificate.

use std::net::SocketAddr;
use std::sync::Arc;

use gateway::config::{CertPair, ListenerTls};
use gateway::tls::ServerTls;

use crate::certs::{self, TestPki};
use crate::harness::*;

fn sni_listener(pki: &TestPki) -> ListenerTls {
    let default = pki.server("default", &["default.test"]);
    let api = pki.server("api", &["api.example.com"]);
    let wild = pki.server("wild", &["*.apps.example.com"]);
    ListenerTls {
        sni: vec![
            CertPair {
                cert: api.cert,
                key: api.key,
            },
            CertPair {
                cert: wild.cert,
                key: wild.key,
            },
        ],
        ..listener(&default)
    }
}

async fn served_sans(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
    name: &str,
) -> Vec<String> {
    rustls_get(addr, config, name)
        .await
        .served
        .expect("handshake ok")
        .sans
}

#[tokio::test]
async fn sni_picks_the_certificate_whose_san_matches() {
    let pki = TestPki::new();
    let mut srv = Server::start(ServerTls::build(&sni_listener(&pki)).expect("build")).await;
    let config = certs::client_config(&pki, None);
    assert_eq!(
        served_sans(srv.addr, config.clone(), "api.example.com").await,
        ["DNS:api.example.com"]
    );
    assert_eq!(
        served_sans(srv.addr, config.clone(), "shop.apps.example.com").await,
        ["DNS:*.apps.example.com"]
    );
    assert_eq!(
        srv.next().await.expect("ok").sni.as_deref(),
        Some("api.example.com")
    );
    assert_eq!(
        srv.next().await.expect("ok").sni.as_deref(),
        Some("shop.apps.example.com")
    );
}

#[tokio::test]
async fn unknown_or_missing_sni_gets_the_default_certificate() {
    let pki = TestPki::new();
    let srv = Server::start(ServerTls::build(&sni_listener(&pki)).expect("build")).await;

    // Unknown name: the default certificate is served (and the client, rightly,
    // refuses it, since it does not cover the name), seen by openssl without verify.
    let (_, out) = run(
        "openssl",
        vec![
            "s_client".into(),
            "-connect".into(),
            srv.addr.to_string(),
            "-servername".into(),
            "unknown.example.org".into(),
        ],
    )
    .await;
    assert!(
        out.contains("CN=default.test") || out.contains("CN = default.test"),
        "{out}"
    );

    // No SNI at all.
    let mut config = (*certs::client_config(&pki, None)).clone();
    config.enable_sni = false;
    let sans = served_sans(srv.addr, Arc::new(config), "default.test").await;
    assert_eq!(sans, ["DNS:default.test"]);
}

#[tokio::test]
async fn openssl_servername_sees_the_sni_certificate() {
    let pki = TestPki::new();
    let srv = Server::start(ServerTls::build(&sni_listener(&pki)).expect("build")).await;
    let (ok, out) = s_client(
        srv.addr,
        pki.ca_cert(),
        &[
            "-servername",
            "api.example.com",
            "-verify_hostname",
            "api.example.com",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(
        out.contains("CN=api.example.com") || out.contains("CN = api.example.com"),
        "{out}"
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
}

//! Mutual TLS per listener: required and optional client certificates, foreign CAs,
//! the PeerInfo of a verified certificate, and curl as an independent client.

use gateway::config::{ClientAuth, ListenerTls};
use gateway::tls::ServerTls;

use crate::certs;
use crate::harness::*;

#[tokio::test]
async fn required_client_auth_refuses_a_client_without_certificate() {
    let (pki, server) = pki_and_server();
    let mut srv =
        Server::start(ServerTls::build(&mtls(&pki, &server, ClientAuth::Required)).expect("build"))
            .await;
    let got = rustls_get(srv.addr, certs::client_config(&pki, None), "localhost").await;
    assert!(got.response.is_none(), "{:?}", got.response);
    assert_eq!(srv.next().await, Err("no_client_cert"));
}

#[tokio::test]
async fn required_client_auth_refuses_a_certificate_from_another_ca() {
    let (pki, server) = pki_and_server();
    let mut srv =
        Server::start(ServerTls::build(&mtls(&pki, &server, ClientAuth::Required)).expect("build"))
            .await;
    let stranger = pki.other_ca("Stranger CA");
    let mallory = stranger.client(pki.dir(), "mallory", "mallory", &["DNS:mallory.internal"]);
    let got = rustls_get(
        srv.addr,
        certs::client_config(&pki, Some(&mallory)),
        "localhost",
    )
    .await;
    assert!(got.response.is_none(), "{:?}", got.response);
    assert_eq!(srv.next().await, Err("bad_client_cert"));
}

#[tokio::test]
async fn required_client_auth_accepts_a_good_certificate_and_reports_subject_and_sans() {
    let (pki, server) = pki_and_server();
    let mut srv =
        Server::start(ServerTls::build(&mtls(&pki, &server, ClientAuth::Required)).expect("build"))
            .await;
    let alice = pki.client(
        "alice",
        "alice",
        &[
            "URI:spiffe://prod/alice",
            "DNS:alice.internal",
            "email:alice@example.com",
            "IP:198.18.0.9",
        ],
    );
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = certs::client_config_with(&pki, Some(&alice), &[b"http/1.1"], Some(version));
        let got = rustls_get(srv.addr, config, "localhost").await;
        assert!(
            got.response
                .expect("response")
                .contains("subject=CN=alice,O=Gateway Tests")
        );
        let cert = srv
            .next()
            .await
            .expect("handshake ok")
            .client_cert
            .expect("client cert");
        assert_eq!(cert.subject, "CN=alice,O=Gateway Tests");
        assert_eq!(
            cert.sans,
            [
                "URI:spiffe://prod/alice",
                "DNS:alice.internal",
                "email:alice@example.com",
                "IP:198.18.0.9"
            ]
        );
        assert_eq!(cert.fingerprint_sha256.len(), 64);
    }
}

#[tokio::test]
async fn optional_client_auth_accepts_clients_with_and_without_certificate() {
    let (pki, server) = pki_and_server();
    let mut srv =
        Server::start(ServerTls::build(&mtls(&pki, &server, ClientAuth::Optional)).expect("build"))
            .await;
    let got = rustls_get(srv.addr, certs::client_config(&pki, None), "localhost").await;
    assert!(got.response.is_some());
    assert_eq!(srv.next().await.expect("handshake ok").client_cert, None);

    let bob = pki.client("bob", "bob", &["DNS:bob.internal"]);
    let got = rustls_get(
        srv.addr,
        certs::client_config(&pki, Some(&bob)),
        "localhost",
    )
    .await;
    assert!(got.response.is_some());
    let cert = srv
        .next()
        .await
        .expect("handshake ok")
        .client_cert
        .expect("cert");
    assert_eq!(cert.sans, ["DNS:bob.internal"]);
}

#[tokio::test]
async fn optional_client_auth_still_refuses_a_certificate_from_another_ca() {
    let (pki, server) = pki_and_server();
    let mut srv =
        Server::start(ServerTls::build(&mtls(&pki, &server, ClientAuth::Optional)).expect("build"))
            .await;
    let mallory = pki
        .other_ca("Stranger CA")
        .client(pki.dir(), "mallory", "mallory", &[]);
    let got = rustls_get(
        srv.addr,
        certs::client_config(&pki, Some(&mallory)),
        "localhost",
    )
    .await;
    assert!(got.response.is_none());
    assert_eq!(srv.next().await, Err("bad_client_cert"));
}

#[tokio::test]
async fn curl_with_a_client_certificate_reaches_an_mtls_listener() {
    let (pki, server) = pki_and_server();
    let mut srv =
        Server::start(ServerTls::build(&mtls(&pki, &server, ClientAuth::Required)).expect("build"))
            .await;
    let carol = pki.client("carol", "carol", &["URI:spiffe://prod/carol"]);
    let url = format!("https://api.example.com:{}/", srv.addr.port());
    let resolve = format!("api.example.com:{}:127.0.0.1", srv.addr.port());
    let base = |with_cert: bool| {
        let mut a: Vec<String> = vec![
            "-sS".into(),
            "--http1.1".into(),
            "--cacert".into(),
            pki.ca_cert().display().to_string(),
            "--resolve".into(),
            resolve.clone(),
        ];
        if with_cert {
            a.extend([
                "--cert".into(),
                carol.cert.display().to_string(),
                "--key".into(),
                carol.key.display().to_string(),
            ]);
        }
        a.push(url.clone());
        a
    };
    let (ok, out) = run("curl", base(true)).await;
    assert!(ok, "{out}");
    assert!(out.contains("subject=CN=carol,O=Gateway Tests"), "{out}");
    assert!(out.contains("sans=URI:spiffe://prod/carol"), "{out}");
    assert!(out.contains("sni=api.example.com"), "{out}");
    srv.next().await.expect("handshake ok");

    let (ok, out) = run("curl", base(false)).await;
    assert!(!ok, "curl without a certificate got through: {out}");
    assert_eq!(srv.next().await, Err("no_client_cert"));
}

#[tokio::test]
async fn revoked_client_certificate_is_refused_and_others_still_pass() {
    let (pki, server) = pki_and_server();
    let alice = pki.client("alice", "alice", &["DNS:alice.internal"]);
    let eve = pki.client("eve", "eve", &["DNS:eve.internal"]);
    let crl = pki.ca.crl(pki.dir(), "ca.crl", &[&eve]);
    for mode in [ClientAuth::Required, ClientAuth::Optional] {
        let tls = ListenerTls {
            client_crl: Some(crl.clone()),
            ..mtls(&pki, &server, mode)
        };
        let mut srv = Server::start(ServerTls::build(&tls).expect("build")).await;
        let got = rustls_get(
            srv.addr,
            certs::client_config(&pki, Some(&eve)),
            "localhost",
        )
        .await;
        assert!(
            got.response.is_none(),
            "{mode:?}: revoked certificate got through"
        );
        assert_eq!(srv.next().await, Err("revoked_client_cert"), "{mode:?}");

        let got = rustls_get(
            srv.addr,
            certs::client_config(&pki, Some(&alice)),
            "localhost",
        )
        .await;
        assert!(got.response.is_some(), "{mode:?}: good certificate refused");
        let cert = srv
            .next()
            .await
            .expect("handshake ok")
            .client_cert
            .expect("cert");
        assert_eq!(cert.sans, ["DNS:alice.internal"]);
    }
}

#[tokio::test]
async fn crl_of_another_ca_leaves_client_status_unknown_and_refused() {
    let (pki, server) = pki_and_server();
    let alice = pki.client("alice", "alice", &[]);
    let other = pki.other_ca("Other CA");
    let crl = other.crl(pki.dir(), "other.crl", &[]);
    let tls = ListenerTls {
        client_crl: Some(crl),
        ..mtls(&pki, &server, ClientAuth::Required)
    };
    let mut srv = Server::start(ServerTls::build(&tls).expect("build")).await;
    let got = rustls_get(
        srv.addr,
        certs::client_config(&pki, Some(&alice)),
        "localhost",
    )
    .await;
    assert!(got.response.is_none());
    assert_eq!(srv.next().await, Err("bad_client_cert"));
}

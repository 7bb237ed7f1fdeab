//! Protocol versions, cipher suites, ALPN, key types and plain HTTP on the TLS port;
//! the upstream client config.

use gateway::config::{ClientAuth, ListenerTls};
use gateway::tls::{ALPN_HTTP11, ServerTls};

use crate::certs::{self, TestPki};
use crate::harness::*;

#[tokio::test]
async fn tls13_client_gets_version_alpn_h2_and_sni() {
    let (pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    let config = certs::client_config_with(
        &pki,
        None,
        &[b"h2", b"http/1.1"],
        Some(&rustls::version::TLS13),
    );
    let got = rustls_get(srv.addr, config, "api.example.com").await;
    assert!(got.response.expect("response").contains("200 OK"));
    let peer = srv.next().await.expect("handshake ok");
    assert_eq!(peer.tls_version, "TLSv1.3");
    assert_eq!(peer.alpn.as_deref(), Some(&b"h2"[..]));
    assert!(peer.is_h2());
    assert_eq!(peer.sni.as_deref(), Some("api.example.com"));
    assert_eq!(peer.client_cert, None);
}

#[tokio::test]
async fn tls12_client_is_accepted() {
    let (pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    let config =
        certs::client_config_with(&pki, None, &[b"http/1.1"], Some(&rustls::version::TLS12));
    let got = rustls_get(srv.addr, config, "api.example.com").await;
    assert!(got.response.expect("response").contains("version=TLSv1.2"));
    let peer = srv.next().await.expect("handshake ok");
    assert_eq!(peer.tls_version, "TLSv1.2");
    assert_eq!(peer.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn listener_without_h2_negotiates_http11() {
    let (pki, server) = pki_and_server();
    let tls = ServerTls::build(&listener(&server))
        .expect("build")
        .with_alpn(&[ALPN_HTTP11]);
    let mut srv = Server::start(tls).await;
    let got = rustls_get(srv.addr, certs::client_config(&pki, None), "localhost").await;
    assert!(got.response.is_some());
    let peer = srv.next().await.expect("handshake ok");
    assert_eq!(peer.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn openssl_accepts_tls12_and_tls13_with_aead_suites() {
    let (pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    let (ok, out) = s_client(
        srv.addr,
        pki.ca_cert(),
        &["-tls1_3", "-servername", "localhost"],
    )
    .await;
    assert!(ok, "{out}");
    assert!(out.contains("TLSv1.3"), "{out}");
    // OpenSSL lists AES-256 first; the server's order picks AES-128.
    assert!(out.contains("TLS_AES_128_GCM_SHA256"), "{out}");
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert_eq!(srv.next().await.expect("1.3 ok").tls_version, "TLSv1.3");

    let (ok, out) = s_client(
        srv.addr,
        pki.ca_cert(),
        &["-tls1_2", "-servername", "localhost"],
    )
    .await;
    assert!(ok, "{out}");
    assert!(out.contains("ECDHE-ECDSA-AES128-GCM-SHA256"), "{out}");
    assert_eq!(srv.next().await.expect("1.2 ok").tls_version, "TLSv1.2");
}

#[tokio::test]
async fn openssl_tls11_and_tls10_clients_are_refused() {
    let (pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    for flag in ["-tls1_1", "-tls1"] {
        // SECLEVEL=0 lets the local OpenSSL offer the old protocol at all, so the
        // refusal we see is the gateway's, not the client library's.
        let (ok, out) = s_client(
            srv.addr,
            pki.ca_cert(),
            &[
                flag,
                "-cipher",
                "DEFAULT@SECLEVEL=0",
                "-servername",
                "localhost",
            ],
        )
        .await;
        assert!(!ok, "{flag} was accepted: {out}");
        assert!(!out.contains("Cipher is ECDHE"), "{out}");
        assert_eq!(srv.next().await, Err("protocol_version"), "{flag}: {out}");
    }
}

#[tokio::test]
async fn openssl_cbc_only_tls12_client_is_refused() {
    let (pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    let (ok, out) = s_client(
        srv.addr,
        pki.ca_cert(),
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:AES128-SHA",
            "-servername",
            "localhost",
        ],
    )
    .await;
    assert!(!ok, "CBC-only client was accepted: {out}");
    assert_eq!(srv.next().await, Err("no_shared_cipher"), "{out}");
}

#[tokio::test]
async fn plain_http_on_the_tls_port_gets_a_400_not_a_handshake_error() {
    let (_pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    let url = format!("http://127.0.0.1:{}/", srv.addr.port());
    let (_, out) = run("curl", vec!["-sS".into(), "-i".into(), url]).await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(
        out.contains("plain HTTP request sent to an HTTPS port"),
        "{out}"
    );
    assert_eq!(srv.next().await, Err("plain_http"));
}

#[tokio::test]
async fn upstream_client_config_trusts_a_given_ca_bundle_only() {
    let (pki, server) = pki_and_server();
    let mut srv = Server::start(ServerTls::build(&listener(&server)).expect("build")).await;
    let trusting = gateway::tls::client_config_with_roots(pki.ca_cert()).expect("client config");
    let got = rustls_get(srv.addr, trusting, "localhost").await;
    assert!(got.response.expect("response").contains("200 OK"));
    assert!(srv.next().await.is_ok());

    // The system store does not know the test CA.
    let system = gateway::tls::client_config_for_upstreams();
    let got = rustls_get(srv.addr, system, "localhost").await;
    assert!(got.response.is_none());
    assert!(srv.next().await.is_err());
}

#[tokio::test]
async fn rsa_certificate_with_pkcs1_key_serves_ecdhe_rsa_to_openssl() {
    let pki = TestPki::new();
    let cert = pki.dir().join("rsa.pem");
    let key = pki.dir().join("rsa.key");
    let (ok, out) = run(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=rsa.test",
            "-addext",
            "subjectAltName=DNS:rsa.test",
            "-keyout",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            key.display().to_string(),
            "-out".into(),
            cert.display().to_string(),
        ])
        .collect(),
    )
    .await;
    assert!(ok, "{out}");
    // Rewrite the key as PKCS#1 ("BEGIN RSA PRIVATE KEY"), the format older tools emit.
    let (ok, out) = run(
        "openssl",
        vec![
            "rsa".into(),
            "-traditional".into(),
            "-in".into(),
            key.display().to_string(),
            "-out".into(),
            key.display().to_string(),
        ],
    )
    .await;
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&key).expect("key");
    assert!(text.contains("BEGIN RSA PRIVATE KEY"), "{text}");

    let tls = ListenerTls {
        cert: cert.clone(),
        key,
        sni: Vec::new(),
        client_ca: None,
        client_auth: ClientAuth::None,
        client_crl: None,
    };
    let mut srv = Server::start(ServerTls::build(&tls).expect("build")).await;
    let (ok, out) = s_client(
        srv.addr,
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "-servername",
            "rsa.test",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(out.contains("ECDHE-RSA-AES128-GCM-SHA256"), "{out}");
    assert_eq!(
        srv.next().await.expect("handshake ok").tls_version,
        "TLSv1.2"
    );

    // Static-RSA key exchange (no forward secrecy) is refused.
    let (ok, out) = s_client(
        srv.addr,
        &cert,
        &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
    )
    .await;
    assert!(!ok, "{out}");
    // Offering no ECDHE suite, OpenSSL sends no groups either; rustls fails on that first.
    let reason = srv.next().await;
    assert!(
        matches!(reason, Err("no_shared_group" | "no_shared_cipher")),
        "{reason:?}"
    );
}

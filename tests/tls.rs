//! TLS and mutual TLS of listeners, in process with real sockets: a tokio listener
//! using `gateway::tls::ServerTls`, and as clients tokio-rustls plus the independent
//! `openssl s_client` and `curl`. The test server answers every request with one line
//! describing the session, and reports each handshake (PeerInfo or failure reason).

#[path = "support/certs.rs"]
mod certs;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use certs::{CertFiles, TestPki};
use gateway::config::{CertPair, ClientAuth, ListenerTls};
use gateway::tls::{
    ALPN_HTTP11, ClientCert, FirstBytes, PLAIN_HTTP_RESPONSE, PeerInfo, ServerTls, TlsError,
    failure_reason, peek_first_bytes,
};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(10);

/// What the server saw of one connection.
type Event = Result<PeerInfo, &'static str>;

struct Server {
    addr: SocketAddr,
    events: mpsc::UnboundedReceiver<Event>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(tls: ServerTls) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, events) = mpsc::unbounded_channel();
        let acceptor = tls.acceptor();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    // As a listener should: answer plain HTTP on the TLS port with a 400.
                    if let Ok(Ok(FirstBytes::PlainHttp)) =
                        timeout(BOUND, peek_first_bytes(&tcp)).await
                    {
                        let mut tcp = tcp;
                        let _ = tcp.write_all(PLAIN_HTTP_RESPONSE).await;
                        let _ = tcp.shutdown().await;
                        let _ = tx.send(Err("plain_http"));
                        return;
                    }
                    match timeout(BOUND, acceptor.accept(tcp)).await {
                        Ok(Ok(mut stream)) => {
                            let peer = PeerInfo::from_server_connection(stream.get_ref().1);
                            let _ = tx.send(Ok(peer.clone()));
                            answer(&mut stream, &peer).await;
                        }
                        Ok(Err(e)) => {
                            let _ = tx.send(Err(failure_reason(&e)));
                        }
                        Err(_) => {
                            let _ = tx.send(Err("test_timeout"));
                        }
                    }
                });
            }
        });
        Server { addr, events, task }
    }

    async fn next(&mut self) -> Event {
        timeout(BOUND, self.events.recv())
            .await
            .expect("server saw a connection in time")
            .expect("server running")
    }
}

/// Reads one request head (bounded) and answers with the session summary.
async fn answer(stream: &mut tokio_rustls::server::TlsStream<TcpStream>, peer: &PeerInfo) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match timeout(BOUND, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let body = format!(
        "version={} alpn={} sni={} subject={} sans={}\n",
        peer.tls_version,
        peer.alpn
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default(),
        peer.sni.as_deref().unwrap_or("-"),
        peer.client_cert
            .as_ref()
            .map_or("-", |c| c.subject.as_str()),
        peer.client_cert
            .as_ref()
            .map_or("-".to_string(), |c| c.sans.join(",")),
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn listener(server: &CertFiles) -> ListenerTls {
    ListenerTls {
        cert: server.cert.clone(),
        key: server.key.clone(),
        sni: Vec::new(),
        client_ca: None,
        client_auth: ClientAuth::None,
    }
}

fn mtls(pki: &TestPki, server: &CertFiles, mode: ClientAuth) -> ListenerTls {
    ListenerTls {
        client_ca: Some(pki.ca_cert().to_owned()),
        client_auth: mode,
        ..listener(server)
    }
}

/// What a tokio-rustls client got: the served leaf certificate and the response text
/// (`None` when the handshake or the exchange failed).
struct ClientResult {
    served: Option<ClientCert>,
    response: Option<String>,
}

async fn rustls_get(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
    server_name: &str,
) -> ClientResult {
    let connector = tokio_rustls::TlsConnector::from(config);
    let name = ServerName::try_from(server_name.to_owned()).expect("server name");
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let mut stream = match timeout(BOUND, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => s,
        _ => {
            return ClientResult {
                served: None,
                response: None,
            };
        }
    };
    let served = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(ClientCert::from_der);
    let exchange = async {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            .await?;
        let mut out = Vec::new();
        stream.read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    let response = match timeout(BOUND, exchange).await {
        Ok(Ok(out)) if !out.is_empty() => Some(String::from_utf8_lossy(&out).into_owned()),
        _ => None,
    };
    ClientResult { served, response }
}

/// Runs a bounded external command and returns (success, stdout+stderr).
async fn run(program: &str, args: Vec<String>) -> (bool, String) {
    let program = program.to_owned();
    tokio::task::spawn_blocking(move || {
        let out = Command::new("timeout")
            .arg("10")
            .arg(&program)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run external client");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    })
    .await
    .expect("join")
}

async fn s_client(addr: SocketAddr, ca: &Path, extra: &[&str]) -> (bool, String) {
    let mut args = vec![
        "s_client".to_string(),
        "-connect".to_string(),
        addr.to_string(),
        "-CAfile".to_string(),
        ca.display().to_string(),
        "-verify_return_error".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run("openssl", args).await
}

fn pki_and_server() -> (TestPki, CertFiles) {
    let pki = TestPki::new();
    let server = pki.server("server", &["api.example.com", "localhost", "127.0.0.1"]);
    (pki, server)
}

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
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert_eq!(srv.next().await.expect("1.3 ok").tls_version, "TLSv1.3");

    let (ok, out) = s_client(
        srv.addr,
        pki.ca_cert(),
        &["-tls1_2", "-servername", "localhost"],
    )
    .await;
    assert!(ok, "{out}");
    assert!(out.contains("ECDHE-ECDSA-AES256-GCM-SHA384"), "{out}");
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

// ---- building errors name the file or field at fault ----

#[test]
fn bad_key_file_error_names_the_file() {
    let (pki, server) = pki_and_server();
    let garbage = pki.write(
        "garbage.key",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    );
    let err = ServerTls::build(&ListenerTls {
        key: garbage.clone(),
        ..listener(&server)
    })
    .expect_err("bad key");
    assert!(
        err.to_string().contains(&garbage.display().to_string()),
        "{err}"
    );

    let empty = pki.write("empty.key", "nothing here\n");
    let err = ServerTls::build(&ListenerTls {
        key: empty.clone(),
        ..listener(&server)
    })
    .expect_err("no key");
    assert!(matches!(err, TlsError::NoPrivateKey { .. }), "{err}");
    assert!(
        err.to_string().contains(&empty.display().to_string()),
        "{err}"
    );
}

#[test]
fn key_of_another_certificate_is_refused_naming_both_files() {
    let (pki, server) = pki_and_server();
    let other = pki.server("other", &["other.test"]);
    let err = ServerTls::build(&ListenerTls {
        key: other.key.clone(),
        ..listener(&server)
    })
    .expect_err("mismatch");
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&other.key.display().to_string())
            && text.contains(&server.cert.display().to_string()),
        "{text}"
    );
}

#[test]
fn certificate_file_without_certificates_is_refused() {
    let (_pki, server) = pki_and_server();
    let err = ServerTls::build(&ListenerTls {
        cert: server.key.clone(),
        ..listener(&server)
    })
    .expect_err("no cert");
    assert!(matches!(err, TlsError::NoCertificates { .. }), "{err}");
    assert!(
        err.to_string().contains(&server.key.display().to_string()),
        "{err}"
    );
}

#[test]
fn missing_files_are_reported_with_their_path() {
    let (pki, server) = pki_and_server();
    let missing = pki.dir().join("nope.pem");
    let err = ServerTls::build(&ListenerTls {
        cert: missing.clone(),
        ..listener(&server)
    })
    .expect_err("missing");
    assert!(matches!(err, TlsError::Read { .. }), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let err = ServerTls::build(&ListenerTls {
        client_ca: Some(missing.clone()),
        client_auth: ClientAuth::Required,
        ..listener(&server)
    })
    .expect_err("missing CA");
    assert!(err.to_string().contains("nope.pem"), "{err}");
}

#[test]
fn client_auth_without_client_ca_is_a_config_error() {
    let (_pki, server) = pki_and_server();
    for mode in [ClientAuth::Required, ClientAuth::Optional] {
        let err = ServerTls::build(&ListenerTls {
            client_auth: mode,
            ..listener(&server)
        })
        .expect_err("no CA");
        assert!(matches!(err, TlsError::ClientCaMissing { .. }), "{err}");
        assert!(err.to_string().contains("client_ca"), "{err}");
    }
}

#[test]
fn expired_certificate_still_loads() {
    let pki = TestPki::new();
    let old = pki.ca.expired_server(pki.dir(), "old", &["old.test"]);
    ServerTls::build(&listener(&old)).expect("expired cert only warns");
}

#[test]
fn check_config_reports_each_broken_tls_listener_by_name() {
    let (pki, _server) = pki_and_server();
    pki.write(
        "bad.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    // Relative paths: the config resolves them against the file's directory.
    let yaml = "\
listeners:
  - name: good
    bind: 127.0.0.1:0
    tls: { cert: server.pem, key: server.key, client_ca: gateway-test-ca.pem, client_auth: required }
  - name: broken
    bind: 127.0.0.1:0
    tls: { cert: bad.pem, key: server.key }
  - name: plain
    bind: 127.0.0.1:0
upstreams:
  u: { targets: [127.0.0.1:9] }
routes:
  - { name: r, match: { path_prefix: / }, upstream: u }
";
    let path = pki.write("gateway.yaml", yaml);
    let config = gateway::config::load(&path).expect("config is valid");
    let errors = gateway::tls::check_config(&config);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("listener broken: "), "{errors:?}");
    assert!(errors[0].contains("bad.pem"), "{errors:?}");
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

//! The in-process TLS test server and the clients the TLS tests use: tokio-rustls,
//! and bounded runs of `openssl s_client` and `curl`. The server answers every request
//! with one line describing the session and reports each handshake (PeerInfo or the
//! metric failure reason), peeking first for plain HTTP like a listener should.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use gateway::config::{ClientAuth, ListenerTls};
use gateway::tls::{
    ClientCert, FirstBytes, PLAIN_HTTP_RESPONSE, PeerInfo, ServerTls, failure_reason,
    peek_first_bytes,
};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::certs::{CertFiles, TestPki};

pub const BOUND: Duration = Duration::from_secs(10);

/// What the server saw of one connection.
pub type Event = Result<PeerInfo, &'static str>;

pub struct Server {
    pub addr: SocketAddr,
    events: mpsc::UnboundedReceiver<Event>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(tls: ServerTls) -> Server {
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

    pub async fn next(&mut self) -> Event {
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

pub fn listener(server: &CertFiles) -> ListenerTls {
    ListenerTls {
        cert: server.cert.clone(),
        key: server.key.clone(),
        sni: Vec::new(),
        client_ca: None,
        client_auth: ClientAuth::None,
        client_crl: None,
    }
}

pub fn mtls(pki: &TestPki, server: &CertFiles, mode: ClientAuth) -> ListenerTls {
    ListenerTls {
        client_ca: Some(pki.ca_cert().to_owned()),
        client_auth: mode,
        ..listener(server)
    }
}

/// What a tokio-rustls client got: the served leaf certificate and the response text
/// (`None` when the handshake or the exchange failed).
pub struct ClientResult {
    pub served: Option<ClientCert>,
    pub response: Option<String>,
}

pub async fn rustls_get(
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
pub async fn run(program: &str, args: Vec<String>) -> (bool, String) {
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

pub async fn s_client(addr: SocketAddr, ca: &Path, extra: &[&str]) -> (bool, String) {
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

pub fn pki_and_server() -> (TestPki, CertFiles) {
    let pki = TestPki::new();
    let server = pki.server("server", &["api.example.com", "localhost", "127.0.0.1"]);
    (pki, server)
}

//! A small HTTP(S) client for the auth stage's own calls (JWKS fetches, external
//! authorization): one request per connection over hyper's HTTP/1 client, TLS through
//! rustls with a configured or system CA bundle, a bounded time and a bounded body.
use std::{path::Path, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::net::TcpStream;

/// CA bundle used for `https://` when none is configured.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// An answer: status, headers and the (bounded) body.
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body, at most the limit given to `send`.
    pub body: Bytes,
}

/// Client for one base URL: where to connect and how (plain or TLS).
#[derive(Clone)]
pub struct HttpClient {
    uri: Uri,
    host: String,
    port: u16,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl HttpClient {
    /// A client for `url` (`http://` or `https://`); `ca` is a PEM bundle for TLS.
    pub fn new(url: &str, ca: Option<&Path>) -> Result<HttpClient, String> {
        let uri: Uri = url
            .parse()
            .map_err(|_| format!("`{url}` is not a valid URL"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(format!("`{url}` must start with http:// or https://")),
        };
        let host = uri
            .host()
            .ok_or_else(|| format!("`{url}` has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tls = if https {
            Some(tls_connector(ca.unwrap_or(Path::new(SYSTEM_CA_BUNDLE)))?)
        } else {
            None
        };
        Ok(HttpClient {
            uri,
            host,
            port,
            tls,
        })
    }

    /// The URL this client calls.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Sends one request to the base URL and reads at most `max_body` bytes of answer,
    /// all within `timeout`.
    pub async fn send(
        &self,
        method: Method,
        headers: HeaderMap,
        body: Bytes,
        timeout: Duration,
        max_body: usize,
    ) -> Result<Answer, String> {
        tokio::time::timeout(timeout, self.send_inner(method, headers, body, max_body))
            .await
            .map_err(|_| format!("no answer within {timeout:?}"))?
    }

    async fn send_inner(
        &self,
        method: Method,
        headers: HeaderMap,
        body: Bytes,
        max_body: usize,
    ) -> Result<Answer, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let path = self
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_string();
        let mut req = Request::builder().method(method).uri(path);
        if let Some(h) = req.headers_mut() {
            *h = headers;
            let authority = self
                .uri
                .authority()
                .map_or(self.host.as_str(), |a| a.as_str());
            if let Ok(v) = authority.parse() {
                h.insert(header::HOST, v);
            }
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        match &self.tls {
            Some(connector) => {
                let name = ServerName::try_from(self.host.clone())
                    .map_err(|_| format!("`{}` is not a valid TLS server name", self.host))?;
                let stream = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {e}"))?;
                exchange(TokioIo::new(stream), req, max_body).await
            }
            None => exchange(TokioIo::new(tcp), req, max_body).await,
        }
    }
}

async fn exchange<T>(io: T, req: Request<Full<Bytes>>, max_body: usize) -> Result<Answer, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = tokio::spawn(conn);
    let result = async {
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, max_body)
            .collect()
            .await
            .map_err(|e| format!("cannot read the answer: {e}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
    .await;
    driver.abort();
    result
}

fn tls_connector(ca: &Path) -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("cannot read the CA bundle `{}`: {e}", ca.display()))?;
    for cert in certs.flatten() {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(format!(
            "the CA bundle `{}` holds no usable certificate",
            ca.display()
        ));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

//! Builds a listener's rustls `ServerConfig`: TLS 1.2/1.3 with the gateway's provider,
//! certificates chosen by SNI, the client-auth verifier, ALPN `h2` then `http/1.1`,
//! and stateless session resumption.

use std::sync::Arc;

use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use super::TlsError;
use super::client_auth::client_verifier;
use super::load::certified_key;
use super::provider::crypto_provider;
use super::sni::SniResolver;
use crate::config::{ClientAuth, ListenerTls};

/// ALPN id of HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// ALPN id of HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// A listener's immutable TLS configuration; rebuilt (not mutated) on reload.
#[derive(Clone, Debug)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
    client_auth: ClientAuth,
}

impl ServerTls {
    /// Reads the listener's certificates, keys and client CA and builds its config.
    pub fn build(tls: &ListenerTls) -> Result<ServerTls, TlsError> {
        let provider = crypto_provider();
        let default = certified_key(&tls.cert, &tls.key)?;
        let extra = tls
            .sni
            .iter()
            .map(|pair| certified_key(&pair.cert, &pair.key))
            .collect::<Result<Vec<_>, _>>()?;
        let verifier = client_verifier(tls)?;

        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(SniResolver::new(default, extra)));
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        // Our suite order is the security order; like nginx's ssl_prefer_server_ciphers.
        config.ignore_client_order = true;
        // Stateless tickets make reconnects cheap without a shared session cache.
        config.ticketer = rustls::crypto::ring::Ticketer::new()?;
        // No 0-RTT: early data can be replayed and the proxy does not guard against it.
        config.max_early_data_size = 0;
        Ok(ServerTls {
            config: Arc::new(config),
            client_auth: tls.client_auth,
        })
    }

    /// The same config offering only these ALPN protocols, in preference order
    /// (e.g. `&[ALPN_HTTP11]` for a listener that disables HTTP/2).
    pub fn with_alpn(self, protocols: &[&[u8]]) -> ServerTls {
        let mut config = ServerConfig::clone(&self.config);
        config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
        ServerTls {
            config: Arc::new(config),
            client_auth: self.client_auth,
        }
    }

    /// A tokio acceptor sharing this config.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.clone())
    }

    /// The rustls config itself.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// The listener's client certificate policy.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }
}

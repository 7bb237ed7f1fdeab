//! The rustls client config for https upstreams: the system trust store (Debian's
//! `/etc/ssl/certs/ca-certificates.crt`) or a given CA bundle, same provider policy.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::{ClientConfig, RootCertStore};

use super::TlsError;
use super::load::load_ca_bundle;
use super::provider::crypto_provider;
use super::server::{ALPN_H2, ALPN_HTTP11};

/// Where Debian and most distributions keep the system CA bundle.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A shared client config trusting the system CAs, offering `h2` and `http/1.1`.
pub fn client_config_for_upstreams() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = match load_ca_bundle(Path::new(SYSTEM_BUNDLE)) {
                Ok(roots) => roots,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the system CA bundle: https upstreams will trust no certificate and every connection to them will fail");
                    RootCertStore::empty()
                }
            };
            Arc::new(client_config(roots))
        })
        .clone()
}

/// A client config trusting only the CAs in a PEM bundle (private upstream PKI).
pub fn client_config_with_roots(ca_bundle: &Path) -> Result<Arc<ClientConfig>, TlsError> {
    Ok(Arc::new(client_config(load_ca_bundle(ca_bundle)?)))
}

fn client_config(roots: RootCertStore) -> ClientConfig {
    let builder = ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12]);
    // The provider is built in and always supports these versions, so this cannot fail;
    // fall back to rustls' defaults rather than panic if it ever does.
    let mut config = match builder {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        Err(e) => {
            tracing::error!(error = %e, "upstream TLS config: falling back to defaults");
            ClientConfig::builder()
                .with_root_certificates(RootCertStore::empty())
                .with_no_client_auth()
        }
    };
    config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
    config
}

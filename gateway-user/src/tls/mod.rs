//! TLS for listeners and upstreams: rustls server configs built from a listener's
//! `tls` section (certificates chosen by SNI, optional mutual TLS), the facts a
//! finished handshake tells the request path (`PeerInfo`), short handshake-failure
//! reasons for metrics, and the client config used for https upstreams.
//!
//! Building is pure: it reads files and returns a new immutable value, so a config
//! reload builds a fresh `ServerTls` and swaps it with the rest of the runtime.

mod client;
mod client_auth;
mod error;
mod failure;
mod forward;
mod load;
mod peer;
mod provider;
mod server;
mod sni;
mod sniff;

pub use client::{client_config_for_upstreams, client_config_with_roots};
pub use error::TlsError;
pub use failure::failure_reason;
pub use peer::{ClientCert, PeerInfo};
pub use provider::crypto_provider;
pub use server::{ALPN_H2, ALPN_HTTP11, ServerTls};
pub use sniff::{FirstBytes, PLAIN_HTTP_RESPONSE, classify, peek_first_bytes};

/// Builds every TLS configuration of `config` (listeners and admin) and returns one
/// message per failure, `listener <name>: <error>`, for `gateway check`.
pub fn check_config(config: &crate::config::Config) -> Vec<String> {
    let listeners = config
        .listeners
        .iter()
        .filter_map(|l| l.tls.as_ref().map(|t| (format!("listener {}", l.name), t)));
    let admin = config
        .admin
        .as_ref()
        .and_then(|a| a.tls.as_ref())
        .map(|t| ("admin listener".to_string(), t));
    listeners
        .chain(admin)
        .filter_map(|(name, tls)| ServerTls::build(tls).err().map(|e| format!("{name}: {e}")))
        .collect()
}

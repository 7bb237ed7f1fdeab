//! The one crypto provider every TLS config in the gateway uses: ring, restricted to
//! modern suites (TLS 1.3, and ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2;
//! no CBC, no static-RSA key exchange) and modern key-exchange groups.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};

/// The shared ring provider restricted to the gateway's cipher suites and groups.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            // Installing it as the process default lets any code that builds a rustls
            // config without naming a provider get the same policy; a second install
            // (tests, reload) is refused by rustls and harmless.
            let provider = Arc::new(restricted_provider());
            let _ = CryptoProvider::install_default(CryptoProvider::clone(&provider));
            provider
        })
        .clone()
}

fn restricted_provider() -> CryptoProvider {
    CryptoProvider {
        // Server preference order, as Mozilla's "intermediate" profile: AES-128-GCM
        // first (fastest with AES-NI, and ample), then AES-256-GCM, then ChaCha20.
        cipher_suites: vec![
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
        ..default_provider()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_offers_no_cbc_or_static_rsa_suites() {
        for suite in &crypto_provider().cipher_suites {
            let name = format!("{:?}", suite.suite());
            assert!(!name.contains("CBC"), "{name}");
            assert!(
                name.starts_with("TLS13_") || name.contains("ECDHE"),
                "{name}"
            );
        }
    }
}

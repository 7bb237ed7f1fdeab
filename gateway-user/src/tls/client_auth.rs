//! The client-certificate verifier of a listener, per its `client_auth` mode: none,
//! optional (verified when sent; routes may demand one), or required (the handshake
//! fails without a certificate signed by `client_ca`), with optional revocation
//! lists (`client_crl`).

use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;

use super::TlsError;
use super::load::{load_ca_bundle, load_crls};
use super::provider::crypto_provider;
use crate::config::{ClientAuth, ListenerTls};

/// Builds the verifier for a listener's `client_auth` and `client_ca`.
pub(crate) fn client_verifier(tls: &ListenerTls) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let mode = match tls.client_auth {
        ClientAuth::None => {
            if let Some(ca) = &tls.client_ca {
                tracing::warn!(
                    client_ca = %ca.display(),
                    "tls.client_ca is set but client_auth is none: client certificates are not requested"
                );
            }
            return Ok(WebPkiClientVerifier::no_client_auth());
        }
        ClientAuth::Optional => "optional",
        ClientAuth::Required => "required",
    };
    let ca = tls
        .client_ca
        .as_ref()
        .ok_or(TlsError::ClientCaMissing { mode })?;
    let roots = Arc::new(load_ca_bundle(ca)?);
    let builder = WebPkiClientVerifier::builder_with_provider(roots, crypto_provider());
    let builder = match tls.client_auth {
        ClientAuth::Optional => builder.allow_unauthenticated(),
        _ => builder,
    };
    // Like nginx's ssl_crl: the client certificate itself is checked, and a CRL from
    // its issuer must be present (unknown status is refused).
    let builder = match &tls.client_crl {
        Some(path) => builder
            .with_crls(load_crls(path)?)
            .only_check_end_entity_revocation(),
        None => builder,
    };
    builder.build().map_err(|e| TlsError::BadClientCa {
        path: ca.clone(),
        detail: e.to_string(),
    })
}

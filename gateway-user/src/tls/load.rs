//! PEM loading: certificate chains, private keys and CA bundles, with errors that name
//! the file, a key/certificate match check, and a warning for expired certificates.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::RootCertStore;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use super::TlsError;
use super::provider::crypto_provider;

/// Reads every certificate of a PEM file, refusing a file that has none.
pub(crate) fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let text = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, "certificate", e))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificates {
            path: path.to_owned(),
        });
    }
    for cert in &certs {
        check_validity(path, cert)?;
    }
    Ok(certs)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) of a PEM file.
pub(crate) fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let text = read(path)?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_owned(),
        },
        other => pem_error(path, "private key", other),
    })
}

/// Loads a certificate chain and its key, and checks the key belongs to the certificate.
pub(crate) fn certified_key(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = load_certs(cert)?;
    let der = load_key(key)?;
    let signing = crypto_provider()
        .key_provider
        .load_private_key(der)
        .map_err(|e| TlsError::BadKey {
            path: key.to_owned(),
            detail: e.to_string(),
        })?;
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::KeyMismatch {
            cert: cert.to_owned(),
            key: key.to_owned(),
        }),
        Err(e) => Err(TlsError::BadCertificate {
            path: cert.to_owned(),
            detail: e.to_string(),
        }),
    }
}

/// Loads a PEM bundle of CA certificates into a trust store.
pub(crate) fn load_ca_bundle(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots.add(cert).map_err(|e| TlsError::BadClientCa {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// Loads a PEM file of CRLs, warning about any past its `nextUpdate` (it is still
/// used: refusing every client because the CA is late to publish would be worse).
pub(crate) fn load_crls(
    path: &Path,
) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let text = read(path)?;
    let bad = |detail: String| TlsError::BadCrl {
        path: path.to_owned(),
        detail,
    };
    let crls = CertificateRevocationListDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if crls.is_empty() {
        return Err(bad(
            "no CRL found (expected \"-----BEGIN X509 CRL-----\" blocks)".to_string(),
        ));
    }
    for der in &crls {
        let (_, crl) = x509_parser::parse_x509_crl(der.as_ref()).map_err(|e| bad(e.to_string()))?;
        if let Some(next) = crl.next_update()
            && next.timestamp() < now()
        {
            tracing::warn!(
                file = %path.display(),
                issuer = %crl.issuer(),
                next_update = %next,
                "client CRL is past its next update; the CA may have published a newer one"
            );
        }
    }
    Ok(crls)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn pem_error(path: &Path, what: &'static str, e: pem::Error) -> TlsError {
    TlsError::Pem {
        path: path.to_owned(),
        what,
        detail: e.to_string(),
    }
}

/// Parses the certificate (so garbage inside a valid PEM block is caught at load time)
/// and warns when it is outside its validity period: an operator would rather serve an
/// expired certificate with a loud log line than refuse to start.
fn check_validity(path: &Path, der: &CertificateDer<'_>) -> Result<(), TlsError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| TlsError::BadCertificate {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    let now = now();
    let validity = cert.validity();
    if now > validity.not_after.timestamp() {
        tracing::warn!(
            file = %path.display(),
            subject = %cert.subject(),
            not_after = %validity.not_after,
            "certificate has expired"
        );
    } else if now < validity.not_before.timestamp() {
        tracing::warn!(
            file = %path.display(),
            subject = %cert.subject(),
            not_before = %validity.not_before,
            "certificate is not valid yet"
        );
    }
    Ok(())
}

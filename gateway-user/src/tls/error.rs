//! Errors met while building TLS configurations; each names the file or field at fault
//! so `gateway check` and a failed reload can say exactly what to fix.

use std::path::PathBuf;

/// Why a listener's or upstream's TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate, key or CA file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A file is not valid PEM of the expected kind.
    #[error("{}: invalid PEM {what}: {detail}", path.display())]
    Pem {
        /// The file at fault.
        path: PathBuf,
        /// What was expected ("certificate", "private key").
        what: &'static str,
        /// What the PEM parser said.
        detail: String,
    },
    /// A certificate file holds no certificate.
    #[error("{}: no certificate found (expected at least one \"-----BEGIN CERTIFICATE-----\" block)", path.display())]
    NoCertificates {
        /// The file at fault.
        path: PathBuf,
    },
    /// A key file holds no private key.
    #[error("{}: no private key found (expected a PKCS#8, PKCS#1 or SEC1 PEM block)", path.display())]
    NoPrivateKey {
        /// The file at fault.
        path: PathBuf,
    },
    /// A certificate could not be parsed as X.509.
    #[error("{}: invalid certificate: {detail}", path.display())]
    BadCertificate {
        /// The file at fault.
        path: PathBuf,
        /// What the X.509 parser said.
        detail: String,
    },
    /// A private key is of an unsupported type or malformed.
    #[error("{}: unusable private key: {detail}", path.display())]
    BadKey {
        /// The file at fault.
        path: PathBuf,
        /// What rustls said.
        detail: String,
    },
    /// A private key does not belong to the certificate it is paired with.
    #[error("{}: private key does not match the certificate in {}", key.display(), cert.display())]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A client CA bundle could not be turned into a trust store.
    #[error("{}: unusable client CA bundle: {detail}", path.display())]
    BadClientCa {
        /// The CA bundle.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A client CRL file is unreadable as PEM CRLs, or holds none.
    #[error("{}: unusable client CRL file: {detail}", path.display())]
    BadCrl {
        /// The CRL file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// `client_auth` asks for certificates but no `client_ca` says who may sign them.
    #[error(
        "tls.client_auth: `{mode}` needs tls.client_ca (a PEM bundle of the CAs that sign client certificates)"
    )]
    ClientCaMissing {
        /// The client_auth mode given.
        mode: &'static str,
    },
    /// rustls refused the assembled configuration.
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
}

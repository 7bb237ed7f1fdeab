//! Test certificates for every TLS test of the project: a throw-away PKI written to a
//! temp dir (removed on drop). Include it with
//! `#[path = "support/certs.rs"] mod certs;` and then:
//!
//! ```ignore
//! let pki = certs::TestPki::new();                       // dir + "Gateway Test CA"
//! let srv = pki.server("api", &["localhost", "127.0.0.1", "*.example.com"]);
//! let cli = pki.client("alice", "alice", &["URI:spiffe://prod/alice", "DNS:alice.internal"]);
//! // srv.cert / srv.key / pki.ca_cert() are paths for the gateway's YAML;
//! // certs::client_config(&pki, Some(&cli)) is a rustls ClientConfig for in-test clients.
//! let stranger = pki.other_ca("Evil CA");                // another CA in the same dir
//! let bad = stranger.client(pki.dir(), "mallory", "mallory", &[]);
//! ```
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate and key written as PEM files.
#[derive(Clone, Debug)]
pub struct CertFiles {
    /// PEM file holding the leaf certificate.
    pub cert: PathBuf,
    /// PEM file holding the PKCS#8 private key.
    pub key: PathBuf,
    /// The certificate as PEM text.
    pub cert_pem: String,
    /// The key as PEM text.
    pub key_pem: String,
}

impl CertFiles {
    /// The certificate as DER, for rustls.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).expect("own PEM parses")
    }

    /// The key as DER, for rustls.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).expect("own PEM parses")
    }
}

/// A certificate authority that issues server and client certificates.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// PEM file holding the CA certificate (use as `client_ca` or as a client's root).
    pub cert: PathBuf,
    /// The CA certificate as PEM text.
    pub cert_pem: String,
}

impl Ca {
    /// Creates a CA named `cn`, writing its certificate to `dir/<cn as kebab-case>.pem`.
    pub fn new(dir: &Path, cn: &str) -> Ca {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA cert");
        let cert_pem = cert.pem();
        let path = dir.join(format!("{}.pem", file_stem(cn)));
        std::fs::write(&path, &cert_pem).expect("write CA cert");
        Ca {
            issuer: Issuer::new(params, key),
            cert: path,
            cert_pem,
        }
    }

    /// A server certificate for `sans` (DNS names, `*.` wildcards or IP addresses),
    /// written to `dir/<name>.pem` and `dir/<name>.key`.
    pub fn server(&self, dir: &Path, name: &str, sans: &[&str]) -> CertFiles {
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("server SANs");
        params.distinguished_name = dn(sans.first().copied().unwrap_or(name));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(dir, name, params)
    }

    /// A client certificate with subject `CN=<cn>` and SANs written with their kind:
    /// `DNS:x`, `URI:spiffe://..`, `email:x`, `IP:1.2.3.4` (no prefix = DNS).
    pub fn client(&self, dir: &Path, name: &str, cn: &str, sans: &[&str]) -> CertFiles {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(cn);
        params.subject_alt_names = sans.iter().map(|s| san(s)).collect();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(dir, name, params)
    }

    /// Like [`Ca::server`], but valid only during 2020 (expired now).
    pub fn expired_server(&self, dir: &Path, name: &str, sans: &[&str]) -> CertFiles {
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("server SANs");
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 12, 31);
        self.issue(dir, name, params)
    }

    /// Writes a CRL from this CA revoking `revoked` to `dir/<name>` (PEM) and returns
    /// its path (for a listener's `client_crl`).
    pub fn crl(&self, dir: &Path, name: &str, revoked: &[&CertFiles]) -> PathBuf {
        let revoked_certs = revoked
            .iter()
            .map(|c| {
                let der = c.cert_der();
                let (_, parsed) = x509_parser::parse_x509_certificate(&der).expect("own cert");
                rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from_slice(
                        parsed.tbs_certificate.raw_serial(),
                    ),
                    revocation_time: rcgen::date_time_ymd(2024, 1, 1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                }
            })
            .collect();
        let params = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2024, 1, 1),
            next_update: rcgen::date_time_ymd(2099, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.issuer).expect("sign CRL");
        let path = dir.join(name);
        std::fs::write(&path, crl.pem().expect("CRL PEM")).expect("write CRL");
        path
    }

    /// Issues a certificate from any parameters (for cases the helpers do not cover).
    pub fn issue(&self, dir: &Path, name: &str, params: CertificateParams) -> CertFiles {
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("sign leaf");
        let files = CertFiles {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        std::fs::write(&files.cert, &files.cert_pem).expect("write cert");
        std::fs::write(&files.key, &files.key_pem).expect("write key");
        files
    }
}

/// A temp dir holding a test CA and everything issued through it.
pub struct TestPki {
    dir: tempfile::TempDir,
    /// The main CA.
    pub ca: Ca,
}

impl TestPki {
    /// A fresh temp dir and CA "Gateway Test CA".
    pub fn new() -> TestPki {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = Ca::new(dir.path(), "Gateway Test CA");
        TestPki { dir, ca }
    }

    /// The temp dir (write config files here too; it is removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The main CA's certificate file.
    pub fn ca_cert(&self) -> &Path {
        &self.ca.cert
    }

    /// A server certificate from the main CA; see [`Ca::server`].
    pub fn server(&self, name: &str, sans: &[&str]) -> CertFiles {
        self.ca.server(self.dir(), name, sans)
    }

    /// A client certificate from the main CA; see [`Ca::client`].
    pub fn client(&self, name: &str, cn: &str, sans: &[&str]) -> CertFiles {
        self.ca.client(self.dir(), name, cn, sans)
    }

    /// Another, unrelated CA whose certificate lives in the same dir.
    pub fn other_ca(&self, cn: &str) -> Ca {
        Ca::new(self.dir(), cn)
    }

    /// Writes `text` to a file in the dir and returns its path (configs, bad PEM...).
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

/// A rustls client config trusting `pki`'s CA, presenting `client` if given, offering
/// ALPN `h2` and `http/1.1`.
pub fn client_config(pki: &TestPki, client: Option<&CertFiles>) -> Arc<rustls::ClientConfig> {
    client_config_with(pki, client, &[b"h2", b"http/1.1"], None)
}

/// A rustls client config with explicit ALPN and, if given, only one TLS version.
pub fn client_config_with(
    pki: &TestPki,
    client: Option<&CertFiles>,
    alpn: &[&[u8]],
    version: Option<&'static rustls::SupportedProtocolVersion>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.cert_pem.as_bytes()).expect("CA PEM"))
        .expect("CA root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = match version {
        Some(v) => vec![v],
        None => vec![&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .expect("versions")
        .with_root_certificates(roots);
    let mut config = match client {
        Some(c) => builder
            .with_client_auth_cert(vec![c.cert_der()], c.key_der())
            .expect("client cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Gateway Tests");
    dn.push(DnType::CommonName, cn);
    dn
}

fn san(s: &str) -> SanType {
    let (kind, value) = s.split_once(':').unwrap_or(("DNS", s));
    match kind.to_ascii_lowercase().as_str() {
        "uri" => SanType::URI(value.try_into().expect("URI SAN")),
        "email" => SanType::Rfc822Name(value.try_into().expect("email SAN")),
        "ip" => SanType::IpAddress(value.parse().expect("IP SAN")),
        _ => SanType::DnsName(value.try_into().expect("DNS SAN")),
    }
}

fn file_stem(cn: &str) -> String {
    cn.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

//! What a finished handshake tells the request path: TLS version, ALPN, SNI and the
//! verified client certificate (RFC 4514 subject, prefixed SANs, SHA-256 fingerprint).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustls::{ProtocolVersion, ServerConnection};
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::x509::X509Name;

/// Facts about the TLS session a request arrived on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// "TLSv1.2" or "TLSv1.3".
    pub tls_version: &'static str,
    /// The negotiated application protocol (`h2`, `http/1.1`), if any.
    pub alpn: Option<Vec<u8>>,
    /// The server name the client asked for.
    pub sni: Option<String>,
    /// The client certificate, present only when one was sent and verified.
    pub client_cert: Option<ClientCert>,
}

/// A verified client certificate, reduced to what routes and logs use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCert {
    /// Subject distinguished name as an RFC 4514 string, e.g. `CN=alice,O=Example`.
    pub subject: String,
    /// Subject alternative names: `DNS:x`, `URI:spiffe://..`, `email:x`, `IP:x`.
    pub sans: Vec<String>,
    /// Lowercase hex SHA-256 of the certificate's DER encoding.
    pub fingerprint_sha256: String,
}

impl PeerInfo {
    /// Reads the session facts from a connection whose handshake has completed.
    pub fn from_server_connection(conn: &ServerConnection) -> PeerInfo {
        PeerInfo {
            tls_version: version_name(conn.protocol_version()),
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
            sni: conn.server_name().map(str::to_owned),
            client_cert: conn
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(ClientCert::from_der),
        }
    }

    /// Whether the client and server agreed on HTTP/2.
    pub fn is_h2(&self) -> bool {
        self.alpn.as_deref() == Some(b"h2")
    }
}

impl ClientCert {
    /// Extracts subject, SANs and fingerprint; `None` if the DER does not parse (rustls
    /// already verified it, so that would be a parser disagreement, not an attack).
    pub fn from_der(der: &CertificateDer<'_>) -> Option<ClientCert> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let sans = match cert.subject_alternative_name() {
            Ok(Some(ext)) => ext
                .value
                .general_names
                .iter()
                .filter_map(san_string)
                .collect(),
            _ => Vec::new(),
        };
        Some(ClientCert {
            subject: rfc4514(cert.subject()),
            sans,
            fingerprint_sha256: hex::encode(Sha256::digest(der.as_ref())),
        })
    }

    /// Whether the certificate carries a SAN matching `pattern`, written like the SANs
    /// (`DNS:svc.internal`, `URI:spiffe://prod/api`, `email:a@b`, `IP:10.0.0.1`).
    /// The kind is case-insensitive; DNS names and emails compare case-insensitively,
    /// IPs by address; a trailing `*` matches any rest (`URI:spiffe://prod/*`) and a
    /// leading `*.` one DNS label (`DNS:*.internal`). A pattern without a known kind
    /// matches the value of a SAN of any kind.
    pub fn has_san(&self, pattern: &str) -> bool {
        self.sans.iter().any(|san| san_matches(pattern, san))
    }

    /// Whether any of `patterns` matches (see [`ClientCert::has_san`]); false when empty.
    pub fn has_any_san(&self, patterns: &[String]) -> bool {
        patterns.iter().any(|p| self.has_san(p))
    }
}

const KINDS: [&str; 4] = ["DNS", "URI", "email", "IP"];

fn split_kind(s: &str) -> (Option<&'static str>, &str) {
    if let Some((kind, value)) = s.split_once(':')
        && let Some(k) = KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind))
    {
        return (Some(k), value);
    }
    (None, s)
}

fn san_matches(pattern: &str, san: &str) -> bool {
    let (pkind, pvalue) = split_kind(pattern);
    let (Some(kind), value) = split_kind(san) else {
        return false;
    };
    if pkind.is_some_and(|p| p != kind) {
        return false;
    }
    match kind {
        "IP" => match (pvalue.parse::<IpAddr>(), value.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
        "DNS" | "email" => value_matches(
            &pvalue.to_ascii_lowercase(),
            &value.to_ascii_lowercase(),
            kind == "DNS",
        ),
        _ => value_matches(pvalue, value, false),
    }
}

fn value_matches(pattern: &str, value: &str, dns: bool) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return value.starts_with(prefix);
    }
    if dns && let Some(parent) = pattern.strip_prefix("*.") {
        return value
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent);
    }
    pattern == value
}

fn version_name(v: Option<ProtocolVersion>) -> &'static str {
    match v {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
        // Unreachable with our config (1.2 and 1.3 only) once the handshake is done.
        _ => "unknown",
    }
}

fn san_string(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(v) => Some(format!("DNS:{v}")),
        GeneralName::URI(v) => Some(format!("URI:{v}")),
        GeneralName::RFC822Name(v) => Some(format!("email:{v}")),
        GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| format!("IP:{ip}")),
        _ => None,
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| Ipv4Addr::from(b).into()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| Ipv6Addr::from(b).into()),
        _ => None,
    }
}

/// RFC 4514 string form: RDNs last-to-first, `,` between RDNs, `+` inside one,
/// short names for the usual attribute types and dotted OIDs for the rest.
fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = short_name(&oid).unwrap_or(&oid).to_owned();
                    let value = match atv.as_str() {
                        Ok(s) => escape_value(s),
                        Err(_) => format!("#{}", hex::encode(atv.attr_value().data)),
                    };
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};

    fn cert(params: CertificateParams) -> CertificateDer<'static> {
        let key = KeyPair::generate().expect("key");
        params.self_signed(&key).expect("sign").der().clone()
    }

    #[test]
    fn subject_is_rendered_in_rfc4514_order_with_escapes() {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "DE");
        dn.push(DnType::OrganizationName, "Example, Inc.");
        dn.push(DnType::CommonName, "alice");
        params.distinguished_name = dn;
        let c = ClientCert::from_der(&cert(params)).expect("parse");
        assert_eq!(c.subject, "CN=alice,O=Example\\, Inc.,C=DE");
    }

    #[test]
    fn sans_carry_their_kind_prefix() {
        let mut params = CertificateParams::new(vec!["svc.internal".to_string()]).expect("params");
        params
            .subject_alt_names
            .push(SanType::URI("spiffe://prod/api".try_into().expect("uri")));
        params.subject_alt_names.push(SanType::Rfc822Name(
            "ops@example.com".try_into().expect("email"),
        ));
        params
            .subject_alt_names
            .push(SanType::IpAddress("198.18.0.7".parse().expect("ip")));
        params
            .subject_alt_names
            .push(SanType::IpAddress("::1".parse().expect("ip")));
        let c = ClientCert::from_der(&cert(params)).expect("parse");
        assert_eq!(
            c.sans,
            vec![
                "DNS:svc.internal",
                "URI:spiffe://prod/api",
                "email:ops@example.com",
                "IP:198.18.0.7",
                "IP:::1"
            ]
        );
        assert!(c.has_san("dns:SVC.internal"));
        assert!(c.has_san("DNS:*.internal"));
        assert!(c.has_san("URI:spiffe://prod/*"));
        assert!(!c.has_san("URI:spiffe://staging/*"));
        assert!(c.has_san("IP:0:0::1"));
        assert!(c.has_san("spiffe://prod/api"));
        assert!(!c.has_san("email:svc.internal"));
        assert!(c.has_any_san(&["DNS:nope".into(), "email:OPS@example.com".into()]));
        assert!(!c.has_any_san(&[]));
        assert!(c.has_san("URI:spiffe://prod/api"));
        assert!(!c.has_san("URI:spiffe://prod/API"));
        assert!(!c.has_san("DNS:other"));
    }

    #[test]
    fn fingerprint_is_sha256_of_the_der() {
        let der = cert(CertificateParams::new(vec!["x.test".to_string()]).expect("params"));
        let c = ClientCert::from_der(&der).expect("parse");
        assert_eq!(
            c.fingerprint_sha256,
            hex::encode(Sha256::digest(der.as_ref()))
        );
        assert_eq!(c.fingerprint_sha256.len(), 64);
    }

    #[test]
    fn leading_hash_and_edge_spaces_are_escaped() {
        assert_eq!(escape_value("#x"), "\\#x");
        assert_eq!(escape_value(" a b "), "\\ a b\\ ");
        assert_eq!(escape_value("a<b>;\"c\""), "a\\<b\\>\\;\\\"c\\\"");
    }
}

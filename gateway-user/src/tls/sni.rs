//! Certificate choice by SNI: each certificate is indexed under the DNS names of its
//! SANs (exact names and `*.` wildcards); a client naming none of them, or sending no
//! SNI at all, gets the listener's default certificate.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use x509_parser::extensions::GeneralName;

/// Picks the certificate to serve from the SNI name of a ClientHello.
#[derive(Debug)]
pub(crate) struct SniResolver {
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// Keyed by the parent domain of the wildcard: `*.example.com` → `example.com`.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl SniResolver {
    /// A resolver serving `default` unless a name of one of `extra` matches.
    ///
    /// The extra certificates take precedence over the default for names both cover,
    /// and an earlier extra certificate over a later one, mirroring the config order.
    pub(crate) fn new(default: Arc<CertifiedKey>, extra: Vec<Arc<CertifiedKey>>) -> Self {
        let mut resolver = SniResolver {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            default: default.clone(),
        };
        for key in extra.into_iter().chain(std::iter::once(default)) {
            for name in dns_names(&key) {
                match name.strip_prefix("*.") {
                    Some(parent) => {
                        resolver
                            .wildcard
                            .entry(parent.to_owned())
                            .or_insert_with(|| key.clone());
                    }
                    None => {
                        resolver.exact.entry(name).or_insert_with(|| key.clone());
                    }
                }
            }
        }
        resolver
    }

    /// The certificate for an SNI name (already lowercased by rustls).
    pub(crate) fn pick(&self, sni: Option<&str>) -> Arc<CertifiedKey> {
        let Some(name) = sni else {
            return self.default.clone();
        };
        let name = name.trim_end_matches('.');
        if let Some(key) = self.exact.get(name) {
            return key.clone();
        }
        // A wildcard covers exactly one label, as in RFC 6125.
        name.split_once('.')
            .and_then(|(_, parent)| self.wildcard.get(parent))
            .unwrap_or(&self.default)
            .clone()
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.pick(client_hello.server_name()))
    }
}

/// The DNS names a certificate is valid for: its DNS SANs, or its common name when it
/// has none (old self-made certificates), lowercased.
fn dns_names(key: &CertifiedKey) -> Vec<String> {
    let Some(der) = key.cert.first() else {
        return Vec::new();
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Vec::new();
    };
    let mut names: Vec<String> = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(dns) => Some(dns.to_ascii_lowercase()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if names.is_empty() {
        names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .map(str::to_ascii_lowercase)
            .collect();
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::provider::crypto_provider;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    fn key_for(names: &[&str]) -> Arc<CertifiedKey> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let ck = rcgen::generate_simple_self_signed(names).expect("rcgen");
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
        let signing = crypto_provider()
            .key_provider
            .load_private_key(der)
            .expect("key");
        Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(ck.cert.der().to_vec())],
            signing,
        ))
    }

    fn same(a: &Arc<CertifiedKey>, b: &Arc<CertifiedKey>) -> bool {
        Arc::ptr_eq(a, b)
    }

    #[test]
    fn exact_name_picks_its_certificate() {
        let default = key_for(&["default.test"]);
        let api = key_for(&["api.example.com"]);
        let r = SniResolver::new(default.clone(), vec![api.clone()]);
        assert!(same(&r.pick(Some("api.example.com")), &api));
        assert!(same(&r.pick(Some("default.test")), &default));
    }

    #[test]
    fn wildcard_covers_exactly_one_label() {
        let default = key_for(&["default.test"]);
        let wild = key_for(&["*.example.com"]);
        let r = SniResolver::new(default.clone(), vec![wild.clone()]);
        assert!(same(&r.pick(Some("a.example.com")), &wild));
        assert!(same(&r.pick(Some("a.b.example.com")), &default));
        assert!(same(&r.pick(Some("example.com")), &default));
    }

    #[test]
    fn exact_name_beats_wildcard() {
        let default = key_for(&["default.test"]);
        let wild = key_for(&["*.example.com"]);
        let api = key_for(&["api.example.com"]);
        let r = SniResolver::new(default, vec![wild.clone(), api.clone()]);
        assert!(same(&r.pick(Some("api.example.com")), &api));
        assert!(same(&r.pick(Some("www.example.com")), &wild));
    }

    #[test]
    fn missing_or_unknown_sni_gets_the_default() {
        let default = key_for(&["default.test"]);
        let api = key_for(&["api.example.com"]);
        let r = SniResolver::new(default.clone(), vec![api]);
        assert!(same(&r.pick(None), &default));
        assert!(same(&r.pick(Some("other.test")), &default));
    }
}

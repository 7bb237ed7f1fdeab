//! Consumers by credential: who a JWT subject (or claim), or a client certificate SAN,
//! belongs to. API keys are in `apikey.rs`.
use std::{collections::HashMap, sync::Arc};

use serde_json::{Map, Value};

use super::config::Consumer;

pub use crate::tls::ClientCert;

/// Consumers indexed by their JWT and certificate credentials.
#[derive(Default)]
pub struct Consumers {
    all: Vec<Arc<Consumer>>,
    by_san: HashMap<String, Arc<Consumer>>,
}

/// `DNS:Example.COM` → `dns:example.com` (kinds and DNS names compare without case).
pub fn normalize_san(san: &str) -> String {
    match san.split_once(':') {
        Some((kind, value)) if kind.eq_ignore_ascii_case("dns") => {
            format!("dns:{}", value.to_ascii_lowercase())
        }
        Some((kind, value)) => format!("{}:{value}", kind.to_ascii_lowercase()),
        None => san.to_string(),
    }
}

impl Consumers {
    /// Indexes `consumers`; a SAN claimed by two consumers is refused.
    pub fn build(consumers: &[Arc<Consumer>]) -> Result<Consumers, String> {
        let mut by_san = HashMap::new();
        for c in consumers {
            for san in &c.mtls_sans {
                if let Some(other) = by_san.insert(normalize_san(san), c.clone())
                    && other.name != c.name
                {
                    return Err(format!(
                        "consumers `{}` and `{}` both claim the certificate SAN `{san}`",
                        other.name, c.name
                    ));
                }
            }
        }
        Ok(Consumers {
            all: consumers.to_vec(),
            by_san,
        })
    }

    /// The consumer a token from `provider` belongs to, by its mappings.
    pub fn for_jwt(
        &self,
        provider: &str,
        subject_claim: &str,
        claims: &Map<String, Value>,
    ) -> Option<&Arc<Consumer>> {
        self.all.iter().find(|c| {
            c.jwt.iter().any(|m| {
                m.provider.as_deref().is_none_or(|p| p == provider)
                    && claims
                        .get(m.claim.as_deref().unwrap_or(subject_claim))
                        .is_some_and(|v| claim_equals(v, &m.value))
            })
        })
    }

    /// The consumer a client certificate belongs to (first SAN that maps).
    pub fn for_cert(&self, cert: &ClientCert) -> Option<&Arc<Consumer>> {
        cert.sans
            .iter()
            .find_map(|san| self.by_san.get(&normalize_san(san)))
    }
}

/// True when a claim equals `want` (strings as is, numbers and booleans as text).
pub fn claim_equals(v: &Value, want: &str) -> bool {
    match v {
        Value::String(s) => s == want,
        Value::Number(n) => n.to_string() == want,
        Value::Bool(b) => b.to_string() == want,
        _ => false,
    }
}

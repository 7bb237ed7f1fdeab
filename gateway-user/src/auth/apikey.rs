//! API keys, known only by their SHA-256: the presented key is hashed and looked up,
//! and the stored digest is confirmed with a constant-time compare. Timing can at
//! most reveal something about the hash of what the caller sent, never a stored key.
use std::{collections::HashMap, path::Path, sync::Arc};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::config::Consumer;

/// Prefix of keys made by `gateway keys generate`.
pub const KEY_PREFIX: &str = "gw_";

/// The sha256 of an API key.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Parses a sha256 hex digest (64 hex digits, any case).
pub fn parse_digest(hex_text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text.trim(), &mut out).ok()?;
    Some(out)
}

/// Digests of a keys file: one per line, blank lines and `#` comments ignored.
pub fn read_keys_file(path: &Path) -> Result<Vec<[u8; 32]>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the keys file `{}`: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let digest = line.strip_prefix("sha256:").unwrap_or(line);
        out.push(parse_digest(digest).ok_or_else(|| {
            format!(
                "{}:{}: not a sha256 hex digest (64 hex digits)",
                path.display(),
                n + 1
            )
        })?);
    }
    Ok(out)
}

/// Every consumer's API keys, by digest.
#[derive(Default)]
pub struct ApiKeys {
    by_digest: HashMap<[u8; 32], Arc<Consumer>>,
}

impl ApiKeys {
    /// Collects the keys of `consumers`; a digest held by two consumers is refused.
    pub fn build(consumers: &[Arc<Consumer>], base: Option<&Path>) -> Result<ApiKeys, String> {
        let mut by_digest = HashMap::new();
        for c in consumers {
            let mut digests = Vec::new();
            for k in &c.api_keys {
                digests.push(parse_digest(&k.sha256).ok_or_else(|| {
                    format!(
                        "consumer `{}`: `{}` is not a sha256 hex digest",
                        c.name, k.sha256
                    )
                })?);
            }
            if let Some(file) = &c.api_keys_file {
                let file = match base {
                    Some(b) if file.is_relative() => b.join(file),
                    _ => file.clone(),
                };
                digests.extend(read_keys_file(&file)?);
            }
            for d in digests {
                if let Some(other) = by_digest.insert(d, c.clone())
                    && other.name != c.name
                {
                    return Err(format!(
                        "consumers `{}` and `{}` share an API key",
                        other.name, c.name
                    ));
                }
            }
        }
        Ok(ApiKeys { by_digest })
    }

    /// The consumer owning `key`.
    pub fn lookup(&self, key: &str) -> Option<&Arc<Consumer>> {
        let digest = hash_key(key);
        let (stored, consumer) = self.by_digest.get_key_value(&digest)?;
        bool::from(stored.ct_eq(&digest)).then_some(consumer)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    /// True when no consumer has a key.
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::config::ApiKeyHash;

    fn consumer(name: &str, keys: &[&str]) -> Arc<Consumer> {
        Arc::new(Consumer {
            name: name.into(),
            groups: vec![],
            plan: None,
            api_keys: keys
                .iter()
                .map(|k| ApiKeyHash {
                    sha256: hex::encode(hash_key(k)),
                })
                .collect(),
            api_keys_file: None,
            jwt: vec![],
            mtls_sans: vec![],
        })
    }

    #[test]
    fn known_key_finds_its_consumer_and_others_do_not() {
        let keys = ApiKeys::build(&[consumer("a", &["k1"]), consumer("b", &["k2"])], None).unwrap();
        assert_eq!(keys.lookup("k1").unwrap().name, "a");
        assert_eq!(keys.lookup("k2").unwrap().name, "b");
        assert!(keys.lookup("k3").is_none());
        assert!(keys.lookup("").is_none());
    }

    #[test]
    fn issue_sample_digest_is_the_sha256_of_test() {
        let d = parse_digest("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
            .unwrap();
        assert_eq!(d, hash_key("test"));
    }

    #[test]
    fn shared_key_between_consumers_is_refused() {
        let err = ApiKeys::build(&[consumer("a", &["k"]), consumer("b", &["k"])], None)
            .err()
            .unwrap();
        assert!(err.contains("share an API key"), "{err}");
    }

    #[test]
    fn keys_file_lines_are_read_with_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        std::fs::write(
            &path,
            format!(
                "# team a\n{}\n\nsha256:{} # second\n",
                hex::encode(hash_key("x")),
                hex::encode(hash_key("y"))
            ),
        )
        .unwrap();
        assert_eq!(
            read_keys_file(&path).unwrap(),
            vec![hash_key("x"), hash_key("y")]
        );
        std::fs::write(&path, "nothex\n").unwrap();
        assert!(read_keys_file(&path).unwrap_err().contains(":1:"));
    }
}

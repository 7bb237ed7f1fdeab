//! A bounded cache of verified tokens, keyed by sha256(provider, token) so the token
//! itself is never kept, each entry expiring with its token's `exp` (or the cache
//! TTL, whichever comes first). Sharded to keep lock hold times short under load.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use sha2::{Digest, Sha256};

use super::jwt::Verified;

const SHARDS: usize = 16;

/// Key of a cached token.
pub type TokenKey = [u8; 32];

struct Entry {
    value: Arc<Verified>,
    /// Seconds since the epoch after which the entry is dead.
    expires: u64,
}

/// The verified-token cache.
pub struct TokenCache {
    shards: Vec<Mutex<HashMap<TokenKey, Entry>>>,
    per_shard: usize,
    ttl: u64,
}

impl TokenCache {
    /// A cache of about `capacity` entries; 0 keeps nothing.
    pub fn new(capacity: usize, ttl_secs: u64) -> TokenCache {
        TokenCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            ttl: ttl_secs,
        }
    }

    /// The cache key of `token` verified by provider number `provider`.
    pub fn key(provider: usize, token: &str) -> TokenKey {
        let mut h = Sha256::new();
        h.update((provider as u64).to_le_bytes());
        h.update(token.as_bytes());
        h.finalize().into()
    }

    fn shard(&self, key: &TokenKey) -> Option<&Mutex<HashMap<TokenKey, Entry>>> {
        self.shards.get(key[0] as usize % SHARDS)
    }

    /// A live entry for `key`.
    pub fn get(&self, key: &TokenKey, now: u64) -> Option<Arc<Verified>> {
        if self.per_shard == 0 {
            return None;
        }
        let mut map = self.shard(key)?.lock().ok()?;
        match map.get(key) {
            Some(e) if e.expires > now => Some(e.value.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores a verified token until its `exp` (bounded by the TTL).
    pub fn put(&self, key: TokenKey, value: Arc<Verified>, now: u64) {
        if self.per_shard == 0 {
            return;
        }
        let expires = value
            .exp
            .map_or(now + self.ttl, |exp| exp.min(now + self.ttl));
        if expires <= now {
            return;
        }
        let Some(Ok(mut map)) = self.shard(&key).map(|m| m.lock()) else {
            return;
        };
        if map.len() >= self.per_shard {
            map.retain(|_, e| e.expires > now);
            if map.len() >= self.per_shard {
                // Still full of live entries: drop an arbitrary one, keeping memory bounded.
                if let Some(k) = map.keys().next().copied() {
                    map.remove(&k);
                }
            }
        }
        map.insert(key, Entry { value, expires });
    }

    /// Number of entries (live or not yet swept).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |m| m.len()))
            .sum()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(exp: Option<u64>) -> Arc<Verified> {
        Arc::new(Verified {
            claims: Default::default(),
            exp,
        })
    }

    #[test]
    fn entry_expires_with_its_token() {
        let c = TokenCache::new(100, 300);
        let k = TokenCache::key(0, "t");
        c.put(k, verified(Some(1010)), 1000);
        assert!(c.get(&k, 1009).is_some());
        assert!(c.get(&k, 1010).is_none());
    }

    #[test]
    fn entry_never_outlives_the_cache_ttl() {
        let c = TokenCache::new(100, 60);
        let k = TokenCache::key(0, "t");
        c.put(k, verified(Some(99_999)), 1000);
        assert!(c.get(&k, 1059).is_some());
        assert!(c.get(&k, 1061).is_none());
    }

    #[test]
    fn cache_stays_bounded_under_many_tokens() {
        let c = TokenCache::new(64, 300);
        for i in 0..10_000 {
            c.put(
                TokenCache::key(0, &i.to_string()),
                verified(Some(5000)),
                1000,
            );
        }
        assert!(c.len() <= 64, "{} entries", c.len());
    }

    #[test]
    fn same_token_under_another_provider_is_another_entry() {
        assert_ne!(TokenCache::key(0, "t"), TokenCache::key(1, "t"));
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let c = TokenCache::new(0, 300);
        let k = TokenCache::key(0, "t");
        c.put(k, verified(Some(5000)), 1000);
        assert!(c.get(&k, 1001).is_none());
    }
}

//! A provider's JSON Web Key Set fetched over HTTP(S): cached for `cache_ttl`,
//! refreshed in the background, refetched when a token names an unknown `kid` (at most
//! once per `min_refetch_interval`, one fetch at a time), and served stale while the
//! issuer is unreachable for up to `max_stale` past its TTL; after that, refused.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use jsonwebtoken::Algorithm;

use super::{config::JwksSettings, error::AuthError, http::HttpClient, keys};

/// Largest JWKS document read.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// The JWKS caches of the process, by URI and settings, so that a reload reuses the
/// keys already fetched (an issuer outage during a reload must not empty them).
#[derive(Default)]
pub struct JwksRegistry {
    caches: Mutex<HashMap<String, Weak<Jwks>>>,
}

impl std::fmt::Debug for JwksRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksRegistry").finish_non_exhaustive()
    }
}

impl JwksRegistry {
    /// The cache for `uri` with `settings`: the live one if any, else a new one whose
    /// background refresh starts now (on the current tokio runtime, if any).
    pub fn get(&self, uri: &str, settings: &JwksSettings) -> Result<Arc<Jwks>, String> {
        let key = format!(
            "{uri}|{:?}|{:?}|{:?}|{:?}|{:?}",
            settings.cache_ttl,
            settings.min_refetch_interval,
            settings.max_stale,
            settings.timeout,
            settings.ca
        );
        let mut map = self
            .caches
            .lock()
            .map_err(|_| "the JWKS registry is poisoned".to_string())?;
        if let Some(live) = map.get(&key).and_then(Weak::upgrade) {
            return Ok(live);
        }
        map.retain(|_, w| w.strong_count() > 0);
        let jwks = Jwks::new(uri, settings)?;
        jwks.spawn_refresher();
        map.insert(key, Arc::downgrade(&jwks));
        Ok(jwks)
    }
}

/// Keys fetched at one moment.
struct KeySet {
    keys: Vec<keys::VerifyKey>,
    fetched: Instant,
}

/// The cached key set of one JWKS URI.
pub struct Jwks {
    client: HttpClient,
    ttl: Duration,
    min_refetch: Duration,
    max_stale: Duration,
    timeout: Duration,
    state: ArcSwapOption<KeySet>,
    /// One fetch at a time; waiters reuse its result.
    fetching: tokio::sync::Mutex<()>,
    last_attempt: Mutex<Option<Instant>>,
    fetches: AtomicU64,
}

impl Jwks {
    /// A cache for `uri` (nothing is fetched yet).
    pub fn new(uri: &str, settings: &JwksSettings) -> Result<Arc<Jwks>, String> {
        Ok(Arc::new(Jwks {
            client: HttpClient::new(uri, settings.ca.as_deref())?,
            ttl: settings.cache_ttl.get(),
            min_refetch: settings.min_refetch_interval.get(),
            max_stale: settings.max_stale.get(),
            timeout: settings.timeout.get(),
            state: ArcSwapOption::empty(),
            fetching: tokio::sync::Mutex::new(()),
            last_attempt: Mutex::new(None),
            fetches: AtomicU64::new(0),
        }))
    }

    /// Number of fetches attempted so far (tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Starts the background refresh on the current tokio runtime, if there is one.
    /// The task ends when the cache is dropped.
    pub fn spawn_refresher(self: &Arc<Self>) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let weak: Weak<Jwks> = Arc::downgrade(self);
        // Refresh a little before the TTL runs out so requests rarely wait on a fetch.
        let period = (self.ttl * 4 / 5).max(Duration::from_secs(1));
        handle.spawn(async move {
            loop {
                let pause = {
                    let Some(jwks) = weak.upgrade() else { return };
                    // Fetch when the set is `period` old (or missing, or the last try failed).
                    let seen = jwks.state.load().as_ref().map(|s| s.fetched);
                    match seen.map(|t| t.elapsed()) {
                        Some(age) if age < period => period - age,
                        _ => {
                            let ok = jwks.refresh(seen, true).await.is_ok();
                            if ok {
                                period
                            } else {
                                // The issuer is down: retry, but never hammer it.
                                jwks.min_refetch.max(Duration::from_secs(1))
                            }
                        }
                    }
                };
                tokio::time::sleep(pause).await;
            }
        });
    }

    /// Keys that may verify a token with `kid` and `alg`; fetches when needed.
    pub async fn keys_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<keys::VerifyKey>, AuthError> {
        let current = self.state.load_full();
        let seen = current.as_ref().map(|s| s.fetched);
        let age = current.as_ref().map(|s| s.fetched.elapsed());
        if let (Some(set), Some(age)) = (current.as_ref(), age)
            && age < self.ttl
        {
            let found = matching(set, kid, alg);
            if !found.is_empty() {
                return Ok(found);
            }
            // An unknown kid: the issuer may have rotated its keys.
            return match self.refresh(seen, true).await {
                Ok(set) => Ok(matching(&set, kid, alg)),
                Err(_) => Ok(found),
            };
        }
        // Expired or never fetched. With usable stale keys, never wait behind a slow
        // fetch; without any, wait for it.
        let usable_stale = age.is_some_and(|a| a < self.ttl + self.max_stale);
        if let Ok(set) = self.refresh(seen, !usable_stale).await {
            return Ok(matching(&set, kid, alg));
        }
        // The issuer is unreachable (or was tried a moment ago): old keys, within bounds.
        match self.state.load_full() {
            Some(set) if set.fetched.elapsed() < self.ttl + self.max_stale => {
                Ok(matching(&set, kid, alg))
            }
            _ => Err(AuthError::KeysUnavailable),
        }
    }

    /// Fetches the key set, unless a set was stored since the caller looked (`seen`
    /// = the fetch time of the set it saw), which is returned instead, or the last
    /// attempt is within `min_refetch_interval`. With `wait` false, a
    /// fetch already in progress is not waited for.
    async fn refresh(&self, seen: Option<Instant>, wait: bool) -> Result<Arc<KeySet>, String> {
        let _guard = if wait {
            self.fetching.lock().await
        } else {
            self.fetching
                .try_lock()
                .map_err(|_| "a fetch is in progress".to_string())?
        };
        if let Some(set) = self.state.load_full()
            && seen.is_none_or(|s| set.fetched > s)
        {
            return Ok(set);
        }
        let last = self.last_attempt.lock().map(|g| *g).unwrap_or(None);
        if last.is_some_and(|t| t.elapsed() < self.min_refetch) {
            return Err("fetched a moment ago".to_string());
        }
        if let Ok(mut last) = self.last_attempt.lock() {
            *last = Some(Instant::now());
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let answer = self
            .client
            .send(
                Method::GET,
                headers,
                Bytes::new(),
                self.timeout,
                MAX_JWKS_BYTES,
            )
            .await;
        let result = match answer {
            Ok(a) if a.status == StatusCode::OK => keys::from_jwks(&a.body).map(|(k, _)| k),
            Ok(a) => Err(format!("answered {}", a.status)),
            Err(e) => Err(e),
        };
        match result {
            Ok(keys) => {
                let set = Arc::new(KeySet {
                    keys,
                    fetched: Instant::now(),
                });
                self.state.store(Some(set.clone()));
                Ok(set)
            }
            Err(why) => {
                tracing::warn!(jwks_uri = %self.client.uri(), "cannot fetch the JWKS: {why}");
                Err(why)
            }
        }
    }
}

/// Keys of `set` fit for `alg` whose kid matches (a token without kid matches all).
fn matching(set: &KeySet, kid: Option<&str>, alg: Algorithm) -> Vec<keys::VerifyKey> {
    set.keys
        .iter()
        .filter(|k| k.fits(alg))
        .filter(|k| match (kid, &k.kid) {
            (Some(want), Some(have)) => want == have,
            _ => true,
        })
        .cloned()
        .collect()
}

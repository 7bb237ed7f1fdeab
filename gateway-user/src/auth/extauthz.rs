//! External authorization (nginx `auth_request`, Envoy `ext_authz`, Lambda
//! authorizers): the service gets a POST with the request's method and path (as
//! `X-Forwarded-Method` / `X-Forwarded-Uri` and a JSON body) and the chosen headers.
//! 2xx allows, with chosen answer headers forwarded upstream; 401/403 deny; anything
//! else, a timeout or an error refuses (fail closed). Decisions, allow and deny, are
//! cached per credential (the chosen headers) for `cache_ttl`.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header, request::Parts};
use sha2::{Digest, Sha256};

use super::{config::ExtAuthz, error::AuthError, http::HttpClient};

/// Most cached decisions per service.
const MAX_DECISIONS: usize = 50_000;
/// Largest answer body read (it is not used, only drained).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A cached decision.
#[derive(Clone)]
enum Decision {
    Allow(Arc<Vec<(HeaderName, HeaderValue)>>),
    Deny(StatusCode),
}

/// A configured authorization service.
pub struct ExtAuthzClient {
    /// Its name in the configuration.
    pub name: String,
    client: HttpClient,
    forward: Vec<HeaderName>,
    /// Headers of an allowing answer copied upstream.
    pub upstream_headers: Vec<HeaderName>,
    timeout: Duration,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Instant, Decision)>>,
    calls: AtomicU64,
}

impl ExtAuthzClient {
    /// Builds the client of one service.
    pub fn build(c: &ExtAuthz) -> Result<ExtAuthzClient, String> {
        let names = |list: &[String]| -> Result<Vec<HeaderName>, String> {
            list.iter()
                .map(|h| {
                    HeaderName::try_from(h.as_str())
                        .map_err(|_| format!("`{h}` is not a valid header name"))
                })
                .collect()
        };
        Ok(ExtAuthzClient {
            name: c.name.clone(),
            client: HttpClient::new(&c.url, c.ca.as_deref())
                .map_err(|e| format!("ext_authz `{}`: {e}", c.name))?,
            forward: names(&c.forward_headers)?,
            upstream_headers: names(&c.upstream_headers)?,
            timeout: c.timeout.get(),
            ttl: c.cache_ttl.get(),
            cache: Mutex::new(HashMap::new()),
            calls: AtomicU64::new(0),
        })
    }

    /// Calls made to the service so far (cache misses).
    pub fn call_count(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Asks the service (or its cached decision) about the request in `parts`;
    /// returns the headers to add upstream.
    pub async fn check(
        &self,
        parts: &Parts,
    ) -> Result<Arc<Vec<(HeaderName, HeaderValue)>>, AuthError> {
        let key = self.cache_key(parts);
        if let Some(d) = self.cached(&key) {
            return decide(d);
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut headers = HeaderMap::new();
        for name in &self.forward {
            for v in parts.headers.get_all(name) {
                headers.append(name.clone(), v.clone());
            }
        }
        if let Ok(v) = HeaderValue::from_str(parts.method.as_str()) {
            headers.insert(HeaderName::from_static("x-forwarded-method"), v);
        }
        let uri = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        if let Ok(v) = HeaderValue::from_str(uri) {
            headers.insert(HeaderName::from_static("x-forwarded-uri"), v);
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let body = serde_json::json!({
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
        })
        .to_string();
        let answer = self
            .client
            .send(
                Method::POST,
                headers,
                Bytes::from(body),
                self.timeout,
                MAX_ANSWER_BYTES,
            )
            .await;
        let decision = match answer {
            Ok(a) if a.status.is_success() => {
                let mut out = Vec::new();
                for name in &self.upstream_headers {
                    for v in a.headers.get_all(name) {
                        out.push((name.clone(), v.clone()));
                    }
                }
                Decision::Allow(Arc::new(out))
            }
            Ok(a) if a.status == StatusCode::UNAUTHORIZED || a.status == StatusCode::FORBIDDEN => {
                Decision::Deny(a.status)
            }
            Ok(a) => {
                tracing::warn!(ext_authz = %self.name, status = %a.status, "authorization service answered with an error: refusing");
                return Err(AuthError::ExtUnavailable);
            }
            Err(why) => {
                tracing::warn!(ext_authz = %self.name, "authorization service unavailable: {why}: refusing");
                return Err(AuthError::ExtUnavailable);
            }
        };
        self.remember(key, decision.clone());
        decide(decision)
    }

    fn cache_key(&self, parts: &Parts) -> [u8; 32] {
        let mut h = Sha256::new();
        for name in &self.forward {
            h.update(name.as_str().as_bytes());
            h.update([0]);
            for v in parts.headers.get_all(name) {
                h.update(v.as_bytes());
                h.update([0]);
            }
            h.update([1]);
        }
        h.finalize().into()
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Decision> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.cache.lock().ok()?;
        let (at, d) = map.get(key)?;
        (at.elapsed() < self.ttl).then(|| d.clone())
    }

    fn remember(&self, key: [u8; 32], d: Decision) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut map) = self.cache.lock() else {
            return;
        };
        if map.len() >= MAX_DECISIONS {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= MAX_DECISIONS {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), d));
    }
}

fn decide(d: Decision) -> Result<Arc<Vec<(HeaderName, HeaderValue)>>, AuthError> {
    match d {
        Decision::Allow(h) => Ok(h),
        Decision::Deny(s) => Err(AuthError::ExtDenied(s)),
    }
}

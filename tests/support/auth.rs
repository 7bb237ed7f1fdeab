//! Shared helpers of the auth end-to-end tests: RS256 tokens from the test keys, a
//! JWKS document for them, and `Setup`, which reads a configuration through
//! `gateway::config::parse` (as `gateway run` does) and builds the authenticator and
//! the route policies from it.
#![allow(dead_code)]

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use gateway::auth::{AuthError, Authenticator, Identity, RoutePolicy};
use http::request::Parts;
use jsonwebtoken::{
    Algorithm, EncodingKey, Header, encode,
    jwk::{Jwk, JwkSet},
};
use serde_json::json;

pub const BASE: &str = "\
listeners:
  - name: plain
    bind: 127.0.0.1:8080
upstreams:
  users:
    targets: [127.0.0.1:9001]
";

pub fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/keys")
}

pub fn rsa_key(n: u8) -> EncodingKey {
    let file = if n == 1 {
        "rsa_private.pem"
    } else {
        "rsa2_private.pem"
    };
    EncodingKey::from_rsa_pem(&std::fs::read(keys_dir().join(file)).unwrap()).unwrap()
}

/// A JWKS document holding the public halves of the given (kid, key number) pairs.
pub fn jwks_doc(keys: &[(&str, u8)]) -> String {
    let keys = keys
        .iter()
        .map(|(kid, n)| {
            let mut jwk = Jwk::from_encoding_key(&rsa_key(*n), Algorithm::RS256).unwrap();
            jwk.common.key_id = Some(kid.to_string());
            jwk
        })
        .collect();
    serde_json::to_string(&JwkSet { keys }).unwrap()
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A fresh RS256 token (unique `jti`, so the verified-token cache never answers).
pub fn token(kid: &str, key: u8, extra: serde_json::Value) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let mut claims = json!({
        "iss": "https://idp.test/",
        "aud": "api",
        "sub": "user-1",
        "iat": now(),
        "exp": now() + 300,
        "jti": N.fetch_add(1, Ordering::Relaxed),
    });
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            c.insert(k.clone(), v.clone());
        }
    }
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_string());
    encode(&h, &claims, &rsa_key(key)).unwrap()
}

/// The authenticator and route policies of a configuration.
pub struct Setup {
    pub auth: Authenticator,
    pub routes: HashMap<String, RoutePolicy>,
    _dir: tempfile::TempDir,
}

impl Setup {
    pub fn new(yaml: &str) -> Setup {
        Self::new_with(yaml, &gateway::auth::AuthShared::default())
    }

    /// Like `new`, with state shared with other setups (a reload of the same process).
    pub fn new_with(yaml: &str, shared: &gateway::auth::AuthShared) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            keys_dir().join("rsa_public.pem"),
            dir.path().join("idp.pem"),
        )
        .unwrap();
        let path = dir.path().join("gateway.yaml");
        let text = format!("{BASE}{yaml}");
        let config = match gateway::config::parse(&text, &path) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let auth =
            Authenticator::build_with(&config.auth, &config.consumers, Some(dir.path()), shared)
                .unwrap();
        let routes = config
            .routes
            .iter()
            .filter_map(|r| {
                let a = r.auth.as_ref()?;
                Some((r.name.clone(), RoutePolicy::build(a, &auth).unwrap()))
            })
            .collect();
        Setup {
            auth,
            routes,
            _dir: dir,
        }
    }

    pub async fn call(&self, route: &str, req: &Parts) -> Result<Identity, AuthError> {
        self.auth.authenticate(&self.routes[route], req, None).await
    }
}

pub fn request(uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = http::Request::builder().uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

pub fn bearer(t: &str) -> Parts {
    request("/api/x", &[("authorization", &format!("Bearer {t}"))])
}

pub fn jwks_config(url: &str, jwks: &str) -> String {
    format!(
        "\
auth:
  token_cache_size: 0
  jwt_providers:
    - name: idp
      issuer: https://idp.test/
      audiences: [api]
      algorithms: [RS256]
      jwks_uri: {url}
      jwks: {jwks}
routes:
  - name: r
    upstream: users
    auth: {{ jwt: [idp] }}
"
    )
}

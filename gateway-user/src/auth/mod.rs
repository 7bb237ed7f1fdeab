//! Authentication and authorization: JWTs (inline keys or JWKS), API keys, client
//! certificates and external authorizers establish who is calling; routes' scopes,
//! groups and claim rules decide whether they may.
//!
//! Built once from the configuration ([`Authenticator::build`], [`RoutePolicy::build`]),
//! then used per request with [`Authenticator::authenticate`]; failures become HTTP
//! answers in one place ([`AuthError::response`]).
pub mod acl;
pub mod apikey;
pub mod cache;
pub mod config;
pub mod consumer;
pub mod error;
pub mod extauthz;
pub mod failures;
pub mod http;
mod identity;
pub mod jwks;
pub mod jwt;
pub mod keys;
mod policy;
pub mod token;

use std::{collections::HashMap, net::IpAddr, path::Path, sync::Arc};

use ::http::{HeaderValue, request::Parts};
use serde_json::Value;

pub use config::{AuthConfig, Consumer, RouteAuth};
pub use consumer::ClientCert;
pub use error::{AuthError, AuthResponse};
pub use failures::{FailureHook, FailureTracker};
pub use identity::Identity;
pub use policy::RoutePolicy;

use self::{
    apikey::ApiKeys, cache::TokenCache, consumer::Consumers, extauthz::ExtAuthzClient,
    jwt::JwtVerifier, token::TokenLocation,
};

/// Authentication state that outlives configuration reloads: failure counts per
/// client IP (with the ban engine's hook) and the JWKS caches.
#[derive(Debug, Default)]
pub struct AuthShared {
    /// Failures per client IP and reason.
    pub failures: Arc<FailureTracker>,
    /// JWKS caches by URI.
    pub jwks: jwks::JwksRegistry,
}

/// The running authentication state built from the configuration.
pub struct Authenticator {
    realm: String,
    providers: Vec<JwtVerifier>,
    provider_index: HashMap<String, usize>,
    api_keys: ApiKeys,
    api_key_locations: Vec<TokenLocation>,
    consumers: Consumers,
    ext: HashMap<String, Arc<ExtAuthzClient>>,
    cache: TokenCache,
    failures: Arc<FailureTracker>,
}

impl Authenticator {
    /// Builds the authenticator: reads inline keys and key files (relative to
    /// `base_dir`), indexes consumers, starts JWKS refreshers on the current runtime.
    pub fn build(
        config: &AuthConfig,
        consumers: &[Consumer],
        base_dir: Option<&Path>,
    ) -> Result<Authenticator, AuthError> {
        Self::build_with(config, consumers, base_dir, &AuthShared::default())
    }

    /// Like [`Authenticator::build`], with state that outlives reloads: JWKS caches
    /// are reused and failures counted in `shared`.
    pub fn build_with(
        config: &AuthConfig,
        consumers: &[Consumer],
        base_dir: Option<&Path>,
        shared: &AuthShared,
    ) -> Result<Authenticator, AuthError> {
        let max_token = usize::try_from(config.max_token_size.0).unwrap_or(usize::MAX);
        let mut providers = Vec::with_capacity(config.jwt_providers.len());
        let mut provider_index = HashMap::new();
        for p in &config.jwt_providers {
            let v = JwtVerifier::build_in(p, max_token, base_dir, &shared.jwks)
                .map_err(AuthError::Config)?;
            if provider_index
                .insert(p.name.clone(), providers.len())
                .is_some()
            {
                return Err(AuthError::Config(format!(
                    "two JWT providers are named `{}`",
                    p.name
                )));
            }
            providers.push(v);
        }
        let consumers: Vec<Arc<Consumer>> = consumers.iter().cloned().map(Arc::new).collect();
        let api_keys = ApiKeys::build(&consumers, base_dir).map_err(AuthError::Config)?;
        let mut api_key_locations = vec![TokenLocation::header(&config.api_keys.header)?];
        if let Some(q) = &config.api_keys.query {
            api_key_locations.push(TokenLocation::Query(q.clone()));
        }
        let mut ext = HashMap::new();
        for e in &config.ext_authz {
            let client = ExtAuthzClient::build(e).map_err(AuthError::Config)?;
            ext.insert(e.name.clone(), Arc::new(client));
        }
        Ok(Authenticator {
            realm: config.realm.clone(),
            providers,
            provider_index,
            api_keys,
            api_key_locations,
            consumers: Consumers::build(&consumers).map_err(AuthError::Config)?,
            ext,
            cache: TokenCache::new(config.token_cache_size, config.token_cache_ttl.as_secs()),
            failures: shared.failures.clone(),
        })
    }

    /// The realm named in challenges.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The failure counters (set the ban engine's hook here).
    pub fn failures(&self) -> &FailureTracker {
        &self.failures
    }

    /// The JWKS cache of provider `name`, if it uses one.
    pub fn jwks(&self, name: &str) -> Option<&Arc<jwks::Jwks>> {
        self.provider_index
            .get(name)
            .and_then(|i| self.providers.get(*i))
            .and_then(|p| p.jwks())
    }

    /// Number of verified tokens held in the cache.
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    /// The external authorizer `name`.
    pub fn ext_authz(&self, name: &str) -> Option<&Arc<ExtAuthzClient>> {
        self.ext.get(name)
    }

    /// Like [`Authenticator::authenticate`], counting a failure against `client_ip`.
    pub async fn authenticate_client(
        &self,
        policy: &RoutePolicy,
        parts: &Parts,
        peer: Option<&ClientCert>,
        client_ip: IpAddr,
    ) -> Result<Identity, AuthError> {
        let result = self.authenticate(policy, parts, peer).await;
        if let Err(e) = &result {
            self.failures.record(client_ip, e);
            // Debug only: failures are counted, and an attack must not flood the logs.
            tracing::debug!(client_ip = %client_ip, reason = e.reason(), "authentication failed: {e}");
        }
        result
    }

    /// Establishes who sent the request and whether the route lets them in.
    pub async fn authenticate(
        &self,
        policy: &RoutePolicy,
        parts: &Parts,
        peer: Option<&ClientCert>,
    ) -> Result<Identity, AuthError> {
        let mut identity = match self.credential(policy, parts, peer).await? {
            Some(id) => id,
            // The authorizer is the authentication: it sees every request.
            None if policy.only_ext_authz() => Identity {
                method: "ext_authz".to_string(),
                ..Identity::default()
            },
            None if policy.anonymous => {
                return Ok(Identity {
                    method: "anonymous".to_string(),
                    ..Identity::default()
                });
            }
            None => return Err(AuthError::Missing),
        };
        if let Some(ext) = &policy.ext_authz {
            let headers = ext.check(parts).await?;
            identity.claims_headers.extend(headers.iter().cloned());
        }
        Ok(identity)
    }

    /// Finds and checks the first credential the route accepts; None when none was sent.
    async fn credential(
        &self,
        policy: &RoutePolicy,
        parts: &Parts,
        peer: Option<&ClientCert>,
    ) -> Result<Option<Identity>, AuthError> {
        let mut tried: Vec<&TokenLocation> = Vec::new();
        for &i in &policy.providers {
            let Some(p) = self.providers.get(i) else {
                continue;
            };
            if tried.contains(&&p.location) {
                continue;
            }
            tried.push(&p.location);
            if let Some(token) = p.location.extract(parts) {
                p.location.check_single(parts)?;
                return self
                    .jwt_identity(policy, &p.location, &token)
                    .await
                    .map(Some);
            }
        }
        if policy.api_key {
            for loc in &self.api_key_locations {
                if let Some(key) = loc.extract(parts) {
                    loc.check_single(parts)?;
                    let c = self.api_keys.lookup(&key).ok_or(AuthError::InvalidApiKey)?;
                    let id = consumer_identity(c, "api_key", Some(loc.clone()));
                    policy.authorize(&id, None)?;
                    return Ok(Some(id));
                }
            }
        }
        if policy.mtls
            && let Some(cert) = peer
        {
            let c = self
                .consumers
                .for_cert(cert)
                .ok_or(AuthError::InvalidCertificate)?;
            let id = consumer_identity(c, "mtls", None);
            policy.authorize(&id, None)?;
            return Ok(Some(id));
        }
        Ok(None)
    }

    /// Verifies a JWT found at `location` with the route's providers reading there.
    async fn jwt_identity(
        &self,
        policy: &RoutePolicy,
        location: &TokenLocation,
        token: &str,
    ) -> Result<Identity, AuthError> {
        let candidates: Vec<usize> = policy
            .providers
            .iter()
            .copied()
            .filter(|&i| {
                self.providers
                    .get(i)
                    .is_some_and(|p| &p.location == location)
            })
            .collect();
        let chosen = if candidates.len() > 1 {
            let iss = jwt::peek_issuer(token);
            candidates
                .iter()
                .copied()
                .find(|&i| {
                    iss.is_some()
                        && self.providers.get(i).and_then(|p| p.issuer.as_ref()) == iss.as_ref()
                })
                .unwrap_or(candidates[0])
        } else {
            candidates.first().copied().ok_or(AuthError::Missing)?
        };
        let provider = self.providers.get(chosen).ok_or(AuthError::Missing)?;
        let now = jsonwebtoken::get_current_timestamp();
        let key = TokenCache::key(chosen, token);
        let verified = match self.cache.get(&key, now) {
            Some(v) => v,
            None => {
                let v = Arc::new(provider.verify(token).await?);
                self.cache.put(key, v.clone(), now);
                v
            }
        };
        let claims = &verified.claims;
        let consumer = self
            .consumers
            .for_jwt(&provider.name, &provider.subject_claim, claims);
        let subject = claims
            .get(&provider.subject_claim)
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut groups = consumer.map(|c| c.groups.clone()).unwrap_or_default();
        if let Some(g) = provider.groups_claim.as_ref().and_then(|n| claims.get(n)) {
            groups.extend(acl::groups_from_claim(g));
        }
        let mut claims_headers = Vec::new();
        for (claim, header) in &policy.forward_claims {
            let value = match claims.get(claim) {
                Some(Value::String(s)) => HeaderValue::from_str(s).ok(),
                Some(Value::Null) | None => None,
                Some(other) => HeaderValue::from_str(&other.to_string()).ok(),
            };
            if let Some(v) = value {
                claims_headers.push((header.clone(), v));
            }
        }
        let identity = Identity {
            consumer: consumer.cloned(),
            subject,
            method: format!("jwt:{}", provider.name),
            claims_headers,
            groups,
            plan: consumer.and_then(|c| c.plan.clone()),
            credential: Some(location.clone()),
        };
        policy.authorize(&identity, Some(claims))?;
        Ok(identity)
    }
}

fn consumer_identity(c: &Arc<Consumer>, method: &str, loc: Option<TokenLocation>) -> Identity {
    Identity {
        consumer: Some(c.clone()),
        subject: Some(c.name.clone()),
        method: method.to_string(),
        claims_headers: Vec::new(),
        groups: c.groups.clone(),
        plan: c.plan.clone(),
        credential: loc,
    }
}

//! Configuration types of authentication: the `auth` section (JWT providers, API key
//! locations, external authorizers), the `consumers` list, and a route's `auth` block.
//! Plain serde data; `config::auth_check` validates meaning, `Authenticator::build`
//! turns it into the running form.
use std::{collections::BTreeMap, fmt, path::PathBuf};

use serde::Deserialize;

use crate::config::{ByteSize, Duration};

/// The top-level `auth` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Issuers of JSON Web Tokens that routes may accept, by name.
    #[serde(default)]
    pub jwt_providers: Vec<JwtProvider>,
    /// Where API keys are read from.
    #[serde(default)]
    pub api_keys: ApiKeySource,
    /// External authorization services that routes may call, by name.
    #[serde(default)]
    pub ext_authz: Vec<ExtAuthz>,
    /// Realm named in `WWW-Authenticate`.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Tokens longer than this are refused before any parsing.
    #[serde(default = "default_max_token")]
    pub max_token_size: ByteSize,
    /// Verified tokens kept in memory (0 turns the cache off).
    #[serde(default = "default_cache_entries")]
    pub token_cache_size: usize,
    /// Longest a verified token stays cached (it never outlives its `exp`).
    #[serde(default = "default_cache_ttl")]
    pub token_cache_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_providers: Vec::new(),
            api_keys: ApiKeySource::default(),
            ext_authz: Vec::new(),
            realm: default_realm(),
            max_token_size: default_max_token(),
            token_cache_size: default_cache_entries(),
            token_cache_ttl: default_cache_ttl(),
        }
    }
}

/// One JWT issuer: how its tokens are found, which keys sign them, what is checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtProvider {
    /// Name that routes use in `auth.jwt`.
    pub name: String,
    /// Required `iss` value; not checked when absent.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Accepted `aud` values; when set, a token must name one of them.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Algorithms accepted; the token's `alg` must be one of them.
    pub algorithms: Vec<JwtAlgorithm>,
    /// URL of the issuer's JSON Web Key Set (`http://` or `https://`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Keys given inline (PEM file, JWK, or HMAC secret).
    #[serde(default)]
    pub keys: Vec<KeySource>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    #[serde(default = "default_leeway")]
    pub leeway: Duration,
    /// Longest accepted `exp - iat` (tokens then must carry both).
    #[serde(default)]
    pub max_lifetime: Option<Duration>,
    /// Refuse tokens without `exp` (default true).
    #[serde(default = "yes")]
    pub require_exp: bool,
    /// Where the token is read from (default `Authorization: Bearer`).
    #[serde(default)]
    pub token: TokenSource,
    /// JWKS settings: cache time, refetch spacing, staleness bound, CA bundle.
    #[serde(default)]
    pub jwks: JwksSettings,
    /// Claim holding the subject matched against consumers' `jwt` credentials.
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// Claim holding group names (a list or a space-separated string), added to the identity's groups.
    #[serde(default)]
    pub groups_claim: Option<String>,
}

/// How a JWKS document is cached and refreshed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwksSettings {
    /// How long a fetched key set is used before it is refreshed.
    #[serde(default = "default_jwks_ttl")]
    pub cache_ttl: Duration,
    /// Shortest time between two fetches caused by an unknown `kid`.
    #[serde(default = "default_jwks_refetch")]
    pub min_refetch_interval: Duration,
    /// How long past `cache_ttl` the old keys are still used while the issuer is unreachable.
    #[serde(default = "default_jwks_stale")]
    pub max_stale: Duration,
    /// Time allowed for one fetch.
    #[serde(default = "default_fetch_timeout")]
    pub timeout: Duration,
    /// PEM bundle of CAs for an `https://` JWKS URI (default: the system bundle).
    #[serde(default)]
    pub ca: Option<PathBuf>,
}

impl Default for JwksSettings {
    fn default() -> Self {
        JwksSettings {
            cache_ttl: default_jwks_ttl(),
            min_refetch_interval: default_jwks_refetch(),
            max_stale: default_jwks_stale(),
            timeout: default_fetch_timeout(),
            ca: None,
        }
    }
}

/// A verification key given in the configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySource {
    /// Key id matched against the token's `kid`; a key without one matches any token.
    #[serde(default)]
    pub kid: Option<String>,
    /// PEM file holding a public key (RSA, EC or Ed25519) or a certificate.
    #[serde(default)]
    pub pem: Option<PathBuf>,
    /// A JSON Web Key, written inline.
    #[serde(default)]
    pub jwk: Option<serde_json::Value>,
    /// An HMAC secret, as text (HS* algorithms only).
    #[serde(default)]
    pub secret: Option<String>,
    /// An HMAC secret, base64url-encoded (HS* algorithms only).
    #[serde(default)]
    pub secret_base64: Option<String>,
}

/// Where a credential is carried in the request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSource {
    /// A header; `Authorization` is read as `Bearer <token>`, others whole.
    #[serde(default)]
    pub header: Option<String>,
    /// A query parameter.
    #[serde(default)]
    pub query: Option<String>,
    /// A cookie.
    #[serde(default)]
    pub cookie: Option<String>,
}

/// Where API keys are read from (header `X-API-Key` by default).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySource {
    /// Header carrying the key.
    #[serde(default = "default_api_key_header")]
    pub header: String,
    /// Query parameter carrying the key; none by default (keys in URLs end up in logs).
    #[serde(default)]
    pub query: Option<String>,
}

impl Default for ApiKeySource {
    fn default() -> Self {
        ApiKeySource {
            header: default_api_key_header(),
            query: None,
        }
    }
}

/// An external authorization service (nginx `auth_request`, Envoy `ext_authz`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtAuthz {
    /// Name that routes use in `auth.ext_authz`.
    pub name: String,
    /// URL called with POST (`http://` or `https://`).
    pub url: String,
    /// Request headers sent to the service (they also key its decision cache).
    #[serde(default = "default_authz_headers")]
    pub forward_headers: Vec<String>,
    /// Headers of an allowing answer that are added to the upstream request.
    #[serde(default)]
    pub upstream_headers: Vec<String>,
    /// Time allowed for the answer; past it the request is refused.
    #[serde(default = "default_authz_timeout")]
    pub timeout: Duration,
    /// How long a decision is reused for the same credential (5s to 300s, 0 = never).
    #[serde(default = "default_authz_ttl")]
    pub cache_ttl: Duration,
    /// PEM bundle of CAs for an `https://` URL (default: the system bundle).
    #[serde(default)]
    pub ca: Option<PathBuf>,
}

/// A consumer: who is calling, in which groups, on which plan, with which credentials.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// Unique name, used in logs, metrics and limits.
    pub name: String,
    /// Groups, checked by routes' `auth.groups`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Rate-limit plan name (see `plans`).
    #[serde(default)]
    pub plan: Option<String>,
    /// API keys, stored as sha256 hex digests.
    #[serde(default)]
    pub api_keys: Vec<ApiKeyHash>,
    /// File with one sha256 hex digest per line (`#` comments allowed).
    #[serde(default)]
    pub api_keys_file: Option<PathBuf>,
    /// JWT subjects (or other claims) that identify this consumer.
    #[serde(default)]
    pub jwt: Vec<JwtMapping>,
    /// Client certificate SANs (`DNS:x`, `URI:spiffe://…`, `email:…`, `IP:…`) that identify it.
    #[serde(default)]
    pub mtls_sans: Vec<String>,
}

/// One stored API key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyHash {
    /// Lowercase hex sha256 of the key.
    pub sha256: String,
}

/// A JWT that identifies a consumer: from `provider`, with `claim` (default the
/// provider's subject claim) equal to `value`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtMapping {
    /// Provider name; any provider when absent.
    #[serde(default)]
    pub provider: Option<String>,
    /// Claim compared (default the provider's `subject_claim`, `sub`).
    #[serde(default)]
    pub claim: Option<String>,
    /// Required value of the claim.
    #[serde(alias = "subject")]
    pub value: String,
}

/// A route's `auth` block: which credentials it accepts and what they must carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteAuth {
    /// JWT providers whose tokens are accepted.
    #[serde(default)]
    pub jwt: Vec<String>,
    /// Consumers' API keys are accepted.
    #[serde(default)]
    pub api_key: bool,
    /// Consumers' client certificates (by SAN) are accepted.
    #[serde(default)]
    pub mtls: bool,
    /// Scopes the token must all carry (`scope` string or `scp` list).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Groups of which the caller must be in at least one.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Claims the token must carry with one of the listed values.
    #[serde(default)]
    pub claims: BTreeMap<String, OneOrMany>,
    /// Requests without credentials pass as anonymous (sent credentials are still checked).
    #[serde(default)]
    pub anonymous: bool,
    /// Claims copied to upstream request headers: `{ claim: header }`.
    #[serde(default)]
    pub forward_claims: BTreeMap<String, String>,
    /// Remove the credential from the request sent upstream.
    #[serde(default)]
    pub hide_credentials: bool,
    /// External authorization service that must also allow the request.
    #[serde(default)]
    pub ext_authz: Option<String>,
}

/// One string or a list of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

/// A JWT signature algorithm name as written in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[allow(missing_docs)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl JwtAlgorithm {
    /// True for the HMAC (shared secret) algorithms.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    /// The `jsonwebtoken` algorithm.
    pub fn to_jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            Self::HS256 => A::HS256,
            Self::HS384 => A::HS384,
            Self::HS512 => A::HS512,
            Self::RS256 => A::RS256,
            Self::RS384 => A::RS384,
            Self::RS512 => A::RS512,
            Self::PS256 => A::PS256,
            Self::PS384 => A::PS384,
            Self::PS512 => A::PS512,
            Self::ES256 => A::ES256,
            Self::ES384 => A::ES384,
            Self::EdDSA => A::EdDSA,
        }
    }
}

impl fmt::Display for JwtAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    out.push(v);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

fn yes() -> bool {
    true
}
fn default_realm() -> String {
    "gateway".to_string()
}
fn default_max_token() -> ByteSize {
    ByteSize(8 * 1024)
}
fn default_cache_entries() -> usize {
    10_000
}
fn default_cache_ttl() -> Duration {
    Duration::from_secs(300)
}
fn default_leeway() -> Duration {
    Duration::from_secs(60)
}
fn default_subject_claim() -> String {
    "sub".to_string()
}
fn default_jwks_ttl() -> Duration {
    Duration::from_secs(300)
}
fn default_jwks_refetch() -> Duration {
    Duration::from_secs(5)
}
fn default_jwks_stale() -> Duration {
    Duration::from_secs(3600)
}
fn default_fetch_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_api_key_header() -> String {
    "X-API-Key".to_string()
}
fn default_authz_headers() -> Vec<String> {
    vec!["authorization".to_string()]
}
fn default_authz_timeout() -> Duration {
    Duration::from_secs(1)
}
fn default_authz_ttl() -> Duration {
    Duration::from_secs(60)
}

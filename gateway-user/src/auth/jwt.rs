//! JWT verification for one provider. The algorithm is chosen by the configuration,
//! never by the token: `alg: none` and algorithms outside the provider's list are
//! refused before any key is touched, and a key is only used with algorithms of its
//! own type (so an RSA public key can never serve as an HMAC secret). Tokens above the
//! size bound are refused before parsing; `kid` values are length- and
//! character-checked and only ever compared.
use std::{path::Path, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

use super::{
    config::JwtProvider,
    error::AuthError,
    jwks::{Jwks, JwksRegistry},
    keys,
    token::TokenLocation,
};

/// Largest leeway accepted at build (the library subtracts it from now).
const MAX_LEEWAY_SECS: u64 = 10_000 * 86_400;

/// The claims of a verified token.
#[derive(Debug, Clone)]
pub struct Verified {
    /// All claims.
    pub claims: Map<String, Value>,
    /// `exp`, when present (seconds since the epoch).
    pub exp: Option<u64>,
}

/// A provider ready to verify tokens.
pub struct JwtVerifier {
    /// The provider's name (`jwt:<name>` in identities).
    pub name: String,
    /// Where its tokens are read from.
    pub location: TokenLocation,
    /// Its `iss`, for choosing between providers sharing a location.
    pub issuer: Option<String>,
    /// Claim naming the subject.
    pub subject_claim: String,
    /// Claim listing groups.
    pub groups_claim: Option<String>,
    algorithms: Vec<Algorithm>,
    validation: Validation,
    leeway: u64,
    max_lifetime: Option<u64>,
    max_token: usize,
    static_keys: Vec<keys::VerifyKey>,
    jwks: Option<Arc<Jwks>>,
}

impl JwtVerifier {
    /// Builds a verifier with a JWKS cache of its own (tests, one-off use).
    pub fn build(
        p: &JwtProvider,
        max_token: usize,
        base: Option<&Path>,
    ) -> Result<JwtVerifier, String> {
        Self::build_in(p, max_token, base, &JwksRegistry::default())
    }

    /// Builds a verifier; inline keys are read now, the JWKS cache comes from
    /// `registry` (shared across reloads) and is fetched lazily.
    pub fn build_in(
        p: &JwtProvider,
        max_token: usize,
        base: Option<&Path>,
        registry: &JwksRegistry,
    ) -> Result<JwtVerifier, String> {
        if p.algorithms.is_empty() {
            return Err(format!("provider `{}` lists no algorithms", p.name));
        }
        let algorithms: Vec<Algorithm> = p.algorithms.iter().map(|a| a.to_jwt()).collect();
        let hmac = p.algorithms.iter().any(|a| a.is_hmac());
        if hmac && (p.jwks_uri.is_some() || p.keys.iter().any(|k| k.pem.is_some())) {
            return Err(format!(
                "provider `{}` allows an HS* algorithm together with public keys: HMAC needs a secret (`secret`), and a public key must never be one",
                p.name
            ));
        }
        let mut static_keys = Vec::with_capacity(p.keys.len());
        for (i, k) in p.keys.iter().enumerate() {
            let key = keys::load(k, base)
                .map_err(|why| format!("provider `{}` key {}: {why}", p.name, i + 1))?;
            if !algorithms.iter().any(|a| key.fits(*a)) {
                return Err(format!(
                    "provider `{}` key {} fits none of the provider's algorithms",
                    p.name,
                    i + 1
                ));
            }
            static_keys.push(key);
        }
        let jwks = match &p.jwks_uri {
            Some(uri) => Some(
                registry
                    .get(uri, &p.jwks)
                    .map_err(|e| format!("provider `{}` jwks_uri: {e}", p.name))?,
            ),
            None => None,
        };
        if jwks.is_none() && static_keys.is_empty() {
            return Err(format!(
                "provider `{}` has no keys: give `jwks_uri` or `keys`",
                p.name
            ));
        }
        let leeway = p.leeway.as_secs();
        // jsonwebtoken computes `now - leeway`: keep it far from underflowing.
        if leeway > MAX_LEEWAY_SECS {
            return Err(format!(
                "provider `{}` leeway is too large (at most 10000d)",
                p.name
            ));
        }
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms.clone();
        validation.leeway = leeway;
        validation.validate_nbf = true;
        validation.validate_exp = true;
        let mut required: Vec<&str> = Vec::new();
        if p.require_exp {
            required.push("exp");
        }
        if let Some(iss) = &p.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        if p.audiences.is_empty() {
            // A token naming an audience we were not told about is still fine.
            validation.validate_aud = false;
        } else {
            validation.set_audience(&p.audiences);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        Ok(JwtVerifier {
            name: p.name.clone(),
            location: TokenLocation::from_source(&p.token).map_err(|e| e.to_string())?,
            issuer: p.issuer.clone(),
            subject_claim: p.subject_claim.clone(),
            groups_claim: p.groups_claim.clone(),
            algorithms,
            validation,
            leeway,
            max_lifetime: p.max_lifetime.map(|d| d.as_secs()),
            max_token,
            static_keys,
            jwks,
        })
    }

    /// The JWKS cache, when this provider has one.
    pub fn jwks(&self) -> Option<&Arc<Jwks>> {
        self.jwks.as_ref()
    }

    /// Verifies `token`: shape, header, algorithm, key, signature, then claims.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let invalid = |m: &str| AuthError::InvalidToken(m.to_string());
        if token.len() > self.max_token {
            return Err(AuthError::InvalidToken(format!(
                "the token is larger than {} bytes",
                self.max_token
            )));
        }
        let mut parts = token.split('.');
        let (Some(head), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("the token is not a JWT (three base64url parts)"));
        };
        let header_json = URL_SAFE_NO_PAD
            .decode(head)
            .map_err(|_| invalid("the token header is not base64url"))?;
        let header: Map<String, Value> = serde_json::from_slice(&header_json)
            .map_err(|_| invalid("the token header is not a JSON object"))?;
        let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg_name.eq_ignore_ascii_case("none") || alg_name.is_empty() {
            return Err(invalid("unsigned tokens (alg none) are not accepted"));
        }
        let Some(alg) = self
            .algorithms
            .iter()
            .copied()
            .find(|a| format!("{a:?}") == alg_name)
        else {
            return Err(invalid("the token's algorithm is not accepted"));
        };
        if header.contains_key("crit") {
            return Err(invalid("the token has critical header extensions"));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) if keys::valid_kid(k) => Some(k.as_str()),
            Some(_) => return Err(invalid("the token's kid is not acceptable")),
        };
        let mut candidates: Vec<keys::VerifyKey> = self
            .static_keys
            .iter()
            .filter(|k| k.fits(alg))
            .filter(|k| match (kid, &k.kid) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            })
            .cloned()
            .collect();
        if let Some(jwks) = &self.jwks {
            candidates.extend(jwks.keys_for(kid, alg).await?);
        }
        if candidates.is_empty() {
            return Err(invalid("no key matches the token's kid"));
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![alg];
        let mut last = invalid("the token's signature is not valid");
        for key in &candidates {
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => return self.check_claims(data.claims),
                Err(e) => match e.kind() {
                    ErrorKind::InvalidSignature
                    | ErrorKind::InvalidAlgorithm
                    | ErrorKind::InvalidKeyFormat
                    | ErrorKind::InvalidRsaKey(_)
                    | ErrorKind::InvalidEcdsaKey
                    | ErrorKind::InvalidEddsaKey => {}
                    other => {
                        last = describe(other);
                        break;
                    }
                },
            }
        }
        Err(last)
    }

    /// What the library leaves to us: `iat` not in the future, and `max_lifetime`.
    fn check_claims(&self, claims: Map<String, Value>) -> Result<Verified, AuthError> {
        let invalid = |m: &str| AuthError::InvalidToken(m.to_string());
        // NumericDate may be fractional (RFC 7519 §2); whole seconds are enough here.
        let exp = claims.get("exp").and_then(numeric_date);
        let iat = match claims.get("iat") {
            None => None,
            Some(v) => {
                Some(numeric_date(v).ok_or_else(|| invalid("the token's iat is not a number"))?)
            }
        };
        let now = jsonwebtoken::get_current_timestamp();
        if iat.is_some_and(|iat| iat > now + self.leeway) {
            return Err(invalid("the token was issued in the future"));
        }
        if let Some(max) = self.max_lifetime {
            let (Some(iat), Some(exp)) = (iat, exp) else {
                return Err(invalid(
                    "the token must carry iat and exp (its lifetime is bounded)",
                ));
            };
            if exp.saturating_sub(iat) > max {
                return Err(invalid("the token's lifetime is longer than allowed"));
            }
        }
        Ok(Verified { claims, exp })
    }
}

/// A NumericDate claim in whole seconds (fractions dropped; negative = none).
fn numeric_date(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f as u64)
    })
}

/// Words for a claim-validation failure (never including the token).
fn describe(kind: &ErrorKind) -> AuthError {
    let m = match kind {
        ErrorKind::ExpiredSignature => "the token has expired".to_string(),
        ErrorKind::ImmatureSignature => "the token is not valid yet".to_string(),
        ErrorKind::InvalidIssuer => "the token's issuer is not accepted".to_string(),
        ErrorKind::InvalidAudience => "the token's audience is not accepted".to_string(),
        ErrorKind::InvalidSubject => "the token's subject is not accepted".to_string(),
        ErrorKind::MissingRequiredClaim(c) => format!("the token has no `{c}` claim"),
        ErrorKind::InvalidClaimFormat(c) => format!("the token's `{c}` claim is malformed"),
        ErrorKind::Base64(_) => "the token is not base64url".to_string(),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => "the token's claims are not JSON".to_string(),
        _ => "the token is malformed".to_string(),
    };
    AuthError::InvalidToken(m)
}

/// The unverified `iss` of a token, only to choose which provider verifies it.
pub fn peek_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    if payload.len() > 16 * 1024 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;

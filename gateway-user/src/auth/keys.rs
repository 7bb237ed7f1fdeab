//! Verification keys: read from PEM files, inline JWKs and HMAC secrets, or from a
//! JWKS document. Each key remembers its family (HMAC, RSA, EC, Ed) so that a token
//! can only be checked with a key of the type its (configured) algorithm needs.
use std::path::Path;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey,
    jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse},
};

use super::config::KeySource;

/// Longest `kid` accepted, in a token or a key set.
pub const MAX_KID_LEN: usize = 256;

/// One key a token may be verified with.
#[derive(Clone)]
pub struct VerifyKey {
    /// Key id; a key without one matches tokens without (or with any) `kid`.
    pub kid: Option<String>,
    /// The key itself.
    pub key: DecodingKey,
    /// Algorithm the key is restricted to (a JWK's `alg`), if any.
    pub alg: Option<Algorithm>,
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("family", &self.key.family())
            .field("alg", &self.alg)
            .finish()
    }
}

impl VerifyKey {
    /// True when this key may check a token signed with `alg`.
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.key.family() == alg.family() && self.alg.is_none_or(|a| a == alg)
    }
}

/// Reads one configured key; `base` resolves relative PEM paths.
pub fn load(source: &KeySource, base: Option<&Path>) -> Result<VerifyKey, String> {
    let kid = source.kid.clone();
    let given = [
        source.pem.is_some(),
        source.jwk.is_some(),
        source.secret.is_some(),
        source.secret_base64.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        return Err("a key needs exactly one of `pem`, `jwk`, `secret`, `secret_base64`".into());
    }
    if let Some(path) = &source.pem {
        let path = match base {
            Some(b) if path.is_relative() => b.join(path),
            _ => path.clone(),
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cannot read the key file `{}`: {e}", path.display()))?;
        let key =
            from_pem(&bytes).map_err(|why| format!("the key file `{}` {why}", path.display()))?;
        return Ok(VerifyKey {
            kid,
            key,
            alg: None,
        });
    }
    if let Some(value) = &source.jwk {
        let jwk: Jwk = serde_json::from_value(value.clone())
            .map_err(|e| format!("the inline JWK is not valid: {e}"))?;
        let mut k = from_jwk(&jwk)?;
        if k.kid.is_none() {
            k.kid = kid;
        }
        return Ok(k);
    }
    let secret = match (&source.secret, &source.secret_base64) {
        (Some(s), _) => s.as_bytes().to_vec(),
        (_, Some(b)) => URL_SAFE_NO_PAD
            .decode(b.trim_end_matches('='))
            .map_err(|_| "`secret_base64` is not base64url".to_string())?,
        _ => return Err("no key material".into()),
    };
    if secret.len() < 32 {
        return Err("HMAC secrets must be at least 32 bytes (256 bits, RFC 7518 §3.2)".to_string());
    }
    Ok(VerifyKey {
        kid,
        key: DecodingKey::from_secret(&secret),
        alg: None,
    })
}

/// A public key from PEM (public key, RSA public key or certificate): RSA, EC or Ed25519.
pub fn from_pem(bytes: &[u8]) -> Result<DecodingKey, String> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("PRIVATE KEY") {
        return Err(
            "holds a private key: give the public key (openssl pkey -pubout) instead".to_string(),
        );
    }
    DecodingKey::from_rsa_pem(bytes)
        .or_else(|_| DecodingKey::from_ec_pem(bytes))
        .or_else(|_| DecodingKey::from_ed_pem(bytes))
        .map_err(|_| "holds no RSA, EC or Ed25519 public key in PEM".to_string())
}

/// A key from a JWK; keys meant for encryption (`use: enc`) are refused.
pub fn from_jwk(jwk: &Jwk) -> Result<VerifyKey, String> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err("the JWK is an encryption key (`use: enc`)".to_string());
    }
    if let Some(kid) = &jwk.common.key_id
        && !valid_kid(kid)
    {
        return Err("the JWK's `kid` is too long or has control characters".to_string());
    }
    if matches!(jwk.algorithm, AlgorithmParameters::Other(_)) {
        return Err("the JWK has an unsupported key type".to_string());
    }
    let alg = match jwk.common.key_algorithm {
        Some(a) => Some(
            format!("{a:?}")
                .parse::<Algorithm>()
                .map_err(|_| format!("the JWK's alg `{a:?}` is not a signature algorithm"))?,
        ),
        None => None,
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("the JWK is not usable: {e}"))?;
    if let Some(a) = alg
        && a.family() != key.family()
    {
        return Err(format!("the JWK's alg `{a:?}` does not fit its key type"));
    }
    Ok(VerifyKey {
        kid: jwk.common.key_id.clone(),
        key,
        alg,
    })
}

/// The usable keys of a JWKS document; keys that cannot be used are skipped (and
/// counted), so one odd key does not hide the others.
pub fn from_jwks(body: &[u8]) -> Result<(Vec<VerifyKey>, usize), String> {
    let set: JwkSet =
        serde_json::from_slice(body).map_err(|e| format!("the JWKS is not valid JSON: {e}"))?;
    let mut keys = Vec::with_capacity(set.keys.len());
    let mut skipped = 0;
    for jwk in &set.keys {
        // A JWKS is public: symmetric keys there would let anyone mint tokens.
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
            skipped += 1;
            continue;
        }
        match from_jwk(jwk) {
            Ok(k) => keys.push(k),
            Err(_) => skipped += 1,
        }
    }
    Ok((keys, skipped))
}

/// A `kid` is harmless: short, printable, no control characters. It is only ever
/// compared with other strings, never used as a path.
pub fn valid_kid(kid: &str) -> bool {
    kid.len() <= MAX_KID_LEN && !kid.chars().any(char::is_control)
}

/// True for families that need a shared secret.
pub fn is_hmac(family: AlgorithmFamily) -> bool {
    family == AlgorithmFamily::Hmac
}

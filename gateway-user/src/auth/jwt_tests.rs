//! Unit tests of JWT verification: the RFC examples, every refusal the issue lists,
//! and each supported algorithm family.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;
use crate::auth::config::JwtProvider;

const RSA_PRIVATE: &str = include_str!("../../../tests/support/keys/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../../../tests/support/keys/rsa_public.pem");
const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

/// RFC 7515 appendix A.1 (the same token is RFC 7519 §3.1's example).
const RFC_KEY_K: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const RFC_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn provider(yaml: &str) -> JwtProvider {
    serde_yaml_ng::from_str(yaml).unwrap()
}

fn verifier(yaml: &str) -> JwtVerifier {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/keys");
    JwtVerifier::build(&provider(yaml), 8192, Some(&dir)).unwrap()
}

fn hs_verifier(extra: &str) -> JwtVerifier {
    verifier(&format!(
        "{{ name: t, algorithms: [HS256], keys: [{{ secret: \"{SECRET}\" }}] {extra} }}"
    ))
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn hs_token(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// A token from raw header and payload text, HMAC-signed with the test secret.
fn raw_hs(header: &str, payload_b64: &str) -> String {
    let msg = format!("{}.{payload_b64}", URL_SAFE_NO_PAD.encode(header));
    let sig = jsonwebtoken::crypto::sign(
        msg.as_bytes(),
        &EncodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{msg}.{sig}")
}

fn err(r: Result<Verified, AuthError>) -> String {
    match r {
        Ok(v) => panic!("token was accepted: {:?}", v.claims),
        Err(AuthError::InvalidToken(m)) => m,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

async fn check(v: &JwtVerifier, token: &str) -> Result<Verified, AuthError> {
    v.verify(token).await
}

#[tokio::test]
async fn rfc7515_hs256_example_is_refused_as_expired() {
    let v = verifier(&format!(
        "{{ name: rfc, algorithms: [HS256], leeway: 0s, keys: [{{ jwk: {{ kty: oct, k: \"{RFC_KEY_K}\" }} }}] }}"
    ));
    assert_eq!(err(check(&v, RFC_TOKEN).await), "the token has expired");
}

#[tokio::test]
async fn rfc7515_hs256_example_signature_verifies_when_leeway_covers_its_age() {
    let v = verifier(&format!(
        "{{ name: rfc, algorithms: [HS256], leeway: 6000d, keys: [{{ jwk: {{ kty: oct, k: \"{RFC_KEY_K}\" }} }}] }}"
    ));
    let ok = check(&v, RFC_TOKEN).await.unwrap();
    assert_eq!(ok.claims["iss"], "joe");
    assert_eq!(ok.claims["http://example.com/is_root"], true);
    assert_eq!(ok.exp, Some(1_300_819_380));
}

#[tokio::test]
async fn rfc7515_example_with_one_changed_signature_byte_is_refused() {
    let v = verifier(&format!(
        "{{ name: rfc, algorithms: [HS256], leeway: 6000d, keys: [{{ jwk: {{ kty: oct, k: \"{RFC_KEY_K}\" }} }}] }}"
    ));
    let bad = RFC_TOKEN.replace("dBjftJeZ4", "dBjftJeZ5");
    assert_eq!(
        err(check(&v, &bad).await),
        "the token's signature is not valid"
    );
}

#[tokio::test]
async fn alg_none_token_is_refused() {
    let v = hs_verifier("");
    let payload = URL_SAFE_NO_PAD.encode(json!({"exp": now() + 60}).to_string());
    for alg in ["none", "None", "NONE"] {
        let head = URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"{alg}\"}}"));
        let token = format!("{head}.{payload}.");
        assert_eq!(
            err(check(&v, &token).await),
            "unsigned tokens (alg none) are not accepted"
        );
    }
}

#[tokio::test]
async fn hs256_token_signed_with_the_rsa_public_key_is_refused() {
    let v = verifier("{ name: rs, algorithms: [RS256], keys: [{ pem: rsa_public.pem }] }");
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &json!({"exp": now() + 60}),
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        err(check(&v, &forged).await),
        "the token's algorithm is not accepted"
    );
}

#[test]
fn hmac_algorithm_next_to_a_public_key_is_refused_at_build() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/keys");
    let p = provider("{ name: mix, algorithms: [HS256, RS256], keys: [{ pem: rsa_public.pem }] }");
    let e = JwtVerifier::build(&p, 8192, Some(&dir)).err().unwrap();
    assert!(e.contains("HS* algorithm together with public keys"), "{e}");
}

#[test]
fn key_of_the_wrong_type_for_the_algorithms_is_refused_at_build() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/keys");
    let p = provider("{ name: ec, algorithms: [ES256], keys: [{ pem: rsa_public.pem }] }");
    let e = JwtVerifier::build(&p, 8192, Some(&dir)).err().unwrap();
    assert!(e.contains("fits none"), "{e}");
}

#[tokio::test]
async fn rs256_token_is_accepted_and_rs384_token_is_refused_when_only_rs256_is_listed() {
    let v = verifier("{ name: rs, algorithms: [RS256], keys: [{ pem: rsa_public.pem }] }");
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
    let claims = json!({"exp": now() + 60, "sub": "u1"});
    let good = encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap();
    assert_eq!(check(&v, &good).await.unwrap().claims["sub"], "u1");
    let other = encode(&Header::new(Algorithm::RS384), &claims, &key).unwrap();
    assert_eq!(
        err(check(&v, &other).await),
        "the token's algorithm is not accepted"
    );
}

#[tokio::test]
async fn tampered_payload_is_refused() {
    let v = hs_verifier("");
    let token = hs_token(&json!({"exp": now() + 60, "role": "user"}));
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(json!({"exp": now() + 60, "role": "admin"}).to_string());
    assert_eq!(
        err(check(&v, &parts.join(".")).await),
        "the token's signature is not valid"
    );
}

#[tokio::test]
async fn tampered_signature_is_refused() {
    let v = hs_verifier("");
    let token = hs_token(&json!({"exp": now() + 60}));
    let (msg, sig) = token.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
    raw[0] ^= 1;
    let bad = format!("{msg}.{}", URL_SAFE_NO_PAD.encode(raw));
    assert_eq!(
        err(check(&v, &bad).await),
        "the token's signature is not valid"
    );
}

#[tokio::test]
async fn expired_token_is_refused_after_the_leeway() {
    let v = hs_verifier(", leeway: 10s");
    let t = hs_token(&json!({"exp": now() - 5}));
    assert!(check(&v, &t).await.is_ok(), "within leeway");
    let t = hs_token(&json!({"exp": now() - 30}));
    assert_eq!(err(check(&v, &t).await), "the token has expired");
}

#[tokio::test]
async fn token_before_its_nbf_is_refused() {
    let v = hs_verifier(", leeway: 10s");
    let t = hs_token(&json!({"exp": now() + 600, "nbf": now() + 300}));
    assert_eq!(err(check(&v, &t).await), "the token is not valid yet");
}

#[tokio::test]
async fn token_issued_in_the_future_is_refused() {
    let v = hs_verifier(", leeway: 10s");
    let t = hs_token(&json!({"exp": now() + 600, "iat": now() + 300}));
    assert_eq!(
        err(check(&v, &t).await),
        "the token was issued in the future"
    );
}

#[tokio::test]
async fn token_without_exp_is_refused_unless_allowed() {
    let v = hs_verifier("");
    let t = hs_token(&json!({"sub": "x"}));
    assert_eq!(err(check(&v, &t).await), "the token has no `exp` claim");
    let v = hs_verifier(", require_exp: false");
    assert!(check(&v, &t).await.is_ok());
}

#[tokio::test]
async fn wrong_issuer_and_audience_are_refused() {
    let v = hs_verifier(", issuer: https://idp.test/, audiences: [api]");
    let ok = hs_token(&json!({"exp": now() + 60, "iss": "https://idp.test/", "aud": ["x", "api"]}));
    assert!(check(&v, &ok).await.is_ok());
    let t = hs_token(&json!({"exp": now() + 60, "iss": "https://evil.test/", "aud": "api"}));
    assert_eq!(
        err(check(&v, &t).await),
        "the token's issuer is not accepted"
    );
    let t = hs_token(&json!({"exp": now() + 60, "iss": "https://idp.test/", "aud": "other"}));
    assert_eq!(
        err(check(&v, &t).await),
        "the token's audience is not accepted"
    );
    let t = hs_token(&json!({"exp": now() + 60, "iss": "https://idp.test/"}));
    assert_eq!(err(check(&v, &t).await), "the token has no `aud` claim");
}

#[tokio::test]
async fn token_living_longer_than_max_lifetime_is_refused() {
    let v = hs_verifier(", max_lifetime: 1h");
    let t = hs_token(&json!({"iat": now(), "exp": now() + 3600}));
    assert!(check(&v, &t).await.is_ok());
    let t = hs_token(&json!({"iat": now(), "exp": now() + 7200}));
    assert_eq!(
        err(check(&v, &t).await),
        "the token's lifetime is longer than allowed"
    );
    let t = hs_token(&json!({"exp": now() + 60}));
    assert!(err(check(&v, &t).await).contains("must carry iat and exp"));
}

#[tokio::test]
async fn malformed_base64_and_json_are_refused() {
    let v = hs_verifier("");
    assert_eq!(
        err(check(&v, "not-a-jwt").await),
        "the token is not a JWT (three base64url parts)"
    );
    assert_eq!(
        err(check(&v, "a.b.c.d").await),
        "the token is not a JWT (three base64url parts)"
    );
    assert_eq!(
        err(check(&v, "!!!.e30.sig").await),
        "the token header is not base64url"
    );
    let head_not_json = format!("{}.e30.sig", URL_SAFE_NO_PAD.encode("not json"));
    assert_eq!(
        err(check(&v, &head_not_json).await),
        "the token header is not a JSON object"
    );
    // Correctly signed, but the payload is not base64url / not a JSON object.
    let t = raw_hs(r#"{"alg":"HS256"}"#, "%%%");
    assert_eq!(err(check(&v, &t).await), "the token is not base64url");
    let t = raw_hs(r#"{"alg":"HS256"}"#, &URL_SAFE_NO_PAD.encode("[1,2]"));
    assert_eq!(err(check(&v, &t).await), "the token's claims are not JSON");
}

#[tokio::test]
async fn oversized_token_is_refused_before_parsing() {
    let v = hs_verifier("");
    let huge = "a".repeat(9000);
    assert_eq!(
        err(check(&v, &huge).await),
        "the token is larger than 8192 bytes"
    );
}

#[tokio::test]
async fn hostile_kid_values_are_harmless() {
    let v = verifier(&format!(
        "{{ name: t, algorithms: [HS256], keys: [{{ kid: k1, secret: \"{SECRET}\" }}] }}"
    ));
    let claims = json!({"exp": now() + 60});
    let with_kid = |kid: &str| {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid.to_string());
        encode(&h, &claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
    };
    assert!(check(&v, &with_kid("k1")).await.is_ok());
    for kid in ["../../../../etc/passwd", "k1/../k1", "%2e%2e%2f", "k1 "] {
        assert_eq!(
            err(check(&v, &with_kid(kid)).await),
            "no key matches the token's kid",
            "kid {kid:?}"
        );
    }
    for kid in ["k1\0", "k1\r\nX-Evil: 1", &"x".repeat(1000)] {
        assert_eq!(
            err(check(&v, &with_kid(kid)).await),
            "the token's kid is not acceptable"
        );
    }
    let numeric = raw_hs(
        r#"{"alg":"HS256","kid":7}"#,
        &URL_SAFE_NO_PAD.encode(claims.to_string()),
    );
    assert_eq!(
        err(check(&v, &numeric).await),
        "the token's kid is not acceptable"
    );
}

#[tokio::test]
async fn every_public_key_family_verifies_its_own_tokens() {
    use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519};
    let dir = tempfile::tempdir().unwrap();
    let claims = json!({"exp": now() + 60});
    let cases = [
        (&PKCS_ECDSA_P256_SHA256, Algorithm::ES256, "ES256"),
        (&PKCS_ECDSA_P384_SHA384, Algorithm::ES384, "ES384"),
        (&PKCS_ED25519, Algorithm::EdDSA, "EdDSA"),
    ];
    for (rc_alg, alg, name) in cases {
        let kp = KeyPair::generate_for(rc_alg).unwrap();
        let pub_path = dir.path().join(format!("{name}.pem"));
        std::fs::write(&pub_path, kp.public_key_pem()).unwrap();
        let enc = match alg {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(kp.serialize_pem().as_bytes()),
            _ => EncodingKey::from_ec_pem(kp.serialize_pem().as_bytes()),
        }
        .unwrap();
        let v = JwtVerifier::build(
            &provider(&format!(
                "{{ name: {name}, algorithms: [{name}], keys: [{{ pem: {} }}] }}",
                pub_path.display()
            )),
            8192,
            None,
        )
        .unwrap();
        let t = encode(&Header::new(alg), &claims, &enc).unwrap();
        assert!(check(&v, &t).await.is_ok(), "{name}");
    }
    let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
    let v = verifier(
        "{ name: rsa, algorithms: [RS256, RS384, RS512, PS256, PS384, PS512], keys: [{ pem: rsa_public.pem }] }",
    );
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        let t = encode(&Header::new(alg), &claims, &rsa).unwrap();
        assert!(check(&v, &t).await.is_ok(), "{alg:?}");
    }
    let v = verifier(&format!(
        "{{ name: h, algorithms: [HS384, HS512], keys: [{{ secret: \"{SECRET}\" }}] }}"
    ));
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let t = encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(check(&v, &t).await.is_ok(), "{alg:?}");
    }
}

#[tokio::test]
async fn token_signed_by_another_rsa_key_is_refused() {
    let v = verifier("{ name: rs, algorithms: [RS256], keys: [{ pem: rsa_public.pem }] }");
    let other = include_str!("../../../tests/support/keys/rsa2_private.pem");
    let key = EncodingKey::from_rsa_pem(other.as_bytes()).unwrap();
    let t = encode(
        &Header::new(Algorithm::RS256),
        &json!({"exp": now() + 60}),
        &key,
    )
    .unwrap();
    assert_eq!(
        err(check(&v, &t).await),
        "the token's signature is not valid"
    );
}

#[test]
fn short_hmac_secret_is_refused_at_build() {
    let p = provider("{ name: h, algorithms: [HS256], keys: [{ secret: short }] }");
    let e = JwtVerifier::build(&p, 8192, None).err().unwrap();
    assert!(e.contains("at least 32 bytes"), "{e}");
}

#[tokio::test]
async fn fractional_numeric_dates_are_read_as_seconds() {
    let v = hs_verifier(", max_lifetime: 1h");
    let n = now();
    let t = hs_token(&json!({"iat": n as f64 + 0.5, "exp": n as f64 + 60.25}));
    let ok = check(&v, &t).await.unwrap();
    assert_eq!(ok.exp, Some(n + 60));
}

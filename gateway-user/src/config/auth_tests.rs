//! Unit tests of the `auth` and `consumers` sections: the issue's shape parses, and
//! each refusal is reported at its line.
use std::path::Path;

use crate::config::parse_checked;
use crate::config::tests::{BASE, assert_error, parse_str};

const AUTH: &str = "\
auth:
  jwt_providers:
    - name: idp
      issuer: https://idp.example.com/
      audiences: [https://api.example.com]
      algorithms: [RS256, ES256]
      jwks_uri: https://idp.example.com/.well-known/jwks.json
      leeway: 60s
      max_lifetime: 1h
consumers:
  - name: mobile-app
    groups: [mobile]
    plan: free
    api_keys: [{ sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }]
routes:
  - name: users
    match: { path_prefix: /api/v1/users }
    upstream: users
    auth: { jwt: [idp], api_key: true, scopes: [api:read], groups: [mobile] }
";

#[test]
fn issue_auth_sample_parses_with_defaults() {
    let checked = parse_str(&format!("{BASE}{AUTH}")).unwrap();
    let c = checked.config;
    let p = &c.auth.jwt_providers[0];
    assert_eq!(p.leeway.as_secs(), 60);
    assert!(p.require_exp);
    assert_eq!(c.auth.api_keys.header, "X-API-Key");
    assert_eq!(c.auth.max_token_size.0, 8192);
    assert_eq!(c.consumers[0].plan.as_deref(), Some("free"));
    let auth = c.routes[0].auth.as_ref().unwrap();
    assert_eq!(auth.jwt, ["idp"]);
    assert!(auth.api_key);
}

#[test]
fn route_naming_an_unknown_provider_is_refused_at_its_line() {
    let text = format!("{BASE}{AUTH}").replace("jwt: [idp]", "jwt: [idpp]");
    assert_error(
        &text,
        25,
        "unknown JWT provider `idpp`, did you mean `idp`?",
    );
}

#[test]
fn bad_algorithm_name_is_refused_at_its_line() {
    let text = format!("{BASE}{AUTH}").replace("[RS256, ES256]", "[RS257, ES256]");
    assert_error(&text, 12, "unknown value `RS257`, did you mean `RS256`?");
}

#[test]
fn hmac_algorithm_with_a_jwks_uri_is_refused() {
    let text = format!("{BASE}{AUTH}").replace("[RS256, ES256]", "[HS256]");
    assert_error(&text, 12, "must never serve as an HMAC secret");
}

#[test]
fn api_key_that_is_not_a_sha256_is_refused() {
    let text = format!("{BASE}{AUTH}").replace("sha256: 9f86", "sha256: zz86");
    assert_error(&text, 20, "sha256 must be 64 hex digits");
}

#[test]
fn auth_block_accepting_nothing_is_refused() {
    let text = format!("{BASE}{AUTH}").replace(
        "auth: { jwt: [idp], api_key: true, scopes: [api:read], groups: [mobile] }",
        "auth: { groups: [mobile] }",
    );
    assert_error(&text, 25, "accepts no credential");
}

#[test]
fn unknown_ext_authz_and_out_of_range_cache_ttl_are_refused() {
    let text = format!(
        "{BASE}auth:\n  ext_authz:\n    - name: opa\n      url: http://127.0.0.1:8181/allow\n      cache_ttl: 1h\nroutes:\n  - name: r\n    upstream: users\n    auth: {{ ext_authz: opaa }}\n"
    );
    assert_error(&text, 11, "between 5s and 300s");
    assert_error(&text, 15, "unknown ext_authz `opaa`");
}

#[test]
fn missing_pem_key_file_is_reported_at_the_key() {
    let text = format!(
        "{BASE}auth:\n  jwt_providers:\n    - name: p\n      algorithms: [RS256]\n      keys:\n        - {{ kid: k1, pem: nope.pem }}\n"
    );
    assert_error(&text, 12, "cannot read the key file");
}

#[test]
fn relative_pem_path_is_read_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/keys/rsa_public.pem");
    std::fs::copy(keys, dir.path().join("idp.pem")).unwrap();
    let text = format!(
        "{BASE}auth:\n  jwt_providers:\n    - name: p\n      algorithms: [RS256]\n      keys: [{{ kid: k1, pem: idp.pem }}]\n"
    );
    let c = parse_checked(&text, &dir.path().join("gateway.yaml"))
        .unwrap()
        .config;
    let pem = c.auth.jwt_providers[0].keys[0].pem.clone().unwrap();
    assert_eq!(pem, dir.path().join("idp.pem"));
}

#[test]
fn unknown_key_in_a_route_auth_block_is_refused() {
    let text = format!("{BASE}{AUTH}").replace("api_key: true", "apikey: true");
    assert_error(&text, 25, "apikey");
}

#[test]
fn broken_auth_section_does_not_also_blame_the_routes_naming_its_providers() {
    let text = format!("{BASE}{AUTH}").replace("[RS256, ES256]", "[RS257, ES256]");
    let errs = parse_str(&text).err().unwrap().errors;
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

//! End-to-end tests of authentication with real sockets: a JWKS server on loopback
//! (rotation, unknown kid, issuer down), API keys, ACLs, scopes, anonymous routes,
//! hidden credentials, an external authorization service, and `gateway keys generate`
//! through the real binary. The configuration goes through `gateway::config::parse`,
//! exactly as `gateway run` reads it.
#[path = "support/authz.rs"]
mod authz;
#[path = "support/jwks.rs"]
mod jwks;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use gateway::auth::{AuthError, Authenticator, Identity, RoutePolicy};
use http::{StatusCode, request::Parts};
use jsonwebtoken::{
    Algorithm, EncodingKey, Header, encode,
    jwk::{Jwk, JwkSet},
};
use serde_json::json;

const BASE: &str = "\
listeners:
  - name: plain
    bind: 127.0.0.1:8080
upstreams:
  users:
    targets: [127.0.0.1:9001]
";

fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/keys")
}

fn rsa_key(n: u8) -> EncodingKey {
    let file = if n == 1 {
        "rsa_private.pem"
    } else {
        "rsa2_private.pem"
    };
    EncodingKey::from_rsa_pem(&std::fs::read(keys_dir().join(file)).unwrap()).unwrap()
}

/// A JWKS document holding the public halves of the given (kid, key number) pairs.
fn jwks_doc(keys: &[(&str, u8)]) -> String {
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

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A fresh RS256 token (unique `jti`, so the verified-token cache never answers).
fn token(kid: &str, key: u8, extra: serde_json::Value) -> String {
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
struct Setup {
    auth: Authenticator,
    routes: HashMap<String, RoutePolicy>,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(yaml: &str) -> Setup {
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
        let auth = Authenticator::build(&config.auth, &config.consumers, Some(dir.path())).unwrap();
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

    async fn call(&self, route: &str, req: &Parts) -> Result<Identity, AuthError> {
        self.auth.authenticate(&self.routes[route], req, None).await
    }
}

fn request(uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = http::Request::builder().uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

fn bearer(t: &str) -> Parts {
    request("/api/x", &[("authorization", &format!("Bearer {t}"))])
}

fn jwks_config(url: &str, jwks: &str) -> String {
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

#[tokio::test]
async fn jwks_key_rotation_is_picked_up_without_restart() {
    let server = jwks::JwksServer::start(jwks_doc(&[("k1", 1)])).await;
    let s = Setup::new(&jwks_config(
        &server.url(),
        "{ cache_ttl: 1h, min_refetch_interval: 1s }",
    ));
    let id = s
        .call("r", &bearer(&token("k1", 1, json!({}))))
        .await
        .unwrap();
    assert_eq!(id.method, "jwt:idp");
    assert_eq!(id.subject.as_deref(), Some("user-1"));
    server.rotate(jwks_doc(&[("k2", 2)]));
    // Wait out the refetch spacing so the unknown kid may trigger a fetch.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let id = s.call("r", &bearer(&token("k2", 2, json!({})))).await;
    assert!(id.is_ok(), "rotated key refused: {id:?}");
    let before = server.hits();
    // The retired key is gone from the new set.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let old = s.call("r", &bearer(&token("k1", 1, json!({})))).await;
    assert_eq!(
        old.unwrap_err(),
        AuthError::InvalidToken("no key matches the token's kid".into())
    );
    assert!(server.hits() <= before + 1);
}

#[tokio::test]
async fn unknown_kid_is_refetched_at_most_once_per_interval() {
    let server = jwks::JwksServer::start(jwks_doc(&[("k1", 1)])).await;
    let s = Setup::new(&jwks_config(
        &server.url(),
        "{ cache_ttl: 1h, min_refetch_interval: 1h }",
    ));
    s.call("r", &bearer(&token("k1", 1, json!({}))))
        .await
        .unwrap();
    let after_first = server.hits();
    assert!(after_first >= 1);
    // A kid fetched nowhere: many requests, at most the one refetch... which the
    // 1h spacing only allows if the first fetch is older: so none here.
    for _ in 0..5 {
        let r = s.call("r", &bearer(&token("ghost", 1, json!({})))).await;
        assert_eq!(
            r.unwrap_err(),
            AuthError::InvalidToken("no key matches the token's kid".into())
        );
    }
    assert_eq!(
        server.hits(),
        after_first,
        "unknown kid hammered the issuer"
    );
}

#[tokio::test]
async fn unknown_kid_triggers_exactly_one_refetch_when_allowed() {
    let server = jwks::JwksServer::start(jwks_doc(&[("k1", 1)])).await;
    let s = Setup::new(&jwks_config(
        &server.url(),
        "{ cache_ttl: 1h, min_refetch_interval: 2s }",
    ));
    s.call("r", &bearer(&token("k1", 1, json!({}))))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let before = server.hits();
    let tasks: Vec<_> = (0..8)
        .map(|_| bearer(&token("ghost", 1, json!({}))))
        .collect();
    let results = futures_util::future::join_all(tasks.iter().map(|p| s.call("r", p))).await;
    assert!(results.iter().all(|r| r.is_err()));
    assert_eq!(
        server.hits(),
        before + 1,
        "expected one refetch for the unknown kid"
    );
}

#[tokio::test]
async fn issuer_down_serves_stale_keys_up_to_the_bound_then_refuses() {
    let mut server = jwks::JwksServer::start(jwks_doc(&[("k1", 1)])).await;
    let s = Setup::new(&jwks_config(
        &server.url(),
        "{ cache_ttl: 1s, max_stale: 4s, min_refetch_interval: 200ms, timeout: 500ms }",
    ));
    s.call("r", &bearer(&token("k1", 1, json!({}))))
        .await
        .unwrap();
    server.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Past the TTL, the issuer unreachable: the old keys still serve.
    let stale = s.call("r", &bearer(&token("k1", 1, json!({})))).await;
    assert!(stale.is_ok(), "stale keys not used: {stale:?}");
    tokio::time::sleep(Duration::from_millis(4000)).await;
    // Past TTL + max_stale: refused.
    let refused = s.call("r", &bearer(&token("k1", 1, json!({})))).await;
    assert_eq!(refused.unwrap_err(), AuthError::KeysUnavailable);
    assert_eq!(
        AuthError::KeysUnavailable.response("gateway").status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

const CONSUMERS: &str = "\
auth:
  api_keys: { header: X-API-Key, query: api_key }
  jwt_providers:
    - name: idp
      issuer: https://idp.test/
      audiences: [api]
      algorithms: [RS256]
      keys: [{ kid: k1, pem: idp.pem }]
      groups_claim: groups
consumers:
  - name: mobile-app
    groups: [mobile]
    plan: free
    api_keys: [{ sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }]
  - name: partner
    groups: [partners]
    plan: enterprise
    api_keys: [{ sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 }]
    jwt: [{ provider: idp, subject: partner-svc }]
    mtls_sans: [URI:spiffe://partner.test/svc]
routes:
  - name: mobile
    match: { path_prefix: /mobile }
    upstream: users
    auth: { api_key: true, groups: [mobile] }
  - name: read
    match: { path_prefix: /read }
    upstream: users
    auth: { jwt: [idp], scopes: [api:read], forward_claims: { sub: X-User, tenant: X-Tenant }, hide_credentials: true }
  - name: open
    match: { path_prefix: /open }
    upstream: users
    auth: { jwt: [idp], api_key: true, anonymous: true }
  - name: tenant
    match: { path_prefix: /tenant }
    upstream: users
    auth: { jwt: [idp], claims: { tenant: [t1, t2] } }
  - name: either
    match: { path_prefix: /either }
    upstream: users
    auth: { jwt: [idp], api_key: true, groups: [partners] }
  - name: hidden
    match: { path_prefix: /hidden }
    upstream: users
    auth: { api_key: true, hide_credentials: true }
  - name: certs
    match: { path_prefix: /certs }
    upstream: users
    auth: { mtls: true, api_key: true }
";

#[tokio::test]
async fn api_key_in_header_or_query_finds_its_consumer() {
    let s = Setup::new(CONSUMERS);
    let id = s
        .call("mobile", &request("/m", &[("x-api-key", "test")]))
        .await
        .unwrap();
    assert_eq!(id.method, "api_key");
    assert_eq!(id.consumer.as_ref().unwrap().name, "mobile-app");
    assert_eq!(id.plan.as_deref(), Some("free"));
    let id = s
        .call("mobile", &request("/m?api_key=test", &[]))
        .await
        .unwrap();
    assert_eq!(id.consumer.unwrap().name, "mobile-app");
}

#[tokio::test]
async fn wrong_or_missing_api_key_is_401_with_a_challenge() {
    let s = Setup::new(CONSUMERS);
    let e = s
        .call("mobile", &request("/m", &[("x-api-key", "tesT")]))
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::InvalidApiKey);
    let r = e.response(s.auth.realm());
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let challenge = r
        .headers
        .iter()
        .find(|(n, _)| n == http::header::WWW_AUTHENTICATE)
        .map(|(_, v)| v.to_str().unwrap().to_string())
        .unwrap();
    assert!(challenge.starts_with("Bearer realm=\"gateway\", error=\"invalid_token\""));
    let e = s.call("mobile", &request("/m", &[])).await.unwrap_err();
    assert_eq!(e, AuthError::Missing);
}

#[tokio::test]
async fn consumer_outside_the_route_groups_gets_403() {
    let s = Setup::new(CONSUMERS);
    // "hello" is the partner's key (sha256 2cf2…): a valid key, the wrong group.
    let e = s
        .call("mobile", &request("/m", &[("x-api-key", "hello")]))
        .await
        .unwrap_err();
    assert_eq!(e.response("g").status, StatusCode::FORBIDDEN);
    let id = s
        .call("either", &request("/m", &[("x-api-key", "hello")]))
        .await
        .unwrap();
    assert_eq!(id.consumer.unwrap().name, "partner");
}

#[tokio::test]
async fn jwt_subject_maps_to_a_consumer_and_its_groups() {
    let s = Setup::new(CONSUMERS);
    let t = token("k1", 1, json!({"sub": "partner-svc"}));
    let id = s.call("either", &bearer(&t)).await.unwrap();
    assert_eq!(id.consumer.as_ref().unwrap().name, "partner");
    assert_eq!(id.plan.as_deref(), Some("enterprise"));
    // An unmapped subject has no groups: the ACL refuses it, unless the token's groups claim helps.
    let t = token("k1", 1, json!({"sub": "someone"}));
    let e = s.call("either", &bearer(&t)).await.unwrap_err();
    assert_eq!(e.response("g").status, StatusCode::FORBIDDEN);
    let t = token("k1", 1, json!({"sub": "someone", "groups": ["partners"]}));
    assert!(s.call("either", &bearer(&t)).await.is_ok());
}

#[tokio::test]
async fn scopes_are_read_from_scope_string_or_scp_array() {
    let s = Setup::new(CONSUMERS);
    let t = token("k1", 1, json!({"scope": "openid api:read"}));
    assert!(s.call("read", &bearer(&t)).await.is_ok());
    let t = token("k1", 1, json!({"scp": ["api:read"]}));
    assert!(s.call("read", &bearer(&t)).await.is_ok());
    let t = token("k1", 1, json!({"scope": "api:write"}));
    let e = s.call("read", &bearer(&t)).await.unwrap_err();
    assert_eq!(e, AuthError::InsufficientScope("api:read".into()));
    assert_eq!(e.response("g").status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn claim_rules_accept_listed_values_only() {
    let s = Setup::new(CONSUMERS);
    let t = token("k1", 1, json!({"tenant": "t2"}));
    assert!(s.call("tenant", &bearer(&t)).await.is_ok());
    let t = token("k1", 1, json!({"tenant": "t3"}));
    assert_eq!(
        s.call("tenant", &bearer(&t))
            .await
            .unwrap_err()
            .response("g")
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn anonymous_route_lets_requests_without_credentials_in_but_checks_sent_ones() {
    let s = Setup::new(CONSUMERS);
    let id = s.call("open", &request("/o", &[])).await.unwrap();
    assert_eq!(id.method, "anonymous");
    assert!(id.consumer.is_none());
    let e = s
        .call("open", &request("/o", &[("x-api-key", "wrong")]))
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::InvalidApiKey);
    let e = s.call("open", &bearer("garbage")).await.unwrap_err();
    assert!(matches!(e, AuthError::InvalidToken(_)));
}

#[tokio::test]
async fn hidden_credentials_and_forwarded_claims_shape_the_upstream_request() {
    let s = Setup::new(CONSUMERS);
    let t = token("k1", 1, json!({"scope": "api:read", "tenant": "t1"}));
    let mut req = request(
        "/api/x",
        &[
            ("authorization", &format!("Bearer {t}")),
            ("x-user", "forged-admin"),
            ("x-other", "kept"),
        ],
    );
    let id = s.call("read", &req).await.unwrap();
    s.routes["read"].apply(&id, &mut req);
    assert!(
        req.headers.get("authorization").is_none(),
        "credential leaked upstream"
    );
    let users: Vec<_> = req.headers.get_all("x-user").iter().collect();
    assert_eq!(users, ["user-1"], "forged header must be replaced");
    assert_eq!(req.headers["x-tenant"], "t1");
    assert_eq!(req.headers["x-other"], "kept");
}

#[tokio::test]
async fn repeated_token_is_served_from_the_verified_token_cache() {
    let s = Setup::new(CONSUMERS);
    let t = token("k1", 1, json!({"scope": "api:read"}));
    for _ in 0..3 {
        assert!(s.call("read", &bearer(&t)).await.is_ok());
    }
    assert_eq!(s.auth.cached_tokens(), 1);
    // A cached token still meets each route's own rules.
    assert!(s.call("tenant", &bearer(&t)).await.is_err());
    let other = token("k1", 1, json!({"scope": "api:read"}));
    assert!(s.call("read", &bearer(&other)).await.is_ok());
    assert_eq!(s.auth.cached_tokens(), 2);
}

fn authz_config(url: &str, timeout: &str) -> String {
    format!(
        "\
auth:
  ext_authz:
    - name: policy
      url: {url}
      forward_headers: [authorization]
      upstream_headers: [x-user-id, x-tenant-id]
      timeout: {timeout}
      cache_ttl: 60s
routes:
  - name: r
    upstream: users
    auth: {{ ext_authz: policy }}
"
    )
}

#[tokio::test]
async fn ext_authz_allow_forwards_the_chosen_answer_headers() {
    let server = authz::AuthzServer::start().await;
    let s = Setup::new(&authz_config(&server.url(), "1s"));
    let mut req = request(
        "/api/orders?x=1",
        &[
            ("authorization", "Bearer allow-alice"),
            ("x-user-id", "forged"),
        ],
    );
    let id = s.call("r", &req).await.unwrap();
    assert_eq!(id.method, "ext_authz");
    s.routes["r"].apply(&id, &mut req);
    let users: Vec<_> = req.headers.get_all("x-user-id").iter().collect();
    assert_eq!(users, ["alice"]);
    assert_eq!(req.headers["x-tenant-id"], "t1");
    assert!(req.headers.get("x-internal-secret").is_none());
    assert_eq!(server.last_uri(), "/api/orders?x=1");
}

#[tokio::test]
async fn ext_authz_denials_are_401_and_403() {
    let server = authz::AuthzServer::start().await;
    let s = Setup::new(&authz_config(&server.url(), "1s"));
    let e = s
        .call("r", &request("/", &[("authorization", "Bearer deny401")]))
        .await
        .unwrap_err();
    assert_eq!(e.response("g").status, StatusCode::UNAUTHORIZED);
    let e = s
        .call("r", &request("/", &[("authorization", "Bearer deny403")]))
        .await
        .unwrap_err();
    assert_eq!(e.response("g").status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ext_authz_timeout_and_errors_fail_closed() {
    let server = authz::AuthzServer::start().await;
    let s = Setup::new(&authz_config(&server.url(), "300ms"));
    let e = s
        .call("r", &request("/", &[("authorization", "Bearer slow")]))
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::ExtUnavailable);
    let e = s
        .call("r", &request("/", &[("authorization", "Bearer whatever")]))
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::ExtUnavailable);
    drop(server);
    let gone = Setup::new(&authz_config("http://127.0.0.1:9/authorize", "300ms"));
    let e = gone
        .call("r", &request("/", &[("authorization", "Bearer allow-a")]))
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::ExtUnavailable);
}

#[tokio::test]
async fn ext_authz_decisions_are_cached_per_credential() {
    let server = authz::AuthzServer::start().await;
    let s = Setup::new(&authz_config(&server.url(), "1s"));
    for _ in 0..3 {
        s.call(
            "r",
            &request("/a", &[("authorization", "Bearer allow-bob")]),
        )
        .await
        .unwrap();
        let _ = s
            .call("r", &request("/b", &[("authorization", "Bearer deny403")]))
            .await;
    }
    assert_eq!(server.calls(), 2, "one call per credential");
    s.call(
        "r",
        &request("/a", &[("authorization", "Bearer allow-carol")]),
    )
    .await
    .unwrap();
    assert_eq!(server.calls(), 3);
}

#[tokio::test]
async fn failures_are_counted_per_client_ip() {
    let s = Setup::new(CONSUMERS);
    let ip = "198.18.0.7".parse().unwrap();
    for _ in 0..3 {
        let _ = s
            .auth
            .authenticate_client(
                &s.routes["mobile"],
                &request("/", &[("x-api-key", "x")]),
                None,
                ip,
            )
            .await;
    }
    assert_eq!(s.auth.failures().count(ip), 3);
}

#[test]
fn keys_generate_prints_a_key_whose_sha256_line_lets_it_in() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["keys", "generate", "--consumer", "billing"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let key = text
        .split_whitespace()
        .find(|w| w.starts_with("gw_"))
        .unwrap()
        .to_string();
    let digest = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("api_keys: [{ sha256: "))
        .and_then(|l| l.strip_suffix(" }]"))
        .unwrap()
        .to_string();
    assert!(!text.contains(&format!("sha256: {key}")));
    let yaml = format!(
        "consumers:\n  - name: billing\n    api_keys: [{{ sha256: {digest} }}]\nroutes:\n  - name: r\n    upstream: users\n    auth: {{ api_key: true }}\n"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = Setup::new(&yaml);
        let id = s
            .call("r", &request("/", &[("x-api-key", key.as_str())]))
            .await
            .unwrap();
        assert_eq!(id.consumer.unwrap().name, "billing");
    });
}

#[tokio::test]
async fn api_key_in_the_query_is_removed_before_upstream_when_hidden() {
    let s = Setup::new(CONSUMERS);
    let mut req = request(
        "/hidden/x?a=1&api_key=test&b=2",
        &[("x-api-key-other", "1")],
    );
    let id = s.call("hidden", &req).await.unwrap();
    s.routes["hidden"].apply(&id, &mut req);
    assert_eq!(req.uri.to_string(), "/hidden/x?a=1&b=2");
    let mut req = request("/hidden/x", &[("x-api-key", "test")]);
    let id = s.call("hidden", &req).await.unwrap();
    s.routes["hidden"].apply(&id, &mut req);
    assert!(req.headers.get("x-api-key").is_none());
}

#[tokio::test]
async fn client_certificate_san_identifies_its_consumer() {
    let s = Setup::new(CONSUMERS);
    let cert = gateway::auth::ClientCert {
        subject: "CN=svc".into(),
        sans: vec![
            "DNS:svc.partner.test".into(),
            "URI:spiffe://partner.test/svc".into(),
        ],
        fingerprint_sha256: String::new(),
    };
    let id = s
        .auth
        .authenticate(&s.routes["certs"], &request("/certs", &[]), Some(&cert))
        .await
        .unwrap();
    assert_eq!(id.method, "mtls");
    assert_eq!(id.consumer.unwrap().name, "partner");
    let stranger = gateway::auth::ClientCert {
        subject: "CN=x".into(),
        sans: vec!["DNS:x.test".into()],
        fingerprint_sha256: String::new(),
    };
    let e = s
        .auth
        .authenticate(&s.routes["certs"], &request("/certs", &[]), Some(&stranger))
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::InvalidCertificate);
    let e = s
        .auth
        .authenticate(&s.routes["certs"], &request("/certs", &[]), None)
        .await
        .unwrap_err();
    assert_eq!(e, AuthError::Missing);
}

#[tokio::test]
async fn first_requests_share_one_jwks_fetch_instead_of_failing() {
    let server = jwks::JwksServer::start(jwks_doc(&[("k1", 1)])).await;
    let s = Setup::new(&jwks_config(
        &server.url(),
        "{ cache_ttl: 1h, min_refetch_interval: 1h }",
    ));
    let reqs: Vec<_> = (0..8).map(|_| bearer(&token("k1", 1, json!({})))).collect();
    let results = futures_util::future::join_all(reqs.iter().map(|p| s.call("r", p))).await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(server.hits(), 1);
    assert_eq!(s.auth.jwks("idp").unwrap().fetch_count(), 1);
}

#[tokio::test]
async fn jwks_is_fetched_over_https_with_the_configured_ca_and_refused_without_it() {
    let (server, ca_pem) = jwks::JwksServer::start_tls(jwks_doc(&[("k1", 1)])).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let s = Setup::new(&jwks_config(
        &server.url(),
        &format!("{{ ca: {}, min_refetch_interval: 1h }}", ca.display()),
    ));
    let id = s.call("r", &bearer(&token("k1", 1, json!({})))).await;
    assert!(id.is_ok(), "{id:?}");
    // Trusting only another CA (the system bundle here): the handshake fails, no keys.
    let other = Setup::new(&jwks_config(&server.url(), "{ min_refetch_interval: 1h }"));
    let e = other.call("r", &bearer(&token("k1", 1, json!({})))).await;
    assert_eq!(e.unwrap_err(), AuthError::KeysUnavailable);
}

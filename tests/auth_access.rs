//! End-to-end tests of API keys, consumers, ACLs (groups, scopes, claims), anonymous
//! routes, hidden credentials, client certificates, an external authorization service
//! on loopback, and `gateway keys generate` through the real binary.
#[path = "support/auth.rs"]
mod auth;
#[path = "support/authz.rs"]
mod authz;

use auth::{Setup, bearer, request, token};
use gateway::auth::AuthError;
use http::StatusCode;
use serde_json::json;

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

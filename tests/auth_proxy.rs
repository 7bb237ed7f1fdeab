//! End to end through the real binary: `gateway run` with JWT and API-key routes in
//! front of an echo upstream. Checks the answers clients see (401 with an RFC 6750
//! challenge, 403 for scopes, JSON bodies) and what the upstream receives (forwarded
//! claims, no credentials).
#[path = "support/auth.rs"]
mod auth;
#[path = "support/client.rs"]
mod client;
#[path = "support/gateway.rs"]
mod gw_proc;
#[path = "support/upstream.rs"]
mod upstream;

use auth::{keys_dir, token};
use client::{Resp, req, send};
use gw_proc::GatewayProcess;
use http_body_util::Full;
use serde_json::json;
use upstream::Upstream;

fn config(target: std::net::SocketAddr) -> String {
    let pem = keys_dir().join("rsa_public.pem");
    format!(
        r#"
listeners:
  - name: plain
    bind: 127.0.0.1:0
upstreams:
  echo:
    targets: ["{target}"]
admin: {{ bind: 127.0.0.1:0 }}
auth:
  jwt_providers:
    - name: idp
      issuer: https://idp.test/
      audiences: [api]
      algorithms: [RS256]
      keys: [{{ kid: k1, pem: "{pem}" }}]
consumers:
  - name: mobile-app
    groups: [mobile]
    plan: free
    api_keys: [{{ sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }}]
routes:
  - name: users
    match: {{ path_prefix: /api }}
    upstream: echo
    auth: {{ jwt: [idp], scopes: [api:read], forward_claims: {{ sub: X-User-Id }}, hide_credentials: true }}
  - name: mobile
    match: {{ path_prefix: /mobile }}
    upstream: echo
    auth: {{ api_key: true, groups: [mobile], hide_credentials: true }}
  - name: open
    match: {{ path_prefix: /open }}
    upstream: echo
"#,
        pem = pem.display()
    )
}

/// The auth failure counters in `/metrics`, as `route/reason` → count.
async fn auth_failures(gw: &GatewayProcess) -> std::collections::BTreeMap<String, f64> {
    let r = send(
        gw.addr("admin"),
        req("GET", "/metrics", "localhost")
            .body(Full::default())
            .unwrap(),
    )
    .await;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    text.lines()
        .filter_map(|l| l.strip_prefix("gateway_auth_failures_total{"))
        .filter_map(|l| {
            let (labels, value) = l.split_once("} ")?;
            let field = |name: &str| {
                let start = labels.find(&format!("{name}=\""))? + name.len() + 2;
                labels[start..].split('"').next().map(str::to_owned)
            };
            Some((
                format!("{}/{}", field("route")?, field("reason")?),
                value.trim().parse().ok()?,
            ))
        })
        .collect()
}

async fn call(gw: &GatewayProcess, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = req("GET", path, "api.test");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(gw.addr("plain"), b.body(Full::default()).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_route_answers_401_403_or_forwards_the_subject_without_the_token() {
    let up = Upstream::start("echo").await;
    let gw = GatewayProcess::start(&config(up.addr), &["plain", "admin"]);

    let r = call(&gw, "/api/users", &[]).await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer realm=\"gateway\", error=\"invalid_token\""),
        "{challenge}"
    );
    assert_eq!(r.json()["error"], "missing");
    assert!(r.json()["request_id"].is_string());

    let expired = token(
        "k1",
        1,
        json!({"scope": "api:read", "iat": 1000, "exp": 2000}),
    );
    let r = call(
        &gw,
        "/api/users",
        &[("authorization", &format!("Bearer {expired}"))],
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("error_description=\"the token has expired\"")
    );

    let no_scope = token("k1", 1, json!({"scope": "api:write"}));
    let r = call(
        &gw,
        "/api/users",
        &[("authorization", &format!("Bearer {no_scope}"))],
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("insufficient_scope")
    );

    let good = token("k1", 1, json!({"scope": "api:read", "sub": "alice"}));
    let r = call(
        &gw,
        "/api/users",
        &[
            ("authorization", &format!("Bearer {good}")),
            ("x-user-id", "forged"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.echoed("x-user-id").as_deref(), Some("alice"));
    assert_eq!(r.echoed("authorization"), None, "token leaked upstream");
    assert_eq!(up.hits(), 1, "refused requests must not reach the upstream");
    // Each refusal is counted once under its route and reason; the success is not.
    let counted = auth_failures(&gw).await;
    let expected: std::collections::BTreeMap<String, f64> = [
        ("users/missing".to_string(), 1.0),
        ("users/invalid_token".to_string(), 1.0),
        ("users/insufficient_scope".to_string(), 1.0),
    ]
    .into();
    assert_eq!(counted, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_route_lets_its_consumer_in_and_hides_the_key() {
    let up = Upstream::start("echo").await;
    let gw = GatewayProcess::start(&config(up.addr), &["plain", "admin"]);
    let r = call(&gw, "/mobile/x", &[("x-api-key", "test")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.echoed("x-api-key"), None);
    let r = call(&gw, "/mobile/x", &[("x-api-key", "nope")]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_api_key");
    let r = call(&gw, "/open/x", &[]).await;
    assert_eq!(r.status, 200);
    let counted = auth_failures(&gw).await;
    assert_eq!(
        counted,
        [("mobile/invalid_api_key".to_string(), 1.0)].into(),
        "only the bad key is counted"
    );
}

//! End-to-end tests of JWT verification against a JWKS server on loopback (HTTP and
//! HTTPS): rotation picked up without restart, one refetch per unknown kid, shared
//! first fetch, stale keys while the issuer is down up to the bound, then 503.
#[path = "support/auth.rs"]
mod auth;
#[path = "support/jwks.rs"]
mod jwks;

use std::time::Duration;

use auth::{Setup, bearer, jwks_config, jwks_doc, token};
use gateway::auth::AuthError;
use http::StatusCode;
use serde_json::json;

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

#[tokio::test]
async fn reload_during_an_issuer_outage_keeps_the_fetched_keys() {
    let mut server = jwks::JwksServer::start(jwks_doc(&[("k1", 1)])).await;
    let shared = gateway::auth::AuthShared::default();
    let yaml = jwks_config(&server.url(), "{ cache_ttl: 1h, min_refetch_interval: 1h }");
    let before = Setup::new_with(&yaml, &shared);
    before
        .call("r", &bearer(&token("k1", 1, json!({}))))
        .await
        .unwrap();
    server.stop();
    // The new snapshot (same provider settings) reuses the cache: no fetch needed.
    let after = Setup::new_with(&yaml, &shared);
    drop(before);
    let id = after.call("r", &bearer(&token("k1", 1, json!({})))).await;
    assert!(id.is_ok(), "{id:?}");
    assert_eq!(server.hits(), 1);
}

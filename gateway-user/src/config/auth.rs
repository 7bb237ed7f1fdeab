//! Semantic checks of `auth`, `consumers` and routes' `auth` blocks: references
//! (providers, authorizers), algorithm/key agreement (an HS* algorithm next to public
//! keys is refused), key files that must parse, digests that must be sha256, and
//! limits that would make no sense. Relative key paths are resolved here.
use std::collections::{BTreeMap, BTreeSet};

use super::{
    model::Config,
    suggest::did_you_mean,
    validate::{Checker, I, K, Origins, valid_name},
};
use crate::auth::{apikey, consumer::normalize_san, keys};

/// Checks the auth sections of `config`.
pub(crate) fn check(config: &mut Config, origins: &Origins, c: &mut Checker<'_>) {
    providers(config, c);
    ext_authz(config, c);
    consumers(config, origins, c);
    routes(config, origins, c);
    if http::HeaderName::try_from(config.auth.api_keys.header.as_str()).is_err() {
        c.err(
            &[K("auth"), K("api_keys"), K("header")],
            format!(
                "`{}` is not a valid header name",
                config.auth.api_keys.header
            ),
        );
    }
    if config.auth.max_token_size.0 < 256 {
        c.err(
            &[K("auth"), K("max_token_size")],
            "max_token_size below 256 bytes would refuse every real token",
        );
    }
}

fn providers(config: &mut Config, c: &mut Checker<'_>) {
    let mut names = BTreeSet::new();
    let base = c.base.map(|b| b.to_path_buf());
    for (i, p) in config.auth.jwt_providers.iter_mut().enumerate() {
        let at = |k: &'static str| [K("auth"), K("jwt_providers"), I(i), K(k)];
        if !valid_name(&p.name) {
            c.err(
                &at("name"),
                format!(
                    "provider name `{}` must be letters, digits, `_`, `-` or `.`",
                    p.name
                ),
            );
        }
        if !names.insert(p.name.clone()) {
            c.err(
                &at("name"),
                format!("duplicate JWT provider name `{}`", p.name),
            );
        }
        if p.algorithms.is_empty() {
            c.err(
                &at("algorithms"),
                "list the accepted algorithms (e.g. [RS256]); the token never chooses",
            );
        }
        let hmac = p.algorithms.iter().any(|a| a.is_hmac());
        let public = p.algorithms.iter().any(|a| !a.is_hmac());
        if hmac && (p.jwks_uri.is_some() || p.keys.iter().any(|k| k.pem.is_some())) {
            c.err(
                &at("algorithms"),
                "an HS* algorithm is listed with public keys (jwks_uri or pem): a public key must never serve as an HMAC secret; use a separate provider with `secret` keys",
            );
        }
        if hmac && public {
            c.err(
                &at("algorithms"),
                "HMAC (HS*) and public-key algorithms cannot share a provider",
            );
        }
        if p.jwks_uri.is_none() && p.keys.is_empty() {
            c.err(
                &at("name"),
                format!(
                    "provider `{}` has no keys: give `jwks_uri` or `keys`",
                    p.name
                ),
            );
        }
        if let Some(uri) = &p.jwks_uri
            && !(uri.starts_with("https://") || uri.starts_with("http://"))
        {
            c.err(
                &at("jwks_uri"),
                format!("jwks_uri `{uri}` must start with https:// or http://"),
            );
        }
        for (k, key) in p.keys.iter_mut().enumerate() {
            let kat = [K("auth"), K("jwt_providers"), I(i), K("keys"), I(k)];
            if let Some(pem) = &mut key.pem
                && pem.is_relative()
                && let Some(b) = &base
            {
                *pem = b.join(&*pem);
            }
            match keys::load(key, None) {
                Ok(vk) => {
                    let fits = p.algorithms.iter().any(|a| vk.fits(a.to_jwt()));
                    if !fits && !p.algorithms.is_empty() {
                        c.err(&kat, "this key fits none of the provider's algorithms (an RSA key needs RS*/PS*, EC needs ES*, Ed25519 needs EdDSA, a secret needs HS*)");
                    }
                }
                Err(why) => c.err(&kat, why),
            }
            if let Some(kid) = &key.kid
                && !keys::valid_kid(kid)
            {
                c.err(&kat, "kid is too long or has control characters");
            }
        }
        let src = &p.token;
        let given = [
            src.header.is_some(),
            src.query.is_some(),
            src.cookie.is_some(),
        ];
        if given.iter().filter(|x| **x).count() > 1 {
            c.err(
                &at("token"),
                "give one of `header`, `query` or `cookie` for where the token is",
            );
        }
        if let Some(h) = &src.header
            && http::HeaderName::try_from(h.as_str()).is_err()
        {
            c.err(&at("token"), format!("`{h}` is not a valid header name"));
        }
        if p.leeway.as_secs() > 3600 {
            c.err(
                &at("leeway"),
                "leeway is for clock skew: more than 1h would accept long-expired tokens",
            );
        }
        if p.max_lifetime.is_some_and(|d| d.is_zero()) {
            c.err(&at("max_lifetime"), "max_lifetime must be more than 0");
        }
        if p.jwks.cache_ttl.is_zero() {
            c.err(&at("jwks"), "jwks.cache_ttl must be more than 0");
        }
        if p.jwks.timeout.is_zero() {
            c.err(&at("jwks"), "jwks.timeout must be more than 0");
        }
        if let Some(ca) = &mut p.jwks.ca {
            if ca.is_relative()
                && let Some(b) = &base
            {
                *ca = b.join(&*ca);
            }
            if !ca.is_file() {
                let shown = ca.display().to_string();
                c.err(
                    &at("jwks"),
                    format!("the CA bundle `{shown}` does not exist"),
                );
            }
        }
    }
}

fn ext_authz(config: &mut Config, c: &mut Checker<'_>) {
    let mut names = BTreeSet::new();
    let base = c.base.map(|b| b.to_path_buf());
    for (i, e) in config.auth.ext_authz.iter_mut().enumerate() {
        if let Some(ca) = &mut e.ca {
            if ca.is_relative()
                && let Some(b) = &base
            {
                *ca = b.join(&*ca);
            }
            if !ca.is_file() {
                let shown = ca.display().to_string();
                c.err(
                    &[K("auth"), K("ext_authz"), I(i), K("ca")],
                    format!("the CA bundle `{shown}` does not exist"),
                );
            }
        }
        let at = |k: &'static str| [K("auth"), K("ext_authz"), I(i), K(k)];
        if !valid_name(&e.name) || !names.insert(e.name.clone()) {
            c.err(
                &at("name"),
                format!("ext_authz name `{}` is invalid or used twice", e.name),
            );
        }
        if !(e.url.starts_with("https://") || e.url.starts_with("http://"))
            || e.url.parse::<http::Uri>().is_err()
        {
            c.err(
                &at("url"),
                format!("`{}` must be an http:// or https:// URL", e.url),
            );
        }
        let ttl = e.cache_ttl.as_secs();
        if !e.cache_ttl.is_zero() && !(5..=300).contains(&ttl) {
            c.err(
                &at("cache_ttl"),
                "cache_ttl must be between 5s and 300s (or 0 to ask every time)",
            );
        }
        if e.timeout.is_zero() {
            c.err(&at("timeout"), "timeout must be more than 0");
        }
        for h in e.forward_headers.iter().chain(&e.upstream_headers) {
            if http::HeaderName::try_from(h.as_str()).is_err() {
                c.err(&at("name"), format!("`{h}` is not a valid header name"));
            }
        }
    }
}

fn consumers(config: &mut Config, origins: &Origins, c: &mut Checker<'_>) {
    let providers: Vec<String> = config
        .auth
        .jwt_providers
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut digests: BTreeMap<[u8; 32], String> = BTreeMap::new();
    let mut sans: BTreeMap<String, String> = BTreeMap::new();
    let base = c.base.map(|b| b.to_path_buf());
    for (i, consumer) in config.consumers.iter_mut().enumerate() {
        let at = origins.consumers.get(i).copied().unwrap_or(i);
        let p = |k: &'static str| [K("consumers"), I(at), K(k)];
        if !valid_name(&consumer.name) {
            c.err(
                &p("name"),
                format!(
                    "consumer name `{}` must be letters, digits, `_`, `-` or `.`",
                    consumer.name
                ),
            );
        }
        let line = c.line(&p("name"));
        if let Some(first) = names.insert(consumer.name.clone(), line) {
            c.err(
                &p("name"),
                format!(
                    "duplicate consumer name `{}` (first used at line {first})",
                    consumer.name
                ),
            );
        }
        let mut found = Vec::new();
        for (k, key) in consumer.api_keys.iter().enumerate() {
            match apikey::parse_digest(&key.sha256) {
                Some(d) if key.sha256.len() == 64 => found.push(d),
                _ => c.err(
                    &[K("consumers"), I(at), K("api_keys"), I(k)],
                    "sha256 must be 64 hex digits (the output of `gateway keys generate` or `sha256sum`); never put the key itself here",
                ),
            }
        }
        if let Some(file) = &mut consumer.api_keys_file {
            if file.is_relative()
                && let Some(b) = &base
            {
                *file = b.join(&*file);
            }
            match apikey::read_keys_file(file) {
                Ok(ds) => found.extend(ds),
                Err(why) => c.err(&p("api_keys_file"), why),
            }
        }
        for d in found {
            if let Some(other) = digests.insert(d, consumer.name.clone())
                && other != consumer.name
            {
                c.err(
                    &p("api_keys"),
                    format!("this API key is also held by consumer `{other}`"),
                );
            }
        }
        for (j, m) in consumer.jwt.iter().enumerate() {
            if let Some(name) = &m.provider
                && !origins.auth_broken
                && !providers.contains(name)
            {
                c.err(
                    &[K("consumers"), I(at), K("jwt"), I(j), K("provider")],
                    unknown("JWT provider", name, &providers),
                );
            }
        }
        for (j, san) in consumer.mtls_sans.iter().enumerate() {
            let kind = san.split_once(':').map(|(k, _)| k.to_ascii_lowercase());
            let sat = [K("consumers"), I(at), K("mtls_sans"), I(j)];
            if !matches!(kind.as_deref(), Some("dns" | "uri" | "email" | "ip")) {
                c.err(
                    &sat,
                    format!("`{san}` must start with DNS:, URI:, email: or IP:"),
                );
            }
            if let Some(other) = sans.insert(normalize_san(san), consumer.name.clone())
                && other != consumer.name
            {
                c.err(
                    &sat,
                    format!("this SAN is also claimed by consumer `{other}`"),
                );
            }
        }
    }
}

fn routes(config: &Config, origins: &Origins, c: &mut Checker<'_>) {
    let providers: Vec<String> = config
        .auth
        .jwt_providers
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let authz: Vec<String> = config
        .auth
        .ext_authz
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let any_keys = config
        .consumers
        .iter()
        .any(|c| !c.api_keys.is_empty() || c.api_keys_file.is_some());
    for (i, route) in config.routes.iter().enumerate() {
        let Some(a) = &route.auth else { continue };
        let at = origins.routes.get(i).copied().unwrap_or(i);
        let r = |k: &'static str| [K("routes"), I(at), K("auth"), K(k)];
        for (j, name) in a.jwt.iter().enumerate() {
            if !origins.auth_broken && !providers.contains(name) {
                c.err(
                    &[K("routes"), I(at), K("auth"), K("jwt"), I(j)],
                    unknown("JWT provider", name, &providers),
                );
            }
        }
        if let Some(name) = &a.ext_authz
            && !origins.auth_broken
            && !authz.contains(name)
        {
            c.err(&r("ext_authz"), unknown("ext_authz", name, &authz));
        }
        if a.jwt.is_empty() && !a.api_key && !a.mtls && a.ext_authz.is_none() && !a.anonymous {
            c.err(
                &[K("routes"), I(at), K("auth")],
                "this auth block accepts no credential: list `jwt` providers, set `api_key: true` or `mtls: true`, name an `ext_authz`, or set `anonymous: true`",
            );
        }
        if a.api_key && !any_keys {
            c.warn(
                &r("api_key"),
                "no consumer has an API key, so `api_key: true` lets nobody in",
            );
        }
        if !a.scopes.is_empty() && a.jwt.is_empty() {
            c.warn(
                &r("scopes"),
                "scopes come from JWTs, but this route accepts none: every request will get 403",
            );
        }
        for header in a.forward_claims.values() {
            if http::HeaderName::try_from(header.as_str()).is_err() {
                c.err(
                    &r("forward_claims"),
                    format!("`{header}` is not a valid header name"),
                );
            }
        }
    }
}

fn unknown(what: &str, name: &str, known: &[String]) -> String {
    match did_you_mean(name, known) {
        Some(s) => format!("unknown {what} `{name}`, did you mean `{s}`?"),
        None if known.is_empty() => format!("unknown {what} `{name}`: none is configured"),
        None => format!("unknown {what} `{name}`; known: {}", known.join(", ")),
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;

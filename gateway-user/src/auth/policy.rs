//! A route's compiled `auth` block: which credentials it accepts, what the caller
//! must carry (scopes, groups, claims), and how the upstream request is shaped
//! (forwarded claims, hidden credentials).
use std::sync::Arc;

use http::{HeaderName, request::Parts};
use serde_json::Value;

use super::{
    Authenticator, Identity, acl, config::RouteAuth, error::AuthError, extauthz::ExtAuthzClient,
};

/// A route's compiled `auth` block.
#[derive(Clone)]
pub struct RoutePolicy {
    pub(super) providers: Vec<usize>,
    pub(super) api_key: bool,
    pub(super) mtls: bool,
    pub(super) scopes: Vec<String>,
    pub(super) groups: Vec<String>,
    pub(super) claims: Vec<(String, Vec<String>)>,
    pub(super) anonymous: bool,
    pub(super) forward_claims: Vec<(String, HeaderName)>,
    pub(super) hide_credentials: bool,
    pub(super) ext_authz: Option<Arc<ExtAuthzClient>>,
}

impl RoutePolicy {
    /// Compiles a route's `auth` block against the authenticator's providers.
    pub fn build(route: &RouteAuth, auth: &Authenticator) -> Result<RoutePolicy, AuthError> {
        let mut providers = Vec::with_capacity(route.jwt.len());
        for name in &route.jwt {
            let i = auth.provider_index.get(name).ok_or_else(|| {
                AuthError::Config(format!("the route names an unknown JWT provider `{name}`"))
            })?;
            providers.push(*i);
        }
        let ext_authz = match &route.ext_authz {
            Some(name) => Some(auth.ext.get(name).cloned().ok_or_else(|| {
                AuthError::Config(format!("the route names an unknown ext_authz `{name}`"))
            })?),
            None => None,
        };
        let mut forward_claims = Vec::new();
        for (claim, header) in &route.forward_claims {
            let h = HeaderName::try_from(header.as_str())
                .map_err(|_| AuthError::Config(format!("`{header}` is not a valid header name")))?;
            forward_claims.push((claim.clone(), h));
        }
        Ok(RoutePolicy {
            providers,
            api_key: route.api_key,
            mtls: route.mtls,
            scopes: route.scopes.clone(),
            groups: route.groups.clone(),
            claims: route
                .claims
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
            anonymous: route.anonymous,
            forward_claims,
            hide_credentials: route.hide_credentials,
            ext_authz,
        })
    }

    /// True when the route's only check is its external authorizer.
    pub(super) fn only_ext_authz(&self) -> bool {
        self.ext_authz.is_some() && self.providers.is_empty() && !self.api_key && !self.mtls
    }

    /// Scopes, groups and claim rules for an authenticated caller.
    pub(super) fn authorize(
        &self,
        id: &Identity,
        claims: Option<&serde_json::Map<String, Value>>,
    ) -> Result<(), AuthError> {
        acl::check_scopes(&self.scopes, claims)?;
        acl::check_groups(&self.groups, &id.groups)?;
        acl::check_claims(&self.claims, claims)
    }

    /// Prepares the upstream request: removes client-sent copies of the headers the
    /// gateway sets (they could be forged), adds the identity's headers, and removes
    /// the credential when the route hides it.
    pub fn apply(&self, identity: &Identity, parts: &mut Parts) {
        for (_, h) in &self.forward_claims {
            parts.headers.remove(h);
        }
        if let Some(ext) = &self.ext_authz {
            for h in &ext.upstream_headers {
                parts.headers.remove(h);
            }
        }
        for (h, v) in &identity.claims_headers {
            parts.headers.append(h.clone(), v.clone());
        }
        if self.hide_credentials
            && let Some(loc) = &identity.credential
        {
            loc.remove(parts);
        }
    }
}

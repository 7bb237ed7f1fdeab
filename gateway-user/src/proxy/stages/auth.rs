//! Authentication and authorization of the matched route (`routes[].auth`): who is
//! calling (JWT, API key, client certificate, external authorizer) and whether they
//! may. The caller's identity goes into the context for later stages (limits, logs);
//! forwarded claims are added and hidden credentials removed from the upstream request.
use std::{collections::HashMap, sync::Arc};

use http::request;

use crate::{
    auth::{AuthError, AuthShared, Authenticator, RoutePolicy},
    config::Config,
    proxy::{
        context::RequestContext,
        error::GatewayError,
        stage::{Flow, Stage, StageFuture},
    },
};

/// The auth stage of one runtime snapshot.
pub struct AuthStage {
    auth: Arc<Authenticator>,
    policies: HashMap<String, RoutePolicy>,
    realm: Arc<str>,
}

impl AuthStage {
    /// Builds the authenticator (keys, consumers, JWKS caches) and each route's policy;
    /// failure counts and JWKS caches live in `shared`, which outlives the snapshot.
    pub fn build(config: &Config, shared: &AuthShared) -> Result<AuthStage, AuthError> {
        // Relative paths were resolved against the config file when it was checked.
        let auth = Authenticator::build_with(&config.auth, &config.consumers, None, shared)?;
        let mut policies = HashMap::new();
        for route in &config.routes {
            if let Some(a) = &route.auth {
                let policy = RoutePolicy::build(a, &auth)
                    .map_err(|e| AuthError::Config(format!("route `{}`: {e}", route.name)))?;
                policies.insert(route.name.clone(), policy);
            }
        }
        Ok(AuthStage {
            realm: Arc::from(auth.realm()),
            auth: Arc::new(auth),
            policies,
        })
    }

    /// The authenticator (its failure counters take the ban engine's hook).
    pub fn authenticator(&self) -> &Arc<Authenticator> {
        &self.auth
    }
}

impl Stage for AuthStage {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn is_async(&self) -> bool {
        !self.policies.is_empty()
    }

    fn on_request_async<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        head: &'a mut request::Parts,
    ) -> StageFuture<'a> {
        Box::pin(async move {
            let Some(policy) = ctx
                .route
                .as_ref()
                .and_then(|r| self.policies.get(r.name.as_str()))
            else {
                return Ok(Flow::Continue);
            };
            let peer = ctx.conn.tls.as_ref().and_then(|t| t.client_cert.as_ref());
            match self
                .auth
                .authenticate_client(policy, head, peer, ctx.client_ip)
                .await
            {
                Ok(identity) => {
                    policy.apply(&identity, head);
                    ctx.auth = Some(identity.method.clone());
                    ctx.consumer = identity.key().map(str::to_string);
                    ctx.identity = Some(identity);
                    Ok(Flow::Continue)
                }
                Err(error) => {
                    ctx.auth = Some(error.reason().to_string());
                    Err(GatewayError::Auth {
                        error,
                        realm: self.realm.clone(),
                    })
                }
            }
        })
    }
}

//! Per-route mutual TLS: a route may require a verified client certificate (403
//! without one) and one of a list of SANs (403 otherwise).
use http::request;

use crate::proxy::{
    context::RequestContext,
    error::GatewayError,
    stage::{Flow, Stage, StageResult},
};

/// Enforces the matched route's `client_cert` rule.
pub struct ClientCertCheck;

impl Stage for ClientCertCheck {
    fn name(&self) -> &'static str {
        "client_cert"
    }

    fn on_request(&self, ctx: &mut RequestContext, _head: &mut request::Parts) -> StageResult {
        let Some(rule) = ctx.route.as_ref().and_then(|r| r.client_cert.as_ref()) else {
            return Ok(Flow::Continue);
        };
        let cert = ctx.conn.tls.as_ref().and_then(|t| t.client_cert.as_ref());
        match cert {
            None if rule.required => Err(GatewayError::ClientCertRequired),
            None => Ok(Flow::Continue),
            Some(c) if !rule.san.is_empty() && !rule.san.iter().any(|s| c.has_san(s)) => {
                Err(GatewayError::ClientCertNotAllowed)
            }
            Some(_) => Ok(Flow::Continue),
        }
    }
}

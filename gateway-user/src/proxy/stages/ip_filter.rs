//! IP allow/deny lists (CIDR): the global lists run first of all stages, a route's
//! lists run right after routing. Refusals are 403.
use http::request;

use crate::proxy::{
    context::RequestContext,
    error::GatewayError,
    route::IpAcl,
    stage::{Flow, Stage, StageResult},
};

/// Checks the client IP against the global or the route's allow/deny lists.
pub enum IpFilter {
    /// The `ip` section of the config.
    Global(IpAcl),
    /// The matched route's `ip` section.
    Route,
}

impl Stage for IpFilter {
    fn name(&self) -> &'static str {
        "ip_filter"
    }

    fn on_request(&self, ctx: &mut RequestContext, _head: &mut request::Parts) -> StageResult {
        let permitted = match self {
            Self::Global(acl) => acl.permits(ctx.client_ip),
            Self::Route => ctx
                .route
                .as_ref()
                .is_none_or(|r| r.ip.permits(ctx.client_ip)),
        };
        if permitted {
            Ok(Flow::Continue)
        } else {
            Err(GatewayError::IpDenied)
        }
    }
}

//! Routing: picks the most specific route for the normalized path, host, method and
//! headers; none → 404. A CORS preflight is routed by the method it announces.
use http::{Method, header, request};

use crate::proxy::{
    context::RequestContext,
    error::GatewayError,
    route::RouteTable,
    stage::{Flow, Stage, StageResult},
};

/// Looks the route up in the runtime's table.
pub struct RouteLookup(pub std::sync::Arc<RouteTable>);

/// Whether the request is a CORS preflight.
pub fn is_preflight(head: &request::Parts) -> bool {
    head.method == Method::OPTIONS
        && head.headers.contains_key(header::ORIGIN)
        && head
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

impl Stage for RouteLookup {
    fn name(&self) -> &'static str {
        "route"
    }

    fn on_request(&self, ctx: &mut RequestContext, head: &mut request::Parts) -> StageResult {
        let announced = is_preflight(head)
            .then(|| {
                head.headers
                    .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                    .and_then(|v| Method::from_bytes(v.as_bytes()).ok())
            })
            .flatten();
        let method = announced.as_ref().unwrap_or(&head.method);
        let route = self
            .0
            .find(ctx.host.as_deref(), &ctx.path, method, &head.headers)
            // A preflight to a route without CORS is routed (and proxied) as OPTIONS.
            .filter(|r| announced.is_none() || r.cors.is_some())
            .or_else(|| {
                self.0
                    .find(ctx.host.as_deref(), &ctx.path, &head.method, &head.headers)
            })
            .cloned();
        match route {
            Some(r) => {
                ctx.route = Some(r);
                Ok(Flow::Continue)
            }
            None => Err(GatewayError::NoRoute),
        }
    }
}

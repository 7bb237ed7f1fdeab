//! The request stages, one per file, and the ONE list that orders them. Adding a
//! stage (auth, rate limit, WAF, schema) is adding a file here and a line in `build`.
pub mod auth;
pub mod client_cert;
pub mod cors;
pub mod hygiene;
pub mod ip_filter;
pub mod rate_limit;
pub mod response_headers;
pub mod route;
pub mod schema;
pub mod waf;

use std::sync::Arc;

use super::{
    route::{IpAcl, RouteTable},
    runtime::SecurityHeaderValues,
    stage::Stage,
};
use crate::config::Config;

/// The ordered stages of the request path for this configuration.
///
/// ip filter (global) → hygiene (size limits, smuggling, path) → route (404) →
/// ip filter (route) → client cert → CORS → [auth → rate limit → WAF → schema] →
/// (proxy) → response headers see the response first on the way back.
pub fn build(
    config: &Config,
    routes: &Arc<RouteTable>,
    security: &SecurityHeaderValues,
    auth: auth::AuthStage,
    rate_limit: rate_limit::RateLimitStage,
    waf: Option<waf::WafStage>,
) -> Vec<Box<dyn Stage>> {
    let mut stages: Vec<Box<dyn Stage>> = vec![
        Box::new(ip_filter::IpFilter::Global(IpAcl::new(&config.ip))),
        Box::new(hygiene::Hygiene {
            max_header_bytes: config.limits.max_header_bytes.0,
            max_body: config.limits.max_body.0,
        }),
        Box::new(route::RouteLookup(routes.clone())),
        Box::new(ip_filter::IpFilter::Route),
        Box::new(client_cert::ClientCertCheck),
        Box::new(cors::CorsStage),
        Box::new(auth),
    ];
    // Routes without limits pay nothing for the stage.
    if !rate_limit.limits.is_empty() {
        stages.push(Box::new(rate_limit));
    }
    // Only when some route is inspected; before schema so attacks are refused as such.
    if let Some(waf) = waf.filter(waf::WafStage::is_active) {
        stages.push(Box::new(waf));
    }
    stages.push(Box::new(schema::SchemaValidation));
    stages.push(Box::new(response_headers::ResponseHeaders(
        security.clone(),
    )));
    stages
}

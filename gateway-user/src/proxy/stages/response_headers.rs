//! Response headers: hides upstream identity (`Server`, `X-Powered-By`), adds the
//! security headers (HSTS on TLS listeners only), applies the route's add/remove
//! edits, and replaces upstream 5xx bodies with a generic JSON error on routes with
//! `sanitize_errors` (they leak stack traces and SQL errors).
use http::{HeaderName, HeaderValue, Response, header};

use crate::proxy::{
    body::ProxyBody, context::RequestContext, error::json_error, runtime::SecurityHeaderValues,
    stage::Stage,
};

/// Edits every response head on its way to the client.
pub struct ResponseHeaders(pub SecurityHeaderValues);

const X_POWERED_BY: HeaderName = HeaderName::from_static("x-powered-by");

impl Stage for ResponseHeaders {
    fn name(&self) -> &'static str {
        "response_headers"
    }

    fn on_response(&self, ctx: &mut RequestContext, resp: &mut Response<ProxyBody>) {
        let sanitize = ctx.upstream_status.is_some_and(|s| s >= 500)
            && ctx.route.as_ref().is_some_and(|r| r.sanitize_errors);
        if sanitize {
            let status = resp.status();
            let generic = json_error(
                status,
                "upstream_error",
                status.canonical_reason().unwrap_or("upstream error"),
                &ctx.request_id,
            );
            let (parts, body) = generic.into_parts();
            *resp.body_mut() = body;
            let h = resp.headers_mut();
            for name in [
                header::CONTENT_LENGTH,
                header::CONTENT_ENCODING,
                header::ETAG,
                header::LAST_MODIFIED,
                header::CONTENT_LANGUAGE,
            ] {
                h.remove(name);
            }
            for (k, v) in &parts.headers {
                h.insert(k.clone(), v.clone());
            }
        }
        let h = resp.headers_mut();
        h.remove(header::SERVER);
        h.remove(X_POWERED_BY);
        let sec = &self.0;
        if sec.enabled {
            h.entry(header::X_CONTENT_TYPE_OPTIONS)
                .or_insert(HeaderValue::from_static("nosniff"));
            h.entry(header::X_FRAME_OPTIONS)
                .or_insert(sec.frame_options.clone());
            h.entry(header::REFERRER_POLICY)
                .or_insert(sec.referrer_policy.clone());
            if ctx.is_tls() {
                h.entry(header::STRICT_TRANSPORT_SECURITY)
                    .or_insert(sec.hsts.clone());
            }
        }
        if let Ok(v) = HeaderValue::try_from(ctx.request_id.as_str()) {
            h.insert(HeaderName::from_static("x-request-id"), v);
        }
        if let Some(route) = &ctx.route {
            route.response_headers.apply(h);
        }
    }
}

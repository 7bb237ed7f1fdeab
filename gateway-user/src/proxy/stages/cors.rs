//! CORS per route: the gateway answers preflights itself (204) and adds the
//! `Access-Control-*` headers to responses for allowed origins; a disallowed origin
//! gets no CORS headers at all (the browser then blocks it). `Vary: Origin` is
//! always set on routes with CORS so caches keep answers apart.
use http::{HeaderValue, Response, StatusCode, header, request};

use super::route::is_preflight;
use crate::{
    config::Cors,
    proxy::{
        body::{self, ProxyBody},
        context::RequestContext,
        stage::{Flow, Stage, StageResult},
    },
};

/// Applies the matched route's `cors` policy.
pub struct CorsStage;

fn allowed_origin(cors: &Cors, origin: &HeaderValue) -> Option<HeaderValue> {
    let o = origin.to_str().ok()?;
    if cors.origins.iter().any(|a| a == o) {
        return Some(origin.clone());
    }
    if cors.origins.iter().any(|a| a == "*") {
        // With credentials the spec forbids `*`: echo the origin instead.
        return Some(if cors.credentials {
            origin.clone()
        } else {
            HeaderValue::from_static("*")
        });
    }
    None
}

fn join(items: &[String]) -> Option<HeaderValue> {
    HeaderValue::try_from(items.join(", ")).ok()
}

impl Stage for CorsStage {
    fn name(&self) -> &'static str {
        "cors"
    }

    fn on_request(&self, ctx: &mut RequestContext, head: &mut request::Parts) -> StageResult {
        let Some(cors) = ctx.route.as_ref().and_then(|r| r.cors.as_ref()) else {
            return Ok(Flow::Continue);
        };
        let origin = head.headers.get(header::ORIGIN);
        ctx.cors_origin = origin.and_then(|o| allowed_origin(cors, o));
        if !is_preflight(head) {
            return Ok(Flow::Continue);
        }
        let mut resp = Response::new(body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        if ctx.cors_origin.is_some() {
            let requested = head
                .headers
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let method_ok = cors
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(requested));
            if method_ok {
                let h = resp.headers_mut();
                if let Some(v) = join(&cors.methods) {
                    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
                }
                if !cors.headers.is_empty()
                    && let Some(v) = join(&cors.headers)
                {
                    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
                }
                h.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from(cors.max_age.0.as_secs()),
                );
            } else {
                // A method the policy does not allow: answer without CORS headers.
                ctx.cors_origin = None;
            }
        }
        Ok(Flow::Respond(resp))
    }

    fn on_response(&self, ctx: &mut RequestContext, resp: &mut Response<ProxyBody>) {
        let Some(cors) = ctx.route.as_ref().and_then(|r| r.cors.as_ref()) else {
            return;
        };
        let h = resp.headers_mut();
        h.append(header::VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = ctx.cors_origin.clone() else {
            // Never pass the upstream's own CORS decision for an origin we refuse.
            h.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
            h.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
            return;
        };
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if cors.credentials {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if !cors.expose_headers.is_empty()
            && let Some(v) = join(&cors.expose_headers)
        {
            h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
        }
    }
}

//! Admin API endpoints: what each path answers. Errors become JSON in `json_error`.
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::json;

use crate::{
    limit::{self, LimiterSlot},
    reload::{Reload, ReloadError, ReloadSource},
    telemetry::Telemetry,
};

/// Content type of the OpenMetrics text that prometheus-client renders.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether the gateway can take traffic: configuration loaded and listeners bound.
#[derive(Debug, Default)]
pub struct Readiness(AtomicBool);

impl Readiness {
    /// Marks the gateway ready (after binding) or not (while draining).
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the admin endpoints read and act on.
pub struct AdminState {
    /// Metrics rendered by `/metrics`.
    pub telemetry: Arc<Telemetry>,
    /// Readiness reported by `/readyz`.
    pub ready: Arc<Readiness>,
    /// What `POST /admin/reload` calls.
    pub reload: Arc<dyn Reload>,
    /// The rate limiter in force, for `/admin/limits` (`gateway limits show|reset`).
    pub limits: Arc<LimiterSlot>,
}

/// Answers one admin request.
pub async fn handle<B>(req: Request<B>, state: Arc<AdminState>) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    let method = req.method();
    match path {
        "/metrics" => only(method, &[Method::GET, Method::HEAD], || {
            let mut body = state.telemetry.metrics.encode();
            if let Some(bans) = crate::bans::installed() {
                let at = body.rfind("# EOF").unwrap_or(body.len());
                body.insert_str(at, &bans.metrics_text());
            }
            response(StatusCode::OK, OPENMETRICS, body)
        }),
        "/healthz" => only(method, &[Method::GET, Method::HEAD], || {
            json_response(StatusCode::OK, json!({"status": "ok"}))
        }),
        "/readyz" => only(method, &[Method::GET, Method::HEAD], || readyz(&state)),
        "/admin/reload" => {
            if method != Method::POST {
                return method_not_allowed(&[Method::POST]);
            }
            reload(&state).await
        }
        limit::admin::PATH => match state.limits.load_full() {
            Some(limiter) => {
                let (status, body) =
                    limit::admin::handle(&limiter, method, req.uri().query()).await;
                json_response(status, body)
            }
            None => json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the rate limiter is not running yet",
                None,
            ),
        },
        _ => json_error(StatusCode::NOT_FOUND, "not found", None),
    }
}

fn readyz(state: &AdminState) -> Response<Full<Bytes>> {
    let digest = state.reload.current_digest();
    if state.ready.is_ready() && digest.is_some() {
        json_response(StatusCode::OK, json!({"status": "ready", "digest": digest}))
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "not ready", "digest": digest}),
        )
    }
}

async fn reload(state: &AdminState) -> Response<Full<Bytes>> {
    let reloader = Arc::clone(&state.reload);
    // Reading files and certificates blocks: run it on the blocking pool.
    let outcome = tokio::task::spawn_blocking(move || reloader.reload(ReloadSource::Admin)).await;
    match outcome {
        Ok(Ok(applied)) => json_response(
            StatusCode::OK,
            json!({
                "status": "applied",
                "digest": applied.digest,
                "previous": applied.previous,
                "changed": applied.changed(),
            }),
        ),
        Ok(Err(err @ ReloadError::Invalid(_))) => json_error(
            StatusCode::BAD_REQUEST,
            "invalid configuration; the previous one keeps running",
            Some(err.to_string()),
        ),
        Ok(Err(err @ ReloadError::Build(_))) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "configuration not applied; the previous one keeps running",
            Some(err.to_string()),
        ),
        Err(join) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the reload failed; the previous configuration keeps running",
            Some(join.to_string()),
        ),
    }
}

fn only(
    method: &Method,
    allowed: &[Method],
    answer: impl FnOnce() -> Response<Full<Bytes>>,
) -> Response<Full<Bytes>> {
    if allowed.contains(method) {
        answer()
    } else {
        method_not_allowed(allowed)
    }
}

fn method_not_allowed(allowed: &[Method]) -> Response<Full<Bytes>> {
    let mut resp = json_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", None);
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        resp.headers_mut().insert(header::ALLOW, value);
    }
    resp
}

/// The one place admin errors become responses: `{"error": …, "detail": …}`.
fn json_error(status: StatusCode, error: &str, detail: Option<String>) -> Response<Full<Bytes>> {
    let body = match detail {
        Some(detail) => json!({"error": error, "detail": detail}),
        None => json!({"error": error}),
    };
    json_response(status, body)
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut text = body.to_string();
    text.push('\n');
    response(status, "application/json", text)
}

fn response(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        "x-content-type-options",
        header::HeaderValue::from_static("nosniff"),
    );
    resp
}

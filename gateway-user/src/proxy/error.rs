//! `GatewayError`: every reason the gateway answers a request itself, and the ONE
//! place such an answer becomes an HTTP response (a small JSON body carrying the
//! request id, never internal detail).
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use super::body::{ProxyBody, full};

/// Why the gateway answered a request itself instead of the upstream.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request is malformed (bad path encoding, smuggling attempt, bad header).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// No route matches the request.
    #[error("no route matches the request")]
    NoRoute,
    /// The client IP is refused by an allow/deny list.
    #[error("client IP is not allowed")]
    IpDenied,
    /// The route requires a verified client certificate that was not presented.
    #[error("a verified client certificate is required")]
    ClientCertRequired,
    /// The client certificate carries none of the SANs the route accepts.
    #[error("the client certificate is not allowed on this route")]
    ClientCertNotAllowed,
    /// The request head is larger than `limits.max_header_bytes`.
    #[error("request headers too large")]
    HeadersTooLarge,
    /// The request body is larger than `limits.max_body`.
    #[error("request body too large")]
    BodyTooLarge,
    /// The method is not allowed (kept for stages that refuse methods).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too many requests or connections from this client.
    #[error("too many requests")]
    TooManyRequests,
    /// The upstream could not be reached or answered with garbage.
    #[error("bad gateway")]
    BadGateway,
    /// Every target of the upstream is down or ejected.
    #[error("no healthy upstream")]
    NoHealthyUpstream,
    /// The upstream did not answer in time.
    #[error("upstream timeout")]
    GatewayTimeout,
    /// The gateway itself failed (a bug or resource exhaustion).
    #[error("internal error")]
    Internal,
    /// A rate limit or quota ran out (429), or the limit store is unreachable
    /// without fallback (503); the body says which and when to retry.
    #[error("rate limited")]
    RateLimited(std::sync::Arc<crate::limit::Decision>),
    /// Authentication or authorization refused the request: 401 with an RFC 6750
    /// challenge, 403, or 503 (keys or authorizer unavailable).
    #[error("{error}")]
    Auth {
        /// Why.
        error: crate::auth::AuthError,
        /// Realm named in `WWW-Authenticate`.
        realm: std::sync::Arc<str>,
    },
    /// The request breaks the route's validation rules (schema, content type, JSON
    /// limits): 400/413/415 with the validator's JSON body (errors listed).
    #[error("request validation failed")]
    Invalid(crate::validate::Rejection),
    /// The WAF scored the request as an attack (403); the log carries the rule ids.
    #[error("blocked by the WAF")]
    WafBlocked,
    /// A stage-specific refusal with its own status and public message (auth, WAF, …).
    #[error("{message}")]
    Refused {
        /// HTTP status sent.
        status: StatusCode,
        /// Short machine-readable code (`unauthorized`, `waf_blocked`, …).
        code: &'static str,
        /// Public message; never internal detail.
        message: &'static str,
    },
}

impl GatewayError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::IpDenied
            | Self::ClientCertRequired
            | Self::ClientCertNotAllowed
            | Self::WafBlocked => StatusCode::FORBIDDEN,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::NoHealthyUpstream => StatusCode::SERVICE_UNAVAILABLE,
            Self::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Invalid(r) => r.status,
            Self::Refused { status, .. } => *status,
            Self::RateLimited(d) => d.refusal_status().unwrap_or(StatusCode::TOO_MANY_REQUESTS),
            Self::Auth { error, .. } => error.status(),
        }
    }

    /// Short machine-readable code put in the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::NoRoute => "not_found",
            Self::IpDenied => "forbidden",
            Self::ClientCertRequired => "client_certificate_required",
            Self::ClientCertNotAllowed => "client_certificate_not_allowed",
            Self::HeadersTooLarge => "request_header_fields_too_large",
            Self::BodyTooLarge => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::TooManyRequests => "too_many_requests",
            Self::BadGateway => "bad_gateway",
            Self::NoHealthyUpstream => "service_unavailable",
            Self::GatewayTimeout => "gateway_timeout",
            Self::Internal => "internal_error",
            Self::WafBlocked => "waf_blocked",
            Self::Invalid(r) => match r.status {
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                _ => "invalid_request",
            },
            Self::Refused { code, .. } => code,
            Self::RateLimited(d) => match (d.error.is_some(), d.exhausted) {
                (true, _) => "rate_limit_unavailable",
                (false, Some(crate::limit::Exhausted::Quota)) => "quota_exceeded",
                (false, _) => "rate_limited",
            },
            Self::Auth { error, .. } => error.reason(),
        }
    }

    /// Public message put in the JSON body (the client's own mistake may be named,
    /// upstream and internal failures never are).
    pub fn public_message(&self) -> &'static str {
        match self {
            Self::BadRequest(why) => why,
            Self::NoRoute => "no route matches the request",
            Self::IpDenied => "access denied",
            Self::ClientCertRequired => "a verified client certificate is required",
            Self::ClientCertNotAllowed => "the client certificate is not allowed",
            Self::HeadersTooLarge => "request headers too large",
            Self::BodyTooLarge => "request body too large",
            Self::MethodNotAllowed => "method not allowed",
            Self::TooManyRequests => "too many requests",
            Self::BadGateway => "the upstream service failed",
            Self::NoHealthyUpstream => "no upstream service is available",
            Self::GatewayTimeout => "the upstream service timed out",
            Self::Internal => "internal error",
            Self::WafBlocked => "the request was blocked by the web application firewall",
            Self::Invalid(_) => "the request does not meet this API's validation rules",
            Self::Refused { message, .. } => message,
            Self::RateLimited(d) if d.error.is_some() => {
                "rate limits cannot be checked right now; retry later"
            }
            Self::RateLimited(_) => "too many requests",
            Self::Auth { .. } => "authentication failed",
        }
    }

    /// Turns the error into the response sent to the client.
    pub fn to_response(&self, request_id: &str) -> Response<ProxyBody> {
        if let Self::RateLimited(d) = self {
            // The limiter's body says whether a rate or a quota ran out and when to
            // retry; `Retry-After` and the RateLimit headers come from the stage.
            let mut body = crate::limit::rejection_body(d);
            body["request_id"] = request_id.into();
            return json_response(self.status(), &body, request_id);
        }
        if let Self::Auth { error, realm } = self {
            // The description says what is wrong with the credential, never the credential.
            let mut resp = json_error(self.status(), self.code(), &error.to_string(), request_id);
            for (name, value) in error.response(realm).headers {
                if name != header::CONTENT_TYPE {
                    resp.headers_mut().insert(name, value);
                }
            }
            return resp;
        }
        if let Self::Invalid(rejection) = self {
            // The validator's body lists the errors; it gets the same envelope fields.
            let mut rejection = rejection.clone();
            rejection.set_request_id(request_id);
            if let Some(obj) = rejection.body.as_object_mut() {
                obj.insert("status".into(), rejection.status.as_u16().into());
            }
            return json_response(rejection.status, &rejection.body, request_id);
        }
        json_error(
            self.status(),
            self.code(),
            self.public_message(),
            request_id,
        )
    }
}

/// A JSON error response: `{"error": code, "message": …, "request_id": …}`.
pub fn json_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<ProxyBody> {
    let body = serde_json::json!({
        "error": code,
        "message": message,
        "status": status.as_u16(),
        "request_id": request_id,
    });
    json_response(status, &body, request_id)
}

/// A response with a JSON `body`, uncacheable, carrying `X-Request-Id`.
fn json_response(
    status: StatusCode,
    body: &serde_json::Value,
    request_id: &str,
) -> Response<ProxyBody> {
    let mut resp = Response::new(full(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn upstream_failure_is_answered_with_json_carrying_the_request_id_and_no_detail() {
        let resp = GatewayError::BadGateway.to_response("abc123");
        assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(resp.headers()["x-request-id"], "abc123");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["request_id"], "abc123");
        assert_eq!(v["error"], "bad_gateway");
    }
}

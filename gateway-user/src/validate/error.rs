//! What validation refuses and how it is told to the client: every refusal is a
//! [`Rejection`] (status + JSON body) built here and nowhere else.
//!
//! - 400 `{"error":"invalid_request","request_id":…,"message":…,"error_count":N,
//!   "errors":[{"in":"body","path":"/items/0/name","message":…}]}` (brief: the
//!   first error; detailed: up to [`MAX_LISTED_ERRORS`]).
//! - 415 `{"error":"unsupported_media_type",…,"allowed":["application/json"]}`
//!   (also for a compressed body under a schema: `Content-Encoding: gzip`).
//! - 413 `{"error":"payload_too_large",…,"limit":1048576}`.
//!
//! Messages never echo the request's values (the schema messages are masked), so
//! a response cannot reflect an attacker's payload.
use http::StatusCode;
use serde_json::{Value, json};

use super::config::Verbosity;

/// Most errors listed in a `detailed` 400 response.
pub const MAX_LISTED_ERRORS: usize = 20;
/// Most errors counted; `error_count` at this value means "at least" (and
/// `error_count_capped` is true).
pub const MAX_COUNTED_ERRORS: usize = 100;

/// A refused request: the status and JSON body to answer with.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// 400, 413 or 415.
    pub status: StatusCode,
    /// The JSON body; `request_id` is null until [`Rejection::set_request_id`].
    pub body: Value,
}

impl Rejection {
    /// Fills in the request id the gateway assigned (the body carries it for support).
    pub fn set_request_id(&mut self, id: &str) {
        if let Some(obj) = self.body.as_object_mut() {
            obj.insert("request_id".to_string(), Value::String(id.to_string()));
        }
    }

    /// The short machine-readable code (`invalid_request`, …), for logs and metrics.
    pub fn code(&self) -> &str {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("invalid_request")
    }
}

/// Which part of the request an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The JSON body.
    Body,
    /// The query string.
    Query,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Body => "body",
            Part::Query => "query",
        }
    }
}

/// One problem found in a request, located by JSON Pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where in the request: the body or the query.
    pub part: Part,
    /// JSON Pointer into the body or the query object (`""` is the whole thing).
    pub path: String,
    /// What is wrong, without the offending value.
    pub message: String,
}

/// Everything validation can refuse a request for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The body or query does not match its schema (`total` errors, some listed).
    #[error("the request {} does not match the schema", .violations.first().map_or("", |v| v.part.name()))]
    Schema {
        /// The errors found, in schema order (already bounded).
        violations: Vec<Violation>,
        /// How many errors there were in all.
        total: usize,
    },
    /// The body is not JSON.
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    /// An urlencoded form body that is not UTF-8 (percent-encoding is).
    #[error("the request body is not a valid urlencoded form: it is not UTF-8 text")]
    InvalidForm,
    /// A schema is set but the body is empty.
    #[error("the request body is empty; a JSON body is required")]
    EmptyBody,
    /// The body nests deeper than `max_json_depth`.
    #[error("the JSON body nests arrays/objects deeper than {0} levels")]
    TooDeep(usize),
    /// The body is larger than `max_json_bytes`.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body is compressed (`Content-Encoding`), so it cannot be validated.
    #[error(
        "request bodies with Content-Encoding `{0}` cannot be validated; send them uncompressed"
    )]
    Encoded(String),
    /// The content type is not one of the allowed ones (`None`: no Content-Type).
    #[error("unsupported content type")]
    ContentType {
        /// What the client sent.
        got: Option<String>,
        /// What the route accepts.
        allowed: Vec<String>,
    },
}

impl ValidationError {
    /// The response for this error, listing errors as `verbosity` says.
    pub fn into_rejection(self, verbosity: Verbosity) -> Rejection {
        let message = self.to_string();
        match self {
            ValidationError::Schema { violations, total } => {
                let shown = match verbosity {
                    Verbosity::Brief => 1,
                    Verbosity::Detailed => MAX_LISTED_ERRORS,
                };
                let errors: Vec<Value> = violations
                    .iter()
                    .take(shown)
                    .map(|v| json!({ "in": v.part.name(), "path": v.path, "message": v.message }))
                    .collect();
                let mut r = invalid(&message, total, errors);
                if total >= MAX_COUNTED_ERRORS
                    && let Some(obj) = r.body.as_object_mut()
                {
                    obj.insert("error_count_capped".into(), Value::Bool(true));
                }
                r
            }
            ValidationError::InvalidJson(_)
            | ValidationError::InvalidForm
            | ValidationError::EmptyBody
            | ValidationError::TooDeep(_) => invalid(
                &message,
                1,
                vec![json!({ "in": "body", "path": "", "message": message })],
            ),
            ValidationError::Encoded(_) => Rejection {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                body: json!({
                    "error": "unsupported_media_type",
                    "request_id": null,
                    "message": message,
                    "allowed_encodings": ["identity"],
                }),
            },
            ValidationError::TooLarge(limit) => Rejection {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                body: json!({
                    "error": "payload_too_large",
                    "request_id": null,
                    "message": message,
                    "limit": limit,
                }),
            },
            ValidationError::ContentType { got, allowed } => {
                let message = match &got {
                    Some(_) => format!(
                        "unsupported content type; this endpoint accepts: {}",
                        allowed.join(", ")
                    ),
                    None => format!(
                        "the request has a body but no Content-Type; this endpoint accepts: {}",
                        allowed.join(", ")
                    ),
                };
                Rejection {
                    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    body: json!({
                        "error": "unsupported_media_type",
                        "request_id": null,
                        "message": message,
                        "allowed": allowed,
                    }),
                }
            }
        }
    }
}

fn invalid(message: &str, total: usize, errors: Vec<Value>) -> Rejection {
    Rejection {
        status: StatusCode::BAD_REQUEST,
        body: json!({
            "error": "invalid_request",
            "request_id": null,
            "message": message,
            "error_count": total,
            "errors": errors,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_error(n: usize) -> ValidationError {
        ValidationError::Schema {
            violations: (0..n)
                .map(|i| Violation {
                    part: Part::Body,
                    path: format!("/items/{i}/name"),
                    message: "value is not of type \"string\"".to_string(),
                })
                .collect(),
            total: n,
        }
    }

    #[test]
    fn brief_lists_the_first_error_and_the_count() {
        let r = schema_error(3).into_rejection(Verbosity::Brief);
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.body["error"], "invalid_request");
        assert_eq!(r.body["error_count"], 3);
        assert_eq!(r.body["errors"].as_array().map(Vec::len), Some(1));
        assert_eq!(r.body["errors"][0]["path"], "/items/0/name");
    }

    #[test]
    fn detailed_lists_every_error_up_to_the_bound() {
        let r = schema_error(3).into_rejection(Verbosity::Detailed);
        assert_eq!(r.body["errors"].as_array().map(Vec::len), Some(3));
        let r = schema_error(50).into_rejection(Verbosity::Detailed);
        assert_eq!(
            r.body["errors"].as_array().map(Vec::len),
            Some(MAX_LISTED_ERRORS)
        );
        assert_eq!(r.body["error_count"], 50);
    }

    #[test]
    fn wrong_content_type_is_415_with_the_allowed_list() {
        let r = ValidationError::ContentType {
            got: Some("text/plain".into()),
            allowed: vec!["application/json".into()],
        }
        .into_rejection(Verbosity::Brief);
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(r.body["allowed"][0], "application/json");
    }

    #[test]
    fn the_request_id_is_filled_in_by_the_caller() {
        let mut r = ValidationError::TooLarge(10).into_rejection(Verbosity::Brief);
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.body["request_id"].is_null());
        r.set_request_id("abc");
        assert_eq!(r.body["request_id"], "abc");
        assert_eq!(r.code(), "payload_too_large");
    }
}

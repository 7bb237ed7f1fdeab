//! Request validation (a route's `validate:` key): the body (JSON, or an
//! urlencoded form read like a query string) against a JSON Schema, the query
//! string against another, the content type against an allowed list,
//! and JSON depth/size limits checked while streaming, before the body is parsed.
//!
//! Schemas are compiled once when the configuration loads ([`Validator::build`]);
//! on the request path `check_head` looks at the head (content type, query) and
//! `check_body` at the buffered body. Refusals are [`Rejection`]s (400/413/415
//! with a JSON body) built in `error.rs`.
mod config;
mod content_type;
mod depth;
mod error;
mod json;
mod query;
mod schema;

use std::path::Path;

use http::{Method, header, request};
use serde_json::Value;

pub use config::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT, ValidateConfig, Verbosity,
};
pub use content_type::{MediaRange, is_form, is_json};
pub use depth::{TooDeep, check_depth};
pub use error::{
    MAX_COUNTED_ERRORS, MAX_LISTED_ERRORS, Part, Rejection, ValidationError, Violation,
};
pub use json::parse_strict;
pub use query::QueryShape;

use schema::CompiledSchema;

/// Why a `validate:` configuration cannot be built; `key()` names the culprit.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The schema file cannot be read.
    #[error("cannot read the schema `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The schema file is not JSON.
    #[error("the schema `{path}` is not valid JSON: {source}")]
    Json {
        /// The file.
        path: String,
        /// Where the JSON is broken.
        source: serde_json::Error,
    },
    /// The JSON is not a valid schema (bad keyword value, unknown `$schema`,
    /// unresolvable `$ref`, pattern the linear-time engine cannot compile, …).
    #[error("the schema `{path}` does not compile: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The compiler's explanation.
        message: String,
    },
    /// A `content_types` entry is malformed, or is a type `body_schema` cannot read.
    #[error("{0}")]
    ContentType(String),
    /// `max_json_depth` out of range.
    #[error("max_json_depth {0} must be between 1 and {MAX_DEPTH_LIMIT}")]
    Depth(usize),
    /// `max_json_bytes` is zero.
    #[error("max_json_bytes 0 would refuse every body; set a size like 1MiB")]
    ZeroBytes,
}

/// Which key of the `validate:` block a [`ValidateError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// `body_schema`.
    BodySchema,
    /// `query_schema`.
    QuerySchema,
    /// `content_types`, item `n`.
    ContentTypes(usize),
    /// `max_json_depth`.
    MaxJsonDepth,
    /// `max_json_bytes`.
    MaxJsonBytes,
}

impl Key {
    /// The key's name in the YAML.
    pub fn name(self) -> &'static str {
        match self {
            Key::BodySchema => "body_schema",
            Key::QuerySchema => "query_schema",
            Key::ContentTypes(_) => "content_types",
            Key::MaxJsonDepth => "max_json_depth",
            Key::MaxJsonBytes => "max_json_bytes",
        }
    }
}

/// A route's compiled validation, shared read-only by every request.
#[derive(Debug)]
pub struct Validator {
    /// The body schema, and how an urlencoded form body becomes JSON for it.
    body: Option<(CompiledSchema, QueryShape)>,
    query: Option<(CompiledSchema, QueryShape)>,
    content_types: Option<Vec<MediaRange>>,
    max_depth: usize,
    max_bytes: usize,
    verbosity: Verbosity,
}

impl Validator {
    /// Compiles `config` (schema paths relative to `base_dir`); stops at the first error.
    pub fn build(config: &ValidateConfig, base_dir: &Path) -> Result<Validator, ValidateError> {
        Self::build_keyed(config, base_dir).map_err(|(_, e)| e)
    }

    /// Like [`Validator::build`], also saying which key is wrong (for `gateway check`).
    pub fn build_keyed(
        config: &ValidateConfig,
        base_dir: &Path,
    ) -> Result<Validator, (Key, ValidateError)> {
        if config.max_json_depth == 0 || config.max_json_depth > MAX_DEPTH_LIMIT {
            return Err((
                Key::MaxJsonDepth,
                ValidateError::Depth(config.max_json_depth),
            ));
        }
        if config.max_json_bytes.is_some_and(|b| b.0 == 0) {
            return Err((Key::MaxJsonBytes, ValidateError::ZeroBytes));
        }
        let content_types = match config.effective_content_types() {
            None => None,
            Some(list) => {
                let mut ranges = Vec::with_capacity(list.len());
                for (i, pattern) in list.iter().enumerate() {
                    let range = MediaRange::parse(pattern)
                        .map_err(|e| (Key::ContentTypes(i), ValidateError::ContentType(e)))?;
                    if config.body_schema.is_some()
                        && !range.is_json_only()
                        && !range.is_form_only()
                    {
                        return Err((
                            Key::ContentTypes(i),
                            ValidateError::ContentType(format!(
                                "`{pattern}` is neither JSON nor an urlencoded form, but body_schema validates those bodies: allow only application/json, application/*+json or application/x-www-form-urlencoded"
                            )),
                        ));
                    }
                    ranges.push(range);
                }
                Some(ranges)
            }
        };
        let shaped = |file: &Path, key: Key| {
            let compiled = schema::compile(file, base_dir).map_err(|e| (key, e))?;
            let shape = QueryShape::from_schema(&compiled.document);
            Ok((compiled, shape))
        };
        let body = match &config.body_schema {
            Some(file) => Some(shaped(file, Key::BodySchema)?),
            None => None,
        };
        let query = match &config.query_schema {
            Some(file) => Some(shaped(file, Key::QuerySchema)?),
            None => None,
        };
        Ok(Validator {
            body,
            query,
            content_types,
            max_depth: config.max_json_depth,
            max_bytes: config.max_bytes(),
            verbosity: config.errors,
        })
    }

    /// Checks the request head: the content type (when the request has a body) and
    /// the query string against the query schema.
    pub fn check_head(&self, head: &request::Parts) -> Result<(), Rejection> {
        self.head(head)
            .map_err(|e| e.into_rejection(self.verbosity))
    }

    /// Checks the whole buffered body: size, then for JSON nesting and syntax, then
    /// the schema (an urlencoded form is read into an object like a query string).
    pub fn check_body(&self, content_type: Option<&str>, body: &[u8]) -> Result<(), Rejection> {
        self.body(content_type, body)
            .map_err(|e| e.into_rejection(self.verbosity))
    }

    /// How many body bytes the stage must buffer: a body longer than this is
    /// answered with [`Validator::too_large`].
    pub fn body_limit(&self) -> usize {
        self.max_bytes
    }

    /// The 413 answer for a body longer than [`Validator::body_limit`].
    pub fn too_large(&self) -> Rejection {
        ValidationError::TooLarge(self.max_bytes).into_rejection(self.verbosity)
    }

    /// Whether `check_body` must run for this request: on a route with a body
    /// schema, when it has a body or is a POST/PUT/PATCH (an empty body is then
    /// refused); otherwise only for JSON bodies (size and depth limits). Other
    /// bodies (uploads on a `content_types: [multipart/form-data]` route) are
    /// never buffered here.
    pub fn inspects_body(&self, head: &request::Parts) -> bool {
        if self.body.is_some() {
            return has_body(head)
                || matches!(head.method, Method::POST | Method::PUT | Method::PATCH);
        }
        has_body(head)
            && head
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(is_json)
    }

    fn head(&self, head: &request::Parts) -> Result<(), ValidationError> {
        if let Some(allowed) = &self.content_types
            && has_body(head)
        {
            let got = head
                .headers
                .get(header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            if !got
                .as_deref()
                .is_some_and(|ct| allowed.iter().any(|r| r.matches(ct)))
            {
                return Err(ValidationError::ContentType {
                    got,
                    allowed: allowed.iter().map(|r| r.text.clone()).collect(),
                });
            }
        }
        if self.body.is_some()
            && let Some(coding) = head.headers.get(header::CONTENT_ENCODING)
            && !coding.as_bytes().eq_ignore_ascii_case(b"identity")
        {
            // Compressed bytes would only ever fail as "invalid JSON"; say why instead.
            return Err(ValidationError::Encoded(
                String::from_utf8_lossy(coding.as_bytes()).into_owned(),
            ));
        }
        if let Some((schema, shape)) = &self.query {
            let query = shape.to_json(head.uri.query().unwrap_or(""));
            run_schema(schema, &query, Part::Query)?;
        }
        Ok(())
    }

    fn body(&self, content_type: Option<&str>, body: &[u8]) -> Result<(), ValidationError> {
        let json_body = content_type.is_some_and(is_json);
        if self.body.is_none() && !json_body {
            return Ok(());
        }
        if body.len() > self.max_bytes {
            return Err(ValidationError::TooLarge(self.max_bytes));
        }
        let Some((schema, form_shape)) = &self.body else {
            // No schema: JSON bodies still get the depth limit (cheap, no parse).
            return check_depth(body, self.max_depth)
                .map(drop)
                .map_err(|e| ValidationError::TooDeep(e.max_depth));
        };
        if content_type.is_some_and(is_form) {
            // An empty form is an empty object: the schema's `required` decides.
            let text = std::str::from_utf8(body).map_err(|_| ValidationError::InvalidForm)?;
            return run_schema(schema, &form_shape.to_json(text), Part::Body);
        }
        if body.is_empty() {
            return Err(ValidationError::EmptyBody);
        }
        check_depth(body, self.max_depth).map_err(|e| ValidationError::TooDeep(e.max_depth))?;
        let value =
            json::parse_strict(body).map_err(|e| ValidationError::InvalidJson(e.to_string()))?;
        run_schema(schema, &value, Part::Body)
    }
}

/// Validates `instance`, keeping the first [`MAX_LISTED_ERRORS`] errors and a count.
fn run_schema(
    schema: &CompiledSchema,
    instance: &Value,
    part: Part,
) -> Result<(), ValidationError> {
    let mut violations = Vec::new();
    let mut total = 0usize;
    // Counting stops at MAX_COUNTED_ERRORS: a 1 MiB array of wrong items would
    // otherwise cost one error object per item just to print a number.
    for err in schema
        .validator
        .iter_errors(instance)
        .take(MAX_COUNTED_ERRORS)
    {
        total += 1;
        if violations.len() < MAX_LISTED_ERRORS {
            violations.push(Violation {
                part,
                path: err.instance_path().as_str().to_string(),
                message: err.masked().to_string(),
            });
        }
    }
    if total == 0 {
        Ok(())
    } else {
        Err(ValidationError::Schema { violations, total })
    }
}

/// Whether the request has a body, as its transport saw it: put in the request
/// head's extensions by the server (`!incoming.is_end_stream()`), before the
/// validate stage runs.
///
/// Headers alone cannot say: an HTTP/2 or HTTP/3 request may carry a body with no
/// Content-Length (END_STREAM simply isn't on its HEADERS frame). Without this
/// marker, such a body on a GET would skip the content-type check and the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyPresent(pub bool);

/// Whether the request has a body: the server's [`BodyPresent`] marker when it set
/// one, otherwise what the headers announce (a non-zero Content-Length, or chunked).
fn has_body(head: &request::Parts) -> bool {
    if let Some(BodyPresent(present)) = head.extensions.get::<BodyPresent>() {
        return *present || announced_body(head);
    }
    announced_body(head)
}

/// Whether the headers announce a body (a non-zero Content-Length, or chunked).
fn announced_body(head: &request::Parts) -> bool {
    if head.headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    head.headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
}

#[cfg(test)]
mod tests;

//! The per-route `validate:` configuration key, as plain data (serde). Compiling
//! it (reading schemas) is `Validator::build`'s job; `config` only deserializes it.
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::ByteSize;

/// Default `max_json_depth`: deep enough for real APIs, far below stack trouble.
pub const DEFAULT_MAX_DEPTH: usize = 32;
/// Highest `max_json_depth` accepted: the JSON parser's own nesting limit.
pub const MAX_DEPTH_LIMIT: usize = 128;
/// Default `max_json_bytes` (1 MiB): bodies under a schema are buffered whole.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;

/// A route's request validation: JSON Schemas for the body and the query string,
/// allowed content types, and JSON size/depth limits.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateConfig {
    /// JSON Schema file the JSON body must match (relative to the config file).
    #[serde(default)]
    pub body_schema: Option<PathBuf>,
    /// JSON Schema file the query parameters (as a JSON object) must match.
    #[serde(default)]
    pub query_schema: Option<PathBuf>,
    /// Media types a request body may have (`application/json`, `application/*+json`,
    /// `text/*`); parameters such as `charset` are ignored. When absent and a body
    /// schema is set: `application/json` and `application/*+json`.
    #[serde(default)]
    pub content_types: Option<Vec<String>>,
    /// Deepest nesting of arrays/objects accepted in a JSON body.
    #[serde(default = "default_depth")]
    pub max_json_depth: usize,
    /// Largest JSON body accepted (413 above); 1MiB when absent.
    #[serde(default)]
    pub max_json_bytes: Option<ByteSize>,
    /// How much a 400 tells the client: the first error (`brief`) or all (`detailed`).
    #[serde(default)]
    pub errors: Verbosity,
}

/// How many schema errors a 400 response lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verbosity {
    /// The error count and the first error.
    #[default]
    Brief,
    /// Every error, up to [`super::error::MAX_LISTED_ERRORS`].
    Detailed,
}

fn default_depth() -> usize {
    DEFAULT_MAX_DEPTH
}

impl ValidateConfig {
    /// The content types a body must have, after defaults; `None` means any.
    pub fn effective_content_types(&self) -> Option<Vec<String>> {
        match (&self.content_types, &self.body_schema) {
            (Some(list), _) => Some(list.clone()),
            (None, Some(_)) => Some(vec![
                "application/json".to_string(),
                "application/*+json".to_string(),
            ]),
            (None, None) => None,
        }
    }

    /// The largest body accepted, in bytes.
    pub fn max_bytes(&self) -> usize {
        let bytes = self.max_json_bytes.map_or(DEFAULT_MAX_BYTES, |b| b.0);
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}

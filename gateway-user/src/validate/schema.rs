//! Compiling one JSON Schema file with the `jsonschema` crate, once, at config load.
//!
//! The draft (4, 6, 7, 2019-09, 2020-12) comes from the schema's `$schema` (2020-12
//! when absent). `$ref`s resolve against the schema file's own location, so
//! `{"$ref": "common.json#/$defs/name"}` reads `common.json` next to it; only local
//! files are ever read (no network resolution is compiled in). `pattern` uses the
//! linear-time `regex` engine: a hostile body cannot make a pattern backtrack.
//! `format` (`email`, `uuid`, `date-time`, …) is asserted in every draft.
use std::path::{Path, PathBuf};

use jsonschema::{PatternOptions, Retrieve, Uri};
use serde_json::Value;

use super::ValidateError;

/// A compiled schema and the JSON it was compiled from (read for query coercion).
pub struct CompiledSchema {
    /// The compiled validator.
    pub validator: jsonschema::Validator,
    /// The schema document itself.
    pub document: Value,
    /// The file it came from (absolute when it could be resolved).
    pub path: PathBuf,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Reads and compiles the schema at `file` (relative paths against `base_dir`).
pub fn compile(file: &Path, base_dir: &Path) -> Result<CompiledSchema, ValidateError> {
    let joined = if file.is_relative() {
        base_dir.join(file)
    } else {
        file.to_path_buf()
    };
    let path = std::fs::canonicalize(&joined).unwrap_or(joined);
    let shown = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|e| ValidateError::Read {
        path: shown.clone(),
        source: e,
    })?;
    let document: Value = serde_json::from_slice(&bytes).map_err(|e| ValidateError::Json {
        path: shown.clone(),
        source: e,
    })?;
    let validator = jsonschema::options()
        .with_base_uri(file_uri(&path))
        .with_retriever(LocalFiles)
        .with_pattern_options(PatternOptions::regex())
        // 2019-09+ make `format` an annotation; at an API edge `format: uuid` is
        // meant as a check, so it is one in every draft (unknown formats are ignored).
        .should_validate_formats(true)
        .build(&document)
        .map_err(|e| ValidateError::Invalid {
            path: shown,
            message: explain(&e),
        })?;
    Ok(CompiledSchema {
        validator,
        document,
        path,
    })
}

/// The compiler's message, with where in the schema it is and a hint for patterns.
fn explain(e: &jsonschema::ValidationError<'_>) -> String {
    let mut message = e.to_string();
    let at = e.instance_path().as_str();
    if !at.is_empty() {
        message = format!("at {at}: {message}");
    }
    if message.contains("is not a \"regex\"") {
        message
            .push_str(" (patterns run on a linear-time engine: no lookaround or backreferences)");
    }
    message
}

/// `file://` URI of an absolute path, percent-encoding what a URI path cannot hold.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// Inverse of the encoding in [`file_uri`], for paths in `$ref`s.
fn decode_path(encoded: &str) -> Vec<u8> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(s) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(s, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Resolves external `$ref`s from local files only; anything else is refused.
struct LocalFiles;

impl Retrieve for LocalFiles {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.scheme().as_str() != "file" {
            return Err(format!(
                "`{uri}` is not a local file: only `$ref`s to files next to the schema are resolved"
            )
            .into());
        }
        use std::os::unix::ffi::OsStringExt;
        let path = PathBuf::from(std::ffi::OsString::from_vec(decode_path(
            uri.path().as_str(),
        )));
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("`{}` is not valid JSON: {e}", path.display()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_round_trip_through_percent_encoding() {
        let p = Path::new("/tmp/a dir/ü%.json");
        let uri = file_uri(p);
        assert_eq!(uri, "file:///tmp/a%20dir/%C3%BC%25.json");
        assert_eq!(
            decode_path(&uri["file://".len()..]),
            p.as_os_str().as_encoded_bytes()
        );
    }
}

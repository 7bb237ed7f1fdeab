//! Configuration: the YAML file read once, checked, and turned into an immutable
//! [`Config`] that the runtime is built from.
//!
//! `load` reads a file, `parse` reads text (tests); both report every problem they
//! find as `file:line:col: what is wrong`.
mod errors;
mod model;
mod units;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use errors::{ConfigError, ConfigErrors, Location};
pub use model::*;
pub use units::{ByteSize, Duration, UnitError};

/// Reads, parses and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let bytes = std::fs::read(path).map_err(|e| ConfigErrors::unreadable(path, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ConfigErrors::single(path, None, "the file is not valid UTF-8".to_string()))?;
    parse(&text, path)
}

/// Parses and validates configuration text; `origin` names it in errors and anchors
/// relative paths.
pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigErrors> {
    let mut config: Config = serde_yaml_ng::from_str(text).map_err(|e| {
        let location = e.location().map(|l| Location {
            line: l.line(),
            col: l.column(),
        });
        ConfigErrors::single(origin, location, e.to_string())
    })?;
    config.digest = hex::encode(Sha256::digest(text.as_bytes()));
    Ok(config)
}

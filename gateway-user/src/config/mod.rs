//! Configuration: the YAML file read once, checked, and turned into an immutable
//! [`Config`] that the runtime is built from.
//!
//! `load` reads a file, `parse` reads text (tests); both report every problem they
//! find as `file:line:col: what is wrong`. The pipeline: `tree` (YAML → located
//! nodes) → `load` (nodes → model, section by section) → `validate`/`routes`
//! (meaning, references, files).
mod auth;
mod de;
mod defaults;
mod errors;
mod listeners;
mod load;
mod model;
mod rate_limits;
mod routes;
mod schemas;
mod suggest;
mod tree;
mod units;
mod validate;
mod waf;

pub(crate) use waf::global as waf_global;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use errors::{ConfigError, ConfigErrors, Location};
pub use model::*;
pub use units::{ByteSize, Duration, UnitError};

/// A valid configuration and the warnings found while checking it.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The configuration, ready to build a runtime from.
    pub config: Config,
    /// Things that work but are probably not what was meant (same format as errors).
    pub warnings: ConfigErrors,
}

/// Reads, parses and validates the configuration file at `path`; warnings are logged.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let checked = load_checked(path)?;
    for line in checked.warnings.to_string().lines() {
        tracing::warn!("{line}");
    }
    Ok(checked.config)
}

/// Reads, parses and validates the file at `path`, returning warnings too.
pub fn load_checked(path: &Path) -> Result<Checked, ConfigErrors> {
    let bytes = std::fs::read(path).map_err(|e| ConfigErrors::unreadable(path, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ConfigErrors::single(path, None, "the file is not valid UTF-8".to_string()))?;
    parse_checked(&text, path)
}

/// Parses and validates configuration text; `origin` names it in errors, and
/// relative file paths in it are resolved against `origin`'s directory.
pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigErrors> {
    parse_checked(text, origin).map(|c| c.config)
}

/// Like [`parse`], returning warnings too.
pub fn parse_checked(text: &str, origin: &Path) -> Result<Checked, ConfigErrors> {
    let collect = |mut errors: Vec<ConfigError>| {
        errors.sort_by_key(|e| e.location);
        errors.dedup();
        ConfigErrors {
            file: origin.to_path_buf(),
            errors,
            unreadable: false,
        }
    };
    let (root, mut errors) = tree::parse(text).map_err(|e| collect(vec![e]))?;
    let parsed = load::deserialize(&root, &mut errors);
    let mut config = parsed.config;
    let origins = validate::Origins {
        listeners: parsed.listener_index,
        routes: parsed.route_index,
        consumers: parsed.consumer_index,
        auth_broken: parsed.auth_broken,
        broken_upstreams: parsed.broken_upstreams,
    };
    let base = origin.parent().filter(|p| !p.as_os_str().is_empty());
    let mut checker = validate::Checker::new(&root, base);
    validate::check(&mut config, &origins, &mut checker);
    errors.append(&mut checker.errors);
    if !errors.is_empty() {
        return Err(collect(errors));
    }
    config.digest = hex::encode(Sha256::digest(text.as_bytes()));
    Ok(Checked {
        config,
        warnings: collect(checker.warnings),
    })
}

#[cfg(test)]
mod tests;

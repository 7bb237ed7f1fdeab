//! Compiles each route's `validate:` block (JSON Schemas read and compiled once,
//! here), so a schema that is not JSON, not a valid schema, or `$ref`s a missing
//! file fails `gateway check` at the line of its `body_schema:`/`query_schema:`.
use std::sync::Arc;

use crate::validate::{Key, Validator};

use super::{
    model::Config,
    validate::{Checker, I, K, Origins},
};

/// Builds the validator of every route that has a `validate:` block.
pub(crate) fn check(config: &mut Config, origins: &Origins, c: &mut Checker<'_>) {
    let max_body = config.limits.max_body;
    for (i, route) in config.routes.iter_mut().enumerate() {
        let at = origins.routes.get(i).copied().unwrap_or(i);
        let Some(v) = &mut route.validate else {
            continue;
        };
        if let Some(bytes) = v.max_json_bytes
            && bytes > max_body
        {
            c.warn(
                &[K("routes"), I(at), K("validate"), K("max_json_bytes")],
                format!("max_json_bytes {bytes} is above limits.max_body {max_body}, which applies first"),
            );
        }
        // Absolute paths, like every other file the config names: the runtime never
        // depends on the current directory.
        for file in [&mut v.body_schema, &mut v.query_schema]
            .into_iter()
            .flatten()
        {
            if file.is_relative() {
                *file = c.base().join(&*file);
            }
        }
        match Validator::build_keyed(v, c.base()) {
            Ok(built) => route.validator = Some(Arc::new(built)),
            Err((key, e)) => {
                let mut path = vec![K("routes"), I(at), K("validate"), K(key.name())];
                if let Key::ContentTypes(n) = key {
                    path.push(I(n));
                }
                c.err(&path, format!("route `{}`: {e}", route.name));
            }
        }
    }
}

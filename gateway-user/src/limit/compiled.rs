//! The limits of a whole configuration compiled once per snapshot: the plans and
//! each route's list, looked up by route name on the request path.
use std::collections::HashMap;

use super::{LimitError, Plans, RouteLimits};
use crate::config::Config;

/// Plans and per-route limit lists of one configuration snapshot.
#[derive(Debug, Clone, Default)]
pub struct CompiledLimits {
    /// Compiled plans.
    pub plans: Plans,
    routes: HashMap<String, RouteLimits>,
}

impl CompiledLimits {
    /// Compiles `plans` and every route's `rate_limit` list (routes without limits
    /// are left out).
    pub fn compile(config: &Config) -> Result<CompiledLimits, LimitError> {
        let plans = Plans::compile(&config.plans)?;
        let mut routes = HashMap::new();
        for route in &config.routes {
            if !route.rate_limit.is_empty() {
                let limits = RouteLimits::compile(&route.name, &route.rate_limit, &plans)?;
                routes.insert(route.name.clone(), limits);
            }
        }
        Ok(CompiledLimits { plans, routes })
    }

    /// No route has limits.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The limits of a route, if it has any.
    pub fn route(&self, name: &str) -> Option<&RouteLimits> {
        self.routes.get(name)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn routes_with_limits_are_compiled_and_found_by_name() {
        let text = "\
listeners: [{ name: p, bind: 127.0.0.1:8080 }]
upstreams: { u: { targets: [127.0.0.1:9001] } }
plans: { free: { rate: 2/s, burst: 10 } }
routes:
  - { name: limited, upstream: u, match: { path_prefix: /a }, rate_limit: [{ by: consumer }] }
  - { name: open, upstream: u, match: { path_prefix: /b } }
";
        let config = crate::config::parse(text, Path::new("t.yaml")).unwrap();
        let compiled = CompiledLimits::compile(&config).unwrap();
        assert!(compiled.route("limited").is_some());
        assert!(compiled.route("open").is_none());
        assert_eq!(compiled.plans.get("free").unwrap().burst, 10);
    }
}

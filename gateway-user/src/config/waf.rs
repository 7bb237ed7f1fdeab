//! Semantic checks of `waf` and each route's `waf`: the same compilation the
//! runtime does (custom rules, exclusions), reported at the line at fault.
use super::{
    model::Config,
    validate::{Checker, I, K, Origins},
};
use crate::waf::{Engine, RouteWafConfig, WafConfig};

/// The global WAF configuration in force: the `waf:` section, or the defaults with
/// `mode: off` when it is absent (routes may still turn the WAF on).
pub(crate) fn global(config: &Config) -> WafConfig {
    config.waf.clone().unwrap_or_else(|| WafConfig {
        mode: crate::waf::Mode::Off,
        ..WafConfig::default()
    })
}

/// Checks the WAF sections of `config`.
pub(crate) fn check(config: &Config, origins: &Origins, c: &mut Checker<'_>) {
    let uses_waf = config.waf.is_some() || config.routes.iter().any(|r| r.waf.is_some());
    if !uses_waf {
        return;
    }
    let engine = match Engine::compile(&global(config)) {
        Ok(engine) => engine,
        Err(e) => {
            let message = e.to_string();
            // `waf: waf.paranoia must be …` reads better without the doubled prefix.
            let message = match message.strip_prefix("waf: ") {
                Some(rest) if rest.starts_with("waf") => rest.to_string(),
                _ => message,
            };
            c.err(&locate_global(config, &message), message);
            return;
        }
    };
    for (i, route) in config.routes.iter().enumerate() {
        let Some(rw) = &route.waf else { continue };
        let at = origins.routes.get(i).copied().unwrap_or(i);
        let base = RouteWafConfig {
            exclude: Vec::new(),
            ..rw.clone()
        };
        if let Err(e) = engine.route_policy(&base) {
            c.err(
                &[K("routes"), I(at), K("waf")],
                format!("route `{}`: {e}", route.name),
            );
        }
        // One exclusion at a time, so each bad one is reported at its own line.
        for (j, ex) in rw.exclude.iter().enumerate() {
            let one = RouteWafConfig {
                exclude: vec![ex.clone()],
                ..RouteWafConfig::default()
            };
            if let Err(e) = engine.route_policy(&one) {
                c.err(
                    &[K("routes"), I(at), K("waf"), K("exclude"), I(j)],
                    format!("route `{}`: {e}", route.name),
                );
            }
        }
    }
}

/// Where a global WAF error belongs: the custom rule it names, else the section.
fn locate_global<'a>(config: &'a Config, message: &str) -> Vec<super::tree::Seg<'a>> {
    let rules = config.waf.as_ref().map(|w| w.custom_rules.as_slice());
    let hit = rules.and_then(|rules| {
        rules.iter().position(|r| {
            let id = r.id.to_string();
            message.contains(&format!("rule {id}:"))
                || message.contains(&format!("id {id} "))
                || message.ends_with(&format!("id {id}"))
        })
    });
    match hit {
        Some(j) => vec![K("waf"), K("custom_rules"), I(j)],
        None => vec![K("waf")],
    }
}

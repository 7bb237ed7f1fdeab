//! Semantic checks of `plans`, `rate_limit` and each route's `rate_limit` list: the
//! same compilation the limiter does at startup, reported at the line at fault.
use super::{
    model::Config,
    suggest::did_you_mean,
    validate::{Checker, I, K, Origins},
};
use crate::limit::{
    LimitBy, LimitError, Plans, Policy, RouteLimits, config::StoreKind, redis::RedisStore,
};

/// Checks the limit sections of `config`.
pub(crate) fn check(config: &Config, origins: &Origins, c: &mut Checker<'_>) {
    store(config, c);
    let mut plans = config.plans.clone();
    for (name, plan) in &config.plans {
        if let Err(e) = Policy::compile(format!("plan:{name}"), plan.rate, plan.burst, plan.quota) {
            c.err(&[K("plans"), K(name)], inner(&e));
            plans.remove(name);
        }
    }
    // The plans that compiled, so one bad plan is not reported again by every route.
    let plans = Plans::compile(&plans).unwrap_or_default();
    for (i, route) in config.routes.iter().enumerate() {
        let at = origins.routes.get(i).copied().unwrap_or(i);
        for (j, entry) in route.rate_limit.iter().enumerate() {
            let path = [K("routes"), I(at), K("rate_limit"), I(j)];
            match RouteLimits::compile(&route.name, std::slice::from_ref(entry), &plans) {
                Err(e) => {
                    let mut message = inner(&e);
                    if let LimitError::UnknownPlan(p) = root(&e) {
                        let names: Vec<&str> = config.plans.keys().map(String::as_str).collect();
                        match did_you_mean(p, names.iter().copied()) {
                            Some(s) => message.push_str(&format!(", did you mean `{s}`?")),
                            None if names.is_empty() => {
                                message.push_str("; no `plans` are defined")
                            }
                            None => {
                                message.push_str(&format!("; the plans are: {}", names.join(", ")))
                            }
                        }
                    }
                    c.err(&path, message);
                }
                Ok(_) => {
                    let uses_plan = entry.by == LimitBy::Consumer
                        && entry.rate.is_none()
                        && entry.quota.is_none();
                    if uses_plan && entry.plan.is_none() && config.plans.is_empty() {
                        c.warn(
                            &path,
                            "`by: consumer` applies the consumer's plan, but no `plans` are defined: this limit never applies",
                        );
                    }
                }
            }
        }
    }
}

fn store(config: &Config, c: &mut Checker<'_>) {
    let rl = &config.rate_limit;
    if rl.local.max_keys == 0 {
        c.err(
            &[K("rate_limit"), K("local"), K("max_keys")],
            "max_keys must be at least 1 (default 100000)",
        );
    }
    let Some(redis) = &rl.redis else {
        if rl.store == StoreKind::Redis {
            c.err(
                &[K("rate_limit"), K("store")],
                "store is redis but `rate_limit.redis` is missing (redis: { url: redis://127.0.0.1:6379 })",
            );
        }
        return;
    };
    let at = |k: &'static str| [K("rate_limit"), K("redis"), K(k)];
    if rl.store == StoreKind::Local {
        c.warn(
            &[K("rate_limit"), K("redis")],
            "`rate_limit.redis` is set but `store` is local: Redis is not used (set store: redis)",
        );
    }
    if redis.timeout.is_zero() {
        c.err(&at("timeout"), "timeout must be more than 0 (default 50ms)");
    } else if redis.timeout > std::time::Duration::from_secs(1) {
        c.warn(
            &at("timeout"),
            "a slow Redis makes every request wait this long; limiters usually use 10ms–200ms",
        );
    }
    if redis.breaker_failures == 0 {
        c.err(
            &at("breaker_failures"),
            "breaker_failures must be at least 1 (default 3)",
        );
    }
    if redis.key_prefix.contains(['{', '}']) {
        c.err(
            &at("key_prefix"),
            "key_prefix must not contain { or } (the gateway adds the cluster hash tag itself)",
        );
    }
    if let Err(e) = RedisStore::new(redis) {
        c.err(&at("url"), e.to_string());
    }
}

/// The innermost message, without the "route x, rate_limit[0]:" context the
/// location already gives.
fn inner(e: &LimitError) -> String {
    root(e).to_string()
}

fn root(e: &LimitError) -> &LimitError {
    match e {
        LimitError::InPlan { source, .. } | LimitError::InRoute { source, .. } => root(source),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::parse_checked;
    use crate::config::tests::{BASE, assert_error, errors};

    #[test]
    fn the_issue_limit_sections_are_read() {
        let text = format!(
            "{BASE}plans:
  free: {{ rate: 2/s, burst: 10, quota: 1000/day }}
  enterprise: {{ rate: 50/s, burst: 100, quota: 1000000/month }}
rate_limit:
  store: redis
  redis: {{ url: redis://127.0.0.1:6379, timeout: 50ms, fault_tolerant: true }}
routes:
  - name: users
    match: {{ path_prefix: /api/v1/users }}
    upstream: users
    rate_limit: [{{ by: consumer }}, {{ by: ip, rate: 100/s, burst: 200 }}]
"
        );
        let checked = parse_checked(&text, Path::new("test.yaml")).unwrap();
        let config = checked.config;
        assert_eq!(config.plans.len(), 2);
        let redis = config.rate_limit.redis.as_ref().unwrap();
        assert_eq!(redis.timeout, std::time::Duration::from_millis(50));
        assert_eq!(config.routes[0].rate_limit.len(), 2);
        assert!(checked.warnings.errors.is_empty());
    }

    #[test]
    fn a_malformed_plan_rate_is_reported_at_its_line() {
        assert_error(
            &format!("{BASE}plans:\n  free: {{ rate: 2/fortnight }}\n"),
            8,
            "unknown unit",
        );
    }

    #[test]
    fn every_bad_plan_is_reported_not_just_the_first() {
        let errs = errors(&format!(
            "{BASE}plans:\n  a: {{ rate: 2/fortnight }}\n  b: {{ burst: 3 }}\n  c: {{ rate: 1/s }}\n"
        ));
        let lines: Vec<usize> = errs.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![8, 9], "{errs:#?}");
    }

    #[test]
    fn a_plan_without_rate_or_quota_is_reported_at_its_line() {
        assert_error(
            &format!("{BASE}plans:\n  free: {{ burst: 5 }}\n"),
            8,
            "needs a rate, a quota or both",
        );
    }

    #[test]
    fn a_route_limit_naming_an_unknown_plan_suggests_the_closest() {
        assert_error(
            &format!(
                "{BASE}plans:\n  gold: {{ rate: 5/s }}\nroutes:\n  - name: r\n    upstream: users\n    rate_limit:\n      - {{ by: ip, plan: gld }}\n"
            ),
            13,
            "did you mean `gold`",
        );
    }

    #[test]
    fn an_ip_limit_without_a_rate_is_reported_at_its_line() {
        assert_error(
            &format!(
                "{BASE}routes:\n  - name: r\n    upstream: users\n    rate_limit:\n      - {{ by: ip }}\n"
            ),
            11,
            "needs its own rate/quota or a plan",
        );
    }

    #[test]
    fn a_redis_store_without_redis_settings_is_reported() {
        assert_error(
            &format!("{BASE}rate_limit:\n  store: redis\n"),
            8,
            "rate_limit.redis` is missing",
        );
    }
}

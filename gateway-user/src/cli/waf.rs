//! `gateway waf test`: runs one request through the WAF exactly as the gateway
//! would (the route it matches, that route's mode, paranoia, threshold and
//! exclusions) and prints the score and every rule that fired, with its field.
//! It answers "which rule blocks this request, and would an exclusion let it
//! through?" without sending anything to a running gateway.
use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

use crate::{
    proxy::{path, stages::hygiene::request_host},
    waf::{Engine, Mode, RequestView, RoutePolicy, Verdict, WafConfig},
};

/// `gateway waf …`
#[derive(Subcommand)]
pub enum WafCommand {
    /// Judge one request with the WAF of a configuration (or the defaults) and
    /// print the score and the rules that fired. Exit status: 0 passed, 1 blocked,
    /// 2 bad configuration or request.
    Test(TestArgs),
}

/// Arguments of `gateway waf test`.
#[derive(Args)]
pub struct TestArgs {
    /// The request target: path and query, as sent (`/api/v1/search?q=1%27%20or%201=1--`).
    pub target: String,
    /// Configuration file (YAML): its routes pick the policy. Without it, the
    /// built-in defaults (block, paranoia 1, threshold 5) apply.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Paranoia level, without `--config` (1-4).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=4), conflicts_with = "config")]
    pub paranoia: Option<u8>,
    /// Request method.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// A request header, `Name: value` (repeatable). `Host` picks host-based routes.
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// Request body; `@FILE` reads it from a file, `@-` from standard input.
    #[arg(long, short = 'd')]
    pub data: Option<String>,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `gateway waf` command.
pub fn waf(cmd: WafCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WafCommand::Test(args) => match test(&args) {
            Ok(code) => Ok(code),
            Err(e) => {
                eprintln!("error: {e:#}");
                Ok(ExitCode::from(2))
            }
        },
    }
}

/// The policy a request gets, and which route gave it.
struct Judge {
    engine: Engine,
    policy: RoutePolicy,
    route: Option<String>,
}

fn test(args: &TestArgs) -> anyhow::Result<ExitCode> {
    let method = Method::from_bytes(args.method.as_bytes())
        .with_context(|| format!("method `{}` is not a valid HTTP method", args.method))?;
    let body = read_body(args.data.as_deref())?;
    // The request head as the proxy holds it: path, query and host are read
    // from it by the same code.
    let mut request = http::Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = args.target.parse().with_context(|| {
        format!(
            "the gateway answers 400 before the WAF: `{}` is not a request target",
            args.target
        )
    })?;
    *request.headers_mut() = parse_headers(&args.headers)?;
    let (head, ()) = request.into_parts();
    let (method, headers) = (&head.method, &head.headers);
    let (raw_path, query) = (head.uri.path(), head.uri.query());
    let normalized = path::normalize(raw_path).map_err(|e| {
        anyhow::anyhow!(
            "the gateway answers 400 before the WAF: `{}`: {}",
            args.target,
            e.reason()
        )
    })?;
    let judge = match &args.config {
        Some(file) => {
            let host = request_host(&head);
            match judge_from_config(file, host.as_deref(), &normalized, method, headers)? {
                Some(judge) => judge,
                None => {
                    println!("no route matches {method} {normalized}: the gateway answers 404");
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
        None => {
            let config = WafConfig {
                paranoia: args.paranoia.unwrap_or(1),
                ..WafConfig::default()
            };
            let engine = Engine::compile(&config)?;
            let policy = engine.default_policy();
            Judge {
                engine,
                policy,
                route: None,
            }
        }
    };
    let view = RequestView {
        method: method.as_str(),
        raw_path,
        path: &normalized,
        query,
        headers,
        body: body.as_deref(),
        body_truncated: false,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        client_ip: None,
    };
    let verdict = judge.engine.inspect(&view, &judge.policy);
    if args.json {
        println!("{}", to_json(&judge, &verdict));
    } else {
        print!("{}", to_text(&judge, &verdict));
    }
    Ok(if verdict.blocked {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The engine and policy of the route the request matches; `None` when none does.
fn judge_from_config(
    file: &std::path::Path,
    host: Option<&str>,
    path: &str,
    method: &Method,
    headers: &HeaderMap,
) -> anyhow::Result<Option<Judge>> {
    let checked = crate::config::load_checked(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = &checked.config;
    let telemetry = std::sync::Arc::new(crate::telemetry::Telemetry::without_access_log());
    let runtime =
        crate::proxy::Runtime::build(config, &crate::proxy::Shared::new(telemetry.clone()))
            .with_context(|| file.display().to_string())?;
    let Some(route) = runtime.routes.find(host, path, method, headers) else {
        return Ok(None);
    };
    let name = Some(route.name.clone());
    let compiled =
        crate::proxy::runtime::compile_waf(config).with_context(|| file.display().to_string())?;
    let judge = match compiled {
        Some((engine, mut policies)) if route.index < policies.len() => Judge {
            policy: policies.swap_remove(route.index),
            engine,
            route: name,
        },
        // No route is inspected: the WAF is off everywhere.
        _ => {
            let engine = Engine::compile(&WafConfig {
                mode: Mode::Off,
                ..WafConfig::default()
            })?;
            Judge {
                policy: engine.default_policy(),
                engine,
                route: name,
            }
        }
    };
    Ok(Some(judge))
}

fn parse_headers(raw: &[String]) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for h in raw {
        let Some((name, value)) = h.split_once(':') else {
            bail!("header `{h}`: expected `Name: value`");
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .with_context(|| format!("header `{h}`: bad name"))?;
        let value = HeaderValue::from_str(value.trim())
            .with_context(|| format!("header `{h}`: bad value"))?;
        headers.append(name, value);
    }
    Ok(headers)
}

fn read_body(data: Option<&str>) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(match data {
        None => None,
        Some("@-") => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .context("reading the body from standard input")?;
            Some(buf)
        }
        Some(d) => match d.strip_prefix('@') {
            Some(file) => Some(std::fs::read(file).with_context(|| format!("reading {file}"))?),
            None => Some(d.as_bytes().to_vec()),
        },
    })
}

fn mode_word(mode: Mode) -> &'static str {
    match mode {
        Mode::Block => "block",
        Mode::Detect => "detect",
        Mode::Off => "off",
    }
}

/// What the gateway does with the request, in words.
fn outcome(policy: &RoutePolicy, verdict: &Verdict) -> &'static str {
    if verdict.blocked && verdict.invalid_body {
        "blocked: 400 invalid_body"
    } else if verdict.blocked {
        "blocked: 403"
    } else if policy.mode == Mode::Off {
        "passed: the WAF is off here"
    } else if verdict.score >= policy.threshold {
        "passed: detect mode logs it"
    } else {
        "passed"
    }
}

fn to_text(judge: &Judge, verdict: &Verdict) -> String {
    let p = &judge.policy;
    let mut out = format!(
        "route: {} (mode {}, paranoia {}, threshold {})\n{} (score {})\n",
        judge.route.as_deref().unwrap_or("(defaults)"),
        mode_word(p.mode),
        p.paranoia,
        p.threshold,
        outcome(p, verdict),
        verdict.score
    );
    for m in &verdict.matches {
        out.push_str(&format!(
            "  {:<7} {:<8} {:<5} {}\n",
            m.rule_id,
            m.category.as_str(),
            m.score,
            m.field
        ));
    }
    out
}

fn to_json(judge: &Judge, verdict: &Verdict) -> serde_json::Value {
    let p = &judge.policy;
    serde_json::json!({
        "route": judge.route,
        "mode": mode_word(p.mode),
        "paranoia": p.paranoia,
        "threshold": p.threshold,
        "score": verdict.score,
        "blocked": verdict.blocked,
        "status": if !verdict.blocked { 0 } else if verdict.invalid_body { 400 } else { 403 },
        "outcome": outcome(p, verdict),
        "matches": verdict.matches.iter().map(|m| serde_json::json!({
            "rule": m.rule_id,
            "category": m.category.as_str(),
            "field": m.field.as_str(),
            "score": m.score,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(paranoia: u8) -> Judge {
        let engine = Engine::compile(&WafConfig {
            paranoia,
            ..WafConfig::default()
        })
        .unwrap();
        Judge {
            policy: engine.default_policy(),
            engine,
            route: None,
        }
    }

    fn judge(j: &Judge, target: &str) -> Verdict {
        let headers = HeaderMap::new();
        let (p, q) = target.split_once('?').unwrap_or((target, ""));
        j.engine
            .inspect(&RequestView::get(p, Some(q), &headers), &j.policy)
    }

    #[test]
    fn the_text_names_each_rule_its_category_and_field() {
        let j = defaults(1);
        let v = judge(&j, "/s?q=1%27%20or%20%271%27=%271");
        assert!(v.blocked);
        let text = to_text(&j, &v);
        assert!(
            text.starts_with(
                "route: (defaults) (mode block, paranoia 1, threshold 5)\nblocked: 403"
            ),
            "{text}"
        );
        assert!(text.contains(" sqli ") && text.contains("args.q"), "{text}");
        let json = to_json(&j, &v);
        assert_eq!(json["status"], 403);
        assert!(json["matches"].as_array().is_some_and(|m| !m.is_empty()));
    }

    #[test]
    fn a_clean_request_passes_with_no_rule() {
        let j = defaults(2);
        let v = judge(&j, "/s?q=O%27Brien");
        assert!(!v.blocked);
        assert_eq!(to_text(&j, &v).lines().nth(1), Some("passed (score 0)"));
        assert_eq!(to_json(&j, &v)["status"], 0);
    }

    #[test]
    fn the_route_is_picked_by_the_host_the_gateway_reads() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gateway.yaml");
        std::fs::write(
            &file,
            "listeners:\n  - { name: plain, bind: 127.0.0.1:0 }\nupstreams:\n  u: { targets: [127.0.0.1:9] }\nroutes:\n  - { name: shop, match: { host: shop.example }, upstream: u }\n  - { name: rest, match: { path_prefix: / }, upstream: u }\n",
        )
        .unwrap();
        for (host, route) in [("Shop.Example:8080", "shop"), ("other.example", "rest")] {
            let (head, ()) = http::Request::builder()
                .uri("/?q=x")
                .header(header::HOST, host)
                .body(())
                .unwrap()
                .into_parts();
            let judge = judge_from_config(
                &file,
                request_host(&head).as_deref(),
                "/",
                &head.method,
                &head.headers,
            )
            .unwrap()
            .unwrap();
            assert_eq!(judge.route.as_deref(), Some(route), "{host}");
        }
    }

    #[test]
    fn headers_must_be_name_colon_value() {
        assert!(parse_headers(&["X-A: 1".into(), "Host:h".into()]).is_ok());
        assert!(parse_headers(&["no colon".into()]).is_err());
        assert!(parse_headers(&["bad name: x".into()]).is_err());
    }
}

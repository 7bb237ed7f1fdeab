//! Prints the whole engine's verdict for each line of stdin placed as the query
//! argument `q` (and with `-j` also as a JSON string field): blocked or not, the
//! anomaly score and the rule ids that fired. A tool for reading corpus misses and
//! false positives against every rule, not only the SQL grammar (`sqli_probe`):
//! `cargo run --release -p gateway-user --example waf_probe -- [-j] [PARANOIA] < lines.txt`.
use gateway::waf::{Engine, RequestView, WafConfig};
use std::io::BufRead;
use std::process::ExitCode;

#[path = "../../tests/support/corpus_line.rs"]
mod corpus_line;
use corpus_line::{pct, unescape};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "-j");
    let mut cfg = WafConfig::default();
    if let Some(p) = args.iter().find_map(|a| a.parse::<u8>().ok()) {
        cfg.paranoia = p;
    }
    let engine = match Engine::compile(&cfg) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("waf_probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    let policy = engine.default_policy();
    let headers = http::HeaderMap::new();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let l = unescape(&line);
        let query = format!("q={}", pct(&l));
        let body = serde_json::json!({ "q": l }).to_string();
        let mut shown = Vec::new();
        let placements: &[(&str, bool)] = if json {
            &[("query", false), ("json", true)]
        } else {
            &[("query", false)]
        };
        for &(name, as_json) in placements {
            let view = RequestView {
                method: if as_json { "POST" } else { "GET" },
                raw_path: "/api/v1/items",
                path: "/api/v1/items",
                query: (!as_json).then_some(query.as_str()),
                headers: &headers,
                body: as_json.then_some(body.as_bytes()),
                body_truncated: false,
                content_type: as_json.then_some("application/json"),
                client_ip: None,
            };
            let v = engine.inspect(&view, &policy);
            shown.push(format!(
                "{name}:{}{:>3} {:?}",
                if v.blocked { "BLOCK" } else { "pass " },
                v.score,
                v.rule_ids()
            ));
        }
        println!("{} | {l}", shown.join("  "));
    }
    ExitCode::SUCCESS
}

//! Prints the whole engine's verdict for each line of stdin placed as the query
//! argument `q` (and with `-j` also as a JSON string field, or in the placements
//! `-p query,json,multipart,cookie,...` names): blocked or not, the anomaly score
//! and the rule ids that fired. The requests are the corpus test's own
//! (`tests/support/corpus_line.rs`). A tool for reading corpus misses and false
//! positives against every rule, not only the SQL grammar (`sqli_probe`):
//! `cargo run --release -p gateway-user --example waf_probe -- [-j] [-p LIST] [PARANOIA] < lines.txt`.
use gateway::waf::{Engine, WafConfig};
use std::io::BufRead;
use std::process::ExitCode;

#[path = "../../tests/support/corpus_line.rs"]
mod corpus_line;
use corpus_line::{Placement, build, unescape};

/// The placements `-p` names.
const PLACEMENTS: &[(&str, Placement)] = &[
    ("query", Placement::Query),
    ("json", Placement::Json),
    ("multipart", Placement::Multipart),
    ("rawquery", Placement::RawQuery),
    ("rawjson", Placement::RawJson),
    ("xml", Placement::Xml),
    ("ua", Placement::UserAgent),
    ("graphql", Placement::GraphQl),
    ("cookie", Placement::Cookie),
    ("path", Placement::PathSegment),
    ("referer", Placement::Referer),
];

/// The placement a `-p` name stands for.
fn placement(name: &str) -> Option<Placement> {
    PLACEMENTS
        .iter()
        .find_map(|&(n, p)| (n == name).then_some(p))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut placements = vec![Placement::Query];
    if args.iter().any(|a| a == "-j") {
        placements.push(Placement::Json);
    }
    if let Some(list) = args
        .iter()
        .position(|a| a == "-p")
        .and_then(|i| args.get(i + 1))
    {
        let named: Option<Vec<Placement>> = list.split(',').map(placement).collect();
        match named {
            Some(named) => placements = named,
            None => {
                let names: Vec<&str> = PLACEMENTS.iter().map(|&(n, _)| n).collect();
                eprintln!("waf_probe: -p takes names from {}", names.join(","));
                return ExitCode::FAILURE;
            }
        }
    }
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
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let l = unescape(&line);
        let shown: Vec<String> = placements
            .iter()
            .map(|&p| {
                let v = engine.inspect(&build(&l, p).view(), &policy);
                format!(
                    "{}:{}{:>3} {:?}",
                    format!("{p:?}").to_lowercase(),
                    if v.blocked { "BLOCK" } else { "pass " },
                    v.score,
                    v.rule_ids()
                )
            })
            .collect();
        println!("{} | {l}", shown.join("  "));
    }
    ExitCode::SUCCESS
}

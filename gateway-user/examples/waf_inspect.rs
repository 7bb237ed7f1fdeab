//! Inspects the WAF benchmark's requests in a loop, for instruction counts that do
//! not depend on machine load:
//!
//! ```text
//! cargo build --release -p gateway-user --example waf_inspect
//! valgrind --tool=callgrind --toggle-collect='*inspect_loop*' \
//!     target/release/examples/waf_inspect 1k 1000
//! ```
//!
//! Arguments: `1k`, `64k`, `varied` (500 distinct 1 KiB requests, cycled
//! through) or the absolute path of a JSON body to post in the 1 KiB request's
//! place, the number of inspections (default 1000),
//! and the paranoia level (default 1). With `WAF_SEEN_VALUES=0` in the
//! environment the engine remembers no values, as the bench's `unseen` case.
//! Callgrind's `Collected` total divided by the
//! count is the cost of one inspection. The first inspections also build the
//! matchers' lazy automata: for the cost once they are built, subtract a run of
//! one pass (`1`, or `500` for `varied`) from a longer one.
use std::process::ExitCode;

use gateway::waf::{Engine, RequestView, RoutePolicy, WafConfig};

#[path = "../benches/common/requests.rs"]
mod requests;

// The allocator of the `gateway` binary, as in the criterion bench.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("1k", String::as_str);
    let count: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let paranoia: u8 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1);
    let (headers, small, big) = requests::requests();
    let bodies = match which {
        "1k" => vec![small],
        "64k" => vec![big],
        "varied" => requests::varied(500),
        path if path.starts_with('/') => match std::fs::read_to_string(path) {
            Ok(body) => vec![body],
            Err(e) => {
                eprintln!("waf_inspect: {path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        other => {
            eprintln!(
                "waf_inspect: unknown request `{other}` (use 1k, 64k, varied or an absolute path)"
            );
            return ExitCode::FAILURE;
        }
    };
    let mut config = WafConfig {
        paranoia,
        ..WafConfig::default()
    };
    if let Some(n) = std::env::var("WAF_SEEN_VALUES")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        config.seen_values = n;
    }
    let engine = match Engine::compile(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("waf_inspect: {e}");
            return ExitCode::FAILURE;
        }
    };
    let policy = engine.default_policy();
    let views: Vec<_> = bodies
        .iter()
        .map(|b| requests::view(&headers, b.as_bytes()))
        .collect();
    // With `WAF_WARM` set, one pass over every request first, outside the
    // measured loop: the time printed is then that of warm automata.
    if std::env::var_os("WAF_WARM").is_some() {
        for view in &views {
            engine.inspect(view, &policy);
        }
    }
    let started = std::time::Instant::now();
    let blocked = inspect_loop(&engine, &policy, &views, count);
    let elapsed = started.elapsed();
    println!(
        "{which}: {count} inspections, {blocked} blocked, {:.2} µs each",
        elapsed.as_secs_f64() * 1e6 / count.max(1) as f64
    );
    ExitCode::SUCCESS
}

/// The measured part: callgrind collects inside this function only.
#[inline(never)]
fn inspect_loop(
    engine: &Engine,
    policy: &RoutePolicy,
    views: &[RequestView<'_>],
    count: usize,
) -> usize {
    let mut blocked = 0;
    for view in views.iter().cycle().take(count) {
        blocked += usize::from(engine.inspect(std::hint::black_box(view), policy).blocked);
    }
    blocked
}

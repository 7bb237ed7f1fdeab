//! Inspects the WAF benchmark's requests in a loop, for instruction counts that do
//! not depend on machine load:
//!
//! ```text
//! cargo build --release -p gateway-user --example waf_inspect
//! valgrind --tool=callgrind --toggle-collect='*inspect_loop*' \
//!     target/release/examples/waf_inspect 1k 1000
//! ```
//!
//! Arguments: `1k` or `64k` (the request), the number of inspections (default 1000),
//! and the paranoia level (default 1). Callgrind's `Collected` total divided by the
//! count is the cost of one inspection.
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
    let body = match which {
        "1k" => small,
        "64k" => big,
        other => {
            eprintln!("waf_inspect: unknown request `{other}` (use 1k or 64k)");
            return ExitCode::FAILURE;
        }
    };
    let config = WafConfig {
        paranoia,
        ..WafConfig::default()
    };
    let engine = match Engine::compile(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("waf_inspect: {e}");
            return ExitCode::FAILURE;
        }
    };
    let policy = engine.default_policy();
    let view = requests::view(&headers, body.as_bytes());
    let blocked = inspect_loop(&engine, &policy, &view, count);
    println!("{which}: {count} inspections, {blocked} blocked");
    ExitCode::SUCCESS
}

/// The measured part: callgrind collects inside this function only.
#[inline(never)]
fn inspect_loop(
    engine: &Engine,
    policy: &RoutePolicy,
    view: &RequestView<'_>,
    count: usize,
) -> usize {
    let mut blocked = 0;
    for _ in 0..count {
        blocked += usize::from(engine.inspect(std::hint::black_box(view), policy).blocked);
    }
    blocked
}

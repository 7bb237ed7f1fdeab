//! Criterion benchmark of WAF inspection: the median time to inspect a typical
//! 1 KiB JSON API request, the same request with varied text (a different one
//! each time, from the benign corpus), and a 64 KiB JSON body, at paranoia 1
//! (the default) and 2; and the 1 KiB request at paranoia 1 with
//! `seen_values: 0`, which inspects its method, path and headers every time, as
//! the first request of a client with a new User-Agent is.
//! `cargo bench -p gateway-user --bench waf`; `cargo xtask bench waf` runs it and
//! reads the medians from `target/criterion/`.
use criterion::{Criterion, criterion_group, criterion_main};
use gateway::waf::{Engine, WafConfig};

mod common;
use common::requests::{requests, varied, view};

// The allocator of the `gateway` binary, so the numbers are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Distinct varied requests, cycled through.
const VARIED: usize = 500;

fn inspect(c: &mut Criterion) {
    let (headers, body, big) = requests();
    let orders = varied(VARIED);
    let unseen = Engine::compile(&WafConfig {
        seen_values: 0,
        ..WafConfig::default()
    })
    .expect("the default rules compile");
    let unseen_policy = unseen.default_policy();
    let request = view(&headers, body.as_bytes());
    c.bench_function("waf_pl1_1KiB_json_unseen", |bench| {
        bench.iter(|| unseen.inspect(std::hint::black_box(&request), &unseen_policy))
    });
    for paranoia in [1u8, 2] {
        let config = WafConfig {
            paranoia,
            ..WafConfig::default()
        };
        let engine = Engine::compile(&config).expect("the default rules compile");
        let policy = engine.default_policy();
        for (label, b) in [
            ("1KiB_json", body.as_bytes()),
            ("64KiB_json", big.as_bytes()),
        ] {
            let view = view(&headers, b);
            // A benign request must pass, or the benchmark measures a block.
            let verdict = engine.inspect(&view, &policy);
            assert!(!verdict.blocked, "{label} blocked: {:?}", verdict.matches);
            c.bench_function(&format!("waf_pl{paranoia}_{label}"), |bench| {
                bench.iter(|| engine.inspect(std::hint::black_box(&view), &policy))
            });
        }
        // An order holding a benign line the rules flag (a false positive of
        // the corpus; at paranoia 2 about one order in ten, since each holds
        // eight lines or more) would measure a block: those are left out.
        let views: Vec<_> = orders
            .iter()
            .map(|b| view(&headers, b.as_bytes()))
            .filter(|v| !engine.inspect(v, &policy).blocked)
            .collect();
        assert!(
            views.len() * 5 > VARIED * 4,
            "{} of {VARIED} pass",
            views.len()
        );
        let mut next = 0;
        c.bench_function(&format!("waf_pl{paranoia}_1KiB_varied"), |bench| {
            bench.iter(|| {
                next = (next + 1) % views.len();
                engine.inspect(std::hint::black_box(&views[next]), &policy)
            })
        });
    }
}

criterion_group!(benches, inspect);
criterion_main!(benches);

//! `bench_edge sweep`: what one call of the daemon's once-a-second ban sweep
//! (`Edge::sweep_step`, a slice of the rows) and one full sweep (`gateway ban
//! sweep`) cost on full-size pinned tables (2^19 rows per family), with
//! 100,000 live bans and 10,000 expired ones. Maps are pinned under a private
//! directory and removed afterwards. Run it in a release and a debug build
//! (the tests run the daemon in debug).

use std::{path::PathBuf, time::Duration, time::Instant};

use anyhow::{Context, Result, bail};
use gateway::edge::Edge;
use gateway_common::BanReason;
use ipnet::IpNet;

/// `sweep [--calls N]`: prints the median, minimum and maximum time per call.
pub fn sweep(args: &[String]) -> Result<()> {
    let mut calls = 64usize;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().context("a number after the flag")?;
        match arg.as_str() {
            "--calls" => calls = value.parse().context("--calls")?,
            other => bail!("unknown argument {other:?} (expected --calls N)"),
        }
    }
    let state = tempfile::tempdir()?;
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var(gateway::edge::notes::STATE_DIR_ENV, state.path()) };
    let base = PathBuf::from(format!(
        "/sys/fs/bpf/gateway-bench-sweep-{}",
        std::process::id()
    ));
    let result = run(&base, calls);
    remove_pins(&base);
    result
}

fn run(base: &std::path::Path, calls: usize) -> Result<()> {
    let mut edge = Edge::open(base)?;
    let net = |i: u32, len: u8| -> IpNet {
        let [_, b, c, d] = i.to_be_bytes();
        IpNet::new([10, b, c, d].into(), len).expect("a valid prefix")
    };
    let live: Vec<IpNet> = (0..100_000).map(|i| net(i, 32)).collect();
    let expired: Vec<IpNet> = (0..10_000).map(|i| net(i << 8 | 0x0f00_0000, 24)).collect();
    edge.ban_import(&live, Some(Duration::from_secs(3600)), BanReason::Import)?;
    edge.ban_import(&expired, Some(Duration::from_nanos(1)), BanReason::Import)?;
    let slices = gateway::edge::sweep::SLICES as usize;
    println!(
        "sweep: 100,000 live bans, 10,000 expired; {calls} daemon steps (a cycle is {slices}), then 5 full sweeps"
    );
    let mut steps = Vec::with_capacity(calls);
    let mut removed = 0;
    for i in 0..calls {
        let started = Instant::now();
        removed += edge.sweep_step()?;
        steps.push(started.elapsed());
        if i + 1 == slices && removed != expired.len() {
            bail!(
                "a cycle of steps removed {removed} bans, expected {}",
                expired.len()
            );
        }
    }
    report("daemon step (sweep_step)", steps);
    let mut full = Vec::new();
    for _ in 0..5 {
        edge.ban_import(&expired, Some(Duration::from_nanos(1)), BanReason::Import)?;
        let started = Instant::now();
        let n = edge.sweep_expired()?;
        full.push(started.elapsed());
        if n != expired.len() {
            bail!("a full sweep removed {n} bans, expected {}", expired.len());
        }
    }
    report("full sweep (ban sweep)", full);
    Ok(())
}

/// Prints the median, minimum and maximum of `samples`.
fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  {what}: median {:.2} ms, min {:.2} ms, max {:.2} ms per call",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}

/// Removes the pinned maps and their directories.
fn remove_pins(base: &std::path::Path) {
    if let Ok(dirs) = std::fs::read_dir(base) {
        for d in dirs.flatten() {
            if let Ok(files) = std::fs::read_dir(d.path()) {
                for f in files.flatten() {
                    let _ = std::fs::remove_file(f.path());
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(base);
}

//! Project tasks: `cargo xtask setup|run|test|bench|demo`.
//!
//! The README's two commands are `cargo xtask run` and `cargo xtask test`; both
//! start with `setup`, so a fresh machine needs nothing else.
mod bench_auth;
mod bench_edge;
mod bench_flood;
mod bench_loop;
mod bench_proxy;
mod bench_util;
mod bench_waf;
mod demo;
mod setup;

use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "gateway project tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what this machine lacks: Debian packages, rust-src, bpf-linker, bpffs.
    Setup,
    /// Set up, build in release mode and run the gateway on the example configuration.
    Run {
        /// Configuration file.
        #[arg(long, default_value = "examples/gateway.yaml")]
        config: String,
    },
    /// Set up and run every test (unit, kernel, end to end).
    Test {
        /// Extra arguments for `cargo test` (e.g. a test name filter).
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
    /// Show the whole product on this machine: WAF blocks, the ban, XDP drops (root).
    Demo,
    /// Run a benchmark (never part of the tests); results go to BENCHMARKS.md by hand.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// What JWT (cached and not), API keys and local or Redis limits cost against pass-through (wrk).
    Auth {
        /// Seconds per measured wrk run.
        #[arg(long, default_value_t = 5)]
        duration: u32,
        /// Rounds over every scenario (medians are reported).
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// wrk connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
    },
    /// Per-packet cost of the XDP program vs xdp-filter's, through BPF_PROG_TEST_RUN (root).
    Edge {
        /// Runs per measurement.
        #[arg(long, default_value_t = 1_000_000)]
        repeat: u32,
        /// Skip the veth flood (namespaces, nftables, native and SKB XDP).
        #[arg(long)]
        no_flood: bool,
    },
    /// The ban loop: request → dropped SYN (one node), → other node's map, CPU saved (root).
    Loop {
        /// Measurements per latency.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// Seconds of flood per CPU measurement.
        #[arg(long, default_value_t = 5)]
        flood_secs: u32,
    },
    /// WAF inspection time (criterion) and wrk: gateway with/without WAF vs nginx + ModSecurity + CRS.
    Waf {
        /// Seconds per measured wrk run.
        #[arg(long, default_value_t = 5)]
        duration: u32,
        /// Rounds over every target (medians are reported).
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// wrk connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
    },
    /// Requests/s and p99 of the gateway vs an nginx reverse proxy (wrk, plain and TLS).
    Proxy {
        /// Seconds per measured wrk run.
        #[arg(long, default_value_t = 10)]
        duration: u32,
        /// wrk connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
    },
}

fn main() -> Result<()> {
    match Cli::parse().task {
        Task::Setup => setup::setup(),
        Task::Demo => {
            setup::setup()?;
            demo::demo()
        }
        Task::Run { config } => {
            setup::setup()?;
            run(Command::new("cargo").args(["build", "--release", "--bin", "gateway"]))?;
            let err =
                exec(Command::new("target/release/gateway").args(["run", "--config", &config]));
            Err(err)
        }
        Task::Bench {
            what:
                Bench::Auth {
                    duration,
                    rounds,
                    connections,
                },
        } => {
            setup::setup()?;
            bench_auth::bench(&bench_auth::Options {
                duration,
                connections,
                rounds: rounds.max(1),
            })
        }
        Task::Bench {
            what: Bench::Loop { runs, flood_secs },
        } => {
            setup::setup()?;
            bench_loop::bench(&bench_loop::Options {
                runs: runs.max(1),
                flood_secs: flood_secs.max(1),
            })
        }
        Task::Bench {
            what:
                Bench::Waf {
                    duration,
                    rounds,
                    connections,
                },
        } => {
            setup::setup()?;
            bench_waf::bench(&bench_waf::Options {
                duration,
                connections,
                rounds: rounds.max(1),
            })
        }
        Task::Bench {
            what: Bench::Edge { repeat, no_flood },
        } => {
            setup::setup()?;
            bench_edge::bench_edge(repeat, !no_flood)
        }
        Task::Bench {
            what:
                Bench::Proxy {
                    duration,
                    connections,
                },
        } => {
            setup::setup()?;
            bench_proxy::bench(&bench_proxy::Options {
                duration,
                connections,
            })
        }
        Task::Test { args } => {
            setup::setup()?;
            let tests = run(Command::new("cargo")
                .args(["test", "--workspace", "--no-fail-fast"])
                .args(&args));
            // The fuzz targets are their own workspace (cargo-fuzz layout); building
            // them on every full run keeps them compiling. Running them is manual:
            // `cargo +nightly fuzz run waf_engine` in gateway-user/.
            if args.is_empty() {
                run(Command::new("cargo")
                    .args([
                        "build",
                        "--bins",
                        "--manifest-path",
                        "gateway-user/fuzz/Cargo.toml",
                    ])
                    .env("AYA_BUILD_SKIP", "1")
                    .env("CARGO_TARGET_DIR", "target/fuzz"))?;
            }
            tests
        }
    }
}

/// Runs a command, failing on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

/// Runs a command and returns its standard output.
pub fn cmd_output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("could not start {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn exec(cmd: &mut Command) -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    anyhow::Error::new(cmd.exec()).context("could not start the gateway")
}

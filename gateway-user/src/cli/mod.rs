//! Command-line interface: parses arguments and dispatches to the domain modules.
//!
//! Each command group lives in its own file (`edge.rs`, `serve.rs`, …) and owns
//! its argument types; this file only lists them.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod edge;
mod keys;
mod limits;
mod serve;
mod waf;

/// A security edge for Linux hosts: XDP filter and API gateway in one binary.
#[derive(Parser)]
#[command(name = "gateway", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway daemon.
    Run(serve::RunArgs),
    /// Validate a configuration file and print every error with its line.
    Check(serve::CheckArgs),
    /// Manage the XDP edge filter: attach, detach, status, stats, limits, monitor mode.
    #[command(subcommand)]
    Edge(edge::EdgeCommand),
    /// Manage the blocklist (banned CIDRs) of the edge filter.
    #[command(subcommand)]
    Ban(edge::BanCommand),
    /// Manage the allowlist (CIDRs that skip every check) of the edge filter.
    #[command(subcommand)]
    Allow(edge::AllowCommand),
    /// Inspect or clear a rate-limit key (consumer:NAME, ip:ADDR, …) in the running gateway.
    #[command(subcommand)]
    Limits(limits::LimitsCommand),
    /// Manage consumers' API keys: `gateway keys generate --consumer NAME`.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Try the WAF on a request: `gateway waf test [--config FILE] '/path?q=…'`.
    #[command(subcommand)]
    Waf(waf::WafCommand),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => serve::run(args),
        Command::Check(args) => serve::check(args),
        Command::Edge(cmd) => edge::edge(cmd),
        Command::Ban(cmd) => edge::ban(cmd),
        Command::Allow(cmd) => edge::allow(cmd),
        Command::Limits(cmd) => limits::limits(cmd),
        Command::Keys(cmd) => keys::keys(cmd),
        Command::Waf(cmd) => waf::waf(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! `gateway run` and `gateway check`: the daemon and the configuration checker.
use std::{path::PathBuf, process::ExitCode};

use clap::Args;

/// Arguments of `gateway run`.
#[derive(Args)]
pub struct RunArgs {
    /// Configuration file (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
}

/// Arguments of `gateway check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Configuration file (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
}

/// Runs the daemon until SIGTERM.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    crate::daemon::run(&args.config)?;
    Ok(ExitCode::SUCCESS)
}

/// Checks a configuration file.
pub fn check(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

//! `gateway edge|ban|allow`: manage the XDP filter and its maps while it runs.
use std::process::ExitCode;

use clap::Subcommand;

/// `gateway edge …`
#[derive(Subcommand)]
pub enum EdgeCommand {
    /// Load the XDP program on an interface and pin it, so it stays after this command exits.
    Attach {
        /// Interface name.
        #[arg(long)]
        iface: String,
    },
}

/// `gateway ban …`
#[derive(Subcommand)]
pub enum BanCommand {
    /// List banned CIDRs.
    List,
}

/// `gateway allow …`
#[derive(Subcommand)]
pub enum AllowCommand {
    /// List allowlisted CIDRs.
    List,
}

/// Runs `gateway edge …`.
pub fn edge(_cmd: EdgeCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

/// Runs `gateway ban …`.
pub fn ban(_cmd: BanCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

/// Runs `gateway allow …`.
pub fn allow(_cmd: AllowCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

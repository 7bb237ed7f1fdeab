//! `gateway allow …`: the allowlist (sources that skip every check).
use std::process::ExitCode;

use clap::Subcommand;

use super::{PinArgs, parse_cidr_warn};

/// `gateway allow …`
#[derive(Subcommand)]
pub enum AllowCommand {
    /// Allowlist a CIDR (or a bare address): it skips the blocklist and rate limits.
    Add {
        /// IPv4/IPv6 CIDR or address.
        cidr: String,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Remove exactly this CIDR from the allowlist.
    Del {
        /// IPv4/IPv6 CIDR or address.
        cidr: String,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// List allowlisted CIDRs.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        pin: PinArgs,
    },
}

/// Runs `gateway allow …`.
pub fn allow(cmd: AllowCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AllowCommand::Add { cidr, pin } => {
            let net = parse_cidr_warn(&cidr)?;
            pin.open()?.allow_add(net)?;
            println!("allowlisted {net}");
        }
        AllowCommand::Del { cidr, pin } => {
            let net = parse_cidr_warn(&cidr)?;
            pin.open()?.allow_del(net)?;
            println!("removed {net} from the allowlist");
        }
        AllowCommand::List { json, pin } => {
            let nets = match pin.open_read()? {
                Some(e) => e.allows()?,
                None => Vec::new(),
            };
            if json {
                let list: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if nets.is_empty() {
                println!("allowlist is empty");
            } else {
                for n in nets {
                    println!("{n}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

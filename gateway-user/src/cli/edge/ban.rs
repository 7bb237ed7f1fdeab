//! `gateway ban …`: the blocklist.
use std::{path::PathBuf, process::ExitCode, time::Instant};

use clap::Subcommand;

use super::{PinArgs, parse_cidr_warn};
use crate::edge::{
    self, EdgeError, parse_reason, parse_reason_or_note,
    ttl::{format_duration, monotonic_ns, parse_ttl, unix_now},
};

/// `gateway ban …`
#[derive(Subcommand)]
pub enum BanCommand {
    /// Ban a CIDR (or a bare address): its packets are dropped at the NIC.
    Add {
        /// IPv4/IPv6 CIDR or address.
        cidr: String,
        /// How long, e.g. 30s, 10m, 1h, 7d, 1h30m (default: permanent).
        #[arg(long)]
        ttl: Option<String>,
        /// manual, waf, auth, rate, cluster or import; other text is kept as a note (reason manual).
        #[arg(long, default_value = "manual")]
        reason: String,
        /// Gateway configuration: with a `cluster` section the ban reaches every node.
        #[arg(long, env = "GATEWAY_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Remove the ban of exactly this CIDR.
    Del {
        /// IPv4/IPv6 CIDR or address.
        cidr: String,
        /// Gateway configuration: with a `cluster` section the unban reaches every node.
        #[arg(long, env = "GATEWAY_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// List live bans (expired ones are hidden).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Ban every CIDR of a file (one per line, # comments); all or nothing.
    Import {
        /// The file.
        file: PathBuf,
        /// How long, e.g. 1h (default: permanent).
        #[arg(long)]
        ttl: Option<String>,
        /// manual, waf, auth, rate, cluster or import.
        #[arg(long, default_value = "import")]
        reason: String,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Delete expired bans now (the daemon does this periodically).
    Sweep {
        #[command(flatten)]
        pin: PinArgs,
    },
}

/// Runs `gateway ban …`.
pub fn ban(cmd: BanCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BanCommand::Add {
            cidr,
            ttl,
            reason,
            config,
            pin,
        } => {
            // Validate everything before touching a map.
            let net = parse_cidr_warn(&cidr)?;
            let ttl = ttl.as_deref().map(parse_ttl).transpose()?;
            let (reason, note) = parse_reason_or_note(&reason)?;
            let mut edge = pin.open()?;
            edge.ban_add_noted(net, ttl, reason, note.as_deref())?;
            if let Some(path) = &config
                && crate::bans::cluster::publish_from_cli(
                    path,
                    crate::bans::cluster::Op::Add,
                    net,
                    ttl,
                    reason.name(),
                )?
            {
                println!("published {net} to the cluster");
            }
            // The allowlist is checked first in the filter: say when it wins.
            if let Some(allowed) = edge.allows()?.into_iter().find(|a| overlaps(a, &net)) {
                eprintln!(
                    "warning: {net} overlaps the allowlisted {allowed}; allowlisted sources are never dropped"
                );
            }
            match ttl {
                Some(t) => println!(
                    "banned {net} for {} ({})",
                    format_duration(t),
                    reason.name()
                ),
                None => println!("banned {net} permanently ({})", reason.name()),
            }
        }
        BanCommand::Del { cidr, config, pin } => {
            let net = parse_cidr_warn(&cidr)?;
            // Published first: the ban may exist on other nodes even if not here.
            if let Some(path) = &config
                && crate::bans::cluster::publish_from_cli(
                    path,
                    crate::bans::cluster::Op::Del,
                    net,
                    None,
                    "manual",
                )?
            {
                println!("unban of {net} published to the cluster");
            }
            let mut edge = pin.open()?;
            if let Err(err) = edge.ban_del(net) {
                if let EdgeError::NotFound { .. } = err {
                    let wider: Vec<String> = edge
                        .bans()?
                        .iter()
                        .filter(|b| b.net.contains(&net))
                        .map(|b| b.net.to_string())
                        .collect();
                    if !wider.is_empty() {
                        anyhow::bail!(
                            "{err}; it is covered by the ban of {} (remove that instead)",
                            wider.join(", ")
                        );
                    }
                }
                return Err(err.into());
            }
            println!("unbanned {net}");
        }
        BanCommand::List { json, pin } => {
            let bans = match pin.open_read()? {
                Some(e) => e.bans()?,
                None => Vec::new(),
            };
            let (mono, unix) = (monotonic_ns(), unix_now());
            let views: Vec<_> = bans.iter().map(|b| b.view(mono, unix)).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else if views.is_empty() {
                println!("no bans");
            } else {
                println!(
                    "{:<43} {:<8} {:<20} {:<20} {:<10} ORIGIN",
                    "CIDR", "REASON", "CREATED", "EXPIRES", "REMAINING"
                );
                for v in views {
                    println!(
                        "{:<43} {:<8} {:<20} {:<20} {:<10} {}",
                        v.cidr,
                        v.reason,
                        v.created,
                        v.expires.as_deref().unwrap_or("never"),
                        v.remaining.as_deref().unwrap_or("-"),
                        v.origin
                    );
                    // The daemon's `node NAME` note is the ORIGIN column already.
                    if let Some(note) = v.note.as_deref().filter(|n| !n.starts_with("node ")) {
                        println!("    note: {note}");
                    }
                }
            }
        }
        BanCommand::Import {
            file,
            ttl,
            reason,
            pin,
        } => {
            let started = Instant::now();
            let ttl = ttl.as_deref().map(parse_ttl).transpose()?;
            let reason = parse_reason(&reason)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let list = edge::import::parse_import(&file.display().to_string(), &text)?;
            for (line, input, net) in list.normalized.iter().take(10) {
                eprintln!(
                    "warning: {}:{line}: {input} has host bits set; using the network {net}",
                    file.display()
                );
            }
            if list.normalized.len() > 10 {
                eprintln!(
                    "warning: {} more lines had host bits set",
                    list.normalized.len() - 10
                );
            }
            let report = pin.open()?.ban_import(&list.nets, ttl, reason)?;
            println!(
                "imported {} CIDRs from {} ({} new, {} refreshed) in {:.2}s",
                list.nets.len(),
                file.display(),
                report.added,
                report.updated,
                started.elapsed().as_secs_f64()
            );
        }
        BanCommand::Sweep { pin } => {
            let mut e = pin.open()?;
            let n = edge::sweep_expired(&mut e)?;
            println!("removed {n} expired bans");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// True when two networks share any address.
fn overlaps(a: &ipnet::IpNet, b: &ipnet::IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

//! `gateway edge|ban|allow`: manage the XDP filter and its maps while it runs.
//!
//! Every command works on the maps pinned in bpffs, with or without a daemon.
//! This file holds `edge …`; `edge/ban.rs` and `edge/allow.rs` hold the lists,
//! `edge/stats.rs` the counters view and `edge/status.rs` the status view.
use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Subcommand, ValueEnum};
use gateway_common::RateLimit;

use crate::edge::{self, AttachMode, Edge};

mod allow;
mod ban;
mod stats;
mod status;

pub use allow::{AllowCommand, allow};
pub use ban::{BanCommand, ban};

/// Where the pins live (shared by every edge/ban/allow command).
#[derive(Args, Clone, Debug, Default)]
pub struct PinArgs {
    /// Base directory of the pinned maps and links (a versioned subdirectory is used).
    #[arg(long, env = "GATEWAY_PIN_DIR", value_name = "DIR")]
    pub pin_dir: Option<PathBuf>,
}

impl PinArgs {
    /// The base directory to use.
    pub fn base(&self) -> PathBuf {
        edge::pin_base(self.pin_dir.as_deref())
    }

    /// Opens (creating if needed) the pinned maps.
    pub fn open(&self) -> anyhow::Result<Edge> {
        Ok(Edge::open(&self.base())?)
    }

    /// Opens the pinned maps for reading; `None` when nothing is pinned yet
    /// (listing commands then show empty lists instead of creating maps).
    pub fn open_read(&self) -> anyhow::Result<Option<Edge>> {
        let dir = edge::pin::versioned(&self.base());
        if !dir.exists() {
            return Ok(None);
        }
        edge::pin::check_pinned(&dir)?;
        if !edge::pin::all_pinned(&dir) {
            return Ok(None);
        }
        Ok(Some(Edge::open_existing(&dir)?))
    }
}

/// `gateway edge …`
#[derive(Subcommand)]
pub enum EdgeCommand {
    /// Load the XDP program on an interface and pin it, so it stays after this command exits.
    Attach {
        /// Interface name.
        #[arg(long)]
        iface: String,
        /// auto tries native (driver) XDP, then generic (skb).
        #[arg(long, value_enum, default_value_t = AttachMode::Auto)]
        mode: AttachMode,
        /// Replace the filter if it is already attached to this interface.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Detach the filter from an interface (its maps and bans stay pinned).
    Detach {
        /// Interface name.
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        iface: Option<String>,
        /// Detach from every interface this pin directory has a link for.
        #[arg(long)]
        all: bool,
        /// With --all: also delete the pinned maps (every ban, allowlist entry and setting).
        #[arg(long, requires = "all")]
        purge: bool,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Show attached interfaces, modes, program ids, settings and map fill levels.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Packets and bytes per verdict and reason, rates, and the top dropped sources.
    Stats(stats::StatsArgs),
    /// Per-source rate limits (token buckets).
    #[command(subcommand)]
    Limit(LimitCommand),
    /// Prefix lengths sources are bucketed by (32 = per IPv4 address, 64 = per IPv6 /64).
    Prefix {
        /// IPv4 prefix length (1..=32).
        #[arg(long)]
        v4: Option<u32>,
        /// IPv6 prefix length (1..=128).
        #[arg(long)]
        v6: Option<u32>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Monitor mode: count what would be dropped, drop nothing.
    Monitor {
        /// on or off.
        #[arg(value_enum)]
        state: OnOff,
        #[command(flatten)]
        pin: PinArgs,
    },
}

/// `on` / `off`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnOff {
    /// Enable.
    On,
    /// Disable.
    Off,
}

/// `gateway edge limit …`
#[derive(Subcommand)]
pub enum LimitCommand {
    /// Set the default limit, or an override for the sources in --cidr. --pps 0 disables.
    Set {
        /// Sustained packets per second per source (0 = no limit).
        #[arg(long)]
        pps: u64,
        /// Bucket depth in packets (defaults to --pps).
        #[arg(long)]
        burst: Option<u64>,
        /// Apply to the sources in this CIDR instead of the default.
        #[arg(long)]
        cidr: Option<String>,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Remove the override of a CIDR.
    Del {
        /// The CIDR whose override to remove.
        #[arg(long)]
        cidr: String,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Show the default limit and every override.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        pin: PinArgs,
    },
}

/// Runs `gateway edge …`.
pub fn edge(cmd: EdgeCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EdgeCommand::Attach {
            iface,
            mode,
            force,
            pin,
        } => {
            let a = edge::attach(&pin.base(), &iface, mode, force)?;
            println!(
                "{} {} in {} mode (program id {}, link id {}); pinned under {}",
                if a.replaced {
                    "replaced the program on"
                } else {
                    "attached to"
                },
                a.iface,
                a.mode,
                a.program_id,
                a.link_id,
                edge::pin::versioned(&pin.base()).display()
            );
            if let Some(v) = a.upgraded_from {
                println!(
                    "upgraded from map layout v{v}: its bans, allowlist, rate overrides and settings were carried over{}",
                    if a.retired {
                        "; its pins were removed"
                    } else {
                        ""
                    }
                );
            }
        }
        EdgeCommand::Detach {
            iface,
            all,
            purge,
            pin,
        } => {
            let base = pin.base();
            let ifaces = match iface {
                Some(i) => vec![i],
                None => edge::status(&base)?.into_iter().map(|l| l.iface).collect(),
            };
            for i in &ifaces {
                edge::detach(&base, i)?;
                println!("detached from {i}");
            }
            if all && ifaces.is_empty() {
                println!("no interface was attached");
            }
            if purge {
                let dir = edge::pin::versioned(&base);
                let n = edge::purge(&base)?;
                println!("deleted {n} pinned maps under {}", dir.display());
            } else {
                println!("bans and settings stay pinned");
            }
        }
        EdgeCommand::Status { json, pin } => status::run(json, &pin)?,
        EdgeCommand::Stats(args) => return stats::run(args),
        EdgeCommand::Limit(cmd) => limit(cmd)?,
        EdgeCommand::Prefix { v4, v6, pin } => {
            if v4.is_none() && v6.is_none() {
                anyhow::bail!("give --v4 N and/or --v6 N");
            }
            let mut e = pin.open()?;
            e.set_prefixes(v4, v6)?;
            let cfg = e.config()?;
            println!(
                "sources are bucketed by IPv4 /{} and IPv6 /{}",
                cfg.prefix_v4, cfg.prefix_v6
            );
        }
        EdgeCommand::Monitor { state, pin } => {
            let on = matches!(state, OnOff::On);
            pin.open()?.set_monitor(on)?;
            println!(
                "monitor mode {}",
                if on {
                    "on: drops are counted, nothing is dropped"
                } else {
                    "off: the filter drops"
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A limit as text: `off` or `N pps, burst M`.
pub(crate) fn describe_limit(l: &RateLimit) -> String {
    if l.pps == 0 {
        "off".into()
    } else {
        format!("{} pps, burst {}", l.pps, l.burst)
    }
}

fn limit(cmd: LimitCommand) -> anyhow::Result<()> {
    match cmd {
        LimitCommand::Set {
            pps,
            burst,
            cidr,
            pin,
        } => {
            let limit = RateLimit {
                pps,
                burst: burst.unwrap_or(pps),
            };
            edge::check_limit(&limit)?;
            match cidr {
                None => {
                    pin.open()?.set_default_limit(limit)?;
                    println!("default limit: {}", describe_limit(&limit));
                }
                Some(text) => {
                    let net = parse_cidr_warn(&text)?;
                    pin.open()?.limit_set(net, limit)?;
                    println!("limit for {net}: {}", describe_limit(&limit));
                }
            }
        }
        LimitCommand::Del { cidr, pin } => {
            let net = parse_cidr_warn(&cidr)?;
            pin.open()?.limit_del(net)?;
            println!("removed the limit override of {net}");
        }
        LimitCommand::Show { json, pin } => {
            let (cfg, overrides) = match pin.open_read()? {
                Some(e) => (e.config()?, e.limits()?),
                None => (gateway_common::EdgeConfig::DEFAULT, Vec::new()),
            };
            if json {
                let list: Vec<_> = overrides
                    .iter()
                    .map(|(n, l)| serde_json::json!({"cidr": n.to_string(), "pps": l.pps, "burst": l.burst}))
                    .collect();
                let out = serde_json::json!({
                    "default": {"pps": cfg.rate.pps, "burst": cfg.rate.burst},
                    "overrides": list,
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("default: {}", describe_limit(&cfg.rate));
                for (n, l) in overrides {
                    println!("{n}: {}", describe_limit(&l));
                }
            }
        }
    }
    Ok(())
}

/// Parses a CIDR, printing a warning on stderr when host bits were cleared.
pub(crate) fn parse_cidr_warn(text: &str) -> anyhow::Result<ipnet::IpNet> {
    let parsed = edge::cidr::parse_cidr(text)?;
    if let Some(w) = parsed.warning(text) {
        eprintln!("warning: {w}");
    }
    Ok(parsed.net)
}

//! `gateway edge stats`: counters per verdict and reason, rates from two
//! samples, and the top dropped sources; `--watch` repeats until Ctrl-C.
use std::{process::ExitCode, thread::sleep, time::Duration};

use clap::Args;

use super::PinArgs;
use crate::edge::{DropView, Edge, SlotView, ttl::parse_ttl};

/// Arguments of `gateway edge stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// Print JSON (one object per sample).
    #[arg(long)]
    json: bool,
    /// Print again every --interval until Ctrl-C.
    #[arg(long)]
    watch: bool,
    /// Time between the two samples rates are computed from, e.g. 1s, 5s.
    #[arg(long, default_value = "1s")]
    interval: String,
    /// How many top dropped sources to show.
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[command(flatten)]
    pin: PinArgs,
}

/// Runs `gateway edge stats`.
pub fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let interval = parse_ttl(&args.interval).map_err(|_| {
        anyhow::anyhow!(
            "invalid --interval {:?}: use a duration such as 1s, 5s or 1m",
            args.interval
        )
    })?;
    let dir = crate::edge::pin::versioned(&args.pin.base());
    let edge = Edge::open_existing(&dir)?;
    let mut before = edge.stats()?;
    loop {
        sleep(interval.min(Duration::from_secs(3600)));
        let now = edge.stats()?;
        let slots = now.views(Some(&before));
        let top = edge.top_drops(args.top)?;
        if args.json {
            let mut counters = serde_json::Map::new();
            for s in &slots {
                counters.insert(s.name.to_string(), serde_json::to_value(s)?);
            }
            let out = serde_json::json!({
                "interval_secs": interval.as_secs_f64(),
                "counters": counters,
                "top_dropped": top,
            });
            println!("{}", serde_json::to_string(&out)?);
        } else {
            print_text(&slots, &top);
        }
        if !args.watch {
            return Ok(ExitCode::SUCCESS);
        }
        before = now;
    }
}

fn print_text(slots: &[SlotView], top: &[DropView]) {
    println!(
        "{:<18} {:>14} {:>16} {:>12} {:>14}",
        "COUNTER", "PACKETS", "BYTES", "PKT/S", "BYTES/S"
    );
    for s in slots {
        println!(
            "{:<18} {:>14} {:>16} {:>12.1} {:>14.1}",
            s.name, s.packets, s.bytes, s.pps, s.bps
        );
    }
    if top.is_empty() {
        println!("no dropped sources");
    } else {
        println!(
            "{:<43} {:>12} {:>14} LAST",
            "TOP DROPPED SOURCE", "PACKETS", "BYTES"
        );
        for d in top {
            println!(
                "{:<43} {:>12} {:>14} {}",
                d.source, d.packets, d.bytes, d.last
            );
        }
    }
    println!();
}

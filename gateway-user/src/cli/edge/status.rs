//! `gateway edge status`: attached interfaces, settings and map fill levels.
use super::{PinArgs, describe_limit};
use crate::edge::{self, Edge};

/// Prints the status, as text or JSON.
pub fn run(json: bool, pin: &PinArgs) -> anyhow::Result<()> {
    let base = pin.base();
    let links = edge::status(&base)?;
    let dir = edge::pin::versioned(&base);
    if dir.exists() {
        edge::pin::check_pinned(&dir)?;
    }
    let opened = if edge::pin::all_pinned(&dir) {
        Some(Edge::open_existing(&dir)?)
    } else {
        None
    };
    let fill = match &opened {
        Some(e) => e.fill_levels()?,
        None => Vec::new(),
    };
    let cfg = opened.as_ref().map(|e| e.config()).transpose()?;
    if json {
        let maps: Vec<_> = fill
            .iter()
            .map(|(name, used, cap)| serde_json::json!({"name": name, "entries": used, "capacity": cap}))
            .collect();
        let config = cfg.map(|c| {
            serde_json::json!({
                "pps": c.rate.pps, "burst": c.rate.burst,
                "prefix_v4": c.prefix_v4, "prefix_v6": c.prefix_v6,
                "monitor": c.monitor != 0,
            })
        });
        let other_layouts: Vec<_> = edge::pin::other_versions(&base)
            .iter()
            .map(|old| {
                serde_json::json!({
                    "dir": old,
                    "version": edge::migrate::version_of(old),
                    "interfaces": edge::migrate::linked_interfaces(old),
                    "carries_over": edge::migrate::carries(old),
                })
            })
            .collect();
        let out = serde_json::json!({
            "pin_dir": dir,
            "interfaces": links,
            "other_layouts": other_layouts,
            "config": config,
            "maps": maps,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("pin dir: {}", dir.display());
    for old in edge::pin::other_versions(&base) {
        let ifaces = edge::migrate::linked_interfaces(&old);
        let version = edge::migrate::version_of(&old).unwrap_or(0);
        if edge::migrate::carries(&old) && !ifaces.is_empty() {
            println!(
                "note: {} is the filter of the older map layout v{version}, still attached to {}; `gateway edge attach --iface IF` upgrades it (its bans are carried over)",
                old.display(),
                ifaces.join(", ")
            );
        } else if edge::migrate::carries(&old) {
            println!(
                "note: {} holds the maps of the older layout v{version}, unused; their state was carried over when this gateway's maps were created (remove with: rm -r {})",
                old.display(),
                old.display()
            );
        } else {
            println!(
                "note: {} holds pins of another map layout (v{version}), which this gateway cannot read (remove with: rm -r {})",
                old.display(),
                old.display()
            );
        }
    }
    if links.is_empty() {
        println!("interfaces: none attached");
    } else {
        println!(
            "{:<16} {:<8} {:>10} {:>8}",
            "INTERFACE", "MODE", "PROGRAM", "LINK"
        );
        for l in &links {
            println!(
                "{:<16} {:<8} {:>10} {:>8}",
                l.iface, l.mode, l.program_id, l.link_id
            );
        }
    }
    match cfg {
        Some(c) => println!(
            "default limit: {}; buckets per IPv4 /{} and IPv6 /{}; monitor mode {}",
            describe_limit(&c.rate),
            c.prefix_v4,
            c.prefix_v6,
            if c.monitor != 0 { "on" } else { "off" }
        ),
        None => println!("maps: not pinned yet (attach an interface or add a ban to create them)"),
    }
    if !fill.is_empty() {
        println!(
            "{:<10} {:>10} {:>10} {:>6}",
            "MAP", "ENTRIES", "CAPACITY", "FILL"
        );
        for (name, used, cap) in fill {
            let pct = used as f64 * 100.0 / f64::from(cap.max(1));
            println!("{name:<10} {used:>10} {cap:>10} {pct:>5.1}%");
        }
    }
    Ok(())
}

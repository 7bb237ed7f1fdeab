//! Turns the XDP program's overflow events (sources whose token bucket ran dry,
//! already rate-limited in the kernel) into `edge` offenses. The EVENTS ring
//! buffer is drained by one thread every 100 ms until the returned guard drops.
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use gateway_common::{OverflowEvent, family};

use super::manager::{BanManager, OffenseKind};
use crate::edge::{Edge, parse_overflow};

/// The source address of an overflow event (`None` for an unknown family).
pub fn source_ip(ev: &OverflowEvent) -> Option<IpAddr> {
    let a = ev.source.addr;
    match ev.source.family {
        family::V4 => Some(IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))),
        family::V6 => Some(IpAddr::V6(Ipv6Addr::from(a))),
        _ => None,
    }
}

/// Stops the reader thread when dropped.
pub struct EventReader {
    stop: Arc<AtomicBool>,
}

impl Drop for EventReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts draining `edge`'s EVENTS ring buffer into `manager`.
pub fn start(edge: &Edge, manager: Arc<BanManager>) -> crate::edge::Result<EventReader> {
    let mut ring = edge.overflow_events()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("xdp-events".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                while let Some(item) = ring.next() {
                    if let Some(ev) = parse_overflow(&item)
                        && let Some(ip) = source_ip(&ev)
                    {
                        let evidence = format!("xdp overflow, {} dropped", ev.dropped);
                        manager.offense(ip, OffenseKind::Edge, &evidence);
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
        .map_err(|e| {
            crate::edge::EdgeError::InvalidSetting(format!(
                "cannot start the XDP event reader: {e}"
            ))
        })?;
    Ok(EventReader { stop })
}

//! The pinned XDP links: detaching, listing what is attached, and purging
//! the pins. A link pinned as `link_<ifname>` keeps the program attached;
//! removing the pin detaches it.
use std::{path::Path, process::Command};

use aya::programs::links::{FdLink, PinnedLink};
use serde::Serialize;

use super::{
    error::{EdgeError, Result},
    loader::if_index,
    pin,
};

/// One attached interface as `gateway edge status` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct LinkStatus {
    /// Interface name.
    pub iface: String,
    /// `native`, `skb`, `hw`, or `unknown` (interface gone, for example).
    pub mode: String,
    /// Kernel id of the attached program.
    pub program_id: u32,
    /// Kernel id of the link.
    pub link_id: u32,
}

/// Detaches the filter from `iface` by removing its pinned link.
pub fn detach(base: &Path, iface: &str) -> Result<()> {
    let dir = pin::versioned(base);
    let link_pin = pin::link_path(&dir, iface);
    if !link_pin.exists() {
        return Err(EdgeError::NotAttached {
            iface: iface.to_string(),
            path: link_pin,
        });
    }
    detach_pin(&link_pin)
}

/// Deletes every pinned map of the current layout under `base` (after the
/// links are gone); returns how many were removed. Bans are lost.
pub fn purge(base: &Path) -> Result<usize> {
    let dir = pin::versioned(base);
    let mut removed = 0;
    for spec in &pin::SPECS {
        let path = dir.join(spec.name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(EdgeError::io(path, e)),
        }
    }
    // Leave the directory if anything else (a link) is still in it.
    let _ = std::fs::remove_dir(&dir);
    let _ = std::fs::remove_dir(base);
    Ok(removed)
}

/// Unpins a link; the kernel detaches it once the last reference is gone.
pub(crate) fn detach_pin(path: &Path) -> Result<()> {
    match PinnedLink::from_pin(path) {
        Ok(link) => link.unpin().map(drop).map_err(|e| EdgeError::io(path, e)),
        // Not a link we can open: remove the stale file anyway.
        Err(_) => std::fs::remove_file(path).map_err(|e| EdgeError::io(path, e)),
    }
}

/// (link id, program id) of a pinned link.
pub(crate) fn link_info(path: &Path) -> Option<(u32, u32)> {
    let link = PinnedLink::from_pin(path).ok()?;
    let fd: FdLink = link.into();
    let info = fd.info().ok()?;
    Some((info.id(), info.program_id()))
}

/// Every interface with a pinned link under `base`.
pub fn status(base: &Path) -> Result<Vec<LinkStatus>> {
    let dir = pin::versioned(base);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(EdgeError::io(&dir, e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(iface) = name.strip_prefix("link_") else {
            continue;
        };
        let (link_id, program_id) = link_info(&entry.path()).unwrap_or((0, 0));
        out.push(LinkStatus {
            iface: iface.to_string(),
            mode: xdp_mode_of(iface),
            program_id,
            link_id,
        });
    }
    out.sort_by(|a, b| a.iface.cmp(&b.iface));
    Ok(out)
}

/// The XDP mode the kernel reports for an interface (`ip -j link show`).
pub(crate) fn xdp_mode_of(iface: &str) -> String {
    if if_index(iface).is_err() {
        return "gone (interface removed)".into();
    }
    let out = Command::new("ip")
        .args(["-j", "link", "show", "dev", iface])
        .output();
    let Ok(out) = out else {
        return "unknown".into();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return "unknown".into();
    };
    // XDP_ATTACHED_DRV = 1, SKB = 2, HW = 3, MULTI = 4.
    match json[0]["xdp"]["mode"].as_u64() {
        Some(1) => "native".into(),
        Some(2) => "skb".into(),
        Some(3) => "hw".into(),
        Some(4) => "multi".into(),
        _ => "unknown".into(),
    }
}

//! Free-text ban notes (`gateway ban add CIDR --reason "scanner seen in logs"`).
//!
//! The kernel map only stores a reason code, and bpffs holds no regular files,
//! so notes live in a small JSON side file in the state directory
//! (`$GATEWAY_STATE_DIR`, default `/var/lib/gateway`), one file per pin base.
//! Writers take an exclusive `flock`, so the CLI and the daemon can both edit it.
use std::{
    collections::BTreeMap,
    fs::{File, OpenOptions},
    io::{Read, Seek, SeekFrom, Write},
    os::fd::AsRawFd,
    path::{Path, PathBuf},
};

use super::error::{EdgeError, Result};

/// Environment variable naming the state directory.
pub const STATE_DIR_ENV: &str = "GATEWAY_STATE_DIR";
/// Default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/gateway";

/// The notes file of a pin base directory.
pub fn path_for(base: &Path) -> PathBuf {
    state_file(base, "ban-notes", "json")
}

/// A file of the state directory belonging to one pin base directory.
pub(crate) fn state_file(base: &Path, name: &str, ext: &str) -> PathBuf {
    let dir = std::env::var_os(STATE_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
    let tag: String = base
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    dir.join(format!("{name}{tag}.{ext}"))
}

/// Reads every note (CIDR → text); a missing file means no notes.
pub fn load(base: &Path) -> Result<BTreeMap<String, String>> {
    let path = path_for(base);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => Ok(BTreeMap::new()),
        Ok(text) => parse(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(EdgeError::io(path, e)),
    }
}

/// Applies `change` to the notes under an exclusive lock.
pub fn update(base: &Path, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<()> {
    let path = path_for(base);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| EdgeError::io(dir, e))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| EdgeError::io(&path, e))?;
    lock(&file, &path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| EdgeError::io(&path, e))?;
    let mut notes = if text.trim().is_empty() {
        BTreeMap::new()
    } else {
        parse(&path, &text)?
    };
    let before = notes.clone();
    change(&mut notes);
    if notes == before {
        return Ok(());
    }
    let out = serde_json::to_string_pretty(&notes).unwrap_or_else(|_| "{}".into());
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
        .and_then(|()| file.write_all(out.as_bytes()))
        .map_err(|e| EdgeError::io(&path, e))
}

fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(text).map_err(|e| {
        EdgeError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        )
    })
}

pub(crate) fn lock(file: &File, path: &Path) -> Result<()> {
    // SAFETY: flock on a descriptor we own; released when the file is closed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(EdgeError::io(path, std::io::Error::last_os_error()));
    }
    Ok(())
}

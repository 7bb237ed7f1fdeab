//! The writers' lock of one pin directory: the ban tables and CONFIG are
//! edited in place by whichever process holds it (the CLI, the daemon), so
//! two writers never pick the same free slot or undo each other's CONFIG
//! change. An exclusive `flock` on a file of the state directory: the kernel
//! drops it when its holder dies.
use std::{
    fs::{File, OpenOptions},
    os::fd::AsRawFd,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use super::{
    error::{EdgeError, Result},
    notes,
};

/// The lock file of a pin base, opened on first use; re-entrant within one [`super::Edge`].
pub(crate) struct WriteLock {
    path: PathBuf,
    file: Option<Arc<File>>,
    depth: Arc<AtomicU32>,
}

/// Held while a change is made; the lock is released when the outermost guard drops.
pub(crate) struct Held {
    file: Arc<File>,
    depth: Arc<AtomicU32>,
}

impl WriteLock {
    /// The lock of the pin base directory `base`.
    pub(crate) fn new(base: &Path) -> WriteLock {
        WriteLock {
            path: notes::state_file(base, "edge-writer", "lock"),
            file: None,
            depth: Arc::new(AtomicU32::new(0)),
        }
    }

    /// Takes the lock, waiting for another writer to finish.
    pub(crate) fn hold(&mut self) -> Result<Held> {
        let file = match &self.file {
            Some(file) => file.clone(),
            None => {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| EdgeError::io(dir, e))?;
                }
                let file = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&self.path)
                    .map_err(|e| EdgeError::io(&self.path, e))?;
                self.file.insert(Arc::new(file)).clone()
            }
        };
        if self.depth.load(Ordering::Relaxed) == 0 {
            notes::lock(&file, &self.path)?;
        }
        self.depth.fetch_add(1, Ordering::Relaxed);
        Ok(Held {
            file,
            depth: self.depth.clone(),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.depth.fetch_sub(1, Ordering::Relaxed) == 1 {
            // SAFETY: flock on a descriptor we own.
            unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
        }
    }
}

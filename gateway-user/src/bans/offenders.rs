//! Repeat offenders: how many times each network was banned, and when last. The
//! TTL of a network's next ban doubles with each one (see `escalate`), so this
//! memory is kept on disk (`$GATEWAY_STATE_DIR/offenders<pin base>.json`): an
//! attacker gains nothing by waiting for a restart. Entries older than
//! `bans.max_ttl` are forgotten.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// One network's ban history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offender {
    /// Bans so far.
    pub bans: u32,
    /// When the last one was decided, Unix seconds.
    pub last_unix: u64,
}

/// The repeat offenders, and the file that keeps them (none in tests and tools).
#[derive(Debug, Default)]
pub struct Offenders {
    map: HashMap<IpNet, Offender>,
    file: Option<PathBuf>,
}

impl Offenders {
    /// Offenders kept in `file`, loaded from it now. A missing file is an empty
    /// history; an unreadable one is reported and replaced at the next ban.
    pub fn persistent(file: PathBuf) -> Self {
        let map = match std::fs::read_to_string(&file) {
            Ok(text) => match serde_json::from_str::<HashMap<IpNet, Offender>>(&text) {
                Ok(map) => map,
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "repeat offenders file unreadable; starting without it");
                    HashMap::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "repeat offenders file unreadable; starting without it");
                HashMap::new()
            }
        };
        Offenders {
            map,
            file: Some(file),
        }
    }

    /// Records a new ban of `net` at `now_unix` and returns how many came before
    /// it within `max_age_secs`. At most `cap` networks are remembered (the
    /// oldest go first), and the file is rewritten.
    pub fn record(&mut self, net: IpNet, now_unix: u64, max_age_secs: u64, cap: usize) -> u32 {
        self.map
            .retain(|_, o| now_unix.saturating_sub(o.last_unix) < max_age_secs);
        let before = self.map.get(&net).map_or(0, |o| o.bans);
        if !self.map.contains_key(&net)
            && self.map.len() >= cap.max(1)
            && let Some((&oldest, _)) = self.map.iter().min_by_key(|(_, o)| o.last_unix)
        {
            self.map.remove(&oldest);
        }
        self.map.insert(
            net,
            Offender {
                bans: before.saturating_add(1),
                last_unix: now_unix,
            },
        );
        self.save();
        before
    }

    fn save(&self) {
        let Some(file) = &self.file else { return };
        if let Err(e) = write_atomically(file, &self.map) {
            tracing::warn!(file = %file.display(), error = %e, "cannot save repeat offenders");
        }
    }
}

/// Writes to a temporary file beside `file`, then renames it over: a crash leaves
/// the old file or the new one, never half of one.
fn write_atomically(file: &Path, map: &HashMap<IpNet, Offender>) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("json.tmp");
    let text = serde_json::to_string(map).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().expect("net")
    }

    #[test]
    fn bans_are_counted_per_network_and_forgotten_after_max_age() {
        let mut o = Offenders::default();
        assert_eq!(o.record(net("198.18.1.0/24"), 1000, 3600, 100), 0);
        assert_eq!(o.record(net("198.18.1.0/24"), 1100, 3600, 100), 1);
        assert_eq!(o.record(net("198.18.2.0/24"), 1100, 3600, 100), 0);
        // An hour after its last ban, a network starts over.
        assert_eq!(o.record(net("198.18.1.0/24"), 1100 + 3600, 3600, 100), 0);
    }

    #[test]
    fn the_history_survives_a_restart_through_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("state/offenders.json");
        let mut first = Offenders::persistent(file.clone());
        first.record(net("198.18.1.0/24"), 1000, 3600, 100);
        first.record(net("198.18.1.0/24"), 1001, 3600, 100);
        drop(first);
        let mut again = Offenders::persistent(file);
        assert_eq!(again.record(net("198.18.1.0/24"), 1002, 3600, 100), 2);
    }

    #[test]
    fn a_corrupt_file_is_an_empty_history_and_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("offenders.json");
        std::fs::write(&file, "{not json").expect("write");
        let mut o = Offenders::persistent(file.clone());
        assert_eq!(o.record(net("2001:db8::/64"), 5, 3600, 100), 0);
        let text = std::fs::read_to_string(&file).expect("rewritten");
        assert!(text.contains("2001:db8::/64"), "{text}");
    }

    #[test]
    fn at_most_cap_networks_are_remembered_the_oldest_going_first() {
        let mut o = Offenders::default();
        o.record(net("198.18.1.0/24"), 10, 3600, 2);
        o.record(net("198.18.2.0/24"), 20, 3600, 2);
        o.record(net("198.18.3.0/24"), 30, 3600, 2);
        assert_eq!(o.record(net("198.18.1.0/24"), 40, 3600, 2), 0, "evicted");
        assert_eq!(o.record(net("198.18.3.0/24"), 50, 3600, 2), 1, "kept");
    }
}

//! The blocklist: adding, removing and listing bans (imports are in
//! `import.rs`, the sweep of expired bans in `sweep.rs`).
//!
//! Expiries are `CLOCK_MONOTONIC` nanoseconds, the clock the XDP program reads;
//! an expired entry no longer drops anything, is never listed, and is removed
//! later by the sweep (`sweep.rs`).
use std::time::Duration;

use gateway_common::{BanReason, BanValue};
use ipnet::IpNet;
use serde::Serialize;

use super::{
    Edge,
    block::BlockKey,
    error::{EdgeError, Result},
    notes,
    ttl::{format_duration, format_unix, monotonic_ns, unix_now},
};

/// One blocklist entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ban {
    /// The banned network.
    pub net: IpNet,
    /// The stored value.
    pub value: BanValue,
    /// Free-text note from the side file, if any.
    pub note: Option<String>,
}

impl Ban {
    /// The reason, if its code is one we know.
    pub fn reason(&self) -> Option<BanReason> {
        BanReason::from_code(self.value.reason)
    }

    /// The reason's name (`manual`, `waf`, … or `code-N`).
    pub fn reason_name(&self) -> String {
        self.reason()
            .map(|r| r.name().to_string())
            .unwrap_or_else(|| format!("code-{}", self.value.reason))
    }

    /// True once the expiry has passed (never for permanent bans).
    pub fn expired_at(&self, now_mono_ns: u64) -> bool {
        self.value.expires_ns != 0 && self.value.expires_ns <= now_mono_ns
    }

    /// Time left, or `None` for a permanent ban.
    pub fn remaining(&self, now_mono_ns: u64) -> Option<Duration> {
        (self.value.expires_ns != 0)
            .then(|| Duration::from_nanos(self.value.expires_ns.saturating_sub(now_mono_ns)))
    }

    /// A printable/serialisable view with wall-clock times.
    pub fn view(&self, now_mono_ns: u64, now_unix: u64) -> BanView {
        let remaining = self.remaining(now_mono_ns);
        BanView {
            cidr: self.net.to_string(),
            reason: self.reason_name(),
            created: format_unix(self.value.created_unix),
            expires: remaining.map(|r| format_unix(now_unix + r.as_secs_f64().ceil() as u64)),
            remaining: remaining.map(format_duration),
            remaining_secs: remaining.map(|r| r.as_secs()),
            origin: origin_of(self.note.as_deref()),
            note: self.note.clone(),
        }
    }
}

/// Who decided a ban: the daemon notes `node NAME` on the bans it installs (its
/// own, and those received from the cluster with the deciding node's name); any
/// other ban was made with `gateway ban` on this host.
fn origin_of(note: Option<&str>) -> String {
    note.and_then(|n| n.strip_prefix("node "))
        .unwrap_or("cli")
        .to_owned()
}

/// A ban as `gateway ban list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct BanView {
    /// Network.
    pub cidr: String,
    /// Reason name.
    pub reason: String,
    /// When it was made (RFC 3339 UTC).
    pub created: String,
    /// When it expires (RFC 3339 UTC), `null` when permanent.
    pub expires: Option<String>,
    /// Time left, e.g. `59m58s`; `null` when permanent.
    pub remaining: Option<String>,
    /// Seconds left; `null` when permanent.
    pub remaining_secs: Option<u64>,
    /// The node that decided the ban, or `cli` for `gateway ban add|import` here.
    pub origin: String,
    /// Free-text note given with `--reason TEXT`, if any.
    pub note: Option<String>,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// New entries.
    pub added: usize,
    /// Entries that existed and were refreshed (TTL and reason).
    pub updated: usize,
}

/// Parses a reason name as given on the command line.
pub fn parse_reason(name: &str) -> Result<BanReason> {
    BanReason::ALL
        .into_iter()
        .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| EdgeError::InvalidReason(name.to_string()))
}

/// Reads `--reason`: a reason name, or free text (reason `manual` plus a note).
pub fn parse_reason_or_note(text: &str) -> Result<(BanReason, Option<String>)> {
    if let Ok(r) = parse_reason(text) {
        return Ok((r, None));
    }
    let note = text.trim();
    if note.is_empty() {
        return Err(EdgeError::InvalidReason(text.to_string()));
    }
    if note.len() > 512 || note.chars().any(char::is_control) {
        return Err(EdgeError::InvalidSetting(
            "--reason text must be one line of at most 512 bytes".into(),
        ));
    }
    Ok((BanReason::Manual, Some(note.to_string())))
}

/// Builds the value of a new ban.
pub(crate) fn ban_value(ttl: Option<Duration>, reason: BanReason) -> BanValue {
    BanValue {
        expires_ns: ttl.map_or(0, |t| {
            monotonic_ns().saturating_add(u64::try_from(t.as_nanos()).unwrap_or(u64::MAX))
        }),
        created_unix: unix_now(),
        reason: reason as u32,
        _pad: 0,
    }
}

impl Edge {
    /// Bans a network (replacing an existing ban of exactly that network).
    pub fn ban_add(&mut self, net: IpNet, ttl: Option<Duration>, reason: BanReason) -> Result<()> {
        let value = ban_value(ttl, reason);
        let key = BlockKey::of(&net);
        let _held = self.lock.hold()?;
        // The table's capacity, which `ban import` holds to as well; a ban
        // of a network already banned is replaced whatever the count.
        if self.block_get(&key).is_none() && !self.block_has_room(&key) {
            return Err(self.block_full(&key, 1));
        }
        self.block_insert(&key, value).map(drop)
    }

    /// Removes the ban of exactly this network.
    pub fn ban_del(&mut self, net: IpNet) -> Result<()> {
        let key = BlockKey::of(&net);
        {
            let _held = self.lock.hold()?;
            if !self.block_remove(&key) {
                return Err(EdgeError::NotFound {
                    cidr: net.to_string(),
                    list: "blocklist",
                });
            }
            self.refresh_lens()?;
            // Sources near the network stop probing the tables at once.
            self.refresh_marks();
        }
        self.forget_notes(&[net]);
        Ok(())
    }

    /// Whether this network is (still) in the blocklist tables.
    pub fn is_blocked(&self, net: IpNet) -> Result<bool> {
        Ok(self.block_get(&BlockKey::of(&net)).is_some())
    }

    /// Every blocklist entry, expired ones included, IPv4 first.
    pub fn all_bans(&self) -> Result<Vec<Ban>> {
        Ok(self
            .block_entries()
            .into_iter()
            .map(|(key, value)| Ban {
                net: key.net(),
                value,
                note: None,
            })
            .collect())
    }

    /// Live bans (expired ones hidden) with their notes, sorted by network.
    pub fn bans(&self) -> Result<Vec<Ban>> {
        let now = monotonic_ns();
        let notes = notes::load(self.base()).unwrap_or_default();
        let mut bans: Vec<Ban> = self
            .all_bans()?
            .into_iter()
            .filter(|b| !b.expired_at(now))
            .map(|mut b| {
                b.note = notes.get(&b.net.to_string()).cloned();
                b
            })
            .collect();
        bans.sort_by_key(|b| b.net);
        Ok(bans)
    }

    /// Bans a network with a free-text note kept in the side file (see [`notes`]).
    pub fn ban_add_noted(
        &mut self,
        net: IpNet,
        ttl: Option<Duration>,
        reason: BanReason,
        note: Option<&str>,
    ) -> Result<()> {
        self.ban_add(net, ttl, reason)?;
        let key = net.to_string();
        notes::update(self.base(), |n| match note {
            Some(text) => {
                n.insert(key, text.to_string());
            }
            None => {
                n.remove(&key);
            }
        })
    }

    /// Drops the notes of networks that are no longer banned (best effort).
    pub(crate) fn forget_notes(&self, nets: &[IpNet]) {
        if nets.is_empty() || !notes::path_for(self.base()).exists() {
            return;
        }
        let _ = notes::update(self.base(), |n| {
            for net in nets {
                n.remove(&net.to_string());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_reasons_become_manual_bans_with_a_note() {
        let (r, note) = parse_reason_or_note("port scanner, ticket 42").unwrap();
        assert_eq!(r, BanReason::Manual);
        assert_eq!(note.as_deref(), Some("port scanner, ticket 42"));
        assert_eq!(parse_reason_or_note("waf").unwrap(), (BanReason::Waf, None));
        assert!(parse_reason_or_note("  ").is_err());
        assert!(parse_reason_or_note("two\nlines").is_err());
    }

    #[test]
    fn reasons_parse_by_name_case_insensitively() {
        assert_eq!(parse_reason("WAF").unwrap(), BanReason::Waf);
        assert_eq!(parse_reason("import").unwrap(), BanReason::Import);
        assert!(parse_reason("because").is_err());
    }

    #[test]
    fn a_permanent_ban_never_expires_and_a_timed_one_does() {
        let net: IpNet = "198.18.0.1/32".parse().unwrap();
        let permanent = Ban {
            net,
            value: ban_value(None, BanReason::Manual),
            note: None,
        };
        assert!(!permanent.expired_at(u64::MAX));
        assert!(permanent.remaining(0).is_none());
        let timed = Ban {
            net,
            value: ban_value(Some(Duration::from_secs(60)), BanReason::Manual),
            note: None,
        };
        assert!(!timed.expired_at(monotonic_ns()));
        assert!(timed.expired_at(monotonic_ns() + 61_000_000_000));
        let view = timed.view(monotonic_ns(), unix_now());
        assert_eq!(view.reason, "manual");
        assert!(view.expires.is_some());
    }
}

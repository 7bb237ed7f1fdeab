//! `gateway ban import`: parsing a blocklist file (one CIDR per line, `#`
//! comments, blank lines) and inserting it all or nothing. Every line is
//! checked and the free space counted before anything is inserted.
use std::{collections::HashSet, time::Duration};

use gateway_common::{BanReason, BanValue};
use ipnet::IpNet;

use super::{
    Edge,
    bans::{ImportReport, ban_value},
    block::{BLOCK_MAPS, BlockKey},
    cidr::parse_cidr,
    error::{EdgeError, Result},
};

/// The CIDRs of an import file, deduplicated, in file order.
#[derive(Debug, Default)]
pub struct ImportList {
    /// Networks to insert.
    pub nets: Vec<IpNet>,
    /// Lines whose host bits were cleared: (line number, input, result).
    pub normalized: Vec<(usize, String, IpNet)>,
}

/// Parses the text of an import file; the first bad line fails the whole file.
pub fn parse_import(file: &str, text: &str) -> Result<ImportList> {
    let mut list = ImportList::default();
    let mut seen = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parsed = parse_cidr(line).map_err(|e| EdgeError::ImportLine {
            file: file.to_string(),
            line: i + 1,
            text: raw.to_string(),
            reason: match e {
                EdgeError::InvalidCidr { reason, .. } => format!("invalid CIDR: {reason}"),
                other => other.to_string(),
            },
        })?;
        if parsed.normalized {
            list.normalized.push((i + 1, line.to_string(), parsed.net));
        }
        if seen.insert(parsed.net) {
            list.nets.push(parsed.net);
        }
    }
    Ok(list)
}

impl Edge {
    /// Bans every network of an import, all or nothing: capacity is checked
    /// first, and a failure part-way removes the entries this call added.
    pub fn ban_import(
        &mut self,
        nets: &[IpNet],
        ttl: Option<Duration>,
        reason: BanReason,
    ) -> Result<ImportReport> {
        let keys: Vec<BlockKey> = nets.iter().map(BlockKey::of).collect();
        let value = ban_value(ttl, reason);
        let _held = self.lock.hold()?;
        let plan = self.plan(&keys)?;
        if let Err(e) = self.insert_all(&keys, &plan, value) {
            self.refresh_lens()?;
            return Err(e);
        }
        let added = plan.new_keys;
        Ok(ImportReport {
            added,
            updated: keys.len() - added,
        })
    }

    /// Which keys of an import are new, after checking they fit in their maps.
    fn plan(&self, keys: &[BlockKey]) -> Result<Plan> {
        if keys.is_empty() {
            return Ok(Plan {
                is_new: Vec::new(),
                new_keys: 0,
            });
        }
        let existing: HashSet<BlockKey> =
            self.block_entries().into_iter().map(|(k, _)| k).collect();
        let is_new: Vec<bool> = keys.iter().map(|k| !existing.contains(k)).collect();
        let new_keys = is_new.iter().filter(|n| **n).count();
        for map in BLOCK_MAPS {
            let used = existing.iter().filter(|k| k.map() == map).count() as u64;
            let in_map = |k: &&BlockKey| k.map() == map;
            let adding = keys
                .iter()
                .zip(&is_new)
                .filter(|(k, new)| **new && in_map(k))
                .count() as u64;
            if let Some(k) = keys.iter().find(in_map) {
                check_fits(map, used, adding, k.capacity())?;
            }
        }
        Ok(Plan { is_new, new_keys })
    }

    /// Inserts keys in order; on failure removes the new ones it added.
    fn insert_all(&mut self, keys: &[BlockKey], plan: &Plan, value: BanValue) -> Result<()> {
        for (i, k) in keys.iter().enumerate() {
            if let Err(e) = self.block_insert(k, value) {
                self.rollback(keys, plan, i);
                // After the rollback the table holds what it held before.
                return Err(match e {
                    EdgeError::Full { map, .. } => {
                        let adding = keys
                            .iter()
                            .zip(&plan.is_new)
                            .filter(|(k, new)| **new && k.map() == map)
                            .count();
                        self.block_full(k, adding as u64)
                    }
                    other => other,
                });
            }
        }
        Ok(())
    }

    /// Removes the first `done` keys of an import that were new.
    fn rollback(&mut self, keys: &[BlockKey], plan: &Plan, done: usize) {
        for (k, new) in keys.iter().zip(&plan.is_new).take(done) {
            if *new {
                self.block_remove(k);
            }
        }
    }
}

/// Which keys of an import are new.
struct Plan {
    is_new: Vec<bool>,
    new_keys: usize,
}

/// Refuses an insert of `adding` new entries into a map holding `used` of `capacity`.
fn check_fits(map: &'static str, used: u64, adding: u64, capacity: u32) -> Result<()> {
    if used + adding > u64::from(capacity) {
        return Err(EdgeError::Full {
            map,
            used,
            adding,
            capacity,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_duplicates_are_skipped() {
        let text = "# header\n\n198.18.0.1\n198.18.0.0/24  # trailing comment\n  2001:db8::/32\n198.18.0.1/32\n";
        let list = parse_import("f", text).unwrap();
        let got: Vec<String> = list.nets.iter().map(|n| n.to_string()).collect();
        assert_eq!(got, ["198.18.0.1/32", "198.18.0.0/24", "2001:db8::/32"]);
        assert!(list.normalized.is_empty());
    }

    #[test]
    fn a_bad_line_fails_the_file_naming_its_number_and_text() {
        let text = "198.18.0.1\n# ok\n198.18.0.300\n10.0.0.0/8\n";
        let err = parse_import("bans.txt", text).unwrap_err().to_string();
        assert!(err.starts_with("bans.txt:3:"), "{err}");
        assert!(err.contains("198.18.0.300"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
    }

    #[test]
    fn host_bits_are_normalized_and_reported_with_their_line() {
        let list = parse_import("f", "\n198.18.1.1/24\n").unwrap();
        assert_eq!(list.nets[0].to_string(), "198.18.1.0/24");
        assert_eq!(list.normalized.len(), 1);
        assert_eq!(list.normalized[0].0, 2);
    }

    #[test]
    fn a_hundred_thousand_lines_parse() {
        let mut text = String::new();
        for i in 0..100_000u32 {
            let [_, b, c, d] = i.to_be_bytes();
            text.push_str(&format!("10.{b}.{c}.{d}\n"));
        }
        assert_eq!(parse_import("f", &text).unwrap().nets.len(), 100_000);
    }

    #[test]
    fn an_import_that_would_overflow_the_map_is_refused_before_any_insert() {
        assert!(check_fits("BLOCK_V4", 90, 10, 100).is_ok());
        let err = check_fits("BLOCK_V4", 90, 11, 100).unwrap_err().to_string();
        assert!(err.contains("BLOCK_V4 is full"), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
    }
}

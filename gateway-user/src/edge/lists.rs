//! The allowlist, per-CIDR rate overrides and the global settings (default
//! rate, bucket prefixes, monitor mode).
use aya::{
    Pod,
    maps::{MapData, MapError, lpm_trie::LpmTrie},
};
use gateway_common::{RateLimit, maps};
use ipnet::IpNet;

use super::{
    Edge, cidr,
    error::{EdgeError, Result},
    hints::List,
    maps::{is_full, is_not_found, key_v4, key_v6},
};

/// Validates a rate limit: a non-zero rate needs a burst of at least one packet.
pub fn check_limit(limit: &RateLimit) -> Result<()> {
    if limit.pps > 0 && limit.burst == 0 {
        return Err(EdgeError::InvalidSetting(
            "--burst must be at least 1 when --pps is above 0 (an empty bucket drops everything)"
                .into(),
        ));
    }
    Ok(())
}

impl Edge {
    /// Adds a network to the allowlist (its sources skip every check).
    pub fn allow_add(&mut self, net: IpNet) -> Result<()> {
        // Its hint bits first: the program must not skip a lookup that would find it.
        self.hint(List::Allow, &[net])?;
        let res = match (key_v4(&net), key_v6(&net)) {
            (Some(k), _) => self
                .allow_v4
                .insert(&k, 1, 0)
                .map_err(|e| (maps::ALLOW_V4, e)),
            (_, Some(k)) => self
                .allow_v6
                .insert(&k, 1, 0)
                .map_err(|e| (maps::ALLOW_V6, e)),
            _ => return Ok(()),
        };
        self.refresh_skips()?;
        res.map_err(|(map, e)| insert_error(map, e))
    }

    /// Removes a network from the allowlist.
    pub fn allow_del(&mut self, net: IpNet) -> Result<()> {
        let res = match (key_v4(&net), key_v6(&net)) {
            (Some(k), _) => self.allow_v4.remove(&k).map_err(|e| (maps::ALLOW_V4, e)),
            (_, Some(k)) => self.allow_v6.remove(&k).map_err(|e| (maps::ALLOW_V6, e)),
            _ => return Ok(()),
        };
        self.refresh_skips()?;
        self.refresh_hints(List::Allow)?;
        res.map_err(|(map, e)| delete_error(map, e, net, "allowlist"))
    }

    /// Every allowlisted network, sorted.
    pub fn allows(&self) -> Result<Vec<IpNet>> {
        let mut out: Vec<IpNet> = entries(&self.allow_v4, maps::ALLOW_V4, cidr::from_v4)?
            .into_iter()
            .chain(entries(&self.allow_v6, maps::ALLOW_V6, cidr::from_v6)?)
            .map(|(n, _)| n)
            .collect();
        out.sort();
        Ok(out)
    }

    /// Sets the rate limit of the sources in a network, overriding the default.
    pub fn limit_set(&mut self, net: IpNet, limit: RateLimit) -> Result<()> {
        check_limit(&limit)?;
        self.hint(List::Limit, &[net])?;
        let res = match (key_v4(&net), key_v6(&net)) {
            (Some(k), _) => self
                .limit_v4
                .insert(&k, limit, 0)
                .map_err(|e| (maps::LIMIT_V4, e)),
            (_, Some(k)) => self
                .limit_v6
                .insert(&k, limit, 0)
                .map_err(|e| (maps::LIMIT_V6, e)),
            _ => return Ok(()),
        };
        self.refresh_skips()?;
        res.map_err(|(map, e)| insert_error(map, e))?;
        self.reset_buckets(Some(net)).map(drop)
    }

    /// Removes the rate override of a network.
    pub fn limit_del(&mut self, net: IpNet) -> Result<()> {
        let res = match (key_v4(&net), key_v6(&net)) {
            (Some(k), _) => self.limit_v4.remove(&k).map_err(|e| (maps::LIMIT_V4, e)),
            (_, Some(k)) => self.limit_v6.remove(&k).map_err(|e| (maps::LIMIT_V6, e)),
            _ => return Ok(()),
        };
        self.refresh_skips()?;
        self.refresh_hints(List::Limit)?;
        res.map_err(|(map, e)| delete_error(map, e, net, "rate-limit overrides"))?;
        self.reset_buckets(Some(net)).map(drop)
    }

    /// Every per-CIDR rate override, sorted by network.
    pub fn limits(&self) -> Result<Vec<(IpNet, RateLimit)>> {
        let mut out = entries(&self.limit_v4, maps::LIMIT_V4, cidr::from_v4)?;
        out.extend(entries(&self.limit_v6, maps::LIMIT_V6, cidr::from_v6)?);
        out.sort_by_key(|e| e.0);
        Ok(out)
    }

    /// Sets the default per-source rate limit (`pps == 0` turns the rate stage off).
    pub fn set_default_limit(&mut self, limit: RateLimit) -> Result<()> {
        check_limit(&limit)?;
        let mut cfg = self.config()?;
        cfg.rate = limit;
        self.set_config(&cfg)?;
        self.reset_buckets(None).map(drop)
    }

    /// Sets the prefix lengths sources are bucketed by (`None` keeps the current one).
    pub fn set_prefixes(&mut self, v4: Option<u32>, v6: Option<u32>) -> Result<()> {
        if let Some(p) = v4.filter(|p| !(1..=32).contains(p)) {
            return Err(EdgeError::InvalidSetting(format!(
                "--v4 {p}: the IPv4 bucket prefix must be 1..=32"
            )));
        }
        if let Some(p) = v6.filter(|p| !(1..=128).contains(p)) {
            return Err(EdgeError::InvalidSetting(format!(
                "--v6 {p}: the IPv6 bucket prefix must be 1..=128"
            )));
        }
        let mut cfg = self.config()?;
        cfg.prefix_v4 = v4.unwrap_or(cfg.prefix_v4);
        cfg.prefix_v6 = v6.unwrap_or(cfg.prefix_v6);
        self.set_config(&cfg)?;
        // Buckets keyed by the old prefixes would linger unused until evicted.
        self.reset_buckets(None).map(drop)
    }

    /// Deletes the token buckets of the sources in `within` (all when `None`),
    /// so a changed limit applies at once: those sources restart with a full
    /// bucket of the new burst instead of spending tokens saved under the old
    /// limit. Returns how many buckets were removed.
    pub fn reset_buckets(&mut self, within: Option<IpNet>) -> Result<usize> {
        let prefix_v6 = self.config()?.prefix_v6;
        Ok(self.buckets.clear(within, prefix_v6))
    }

    /// Turns monitor mode (count, never drop) on or off.
    pub fn set_monitor(&mut self, on: bool) -> Result<()> {
        let mut cfg = self.config()?;
        cfg.monitor = u32::from(on);
        self.set_config(&cfg)
    }
}

/// Reads every (network, value) of a trie.
fn entries<K: Pod, V: Pod>(
    trie: &LpmTrie<MapData, K, V>,
    map: &'static str,
    to_net: fn(u32, K) -> IpNet,
) -> Result<Vec<(IpNet, V)>> {
    trie.iter()
        .map(|item| {
            item.map(|(k, v)| (to_net(k.prefix_len(), k.data()), v))
                .map_err(|e| EdgeError::map("iterate", map, e))
        })
        .collect()
}

fn insert_error(map: &'static str, e: MapError) -> EdgeError {
    if is_full(&e) {
        let capacity = super::pin::SPECS
            .iter()
            .find(|s| s.name == map)
            .map_or(0, |s| s.capacity);
        EdgeError::Full {
            map,
            used: u64::from(capacity),
            adding: 1,
            capacity,
        }
    } else {
        EdgeError::map("insert", map, e)
    }
}

fn delete_error(map: &'static str, e: MapError, net: IpNet, list: &'static str) -> EdgeError {
    if is_not_found(&e) {
        EdgeError::NotFound {
            cidr: net.to_string(),
            list,
        }
    } else {
        EdgeError::map("delete", map, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_without_burst_is_refused() {
        assert!(check_limit(&RateLimit { pps: 10, burst: 0 }).is_err());
        assert!(check_limit(&RateLimit { pps: 0, burst: 0 }).is_ok());
        assert!(check_limit(&RateLimit { pps: 10, burst: 20 }).is_ok());
    }
}

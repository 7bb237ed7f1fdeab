//! The in-process store: keys spread over mutex-guarded shards, bounded in number
//! (expired keys go first, then the least recently used), and exact under
//! concurrency because one request locks every shard it touches (in index order,
//! so two requests cannot deadlock) for the whole check-then-commit.
use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use super::{
    LimitCheck, PolicyUsage,
    gcra::{PolicyOutcome, PolicyState, evaluate},
};

const MAX_SHARDS: usize = 64;

#[derive(Debug)]
struct Entry {
    policies: Vec<(String, PolicyState)>,
    expires_us: u64,
    last_used_us: u64,
}

type Shard = HashMap<String, Entry>;

/// Sharded, bounded, in-process counters.
#[derive(Debug)]
pub struct LocalStore {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    hasher: RandomState,
    evictions: AtomicU64,
    sweep_cursor: AtomicU64,
}

impl LocalStore {
    /// A store holding at most `max_keys` keys.
    pub fn new(max_keys: usize) -> LocalStore {
        LocalStore::with_shards(max_keys, MAX_SHARDS)
    }

    /// A store holding at most `max_keys` keys over at most `shards` shards.
    pub fn with_shards(max_keys: usize, shards: usize) -> LocalStore {
        let max_keys = max_keys.max(1);
        let count = shards.clamp(1, max_keys);
        LocalStore {
            shards: (0..count).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: max_keys / count,
            hasher: RandomState::new(),
            evictions: AtomicU64::new(0),
            sweep_cursor: AtomicU64::new(0),
        }
    }

    /// Evaluates every check at `now_us`; commits all of them only if all allow.
    pub fn check(&self, checks: &[LimitCheck], now_us: u64) -> Vec<PolicyOutcome> {
        let idx: Vec<usize> = checks.iter().map(|c| self.shard_of(&c.key)).collect();
        let mut order = idx.clone();
        order.sort_unstable();
        order.dedup();
        let mut guards: Vec<(usize, MutexGuard<'_, Shard>)> =
            order.iter().map(|&i| (i, self.lock(i))).collect();
        let find = |guards: &[(usize, MutexGuard<'_, Shard>)], shard: usize| {
            guards.iter().position(|(i, _)| *i == shard).unwrap_or(0)
        };

        let mut outcomes = Vec::with_capacity(checks.len());
        let mut olds = Vec::with_capacity(checks.len());
        for (check, &shard) in checks.iter().zip(&idx) {
            let g = &guards[find(&guards, shard)].1;
            let old = g
                .get(&check.key)
                .and_then(|e| {
                    e.policies
                        .iter()
                        .find(|(p, _)| *p == check.policy.name)
                        .map(|(_, s)| *s)
                })
                .unwrap_or_default();
            let p = &check.policy;
            outcomes.push(evaluate(
                p.rate.as_ref().map(|r| (r, p.burst)),
                p.quota.as_ref(),
                old,
                now_us,
            ));
            olds.push(old);
        }
        if outcomes.iter().all(PolicyOutcome::allowed) {
            for ((check, &shard), (out, old)) in
                checks.iter().zip(&idx).zip(outcomes.iter().zip(&olds))
            {
                let pos = find(&guards, shard);
                let g = &mut guards[pos].1;
                let new = out.committed(*old);
                let expires = now_us.saturating_add(out.ttl_us(now_us));
                if !g.contains_key(&check.key) && g.len() >= self.per_shard {
                    self.evict(g, now_us);
                }
                let entry = g.entry(check.key.clone()).or_insert_with(|| Entry {
                    policies: Vec::with_capacity(1),
                    expires_us: 0,
                    last_used_us: now_us,
                });
                entry.last_used_us = now_us;
                entry.expires_us = entry.expires_us.max(expires);
                match entry
                    .policies
                    .iter_mut()
                    .find(|(p, _)| *p == check.policy.name)
                {
                    Some((_, s)) => *s = new,
                    None => entry.policies.push((check.policy.name.clone(), new)),
                }
            }
        }
        outcomes
    }

    /// Drops expired keys, then the least recently used eighth of the shard if it is
    /// still full.
    fn evict(&self, shard: &mut Shard, now_us: u64) {
        let before = shard.len();
        shard.retain(|_, e| e.expires_us > now_us);
        if shard.len() >= self.per_shard {
            let mut ages: Vec<u64> = shard.values().map(|e| e.last_used_us).collect();
            let cut = (ages.len() / 8).max(1).min(ages.len() - 1);
            let (_, nth, _) = ages.select_nth_unstable(cut);
            let threshold = *nth;
            let mut budget = (shard.len() + 1)
                .saturating_sub(self.per_shard)
                .max(cut)
                .max(1);
            shard.retain(|_, e| {
                if budget > 0 && e.last_used_us <= threshold {
                    budget -= 1;
                    false
                } else {
                    true
                }
            });
        }
        self.evictions
            .fetch_add((before - shard.len()) as u64, Ordering::Relaxed);
    }

    /// Drops the expired keys of one shard (round robin over calls); returns how many.
    pub fn sweep_next(&self, now_us: u64) -> usize {
        let i = (self.sweep_cursor.fetch_add(1, Ordering::Relaxed) as usize) % self.shards.len();
        self.sweep_shard(i, now_us)
    }

    /// Drops every expired key; returns how many.
    pub fn sweep_all(&self, now_us: u64) -> usize {
        (0..self.shards.len())
            .map(|i| self.sweep_shard(i, now_us))
            .sum()
    }

    fn sweep_shard(&self, i: usize, now_us: u64) -> usize {
        let mut g = self.lock(i);
        let before = g.len();
        g.retain(|_, e| e.expires_us > now_us);
        let gone = before - g.len();
        self.evictions.fetch_add(gone as u64, Ordering::Relaxed);
        gone
    }

    /// What is stored under `key`.
    pub fn inspect(&self, key: &str, now_us: u64) -> Vec<PolicyUsage> {
        let g = self.lock(self.shard_of(key));
        g.get(key)
            .filter(|e| e.expires_us > now_us)
            .map(|e| {
                e.policies
                    .iter()
                    .map(|(p, s)| PolicyUsage::from_state(p, *s, now_us))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets `key`; true if it was there.
    pub fn reset(&self, key: &str) -> bool {
        self.lock(self.shard_of(key)).remove(key).is_some()
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        (0..self.shards.len()).map(|i| self.lock(i).len()).sum()
    }

    /// No keys held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys evicted so far (expired or pushed out by the bound).
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    fn shard_of(&self, key: &str) -> usize {
        (self.hasher.hash_one(key) as usize) % self.shards.len()
    }

    fn lock(&self, i: usize) -> MutexGuard<'_, Shard> {
        // Entries are plain values updated in place; a poisoned lock holds no torn state.
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::{
        policy::Policy,
        rate::{Quota, QuotaWindow, Rate},
    };
    use super::*;

    const NOW: u64 = 1_800_000_000_000_000;

    fn check(key: &str, policy: &Arc<Policy>) -> LimitCheck {
        LimitCheck {
            key: key.to_string(),
            policy: policy.clone(),
        }
    }

    #[test]
    fn eight_tasks_hammering_one_key_get_exactly_the_limit() {
        let store = Arc::new(LocalStore::new(1000));
        let quota = Arc::new(Policy::quota(
            "q",
            Quota {
                count: 500,
                window: QuotaWindow::Day,
            },
        ));
        let allowed = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (store, quota, allowed) = (store.clone(), quota.clone(), allowed.clone());
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        let c = [check("ip:198.18.0.1", &quota)];
                        if store.check(&c, NOW)[0].allowed() {
                            allowed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(allowed.load(Ordering::Relaxed), 500);
    }

    #[test]
    fn a_request_denied_by_one_limit_consumes_none_of_the_others() {
        let store = LocalStore::new(100);
        let tight = Arc::new(Policy::rate("tight", Rate::parse("1/m").unwrap(), 1));
        let loose = Arc::new(Policy::rate("loose", Rate::parse("10/m").unwrap(), 10));
        assert!(store.check(&[check("a", &tight)], NOW)[0].allowed());
        let out = store.check(&[check("a", &tight), check("b", &loose)], NOW);
        assert!(!out[0].allowed());
        let inspected = store.inspect("b", NOW);
        assert!(inspected.is_empty(), "b was not charged: {inspected:?}");
        let out = store.check(&[check("b", &loose)], NOW);
        assert_eq!(out[0].rate.unwrap().remaining, 9);
    }

    #[test]
    fn the_store_never_holds_more_than_max_keys() {
        let store = LocalStore::new(100);
        let p = Arc::new(Policy::rate("p", Rate::parse("1/h").unwrap(), 1));
        for i in 0..5_000u64 {
            store.check(&[check(&format!("ip:{i}"), &p)], NOW + i);
            assert!(store.len() <= 100, "len {} after {i}", store.len());
        }
        assert!(store.evictions() >= 4_900);
        // The most recent key is still tracked.
        assert!(!store.check(&[check("ip:4999", &p)], NOW + 5_000)[0].allowed());
    }

    #[test]
    fn expired_keys_are_evicted_before_live_ones() {
        let store = LocalStore::with_shards(2, 1);
        let short = Arc::new(Policy::rate("s", Rate::parse("10/s").unwrap(), 1));
        let long = Arc::new(Policy::rate("l", Rate::parse("1/h").unwrap(), 1));
        store.check(&[check("live", &long)], NOW);
        store.check(&[check("gone", &short)], NOW);
        store.check(&[check("new", &long)], NOW + 1_000_000);
        assert!(!store.inspect("live", NOW + 1_000_000).is_empty());
        assert!(store.inspect("gone", NOW + 1_000_000).is_empty());
    }

    #[test]
    fn idle_keys_are_swept_once_their_state_expired() {
        let store = LocalStore::new(1000);
        let p = Arc::new(Policy::rate("p", Rate::parse("10/s").unwrap(), 10));
        for i in 0..50 {
            store.check(&[check(&format!("ip:{i}"), &p)], NOW);
        }
        assert_eq!(store.sweep_all(NOW), 0, "nothing expired yet");
        assert_eq!(store.sweep_all(NOW + 1_000_000), 50);
        assert!(store.is_empty());
    }

    #[test]
    fn reset_forgets_a_key() {
        let store = LocalStore::new(10);
        let p = Arc::new(Policy::rate("p", Rate::parse("1/h").unwrap(), 1));
        store.check(&[check("k", &p)], NOW);
        assert!(!store.check(&[check("k", &p)], NOW)[0].allowed());
        assert!(store.reset("k"));
        assert!(store.check(&[check("k", &p)], NOW)[0].allowed());
    }
}

//! The Redis store: one Lua script evaluates every limit of a request in a single
//! round trip and commits them only if all allow (check-all-then-commit, atomic
//! because Redis runs a script alone). Works on standalone Redis and on Redis Cluster.
//!
//! Keys: `<prefix>:{rl}:<key>`, one hash per limited key with the fields
//! `<policy>|t` (GCRA TAT, µs) and `<policy>|q` (`<window id>:<count>`), and a TTL
//! that outlives what it holds. The shared `{rl}` hash tag puts every key in one
//! cluster slot, which is what lets a single script touch all the keys of any request
//! (a consumer key and an IP key) atomically; the price is that one master serves
//! all limiting (Redis does well over 100k script calls a second).
//!
//! The clock is the gateway's, passed to the script as an argument: gateways must
//! keep their clocks in sync (NTP), and tests can move time.
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use redis::{
    Client, Script, Value, aio::MultiplexedConnection, cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use tokio::sync::Mutex;

use super::{
    LimitCheck, PolicyUsage, StoreError,
    config::RedisConfig,
    gcra::{PolicyOutcome, PolicyState, QuotaOutcome, RateOutcome},
    rate::window_bounds,
};

const SCRIPT: &str = r#"
-- ARGV[1] = now (µs). Per check i (KEYS[i]) six ARGV fields: policy, interval (µs,
-- 0 = no rate), burst, quota count (0 = no quota), window id, window end (µs).
-- Returns {all_allowed, {rate_ok, rate_remaining, rate_wait, quota_ok, quota_remaining}...}
-- with *_ok = 1 allowed, 0 denied, -1 not part of the policy.
local now = tonumber(ARGV[1])
local results, writes, all_ok = {}, {}, true
for i = 1, #KEYS do
  local b = 2 + (i - 1) * 6
  local key, policy = KEYS[i], ARGV[b]
  local interval, burst = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  local qcount, wid, wend = tonumber(ARGV[b + 3]), ARGV[b + 4], tonumber(ARGV[b + 5])
  local r_ok, r_rem, r_wait, new_tat = -1, 0, 0, false
  if interval > 0 then
    local tat = tonumber(redis.call('HGET', key, policy .. '|t') or '0') or 0
    if tat < now then tat = now end
    local cap = interval * burst
    local nt = tat + interval
    local debt = nt - now
    if debt > cap then
      r_ok, r_wait, all_ok = 0, debt - cap, false
    else
      r_ok, r_rem, r_wait, new_tat = 1, math.floor((cap - debt) / interval), debt, nt
    end
  end
  local q_ok, q_rem, new_q = -1, 0, false
  if qcount > 0 then
    local used = 0
    local raw = redis.call('HGET', key, policy .. '|q')
    if raw then
      local sep = string.find(raw, ':', 1, true)
      if sep and string.sub(raw, 1, sep - 1) == wid then
        used = tonumber(string.sub(raw, sep + 1)) or 0
      end
    end
    if used >= qcount then
      q_ok, all_ok = 0, false
    else
      q_ok, q_rem, new_q = 1, qcount - used - 1, wid .. ':' .. string.format('%d', used + 1)
    end
  end
  local ttl = 0
  if new_tat then ttl = new_tat - now end
  if new_q and wend - now > ttl then ttl = wend - now end
  results[i] = {r_ok, r_rem, r_wait, q_ok, q_rem}
  writes[i] = {key, policy, new_tat, new_q, ttl}
end
if all_ok then
  for i = 1, #writes do
    local w = writes[i]
    if w[3] then redis.call('HSET', w[1], w[2] .. '|t', string.format('%.0f', w[3])) end
    if w[4] then redis.call('HSET', w[1], w[2] .. '|q', w[4]) end
    local ttl_ms = math.ceil(w[5] / 1000) + 1000
    if redis.call('PTTL', w[1]) < ttl_ms then redis.call('PEXPIRE', w[1], ttl_ms) end
  end
end
return {all_ok and 1 or 0, results}
"#;

enum Backend {
    Single(Client),
    Cluster(Box<ClusterClient>),
}

#[derive(Clone)]
enum Conn {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// Limits shared through Redis.
pub struct RedisStore {
    backend: Backend,
    conn: ArcSwapOption<Conn>,
    connecting: Mutex<()>,
    script: Script,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Prepares a client; nothing is connected until the first check.
    pub fn new(cfg: &RedisConfig) -> Result<RedisStore, StoreError> {
        let bad = |e: redis::RedisError| StoreError::BadUrl(e.to_string());
        let backend = if cfg.cluster {
            let nodes: Vec<&str> = std::iter::once(cfg.url.as_str())
                .chain(cfg.urls.iter().map(String::as_str))
                .collect();
            Backend::Cluster(Box::new(
                redis::cluster::ClusterClientBuilder::new(nodes)
                    .connection_timeout(cfg.timeout)
                    .response_timeout(cfg.timeout)
                    .build()
                    .map_err(bad)?,
            ))
        } else {
            Backend::Single(Client::open(cfg.url.as_str()).map_err(bad)?)
        };
        Ok(RedisStore {
            backend,
            conn: ArcSwapOption::empty(),
            connecting: Mutex::new(()),
            script: Script::new(SCRIPT),
            prefix: cfg.key_prefix.clone(),
        })
    }

    /// The Redis key holding `key`'s counters.
    pub fn redis_key(&self, key: &str) -> String {
        format!("{}:{{rl}}:{key}", self.prefix)
    }

    /// Evaluates every check at `now_us` in one script call. The caller bounds the time.
    pub async fn check(
        &self,
        checks: &[LimitCheck],
        now_us: u64,
    ) -> Result<Vec<PolicyOutcome>, StoreError> {
        let mut inv = self.script.prepare_invoke();
        inv.arg(now_us);
        let mut quota_resets = Vec::with_capacity(checks.len());
        for check in checks {
            let p = &check.policy;
            let (interval, burst) = p.rate.map_or((0, 0), |r| (r.interval_us(), p.burst));
            let (qcount, wid, wend) = match p.quota {
                Some(q) => {
                    let (id, end) = window_bounds(q.window, now_us);
                    (q.count, id, end)
                }
                None => (0, 0, 0),
            };
            quota_resets.push((wid, wend.saturating_sub(now_us)));
            inv.key(self.redis_key(&check.key));
            inv.arg(&p.name)
                .arg(interval)
                .arg(burst)
                .arg(qcount)
                .arg(wid)
                .arg(wend);
        }
        let mut conn = self.conn().await?;
        let reply: Result<Value, _> = match &mut conn {
            Conn::Single(c) => inv.invoke_async(c).await,
            Conn::Cluster(c) => inv.invoke_async(c).await,
        };
        let reply = match reply {
            Ok(v) => v,
            Err(e) => {
                // A broken connection is rebuilt on the next try.
                self.conn.store(None);
                return Err(StoreError::Redis(e.to_string()));
            }
        };
        parse_reply(reply, checks.len(), &quota_resets)
    }

    /// What Redis holds for `key`.
    pub async fn inspect(&self, key: &str, now_us: u64) -> Result<Vec<PolicyUsage>, StoreError> {
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(self.redis_key(key));
        let fields: Vec<(String, String)> = self.query(&cmd).await?;
        let mut out: Vec<(String, PolicyState)> = Vec::new();
        for (field, value) in fields {
            let Some((policy, kind)) = field.rsplit_once('|') else {
                continue;
            };
            let idx = match out.iter().position(|(p, _)| p == policy) {
                Some(i) => i,
                None => {
                    out.push((policy.to_string(), PolicyState::default()));
                    out.len() - 1
                }
            };
            let state = &mut out[idx].1;
            match kind {
                "t" => state.tat = value.parse().unwrap_or(0),
                "q" => {
                    state.quota = value
                        .split_once(':')
                        .and_then(|(id, n)| Some((id.parse().ok()?, n.parse().ok()?)))
                }
                _ => {}
            }
        }
        Ok(out
            .iter()
            .map(|(p, s)| PolicyUsage::from_state(p, *s, now_us))
            .collect())
    }

    /// Deletes `key`'s counters; true if there were any.
    pub async fn reset(&self, key: &str) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.redis_key(key));
        let n: i64 = self.query(&cmd).await?;
        Ok(n > 0)
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let mut conn = self.conn().await?;
        let res = match &mut conn {
            Conn::Single(c) => cmd.query_async(c).await,
            Conn::Cluster(c) => cmd.query_async(c).await,
        };
        res.map_err(|e| {
            self.conn.store(None);
            StoreError::Redis(e.to_string())
        })
    }

    /// Drops the connection (after a timeout) so the next try opens a fresh one.
    pub fn forget_connection(&self) {
        self.conn.store(None);
    }

    async fn conn(&self) -> Result<Conn, StoreError> {
        if let Some(c) = self.conn.load_full() {
            return Ok((*c).clone());
        }
        // One connect at a time; the others wait for it instead of piling on.
        let _guard = self.connecting.lock().await;
        if let Some(c) = self.conn.load_full() {
            return Ok((*c).clone());
        }
        let conn = match &self.backend {
            Backend::Single(client) => Conn::Single(
                client
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(|e| StoreError::Redis(e.to_string()))?,
            ),
            Backend::Cluster(client) => Conn::Cluster(
                client
                    .get_async_connection()
                    .await
                    .map_err(|e| StoreError::Redis(e.to_string()))?,
            ),
        };
        self.conn.store(Some(Arc::new(conn.clone())));
        Ok(conn)
    }
}

fn parse_reply(
    reply: Value,
    n: usize,
    quota_resets: &[(u64, u64)],
) -> Result<Vec<PolicyOutcome>, StoreError> {
    let bad = || StoreError::Redis("unexpected reply from the limit script".into());
    let Value::Array(top) = reply else {
        return Err(bad());
    };
    let Some(Value::Array(items)) = top.get(1) else {
        return Err(bad());
    };
    if items.len() != n {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(n);
    for (item, &(window_id, reset_us)) in items.iter().zip(quota_resets) {
        let Value::Array(fields) = item else {
            return Err(bad());
        };
        let num = |i: usize| -> Result<i64, StoreError> {
            match fields.get(i) {
                Some(Value::Int(v)) => Ok(*v),
                _ => Err(bad()),
            }
        };
        let (r_ok, r_rem, r_wait, q_ok, q_rem) = (num(0)?, num(1)?, num(2)?, num(3)?, num(4)?);
        let rate = (r_ok >= 0).then(|| RateOutcome {
            allowed: r_ok == 1,
            new_tat: 0,
            remaining: r_rem.max(0) as u64,
            wait_us: r_wait.max(0) as u64,
        });
        let quota = (q_ok >= 0).then(|| QuotaOutcome {
            allowed: q_ok == 1,
            window_id,
            new_count: 0,
            remaining: q_rem.max(0) as u64,
            reset_us,
        });
        out.push(PolicyOutcome { rate, quota });
    }
    Ok(out)
}

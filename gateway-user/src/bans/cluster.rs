//! Sharing bans over Redis. Every ban or unban decided on a node is written to
//! a durable sorted set `{channel}:set` (member = CIDR, score = expiry in Unix
//! seconds, `+inf` when permanent; details in the hash `{channel}:info`) and
//! published on `{channel}`. Each node subscribes, installs what others
//! publish in its own XDP maps (reason `cluster`), and on start (and after each
//! reconnect) loads the current set. A lost connection is retried with
//! backoff; local enforcement never waits for Redis, and bans decided while
//! disconnected are queued and sent on reconnect.
//!
//! `gateway ban add|del` reaches the cluster through [`publish_once`], which the
//! CLI calls when given a configuration with a `cluster` section.
use std::{sync::Arc, time::Duration};

use futures_util::StreamExt;
use redis::{AsyncCommands, aio::MultiplexedConnection};
use serde::{Deserialize, Serialize};
use tokio::{sync::mpsc, task::JoinHandle};

use super::{config::ClusterConfig, manager::BanManager};
use crate::edge::ttl::unix_now;

/// Add or remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// A ban.
    Add,
    /// An unban.
    Del,
}

/// One message on the channel (and the value kept in `{channel}:info`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMsg {
    /// Ban or unban.
    pub op: Op,
    /// The network.
    pub cidr: String,
    /// Unix second the ban ends; `None` = permanent.
    pub expires_unix: Option<u64>,
    /// The reason on the deciding node.
    pub reason: String,
    /// The deciding node.
    pub node: String,
    /// When it was sent (Unix milliseconds), for the sync-lag gauge.
    pub sent_ms: u64,
}

/// The sorted set's key.
pub fn set_key(channel: &str) -> String {
    format!("{channel}:set")
}

/// The details hash's key.
pub fn info_key(channel: &str) -> String {
    format!("{channel}:info")
}

/// Writes `msg` to the durable set and publishes it.
pub async fn send(
    conn: &mut MultiplexedConnection,
    channel: &str,
    msg: &ClusterMsg,
) -> redis::RedisResult<()> {
    let body = serde_json::to_string(msg).unwrap_or_default();
    let (set, info) = (set_key(channel), info_key(channel));
    let mut pipe = redis::pipe();
    pipe.atomic();
    match msg.op {
        Op::Add => {
            let score = msg
                .expires_unix
                .map_or("+inf".to_string(), |e| e.to_string());
            pipe.cmd("ZADD")
                .arg(&set)
                .arg(score)
                .arg(&msg.cidr)
                .ignore();
            pipe.hset(&info, &msg.cidr, &body).ignore();
        }
        Op::Del => {
            pipe.zrem(&set, &msg.cidr).ignore();
            pipe.hdel(&info, &msg.cidr).ignore();
        }
    }
    pipe.publish(channel, &body).ignore();
    pipe.query_async::<()>(conn).await
}

/// The live bans in the durable set (expired ones are removed from it first).
pub async fn load_current(
    conn: &mut MultiplexedConnection,
    channel: &str,
) -> redis::RedisResult<Vec<ClusterMsg>> {
    let (set, info) = (set_key(channel), info_key(channel));
    let now = unix_now();
    let gone: Vec<String> = conn.zrangebyscore(&set, "-inf", now).await?;
    if !gone.is_empty() {
        let _: () = conn.zrem(&set, &gone).await?;
        let _: () = conn.hdel(&info, &gone).await?;
    }
    let live: Vec<(String, f64)> = conn
        .zrangebyscore_withscores(&set, format!("({now}"), "+inf")
        .await?;
    let mut out = Vec::with_capacity(live.len());
    for (cidr, score) in live {
        let details: Option<String> = conn.hget(&info, &cidr).await?;
        let mut msg = details
            .and_then(|d| serde_json::from_str::<ClusterMsg>(&d).ok())
            .unwrap_or(ClusterMsg {
                op: Op::Add,
                cidr: cidr.clone(),
                expires_unix: None,
                reason: "cluster".into(),
                node: "unknown".into(),
                sent_ms: 0,
            });
        msg.op = Op::Add;
        msg.cidr = cidr;
        msg.expires_unix = score.is_finite().then_some(score as u64);
        msg.sent_ms = 0;
        out.push(msg);
    }
    Ok(out)
}

/// Publishes one ban or unban and returns (the CLI's `ban add|del` with a cluster config).
pub async fn publish_once(cfg: &ClusterConfig, msg: &ClusterMsg) -> anyhow::Result<()> {
    let client = redis::Client::open(cfg.redis.as_str())?;
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await??;
    send(&mut conn, &cfg.channel, msg).await?;
    Ok(())
}

/// The running cluster link; dropping it stops both tasks.
pub struct ClusterLink {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for ClusterLink {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Connects `manager` to the cluster: publishes its decisions, installs the others'.
pub fn start(manager: Arc<BanManager>, cfg: &ClusterConfig) -> anyhow::Result<ClusterLink> {
    let client = redis::Client::open(cfg.redis.as_str())?;
    let (tx, rx) = mpsc::unbounded_channel();
    manager.set_publisher(tx);
    let publisher = tokio::spawn(publish_loop(client.clone(), cfg.channel.clone(), rx));
    let subscriber = tokio::spawn(subscribe_loop(client, cfg.channel.clone(), manager));
    Ok(ClusterLink {
        tasks: vec![publisher, subscriber],
    })
}

const MAX_BACKOFF: Duration = Duration::from_secs(10);

fn next_backoff(b: Duration) -> Duration {
    (b * 2).min(MAX_BACKOFF)
}

async fn publish_loop(
    client: redis::Client,
    channel: String,
    mut rx: mpsc::UnboundedReceiver<ClusterMsg>,
) {
    let mut backoff = Duration::from_millis(100);
    let mut pending: Option<ClusterMsg> = None;
    loop {
        let mut conn = match client.get_multiplexed_async_connection().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cluster: cannot reach Redis to publish bans");
                tokio::time::sleep(backoff).await;
                backoff = next_backoff(backoff);
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        loop {
            let msg = match pending.take() {
                Some(m) => m,
                None => match rx.recv().await {
                    Some(m) => m,
                    None => return,
                },
            };
            if let Err(e) = send(&mut conn, &channel, &msg).await {
                tracing::warn!(error = %e, cidr = %msg.cidr, "cluster: publishing a ban failed; will retry");
                pending = Some(msg);
                break;
            }
        }
        tokio::time::sleep(backoff).await;
    }
}

async fn subscribe_loop(client: redis::Client, channel: String, manager: Arc<BanManager>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if let Err(e) = subscribe_once(&client, &channel, &manager).await {
            tracing::warn!(error = %e, retry_in = ?backoff, "cluster: subscription lost; local enforcement continues");
        }
        tokio::time::sleep(backoff).await;
        backoff = next_backoff(backoff);
    }
}

async fn subscribe_once(
    client: &redis::Client,
    channel: &str,
    manager: &BanManager,
) -> redis::RedisResult<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    // Subscribe before loading the set so nothing published in between is missed.
    pubsub.subscribe(channel).await?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    for msg in load_current(&mut conn, channel).await? {
        if msg.node != manager.node() {
            manager.apply_remote(&msg);
        }
    }
    tracing::info!(%channel, "cluster: subscribed to bans");
    let mut stream = pubsub.into_on_message();
    while let Some(raw) = stream.next().await {
        let Ok(body) = raw.get_payload::<String>() else {
            continue;
        };
        match serde_json::from_str::<ClusterMsg>(&body) {
            Ok(msg) if msg.node != manager.node() => manager.apply_remote(&msg),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cluster: unreadable ban message ignored"),
        }
    }
    Err(redis::RedisError::from((
        redis::ErrorKind::Io,
        "pub/sub stream ended",
    )))
}

/// For `gateway ban add|del --config FILE`: when the file has a `cluster`
/// section, publishes the change to every node (and writes its audit line);
/// returns whether it did.
pub fn publish_from_cli(
    config_path: &std::path::Path,
    op: Op,
    net: ipnet::IpNet,
    ttl: Option<Duration>,
    reason: &str,
) -> anyhow::Result<bool> {
    let config = crate::config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(cfg) = config.cluster else {
        return Ok(false);
    };
    let node = cfg.node_name();
    let msg = ClusterMsg {
        op,
        cidr: net.to_string(),
        expires_unix: ttl.map(|t| unix_now() + t.as_secs().max(1)),
        reason: reason.to_string(),
        node: node.clone(),
        sent_ms: super::manager::unix_ms(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(publish_once(&cfg, &msg))?;
    super::audit::AuditEvent {
        action: match op {
            Op::Add => super::audit::Action::Ban,
            Op::Del => super::audit::Action::Unban,
        },
        address: net.to_string(),
        reason: reason.to_string(),
        evidence: serde_json::json!({"cli": true}),
        ttl_secs: ttl.map(|t| t.as_secs()),
        node,
        origin: super::audit::Origin::Manual,
        at_unix: unix_now(),
    }
    .emit();
    Ok(true)
}

//! Listeners and connections: binding (fail fast), the accept loop, the total and
//! per-client-IP connection limits, TLS handshakes, hyper's h1+h2 server with the
//! head-size and head-read-timeout limits, the idle timeout, and graceful shutdown.
//! A connection that became a WebSocket tunnel stays counted, idle-timed and
//! closed on shutdown here, while `upgrade.rs` moves its bytes.
//! Connection limits live in `conn_limit.rs`.
use std::{
    io,
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use http::Request;
use hyper::{body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{mpsc, watch},
};

use super::{
    conn_limit::ConnSlot,
    context::ConnInfo,
    deps::{PeerInfo, failure_reason},
    error::GatewayError,
    io::{Activity, ConnIo},
    pipeline,
    runtime::Gateway,
    upgrade::TunnelState,
    upstream::now_ms,
};
use crate::{
    config::{Limits, Listener},
    tls::{FirstBytes, PLAIN_HTTP_RESPONSE, peek_first_bytes},
};

/// A listener's sockets: one per worker thread, all bound to the same address with
/// `SO_REUSEPORT` so the kernel spreads connections over the workers.
#[derive(Debug)]
pub struct BoundListener {
    /// Listener config.
    pub config: Listener,
    /// The address actually bound (port 0 resolved).
    pub local: SocketAddr,
    /// One socket per worker.
    pub sockets: Vec<std::net::TcpListener>,
}

/// Binds `workers` sockets for every listener; the first failure is returned with
/// the listener's name.
pub fn bind_all(listeners: &[Listener], workers: usize) -> anyhow::Result<Vec<BoundListener>> {
    let mut out = Vec::new();
    for l in listeners {
        let fail =
            |e: io::Error| anyhow::anyhow!("listener `{}`: cannot bind {}: {e}", l.name, l.bind);
        // SO_REUSEPORT would let a second gateway join the port and silently split
        // the traffic: probe with an exclusive bind first, so that fails as usual.
        let local = std::net::TcpListener::bind(l.bind)
            .and_then(|probe| probe.local_addr())
            .map_err(fail)?;
        let mut sockets = Vec::new();
        for _ in 0..workers.max(1) {
            sockets.push(bind(local).map_err(fail)?);
        }
        out.push(BoundListener {
            config: l.clone(),
            local,
            sockets,
        });
    }
    Ok(out)
}

fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let domain = socket2::Domain::for_address(addr);
    let s = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(false).ok();
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    Ok(s.into())
}

/// Tracks open connections for draining: every connection task holds a clone of
/// the sender; draining waits until all are dropped.
#[derive(Clone)]
pub struct DrainHandle {
    // Never sent on: only dropped, which is what the waiter waits for.
    _tx: mpsc::Sender<()>,
}

/// Waits for every connection to end.
pub struct DrainWaiter {
    rx: mpsc::Receiver<()>,
}

/// A drain handle and its waiter.
pub fn drain_pair() -> (DrainHandle, DrainWaiter) {
    let (tx, rx) = mpsc::channel(1);
    (DrainHandle { _tx: tx }, DrainWaiter { rx })
}

impl DrainWaiter {
    /// Resolves when every `DrainHandle` clone is dropped.
    pub async fn wait(mut self) {
        let _ = self.rx.recv().await;
    }
}

/// Runs the accept loop of one listener socket until `shutdown` turns true.
pub async fn serve_listener(
    gw: Arc<Gateway>,
    name: Arc<str>,
    socket: std::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
    drain: DrainHandle,
) {
    let socket = match TcpListener::from_std(socket) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(listener = %name, error = %e, "cannot use the listener socket");
            return;
        }
    };
    loop {
        let accepted = tokio::select! {
            r = socket.accept() => r,
            _ = shutdown.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(listener = %name, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Banned clients (no XDP here, or seen through a path XDP does not cover) are refused at once.
        if crate::bans::is_banned(peer.ip()) {
            gw.shared.telemetry.metrics.request_rejected("banned", 403);
            drop(stream);
            continue;
        }
        let Some(slot) = ConnSlot::acquire(
            &gw.shared.connections,
            &gw.shared.telemetry,
            &name,
            peer.ip(),
        ) else {
            gw.shared
                .telemetry
                .metrics
                .request_rejected("connection_limit", 503);
            drop(stream);
            continue;
        };
        let gw = gw.clone();
        let name = name.clone();
        let shutdown = shutdown.clone();
        let drain = drain.clone();
        tokio::spawn(async move {
            let _drain = drain;
            serve_connection(gw, name, stream, peer, slot, shutdown).await;
        });
    }
    tracing::debug!(listener = %name, "stopped accepting");
}

fn server_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let head_limit = usize::try_from(limits.max_header_bytes.0).unwrap_or(usize::MAX);
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout.0)
        // hyper's own cap answers 431 with an empty body; the hygiene stage answers
        // 431 with JSON below this backstop.
        .max_buf_size(head_limit.saturating_add(4096).max(8192))
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(head_limit).unwrap_or(u32::MAX))
        .max_concurrent_streams(256);
    b
}

async fn serve_connection(
    gw: Arc<Gateway>,
    listener: Arc<str>,
    stream: TcpStream,
    peer: SocketAddr,
    slot: ConnSlot,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let rt = gw.runtime.load_full();
    let limits = rt.limits.clone();
    let activity = Arc::new(Activity::default());
    activity.touch();
    let io = stream;
    match rt.tls.get(&*listener).map(|t| t.acceptor()) {
        None => {
            drop(rt);
            let conn = Arc::new(ConnInfo {
                listener,
                peer,
                tls: None,
                tunnel: Arc::default(),
            });
            let io = ConnIo::new(io, activity.clone());
            drive(gw, conn, io, limits, activity, slot, &mut shutdown).await;
        }
        Some(acceptor) => {
            drop(rt);
            // A plain HTTP request on a TLS port gets a readable 400 (like nginx)
            // instead of a handshake failure the client cannot explain.
            let first = tokio::time::timeout(limits.header_timeout.0, peek_first_bytes(&io)).await;
            if let Ok(Ok(FirstBytes::PlainHttp)) = first {
                let mut io = io;
                let _ = io.write_all(PLAIN_HTTP_RESPONSE).await;
                let _ = io.shutdown().await;
                return;
            }
            let handshake =
                tokio::time::timeout(limits.header_timeout.0, acceptor.accept(io)).await;
            let tls = match handshake {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    gw.shared
                        .telemetry
                        .metrics
                        .tls_handshake_failed(&listener, failure_reason(&e));
                    tracing::debug!(listener = %listener, %peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    gw.shared
                        .telemetry
                        .metrics
                        .tls_handshake_failed(&listener, "timeout");
                    return;
                }
            };
            let info = PeerInfo::from_server_connection(tls.get_ref().1);
            let conn = Arc::new(ConnInfo {
                listener,
                peer,
                tls: Some(info),
                tunnel: Arc::default(),
            });
            let io = ConnIo::new(tls, activity.clone());
            drive(gw, conn, io, limits, activity, slot, &mut shutdown).await;
        }
    }
}

async fn drive<I>(
    gw: Arc<Gateway>,
    conn: Arc<ConnInfo>,
    io: I,
    limits: Limits,
    activity: Arc<Activity>,
    slot: ConnSlot,
    shutdown: &mut watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let over_limit = slot.over_ip_limit;
    let tunnel = conn.tunnel.clone();
    let svc_activity = activity.clone();
    let svc = service_fn(move |req: Request<Incoming>| {
        let gw = gw.clone();
        let conn = conn.clone();
        let activity = svc_activity.clone();
        async move {
            activity.requests.fetch_add(1, Ordering::Relaxed);
            activity.in_flight.fetch_add(1, Ordering::Relaxed);
            let first = activity.requests.load(Ordering::Relaxed) == 1;
            let resp = if over_limit {
                let err = GatewayError::TooManyRequests;
                pipeline::refuse(gw, conn, req, "connection_limit", err).await
            } else if first && activity.first_head_cl_and_te.load(Ordering::Acquire) {
                let err = GatewayError::BadRequest(
                    "both Content-Length and Transfer-Encoding are present",
                );
                pipeline::refuse(gw, conn, req, "hygiene", err).await
            } else {
                pipeline::handle(gw, conn, req).await
            };
            activity.in_flight.fetch_sub(1, Ordering::Relaxed);
            activity.touch();
            resp
        }
    });
    let builder = server_builder(&limits);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let idle = limits.idle_timeout.0;
    let first_request_deadline = tokio::time::sleep(limits.header_timeout.0);
    tokio::pin!(first_request_deadline);
    let mut tick = tokio::time::interval((idle / 4).max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut closing = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = shutdown.wait_for(|s| *s), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = &mut first_request_deadline, if activity.requests.load(Ordering::Relaxed) == 0 => {
                // No complete request head within header_timeout (slowloris, also
                // over h2 where hyper has no head timer): drop the connection.
                break;
            }
            _ = tick.tick() => {
                let idle_for = now_ms().saturating_sub(activity.last_ms.load(Ordering::Relaxed));
                if activity.in_flight.load(Ordering::Relaxed) == 0
                    && u128::from(idle_for) >= idle.as_millis()
                {
                    if closing {
                        break;
                    }
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
    if tunnel.is_open() {
        hold_tunnel(&tunnel, &activity, idle, &mut tick, shutdown).await;
    }
    drop(slot);
}

/// Keeps an upgraded connection counted until its tunnel ends, closing it when no
/// byte moved either way for `idle` (the tunnel's I/O goes through the same
/// `ConnIo`, so `activity` sees it) or when the gateway shuts down.
async fn hold_tunnel(
    tunnel: &TunnelState,
    activity: &Activity,
    idle: Duration,
    tick: &mut tokio::time::Interval,
    shutdown: &mut watch::Receiver<bool>,
) {
    let ended = tunnel.ended();
    tokio::pin!(ended);
    loop {
        tokio::select! {
            () = &mut ended => return,
            _ = shutdown.wait_for(|s| *s) => break,
            _ = tick.tick() => {
                let idle_for = now_ms().saturating_sub(activity.last_ms.load(Ordering::Relaxed));
                if u128::from(idle_for) >= idle.as_millis() {
                    break;
                }
            }
        }
    }
    tunnel.close();
    ended.await;
}

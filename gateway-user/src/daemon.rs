//! The daemon: load the configuration, build the runtime, bind every listener
//! (failing fast with the listener's name), start operations (admin listener,
//! SIGHUP/`POST /admin/reload` through `reload::Reloader`), serve, and on
//! SIGTERM/SIGINT stop accepting and let in-flight requests finish within
//! `limits.drain_timeout`.
use std::{path::Path, sync::Arc};

use anyhow::Context as _;
use tokio::{
    signal::unix::{SignalKind, signal},
    sync::watch,
};

use crate::{
    admin::{Operations, Readiness},
    config,
    proxy::{
        Gateway, Runtime, Shared,
        deps::{ServerTls, Telemetry},
        server,
    },
    reload::Reloader,
    telemetry,
};

/// Runs the gateway with the configuration at `config_path` until SIGTERM/SIGINT.
///
/// Threads: like nginx, one worker per core, each a single-threaded tokio runtime
/// with its own `SO_REUSEPORT` socket per listener and its own upstream clients, so
/// a request never changes thread; this thread runs signals, admin, reloads and
/// health checks.
pub fn run(config_path: &Path) -> anyhow::Result<()> {
    telemetry::logging::init();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(config_path))
}

/// Number of worker threads: `GATEWAY_WORKERS`, else one per available core.
fn worker_count() -> usize {
    std::env::var("GATEWAY_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Starts worker `index`: its accept loops, then (on shutdown) the drain of its
/// connections. Reports on `done` when its last connection ended or the drain
/// timeout passed.
fn spawn_worker(
    index: usize,
    gateway: Arc<Gateway>,
    sockets: Vec<(Arc<str>, std::net::TcpListener)>,
    shutdown: watch::Receiver<bool>,
    done: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a worker runtime")?;
    std::thread::Builder::new()
        .name(format!("gateway-worker-{index}"))
        .spawn(move || {
            crate::proxy::upstream::set_worker(index);
            rt.block_on(async move {
                let (drain, waiter) = server::drain_pair();
                let loops: Vec<_> = sockets
                    .into_iter()
                    .map(|(name, socket)| {
                        tokio::spawn(server::serve_listener(
                            gateway.clone(),
                            name,
                            socket,
                            shutdown.clone(),
                            drain.clone(),
                        ))
                    })
                    .collect();
                drop(drain);
                for l in loops {
                    let _ = l.await;
                }
                let drain_timeout = gateway.runtime.load().limits.drain_timeout.0;
                if tokio::time::timeout(drain_timeout, waiter.wait())
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        worker = index,
                        "drain timeout reached; closing the remaining connections"
                    );
                }
            });
            drop(done);
        })
        .context("cannot start a worker thread")?;
    Ok(())
}

async fn serve(config_path: &Path) -> anyhow::Result<()> {
    // SIGHUP's default action kills the process: catch it from the start. One arriving
    // before the reload task runs is moot, since the file is being read right now.
    let _early_sighup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let config = config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let telemetry = Arc::new(Telemetry::from_config(&config.access_log)?);
    let workers = worker_count();
    let shared = Arc::new(Shared::with_workers(telemetry, workers));
    let runtime = Runtime::build(&config, &shared).context("invalid configuration")?;
    if config.listeners.is_empty() {
        anyhow::bail!("the configuration has no listeners");
    }
    let mut bound = server::bind_all(&config.listeners, workers)?;
    let _ban_loop = crate::bans::run::start(&config).context("starting the ban loop")?;
    let telemetry = shared.telemetry.clone();
    let gateway = Arc::new(Gateway::new(runtime, shared));

    let target = gateway.clone();
    let reloader = Arc::new(Reloader::new(
        config_path,
        Arc::new(move |c: &config::Config| target.apply(c).map_err(|e| e.to_string())),
        telemetry.clone(),
    ));
    reloader.started_with(&config);
    let admin_tls = match config.admin.as_ref().and_then(|a| a.tls.as_ref()) {
        Some(t) => Some(
            ServerTls::build(t)
                .context("admin listener TLS")?
                // The admin API speaks HTTP/1.1 only; offering h2 would break curl.
                .with_alpn(&[crate::tls::ALPN_HTTP11])
                .acceptor(),
        ),
        None => None,
    };
    let ready = Arc::new(Readiness::default());
    let ops = Operations::start(
        &config,
        admin_tls,
        telemetry,
        reloader,
        ready.clone(),
        gateway.shared.limiter.clone(),
    )
    .await?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(1);
    for b in &bound {
        tracing::info!(
            listener = %b.config.name,
            addr = %b.local,
            tls = b.config.tls.is_some(),
            workers,
            "listening"
        );
    }
    for index in 0..workers {
        let sockets = bound
            .iter_mut()
            .filter_map(|b| {
                let name: Arc<str> = Arc::from(b.config.name.as_str());
                b.sockets.pop().map(|s| (name, s))
            })
            .collect();
        spawn_worker(
            index,
            gateway.clone(),
            sockets,
            shutdown_rx.clone(),
            done_tx.clone(),
        )?;
    }
    drop(done_tx);
    ready.set(true);

    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let which = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    let drain_timeout = gateway.runtime.load().limits.drain_timeout.0;
    tracing::info!(
        signal = which,
        drain_timeout_ms = drain_timeout.as_millis() as u64,
        "shutting down: draining connections"
    );
    ready.set(false);
    let _ = shutdown_tx.send(true);
    // Every worker drains within drain_timeout; the margin covers the wake-ups.
    let all_done = async { while done_rx.recv().await.is_some() {} };
    if tokio::time::timeout(drain_timeout + std::time::Duration::from_secs(1), all_done)
        .await
        .is_err()
    {
        tracing::warn!("workers did not finish draining in time");
    } else {
        tracing::info!("all connections drained");
    }
    ops.shutdown().await;
    gateway
        .shared
        .telemetry
        .access_log
        .flush(std::time::Duration::from_secs(2));
    Ok(())
}

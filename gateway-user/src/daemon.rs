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
pub fn run(config_path: &Path) -> anyhow::Result<()> {
    telemetry::logging::init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(config_path))
}

async fn serve(config_path: &Path) -> anyhow::Result<()> {
    // SIGHUP's default action kills the process: catch it from the start. One arriving
    // before the reload task runs is moot, since the file is being read right now.
    let _early_sighup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let config = config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let telemetry = Arc::new(Telemetry::from_config(&config.access_log)?);
    let shared = Arc::new(Shared::new(telemetry));
    let runtime = Runtime::build(&config, &shared).context("invalid configuration")?;
    if config.listeners.is_empty() {
        anyhow::bail!("the configuration has no listeners");
    }
    let bound = server::bind_all(&config.listeners)?;
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
    let ops = Operations::start(&config, admin_tls, telemetry, reloader, ready.clone()).await?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (drain, waiter) = server::drain_pair();
    let mut accept_loops = Vec::new();
    for b in bound {
        let local = b.socket.local_addr().ok();
        tracing::info!(
            listener = %b.config.name,
            addr = %local.map_or_else(|| b.config.bind.to_string(), |a| a.to_string()),
            tls = b.config.tls.is_some(),
            "listening"
        );
        accept_loops.push(tokio::spawn(server::serve_listener(
            gateway.clone(),
            b,
            shutdown_rx.clone(),
            drain.clone(),
        )));
    }
    drop(drain);
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
    for l in accept_loops {
        let _ = l.await;
    }
    if tokio::time::timeout(drain_timeout, waiter.wait())
        .await
        .is_err()
    {
        tracing::warn!("drain timeout reached; closing the remaining connections");
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

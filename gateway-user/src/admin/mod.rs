//! The admin listener: `/metrics`, `/healthz`, `/readyz`, `POST /admin/reload` and
//! `GET|DELETE /admin/limits?key=KEY` (rate-limit keys).
//!
//! It serves loopback only, unless it has TLS with `client_auth: required` (mutual
//! TLS): the reload endpoint must not be reachable by anyone who can reach the port.
//! The config check refuses such files too; `AdminServer::start` checks again so no
//! caller can bypass it.
mod handlers;
mod operations;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use hyper::{server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
    task::JoinHandle,
};
use tokio_rustls::TlsAcceptor;

pub use handlers::{AdminState, Readiness, handle};
pub use operations::Operations;

use crate::config::{self, ClientAuth};

/// Admin connections served at once; more wait in the accept queue.
const MAX_CONNECTIONS: usize = 64;
/// Time a client gets to send its request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the admin listener did not start.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A non-loopback bind without mutual TLS.
    #[error(
        "the admin listener binds {0}, which is not loopback: bind 127.0.0.1 or ::1, or give admin `tls` with `client_auth: required`"
    )]
    Exposed(SocketAddr),
    /// `admin.tls` is configured but no TLS acceptor was passed.
    #[error("admin.tls is configured but the admin TLS acceptor was not built")]
    MissingTls,
    /// The socket could not be bound.
    #[error("cannot bind the admin listener on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Refuses an admin listener reachable from the network without mutual TLS.
pub fn check_exposure(admin: &config::Admin) -> Result<(), AdminError> {
    let mutual = admin
        .tls
        .as_ref()
        .is_some_and(|tls| tls.client_auth == ClientAuth::Required);
    if admin.bind.ip().is_loopback() || mutual {
        Ok(())
    } else {
        Err(AdminError::Exposed(admin.bind))
    }
}

/// A running admin listener.
#[derive(Debug)]
pub struct AdminServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Binds and serves the admin API; `tls` must be given when `admin.tls` is set.
    pub async fn start(
        admin: &config::Admin,
        tls: Option<TlsAcceptor>,
        state: Arc<AdminState>,
    ) -> Result<Self, AdminError> {
        check_exposure(admin)?;
        if admin.tls.is_some() && tls.is_none() {
            return Err(AdminError::MissingTls);
        }
        let listener = TcpListener::bind(admin.bind)
            .await
            .map_err(|source| AdminError::Bind {
                addr: admin.bind,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| AdminError::Bind {
            addr: admin.bind,
            source,
        })?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, tls, state, stopped));
        // Same shape as the proxy listeners' line, so tools and tests find every socket.
        tracing::info!(listener = "admin", addr = %local_addr, tls = admin.tls.is_some(), "listening");
        Ok(Self {
            local_addr,
            stop,
            task,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting; requests in progress finish on their own.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<AdminState>,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            _ = stopped.changed() => return,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %err, "admin accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let state = Arc::clone(&state);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(stream, peer, tls, state).await;
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    state: Arc<AdminState>,
) {
    let state_for_tls = Arc::clone(&state);
    let service = service_fn(move |req| {
        let state = Arc::clone(&state);
        async move { Ok::<_, std::convert::Infallible>(handle(req, state).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let served = match tls {
        None => {
            builder
                .serve_connection(TokioIo::new(stream), service)
                .await
        }
        Some(acceptor) => {
            let handshake = tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await;
            match handshake {
                Ok(Ok(stream)) => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
                Ok(Err(err)) => {
                    let reason = crate::tls::failure_reason(&err);
                    state_for_tls
                        .telemetry
                        .metrics
                        .tls_handshake_failed("admin", reason);
                    tracing::info!(%peer, error = %err, reason, "admin TLS handshake failed");
                    return;
                }
                Err(_) => {
                    state_for_tls
                        .telemetry
                        .metrics
                        .tls_handshake_failed("admin", "timeout");
                    tracing::info!(%peer, "admin TLS handshake timed out");
                    return;
                }
            }
        }
    };
    if let Err(err) = served {
        tracing::debug!(%peer, error = %err, "admin connection ended with an error");
    }
}

#[cfg(test)]
mod tests;

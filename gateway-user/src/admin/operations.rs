//! What the daemon starts for operations, in one call: the admin listener and the
//! SIGHUP reload task. Kept here so `daemon.rs` only needs a few lines.
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::{AdminServer, AdminState, Readiness};
use crate::{
    config::Config,
    reload::{Reload, spawn_sighup_task},
    telemetry::Telemetry,
};

/// The running admin listener and signal task.
#[derive(Debug)]
pub struct Operations {
    admin: Option<AdminServer>,
    sighup: JoinHandle<()>,
}

impl Operations {
    /// Starts the admin listener (when `config.admin` is set) and SIGHUP handling.
    ///
    /// `admin_tls` is the acceptor built from `config.admin.tls`, if any.
    pub async fn start(
        config: &Config,
        admin_tls: Option<TlsAcceptor>,
        telemetry: Arc<Telemetry>,
        reload: Arc<dyn Reload>,
        ready: Arc<Readiness>,
        limits: Arc<crate::limit::LimiterSlot>,
    ) -> anyhow::Result<Self> {
        let admin = match &config.admin {
            Some(admin) => {
                let state = Arc::new(AdminState {
                    telemetry,
                    ready,
                    reload: Arc::clone(&reload),
                    limits,
                });
                Some(AdminServer::start(admin, admin_tls, state).await?)
            }
            None => None,
        };
        let sighup = spawn_sighup_task(reload)?;
        Ok(Self { admin, sighup })
    }

    /// Where the admin listener is bound, if there is one.
    pub fn admin_addr(&self) -> Option<std::net::SocketAddr> {
        self.admin.as_ref().map(AdminServer::local_addr)
    }

    /// Stops the admin listener and SIGHUP handling.
    pub async fn shutdown(self) {
        self.sighup.abort();
        if let Some(admin) = self.admin {
            admin.shutdown().await;
        }
    }
}

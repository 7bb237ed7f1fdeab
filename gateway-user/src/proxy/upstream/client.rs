//! The keep-alive HTTP client of one upstream (hyper-util's pooled client over
//! plain TCP; HTTP/1.1, or h2 with prior knowledge) and the classification of its
//! failures into what the client is told (502 / 504) and the metric `kind`.
use std::time::Duration;

use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::{
    config::{self, UpstreamProtocol},
    proxy::body::ProxyBody,
};

/// A pooled client to the targets of one upstream.
#[derive(Clone, Debug)]
pub struct UpstreamClient {
    inner: Client<HttpConnector, ProxyBody>,
    /// Whether requests go out as h2 (prior knowledge).
    pub h2: bool,
}

impl UpstreamClient {
    /// Builds the client with the upstream's connect timeout and keep-alive policy.
    pub fn new(up: &config::Upstream) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(up.connect_timeout.0));
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let h2 = up.protocol == UpstreamProtocol::H2;
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(up.keepalive.idle_timeout.0)
            .pool_max_idle_per_host(up.keepalive.max_idle_per_target)
            .http2_only(h2);
        if h2 {
            builder
                .http2_keep_alive_interval(Some(Duration::from_secs(30)))
                .http2_keep_alive_timeout(Duration::from_secs(10));
        }
        Self {
            inner: builder.build(connector),
            h2,
        }
    }

    /// Sends one request.
    pub async fn request(
        &self,
        req: http::Request<ProxyBody>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        self.inner.request(req).await
    }
}

/// How an upstream request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// The connection could not be opened (refused, unreachable): retryable.
    Connect,
    /// Opening the connection took longer than `connect_timeout`.
    ConnectTimeout,
    /// The connection broke or the upstream spoke garbage.
    Protocol,
}

impl UpstreamFailure {
    /// The `kind` label of `gateway_upstream_errors_total`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::ConnectTimeout => "timeout",
            Self::Protocol => "protocol",
        }
    }
}

/// Classifies a client error.
pub fn classify(err: &hyper_util::client::legacy::Error) -> UpstreamFailure {
    if !err.is_connect() {
        return UpstreamFailure::Protocol;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return UpstreamFailure::ConnectTimeout;
        }
        source = e.source();
    }
    UpstreamFailure::Connect
}

//! WebSocket over HTTP/1.1 (RFC 6455 §4). The handshake is a GET that goes through
//! every request stage like any other (auth, limits, WAF on the head); only a route
//! with `websocket: true` (the default) forwards the `Upgrade` it asks for. When
//! the upstream answers `101 Switching Protocols` with `Upgrade: websocket`, the
//! client and upstream connections are joined byte for byte until either side
//! closes, the connection's `idle_timeout` passes with no byte either way, or the
//! gateway shuts down.
//!
//! Only `websocket` is ever forwarded: other upgrade tokens (notably `h2c`, the
//! classic way to tunnel past a proxy's checks) are stripped like any hop-by-hop
//! header, and a 101 the client did not get to ask for is a 502.
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use http::{HeaderMap, HeaderValue, Method, Version, header, request};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::Notify;

use super::{deps::Telemetry, upstream::InFlight};

/// Whether a request asks to switch its connection to WebSocket: an HTTP/1.1 GET
/// with `Connection: upgrade` and `websocket` among its `Upgrade` protocols.
pub fn wants_websocket(head: &request::Parts) -> bool {
    head.version == Version::HTTP_11
        && head.method == Method::GET
        && has_token(&head.headers, header::CONNECTION, "upgrade")
        && has_token(&head.headers, header::UPGRADE, "websocket")
}

/// Whether an upstream's 101 switches to WebSocket (and nothing else).
pub fn switches_to_websocket(headers: &HeaderMap) -> bool {
    has_token(headers, header::UPGRADE, "websocket")
}

/// Puts back the two hop-by-hop headers a WebSocket handshake needs on the next
/// hop, after the generic hop-by-hop stripping removed them.
pub fn set_upgrade_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
}

/// Whether a comma-separated header (all its lines) holds `token`, ignoring case.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The life of a connection's tunnel, shared by the connection task (which keeps
/// the connection counted and enforces the idle timeout and shutdown) and the
/// tunnel task (which moves the bytes).
#[derive(Debug, Default)]
pub struct TunnelState {
    open: AtomicBool,
    close: Notify,
    done: Notify,
}

impl TunnelState {
    /// Whether a tunnel was started on this connection and has not ended.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Asks the tunnel to close both connections (idle timeout, shutdown).
    pub fn close(&self) {
        // notify_one keeps a permit if the tunnel is not waiting yet: never lost.
        self.close.notify_one();
    }

    /// Resolves once the tunnel has ended.
    pub async fn ended(&self) {
        if self.is_open() {
            self.done.notified().await;
        }
    }

    fn start(&self) {
        self.open.store(true, Ordering::Release);
    }

    fn finish(&self) {
        self.open.store(false, Ordering::Release);
        self.done.notify_one();
    }
}

/// Everything a tunnel holds until it ends.
pub struct Tunnel {
    /// The client side, resolved once hyper has sent the 101.
    pub client: OnUpgrade,
    /// The upstream side, resolved once the client pool hands the connection over.
    pub upstream: OnUpgrade,
    /// Shared with the connection task.
    pub state: Arc<TunnelState>,
    /// Keeps the upstream target's in-flight count (least_conn) while the tunnel lives.
    pub guard: Option<InFlight>,
    /// For the open-tunnels gauge.
    pub telemetry: Arc<Telemetry>,
    /// Route name, for the gauge and logs.
    pub route: String,
    /// For the log line when the tunnel breaks.
    pub request_id: String,
}

/// Starts moving bytes once both sides have switched; returns at once.
pub fn spawn(tunnel: Tunnel) {
    let Tunnel {
        client,
        upstream,
        state,
        guard,
        telemetry,
        route,
        request_id,
    } = tunnel;
    state.start();
    telemetry.metrics.websocket_opened(&route);
    tokio::spawn(async move {
        let joined = async {
            let (client, upstream) = tokio::try_join!(client, upstream)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let mut client = TokioIo::new(client);
            let mut upstream = TokioIo::new(upstream);
            tokio::io::copy_bidirectional(&mut client, &mut upstream).await
        };
        tokio::select! {
            res = joined => match res {
                Ok((up, down)) => tracing::debug!(%request_id, route, up, down, "websocket closed"),
                Err(e) => tracing::debug!(%request_id, route, error = %e, "websocket ended with an error"),
            },
            () = state.close.notified() => {
                tracing::debug!(%request_id, route, "websocket closed by the gateway (idle or shutdown)");
            }
        }
        drop(guard);
        telemetry.metrics.websocket_closed(&route);
        state.finish();
    });
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::*;

    fn head(version: Version, method: &str, headers: &[(&str, &str)]) -> request::Parts {
        let mut b = Request::builder()
            .method(method)
            .version(version)
            .uri("/ws");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("request").into_parts().0
    }

    #[test]
    fn a_websocket_handshake_is_recognised_whatever_the_case_and_token_order() {
        let h = head(
            Version::HTTP_11,
            "GET",
            &[
                ("connection", "keep-alive, Upgrade"),
                ("upgrade", "WebSocket"),
            ],
        );
        assert!(wants_websocket(&h));
    }

    #[test]
    fn h2c_other_methods_and_versions_are_not_websocket_handshakes() {
        let upgrade = [("connection", "upgrade"), ("upgrade", "websocket")];
        assert!(!wants_websocket(&head(Version::HTTP_11, "POST", &upgrade)));
        assert!(!wants_websocket(&head(Version::HTTP_10, "GET", &upgrade)));
        assert!(!wants_websocket(&head(
            Version::HTTP_11,
            "GET",
            &[
                ("connection", "upgrade, http2-settings"),
                ("upgrade", "h2c")
            ]
        )));
        // An Upgrade header without the Connection token asks for nothing.
        assert!(!wants_websocket(&head(
            Version::HTTP_11,
            "GET",
            &[("upgrade", "websocket")]
        )));
    }

    #[test]
    fn only_a_switch_to_websocket_is_accepted_from_the_upstream() {
        let mut h = HeaderMap::new();
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!switches_to_websocket(&h));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(switches_to_websocket(&h));
    }

    #[tokio::test]
    async fn a_finished_tunnel_wakes_its_connection_task_even_if_it_was_not_waiting_yet() {
        let state = TunnelState::default();
        state.start();
        assert!(state.is_open());
        state.finish();
        // The permit left by finish() lets ended() return although it ran later.
        tokio::time::timeout(std::time::Duration::from_secs(1), state.ended())
            .await
            .expect("ended() returns");
        assert!(!state.is_open());
    }
}

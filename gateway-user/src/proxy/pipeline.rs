//! The request path of one request: identity (request id, trace, client IP), the
//! ordered stages, the bounded body prefix for stages that inspect bodies, the
//! proxy step (pick a target, send, one retry on connect failure), the response
//! hooks, and the access log + metrics when the response body is finished.
use std::{
    convert::Infallible,
    sync::{Arc, atomic::Ordering},
    time::Instant,
};

use http::{HeaderName, Method, Request, Response, header, request};
use http_body::Body as _;
use http_body_util::BodyExt;
use hyper::{body::Incoming, upgrade::OnUpgrade};

use super::{
    body::{self, BodyDone, BodyMeter, LimitedBody, ProxyBody, TrackedBody},
    context::{ConnInfo, RequestContext, is_valid_request_id, new_request_id},
    deps::{AccessRecord, Telemetry, TraceContext},
    error::GatewayError,
    forward,
    route::CompiledRoute,
    runtime::{Gateway, Runtime},
    stage::Flow,
    upgrade,
    upstream::{HealthChange, InFlight, UpstreamFailure, classify},
};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Serves one request on the gateway's current runtime; never fails (every error
/// becomes a response).
pub async fn handle(
    gw: Arc<Gateway>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    Ok(serve(gw, conn, req, None).await)
}

/// Answers a request the connection layer already refused (per-IP connection
/// limit, ambiguous framing) with `err`, through the same response stages, access
/// log and metrics as every other answer; the connection is closed after it.
pub async fn refuse(
    gw: Arc<Gateway>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
    stage: &'static str,
    err: GatewayError,
) -> Result<Response<ProxyBody>, Infallible> {
    let mut resp = serve(gw, conn, req, Some((stage, err))).await;
    resp.headers_mut()
        .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    Ok(resp)
}

async fn serve(
    gw: Arc<Gateway>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
    refused: Option<Rejection>,
) -> Response<ProxyBody> {
    let rt = gw.runtime.load_full();
    let telemetry = gw.shared.telemetry.clone();
    let (mut head, incoming) = req.into_parts();
    // Whether a body follows is the connection's word, not the headers': an h2
    // request can carry one with no Content-Length, and must not skip validation.
    head.extensions.insert(crate::validate::BodyPresent(
        !http_body::Body::is_end_stream(&incoming),
    ));
    let mut ctx = new_context(&rt, conn, &head);
    let raw_path = head.uri.path().to_string();
    let meter = Arc::new(BodyMeter::default());
    let body = body::boxed(LimitedBody::new(
        incoming,
        rt.limits.max_body.0,
        meter.clone(),
    ));

    let result = match refused {
        Some(rejection) => Err(rejection),
        None => run(&rt, &telemetry, &mut ctx, &mut head, body, &meter).await,
    };
    let mut resp = match result {
        Ok(resp) => resp,
        Err((stage, err)) => {
            let status = err.status();
            if status.is_server_error() {
                tracing::debug!(request_id = %ctx.request_id, stage, error = %err, "request failed");
            }
            ctx.reject_stage = Some(stage);
            telemetry.metrics.request_rejected(stage, status.as_u16());
            if let GatewayError::Auth { error, .. } = &err {
                let route = ctx.route.as_ref().map_or("", |r| r.name.as_str());
                telemetry.metrics.auth_failure(route, error.reason());
            }
            if let Some(kind) = crate::bans::offense_for(stage, status.as_u16()) {
                let evidence = format!("{stage} {} rules {:?}", status.as_u16(), ctx.waf_rules);
                crate::bans::offense(ctx.client_ip, kind, &evidence);
            }
            err.to_response(&ctx.request_id)
        }
    };
    for stage in rt.stages.iter().rev() {
        stage.on_response(&mut ctx, &mut resp);
    }
    let status = resp.status().as_u16();
    let (parts, body) = resp.into_parts();
    let hook = AccessHook {
        ctx,
        status,
        raw_path,
        telemetry,
        meter,
    };
    Response::from_parts(
        parts,
        BodyExt::boxed(TrackedBody::new(body, Box::new(hook))),
    )
}

fn new_context(rt: &Runtime, conn: Arc<ConnInfo>, head: &request::Parts) -> RequestContext {
    let request_id = head
        .headers
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_valid_request_id(id))
        .map_or_else(new_request_id, str::to_owned);
    let trace = head
        .headers
        .get(&TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse)
        .map_or_else(TraceContext::generate, |t| t.child());
    let peer = super::route::canonical(conn.peer.ip());
    let client_ip = forward::client_ip(peer, &head.headers, &rt.trusted_proxies);
    let peer_trusted = rt.trusted_proxies.iter().any(|n| n.contains(&peer));
    let mut ctx = RequestContext::new(conn, client_ip, head.method.clone(), request_id, trace);
    ctx.peer_trusted = peer_trusted;
    ctx.user_agent = head
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    ctx
}

type Rejection = (&'static str, GatewayError);

async fn run(
    rt: &Runtime,
    telemetry: &Arc<Telemetry>,
    ctx: &mut RequestContext,
    head: &mut request::Parts,
    mut body: ProxyBody,
    meter: &BodyMeter,
) -> Result<Response<ProxyBody>, Rejection> {
    for stage in &rt.stages {
        let mut flow = stage.on_request(ctx, head).map_err(|e| (stage.name(), e))?;
        if matches!(flow, Flow::Continue) && stage.is_async() {
            flow = stage
                .on_request_async(ctx, head)
                .await
                .map_err(|e| (stage.name(), e))?;
        }
        if let Flow::Respond(resp) = flow {
            return Ok(resp);
        }
    }
    let want = rt
        .stages
        .iter()
        .map(|s| s.body_prefix(ctx, head))
        .max()
        .unwrap_or(0);
    if want > 0 {
        let bound = want.min(usize::try_from(rt.limits.max_body.0).unwrap_or(usize::MAX));
        let (prefix, complete, rest) = body::buffer_prefix(body, bound).await.map_err(|_| {
            let e = if meter.tripped() {
                GatewayError::BodyTooLarge
            } else {
                GatewayError::BadRequest("the request body could not be read")
            };
            ("hygiene", e)
        })?;
        for stage in &rt.stages {
            if stage.body_prefix(ctx, head) > 0
                && let Flow::Respond(resp) = stage
                    .on_body(ctx, head, &prefix, complete)
                    .map_err(|e| (stage.name(), e))?
            {
                return Ok(resp);
            }
        }
        body = rest;
    }
    let client_upgrade = websocket_upgrade(ctx, head);
    proxy(telemetry, ctx, head, body, meter, client_upgrade)
        .await
        .map_err(|e| match e {
            GatewayError::BodyTooLarge => ("hygiene", e),
            e => ("proxy", e),
        })
}

fn is_idempotent(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// The client's pending upgrade, when the request is a WebSocket handshake that its
/// route forwards (never to an h2 pool: WebSocket over h2 needs extended CONNECT).
fn websocket_upgrade(ctx: &RequestContext, head: &mut request::Parts) -> Option<OnUpgrade> {
    let route = ctx.route.as_ref()?;
    if !route.websocket || route.upstream.client().h2 || !upgrade::wants_websocket(head) {
        return None;
    }
    head.extensions.remove::<OnUpgrade>()
}

async fn proxy(
    telemetry: &Arc<Telemetry>,
    ctx: &mut RequestContext,
    head: &request::Parts,
    body: ProxyBody,
    meter: &BodyMeter,
    mut client_upgrade: Option<OnUpgrade>,
) -> Result<Response<ProxyBody>, GatewayError> {
    let route = ctx.route.clone().ok_or(GatewayError::NoRoute)?;
    let pool = route.upstream.clone();
    let metrics = &telemetry.metrics;
    let mut headers = forward::upstream_headers(ctx, head, &route);
    if client_upgrade.is_some() {
        upgrade::set_upgrade_headers(&mut headers);
    }
    // Only a request whose body is known empty can be sent again.
    let retriable = is_idempotent(&head.method) && body.is_end_stream();
    let timeout = route.timeout.unwrap_or(pool.response_timeout);
    let mut body = Some(body);
    let mut exclude = None;
    for attempt in 0..2 {
        let Some(i) = pool.pick(ctx.client_ip, exclude) else {
            if attempt > 0 {
                // Nothing left to retry on: the client learns the first failure.
                return Err(GatewayError::BadGateway);
            }
            metrics.upstream_error(&pool.name, "unavailable");
            return Err(GatewayError::NoHealthyUpstream);
        };
        let target = &pool.targets[i];
        let guard = pool.enter(i);
        let b = body.take().unwrap_or_else(body::empty);
        // Headers are cloned only when a retry may need them again.
        let h = if retriable && attempt == 0 {
            headers.clone()
        } else {
            std::mem::take(&mut headers)
        };
        let req = forward::build_request(ctx, head, &route, h, &target.addr, pool.client().h2, b)?;
        ctx.upstream_addr = Some(target.addr.clone());
        let started = Instant::now();
        let res = tokio::time::timeout(timeout, pool.client().request(req)).await;
        let elapsed = started.elapsed();
        ctx.upstream_duration = Some(elapsed);
        match res {
            Err(_) => {
                report(telemetry, &pool.name, &target.addr, pool.record(i, false));
                metrics.upstream_error(&pool.name, "timeout");
                metrics.observe_upstream(&pool.name, &target.addr, None, elapsed);
                return Err(GatewayError::GatewayTimeout);
            }
            Ok(Err(e)) => {
                if meter.tripped() {
                    return Err(GatewayError::BodyTooLarge);
                }
                let failure = classify(&e);
                report(telemetry, &pool.name, &target.addr, pool.record(i, false));
                metrics.upstream_error(&pool.name, failure.kind());
                metrics.observe_upstream(&pool.name, &target.addr, None, elapsed);
                tracing::warn!(request_id = %ctx.request_id, upstream = %pool.name, target = %target.addr, error = %e, "upstream request failed");
                if failure != UpstreamFailure::Protocol && retriable && attempt == 0 {
                    exclude = Some(i);
                    continue;
                }
                return Err(match failure {
                    UpstreamFailure::ConnectTimeout => GatewayError::GatewayTimeout,
                    _ => GatewayError::BadGateway,
                });
            }
            Ok(Ok(resp)) => {
                let status = resp.status().as_u16();
                let change = pool.record(i, !matches!(status, 502..=504));
                report(telemetry, &pool.name, &target.addr, change);
                metrics.observe_upstream(&pool.name, &target.addr, Some(status), elapsed);
                ctx.upstream_status = Some(status);
                if resp.status() == http::StatusCode::SWITCHING_PROTOCOLS {
                    let client = client_upgrade.take();
                    return switch_protocols(telemetry, ctx, &route, resp, client, guard);
                }
                ctx.upstream_guard = Some(guard);
                let (mut parts, incoming) = resp.into_parts();
                forward::strip_hop_by_hop(&mut parts.headers);
                // The client gets the version of its own connection, not the upstream's.
                parts.version = http::Version::HTTP_11;
                return Ok(Response::from_parts(parts, body::boxed(incoming)));
            }
        }
    }
    Err(GatewayError::BadGateway)
}

/// Completes a WebSocket handshake the upstream accepted: the 101 goes to the client
/// and the tunnel starts once both sides have switched. A 101 the client did not
/// ask for, or to another protocol than WebSocket, is a 502: joining the two
/// connections then would let the client talk to the upstream past every stage.
fn switch_protocols(
    telemetry: &Arc<Telemetry>,
    ctx: &RequestContext,
    route: &CompiledRoute,
    mut resp: Response<Incoming>,
    client: Option<OnUpgrade>,
    guard: InFlight,
) -> Result<Response<ProxyBody>, GatewayError> {
    let Some(client) = client.filter(|_| upgrade::switches_to_websocket(resp.headers())) else {
        tracing::warn!(request_id = %ctx.request_id, route = %route.name, "upstream switched protocols without a WebSocket handshake");
        return Err(GatewayError::BadGateway);
    };
    let upstream = hyper::upgrade::on(&mut resp);
    upgrade::spawn(upgrade::Tunnel {
        client,
        upstream,
        state: ctx.conn.tunnel.clone(),
        guard: Some(guard),
        telemetry: telemetry.clone(),
        route: route.name.clone(),
        request_id: ctx.request_id.clone(),
    });
    let (mut parts, _) = resp.into_parts();
    forward::strip_hop_by_hop(&mut parts.headers);
    upgrade::set_upgrade_headers(&mut parts.headers);
    parts.version = http::Version::HTTP_11;
    Ok(Response::from_parts(parts, body::empty()))
}

/// Logs and publishes a passive health change of a target.
fn report(telemetry: &Telemetry, upstream: &str, target: &str, change: HealthChange) {
    match change {
        HealthChange::None => {}
        HealthChange::Ejected => {
            tracing::warn!(
                upstream,
                target,
                "target ejected after consecutive failures"
            );
            telemetry
                .metrics
                .set_upstream_health(upstream, target, false);
        }
        HealthChange::Recovered => {
            tracing::info!(upstream, target, "ejected target answers again");
            telemetry
                .metrics
                .set_upstream_health(upstream, target, true);
        }
    }
}

/// Writes the access log line and request metrics once the response is finished.
struct AccessHook {
    ctx: RequestContext,
    status: u16,
    raw_path: String,
    telemetry: Arc<Telemetry>,
    meter: Arc<BodyMeter>,
}

impl BodyDone for AccessHook {
    fn done(self: Box<Self>, bytes_out: u64, _complete: bool) {
        let ctx = &self.ctx;
        let duration = ctx.started.elapsed();
        let route = ctx.route_name();
        self.telemetry.metrics.observe_request(
            route.unwrap_or(""),
            ctx.method.as_str(),
            self.status,
            duration,
        );
        let tls = ctx.conn.tls.as_ref();
        let path = if ctx.path.is_empty() {
            self.raw_path.as_str()
        } else {
            ctx.path.as_str()
        };
        let traceparent = ctx.trace.to_header();
        self.telemetry.access_log.write(&AccessRecord {
            time: ctx.started_at,
            request_id: &ctx.request_id,
            traceparent: &traceparent,
            client_ip: ctx.client_ip,
            method: ctx.method.as_str(),
            path,
            route,
            status: self.status,
            bytes_in: self.meter.bytes.load(Ordering::Relaxed),
            bytes_out,
            duration,
            upstream_duration: ctx.upstream_duration,
            upstream_addr: ctx.upstream_addr.as_deref(),
            tls_version: tls.map(|t| t.tls_version),
            client_cert_subject: tls
                .and_then(|t| t.client_cert.as_ref())
                .map(|c| c.subject.as_str()),
            user_agent: ctx.user_agent.as_deref(),
            consumer: ctx.consumer.as_deref(),
            auth: ctx.auth.as_deref(),
            rate_limit: ctx.rate_limit.as_deref(),
            waf: ctx.waf.as_deref(),
            waf_rules: &ctx.waf_rules,
            reject_stage: ctx.reject_stage,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use http::StatusCode;

    use super::*;
    use crate::proxy::{
        Shared,
        stage::{Stage, StageResult},
    };

    /// A WAF-like stage that inspects the first 16 body bytes.
    struct NoEvil;

    impl Stage for NoEvil {
        fn name(&self) -> &'static str {
            "waf"
        }
        fn body_prefix(&self, _ctx: &RequestContext, _head: &request::Parts) -> usize {
            16
        }
        fn on_body(
            &self,
            ctx: &mut RequestContext,
            _head: &request::Parts,
            prefix: &[u8],
            _complete: bool,
        ) -> StageResult {
            if prefix.windows(4).any(|w| w == b"evil") {
                ctx.waf = Some("blocked".into());
                return Err(GatewayError::Refused {
                    status: StatusCode::FORBIDDEN,
                    code: "waf_blocked",
                    message: "request blocked",
                });
            }
            Ok(Flow::Continue)
        }
    }

    async fn post(body: &'static [u8]) -> (Result<u16, (&'static str, u16)>, RequestContext) {
        let text = "listeners: [{name: p, bind: '127.0.0.1:0'}]\n\
                    upstreams: {u: {targets: ['127.0.0.1:9'], connect_timeout: 1s}}\n\
                    routes: [{name: r, upstream: u}]\n";
        let config = crate::config::parse(text, std::path::Path::new("t.yaml")).unwrap();
        let shared = Shared::new(Arc::new(Telemetry::without_access_log()));
        let mut rt = Runtime::build(&config, &shared).unwrap();
        let at = rt.stages.len() - 1;
        rt.stages.insert(at, Box::new(NoEvil));
        let conn = Arc::new(ConnInfo {
            listener: Arc::from("p"),
            peer: "127.0.0.1:5000".parse::<SocketAddr>().unwrap(),
            tls: None,
            tunnel: Arc::default(),
        });
        let (mut head, ()) = Request::post("/x")
            .header(http::header::HOST, "test")
            .body(())
            .unwrap()
            .into_parts();
        let mut ctx = new_context(&rt, conn, &head);
        let meter = BodyMeter::default();
        let res = run(
            &rt,
            &shared.telemetry,
            &mut ctx,
            &mut head,
            body::full(body),
            &meter,
        )
        .await;
        (
            res.map(|r| r.status().as_u16())
                .map_err(|(stage, e)| (stage, e.status().as_u16())),
            ctx,
        )
    }

    #[tokio::test]
    async fn a_stage_asking_for_a_body_prefix_can_refuse_the_request_before_the_upstream() {
        let (res, ctx) = post(b"some evil payload").await;
        assert_eq!(res, Err(("waf", 403)));
        assert_eq!(ctx.waf.as_deref(), Some("blocked"));
        assert_eq!(ctx.upstream_addr, None);
    }

    #[tokio::test]
    async fn a_clean_body_prefix_lets_the_request_go_on_to_the_upstream() {
        let (res, ctx) = post(b"a harmless payload").await;
        // The upstream port is closed: reaching it at all means the stage let it through.
        assert_eq!(res, Err(("proxy", 502)));
        assert_eq!(ctx.upstream_addr.as_deref(), Some("127.0.0.1:9"));
    }
}

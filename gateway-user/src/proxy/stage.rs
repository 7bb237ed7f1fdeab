//! The `Stage` trait: one step of the request path (ip filter, hygiene, route,
//! client cert, CORS, later auth / rate limit / WAF / schema). Stages run in the
//! order of `Runtime::stages`; adding a stage is adding a file under `stages/` and a
//! line in `stages::build`.
use std::{future::Future, pin::Pin};

use http::{Response, request};

use super::{body::ProxyBody, context::RequestContext, error::GatewayError};

/// What a stage decided about a request.
pub enum Flow {
    /// Go on to the next stage.
    Continue,
    /// Answer the client with this response now (e.g. a CORS preflight).
    Respond(Response<ProxyBody>),
}

/// A stage's verdict: continue, answer, or refuse with an error.
pub type StageResult = Result<Flow, GatewayError>;

/// A boxed future returned by asynchronous stage hooks.
pub type StageFuture<'a> = Pin<Box<dyn Future<Output = StageResult> + Send + 'a>>;

/// One step of the request path; every hook has a do-nothing default.
pub trait Stage: Send + Sync + 'static {
    /// Short name used in logs and the `stage` metric label (`ip_filter`, `waf`, …).
    fn name(&self) -> &'static str;

    /// Inspects (and may edit) the request head; synchronous fast path.
    fn on_request(&self, _ctx: &mut RequestContext, _head: &mut request::Parts) -> StageResult {
        Ok(Flow::Continue)
    }

    /// Asynchronous request hook (remote rate limits, key lookups); runs after
    /// `on_request` of the same stage. Only called when `is_async` is true.
    fn on_request_async<'a>(
        &'a self,
        _ctx: &'a mut RequestContext,
        _head: &'a mut request::Parts,
    ) -> StageFuture<'a> {
        Box::pin(std::future::ready(Ok(Flow::Continue)))
    }

    /// Whether `on_request_async` must be awaited (saves a boxed future otherwise).
    fn is_async(&self) -> bool {
        false
    }

    /// How many leading body bytes this stage wants to inspect for this request (0 =
    /// none). The pipeline buffers the largest asked prefix (bounded by
    /// `limits.max_body`) and streams the rest.
    fn body_prefix(&self, _ctx: &RequestContext, _head: &request::Parts) -> usize {
        0
    }

    /// Inspects the buffered body prefix; `complete` is true when it is the whole body.
    fn on_body(
        &self,
        _ctx: &mut RequestContext,
        _head: &request::Parts,
        _prefix: &[u8],
        _complete: bool,
    ) -> StageResult {
        Ok(Flow::Continue)
    }

    /// Edits the response (head, or body when it must be replaced) before it is sent.
    /// Runs for every response, including the gateway's own errors, in reverse
    /// stage order.
    fn on_response(&self, _ctx: &mut RequestContext, _resp: &mut Response<ProxyBody>) {}
}

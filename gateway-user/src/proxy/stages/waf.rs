//! The WAF stage: scores each request with the engine compiled when the
//! configuration loaded (`waf::Engine`) under its route's policy. Requests without
//! a body are inspected on the head; the others once their body prefix (up to
//! `inspect_body` + 1 byte, so an oversized body is told apart) is buffered.
//! `block` refuses with `GatewayError::WafBlocked` (403), or with 400 `invalid_body`
//! when the only reason is a JSON body that does not parse under `invalid_body:
//! reject`; `detect` only records the rule ids for the access log and metrics.
//! Payloads are never logged.
use std::sync::Arc;

use http::{StatusCode, header, request};

use crate::{
    proxy::{
        context::RequestContext,
        deps::Telemetry,
        error::GatewayError,
        stage::{Flow, Stage, StageResult},
    },
    validate::BodyPresent,
    waf::{Engine, Mode, RequestView, RoutePolicy, Verdict},
};

/// Inspects requests for attacks; one compiled policy per route.
pub struct WafStage {
    /// The compiled engine.
    pub engine: Arc<Engine>,
    /// The policy of each route, by `CompiledRoute::index`.
    pub policies: Vec<RoutePolicy>,
    /// Where rule matches are counted.
    pub telemetry: Arc<Telemetry>,
}

impl WafStage {
    /// Whether any route is inspected at all (the stage is left out otherwise).
    pub fn is_active(&self) -> bool {
        self.policies.iter().any(|p| p.mode != Mode::Off)
    }

    fn policy(&self, ctx: &RequestContext) -> Option<&RoutePolicy> {
        let route = ctx.route.as_deref()?;
        self.policies
            .get(route.index)
            .filter(|p| p.mode != Mode::Off)
    }

    /// Inspects the request and records the verdict; refuses it when blocked.
    fn judge(
        &self,
        ctx: &mut RequestContext,
        head: &request::Parts,
        policy: &RoutePolicy,
        body: Option<&[u8]>,
        body_truncated: bool,
    ) -> StageResult {
        let view = RequestView {
            method: head.method.as_str(),
            raw_path: head.uri.path(),
            path: &ctx.path,
            query: head.uri.query(),
            headers: &head.headers,
            body,
            body_truncated,
            content_type: head
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            client_ip: Some(ctx.client_ip),
        };
        let inspected = guarded(|| self.engine.inspect(&view, policy));
        let Some(verdict) = inspected else {
            let outcome = on_failure(policy.mode);
            // Never the payload: the request id finds the request in the access log.
            tracing::error!(
                request_id = %ctx.request_id,
                route = ctx.route_name().unwrap_or(""),
                "waf inspection panicked (a bug); the request is {}",
                if outcome.is_err() { "refused" } else { "passed, as detect mode never blocks" }
            );
            ctx.waf = Some("error".to_string());
            return outcome;
        };
        self.record(ctx, &verdict);
        if verdict.blocked && verdict.invalid_body {
            return Err(GatewayError::Refused {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_body",
                message: "the request body does not parse as its Content-Type says",
            });
        }
        if verdict.blocked {
            return Err(GatewayError::WafBlocked);
        }
        Ok(Flow::Continue)
    }

    fn record(&self, ctx: &mut RequestContext, verdict: &Verdict) {
        let word = if verdict.blocked {
            "blocked"
        } else if verdict.matches.is_empty() {
            "pass"
        } else {
            "detected"
        };
        ctx.waf = Some(word.to_string());
        if verdict.matches.is_empty() {
            return;
        }
        ctx.waf_rules = verdict.rule_ids();
        let mut counted: Vec<u32> = Vec::with_capacity(verdict.matches.len());
        for m in &verdict.matches {
            if !counted.contains(&m.rule_id) {
                counted.push(m.rule_id);
                self.telemetry
                    .metrics
                    .waf_match(m.rule_id, m.category.as_str());
            }
        }
        // Rule ids and field names only: the payload never reaches the log.
        tracing::info!(
            request_id = %ctx.request_id,
            route = ctx.route_name().unwrap_or(""),
            verdict = word,
            score = verdict.score,
            matches = %verdict.summary(),
            "waf"
        );
    }
}

/// Runs the inspection, catching a panic (a bug in the engine) so it costs
/// this request its answer rather than its connection.
fn guarded<T>(inspect: impl FnOnce() -> T) -> Option<T> {
    // Unwind safe in fact: all the inspection's scratch state is its own, dropped
    // with the panic, and the engine's one interior mutability, a worker's table of
    // the values it has seen (`waf::seen`), gets a value only once that value's
    // inspection has finished.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(inspect)).ok()
}

/// What a request gets when its inspection failed: `block` fails closed (500),
/// `detect` passes it, as it passes whatever the inspection says.
fn on_failure(mode: Mode) -> StageResult {
    match mode {
        Mode::Block => Err(GatewayError::Internal),
        _ => Ok(Flow::Continue),
    }
}

/// Whether the request has a body: the connection's word when the server recorded
/// it (an h2 body needs no Content-Length), else a non-zero Content-Length or chunked.
fn has_body(head: &request::Parts) -> bool {
    let announced = head.headers.contains_key(header::TRANSFER_ENCODING)
        || head
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    match head.extensions.get::<BodyPresent>() {
        Some(BodyPresent(present)) => *present || announced,
        None => announced,
    }
}

impl Stage for WafStage {
    fn name(&self) -> &'static str {
        "waf"
    }

    fn on_request(&self, ctx: &mut RequestContext, head: &mut request::Parts) -> StageResult {
        match self.policy(ctx) {
            // Requests with a body are inspected once it is buffered (`on_body`).
            Some(policy) if !has_body(head) => self.judge(ctx, head, policy, None, false),
            _ => Ok(Flow::Continue),
        }
    }

    fn body_prefix(&self, ctx: &RequestContext, head: &request::Parts) -> usize {
        match self.policy(ctx) {
            Some(_) if has_body(head) => self.engine.inspect_body_limit().saturating_add(1),
            _ => 0,
        }
    }

    fn on_body(
        &self,
        ctx: &mut RequestContext,
        head: &request::Parts,
        prefix: &[u8],
        complete: bool,
    ) -> StageResult {
        match self.policy(ctx) {
            Some(policy) => self.judge(ctx, head, policy, Some(prefix), !complete),
            None => Ok(Flow::Continue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_inspection_costs_the_request_its_answer_not_the_process() {
        assert_eq!(guarded(|| 7), Some(7));
        let caught: Option<u32> = guarded(|| {
            let text = "x #abcdefghi\u{2460}";
            // The kind of slip that once got through: a str sliced inside a character.
            text[..13].len() as u32
        });
        assert_eq!(caught, None);
        assert!(matches!(
            on_failure(Mode::Block),
            Err(GatewayError::Internal)
        ));
        assert!(matches!(on_failure(Mode::Detect), Ok(Flow::Continue)));
    }
}

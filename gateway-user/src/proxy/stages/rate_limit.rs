//! Rate limits and quotas: every limit of the matched route (and the consumer's
//! plan) checked in one call to the limiter. Refusals are 429 (a limit ran out) or
//! 503 (Redis unreachable without fallback), answered through `GatewayError`; the
//! RateLimit headers go on every response of a limited route.
use std::sync::Arc;

use http::{Response, request};

use crate::{
    limit::{CompiledLimits, Decision, Exhausted, Limiter, StoreUsed, Subject, headers},
    proxy::{
        body::ProxyBody,
        context::RequestContext,
        error::GatewayError,
        stage::{Flow, Stage, StageFuture},
    },
};

/// Checks the route's limits against the shared limiter.
pub struct RateLimitStage {
    /// The limiter (its counters outlive reloads).
    pub limiter: Arc<Limiter>,
    /// Plans and route limit lists of this configuration.
    pub limits: Arc<CompiledLimits>,
}

/// Who the request comes from, as the earlier stages learned it.
fn subject<'a>(ctx: &'a RequestContext, head: &'a request::Parts) -> Subject<'a> {
    let identity = ctx.identity.as_ref();
    Subject {
        consumer: identity.and_then(|i| i.key()).or(ctx.consumer.as_deref()),
        // `by: consumer` limits without a rate of their own use the consumer's plan.
        plan: identity.and_then(|i| i.plan.as_deref()),
        // The verified subject identifies the credential (token subject, key's consumer).
        credential: identity.and_then(|i| i.subject.as_deref()),
        ip: ctx.client_ip,
        headers: &head.headers,
    }
}

/// A short word for the access log.
fn summary(d: &Decision) -> &'static str {
    match (d.error.is_some(), d.exhausted, d.store) {
        (true, _, _) => "unavailable",
        (false, Some(Exhausted::Rate), _) => "rate_exceeded",
        (false, Some(Exhausted::Quota), _) => "quota_exceeded",
        (false, None, StoreUsed::LocalFallback) => "allowed_fallback",
        (false, None, _) => "allowed",
    }
}

impl Stage for RateLimitStage {
    fn name(&self) -> &'static str {
        "rate_limit"
    }

    fn is_async(&self) -> bool {
        true
    }

    fn on_request_async<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        head: &'a mut request::Parts,
    ) -> StageFuture<'a> {
        Box::pin(async move {
            let Some(route) = ctx.route_name().and_then(|r| self.limits.route(r)) else {
                return Ok(Flow::Continue);
            };
            let checks = route.checks(&subject(ctx, head), &self.limits.plans);
            if checks.is_empty() {
                return Ok(Flow::Continue);
            }
            let decision = self.limiter.check(&checks).await;
            ctx.rate_limit = Some(summary(&decision).to_string());
            let refused = decision.refusal_status().is_some();
            let decision = Arc::new(decision);
            ctx.limit_decision = Some(decision.clone());
            if refused {
                return Err(GatewayError::RateLimited(decision));
            }
            Ok(Flow::Continue)
        })
    }

    fn on_response(&self, ctx: &mut RequestContext, resp: &mut Response<ProxyBody>) {
        if let Some(d) = &ctx.limit_decision {
            headers::apply(d, resp.headers_mut(), self.limiter.hide_headers());
        }
    }
}

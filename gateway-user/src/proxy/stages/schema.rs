//! Request validation per route (`validate:`): the content type and query schema
//! on the head, then the buffered JSON body (size, depth, schema). The rules are
//! the route's `validate::Validator`, compiled when the configuration loaded;
//! refusals (400/413/415 listing the errors) become responses in `error.rs`.
use http::{header, request};

use crate::{
    proxy::{
        context::RequestContext,
        error::GatewayError,
        stage::{Flow, Stage, StageResult},
    },
    validate::Validator,
};

/// Holds requests to their route's JSON Schemas and content rules.
pub struct SchemaValidation;

fn validator(ctx: &RequestContext) -> Option<&Validator> {
    ctx.route.as_ref()?.validator.as_deref()
}

impl Stage for SchemaValidation {
    fn name(&self) -> &'static str {
        "validate"
    }

    fn on_request(&self, ctx: &mut RequestContext, head: &mut request::Parts) -> StageResult {
        if let Some(v) = validator(ctx) {
            v.check_head(head).map_err(GatewayError::Invalid)?;
        }
        Ok(Flow::Continue)
    }

    fn body_prefix(&self, ctx: &RequestContext, head: &request::Parts) -> usize {
        match validator(ctx) {
            // One byte more than the limit tells "exactly at the limit" from "over it".
            Some(v) if v.inspects_body(head) => v.body_limit().saturating_add(1),
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
        let Some(v) = validator(ctx) else {
            return Ok(Flow::Continue);
        };
        if !complete {
            // Only part of the body was buffered: it is over the limit, and a
            // partial JSON document cannot be validated.
            return Err(GatewayError::Invalid(v.too_large()));
        }
        let content_type = head
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|ct| ct.to_str().ok());
        v.check_body(content_type, prefix)
            .map_err(GatewayError::Invalid)?;
        Ok(Flow::Continue)
    }
}

//! Who the caller is once authenticated: consumer, subject, method, groups, plan,
//! and the headers to add upstream. Later stages (limits, logs) read it.
use std::sync::Arc;

use http::{HeaderName, HeaderValue};

use super::{config::Consumer, token::TokenLocation};

/// Who the caller is, once authenticated.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    /// The consumer the credential belongs to, when it maps to one.
    pub consumer: Option<Arc<Consumer>>,
    /// The subject (JWT subject claim, consumer name, certificate subject).
    pub subject: Option<String>,
    /// How: `jwt:<provider>`, `api_key`, `mtls`, `ext_authz` or `anonymous`.
    pub method: String,
    /// Headers to add to the upstream request (forwarded claims, authorizer answers).
    pub claims_headers: Vec<(HeaderName, HeaderValue)>,
    /// Groups (the consumer's, plus the token's groups claim).
    pub groups: Vec<String>,
    /// The consumer's rate-limit plan.
    pub plan: Option<String>,
    /// Where the credential was found (removed upstream with `hide_credentials`).
    pub credential: Option<TokenLocation>,
}

impl Identity {
    /// The name rate limits and logs key on: the consumer, else the subject.
    pub fn key(&self) -> Option<&str> {
        self.consumer
            .as_ref()
            .map(|c| c.name.as_str())
            .or(self.subject.as_deref())
    }
}

//! Web application firewall: inspects a request for attacks and scores it like OWASP CRS.
//!
//! The engine is compiled once from [`WafConfig`] (every regex and automaton is built
//! there); a route's mode and exclusions are compiled into a [`RoutePolicy`]; on the
//! request path [`Engine::inspect`] borrows a [`RequestView`] and returns a [`Verdict`].
//!
//! Layout: `request` (input view), `fields` (what is inspected), `transform`
//! (decoders and normalizers), `chains` (each field's chain values, computed once),
//! `recent` (values seen earlier in the request and what fired on them), `seen`
//! (method, path and header values earlier requests sent, per worker thread),
//! `symbols` and `prefilter` (what a value holds, what a regex needs), `sets` (the
//! built-in regexes as sets), `sqli` (libinjection-style tokenizer and grammar),
//! `xss` (HTML tag scanner), `js` (script-context sinks), `rules` (built-in rules
//! per category), `custom` (configured rules), `engine` (compile, inspect, score),
//! `config` (serde shape).
mod chains;
mod config;
mod custom;
mod engine;
mod factors;
pub(crate) mod fields;
mod js;
mod memo;
mod prefilter;
mod recent;
mod request;
mod rules;
mod seen;
mod sets;
pub mod sqli;
mod symbols;
pub mod transform;
pub mod xss;

#[cfg(test)]
mod tests;

pub use config::{
    ByteSize, CustomOperator, CustomRuleConfig, Exclusion, InvalidBody, Mode, Oversize,
    RouteWafConfig, RuleSelector, WafConfig,
};
pub use engine::{Engine, RoutePolicy};
pub use fields::{FieldKind, FieldName};
pub use request::RequestView;
pub use rules::{Category, Severity};
pub use transform::Transform;

/// One rule that fired on one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// The rule id (CRS-like ranges, see `rules`).
    pub rule_id: u32,
    /// The attack category of the rule.
    pub category: Category,
    /// The field it fired on, e.g. `args.q`, `json.user.name`, `header.user-agent`.
    pub field: FieldName,
    /// The score the rule carries.
    pub score: u32,
}

/// The outcome of inspecting one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Sum of the scores of the distinct rules that fired.
    pub score: u32,
    /// True when the mode is `block` and the score reached the threshold (or a rule blocks).
    pub blocked: bool,
    /// The mode that applied to this request.
    pub mode: Mode,
    /// Every (rule, field) that fired, in inspection order.
    pub matches: Vec<RuleMatch>,
    /// True when the request is blocked only because its body does not parse
    /// (rule 200002 under `invalid_body: reject`): it is answered 400, not 403.
    pub invalid_body: bool,
}

impl Verdict {
    /// `942100@args.q 941110@json.user.name`: rule ids and fields for a log line,
    /// never the payload.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for m in &self.matches {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&format!("{}@{}", m.rule_id, m.field));
        }
        out
    }

    /// The rule ids that fired, deduplicated, in first-seen order (for logs and metrics).
    pub fn rule_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::new();
        for m in &self.matches {
            if !ids.contains(&m.rule_id) {
                ids.push(m.rule_id);
            }
        }
        ids
    }
}

/// Errors raised while compiling WAF configuration.
#[derive(Debug, thiserror::Error)]
pub enum WafError {
    /// A custom rule's regex does not compile (or is too large).
    #[error("waf custom rule {id}: invalid regex: {source}")]
    BadRegex {
        /// The custom rule id.
        id: u32,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// A custom rule's `ip_match` entry is not an IP or CIDR.
    #[error("waf custom rule {id}: `{value}` is not an IP address or CIDR")]
    BadCidr {
        /// The custom rule id.
        id: u32,
        /// The offending entry.
        value: String,
    },
    /// A value is out of range or inconsistent.
    #[error("waf: {0}")]
    Invalid(String),
    /// A built-in rule failed to compile (a bug, reported rather than panicking).
    #[error("waf built-in rules failed to compile: {0}")]
    Builtin(String),
}

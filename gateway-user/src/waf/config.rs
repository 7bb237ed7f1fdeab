//! The `waf:` configuration, globally and per route, as plain serde data.
//!
//! Parsed and validated here; compiled into an [`super::Engine`] and
//! [`super::RoutePolicy`] elsewhere so nothing on the request path re-reads it.
use std::fmt;

use serde::{Deserialize, Deserializer};

use super::transform::Transform;

/// What the WAF does with a request whose score reaches the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Reject with 403.
    #[default]
    Block,
    /// Log and count only.
    Detect,
    /// Do not inspect.
    Off,
}

/// What happens to a body larger than `inspect_body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Oversize {
    /// Inspect the first `inspect_body` bytes and let the rest through.
    #[default]
    InspectPrefix,
    /// Block the request (rule 920400) when the mode is `block`.
    Block,
}

/// What happens to a complete JSON body that does not parse as JSON (rule 200002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InvalidBody {
    /// Scan its string literals and names leniently, like any other body (AWS WAF's
    /// "evaluate as string").
    #[default]
    Inspect,
    /// Refuse it with 400 `invalid_body` when the mode is `block` (ModSecurity's
    /// recommended rule 200002); `detect` logs it.
    Reject,
}

/// A byte count written as `131072`, `128KiB`, `128k`, `1MiB`, `2MB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl ByteSize {
    /// Parses `128KiB`-style sizes (binary and decimal suffixes, case-insensitive).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: usize = num
            .parse()
            .map_err(|_| format!("`{text}` is not a size like 128KiB"))?;
        let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1000,
            "kib" => 1024,
            "m" | "mb" => 1_000_000,
            "mib" => 1024 * 1024,
            other => return Err(format!("unknown size unit `{other}` in `{text}`")),
        };
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(usize),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => ByteSize::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

/// The global `waf:` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WafConfig {
    /// Global mode (routes may override).
    pub mode: Mode,
    /// Paranoia level 1-4: rules above it are not evaluated.
    pub paranoia: u8,
    /// Anomaly score at which a request is blocked.
    pub threshold: u32,
    /// How many body bytes are inspected.
    pub inspect_body: ByteSize,
    /// Policy for bodies beyond `inspect_body`.
    pub oversize: Oversize,
    /// Policy for JSON bodies that do not parse (routes may override).
    pub invalid_body: InvalidBody,
    /// JSON nesting inspected with full field names; deeper values are still scanned.
    pub max_json_depth: usize,
    /// Upper bound on the number of fields inspected per request.
    pub max_fields: usize,
    /// Extra request headers to inspect (User-Agent, Referer and Cookie always are).
    pub headers: Vec<String>,
    /// Also inspect the base64-decoded form of values that look like base64.
    pub decode_base64: bool,
    /// Rules written in the configuration.
    pub custom_rules: Vec<CustomRuleConfig>,
    /// Method, path and header values (of at most 512 bytes each) that each
    /// worker thread remembers with the built-in rules that fired on them, so
    /// that an endpoint's path or a client's User-Agent is inspected once, not on
    /// every request; 0 inspects them every time.
    pub seen_values: usize,
}

impl Default for WafConfig {
    fn default() -> Self {
        WafConfig {
            mode: Mode::Block,
            paranoia: 1,
            threshold: 5,
            inspect_body: ByteSize(128 * 1024),
            oversize: Oversize::InspectPrefix,
            invalid_body: InvalidBody::Inspect,
            max_json_depth: 32,
            max_fields: 16384,
            headers: Vec::new(),
            decode_base64: false,
            custom_rules: Vec::new(),
            seen_values: 1024,
        }
    }
}

/// A route's `waf:` block: overrides and exclusions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouteWafConfig {
    /// Mode for this route (defaults to the global mode).
    pub mode: Option<Mode>,
    /// Paranoia level for this route (defaults to the global level).
    pub paranoia: Option<u8>,
    /// Threshold for this route (defaults to the global threshold).
    pub threshold: Option<u32>,
    /// Policy for JSON bodies that do not parse (defaults to the global one).
    pub invalid_body: Option<InvalidBody>,
    /// Rules switched off for a field or for the whole route.
    pub exclude: Vec<Exclusion>,
}

/// Which rules an exclusion covers: one id, or an inclusive range `942000-942999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSelector {
    /// First id covered.
    pub from: u32,
    /// Last id covered.
    pub to: u32,
}

impl RuleSelector {
    /// True when `id` is covered.
    pub fn covers(&self, id: u32) -> bool {
        (self.from..=self.to).contains(&id)
    }
}

impl fmt::Display for RuleSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

impl<'de> Deserialize<'de> for RuleSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u32),
            S(String),
        }
        let bad = |s: &str| {
            serde::de::Error::custom(format!(
                "`{s}` is not a rule id or range like 942000-942999"
            ))
        };
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(RuleSelector { from: n, to: n }),
            Raw::S(s) => {
                let (a, b) = s.split_once('-').unwrap_or((&s, &s));
                let from = a.trim().parse().map_err(|_| bad(&s))?;
                let to = b.trim().parse().map_err(|_| bad(&s))?;
                if from > to {
                    return Err(bad(&s));
                }
                Ok(RuleSelector { from, to })
            }
        }
    }
}

/// `{ rule: 942100, field: args.q }`; without `field` the rule is off for the route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The rule id or range.
    pub rule: RuleSelector,
    /// Field name, or a prefix ending in `*` (`json.user.*`); absent means every field.
    #[serde(default)]
    pub field: Option<String>,
}

/// The test a custom rule applies to the transformed field.
#[derive(Debug, Clone)]
pub enum CustomOperator {
    /// Linear-time regex (the `regex` crate).
    Regex(String),
    /// Substring (case-sensitive; add `lowercase` to the transformations for case-insensitive).
    Contains(String),
    /// Whole-value equality.
    Equals(String),
    /// Client IP within one of the CIDRs (field must be `remote_addr`).
    IpMatch(Vec<String>),
}

impl<'de> Deserialize<'de> for CustomOperator {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            regex: Option<String>,
            contains: Option<String>,
            equals: Option<String>,
            ip_match: Option<Vec<String>>,
        }
        let r = Raw::deserialize(d)?;
        let mut ops = Vec::new();
        if let Some(v) = r.regex {
            ops.push(CustomOperator::Regex(v));
        }
        if let Some(v) = r.contains {
            ops.push(CustomOperator::Contains(v));
        }
        if let Some(v) = r.equals {
            ops.push(CustomOperator::Equals(v));
        }
        if let Some(v) = r.ip_match {
            ops.push(CustomOperator::IpMatch(v));
        }
        match ops.len() {
            1 => Ok(ops.remove(0)),
            _ => Err(serde::de::Error::custom(
                "operator needs exactly one of regex, contains, equals, ip_match",
            )),
        }
    }
}

/// Custom rule action: add the score, or block outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomAction {
    /// Add `score` to the anomaly score.
    Score,
    /// Block regardless of the score (when the mode is `block`).
    Block,
}

/// A rule written in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRuleConfig {
    /// Rule id (use 100000-199999 to stay clear of built-in ranges).
    pub id: u32,
    /// Field selectors: `args`, `args.q`, `json.*`, `header.x-api-key`, `path`, `method`, `body`, `remote_addr`, ...
    #[serde(alias = "field")]
    pub fields: FieldList,
    /// Transformations applied in order before the operator.
    #[serde(default)]
    pub transformations: Vec<Transform>,
    /// The test.
    pub operator: CustomOperator,
    /// Fire when the operator does NOT match.
    #[serde(default)]
    pub negate: bool,
    /// Score added when the rule fires (default 5).
    #[serde(default = "default_custom_score")]
    pub score: u32,
    /// `score` (default) or `block`.
    #[serde(default = "default_custom_action")]
    pub action: CustomAction,
    /// Paranoia level of the rule (default 1).
    #[serde(default = "default_paranoia")]
    pub paranoia: u8,
    /// Free text for logs.
    #[serde(default)]
    pub message: Option<String>,
}

/// One field selector or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldList {
    /// A single selector.
    One(String),
    /// Several selectors.
    Many(Vec<String>),
}

impl FieldList {
    /// The selectors as a slice-like vector.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            FieldList::One(s) => vec![s.clone()],
            FieldList::Many(v) => v.clone(),
        }
    }
}

fn default_custom_score() -> u32 {
    5
}
fn default_custom_action() -> CustomAction {
    CustomAction::Score
}
fn default_paranoia() -> u8 {
    1
}

impl WafConfig {
    /// Checks ranges that serde cannot (paranoia 1-4, threshold > 0, ...).
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=4).contains(&self.paranoia) {
            return Err(format!(
                "waf.paranoia must be 1 to 4, got {}",
                self.paranoia
            ));
        }
        if self.threshold == 0 {
            return Err("waf.threshold must be at least 1".into());
        }
        if self.max_json_depth == 0 {
            return Err("waf.max_json_depth must be at least 1".into());
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.custom_rules {
            if !seen.insert(r.id) {
                return Err(format!("waf.custom_rules: id {} is used twice", r.id));
            }
            if !(1..=4).contains(&r.paranoia) {
                return Err(format!("waf custom rule {}: paranoia must be 1 to 4", r.id));
            }
        }
        Ok(())
    }
}

impl RouteWafConfig {
    /// Checks ranges that serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(p) = self.paranoia
            && !(1..=4).contains(&p)
        {
            return Err(format!("route waf.paranoia must be 1 to 4, got {p}"));
        }
        if self.threshold == Some(0) {
            return Err("route waf.threshold must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_example_config_parses() {
        let c: WafConfig = serde_yaml_ng::from_str(
            "{ mode: block, paranoia: 1, threshold: 5, inspect_body: 128KiB, oversize: inspect_prefix }",
        )
        .unwrap();
        assert_eq!(c.inspect_body, ByteSize(131072));
        assert_eq!(c.mode, Mode::Block);
        let r: RouteWafConfig = serde_yaml_ng::from_str(
            "{ mode: detect, exclude: [{ rule: 942100, field: args.q }, { rule: 941000-941999 }] }",
        )
        .unwrap();
        assert_eq!(r.mode, Some(Mode::Detect));
        assert_eq!(r.exclude[0].field.as_deref(), Some("args.q"));
        assert!(r.exclude[1].rule.covers(941160));
    }

    #[test]
    fn sizes_accept_binary_and_decimal_units() {
        assert_eq!(ByteSize::parse("64k").unwrap(), ByteSize(64000));
        assert_eq!(ByteSize::parse("1MiB").unwrap(), ByteSize(1 << 20));
        assert!(ByteSize::parse("12 parsecs").is_err());
    }

    #[test]
    fn custom_rule_shape_parses() {
        let c: WafConfig = serde_yaml_ng::from_str(
            r#"
custom_rules:
  - id: 100001
    fields: [header.x-debug]
    transformations: [lowercase]
    operator: { equals: "on" }
    action: block
  - id: 100002
    field: remote_addr
    operator: { ip_match: ["198.18.0.0/15"] }
    score: 3
"#,
        )
        .unwrap();
        assert_eq!(c.custom_rules.len(), 2);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn paranoia_out_of_range_is_rejected() {
        let c = WafConfig {
            paranoia: 7,
            ..WafConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("paranoia"));
    }
}

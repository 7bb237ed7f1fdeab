//! Custom rules from the configuration, compiled once: field selectors,
//! transformations, operator (regex, contains, equals, ip_match), score or block.
use std::net::IpAddr;

use ipnet::IpNet;
use regex::Regex;

use super::WafError;
use super::config::{CustomAction, CustomOperator, CustomRuleConfig};
use super::fields::Field;

/// A compiled operator.
#[derive(Debug)]
pub enum Op {
    /// Regex search.
    Regex(Regex),
    /// Substring.
    Contains(String),
    /// Whole-value equality.
    Equals(String),
    /// Client IP in one of these networks.
    IpMatch(Vec<IpNet>),
}

/// A compiled custom rule.
#[derive(Debug)]
pub struct CustomRule {
    /// Rule id.
    pub id: u32,
    /// Field selectors.
    pub selectors: Vec<String>,
    /// Index of its transformation chain in the engine's pipeline table.
    pub pipeline: usize,
    /// The operator.
    pub op: Op,
    /// Fire when the operator does not match.
    pub negate: bool,
    /// Score added.
    pub score: u32,
    /// Blocks regardless of the threshold.
    pub block: bool,
    /// Paranoia level.
    pub paranoia: u8,
}

/// Collection selectors that match every field under a prefix.
const COLLECTIONS: &[&str] = &[
    "args",
    "args_names",
    "json",
    "header",
    "cookie",
    "cookie_names",
    "files",
    "xml",
    "path",
    "method",
    "body",
];

impl CustomRule {
    /// Compiles one configured rule; `pipeline` is the index of its chain.
    pub fn compile(c: &CustomRuleConfig, pipeline: usize) -> Result<Self, WafError> {
        let op = match &c.operator {
            CustomOperator::Regex(p) => Op::Regex(
                regex::RegexBuilder::new(p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|source| WafError::BadRegex { id: c.id, source })?,
            ),
            CustomOperator::Contains(s) => Op::Contains(s.clone()),
            CustomOperator::Equals(s) => Op::Equals(s.clone()),
            CustomOperator::IpMatch(list) => Op::IpMatch(
                list.iter()
                    .map(|v| {
                        v.parse::<IpNet>()
                            .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                            .map_err(|_| WafError::BadCidr {
                                id: c.id,
                                value: v.clone(),
                            })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let selectors = c.fields.to_vec();
        if selectors.is_empty() {
            return Err(WafError::Invalid(format!(
                "custom rule {}: no fields",
                c.id
            )));
        }
        if matches!(op, Op::IpMatch(_)) && selectors.iter().any(|s| s != "remote_addr") {
            return Err(WafError::Invalid(format!(
                "custom rule {}: ip_match only applies to the field remote_addr",
                c.id
            )));
        }
        Ok(CustomRule {
            id: c.id,
            selectors,
            pipeline,
            op,
            negate: c.negate,
            score: c.score,
            block: c.action == CustomAction::Block,
            paranoia: c.paranoia,
        })
    }

    /// True when the rule looks at this field.
    pub fn selects(&self, f: &Field<'_>) -> bool {
        self.selectors
            .iter()
            .any(|s| (COLLECTIONS.contains(&s.as_str()) && s == f.prefix) || f.name_matches(s))
    }

    /// True when the rule looks at the client address.
    pub fn selects_client_ip(&self) -> bool {
        self.selectors.iter().any(|s| s == "remote_addr")
    }

    /// Header names the rule needs extracted (`header.x-api-key`).
    pub fn header_names(&self) -> impl Iterator<Item = String> + '_ {
        self.selectors
            .iter()
            .filter_map(|s| s.strip_prefix("header."))
            .filter(|h| !h.ends_with('*'))
            .map(str::to_ascii_lowercase)
    }

    /// Applies the operator (and negation) to a transformed value.
    pub fn test(&self, value: &str) -> bool {
        let hit = match &self.op {
            Op::Regex(r) => r.is_match(value),
            Op::Contains(s) => value.contains(s.as_str()),
            Op::Equals(s) => value == s,
            Op::IpMatch(_) => false,
        };
        hit != self.negate
    }

    /// Applies an `ip_match` operator (and negation) to the client address.
    pub fn test_ip(&self, ip: Option<IpAddr>) -> bool {
        let Op::IpMatch(nets) = &self.op else {
            return false;
        };
        let hit = ip.is_some_and(|ip| {
            let ip = match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                v4 => v4,
            };
            nets.iter().any(|n| n.contains(&ip))
        });
        hit != self.negate
    }
}

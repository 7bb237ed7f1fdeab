//! Built-in rules: id, category, paranoia level, severity (score), targets,
//! transformation chain, and the check (a linear-time regex or a detector).
//!
//! Id ranges (CRS where CRS has one):
//! 911 method, 913 scanners, 920 protocol enforcement (body size, field count, NUL),
//! 921 protocol attacks (CRLF, header injection), 930 LFI/traversal, 931 RFI/SSRF,
//! 932 OS command injection, 933 PHP, 934 Node.js and SSTI, 941 XSS, 942 SQLi,
//! 944 Java, 945 NoSQL (not in CRS), 946 LDAP (not in CRS), 947 XXE (not in CRS).
use std::fmt;

use serde::Serialize;

use super::fields::FieldKind;
use super::transform::Transform;

mod code;
mod files;
mod protocol;
mod rce;
mod sqli;
mod sqli_shapes;
pub(super) use sqli::{parameter_value, stray_percents};
pub(super) use sqli_shapes::plain_sql_name;
mod ssrf;
mod xss;

/// Attack category of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// Path traversal and local file inclusion.
    Lfi,
    /// Remote file inclusion and SSRF URLs.
    Rfi,
    /// OS command injection.
    Rce,
    /// PHP code injection.
    Php,
    /// Java code injection, deserialization, Log4Shell, OGNL.
    Java,
    /// Node.js code injection and prototype pollution.
    Node,
    /// Server-side template injection.
    Ssti,
    /// NoSQL operator injection.
    Nosql,
    /// CRLF and header injection.
    Crlf,
    /// LDAP injection.
    Ldap,
    /// XML external entities.
    Xxe,
    /// Security scanners.
    Scanner,
    /// Protocol enforcement (sizes, methods, bytes).
    Protocol,
    /// Rules from the configuration.
    Custom,
}

impl Category {
    /// The snake_case name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sqli => "sqli",
            Category::Xss => "xss",
            Category::Lfi => "lfi",
            Category::Rfi => "rfi",
            Category::Rce => "rce",
            Category::Php => "php",
            Category::Java => "java",
            Category::Node => "node",
            Category::Ssti => "ssti",
            Category::Nosql => "nosql",
            Category::Crlf => "crlf",
            Category::Ldap => "ldap",
            Category::Xxe => "xxe",
            Category::Scanner => "scanner",
            Category::Protocol => "protocol",
            Category::Custom => "custom",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity, which is the score a rule adds (CRS values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// 5.
    Critical,
    /// 4.
    Error,
    /// 3.
    Warning,
    /// 2.
    Notice,
}

impl Severity {
    /// The anomaly score.
    pub fn score(self) -> u32 {
        match self {
            Severity::Critical => 5,
            Severity::Error => 4,
            Severity::Warning => 3,
            Severity::Notice => 2,
        }
    }
}

/// How a rule tests a transformed value.
#[derive(Clone, Copy)]
pub enum Check {
    /// A regex (compiled case-insensitive, ASCII word boundaries).
    Regex(&'static str),
    /// A detector function, and characters one of which every value it reports
    /// holds (punctuation; empty when there are none): without them in the value,
    /// the detector is not run and its chain is not computed.
    Detector(fn(&str) -> bool, &'static [u8]),
}

/// A built-in rule.
#[derive(Clone, Copy)]
pub struct RuleDef {
    /// Rule id.
    pub id: u32,
    /// Category.
    pub category: Category,
    /// Paranoia level 1-4.
    pub paranoia: u8,
    /// Severity.
    pub severity: Severity,
    /// Bit mask of [`FieldKind`]s the rule looks at.
    pub targets: u16,
    /// Transformations applied first.
    pub pipeline: &'static [Transform],
    /// The test.
    pub check: Check,
    /// Short description for logs.
    pub msg: &'static str,
}

/// Target masks.
pub mod targets {
    use super::FieldKind as K;
    /// Argument, body and cookie values, path segments, file names.
    pub const VALUES: u16 = K::ArgValue as u16
        | K::BodyValue as u16
        | K::Cookie as u16
        | K::PathSegment as u16
        | K::FileName as u16;
    /// Argument names and JSON keys.
    pub const NAMES: u16 = K::ArgName as u16 | K::BodyKey as u16;
    /// Inspected headers.
    pub const HEADERS: u16 = K::Header as u16;
    /// Everything user-controlled that carries injections.
    pub const ATTACK: u16 = VALUES | NAMES | HEADERS;
    /// The whole raw path.
    pub const PATH: u16 = K::Path as u16;
    /// The whole XML body.
    pub const XML: u16 = K::XmlRaw as u16;
    /// The method.
    pub const METHOD: u16 = K::Method as u16;
}

/// Transformation chains shared by the built-in rules.
pub mod pipelines {
    use super::Transform;
    use super::Transform::*;
    /// Untouched.
    pub const RAW: &[Transform] = &[];
    /// URL-decoded until stable (keeps NULs).
    pub const URL: &[Transform] = &[UrlDecode];
    /// URL-decoded, NULs removed.
    pub const DEC: &[Transform] = &[UrlDecode, RemoveNulls];
    /// For HTML/JS: URL and entity decoded, NULs removed, lowercase.
    pub const XSS: &[Transform] = &[UrlDecode, HtmlEntityDecode, RemoveNulls, Lowercase];
    /// As `XSS` without any whitespace (for `java\tscript:`).
    pub const XSS_TIGHT: &[Transform] = &[
        UrlDecode,
        HtmlEntityDecode,
        RemoveNulls,
        Lowercase,
        RemoveWhitespace,
    ];
    /// Shell de-obfuscated.
    pub const CMD: &[Transform] = &[UrlDecode, RemoveNulls, CmdLine];
    /// Path-normalized, lowercase.
    pub const NORM_PATH: &[Transform] = &[UrlDecode, RemoveNulls, Lowercase, NormalizePath];
    /// SQL/C comments read as the spaces they are to SQL, whitespace compressed
    /// (`SELECT/**/pg_sleep(5)`; the SQLi detector also tries them removed).
    pub const NO_COMMENTS: &[Transform] =
        &[UrlDecode, RemoveNulls, ReplaceComments, CompressWhitespace];
}

/// Every built-in rule.
pub fn builtin() -> Vec<RuleDef> {
    let mut v = Vec::with_capacity(160);
    v.extend(sqli::rules());
    v.extend(sqli_shapes::rules());
    v.extend(xss::rules());
    v.extend(files::rules());
    v.extend(ssrf::rules());
    v.extend(rce::rules());
    v.extend(code::rules());
    v.extend(protocol::rules());
    v
}

/// Shorthand constructor used by the category files (one positional row per rule
/// reads like a table, which is the point).
#[allow(clippy::too_many_arguments)]
pub(crate) const fn rule(
    id: u32,
    category: Category,
    paranoia: u8,
    severity: Severity,
    targets: u16,
    pipeline: &'static [Transform],
    check: Check,
    msg: &'static str,
) -> RuleDef {
    RuleDef {
        id,
        category,
        paranoia,
        severity,
        targets,
        pipeline,
        check,
        msg,
    }
}

/// Whether built-in rule `id` fires on `input` (its chain applied, compiled as the
/// engine compiles it, or its detector run): the unit tests of each rule file
/// read through this.
#[cfg(test)]
pub(super) fn fires(id: u32, input: &str) -> bool {
    use crate::waf::symbols::Symbols;
    let r = builtin()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"));
    let value = crate::waf::transform::apply_chain(r.pipeline, input);
    match r.check {
        Check::Regex(p) => regex::RegexBuilder::new(p)
            .case_insensitive(true)
            .build()
            .unwrap_or_else(|e| panic!("rule {id}: {e}"))
            .is_match(&value),
        // As the engine runs a detector: not on an empty value, and only when
        // the value holds a symbol of its prefilter.
        Check::Detector(f, needs) => {
            !value.is_empty()
                && (needs.is_empty() || Symbols::of_bytes(needs).intersects(Symbols::of(&value)))
                && f(&value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_in_their_category_range() {
        let rules = builtin();
        let mut ids: Vec<u32> = rules.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate rule id");
        for r in &rules {
            let range = match r.category {
                Category::Sqli => 942,
                Category::Xss => 941,
                Category::Lfi => 930,
                Category::Rfi => 931,
                Category::Rce => 932,
                Category::Php => 933,
                Category::Node | Category::Ssti => 934,
                Category::Java => 944,
                Category::Nosql => 945,
                Category::Ldap => 946,
                Category::Xxe => 947,
                Category::Crlf => 921,
                Category::Scanner => 913,
                Category::Protocol => r.id / 1000,
                Category::Custom => unreachable!(),
            };
            assert_eq!(r.id / 1000, range, "rule {} out of range", r.id);
            assert!((1..=4).contains(&r.paranoia));
        }
    }

    #[test]
    fn every_builtin_regex_compiles() {
        for r in builtin() {
            if let Check::Regex(p) = r.check {
                assert!(
                    regex::RegexBuilder::new(p)
                        .case_insensitive(true)
                        .build()
                        .is_ok(),
                    "rule {}",
                    r.id
                );
            }
        }
    }
}

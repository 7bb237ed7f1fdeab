//! The ban audit trail: one JSON line per ban and unban, logged under the
//! `gateway::audit` tracing target (field `audit`) so it lands in the daemon's
//! log stream and can be filtered out of it.
use serde::Serialize;

/// Who decided a ban.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The offense scorer.
    Automatic,
    /// An operator (`gateway ban add|del`).
    Manual,
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A network was banned.
    Ban,
    /// A ban was lifted (by hand or on expiry).
    Unban,
}

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// `ban` or `unban`.
    pub action: Action,
    /// The network (`198.18.0.2/32`).
    pub address: String,
    /// Reason name (`waf`, `auth`, `rate`, `manual`, `cluster`, `expired`).
    pub reason: String,
    /// What led to it: offense kinds with counts, rule ids, points.
    pub evidence: serde_json::Value,
    /// Ban length in seconds (`null` when permanent or for unbans).
    pub ttl_secs: Option<u64>,
    /// The node that decided it.
    pub node: String,
    /// `automatic` or `manual`.
    pub origin: Origin,
    /// Unix seconds.
    pub at_unix: u64,
}

impl AuditEvent {
    /// The record as one JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Writes the record to the log.
    pub fn emit(&self) {
        tracing::info!(target: "gateway::audit", audit = %self.to_line(), "{:?} {}", self.action, self.address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_line_is_one_json_object_with_every_field() {
        let ev = AuditEvent {
            action: Action::Ban,
            address: "198.18.0.2/32".into(),
            reason: "waf".into(),
            evidence: serde_json::json!({"waf": 4, "rules": ["942100"]}),
            ttl_secs: Some(600),
            node: "a".into(),
            origin: Origin::Automatic,
            at_unix: 1,
        };
        let line = ev.to_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["action"], "ban");
        assert_eq!(v["origin"], "automatic");
        assert_eq!(v["evidence"]["rules"][0], "942100");
        assert_eq!(v["ttl_secs"], 600);
    }
}

//! Authorization of an authenticated caller: required scopes (`scope` string or `scp`
//! list, all required), groups (any one), and claim matches (each claim one of its
//! listed values; list claims match if any element does).
use serde_json::{Map, Value};

use super::{consumer::claim_equals, error::AuthError};

/// Scopes carried by the claims: `scope` (space-separated) and `scp` (list or string).
pub fn scopes(claims: &Map<String, Value>) -> impl Iterator<Item = &str> {
    let scope = claims
        .get("scope")
        .and_then(Value::as_str)
        .into_iter()
        .flat_map(str::split_whitespace);
    let scp = claims.get("scp").into_iter().flat_map(|v| match v {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
        Value::String(s) => s.split_whitespace().collect(),
        _ => Vec::new(),
    });
    scope.chain(scp)
}

/// Group names in a claim: a list of strings or one space-separated string.
pub fn groups_from_claim(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Checks that every `required` scope is in `claims`.
pub fn check_scopes(
    required: &[String],
    claims: Option<&Map<String, Value>>,
) -> Result<(), AuthError> {
    for want in required {
        let has = claims.is_some_and(|c| scopes(c).any(|s| s == want));
        if !has {
            return Err(AuthError::InsufficientScope(want.clone()));
        }
    }
    Ok(())
}

/// Checks that the caller is in one of `allowed` (no requirement when empty).
pub fn check_groups(allowed: &[String], groups: &[String]) -> Result<(), AuthError> {
    if allowed.is_empty() || groups.iter().any(|g| allowed.contains(g)) {
        return Ok(());
    }
    Err(AuthError::Forbidden(
        "the caller is not in a group allowed on this route".to_string(),
    ))
}

/// Checks each required claim against its accepted values.
pub fn check_claims(
    required: &[(String, Vec<String>)],
    claims: Option<&Map<String, Value>>,
) -> Result<(), AuthError> {
    for (name, accepted) in required {
        let ok = claims.and_then(|c| c.get(name)).is_some_and(|v| match v {
            Value::Array(items) => items
                .iter()
                .any(|i| accepted.iter().any(|a| claim_equals(i, a))),
            other => accepted.iter().any(|a| claim_equals(other, a)),
        });
        if !ok {
            return Err(AuthError::Forbidden(format!(
                "the token's `{name}` claim does not allow this route"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn scopes_are_read_from_scope_string_and_scp_list() {
        let c = claims(json!({"scope": "api:read api:write", "scp": ["admin"]}));
        let all: Vec<&str> = scopes(&c).collect();
        assert_eq!(all, ["api:read", "api:write", "admin"]);
        assert!(check_scopes(&["api:write".into(), "admin".into()], Some(&c)).is_ok());
        assert_eq!(
            check_scopes(&["api:delete".into()], Some(&c)),
            Err(AuthError::InsufficientScope("api:delete".into()))
        );
    }

    #[test]
    fn scope_requirement_fails_without_claims() {
        assert!(check_scopes(&["x".into()], None).is_err());
        assert!(check_scopes(&[], None).is_ok());
    }

    #[test]
    fn one_shared_group_is_enough() {
        assert!(check_groups(&["a".into(), "b".into()], &["b".into()]).is_ok());
        assert!(check_groups(&["a".into()], &["c".into()]).is_err());
        assert!(check_groups(&[], &[]).is_ok());
    }

    #[test]
    fn claim_matches_accept_listed_values_and_list_claims() {
        let c = claims(json!({"tenant": "t1", "roles": ["user", "admin"], "level": 3}));
        let req = vec![
            (
                "tenant".to_string(),
                vec!["t1".to_string(), "t2".to_string()],
            ),
            ("roles".to_string(), vec!["admin".to_string()]),
            ("level".to_string(), vec!["3".to_string()]),
        ];
        assert!(check_claims(&req, Some(&c)).is_ok());
        let req = vec![("tenant".to_string(), vec!["t9".to_string()])];
        assert!(check_claims(&req, Some(&c)).is_err());
    }
}

//! Which of the gateway's own refusals count as offenses against the client.
//!
//! Only answers the client caused count: a 503 because an identity provider or
//! the limit store is down is never held against it, and a schema mismatch is a
//! buggy client rather than an attack.
use super::OffenseKind;

/// The offense a refusal by `stage` with `status` represents, if any.
pub fn offense_for(stage: &str, status: u16) -> Option<OffenseKind> {
    match (stage, status) {
        ("waf", 403) => Some(OffenseKind::Waf),
        ("auth", 401 | 403) => Some(OffenseKind::Auth),
        ("rate_limit", 429) => Some(OffenseKind::Rate),
        ("hygiene", 400 | 431) => Some(OffenseKind::Malformed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_caused_refusals_are_offenses_of_their_kind() {
        assert_eq!(offense_for("waf", 403), Some(OffenseKind::Waf));
        assert_eq!(offense_for("auth", 401), Some(OffenseKind::Auth));
        assert_eq!(offense_for("auth", 403), Some(OffenseKind::Auth));
        assert_eq!(offense_for("rate_limit", 429), Some(OffenseKind::Rate));
        assert_eq!(offense_for("hygiene", 400), Some(OffenseKind::Malformed));
        assert_eq!(offense_for("hygiene", 431), Some(OffenseKind::Malformed));
    }

    #[test]
    fn outages_and_contract_mismatches_are_not_held_against_the_client() {
        assert_eq!(offense_for("auth", 503), None);
        assert_eq!(offense_for("rate_limit", 503), None);
        assert_eq!(offense_for("validate", 400), None);
        // A JSON body that does not parse (`invalid_body: reject`) is a client bug too.
        assert_eq!(offense_for("waf", 400), None);
        assert_eq!(offense_for("route", 404), None);
        assert_eq!(offense_for("hygiene", 413), None);
    }
}

//! Percent-encoding of a payload for a query string: every byte but the
//! unreserved ones (`A-Z a-z 0-9 - _ . ~`) as `%XX`, as a careful client sends it.
//! Shared by the WAF corpus test and `examples/waf_probe.rs`.

/// `s` with every byte but the unreserved ones written as `%XX`.
pub fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

//! The corpus line format (`tests/corpus/*/`): one payload a line, with `\n`,
//! `\r` and `\t` written as escapes; and the percent-encoding that puts a
//! payload into a query string. Shared by the WAF corpus test and
//! `examples/waf_probe.rs`.

/// A corpus line with its escaped newlines, carriage returns and tabs read back.
pub fn unescape(line: &str) -> String {
    line.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
}

/// `s` with every byte but the unreserved ones (`A-Z a-z 0-9 - _ . ~`) written
/// as `%XX`, as a careful client sends it.
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

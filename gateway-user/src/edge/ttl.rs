//! Durations on the command line (`30s`, `10m`, `1h`, `7d`, `1h30m`) and the
//! clocks ban expiries are kept in.
//!
//! The XDP program compares expiries with `bpf_ktime_get_ns`, which is
//! `CLOCK_MONOTONIC`; listings convert them back to wall-clock time.
use crate::telemetry::time::civil_from_days;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::{EdgeError, Result};

/// Parses a duration made of `<number><unit>` parts, units s, m, h, d, w.
pub fn parse_ttl(input: &str) -> Result<Duration> {
    let text = input.trim();
    let bad = |reason: &str| EdgeError::InvalidTtl {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad(&format!("unknown unit {c:?}"))),
        };
        if digits.is_empty() {
            return Err(bad(&format!("unit {c:?} without a number before it")));
        }
        let n: u64 = digits.parse().map_err(|_| bad("number too large"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad("a number needs a unit"));
    }
    if total == 0 {
        return Err(bad(
            "must be longer than zero; omit --ttl for a permanent ban",
        ));
    }
    // Keep expiries far from u64 overflow in nanoseconds (~584 years).
    if total > 100 * 365 * 86_400 {
        return Err(bad("longer than 100 years; omit --ttl for a permanent ban"));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration compactly: `1h29m59s`, `7d`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= unit {
            out.push_str(&format!("{}{name}", secs / unit));
            secs %= unit;
        }
    }
    out
}

/// Now on `CLOCK_MONOTONIC`, in nanoseconds (the clock of `bpf_ktime_get_ns`).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Now in seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Formats seconds since the epoch as RFC 3339 UTC (`2026-11-23T10:31:58Z`).
pub fn format_unix(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_units_parse() {
        assert_eq!(parse_ttl("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_ttl("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_ttl("2w").unwrap(), Duration::from_secs(14 * 86_400));
    }

    #[test]
    fn combined_units_add_up() {
        assert_eq!(parse_ttl("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_ttl("1d2h3m4s").unwrap(), Duration::from_secs(93_784));
    }

    #[test]
    fn bad_ttls_are_rejected_naming_the_input() {
        for bad in [
            "",
            "30",
            "h",
            "1x",
            "1h30",
            "-1h",
            "0s",
            "1.5h",
            "99999999999999999999s",
        ] {
            let err = parse_ttl(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_format_compactly() {
        assert_eq!(format_duration(Duration::from_secs(5399)), "1h29m59s");
        assert_eq!(format_duration(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn unix_times_format_as_rfc3339() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00Z");
    }
}

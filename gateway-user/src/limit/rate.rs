//! Parsing of rate and quota strings ("2/s", "100/m", "1000/day", "1000000/month")
//! and the UTC calendar arithmetic behind quota windows.
use crate::telemetry::time::civil_from_days;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, de::Error as _};

use super::LimitError;

/// A sustained rate: `count` requests per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per period.
    pub count: u64,
    /// Length of the period.
    pub per: Duration,
}

/// A calendar window for quotas (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuotaWindow {
    /// From 00:00:00 UTC to the next midnight.
    Day,
    /// From the first of the month 00:00:00 UTC to the first of the next month.
    Month,
}

/// A quota: `count` requests per UTC calendar day or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub count: u64,
    /// The calendar window.
    pub window: QuotaWindow,
}

/// The window name used in headers (`X-RateLimit-Limit-<Window>`) and `LimitState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// Per second.
    Second,
    /// Per minute.
    Minute,
    /// Per hour.
    Hour,
    /// Per day.
    Day,
    /// Per month.
    Month,
}

impl Window {
    /// Lower-case name: "second", "minute", "hour", "day", "month".
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Second => "second",
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
            Window::Month => "month",
        }
    }

    /// Capitalised name as Kong writes it in header names: "Second", "Minute", …
    pub fn header_name(self) -> &'static str {
        match self {
            Window::Second => "Second",
            Window::Minute => "Minute",
            Window::Hour => "Hour",
            Window::Day => "Day",
            Window::Month => "Month",
        }
    }
}

impl Rate {
    /// Parses "N/unit" where unit is s|sec|second, m|min|minute, h|hour, d|day (optionally
    /// with a multiplier like "10/5s" and a plural "s").
    pub fn parse(text: &str) -> Result<Rate, LimitError> {
        let bad = |reason: &str| LimitError::InvalidRate {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let (count, unit) = split(text).ok_or_else(|| bad("expected COUNT/UNIT, e.g. 100/s"))?;
        let count: u64 = count
            .parse()
            .map_err(|_| bad("the count must be a positive integer"))?;
        if count == 0 {
            return Err(bad("the count must be at least 1"));
        }
        let digits: String = unit.chars().take_while(|c| c.is_ascii_digit()).collect();
        let mult: u64 = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad("bad period multiplier"))?
        };
        if mult == 0 {
            return Err(bad("the period must be longer than zero"));
        }
        let secs = match &unit[digits.len()..] {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "month" | "months" | "mo" => {
                return Err(bad(
                    "months are calendar windows: use it as a quota (quota: 1000/month)",
                ));
            }
            _ => return Err(bad("unknown unit (use s, m, h or d)")),
        };
        Ok(Rate {
            count,
            per: Duration::from_secs(secs * mult),
        })
    }

    /// Emission interval of GCRA in microseconds: the time one request "costs".
    pub fn interval_us(&self) -> u64 {
        let per = u64::try_from(self.per.as_micros()).unwrap_or(u64::MAX);
        (per / self.count).max(1)
    }

    /// The window name this rate is reported under.
    pub fn window(&self) -> Window {
        match self.per.as_secs() {
            0..=59 => Window::Second,
            60..=3599 => Window::Minute,
            3600..=86_399 => Window::Hour,
            _ => Window::Day,
        }
    }
}

impl Quota {
    /// Parses "N/day" or "N/month" (also d, mo).
    pub fn parse(text: &str) -> Result<Quota, LimitError> {
        let bad = |reason: &str| LimitError::InvalidRate {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let (count, unit) = split(text).ok_or_else(|| bad("expected COUNT/day or COUNT/month"))?;
        let count: u64 = count
            .parse()
            .map_err(|_| bad("the count must be a positive integer"))?;
        if count == 0 {
            return Err(bad("the count must be at least 1"));
        }
        let window = match unit {
            "d" | "day" | "daily" => QuotaWindow::Day,
            "mo" | "month" | "monthly" => QuotaWindow::Month,
            _ => return Err(bad("quotas are per day or per month (e.g. 1000/day)")),
        };
        Ok(Quota { count, window })
    }

    /// The window name this quota is reported under.
    pub fn window_name(&self) -> Window {
        match self.window {
            QuotaWindow::Day => Window::Day,
            QuotaWindow::Month => Window::Month,
        }
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Rate, D::Error> {
        let text = String::deserialize(de)?;
        Rate::parse(&text).map_err(D::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Quota {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Quota, D::Error> {
        let text = String::deserialize(de)?;
        Quota::parse(&text).map_err(D::Error::custom)
    }
}

fn split(text: &str) -> Option<(&str, &str)> {
    let (count, unit) = text.trim().split_once('/')?;
    Some((count.trim(), unit.trim()))
}

const DAY_US: u64 = 86_400_000_000;

/// The calendar window containing `now_us` (µs since the Unix epoch, UTC):
/// an id that changes at the edge and the window's end in µs.
pub fn window_bounds(window: QuotaWindow, now_us: u64) -> (u64, u64) {
    let day = now_us / DAY_US;
    match window {
        QuotaWindow::Day => (day, (day + 1) * DAY_US),
        QuotaWindow::Month => {
            let (y, m, _) = civil_from_days(day as i64);
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let end_day = days_from_civil(ny, nm, 1);
            let id = (y as u64) * 12 + (m as u64 - 1);
            (id, (end_day.max(0) as u64) * DAY_US)
        }
    }
}

/// (year, month, day) to days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_in_every_unit() {
        assert_eq!(Rate::parse("2/s").unwrap().per, Duration::from_secs(1));
        assert_eq!(Rate::parse("100/m").unwrap().per, Duration::from_secs(60));
        assert_eq!(
            Rate::parse("5/hour").unwrap().per,
            Duration::from_secs(3600)
        );
        assert_eq!(
            Rate::parse("1000/day").unwrap().per,
            Duration::from_secs(86_400)
        );
        assert_eq!(
            Rate::parse(" 10 / 5s ").unwrap().per,
            Duration::from_secs(5)
        );
        assert_eq!(Rate::parse("100/m").unwrap().count, 100);
    }

    #[test]
    fn malformed_rates_are_refused_with_a_reason() {
        for bad in [
            "",
            "10",
            "x/s",
            "0/s",
            "10/fortnight",
            "-1/s",
            "10/0s",
            "5/month",
        ] {
            assert!(Rate::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn quotas_parse_per_day_and_month() {
        let q = Quota::parse("1000/day").unwrap();
        assert_eq!((q.count, q.window), (1000, QuotaWindow::Day));
        let q = Quota::parse("1000000/month").unwrap();
        assert_eq!((q.count, q.window), (1_000_000, QuotaWindow::Month));
        assert!(Quota::parse("10/s").is_err());
    }

    #[test]
    fn rate_windows_follow_the_period() {
        assert_eq!(Rate::parse("2/s").unwrap().window(), Window::Second);
        assert_eq!(Rate::parse("2/m").unwrap().window(), Window::Minute);
        assert_eq!(Rate::parse("2/h").unwrap().window(), Window::Hour);
        assert_eq!(Rate::parse("2/d").unwrap().window(), Window::Day);
    }

    #[test]
    fn day_window_ends_at_the_next_utc_midnight() {
        // 2026-11-23T10:00:00Z
        let day = days_from_civil(2026, 11, 23) as u64;
        let now = day * DAY_US + 10 * 3_600_000_000;
        assert_eq!(
            window_bounds(QuotaWindow::Day, now),
            (day, (day + 1) * DAY_US)
        );
        // The last microsecond of the day still belongs to it.
        let last = (day + 1) * DAY_US - 1;
        assert_eq!(window_bounds(QuotaWindow::Day, last).0, day);
        assert_eq!(window_bounds(QuotaWindow::Day, last + 1).0, day + 1);
    }

    #[test]
    fn month_window_ends_on_the_first_of_the_next_month() {
        let dec31 = days_from_civil(2026, 12, 31) as u64 * DAY_US;
        let jan1 = days_from_civil(2027, 1, 1) as u64 * DAY_US;
        let (id, end) = window_bounds(QuotaWindow::Month, dec31);
        assert_eq!(end, jan1);
        let (next_id, _) = window_bounds(QuotaWindow::Month, jan1);
        assert_ne!(id, next_id);
        // February in a leap year.
        let feb = days_from_civil(2028, 2, 10) as u64 * DAY_US;
        let mar1 = days_from_civil(2028, 3, 1) as u64 * DAY_US;
        assert_eq!(window_bounds(QuotaWindow::Month, feb).1, mar1);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }
}

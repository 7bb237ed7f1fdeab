//! Human-friendly units in the configuration: durations (`30s`, `1h30m`, `250ms`) and
//! byte sizes (`10MiB`, `16KiB`, `512`, `1GB`).
//!
//! Sizes follow IEC/SI: `KB`, `MB`, `GB`, `TB` are powers of 1000; `KiB`, `MiB`, `GiB`,
//! `TiB` are powers of 1024; a bare number (or `B`) is bytes. Unit names are matched
//! without regard to case, except that `i` marks the binary units.
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A span of time written as `250ms`, `30s`, `5m`, `1h`, `2d` or a combination (`1h30m`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

/// A number of bytes written as `512`, `512B`, `16KiB`, `10MiB`, `1GB`, …
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

/// What went wrong when reading a duration or a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The text is not a duration at all.
    #[error(
        "`{0}` is not a duration: expected a duration like 30s, 5m, 1h (units: ms, s, m, h, d)"
    )]
    BadDuration(String),
    /// The text is not a size at all.
    #[error(
        "`{0}` is not a size: expected a size like 512, 16KiB, 10MiB, 1GB (units: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)"
    )]
    BadSize(String),
    /// The value does not fit.
    #[error("`{0}` is too large")]
    Overflow(String),
}

impl Duration {
    /// Builds a duration from whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Duration(std::time::Duration::from_secs(secs))
    }

    /// Builds a duration from milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(std::time::Duration::from_millis(ms))
    }

    /// The standard library duration.
    pub const fn get(self) -> std::time::Duration {
        self.0
    }

    /// True for a zero-length duration.
    pub const fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> Self {
        d.0
    }
}

impl std::ops::Deref for Duration {
    type Target = std::time::Duration;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::str::FromStr for Duration {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || UnitError::BadDuration(text.to_string());
        let overflow = || UnitError::Overflow(text.to_string());
        let s = text.trim();
        if s.is_empty() {
            return Err(bad());
        }
        if s == "0" {
            return Ok(Duration::default());
        }
        let mut total_ms: u64 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| overflow())?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let factor_ms: u64 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => return Err(bad()),
            };
            rest = &rest[unit_len..];
            let part = n.checked_mul(factor_ms).ok_or_else(overflow)?;
            total_ms = total_ms.checked_add(part).ok_or_else(overflow)?;
        }
        Ok(Duration::from_millis(total_ms))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        let mut rest = ms;
        for (unit, size) in [
            ("d", 86_400_000u128),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like 30s, 5m, 1h")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration::default())
                } else {
                    Err(E::custom(format!(
                        "`{v}` has no unit: expected a duration like {v}s, {v}ms, 5m, 1h"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                Err(E::custom(UnitError::BadDuration(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(UnitError::BadDuration(v.to_string())))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl ByteSize {
    /// The number of bytes.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The number of bytes as usize (saturating on 32-bit targets).
    pub fn as_usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl std::str::FromStr for ByteSize {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || UnitError::BadSize(text.to_string());
        let overflow = || UnitError::Overflow(text.to_string());
        let s = text.trim();
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = s[..digits].parse().map_err(|_| overflow())?;
        let unit = s[digits..].trim_start();
        let factor: u64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "kib" => 1 << 10,
            "mb" => 1_000_000,
            "mib" => 1 << 20,
            "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            "tb" => 1_000_000_000_000,
            "tib" => 1 << 40,
            _ => return Err(bad()),
        };
        n.checked_mul(factor).map(ByteSize).ok_or_else(overflow)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if n >= size && n.is_multiple_of(size) {
                return write!(f, "{}{unit}", n / size);
            }
        }
        write!(f, "{n}B")
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size like 512, 16KiB, 10MiB, 1GB")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom(UnitError::BadSize(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ByteSize, E> {
                Err(E::custom(UnitError::BadSize(v.to_string())))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::{ByteSize, Duration, UnitError};

    fn d(s: &str) -> Result<u128, UnitError> {
        s.parse::<Duration>().map(|d| d.0.as_millis())
    }

    fn b(s: &str) -> Result<u64, UnitError> {
        s.parse::<ByteSize>().map(|b| b.0)
    }

    #[test]
    fn durations_accept_every_unit() {
        assert_eq!(d("250ms"), Ok(250));
        assert_eq!(d("30s"), Ok(30_000));
        assert_eq!(d("5m"), Ok(300_000));
        assert_eq!(d("1h"), Ok(3_600_000));
        assert_eq!(d("2d"), Ok(172_800_000));
        assert_eq!(d("0"), Ok(0));
        assert_eq!(d("0s"), Ok(0));
    }

    #[test]
    fn durations_combine_units() {
        assert_eq!(d("1h30m"), Ok(5_400_000));
        assert_eq!(d("1m30s500ms"), Ok(90_500));
    }

    #[test]
    fn durations_refuse_garbage() {
        for bad in [
            "", "s", "30", "5 m", "1.5s", "-1s", "10x", "1h30", "ms5", "1sec",
        ] {
            assert!(
                matches!(d(bad), Err(UnitError::BadDuration(_))),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn durations_refuse_overflow() {
        assert!(matches!(
            d("99999999999999999999s"),
            Err(UnitError::Overflow(_))
        ));
        assert!(matches!(
            d("18446744073709551615d"),
            Err(UnitError::Overflow(_))
        ));
    }

    #[test]
    fn durations_print_back_in_the_same_units() {
        for s in ["250ms", "30s", "1h30m", "2d", "0s"] {
            assert_eq!(
                s.parse::<Duration>().map(|d| d.to_string()),
                Ok(s.to_string())
            );
        }
    }

    #[test]
    fn sizes_distinguish_decimal_and_binary_units() {
        assert_eq!(b("512"), Ok(512));
        assert_eq!(b("512B"), Ok(512));
        assert_eq!(b("1KB"), Ok(1_000));
        assert_eq!(b("1KiB"), Ok(1_024));
        assert_eq!(b("16KiB"), Ok(16_384));
        assert_eq!(b("1MB"), Ok(1_000_000));
        assert_eq!(b("10MiB"), Ok(10 << 20));
        assert_eq!(b("1GB"), Ok(1_000_000_000));
        assert_eq!(b("1GiB"), Ok(1 << 30));
        assert_eq!(b("2TiB"), Ok(2 << 40));
        assert_eq!(b("1 mib"), Ok(1 << 20));
    }

    #[test]
    fn sizes_refuse_garbage() {
        for bad in [
            "",
            "MiB",
            "1.5MiB",
            "-1",
            "10 megabytes",
            "1K",
            "1Mi",
            "0x10",
        ] {
            assert!(
                matches!(b(bad), Err(UnitError::BadSize(_))),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn sizes_refuse_overflow() {
        assert!(matches!(
            b("99999999999999999999"),
            Err(UnitError::Overflow(_))
        ));
        assert!(matches!(b("20000000TiB"), Err(UnitError::Overflow(_))));
    }

    #[test]
    fn sizes_print_in_binary_units_when_exact() {
        assert_eq!(ByteSize(10 << 20).to_string(), "10MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000B");
    }
}

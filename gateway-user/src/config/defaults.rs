//! Default values of the configuration, one function per field so that serde's
//! `default = "…"` attributes and the `Default` impls agree.
use super::{
    model::{AccessLogConfig, KeepAlive, Limits, PassiveHealth, SecurityHeaders},
    units::{ByteSize, Duration},
};

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: max_body(),
            max_header_bytes: max_header_bytes(),
            header_timeout: header_timeout(),
            idle_timeout: idle_timeout(),
            max_connections: max_connections(),
            max_connections_per_ip: max_connections_per_ip(),
            drain_timeout: drain_timeout(),
        }
    }
}

impl Default for SecurityHeaders {
    fn default() -> Self {
        SecurityHeaders {
            enabled: true,
            hsts: hsts(),
            referrer_policy: referrer_policy(),
            frame_options: frame_options(),
        }
    }
}

impl Default for AccessLogConfig {
    fn default() -> Self {
        AccessLogConfig {
            enabled: true,
            path: None,
        }
    }
}

impl Default for PassiveHealth {
    fn default() -> Self {
        PassiveHealth {
            max_failures: max_failures(),
            ejection: ejection(),
        }
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive {
            max_idle_per_target: max_idle_per_target(),
            idle_timeout: keepalive_idle(),
        }
    }
}

pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn weight() -> u32 {
    1
}
pub(crate) fn connect_timeout() -> Duration {
    Duration::from_secs(5)
}
pub(crate) fn response_timeout() -> Duration {
    Duration::from_secs(30)
}
pub(crate) fn health_path() -> String {
    "/healthz".to_string()
}
pub(crate) fn health_interval() -> Duration {
    Duration::from_secs(10)
}
pub(crate) fn health_timeout() -> Duration {
    Duration::from_secs(2)
}
pub(crate) fn healthy_threshold() -> u32 {
    2
}
pub(crate) fn unhealthy_threshold() -> u32 {
    3
}
pub(crate) fn max_failures() -> u32 {
    5
}
pub(crate) fn ejection() -> Duration {
    Duration::from_secs(30)
}
pub(crate) fn max_idle_per_target() -> usize {
    32
}
pub(crate) fn keepalive_idle() -> Duration {
    Duration::from_secs(60)
}
pub(crate) fn cors_methods() -> Vec<String> {
    ["GET", "HEAD", "POST"].map(String::from).to_vec()
}
pub(crate) fn cors_max_age() -> Duration {
    Duration::from_secs(600)
}
pub(crate) fn max_body() -> ByteSize {
    ByteSize(10 << 20)
}
pub(crate) fn max_header_bytes() -> ByteSize {
    ByteSize(16 << 10)
}
pub(crate) fn header_timeout() -> Duration {
    Duration::from_secs(10)
}
pub(crate) fn idle_timeout() -> Duration {
    Duration::from_secs(60)
}
pub(crate) fn max_connections() -> usize {
    10_000
}
pub(crate) fn max_connections_per_ip() -> usize {
    256
}
pub(crate) fn drain_timeout() -> Duration {
    Duration::from_secs(30)
}
pub(crate) fn hsts() -> String {
    "max-age=31536000; includeSubDomains".to_string()
}
pub(crate) fn referrer_policy() -> String {
    "no-referrer".to_string()
}
pub(crate) fn frame_options() -> String {
    "DENY".to_string()
}

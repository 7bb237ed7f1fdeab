//! Rate limits and quotas: plans and per-route limits evaluated against an
//! in-process store or Redis, with a circuit breaker and a local fallback.
//!
//! The request stage builds its `LimitCheck`s (usually with
//! [`RouteLimits::checks`]), calls [`Limiter::check`] once, then:
//! `decision.error.is_some()` → 503 with `Retry-After`; `!decision.allowed` → 429 with
//! [`rejection_body`]; in every case [`headers::apply`] on the response.
//!
//! A request is charged only if every limit allows it (check all, then commit all):
//! a request denied by its IP limit does not use up its consumer's quota.
pub mod admin;
pub mod breaker;
mod clock;
pub mod compiled;
pub mod config;
mod decision;
mod error;
pub mod gcra;
pub mod headers;
mod limiter;
pub mod local;
pub mod policy;
pub mod rate;
pub mod redis;

pub use clock::{Clock, ManualClock, SystemClock};
pub use compiled::CompiledLimits;
pub use config::{LimitBy, Plans, PlansConfig, RateLimitConfig, RedisConfig, RouteLimitConfig};
pub use decision::{
    Decision, Exhausted, KeyInspection, LimitState, PolicyUsage, StoreUsed, rejection_body,
};
pub use error::{LimitError, StoreError};
pub use limiter::{LimitEvents, LimitStats, Limiter};

/// The limiter in force, swapped on reload; shared with the admin API.
pub type LimiterSlot = arc_swap::ArcSwapOption<Limiter>;
pub use policy::{LimitCheck, Policy, RouteLimits, Subject};
pub use rate::{Quota, QuotaWindow, Rate, Window};

#[cfg(test)]
mod tests;

//! Errors of the limit module: configuration mistakes and store failures.
use std::time::Duration;

/// Errors in the limit configuration, and store failures.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// A rate or quota string did not parse.
    #[error("invalid rate {value:?}: {reason}")]
    InvalidRate {
        /// The text as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another configuration rule was broken.
    #[error("{0}")]
    Config(String),
    /// `store: redis` without `redis:` settings.
    #[error("rate_limit.store is redis but rate_limit.redis is missing")]
    MissingRedis,
    /// A route names a plan that does not exist.
    #[error("unknown plan {0:?}")]
    UnknownPlan(String),
    /// An error inside one plan.
    #[error("plan {plan}: {source}")]
    InPlan {
        /// Plan name.
        plan: String,
        /// The error.
        source: Box<LimitError>,
    },
    /// An error inside one route's `rate_limit` list.
    #[error("route {route}, rate_limit[{index}]: {source}")]
    InRoute {
        /// Route name.
        route: String,
        /// Index in the list.
        index: usize,
        /// The error.
        source: Box<LimitError>,
    },
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The Redis URL is malformed.
    #[error("bad redis url: {0}")]
    BadUrl(String),
    /// Redis answered with an error or the connection failed.
    #[error("redis: {0}")]
    Redis(String),
    /// Redis did not answer within the timeout.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The circuit breaker is open: Redis is not being tried.
    #[error("redis circuit breaker is open")]
    BreakerOpen,
}

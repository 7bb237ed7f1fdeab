//! The gateway: a reverse proxy with TLS, auth, limits and a WAF, and the manager of
//! the XDP edge filter.
pub mod admin;
pub mod auth;
pub mod bans;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod edge;
pub mod limit;
pub mod proxy;
pub mod reload;
pub mod telemetry;
pub mod tls;
pub mod validate;
pub mod waf;

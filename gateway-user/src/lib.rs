//! The gateway: a reverse proxy with TLS, auth, limits and a WAF, and the manager of
//! the XDP edge filter.
pub mod cli;
pub mod edge;
pub mod waf;

//! The reverse proxy data plane: listeners, the ordered request stages, routing,
//! upstream pools and the one place errors become HTTP responses.
//!
//! A request walks `Runtime::stages` in order (see [`stage`]), each stage reading and
//! writing one [`RequestContext`]; then it is forwarded upstream ([`forward`],
//! [`upstream`]); then every stage sees the response head in reverse order; the
//! access log is written when the response body is finished ([`body`]).
pub mod body;
pub mod conn_limit;
pub mod context;
pub mod deps;
pub mod error;
pub mod forward;
pub mod io;
pub mod path;
pub mod pipeline;
pub mod route;
pub mod runtime;
pub mod server;
pub mod stage;
pub mod stages;
pub mod upgrade;
pub mod upstream;

pub use context::RequestContext;
pub use error::GatewayError;
pub use runtime::{BuildError, Gateway, Runtime, Shared};
pub use stage::{Flow, Stage};

//! Seams to the modules built in parallel with the proxy (`crate::tls`,
//! `crate::telemetry`): the proxy imports them from here only, so the request path
//! names one place for what it borrows from its neighbours.
pub use crate::telemetry::{AccessLog, AccessRecord, Metrics, Telemetry, TraceContext};
pub use crate::tls::{ClientCert, PeerInfo, ServerTls, TlsError, failure_reason};

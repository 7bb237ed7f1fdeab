//! TLS and mutual TLS of listeners, in process with real sockets: a tokio listener
//! using `gateway::tls::ServerTls`, and as clients tokio-rustls plus the independent
//! `openssl s_client` and `curl` (see `tls/harness.rs`).

#[path = "support/certs.rs"]
mod certs;
#[path = "tls/harness.rs"]
mod harness;

#[path = "tls/build.rs"]
mod build;
#[path = "tls/client_auth.rs"]
mod client_auth;
#[path = "tls/protocols.rs"]
mod protocols;
#[path = "tls/sni.rs"]
mod sni;

//! Short, fixed reasons for failed handshakes, used as the `reason` label of
//! `gateway_tls_handshake_failures_total` (bounded cardinality, no peer data).

use std::io;

use rustls::{CertificateError, PeerIncompatible, PeerMisbehaved};

/// Classifies the error a `TlsAcceptor` handshake returned into a metric label.
pub fn failure_reason(err: &io::Error) -> &'static str {
    if let Some(tls) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return rustls_reason(tls);
    }
    match err.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => "closed",
        io::ErrorKind::TimedOut => "timeout",
        _ => "other",
    }
}

fn rustls_reason(err: &rustls::Error) -> &'static str {
    use rustls::Error as E;
    match err {
        E::NoCertificatesPresented => "no_client_cert",
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "expired_client_cert",
        E::InvalidCertificate(CertificateError::Revoked) => "revoked_client_cert",
        E::InvalidCertificate(_) => "bad_client_cert",
        E::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCipherSuitesInCommon => "no_shared_cipher",
            // Hellos without signature_algorithms come from TLS 1.0/1.1 clients: rustls
            // trips over the missing extension before it looks at the version.
            PeerIncompatible::SupportedVersionsExtensionRequired
            | PeerIncompatible::SignatureAlgorithmsExtensionRequired
            | PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled
            | PeerIncompatible::ServerDoesNotSupportTls12Or13 => "protocol_version",
            PeerIncompatible::NoKxGroupsInCommon
            | PeerIncompatible::NoSignatureSchemesInCommon
            | PeerIncompatible::NoEcPointFormatsInCommon => "no_shared_group",
            _ => "incompatible",
        },
        E::PeerMisbehaved(PeerMisbehaved::SelectedUnofferedApplicationProtocol) => "alpn",
        E::NoApplicationProtocol => "alpn",
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => "bad_message",
        E::PeerMisbehaved(_) => "bad_message",
        E::AlertReceived(_) => "alert_received",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(e: rustls::Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn missing_client_certificate_is_named() {
        assert_eq!(
            failure_reason(&wrap(rustls::Error::NoCertificatesPresented)),
            "no_client_cert"
        );
    }

    #[test]
    fn untrusted_client_certificate_is_bad_client_cert() {
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(failure_reason(&wrap(e)), "bad_client_cert");
    }

    #[test]
    fn revoked_client_certificate_is_named() {
        let e = rustls::Error::InvalidCertificate(CertificateError::Revoked);
        assert_eq!(failure_reason(&wrap(e)), "revoked_client_cert");
    }

    #[test]
    fn old_protocol_and_cipher_mismatches_are_named() {
        let v = rustls::Error::PeerIncompatible(PeerIncompatible::Tls12NotOfferedOrEnabled);
        assert_eq!(failure_reason(&wrap(v)), "protocol_version");
        let c = rustls::Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon);
        assert_eq!(failure_reason(&wrap(c)), "no_shared_cipher");
    }

    #[test]
    fn plain_io_errors_fall_back_to_coarse_reasons() {
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(failure_reason(&eof), "closed");
        assert_eq!(failure_reason(&io::Error::other("x")), "other");
    }
}

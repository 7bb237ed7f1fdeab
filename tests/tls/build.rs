//! Building a listener's TLS config: errors name the file or field at fault.

use gateway::config::{ClientAuth, ListenerTls};
use gateway::tls::{ServerTls, TlsError};

use crate::certs::TestPki;
use crate::harness::*;

#[test]
fn bad_key_file_error_names_the_file() {
    let (pki, server) = pki_and_server();
    let garbage = pki.write(
        "garbage.key",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    );
    let err = ServerTls::build(&ListenerTls {
        key: garbage.clone(),
        ..listener(&server)
    })
    .expect_err("bad key");
    assert!(
        err.to_string().contains(&garbage.display().to_string()),
        "{err}"
    );

    let empty = pki.write("empty.key", "nothing here\n");
    let err = ServerTls::build(&ListenerTls {
        key: empty.clone(),
        ..listener(&server)
    })
    .expect_err("no key");
    assert!(matches!(err, TlsError::NoPrivateKey { .. }), "{err}");
    assert!(
        err.to_string().contains(&empty.display().to_string()),
        "{err}"
    );
}

#[test]
fn key_of_another_certificate_is_refused_naming_both_files() {
    let (pki, server) = pki_and_server();
    let other = pki.server("other", &["other.test"]);
    let err = ServerTls::build(&ListenerTls {
        key: other.key.clone(),
        ..listener(&server)
    })
    .expect_err("mismatch");
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&other.key.display().to_string())
            && text.contains(&server.cert.display().to_string()),
        "{text}"
    );
}

#[test]
fn certificate_file_without_certificates_is_refused() {
    let (_pki, server) = pki_and_server();
    let err = ServerTls::build(&ListenerTls {
        cert: server.key.clone(),
        ..listener(&server)
    })
    .expect_err("no cert");
    assert!(matches!(err, TlsError::NoCertificates { .. }), "{err}");
    assert!(
        err.to_string().contains(&server.key.display().to_string()),
        "{err}"
    );
}

#[test]
fn missing_files_are_reported_with_their_path() {
    let (pki, server) = pki_and_server();
    let missing = pki.dir().join("nope.pem");
    let err = ServerTls::build(&ListenerTls {
        cert: missing.clone(),
        ..listener(&server)
    })
    .expect_err("missing");
    assert!(matches!(err, TlsError::Read { .. }), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let err = ServerTls::build(&ListenerTls {
        client_ca: Some(missing.clone()),
        client_auth: ClientAuth::Required,
        ..listener(&server)
    })
    .expect_err("missing CA");
    assert!(err.to_string().contains("nope.pem"), "{err}");
}

#[test]
fn client_auth_without_client_ca_is_a_config_error() {
    let (_pki, server) = pki_and_server();
    for mode in [ClientAuth::Required, ClientAuth::Optional] {
        let err = ServerTls::build(&ListenerTls {
            client_auth: mode,
            ..listener(&server)
        })
        .expect_err("no CA");
        assert!(matches!(err, TlsError::ClientCaMissing { .. }), "{err}");
        assert!(err.to_string().contains("client_ca"), "{err}");
    }
}

#[test]
fn expired_certificate_still_loads() {
    let pki = TestPki::new();
    let old = pki.ca.expired_server(pki.dir(), "old", &["old.test"]);
    ServerTls::build(&listener(&old)).expect("expired cert only warns");
}

#[test]
fn check_config_reports_each_broken_tls_listener_by_name() {
    let (pki, _server) = pki_and_server();
    pki.ca.crl(pki.dir(), "ca.crl", &[]);
    pki.write(
        "bad.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    // Relative paths: the config resolves them against the file's directory.
    let yaml = "\
listeners:
  - name: good
    bind: 127.0.0.1:0
    tls: { cert: server.pem, key: server.key, client_ca: gateway-test-ca.pem, client_auth: required, client_crl: ca.crl }
  - name: broken
    bind: 127.0.0.1:0
    tls: { cert: bad.pem, key: server.key }
  - name: plain
    bind: 127.0.0.1:0
upstreams:
  u: { targets: [127.0.0.1:9] }
routes:
  - { name: r, match: { path_prefix: / }, upstream: u }
";
    let path = pki.write("gateway.yaml", yaml);
    let config = gateway::config::load(&path).expect("config is valid");
    let errors = gateway::tls::check_config(&config);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("listener broken: "), "{errors:?}");
    assert!(errors[0].contains("bad.pem"), "{errors:?}");
}

#[test]
fn crl_file_without_crls_is_refused_naming_it() {
    let (pki, server) = pki_and_server();
    let not_crl = pki.write("not.crl", "just text\n");
    let err = ServerTls::build(&ListenerTls {
        client_crl: Some(not_crl.clone()),
        ..mtls(&pki, &server, ClientAuth::Required)
    })
    .expect_err("no CRL");
    assert!(matches!(err, TlsError::BadCrl { .. }), "{err}");
    assert!(
        err.to_string().contains(&not_crl.display().to_string()),
        "{err}"
    );
}

//! End to end: `gateway check --config FILE` on good and bad files, through the real
//! binary. Asserts exit codes (0 ok, 1 invalid, 2 unreadable) and that every error
//! is printed as `FILE:line:col: message`.
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use sha2::{Digest, Sha256};

fn check(config: &Path, cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gateway"))
        .current_dir(cwd)
        .arg("check")
        .arg("--config")
        .arg(config)
        .output()
        .expect("run gateway check")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write test file");
    path
}

#[test]
fn the_shipped_example_passes_and_prints_its_digest() {
    let example = repo_root().join("examples/gateway.yaml");
    let out = check(&example, &repo_root());
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        text(&out.stderr)
    );
    let digest = hex::encode(Sha256::digest(std::fs::read(&example).unwrap()));
    assert_eq!(
        stdout.trim(),
        format!("ok: 1 listeners, 2 routes, 1 upstreams (digest sha256:{digest})")
    );
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_file_exits_1_and_names_every_line_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "\
listeners:
  - name: plain
    bind: 127.0.0.1:8080
upstreams:
  users:
    targets: [127.0.0.1:9001]
routes:
  - name: users
    match: { path_prefix: api }
    upstream: user
limits:
  header_timeout: 10 minutes
validate: { strict: true }
",
    );
    let out = check(&file, dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let f = file.display();
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{f}:9:27: path_prefix `api` must start with `/`"),
            format!(
                "{f}:10:15: route `users` names an unknown upstream `user`, did you mean `users`?"
            ),
            format!(
                "{f}:12:19: `10 minutes` is not a duration: expected a duration like 30s, 5m, 1h (units: ms, s, m, h, d)"
            ),
            format!(
                "{f}:13:1: `validate` is not supported by this version yet (refused rather than ignored)"
            ),
        ],
        "{stderr}"
    );
}

#[test]
fn a_yaml_syntax_error_exits_1_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "broken.yaml",
        "listeners:\n  - name: a\n    bind: [127.0.0.1:1\n",
    );
    let out = check(&file, dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{}:4:", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("YAML syntax error"), "{stderr}");
}

#[test]
fn an_unreadable_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let out = check(&missing, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read the file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tls_files_are_found_next_to_the_config_whatever_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    write(&certs, "server.pem", &cert.pem());
    write(&certs, "server.key", &key.serialize_pem());
    write(&certs, "ca.pem", &cert.pem());
    let config = "\
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { cert: certs/server.pem, key: certs/server.key, client_ca: certs/ca.pem, client_auth: optional }
upstreams:
  users: { targets: [127.0.0.1:9001] }
routes:
  - name: users
    upstream: users
    client_cert: { san: [\"DNS:client.example\"] }
";
    let file = write(dir.path(), "gateway.yaml", config);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = check(&file, elsewhere.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: 1 listeners, 1 routes, 1 upstreams (digest sha256:")
    );

    std::fs::remove_file(certs.join("server.key")).unwrap();
    let out = check(&file, elsewhere.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{}:4:41: the private key `", file.display())),
        "{stderr}"
    );
}

#[test]
fn warnings_are_printed_but_do_not_fail_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "warn.yaml",
        "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  spare: { targets: [127.0.0.1:2] }\n",
    );
    let out = check(&file, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:3:10: warning: upstream `spare` is not used",
            file.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("warning: no routes"), "{stderr}");
}

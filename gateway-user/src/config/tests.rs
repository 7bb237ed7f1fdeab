//! Unit tests of configuration loading: defaults fill in, the issue's sample
//! parses, and every kind of error is reported at the right line.
use std::path::Path;

use super::*;

/// The smallest valid file, to which tests append what they check.
/// A minimal valid file the tests of every config module extend.
pub(super) const BASE: &str = "\
listeners:
  - name: plain
    bind: 127.0.0.1:8080
upstreams:
  users:
    targets: [127.0.0.1:9001]
";

pub(super) fn parse_str(text: &str) -> Result<Checked, ConfigErrors> {
    parse_checked(text, Path::new("test.yaml"))
}

/// The (line, message) of every error of `text`; panics if it is valid.
pub(super) fn errors(text: &str) -> Vec<(usize, String)> {
    match parse_str(text) {
        Ok(_) => panic!("configuration was accepted:\n{text}"),
        Err(e) => e
            .errors
            .iter()
            .map(|e| (e.location.map_or(0, |l| l.line), e.message.clone()))
            .collect(),
    }
}

/// Asserts that `text` has an error at `line` whose message contains `needle`.
#[track_caller]
pub(super) fn assert_error(text: &str, line: usize, needle: &str) {
    let errs = errors(text);
    assert!(
        errs.iter().any(|(l, m)| *l == line && m.contains(needle)),
        "no error containing {needle:?} at line {line}; got {errs:#?}"
    );
}

fn warnings(text: &str) -> Vec<(usize, String)> {
    let checked = parse_str(text).unwrap_or_else(|e| panic!("rejected: {e}"));
    checked
        .warnings
        .errors
        .iter()
        .map(|e| (e.location.map_or(0, |l| l.line), e.message.clone()))
        .collect()
}

/// Writes a self-signed certificate and its key as PEM files in `dir`.
fn write_pem_pair(dir: &Path, cert: &str, key: &str) {
    let pair = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let c = params.self_signed(&pair).unwrap();
    std::fs::write(dir.join(cert), c.pem()).unwrap();
    std::fs::write(dir.join(key), pair.serialize_pem()).unwrap();
}

#[test]
fn defaults_fill_in_everything_left_out() {
    let config = parse_str(&format!(
        "{BASE}routes:\n  - {{ name: r, upstream: users }}\n"
    ))
    .unwrap()
    .config;
    assert_eq!(config.limits.max_body, ByteSize(10 << 20));
    assert_eq!(config.limits.max_header_bytes, ByteSize(16 << 10));
    assert_eq!(config.limits.header_timeout, Duration::from_secs(10));
    assert_eq!(config.limits.idle_timeout, Duration::from_secs(60));
    assert_eq!(config.limits.max_connections, 10_000);
    assert_eq!(config.limits.max_connections_per_ip, 256);
    assert_eq!(config.limits.drain_timeout, Duration::from_secs(30));
    let up = &config.upstreams["users"];
    assert_eq!(
        up.targets,
        vec![Target {
            addr: "127.0.0.1:9001".into(),
            weight: 1
        }]
    );
    assert_eq!(up.balance, Balance::RoundRobin);
    assert_eq!(up.protocol, UpstreamProtocol::Http1);
    assert_eq!(up.connect_timeout, Duration::from_secs(5));
    assert_eq!(up.response_timeout, Duration::from_secs(30));
    assert_eq!(up.passive.max_failures, 5);
    assert_eq!(up.passive.ejection, Duration::from_secs(30));
    assert!(up.health_check.is_none());
    let route = &config.routes[0];
    assert!(route.sanitize_errors);
    assert!(!route.strip_prefix);
    assert_eq!(route.r#match, RouteMatch::default());
    assert!(config.security_headers.enabled);
    assert_eq!(
        config.security_headers.hsts,
        "max-age=31536000; includeSubDomains"
    );
    assert_eq!(config.security_headers.referrer_policy, "no-referrer");
    assert_eq!(config.security_headers.frame_options, "DENY");
    assert!(config.access_log.enabled);
    assert!(config.access_log.path.is_none());
    assert!(config.admin.is_none());
    assert_eq!(config.listeners[0].bind, "127.0.0.1:8080".parse().unwrap());
}

#[test]
fn the_digest_is_the_sha256_of_the_text() {
    let config = parse_str(BASE).unwrap().config;
    assert_eq!(
        config.digest,
        hex::encode(sha2::Sha256::digest(BASE.as_bytes()))
    );
    assert_eq!(config.digest.len(), 64);
}

/// The sample of issue 3, verbatim.
const ISSUE_SAMPLE: &str = r#"
listeners:
  - name: public
    bind: 0.0.0.0:8443
    tls: { cert: certs/server.pem, key: certs/server.key, client_ca: certs/ca.pem, client_auth: optional }  # none|optional|required
  - name: plain
    bind: 127.0.0.1:8080
admin: { bind: 127.0.0.1:9901 }          # /metrics /healthz /readyz, admin API
upstreams:
  users:
    targets: [127.0.0.1:9001, 127.0.0.1:9002]
    balance: round_robin                 # round_robin|least_conn|ip_hash
    health_check: { path: /healthz, interval: 5s }
routes:
  - name: users
    match: { host: api.example.com, path_prefix: /api/v1/users, methods: [GET, POST] }
    upstream: users
limits: { max_body: 10MiB, max_header_bytes: 16KiB, header_timeout: 10s, idle_timeout: 60s, max_connections: 10000 }
"#;

#[test]
fn the_issue_sample_parses_with_tls_files_resolved_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    write_pem_pair(&dir.path().join("certs"), "server.pem", "server.key");
    write_pem_pair(&dir.path().join("certs"), "ca.pem", "ca.key");
    let file = dir.path().join("gateway.yaml");
    std::fs::write(&file, ISSUE_SAMPLE).unwrap();
    let config = load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.listeners.len(), 2);
    let tls = config.listeners[0].tls.as_ref().unwrap();
    assert_eq!(tls.cert, dir.path().join("certs/server.pem"));
    assert_eq!(tls.client_auth, ClientAuth::Optional);
    let hc = config.upstreams["users"].health_check.as_ref().unwrap();
    assert_eq!(
        (hc.path.as_str(), hc.interval),
        ("/healthz", Duration::from_secs(5))
    );
    assert_eq!(config.routes[0].r#match.methods, ["GET", "POST"]);
    assert_eq!(
        config.routes[0].r#match.path_prefix.as_deref(),
        Some("/api/v1/users")
    );
    assert_eq!(
        config.admin.unwrap().bind,
        "127.0.0.1:9901".parse().unwrap()
    );
}

#[test]
fn a_missing_tls_file_is_reported_at_the_line_of_its_path() {
    // Line 5 of the sample holds the tls paths; the temp dir has no certs.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gateway.yaml");
    std::fs::write(&file, ISSUE_SAMPLE).unwrap();
    let errs = load(&file).unwrap_err();
    assert_eq!(errs.errors.len(), 3, "{errs}");
    assert!(
        errs.errors.iter().all(|e| e.location.unwrap().line == 5),
        "{errs}"
    );
    assert!(
        errs.to_string().contains("the certificate `")
            && errs.to_string().contains("cannot be read"),
        "{errs}"
    );
    assert!(errs.to_string().contains("server.pem"), "{errs}");
}

#[test]
fn an_unknown_key_is_reported_with_the_closest_name() {
    assert_error(
        "listeners:\n  - name: a\n    bnd: 127.0.0.1:1\n",
        3,
        "did you mean `bind`",
    );
}

#[test]
fn an_unknown_section_is_reported_with_the_closest_name() {
    assert_error(
        &format!("{BASE}acces_log: {{}}\n"),
        7,
        "did you mean `access_log`",
    );
}

#[test]
fn a_wrong_type_is_reported_at_its_line() {
    assert_error(
        &format!("{BASE}limits:\n  max_connections: lots\n"),
        8,
        "expected a whole number",
    );
    assert_error(
        &format!("{BASE}security_headers:\n  enabled: yes\n"),
        8,
        "expected true or false",
    );
    assert_error(&format!("{BASE}routes: nope\n"), 7, "expected a list");
}

#[test]
fn a_bad_duration_says_what_a_duration_looks_like() {
    assert_error(
        &format!("{BASE}limits:\n  header_timeout: 10 seconds\n"),
        8,
        "expected a duration like 30s, 5m, 1h",
    );
    assert_error(
        &format!("{BASE}limits:\n  idle_timeout: 60\n"),
        8,
        "has no unit",
    );
}

#[test]
fn a_bad_size_says_what_a_size_looks_like() {
    assert_error(
        &format!("{BASE}limits:\n  max_body: 10 megs\n"),
        8,
        "expected a size like",
    );
}

#[test]
fn a_bad_socket_address_is_reported_at_its_line() {
    assert_error(
        "listeners:\n  - name: a\n    bind: 127.0.0.1\n",
        3,
        "not a socket address",
    );
    assert_error(
        "listeners:\n  - name: a\n    bind: 127.0.0.1:70000\n",
        3,
        "not a socket address",
    );
}

#[test]
fn a_bad_cidr_is_reported_at_its_line() {
    assert_error(
        &format!("{BASE}ip:\n  deny: [10.0.0.0/8, 10.0.0.0/33]\n"),
        8,
        "`10.0.0.0/33` is not a network",
    );
}

#[test]
fn single_addresses_are_accepted_as_networks() {
    let config = parse_str(&format!("{BASE}ip:\n  deny: [192.0.2.7, 10.1.2.3/8]\n"))
        .unwrap()
        .config;
    assert_eq!(
        config.ip.deny,
        vec![
            "192.0.2.7/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap()
        ]
    );
}

#[test]
fn duplicate_listener_names_and_binds_are_refused() {
    let text = "listeners:\n  - { name: a, bind: 127.0.0.1:1 }\n  - { name: a, bind: 127.0.0.1:2 }\n  - { name: b, bind: 0.0.0.0:1 }\n";
    assert_error(
        text,
        3,
        "duplicate listener name `a` (first used at line 2)",
    );
    assert_error(text, 4, "conflicts with listener `a`");
}

#[test]
fn the_admin_listener_may_not_share_a_listener_port() {
    assert_error(
        &format!("{BASE}admin: {{ bind: 127.0.0.1:8080 }}\n"),
        7,
        "conflicts with listener `plain`",
    );
}

#[test]
fn an_admin_listener_off_loopback_needs_mutual_tls() {
    assert_error(
        &format!("{BASE}admin:\n  bind: 0.0.0.0:9901\n"),
        8,
        "not loopback",
    );
}

#[test]
fn a_route_naming_an_unknown_upstream_is_reported_at_the_upstream_key() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    match: {{ path_prefix: /a }}\n    upstream: user\n"
    );
    assert_error(&text, 10, "unknown upstream `user`, did you mean `users`?");
}

#[test]
fn a_route_naming_a_broken_upstream_is_not_also_called_unknown() {
    let text = "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u: { targets: [127.0.0.1:2], balance: random }\nroutes: [{ name: r, upstream: u }]\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, 3);
}

#[test]
fn an_upstream_without_targets_is_refused() {
    assert_error(
        "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u:\n    targets: []\n",
        4,
        "has no targets",
    );
    assert_error(
        "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u:\n    balance: ip_hash\n",
        4,
        "missing required key `targets`",
    );
}

#[test]
fn targets_must_be_host_port_with_a_real_weight() {
    let text = "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u:\n    targets:\n      - localhost\n      - \"::1:80\"\n      - { addr: \"b.example:80\", weight: 0 }\n      - b.example:80\n";
    assert_error(text, 5, "has no port");
    assert_error(text, 6, "in brackets");
    assert_error(text, 7, "weight 0");
    assert_error(text, 8, "listed twice (first at line 7)");
}

#[test]
fn weighted_targets_parse_in_both_forms() {
    let text = "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u:\n    targets: [\"[::1]:80\", { addr: \"b.example:80\", weight: 3 }]\n";
    let up = &parse_str(text).unwrap().config.upstreams["u"];
    assert_eq!(
        up.targets[0],
        Target {
            addr: "[::1]:80".into(),
            weight: 1
        }
    );
    assert_eq!(
        up.targets[1],
        Target {
            addr: "b.example:80".into(),
            weight: 3
        }
    );
}

#[test]
fn health_check_intervals_must_be_positive() {
    let text = format!("{BASE}    health_check:\n      interval: 0s\n      path: healthz\n");
    assert_error(&text, 8, "interval must be more than 0");
    assert_error(&text, 9, "must start with `/`");
}

#[test]
fn a_zero_max_body_is_refused() {
    assert_error(
        &format!("{BASE}limits: {{ max_body: 0 }}\n"),
        7,
        "max_body 0",
    );
}

#[test]
fn path_prefix_must_start_with_a_slash() {
    assert_error(
        &format!(
            "{BASE}routes:\n  - name: r\n    upstream: users\n    match:\n      path_prefix: api\n"
        ),
        11,
        "must start with `/`",
    );
}

#[test]
fn path_and_path_prefix_together_are_refused() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    upstream: users\n    match:\n      path_prefix: /api\n      path: /api/x\n"
    );
    assert_error(&text, 12, "not both");
}

#[test]
fn invalid_methods_are_refused() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    upstream: users\n    match:\n      methods: [GET, get, \"B@D\"]\n"
    );
    assert_error(&text, 11, "write `GET`");
    assert_error(&text, 11, "`B@D` is not an HTTP method");
}

#[test]
fn invalid_header_names_are_refused_in_matches_and_edits() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    upstream: users\n    match:\n      headers: {{ \"bad name\": x }}\n    request_headers:\n      remove: [\"a:b\"]\n    response_headers:\n      add: {{ Transfer-Encoding: chunked }}\n"
    );
    assert_error(&text, 11, "`bad name` is not a valid header name");
    assert_error(&text, 13, "`a:b` is not a valid header name");
    assert_error(&text, 15, "managed by the gateway");
}

#[test]
fn cors_credentials_with_any_origin_are_refused() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    upstream: users\n    cors:\n      credentials: true\n      origins:\n        - https://app.example.com\n        - \"*\"\n"
    );
    assert_error(&text, 14, "with `credentials: true` is refused");
}

#[test]
fn cors_origins_must_be_bare_origins() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    upstream: users\n    cors: {{ origins: [\"https://a.example/\"] }}\n"
    );
    assert_error(&text, 10, "has no path");
}

#[test]
fn strip_prefix_needs_a_prefix() {
    assert_error(
        &format!("{BASE}routes:\n  - name: r\n    upstream: users\n    strip_prefix: true\n"),
        10,
        "strip_prefix needs",
    );
}

#[test]
fn a_client_cert_route_needs_a_listener_asking_for_certificates() {
    let text = format!(
        "{BASE}routes:\n  - name: r\n    upstream: users\n    client_cert: {{ san: [\"URI:spiffe://x/y\"] }}\n"
    );
    assert_error(&text, 10, "no listener asks for one");
}

#[test]
fn client_auth_without_a_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_pem_pair(dir.path(), "c.pem", "k.pem");
    let text = "listeners:\n  - name: t\n    bind: 127.0.0.1:1\n    tls:\n      cert: c.pem\n      key: k.pem\n      client_auth: required\n";
    let errs = parse_checked(text, &dir.path().join("g.yaml")).unwrap_err();
    assert_eq!(errs.errors.len(), 1, "{errs}");
    assert_eq!(errs.errors[0].location.unwrap().line, 7);
    assert!(errs.errors[0].message.contains("needs `client_ca`"));
}

#[test]
fn duplicate_route_names_and_identical_matches_are_refused() {
    let text = format!(
        "{BASE}routes:\n  - {{ name: r, upstream: users, match: {{ path_prefix: /a }} }}\n  - {{ name: r, upstream: users, match: {{ path_prefix: /a/ }} }}\n"
    );
    assert_error(&text, 9, "duplicate route name `r` (first used at line 8)");
    assert_error(
        &text,
        9,
        "matches exactly the same requests as route `r` (line 8)",
    );
}

#[test]
fn an_empty_route_match_is_a_fallback_accepted_without_warning() {
    let text = format!(
        "{BASE}routes:\n  - {{ name: api, upstream: users, match: {{ path_prefix: /api }} }}\n  - {{ name: fallback, upstream: users }}\n"
    );
    assert_eq!(warnings(&text), vec![]);
}

#[test]
fn an_unused_upstream_is_a_warning() {
    let text = format!(
        "{BASE}  spare:\n    targets: [127.0.0.1:9009]\nroutes:\n  - {{ name: r, upstream: users }}\n"
    );
    let warns = warnings(&text);
    assert!(
        warns
            .iter()
            .any(|(l, m)| *l == 8 && m.contains("`spare` is not used")),
        "{warns:?}"
    );
}

#[test]
fn route_hosts_are_lowercased_and_checked() {
    let config = parse_str(&format!(
        "{BASE}routes:\n  - {{ name: r, upstream: users, match: {{ host: \"*.Example.COM\" }} }}\n"
    ))
    .unwrap()
    .config;
    assert_eq!(
        config.routes[0].r#match.host.as_deref(),
        Some("*.example.com")
    );
    assert_error(
        &format!(
            "{BASE}routes:\n  - {{ name: r, upstream: users, match: {{ host: \"a.*.com\" }} }}\n"
        ),
        8,
        "is not a host name",
    );
}

#[test]
fn sections_of_later_versions_are_refused_at_their_line() {
    assert_error(
        &format!("{BASE}validate: {{}}\n"),
        7,
        "`validate` is not supported by this version yet",
    );
}

#[test]
fn every_semantic_error_is_reported_not_just_the_first() {
    let text = format!(
        "{BASE}routes:\n  - {{ name: a, upstream: nope, match: {{ path: /a }} }}\n  - {{ name: b, upstream: users, strip_prefix: true }}\nlimits: {{ max_body: 0 }}\n"
    );
    let lines: Vec<usize> = errors(&text).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, vec![8, 9, 10]);
}

#[test]
fn a_bad_item_does_not_hide_errors_in_the_next_one() {
    let text =
        "listeners:\n  - { name: a, bind: nope }\n  - { name: b, bind: 127.0.0.1:1, tsl: {} }\n";
    let lines: Vec<usize> = errors(text).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, vec![2, 3]);
}

#[test]
fn a_yaml_syntax_error_names_its_line() {
    assert_error(
        "listeners:\n  - name: a\n   bind: x\n",
        3,
        "YAML syntax error",
    );
}

#[test]
fn duplicate_keys_are_refused() {
    assert_error(
        "listeners: []\nlimits: {}\nlimits: {}\n",
        3,
        "duplicate key `limits` (first set at line 2)",
    );
}

#[test]
fn an_empty_file_says_there_are_no_listeners() {
    assert_error("", 1, "no listeners");
}

#[test]
fn anchors_and_merge_keys_work() {
    let text = "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  a: &base\n    targets: [127.0.0.1:2]\n    connect_timeout: 1s\n  b:\n    <<: *base\n    targets: [127.0.0.1:3]\nroutes: [{ name: a, upstream: a, match: { path: /a } }, { name: b, upstream: b }]\n";
    let config = parse_str(text).unwrap_or_else(|e| panic!("{e}")).config;
    let b = &config.upstreams["b"];
    assert_eq!(b.connect_timeout, Duration::from_secs(1));
    assert_eq!(b.targets[0].addr, "127.0.0.1:3");
}

#[test]
fn errors_display_as_file_line_col_message() {
    let err = parse_checked(
        "listeners:\n  - name: a\n    bnd: x\n",
        Path::new("/etc/gw.yaml"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/gw.yaml:3:5: unknown key `bnd`, did you mean `bind`?"
    );
}

#[test]
fn an_alias_bomb_is_refused_instead_of_expanded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        text += &format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", "));
    }
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].1.contains("aliases expand to more than"),
        "{errs:?}"
    );
}

#[test]
fn absurd_nesting_is_refused() {
    let text = format!("listeners: {}{}\n", "[".repeat(200), "]".repeat(200));
    assert_error(&text, 1, "nests deeper than");
}

#[test]
fn tls_files_must_hold_the_right_kind_of_pem() {
    let dir = tempfile::tempdir().unwrap();
    write_pem_pair(dir.path(), "c.pem", "k.pem");
    std::fs::write(dir.path().join("junk.pem"), "not pem at all\n").unwrap();
    // The key where the certificate should be, junk where the key should be.
    let text = "listeners:\n  - name: t\n    bind: 127.0.0.1:1\n    tls:\n      cert: k.pem\n      key: junk.pem\n      sni:\n        - { cert: c.pem, key: c.pem }\n";
    let errs = parse_checked(text, &dir.path().join("g.yaml")).unwrap_err();
    let got: Vec<(usize, bool)> = errs
        .errors
        .iter()
        .map(|e| (e.location.unwrap().line, e.message.contains("holds no PEM")))
        .collect();
    assert_eq!(got, vec![(5, true), (6, true), (8, true)], "{errs}");
}

#[test]
fn type_errors_use_yaml_words() {
    assert_error(
        "listeners: [plain]\n",
        1,
        "expected a mapping of Listener settings, found `plain`",
    );
    assert_error(
        "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u: { targets: 127.0.0.1:1 }\n",
        3,
        "expected a list, found `127.0.0.1:1`",
    );
    assert_error(
        "listeners: [{ name: a, bind: 127.0.0.1:1 }]\nupstreams:\n  u: { targets: [127.0.0.1:1], balance: [x] }\n",
        3,
        "expected a Balance value, found a list",
    );
}

#[test]
fn client_cert_sans_need_a_kind_and_ips_need_an_address() {
    let dir = tempfile::tempdir().unwrap();
    write_pem_pair(dir.path(), "c.pem", "k.pem");
    let text = "listeners:\n  - name: t\n    bind: 127.0.0.1:1\n    tls: { cert: c.pem, key: k.pem, client_ca: c.pem, client_auth: optional }\nupstreams: { u: { targets: [127.0.0.1:2] } }\nroutes:\n  - name: r\n    upstream: u\n    client_cert:\n      san:\n        - dns:*.internal\n        - spiffe://prod/api\n        - IP:10.0.0.300\n        - URI:spiffe://prod/*\n";
    let errs = parse_checked(text, &dir.path().join("g.yaml")).unwrap_err();
    let lines: Vec<usize> = errs
        .errors
        .iter()
        .map(|e| e.location.unwrap().line)
        .collect();
    assert_eq!(lines, vec![12, 13], "{errs}");
}

#[test]
fn route_paths_must_be_normalized_like_requests() {
    for (path, why) in [
        ("/a/../b", "not normalized"),
        ("/a//b", "not normalized"),
        ("/a%2Fb", "percent-encoded"),
        ("/a?x=1", "`?`"),
    ] {
        let text = format!(
            "{BASE}routes:\n  - name: r\n    upstream: users\n    match:\n      path_prefix: \"{path}\"\n"
        );
        assert_error(&text, 11, why);
    }
}

#[test]
fn a_star_host_means_any_host() {
    let text =
        format!("{BASE}routes:\n  - {{ name: r, upstream: users, match: {{ host: \"*\" }} }}\n");
    assert_eq!(
        parse_str(&text).unwrap().config.routes[0].r#match.host,
        None
    );
}

#[test]
fn waf_sections_are_read_globally_and_per_route() {
    let config = parse_str(&format!(
        "{BASE}waf: {{ mode: detect, paranoia: 2, inspect_body: 64KiB, oversize: block }}\n\
         routes:\n  - name: r\n    upstream: users\n    waf: {{ mode: block, exclude: [{{ rule: 942100, field: args.q }}] }}\n"
    ))
    .unwrap()
    .config;
    let waf = config.waf.as_ref().unwrap();
    assert_eq!(waf.mode, crate::waf::Mode::Detect);
    assert_eq!(waf.inspect_body.0, 64 * 1024);
    let route = config.routes[0].waf.as_ref().unwrap();
    assert_eq!(route.mode, Some(crate::waf::Mode::Block));
    assert_eq!(route.exclude.len(), 1);
}

#[test]
fn a_waf_exclusion_of_an_unknown_rule_is_reported_at_its_line_with_the_route() {
    let text = format!(
        "{BASE}routes:\n  - name: search\n    upstream: users\n    waf:\n      exclude:\n        - {{ rule: 942100, field: args.q }}\n        - {{ rule: 999999 }}\n"
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].0, 13);
    assert!(errs[0].1.contains("route `search`"), "{errs:#?}");
    assert!(errs[0].1.contains("999999"), "{errs:#?}");
}

#[test]
fn a_waf_custom_rule_with_a_bad_regex_is_reported_at_its_line() {
    let text = format!(
        "{BASE}waf:\n  custom_rules:\n    - {{ id: 100001, field: args, operator: {{ contains: x }} }}\n    - {{ id: 100002, field: args, operator: {{ regex: \"(unclosed\" }} }}\n"
    );
    assert_error(&text, 10, "waf custom rule 100002: invalid regex");
}

#[test]
fn a_waf_paranoia_out_of_range_is_an_error() {
    assert_error(
        &format!("{BASE}waf: {{ paranoia: 9 }}\n"),
        7,
        "paranoia must be 1 to 4",
    );
}

#[test]
fn edge_bans_and_cluster_sections_are_read_with_their_defaults() {
    let text = format!(
        "{BASE}edge: {{ interfaces: [eth0], mode: auto, rate: {{ pps: 1000, burst: 2000 }} }}\nbans: {{ threshold: 20, window: 1m, ttl: 10m, max_ttl: 24h, prefix_v4: 32, prefix_v6: 64, points: {{ waf: 5, auth: 2, rate: 1, malformed: 2, edge: 5 }} }}\ncluster: {{ redis: redis://127.0.0.1:6379 }}\n"
    );
    let config = super::parse(&text, std::path::Path::new("gateway.yaml")).unwrap();
    let edge = config.edge.unwrap();
    assert_eq!(edge.interfaces, ["eth0"]);
    assert_eq!(edge.rate.unwrap().burst, Some(2000));
    let bans = config.bans.unwrap();
    assert_eq!(
        (bans.threshold, bans.prefix_v6, bans.points.waf),
        (20, 64, 5)
    );
    assert_eq!(*bans.max_ttl, std::time::Duration::from_secs(86_400));
    let cluster = config.cluster.unwrap();
    assert_eq!(cluster.channel, "gateway:bans");
}

#[test]
fn a_ban_prefix_out_of_range_is_refused() {
    assert_error(
        &format!("{BASE}bans: {{ prefix_v4: 33 }}\n"),
        7,
        "prefix_v4",
    );
}

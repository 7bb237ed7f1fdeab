//! Engine-level tests: placement, evasions, modes, exclusions, custom rules, body limits.
use std::net::IpAddr;

use super::*;

/// Every line of the attack and benign files of these corpora (directories under
/// `tests/corpus`), with the corpus's `\n` and `\t` escapes read.
pub(super) fn corpus_lines(dirs: &[&str]) -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut out = Vec::new();
    for dir in dirs {
        for sub in ["attack", "benign"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                out.extend(
                    text.lines()
                        .map(|l| l.replace("\\n", "\n").replace("\\t", "\t")),
                );
            }
        }
    }
    out
}

fn engine(yaml: &str) -> Engine {
    let cfg: WafConfig = serde_yaml_ng::from_str(yaml).expect("test config parses");
    Engine::compile(&cfg).expect("test config compiles")
}

fn default_engine() -> Engine {
    Engine::compile(&WafConfig::default()).expect("default config compiles")
}

struct Req {
    method: &'static str,
    path: String,
    query: Option<String>,
    headers: http::HeaderMap,
    body: Option<Vec<u8>>,
    ct: Option<String>,
    ip: Option<IpAddr>,
}

impl Req {
    fn get(query: &str) -> Req {
        Req {
            method: "GET",
            path: "/api/items".into(),
            query: Some(query.into()),
            headers: http::HeaderMap::new(),
            body: None,
            ct: None,
            ip: None,
        }
    }
    fn post(ct: &str, body: &[u8]) -> Req {
        Req {
            method: "POST",
            path: "/api/items".into(),
            query: None,
            headers: http::HeaderMap::new(),
            body: Some(body.to_vec()),
            ct: Some(ct.into()),
            ip: None,
        }
    }
    fn view(&self) -> RequestView<'_> {
        RequestView {
            method: self.method,
            raw_path: &self.path,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: self.body.as_deref(),
            body_truncated: false,
            content_type: self.ct.as_deref(),
            client_ip: self.ip,
        }
    }
    fn run(&self, e: &Engine) -> Verdict {
        e.inspect(&self.view(), &e.default_policy())
    }
}

#[test]
fn sqli_in_a_query_argument_is_blocked_with_rule_and_field_named() {
    let v = Req::get("q=1%27%20or%20%271%27%3D%271").run(&default_engine());
    assert!(v.blocked);
    assert!(v.score >= 5);
    assert!(v.matches.iter().any(|m| m.rule_id == 942100
        && m.field.as_str() == "args.q"
        && m.category == Category::Sqli));
}

#[test]
fn a_lone_server_variable_is_no_plain_token() {
    // `@@version` is letters and `@` only, like an id, but the pair is SQL.
    let v = Req::get("q=%40%40version").run(&default_engine());
    assert!(
        v.matches.iter().any(|m| m.rule_id == 942170),
        "{:?}",
        v.matches
    );
    let v = Req::get("q=ann%40example").run(&default_engine());
    assert!(v.matches.is_empty(), "{:?}", v.matches);
}

#[test]
fn a_script_url_of_letters_and_digits_is_no_plain_token() {
    // `javascript:x` is letters and `:` only, like a `urn:isbn:…` id, but it runs.
    let v = Req::get("link=JavaScript:vvv001234").run(&default_engine());
    assert!(v.blocked, "{:?}", v.matches);
    assert!(
        v.matches.iter().any(|m| m.rule_id == 941181),
        "{:?}",
        v.matches
    );
    let v = Req::get("id=urn:isbn:0451450523").run(&default_engine());
    assert!(v.matches.is_empty(), "{:?}", v.matches);
}

#[test]
fn a_sql_system_name_alone_is_read_at_paranoia_2_only() {
    // A plain token skips every rule, but at paranoia 2 `xp_cmdshell` alone is a probe.
    let pl2 = engine("{ paranoia: 2 }");
    let v = Req::get("q=xp_cmdshell").run(&pl2);
    assert!(v.blocked, "{:?}", v.matches);
    assert!(
        v.matches.iter().any(|m| m.rule_id == 942143),
        "{:?}",
        v.matches
    );
    let v = Req::get("sort=column_name").run(&pl2);
    assert!(v.matches.is_empty(), "{:?}", v.matches);
    let v = Req::get("q=xp_cmdshell").run(&default_engine());
    assert!(v.matches.is_empty(), "{:?}", v.matches);
}

#[test]
fn benign_api_request_scores_zero() {
    let mut r = Req::post(
        "application/json",
        br#"{"name":"Patrick O'Brien","query":"select a plan","note":"drop me a line"}"#,
    );
    r.query = Some("page=2&sort=-created_at&q=rock+%27n%27+roll".into());
    r.headers.insert(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
            .parse()
            .unwrap(),
    );
    r.headers
        .insert("cookie", "session=abc123; theme=dark".parse().unwrap());
    let v = r.run(&default_engine());
    assert_eq!(v.score, 0, "{:?}", v.matches);
    assert!(!v.blocked);
}

#[test]
fn json_fields_are_named_by_their_path() {
    let v = Req::post(
        "application/json",
        br#"{"user":{"name":"<script>alert(1)</script>"}}"#,
    )
    .run(&default_engine());
    assert!(v.blocked);
    assert!(
        v.matches
            .iter()
            .any(|m| m.field.as_str() == "json.user.name" && m.category == Category::Xss)
    );
}

#[test]
fn evasions_are_decoded_before_matching() {
    let e = default_engine();
    for q in [
        "q=1%20UnIoN%20SeLeCt%201,2",
        "q=1/**/UNION/**/SELECT/**/1,2",
        "q=1%20UN/**/ION%20SEL/**/ECT%201,2",
        "q=%253Cscript%253Ealert(1)%253C%252Fscript%253E",
        "q=%uff1cscript%uff1ealert(1)%uff1c/script%uff1e",
        "q=..%c0%af..%c0%af..%c0%afetc%c0%afpasswd",
        "q=%26lt%3Bimg%20src%3Dx%20onerror%3Dalert(1)%26gt%3B",
        "q=w%27h%27o%27am%27i",
        "q=cat%24%7BIFS%7D/etc/passwd",
    ] {
        assert!(Req::get(q).run(&e).blocked, "not blocked: {q}");
    }
}

#[test]
fn sql_words_split_by_an_array_seam_or_an_invisible_character_are_joined() {
    let e = default_engine();
    for q in [
        "q=un%5C%22%2C%5C%22ion%20se%5C%22%2C%5C%22lect%201%2C2%2C3",
        "q=un%22%2C%22ion%20se%22%2C%22lect%201%2C2%2C3",
        "q=%27%20un%E2%80%8Bion%20se%E2%80%8Blect%201%2C2",
    ] {
        assert!(Req::get(q).run(&e).blocked, "not blocked: {q}");
    }
    assert!(!Req::get("q=%5B%22a%22%2C%22b%22%5D").run(&e).blocked);
}

#[test]
fn every_rule_reads_a_value_with_the_words_its_comments_split_joined() {
    let e = default_engine();
    // 942130 reads the tautology only once `WHE/**/RE` is `WHERE`.
    let v = Req::get("q=1%20WH/**/E/**/RE%203988%3D3988").run(&e);
    assert!(
        v.matches.iter().any(|m| m.rule_id == 942130),
        "{:?}",
        v.matches
    );
    let v = Req::get("q=src/**/test.js%20where%20a%3Db").run(&e);
    assert!(v.matches.is_empty(), "{:?}", v.matches);
}

#[test]
fn every_rule_reads_a_value_peppered_with_stray_percent_signs_without_them() {
    let e = default_engine();
    // 942380 reads the subquery only once the `%` signs are gone.
    let q = "q=%251%25%5D%25-%25(%25S%25E%25L%25E%25C%25T%20%250%20%25W%25H%25E%25R%25E%20\
             %251%25%3D%251%20%25A%25N%25D%20%251%25%3D%25(%25S%25E%25L%25E%25C%25T%20%251))";
    let v = Req::get(q).run(&e);
    assert!(
        v.matches.iter().any(|m| m.rule_id == 942380),
        "{:?}",
        v.matches
    );
    let v = Req::get("q=100%25%20of%20%25d%20and%20%25s%20in%20%25Y").run(&e);
    assert!(v.matches.is_empty(), "{:?}", v.matches);
}

#[test]
fn a_value_that_writes_its_spaces_as_plus_is_read_with_them_as_spaces() {
    let e = default_engine();
    // The `+` reaches the application (sent as `%2B`), or is itself encoded once more.
    for q in [
        "q=%3B%2Bcat%2B/etc/passwd",
        "q=%3Cmarquee%2Bloop%3D1%2Bonfinish%3Dalert(1)%3E",
        "q=D127.0.0.1%252B%26%26%252Bls%252B%252Fetc",
        "q=%3B%20cat%24u%2B/etc%24u/passwd%24u",
    ] {
        assert!(Req::get(q).run(&e).blocked, "not blocked: {q}");
    }
    for q in [
        "q=C%2B%2B",
        "q=1%2B1%3D2",
        "q=%2B1%20555%20010",
        "q=a%2Bb%2Bc",
    ] {
        assert!(!Req::get(q).run(&e).blocked, "blocked: {q}");
    }
}

#[test]
fn a_value_that_is_itself_a_parameter_is_read_after_its_equals_sign_by_every_rule() {
    let pl2 = engine("{ paranoia: 2 }");
    // Rules that read a whole value or its start (945111, 942361) see the
    // parameter's value; without the reading they saw `pay=` first.
    for (q, rule) in [
        ("q=pay%3D%26%26(e%3D%3D%3D", 945111),
        ("q=pay%3D%26%26%201%3D%3D(", 945111),
        ("q=pay%3D%3Bdrop", 942361),
    ] {
        let v = Req::get(q).run(&pl2);
        assert!(v.blocked, "not blocked: {q}");
        assert!(
            v.matches
                .iter()
                .any(|m| m.rule_id == rule && m.field.0 == "args.q"),
            "{q}: {:?}",
            v.matches
        );
    }
    for q in [
        "q=page%3D2%26sort%3Ddesc",
        "next=redirect%3D%2Forders%3Fpage%3D2",
        "q=a%3Db",
        "filter=status%3Dactive%20and%20archived",
    ] {
        let v = Req::get(q).run(&pl2);
        assert!(!v.blocked, "blocked: {q}: {:?}", v.matches);
    }
}

#[test]
fn attacks_in_multipart_fields_and_file_names_are_found() {
    let e = default_engine();
    let body = b"--XX\r\nContent-Disposition: form-data; name=\"bio\"\r\n\r\n'; DROP TABLE users; --\r\n--XX--\r\n";
    let v = Req::post("multipart/form-data; boundary=XX", body).run(&e);
    assert!(
        v.matches
            .iter()
            .any(|m| m.field.as_str() == "args.bio" && m.rule_id == 942100)
    );
    let body = b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"shell.php\"\r\n\r\n<?php ?>\r\n--XX--\r\n";
    let v = Req::post("multipart/form-data; boundary=XX", body).run(&e);
    assert!(
        v.matches
            .iter()
            .any(|m| m.field.as_str() == "files.f" && m.rule_id == 932180)
    );
}

#[test]
fn nosql_operators_xxe_and_scanners_are_blocked() {
    let e = default_engine();
    assert!(
        Req::post(
            "application/json",
            br#"{"user":"admin","pass":{"$ne":null}}"#
        )
        .run(&e)
        .blocked
    );
    assert!(Req::get("user[$ne]=x&pass[$ne]=x").run(&e).blocked);
    let xxe =
        br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
    assert!(Req::post("application/xml", xxe).run(&e).blocked);
    let mut r = Req::get("a=1");
    r.headers.insert(
        "user-agent",
        "sqlmap/1.7.2#stable (https://sqlmap.org)".parse().unwrap(),
    );
    let v = r.run(&e);
    assert!(
        v.matches
            .iter()
            .any(|m| m.rule_id == 913100 && m.field.as_str() == "header.user-agent")
    );
}

#[test]
fn php_statements_injected_into_evaluated_code_are_blocked_and_method_calls_are_not() {
    let e = default_engine();
    for q in [
        "q=%27%3Bexit(md5(%27x%27))%3B%2F%2F",
        "q=a%3Bdie(phpinfo())%3B%23",
        "q=%22.system(%27id%27)%3B%2F%2F",
        "q=data%3A%3Bbase64%2CPD9waHAgcGhwaW5mbygpOyA%2FPg%3D%3D",
    ] {
        let v = Req::get(q).run(&e);
        assert!(
            v.matches.iter().any(|m| m.category == Category::Php),
            "not read as PHP: {q} {:?}",
            v.matches
        );
    }
    for q in [
        "q=System.exit(0)%3B%20%2F%2F%20quit%20the%20JVM",
        "q=x%20%3D%201%3B%20print(x)%20%23%20shows%201",
        "q=data%3Aimage%2Fpng%3Bbase64%2CiVBORw0KGgo%3D",
    ] {
        let v = Req::get(q).run(&e);
        assert_eq!(v.score, 0, "{q}: {:?}", v.matches);
    }
}

#[test]
fn json_schema_keywords_are_not_nosql_operators() {
    let v = Req::post(
        "application/json",
        br##"{"$schema":"http://json-schema.org/draft-07/schema#","$ref":"#/a","$id":"x"}"##,
    )
    .run(&default_engine());
    assert_eq!(v.score, 0, "{:?}", v.matches);
}

#[test]
fn detect_mode_scores_but_does_not_block() {
    let e = engine("mode: detect");
    let v = Req::get("q=%27%20or%201%3D1--").run(&e);
    assert!(v.score >= 5);
    assert!(!v.blocked);
    assert_eq!(v.mode, Mode::Detect);
}

#[test]
fn off_mode_inspects_nothing() {
    let e = default_engine();
    let p = e
        .route_policy(&serde_yaml_ng::from_str("mode: off").unwrap())
        .unwrap();
    let r = Req::get("q=%27%20or%201%3D1--");
    let v = e.inspect(&r.view(), &p);
    assert_eq!((v.score, v.blocked, v.matches.len()), (0, false, 0));
}

#[test]
fn a_field_exclusion_silences_the_rule_only_on_that_field() {
    let e = default_engine();
    let p = e
        .route_policy(
            &serde_yaml_ng::from_str("{ exclude: [{ rule: 942100, field: args.q }] }").unwrap(),
        )
        .unwrap();
    let r = Req::get("q=%27%20or%201%3D1--&other=%27%20or%201%3D1--");
    let v = e.inspect(&r.view(), &p);
    assert!(
        !v.matches
            .iter()
            .any(|m| m.rule_id == 942100 && m.field.as_str() == "args.q")
    );
    assert!(
        v.matches
            .iter()
            .any(|m| m.rule_id == 942100 && m.field.as_str() == "args.other")
    );
    assert!(v.blocked);
}

#[test]
fn a_route_exclusion_silences_the_rule_range_everywhere() {
    let e = default_engine();
    let p = e
        .route_policy(&serde_yaml_ng::from_str("{ exclude: [{ rule: 942000-942999 }] }").unwrap())
        .unwrap();
    let v = e.inspect(
        &Req::get("q=%27%20or%201%3D1--&x=1%20union%20select%201").view(),
        &p,
    );
    assert_eq!(v.score, 0, "{:?}", v.matches);
}

#[test]
fn exclusions_naming_unknown_rules_are_rejected() {
    let e = default_engine();
    let err = e
        .route_policy(&serde_yaml_ng::from_str("{ exclude: [{ rule: 123 }] }").unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("123"));
}

#[test]
fn route_threshold_and_paranoia_override_the_global_ones() {
    let e = default_engine();
    let r = Req::get("q=%3Cimg%20src%3Dcat.png%3E");
    assert_eq!(r.run(&e).score, 0);
    let p2 = e
        .route_policy(&serde_yaml_ng::from_str("{ paranoia: 2, threshold: 3 }").unwrap())
        .unwrap();
    let v = e.inspect(&r.view(), &p2);
    assert!(v.matches.iter().any(|m| m.rule_id == 941230));
    assert!(v.blocked);
}

#[test]
fn custom_rules_score_block_and_match_ips() {
    let e = engine(
        r#"
custom_rules:
  - id: 100001
    fields: [header.x-debug]
    transformations: [lowercase, trim]
    operator: { equals: "on" }
    score: 2
  - id: 100002
    field: args.token
    operator: { regex: "^[A-Z]{3}-\\d+$" }
    negate: true
    action: block
  - id: 100003
    field: remote_addr
    operator: { ip_match: ["198.18.0.0/15", "::1"] }
    action: block
"#,
    );
    let mut r = Req::get("token=ABC-1");
    r.headers.insert("x-debug", " ON ".parse().unwrap());
    let v = r.run(&e);
    assert_eq!(v.score, 2);
    assert!(!v.blocked);
    assert!(
        v.matches
            .iter()
            .any(|m| m.rule_id == 100001 && m.field.as_str() == "header.x-debug")
    );
    assert!(Req::get("token=nope").run(&e).blocked);
    let mut r = Req::get("token=ABC-1");
    r.ip = Some("198.19.1.2".parse().unwrap());
    assert!(r.run(&e).blocked);
    r.ip = Some("203.0.113.1".parse().unwrap());
    assert!(!r.run(&e).blocked);
}

#[test]
fn bad_custom_rules_fail_to_compile_with_their_id() {
    for yaml in [
        "custom_rules: [{ id: 100009, field: args, operator: { regex: '(unclosed' } }]",
        "custom_rules: [{ id: 100009, field: remote_addr, operator: { ip_match: [not-an-ip] } }]",
        "custom_rules: [{ id: 942100, field: args, operator: { contains: x } }]",
    ] {
        let cfg: WafConfig = serde_yaml_ng::from_str(yaml).unwrap();
        let err = Engine::compile(&cfg)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("100009") || err.contains("942100"),
            "{yaml}: {err}"
        );
    }
}

#[test]
fn oversized_bodies_are_blocked_under_the_block_policy() {
    let e = engine("{ inspect_body: 16, oversize: block }");
    let v = Req::post("text/plain", b"a perfectly harmless but long body").run(&e);
    assert!(v.blocked);
    assert!(v.matches.iter().any(|m| m.rule_id == 920400));
}

#[test]
fn oversized_bodies_have_their_prefix_inspected_under_inspect_prefix() {
    let e = engine("{ inspect_body: 40, oversize: inspect_prefix }");
    let mut attack_first = b"{\"q\": \"' or 1=1--\", \"pad\": \"".to_vec();
    attack_first.extend(std::iter::repeat_n(b'x', 200));
    attack_first.extend(b"\"}");
    assert!(Req::post("application/json", &attack_first).run(&e).blocked);
    let mut attack_late = b"{\"pad\": \"".to_vec();
    attack_late.extend(std::iter::repeat_n(b'x', 200));
    attack_late.extend(b"\", \"q\": \"' or 1=1--\"}");
    assert!(!Req::post("application/json", &attack_late).run(&e).blocked);
}

#[test]
fn a_json_body_that_does_not_parse_is_scanned_by_default_and_refused_under_reject() {
    let broken = br#"{"name": "Ann", "note": "fine"#;
    let lenient = Req::post("application/json", broken).run(&default_engine());
    assert!(!lenient.blocked, "{:?}", lenient.matches);
    assert!(lenient.matches.is_empty(), "{:?}", lenient.matches);

    let e = engine("{ invalid_body: reject }");
    let v = Req::post("application/json", broken).run(&e);
    assert!(v.blocked && v.invalid_body, "{v:?}");
    assert_eq!(v.score, 0, "rule 200002 refuses, it does not score");
    assert!(
        v.matches
            .iter()
            .any(|m| m.rule_id == 200002 && m.field.as_str() == "body")
    );
    // Valid JSON, an empty body and JSON under another media type are not its business.
    let ok = Req::post("application/json", br#"{"name": "Ann"}"#).run(&e);
    assert!(!ok.blocked && ok.matches.is_empty(), "{ok:?}");
    assert!(!Req::post("application/json", b" \r\n").run(&e).blocked);
    assert!(!Req::post("text/plain", broken).run(&e).blocked);
}

#[test]
fn an_attack_in_a_broken_json_body_is_still_an_attack() {
    let e = engine("{ invalid_body: reject }");
    let v = Req::post("application/json", br#"{"q": "' or 1=1--", "x": tru"#).run(&e);
    assert!(v.blocked, "{v:?}");
    assert!(!v.invalid_body, "answered 403 as an attack, not 400: {v:?}");
    assert!(v.matches.iter().any(|m| m.category == Category::Sqli));
}

#[test]
fn a_body_cut_at_the_inspection_size_is_never_called_invalid() {
    let e = engine("{ invalid_body: reject, inspect_body: 24, oversize: inspect_prefix }");
    // Longer than the inspection size: its first 24 bytes do not parse.
    let body = br#"{"name": "Ann", "note": "a long and perfectly valid note"}"#;
    let v = Req::post("application/json", body).run(&e);
    assert!(!v.blocked, "{v:?}");
    // The proxy stopped reading at the limit: the engine is told the body is cut.
    let cut = Req::post("application/json", &body[..20]);
    let mut view = cut.view();
    view.body_truncated = true;
    assert!(!e.inspect(&view, &e.default_policy()).blocked);
}

#[test]
fn invalid_body_follows_the_route_and_its_exclusions() {
    let e = engine("{ invalid_body: reject }");
    let broken = Req::post("application/json", b"{'single': 'quotes'}");
    let excluded = e
        .route_policy(&serde_yaml_ng::from_str("{ exclude: [{ rule: 200002 }] }").unwrap())
        .unwrap();
    assert!(!e.inspect(&broken.view(), &excluded).blocked);
    let inspect = e
        .route_policy(&serde_yaml_ng::from_str("{ invalid_body: inspect }").unwrap())
        .unwrap();
    assert!(!e.inspect(&broken.view(), &inspect).blocked);
    let detect = e
        .route_policy(&serde_yaml_ng::from_str("{ mode: detect }").unwrap())
        .unwrap();
    let v = e.inspect(&broken.view(), &detect);
    assert!(!v.blocked && !v.invalid_body);
    assert!(
        v.matches.iter().any(|m| m.rule_id == 200002),
        "detect logs it"
    );
    // A route can ask for it when the global policy does not.
    let lenient = default_engine();
    let strict = lenient
        .route_policy(&serde_yaml_ng::from_str("{ invalid_body: reject }").unwrap())
        .unwrap();
    assert!(lenient.inspect(&broken.view(), &strict).invalid_body);
}

#[test]
fn deeply_nested_json_is_still_inspected() {
    let mut body = String::new();
    for _ in 0..300 {
        body.push_str("{\"a\":");
    }
    body.push_str("\"<script>alert(1)</script>\"");
    for _ in 0..300 {
        body.push('}');
    }
    assert!(
        Req::post("application/json", body.as_bytes())
            .run(&default_engine())
            .blocked
    );
}

#[test]
fn every_copy_of_a_repeated_json_key_is_inspected() {
    // A back end may read either copy; the attack sits in the one a last-wins map drops.
    for body in [
        r#"{"q":"' or 1=1--","q":"benign"}"#,
        r#"{"q":"benign","q":"' or 1=1--"}"#,
    ] {
        let v = Req::post("application/json", body.as_bytes()).run(&default_engine());
        assert!(v.blocked, "{body}");
        assert!(v.matches.iter().any(|m| m.field.as_str() == "json.q"));
    }
}

#[test]
fn operators_in_a_json_body_that_does_not_parse_are_still_keys() {
    // A lenient back end (JSON5, a JavaScript object literal) still reads these.
    for body in [
        r#"{"user": {$nin: [""]}}}"#,
        r#"{'user': {'$ne': null}}"#,
        r#"{"user": {"$gt": ""}"#,
    ] {
        let v = Req::post("application/json", body.as_bytes()).run(&default_engine());
        assert!(v.blocked, "{body}");
        assert!(v.matches.iter().any(|m| m.rule_id == 945100), "{body}");
    }
    // A broken document of ordinary names and values stays clean.
    let v = Req::post(
        "application/json",
        br#"{name: 'Ada', "tags": ["x", "y"], note: "it's fine""#,
    )
    .run(&default_engine());
    assert!(!v.blocked, "{:?}", v.matches);
}

#[test]
fn too_many_fields_is_reported() {
    let e = engine("max_fields: 50");
    let q = "a=1&".repeat(100);
    let v = Req::get(&q).run(&e);
    assert!(v.matches.iter().any(|m| m.rule_id == 920380));
}

#[test]
fn each_rule_scores_once_however_many_fields_it_fires_on() {
    let v = Req::get("a=%27%20or%201%3D1--&b=%27%20or%201%3D1--").run(&default_engine());
    assert_eq!(v.matches.iter().filter(|m| m.rule_id == 942100).count(), 2);
    assert_eq!(
        v.score,
        v.rule_ids()
            .iter()
            .map(|id| v
                .matches
                .iter()
                .find(|m| m.rule_id == *id)
                .map_or(0, |m| m.score))
            .sum::<u32>()
    );
}

#[test]
fn base64_values_are_decoded_when_enabled() {
    let q = "data=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg%3D%3D";
    assert!(!Req::get(q).run(&default_engine()).blocked);
    assert!(Req::get(q).run(&engine("decode_base64: true")).blocked);
}

#[test]
fn traversal_in_the_raw_path_is_blocked() {
    let mut r = Req::get("a=1");
    r.path = "/static/..%2f..%2f..%2fetc%2fpasswd".into();
    assert!(r.run(&default_engine()).blocked);
}

#[test]
fn trace_method_is_blocked() {
    let mut r = Req::get("a=1");
    r.method = "TRACE";
    assert!(r.run(&default_engine()).blocked);
}

#[test]
fn scanner_syntax_error_probes_are_blocked() {
    let e = default_engine();
    for q in ["id=1%BF%27%22%28", "id=1%27%22%28", "id=2%27.)%2C(%22(.("] {
        let v = Req::get(q).run(&e);
        assert!(
            v.blocked && v.matches.iter().any(|m| m.rule_id == 942530),
            "{q}: {:?}",
            v.matches
        );
    }
    let v = Req::get("code=s.replace(%27%22%27%2C%20%22%27%22)").run(&e);
    assert!(!v.blocked, "{:?}", v.matches);
}

#[test]
fn pathological_values_neither_overflow_a_worker_stack_nor_hang() {
    // Every reading that reads a shorter value again must be bounded: each value
    // is about 120 KiB, inspected in a JSON body at paranoia 2 on a thread with
    // tokio's 2 MiB worker stack.
    let e = std::sync::Arc::new(engine("paranoia: 2\ninspect_body: 256KiB\n"));
    let units = [
        "a=",
        "&#38;",
        "#38;",
        "(",
        ")",
        "'",
        "\"",
        "`",
        "\\",
        "%25",
        "%",
        "/*",
        "/*a",
        "*/",
        "<",
        ">",
        "{{",
        "}}",
        "${",
        "[",
        "]",
        "+",
        "-- ",
        "un/**/",
        "\\u0027",
        "\\x27",
        "&amp;",
        "or 1=",
        "<a ",
        "on",
        "=",
        ";",
        "|",
        "..%2f",
        "\u{200b}",
        "','",
        "\\\",\\\"",
        "select(",
        "case when ",
        "<svg ",
        "javascript:",
        "eval(",
        "&#x",
        "%u00",
        "${IFS}",
        "$(",
        "<!--",
        "<![CDATA[",
        "{%",
        "#{",
        "\\x",
        "\u{ff07}",
        "`${",
        "?a=",
        "//",
        "../",
        "%c0%af",
        "&lt;",
        "x=<",
        "<a=",
        "&lt;x=",
        "<style",
        "<a href=",
        "<a style=/*",
        "<a style='\\",
        "<meta content=0;url=",
        "</textarea><a",
        "<title></title ><b",
        "</xmp",
        "<a style='x",
        "<a style=\"behaviour",
        "<a/style=x",
        "<a\"style=x",
        "<p/style=color:red;",
    ];
    for unit in units {
        let value = unit.repeat(120 * 1024 / unit.len());
        let body = serde_json::to_vec(&serde_json::json!({ "q": value })).unwrap();
        let engine = std::sync::Arc::clone(&e);
        let started = std::time::Instant::now();
        let r = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Req::post("application/json", &body).run(&engine).score)
            .unwrap()
            .join();
        assert!(r.is_ok(), "{unit:?} repeated crashed the inspecting thread");
        eprintln!("{unit:?}: {:?}", started.elapsed());
    }
}

#[test]
fn a_page_of_the_site_itself_as_referer_is_no_url_to_an_internal_host() {
    let e = default_engine();
    let with = |host: &str, referer: &str| {
        let mut r = Req::get("id=1");
        r.headers.insert("host", host.parse().unwrap());
        r.headers.insert("referer", referer.parse().unwrap());
        r.run(&e)
    };
    // A site served from 127.0.0.1:8080: following its own links.
    let own = with("127.0.0.1:8080", "http://127.0.0.1:8080/n/x?id=1");
    assert!(!own.blocked && own.score == 0, "{:?}", own.matches);
    // An attack in the page's query is still read.
    assert!(
        with(
            "127.0.0.1:8080",
            "http://127.0.0.1:8080/n/x?id=1'+or+'1'='1"
        )
        .blocked
    );
    // A Referer naming another loopback service is still a URL to it.
    assert!(with("shop.example", "http://127.0.0.1:6379/").score > 0);
}

#[test]
fn a_referer_from_another_origin_adds_no_score_at_paranoia_2() {
    // A single-page app on app.example calling api.example: every request names
    // the app's page. As a value, a URL is worth a warning at paranoia 2 (931160).
    let e = engine("paranoia: 2\n");
    let mut r = Req::get("page=2");
    r.headers.insert("host", "api.example".parse().unwrap());
    r.headers.insert(
        "referer",
        "https://app.example/orders?page=2".parse().unwrap(),
    );
    let v = r.run(&e);
    assert_eq!(v.score, 0, "{:?}", v.matches);
    let v = Req::get("next=https://app.example/orders").run(&e);
    assert!(
        v.matches.iter().any(|m| m.rule_id == 931160),
        "{:?}",
        v.matches
    );
}

/// A request carrying `value` in its path (as a segment) and in its User-Agent
/// and Referer headers, or `None` when the value cannot be a header.
fn in_request_metadata(value: &str) -> Option<Req> {
    let header = http::HeaderValue::from_str(value).ok()?;
    let mut r = Req::get("a=1");
    r.path = format!("/api/{}", value.replace(['/', '?', '#', ' '], "%20"));
    r.headers.insert("user-agent", header.clone());
    r.headers.insert("referer", header);
    Some(r)
}

#[test]
fn method_path_and_header_values_seen_before_get_the_answer_they_got_first() {
    // Each value twice at each level, alternating levels, on an engine that
    // remembers values and on one that does not: the verdicts must not differ.
    let remembers = engine("{ seen_values: 100000 }");
    let forgets = engine("{ seen_values: 0 }");
    let levels: Vec<_> = [1u8, 2]
        .iter()
        .map(|&paranoia| {
            let yaml = format!("{{ paranoia: {paranoia} }}");
            let cfg = serde_yaml_ng::from_str(&yaml).expect("policy parses");
            (
                remembers.route_policy(&cfg).expect("policy compiles"),
                forgets.route_policy(&cfg).expect("policy compiles"),
            )
        })
        .collect();
    let requests: Vec<Req> = corpus_lines(&["waf", "waf-public/dev"])
        .iter()
        .filter(|l| l.len() <= 400)
        .filter_map(|l| in_request_metadata(l))
        .collect();
    assert!(requests.len() > 3_000, "{} requests", requests.len());
    let mut blocked = 0;
    for r in &requests {
        for _ in 0..2 {
            for (mine, theirs) in &levels {
                let v = remembers.inspect(&r.view(), mine);
                assert_eq!(v, forgets.inspect(&r.view(), theirs), "{:?}", r.path);
                blocked += usize::from(v.blocked);
            }
        }
    }
    // The values were remembered, and the comparison was not made on passes only.
    assert!(remembers.seen.len() > 3_000, "{}", remembers.seen.len());
    assert_eq!(forgets.seen.len(), 0);
    assert!(blocked > 2_000, "{blocked}");
}

#[test]
fn a_remembered_header_value_is_still_excluded_and_checked_by_custom_rules() {
    let e = engine(
        r#"
custom_rules:
  - { id: 100001, field: header.user-agent, operator: { contains: curl }, score: 5 }
"#,
    );
    let mut r = Req::get("a=1");
    r.headers.insert(
        "user-agent",
        http::HeaderValue::from_static("curl/8 1' or '1'='1"),
    );
    let all = e.default_policy();
    let excluded = e
        .route_policy(
            &serde_yaml_ng::from_str(
                "{ exclude: [{ rule: 942000-942999, field: header.user-agent }] }",
            )
            .expect("policy parses"),
        )
        .expect("policy compiles");
    let sql = |v: &Verdict| v.matches.iter().any(|m| m.rule_id / 1000 == 942);
    let custom = |v: &Verdict| v.matches.iter().any(|m| m.rule_id == 100001);
    let first = e.inspect(&r.view(), &all);
    assert!(sql(&first) && custom(&first), "{:?}", first.matches);
    let again = e.inspect(&r.view(), &excluded);
    assert!(!sql(&again) && custom(&again), "{:?}", again.matches);
    assert_eq!(e.inspect(&r.view(), &all), first);
}

#[test]
fn a_worker_remembers_at_most_seen_values_values() {
    let e = engine("{ seen_values: 10 }");
    for n in 0..50 {
        let mut r = Req::get("a=1");
        let ua = format!("Mozilla/5.0 (client {n})");
        r.headers.insert(
            "user-agent",
            http::HeaderValue::from_str(&ua).expect("header"),
        );
        assert!(!r.run(&e).blocked);
        assert!((1..=10).contains(&e.seen.len()), "{}", e.seen.len());
    }
    // A value longer than a remembered one may be is inspected every time.
    let e = default_engine();
    let mut r = Req::get("a=1");
    r.path = "/".into();
    let long = format!("Mozilla/5.0 ({})", "x".repeat(600));
    r.headers.insert(
        "user-agent",
        http::HeaderValue::from_str(&long).expect("header"),
    );
    r.run(&e);
    assert_eq!(e.seen.len(), 2, "only the method and the path");
}

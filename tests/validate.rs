//! Request validation through the public API (`gateway::validate::Validator`) with
//! real schema files, and `gateway check` refusing bad schemas through the real
//! binary. The example schemas under `examples/schemas/` are the fixtures.
use std::{
    path::{Path, PathBuf},
    process::Command,
};

use gateway::validate::{ValidateConfig, Validator};
use http::{Request, StatusCode, request::Parts};
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn config(yaml: &str) -> ValidateConfig {
    serde_yaml_ng::from_str(yaml).expect("validate config parses")
}

/// A validator over the shipped example schemas.
fn search(extra: &str) -> Validator {
    let yaml = format!(
        "{{ body_schema: schemas/search.json, query_schema: schemas/search-query.json{extra} }}"
    );
    Validator::build(&config(&yaml), &examples()).expect("example schemas compile")
}

fn head(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).expect("request").into_parts().0
}

/// Runs the body check and returns the refusal (panics if the body passes).
fn refused(v: &Validator, body: &str) -> (StatusCode, Value) {
    let r = v
        .check_body(Some("application/json"), body.as_bytes())
        .expect_err("body should be refused");
    (r.status, r.body)
}

fn first_error(body: &Value) -> (String, String) {
    let e = &body["errors"][0];
    (
        e["path"].as_str().unwrap_or_default().to_string(),
        e["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn a_body_matching_the_schema_passes() {
    let v = search("");
    let body = r#"{"query":"red shoes","filters":[{"field":"color","value":"red"}],"page":{"size":10},"sort":"newest"}"#;
    assert_eq!(
        v.check_body(Some("application/json"), body.as_bytes()),
        Ok(())
    );
}

#[test]
fn a_missing_required_property_is_a_400_naming_it() {
    let (status, body) = refused(&search(""), r#"{"sort":"newest"}"#);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    assert!(body.get("request_id").is_some());
    let (path, message) = first_error(&body);
    assert_eq!(path, "");
    assert!(message.contains("query"), "{message}");
    assert!(message.contains("required"), "{message}");
}

#[test]
fn a_wrong_type_is_reported_at_its_json_pointer() {
    let (_, body) = refused(&search(""), r#"{"query":"x","page":{"size":"ten"}}"#);
    let (path, message) = first_error(&body);
    assert_eq!(path, "/page/size");
    assert!(message.contains("integer"), "{message}");
}

#[test]
fn a_value_outside_the_enum_is_refused() {
    let (_, body) = refused(&search(""), r#"{"query":"x","sort":"cheapest"}"#);
    assert_eq!(first_error(&body).0, "/sort");
}

#[test]
fn a_pattern_mismatch_inside_a_referenced_file_is_located() {
    let (_, body) = refused(
        &search(""),
        r#"{"query":"x","filters":[{"field":"color","value":"red"},{"field":"Bad Field!","value":1}]}"#,
    );
    let (path, message) = first_error(&body);
    assert_eq!(path, "/filters/1/field");
    assert!(message.contains("match"), "{message}");
}

#[test]
fn additional_properties_false_is_honoured_at_every_level() {
    let (_, body) = refused(&search(""), r#"{"query":"x","admin":true}"#);
    assert!(first_error(&body).1.contains("admin") || first_error(&body).1.contains("Additional"));
    let (_, body) = refused(
        &search(""),
        r#"{"query":"x","filters":[{"field":"a","value":1,"$where":"1"}]}"#,
    );
    assert_eq!(first_error(&body).0, "/filters/0");
}

#[test]
fn error_messages_do_not_echo_the_request_values() {
    let payload = "<script>alert(1)</script>";
    let (_, body) = refused(
        &search(""),
        &format!(r#"{{"query":"x","sort":"{payload}"}}"#),
    );
    assert!(!body.to_string().contains("<script>"), "{body}");
}

#[test]
fn brief_errors_list_the_first_of_several_and_the_count() {
    let (_, body) = refused(&search(""), r#"{"sort":1,"page":{"size":0},"extra":1}"#);
    assert!(body["error_count"].as_u64().unwrap_or(0) >= 3, "{body}");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1));
}

#[test]
fn detailed_errors_list_them_all_up_to_twenty() {
    let v = search(", errors: detailed");
    let (_, body) = refused(&v, r#"{"sort":1,"page":{"size":0},"extra":1}"#);
    let n = body["error_count"].as_u64().unwrap_or(0);
    assert!(n >= 3);
    assert_eq!(body["errors"].as_array().map(|a| a.len() as u64), Some(n));
    let many: Vec<String> = (0..30)
        .map(|i| format!(r#"{{"field":"F{i}","value":1}}"#))
        .collect();
    let (_, body) = refused(
        &config_validator(
            "{ body_schema: schemas/search.json, errors: detailed }",
            &examples(),
        ),
        &format!(r#"{{"query":"x","filters":[{}]}}"#, many[..20].join(",")),
    );
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(20), "{body}");
    assert!(body["error_count"].as_u64().unwrap_or(0) >= 20);
}

fn config_validator(yaml: &str, dir: &Path) -> Validator {
    Validator::build(&config(yaml), dir).expect("validator builds")
}

#[test]
fn invalid_json_is_a_400() {
    let (status, body) = refused(&search(""), r#"{"query": "x",}"#);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not valid JSON")
    );
}

#[test]
fn an_empty_body_is_a_400_when_a_schema_is_set() {
    let (status, body) = refused(&search(""), "");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("empty")
    );
}

#[test]
fn a_body_over_max_json_bytes_is_a_413() {
    let v = search(", max_json_bytes: 64");
    assert_eq!(v.body_limit(), 64);
    let big = format!(r#"{{"query":"{}"}}"#, "a".repeat(100));
    let (status, body) = refused(&v, &big);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(v.too_large().status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn a_hundred_thousand_open_brackets_are_refused_without_overflowing_a_small_stack() {
    let v = search("");
    // 64 KiB of stack: a recursive parser or validator would overflow long before
    // 100,000 levels; the streaming check refuses at level 33.
    let outcome = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let body = "[".repeat(100_000);
            v.check_body(Some("application/json"), body.as_bytes())
                .map_err(|r| (r.status, r.body))
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    let (status, body) = outcome.expect_err("refused");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deeper than 32")
    );
}

#[test]
fn nesting_within_max_json_depth_reaches_the_schema() {
    let v = search(", max_json_depth: 3");
    // depth 3: object → page object … fine; depth 4 refused before parsing.
    assert_eq!(
        v.check_body(
            Some("application/json"),
            br#"{"query":"x","filters":[{"field":"a","value":1}]}"#
        ),
        Ok(())
    );
    let (_, body) = refused(
        &v,
        r#"{"query":"x","filters":[{"field":"a","value":[[1]]}]}"#,
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("deeper than 3")
    );
}

#[test]
fn a_wrong_content_type_is_a_415_listing_the_allowed_types() {
    let v = search(", content_types: [application/json]");
    let h = head(
        "POST",
        "/s?q=x",
        &[("content-type", "text/plain"), ("content-length", "2")],
    );
    let r = v.check_head(&h).expect_err("415");
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.body["error"], "unsupported_media_type");
    assert_eq!(r.body["allowed"], serde_json::json!(["application/json"]));
}

#[test]
fn a_body_without_content_type_is_a_415() {
    let v = search("");
    let h = head("POST", "/s?q=x", &[("content-length", "2")]);
    assert_eq!(
        v.check_head(&h).map_err(|r| r.status),
        Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    );
}

#[test]
fn a_charset_parameter_and_plus_json_types_are_accepted() {
    let v = search("");
    for ct in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
    ] {
        let h = head(
            "POST",
            "/s?q=x",
            &[("content-type", ct), ("transfer-encoding", "chunked")],
        );
        assert_eq!(v.check_head(&h), Ok(()), "{ct}");
    }
}

#[test]
fn a_request_without_a_body_needs_no_content_type() {
    let v = search("");
    let h = head("GET", "/s?q=x", &[]);
    assert_eq!(v.check_head(&h), Ok(()));
    assert!(!v.inspects_body(&h));
    assert!(v.inspects_body(&head("POST", "/s?q=x", &[])));
}

#[test]
fn query_values_are_coerced_to_the_schema_types_before_validation() {
    let v = search("");
    assert_eq!(
        v.check_head(&head(
            "GET",
            "/s?q=shoes&limit=10&exact=true&tag=red&tag=new",
            &[]
        )),
        Ok(())
    );
    assert_eq!(
        v.check_head(&head("GET", "/s?q=a+b%21&tag=one", &[])),
        Ok(())
    );
}

#[test]
fn query_values_that_are_not_the_declared_type_are_a_400_located_in_the_query() {
    let v = search(", errors: detailed");
    let r = v
        .check_head(&head("GET", "/s?q=x&limit=ten&exact=maybe&tag=BAD!", &[]))
        .expect_err("refused");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let paths: Vec<&str> = r.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["in"] == "query")
        .filter_map(|e| e["path"].as_str())
        .collect();
    for p in ["/limit", "/exact", "/tag/0"] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
}

#[test]
fn query_schema_bounds_required_and_additional_properties_apply() {
    let v = search("");
    for bad in [
        "/s",
        "/s?q=x&limit=1000",
        "/s?q=x&debug=1",
        "/s?q=x&limit=1&limit=2",
    ] {
        let r = v.check_head(&head("GET", bad, &[])).expect_err(bad);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

/// Builds a body validator for `schema` written to a temporary file.
fn with_schema(schema: &str) -> Validator {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.json", schema);
    config_validator("{ body_schema: s.json }", dir.path())
}

fn passes(v: &Validator, body: &str) -> bool {
    v.check_body(Some("application/json"), body.as_bytes())
        .is_ok()
}

#[test]
fn draft_4_is_detected_from_dollar_schema() {
    // Draft 4: exclusiveMinimum is a boolean modifying minimum.
    let v = with_schema(
        r#"{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"n":{"minimum":5,"exclusiveMinimum":true}}}"#,
    );
    assert!(!passes(&v, r#"{"n":5}"#));
    assert!(passes(&v, r#"{"n":6}"#));
}

#[test]
fn draft_6_is_detected_from_dollar_schema() {
    // Draft 6: exclusiveMinimum is a number; `const` exists.
    let v = with_schema(
        r#"{"$schema":"http://json-schema.org/draft-06/schema#","properties":{"n":{"exclusiveMinimum":5},"k":{"const":"x"}}}"#,
    );
    assert!(!passes(&v, r#"{"n":5}"#));
    assert!(!passes(&v, r#"{"k":"y"}"#));
    assert!(passes(&v, r#"{"n":6,"k":"x"}"#));
}

#[test]
fn draft_7_is_detected_from_dollar_schema() {
    // Draft 7: if/then/else.
    let v = with_schema(
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","if":{"properties":{"kind":{"const":"card"}}},"then":{"required":["number"]}}"#,
    );
    assert!(!passes(&v, r#"{"kind":"card"}"#));
    assert!(passes(&v, r#"{"kind":"cash"}"#));
}

#[test]
fn draft_2019_09_is_detected_from_dollar_schema() {
    // 2019-09: dependentRequired.
    let v = with_schema(
        r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{"card":["cvv"]}}"#,
    );
    assert!(!passes(&v, r#"{"card":"1"}"#));
    assert!(passes(&v, r#"{"card":"1","cvv":"2"}"#));
}

#[test]
fn draft_2020_12_is_detected_from_dollar_schema() {
    // 2020-12: prefixItems (ignored by earlier drafts).
    let v = with_schema(
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"integer"}]}"#,
    );
    assert!(!passes(&v, r#"["x"]"#));
    assert!(passes(&v, r#"[1,"x"]"#));
    let old = with_schema(
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","prefixItems":[{"type":"integer"}]}"#,
    );
    assert!(passes(&old, r#"["x"]"#));
}

#[test]
fn a_ref_to_a_missing_file_fails_to_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "s.json",
        r#"{"properties":{"a":{"$ref":"nope.json"}}}"#,
    );
    let err =
        Validator::build(&config("{ body_schema: s.json }"), dir.path()).expect_err("refused");
    assert!(err.to_string().contains("nope.json"), "{err}");
}

// ---- `gateway check` through the real binary ----

const BASE: &str = "listeners:\n  - { name: l, bind: 127.0.0.1:0 }\nupstreams:\n  users: { targets: [127.0.0.1:9] }\nroutes:\n  - name: r\n    upstream: users\n    validate:\n      content_types: [application/json]\n      body_schema: s.json\n";

/// Runs `gateway check` on BASE with `schema` as s.json; returns (exit code, stderr+stdout).
fn check(files: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, contents) in files {
        write(dir.path(), name, contents);
    }
    let cfg = write(dir.path(), "gateway.yaml", BASE);
    let out = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .arg("check")
        .arg("--config")
        .arg(&cfg)
        .output()
        .expect("run gateway check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    (out.status.code(), text)
}

#[test]
fn gateway_check_accepts_a_route_with_valid_schemas() {
    let (code, text) = check(&[("s.json", r#"{"type":"object"}"#)]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn gateway_check_names_the_body_schema_line_for_a_schema_that_is_not_json() {
    let (code, text) = check(&[("s.json", r#"{"type": "object",}"#)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("gateway.yaml:10:"), "{text}");
    assert!(text.contains("not valid JSON"), "{text}");
}

#[test]
fn gateway_check_names_the_body_schema_line_for_an_invalid_schema() {
    let (code, text) = check(&[("s.json", r#"{"type": "objekt"}"#)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("gateway.yaml:10:"), "{text}");
    assert!(text.contains("does not compile"), "{text}");
}

#[test]
fn gateway_check_names_the_body_schema_line_for_a_missing_ref_file() {
    let (code, text) = check(&[(
        "s.json",
        r#"{"properties":{"a":{"$ref":"defs/missing.json"}}}"#,
    )]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("gateway.yaml:10:"), "{text}");
    assert!(text.contains("missing.json"), "{text}");
}

#[test]
fn gateway_check_names_the_body_schema_line_for_a_missing_schema_file() {
    let (code, text) = check(&[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("gateway.yaml:10:"), "{text}");
    assert!(text.contains("cannot read the schema"), "{text}");
}

#[test]
fn a_compressed_body_under_a_schema_is_a_415_not_invalid_json() {
    let v = search("");
    let h = head(
        "POST",
        "/s?q=x",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
            ("content-length", "20"),
        ],
    );
    let r = v.check_head(&h).expect_err("415");
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("gzip")
    );
}

#[test]
fn gateway_check_names_the_query_schema_line_for_a_bad_query_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "q.json",
        r#"{"properties":{"limit":{"minimum":"one"}}}"#,
    );
    let cfg = write(
        dir.path(),
        "gateway.yaml",
        "listeners:\n  - { name: l, bind: 127.0.0.1:0 }\nupstreams:\n  users: { targets: [127.0.0.1:9] }\nroutes:\n  - name: r\n    upstream: users\n    validate: { query_schema: q.json }\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .expect("run gateway check");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("gateway.yaml:8:"), "{text}");
    assert!(text.contains("/properties/limit/minimum"), "{text}");
}

#[test]
fn duplicate_object_keys_are_refused_so_the_upstream_cannot_read_another_value() {
    let (status, body) = refused(
        &search(""),
        r#"{"query":"x","sort":"newest","sort":"evil"}"#,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("duplicate"),
        "{body}"
    );
}

#[test]
fn formats_are_checked_even_in_drafts_that_make_them_annotations() {
    let v = with_schema(
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"id":{"format":"uuid"},"at":{"format":"date-time"}}}"#,
    );
    assert!(passes(
        &v,
        r#"{"id":"2f1b8f4e-3c1a-4b8e-9a55-0d9e8c7b6a51","at":"2026-11-23T10:00:00Z"}"#
    ));
    assert!(!passes(&v, r#"{"id":"not-a-uuid"}"#));
    assert!(!passes(&v, r#"{"at":"yesterday"}"#));
}

#[test]
fn gateway_check_warns_when_max_json_bytes_exceeds_max_body() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.json", r#"{"type":"object"}"#);
    let cfg = write(
        dir.path(),
        "gateway.yaml",
        "listeners:\n  - { name: l, bind: 127.0.0.1:0 }\nupstreams:\n  users: { targets: [127.0.0.1:9] }\nroutes:\n  - name: r\n    upstream: users\n    validate: { body_schema: s.json, max_json_bytes: 20MiB }\nlimits: { max_body: 1MiB }\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .expect("run gateway check");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("gateway.yaml:8:"), "{text}");
    assert!(text.contains("above limits.max_body"), "{text}");
}

#[test]
fn a_huge_array_of_wrong_items_counts_errors_up_to_a_cap() {
    let v = with_schema(r#"{"type":"array","items":{"type":"string"}}"#);
    let body = format!("[{}1]", "1,".repeat(50_000));
    let r = v
        .check_body(Some("application/json"), body.as_bytes())
        .expect_err("refused");
    assert_eq!(r.body["error_count"], gateway::validate::MAX_COUNTED_ERRORS);
    assert_eq!(r.body["error_count_capped"], true);
    assert_eq!(r.body["errors"][0]["path"], "/0");
}

/// A signup form schema: typed fields, nothing else allowed.
const SIGNUP: &str = r#"{"type":"object","required":["email","age"],"additionalProperties":false,
  "properties":{"email":{"type":"string","format":"email"},"age":{"type":"integer","minimum":13},
  "newsletter":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}}}}"#;

fn form_validator() -> Validator {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "signup.json", SIGNUP);
    config_validator(
        "{ body_schema: signup.json, content_types: [application/json, application/x-www-form-urlencoded] }",
        dir.path(),
    )
}

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

#[test]
fn an_urlencoded_form_is_validated_with_its_values_coerced_to_the_schema_types() {
    let v = form_validator();
    let ok = "email=pat%40example.com&age=42&newsletter=true&tags=a&tags=b+c";
    assert_eq!(v.check_body(Some(FORM), ok.as_bytes()), Ok(()));
    // The same schema still validates JSON bodies on the same route.
    assert_eq!(
        v.check_body(Some("application/json"), br#"{"email":"a@b.co","age":20}"#),
        Ok(())
    );
}

#[test]
fn a_form_breaking_the_schema_is_a_400_located_in_the_body() {
    let v = form_validator();
    for (body, path) in [
        ("email=pat%40example.com&age=ten", "/age"),
        ("email=pat%40example.com&age=12", "/age"),
        ("email=pat%40example.com&age=20&age=21", "/age"),
        ("email=not-an-email&age=20", "/email"),
        ("email=pat%40example.com&age=20&admin=1", ""),
        ("", ""),
    ] {
        let r = v.check_body(Some(FORM), body.as_bytes()).expect_err(body);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["errors"][0]["in"], "body", "{body}");
        assert_eq!(first_error(&r.body).0, path, "{body}: {}", r.body);
    }
}

#[test]
fn a_form_that_is_not_utf8_is_a_400() {
    let r = form_validator()
        .check_body(Some(FORM), b"email=\xff\xfe&age=20")
        .expect_err("not UTF-8");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("urlencoded form")),
        "{}",
        r.body
    );
}

#[test]
fn a_body_schema_accepts_json_and_form_content_types_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "signup.json", SIGNUP);
    let cfg = config("{ body_schema: signup.json, content_types: [multipart/form-data] }");
    let err = Validator::build(&cfg, dir.path()).expect_err("multipart is refused");
    assert!(
        err.to_string()
            .contains("application/x-www-form-urlencoded"),
        "{err}"
    );
}

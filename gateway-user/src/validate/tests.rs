//! Unit tests of `Validator::build` (config errors and their keys) and of the
//! body/head checks that need no schema file.
use http::{Request, StatusCode};

use super::*;
use crate::config::ByteSize;

fn cfg() -> ValidateConfig {
    ValidateConfig {
        body_schema: None,
        query_schema: None,
        content_types: None,
        max_json_depth: DEFAULT_MAX_DEPTH,
        max_json_bytes: None,
        errors: Verbosity::Brief,
    }
}

fn key_of(c: &ValidateConfig) -> Option<Key> {
    Validator::build_keyed(c, Path::new("."))
        .err()
        .map(|(k, _)| k)
}

#[test]
fn max_json_depth_outside_1_to_128_is_refused() {
    for depth in [0, MAX_DEPTH_LIMIT + 1] {
        let c = ValidateConfig {
            max_json_depth: depth,
            ..cfg()
        };
        assert_eq!(key_of(&c), Some(Key::MaxJsonDepth));
    }
}

#[test]
fn max_json_bytes_zero_is_refused() {
    let c = ValidateConfig {
        max_json_bytes: Some(ByteSize(0)),
        ..cfg()
    };
    assert_eq!(key_of(&c), Some(Key::MaxJsonBytes));
}

#[test]
fn a_malformed_content_type_is_refused_at_its_index() {
    let c = ValidateConfig {
        content_types: Some(vec!["application/json".into(), "json".into()]),
        ..cfg()
    };
    assert_eq!(key_of(&c), Some(Key::ContentTypes(1)));
}

#[test]
fn a_body_schema_with_a_non_json_content_type_is_refused() {
    let c = ValidateConfig {
        body_schema: Some("unused.json".into()),
        content_types: Some(vec!["text/plain".into()]),
        ..cfg()
    };
    assert_eq!(key_of(&c), Some(Key::ContentTypes(0)));
}

#[test]
fn a_missing_schema_file_is_a_body_schema_error() {
    let c = ValidateConfig {
        body_schema: Some("/nonexistent/schema.json".into()),
        ..cfg()
    };
    assert_eq!(key_of(&c), Some(Key::BodySchema));
}

#[test]
fn without_a_schema_json_bodies_still_get_the_size_and_depth_limits() {
    let v = Validator::build(
        &ValidateConfig {
            max_json_depth: 2,
            max_json_bytes: Some(ByteSize(16)),
            ..cfg()
        },
        Path::new("."),
    )
    .expect("builds");
    assert_eq!(v.check_body(Some("application/json"), b"[[1]]"), Ok(()));
    let deep = v.check_body(Some("application/json"), b"[[[1]]]");
    assert_eq!(deep.map_err(|r| r.status), Err(StatusCode::BAD_REQUEST));
    let big = v.check_body(Some("application/json"), &[b' '; 17]);
    assert_eq!(
        big.map_err(|r| r.status),
        Err(StatusCode::PAYLOAD_TOO_LARGE)
    );
    // Not JSON and no schema: not this stage's business.
    assert_eq!(v.check_body(Some("text/plain"), b"[[[[[[[["), Ok(()));
}

#[test]
fn content_types_without_a_schema_are_still_enforced() {
    let v = Validator::build(
        &ValidateConfig {
            content_types: Some(vec!["text/*".into()]),
            ..cfg()
        },
        Path::new("."),
    )
    .expect("builds");
    let head = |ct: &str| {
        Request::post("/")
            .header("content-type", ct)
            .header("content-length", "3")
            .body(())
            .map(|r| r.into_parts().0)
            .expect("request")
    };
    assert_eq!(v.check_head(&head("text/csv")), Ok(()));
    // Non-JSON bodies are not buffered by validation at all (uploads stream).
    assert!(!v.inspects_body(&head("text/csv")));
    assert!(v.inspects_body(&head("application/json")));
    assert_eq!(
        v.check_head(&head("application/json"))
            .map_err(|r| r.status),
        Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    );
}

#[test]
fn an_empty_validate_block_accepts_everything() {
    let v = Validator::build(&cfg(), Path::new(".")).expect("builds");
    let head = Request::post("/?a=1")
        .header("content-type", "application/octet-stream")
        .header("content-length", "3")
        .body(())
        .map(|r| r.into_parts().0)
        .expect("request");
    assert_eq!(v.check_head(&head), Ok(()));
    assert!(!v.inspects_body(&head));
}

#[test]
fn a_body_the_server_saw_without_content_length_is_inspected_and_typed() {
    // An h2 GET whose body has no Content-Length: only the server's marker tells.
    let v = Validator::build(
        &ValidateConfig {
            content_types: Some(vec!["application/json".into()]),
            ..cfg()
        },
        Path::new("."),
    )
    .expect("builds");
    let head = |present: Option<bool>, ct: &str| {
        let mut head = Request::get("/")
            .header("content-type", ct)
            .body(())
            .map(|r| r.into_parts().0)
            .expect("request");
        if let Some(present) = present {
            head.extensions.insert(BodyPresent(present));
        }
        head
    };
    assert!(v.inspects_body(&head(Some(true), "application/json")));
    assert_eq!(
        v.check_head(&head(Some(true), "text/plain"))
            .map_err(|r| r.status),
        Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    );
    // No body, by the marker or by the headers: nothing to check.
    assert!(!v.inspects_body(&head(Some(false), "application/json")));
    assert_eq!(v.check_head(&head(Some(false), "text/plain")), Ok(()));
    assert_eq!(v.check_head(&head(None, "text/plain")), Ok(()));
}

//! A streaming nesting check run BEFORE the JSON is parsed: one pass over the bytes
//! with a counter, no recursion and no allocation, so `[[[[…` a million deep is
//! refused in linear time without reaching the parser (or the stack).
//!
//! It does not validate JSON; it only counts `[`/`{` outside strings. Malformed
//! input is left for the parser to reject.

/// Whether `body` nests arrays/objects deeper than `max_depth`; on success returns
/// the deepest nesting seen.
pub fn check_depth(body: &[u8], max_depth: usize) -> Result<usize, TooDeep> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Err(TooDeep { max_depth });
                }
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(deepest)
}

/// A JSON body nests deeper than the route allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the JSON body nests arrays/objects deeper than {max_depth} levels")]
pub struct TooDeep {
    /// The configured limit.
    pub max_depth: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_at_the_limit_passes_and_one_more_fails() {
        assert_eq!(check_depth(br#"{"a":[{"b":1}]}"#, 3), Ok(3));
        assert!(check_depth(br#"{"a":[{"b":[1]}]}"#, 3).is_err());
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        assert_eq!(check_depth(br#"{"a":"[[[[{{{{\"[[["}"#, 1), Ok(1));
        assert_eq!(check_depth(br#"["\\", ["x"]]"#, 2), Ok(2));
    }

    #[test]
    fn a_million_open_brackets_are_refused_without_recursion() {
        let body = vec![b'['; 1_000_000];
        assert_eq!(check_depth(&body, 32), Err(TooDeep { max_depth: 32 }));
    }

    #[test]
    fn flat_scalars_have_depth_zero() {
        assert_eq!(check_depth(b"42", 0), Ok(0));
        assert_eq!(check_depth(b"", 0), Ok(0));
    }
}

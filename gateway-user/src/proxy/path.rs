//! Path normalization, done ONCE per request so routing and every later stage see
//! the same path: percent-decoding of unreserved characters (so `%2e%2e` is `..`),
//! removal of dot segments and duplicate slashes; NUL, `%00`, invalid
//! percent-encoding and invalid UTF-8 are refused.

/// Why a path was refused (answered with 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// `%` not followed by two hex digits.
    #[error("invalid percent-encoding in path")]
    BadEncoding,
    /// A NUL byte, raw or as `%00`.
    #[error("NUL byte in path")]
    Nul,
    /// The decoded path is not UTF-8.
    #[error("path is not valid UTF-8")]
    NotUtf8,
    /// The path does not start with `/`.
    #[error("path must start with /")]
    NotAbsolute,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Normalizes a raw request path (without query). Reserved characters stay
/// percent-encoded (with uppercase hex) so `%2F` is not turned into a separator.
pub fn normalize(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        // `*` (OPTIONS *) and absolute-form are handled before; anything else is bad.
        return Err(PathError::NotAbsolute);
    }
    // 1. Decode unreserved escapes, check every escape, collect the fully decoded
    //    bytes to check UTF-8.
    let mut partly = Vec::with_capacity(bytes.len());
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0 {
            return Err(PathError::Nul);
        }
        if b == b'%' {
            let (h, l) = match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(&h), Some(&l)) => (hex_val(h), hex_val(l)),
                _ => return Err(PathError::BadEncoding),
            };
            let (Some(h), Some(l)) = (h, l) else {
                return Err(PathError::BadEncoding);
            };
            let v = h * 16 + l;
            if v == 0 {
                return Err(PathError::Nul);
            }
            decoded.push(v);
            if is_unreserved(v) {
                partly.push(v);
            } else {
                partly.push(b'%');
                partly.push(b"0123456789ABCDEF"[(v >> 4) as usize]);
                partly.push(b"0123456789ABCDEF"[(v & 15) as usize]);
            }
            i += 3;
            continue;
        }
        decoded.push(b);
        partly.push(b);
        i += 1;
    }
    if std::str::from_utf8(&decoded).is_err() {
        return Err(PathError::NotUtf8);
    }
    let partly = String::from_utf8(partly).map_err(|_| PathError::NotUtf8)?;

    // 2. Dot segments and duplicate slashes.
    let trailing_slash = partly.len() > 1 && partly.ends_with('/');
    let mut out: Vec<&str> = Vec::new();
    let mut last_was_dir = false;
    for seg in partly.split('/') {
        match seg {
            "" => {}
            "." => last_was_dir = true,
            ".." => {
                out.pop();
                last_was_dir = true;
            }
            s => {
                out.push(s);
                last_was_dir = false;
            }
        }
    }
    let mut path = String::with_capacity(partly.len());
    for seg in &out {
        path.push('/');
        path.push_str(seg);
    }
    if path.is_empty() || ((trailing_slash || last_was_dir) && !out.is_empty()) {
        path.push('/');
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_duplicate_slashes_are_removed() {
        assert_eq!(normalize("/a/../b").unwrap(), "/b");
        assert_eq!(normalize("/a/./b//c").unwrap(), "/a/b/c");
        assert_eq!(normalize("//a///b").unwrap(), "/a/b");
        assert_eq!(normalize("/../../etc/passwd").unwrap(), "/etc/passwd");
        assert_eq!(normalize("/").unwrap(), "/");
        assert_eq!(normalize("/a/b/").unwrap(), "/a/b/");
        assert_eq!(normalize("/a/b/..").unwrap(), "/a/");
    }

    #[test]
    fn encoded_dots_are_decoded_before_dot_segments_are_removed() {
        assert_eq!(normalize("/api/%2e%2e/admin").unwrap(), "/admin");
        assert_eq!(normalize("/api/%2E%2e/admin").unwrap(), "/admin");
        assert_eq!(normalize("/%61pi").unwrap(), "/api");
    }

    #[test]
    fn reserved_escapes_stay_encoded_with_uppercase_hex() {
        assert_eq!(normalize("/a%2fb").unwrap(), "/a%2Fb");
        assert_eq!(normalize("/caf%c3%a9").unwrap(), "/caf%C3%A9");
    }

    #[test]
    fn nul_bad_escapes_and_invalid_utf8_are_refused() {
        assert_eq!(normalize("/a%00b"), Err(PathError::Nul));
        assert_eq!(normalize("/a%zz"), Err(PathError::BadEncoding));
        assert_eq!(normalize("/a%4"), Err(PathError::BadEncoding));
        assert_eq!(normalize("/a%ff"), Err(PathError::NotUtf8));
        assert_eq!(normalize("a"), Err(PathError::NotAbsolute));
    }
}

//! Path normalization, done ONCE per request so routing and every later stage see
//! the same path: percent-decoding of unreserved characters (so `%2e%2e` is `..`),
//! removal of dot segments and duplicate slashes; NUL, `%00`, invalid
//! percent-encoding and invalid UTF-8 are refused. So are the dot segments an
//! upstream would see but routing would not: `..;` (Tomcat and Spring drop the
//! `;` parameter, then climb) and dots beside an encoded or back slash
//! (`..%2F`, `..\`, which a decoding upstream turns into a separator).

/// Why a path was refused (answered with 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason())]
pub enum PathError {
    /// `%` not followed by two hex digits.
    BadEncoding,
    /// A NUL byte, raw or as `%00`.
    Nul,
    /// The decoded path is not UTF-8.
    NotUtf8,
    /// The path does not start with `/`.
    NotAbsolute,
    /// A `.` or `..` segment carrying a `;` parameter.
    DotSegmentParameter,
    /// A `.` or `..` beside `%2F`, `%5C` or `\`.
    HiddenDotSegment,
}

impl PathError {
    /// The sentence the 400 response carries.
    pub fn reason(self) -> &'static str {
        match self {
            PathError::BadEncoding => "invalid percent-encoding in path",
            PathError::Nul => "NUL byte in path",
            PathError::NotUtf8 => "path is not valid UTF-8",
            PathError::NotAbsolute => "path must start with /",
            PathError::DotSegmentParameter => "dot segment with a parameter (..;) in path",
            PathError::HiddenDotSegment => "dot segment beside an encoded or back slash in path",
        }
    }
}

/// Refuses a segment an upstream could read as `.` or `..` although routing does not:
/// `..;x`, and dots between slashes that are encoded (`%2F`, `%5C`) or backslashes.
fn check_segment(seg: &str) -> Result<(), PathError> {
    let is_dots = |s: &str| s == "." || s == "..";
    if let Some((head, _)) = seg.split_once(';')
        && is_dots(head)
    {
        return Err(PathError::DotSegmentParameter);
    }
    if !seg.contains(['%', '\\']) {
        return Ok(());
    }
    let pieces = seg
        .split('\\')
        .flat_map(|p| p.split("%2F"))
        .flat_map(|p| p.split("%5C"));
    for piece in pieces {
        let piece = piece.split_once(';').map_or(piece, |(head, _)| head);
        if is_dots(piece) {
            return Err(PathError::HiddenDotSegment);
        }
    }
    Ok(())
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
        check_segment(seg)?;
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

    #[test]
    fn dot_segments_with_parameters_are_refused() {
        assert_eq!(
            normalize("/api/..;/admin"),
            Err(PathError::DotSegmentParameter)
        );
        assert_eq!(
            normalize("/api/.;x/admin"),
            Err(PathError::DotSegmentParameter)
        );
        assert_eq!(
            normalize("/api/%2e%2e;/admin"),
            Err(PathError::DotSegmentParameter)
        );
        // A parameter on an ordinary segment is the upstream's business.
        assert_eq!(normalize("/a;jsessionid=1/b").unwrap(), "/a;jsessionid=1/b");
    }

    #[test]
    fn dots_beside_encoded_or_back_slashes_are_refused() {
        for bad in [
            "/api/..%2Fadmin",
            "/api/..%2fadmin",
            "/api/%2e%2e%2fadmin",
            "/api/x%2F..%2F..%2Fadmin",
            "/api/..%5Cadmin",
            "/api/..\\admin",
            "/api/x\\.",
            "/api/..%2F;x",
        ] {
            assert_eq!(normalize(bad), Err(PathError::HiddenDotSegment), "{bad}");
        }
        // Encoded slashes without dot segments are kept, encoded.
        assert_eq!(normalize("/files/a%2Fb").unwrap(), "/files/a%2Fb");
        assert_eq!(normalize("/files/a..b%2Fc").unwrap(), "/files/a..b%2Fc");
    }
}

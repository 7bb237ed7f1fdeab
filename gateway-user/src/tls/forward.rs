//! Header values that tell the upstream who the verified client is: the subject for
//! `X-Client-Cert-Subject`, and Envoy's `X-Forwarded-Client-Cert` (XFCC) element for
//! services written against Envoy or Istio. Both are ASCII-only so they always make
//! a valid `HeaderValue`.

use http::HeaderValue;

use super::ClientCert;

impl ClientCert {
    /// The RFC 4514 subject with every non-ASCII or control byte written as an RFC 4514
    /// `\xx` hex pair (still a valid RFC 4514 string), ready for a header.
    pub fn subject_header(&self) -> HeaderValue {
        header(&ascii_rfc4514(&self.subject))
    }

    /// An XFCC element: `Hash=<sha256>;Subject="<dn>";URI=<uri>;DNS=<name>...`.
    pub fn xfcc_header(&self) -> HeaderValue {
        let mut out = format!(
            "Hash={};Subject=\"{}\"",
            self.fingerprint_sha256,
            quoted(&ascii_rfc4514(&self.subject))
        );
        for san in &self.sans {
            let (key, value) = match san.split_once(':') {
                Some(("URI", v)) => ("URI", v),
                Some(("DNS", v)) => ("DNS", v),
                _ => continue,
            };
            let value = ascii_rfc4514(value);
            if value.contains([',', ';', '=', '"']) {
                out.push_str(&format!(";{key}=\"{}\"", quoted(&value)));
            } else {
                out.push_str(&format!(";{key}={value}"));
            }
        }
        header(&out)
    }
}

fn ascii_rfc4514(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:02x}"));
            }
        }
    }
    out
}

fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Only printable ASCII reaches here, which `HeaderValue` always accepts.
fn header(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(subject: &str, sans: &[&str]) -> ClientCert {
        ClientCert {
            subject: subject.to_string(),
            sans: sans.iter().map(|s| s.to_string()).collect(),
            fingerprint_sha256: "ab".repeat(32),
        }
    }

    #[test]
    fn ascii_subject_is_forwarded_unchanged() {
        let c = cert("CN=alice,O=Example\\, Inc.", &[]);
        assert_eq!(c.subject_header(), "CN=alice,O=Example\\, Inc.");
    }

    #[test]
    fn non_ascii_subject_is_hex_escaped() {
        let c = cert("CN=Jos\u{e9}\n", &[]);
        assert_eq!(c.subject_header(), "CN=Jos\\c3\\a9\\0a");
    }

    #[test]
    fn xfcc_carries_hash_subject_uri_and_dns() {
        let c = cert(
            "CN=svc,O=A\\, B",
            &[
                "URI:spiffe://prod/svc",
                "DNS:svc.internal",
                "email:x@y",
                "IP:10.0.0.1",
            ],
        );
        assert_eq!(
            c.xfcc_header(),
            format!(
                "Hash={};Subject=\"CN=svc,O=A\\\\, B\";URI=spiffe://prod/svc;DNS=svc.internal",
                "ab".repeat(32)
            )
            .as_str()
        );
    }
}

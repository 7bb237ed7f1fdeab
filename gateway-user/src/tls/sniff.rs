//! Telling a plain-HTTP request on a TLS port from a TLS ClientHello, so the listener
//! can answer it like nginx does ("The plain HTTP request was sent to HTTPS port")
//! instead of failing a handshake the client cannot understand.

use std::io;

use tokio::net::TcpStream;

/// What the first bytes of a connection on a TLS listener look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstBytes {
    /// A TLS handshake record (content type 22).
    Tls,
    /// An HTTP/1 request line (an uppercase method token).
    PlainHttp,
    /// Anything else, or the peer closed without sending: let the handshake fail.
    Other,
}

/// The response for a plain-HTTP request on a TLS port; written before closing.
pub const PLAIN_HTTP_RESPONSE: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
content-type: application/json\r\n\
content-length: 76\r\n\
connection: close\r\n\
\r\n\
{\"error\":\"bad_request\",\"message\":\"plain HTTP request sent to an HTTPS port\"}";

/// Classifies the start of a connection from already-received bytes.
pub fn classify(bytes: &[u8]) -> FirstBytes {
    match bytes.first() {
        Some(0x16) => FirstBytes::Tls,
        Some(b) if b.is_ascii_uppercase() => {
            // A method token followed by a space: "GET ", "POST ", "OPTIONS "...
            let token = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
            match bytes.get(token) {
                Some(b' ') if token <= 16 => FirstBytes::PlainHttp,
                None if token == bytes.len() => FirstBytes::PlainHttp,
                _ => FirstBytes::Other,
            }
        }
        _ => FirstBytes::Other,
    }
}

/// Peeks (without consuming) at the first bytes of a freshly accepted connection.
/// Call it under the listener's header timeout: it waits for the client to send.
pub async fn peek_first_bytes(stream: &TcpStream) -> io::Result<FirstBytes> {
    let mut buf = [0u8; 8];
    let n = stream.peek(&mut buf).await?;
    Ok(match n {
        0 => FirstBytes::Other,
        n => classify(&buf[..n]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_handshake_record_is_recognised() {
        assert_eq!(classify(&[0x16, 0x03, 0x01, 0x02, 0x00]), FirstBytes::Tls);
    }

    #[test]
    fn http_request_lines_are_plain_http() {
        assert_eq!(classify(b"GET / HT"), FirstBytes::PlainHttp);
        assert_eq!(classify(b"OPTIONS "), FirstBytes::PlainHttp);
        assert_eq!(classify(b"POS"), FirstBytes::PlainHttp);
    }

    #[test]
    fn other_bytes_are_left_to_the_handshake() {
        assert_eq!(classify(b""), FirstBytes::Other);
        assert_eq!(classify(b"\x80\x2e\x01"), FirstBytes::Other);
        assert_eq!(classify(b"get / "), FirstBytes::Other);
        assert_eq!(classify(b"GET/"), FirstBytes::Other);
    }

    #[test]
    fn plain_http_response_length_matches_its_body() {
        let text = std::str::from_utf8(PLAIN_HTTP_RESPONSE).expect("ascii");
        let (_, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(text.contains(&format!("content-length: {}\r\n", body.len())));
    }
}

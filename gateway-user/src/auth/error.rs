//! Why a request was not authenticated or authorized, and the one place where that
//! becomes an HTTP answer: 401 with an RFC 6750 `WWW-Authenticate` challenge, 403 for
//! scopes and ACLs, 503 when keys cannot be had; always a JSON body. Descriptions
//! never contain the credential.
use http::{HeaderName, HeaderValue, StatusCode, header};

/// An authentication or authorization failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No accepted credential was sent.
    #[error("no credentials were sent")]
    Missing,
    /// A credential was sent but is not valid (bad signature, expired, unknown key, …).
    #[error("{0}")]
    InvalidToken(String),
    /// The API key is not known.
    #[error("the API key is not valid")]
    InvalidApiKey,
    /// The client certificate maps to no consumer.
    #[error("the client certificate is not accepted")]
    InvalidCertificate,
    /// The token lacks a required scope.
    #[error("the token lacks the scope `{0}`")]
    InsufficientScope(String),
    /// The caller is not in a group, or a claim does not match.
    #[error("{0}")]
    Forbidden(String),
    /// The external authorizer refused (401 or 403 from it).
    #[error("the authorization service refused the request")]
    ExtDenied(StatusCode),
    /// The external authorizer could not be asked (timeout, error): fail closed.
    #[error("the authorization service is unavailable")]
    ExtUnavailable,
    /// The issuer's keys could not be fetched and the cached ones are too old.
    #[error("the token signing keys are unavailable")]
    KeysUnavailable,
    /// The configuration cannot be built into an authenticator.
    #[error("{0}")]
    Config(String),
}

/// An answer to send instead of forwarding the request.
#[derive(Debug, Clone)]
pub struct AuthResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers (`WWW-Authenticate`, `Content-Type`, maybe `Retry-After`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// JSON body.
    pub body: String,
}

impl AuthError {
    /// The HTTP status this failure is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::Missing
            | AuthError::InvalidToken(_)
            | AuthError::InvalidApiKey
            | AuthError::InvalidCertificate => StatusCode::UNAUTHORIZED,
            AuthError::InsufficientScope(_) | AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
            AuthError::ExtDenied(s) if *s == StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
            AuthError::ExtDenied(_) => StatusCode::UNAUTHORIZED,
            AuthError::ExtUnavailable | AuthError::KeysUnavailable | AuthError::Config(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// True when the client is to blame (counted per client IP for bans).
    pub fn is_client_failure(&self) -> bool {
        matches!(
            self,
            AuthError::Missing
                | AuthError::InvalidToken(_)
                | AuthError::InvalidApiKey
                | AuthError::InvalidCertificate
                | AuthError::ExtDenied(_)
        )
    }

    /// Short stable name, for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::InvalidToken(_) => "invalid_token",
            AuthError::InvalidApiKey => "invalid_api_key",
            AuthError::InvalidCertificate => "invalid_certificate",
            AuthError::InsufficientScope(_) => "insufficient_scope",
            AuthError::Forbidden(_) => "forbidden",
            AuthError::ExtDenied(_) => "ext_authz_denied",
            AuthError::ExtUnavailable => "ext_authz_unavailable",
            AuthError::KeysUnavailable => "keys_unavailable",
            AuthError::Config(_) => "config",
        }
    }

    /// The full answer: status, challenge headers and a JSON body.
    pub fn response(&self, realm: &str) -> AuthResponse {
        let status = self.status();
        let description = self.to_string();
        let mut headers = vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )];
        let challenge = match self {
            AuthError::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"{}\", error=\"insufficient_scope\", error_description=\"{}\", scope=\"{}\"",
                quote_safe(realm),
                quote_safe(&description),
                quote_safe(scope)
            )),
            _ if status == StatusCode::UNAUTHORIZED => Some(format!(
                "Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"{}\"",
                quote_safe(realm),
                quote_safe(&description)
            )),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.push((header::WWW_AUTHENTICATE, value));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.push((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        let error = match status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            _ => "unavailable",
        };
        let body = serde_json::json!({
            "error": error,
            "reason": self.reason(),
            "message": description,
        })
        .to_string();
        AuthResponse {
            status,
            headers,
            body,
        }
    }
}

/// Makes text safe inside an RFC 6750 quoted string: printable ASCII without `"` or `\`.
fn quote_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a AuthResponse, name: &HeaderName) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.to_str().ok())
    }

    #[test]
    fn invalid_token_is_401_with_bearer_challenge_and_json_body() {
        let r = AuthError::InvalidToken("the token has expired".into()).response("api");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            header(&r, &header::WWW_AUTHENTICATE),
            Some(
                "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token has expired\""
            )
        );
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["reason"], "invalid_token");
    }

    #[test]
    fn missing_scope_is_403_with_insufficient_scope_challenge() {
        let r = AuthError::InsufficientScope("api:write".into()).response("api");
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            header(&r, &header::WWW_AUTHENTICATE)
                .unwrap()
                .contains("error=\"insufficient_scope\"")
        );
    }

    #[test]
    fn quotes_and_control_characters_cannot_break_the_challenge() {
        let r = AuthError::InvalidToken("bad \"kid\"\n\u{7}".into()).response("r");
        let v = header(&r, &header::WWW_AUTHENTICATE).unwrap();
        assert!(v.ends_with("error_description=\"bad 'kid'??\""), "{v}");
    }

    #[test]
    fn acl_refusal_is_403_without_challenge() {
        let r = AuthError::Forbidden("not in an allowed group".into()).response("r");
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(header(&r, &header::WWW_AUTHENTICATE).is_none());
    }
}

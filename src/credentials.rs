//! Credentials: an IAM token, or an access key pair (optionally temporary).
//! Secrets are wrapped so that no `Debug` or `Display` can print them.

use crate::error::{Error, Result};
use crate::validate;

/// A secret string. Its `Debug` prints `<redacted>`; it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The secret itself: only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How requests are authenticated.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// An IAM user token, sent as `X-Auth-Token`.
    Token(Secret),
    /// An access key pair; each request is signed (`SDK-HMAC-SHA256`). With a security
    /// token these are temporary credentials.
    AkSk { ak: String, sk: Secret, security_token: Option<Secret> },
}

impl Credentials {
    pub fn token(token: impl Into<String>) -> Credentials {
        Credentials::Token(Secret::new(token))
    }

    pub fn ak_sk(ak: impl Into<String>, sk: impl Into<String>, security_token: Option<String>) -> Credentials {
        Credentials::AkSk { ak: ak.into(), sk: Secret::new(sk), security_token: security_token.map(Secret::new) }
    }

    /// Checks every part; messages name the field, never the secret.
    pub fn validate(&self) -> Result<()> {
        match self {
            Credentials::Token(token) => validate::secret("token", token.expose(), validate::MAX_TOKEN_LEN),
            Credentials::AkSk { ak, sk, security_token } => {
                validate::access_key(ak)?;
                validate::secret("sk (secret key)", sk.expose(), validate::MAX_KEY_LEN)?;
                if let Some(st) = security_token {
                    validate::secret("security_token", st.expose(), validate::MAX_SECURITY_TOKEN_LEN)?;
                }
                Ok(())
            }
        }
    }

    /// Every secret string, so that anything echoed by a server can be scrubbed of them.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Credentials::Token(t) => vec![t.expose()],
            Credentials::AkSk { sk, security_token, .. } => {
                let mut v = vec![sk.expose()];
                v.extend(security_token.as_ref().map(Secret::expose));
                v
            }
        }
    }
}

/// Builds credentials from the pieces a caller gave: exactly one kind must be present.
pub fn from_parts(
    token: Option<String>,
    ak: Option<String>,
    sk: Option<String>,
    security_token: Option<String>,
) -> Result<Credentials> {
    match (token, ak, sk) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Error::invalid(
            "conflicting credentials: give either token or ak/sk, not both",
        )),
        (Some(_), None, None) if security_token.is_some() => Err(Error::invalid(
            "conflicting credentials: security_token goes with ak/sk, not with token",
        )),
        (Some(token), None, None) => Ok(Credentials::token(token)),
        (None, Some(ak), Some(sk)) => Ok(Credentials::ak_sk(ak, sk, security_token)),
        (None, Some(_), None) => Err(Error::invalid("incomplete credentials: ak given without sk")),
        (None, None, Some(_)) => Err(Error::invalid("incomplete credentials: sk given without ak")),
        (None, None, None) => Err(Error::invalid(
            "no credentials: give a token, or ak and sk (optionally with security_token)",
        )),
    }
}

/// Replaces every occurrence of a secret in `text` (for text a server echoed back).
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::ak_sk("AK1", "SUPERSECRETSK", Some("SECTOKEN123".into()));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("SUPERSECRETSK") && !dbg.contains("SECTOKEN123"), "{dbg}");
        assert!(dbg.contains("AK1"));
        let dbg = format!("{:?}", Credentials::token("TOKENVALUE99"));
        assert!(!dbg.contains("TOKENVALUE99"));
    }

    #[test]
    fn exactly_one_kind() {
        let s = |v: &str| Some(v.to_string());
        assert!(from_parts(s("t"), s("a"), s("k"), None).unwrap_err().message().contains("conflicting"));
        assert!(from_parts(s("t"), None, None, s("st")).unwrap_err().message().contains("conflicting"));
        assert!(from_parts(None, s("a"), None, None).unwrap_err().message().contains("without sk"));
        assert!(from_parts(None, None, None, None).unwrap_err().message().contains("no credentials"));
        assert!(matches!(from_parts(s("t"), None, None, None), Ok(Credentials::Token(_))));
        assert!(matches!(from_parts(None, s("a"), s("k"), s("st")), Ok(Credentials::AkSk { .. })));
    }

    #[test]
    fn scrub_replaces() {
        assert_eq!(scrub("echo SECRETX here", &["SECRETX"]), "echo <redacted> here");
    }
}

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

/// IAM user password authentication. The password is never shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Password {
    /// The IAM user.
    pub user_name: String,
    /// The user's password.
    pub password: Secret,
    /// The account (domain) name.
    pub domain_name: String,
}

/// What the caller gave: credentials to use as they are, or an IAM password to get tokens with.
pub(crate) enum Given {
    Credentials(Credentials),
    Password(Password),
}

/// The parts of IAM password auth as a caller gave them: user name, password, account name.
pub(crate) type PasswordParts = (Option<String>, Option<Secret>, Option<String>);

/// Checks the pieces a caller gave: at most one kind may be present, and it must be whole.
/// `None` when none was given.
pub(crate) fn from_parts(
    token: Option<String>,
    ak: Option<String>,
    sk: Option<String>,
    security_token: Option<String>,
    password: PasswordParts,
) -> Result<Option<Given>> {
    let (user_name, password, domain_name) = password;
    let any_password = user_name.is_some() || password.is_some() || domain_name.is_some();
    let kinds = [token.is_some(), ak.is_some() || sk.is_some(), any_password];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return Err(Error::invalid(
            "conflicting credentials: give one of token, ak/sk, or user_name/password/domain_name",
        ));
    }
    if security_token.is_some() && ak.is_none() && sk.is_none() {
        return Err(Error::invalid("conflicting credentials: security_token goes with ak/sk only"));
    }
    let given = match (token, ak, sk) {
        (Some(token), ..) => Given::Credentials(Credentials::token(token)),
        (None, Some(ak), Some(sk)) => Given::Credentials(Credentials::ak_sk(ak, sk, security_token)),
        (None, Some(_), None) => return Err(Error::invalid("incomplete credentials: ak given without sk")),
        (None, None, Some(_)) => return Err(Error::invalid("incomplete credentials: sk given without ak")),
        (None, None, None) if !any_password => return Ok(None),
        (None, None, None) => {
            let parts = match (user_name, password, domain_name) {
                (Some(user_name), Some(password), Some(domain_name)) => (user_name, password, domain_name),
                (user_name, password, domain_name) => {
                    let absent = [
                        ("user_name", user_name.is_none()),
                        ("password", password.is_none()),
                        ("domain_name", domain_name.is_none()),
                    ];
                    let missing: Vec<&str> = absent.iter().filter(|(_, a)| *a).map(|(name, _)| *name).collect();
                    return Err(Error::invalid(format!(
                        "incomplete password credentials: user_name, password and domain_name go together ({} missing)",
                        missing.join(", ")
                    )));
                }
            };
            let (user_name, password, domain_name) = parts;
            validate::name("user_name", &user_name)?;
            validate::name("domain_name", &domain_name)?;
            validate::password(password.expose())?;
            return Ok(Some(Given::Password(Password { user_name, password, domain_name })));
        }
    };
    if let Given::Credentials(c) = &given {
        c.validate()?;
    }
    Ok(Some(given))
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
        let pw = || (s("u"), Some(Secret::new("p")), s("d"));
        let none = || (None, None, None);
        let err = |r: Result<Option<Given>>| r.err().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(err(from_parts(s("t"), s("a"), s("k"), None, none())).contains("conflicting"));
        assert!(err(from_parts(s("t"), None, None, s("st"), none())).contains("conflicting"));
        assert!(err(from_parts(None, s("a"), s("k"), None, pw())).contains("conflicting"));
        assert!(err(from_parts(None, s("a"), None, None, none())).contains("without sk"));
        assert!(matches!(from_parts(None, None, None, None, none()), Ok(None)));
        assert!(matches!(
            from_parts(s("t"), None, None, None, none()),
            Ok(Some(Given::Credentials(Credentials::Token(_))))
        ));
        assert!(matches!(
            from_parts(None, s("a"), s("k"), s("st"), none()),
            Ok(Some(Given::Credentials(Credentials::AkSk { .. })))
        ));
        assert!(matches!(from_parts(None, None, None, None, pw()), Ok(Some(Given::Password(_)))));
        assert!(
            err(from_parts(None, None, None, None, (s(""), Some(Secret::new("p")), s("d")))).starts_with("user_name")
        );
        assert_eq!(
            err(from_parts(None, None, None, None, (s("u"), None, None))),
            "incomplete password credentials: user_name, password and domain_name go together (password, domain_name missing)"
        );
    }
}

//! Input validation, done before any I/O. Messages name the field; they show
//! the offending value only for non-secret fields.

use crate::error::{Error, Result};

/// Longest project or certificate id accepted (real ones are 32 characters).
pub const MAX_ID_LEN: usize = 128;
/// Longest token accepted (PKI tokens run to several KiB).
pub const MAX_TOKEN_LEN: usize = 32 * 1024;
/// Longest security token accepted (temporary credentials are long).
pub const MAX_SECURITY_TOKEN_LEN: usize = 64 * 1024;
/// Longest access key id or secret key accepted.
pub const MAX_KEY_LEN: usize = 256;

/// A project or certificate id: 1..=128 of `A-Z a-z 0-9 - _ .`, and not `.` or `..`.
pub fn id(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(format!("{field} is empty")));
    }
    if value.len() > MAX_ID_LEN {
        return Err(Error::invalid(format!("{field} is {} bytes long; at most {MAX_ID_LEN} are allowed", value.len())));
    }
    if let Some((pos, c)) = value.char_indices().find(|&(_, c)| !is_id_char(c)) {
        return Err(Error::invalid(format!(
            "{field} contains {} at byte {pos}; only A-Z a-z 0-9 - _ . are allowed",
            crate::text::describe_char(c)
        )));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid(format!("{field} must not be {value:?}")));
    }
    Ok(())
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A secret that travels in a header: non-empty, bounded, printable ASCII (no CR/LF or other
/// control characters, which would split or corrupt the header). The value is never shown.
pub fn secret(field: &str, value: &str, max_len: usize) -> Result<()> {
    length(field, value, max_len)?;
    if let Some(pos) = value.bytes().position(|b| !(0x20..0x7f).contains(&b)) {
        let what = match value.as_bytes()[pos] {
            b'\r' | b'\n' => "a line break (CR/LF)",
            b if b < 0x20 || b == 0x7f => "a control character",
            _ => "a non-ASCII character",
        };
        return Err(Error::invalid(format!("{field} contains {what} at byte {pos}")));
    }
    unpadded(field, value)
}

/// Not empty, and at most `max_len` bytes (the length is said, never the value).
fn length(field: &str, value: &str, max_len: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(format!("{field} is empty")));
    }
    if value.len() > max_len {
        return Err(Error::invalid(format!("{field} is {} bytes long; at most {max_len} are allowed", value.len())));
    }
    Ok(())
}

/// No white space before or after.
fn unpadded(field: &str, value: &str) -> Result<()> {
    if value.trim() != value {
        return Err(Error::invalid(format!("{field} has leading or trailing white space")));
    }
    Ok(())
}

/// An access key id: 1..=256 characters of `A-Z a-z 0-9` (it is not secret, but is not shown either).
pub fn access_key(value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid("ak (access key id) is empty"));
    }
    if value.len() > MAX_KEY_LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(format!("ak (access key id) must be 1 to {MAX_KEY_LEN} characters of A-Z a-z 0-9")));
    }
    Ok(())
}

/// Longest IAM user or account name accepted.
pub const MAX_NAME_LEN: usize = 255;
/// Longest password accepted.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// An IAM user or account (domain) name: 1..=255 bytes, no control characters or
/// surrounding white space. Names are not secret and appear in messages.
pub fn name(field: &str, value: &str) -> Result<()> {
    length(field, value, MAX_NAME_LEN)?;
    if let Some((pos, c)) = value.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Error::invalid(format!("{field} contains {} at byte {pos}", crate::text::describe_char(c))));
    }
    unpadded(field, value)
}

/// A password: 1..=1024 bytes without control characters. Never shown.
pub fn password(value: &str) -> Result<()> {
    length("password", value, MAX_PASSWORD_LEN)?;
    if let Some(pos) = value.char_indices().find(|(_, c)| c.is_control()).map(|(i, _)| i) {
        return Err(Error::invalid(format!("password contains a control character at byte {pos}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn ids() {
        assert!(id("certificate_id", "b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b").is_ok());
        assert!(id("certificate_id", "a-b_c.d").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "a%2F", "ü", "a\nb", &"x".repeat(129)] {
            let e = id("certificate_id", bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().starts_with("certificate_id"), "{}", e.message());
        }
        assert!(id("project_id", &"x".repeat(128)).is_ok());
    }

    #[test]
    fn secrets_are_named_never_shown() {
        for bad in ["", "abc\r\nX-Evil: 1", "tok\u{0}en", "tökén", " padded"] {
            let e = secret("token", bad, 100).unwrap_err();
            assert!(e.message().starts_with("token "), "{}", e.message());
            if !bad.is_empty() {
                assert!(!e.message().contains(bad));
            }
        }
        assert!(secret("token", "MIIabc+/=-_.", 100).is_ok());
        assert!(secret("token", &"x".repeat(101), 100).is_err());
    }
}

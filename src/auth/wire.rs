//! What the identity services answer, parsed leniently: timestamps with or without
//! fractional seconds or a zone, and the several spellings of temporary credentials that
//! ECS metadata and CCE pod identity use (as the official SDKs read them).

use super::renewable::Fetched;
use crate::credentials::{Credentials, Secret};
use serde_json::Value;
use std::time::SystemTime;

pub use crate::time::{format_timestamp, parse_timestamp};

/// The first of `names` present in `object` as a non-empty string.
fn field<'a>(object: &'a Value, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| object.get(*n).and_then(Value::as_str)).filter(|s| !s.is_empty())
}

/// Temporary AK/SK as ECS metadata and CCE pod identity answer them: wrapped in
/// `credential` or `credentials` (or not at all), with any of the field spellings seen.
/// The reason of a refusal names the missing field, never a value.
pub fn temporary_credentials(body: &[u8]) -> Result<Fetched<Credentials>, String> {
    let top: Value = serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    let object = top.get("credential").or_else(|| top.get("credentials")).unwrap_or(&top);
    if !object.is_object() {
        return Err("the answer has no credential object".into());
    }
    let missing = |what: &str| format!("the answer has no {what}");
    let ak = field(object, &["access", "accessKeyId", "access_key_id", "AccessKeyId"])
        .ok_or_else(|| missing("access key"))?;
    let sk = field(object, &["secret", "secretAccessKey", "secret_access_key", "SecretAccessKey"])
        .ok_or_else(|| missing("secret key"))?;
    let st = field(object, &["securitytoken", "securityToken", "security_token", "SecurityToken"])
        .ok_or_else(|| missing("security token"))?;
    let expires =
        field(object, &["expires_at", "expiration", "expiresAt", "Expiration"]).ok_or_else(|| missing("expires_at"))?;
    let expires_at = parse_timestamp(expires)
        .ok_or_else(|| format!("expires_at {:?} is not a timestamp", crate::text::printable(expires, 40)))?;
    let credentials =
        Credentials::AkSk { ak: ak.to_string(), sk: Secret::new(sk), security_token: Some(Secret::new(st)) };
    credentials.validate().map_err(|e| format!("the credentials are malformed: {}", e.message()))?;
    Ok(Fetched { value: credentials, expires_at })
}

/// The ids of IAM's `GET /v3/projects?name=…` answer whose name is exactly `name`
/// (sub-projects are named `name_xxx` and never match).
pub fn project_ids(body: &[u8], name: &str) -> Result<Vec<String>, String> {
    let top: Value = serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    let projects = top.get("projects").and_then(Value::as_array).ok_or("the answer has no \"projects\" list")?;
    Ok(projects
        .iter()
        .filter(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .filter_map(|p| p.get("id").and_then(Value::as_str).map(str::to_string))
        .collect())
}

/// What matters in the body of IAM's `POST /v3/auth/tokens` answer.
pub struct TokenBody {
    pub expires_at: SystemTime,
    pub project_id: Option<String>,
}

pub fn token_body(body: &[u8]) -> Result<TokenBody, String> {
    let top: Value = serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    let token = top.get("token").ok_or("the answer has no \"token\" object")?;
    let expires = token.get("expires_at").and_then(Value::as_str).ok_or("the token has no expires_at")?;
    let expires_at = parse_timestamp(expires).ok_or("the token's expires_at is not a timestamp")?;
    let project_id = token.pointer("/project/id").and_then(Value::as_str).map(str::to_string);
    Ok(TokenBody { expires_at, project_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn unix(t: SystemTime) -> f64 {
        t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
    }

    #[test]
    fn timestamps_are_parsed_leniently() {
        let base = 1_795_964_645.0; // 2026-11-29T15:04:05Z
        for (text, want) in [
            ("2026-11-29T15:04:05Z", base),
            ("2026-11-29T15:04:05.000000Z", base),
            ("2026-11-29T15:04:05.5Z", base + 0.5),
            ("2026-11-29 15:04:05", base),
            ("2026-11-29T16:04:05+01:00", base),
            ("2026-11-29T14:04:05-0100", base),
            ("2026-11-29T15:04:05.123456789123Z", base + 0.123456789),
        ] {
            let got = unix(parse_timestamp(text).unwrap_or_else(|| panic!("{text}")));
            assert!((got - want).abs() < 1e-6, "{text}: {got} != {want}");
        }
        for bad in
            ["", "2026-11-29", "2026-13-01T00:00:00Z", "2026-11-29T15:04:05.Z", "2026-11-29T15:04:05 UTC", "yesterday"]
        {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
        let t = parse_timestamp("2026-11-29T15:04:05.250000Z").unwrap();
        assert_eq!(format_timestamp(t), "2026-11-29T15:04:05.250000Z");
    }

    #[test]
    fn temporary_credentials_in_every_spelling() {
        let metadata = br#"{"credential": {"access": "TMPAK1", "secret": "TMPSK1", "securitytoken": "ST1", "expires_at": "2026-11-29T15:04:05.000000Z"}}"#;
        let pod = br#"{"credentials": {"accessKeyId": "TMPAK2", "secretAccessKey": "TMPSK2", "securityToken": "ST2", "expiration": "2026-11-29T15:04:05Z"}}"#;
        for body in [&metadata[..], &pod[..]] {
            let c = temporary_credentials(body).unwrap();
            assert!(matches!(c.value, Credentials::AkSk { security_token: Some(_), .. }));
        }
        let e =
            temporary_credentials(br#"{"credential": {"access": "A", "secret": "S", "expires_at": "x"}}"#).unwrap_err();
        assert_eq!(e, "the answer has no security token");
        let e = temporary_credentials(
            br#"{"credential": {"access": "A", "secret": "TOPSECRET", "securitytoken": "T", "expires_at": "soon"}}"#,
        )
        .unwrap_err();
        assert!(e.contains("not a timestamp") && !e.contains("TOPSECRET"), "{e}");
        assert_eq!(temporary_credentials(b"<html>").unwrap_err(), "the answer is not JSON");
    }

    #[test]
    fn projects_match_the_exact_name() {
        let body = br#"{"projects": [{"id": "a", "name": "cn-north-4"}, {"id": "b", "name": "cn-north-4_sub"}]}"#;
        assert_eq!(project_ids(body, "cn-north-4").unwrap(), vec!["a".to_string()]);
        assert!(project_ids(br#"{"links": {}}"#, "cn-north-4").is_err());
    }
}

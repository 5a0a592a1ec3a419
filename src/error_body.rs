//! Tolerant parsing of error bodies: JSON in the shapes APIG and its front ends
//! use, else a clear description of what came back (HTML, text, empty, binary).

use serde_json::Value;

/// How many characters of a body an error keeps, at most.
pub const EXCERPT_CHARS: usize = 512;

/// How many characters of a request id an error keeps, at most (real ones have 32 to 64).
pub const REQUEST_ID_CHARS: usize = 128;

/// What could be learned from an error answer (defined with the error model, which keeps it).
pub use crate::error::ParsedBody;

/// The key pairs tried, in order, at the top level and then one level down.
const KEY_PAIRS: [(&str, &str); 3] = [("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")];

/// Parses `body` (already bounded by the caller). `header_request_id` wins over the body's.
#[cfg_attr(not(any(feature = "test-hooks", feature = "internals", test)), allow(dead_code))] // tests, test hooks
pub fn parse(body: &[u8], header_request_id: Option<String>) -> ParsedBody {
    parse_scrubbed(body, header_request_id, &[])
}

/// As [`parse`], with every secret of `secrets` taken out of what the server said (it may echo
/// them) — before anything is cut to its bound, so that no cut leaves the start of a secret.
pub fn parse_scrubbed(body: &[u8], header_request_id: Option<String>, secrets: &[&str]) -> ParsedBody {
    let mut parsed = ParsedBody {
        request_id: header_request_id
            .filter(|id| !id.is_empty())
            .map(|id| crate::text::printable(&crate::text::scrub(&id, secrets), REQUEST_ID_CHARS)),
        excerpt: excerpt(body, secrets),
        shape: shape_of(body),
        ..ParsedBody::default()
    };
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        let top = Value::Object(map);
        if !take_pair(&top, &mut parsed, secrets) {
            // One level down: {"error": {"code": …, "message": …}} and the like.
            if let Value::Object(map) = &top {
                for nested in map.values().filter(|v| v.is_object()) {
                    if take_pair(nested, &mut parsed, secrets) {
                        if parsed.request_id.is_none() {
                            parsed.request_id = text_field(nested, "request_id", secrets);
                        }
                        break;
                    }
                }
            }
        }
        if parsed.request_id.is_none() {
            parsed.request_id = text_field(&top, "request_id", secrets);
        }
    }
    parsed
}

/// Takes the first key pair present in `object`; true when something was found.
fn take_pair(object: &Value, parsed: &mut ParsedBody, secrets: &[&str]) -> bool {
    for (code_key, msg_key) in KEY_PAIRS {
        let code = text_field(object, code_key, secrets);
        let msg = text_field(object, msg_key, secrets);
        if code.is_some() || msg.is_some() {
            parsed.error_code = code;
            parsed.error_msg = msg;
            return true;
        }
    }
    false
}

/// A string field (numbers are accepted and printed: some front ends send `"code": 429`),
/// scrubbed, then bounded.
fn text_field(object: &Value, key: &str, secrets: &[&str]) -> Option<String> {
    match object.get(key)? {
        Value::String(s) if !s.trim().is_empty() => {
            Some(crate::text::printable(&crate::text::scrub(s, secrets), EXCERPT_CHARS))
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn shape_of(body: &[u8]) -> &'static str {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return "empty";
    }
    match std::str::from_utf8(body) {
        Err(_) => "binary",
        Ok(text) => {
            let lower: String = trimmed.iter().take(64).map(|b| b.to_ascii_lowercase() as char).collect();
            if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.starts_with("<head") {
                "html"
            } else if serde_json::from_str::<Value>(text).is_ok() {
                "json"
            } else {
                "text"
            }
        }
    }
}

/// A printable excerpt: invalid UTF-8 replaced, secrets taken out, control characters escaped,
/// bounded.
fn excerpt(body: &[u8], secrets: &[&str]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() { None } else { Some(crate::text::printable(&crate::text::scrub(text, secrets), EXCERPT_CHARS)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apig_shape() {
        let p = parse(br#"{"error_code":"APIG.3021","error_msg":"gone","request_id":"r1"}"#, None);
        assert_eq!(p.error_code.as_deref(), Some("APIG.3021"));
        assert_eq!(p.error_msg.as_deref(), Some("gone"));
        assert_eq!(p.request_id.as_deref(), Some("r1"));
        assert_eq!(p.shape, "json");
    }

    #[test]
    fn header_request_id_wins() {
        let p = parse(br#"{"error_code":"A","request_id":"body"}"#, Some("header".into()));
        assert_eq!(p.request_id.as_deref(), Some("header"));
    }

    #[test]
    fn camel_and_plain_shapes_in_order() {
        let p = parse(br#"{"errorCode":"X.1","errorMsg":"m","code":"no","message":"no"}"#, None);
        assert_eq!((p.error_code.as_deref(), p.error_msg.as_deref()), (Some("X.1"), Some("m")));
        let p = parse(br#"{"code":429,"message":"slow down"}"#, None);
        assert_eq!((p.error_code.as_deref(), p.error_msg.as_deref()), (Some("429"), Some("slow down")));
    }

    #[test]
    fn nested_shape() {
        let p = parse(br#"{"error":{"code":"APIG.9999","message":"System error","request_id":"n"}}"#, None);
        assert_eq!(p.error_code.as_deref(), Some("APIG.9999"));
        assert_eq!(p.error_msg.as_deref(), Some("System error"));
        assert_eq!(p.request_id.as_deref(), Some("n"));
    }

    #[test]
    fn html_text_empty_binary() {
        let p = parse(b"<html><body>\n<h1>502 Bad Gateway</h1></body></html>", None);
        assert_eq!(p.shape, "html");
        assert_eq!(p.error_code, None);
        assert!(p.excerpt.unwrap().contains("502 Bad Gateway"));
        assert_eq!(parse(b"upstream timed out", None).shape, "text");
        let empty = parse(b"", None);
        assert_eq!((empty.shape, empty.excerpt), ("empty", None));
        let bin = parse(&[0xff, 0xfe, 0x00, 0x41], None);
        assert_eq!(bin.shape, "binary");
        let ex = bin.excerpt.unwrap();
        assert!(ex.contains('\u{fffd}') && ex.contains("\\u{0}"), "{ex}");
    }

    #[test]
    fn escaped_control_characters_count_against_the_bound() {
        let body = format!("{{}}{}", "\u{16}".repeat(2000));
        let excerpt = parse(body.as_bytes(), None).excerpt.unwrap();
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1, "{}", excerpt.len());
        assert!(excerpt.ends_with('…'));
    }

    #[test]
    fn a_long_echoed_secret_is_taken_out_before_any_cut() {
        let secret = format!("eyJ{}", "a1B2".repeat(265));
        let body = format!(r#"{{"error_code":"IAM.0101","error_msg":"bad token {secret} given"}}"#);
        let p = parse_scrubbed(body.as_bytes(), None, &[&secret]);
        for text in [p.error_msg.unwrap(), p.excerpt.unwrap()] {
            assert!(text.contains("<redacted>"), "{text}");
            assert!(!text.contains(&secret[..16]), "the start of the secret shows: {text}");
        }
    }

    #[test]
    fn excerpt_is_bounded() {
        let big = "x".repeat(10_000);
        let p = parse(big.as_bytes(), None);
        assert_eq!(p.excerpt.unwrap().chars().count(), EXCERPT_CHARS + 1);
    }
}

//! Fault rules: how the emulator misbehaves on purpose, matched per request.

use serde_json::{Map, Value, json};
use std::time::Duration;

/// What a matching rule makes the emulator do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer with `status`, `body` and `headers` (after `delay`).
    Respond,
    /// Close the connection with a TCP reset, without an answer.
    Reset,
    /// Close the connection cleanly (FIN), without an answer.
    Close,
    /// Hold the connection without answering for `delay` (default an hour), then close it.
    Stall,
    /// Send the status line and headers, then drip the body one byte every `drip` interval.
    Drip,
    /// Answer 200 with a body of `body_bytes` bytes, streamed (never held in memory).
    Huge,
    /// Answer with a redirect (`status`, default 302) to `location`.
    Redirect,
    /// Answer normally (the real certificate logic), after `delay`.
    Pass,
}

/// One fault rule. Matches a request by project and certificate id (absent = any);
/// `times` limits how many requests it applies to (absent = all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Match only this project (None: any).
    pub project_id: Option<String>,
    /// Match only this certificate (None: any).
    pub certificate_id: Option<String>,
    /// Match any request whose path starts with this — IAM, metadata and pod identity paths
    /// too — instead of APIG's deletes by project and certificate.
    pub path: Option<String>,
    /// Apply to this many requests, then expire (None: forever).
    pub times: Option<u64>,
    /// Apply only to every N-th matching request (None: to each): a share of the traffic.
    pub every: Option<u64>,
    /// What to do.
    pub action: Action,
    /// Wait this long before acting (for `Stall`: how long to hold the connection).
    pub delay: Duration,
    /// The status to answer with (`Respond`, `Redirect`, `Drip`, `Huge`).
    pub status: u16,
    /// The body to answer with (`body` as text, or `body_hex` for any bytes).
    pub body: Vec<u8>,
    /// Headers to add to the answer.
    pub headers: Vec<(String, String)>,
    /// How many bytes `Huge` streams.
    pub body_bytes: u64,
    /// The interval between the bytes of `Drip`.
    pub drip: Duration,
    /// Where `Redirect` points.
    pub location: String,
}

impl Default for Rule {
    fn default() -> Rule {
        Rule {
            project_id: None,
            certificate_id: None,
            path: None,
            times: None,
            every: None,
            action: Action::Respond,
            delay: Duration::ZERO,
            status: 500,
            body: Vec::new(),
            headers: Vec::new(),
            body_bytes: 0,
            drip: Duration::from_millis(100),
            location: "http://127.0.0.1:9/elsewhere".into(),
        }
    }
}

impl Rule {
    /// Whether this rule applies to a request for `certificate_id` in `project_id`.
    pub fn matches(&self, project_id: &str, certificate_id: &str) -> bool {
        self.path.is_none()
            && self.project_id.as_deref().is_none_or(|p| p == project_id)
            && self.certificate_id.as_deref().is_none_or(|c| c == certificate_id)
    }

    /// Whether this rule applies to any request for `path` (a rule with `path` only).
    pub fn matches_path(&self, path: &str) -> bool {
        self.path.as_deref().is_some_and(|prefix| path.starts_with(prefix))
    }

    /// Parses the JSON form (documented in docs/emulator.md, "Fault rules"):
    /// `{"certificate_id": "c1", "times": 2, "action": "respond", "status": 429,
    ///   "body": "…", "headers": {"Retry-After": "1"}, "delay_ms": 0}`.
    pub fn from_json(value: &Value) -> Result<Rule, String> {
        let obj = value.as_object().ok_or("a rule is a JSON object")?;
        let mut rule = Rule::default();
        for (key, v) in obj {
            match key.as_str() {
                "project_id" => rule.project_id = Some(text(v, key)?),
                "certificate_id" => rule.certificate_id = Some(text(v, key)?),
                "path" => rule.path = Some(text(v, key)?),
                "times" => rule.times = Some(number(v, key)?),
                "every" => {
                    rule.every = Some(number(v, key)?).filter(|n| *n > 0).ok_or("every must be 1 or more")?.into()
                }
                "delay_ms" => rule.delay = Duration::from_millis(number(v, key)?),
                "drip_ms" => rule.drip = Duration::from_millis(number(v, key)?),
                "body_bytes" => rule.body_bytes = number(v, key)?,
                "status" => {
                    rule.status = u16::try_from(number(v, key)?)
                        .ok()
                        .filter(|s| (100..=999).contains(s))
                        .ok_or("status must be 100..=999")?
                }
                "body" => rule.body = text(v, key)?.into_bytes(),
                "body_hex" => rule.body = hex_bytes(&text(v, key)?).ok_or("body_hex must be pairs of hex digits")?,
                "location" => rule.location = text(v, key)?,
                "headers" => {
                    let map = v.as_object().ok_or("headers is an object of strings")?;
                    for (name, value) in map {
                        rule.headers.push((name.clone(), text(value, name)?));
                    }
                }
                "action" => {
                    rule.action = match text(v, key)?.as_str() {
                        "respond" => Action::Respond,
                        "reset" => Action::Reset,
                        "close" => Action::Close,
                        "stall" => Action::Stall,
                        "drip" => Action::Drip,
                        "huge" => Action::Huge,
                        "redirect" => Action::Redirect,
                        "pass" => Action::Pass,
                        other => return Err(format!("unknown action {other:?}")),
                    }
                }
                other => return Err(format!("unknown rule field {other:?}")),
            }
        }
        if rule.action == Action::Redirect && !obj.contains_key("status") {
            rule.status = 302;
        }
        if rule.action == Action::Drip && !obj.contains_key("status") {
            rule.status = 200;
        }
        if rule.action == Action::Stall && !obj.contains_key("delay_ms") {
            rule.delay = Duration::from_secs(3600);
        }
        Ok(rule)
    }

    /// The JSON form (as `GET /_emulator/rules` shows it).
    pub fn to_json(&self) -> Value {
        let headers: Map<String, Value> =
            self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        json!({
            "project_id": self.project_id,
            "certificate_id": self.certificate_id,
            "path": self.path,
            "times": self.times,
            "every": self.every,
            "action": format!("{:?}", self.action).to_ascii_lowercase(),
            "delay_ms": self.delay.as_millis() as u64,
            "status": self.status,
            "body": String::from_utf8_lossy(&self.body),
            "headers": headers,
        })
    }
}

fn text(v: &Value, key: &str) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| format!("{key} must be a string"))
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn number(v: &Value, key: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| format!("{key} must be a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let r = Rule::from_json(&json!({"certificate_id": "c", "times": 2, "status": 429,
            "headers": {"Retry-After": "1"}, "body": "{}"}))
        .unwrap();
        assert_eq!(r.status, 429);
        assert_eq!(r.times, Some(2));
        assert!(r.matches("any", "c") && !r.matches("any", "d"));
        let by_path = Rule::from_json(&json!({"path": "/openstack/", "status": 404})).unwrap();
        assert!(by_path.matches_path("/openstack/latest/securitykey") && !by_path.matches_path("/v3/projects"));
        assert!(!by_path.matches("any", "c"), "a path rule is not a delete rule");
        assert!(Rule::from_json(&json!({"bogus": 1})).is_err());
        assert!(Rule::from_json(&json!({"action": "explode"})).is_err());
        assert_eq!(Rule::from_json(&json!({"action": "redirect"})).unwrap().status, 302);
        assert_eq!(Rule::from_json(&json!({"body_hex": "ff00"})).unwrap().body, vec![0xff, 0x00]);
        assert!(Rule::from_json(&json!({"body_hex": "f"})).is_err());
    }
}

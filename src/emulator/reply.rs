//! What the APIG side answers with and checks, for every call the emulator plays (the delete,
//! the listings, the identity services): answers and APIG's error bodies, the fault rules'
//! answers, the token and AK/SK checks, the request log's view of a request.

use super::body::EmuBody;
use super::rules::{Action, Rule};
use super::state::{RecordedRequest, State, TokenCheck};
use crate::signing;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, UNIX_EPOCH};

/// Signatures dated further than this from the emulator's clock are refused (as APIG does).
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// Why a request ends without an answer (hyper then drops the connection).
#[derive(Debug)]
pub(super) struct Abort;
impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for Abort {}

pub(super) type Answer = Result<Response<EmuBody>, Abort>;

pub(super) fn finish(state: &State, mut record: RecordedRequest, answer: Response<EmuBody>) -> Answer {
    record.status = answer.status().as_u16();
    if record.outcome.is_empty() {
        record.outcome = "answered".into();
    }
    state.record(record);
    Ok(answer)
}

/// What a matching rule makes of a request: an answer, or None for `pass` (answer normally).
pub(super) async fn apply_rule(
    state: &State,
    mut record: RecordedRequest,
    rule: &Rule,
    request_id: &str,
    reset: &AtomicBool,
) -> Option<Answer> {
    if rule.action == Action::Stall {
        // Logged now: a stalled request may never end while the test looks.
        record.outcome = "fault:stall".into();
        state.record(record);
        tokio::time::sleep(rule.delay).await;
        return Some(Err(Abort));
    }
    if !rule.delay.is_zero() {
        tokio::time::sleep(rule.delay).await;
    }
    (rule.action != Action::Pass).then(|| fault(state, record, rule, request_id, reset))
}

fn fault(state: &State, mut record: RecordedRequest, rule: &Rule, request_id: &str, reset: &AtomicBool) -> Answer {
    record.outcome = format!("fault:{:?}", rule.action).to_ascii_lowercase();
    match rule.action {
        Action::Reset | Action::Close | Action::Stall => {
            // (Stall is handled before the delay, in `handle`.)
            reset.store(rule.action == Action::Reset, Ordering::Relaxed);
            state.record(record);
            Err(Abort)
        }
        Action::Respond | Action::Pass => {
            let mut answer = response(rule.status, EmuBody::full(rule.body.clone()), request_id, state);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
        Action::Redirect => {
            let mut answer = response(rule.status, EmuBody::full(rule.body.clone()), request_id, state);
            add_headers(&mut answer, &[("Location".into(), rule.location.clone())]);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
        Action::Drip => {
            let body = if rule.body.is_empty() { vec![b'x'; 1024] } else { rule.body.clone() };
            let mut answer = response(rule.status, EmuBody::drip(body, rule.drip), request_id, state);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
        Action::Huge => {
            let mut answer = response(rule.status, EmuBody::huge(rule.body_bytes), request_id, state);
            add_headers(&mut answer, &rule.headers);
            finish(state, record, answer)
        }
    }
}

fn add_headers(answer: &mut Response<EmuBody>, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) =
            (hyper::header::HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
        {
            answer.headers_mut().insert(n, v);
        }
    }
}

/// Checks the token or the AK/SK signature; the error answer is what APIG would say.
// The refusal is the answer itself, built once per refused request of a test server: boxing it
// would buy nothing.
#[allow(clippy::result_large_err)]
pub(super) fn authenticate<B>(
    req: &Request<B>,
    state: &State,
    project: &str,
    request_id: &str,
    body_sha256: &str,
) -> Result<(), Response<EmuBody>> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(token) = header("x-auth-token") {
        return match state.token_check(token, project) {
            TokenCheck::Valid => Ok(()),
            TokenCheck::OtherProject => Err(apig_error(
                403,
                "APIG.1005",
                "No permissions to request this method (the token is for another project)",
                request_id,
                state,
            )),
            TokenCheck::Expired => Err(apig_error(
                401,
                "APIG.1002",
                "Incorrect token or token resolution failed (the token expired)",
                request_id,
                state,
            )),
            TokenCheck::Unknown => {
                Err(apig_error(401, "APIG.1002", "Incorrect token or token resolution failed", request_id, state))
            }
        };
    }
    if header("authorization").is_none() {
        return Err(apig_error(401, "APIG.1000", "Token is missing", request_id, state));
    }
    if let Err(why) = check_signature_of(req, state, body_sha256) {
        return Err(apig_error(
            401,
            "APIGW.0301",
            &format!("Incorrect IAM authentication information: {why}"),
            request_id,
            state,
        ));
    }
    if let Some(p) = header("x-project-id") {
        if p != project {
            return Err(apig_error(
                403,
                "APIG.1005",
                "No permissions to request this method (project mismatch)",
                request_id,
                state,
            ));
        }
    }
    Ok(())
}

/// Verifies an `SDK-HMAC-SHA256` signature (APIG's and IAM's): the key is known and, for
/// temporary keys, unexpired and sent with its security token; the date is within the
/// allowed skew; the signature matches. The error says why, never a secret.
pub(super) fn check_signature(req: &Request<Incoming>, state: &State) -> Result<(), &'static str> {
    check_signature_of(req, state, signing::EMPTY_BODY_SHA256)
}

/// As [`check_signature`], for a request whose body has this SHA-256 (hex).
pub(super) fn check_signature_of<B>(req: &Request<B>, state: &State, body_sha256: &str) -> Result<(), &'static str> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or("the Authorization header is missing")?;
    let parsed = signing::parse_authorization(authorization).ok_or("unsupported authorization header")?;
    let key = state.secret_key(parsed.access).ok_or("unknown access key")?;
    if !parsed.signed_headers.contains(&"host") || !parsed.signed_headers.contains(&"x-sdk-date") {
        return Err("host and x-sdk-date must be signed");
    }
    if header("x-security-token").is_some() && !parsed.signed_headers.contains(&"x-security-token") {
        return Err("x-security-token must be signed");
    }
    if let Some(expected) = &key.security_token {
        if header("x-security-token") != Some(expected.as_str()) {
            return Err("the security token does not belong to this access key");
        }
        if key.expires_at.is_some_and(|t| state.now_unix_f64() >= t) {
            state.counters.expired_uses.fetch_add(1, Ordering::Relaxed);
            return Err("the temporary credentials expired");
        }
    }
    let date = header("x-sdk-date").ok_or("x-sdk-date is missing")?;
    let signed_at = signing::parse_sdk_date(date).ok_or("x-sdk-date is malformed")?;
    if (signed_at - state.now_unix()).abs() > MAX_CLOCK_SKEW_SECS {
        return Err("signature expired (check the clock)");
    }
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in &parsed.signed_headers {
        headers.push((name, header(name).ok_or("a signed header is missing")?));
    }
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| q.split('&').filter(|p| !p.is_empty()).map(split_query_pair).collect())
        .unwrap_or_default();
    let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let input = signing::SigningInput {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: &query_refs,
        headers: &headers,
        body_sha256,
    };
    let expected = signing::signature(&key.sk, &signing::string_to_sign(&signing::canonical_request(&input), date));
    if expected != parsed.signature {
        return Err("verify aksk signature fail");
    }
    Ok(())
}

pub(super) fn split_query_pair(pair: &str) -> (String, String) {
    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
    (decode(k), decode(v))
}

/// Form-style decoding of a query component: `+` is a space, then `%XX` escapes.
fn decode(s: &str) -> String {
    String::from_utf8_lossy(&signing::percent_decode(&s.replace('+', " "))).into_owned()
}

pub(super) fn auth_kind<B>(req: &Request<B>) -> &'static str {
    if req.headers().contains_key("x-auth-token") {
        "token"
    } else if req.headers().contains_key("authorization") {
        "aksk"
    } else {
        "none"
    }
}

/// The headers as received, with secret values replaced.
pub(super) fn recorded_headers<B>(req: &Request<B>) -> Vec<(String, String)> {
    req.headers()
        .iter()
        .map(|(name, value)| {
            let value = match name.as_str() {
                "x-auth-token" | "x-security-token" | "x-metadata-token" => "<redacted>".to_string(),
                // Pod identity's Authorization is a bearer secret; AK/SK's is a signature.
                "authorization" if !value.as_bytes().starts_with(signing::ALGORITHM.as_bytes()) => {
                    "<redacted>".to_string()
                }
                _ => String::from_utf8_lossy(value.as_bytes()).into_owned(),
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

pub(super) fn response(status: u16, body: EmuBody, request_id: &str, state: &State) -> Response<EmuBody> {
    let mut answer = Response::new(body);
    *answer.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = answer.headers_mut();
    if let Ok(v) = HeaderValue::try_from(request_id) {
        headers.insert("x-request-id", v);
    }
    // The emulator's own clock (which tests may set off), as a gateway's Date would be.
    let now = UNIX_EPOCH + Duration::from_secs(state.now_unix().max(0) as u64);
    if let Ok(v) = HeaderValue::try_from(httpdate::fmt_http_date(now)) {
        headers.insert("date", v);
    }
    answer
}

pub(super) fn empty(status: u16, request_id: &str, state: &State) -> Response<EmuBody> {
    response(status, EmuBody::empty(), request_id, state)
}

pub(super) fn apig_error(status: u16, code: &str, msg: &str, request_id: &str, state: &State) -> Response<EmuBody> {
    json_reply(status, json!({"error_code": code, "error_msg": msg, "request_id": request_id}), request_id, state)
}

/// A JSON answer (with the request id and the emulator's Date, as every answer).
pub(super) fn json_reply(status: u16, body: serde_json::Value, request_id: &str, state: &State) -> Response<EmuBody> {
    let mut answer = response(status, EmuBody::full(body.to_string()), request_id, state);
    answer.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    answer
}

/// A gateway's answer over its throttling threshold: 429 `APIGW.0308`, with `Retry-After` when set.
pub(super) fn throttled(retry_after: Option<u32>, request_id: &str, state: &State) -> Response<EmuBody> {
    let msg = "The throttling threshold has been reached: policy user over ratelimit";
    let mut answer = apig_error(429, super::throttle::THROTTLED_CODE, msg, request_id, state);
    if let Some(seconds) = retry_after {
        answer.headers_mut().insert("retry-after", HeaderValue::from(seconds));
    }
    answer
}

/// APIG's answer for a certificate it does not have.
pub(super) fn certificate_not_found(certificate: &str, request_id: &str, state: &State) -> Response<EmuBody> {
    apig_error(404, "APIG.3021", &format!("The SSL certificate {certificate} does not exist"), request_id, state)
}

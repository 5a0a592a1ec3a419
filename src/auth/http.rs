//! One request to an identity service (IAM, ECS metadata, CCE pod identity) and its answer:
//! transport failures mapped as for APIG, the body read within bounds, and error answers
//! turned into the same error kinds as APIG's, with the service's code, message and trace id.

use crate::builder::MAX_BODY_BYTES;
use crate::error::{Error, ErrorKind, Result};
use crate::error_body;
use std::io::Read;

/// What is left of a call's deadline for a request to an identity service (an error when
/// nothing is).
pub(crate) fn remaining(deadline: std::time::Instant, what: &str) -> Result<std::time::Duration> {
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    if left.is_zero() {
        return Err(Error::new(ErrorKind::Timeout, format!("{what}: the call's deadline passed before it answered")));
    }
    Ok(left)
}

/// An answer, read whole (up to [`MAX_BODY_BYTES`]).
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// `X-IAM-Trace-Id`, else `X-Request-Id`.
    pub request_id: Option<String>,
    pub subject_token: Option<String>,
}

/// Sends `request`; `what` names the service and the address in every message
/// ("IAM https://iam.cn-north-4.myhuaweicloud.com").
pub(crate) fn send(what: &str, request: ureq::RequestBuilder<ureq::typestate::WithoutBody>) -> Result<Answer> {
    read(what, request.call())
}

pub(crate) fn send_json(
    what: &str,
    request: ureq::RequestBuilder<ureq::typestate::WithBody>,
    body: &str,
) -> Result<Answer> {
    read(what, request.header("Content-Type", "application/json;charset=utf8").send(body))
}

pub(crate) fn read(
    what: &str,
    result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer> {
    let transport = |e: ureq::Error| {
        let error = crate::transport::map_error(e);
        let message = format!("{what}: {}", error.message());
        error.with_message(message)
    };
    let mut response = result.map_err(transport)?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let request_id = header("x-iam-trace-id").or_else(|| header("x-request-id"));
    let subject_token = header("x-subject-token");
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let reader = response.body_mut().with_config().limit(u64::MAX).reader();
    reader.take(MAX_BODY_BYTES).read_to_end(&mut body).map_err(|e| transport(ureq::Error::from(e)))?;
    Ok(Answer { status, body, request_id, subject_token })
}

impl Answer {
    /// The error for a non-2xx answer: the kind of its status (a redirect is a protocol
    /// error), IAM's code and message kept, every secret of `secrets` scrubbed.
    pub fn error(&self, what: &str, secrets: &[&str]) -> Error {
        let mut parsed = error_body::parse(&self.body, self.request_id.clone());
        parsed.scrub(secrets);
        let kind = if (300..400).contains(&self.status) {
            ErrorKind::Protocol
        } else {
            ErrorKind::from_http_status(self.status)
        };
        let error = Error::from_answer(kind, self.status, parsed);
        let message = format!("{what}: {}", error.message());
        error.with_message(message)
    }

    /// An answer that came back 2xx but cannot be used.
    pub fn unusable(&self, what: &str, why: &str) -> Error {
        let mut message = format!("{what}: HTTP {}: {why}", self.status);
        if let Some(id) = &self.request_id {
            message.push_str(&format!(" [request id {id}]"));
        }
        Error::new(ErrorKind::Protocol, message)
    }

    /// The body as text, for matching a known message (never shown whole).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

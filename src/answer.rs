//! One answer, read once (net layer): its status, the few headers the callers use, its body up
//! to [`MAX_BODY_BYTES`]; and the one mapping of a non-2xx answer to an [`Error`] — APIG's and the
//! identity services' alike (the identity layer then makes it a credentials failure).

use crate::error::{Error, ErrorKind, Result};
use crate::error_body;
use crate::limits::MAX_BODY_BYTES;
use std::io::Read;

/// An HTTP answer, read whole (the body up to [`MAX_BODY_BYTES`]; a larger one is cut, never
/// buffered whole).
pub(crate) struct Answer {
    pub status: u16,
    /// `X-IAM-Trace-Id` (IAM), else `X-Request-Id`.
    pub request_id: Option<String>,
    pub retry_after: Option<String>,
    pub date: Option<String>,
    pub location: Option<String>,
    /// IAM's `X-Subject-Token` (the token it issued).
    pub subject_token: Option<String>,
    /// The body, or why it could not be read (the head had arrived), mapped to our kinds.
    pub body: Result<Vec<u8>>,
    /// The body was larger than the limit it was read with: what was read is its start.
    pub cut: bool,
}

/// Reads `response`: the head is there; the body is read now (up to [`MAX_BODY_BYTES`]), within
/// the request's deadline.
pub(crate) fn read(response: ureq::http::Response<ureq::Body>) -> Answer {
    read_up_to(response, MAX_BODY_BYTES)
}

/// As [`read`], the body read up to `limit` bytes (one more is read to know whether it was cut).
pub(crate) fn read_up_to(mut response: ureq::http::Response<ureq::Body>, limit: u64) -> Answer {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut answer = Answer {
        status: response.status().as_u16(),
        request_id: header("x-iam-trace-id").or_else(|| header("x-request-id")),
        retry_after: header("retry-after"),
        date: header("date"),
        location: header("location"),
        subject_token: header("x-subject-token"),
        body: Ok(Vec::new()),
        cut: false,
    };
    let mut body = Vec::new();
    let reader = response.body_mut().with_config().limit(u64::MAX).reader();
    answer.body = match reader.take(limit.saturating_add(1)).read_to_end(&mut body) {
        Ok(_) => {
            if body.len() as u64 > limit {
                body.truncate(limit as usize);
                answer.cut = true;
            }
            Ok(body)
        }
        Err(e) => Err(crate::transport::map_error(ureq::Error::from(e))),
    };
    answer
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body that was read (empty if it could not be).
    pub fn bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or_default()
    }

    /// The body as text, for matching a known message (never shown whole).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.bytes())
    }

    /// The error of a non-2xx answer, its message prefixed with `what` (the service and its
    /// address) when given: the kind of its status — a redirect is a protocol error, and never
    /// followed —, what the server said kept, every secret of `secrets` scrubbed. A body that
    /// could not be read is said so, with the transport's kind.
    pub fn error(&self, what: Option<&str>, secrets: &[&str]) -> Error {
        let status = self.status;
        let error = match &self.body {
            Err(failure) => {
                let message = format!("HTTP {status}, then reading the body failed: {}", failure.message());
                Error::from_answer(
                    failure.kind(),
                    status,
                    error_body::parse_scrubbed(b"", self.request_id.clone(), secrets),
                )
                .with_message(message)
            }
            Ok(body) => {
                let parsed = error_body::parse_scrubbed(body, self.request_id.clone(), secrets);
                if (300..400).contains(&status) {
                    let to =
                        self.location.as_deref().map(|l| crate::text::printable(&crate::text::scrub(l, secrets), 200));
                    let message = format!(
                        "HTTP {status}: unexpected redirect{}; redirects are never followed (check the endpoint)",
                        to.map(|l| format!(" to {l}")).unwrap_or_default()
                    );
                    Error::from_answer(ErrorKind::Protocol, status, parsed).with_message(message)
                } else {
                    Error::from_answer(ErrorKind::from_http_status(status), status, parsed)
                }
            }
        };
        match what {
            Some(what) => {
                let message = format!("{what}: {}", error.message());
                error.with_message(message)
            }
            None => error,
        }
    }

    /// An answer that came back 2xx but cannot be used.
    pub fn unusable(&self, what: &str, why: &str) -> Error {
        let mut message = format!("{what}: HTTP {}: {why}", self.status);
        if let Some(id) = &self.request_id {
            message.push_str(&format!(" [request id {}]", crate::text::printable(id, error_body::REQUEST_ID_CHARS)));
        }
        Error::new(ErrorKind::Protocol, message)
    }

    /// The body, or the error of a body that could not be read (prefixed with `what`).
    pub fn body_or_error(&self, what: &str) -> Result<&[u8]> {
        match &self.body {
            Ok(body) => Ok(body),
            Err(error) => {
                let message = format!("{what}: {}", error.message());
                Err(error.clone().with_message(message))
            }
        }
    }
}

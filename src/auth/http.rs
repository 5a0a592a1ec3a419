//! One request to an identity service (IAM, ECS metadata, CCE pod identity) and its answer,
//! read by the one answer reader ([`crate::answer`]): transport failures mapped as for APIG,
//! the body read within bounds, the message naming the service. `Identity::resolve` makes every
//! failure here a credentials failure.

pub(crate) use crate::answer::Answer;
use crate::error::{Error, ErrorKind, Result};

/// What is left of a call's deadline for a request to an identity service (an error when
/// nothing is).
pub(crate) fn remaining(deadline: std::time::Instant, what: &str) -> Result<std::time::Duration> {
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    if left.is_zero() {
        return Err(Error::new(ErrorKind::Timeout, format!("{what}: the call's deadline passed before it answered")));
    }
    Ok(left)
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

/// The answer of a request whose head came (or the transport failure, named): a body that could
/// not be read is a failure here too (identity answers are used whole).
pub(crate) fn read(
    what: &str,
    result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer> {
    let response = result.map_err(|e| {
        let error = crate::transport::map_error(e);
        let message = format!("{what}: {}", error.message());
        error.with_message(message)
    })?;
    let answer = crate::answer::read(response);
    answer.body_or_error(what)?;
    Ok(answer)
}

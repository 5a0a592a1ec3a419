//! The one error type of the library: a kind plus everything the server said.
//!
//! The C status numbers and the Python exception classes are projections of
//! [`ErrorKind`] (see `ffi::status` and `python::errors`); each is one `match`.

use std::fmt;

/// What went wrong, in the categories callers act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bad argument, refused before any I/O.
    InvalidArgument,
    /// A bug in this library (including a caught panic).
    Internal,
    /// The connection could not be made or was lost (DNS, refused, reset).
    Connect,
    /// The connect timeout or the overall deadline passed.
    Timeout,
    /// TLS failed (handshake, certificate verification).
    Tls,
    /// The answer was unusable: oversized, malformed, or an unexpected redirect.
    Protocol,
    /// HTTP 400.
    BadRequest,
    /// HTTP 401.
    Unauthorized,
    /// HTTP 403 (also: a certificate still bound to a domain name).
    Forbidden,
    /// HTTP 404: the certificate (or project) does not exist.
    NotFound,
    /// HTTP 409.
    Conflict,
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx.
    Server,
    /// Any other non-2xx status.
    HttpStatus,
    /// The call was stopped while it waited: `Client::cancel`, or the caller's interrupt check
    /// (Ctrl-C in Python).
    Cancelled,
}

impl ErrorKind {
    /// Every kind, in C status order; tests walk this list.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Internal,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Tls,
        ErrorKind::Protocol,
        ErrorKind::BadRequest,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::HttpStatus,
        ErrorKind::Cancelled,
    ];

    /// The kind of a non-2xx HTTP status.
    pub fn from_http_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::HttpStatus,
        }
    }

    /// A short stable name, used in messages and by the CLI's JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Internal => "internal",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Protocol => "protocol",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

/// An error from any call of this library.
///
/// It never contains a secret: messages are built from validated, non-secret
/// inputs and from what the server answered (with our own secrets scrubbed).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    error_code: Option<String>,
    error_msg: Option<String>,
    request_id: Option<String>,
    body_excerpt: Option<String>,
    attempts: u32,
}

impl Error {
    /// A new error without an HTTP answer.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            http_status: None,
            error_code: None,
            error_msg: None,
            request_id: None,
            body_excerpt: None,
            attempts: 0,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An error built from an HTTP answer.
    pub(crate) fn from_answer(kind: ErrorKind, status: u16, parsed: crate::error_body::ParsedBody) -> Error {
        let message = describe_answer(status, &parsed);
        Error {
            kind,
            message,
            http_status: Some(status),
            error_code: parsed.error_code,
            error_msg: parsed.error_msg,
            request_id: parsed.request_id,
            body_excerpt: parsed.excerpt,
            attempts: 0,
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.attempts = attempts;
        self
    }

    pub(crate) fn with_message(mut self, message: String) -> Error {
        self.message = message;
        self
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// A human-readable description (never contains a secret).
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }
    /// The APIG error code (`"APIG.3021"`), when the body had one.
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.as_deref()
    }
    /// The server's error message, when the body had one.
    pub fn error_msg(&self) -> Option<&str> {
        self.error_msg.as_deref()
    }
    /// The request id (header `X-Request-Id`, else the body's `request_id`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// A bounded, printable excerpt of the answer's body.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.body_excerpt.as_deref()
    }
    /// How many HTTP attempts were made (0 when the call failed before any I/O).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

fn describe_answer(status: u16, parsed: &crate::error_body::ParsedBody) -> String {
    let mut message = format!("HTTP {status}");
    match (&parsed.error_code, &parsed.error_msg) {
        (Some(code), Some(msg)) => message.push_str(&format!(": {code}: {msg}")),
        (Some(code), None) => message.push_str(&format!(": {code}")),
        (None, Some(msg)) => message.push_str(&format!(": {msg}")),
        (None, None) => match &parsed.excerpt {
            Some(excerpt) => message.push_str(&format!(" ({}): {excerpt}", parsed.shape)),
            None => message.push_str(" (empty body)"),
        },
    }
    if let Some(id) = &parsed.request_id {
        message.push_str(&format!(" [request id {id}]"));
    }
    message
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field is non-secret by construction, so a derived-looking Debug is safe.
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .field("error_code", &self.error_code)
            .field("error_msg", &self.error_msg)
            .field("request_id", &self.request_id)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl std::error::Error for Error {}

/// The result type of this library.
pub type Result<T> = std::result::Result<T, Error>;

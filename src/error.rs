//! The one error type of the library: a kind plus everything the server said.
//!
//! The C status numbers and the Python exception classes are projections of
//! [`ErrorKind`] (see `ffi::status` and `python::errors`); each is one `match`.

use std::fmt;
use std::sync::Arc;

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
    /// HTTP 403 (a certificate still bound to domain names is [`ErrorKind::InUse`] when the
    /// bindings could be looked up).
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
    /// Credentials or the project id could not be obtained: no source found, or IAM, the ECS
    /// metadata service or CCE pod identity refused or failed. Never APIG's answer: its HTTP
    /// status, code and message are the identity service's (named in the message).
    Credentials,
    /// APIG refused to delete a certificate that is still bound to domain names (it answered
    /// 403, and its attached-domains call then listed them: [`Error::domains`]). A kind of
    /// [`ErrorKind::Forbidden`]: the HTTP status, code and message are the refusal's.
    InUse,
}

/// One row of the error table: everything every surface says about a kind. The C status
/// enum (`ffi::status`), the Python classes (`python::errors`, `pyapig/_exceptions.py`), the
/// README's table and the header's list are derived from it or checked against it by tests.
pub(crate) struct KindInfo {
    pub kind: ErrorKind,
    /// The C status number (`apig_status`), also Python's `code`.
    pub number: i32,
    /// A short stable name, used in messages and by the CLI's JSON output.
    pub name: &'static str,
    /// The C name of the status.
    pub c_name: &'static std::ffi::CStr,
    /// The Python class (module `pyapig`).
    #[cfg_attr(not(feature = "python"), allow(dead_code))]
    pub python_class: &'static str,
}

macro_rules! table {
    ($(($kind:ident, $number:literal, $name:literal, $c_name:literal, $class:literal)),* $(,)?) => {
        /// The error table, in C status order.
        pub(crate) const TABLE: &[KindInfo] = &[
            $(KindInfo { kind: ErrorKind::$kind, number: $number, name: $name, c_name: $c_name, python_class: $class }),*
        ];

        impl ErrorKind {
            /// Every kind, in C status order; tests walk this list.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];
        }
    };
}

table![
    (InvalidArgument, 1, "invalid_argument", c"APIG_E_INVALID_ARGUMENT", "InvalidArgumentError"),
    (Internal, 2, "internal", c"APIG_E_INTERNAL", "InternalError"),
    (Connect, 3, "connect", c"APIG_E_CONNECT", "APIConnectionError"),
    (Timeout, 4, "timeout", c"APIG_E_TIMEOUT", "APITimeoutError"),
    (Tls, 5, "tls", c"APIG_E_TLS", "TLSError"),
    (Protocol, 6, "protocol", c"APIG_E_PROTOCOL", "APIResponseError"),
    (BadRequest, 7, "bad_request", c"APIG_E_BAD_REQUEST", "BadRequestError"),
    (Unauthorized, 8, "unauthorized", c"APIG_E_UNAUTHORIZED", "AuthenticationError"),
    (Forbidden, 9, "forbidden", c"APIG_E_FORBIDDEN", "PermissionDeniedError"),
    (NotFound, 10, "not_found", c"APIG_E_NOT_FOUND", "NotFoundError"),
    (Conflict, 11, "conflict", c"APIG_E_CONFLICT", "ConflictError"),
    (RateLimited, 12, "rate_limited", c"APIG_E_RATE_LIMITED", "RateLimitError"),
    (Server, 13, "server", c"APIG_E_SERVER", "InternalServerError"),
    (HttpStatus, 14, "http_status", c"APIG_E_HTTP_STATUS", "APIStatusError"),
    (Cancelled, 15, "cancelled", c"APIG_E_CANCELLED", "CancelledError"),
    (Credentials, 16, "credentials", c"APIG_E_CREDENTIALS", "CredentialsError"),
    (InUse, 17, "in_use", c"APIG_E_IN_USE", "CertificateInUseError"),
];

impl ErrorKind {
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

    /// This kind's row of the error table.
    pub(crate) fn info(self) -> &'static KindInfo {
        // Every kind has its row (a unit test checks it), so the fallback is never taken.
        TABLE.iter().find(|row| row.kind == self).unwrap_or(&TABLE[1])
    }

    /// A short stable name, used in messages and by the CLI's JSON output.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The C status number of this kind (`apig_status` in `apig.h`; Python's `code`).
    pub fn code(self) -> i32 {
        self.info().number
    }
}

/// What a server said in an error answer, as the body parser (`error_body`) found it: plain
/// data, so that the error model needs no parser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedBody {
    /// The service's error code (`APIG.3021`).
    pub error_code: Option<String>,
    /// The service's error message.
    pub error_msg: Option<String>,
    /// The request id (the header's, else the body's).
    pub request_id: Option<String>,
    /// A bounded, printable excerpt of the raw body (None for an empty body).
    pub excerpt: Option<String>,
    /// What the body looked like: "json", "html", "text", "binary", "empty".
    pub shape: &'static str,
}

/// An error from any call of this library.
///
/// It never contains a secret: messages are built from validated, non-secret
/// inputs and from what the server answered (with our own secrets scrubbed). Boxed: a
/// `Result<_, Error>` stays one pointer wide.
#[derive(Clone)]
pub struct Error(Box<Inner>);

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    error_code: Option<String>,
    error_msg: Option<String>,
    request_id: Option<String>,
    body_excerpt: Option<String>,
    attempts: u32,
    /// What failed underneath (an I/O error, a TLS error), for `source()`.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    /// A transport failure of a type this library does not know: never retried, since
    /// nobody can say whether repeating the DELETE is safe.
    unclassified: bool,
    /// For a [`ErrorKind::Credentials`] error: what the identity service's failure would be
    /// as an answer of APIG's (a 503, a timeout…), so that transient ones are retried.
    cause: Option<ErrorKind>,
    /// For a [`ErrorKind::InUse`] error: the domain names the certificate is bound to.
    domains: Vec<String>,
    /// Throttling answers the call met before it failed.
    throttled: u32,
}

impl PartialEq for Error {
    /// Equal when everything but the underlying cause is equal.
    fn eq(&self, other: &Error) -> bool {
        let (a, b) = (&self.0, &other.0);
        let fields = |e: &Inner| {
            (e.kind, e.message.clone(), e.http_status, e.error_code.clone(), e.error_msg.clone(), e.request_id.clone())
        };
        fields(a) == fields(b) && (&a.body_excerpt, a.attempts, &a.domains) == (&b.body_excerpt, b.attempts, &b.domains)
    }
}

impl Eq for Error {}

impl Error {
    /// A new error without an HTTP answer.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            http_status: None,
            error_code: None,
            error_msg: None,
            request_id: None,
            body_excerpt: None,
            attempts: 0,
            source: None,
            unclassified: false,
            cause: None,
            domains: Vec::new(),
            throttled: 0,
        }))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An error built from an HTTP answer.
    pub(crate) fn from_answer(kind: ErrorKind, status: u16, parsed: ParsedBody) -> Error {
        let message = describe_answer(status, &parsed);
        let mut error = Error::new(kind, message);
        let inner = &mut error.0;
        inner.http_status = Some(status);
        inner.error_code = parsed.error_code;
        inner.error_msg = parsed.error_msg;
        inner.request_id = parsed.request_id;
        inner.body_excerpt = parsed.excerpt;
        error
    }

    pub(crate) fn with_throttled(mut self, throttled: u32) -> Error {
        self.0.throttled = throttled;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.0.attempts = attempts;
        self
    }

    pub(crate) fn with_message(mut self, message: String) -> Error {
        self.0.message = message;
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.0.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn unclassified(mut self) -> Error {
        self.0.unclassified = true;
        self
    }

    /// This failure to obtain credentials or the project id as a [`ErrorKind::Credentials`]
    /// error, keeping everything the identity service said. A stop stays a stop, a bug a bug.
    pub(crate) fn into_credentials(mut self) -> Error {
        if !matches!(self.0.kind, ErrorKind::Cancelled | ErrorKind::Internal | ErrorKind::Credentials) {
            self.0.cause = Some(self.0.kind);
            self.0.kind = ErrorKind::Credentials;
        }
        self
    }

    /// This refusal of a delete as [`ErrorKind::InUse`]: the certificate is bound to `domains`
    /// (non-empty). Everything the refusal said is kept; the message says what is bound first.
    pub(crate) fn into_in_use(mut self, certificate_id: &str, domains: Vec<String>) -> Error {
        const SHOWN: usize = 10;
        // What the server said, bounded and printable in the message; whole in `domains`.
        let mut names =
            domains.iter().take(SHOWN).map(|d| crate::text::printable(d, 100)).collect::<Vec<_>>().join(", ");
        if domains.len() > SHOWN {
            names.push_str(&format!(" and {} more", domains.len() - SHOWN));
        }
        let count = match domains.len() {
            1 => "1 domain name".to_string(),
            n => format!("{n} domain names"),
        };
        self.0.message = format!(
            "certificate {certificate_id} is still bound to {count} ({names}): detach them first, or delete with \
             detach_domains; {}",
            self.0.message
        );
        self.0.kind = ErrorKind::InUse;
        self.0.domains = domains;
        self
    }

    /// For a credentials failure: the kind the identity service's failure had (a timeout, a 503…).
    pub(crate) fn cause_kind(&self) -> Option<ErrorKind> {
        self.0.cause
    }

    /// Whether this is a transport failure of a type the library does not recognize.
    pub(crate) fn is_unclassified(&self) -> bool {
        self.0.unclassified
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// A human-readable description (never contains a secret).
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.0.http_status
    }
    /// The APIG error code (`"APIG.3021"`), when the body had one.
    pub fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }
    /// The server's error message, when the body had one.
    pub fn error_msg(&self) -> Option<&str> {
        self.0.error_msg.as_deref()
    }
    /// The request id (header `X-Request-Id`, else the body's `request_id`).
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// A bounded, printable excerpt of the answer's body.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.0.body_excerpt.as_deref()
    }
    /// How many HTTP attempts were made (0 when the call failed before any I/O).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }
    /// How many throttling answers (429, 503 with `Retry-After`) the call met, each retried at
    /// the client's rate until the deadline.
    pub fn throttled(&self) -> u32 {
        self.0.throttled
    }
    /// For [`ErrorKind::InUse`]: the domain names the certificate is still bound to (each once,
    /// in APIG's order); empty for every other kind.
    pub fn domains(&self) -> &[String] {
        &self.0.domains
    }
}

fn describe_answer(status: u16, parsed: &ParsedBody) -> String {
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
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field is non-secret by construction, so a derived-looking Debug is safe.
        let e = &self.0;
        f.debug_struct("Error")
            .field("kind", &e.kind)
            .field("message", &e.message)
            .field("http_status", &e.http_status)
            .field("error_code", &e.error_code)
            .field("error_msg", &e.error_msg)
            .field("request_id", &e.request_id)
            .field("attempts", &e.attempts)
            .field("domains", &e.domains)
            .field("source", &e.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for Error {
    /// What failed underneath: the I/O or TLS error of a transport failure.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The result type of this library.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row_and_numbers_follow_each_other() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.number, i as i32 + 1);
            assert_eq!(ErrorKind::ALL[i], row.kind);
            assert_eq!(row.kind.info().number, row.number);
            assert!(row.c_name.to_str().unwrap().starts_with("APIG_E_"));
        }
    }

    /// The README's error table says what the core table says, row for row.
    #[test]
    fn the_readme_table_is_the_core_table() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let rows: Vec<(String, i32, String)> = readme
            .lines()
            .filter(|l| l.starts_with('|') && l.contains("`APIG_E_"))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let (c_name, number) = cells[2].split_once(" = ").unwrap();
                let class = cells[3].split('`').nth(1).unwrap_or("").to_string();
                (c_name.trim_matches('`').to_string(), number.parse().unwrap(), class)
            })
            .collect();
        let expected: Vec<(String, i32, String)> = TABLE
            .iter()
            .map(|r| (r.c_name.to_str().unwrap().to_string(), r.number, r.python_class.to_string()))
            .collect();
        assert_eq!(rows, expected);
    }

    /// `pyapig/_exceptions.py` defines each class with its number.
    #[test]
    fn the_python_classes_carry_the_table_numbers() {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/python/pyapig/_exceptions.py")).unwrap();
        for row in TABLE {
            let class = source
                .split(&format!("\nclass {}(", row.python_class))
                .nth(1)
                .unwrap_or_else(|| panic!("{}", row.python_class));
            let code = class.split("code = ").nth(1).unwrap().split_whitespace().next().unwrap();
            assert_eq!(code, row.number.to_string(), "{}", row.python_class);
        }
    }
}

//! `apig_status`: the one result type of the C API, and its projection from [`ErrorKind`].

use crate::error::ErrorKind;
use std::ffi::CStr;

/// The outcome of every fallible C call. The numbers are part of the ABI: new ones are
/// only ever appended, and a number is never reused.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apig_status {
    /// Success.
    APIG_OK = 0,
    /// A bad argument (NULL, not UTF-8, malformed id, endpoint, option…), refused before any I/O.
    APIG_E_INVALID_ARGUMENT = 1,
    /// A bug in the library (including a caught panic). Please report it.
    APIG_E_INTERNAL = 2,
    /// The connection could not be made or was lost (DNS, refused, reset).
    APIG_E_CONNECT = 3,
    /// The connect timeout or the call's deadline passed.
    APIG_E_TIMEOUT = 4,
    /// TLS failed (handshake, certificate verification).
    APIG_E_TLS = 5,
    /// The answer was unusable (oversized, malformed, or a redirect, which is never followed).
    APIG_E_PROTOCOL = 6,
    /// HTTP 400: a parameter was refused by the server.
    APIG_E_BAD_REQUEST = 7,
    /// HTTP 401: the token or signature was refused.
    APIG_E_UNAUTHORIZED = 8,
    /// HTTP 403: no permission (a certificate still bound to domain names is `APIG_E_IN_USE`).
    APIG_E_FORBIDDEN = 9,
    /// HTTP 404: the certificate does not exist.
    APIG_E_NOT_FOUND = 10,
    /// HTTP 409.
    APIG_E_CONFLICT = 11,
    /// HTTP 429: throttled (retried within the deadline before this is returned).
    APIG_E_RATE_LIMITED = 12,
    /// HTTP 5xx.
    APIG_E_SERVER = 13,
    /// Any other non-2xx HTTP status.
    APIG_E_HTTP_STATUS = 14,
    /// The call was stopped by `apig_client_cancel` while it waited.
    APIG_E_CANCELLED = 15,
    /// Credentials or the project id could not be obtained (no source found; IAM, ECS metadata
    /// or CCE pod identity refused or failed). The HTTP status, code and message are the
    /// identity service's, never APIG's: nothing is said about the certificate.
    APIG_E_CREDENTIALS = 16,
    /// HTTP 403 because the certificate is still bound to domain names: the error lists them
    /// (`apig_error_domain_count`, `apig_error_domain`). Delete with the detach option, or
    /// detach them first.
    APIG_E_IN_USE = 17,
}

impl From<ErrorKind> for apig_status {
    fn from(kind: ErrorKind) -> apig_status {
        match kind {
            ErrorKind::InvalidArgument => apig_status::APIG_E_INVALID_ARGUMENT,
            ErrorKind::Internal => apig_status::APIG_E_INTERNAL,
            ErrorKind::Connect => apig_status::APIG_E_CONNECT,
            ErrorKind::Timeout => apig_status::APIG_E_TIMEOUT,
            ErrorKind::Tls => apig_status::APIG_E_TLS,
            ErrorKind::Protocol => apig_status::APIG_E_PROTOCOL,
            ErrorKind::BadRequest => apig_status::APIG_E_BAD_REQUEST,
            ErrorKind::Unauthorized => apig_status::APIG_E_UNAUTHORIZED,
            ErrorKind::Forbidden => apig_status::APIG_E_FORBIDDEN,
            ErrorKind::NotFound => apig_status::APIG_E_NOT_FOUND,
            ErrorKind::Conflict => apig_status::APIG_E_CONFLICT,
            ErrorKind::RateLimited => apig_status::APIG_E_RATE_LIMITED,
            ErrorKind::Server => apig_status::APIG_E_SERVER,
            ErrorKind::HttpStatus => apig_status::APIG_E_HTTP_STATUS,
            ErrorKind::Cancelled => apig_status::APIG_E_CANCELLED,
            ErrorKind::Credentials => apig_status::APIG_E_CREDENTIALS,
            ErrorKind::InUse => apig_status::APIG_E_IN_USE,
        }
    }
}

/// The C name of a status number ("APIG_E_NOT_FOUND"), from the error table; static and
/// NUL-terminated; `APIG_E_UNKNOWN` for any number that is not a status.
pub fn status_cname(status: i32) -> &'static CStr {
    if status == 0 {
        return c"APIG_OK";
    }
    crate::error::TABLE.iter().find(|row| row.number == status).map_or(c"APIG_E_UNKNOWN", |row| row.c_name)
}

/// [`status_cname`] as a `&str`.
#[cfg(test)]
pub fn status_name(status: i32) -> &'static str {
    status_cname(status).to_str().unwrap_or("APIG_E_UNKNOWN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enum_is_the_table() {
        for kind in ErrorKind::ALL {
            let status = apig_status::from(*kind);
            assert_eq!(status as i32, kind.code(), "{kind:?}");
            assert_eq!(format!("{status:?}"), status_name(kind.code()));
        }
        assert_eq!(status_name(0), "APIG_OK");
        assert_eq!(status_name(-1), "APIG_E_UNKNOWN");
        assert_eq!(status_name(18), "APIG_E_UNKNOWN");
    }
}

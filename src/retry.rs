//! When to retry, and how long to wait: exponential backoff with full jitter,
//! `Retry-After` honoured, everything capped by the call's deadline.

use crate::error::{Error, ErrorKind};
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// First backoff step; the n-th retry waits a random time in [0, BASE·2ⁿ], capped.
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);

/// Whether an error may be retried. Only failures where repeating a DELETE is safe and
/// may help: connection failures, timeouts, 429, 502/503/504 and 500 `APIG.9999`.
pub fn is_retryable(error: &Error) -> bool {
    // A failure to obtain credentials is retried as the identity service's failure would be.
    let kind = match error.kind() {
        ErrorKind::Credentials => match error.cause_kind() {
            Some(cause) => cause,
            None => return false,
        },
        kind => kind,
    };
    match kind {
        // A transport failure of a type we do not know: nobody can say a second DELETE is safe.
        ErrorKind::Connect | ErrorKind::Timeout if error.is_unclassified() => false,
        ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::RateLimited => true,
        ErrorKind::Server => match error.http_status() {
            Some(502..=504) => true,
            Some(500) => error.error_code() == Some("APIG.9999"),
            _ => false,
        },
        _ => false,
    }
}

/// Whether the failed attempt may have reached the server and acted (so that a later
/// 404 may mean "an earlier attempt deleted it").
pub fn may_have_acted(error: &Error) -> bool {
    match error.kind() {
        // A timeout or a lost connection can happen after the server has acted.
        ErrorKind::Timeout | ErrorKind::Connect => true,
        // A 5xx may come from a proxy after the gateway acted.
        ErrorKind::Server => true,
        _ => false,
    }
}

/// The wait before retry number `retry` (1-based): full jitter over an exponential window.
pub fn backoff(retry: u32) -> Duration {
    let window = BACKOFF_BASE.saturating_mul(1u32 << retry.saturating_sub(1).min(16)).min(BACKOFF_CAP);
    let nanos = window.as_nanos() as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % (nanos + 1))
}

/// A random number from the standard library's randomly keyed hasher; good enough
/// for jitter and it needs no extra dependency.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.finish()
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_in_window() {
        for retry in 1..40 {
            let d = backoff(retry);
            let window = BACKOFF_BASE.saturating_mul(1 << (retry - 1).min(16)).min(BACKOFF_CAP);
            assert!(d <= window, "{retry}: {d:?} > {window:?}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}

#[cfg(test)]
mod classification_tests {
    use super::*;
    use std::io;

    fn io_failure(kind: io::ErrorKind) -> Error {
        crate::transport::map_error(ureq::Error::Io(io::Error::new(kind, "boom")))
    }

    #[test]
    fn known_transport_failures_are_retried_unknown_ones_never() {
        let reset = io_failure(io::ErrorKind::ConnectionReset);
        assert!(is_retryable(&reset));
        assert_eq!(reset.kind(), ErrorKind::Connect);
        // An I/O failure of a kind nobody expects on a socket: reported, never retried.
        let odd = io_failure(io::ErrorKind::PermissionDenied);
        assert_eq!(odd.kind(), ErrorKind::Connect);
        assert!(!is_retryable(&odd), "{odd:?}");
        // The cause is kept.
        let source = std::error::Error::source(&odd).expect("a source");
        assert!(source.to_string().contains("boom"), "{source}");
    }

    #[test]
    fn tls_is_recognized_by_type_not_by_text() {
        let tls = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(crate::transport::map_error(ureq::Error::Io(tls)).kind(), ErrorKind::Tls);
        // The letters "tls" in an unrelated message make nothing a TLS failure.
        let text = io::Error::new(io::ErrorKind::InvalidData, "tls-like words in a proxy's complaint");
        assert_eq!(crate::transport::map_error(ureq::Error::Io(text)).kind(), ErrorKind::Connect);
    }
}

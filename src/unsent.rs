//! A mark on a failure that came before any byte of the request left: the TCP connect (to the
//! endpoint or its proxy) or the TLS handshake. Such a failure may move a call to another
//! endpoint ([`crate::transport::never_sent`]). It is marked where it happens rather than
//! guessed from its I/O kind later: "host unreachable", "network down" and the like can also end
//! a connection that was made, after the request left.

use std::io;

/// The failure it wraps, marked as coming before the request was sent. Shows as that failure;
/// its kind and the chain below it (a `rustls::Error`, say) are kept.
#[derive(Debug)]
pub(crate) struct Unsent(io::Error);

/// `e`, marked as a failure before the request left.
pub(crate) fn mark(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), Unsent(e))
}

/// Whether `e` was marked by [`mark`].
pub(crate) fn is_marked(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Unsent>())
}

impl std::fmt::Display for Unsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Unsent {
    // io::Error's own `source` skips the error it wraps: give that error, so that a walk of
    // the chain still finds what the connection failed on (a rustls error, a stop).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_keeps_the_kind_and_the_message() {
        let e = mark(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
        assert!(is_marked(&e));
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(e.to_string(), "refused");
        assert!(!is_marked(&io::Error::new(io::ErrorKind::HostUnreachable, "after sending")));
    }
}

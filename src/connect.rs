//! Opening a TCP connection that can be stopped while it waits: the connect of a host that does
//! not answer (a black hole, a firewall that drops) would otherwise hold a call for the whole
//! connect timeout, deaf to Ctrl-C and to `cancel()`. On Linux the connect waits in slices of
//! [`SLICE`], looking in between whether the call should stop; elsewhere it is std's.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[cfg(target_os = "linux")]
use crate::interrupt::SLICE;

/// Connects to `addr`, waiting at most `limit` (None: as long as the system does).
#[cfg(not(target_os = "linux"))]
pub(crate) fn connect(addr: &SocketAddr, limit: Option<Duration>) -> io::Result<TcpStream> {
    match limit {
        Some(limit) => TcpStream::connect_timeout(addr, limit),
        None => TcpStream::connect(addr),
    }
}

/// Connects to `addr`, waiting at most `limit` (None: as long as the system does), in slices:
/// [`crate::interrupt::stopped_io_error`] when the call was stopped meanwhile.
#[cfg(target_os = "linux")]
pub(crate) fn connect(addr: &SocketAddr, limit: Option<Duration>) -> io::Result<TcpStream> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::time::Instant;

    let domain = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: plain system call; the result is checked.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new socket nothing else owns: the stream owns (and closes) it from here.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let (address, length) = socket_address(addr);
    // SAFETY: `address` is a valid socket address of `length` bytes for the socket's family.
    let rc = unsafe { libc::connect(stream.as_raw_fd(), (&raw const address).cast::<libc::sockaddr>(), length) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
        let started = Instant::now();
        loop {
            let wait = match limit {
                Some(limit) => {
                    let left = limit.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "connection timed out"));
                    }
                    left.min(SLICE)
                }
                None => SLICE,
            };
            let mut poll = libc::pollfd { fd: stream.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
            let millis = wait.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&raw mut poll, 1, millis) };
            if ready > 0 {
                break;
            }
            if ready < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return Err(io::Error::last_os_error());
            }
            // A slice ran out, or a signal came (Ctrl-C): should the call stop?
            if crate::interrupt::should_stop() {
                return Err(crate::interrupt::stopped_io_error());
            }
        }
        // Connected, or refused: the socket's pending error says which.
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
    }
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// `addr` as the C socket address `connect` takes, and its length.
#[cfg(target_os = "linux")]
fn socket_address(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero bytes are a valid (empty) sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let length = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for any socket address.
            let sin = unsafe { &mut *(&raw mut storage).cast::<libc::sockaddr_in>() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: as above.
            let sin6 = unsafe { &mut *(&raw mut storage).cast::<libc::sockaddr_in6>() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr = libc::in6_addr { s6_addr: a.ip().octets() };
            sin6.sin6_scope_id = a.scope_id();
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, length as libc::socklen_t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn connects_and_reports_a_refusal() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = connect(&addr, Some(Duration::from_secs(5))).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(accepted.peer_addr().unwrap(), stream.local_addr().unwrap());
        drop(listener);
        let e = connect(&addr, Some(Duration::from_secs(5))).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn connects_over_ipv6_when_the_machine_has_it() {
        let Ok(listener) = TcpListener::bind("[::1]:0") else { return };
        let stream = connect(&listener.local_addr().unwrap(), None).unwrap();
        assert!(stream.peer_addr().unwrap().is_ipv6());
    }
}

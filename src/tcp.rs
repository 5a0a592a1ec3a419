//! TCP connections for our agents, as ureq's own (same timeouts, same errors) but for one thing:
//! the question ureq asks twice per call of a pooled connection ("is it still open?": when it goes
//! back to the pool and when it is taken out) costs one system call instead of three. ureq
//! switches the socket to non-blocking, reads, and switches it back; we peek without waiting
//! (`recv(MSG_PEEK | MSG_DONTWAIT)`), which also leaves any byte where it was.
//!
//! Not carried over from ureq's connector: registering the socket for `Agent`-wide shutdown,
//! which we never use.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};

/// The shortest attempt given to one address when a host has several.
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Opens the TCP connection, unless an earlier connector (a proxy's) already made one.
#[derive(Debug)]
pub(crate) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, Tcp>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(transport) = chained {
            return Ok(Some(Either::A(transport)));
        }
        // A stopped call opens no new connection.
        if crate::interrupt::cancelled() {
            return Err(ureq::Error::Io(crate::interrupt::stopped_io_error()));
        }
        // Nothing was sent yet: a failure here may move the call to another endpoint.
        let stream = connect(details).map_err(|e| match e {
            ureq::Error::Io(e) if !crate::interrupt::is_stopped(&e) => ureq::Error::Io(crate::unsent::mark(e)),
            other => other,
        })?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(Tcp { stream, buffers, read_timeout: None, write_timeout: None })))
    }
}

/// When the connection (TCP connect and TLS handshake) must be made by: `details.timeout` counts
/// from `details.now`. None: no limit.
pub(crate) fn connect_deadline(details: &ConnectionDetails) -> Option<Instant> {
    if details.timeout.after.is_not_happening() {
        return None;
    }
    let started = match details.now {
        UreqInstant::Exact(at) => at,
        _ => Instant::now(),
    };
    Some(started + *details.timeout.after)
}

/// Tries the host's addresses in turn within the connect timeout, sharing what is left of it
/// between the addresses not yet tried.
fn connect(details: &ConnectionDetails) -> Result<TcpStream, ureq::Error> {
    let deadline = connect_deadline(details);
    let addrs: Vec<SocketAddr> = details.addrs.iter().copied().collect();
    let mut last = ureq::Error::ConnectionFailed;
    for (i, addr) in addrs.iter().enumerate() {
        let attempt = match deadline {
            None => crate::connect::connect(addr, None),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(ureq::Error::Timeout(details.timeout.reason));
                }
                let share = (left / (addrs.len() - i) as u32).max(MIN_PER_ADDRESS).min(left);
                crate::connect::connect(addr, Some(share))
            }
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            // Stopped (cancel, Ctrl-C): no other address is tried.
            Err(e) if crate::interrupt::is_stopped(&e) => return Err(ureq::Error::Io(e)),
            Err(e) => last = io_error(e, &details.timeout),
        }
    }
    Err(last)
}

/// One TCP connection.
#[derive(Debug)]
pub(crate) struct Tcp {
    stream: TcpStream,
    buffers: LazyBuffers,
    /// The socket's timeouts as last set: set again only when they change (a system call each).
    read_timeout: Option<UreqDuration>,
    write_timeout: Option<UreqDuration>,
}

/// Sets a socket timeout unless it is already `timeout`.
fn update_timeout(
    stream: &TcpStream,
    current: &mut Option<UreqDuration>,
    timeout: Option<UreqDuration>,
    set: fn(&TcpStream, Option<Duration>) -> io::Result<()>,
) -> io::Result<()> {
    if *current != timeout {
        set(stream, timeout.map(|t| *t))?;
        *current = timeout;
    }
    Ok(())
}

/// An I/O failure as ureq reports it: a socket timeout is the timeout's reason.
fn io_error(e: io::Error, timeout: &NextTimeout) -> ureq::Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ureq::Error::Timeout(timeout.reason),
        _ => ureq::Error::Io(e),
    }
}

impl Transport for Tcp {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = timeout.for_write();
        if timeout.after.is_zero() {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        // Every call's deadline is new, so the exact time left would differ at every call (a
        // system call each): above 2 s it is rounded down to whole seconds. A send that blocks
        // (a full send buffer) may then give up to a second early, never late.
        let limit = timeout.not_zero().map(|d| match *d {
            d if d > Duration::from_secs(2) => UreqDuration::from(Duration::from_secs(d.as_secs())),
            _ => d,
        });
        update_timeout(&self.stream, &mut self.write_timeout, limit, TcpStream::set_write_timeout)?;
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output).map_err(|e| io_error(e, &timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        if timeout.after.is_zero() {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        update_timeout(&self.stream, &mut self.read_timeout, timeout.not_zero(), TcpStream::set_read_timeout)?;
        let started = Instant::now();
        let input = self.buffers.input_append_buf();
        let amount = loop {
            match self.stream.read(input) {
                // A signal woke the read: wait for what is left of the time.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if let Some(limit) = timeout.not_zero() {
                        let left = limit.saturating_sub(started.elapsed());
                        if left.is_zero() {
                            return Err(ureq::Error::Timeout(timeout.reason));
                        }
                        let left = Some(UreqDuration::from(left));
                        update_timeout(&self.stream, &mut self.read_timeout, left, TcpStream::set_read_timeout)?;
                    }
                }
                other => break other.map_err(|e| io_error(e, &timeout))?,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Open means: nothing to read yet, and no end of stream (as ureq decides: a byte the server
    /// sent unasked means the connection must not be reused either).
    #[cfg(unix)]
    fn is_open(&mut self) -> bool {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.stream);
        let mut byte = 0u8;
        // SAFETY: `fd` is the socket `self.stream` owns, open while `self` lives; `byte` is a
        // valid one-byte buffer; MSG_DONTWAIT makes the call return at once.
        let n =
            unsafe { libc::recv(fd, (&raw mut byte).cast::<libc::c_void>(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
    }

    #[cfg(not(unix))]
    fn is_open(&mut self) -> bool {
        // As ureq does it.
        let open = self.stream.set_nonblocking(true).is_ok()
            && matches!(self.stream.read(&mut [0u8]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        open && self.stream.set_nonblocking(false).is_ok()
    }

    fn is_tls(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn pair() -> (Tcp, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Tcp { stream, buffers: LazyBuffers::new(1024, 1024), read_timeout: None, write_timeout: None }, server)
    }

    #[test]
    fn open_until_the_peer_sends_or_closes() {
        let (mut idle, _server) = pair();
        assert!(idle.is_open());
        assert!(idle.is_open(), "asking twice changes nothing");

        let (mut garbage, mut server) = pair();
        server.write_all(b"x").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!garbage.is_open(), "a byte nobody asked for: not reusable");
        // The byte is still there (peeked, not consumed).
        assert!(garbage.await_input(NextTimeout { after: UreqDuration::from_secs(1), ..Default::default() }).unwrap());
        assert_eq!(garbage.buffers().input(), b"x");

        let (mut closed, server) = pair();
        drop(server);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!closed.is_open(), "the peer closed it");
    }
}

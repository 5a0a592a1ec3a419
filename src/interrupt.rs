//! Stopping a call while it waits: `Client::cancel` (C `apig_client_cancel`) and a caller's
//! check (Python looks for Ctrl-C with it). A waiting call wakes every [`SLICE`] to look: name
//! resolution ([`crate::resolver`]), the connect (on Linux, [`crate::connect`]), every read of a
//! connection — a proxy's CONNECT answer, the TLS handshake, the answer's head and body (through
//! [`Interruptible`], a transport wrapper below TLS that waits in slices) —, a backoff between
//! retries, a wait for another thread's credential fetch, and the start of every attempt. A call
//! stopped mid-answer drops its connection, so nothing half-read ever goes back to the pool.
//!
//! A stop is sticky: once seen, every later step of the call fails at once (no DELETE is sent
//! after it), and it is reported as [`Stopped`] inside an I/O error of kind `Other` — never
//! `Interrupted`, which std (`read_to_end`, `write_all`) and rustls (`complete_io`) retry by
//! design. The fast path costs a thread-local read per wait; nothing at all while the answer is
//! already there.

use std::cell::Cell;
use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// How long a waiting call goes without looking whether it should stop.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// What a call looks at while it waits.
pub(crate) struct Watch<'a> {
    /// The client's count of `cancel()` calls, and its value when the call started.
    pub cancels: &'a AtomicU64,
    pub seen: u64,
    /// The caller's own check (true: stop).
    pub check: Option<&'a (dyn Fn() -> bool + Sync)>,
    /// The caller's flag (true: stop), cheap enough to read at every step.
    pub flag: Option<&'a std::sync::atomic::AtomicBool>,
    /// Set once a stop was seen: the call stays stopped (the caller's check may say "stop" only
    /// once, as Python's signal check does).
    pub stopped: Cell<bool>,
}

impl<'a> Watch<'a> {
    /// A watch on `cancels` from its value now, with the caller's `check`.
    pub fn new(
        cancels: &'a AtomicU64,
        check: Option<&'a (dyn Fn() -> bool + Sync)>,
        flag: Option<&'a std::sync::atomic::AtomicBool>,
    ) -> Watch<'a> {
        Watch { cancels, seen: cancels.load(Ordering::SeqCst), check, flag, stopped: Cell::new(false) }
    }

    fn cancelled(&self) -> bool {
        if !self.stopped.get()
            && (self.cancels.load(Ordering::Relaxed) != self.seen
                || self.flag.is_some_and(|f| f.load(Ordering::Relaxed)))
        {
            self.stopped.set(true);
        }
        self.stopped.get()
    }

    fn stop(&self) -> bool {
        if !self.cancelled() && self.check.is_some_and(|check| check()) {
            self.stopped.set(true);
        }
        self.stopped.get()
    }
}

thread_local! {
    static CURRENT: Cell<Option<NonNull<Watch<'static>>>> = const { Cell::new(None) };
}

/// Runs `body` with `watch` as the current thread's watch (restored afterwards, also on panic).
pub(crate) fn watching<R>(watch: &Watch<'_>, body: impl FnOnce() -> R) -> R {
    struct Restore(Option<NonNull<Watch<'static>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    // The pointer is only read while `body` runs, and `watch` outlives this function: the
    // 'static is never relied upon.
    let pointer = NonNull::from(watch).cast::<Watch<'static>>();
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(pointer))));
    body()
}

fn with_current(f: impl FnOnce(&Watch<'_>) -> bool) -> bool {
    // SAFETY: CURRENT holds a pointer only within `watching`, whose `watch` is alive then.
    CURRENT.with(|c| c.get().is_some_and(|w| f(unsafe { w.as_ref() })))
}

/// Whether the call running on this thread should stop: cancelled, or the caller's check says
/// so. The check may be costly (Python takes the GIL for it): ask only after waiting.
pub(crate) fn should_stop() -> bool {
    with_current(|w| w.stop())
}

/// Whether the call's client was cancelled, or the call was stopped before: cheap enough for
/// every step of a call.
pub(crate) fn cancelled() -> bool {
    with_current(|w| w.cancelled())
}

/// Sleeps for `wait`, looking every [`SLICE`]; false when told to stop.
pub(crate) fn sleep(wait: Duration) -> bool {
    if cancelled() {
        return false;
    }
    let until = Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(SLICE));
        if should_stop() {
            return false;
        }
    }
}

/// The error a stopped transport reports; [`crate::transport::map_error`] knows it.
#[derive(Debug)]
pub(crate) struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the call was cancelled")
    }
}

impl std::error::Error for Stopped {}

/// The I/O error of a stopped call: kind `Other` (never `Interrupted`, which readers retry),
/// carrying [`Stopped`] for [`is_stopped`] and [`crate::transport::map_error`].
pub(crate) fn stopped_io_error() -> io::Error {
    io::Error::other(Stopped)
}

fn stopped() -> ureq::Error {
    ureq::Error::Io(stopped_io_error())
}

/// Whether `e` says that the call was stopped.
pub(crate) fn is_stopped(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Stopped>())
}

/// Locks `mutex` and waits on `condvar` until `done` holds (the guard is returned), the
/// `deadline` passes (`Err(true)`) or the call is stopped (`Err(false)`); looks every [`SLICE`].
/// The caller's check (which may run Python code) is asked with the lock released.
pub(crate) fn wait_for<'a, T>(
    mutex: &'a std::sync::Mutex<T>,
    condvar: &std::sync::Condvar,
    deadline: Instant,
    mut done: impl FnMut(&T) -> bool,
) -> Result<std::sync::MutexGuard<'a, T>, bool> {
    let lock = || crate::sync::lock(mutex);
    loop {
        let guard = lock();
        if done(&guard) {
            return Ok(guard);
        }
        if cancelled() {
            return Err(false);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(true);
        }
        let guard = match condvar.wait_timeout(guard, left.min(SLICE)) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        };
        if done(&guard) {
            return Ok(guard);
        }
        drop(guard);
        if should_stop() {
            return Err(false);
        }
    }
}

/// The link of the connector chain between TCP (or a proxy's tunnel) and TLS: wraps every
/// connection so that its reads wait in slices — the TLS handshake and a proxy's CONNECT answer
/// as much as the HTTP answer.
#[derive(Debug)]
pub(crate) struct Interruptible;

impl<In: Transport> Connector<In> for Interruptible {
    type Out = Sliced;

    fn connect(&self, _: &ConnectionDetails, chained: Option<In>) -> Result<Option<Sliced>, ureq::Error> {
        Ok(chained.map(|transport| Sliced(Box::new(transport))))
    }
}

#[derive(Debug)]
pub(crate) struct Sliced(Box<dyn Transport>);

impl Transport for Sliced {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if cancelled() {
            return Err(stopped());
        }
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if cancelled() {
            return Err(stopped());
        }
        let total = *timeout.after;
        if total <= SLICE || timeout.per_read.is_some_and(|p| *p <= SLICE) {
            return self.0.await_input(timeout);
        }
        let started = Instant::now();
        loop {
            let left = total.saturating_sub(started.elapsed());
            if left <= SLICE {
                return self.0.await_input(NextTimeout { after: left.into(), ..timeout });
            }
            match self.0.await_input(NextTimeout { after: SLICE.into(), ..timeout }) {
                // Our slice ran out, not the caller's time: look, then wait again.
                Err(ureq::Error::Timeout(_)) if should_stop() => return Err(stopped()),
                Err(ureq::Error::Timeout(_)) => continue,
                other => return other,
            }
        }
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_is_seen_only_while_it_runs_and_cancels_count() {
        let cancels = AtomicU64::new(3);
        assert!(!should_stop());
        let watch = Watch::new(&cancels, None, None);
        watching(&watch, || {
            assert!(!should_stop());
            cancels.fetch_add(1, Ordering::Relaxed);
            assert!(should_stop());
            assert!(!sleep(Duration::from_secs(5)), "a stopped sleep ends at once");
        });
        assert!(!should_stop());
        let asked = |_: ()| true;
        let check = move || asked(());
        let watch = Watch::new(&cancels, Some(&check), None);
        watching(&watch, || assert!(should_stop()));
    }

    #[test]
    fn a_stop_is_sticky_and_never_an_interrupted_io_error() {
        let cancels = AtomicU64::new(0);
        let asked = std::sync::atomic::AtomicU32::new(0);
        // Says "stop" once, as Python's signal check does.
        let check = || asked.fetch_add(1, Ordering::Relaxed) == 0;
        let watch = Watch::new(&cancels, Some(&check), None);
        watching(&watch, || {
            assert!(should_stop());
            assert!(should_stop(), "still stopped when the check says no more");
            assert!(cancelled(), "the cheap check sees it too");
        });
        let e = stopped_io_error();
        assert_ne!(e.kind(), io::ErrorKind::Interrupted);
        assert!(is_stopped(&e));
        assert!(!is_stopped(&io::Error::other("something else")));
    }
}

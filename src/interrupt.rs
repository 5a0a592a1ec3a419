//! Stopping a call while it waits: `Client::cancel` (C `apig_client_cancel`) and a caller's
//! check (Python looks for Ctrl-C with it). A waiting call wakes every [`SLICE`] to look: the
//! connect (on Linux, [`crate::connect`]), the read of an answer (through [`Interruptible`], a
//! transport wrapper that waits in slices), a backoff between retries, and the start of every
//! attempt. A call stopped mid-answer drops
//! its connection, so nothing half-read ever goes back to the pool. The fast path costs a
//! thread-local read per wait; nothing at all while the answer is already there.

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
}

impl Watch<'_> {
    fn cancelled(&self) -> bool {
        self.cancels.load(Ordering::Relaxed) != self.seen
    }

    fn stop(&self) -> bool {
        self.cancelled() || self.check.is_some_and(|check| check())
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

/// Whether the call's client was cancelled: cheap enough for every step of a call.
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

/// The I/O error of a stopped call (its kind is `Interrupted`).
pub(crate) fn stopped_io_error() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, Stopped)
}

fn stopped() -> ureq::Error {
    ureq::Error::Io(stopped_io_error())
}

/// The last link of the connector chain: wraps every connection so that its reads wait in slices.
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
        let total = *timeout.after;
        if total <= SLICE || timeout.per_read.is_some_and(|p| *p <= SLICE) {
            return self.0.await_input(timeout);
        }
        if cancelled() {
            return Err(stopped());
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
        let watch = Watch { cancels: &cancels, seen: 3, check: None };
        watching(&watch, || {
            assert!(!should_stop());
            cancels.fetch_add(1, Ordering::Relaxed);
            assert!(should_stop());
            assert!(!sleep(Duration::from_secs(5)), "a stopped sleep ends at once");
        });
        assert!(!should_stop());
        let asked = |_: ()| true;
        let check = move || asked(());
        let watch = Watch { cancels: &cancels, seen: 4, check: Some(&check) };
        watching(&watch, || assert!(should_stop()));
    }
}

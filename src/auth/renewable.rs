//! A value that expires (temporary credentials, an IAM token, a discovered project id), fetched
//! by one thread while the others wait — or, while the old value is still good, go on using it.
//! The value is replaced whole (AK, SK and security token together), and a value past its
//! expiry (less a guard) is never handed out.
//!
//! Waiting is the waiter's own business: it stays within its call's deadline and stops on
//! `cancel()` or Ctrl-C. A failed fetch is the answer of every call that waited for it, and of
//! the calls that come within [`FAILURE_SHARED_FOR`] (a refused password: for good), so that one
//! unreachable or refusing service costs one request, not one per call. No lock is held while
//! the fetch runs (it may log, and a log handler may be the application's code).

use crate::error::{Error, ErrorKind, Result};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant, SystemTime};

/// Renew when this much of the lifetime is left, at most (and never later than half-way).
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// Stop using a value this long before it expires, at most (a tenth of its lifetime for
/// short-lived ones): a request signed now must still be valid when the server checks it.
const EXPIRY_GUARD: Duration = Duration::from_secs(30);
/// After a failed renewal while the old value is still usable, wait this long before the next try.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// How long a failed fetch (with no usable value to fall back on) is every call's answer.
pub(crate) const FAILURE_SHARED_FOR: Duration = Duration::from_secs(2);

struct Held<T> {
    value: Arc<T>,
    renew_at: Instant,
    unusable_at: Instant,
    /// No renewal before this (set after a failed one).
    quiet_until: Option<Instant>,
}

struct State<T> {
    held: Option<Held<T>>,
    /// The thread fetching now, if one is.
    fetching: Option<ThreadId>,
    /// The last failed fetch, and until when it is the answer (None: for good).
    failed: Option<(Error, Option<Instant>)>,
    /// Counts the fetches that ended: a waiter waits for it to move.
    ended: u64,
}

pub(crate) struct Renewable<T> {
    state: Mutex<State<T>>,
    fetch_ended: Condvar,
}

impl<T> Default for Renewable<T> {
    fn default() -> Self {
        Renewable {
            state: Mutex::new(State { held: None, fetching: None, failed: None, ended: 0 }),
            fetch_ended: Condvar::new(),
        }
    }
}

fn lock<U>(m: &Mutex<U>) -> MutexGuard<'_, U> {
    // A panic elsewhere must not make the credentials unusable for every later call.
    crate::sync::lock(m)
}

/// What a fetch gives: the value and when it expires (wall clock, as the server says).
#[derive(Debug)]
pub struct Fetched<T> {
    pub value: T,
    pub expires_at: SystemTime,
}

/// Why a fetched value cannot be used at all.
pub(crate) fn expired_on_arrival(expires_at: SystemTime) -> Option<String> {
    match expires_at.duration_since(SystemTime::now()) {
        Ok(left) if !left.is_zero() => None,
        _ => Some(format!(
            "they expire at {}, which is already past by the local clock (check the clock)",
            crate::time::format_timestamp(expires_at)
        )),
    }
}

/// What `get` decided while it held the lock.
enum Step<T> {
    Done(Result<Arc<T>>),
    Wait(u64),
    Fetch { renewing: bool },
}

/// Ends a fetch, however it ends (a panic included): the waiters must never wait for a fetch
/// that nobody runs any more.
struct Fetching<'a, T>(&'a Renewable<T>);

impl<T> Drop for Fetching<'_, T> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.fetching = None;
        state.ended = state.ended.wrapping_add(1);
        drop(state);
        self.0.fetch_ended.notify_all();
    }
}

impl<T> Renewable<T> {
    /// The current value, fetched with `fetch` when it is due. `fetch` runs on one thread at a
    /// time; a thread that finds a fetch under way uses the old value if it is still good, and
    /// otherwise waits for the fetch — until `deadline`, or until the call is stopped. With
    /// `ask_again` (a call retrying after an identity failure), a shared failure is not taken
    /// as the answer: the call fetches anew (a failure kept for good still answers).
    pub fn get(
        &self,
        deadline: Instant,
        ask_again: bool,
        fetch: impl FnOnce() -> Result<Fetched<T>>,
    ) -> Result<Arc<T>> {
        let renewing = loop {
            // Decided and claimed under one guard: two fetches never follow each other by accident.
            let mut state = lock(&self.state);
            match self.step(&state, ask_again) {
                Step::Done(result) => return result,
                Step::Fetch { renewing } => {
                    state.fetching = Some(std::thread::current().id());
                    break renewing;
                }
                Step::Wait(ended) => {
                    drop(state);
                    // The guard is let go at once: the loop looks at the state again.
                    let _ended =
                        crate::interrupt::wait_for(&self.state, &self.fetch_ended, deadline, |s| s.ended != ended)
                            .map_err(|timed_out| match timed_out {
                                true => Error::new(
                                    ErrorKind::Timeout,
                                    "the call's deadline passed while another call was fetching credentials",
                                ),
                                false => Error::new(ErrorKind::Cancelled, "the call was cancelled while it waited"),
                            })?;
                }
            }
        };
        let fetching = Fetching(self);
        log::debug!(
            target: crate::limits::LOG_TARGET,
            "{} temporary credentials, a token or the project id",
            if renewing { "renewing the" } else { "fetching" }
        );
        let result = fetch();
        let mut state = lock(&self.state);
        let answer = match result {
            Ok(fetched) => {
                let value = Arc::new(fetched.value);
                let left = fetched.expires_at.duration_since(SystemTime::now()).unwrap_or_default();
                let now = Instant::now();
                state.held = Some(Held {
                    value: value.clone(),
                    renew_at: now + left.saturating_sub(RENEW_BEFORE.min(left / 2)),
                    unusable_at: now + left.saturating_sub(EXPIRY_GUARD.min(left / 10)),
                    quiet_until: None,
                });
                state.failed = None;
                Ok(value)
            }
            Err(error) => {
                let now = Instant::now();
                // A stop, or this call's own deadline, says nothing about the source: the other
                // calls try again with their own time.
                let own = error.kind() == ErrorKind::Cancelled || now >= deadline;
                match state.held.as_mut() {
                    Some(h) if now < h.unusable_at => {
                        // The old value still works: keep it, and do not hammer the source.
                        if !own {
                            h.quiet_until = Some(now + RETRY_AFTER_FAILURE);
                        }
                        Ok(h.value.clone())
                    }
                    _ => {
                        if !own {
                            state.failed = Some((error.clone(), Some(now + FAILURE_SHARED_FOR)));
                        }
                        Err(error)
                    }
                }
            }
        };
        drop(state);
        drop(fetching);
        answer
    }

    fn step(&self, state: &State<T>, ask_again: bool) -> Step<T> {
        let now = Instant::now();
        let usable = match state.held.as_ref() {
            Some(h) if now < h.renew_at => return Step::Done(Ok(h.value.clone())),
            Some(h) if now < h.unusable_at => {
                if h.quiet_until.is_some_and(|q| now < q) {
                    return Step::Done(Ok(h.value.clone()));
                }
                Some(h.value.clone())
            }
            _ => None,
        };
        match (state.fetching, usable) {
            // Someone else is renewing and the old value is still good: use it.
            (Some(_), Some(old)) => Step::Done(Ok(old)),
            (Some(thread), None) if thread == std::thread::current().id() => Step::Done(Err(Error::new(
                ErrorKind::Credentials,
                "credentials are being fetched by this very thread: a call made while they are (from a log \
                 handler?) cannot wait for them",
            ))),
            (Some(_), None) => Step::Wait(state.ended),
            (None, usable) => {
                if usable.is_none() {
                    if let Some((error, until)) = &state.failed {
                        let shared = until.is_some_and(|u| now < u) && !ask_again;
                        if until.is_none() || shared {
                            return Step::Done(Err(error.clone()));
                        }
                    }
                }
                Step::Fetch { renewing: usable.is_some() }
            }
        }
    }

    /// The value held now, if any, due or not (never past its expiry).
    pub fn peek(&self) -> Option<Arc<T>> {
        let state = lock(&self.state);
        state.held.as_ref().filter(|h| Instant::now() < h.unusable_at).map(|h| h.value.clone())
    }

    /// Holds `value` until `expires_at` unless a value is held already; returns the one held.
    pub fn offer(&self, value: T, expires_at: SystemTime) -> Arc<T> {
        let mut state = lock(&self.state);
        if let Some(h) = state.held.as_ref().filter(|h| Instant::now() < h.unusable_at) {
            return h.value.clone();
        }
        let left = expires_at.duration_since(SystemTime::now()).unwrap_or_default();
        let now = Instant::now();
        let value = Arc::new(value);
        state.held = Some(Held {
            value: value.clone(),
            renew_at: now + left.saturating_sub(RENEW_BEFORE.min(left / 2)),
            unusable_at: now + left.saturating_sub(EXPIRY_GUARD.min(left / 10)),
            quiet_until: None,
        });
        value
    }

    /// Makes `error` the answer of every later `get`, for good (a refused password: trying
    /// again would only count towards the account's lock-out).
    pub fn fail_for_good(&self, error: Error) {
        let mut state = lock(&self.state);
        state.held = None;
        state.failed = Some((error, None));
    }

    /// Forgets `used` (the server refused it), so that the next `get` fetches anew;
    /// a newer value that another thread already fetched is kept.
    pub fn invalidate(&self, used: &Arc<T>) {
        let mut state = lock(&self.state);
        if state.held.as_ref().is_some_and(|h| Arc::ptr_eq(&h.value, used)) {
            state.held = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};
    use std::sync::atomic::{AtomicU32, Ordering};

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn lasting(value: u32, secs: u64) -> Result<Fetched<u32>> {
        Ok(Fetched { value, expires_at: SystemTime::now() + Duration::from_secs(secs) })
    }

    #[test]
    fn fetches_once_while_fresh_and_again_when_due() {
        let r = Renewable::default();
        let fetches = AtomicU32::new(0);
        let fetch = |secs| {
            let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
            lasting(n, secs)
        };
        assert_eq!(*r.get(far(), false, || fetch(3600)).unwrap(), 1);
        assert_eq!(*r.get(far(), false, || fetch(3600)).unwrap(), 1);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A value that is due (its half-life passed at once: 0 s left) is renewed.
        let r2 = Renewable::default();
        assert_eq!(*r2.get(far(), false, || lasting(7, 0)).unwrap(), 7);
        assert_eq!(*r2.get(far(), false, || lasting(8, 3600)).unwrap(), 8);
    }

    #[test]
    fn a_failed_renewal_keeps_a_usable_value_and_fails_without_one() {
        let r = Renewable::default();
        let fail = || Err(Error::new(ErrorKind::Connect, "down"));
        assert_eq!(r.get(far(), false, fail).unwrap_err().message(), "down");
        // The failure is the answer for a while: no second fetch.
        assert_eq!(
            r.get(far(), false, || panic!("no fetch while the failure is shared")).unwrap_err().message(),
            "down"
        );
        // Due for renewal (2 s of 4 left is past half-way after a second) but still usable.
        let r = Renewable::default();
        r.get(far(), false, || lasting(1, 4)).unwrap();
        std::thread::sleep(Duration::from_millis(2100));
        assert_eq!(*r.get(far(), false, fail).unwrap(), 1);
        // Within the quiet period no fetch is even tried.
        assert_eq!(*r.get(far(), false, || panic!("no fetch while quiet")).unwrap(), 1);
    }

    #[test]
    fn invalidate_forgets_only_the_refused_value() {
        let r = Renewable::default();
        let a = r.get(far(), false, || lasting(1, 3600)).unwrap();
        r.invalidate(&Arc::new(1));
        assert!(Arc::ptr_eq(&a, &r.get(far(), false, || lasting(2, 3600)).unwrap()));
        r.invalidate(&a);
        assert_eq!(*r.get(far(), false, || lasting(2, 3600)).unwrap(), 2);
    }

    #[test]
    fn a_waiter_keeps_its_deadline_and_its_stop_and_shares_the_failure() {
        let r = Arc::new(Renewable::<u32>::default());
        let (started, release) = (Arc::new(std::sync::Barrier::new(2)), Arc::new(std::sync::Barrier::new(2)));
        let fetcher = {
            let (r, started, release) = (r.clone(), started.clone(), release.clone());
            std::thread::spawn(move || {
                r.get(far(), false, || {
                    started.wait();
                    release.wait();
                    Err(Error::new(ErrorKind::Server, "IAM answered 503"))
                })
            })
        };
        started.wait();
        // A waiter whose deadline is near gives up then, without waiting for the fetch.
        let e =
            r.get(Instant::now() + Duration::from_millis(120), false, || panic!("one fetch at a time")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
        // A waiter whose call is cancelled stops.
        let cancels = std::sync::atomic::AtomicU64::new(0);
        let watch = crate::interrupt::Watch::new(&cancels, None, None);
        let e = crate::interrupt::watching(&watch, || {
            cancels.fetch_add(1, Ordering::Relaxed);
            r.get(far(), false, || panic!("one fetch at a time")).unwrap_err()
        });
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{e:?}");
        // A waiter gets the fetch's failure, and does not fetch again.
        let waiter = {
            let r = r.clone();
            std::thread::spawn(move || r.get(far(), false, || panic!("the failure is shared")).unwrap_err())
        };
        std::thread::sleep(Duration::from_millis(100));
        release.wait();
        assert_eq!(fetcher.join().unwrap().unwrap_err().message(), "IAM answered 503");
        assert_eq!(waiter.join().unwrap().message(), "IAM answered 503");
    }

    #[test]
    fn a_call_from_the_fetching_thread_fails_at_once_and_a_permanent_failure_stays() {
        let r = Renewable::<u32>::default();
        let inner = r.get(far(), false, || {
            let e = r.get(far(), false, || panic!("no nested fetch")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Credentials);
            lasting(1, 3600)
        });
        assert_eq!(*inner.unwrap(), 1);
        r.fail_for_good(Error::new(ErrorKind::Unauthorized, "the password was refused"));
        std::thread::sleep(Duration::from_millis(10));
        let e = r.get(far(), false, || panic!("never again")).unwrap_err();
        assert_eq!(e.message(), "the password was refused");
    }

    #[test]
    fn a_failure_of_the_fetchers_own_deadline_or_stop_is_not_shared_and_a_retry_asks_again() {
        let r = Renewable::<u32>::default();
        let past = Instant::now();
        let e = r.get(past, false, || Err(Error::new(ErrorKind::Timeout, "the call's deadline passed"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(*r.get(far(), false, || lasting(1, 3600)).unwrap(), 1, "the next call fetched anew");
        // A shared failure, and a call that retries after it: it asks again.
        let r = Renewable::<u32>::default();
        r.get(far(), false, || Err(Error::new(ErrorKind::Server, "503"))).unwrap_err();
        assert_eq!(r.get(far(), false, || panic!("shared")).unwrap_err().message(), "503");
        assert_eq!(*r.get(far(), true, || lasting(2, 3600)).unwrap(), 2);
    }
}

//! A value that expires (temporary credentials, an IAM token), renewed before it does by one
//! thread while the others wait — or, while the old value is still good, go on using it.
//! The value is replaced whole (AK, SK and security token together), and a value past its
//! expiry (less a guard) is never handed out.

use crate::error::Result;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Renew when this much of the lifetime is left, at most (and never later than half-way).
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// Stop using a value this long before it expires, at most (a tenth of its lifetime for
/// short-lived ones): a request signed now must still be valid when the server checks it.
const EXPIRY_GUARD: Duration = Duration::from_secs(30);
/// After a failed renewal while the old value is still usable, wait this long before the next try.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

struct Held<T> {
    value: Arc<T>,
    renew_at: Instant,
    unusable_at: Instant,
    /// No renewal before this (set after a failed one).
    quiet_until: Option<Instant>,
}

pub(crate) struct Renewable<T> {
    held: Mutex<Option<Held<T>>>,
    /// Held by the one thread that renews.
    renewing: Mutex<()>,
}

impl<T> Default for Renewable<T> {
    fn default() -> Self {
        Renewable { held: Mutex::new(None), renewing: Mutex::new(()) }
    }
}

fn lock<U>(m: &Mutex<U>) -> MutexGuard<'_, U> {
    // A panic elsewhere must not make the credentials unusable for every later call.
    m.lock().unwrap_or_else(|p| p.into_inner())
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
            crate::auth::wire::format_timestamp(expires_at)
        )),
    }
}

impl<T> Renewable<T> {
    /// The current value, renewed with `fetch` when it is due. `fetch` runs on one thread
    /// at a time; a thread that finds a renewal under way uses the old value if it is
    /// still good, and waits for the renewal otherwise.
    pub fn get(&self, fetch: impl FnOnce() -> Result<Fetched<T>>) -> Result<Arc<T>> {
        let now = Instant::now();
        let usable = {
            let held = lock(&self.held);
            match held.as_ref() {
                Some(h) if now < h.renew_at => return Ok(h.value.clone()),
                Some(h) if now < h.unusable_at => {
                    if h.quiet_until.is_some_and(|q| now < q) {
                        return Ok(h.value.clone());
                    }
                    Some(h.value.clone())
                }
                _ => None,
            }
        };
        let _renewing = match (&usable, self.renewing.try_lock()) {
            (_, Ok(guard)) => guard,
            (_, Err(std::sync::TryLockError::Poisoned(p))) => p.into_inner(),
            // Someone else is renewing and the old value is still good: use it.
            (Some(old), Err(std::sync::TryLockError::WouldBlock)) => return Ok(old.clone()),
            (None, Err(std::sync::TryLockError::WouldBlock)) => lock(&self.renewing),
        };
        // Renewed by another thread while this one waited?
        {
            let held = lock(&self.held);
            if let Some(h) = held.as_ref() {
                let now = Instant::now();
                if now < h.renew_at || (now < h.unusable_at && h.quiet_until.is_some_and(|q| now < q)) {
                    return Ok(h.value.clone());
                }
            }
        }
        log::debug!(
            target: crate::client::LOG_TARGET,
            "{} temporary credentials or token",
            if usable.is_some() { "renewing the" } else { "fetching" }
        );
        match fetch() {
            Ok(fetched) => {
                let value = Arc::new(fetched.value);
                let left = fetched.expires_at.duration_since(SystemTime::now()).unwrap_or_default();
                let now = Instant::now();
                let held = Held {
                    value: value.clone(),
                    renew_at: now + left.saturating_sub(RENEW_BEFORE.min(left / 2)),
                    unusable_at: now + left.saturating_sub(EXPIRY_GUARD.min(left / 10)),
                    quiet_until: None,
                };
                *lock(&self.held) = Some(held);
                Ok(value)
            }
            Err(error) => {
                let mut held = lock(&self.held);
                match held.as_mut() {
                    Some(h) if Instant::now() < h.unusable_at => {
                        // The old value still works: keep it, and do not hammer the source.
                        h.quiet_until = Some(Instant::now() + RETRY_AFTER_FAILURE);
                        Ok(h.value.clone())
                    }
                    _ => Err(error),
                }
            }
        }
    }

    /// Forgets `used` (the server refused it), so that the next `get` fetches anew;
    /// a newer value that another thread already fetched is kept.
    pub fn invalidate(&self, used: &Arc<T>) {
        let mut held = lock(&self.held);
        if held.as_ref().is_some_and(|h| Arc::ptr_eq(&h.value, used)) {
            *held = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};
    use std::sync::atomic::{AtomicU32, Ordering};

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
        assert_eq!(*r.get(|| fetch(3600)).unwrap(), 1);
        assert_eq!(*r.get(|| fetch(3600)).unwrap(), 1);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A value that is due (its half-life passed at once: 0 s left) is renewed.
        let r2 = Renewable::default();
        assert_eq!(*r2.get(|| lasting(7, 0)).unwrap(), 7);
        assert_eq!(*r2.get(|| lasting(8, 3600)).unwrap(), 8);
    }

    #[test]
    fn a_failed_renewal_keeps_a_usable_value_and_fails_without_one() {
        let r = Renewable::default();
        let fail = || Err(Error::new(ErrorKind::Connect, "down"));
        assert_eq!(r.get(fail).unwrap_err().message(), "down");
        // Due for renewal (2 s of 4 left is past half-way after a second) but still usable.
        r.get(|| lasting(1, 4)).unwrap();
        std::thread::sleep(Duration::from_millis(2100));
        assert_eq!(*r.get(fail).unwrap(), 1);
        // Within the quiet period no fetch is even tried.
        assert_eq!(*r.get(|| panic!("no fetch while quiet")).unwrap(), 1);
    }

    #[test]
    fn invalidate_forgets_only_the_refused_value() {
        let r = Renewable::default();
        let a = r.get(|| lasting(1, 3600)).unwrap();
        r.invalidate(&Arc::new(1));
        assert!(Arc::ptr_eq(&a, &r.get(|| lasting(2, 3600)).unwrap()));
        r.invalidate(&a);
        assert_eq!(*r.get(|| lasting(2, 3600)).unwrap(), 2);
    }
}

//! The one way this crate takes a lock (layer 0).

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering it if a thread panicked while holding it: every lock of this crate
/// guards data that stays consistent between statements (a panic elsewhere must not make the
/// client unusable for every later call).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

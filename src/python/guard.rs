//! The panic guard of the Python surface: a panic in any entry point becomes
//! `pyapig.InternalError` (an `Exception`, which `except Exception` catches), never PyO3's
//! `PanicException` (a `BaseException`, which it does not). As at the C boundary.

use super::errors::to_pyerr;
use crate::error::{Error, ErrorKind};
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs the entry point `name`; a panic becomes `InternalError`.
pub fn guarded<T>(py: Python<'_>, name: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let run = || {
        #[cfg(feature = "test-hooks")]
        hooks::panic_if_armed(name);
        body()
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        // The payload is not shown: it could quote data it should not.
        Err(_) => Err(to_pyerr(
            py,
            &Error::new(
                ErrorKind::Internal,
                format!("internal error in {name} (a panic was caught); please report it"),
            ),
        )),
    }
}

#[cfg(feature = "test-hooks")]
pub use hooks::_panic_next;

/// The tests' way to make an entry point panic (feature `test-hooks`: never in a release wheel,
/// where any importer could otherwise make the next call panic).
#[cfg(feature = "test-hooks")]
mod hooks {
    use pyo3::prelude::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Armed by `_native._panic_next`: the next entry point of that name panics.
    static ARMED: AtomicBool = AtomicBool::new(false);
    static PANIC_AT: Mutex<Option<String>> = Mutex::new(None);

    pub fn panic_if_armed(name: &str) {
        if ARMED.load(Ordering::Relaxed) {
            let mut armed = crate::sync::lock(&PANIC_AT);
            if armed.as_deref() == Some(name) {
                *armed = None;
                ARMED.store(false, Ordering::Relaxed);
                panic!("a panic the tests asked for in {name}");
            }
        }
    }

    /// Makes the next call of the entry point `name` panic (for the tests of the guard).
    #[pyfunction]
    pub fn _panic_next(name: &str) {
        *crate::sync::lock(&PANIC_AT) = Some(name.to_string());
        ARMED.store(true, Ordering::Relaxed);
    }
}

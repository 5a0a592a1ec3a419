//! The panic guard and argument helpers shared by every `extern "C"` function.

use super::error::apig_error;
use super::status::apig_status;
use crate::error::{Error, ErrorKind};
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `body`; a panic becomes `APIG_E_INTERNAL` and never unwinds into C.
/// On failure, `*error_out` (when given) receives a new error object; on success, NULL.
/// (The caller turns its `apig_error **` into the reference: the pointer's validity is the
/// caller's contract, stated in its `# Safety`.)
pub(crate) fn guard(error_out: Option<&mut *mut apig_error>, body: impl FnOnce() -> Result<(), Error>) -> apig_status {
    let mut error_out = error_out;
    if let Some(out) = error_out.as_deref_mut() {
        *out = std::ptr::null_mut();
    }
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return apig_status::APIG_OK,
        Ok(Err(error)) => error,
        // The panic payload is not shown: it could quote data it should not.
        Err(_) => {
            Error::new(ErrorKind::Internal, "internal error (a panic was caught at the C boundary); please report it")
        }
    };
    let status = apig_status::from(error.kind());
    if let Some(out) = error_out {
        let boxed = catch_unwind(AssertUnwindSafe(|| Box::into_raw(Box::new(apig_error::from(&error)))));
        *out = boxed.unwrap_or(std::ptr::null_mut());
    }
    status
}

/// Runs `body` for a function that cannot report an error; a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The error of a required pointer argument that is NULL.
pub(crate) fn null(field: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{field} is NULL"))
}

/// A required C string argument as UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn required_str<'a>(field: &str, ptr: *const c_char) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(null(field));
    }
    // SAFETY: per the function's contract.
    let cstr = unsafe { CStr::from_ptr(ptr) };
    cstr.to_str().map_err(|e| {
        Error::new(ErrorKind::InvalidArgument, format!("{field} is not valid UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// An optional C string argument: NULL means absent.
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn optional_str<'a>(field: &str, ptr: *const c_char) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() { Ok(None) } else { unsafe { required_str(field, ptr) }.map(Some) }
}

/// What `read` finds in `*object`, under the panic guard; `fallback` when `object` is NULL (or
/// on a panic). The getters of every opaque object the library hands out use it.
///
/// # Safety
/// `object` is NULL or points to a live `T` this library handed out and has not freed.
pub(crate) unsafe fn read<T, R: Copy>(object: *const T, fallback: R, read: impl FnOnce(&T) -> R) -> R {
    // SAFETY: per the function's contract.
    guard_value(fallback, || unsafe { object.as_ref() }.map_or(fallback, read))
}

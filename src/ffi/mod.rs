//! The C API (`include/apig.h`, generated from this module by cbindgen).
//!
//! Rules: one result enum ([`apig_status`]); opaque handles owned by the caller and freed
//! only by the library (`*_free(NULL)` is a no-op); every pointer checked; strings are
//! NUL-terminated UTF-8; a panic guard on every function, so no panic crosses into C.

pub mod bound_domain;
pub mod certificate;
pub mod client;
mod cstring;
pub mod delete;
pub mod error;
mod guard;
pub mod listing;
pub mod log;
pub mod status;

pub use error::apig_error;
pub use status::apig_status;

use guard::{guard, guard_value, required_str};
use std::ffi::c_char;

/// Deletes one certificate with a token, in one call. Connections are pooled process-wide,
/// so calling it in a loop is cheap. Defaults: 10 s connect timeout, 60 s deadline, 2 retries.
/// A certificate still bound to domain names is refused with `APIG_E_IN_USE`, the error naming
/// them (`apig_error_domain_count`, `apig_error_domain`). `error` may be NULL; on failure
/// `*error` receives a new error object (free it with `apig_error_free`), and is set to NULL on
/// success. Thread-safe.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; every string argument is NULL or a NUL-
/// terminated string that stays valid during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_delete_certificate(
    endpoint: *const c_char,
    project_id: *const c_char,
    certificate_id: *const c_char,
    auth_token: *const c_char,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    guard(unsafe { error.as_mut() }, || {
        // SAFETY: each is NULL or a NUL-terminated string.
        let endpoint = unsafe { required_str("endpoint", endpoint) }?;
        let project_id = unsafe { required_str("project_id", project_id) }?;
        let certificate_id = unsafe { required_str("certificate_id", certificate_id) }?;
        let token = unsafe { required_str("auth_token", auth_token) }?;
        crate::delete_certificate(endpoint, project_id, certificate_id, token, false)?;
        Ok(())
    })
}

/// The name of a status number ("APIG_E_NOT_FOUND"); "APIG_E_UNKNOWN" for any other int.
/// Static, never NULL, never to be freed.
#[unsafe(no_mangle)]
pub extern "C" fn apig_status_str(status: std::ffi::c_int) -> *const c_char {
    guard_value(c"APIG_E_UNKNOWN".as_ptr(), || status::status_cname(status).as_ptr())
}

/// The library's version, e.g. "0.1.0". Static, never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn apig_version() -> *const c_char {
    // Evaluated at compile time: a NUL in the version would fail the build, never a call.
    const VERSION: &std::ffi::CStr =
        match std::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => panic!("version has a NUL"),
        };
    VERSION.as_ptr()
}

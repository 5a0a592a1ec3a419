//! `apig_error`: an opaque error object the caller owns and frees with `apig_error_free`.

use super::cstring::{c_string, nth_ptr, opt_c_string, opt_ptr};
use super::guard::{guard_value, read};
use super::status::apig_status;
use crate::error::Error;
use std::ffi::{CString, c_char};
use std::ptr;

/// The details of a failed call. Opaque; read it with the `apig_error_*` accessors and free
/// it with `apig_error_free`. Immutable once returned: it may be read from several threads
/// at once, and is freed once.
#[allow(non_camel_case_types)]
pub struct apig_error {
    status: apig_status,
    http_status: std::ffi::c_int,
    code: Option<CString>,
    message: CString,
    request_id: Option<CString>,
    body: Option<CString>,
    attempts: u32,
    /// For `APIG_E_IN_USE`: the domain names the certificate is bound to.
    domains: Vec<CString>,
}

impl From<&Error> for apig_error {
    fn from(error: &Error) -> apig_error {
        apig_error {
            status: apig_status::from(error.kind()),
            http_status: error.http_status().map_or(0, std::ffi::c_int::from),
            code: opt_c_string(error.error_code()),
            message: c_string(error.message()),
            request_id: opt_c_string(error.request_id()),
            body: opt_c_string(error.body_excerpt()),
            attempts: error.attempts(),
            domains: error.domains().iter().map(|d| c_string(d)).collect(),
        }
    }
}

/// The status of the failed call; `APIG_E_INVALID_ARGUMENT` when `error` is NULL.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_status(error: *const apig_error) -> apig_status {
    // SAFETY (all accessors): `error` is NULL or an error object this library returned and not yet freed.
    guard_value(apig_status::APIG_E_INTERNAL, || match unsafe { error.as_ref() } {
        Some(e) => e.status,
        None => apig_status::APIG_E_INVALID_ARGUMENT,
    })
}

/// The HTTP status of the answer, or 0 when there was no answer (or `error` is NULL).
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_http_status(error: *const apig_error) -> std::ffi::c_int {
    guard_value(0, || unsafe { error.as_ref() }.map_or(0, |e| e.http_status))
}

/// The APIG error code such as "APIG.3021", or NULL when the answer had none.
/// Valid until `apig_error_free(error)`.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_code(error: *const apig_error) -> *const c_char {
    guard_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.code)))
}

/// A human-readable message; never NULL (a static text when `error` is NULL). It never
/// contains a token or key. Valid until `apig_error_free(error)`.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_message(error: *const apig_error) -> *const c_char {
    const NULL_ERROR: &std::ffi::CStr = c"no error object (NULL)";
    guard_value(NULL_ERROR.as_ptr(), || unsafe { error.as_ref() }.map_or(NULL_ERROR.as_ptr(), |e| e.message.as_ptr()))
}

/// The request id (header X-Request-Id, else the body's request_id), or NULL.
/// Valid until `apig_error_free(error)`.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_request_id(error: *const apig_error) -> *const c_char {
    guard_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.request_id)))
}

/// A bounded (at most 512 characters), printable excerpt of the answer's body, or NULL.
/// Valid until `apig_error_free(error)`.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_body(error: *const apig_error) -> *const c_char {
    guard_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.body)))
}

/// How many HTTP attempts the call made (0 when it failed before any I/O).
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_attempts(error: *const apig_error) -> u32 {
    guard_value(0, || unsafe { error.as_ref() }.map_or(0, |e| e.attempts))
}

/// For `APIG_E_IN_USE`: how many domain names the certificate is still bound to (each name once,
/// however many gateways serve it); 0 for every other status and for a NULL `error`.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_domain_count(error: *const apig_error) -> usize {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { read(error, 0, |e| e.domains.len()) }
}

/// For `APIG_E_IN_USE`: the `index`-th domain name the certificate is bound to (from 0, in
/// APIG's order), or NULL when `error` is NULL or `index` is not below
/// `apig_error_domain_count(error)`. Valid until `apig_error_free(error)`.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_domain(error: *const apig_error, index: usize) -> *const c_char {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { read(error, ptr::null(), |e| nth_ptr(&e.domains, index)) }
}

/// Frees an error object. NULL is fine. Each error is freed once.
///
/// # Safety
/// `error` is NULL or an `apig_error` returned by this library and not yet freed; the object is
/// freed once and not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_error_free(error: *mut apig_error) {
    if !error.is_null() {
        // SAFETY: `error` came from Box::into_raw in this library and is freed once.
        guard_value((), || drop(unsafe { Box::from_raw(error) }));
    }
}

//! The deletes of a client handle: plain, with its outcome, and with flags (missing is fine,
//! detach the bound domains first). One implementation behind the three.

use super::client::apig_client;
use super::error::apig_error;
use super::guard::{guard, optional_str, required_str};
use super::status::apig_status;
use crate::client::{DeleteOptions, Outcome};
use crate::error::{Error, ErrorKind};
use std::ffi::{c_char, c_int};

/// How a successful delete ended (`apig_client_delete_certificate_outcome`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum apig_outcome {
    /// No outcome: the call failed (see its status).
    APIG_OUTCOME_NONE = 0,
    /// This call deleted the certificate (the server answered 2xx).
    APIG_OUTCOME_DELETED = 1,
    /// The certificate did not exist (404) and `missing_ok` was set.
    APIG_OUTCOME_ALREADY_ABSENT = 2,
}

/// The options of `apig_client_delete_certificate_with`: 0, or `APIG_DELETE_*` or'ed together.
/// Bits are only ever added; a bit this library does not know is refused.
#[allow(non_camel_case_types)]
pub type apig_delete_flags = u32;

/// A certificate that does not exist (404) counts as success (`APIG_OUTCOME_ALREADY_ABSENT`):
/// the `missing_ok` of the other deletes.
pub const APIG_DELETE_MISSING_OK: apig_delete_flags = 1;

/// Detach every domain name the certificate is bound to (its attached domains are looked up,
/// then detached with one batch detach), then delete.
pub const APIG_DELETE_DETACH_DOMAINS: apig_delete_flags = 2;

const KNOWN_FLAGS: apig_delete_flags = APIG_DELETE_MISSING_OK | APIG_DELETE_DETACH_DOMAINS;

/// The one delete behind the C functions: `*outcome` and `*http_status` (each when not NULL)
/// are set to "none" and 0 first, then to how the delete ended.
///
/// # Safety
/// As `apig_client_delete_certificate_with`.
unsafe fn delete(
    client: *const apig_client,
    project_id: *const c_char,
    certificate_id: *const c_char,
    flags: apig_delete_flags,
    outcome: *mut apig_outcome,
    http_status: *mut c_int,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: each out-pointer is NULL or valid for a write.
    let report = |o: apig_outcome, status: u16| unsafe {
        if let Some(out) = outcome.as_mut() {
            *out = o;
        }
        if let Some(out) = http_status.as_mut() {
            *out = c_int::from(status);
        }
    };
    report(apig_outcome::APIG_OUTCOME_NONE, 0);
    // SAFETY: the caller's contract (see # Safety).
    guard(unsafe { error.as_mut() }, || {
        // SAFETY: NULL or a client from apig_client_new; strings NULL or NUL-terminated.
        let client = unsafe { apig_client::get(client) }?;
        let project_id = unsafe { optional_str("project_id", project_id) }?;
        let certificate_id = unsafe { required_str("certificate_id", certificate_id) }?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "flags has unknown bits 0x{:x} (known: APIG_DELETE_MISSING_OK, APIG_DELETE_DETACH_DOMAINS)",
                    flags & !KNOWN_FLAGS
                ),
            ));
        }
        let options = DeleteOptions {
            project_id,
            missing_ok: flags & APIG_DELETE_MISSING_OK != 0,
            detach_domains: flags & APIG_DELETE_DETACH_DOMAINS != 0,
            ..DeleteOptions::default()
        };
        let done = client.delete_certificate_detailed(certificate_id, &options)?;
        let o = match done.outcome {
            Outcome::Deleted => apig_outcome::APIG_OUTCOME_DELETED,
            Outcome::AlreadyAbsent => apig_outcome::APIG_OUTCOME_ALREADY_ABSENT,
        };
        report(o, done.http_status);
        Ok(())
    })
}

fn missing_ok_flag(missing_ok: bool) -> apig_delete_flags {
    if missing_ok { APIG_DELETE_MISSING_OK } else { 0 }
}

/// As `apig_client_delete_certificate`, and `*outcome` (when not NULL) says whether this call
/// deleted the certificate (`APIG_OUTCOME_DELETED`) or found it already absent
/// (`APIG_OUTCOME_ALREADY_ABSENT`, only with `missing_ok`); on failure it is `APIG_OUTCOME_NONE`
/// and `*http_status` (when not NULL) is 0, else the status the server answered (204, 200, 202, or
/// 404 when absent). Thread-safe.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `client` is NULL or a client from
/// `apig_client_new`, not yet freed; every string argument is NULL or a NUL-terminated string that
/// stays valid during the call; `outcome` and `http_status` are NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_delete_certificate_outcome(
    client: *const apig_client,
    project_id: *const c_char,
    certificate_id: *const c_char,
    missing_ok: bool,
    outcome: *mut apig_outcome,
    http_status: *mut c_int,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { delete(client, project_id, certificate_id, missing_ok_flag(missing_ok), outcome, http_status, error) }
}

/// Deletes a certificate. `project_id` may be NULL for the client's project. With
/// `missing_ok`, a certificate that does not exist (404) counts as success (use
/// `apig_client_delete_certificate_outcome` to tell the two apart). Retries what is
/// safe to retry within the deadline. A certificate still bound to domain names is refused with
/// `APIG_E_IN_USE`, the error naming them (`apig_error_domain_count`, `apig_error_domain`);
/// `apig_client_delete_certificate_with` and `APIG_DELETE_DETACH_DOMAINS` detach them first.
/// `error` may be NULL; on failure `*error` receives a new error object. Thread-safe.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `client` is NULL or a client from
/// `apig_client_new`, not yet freed; every string argument is NULL or a NUL-terminated string that
/// stays valid during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_delete_certificate(
    client: *const apig_client,
    project_id: *const c_char,
    certificate_id: *const c_char,
    missing_ok: bool,
    error: *mut *mut apig_error,
) -> apig_status {
    let (outcome, http_status) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: the caller's contract (see # Safety); no out-pointer besides `error`.
    unsafe { delete(client, project_id, certificate_id, missing_ok_flag(missing_ok), outcome, http_status, error) }
}

/// Deletes a certificate with `flags` (0, or `APIG_DELETE_*` or'ed together), reporting as
/// `apig_client_delete_certificate_outcome` does (`outcome`, `http_status`: the delete's, each
/// may be NULL):
/// - `APIG_DELETE_MISSING_OK`: a certificate that does not exist (404) counts as success
///   (`APIG_OUTCOME_ALREADY_ABSENT`).
/// - `APIG_DELETE_DETACH_DOMAINS`: first looks up the domain names the certificate is bound to
///   and detaches them all (one batch detach; "nothing left to detach" counts as done), then
///   deletes. Detaching takes HTTPS away from a live domain unless another certificate is bound
///   to it. A detach that succeeded is not undone when the delete then fails. Without this flag,
///   a certificate still bound is refused with `APIG_E_IN_USE` and nothing is detached.
///
/// `flags` 0 is `apig_client_delete_certificate`. A bit this library does not know is refused
/// with `APIG_E_INVALID_ARGUMENT`, before any I/O. Each request (look-up, detach, delete) has
/// the client's retries; the client's timeout is the deadline of them all. `error` may be NULL;
/// on failure `*error` receives a new error object. Thread-safe.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `client` is NULL or a client from
/// `apig_client_new`, not yet freed; every string argument is NULL or a NUL-terminated string that
/// stays valid during the call; `outcome` and `http_status` are NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_delete_certificate_with(
    client: *const apig_client,
    project_id: *const c_char,
    certificate_id: *const c_char,
    flags: apig_delete_flags,
    outcome: *mut apig_outcome,
    http_status: *mut c_int,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { delete(client, project_id, certificate_id, flags, outcome, http_status, error) }
}

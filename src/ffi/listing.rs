//! The two listings of a client handle: a project's certificates (`apig_certificate_list`) and
//! the domain names a certificate is bound to (`apig_domain_list`), each an opaque list the
//! caller owns, with `_len`, `_get` and `_free`.

use super::bound_domain::apig_bound_domain;
use super::certificate::apig_certificate;
use super::client::apig_client;
use super::error::apig_error;
use super::guard::{guard, guard_value, null, optional_str, read, required_str};
use super::status::apig_status;
use crate::error::Error;
use crate::lifecycle::{CallOptions, ListFilter};
use std::ffi::c_char;
use std::ptr;

/// The certificates of a listing (`apig_client_list_certificates`), in APIG's order. Opaque;
/// read it with `apig_certificate_list_len` and `apig_certificate_list_get`, free it with
/// `apig_certificate_list_free`. Immutable: it may be read from several threads at once, and is
/// freed once.
#[allow(non_camel_case_types)]
pub struct apig_certificate_list {
    items: Vec<apig_certificate>,
}

/// The domain names a certificate is bound to (`apig_client_certificate_domains`), in APIG's
/// order. Opaque; read it with `apig_domain_list_len` and `apig_domain_list_get`, free it with
/// `apig_domain_list_free`. Immutable: it may be read from several threads at once, and is
/// freed once.
#[allow(non_camel_case_types)]
pub struct apig_domain_list {
    items: Vec<apig_bound_domain>,
}

/// Runs `make` under the panic guard: `*list_out` is NULL until it succeeds, then the new list.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `list_out` is NULL or valid for
/// writing an `L *`.
unsafe fn new_list<L>(
    list_out: *mut *mut L,
    error: *mut *mut apig_error,
    make: impl FnOnce() -> Result<L, Error>,
) -> apig_status {
    // SAFETY: per the function's contract.
    guard(unsafe { error.as_mut() }, || {
        if list_out.is_null() {
            return Err(null("list_out"));
        }
        // SAFETY: list_out checked above.
        unsafe { *list_out = ptr::null_mut() };
        let list = make()?;
        unsafe { *list_out = Box::into_raw(Box::new(list)) };
        Ok(())
    })
}

/// Frees a list made by `new_list`. NULL is fine.
///
/// # Safety
/// `list` is NULL or a list from `new_list`, not yet freed; freed once, not used afterwards.
unsafe fn free_list<L>(list: *mut L) {
    if !list.is_null() {
        // SAFETY: from Box::into_raw in new_list, freed once.
        guard_value((), || drop(unsafe { Box::from_raw(list) }));
    }
}

/// Lists the certificates of a project, in `*list_out` (free it with
/// `apig_certificate_list_free`). `project_id` NULL: the client's project. `instance_id` NULL:
/// the whole project, one listing per gateway (APIG requires a gateway; the gateways are listed
/// first), each global certificate once; else that gateway's certificates and the global ones.
/// `name` (certificates whose name contains it) and `common_name` (exactly that common name),
/// when not NULL, are passed to APIG, which filters. Pages by itself (500 certificates a
/// request). A project without any gateway has none: the list is empty.
///
/// On success `*list_out` is a new list (maybe empty); on failure NULL, and `*error` (when
/// `error` is not NULL) receives a new error object. `list_out` NULL, a NULL `client`, an
/// argument that is not UTF-8 or a malformed id is refused with `APIG_E_INVALID_ARGUMENT` before
/// any I/O. Each request has the client's retries; the client's timeout is the deadline of the
/// whole listing; `apig_client_cancel` stops the call. Thread-safe.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `list_out` is NULL or valid for
/// writing an `apig_certificate_list *`; `client` is NULL or a client from `apig_client_new`, not
/// yet freed; every string argument is NULL or a NUL-terminated string that stays valid during
/// the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_list_certificates(
    client: *const apig_client,
    project_id: *const c_char,
    instance_id: *const c_char,
    name: *const c_char,
    common_name: *const c_char,
    list_out: *mut *mut apig_certificate_list,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe {
        new_list(list_out, error, || {
            // SAFETY: NULL or a client from apig_client_new; strings NULL or NUL-terminated.
            let client = apig_client::get(client)?;
            let project_id = optional_str("project_id", project_id)?;
            let filter = ListFilter {
                instance_id: optional_str("instance_id", instance_id)?,
                name: optional_str("name", name)?,
                common_name: optional_str("common_name", common_name)?,
            };
            let options = CallOptions { project_id, ..CallOptions::default() };
            let certificates = client.list_certificates_with(&filter, &options)?;
            Ok(apig_certificate_list { items: certificates.into_iter().map(apig_certificate::from).collect() })
        })
    }
}

/// How many certificates `list` holds; 0 when `list` is NULL.
///
/// # Safety
/// `list` is NULL or a list from `apig_client_list_certificates`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_list_len(list: *const apig_certificate_list) -> usize {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { read(list, 0, |l| l.items.len()) }
}

/// The `index`-th certificate of `list` (from 0), valid until `apig_certificate_list_free(list)`;
/// NULL when `list` is NULL or `index` is not below `apig_certificate_list_len(list)`.
///
/// # Safety
/// `list` is NULL or a list from `apig_client_list_certificates`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_list_get(
    list: *const apig_certificate_list,
    index: usize,
) -> *const apig_certificate {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { read(list, ptr::null(), |l| l.items.get(index).map_or(ptr::null(), ptr::from_ref)) }
}

/// Frees a certificate list, and with it every certificate and string read from it. NULL is fine.
///
/// # Safety
/// `list` is NULL or a list from `apig_client_list_certificates`, not yet freed; the list is freed
/// once and neither it nor anything read from it is used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_list_free(list: *mut apig_certificate_list) {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { free_list(list) }
}

/// Lists the domain names certificate `certificate_id` is bound to, in `*list_out` (free it with
/// `apig_domain_list_free`): each domain once per gateway that serves it, however many ports it
/// is served on. `project_id` NULL: the client's project. Pages by itself. A certificate bound to
/// nothing has an empty list; one that does not exist is `APIG_E_NOT_FOUND`.
///
/// On success `*list_out` is a new list (maybe empty); on failure NULL, and `*error` (when
/// `error` is not NULL) receives a new error object. `list_out` NULL, a NULL `client` or
/// `certificate_id`, an argument that is not UTF-8 or a malformed id is refused with
/// `APIG_E_INVALID_ARGUMENT` before any I/O. Each request has the client's retries; the client's
/// timeout is the deadline of the whole call; `apig_client_cancel` stops the call. Thread-safe.
///
/// # Safety
/// `error` is NULL or valid for writing an `apig_error *`; `list_out` is NULL or valid for
/// writing an `apig_domain_list *`; `client` is NULL or a client from `apig_client_new`, not yet
/// freed; every string argument is NULL or a NUL-terminated string that stays valid during the
/// call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_client_certificate_domains(
    client: *const apig_client,
    project_id: *const c_char,
    certificate_id: *const c_char,
    list_out: *mut *mut apig_domain_list,
    error: *mut *mut apig_error,
) -> apig_status {
    // SAFETY: the caller's contract (see # Safety).
    unsafe {
        new_list(list_out, error, || {
            // SAFETY: NULL or a client from apig_client_new; strings NULL or NUL-terminated.
            let client = apig_client::get(client)?;
            let project_id = optional_str("project_id", project_id)?;
            let certificate_id = required_str("certificate_id", certificate_id)?;
            let options = CallOptions { project_id, ..CallOptions::default() };
            let domains = client.certificate_domains_with(certificate_id, &options)?;
            Ok(apig_domain_list { items: domains.iter().map(apig_bound_domain::from).collect() })
        })
    }
}

/// How many domains `list` holds; 0 when `list` is NULL.
///
/// # Safety
/// `list` is NULL or a list from `apig_client_certificate_domains`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_domain_list_len(list: *const apig_domain_list) -> usize {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { read(list, 0, |l| l.items.len()) }
}

/// The `index`-th domain of `list` (from 0), valid until `apig_domain_list_free(list)`; NULL when
/// `list` is NULL or `index` is not below `apig_domain_list_len(list)`.
///
/// # Safety
/// `list` is NULL or a list from `apig_client_certificate_domains`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_domain_list_get(list: *const apig_domain_list, index: usize) -> *const apig_bound_domain {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { read(list, ptr::null(), |l| l.items.get(index).map_or(ptr::null(), ptr::from_ref)) }
}

/// Frees a domain list, and with it every domain and string read from it. NULL is fine.
///
/// # Safety
/// `list` is NULL or a list from `apig_client_certificate_domains`, not yet freed; the list is
/// freed once and neither it nor anything read from it is used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_domain_list_free(list: *mut apig_domain_list) {
    // SAFETY: the caller's contract (see # Safety).
    unsafe { free_list(list) }
}

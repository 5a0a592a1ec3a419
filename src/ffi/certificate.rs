//! `apig_certificate`: one certificate of a listing, read with a getter per field. It lives in
//! an `apig_certificate_list` and dies with it.

use super::cstring::{c_string, nth_ptr, opt_c_string, opt_ptr};
use super::guard::read;
use crate::certificates::Certificate;
use std::ffi::{CString, c_char};
use std::ptr;

/// One certificate of an `apig_certificate_list` (never its PEM or key: APIG does not list
/// them). Opaque; read it with the `apig_certificate_*` getters. It belongs to its list: every
/// pointer to it or from it is valid until `apig_certificate_list_free`. Immutable: it may be
/// read from several threads at once.
#[allow(non_camel_case_types)]
pub struct apig_certificate {
    certificate: Certificate,
    id: CString,
    name: CString,
    common_name: CString,
    san: Vec<CString>,
    scope: CString,
    instance_id: Option<CString>,
    signature_algorithm: CString,
    algorithm_type: Option<CString>,
}

impl From<Certificate> for apig_certificate {
    fn from(certificate: Certificate) -> apig_certificate {
        apig_certificate {
            id: c_string(&certificate.id),
            name: c_string(&certificate.name),
            common_name: c_string(&certificate.common_name),
            san: certificate.san.iter().map(|s| c_string(s)).collect(),
            scope: c_string(certificate.scope.as_str()),
            instance_id: opt_c_string(certificate.instance_id.as_deref()),
            signature_algorithm: c_string(&certificate.signature_algorithm),
            algorithm_type: opt_c_string(certificate.algorithm_type.as_deref()),
            certificate,
        }
    }
}

/// The certificate id (what the deletes take); NULL when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_id(cert: *const apig_certificate) -> *const c_char {
    // SAFETY (every getter): `cert` is NULL or a certificate of a list not yet freed.
    unsafe { read(cert, ptr::null(), |c| c.id.as_ptr()) }
}

/// The certificate's name in APIG ("" when APIG gave none); NULL when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_name(cert: *const apig_certificate) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| c.name.as_ptr()) }
}

/// The subject's common name ("" when APIG gave none); NULL when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_common_name(cert: *const apig_certificate) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| c.common_name.as_ptr()) }
}

/// How many subject alternative names the certificate has (maybe 0); 0 when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_san_count(cert: *const apig_certificate) -> usize {
    unsafe { read(cert, 0, |c| c.san.len()) }
}

/// The `index`-th subject alternative name (from 0, in APIG's order), or NULL when `cert` is
/// NULL or `index` is not below `apig_certificate_san_count(cert)`.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_san(cert: *const apig_certificate, index: usize) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| nth_ptr(&c.san, index)) }
}

/// The certificate's scope: "global" (usable by every gateway of the project) or "instance"
/// (one gateway's, `apig_certificate_instance_id`); NULL when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_type(cert: *const apig_certificate) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| c.scope.as_ptr()) }
}

/// The gateway (instance) id of an "instance" certificate; NULL for a "global" one (APIG's
/// "common") and when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_instance_id(cert: *const apig_certificate) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| opt_ptr(&c.instance_id)) }
}

/// When the certificate expires, in Unix seconds (APIG's `not_after`, whatever offset it was
/// written with); 0 when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_not_after(cert: *const apig_certificate) -> i64 {
    unsafe { read(cert, 0, |c| c.certificate.not_after) }
}

/// Whether the certificate has expired at the time of this call (its `not_after` is now or
/// earlier, by this machine's clock); false when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_expired(cert: *const apig_certificate) -> bool {
    unsafe { read(cert, false, |c| c.certificate.expired()) }
}

/// The signature algorithm, e.g. "SHA256-RSA" ("" when APIG gave none); NULL when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_signature_algorithm(cert: *const apig_certificate) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| c.signature_algorithm.as_ptr()) }
}

/// The key algorithm, "RSA", "ECC" or "SM2", from servers that say it; NULL when APIG did not
/// say it and when `cert` is NULL.
///
/// # Safety
/// `cert` is NULL or a certificate from `apig_certificate_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_certificate_algorithm_type(cert: *const apig_certificate) -> *const c_char {
    unsafe { read(cert, ptr::null(), |c| opt_ptr(&c.algorithm_type)) }
}

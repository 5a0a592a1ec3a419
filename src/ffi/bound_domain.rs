//! `apig_bound_domain`: one domain name a certificate is bound to, read with a getter per
//! field. It lives in an `apig_domain_list` and dies with it.

use super::cstring::c_string;
use super::guard::read;
use crate::certificates::BoundDomain;
use std::ffi::{CString, c_char};
use std::ptr;

/// One domain name of an `apig_domain_list`: a custom domain of an API group, on one gateway.
/// Opaque; read it with the `apig_bound_domain_*` getters. It belongs to its list: every
/// pointer to it or from it is valid until `apig_domain_list_free`. Immutable: it may be read
/// from several threads at once.
#[allow(non_camel_case_types)]
pub struct apig_bound_domain {
    domain: CString,
    domain_id: CString,
    instance_id: CString,
    group_id: CString,
    group_name: CString,
}

impl From<&BoundDomain> for apig_bound_domain {
    fn from(d: &BoundDomain) -> apig_bound_domain {
        apig_bound_domain {
            domain: c_string(&d.domain),
            domain_id: c_string(&d.domain_id),
            instance_id: c_string(&d.instance_id),
            group_id: c_string(&d.group_id),
            group_name: c_string(&d.group_name),
        }
    }
}

/// The domain name, e.g. "www.example.com" (never empty); NULL when `domain` is NULL.
///
/// # Safety
/// `domain` is NULL or a domain from `apig_domain_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_bound_domain_domain(domain: *const apig_bound_domain) -> *const c_char {
    // SAFETY (every getter): `domain` is NULL or a domain of a list not yet freed.
    unsafe { read(domain, ptr::null(), |d| d.domain.as_ptr()) }
}

/// The domain's id ("" when APIG gave none); NULL when `domain` is NULL.
///
/// # Safety
/// `domain` is NULL or a domain from `apig_domain_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_bound_domain_domain_id(domain: *const apig_bound_domain) -> *const c_char {
    unsafe { read(domain, ptr::null(), |d| d.domain_id.as_ptr()) }
}

/// The gateway (instance) that serves the domain ("" when APIG gave none); NULL when `domain`
/// is NULL.
///
/// # Safety
/// `domain` is NULL or a domain from `apig_domain_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_bound_domain_instance_id(domain: *const apig_bound_domain) -> *const c_char {
    unsafe { read(domain, ptr::null(), |d| d.instance_id.as_ptr()) }
}

/// The id of the domain's API group ("" when APIG gave none); NULL when `domain` is NULL.
///
/// # Safety
/// `domain` is NULL or a domain from `apig_domain_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_bound_domain_group_id(domain: *const apig_bound_domain) -> *const c_char {
    unsafe { read(domain, ptr::null(), |d| d.group_id.as_ptr()) }
}

/// The name of the domain's API group ("" when APIG gave none); NULL when `domain` is NULL.
///
/// # Safety
/// `domain` is NULL or a domain from `apig_domain_list_get` whose list is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn apig_bound_domain_group_name(domain: *const apig_bound_domain) -> *const c_char {
    unsafe { read(domain, ptr::null(), |d| d.group_name.as_ptr()) }
}

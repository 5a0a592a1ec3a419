//! Rust text as C strings: what every object handed to C keeps for its `const char *` getters.

use std::ffi::{CString, c_char};
use std::ptr;

/// `text` as a C string. Interior NULs cannot occur in our printable texts nor in what APIG
/// sends as JSON strings in practice; one is shown as `\0` rather than cutting the text.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

/// An optional text as an optional C string.
pub(crate) fn opt_c_string(text: Option<&str>) -> Option<CString> {
    text.map(c_string)
}

/// The pointer of an optional C string: NULL when absent.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// The `index`-th of `strings`, NULL past the end.
pub(crate) fn nth_ptr(strings: &[CString], index: usize) -> *const c_char {
    strings.get(index).map_or(ptr::null(), |s| s.as_ptr())
}

//! The C entry points driven with arbitrary bytes: every outcome a defined status, every
//! error object readable and freed. Endpoints are forced onto a closed loopback port, so
//! nothing leaves the machine.
#![no_main]

use apig::ffi::apig_status;
use apig::ffi::client::*;
use apig::ffi::error::*;
use libfuzzer_sys::fuzz_target;
use std::ffi::CString;

fn strings(data: &[u8]) -> Vec<CString> {
    data.split(|&b| b == 0)
        .map(|part| CString::new(part).unwrap())
        .chain(std::iter::repeat_with(|| CString::new("").unwrap()))
        .take(6)
        .collect()
}

/// # Safety
/// `error` is NULL or an error object the library returned, freed here.
unsafe fn check(status: apig_status, error: *mut apig_error) {
    if status == apig_status::APIG_OK {
        assert!(error.is_null());
        return;
    }
    assert!(!error.is_null());
    unsafe {
        assert_eq!(apig_error_status(error), status);
        assert!(!apig_error_message(error).is_null());
        let _ = (
            apig_error_http_status(error),
            apig_error_code(error),
            apig_error_request_id(error),
            apig_error_body(error),
        );
        apig_error_free(error);
    }
}

// SAFETY (the whole target): every string is a live CString, every object is used before it
// is freed and freed once, as the C contract asks.
fuzz_target!(|data: &[u8]| unsafe {
    let s = strings(data);
    let mut endpoint = b"http://127.0.0.1:1".to_vec();
    endpoint.extend(s[0].as_bytes().iter().take(8));
    let endpoint = CString::new(endpoint).unwrap();
    let mut error = std::ptr::null_mut();
    let status =
        apig::ffi::apig_delete_certificate(endpoint.as_ptr(), s[1].as_ptr(), s[2].as_ptr(), s[3].as_ptr(), &mut error);
    assert!(matches!(status, apig_status::APIG_E_INVALID_ARGUMENT | apig_status::APIG_E_CONNECT), "{status:?}");
    check(status, error);

    // Options with arbitrary values: building a client does no I/O.
    let options = apig_client_options_new();
    let _ = apig_client_options_set_endpoint(options, s[4].as_ptr());
    let _ = apig_client_options_set_region(options, s[5].as_ptr());
    let _ = apig_client_options_set_project_id(options, s[1].as_ptr());
    let _ = apig_client_options_set_ak_sk(options, s[2].as_ptr(), s[3].as_ptr());
    let _ = apig_client_options_set_timeout_ms(options, u32::from(data.first().copied().unwrap_or(0)));
    let mut client = std::ptr::null_mut();
    let mut error = std::ptr::null_mut();
    let status = apig_client_new(options, &mut client, &mut error);
    check(status, error);
    apig_client_free(client);
    apig_client_options_free(options);
    let _ = apig::ffi::apig_status_str(i32::from_le_bytes([data.first().copied().unwrap_or(0), 0, 0, 0]) - 100);
});

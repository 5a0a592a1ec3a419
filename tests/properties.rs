//! Property-based tests over hostile input (bounded, part of the normal suite): the error-body
//! parser, input validation, URL building, signing, and the C entry points. No panic, every
//! outcome defined.

use apig::endpoint::Endpoint;
use apig::error_body::{self, EXCERPT_CHARS};
use apig::ffi::apig_status;
use proptest::prelude::*;
use std::ffi::CString;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() }
}

fn json_like() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<Vec<u8>>(),
        "\\{\"(error_code|errorCode|code|error)\": ?(\"[A-Z.0-9]{0,12}\"|[0-9]{1,4}|\\{\"code\":\"x\"\\}|null), ?\"(error_msg|message|request_id)\": ?\"[^\"]{0,40}\"\\}"
            .prop_map(String::into_bytes),
        "<html>[ -~]{0,200}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn error_bodies_never_panic_and_stay_bounded(body in json_like(), header in proptest::option::of("[ -~]{0,40}")) {
        let parsed = error_body::parse(&body, header.clone());
        if let Some(excerpt) = &parsed.excerpt {
            prop_assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
            prop_assert!(!excerpt.chars().any(|c| c.is_control()));
        }
        for text in [&parsed.error_code, &parsed.error_msg, &parsed.request_id].into_iter().flatten() {
            prop_assert!(!text.is_empty());
            prop_assert!(!text.chars().any(|c| c.is_control()));
        }
        if let Some(h) = header.filter(|h| !h.is_empty()) {
            // The header's id comes through as said, runs of spaces folded to one (as every
            // text the server says is, so that an error message stays one readable line).
            let mut folded = String::new();
            for c in h.chars() {
                if !(c == ' ' && folded.ends_with(' ')) {
                    folded.push(c);
                }
            }
            prop_assert_eq!(parsed.request_id.as_deref(), Some(folded.as_str()));
        }
    }

    #[test]
    fn ids_are_accepted_exactly_when_well_formed(id in "[ -~\\u{80}-\\u{10FFFF}]{0,140}") {
        let ok = apig::validate::id("certificate_id", &id).is_ok();
        let expected = !id.is_empty()
            && id.len() <= 128
            && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && id != "."
            && id != "..";
        prop_assert_eq!(ok, expected);
    }

    #[test]
    fn endpoints_parse_or_refuse_and_round_trip(url in prop_oneof![
        any::<String>(),
        "(https?|HTTP|ftp)://[a-z0-9.\\-\\[\\]:@?#%/ ]{0,40}",
    ]) {
        match Endpoint::parse(&url, false) {
            Err(e) => prop_assert!(e.message().starts_with("endpoint")),
            Ok(endpoint) => {
                let again = Endpoint::parse(&endpoint.origin_and_base(), false).unwrap();
                prop_assert_eq!(again, endpoint.clone());
                prop_assert!(endpoint.is_https() || endpoint.is_loopback());
            }
        }
    }

    #[test]
    fn signing_any_path_never_panics(path in any::<String>(), date in "[0-9]{8}T[0-9]{6}Z") {
        let headers = [("Host", "h"), ("X-Sdk-Date", date.as_str())];
        let input = apig::signing::SigningInput {
            method: "DELETE",
            path: &path,
            query: &[],
            headers: &headers,
            body_sha256: apig::signing::EMPTY_BODY_SHA256,
        };
        let auth = apig::signing::authorization("AK", "SK", &date, &input);
        prop_assert!(apig::signing::parse_authorization(&auth).is_some());
    }

    #[test]
    fn c_entry_points_give_a_defined_status_for_any_bytes(
        suffix in proptest::collection::vec(1u8..=255, 0..12),
        project in proptest::collection::vec(1u8..=255, 0..40),
        cert in proptest::collection::vec(1u8..=255, 0..40),
        token in proptest::collection::vec(1u8..=255, 0..40),
    ) {
        // Any endpoint built this way is loopback (or invalid): nothing leaves the machine.
        let mut endpoint = b"http://127.0.0.1:1".to_vec();
        endpoint.extend(&suffix);
        let c = |v: Vec<u8>| CString::new(v).unwrap();
        let (e, p, ce, t) = (c(endpoint), c(project), c(cert), c(token));
        let mut error = std::ptr::null_mut();
        // SAFETY: NUL-terminated strings that outlive the calls; the error is freed once.
        let status = unsafe { apig::ffi::apig_delete_certificate(e.as_ptr(), p.as_ptr(), ce.as_ptr(), t.as_ptr(), &mut error) };
        prop_assert!(matches!(status, apig_status::APIG_E_INVALID_ARGUMENT | apig_status::APIG_E_CONNECT), "{:?}", status);
        prop_assert!(!error.is_null());
        prop_assert_eq!(unsafe { apig::ffi::error::apig_error_status(error) }, status);
        let message = unsafe { apig::ffi::error::apig_error_message(error) };
        prop_assert!(!message.is_null());
        unsafe { apig::ffi::error::apig_error_free(error) };
    }
}

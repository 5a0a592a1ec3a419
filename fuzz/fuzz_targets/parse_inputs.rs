//! The error-body parser, input validation, endpoint parsing and URL building/signing on
//! arbitrary bytes: no panic, bounded output.
#![no_main]

use apig::endpoint::Endpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = apig::error_body::parse(data, None);
    if let Some(excerpt) = parsed.excerpt {
        assert!(excerpt.chars().count() <= apig::error_body::EXCERPT_CHARS + 1);
    }
    let text = String::from_utf8_lossy(data);
    let _ = apig::validate::id("certificate_id", &text);
    let _ = apig::validate::secret("token", &text, 1024);
    if let Ok(endpoint) = Endpoint::parse(&text, false) {
        assert_eq!(Endpoint::parse(&endpoint.origin_and_base(), false).as_ref(), Ok(&endpoint));
    }
    let _ = Endpoint::for_region(&text);
    let headers = [("Host", "h"), ("X-Sdk-Date", "20240101T000000Z")];
    let input = apig::signing::SigningInput {
        method: "DELETE",
        path: &text,
        query: &[("k", &text)],
        headers: &headers,
        body_sha256: apig::signing::EMPTY_BODY_SHA256,
    };
    let _ = apig::signing::canonical_request(&input);
    let _ = apig::signing::parse_sdk_date(&text);
    let _ = apig::signing::parse_authorization(&text);
});

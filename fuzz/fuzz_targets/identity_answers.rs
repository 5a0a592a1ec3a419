//! What IAM, ECS metadata and CCE pod identity answer, parsed from arbitrary bytes: no panic,
//! timestamps that round-trip, and never a secret in a refusal's reason.
#![no_main]

use apig::auth::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(t) = wire::parse_timestamp(&text) {
        // What we write, we read back to the microsecond.
        let again = wire::parse_timestamp(&wire::format_timestamp(t)).expect("our own format parses");
        let (a, b) =
            (t.duration_since(std::time::UNIX_EPOCH).unwrap(), again.duration_since(std::time::UNIX_EPOCH).unwrap());
        assert!(a.abs_diff(b) < std::time::Duration::from_micros(1), "{text:?}");
    }
    if let Err(why) = wire::temporary_credentials(data) {
        // A reason names what is missing or malformed, never a value that could be a secret
        // (only the expiry is quoted, and bounded).
        assert!(why.len() < 200, "{why}");
    }
    let _ = wire::project_ids(data, "cn-north-4");
    let _ = wire::token_body(data);
});

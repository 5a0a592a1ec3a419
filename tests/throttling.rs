//! A gateway that throttles, from Rust: the limiter finds its rate, every delete succeeds with the
//! default options, and its state says what happened. Counts only, no wall-clock time.

use apig::emulator::{DEFAULT_TOKEN, Emulator, Throttle};
use apig::{Client, ErrorKind};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn every_delete_succeeds_under_throttling_and_the_state_says_so() {
    let emu = Emulator::start().unwrap();
    let ids: Vec<String> = (0..48).map(|i| format!("c{i}")).collect();
    for id in &ids {
        emu.add_certificate(PROJECT, id, &[]);
    }
    emu.set_throttle(Some(Throttle::new(40.0, 4.0, None).unwrap()));
    let client = Client::builder().endpoint(emu.url()).project_id(PROJECT).token(DEFAULT_TOKEN).build().unwrap();
    assert_eq!(client.rate_limit().rate, None, "off until a gateway throttles");
    let throttled_per_call: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(6)
            .map(|chunk| {
                let client = client.clone();
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| client.delete_certificate_detailed(id, &Default::default()).unwrap().throttled)
                        .sum::<u32>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(emu.certificates(PROJECT).is_empty());
    let seen = emu.counters()["apig_throttled"].as_u64().unwrap();
    assert!(seen > 0, "the gateway did throttle");
    let state = client.rate_limit();
    assert_eq!(state.throttled, seen);
    assert_eq!(throttled_per_call.iter().sum::<u32>() as u64, seen, "each call counts the 429s it met");
    assert!(state.rate.unwrap() > 0.0);
}

#[test]
fn max_rate_is_checked_before_any_io() {
    for bad in [0.0, 0.001, -1.0, f64::NAN, f64::INFINITY, 100_001.0] {
        let err = Client::builder().endpoint("https://apig.example.com").token("t").max_rate(bad).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        assert!(err.message().contains("max_rate"), "{}", err.message());
    }
    let client = Client::builder().endpoint("https://apig.example.com").token("t").max_rate(7.0).build().unwrap();
    assert_eq!(client.rate_limit().rate, Some(7.0));
}

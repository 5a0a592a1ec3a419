//! Every option through the Rust builder: the values of `tests/options/cases.json` are refused
//! with the messages written there, which the C and Python surfaces must give too (their tests
//! read the same file): one definition of each option, in the core.

use apig::Client;
use serde_json::Value;

fn apply(builder: apig::ClientBuilder, option: &str, value: &Value, extra: &Value) -> apig::ClientBuilder {
    let text = || value.as_str().unwrap_or_default().to_string();
    let seconds = || std::time::Duration::from_secs(value.as_u64().unwrap());
    let with = |name: &str| extra.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    match option {
        "endpoint" => builder.endpoint(text()),
        "region" => builder.region(text()),
        "project_id" => builder.project_id(text()),
        "timeout" => builder.timeout(seconds()),
        "connect_timeout" => builder.connect_timeout(seconds()),
        "max_retries" => builder.max_retries(value.as_u64().unwrap() as u32),
        "max_rate" => builder.max_rate(value.as_f64().unwrap()),
        "ca_file" => builder.ca_file(text()),
        "proxy" => builder.proxy(text()),
        "iam_endpoint" => builder.iam_endpoint(text()),
        "metadata_endpoint" => builder.metadata_endpoint(text()),
        "token" => builder.token(text()),
        "ak" => builder.ak_sk(text(), with("sk")),
        "user_name" => builder.password(text(), with("password"), with("domain_name")),
        other => panic!("no Rust builder method for {other}"),
    }
}

#[test]
fn every_option_is_refused_with_the_core_message() {
    let cases: Value = serde_json::from_str(include_str!("options/cases.json")).unwrap();
    for case in cases["cases"].as_array().unwrap() {
        let unset: Vec<&str> = case
            .get("unset")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut builder = Client::builder();
        for (name, value) in cases["base"].as_object().unwrap() {
            if !unset.contains(&name.as_str()) {
                builder = apply(builder, name, value, &Value::Null);
            }
        }
        let option = case["option"].as_str().unwrap();
        let builder = apply(builder, option, &case["value"], case.get("with").unwrap_or(&Value::Null));
        let error = builder.build().expect_err(option);
        assert_eq!(error.kind(), apig::ErrorKind::InvalidArgument, "{option}");
        assert_eq!(error.message(), case["message"].as_str().unwrap(), "{option}");
    }
}

#[test]
fn float_seconds_are_checked_like_every_timeout() {
    for bad in [f64::NAN, f64::INFINITY, -1.0, 0.0, 86_400.5] {
        let e = Client::builder().endpoint("http://127.0.0.1:9").token("t").timeout_secs(bad).build().unwrap_err();
        assert_eq!(e.message(), "timeout must be more than 0 and at most 86400 seconds", "{bad}");
    }
    assert!(Client::builder().endpoint("http://127.0.0.1:9").token("t").timeout_secs(0.25).build().is_ok());
}

#[test]
fn max_rate_is_refused_unless_finite_and_within_range() {
    // JSON has no NaN or infinity: the cases file cannot carry these (tests/c/test_throttle.c
    // passes them through the C setter).
    let build = |rate: f64| Client::builder().endpoint("http://127.0.0.1:9").token("t").max_rate(rate).build();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.009_999, 100_000.001] {
        let e = build(bad).unwrap_err();
        assert_eq!(e.kind(), apig::ErrorKind::InvalidArgument, "{bad}");
        assert_eq!(e.message(), "max_rate must be 0.01 to 100000 requests per second", "{bad}");
    }
    for good in [0.01, 0.1, 25.0, 100_000.0] {
        assert_eq!(build(good).unwrap().rate_limit().rate, Some(good), "{good}");
    }
}

//! The Rust client against the emulator, over real sockets on 127.0.0.1.

use apig::emulator::{Action, DEFAULT_AK, DEFAULT_SK, DEFAULT_TOKEN, Emulator, EmulatorOptions, Rule};
use apig::{Client, DeleteOptions, ErrorKind, Outcome};
use std::time::Duration;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A client of `emu`'s APIG with its token, for the default project: options still to add.
fn token_client(emu: &Emulator) -> apig::ClientBuilder {
    Client::builder().endpoint(emu.url()).project_id(PROJECT).token(DEFAULT_TOKEN)
}

fn client(emu: &Emulator) -> Client {
    token_client(emu).build().unwrap()
}

fn rule(json: serde_json::Value) -> Rule {
    Rule::from_json(&json).unwrap()
}

fn fast_retries(emu: &Emulator) -> Client {
    token_client(emu).timeout(Duration::from_secs(20)).build().unwrap()
}

#[test]
fn deletes_and_sends_the_right_request() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    assert_eq!(client(&emu).delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert!(emu.certificates(PROJECT).is_empty());
    let log = emu.requests();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert_eq!(r.method, "DELETE");
    assert_eq!(r.path, format!("/v2/{PROJECT}/apigw/certificates/c1"));
    assert_eq!(r.auth, "token");
    let header = |n: &str| r.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(header("user-agent").unwrap(), format!("apig/{}", apig::VERSION));
    assert_eq!(header("x-auth-token").unwrap(), "<redacted>");
    assert!(!r.path.contains(DEFAULT_TOKEN));
}

#[test]
fn not_found_keeps_everything_the_server_said() {
    let emu = Emulator::start().unwrap();
    let e = client(&emu).delete_certificate("nope").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.http_status(), Some(404));
    assert_eq!(e.error_code(), Some("APIG.3021"));
    assert!(e.error_msg().unwrap().contains("does not exist"));
    assert_eq!(e.request_id(), Some(emu.requests()[0].request_id.as_str()));
    assert_eq!(e.attempts(), 1);
    let outcome = client(&emu)
        .delete_certificate_with("nope", &DeleteOptions { missing_ok: true, ..Default::default() })
        .unwrap();
    assert_eq!(outcome, Outcome::AlreadyAbsent);
}

#[test]
fn bound_certificate_and_bad_token_are_refused() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "bound", &["www.example.com"]);
    let e = client(&emu).delete_certificate("bound").unwrap_err();
    // A refusal of a bound certificate says what it is bound to (tests/lifecycle.rs has the rest).
    assert_eq!((e.kind(), e.http_status(), e.error_code()), (ErrorKind::InUse, Some(403), Some("APIG.3474")));
    assert_eq!(e.domains(), ["www.example.com"]);
    assert_eq!(emu.certificates(PROJECT), vec!["bound".to_string()]);
    let bad = Client::builder().endpoint(emu.url()).project_id(PROJECT).token("wrong-token").build().unwrap();
    let e = bad.delete_certificate("bound").unwrap_err();
    assert_eq!((e.kind(), e.error_code()), (ErrorKind::Unauthorized, Some("APIG.1002")));
    assert!(!e.message().contains("wrong-token"));
}

#[test]
fn every_status_row_maps_to_its_kind() {
    let emu = Emulator::start().unwrap();
    let cases = [
        (400, ErrorKind::BadRequest),
        (401, ErrorKind::Unauthorized),
        (403, ErrorKind::Forbidden),
        (404, ErrorKind::NotFound),
        (409, ErrorKind::Conflict),
        (418, ErrorKind::HttpStatus),
        (501, ErrorKind::Server),
    ];
    let c = token_client(&emu).max_retries(0).build().unwrap();
    for (status, kind) in cases {
        let id = format!("s{status}");
        emu.push_rule(rule(serde_json::json!({"certificate_id": id, "status": status,
            "body": format!("{{\"error_code\":\"APIG.{status}\",\"error_msg\":\"m{status}\"}}")})));
        let e = c.delete_certificate(&id).unwrap_err();
        assert_eq!(e.kind(), kind, "{status}");
        assert_eq!(e.http_status(), Some(status));
        assert_eq!(e.error_code(), Some(format!("APIG.{status}").as_str()));
        assert_eq!(e.error_msg(), Some(format!("m{status}").as_str()));
    }
}

#[test]
fn odd_bodies_give_clear_errors_with_the_status() {
    let emu = Emulator::start().unwrap();
    let c = token_client(&emu).max_retries(0).build().unwrap();
    emu.push_rule(rule(serde_json::json!({"certificate_id": "html", "status": 502,
        "body": "<html><body><h1>502 Bad Gateway</h1></body></html>"})));
    let e = c.delete_certificate("html").unwrap_err();
    assert_eq!((e.kind(), e.http_status(), e.error_code()), (ErrorKind::Server, Some(502), None));
    assert!(e.body_excerpt().unwrap().contains("502 Bad Gateway"));
    assert!(e.message().contains("html"), "{}", e.message());
    emu.push_rule(rule(serde_json::json!({"certificate_id": "empty", "status": 503})));
    let e = c.delete_certificate("empty").unwrap_err();
    assert_eq!((e.http_status(), e.body_excerpt()), (Some(503), None));
    assert!(e.message().contains("empty body"));
    emu.push_rule(rule(serde_json::json!({"certificate_id": "binary", "status": 502, "body_hex": "fffe00414243"})));
    let e = c.delete_certificate("binary").unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Server, Some(502)));
    assert!(e.message().contains("binary"), "{}", e.message());
    assert_eq!(e.body_excerpt(), Some("\u{fffd}\u{fffd}\\u{0}ABC"));
    emu.push_rule(rule(serde_json::json!({"certificate_id": "nested", "status": 400,
        "body": "{\"error\":{\"code\":\"APIG.2012\",\"message\":\"Invalid parameter\"}}"})));
    let e = c.delete_certificate("nested").unwrap_err();
    assert_eq!(
        (e.kind(), e.error_code(), e.error_msg()),
        (ErrorKind::BadRequest, Some("APIG.2012"), Some("Invalid parameter"))
    );
}

#[test]
fn a_redirect_is_never_followed() {
    let emu = Emulator::start().unwrap();
    let elsewhere = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"action": "redirect", "status": 307,
        "location": format!("{}/v2/{PROJECT}/apigw/certificates/c1", elsewhere.url())})));
    let e = client(&emu).delete_certificate("c1").unwrap_err();
    assert_eq!((e.kind(), e.http_status(), e.attempts()), (ErrorKind::Protocol, Some(307), 1));
    assert!(e.message().contains("redirect"));
    assert!(elsewhere.requests().is_empty(), "the token travelled to the redirect target");
}

#[test]
fn connection_refused_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .max_retries(0)
        .build()
        .unwrap();
    let e = c.delete_certificate("c1").unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Connect, None));
    assert!(e.message().contains(&format!("http://127.0.0.1:{port}")), "{}", e.message());
}

#[test]
fn a_stalled_answer_is_a_timeout_by_the_deadline() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"action": "pass", "delay_ms": 5000})));
    let c = token_client(&emu).timeout(Duration::from_millis(600)).build().unwrap();
    // Had the deadline not been kept, the call would have ended after the 5 s delay with an answer.
    let e = c.delete_certificate("c1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert!(e.message().contains("deadline") || e.message().contains("waiting for the answer"), "{}", e.message());
}

#[test]
fn a_dripping_error_body_cannot_outlive_the_deadline() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"action": "drip", "status": 503, "drip_ms": 200})));
    let c = token_client(&emu).timeout(Duration::from_millis(800)).build().unwrap();
    let e = c.delete_certificate("c1").unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Timeout, Some(503)), "{e:?}");
}

#[test]
fn a_huge_body_is_read_only_up_to_the_cap() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"action": "huge", "status": 500, "body_bytes": 200_000_000u64})));
    let e = client(&emu).delete_certificate("c1").unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Server, Some(500)));
    assert!(e.body_excerpt().unwrap().chars().count() <= apig::error_body::EXCERPT_CHARS + 1);
}

#[test]
fn reset_then_success_is_retried_transparently() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.push_rule(rule(serde_json::json!({"action": "reset", "times": 1})));
    assert_eq!(fast_retries(&emu).delete_certificate("c1").unwrap(), Outcome::Deleted);
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, "fault:reset");
    assert_eq!(log[1].outcome, "deleted");
}

#[test]
fn rate_limited_answers_are_retried_and_the_last_one_is_kept() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.push_rule(rule(serde_json::json!({"times": 2, "status": 429, "headers": {"Retry-After": "0"},
        "body": "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}"})));
    assert_eq!(fast_retries(&emu).delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert_eq!(emu.requests().len(), 3);

    emu.push_rule(rule(serde_json::json!({"status": 429, "headers": {"Retry-After": "0"},
        "body": "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}"})));
    // Throttling is retried at the client's rate until the deadline (not max_retries).
    let e = token_client(&emu).timeout(Duration::from_secs(2)).build().unwrap().delete_certificate("c2").unwrap_err();
    assert_eq!((e.kind(), e.error_code()), (ErrorKind::RateLimited, Some("APIG.0308")));
    assert!(e.attempts() > 3 && e.throttled() == e.attempts(), "{e:?}");
    assert!(e.message().contains("the call's deadline comes before its turn"), "{}", e.message());
    assert!(e.body_excerpt().unwrap().contains("throttled"));
    assert_eq!(e.request_id(), Some(emu.requests().last().unwrap().request_id.as_str()));
}

#[test]
fn server_errors_retry_only_when_safe() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(
        serde_json::json!({"certificate_id": "plain500", "status": 500, "body": "{\"error_code\":\"APIG.1234\"}"}),
    ));
    let e = fast_retries(&emu).delete_certificate("plain500").unwrap_err();
    assert_eq!(e.attempts(), 1, "a 500 without APIG.9999 is not retried");
    emu.push_rule(rule(serde_json::json!({"certificate_id": "sys", "status": 500, "times": 1,
        "body": "{\"error_code\":\"APIG.9999\",\"error_msg\":\"System error\"}"})));
    emu.add_certificate(PROJECT, "sys", &[]);
    assert_eq!(fast_retries(&emu).delete_certificate("sys").unwrap(), Outcome::Deleted);
    for status in [400, 401, 403, 404, 409] {
        emu.clear_requests();
        emu.push_rule(rule(serde_json::json!({"certificate_id": format!("n{status}"), "status": status})));
        let e = fast_retries(&emu).delete_certificate(&format!("n{status}")).unwrap_err();
        // (After a 403, one GET asks what the certificate is bound to.)
        let deletes = emu.requests().iter().filter(|r| r.method == "DELETE").count();
        assert_eq!((e.attempts(), deletes), (1, 1), "{status} must not be retried");
    }
}

#[test]
fn not_found_after_an_ambiguous_attempt_says_so() {
    let emu = Emulator::start().unwrap();
    // The first attempt is answered 503 (after which the certificate may be gone); the retry finds nothing.
    emu.push_rule(rule(serde_json::json!({"times": 1, "status": 503, "headers": {"Retry-After": "0"}})));
    let e = fast_retries(&emu).delete_certificate("gone").unwrap_err();
    assert_eq!((e.kind(), e.attempts()), (ErrorKind::NotFound, 2));
    assert!(e.message().contains("earlier attempt"), "{}", e.message());
    emu.push_rule(rule(serde_json::json!({"times": 1, "status": 503, "headers": {"Retry-After": "0"}})));
    let ok =
        fast_retries(&emu).delete_certificate_with("gone", &DeleteOptions { missing_ok: true, ..Default::default() });
    assert_eq!(ok.unwrap(), Outcome::AlreadyAbsent);
}

#[test]
fn idle_connections_closed_by_the_server_are_replaced() {
    let emu =
        Emulator::start_with(EmulatorOptions { idle_close: Some(Duration::from_millis(100)), ..Default::default() })
            .unwrap();
    emu.add_certificate(PROJECT, "a", &[]);
    emu.add_certificate(PROJECT, "b", &[]);
    let c = token_client(&emu).max_retries(0).build().unwrap();
    c.delete_certificate("a").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    c.delete_certificate("b").unwrap();
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert_ne!(log[0].connection, log[1].connection);
}

#[test]
fn connections_are_reused_across_one_shot_calls() {
    let emu = Emulator::start().unwrap();
    for id in ["a", "b", "c"] {
        emu.add_certificate(PROJECT, id, &[]);
        apig::delete_certificate(&emu.url(), PROJECT, id, DEFAULT_TOKEN, false).unwrap();
    }
    let log = emu.requests();
    assert!(log.iter().all(|r| r.connection == log[0].connection), "one-shot calls opened new connections");
}

#[test]
fn aksk_and_temporary_credentials_are_verified_end_to_end() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "a", &[]);
    emu.add_certificate(PROJECT, "b", &[]);
    let aksk = Client::builder().endpoint(emu.url()).project_id(PROJECT).ak_sk(DEFAULT_AK, DEFAULT_SK).build().unwrap();
    aksk.delete_certificate("a").unwrap();
    let temp = Client::builder()
        .endpoint(emu.url())
        .project_id(PROJECT)
        .ak_sk(DEFAULT_AK, DEFAULT_SK)
        .security_token("TEMPORARY-SECURITY-TOKEN-1234")
        .build()
        .unwrap();
    temp.delete_certificate("b").unwrap();
    let log = emu.requests();
    assert!(log.iter().all(|r| r.auth == "aksk" && r.outcome == "deleted"));
    let auth = log[1].headers.iter().find(|(k, _)| k == "authorization").unwrap().1.clone();
    assert!(auth.contains("SignedHeaders=host;x-project-id;x-sdk-date;x-security-token"), "{auth}");

    let wrong = Client::builder()
        .endpoint(emu.url())
        .project_id(PROJECT)
        .ak_sk(DEFAULT_AK, "WRONGSECRETKEY123")
        .build()
        .unwrap();
    let e = wrong.delete_certificate("c").unwrap_err();
    assert_eq!((e.kind(), e.error_code(), e.attempts()), (ErrorKind::Unauthorized, Some("APIGW.0301"), 1));
    assert!(e.message().contains("check the AK/SK"), "{}", e.message());
    assert!(!format!("{e:?}{wrong:?}").contains("WRONGSECRETKEY123"));
}

#[test]
fn an_hour_of_clock_skew_is_fixed_by_one_re_sign() {
    let emu = Emulator::start().unwrap();
    emu.set_clock_offset(3600);
    emu.add_certificate(PROJECT, "a", &[]);
    emu.add_certificate(PROJECT, "b", &[]);
    let c = Client::builder()
        .endpoint(emu.url())
        .project_id(PROJECT)
        .ak_sk(DEFAULT_AK, DEFAULT_SK)
        .max_retries(0)
        .build()
        .unwrap();
    assert_eq!(c.delete_certificate("a").unwrap(), Outcome::Deleted);
    let log = emu.requests();
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), vec![401, 204]);
    // The offset is remembered: the next call signs right the first time.
    c.delete_certificate("b").unwrap();
    assert_eq!(emu.requests().len(), 3);
}

#[test]
fn invalid_input_reaches_no_server() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    for bad in ["", ".", "..", "a/b", "a?b", "a b", "%2e%2e", &"x".repeat(129)] {
        let e = c.delete_certificate(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        assert!(e.message().contains("certificate_id"));
        assert_eq!(e.attempts(), 0);
    }
    let e =
        c.delete_certificate_with("ok", &DeleteOptions { project_id: Some("p/1"), ..Default::default() }).unwrap_err();
    assert!(e.message().starts_with("project_id"));
    for (endpoint, token) in [("http://10.1.2.3", "t"), ("https://h?x", "t"), (emu.url().as_str(), "t\r\nX: y")] {
        let e = Client::builder().endpoint(endpoint).project_id(PROJECT).token(token).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    assert!(emu.requests().is_empty());
}

#[test]
fn secrets_never_appear_in_errors_or_debug() {
    const TOKEN: &str = "TOKEN-SECRET-7f3a9c";
    const SK: &str = "SK-SECRET-91be44";
    const ST: &str = "SECURITY-TOKEN-SECRET-2c8d";
    let emu = Emulator::start().unwrap();
    emu.add_token(TOKEN);
    // A misbehaving server that echoes the credentials back.
    emu.push_rule(rule(serde_json::json!({"certificate_id": "echo", "status": 400,
        "body": format!("{{\"error_code\":\"X\",\"error_msg\":\"you sent {TOKEN} {SK} {ST}\"}}")})));
    let token_client =
        Client::builder().endpoint(emu.url()).project_id(PROJECT).token(TOKEN).max_retries(0).build().unwrap();
    let aksk_client = Client::builder()
        .endpoint(emu.url())
        .project_id(PROJECT)
        .ak_sk("AKID123", SK)
        .security_token(ST)
        .max_retries(0)
        .build()
        .unwrap();
    // Each client can only leak (and so scrubs) the secrets it holds.
    for (c, secrets) in [(&token_client, vec![TOKEN]), (&aksk_client, vec![SK, ST])] {
        let mut texts = vec![format!("{c:?}")];
        for id in ["echo", "missing", "bad/id"] {
            let e = c.delete_certificate(id).unwrap_err();
            texts.push(format!("{e} {e:?} {:?} {:?}", e.body_excerpt(), e.error_msg()));
        }
        let all = texts.join("\n");
        for secret in secrets {
            assert!(!all.contains(secret), "{secret} leaked in:\n{all}");
        }
        assert!(all.contains("<redacted>"));
    }
    let mut texts = Vec::new();
    let builder = Client::builder().token(TOKEN).ak_sk("AK", SK).security_token(ST);
    texts.push(format!("{builder:?}"));
    texts.push(builder.endpoint(emu.url()).build().unwrap_err().to_string());
    for bad_token in [format!("{TOKEN}\n"), format!("{TOKEN}\u{7f}")] {
        texts.push(Client::builder().endpoint(emu.url()).token(bad_token).build().unwrap_err().to_string());
    }
    let all = texts.join("\n");
    for secret in [TOKEN, SK, ST] {
        assert!(!all.contains(secret), "{secret} leaked in:\n{all}");
    }
    assert!(all.contains("<redacted>"));
}

#[test]
fn a_long_echoed_token_leaks_no_part_of_itself_through_the_cut() {
    // Longer than the 512 characters an error keeps: cut first, scrubbed after, its start would show.
    let token = format!("MIIlong{}", "Zq9x".repeat(265));
    assert!(token.len() > 1050);
    let emu = Emulator::start().unwrap();
    emu.add_token(&token);
    emu.push_rule(rule(serde_json::json!({"certificate_id": "echo", "status": 400,
        "body": format!("{{\"error_code\":\"X\",\"error_msg\":\"you sent {token}\"}}")})));
    let client =
        Client::builder().endpoint(emu.url()).project_id(PROJECT).token(token.as_str()).max_retries(0).build().unwrap();
    let e = client.delete_certificate("echo").unwrap_err();
    let all = format!("{e} {e:?} {:?} {:?}", e.body_excerpt(), e.error_msg());
    assert!(!all.contains(&token[..16]), "the token's start leaked in:\n{all}");
    assert!(e.error_msg().unwrap().contains("<redacted>"), "{all}");
    assert!(e.body_excerpt().unwrap().contains("<redacted>"), "{all}");
}

#[test]
fn one_client_shared_by_eight_threads() {
    let emu = Emulator::start().unwrap();
    let per_thread = 250;
    for t in 0..8 {
        for i in 0..per_thread {
            emu.add_certificate(PROJECT, &format!("t{t}-{i}"), &[]);
        }
    }
    let c = client(&emu);
    std::thread::scope(|s| {
        for t in 0..8 {
            let c = c.clone();
            s.spawn(move || {
                for i in 0..per_thread {
                    c.delete_certificate(&format!("t{t}-{i}")).unwrap();
                }
            });
        }
    });
    assert!(emu.certificates(PROJECT).is_empty());
    let log = emu.requests();
    assert_eq!(log.len(), 8 * per_thread);
    assert!(log.iter().all(|r| r.status == 204));
}

#[test]
fn rules_can_target_and_expire() {
    let r = rule(serde_json::json!({"certificate_id": "x", "times": 1, "action": "close"}));
    assert_eq!(r.action, Action::Close);
}

#[test]
fn an_explicit_proxy_is_used_with_its_escaped_credentials() {
    // The emulator also answers proxy-form requests, so it can stand in for the proxy.
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    let c = Client::builder()
        .endpoint("http://apig.example.invalid")
        .allow_insecure_http(true)
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .proxy(format!("http://user:p%40ss%3Aword@{}", emu.addr()))
        .build()
        .unwrap();
    assert_eq!(c.delete_certificate("c1").unwrap(), Outcome::Deleted);
    let log = emu.requests();
    let header = |i: usize, n: &str| log[i].headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!((log[0].method.as_str(), log[0].path.as_str()), ("CONNECT", "apig.example.invalid:80"));
    // base64("user:p@ss:word"): percent-escapes decoded exactly once.
    assert_eq!(header(0, "proxy-authorization").as_deref(), Some("Basic dXNlcjpwQHNzOndvcmQ="));
    assert_eq!((log[1].outcome.as_str(), header(1, "host").as_deref()), ("deleted", Some("apig.example.invalid")));
    assert_eq!(header(1, "proxy-authorization"), None, "proxy credentials must not reach the server");
    let e = Client::builder().endpoint(emu.url()).token("t").proxy("not a url").build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn retry_after_beyond_the_deadline_stops_with_the_429() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"status": 429, "headers": {"Retry-After": "120"},
        "body": "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}"})));
    let c = token_client(&emu).timeout(Duration::from_secs(5)).build().unwrap();
    let e = c.delete_certificate("c1").unwrap_err();
    assert_eq!((e.kind(), e.attempts(), e.error_code()), (ErrorKind::RateLimited, 1, Some("APIG.0308")));
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    emu.push_rule(rule(serde_json::json!({"status": 503, "times": 1, "headers": {"Retry-After": when}})));
    assert_eq!(fast_retries(&emu).delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert_eq!(emu.requests().len(), 2);
}

#[test]
fn host_names_are_resolved_and_reused() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "a", &[]);
    emu.add_certificate(PROJECT, "b", &[]);
    let url = format!("http://localhost:{}", emu.addr().port());
    let c = Client::builder().endpoint(url).project_id(PROJECT).token(DEFAULT_TOKEN).build().unwrap();
    c.delete_certificate("a").unwrap();
    c.delete_certificate("b").unwrap();
    let log = emu.requests();
    assert_eq!(log[0].connection, log[1].connection);
    let host = log[0].headers.iter().find(|(k, _)| k == "host").unwrap().1.clone();
    assert_eq!(host, format!("localhost:{}", emu.addr().port()));
}

#[test]
fn any_2xx_is_success() {
    let emu = Emulator::start().unwrap();
    for (id, status) in [("ok200", 200), ("ok202", 202)] {
        emu.push_rule(rule(serde_json::json!({"certificate_id": id, "status": status, "body": "{\"result\":\"ok\"}"})));
        assert_eq!(client(&emu).delete_certificate(id).unwrap(), Outcome::Deleted, "{status}");
    }
    // The success bodies were read, so the one connection was reused for both.
    let log = emu.requests();
    assert_eq!(log[0].connection, log[1].connection);
}

#[test]
fn skew_messages_say_which_way_the_clock_is_off() {
    let emu = Emulator::start().unwrap();
    let wrong = Client::builder()
        .endpoint(emu.url())
        .project_id(PROJECT)
        .ak_sk(DEFAULT_AK, "WRONG-SK-1")
        .max_retries(0)
        .build()
        .unwrap();
    for (offset, words) in [(3600, "behind"), (-3600, "ahead of")] {
        emu.set_clock_offset(offset);
        let e = wrong.delete_certificate("c").unwrap_err();
        assert_eq!((e.kind(), e.attempts()), (ErrorKind::Unauthorized, 2), "{offset}");
        assert!(e.message().contains(&format!("local clock is 3600 s {words}")), "{}", e.message());
        assert!(e.message().contains("refused again after re-signing"), "{}", e.message());
    }
}

#[test]
fn cancel_stops_a_waiting_call_and_its_connection_is_not_reused() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "after", &[]);
    emu.push_rule(rule(serde_json::json!({"certificate_id": "stalled", "action": "stall"})));
    let client = fast_retries(&emu);
    let started = std::time::Instant::now();
    let e = std::thread::scope(|s| {
        let call = s.spawn(|| client.delete_certificate("stalled"));
        std::thread::sleep(Duration::from_millis(300));
        client.clone().cancel(); // a clone shares the client: its calls stop too
        call.join().unwrap().unwrap_err()
    });
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // A call started after the cancel runs normally, on a new connection.
    assert_eq!(client.delete_certificate("after").unwrap(), Outcome::Deleted);
    let log = emu.requests();
    assert_ne!(log[0].connection, log[1].connection, "the stopped connection was dropped");
}

#[test]
fn an_interrupt_check_stops_a_call_in_its_backoff() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"status": 503, "headers": {"Retry-After": "10"}})));
    let asked = std::sync::atomic::AtomicU32::new(0);
    let check = || asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 3;
    let options = DeleteOptions { interrupt: Some(&check), ..Default::default() };
    let started = std::time::Instant::now();
    let e = fast_retries(&emu).delete_certificate_with("c", &options).unwrap_err();
    assert_eq!((e.kind(), e.attempts()), (ErrorKind::Cancelled, 1));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(emu.requests().len(), 1);
}

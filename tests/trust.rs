//! What a call reports is what happened (issue 17), over real sockets: an identity service's
//! answer is never APIG's, a stop is a stop wherever the call waits, waits for another call's
//! fetch keep the caller's deadline, refused temporary keys are fetched anew once, identity
//! endpoints never go over clear text off the machine. No wall-clock time is asserted: the
//! error kinds say whether a call stopped or ran into its deadline.

use apig::emulator::{DEFAULT_DOMAIN, DEFAULT_PROJECT_ID, DEFAULT_REGION, DEFAULT_TOKEN, DEFAULT_USER, Emulator, Rule};
use apig::{Client, ClientBuilder, DeleteOptions, ErrorKind, Outcome};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const PROJECT: &str = DEFAULT_PROJECT_ID;

/// A client of `emu`'s APIG with its token, for the default project: options still to add.
fn token_client(emu: &Emulator) -> apig::ClientBuilder {
    Client::builder().endpoint(emu.url()).project_id(PROJECT).token(DEFAULT_TOKEN)
}
const MISSING_OK: DeleteOptions<'static> =
    DeleteOptions { project_id: None, missing_ok: true, interrupt: None, stop: None, detach_domains: false };

fn rule(json: serde_json::Value) -> Rule {
    Rule::from_json(&json).unwrap()
}

/// `from_env` with nothing in the environment but `vars` (no credentials file): the chain.
fn from_env(builder: ClientBuilder, vars: &[(&str, String)]) -> Client {
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    env.entry("HOME".into()).or_insert_with(|| "/nonexistent-home".into());
    builder.from_env_with(|name| env.get(name).cloned()).unwrap().build().unwrap()
}

/// A `from_env` client whose only source is `emu`'s metadata service, APIG at `emu` too.
fn metadata_client(emu: &Emulator, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
    from_env(configure(Client::builder().endpoint(emu.url()).project_id(PROJECT).metadata_endpoint(emu.url())), &[])
}

/// An emulator whose metadata service misbehaves as `path_rule` says (its `path` is set here),
/// and a client whose only credential source it is.
fn misbehaving_metadata(
    path_rule: serde_json::Value,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> (Emulator, Client) {
    let emu = Emulator::start().unwrap();
    let mut rule_json = path_rule;
    rule_json["path"] = "/openstack/".into();
    emu.push_rule(rule(rule_json));
    let client = metadata_client(&emu, configure);
    (emu, client)
}

/// `n` calls of `client` at once, each on a thread of its own, that all fail: their errors.
fn failing_calls(client: &Client, n: usize) -> Vec<std::thread::JoinHandle<apig::Error>> {
    (0..n)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || client.delete_certificate(&format!("c{i}")).unwrap_err())
        })
        .collect()
}

/// What the calls of `threads` failed with, once they all ended.
fn errors(threads: Vec<std::thread::JoinHandle<apig::Error>>) -> Vec<apig::Error> {
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

fn apig_requests(emu: &Emulator) -> usize {
    emu.requests().iter().filter(|r| r.path.starts_with("/v2/")).count()
}

fn count(emu: &Emulator, path: &str) -> usize {
    emu.requests().iter().filter(|r| r.path.split('?').next() == Some(path)).count()
}

/// A metadata service answering 404 (an EC2 or OpenStack VM, a proxy's error page) is no
/// "already absent": APIG was never asked.
#[test]
fn a_metadata_404_is_a_credentials_error_even_with_missing_ok() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.push_rule(rule(serde_json::json!({"path": "/openstack/", "status": 404, "body": "<html>Not Found</html>"})));
    let client = metadata_client(&emu, |b| b);
    let e = client.delete_certificate_with("c1", &MISSING_OK).unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Credentials, Some(404)), "{e:?}");
    assert!(e.message().contains("ECS metadata"), "names the service: {}", e.message());
    assert_eq!(apig_requests(&emu), 0, "APIG was never asked");
    assert_eq!(emu.certificates(PROJECT), ["c1"], "the certificate is still there");
}

#[test]
fn a_metadata_403_is_not_a_refusal_of_the_delete() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"path": "/openstack/", "status": 403,
        "body": "{\"error_code\": \"APIG.1005\", \"error_msg\": \"No permissions\"}"})));
    let client = metadata_client(&emu, |b| b);
    let e = client.delete_certificate("c1").unwrap_err();
    assert_eq!((e.kind(), e.http_status(), e.error_code()), (ErrorKind::Credentials, Some(403), Some("APIG.1005")));
    assert_eq!(apig_requests(&emu), 0);
}

#[test]
fn a_pod_identity_404_is_a_credentials_error() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"path": "/pod", "status": 404})));
    let dir = std::env::temp_dir().join(format!("apig-trust-pod-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    std::fs::write(&token_file, apig::emulator::DEFAULT_POD_TOKEN).unwrap();
    let vars = [
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", emu.pod_uri()),
        ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.display().to_string()),
    ];
    // The metadata service is closed: the chain's last source fails too.
    let client = from_env(
        Client::builder().endpoint(emu.url()).project_id(PROJECT).metadata_endpoint("http://127.0.0.1:1"),
        &vars,
    );
    let e = client.delete_certificate_with("c1", &MISSING_OK).unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Credentials, Some(404)), "{e:?}");
    assert!(e.message().contains("pod identity"), "{}", e.message());
    assert_eq!(apig_requests(&emu), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_iam_404_while_finding_the_project_is_a_credentials_error() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"path": "/v3/", "status": 404})));
    let client = Client::builder()
        .endpoint(emu.url())
        .region(DEFAULT_REGION)
        .iam_endpoint(emu.url())
        .ak_sk(apig::emulator::DEFAULT_AK, apig::emulator::DEFAULT_SK)
        .build()
        .unwrap();
    let e = client.delete_certificate_with("c1", &MISSING_OK).unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::Credentials, Some(404)), "{e:?}");
    assert!(e.message().contains("IAM"), "{}", e.message());
    assert_eq!(apig_requests(&emu), 0);
}

/// Only APIG's own 404 is "already absent".
#[test]
fn apigs_own_404_is_still_already_absent() {
    let emu = Emulator::start().unwrap();
    let client = token_client(&emu).build().unwrap();
    assert_eq!(client.delete_certificate_with("gone", &MISSING_OK).unwrap(), Outcome::AlreadyAbsent);
}

/// Cancels `client` from another thread after `after`.
fn cancel_later(client: &Client, after: Duration) -> std::thread::JoinHandle<()> {
    let client = client.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        client.cancel();
    })
}

/// A stop while the body arrives ends the call (it used to spin until the deadline: the stop
/// was an `Interrupted` error, which `read_to_end` retries).
#[test]
fn a_cancel_while_the_body_drips_stops_the_call() {
    let emu = Emulator::start().unwrap();
    emu.push_rule(rule(serde_json::json!({"action": "drip", "status": 404, "drip_ms": 200, "body": "x".repeat(500)})));
    let client = token_client(&emu).timeout(Duration::from_secs(60)).build().unwrap();
    let canceller = cancel_later(&client, Duration::from_millis(600));
    let e = client.delete_certificate("c1").unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e:?}");
}

/// A server that accepts connections and never says a word: a TLS handshake (or a proxy's
/// CONNECT) waits on it. With `connect_ok`, it answers a CONNECT with 200 first, then is silent.
fn silent_server(connect_ok: bool) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        if connect_ok {
            let mut head = Vec::new();
            let mut byte = [0u8];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
        }
        // Held until the client lets go.
        let _ = conn.read_to_end(&mut Vec::new());
    });
    (port, handle)
}

/// A call through a server that never answers the TLS handshake (directly, or behind a CONNECT
/// proxy that opens the tunnel), cancelled 300 ms in: it stops.
fn cancel_a_stalled_handshake(through_proxy: bool) {
    let (port, server) = silent_server(through_proxy);
    let builder = match through_proxy {
        true => Client::builder()
            .endpoint("https://apig.cn-north-4.myhuaweicloud.com")
            .proxy(format!("http://127.0.0.1:{port}")),
        false => Client::builder().endpoint(format!("https://127.0.0.1:{port}")),
    };
    let client = builder
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .connect_timeout(Duration::from_secs(60))
        .timeout(Duration::from_secs(60))
        .max_retries(0)
        .build()
        .unwrap();
    let canceller = cancel_later(&client, Duration::from_millis(300));
    let e = client.delete_certificate("c1").unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e:?}");
    server.join().unwrap();
}

#[test]
fn a_cancel_during_a_stalled_tls_handshake_stops_the_call() {
    cancel_a_stalled_handshake(false);
}

#[test]
fn a_cancel_during_a_stalled_tls_handshake_through_a_proxy_stops_the_call_and_sends_nothing() {
    cancel_a_stalled_handshake(true);
}

/// A caller's check that says "stop" once (as Python's signal check does): the call stays
/// stopped and sends nothing after it.
#[test]
fn a_stop_seen_once_is_kept_for_the_rest_of_the_call() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.push_rule(rule(
        serde_json::json!({"action": "drip", "status": 503, "drip_ms": 100, "body": "x".repeat(100), "times": 1}),
    ));
    let client = token_client(&emu).build().unwrap();
    let asked = std::sync::atomic::AtomicU32::new(0);
    let once = || asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 3;
    let options = DeleteOptions { interrupt: Some(&once), ..DeleteOptions::default() };
    let e = client.delete_certificate_with("c1", &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e:?}");
    assert_eq!(apig_requests(&emu), 1, "no retry after the stop");
    assert_eq!(emu.certificates(PROJECT), ["c1"]);
}

/// 8 threads wait for one metadata fetch that stalls: they stop when cancelled (they used to
/// wait on a lock, deaf to their deadline and to cancel()).
#[test]
fn calls_waiting_for_a_stalled_fetch_stop_when_cancelled() {
    let (emu, client) =
        misbehaving_metadata(serde_json::json!({"action": "stall"}), |b| b.timeout(Duration::from_secs(60)));
    let threads = failing_calls(&client, 8);
    let canceller = cancel_later(&client, Duration::from_millis(500));
    for e in errors(threads) {
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{e:?}");
    }
    canceller.join().unwrap();
    assert_eq!(count(&emu, "/openstack/latest/securitykey"), 1, "one fetch for all");
}

/// 8 threads and a metadata service that refuses: one request, one error for all (it used to
/// be repeated by each waiter in turn).
#[test]
fn a_failed_fetch_is_shared_with_its_waiters() {
    let (emu, client) = misbehaving_metadata(serde_json::json!({"status": 500, "delay_ms": 300}), |b| b.max_retries(0));
    let threads = failing_calls(&client, 8);
    for e in errors(threads) {
        assert_eq!((e.kind(), e.http_status()), (ErrorKind::Credentials, Some(500)), "{e:?}");
    }
    assert_eq!(count(&emu, "/openstack/latest/securitykey"), 1);
}

#[test]
fn a_call_past_its_deadline_while_waiting_for_a_fetch_times_out() {
    let (_emu, client) =
        misbehaving_metadata(serde_json::json!({"action": "stall"}), |b| b.timeout(Duration::from_millis(700)));
    let threads = failing_calls(&client, 4);
    for e in errors(threads) {
        assert_eq!(e.kind(), ErrorKind::Credentials, "{e:?}");
        assert!(e.message().contains("deadline") || e.message().contains("timed out"), "{}", e.message());
    }
}

/// Keys APIG refuses (revoked) are dropped and fetched anew, once.
#[test]
fn revoked_temporary_keys_are_fetched_anew_once() {
    let emu = Emulator::start().unwrap();
    for c in ["c1", "c2"] {
        emu.add_certificate(PROJECT, c, &[]);
    }
    let client = metadata_client(&emu, |b| b);
    assert_eq!(client.delete_certificate("c1").unwrap(), Outcome::Deleted);
    emu.revoke_temporary_keys();
    assert_eq!(client.delete_certificate("c2").unwrap(), Outcome::Deleted);
    assert_eq!(count(&emu, "/openstack/latest/securitykey"), 2);
}

/// A wrong password: one IAM login, whatever the number of calls (each would count towards
/// the account's lock-out), and every call fails at once with the same error.
#[test]
fn a_refused_password_is_tried_once_per_client() {
    let emu = Emulator::start().unwrap();
    let with_iam = Client::builder().endpoint(emu.url()).region(DEFAULT_REGION).iam_endpoint(emu.url());
    let client = with_iam.password(DEFAULT_USER, "Wrong-Passw0rd!", DEFAULT_DOMAIN).build().unwrap();
    for i in 0..6 {
        let e = client.delete_certificate(&format!("c{i}")).unwrap_err();
        assert_eq!((e.kind(), e.http_status()), (ErrorKind::Credentials, Some(401)), "{e:?}");
        assert!(!format!("{e:?}").contains("Wrong-Passw0rd!"));
    }
    assert_eq!(count(&emu, "/v3/auth/tokens"), 1);
}

#[test]
fn clear_text_identity_endpoints_off_the_machine_are_refused_before_any_io() {
    let build = |builder: ClientBuilder| {
        let vars = [
            ("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://pod-identity.example.com/v1/credentials".to_string()),
            ("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/token".to_string()),
        ];
        let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        env.insert("HOME".into(), "/nonexistent-home".into());
        builder.from_env_with(|name| env.get(name).cloned()).unwrap().build()
    };
    let base = || Client::builder().endpoint("https://apig.example.com").project_id(PROJECT);
    let e = build(base()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("HC_CONTAINER_CREDENTIALS_FULL_URI") && e.message().contains("clear text"),
        "{}",
        e.message()
    );
    // The metadata endpoint on another host.
    let e = from_env_result(base().metadata_endpoint("http://metadata.example.com")).unwrap_err();
    assert!(e.message().contains("metadata_endpoint"), "{}", e.message());
    // IAM: loopback only.
    let e = Client::builder()
        .endpoint("https://apig.example.com")
        .region(DEFAULT_REGION)
        .iam_endpoint("http://169.254.169.254")
        .ak_sk("AK", "SK")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e:?}");
    // Loopback and link-local are fine; so is anything with the explicit opt-in.
    from_env_result(base().metadata_endpoint("http://169.254.169.254")).unwrap();
    from_env_result(base().metadata_endpoint("http://[fe80::a9fe:a9fe]")).unwrap();
    from_env_result(base().metadata_endpoint("http://127.0.0.1:9")).unwrap();
    build(base().allow_insecure_http(true)).unwrap();
}

fn from_env_result(builder: ClientBuilder) -> apig::Result<Client> {
    builder.from_env_with(|name| (name == "HOME").then(|| "/nonexistent-home".to_string()))?.build()
}

/// `close()`: calls that start afterwards fail at once, without I/O.
#[test]
fn a_closed_client_makes_no_call() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    let client = token_client(&emu).build().unwrap();
    let clone = client.clone();
    client.close();
    assert!(clone.is_closed());
    let e = clone.delete_certificate("c1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(apig_requests(&emu), 0);
}

/// A clock far off with keys from the metadata service: re-signed with the server's clock (the
/// keys are not dropped for it).
#[test]
fn a_skewed_clock_with_temporary_keys_is_re_signed_not_refetched() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.set_clock_offset(3600);
    let client = metadata_client(&emu, |b| b);
    assert_eq!(client.delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert_eq!(count(&emu, "/openstack/latest/securitykey"), 1, "the keys were good: fetched once");
}

/// A transient identity failure (one 503 from the metadata service) is retried, and the retry
/// asks the service again rather than taking the shared failure.
#[test]
fn a_transient_identity_failure_is_retried_by_asking_again() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.push_rule(rule(serde_json::json!({"path": "/openstack/", "status": 503, "times": 1})));
    let client = metadata_client(&emu, |b| b);
    assert_eq!(client.delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert_eq!(count(&emu, "/openstack/latest/securitykey"), 2);
}

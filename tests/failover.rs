//! Several endpoints, over real sockets: a call that cannot reach one moves to the next within
//! its deadline; an answer of any status never moves it; calls start where the last answered.

use apig::emulator::{DEFAULT_TOKEN, Emulator, Rule};
use apig::{Client, DeleteOptions, ErrorKind, Outcome};
use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A loopback port nothing listens on (connections to it are refused).
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn client(endpoints: &[String]) -> Client {
    Client::builder().endpoints(endpoints.iter()).project_id(PROJECT).token(DEFAULT_TOKEN).build().unwrap()
}

fn deletes(emu: &Emulator) -> usize {
    emu.requests().iter().filter(|r| r.method == "DELETE").count()
}

#[test]
fn a_refused_first_endpoint_moves_the_call_to_the_second_and_later_calls_start_there() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.add_certificate(PROJECT, "c2", &[]);
    let closed = closed_url();
    let client = client(&[closed.clone(), emu.url()]);
    assert_eq!(client.endpoints(), [closed.clone(), emu.url()]);
    assert_eq!(client.current_endpoint(), closed);
    let d = client.delete_certificate_detailed("c1", &DeleteOptions::default()).unwrap();
    assert_eq!((d.outcome, d.attempts), (Outcome::Deleted, 2), "one attempt per endpoint, no retry between them");
    assert_eq!(client.current_endpoint(), emu.url());
    // The next call goes straight to the endpoint that answered.
    let d = client.delete_certificate_detailed("c2", &DeleteOptions::default()).unwrap();
    assert_eq!(d.attempts, 1);
    assert_eq!(deletes(&emu), 2);
}

#[test]
fn a_tls_failure_moves_the_call_too() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    // A plain-HTTP server spoken to in TLS: the handshake fails before anything is sent.
    let not_tls = emu.url().replace("http://", "https://");
    let client = client(&[not_tls.clone(), emu.url()]);
    assert_eq!(client.delete_certificate("c1").unwrap(), Outcome::Deleted);
    assert_eq!(deletes(&emu), 1, "the DELETE went out once, over the second endpoint");
}

#[test]
fn an_answer_of_any_status_never_moves_the_call() {
    for (status, kind) in [(503, ErrorKind::Server), (404, ErrorKind::NotFound), (500, ErrorKind::Server)] {
        let first = Emulator::start().unwrap();
        let second = Emulator::start().unwrap();
        first.push_rule(Rule::from_json(&serde_json::json!({"status": status})).unwrap());
        second.add_certificate(PROJECT, "c1", &[]);
        let client = Client::builder()
            .endpoints([first.url(), second.url()])
            .project_id(PROJECT)
            .token(DEFAULT_TOKEN)
            .max_retries(1)
            .build()
            .unwrap();
        let e = client.delete_certificate("c1").unwrap_err();
        assert_eq!((e.kind(), e.http_status()), (kind, Some(status)));
        assert!(second.requests().is_empty(), "{status}: the second endpoint was never asked");
        assert_eq!(client.current_endpoint(), first.url());
    }
}

#[test]
fn every_endpoint_down_is_one_error_naming_each() {
    let (a, b) = (closed_url(), closed_url());
    let client = Client::builder()
        .endpoints([a.clone(), b.clone()])
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .max_retries(0)
        .build()
        .unwrap();
    let e = client.delete_certificate("c1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert_eq!(
        e.message(),
        format!("no endpoint could be reached: connection refused ({a}); connection refused ({b})")
    );
    assert_eq!(e.attempts(), 2);
}

#[test]
fn the_endpoints_are_checked_before_any_io() {
    for (endpoints, want) in [
        (vec![], "endpoints is empty"),
        (vec!["https://a.example", "https://A.example/"], "endpoint https://a.example is given twice"),
        (vec!["https://a.example", "http://b.example"], "plain http"),
    ] {
        let e = Client::builder().endpoints(endpoints).project_id(PROJECT).token("t").build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains(want), "{}", e.message());
    }
    let e = Client::builder().endpoint("https://a.example").endpoints(["https://b.example"]).token("t").build();
    assert!(e.unwrap_err().message().starts_with("conflicting endpoints"));
}

#[test]
fn an_unroutable_first_endpoint_costs_the_connect_timeout_once() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    emu.add_certificate(PROJECT, "c2", &[]);
    // TEST-NET-1 is never routed: the connect times out (or the network says unreachable at once).
    let client = Client::builder()
        .endpoints(["http://192.0.2.1:80".to_string(), emu.url()])
        .allow_insecure_http(true)
        .connect_timeout(Duration::from_millis(300))
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .build()
        .unwrap();
    assert_eq!(client.delete_certificate("c1").unwrap(), Outcome::Deleted);
    let d = client.delete_certificate_detailed("c2", &DeleteOptions::default()).unwrap();
    assert_eq!(d.attempts, 1, "the next call starts at the endpoint that answered");
}

/// A server that accepts connections and holds them without a word (a stalled TLS handshake, or
/// an HTTP request never answered): its address.
fn silent_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut conn in listener.incoming().flatten() {
            // Read what comes (so the request is sent in full), answer nothing.
            let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = conn.read(&mut [0u8; 4096]);
            held.push(conn);
        }
    });
    addr
}

/// A server that closes every connection at once, counting them: its address and the count.
fn slamming_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (addr, count)
}

#[test]
fn a_stalled_tls_handshake_is_a_connect_timeout_and_moves_the_call() {
    let emu = Emulator::start().unwrap();
    emu.add_certificate(PROJECT, "c1", &[]);
    let stalled = format!("https://{}", silent_server());
    let one = Client::builder()
        .endpoint(stalled.as_str())
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(20))
        .max_retries(0)
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .build()
        .unwrap();
    let e = one.delete_certificate("c1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().starts_with("connect timed out"), "{e}");
    // With a second endpoint, the handshake that never ends moves the call there.
    let two = Client::builder()
        .endpoints([stalled.clone(), emu.url()])
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(20))
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .build()
        .unwrap();
    let d = two.delete_certificate_detailed("c1", &DeleteOptions::default()).unwrap();
    assert_eq!((d.outcome, d.attempts), (Outcome::Deleted, 2));
}

#[test]
fn after_the_wait_one_call_tries_the_first_endpoint_again_while_the_others_go_on() {
    let emu = Emulator::start().unwrap();
    for i in 0..9 {
        emu.add_certificate(PROJECT, &format!("c{i}"), &[]);
    }
    // Spoken to in TLS, a server that closes at once fails the handshake: nothing was sent.
    let (addr, connections) = slamming_server();
    let dead = format!("https://{addr}");
    let client = client(&[dead.clone(), emu.url()]);
    // Long enough that all eight calls start within it on a loaded machine.
    client.set_back_to_first_after(Duration::from_millis(1000));
    client.delete_certificate("c0").unwrap();
    assert_eq!((connections.load(Ordering::SeqCst), client.current_endpoint()), (1, emu.url()));
    std::thread::sleep(Duration::from_millis(1100));
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (1..9)
        .map(|i| {
            let (client, barrier) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                client.delete_certificate(&format!("c{i}")).unwrap()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Outcome::Deleted);
    }
    assert_eq!(connections.load(Ordering::SeqCst), 2, "one call tried the first endpoint again, not eight");
    assert_eq!(client.current_endpoint(), emu.url());
    assert_eq!(deletes(&emu), 9);
}

#[test]
fn an_endpoint_that_never_answered_does_not_become_the_current_one() {
    let closed = closed_url();
    let silent = format!("http://{}", silent_server());
    let client = Client::builder()
        .endpoints([closed.clone(), silent.clone()])
        .timeout(Duration::from_millis(600))
        .max_retries(0)
        .project_id(PROJECT)
        .token(DEFAULT_TOKEN)
        .build()
        .unwrap();
    let e = client.delete_certificate("c1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().ends_with(&format!("; before it: connection refused ({closed})")), "{e}");
    assert_eq!(client.current_endpoint(), closed, "the silent endpoint never answered");
}

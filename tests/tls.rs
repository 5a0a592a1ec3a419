//! TLS against the emulator's HTTPS mode: verified by default, `ca_file` adds the test CA,
//! `verify(false)` really disables verification, a new connection resumes the client's session.

use apig::emulator::{DEFAULT_TOKEN, Emulator, EmulatorOptions};
use apig::{Client, ErrorKind, Outcome};
use std::path::PathBuf;
use std::time::Duration;

const PROJECT: &str = "p1";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

fn https_emulator() -> Emulator {
    https_emulator_with(EmulatorOptions::default())
}

fn https_emulator_with(options: EmulatorOptions) -> Emulator {
    let emu =
        Emulator::start_with(EmulatorOptions { tls: Some((fixture("server.pem"), fixture("server.key"))), ..options })
            .unwrap();
    assert!(emu.url().starts_with("https://127.0.0.1:"));
    for id in ["a", "b", "c"] {
        emu.add_certificate(PROJECT, id, &[]);
    }
    emu
}

fn builder(emu: &Emulator) -> apig::ClientBuilder {
    Client::builder().endpoint(emu.url()).project_id(PROJECT).token(DEFAULT_TOKEN).max_retries(0)
}

#[test]
fn verification_is_on_by_default() {
    let emu = https_emulator();
    let e = builder(&emu).build().unwrap().delete_certificate("a").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
    assert!(emu.requests().is_empty(), "no request may be sent over an unverified connection");
}

#[test]
fn ca_file_trusts_a_private_ca_and_only_it() {
    let emu = https_emulator();
    let ok = builder(&emu).ca_file(fixture("ca.pem")).build().unwrap();
    assert_eq!(ok.delete_certificate("a").unwrap(), Outcome::Deleted);
    let other = builder(&emu).ca_file(fixture("other-ca.pem")).build().unwrap();
    assert_eq!(other.delete_certificate("b").unwrap_err().kind(), ErrorKind::Tls);
}

#[test]
fn verify_false_really_disables_verification() {
    let emu = https_emulator();
    let c = builder(&emu).verify(false).ca_file(fixture("other-ca.pem")).build().unwrap();
    assert_eq!(c.delete_certificate("c").unwrap(), Outcome::Deleted);
}

#[test]
fn a_bad_ca_file_is_an_invalid_argument() {
    let e =
        Client::builder().endpoint("https://127.0.0.1:1").token("t").ca_file(fixture("make.sh")).build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("ca_file"));
    let e =
        Client::builder().endpoint("https://127.0.0.1:1").token("t").ca_file("/nonexistent.pem").build().unwrap_err();
    assert!(e.message().contains("cannot read"));
}

#[test]
fn a_new_connection_resumes_the_clients_tls_session() {
    // The emulator drops connections idle for 50 ms, so each call after a pause reconnects.
    let emu =
        https_emulator_with(EmulatorOptions { idle_close: Some(Duration::from_millis(50)), ..Default::default() });
    let client = builder(&emu).ca_file(fixture("ca.pem")).build().unwrap();
    for id in ["a", "b", "c"] {
        assert_eq!(client.delete_certificate(id).unwrap(), Outcome::Deleted);
        std::thread::sleep(Duration::from_millis(150));
    }
    let counters = emu.counters();
    assert_eq!(counters["tls_full_handshakes"], 1, "{counters}");
    assert_eq!(counters["tls_resumed_handshakes"], 2, "{counters}");
    // A second client has its own session cache: its first connection is a full handshake.
    let other = builder(&emu).ca_file(fixture("ca.pem")).build().unwrap();
    assert_eq!(other.delete_certificate("a").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(emu.counters()["tls_full_handshakes"], 2);
}

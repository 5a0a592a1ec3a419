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
    // Transport options of this test only: the pools (and TLS sessions) are shared per options,
    // process-wide, and the other tests of this file run beside it against other servers.
    let own = |b: apig::ClientBuilder| b.ca_file(fixture("ca.pem")).connect_timeout_secs(9.5);
    let client = own(builder(&emu)).build().unwrap();
    for id in ["a", "b", "c"] {
        assert_eq!(client.delete_certificate(id).unwrap(), Outcome::Deleted);
        std::thread::sleep(Duration::from_millis(150));
    }
    let counters = emu.counters();
    assert_eq!(counters["tls_full_handshakes"], 1, "{counters}");
    assert_eq!(counters["tls_resumed_handshakes"], 2, "{counters}");
    // Clients with the same transport options share the pool and its sessions (one-shot calls
    // in a loop are clients of a call each); other options have their own.
    let same = own(builder(&emu)).build().unwrap();
    assert_eq!(same.delete_certificate("a").unwrap_err().kind(), ErrorKind::NotFound);
    let counters = emu.counters();
    assert_eq!((&counters["tls_full_handshakes"], &counters["tls_resumed_handshakes"]), (&1.into(), &3.into()));
    let other = own(builder(&emu)).connect_timeout_secs(7.5).build().unwrap();
    assert_eq!(other.delete_certificate("a").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(emu.counters()["tls_full_handshakes"], 2);
}

#[test]
fn a_ca_file_changed_on_disk_is_read_again() {
    let emu = https_emulator();
    let path = std::env::temp_dir().join(format!("apig-ca-{}.pem", std::process::id()));
    std::fs::copy(fixture("ca.pem"), &path).unwrap();
    assert_eq!(builder(&emu).ca_file(&path).build().unwrap().delete_certificate("a").unwrap(), Outcome::Deleted);
    // Replaced by an unrelated CA: a client built now must not trust the server any more.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::copy(fixture("other-ca.pem"), &path).unwrap();
    let e = builder(&emu).ca_file(&path).build().unwrap().delete_certificate("b").unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
}

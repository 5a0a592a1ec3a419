//! A minimal HTTPS (TLS 1.3 only) server for the benchmark, the TLS sibling of
//! `bench/fast_server.rs`: answers every `DELETE /v2/…` with `204 No Content`, doing as little as
//! possible so that the clients' own cost shows. Built as a cargo example (it needs rustls):
//! `cargo build --release --features emulator --example bench-tls-server`.
//!
//! Usage: bench-tls-server CERT_PEM KEY_PEM [--close] [--no-resumption]
//!   --close          answer `Connection: close` and close after each answer (a new connection
//!                    per call, so every call pays a handshake)
//!   --no-resumption  no session tickets and no session cache (every handshake is full)
//!
//! Prints two lines: the HTTPS URL, then a plain-HTTP URL whose `GET /` answers
//! `{"requests": N, "full": F, "resumed": R}` (handshakes by kind), so that the harness can tell
//! which clients resume sessions without a handshake of its own.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{HandshakeKind, ServerConfig, ServerConnection, StreamOwned};

const KEEP: &[u8] = b"HTTP/1.1 204 No Content\r\nX-Request-Id: bench\r\n\r\n";
const CLOSE: &[u8] = b"HTTP/1.1 204 No Content\r\nX-Request-Id: bench\r\nConnection: close\r\n\r\n";
const BAD: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    full: AtomicU64,
    resumed: AtomicU64,
}

fn serve(tcp: TcpStream, config: Arc<ServerConfig>, close: bool, stats: &Stats) {
    let _ = tcp.set_nodelay(true);
    let Ok(conn) = ServerConnection::new(config) else { return };
    let mut tls = StreamOwned::new(conn, tcp);
    let mut buf = vec![0u8; 16 * 1024];
    let mut filled = 0;
    let mut counted = false;
    loop {
        match tls.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        if !counted {
            if let Some(kind) = tls.conn.handshake_kind() {
                counted = true;
                let counter = if kind == HandshakeKind::Resumed { &stats.resumed } else { &stats.full };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Answer every complete request head in the buffer (the requests have no body).
        while let Some(end) = find_head_end(&buf[..filled]) {
            let ok = buf.starts_with(b"DELETE /v2/");
            if ok {
                stats.requests.fetch_add(1, Ordering::Relaxed);
            }
            let answer = if !ok {
                BAD
            } else if close {
                CLOSE
            } else {
                KEEP
            };
            if tls.write_all(answer).and_then(|()| tls.flush()).is_err() {
                return;
            }
            if !ok || close {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                return;
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
        if filled == buf.len() {
            return; // a request head over 16 KiB: drop the connection
        }
    }
}

fn find_head_end(data: &[u8]) -> Option<usize> {
    data.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn serve_stats(listener: TcpListener, stats: Arc<Stats>) {
    for mut stream in listener.incoming().flatten() {
        let mut head = [0u8; 1024];
        let _ = stream.read(&mut head);
        let body = format!(
            "{{\"requests\": {}, \"full\": {}, \"resumed\": {}}}\n",
            stats.requests.load(Ordering::Relaxed),
            stats.full.load(Ordering::Relaxed),
            stats.resumed.load(Ordering::Relaxed)
        );
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes());
    }
}

fn config(cert: &str, key: &str, resumption: bool) -> ServerConfig {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert).expect("certificate file").collect::<Result<_, _>>().expect("certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("key file");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("certificate and key");
    if !resumption {
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    config
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags: Vec<&str> = args.iter().filter(|a| a.starts_with("--")).map(String::as_str).collect();
    let files: Vec<&str> = args.iter().filter(|a| !a.starts_with("--")).map(String::as_str).collect();
    if files.len() != 2 || flags.iter().any(|f| !["--close", "--no-resumption"].contains(f)) {
        eprintln!("usage: bench-tls-server CERT_PEM KEY_PEM [--close] [--no-resumption]");
        std::process::exit(2);
    }
    let close = flags.contains(&"--close");
    let config = Arc::new(config(files[0], files[1], !flags.contains(&"--no-resumption")));
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let stats_listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    println!("https://{}", listener.local_addr().expect("addr"));
    println!("http://{}", stats_listener.local_addr().expect("addr"));
    let stats = Arc::new(Stats::default());
    let for_stats = stats.clone();
    std::thread::spawn(move || serve_stats(stats_listener, for_stats));
    for stream in listener.incoming().flatten() {
        let (config, stats) = (config.clone(), stats.clone());
        std::thread::spawn(move || serve(stream, config, close, &stats));
    }
}

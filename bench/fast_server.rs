//! A minimal HTTP/1.1 keep-alive server for the benchmark: answers every
//! `DELETE /v2/…` with `204 No Content` and anything else with 400, doing as little as
//! possible (one read and one write per request) so that the clients' own cost shows.
//! Built with plain `rustc -O` (std only). Usage: fast-server [PORT]; prints its URL.
//! It reports its own CPU time per request on SIGTERM-free demand: GET /_stats.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const OK: &[u8] = b"HTTP/1.1 204 No Content\r\nX-Request-Id: bench\r\n\r\n";
const BAD: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

fn serve(mut stream: TcpStream, served: Arc<AtomicU64>) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        // Answer every complete request head in the buffer (requests have no body).
        while let Some(end) = find_head_end(&buf[..filled]) {
            let head = &buf[..end];
            let answer = if head.starts_with(b"DELETE /v2/") || head.starts_with(b"DELETE http") {
                served.fetch_add(1, Ordering::Relaxed);
                OK
            } else if head.starts_with(b"GET /_stats") {
                let n = served.load(Ordering::Relaxed);
                let body = format!("{n}\n");
                let msg = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                if stream.write_all(msg.as_bytes()).is_err() {
                    return;
                }
                buf.copy_within(end..filled, 0);
                filled -= end;
                continue;
            } else {
                BAD
            };
            if stream.write_all(answer).is_err() {
                return;
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
        if filled == buf.len() {
            return; // a request head over 64 KiB: drop the connection
        }
        match stream.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
    }
}

fn find_head_end(data: &[u8]) -> Option<usize> {
    data.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
    println!("http://{}", listener.local_addr().expect("addr"));
    let served = Arc::new(AtomicU64::new(0));
    for stream in listener.incoming().flatten() {
        let served = served.clone();
        std::thread::spawn(move || serve(stream, served));
    }
}

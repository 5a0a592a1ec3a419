//! A TCP connection that can end in a reset (RST) instead of a clean close, so the
//! emulator can provoke "connection reset by peer" on demand.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub struct Conn {
    stream: TcpStream,
    reset_on_close: Arc<AtomicBool>,
    /// When set, the connection reports end-of-stream after this long without traffic,
    /// so the server closes an idle keep-alive connection silently (as proxies do).
    idle: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
}

impl Conn {
    pub fn new(stream: TcpStream, idle_close: Option<Duration>) -> (Conn, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        let idle = idle_close.map(|d| (d, Box::pin(tokio::time::sleep(d))));
        (Conn { stream, reset_on_close: flag.clone(), idle }, flag)
    }

    fn touch(&mut self) {
        if let Some((d, sleep)) = &mut self.idle {
            sleep.as_mut().reset(tokio::time::Instant::now() + *d);
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if self.reset_on_close.load(Ordering::Relaxed) {
            // SO_LINGER 0 turns the close into a RST. The blocking concern behind the
            // deprecation does not apply with a zero linger time.
            #[allow(deprecated)]
            let _ = self.stream.set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.touch();
                Poll::Ready(r)
            }
            Poll::Pending => {
                // Idle for too long: end of stream, and the server closes the connection.
                if let Some((_, sleep)) = &mut this.idle {
                    if sleep.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.touch();
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.touch();
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

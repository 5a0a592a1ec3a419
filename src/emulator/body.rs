//! Response bodies the emulator can send: whole, huge (streamed), or dripped byte by byte.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

const CHUNK: usize = 64 * 1024;

pub enum EmuBody {
    Full(Option<Bytes>),
    /// `remaining` bytes of filler, produced on demand.
    Huge {
        remaining: u64,
        chunk: Bytes,
    },
    /// One byte of `data` every `interval`.
    Drip {
        data: Bytes,
        pos: usize,
        interval: Duration,
        sleep: Pin<Box<tokio::time::Sleep>>,
    },
}

impl EmuBody {
    pub fn full(data: impl Into<Bytes>) -> EmuBody {
        EmuBody::Full(Some(data.into()))
    }
    pub fn empty() -> EmuBody {
        EmuBody::Full(None)
    }
    pub fn huge(bytes: u64) -> EmuBody {
        EmuBody::Huge { remaining: bytes, chunk: Bytes::from(vec![b'x'; CHUNK]) }
    }
    pub fn drip(data: impl Into<Bytes>, interval: Duration) -> EmuBody {
        EmuBody::Drip { data: data.into(), pos: 0, interval, sleep: Box::pin(tokio::time::sleep(interval)) }
    }
}

impl Body for EmuBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            EmuBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            EmuBody::Huge { remaining, chunk } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let n = (*remaining).min(CHUNK as u64) as usize;
                *remaining -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk.slice(..n)))))
            }
            EmuBody::Drip { data, pos, interval, sleep } => {
                if *pos >= data.len() {
                    return Poll::Ready(None);
                }
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                sleep.set(tokio::time::sleep(*interval));
                let byte = data.slice(*pos..*pos + 1);
                *pos += 1;
                Poll::Ready(Some(Ok(Frame::data(byte))))
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            EmuBody::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            EmuBody::Huge { remaining, .. } => SizeHint::with_exact(*remaining),
            EmuBody::Drip { data, pos, .. } => SizeHint::with_exact((data.len() - pos) as u64),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            EmuBody::Full(data) => data.is_none(),
            EmuBody::Huge { remaining, .. } => *remaining == 0,
            EmuBody::Drip { data, pos, .. } => *pos >= data.len(),
        }
    }
}

//! The client connection's I/O wrapper: records when bytes last moved (idle timeout)
//! and watches the FIRST request head for a Content-Length next to a
//! Transfer-Encoding. hyper resolves that conflict silently (Transfer-Encoding wins,
//! Content-Length is dropped, the connection closes after the response), so the
//! request path cannot see it; the gateway refuses it with 400 instead. Later heads
//! on the same connection need no check: hyper closes a connection after any such
//! request, so a pipelined smuggle cannot desynchronize anything.
use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::upstream::now_ms;

/// What a connection's I/O and requests have done so far.
#[derive(Debug, Default)]
pub struct Activity {
    /// `now_ms()` of the last byte read or written.
    pub last_ms: AtomicU64,
    /// Requests being served.
    pub in_flight: AtomicUsize,
    /// Requests received.
    pub requests: AtomicUsize,
    /// The first request head carried both Content-Length and Transfer-Encoding.
    pub first_head_cl_and_te: AtomicBool,
}

impl Activity {
    /// Records I/O now.
    pub fn touch(&self) {
        self.last_ms.store(now_ms(), Ordering::Relaxed);
    }
}

/// Longest first head the sniffer looks at (hyper refuses longer ones anyway).
const SNIFF_LIMIT: usize = 1 << 20;

/// A tiny line scanner over the first request head.
#[derive(Debug, Default)]
struct HeadSniffer {
    done: bool,
    seen: usize,
    line_len: usize,
    last_cr: bool,
    prefix: [u8; 18],
    content_length: bool,
    transfer_encoding: bool,
}

impl HeadSniffer {
    /// Feeds bytes; returns true once when the head is complete with both headers.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.done {
                return false;
            }
            self.seen += 1;
            if b == b'\n' {
                let empty = self.line_len == 0 || (self.line_len == 1 && self.last_cr);
                if empty || self.seen > SNIFF_LIMIT {
                    self.done = true;
                    return self.content_length && self.transfer_encoding;
                }
                let n = self.line_len.min(self.prefix.len());
                let line = &self.prefix[..n];
                if line.starts_with(b"content-length:") {
                    self.content_length = true;
                } else if line.starts_with(b"transfer-encoding:") {
                    self.transfer_encoding = true;
                }
                self.line_len = 0;
                self.last_cr = false;
                continue;
            }
            if self.line_len < self.prefix.len() {
                self.prefix[self.line_len] = b.to_ascii_lowercase();
            }
            self.line_len += 1;
            self.last_cr = b == b'\r';
        }
        false
    }
}

pin_project_lite::pin_project! {
    /// Client connection I/O: activity tracking and the first-head sniffer.
    pub struct ConnIo<T> {
        #[pin]
        inner: T,
        activity: Arc<Activity>,
        sniffer: HeadSniffer,
    }
}

impl<T> ConnIo<T> {
    /// Wraps a client stream.
    pub fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self {
            inner,
            activity,
            sniffer: HeadSniffer::default(),
        }
    }
}

impl<T: AsyncRead> AsyncRead for ConnIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let r = this.inner.poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
            if !this.sniffer.done && this.sniffer.feed(&buf.filled()[before..]) {
                this.activity
                    .first_head_cl_and_te
                    .store(true, Ordering::Release);
            }
        }
        r
    }
}

impl<T: AsyncWrite> AsyncWrite for ConnIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let r = this.inner.poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let r = this.inner.poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffer_flags_a_first_head_with_both_framing_headers_split_across_reads() {
        let mut s = HeadSniffer::default();
        assert!(!s.feed(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Len"));
        assert!(!s.feed(b"gth: 5\r\nTransfer-Encoding: chunked\r\n"));
        assert!(s.feed(b"\r\n0\r\n\r\n"));
    }

    #[test]
    fn sniffer_ignores_a_normal_head_and_everything_after_it() {
        let mut s = HeadSniffer::default();
        assert!(!s.feed(b"POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\n"));
        assert!(!s.feed(b"Transfer-Encoding: chunked\r\n\r\n"));
    }
}

//! Body types of the proxy: one boxed body type for everything the gateway sends,
//! a byte limit enforced while streaming, a buffered prefix for stages that inspect
//! the first bytes of a body, and a body that runs a hook when it is finished.
use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Empty, Full, combinators::BoxBody};

/// Error type of proxied bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every request sent upstream and every response sent to clients.
pub type ProxyBody = BoxBody<Bytes, BoxError>;

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub fn empty() -> ProxyBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

/// Boxes any body with a convertible error into a [`ProxyBody`].
pub fn boxed<B>(body: B) -> ProxyBody
where
    B: Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed()
}

/// The error a [`LimitedBody`] yields once more than its limit has been read.
#[derive(Debug, thiserror::Error)]
#[error("request body exceeds {0} bytes")]
pub struct BodyTooLarge(pub u64);

/// What a [`LimitedBody`] has seen: bytes read and whether the limit was passed.
#[derive(Debug, Default)]
pub struct BodyMeter {
    /// Data bytes read so far.
    pub bytes: AtomicU64,
    /// Raised when more than the limit was read.
    pub tripped: AtomicBool,
}

impl BodyMeter {
    /// Whether the limit was passed.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Acquire)
    }
}

pin_project_lite::pin_project! {
    /// Passes a body through, failing it with [`BodyTooLarge`] (and raising the
    /// meter's flag) as soon as more than `limit` bytes went through: the limit holds
    /// for chunked bodies too, without buffering.
    pub struct LimitedBody<B> {
        #[pin]
        inner: B,
        seen: u64,
        limit: u64,
        meter: Arc<BodyMeter>,
    }
}

impl<B> LimitedBody<B> {
    /// Wraps `inner`, counting into `meter`.
    pub fn new(inner: B, limit: u64, meter: Arc<BodyMeter>) -> Self {
        Self {
            inner,
            seen: 0,
            limit,
            meter,
        }
    }
}

impl<B> Body for LimitedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        match this.inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    *this.seen += data.len() as u64;
                    this.meter
                        .bytes
                        .fetch_add(data.len() as u64, Ordering::Relaxed);
                    if *this.seen > *this.limit {
                        this.meter.tripped.store(true, Ordering::Release);
                        return Poll::Ready(Some(Err(Box::new(BodyTooLarge(*this.limit)))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Reads up to `max` bytes of `body` into memory for stages that inspect a body
/// prefix; returns the prefix, whether it is the whole body, and a body that yields
/// the prefix again followed by the rest (streamed).
pub async fn buffer_prefix(
    mut body: ProxyBody,
    max: usize,
) -> Result<(Bytes, bool, ProxyBody), BoxError> {
    let mut buf = bytes::BytesMut::new();
    let mut complete = false;
    while buf.len() < max {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
                // Trailers are dropped: they are hop-by-hop for this proxy.
            }
            Some(Err(e)) => return Err(e),
            None => {
                complete = true;
                break;
            }
        }
    }
    if !complete && body.is_end_stream() {
        complete = true;
    }
    let prefix = buf.freeze();
    let rest = if complete {
        full(prefix.clone())
    } else {
        PrefixedBody {
            prefix: Some(prefix.clone()),
            rest: body,
        }
        .boxed()
    };
    Ok((prefix, complete, rest))
}

pin_project_lite::pin_project! {
    /// Yields an already-read prefix, then the rest of a body.
    pub struct PrefixedBody {
        prefix: Option<Bytes>,
        #[pin]
        rest: ProxyBody,
    }
}

impl Body for PrefixedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if let Some(prefix) = this.prefix.take()
            && !prefix.is_empty()
        {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        this.rest.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.as_ref().is_none_or(|p| p.is_empty()) && self.rest.is_end_stream()
    }
}

/// Called when a [`TrackedBody`] is finished or dropped, with the bytes it yielded.
pub trait BodyDone: Send + Sync + 'static {
    /// The body ended (`complete`) or was dropped early after `bytes` data bytes.
    fn done(self: Box<Self>, bytes: u64, complete: bool);
}

pin_project_lite::pin_project! {
    /// Counts the bytes of a body and calls a hook once when it ends or is dropped
    /// (used for the access log and for upstream in-flight counters).
    pub struct TrackedBody {
        #[pin]
        inner: ProxyBody,
        bytes: u64,
        hook: Option<Box<dyn BodyDone>>,
    }
    impl PinnedDrop for TrackedBody {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(hook) = this.hook.take() {
                hook.done(*this.bytes, false);
            }
        }
    }
}

impl TrackedBody {
    /// Wraps `inner`; `hook` runs exactly once.
    pub fn new(inner: ProxyBody, hook: Box<dyn BodyDone>) -> Self {
        Self {
            inner,
            bytes: 0,
            hook: Some(hook),
        }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let res = this.inner.poll_frame(cx);
        match &res {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    *this.bytes += d.len() as u64;
                }
            }
            Poll::Ready(None) => {
                if let Some(hook) = this.hook.take() {
                    hook.done(*this.bytes, true);
                }
            }
            _ => {}
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limited_body_fails_once_the_limit_is_passed_and_raises_the_flag() {
        let meter = Arc::new(BodyMeter::default());
        let body = LimitedBody::new(full(vec![0u8; 11]), 10, meter.clone());
        assert!(body.collect().await.is_err());
        assert!(meter.tripped());
    }

    #[tokio::test]
    async fn buffered_prefix_is_replayed_before_the_rest_of_the_body() {
        let (prefix, complete, rest) = buffer_prefix(full(&b"hello world"[..]), 4).await.unwrap();
        assert!(prefix.len() >= 4);
        let all = rest.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"hello world");
        assert!(complete || prefix.len() < 11);
    }
}

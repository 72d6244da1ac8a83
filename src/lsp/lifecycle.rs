//! The end of a session: `shutdown`, `exit`, and the editor going away.
//!
//! tower-lsp-server stops reading after `exit` (or at EOF) but its `serve` future then waits
//! for every handler still running, and a handler awaiting a reply from the client — our
//! `initialized` registers file watchers and pulls `workspace/configuration` — never gets one,
//! because nobody reads the client's replies any more. An editor that sends `shutdown` right
//! after `initialized` would leave the server running forever. [`Lifecycle`] notices `exit`
//! (through [`WatchExit`], which wraps the service) and EOF (through [`EofSignal`], which wraps
//! stdin); `serve` then gets [`GRACE`] to flush what it has and the process ends regardless.
//!
//! Not for cancelling work: dropping the runtime drops every task.

use futures::future::BoxFuture;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::Notify;
use tower::Service;
use tower_lsp_server::jsonrpc::{Request, Response};

/// How long the transport may take to write its last responses after the session ended.
pub(super) const GRACE: Duration = Duration::from_millis(500);

/// What the session's end looks like so far.
#[derive(Default)]
pub(super) struct Lifecycle {
    shutdown_requested: AtomicBool,
    ended: AtomicBool,
    end: Notify,
}

impl Lifecycle {
    fn end(&self) {
        self.ended.store(true, Ordering::SeqCst);
        self.end.notify_waiters();
    }

    /// Resolves once `exit` arrived or stdin ended.
    pub(super) async fn ended(&self) {
        loop {
            let notified = self.end.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.ended.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    /// The process's exit code: 0 when `shutdown` came first, 1 otherwise (the LSP
    /// specification's rule for `exit`, also used when the editor just went away).
    pub(super) fn exit_code(&self) -> u8 {
        if self.shutdown_requested.load(Ordering::SeqCst) {
            0
        } else {
            1
        }
    }
}

/// Wraps the service to see `shutdown` and `exit` go by.
pub(super) struct WatchExit<S> {
    inner: S,
    lifecycle: Arc<Lifecycle>,
}

impl<S> WatchExit<S> {
    pub(super) fn new(inner: S, lifecycle: Arc<Lifecycle>) -> Self {
        WatchExit { inner, lifecycle }
    }
}

impl<S> Service<Request> for WatchExit<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let method = request.method().to_owned();
        if method == "shutdown" {
            self.lifecycle
                .shutdown_requested
                .store(true, Ordering::SeqCst);
        }
        let future = self.inner.call(request);
        let lifecycle = self.lifecycle.clone();
        Box::pin(async move {
            let result = future.await;
            if method == "exit" {
                lifecycle.end();
            }
            result
        })
    }
}

/// Wraps stdin to notice the editor closing it (or a read error, which ends the session too).
pub(super) struct EofSignal<R> {
    inner: R,
    lifecycle: Arc<Lifecycle>,
}

impl<R> EofSignal<R> {
    pub(super) fn new(inner: R, lifecycle: Arc<Lifecycle>) -> Self {
        EofSignal { inner, lifecycle }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for EofSignal<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let wants = buf.remaining() > 0;
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) if wants && buf.filled().len() == before => self.lifecycle.end(),
            Poll::Ready(Err(_)) => self.lifecycle.end(),
            _ => {}
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn eof_ends_the_session_and_data_does_not() {
        let lifecycle = Arc::new(Lifecycle::default());
        let mut reader = EofSignal::new(&b"Content-Length: 2\r\n\r\n{}"[..], lifecycle.clone());
        let mut first = [0u8; 8];
        let read = reader.read(&mut first).await.unwrap();
        assert_eq!(read, 8);
        assert!(!lifecycle.ended.load(Ordering::SeqCst));
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert!(lifecycle.ended.load(Ordering::SeqCst));
        // Already ended: waiting returns at once.
        lifecycle.ended().await;
        assert_eq!(lifecycle.exit_code(), 1);
    }
}

//! Keeps the server serving when one handler panics.
//!
//! tower-lsp-server polls every handler inside the service future; a panic there would unwind
//! through the transport and end the session, and the editor would lose every feature because of
//! one bad input. [`CatchPanic`] wraps the whole service once, so no handler can forget it: a
//! panicking request is answered with an internal error (the client stops waiting), a panicking
//! notification is dropped, and both are logged with the method name. State shared between
//! handlers survives because its mutex recovers from poisoning (`super::lock`).
//!
//! Not for errors a handler can report: those are ordinary `Err` responses.

use super::log::{Level, Logger};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};

/// A tower service wrapper that turns a handler's panic into a logged error.
pub(super) struct CatchPanic<S> {
    inner: S,
    logger: Arc<Logger>,
    /// `None` in unit tests, which have no client to send window/logMessage to.
    client: Option<Client>,
}

impl<S> CatchPanic<S> {
    pub(super) fn new(inner: S, logger: Arc<Logger>, client: Option<Client>) -> Self {
        CatchPanic {
            inner,
            logger,
            client,
        }
    }
}

impl<S> Service<Request> for CatchPanic<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let id = request.id().cloned();
        let method = request.method().to_owned();
        let logger = self.logger.clone();
        let client = self.client.clone();
        // A panic can also happen synchronously, while the router builds the handler's future.
        let future = match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(future) => future,
            Err(payload) => {
                let reason = panic_reason(payload.as_ref());
                return Box::pin(async move {
                    Ok(panicked(&logger, client.as_ref(), &method, id, &reason).await)
                });
            }
        };
        Box::pin(async move {
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(result) => result,
                Err(payload) => {
                    let reason = panic_reason(payload.as_ref());
                    Ok(panicked(&logger, client.as_ref(), &method, id, &reason).await)
                }
            }
        })
    }
}

fn panic_reason(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

async fn panicked(
    logger: &Logger,
    client: Option<&Client>,
    method: &str,
    id: Option<Id>,
    reason: &str,
) -> Option<Response> {
    let message =
        format!("internal error: the {method} handler panicked ({reason}); the server carries on");
    match client {
        Some(client) => logger.log(client, Level::Error, message).await,
        None => logger.log_to_file(Level::Error, &message),
    }
    id.map(|id| {
        Response::from_error(
            id,
            Error {
                code: ErrorCode::InternalError,
                message: format!("neon-lsp internal error in {method}; see the server log").into(),
                data: None,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::log::LogOptions;
    use super::*;

    /// A service that panics for one method and answers every other request.
    struct Flaky;

    impl Service<Request> for Flaky {
        type Response = Option<Response>;
        type Error = std::convert::Infallible;
        type Future = BoxFuture<'static, Result<Option<Response>, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request) -> Self::Future {
            let (method, id, _) = request.into_parts();
            if method == "sync/boom" {
                panic!("synchronous failure");
            }
            Box::pin(async move {
                if method == "async/boom" {
                    panic!("failure inside the handler");
                }
                Ok(id.map(|id| Response::from_ok(id, serde_json::json!("fine"))))
            })
        }
    }

    fn request(method: &'static str, id: i64) -> Request {
        Request::build(method).id(id).finish()
    }

    fn logged_to(file: &std::path::Path) -> Arc<Logger> {
        let options = LogOptions {
            file: Some(file.to_owned()),
            ..LogOptions::default()
        };
        Arc::new(Logger::open(&options).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_request_gets_an_internal_error_and_the_next_one_is_served() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut service = CatchPanic::new(Flaky, logged_to(&log), None);
        for (method, id) in [("async/boom", 1), ("sync/boom", 2)] {
            let response = service.call(request(method, id)).await.unwrap().unwrap();
            let error = response.error().cloned().unwrap();
            assert_eq!(error.code, ErrorCode::InternalError);
            assert!(error.message.contains(method), "{}", error.message);
        }
        let fine = service.call(request("other", 3)).await.unwrap().unwrap();
        assert_eq!(fine.result(), Some(&serde_json::json!("fine")));
        let log = std::fs::read_to_string(&log).unwrap();
        assert!(log.contains("the async/boom handler panicked (failure inside the handler)"));
        assert!(log.contains("the sync/boom handler panicked (synchronous failure)"));
    }

    #[tokio::test]
    async fn a_panicking_notification_is_dropped_without_a_response() {
        let dir = tempfile::tempdir().unwrap();
        let mut service = CatchPanic::new(Flaky, logged_to(&dir.path().join("log")), None);
        let notification = Request::build("async/boom").finish();
        assert_eq!(service.call(notification).await.unwrap(), None);
    }
}

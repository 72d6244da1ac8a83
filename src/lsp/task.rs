//! Slow commands (connection tests, network calls) off the request path.
//!
//! [`Backend::run_in_background`] runs the work on its own tokio task, shows `$/progress` with a
//! cancel button, forwards the work's phase messages to it, and stops the work when the user
//! presses cancel (`window/workDoneProgress/cancel`) or the client cancels the request
//! (`$/cancelRequest` drops the handler's future, and with it [`AbortOnDrop`]). Dropping the
//! work's future is the cancellation: everything it opened (sockets, child requests) closes.

use super::{Backend, lock_map};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{self as lsp, NumberOrString};

/// Tasks the user can stop from the progress UI, by progress token.
pub(super) type Cancellable = Arc<Mutex<HashMap<String, tokio::task::AbortHandle>>>;

/// Where the work reports its phases ("resolving ep-….neon.tech", "TLS handshake", …).
pub(super) type PhaseSender = mpsc::UnboundedSender<String>;

/// Aborts the task when the handler's future is dropped (the request was cancelled).
struct AbortOnDrop {
    handle: tokio::task::AbortHandle,
    token: String,
    cancellable: Cancellable,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.handle.abort();
        lock_map(&self.cancellable).remove(&self.token);
    }
}

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

impl Backend {
    /// Runs `work` with progress titled `title`; `None` when the user cancelled it.
    pub(super) async fn run_in_background<T, F, Fut>(&self, title: &str, work: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(PhaseSender) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        self.run_with_progress(title, None, work).await
    }

    /// Like [`Backend::run_in_background`], reporting on the request's own `workDoneToken`
    /// when the client sent one (client-initiated progress: the editor shows it where it
    /// likes, e.g. VS Code as a cancellable notification, and cancels with `$/cancelRequest`).
    pub(super) async fn run_with_progress<T, F, Fut>(
        &self,
        title: &str,
        client_token: Option<NumberOrString>,
        work: F,
    ) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(PhaseSender) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        let token = match &client_token {
            Some(NumberOrString::String(token)) => token.clone(),
            Some(NumberOrString::Number(number)) => number.to_string(),
            None => format!(
                "neon-lsp/task/{}",
                NEXT_TOKEN.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let (phases, mut phase_messages) = mpsc::unbounded_channel();
        // Started before the progress bar: the work must not wait for the editor's reply.
        let mut task = tokio::spawn(work(phases));
        let _abort = AbortOnDrop {
            handle: task.abort_handle(),
            token: token.clone(),
            cancellable: self.cancellable.clone(),
        };
        lock_map(&self.cancellable).insert(token.clone(), task.abort_handle());
        // A client's own token needs no window/workDoneProgress/create.
        let (progress_token, created) = match client_token {
            Some(token) => (token, true),
            None => {
                let token = NumberOrString::String(token);
                let created = self.create_progress(&token).await;
                (token, created)
            }
        };
        let progress = match created {
            true => Some(
                self.client
                    .progress(progress_token, title)
                    .with_cancel_button()
                    .begin()
                    .await,
            ),
            false => None,
        };
        let outcome = loop {
            tokio::select! {
                outcome = &mut task => break outcome,
                Some(message) = phase_messages.recv() => {
                    if let Some(progress) = &progress {
                        progress.report_with_message(message, None).await;
                    }
                }
            }
        };
        if let Some(progress) = progress {
            progress.finish().await;
        }
        outcome.ok()
    }

    /// `window/workDoneProgress/cancel`: the user pressed cancel on one of our progress bars.
    pub(super) async fn cancel_progress(&self, params: lsp::WorkDoneProgressCancelParams) {
        let token = match params.token {
            NumberOrString::String(token) => token,
            NumberOrString::Number(number) => number.to_string(),
        };
        if let Some(handle) = lock_map(&self.cancellable).remove(&token) {
            handle.abort();
        }
    }
}

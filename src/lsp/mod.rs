//! `neon-lsp serve`: the language server over stdio (tower-lsp-server).
//!
//! A thin adapter over [`crate::analyse`]: it keeps the workspace's files (read once in the
//! background at start-up, then the editor's open documents on top), re-runs the analysis on a
//! snapshot off the request path, and converts byte ranges to the negotiated position encoding
//! in one place (`convert`). It holds no rule logic.
//!
//! Why tower-lsp-server and not tower-lsp: tower-lsp has had no release since 2023 and its
//! handlers can reorder edits (tower-lsp issue 284); tower-lsp-server is its maintained
//! continuation (community fork, current lsp types, no async-trait boxing).

mod actions;
mod code_lens;
pub mod codec;
mod commands;
mod convert;
mod deployed;
mod diagnostics;
mod docs;
mod documents;
mod guard;
mod hover;
mod initialize;
mod lens;
mod lifecycle;
mod log;
mod markdown;
mod memory;
mod navigation;
mod neon;
mod roots;
mod scan;
mod settings;
mod stdio;
mod task;

use documents::snapshot;
use log::Logger;
pub use log::{Level as LogLevel, LogOptions};
pub use settings::{EditorSettings, SETTING_KEYS};

use crate::analysis::{Options, ScanCache};
use crate::diagnostic::Diagnostic;
use crate::text::PositionEncoding;
use crate::workspace::WorkspaceFile;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::{self as lsp, Uri};
use tower_lsp_server::{Client, LanguageServer, LspService};

/// Runs the server on stdin/stdout until the client says `exit`.
// Before the session starts (and for panics) stderr is the only channel: the editor's server
// log. Exit codes follow the CLI's policy (2: neon-lsp could not start).
#[allow(clippy::print_stderr)]
pub fn serve(log_options: &LogOptions) -> std::process::ExitCode {
    let logger = match Logger::open(log_options) {
        Ok(logger) => Arc::new(logger),
        Err(message) => {
            eprintln!("error: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    // One line per panic on stderr (the editor's server log); `guard` reports it to the client.
    std::panic::set_hook(Box::new(|info| eprintln!("neon-lsp: {info}")));
    let lifecycle = Arc::new(lifecycle::Lifecycle::default());
    runtime.block_on(async {
        let mut client_for_guard = None;
        let (service, socket) = LspService::build(|client| {
            client_for_guard = Some(client.clone());
            Backend {
                client,
                logger: logger.clone(),
                state: Arc::new(Mutex::new(State::default())),
                fault: Fault::from_env(),
                scan_done: Arc::default(),
                cancellable: Arc::default(),
                neon: Arc::default(),
                deployed: Arc::default(),
                analysing: Arc::default(),
                refreshing: Arc::default(),
            }
        })
        .custom_method("window/workDoneProgress/cancel", Backend::cancel_progress)
        .finish();
        let log = stdio::Log {
            logger: logger.clone(),
            client: client_for_guard.clone(),
        };
        let service = guard::CatchPanic::new(service, logger.clone(), client_for_guard);
        let service = lifecycle::WatchExit::new(service, lifecycle.clone());
        let stdin = lifecycle::EofSignal::new(tokio::io::stdin(), lifecycle.clone());
        let serve = stdio::serve(service, socket, stdin, tokio::io::stdout(), log);
        tokio::pin!(serve);
        tokio::select! {
            () = &mut serve => {}
            () = lifecycle.ended() => {
                // Handlers still waiting for the client will never hear back: give the
                // transport a moment to write what it has, then end regardless.
                let _ = tokio::time::timeout(lifecycle::GRACE, &mut serve).await;
            }
        }
    });
    // Work still running on blocking threads (a scan, a connection test) is not waited for.
    runtime.shutdown_background();
    std::process::ExitCode::from(lifecycle.exit_code())
}

/// One workspace folder: its files and what was last published for them.
#[derive(Default)]
struct Root {
    path: PathBuf,
    /// Files read from disk (relative path → file), the workspace scan's result.
    disk: BTreeMap<String, WorkspaceFile>,
    /// Open documents (relative path → version, text): they win over the disk.
    open: HashMap<String, (i32, String)>,
    /// The latest diagnostics per path, for code actions and for clearing stale ones.
    published: HashMap<String, Vec<Diagnostic>>,
    /// The latest analysis texts per path (positions of published diagnostics refer to them).
    texts: HashMap<String, String>,
    /// Bumped on every change: an analysis whose generation is stale is dropped.
    generation: u64,
    /// The folder has been read from disk at least once.
    scanned: bool,
    /// Not a project: only open files and the .env files beside them are read (`roots`).
    single_file: bool,
    /// Scans kept between analyses: an edit re-scans only its document, re-parsed from the
    /// document's previous syntax tree (`analysis::ScanCache`).
    cache: Arc<Mutex<ScanCache>>,
    /// What changed since the last analysis took its snapshot: the next one applies it to
    /// `cache` first (taken together with the snapshot, so the two always agree).
    pending: Vec<documents::CacheChange>,
}

#[derive(Default)]
struct State {
    /// Workspace folders, each analysed on its own (multi-root workspaces).
    roots: Vec<Root>,
    /// Editor settings (`neon-lsp` section: target, client-type, auth — the neon-lsp.toml keys).
    options: Options,
    /// The client answers `workspace/configuration` requests.
    pulls_configuration: bool,
    /// The editor's settings are known: initializationOptions read and, for clients that
    /// answer `workspace/configuration`, its first answer in (or its failure).
    settings_known: bool,
    /// The client shows server-initiated progress (`window.workDoneProgress`).
    shows_progress: bool,
    /// The client watches files for us when asked (`didChangeWatchedFiles.dynamicRegistration`).
    registers_watchers: bool,
    encoding: Option<PositionEncoding>,
    /// codeDescription links, set at initialize.
    docs: Arc<docs::RuleDocs>,
}

#[derive(Clone)]
struct Backend {
    client: Client,
    logger: Arc<Logger>,
    state: Arc<Mutex<State>>,
    fault: Fault,
    /// Woken whenever a folder's scan ends (see `wait_until_scanned`).
    scan_done: Arc<tokio::sync::Notify>,
    /// Background work the user can cancel from its progress bar (`task`).
    cancellable: task::Cancellable,
    /// The Neon commands' state: a sign-in waiting for its redirect (`neon`).
    neon: Arc<neon::NeonState>,
    /// The deployed configuration per root, behind `neon-lsp.azure.deployed` (`deployed`).
    deployed: Arc<deployed::DeployedState>,
    /// Taken for each analysis: one runs at a time, so a burst (a scan's end and a `didOpen`
    /// together) does not analyse a 20 MB document twice side by side (issue 16).
    analysing: Arc<tokio::sync::Mutex<()>>,
    /// A consolidation of the open documents' syntax trees is running (`diagnostics`): one
    /// at a time.
    refreshing: Arc<std::sync::atomic::AtomicBool>,
}

/// Test hook: `NEON_LSP_TEST_PANIC=<LSP method>` makes that handler panic, so the end-to-end
/// tests can prove that a panicking handler does not end the session (see `guard`). Read once
/// at start-up; unset in normal use, when it costs one comparison per hover or edit.
#[derive(Default, Clone)]
struct Fault {
    panic_in: Option<String>,
}

impl Fault {
    fn from_env() -> Fault {
        Fault {
            panic_in: std::env::var("NEON_LSP_TEST_PANIC").ok(),
        }
    }

    fn inject(&self, method: &str) {
        if self.panic_in.as_deref() == Some(method) {
            panic!("injected by NEON_LSP_TEST_PANIC={method}");
        }
    }
}

fn lock_map<K, V>(map: &Mutex<HashMap<K, V>>) -> MutexGuard<'_, HashMap<K, V>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock must not take the server down with it.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Backend {
    /// The workspace folder holding `uri` (the innermost one) and the path relative to it.
    fn relative(&self, uri: &Uri) -> Option<(usize, String)> {
        let path = uri.to_file_path()?;
        let state = lock(&self.state);
        let (index, root) = state
            .roots
            .iter()
            .enumerate()
            .filter(|(_, root)| path.starts_with(&root.path))
            .max_by_key(|(_, root)| root.path.as_os_str().len())?;
        let relative = path.strip_prefix(&root.path).ok()?;
        Some((index, relative.to_string_lossy().replace('\\', "/")))
    }

    fn uri_of(&self, root: &Path, relative: &str) -> Option<Uri> {
        Uri::from_file_path(root.join(relative))
    }

    /// Asks the client to create a progress token (`window/workDoneProgress/create`), as the
    /// specification requires before server-initiated `$/progress`; false when the client
    /// cannot show progress or refused, and then no progress is sent.
    pub(super) async fn create_progress(&self, token: &lsp::NumberOrString) -> bool {
        if !lock(&self.state).shows_progress {
            return false;
        }
        self.client
            .create_work_done_progress(token.clone())
            .await
            .is_ok()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> RpcResult<lsp::InitializeResult> {
        self.handle_initialize(params).await
    }

    async fn initialized(&self, params: lsp::InitializedParams) {
        self.handle_initialized(params).await;
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        self.handle_did_change_workspace_folders(params).await;
    }

    async fn shutdown(&self) -> RpcResult<()> {
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        self.handle_did_open(params).await;
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        self.handle_did_change(params).await;
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        self.handle_did_close(params).await;
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        self.handle_did_change_configuration(params).await;
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        self.handle_did_change_watched_files(params).await;
    }

    async fn hover(&self, params: lsp::HoverParams) -> RpcResult<Option<lsp::Hover>> {
        self.handle_hover(params).await
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> RpcResult<Option<lsp::CompletionResponse>> {
        self.handle_completion(params).await
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> RpcResult<Option<lsp::GotoDefinitionResponse>> {
        self.handle_goto_definition(params).await
    }

    async fn references(
        &self,
        params: lsp::ReferenceParams,
    ) -> RpcResult<Option<Vec<lsp::Location>>> {
        self.handle_references(params).await
    }

    async fn code_lens(
        &self,
        params: lsp::CodeLensParams,
    ) -> RpcResult<Option<Vec<lsp::CodeLens>>> {
        self.handle_code_lens(params).await
    }

    async fn execute_command(
        &self,
        params: lsp::ExecuteCommandParams,
    ) -> RpcResult<Option<serde_json::Value>> {
        self.execute(params).await
    }

    async fn code_action_resolve(&self, action: lsp::CodeAction) -> RpcResult<lsp::CodeAction> {
        self.handle_code_action_resolve(action).await
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> RpcResult<Option<lsp::CodeActionResponse>> {
        self.handle_code_action(params).await
    }
}

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

pub mod codec;
mod commands;
mod convert;
mod deployed;
mod docs;
mod guard;
mod lens;
mod lifecycle;
mod log;
mod markdown;
mod neon;
mod roots;
mod scan;
mod stdio;
mod task;

pub use log::{Level as LogLevel, LogOptions};
use log::{Level, Logger};

use crate::analysis::{Options, analyse};
use crate::diagnostic::Diagnostic;
use crate::text::PositionEncoding;
use crate::workspace::{GitState, Workspace, WorkspaceFile, classify};
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

/// Files whose changes on disk change the analysis besides .env files, the config and the
/// manifests (those come from `workspace`'s lists in [`watched_globs`]): declared connections
/// (crate::declared), infrastructure code and deployment scripts.
const WATCHED_INFRASTRUCTURE: &[&str] = &[
    "**/*.bicep",
    "**/*.tf",
    "**/azure.yaml",
    "**/infra/**/*.json",
    "**/azuredeploy.json",
    "**/.github/workflows/*.{yml,yaml}",
    "**/azure-pipelines*.{yml,yaml}",
    "**/*.sh",
    "**/*.ps1",
];

/// The globs the server asks the editor to watch: every .env name, neon-lsp.toml and every
/// manifest `workspace::classify` knows (so a change to setup.py outside the editor rescans),
/// then [`WATCHED_INFRASTRUCTURE`].
fn watched_globs() -> Vec<String> {
    crate::workspace::DOTENV_PATTERNS
        .iter()
        .copied()
        .chain([crate::workspace::CONFIG_FILE_NAME])
        .chain(
            crate::workspace::MANIFESTS
                .iter()
                .map(|(pattern, _)| *pattern),
        )
        .map(|name| format!("**/{name}"))
        .chain(WATCHED_INFRASTRUCTURE.iter().map(|glob| (*glob).to_owned()))
        .collect()
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

    /// Re-analyses a snapshot off the request path and publishes what changed.
    async fn republish_all(&self) {
        let count = lock(&self.state).roots.len();
        for index in 0..count {
            self.republish(index).await;
        }
    }

    async fn republish(&self, index: usize) {
        let generation = {
            let mut state = lock(&self.state);
            let settings_known = state.settings_known;
            let Some(root) = state.roots.get_mut(index) else {
                return;
            };
            root.generation += 1;
            // A root's first diagnostics wait for its settings and its first scan: published
            // earlier, they would follow the wrong client type or miss the .env files, and
            // flash in the editor before the right ones replace them. The scan's end
            // publishes (`read_workspace`); edits until then are kept, not analysed.
            if !(settings_known && root.scanned) {
                return;
            }
            root.generation
        };
        // Coalesce bursts: let queued changes land first, and leave the work to the newest.
        tokio::task::yield_now().await;
        let (snapshot, root, options) = {
            let state = lock(&self.state);
            let Some(root) = state.roots.get(index) else {
                return;
            };
            if root.generation != generation {
                return;
            }
            (snapshot(root), root.path.clone(), state.options.clone())
        };
        let options = self.with_deployed(index, &root, &snapshot, options);
        let analysis = tokio::task::spawn_blocking(move || {
            let texts: HashMap<String, String> = snapshot
                .files
                .iter()
                .map(|f| (f.path.clone(), f.text.clone()))
                .collect();
            (analyse(&snapshot, &options), texts)
        })
        .await;
        let (result, texts) = match analysis {
            Ok(result) => result,
            Err(error) => {
                self.logger
                    .log(
                        &self.client,
                        Level::Error,
                        format!("neon-lsp: the analysis failed: {error}"),
                    )
                    .await;
                return;
            }
        };
        let diagnostics = match result {
            Ok(diagnostics) => diagnostics,
            Err(error) => {
                // A broken neon-lsp.toml is reported on the file itself.
                vec![config_diagnostic(error)]
            }
        };
        let mut by_path: HashMap<String, Vec<Diagnostic>> = HashMap::new();
        for diagnostic in diagnostics {
            by_path
                .entry(diagnostic.path.clone())
                .or_default()
                .push(diagnostic);
        }
        // Convert outside the lock, each file's line index built once.
        let encoding = lock(&self.state)
            .encoding
            .unwrap_or(PositionEncoding::Utf16);
        let mut converted: HashMap<String, Vec<lsp::Diagnostic>> = {
            let mut positions = convert::Positions::new(&texts, encoding);
            let docs = lock(&self.state).docs.clone();
            by_path
                .iter()
                .map(|(path, diagnostics)| {
                    let list = diagnostics
                        .iter()
                        .map(|d| convert::diagnostic(d, &mut positions, &root, &docs))
                        .collect();
                    (path.clone(), list)
                })
                .collect()
        };
        let to_publish = {
            let mut state = lock(&self.state);
            let Some(state) = state.roots.get_mut(index) else {
                return;
            };
            if state.generation != generation {
                return; // a newer change is being analysed
            }
            let mut paths: Vec<String> = by_path.keys().cloned().collect();
            // Stale findings are cleared, and open documents always get a (possibly empty)
            // list, so the editor knows they were checked.
            let extra: Vec<String> = state
                .published
                .keys()
                .chain(state.open.keys())
                .filter(|p| !by_path.contains_key(*p))
                .cloned()
                .collect();
            for path in extra {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
            let publish: Vec<(String, Option<i32>, Vec<lsp::Diagnostic>)> = paths
                .into_iter()
                .map(|path| {
                    let version = state.open.get(&path).map(|(version, _)| *version);
                    let diagnostics = converted.remove(&path).unwrap_or_default();
                    (path, version, diagnostics)
                })
                .collect();
            state.published = by_path;
            state.texts = texts;
            publish
        };
        for (path, version, diagnostics) in to_publish {
            if let Some(uri) = self.uri_of(&root, &path) {
                self.client
                    .publish_diagnostics(uri, diagnostics, version)
                    .await;
            }
        }
    }

    /// Asks the client for the `neon-lsp` settings section (`workspace/configuration`).
    /// The editor's settings as options: unknown keys logged as warnings, a bad value shown
    /// to the user (`None`, the caller keeps what it had).
    async fn read_settings(&self, settings: &serde_json::Value) -> Option<Options> {
        self.deployed.read_setting(settings);
        for warning in unknown_setting_warnings(settings) {
            self.logger.log(&self.client, Level::Warning, warning).await;
        }
        match settings_to_options(settings) {
            Ok(options) => Some(options),
            Err(message) => {
                self.client
                    .show_message(
                        lsp::MessageType::ERROR,
                        format!("neon-lsp settings: {message}"),
                    )
                    .await;
                None
            }
        }
    }

    async fn pull_settings(&self) {
        if !lock(&self.state).pulls_configuration {
            return;
        }
        let item = lsp::ConfigurationItem {
            scope_uri: None,
            section: Some("neon-lsp".to_string()),
        };
        match self.client.configuration(vec![item]).await {
            Ok(values) => {
                if let Some(settings) = values.first().filter(|v| v.is_object())
                    && let Some(options) = self.read_settings(settings).await
                {
                    lock(&self.state).options = options;
                }
            }
            Err(error) => {
                self.logger
                    .log(
                        &self.client,
                        Level::Warning,
                        format!("workspace/configuration failed: {error}"),
                    )
                    .await;
            }
        }
    }

    async fn rescan_all(&self) {
        let count = lock(&self.state).roots.len();
        for index in 0..count {
            self.rescan(index).await;
        }
    }

    async fn rescan(&self, index: usize) {
        self.read_workspace(index).await;
        let first = lock(&self.state)
            .roots
            .get_mut(index)
            .is_some_and(|root| !std::mem::replace(&mut root.scanned, true));
        self.scan_done.notify_waiters();
        if first {
            // The scan failed, so its publication was held back (`republish`): the open
            // documents are analysed on their own now.
            self.republish(index).await;
        }
    }

    /// Waits until folder `index` has been read from disk once (commands that need the whole
    /// workspace, such as describeConnection, would otherwise answer from an empty one).
    async fn wait_until_scanned(&self, index: usize) {
        loop {
            let notified = self.scan_done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let scanned = lock(&self.state)
                .roots
                .get(index)
                .is_none_or(|root| root.scanned);
            if scanned {
                return;
            }
            notified.await;
        }
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

/// The workspace as the analysis should see it: files on disk with open documents on top.
fn snapshot(state: &Root) -> Workspace {
    let mut files: BTreeMap<String, WorkspaceFile> = state.disk.clone();
    for (path, (_, text)) in &state.open {
        if classify(path).is_none() {
            continue;
        }
        let git = files
            .get(path)
            .map(|f| f.git)
            .unwrap_or(GitState::NotInRepository);
        files.insert(
            path.clone(),
            WorkspaceFile {
                path: path.clone(),
                text: text.clone(),
                git,
                lossy: false,
            },
        );
    }
    Workspace {
        files: files.into_values().collect(),
    }
}

type VariableLookup = (
    crate::analysis::VariableInfo,
    PathBuf,
    PositionEncoding,
    HashMap<String, String>,
);

impl Backend {
    /// Looks up the variable under the cursor on a snapshot, off the request path.
    async fn variable_at(&self, uri: &Uri, position: lsp::Position) -> Option<VariableLookup> {
        let (index, path) = self.relative(uri)?;
        // Hover and definition describe the connection: without the workspace's manifests and
        // .env files they would describe a guess. The first scan starts once the editor has
        // answered workspace/configuration; until then, answer from what is open rather than
        // wait on the editor (it may be waiting on this hover).
        if lock(&self.state).settings_known {
            self.wait_until_scanned(index).await;
        }
        let (workspace, root, encoding, options) = {
            let state = lock(&self.state);
            let root = state.roots.get(index)?;
            (
                snapshot(root),
                root.path.clone(),
                state.encoding.unwrap_or(PositionEncoding::Utf16),
                state.options.clone(),
            )
        };
        let texts: HashMap<String, String> = workspace
            .files
            .iter()
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect();
        let text = texts.get(&path)?.clone();
        let offset = crate::text::LineIndex::new(&text).offset_of(
            &text,
            position.line,
            position.character,
            encoding,
        );
        let info = tokio::task::spawn_blocking(move || {
            crate::analysis::variable_at(&workspace, &options, &path, offset)
        })
        .await
        .ok()
        .flatten()?;
        Some((info, root, encoding, texts))
    }
}

fn location(
    root: &Path,
    path: &str,
    range: crate::text::TextRange,
    encoding: PositionEncoding,
    texts: &HashMap<String, String>,
) -> Option<lsp::Location> {
    let uri = Uri::from_file_path(root.join(path))?;
    let text = texts.get(path).map(String::as_str).unwrap_or("");
    Some(lsp::Location {
        uri,
        range: convert::range(text, range, encoding),
    })
}

/// "Add missing variables to .env": every `undefined-in-env-file` fix of the file in one edit.
fn add_missing_variables(
    diagnostics: &[Diagnostic],
    positions: &mut convert::Positions,
    root: &Path,
) -> Option<lsp::CodeActionOrCommand> {
    let mut combined: Option<crate::diagnostic::FileEdit> = None;
    let mut seen: Vec<&str> = Vec::new();
    for diagnostic in diagnostics
        .iter()
        .filter(|d| d.rule == crate::rules::Rule::UndefinedInEnvFile)
    {
        let Some(edit) = diagnostic.fixes.first().and_then(|fix| fix.edits.first()) else {
            continue;
        };
        if seen.contains(&edit.new_text.as_str()) {
            continue;
        }
        seen.push(&edit.new_text);
        match &mut combined {
            None => combined = Some(edit.clone()),
            // Later lines go to the same place: drop their own leading line break.
            Some(all) if all.path == edit.path && all.range == edit.range => {
                all.new_text
                    .push_str(edit.new_text.trim_start_matches(['\r', '\n']));
            }
            Some(_) => {}
        }
    }
    let edit = combined?;
    if seen.len() < 2 {
        return None;
    }
    let fix = crate::diagnostic::Fix {
        title: format!("Add missing variables to {}", edit.path),
        edits: vec![edit],
        applicability: crate::diagnostic::Applicability::Unsafe,
    };
    let workspace_edit = convert::workspace_edit(&fix, positions, root)?;
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: fix.title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        edit: Some(workspace_edit),
        ..Default::default()
    }))
}

/// Editor settings → analysis options. Keys mirror neon-lsp.toml (`target`, `client-type`,
/// `auth`); camelCase spellings (`clientType`) are accepted as editors write them.
/// Every settings key the server reads, in the editors' camelCase and neon-lsp.toml's spelling.
/// The Neovim plugin's checked keys are pinned to this list (`tests/editor_files.rs`).
pub const SETTING_KEYS: &[&str] = &[
    "target",
    "clientType",
    "client-type",
    "auth",
    "envFiles",
    "env-files",
    "rules",
    "docsUrl",
    "docs-url",
    "azure",
];

/// Keys of the VS Code extension's own settings, sent along in the `neon-lsp` section.
const CLIENT_SETTING_KEYS: &[&str] = &["server", "trace"];

/// A warning for each settings key the server does not read (with the nearest known key), so
/// a misspelt setting is logged instead of silently dropped.
fn unknown_setting_warnings(settings: &serde_json::Value) -> Vec<String> {
    let Some(object) = settings.as_object() else {
        return Vec::new();
    };
    object
        .keys()
        .filter(|key| !SETTING_KEYS.contains(&key.as_str()))
        .filter(|key| !CLIENT_SETTING_KEYS.contains(&key.as_str()))
        .map(|key| {
            let near = crate::catalogue::closest(key, SETTING_KEYS.iter().copied())
                .map(|near| format!("; did you mean \"{near}\"?"))
                .unwrap_or_default();
            format!("neon-lsp settings: unknown key \"{key}\" is ignored{near}")
        })
        .collect()
}

fn settings_to_options(settings: &serde_json::Value) -> Result<Options, String> {
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| settings.get(*k).and_then(|v| v.as_str()))
            .filter(|v| !v.is_empty())
    };
    let mut options = Options {
        source: crate::analysis::OptionsSource::EditorSettings,
        ..Options::default()
    };
    if let Some(value) = get(&["target"]) {
        options.target = Some(crate::catalogue::Target::from_id(value).ok_or_else(|| {
            format!("unknown target \"{value}\": expected \"neon\" or \"azure-postgresql\"")
        })?);
    }
    if let Some(value) = get(&["client-type", "clientType"]) {
        options.client_type = Some(
            crate::catalogue::ClientType::from_id(value)
                .ok_or_else(|| format!("unknown client type \"{value}\""))?,
        );
    }
    if let Some(value) = get(&["auth"]) {
        options.auth = Some(
            crate::catalogue::AuthType::from_id(value)
                .ok_or_else(|| format!("unknown auth type \"{value}\""))?,
        );
    }
    if let Some(value) = ["env-files", "envFiles"]
        .iter()
        .find_map(|k| settings.get(*k))
        .filter(|v| !v.is_null())
    {
        let files = value
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| format!("envFiles must be a list of file names, not {value}"))?;
        options.env_files = (!files.is_empty()).then_some(files);
    }
    if let Some(rules) = settings.get("rules").and_then(|v| v.as_object()) {
        for (id, level) in rules {
            let rule = crate::rules::Rule::from_id(id).ok_or_else(|| {
                let ids = crate::rules::Rule::ALL.iter().map(|r| r.id());
                match crate::catalogue::closest(id, ids) {
                    Some(near) => {
                        format!("unknown rule \"{id}\" in rules; did you mean \"{near}\"?")
                    }
                    None => format!("unknown rule \"{id}\" in rules"),
                }
            })?;
            let level = level
                .as_str()
                .and_then(crate::config::RuleLevel::from_id)
                .ok_or_else(|| {
                    format!("rules.{id} must be \"off\", \"hint\", \"info\", \"warning\" or \"error\", not {level}")
                })?;
            options.rules.insert(rule, level);
        }
    }
    Ok(options)
}

fn config_diagnostic(error: crate::config::ConfigError) -> Diagnostic {
    Diagnostic {
        rule: crate::rules::Rule::EnvSyntax,
        severity: crate::diagnostic::Severity::Error,
        path: if error.path.is_empty() {
            crate::workspace::CONFIG_FILE_NAME.to_string()
        } else {
            error.path
        },
        range: error.range,
        message: format!("neon-lsp.toml: {}", error.message),
        fixes: Vec::new(),
        related: Vec::new(),
        omitted: 0,
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> RpcResult<lsp::InitializeResult> {
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|folder| folder.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty()
            && let Some(root) = params
                .root_uri
                .as_ref()
                .and_then(|uri| uri.to_file_path().map(|p| p.into_owned()))
        {
            roots.push(root);
        }
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.clone())
            .unwrap_or_default();
        let (encoding, kind) = if offered.contains(&lsp::PositionEncodingKind::UTF8) {
            (PositionEncoding::Utf8, lsp::PositionEncodingKind::UTF8)
        } else {
            (PositionEncoding::Utf16, lsp::PositionEncodingKind::UTF16)
        };
        let options = match &params.initialization_options {
            Some(settings) => self.read_settings(settings).await.unwrap_or_default(),
            None => Options::default(),
        };
        let docs_url = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("docsUrl").or_else(|| o.get("docs-url")))
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let docs = match docs_url {
            Some(template) => docs::RuleDocs::from_template(&template),
            None => tokio::task::spawn_blocking(|| {
                docs::RuleDocs::write_local(&docs::RuleDocs::default_dir())
            })
            .await
            .unwrap_or_else(|error| Err(format!("writing the rule docs failed: {error}"))),
        };
        let docs = match docs {
            Ok(docs) => docs,
            Err(message) => {
                self.logger
                    .log(
                        &self.client,
                        Level::Warning,
                        format!("diagnostics will carry no documentation links: {message}"),
                    )
                    .await;
                docs::RuleDocs::default()
            }
        };
        self.neon.note_client_capabilities(&params.capabilities);
        {
            let mut state = lock(&self.state);
            state.docs = Arc::new(docs);
            state.roots = roots
                .into_iter()
                .map(|path| Root {
                    path,
                    ..Root::default()
                })
                .collect();
            state.encoding = Some(encoding);
            state.options = options;
            state.pulls_configuration = params
                .capabilities
                .workspace
                .as_ref()
                .and_then(|workspace| workspace.configuration)
                .unwrap_or(false);
            state.shows_progress = params
                .capabilities
                .window
                .as_ref()
                .and_then(|window| window.work_done_progress)
                .unwrap_or(false);
            state.registers_watchers = params
                .capabilities
                .workspace
                .as_ref()
                .and_then(|workspace| workspace.did_change_watched_files.as_ref())
                .and_then(|watched| watched.dynamic_registration)
                .unwrap_or(false);
        }
        Ok(lsp::InitializeResult {
            capabilities: lsp::ServerCapabilities {
                position_encoding: Some(kind),
                text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
                    lsp::TextDocumentSyncKind::INCREMENTAL,
                )),
                code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                    lsp::CodeActionOptions {
                        resolve_provider: Some(true),
                        ..Default::default()
                    },
                )),
                workspace: Some(lsp::WorkspaceServerCapabilities {
                    workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(lsp::OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
                completion_provider: Some(lsp::CompletionOptions {
                    trigger_characters: Some(
                        [".", "\"", "'", "[", "{", "$", "("]
                            .iter()
                            .map(|c| c.to_string())
                            .collect(),
                    ),
                    ..Default::default()
                }),
                definition_provider: Some(lsp::OneOf::Left(true)),
                references_provider: Some(lsp::OneOf::Left(true)),
                code_lens_provider: Some(lsp::CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(lsp::ExecuteCommandOptions {
                    commands: commands::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    work_done_progress_options: Default::default(),
                }),
                ..Default::default()
            },
            server_info: Some(lsp::ServerInfo {
                name: "neon-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            ..Default::default()
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        // Edits made outside the editor (git checkout, another tool) must be seen too.
        let watchers: Vec<serde_json::Value> = watched_globs()
            .iter()
            .map(|pattern| serde_json::json!({ "globPattern": pattern }))
            .collect();
        let registration = lsp::Registration {
            id: "neon-lsp/watch".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: Some(serde_json::json!({ "watchers": watchers })),
        };
        if lock(&self.state).registers_watchers {
            // Not awaited here: the first scan must not wait for the editor's reply.
            let client = self.client.clone();
            let logger = self.logger.clone();
            tokio::spawn(async move {
                if let Err(error) = client.register_capability(vec![registration]).await {
                    logger.log(&client, Level::Warning, format!("neon-lsp: the editor does not watch files for us ({error}); changes made outside it are seen on the next edit")).await;
                }
            });
        } else {
            self.logger
                .log(&self.client, Level::Info, "neon-lsp: the editor cannot watch files for us (no dynamic registration of didChangeWatchedFiles); changes made outside it are seen on the next edit".to_owned())
                .await;
        }
        self.pull_settings().await;
        lock(&self.state).settings_known = true;
        self.rescan_all().await;
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        let added: Vec<PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        let cleared: Vec<(PathBuf, Vec<String>)> = {
            let mut state = lock(&self.state);
            let gone: Vec<(PathBuf, Vec<String>)> = state
                .roots
                .iter()
                .filter(|r| removed.contains(&r.path))
                .map(|r| (r.path.clone(), r.published.keys().cloned().collect()))
                .collect();
            state.roots.retain(|r| !removed.contains(&r.path));
            for path in added {
                if !state.roots.iter().any(|r| r.path == path) {
                    state.roots.push(Root {
                        path,
                        ..Root::default()
                    });
                }
            }
            gone
        };
        // A removed folder's diagnostics go with it.
        for (root, paths) in cleared {
            for path in paths {
                if let Some(uri) = self.uri_of(&root, &path) {
                    self.client.publish_diagnostics(uri, Vec::new(), None).await;
                }
            }
        }
        self.rescan_all().await;
    }

    async fn shutdown(&self) -> RpcResult<()> {
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let uri = &params.text_document.uri;
        let adopted = match self.relative(uri) {
            Some(_) => None,
            None => self.adopt(uri).await,
        };
        let Some((index, path)) = self.relative(uri) else {
            return;
        };
        let single_file = {
            let mut state = lock(&self.state);
            let Some(root) = state.roots.get_mut(index) else {
                return;
            };
            root.open.insert(
                path,
                (params.text_document.version, params.text_document.text),
            );
            root.single_file
        };
        if single_file {
            self.read_files_beside_open_documents(index);
        }
        match adopted {
            Some((index, true)) => self.rescan(index).await,
            _ => self.republish(index).await,
        }
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        self.fault.inject("textDocument/didChange");
        let Some((index, path)) = self.relative(&params.text_document.uri) else {
            return;
        };
        {
            // Stored before any await, so concurrent handlers cannot reorder edits.
            let mut state = lock(&self.state);
            let encoding = state.encoding.unwrap_or(PositionEncoding::Utf16);
            let Some((version, text)) = state
                .roots
                .get_mut(index)
                .and_then(|root| root.open.get_mut(&path))
            else {
                return;
            };
            for change in params.content_changes {
                convert::apply_change(text, &change, encoding);
            }
            *version = params.text_document.version;
        }
        self.republish(index).await;
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let Some((index, path)) = self.relative(&params.text_document.uri) else {
            return;
        };
        if let Some(root) = lock(&self.state).roots.get_mut(index) {
            root.open.remove(&path);
        }
        self.republish(index).await;
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        if params.settings.get("neon-lsp").is_none() && lock(&self.state).pulls_configuration {
            // Pull-model clients send an empty notification: ask for the section.
            self.pull_settings().await;
            self.republish_all().await;
            return;
        }
        let settings = params.settings.get("neon-lsp").unwrap_or(&params.settings);
        let Some(options) = self.read_settings(settings).await else {
            return;
        };
        lock(&self.state).options = options;
        self.republish_all().await;
    }

    async fn did_change_watched_files(&self, _: lsp::DidChangeWatchedFilesParams) {
        self.rescan_all().await;
    }

    async fn hover(&self, params: lsp::HoverParams) -> RpcResult<Option<lsp::Hover>> {
        self.fault.inject("textDocument/hover");
        let position = params.text_document_position_params;
        let Some((info, _, encoding, texts)) = self
            .variable_at(&position.text_document.uri, position.position)
            .await
        else {
            return Ok(None);
        };
        let markdown = markdown::hover(&info);
        let path = self
            .relative(&position.text_document.uri)
            .map(|(_, path)| path)
            .unwrap_or_default();
        let text = texts.get(&path).map(String::as_str).unwrap_or("");
        Ok(Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(convert::range(text, info.range, encoding)),
        }))
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> RpcResult<Option<lsp::CompletionResponse>> {
        let position = params.text_document_position;
        let Some((index, path)) = self.relative(&position.text_document.uri) else {
            return Ok(None);
        };
        let (workspace, encoding, options) = {
            let state = lock(&self.state);
            let Some(root) = state.roots.get(index) else {
                return Ok(None);
            };
            (
                snapshot(root),
                state.encoding.unwrap_or(PositionEncoding::Utf16),
                state.options.clone(),
            )
        };
        let Some(text) = workspace
            .files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.text.clone())
        else {
            return Ok(None);
        };
        let offset = crate::text::LineIndex::new(&text).offset_of(
            &text,
            position.position.line,
            position.position.character,
            encoding,
        );
        let completions = tokio::task::spawn_blocking(move || {
            crate::analysis::completions_at(&workspace, &options, &path, offset)
        })
        .await
        .unwrap_or_default();
        let items = completions
            .into_iter()
            .map(|completion| lsp::CompletionItem {
                label: completion.name,
                kind: Some(lsp::CompletionItemKind::VARIABLE),
                detail: Some(completion.detail),
                documentation: Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: completion.documentation,
                })),
                ..Default::default()
            })
            .collect();
        Ok(Some(lsp::CompletionResponse::Array(items)))
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> RpcResult<Option<lsp::GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let Some((info, root, encoding, texts)) = self
            .variable_at(&position.text_document.uri, position.position)
            .await
        else {
            return Ok(None);
        };
        let locations: Vec<lsp::Location> = info
            .definitions
            .iter()
            .filter_map(|(path, range, _)| location(&root, path, *range, encoding, &texts))
            .collect();
        Ok((!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations)))
    }

    async fn references(
        &self,
        params: lsp::ReferenceParams,
    ) -> RpcResult<Option<Vec<lsp::Location>>> {
        let position = params.text_document_position;
        let Some((info, root, encoding, texts)) = self
            .variable_at(&position.text_document.uri, position.position)
            .await
        else {
            return Ok(None);
        };
        let mut locations: Vec<lsp::Location> = info
            .readers
            .iter()
            .filter_map(|(path, range)| location(&root, path, *range, encoding, &texts))
            .collect();
        if params.context.include_declaration {
            locations.extend(
                info.definitions
                    .iter()
                    .filter_map(|(path, range, _)| location(&root, path, *range, encoding, &texts)),
            );
        }
        Ok(Some(locations))
    }

    async fn code_lens(
        &self,
        params: lsp::CodeLensParams,
    ) -> RpcResult<Option<Vec<lsp::CodeLens>>> {
        let uri = params.text_document.uri;
        let Some((index, path)) = self.relative(&uri) else {
            return Ok(None);
        };
        if classify(&path) != Some(crate::workspace::FileKind::DotEnv) {
            return Ok(None);
        }
        self.wait_until_scanned(index).await;
        let (text, encoding) = {
            let state = lock(&self.state);
            let Some(root) = state.roots.get(index) else {
                return Ok(None);
            };
            let text = match root.open.get(&path) {
                Some((_, text)) => text.clone(),
                None => match root.disk.get(&path) {
                    Some(file) => file.text.clone(),
                    None => return Ok(None),
                },
            };
            (text, state.encoding.unwrap_or(PositionEncoding::Utf16))
        };
        let index = crate::text::LineIndex::new(&text);
        let lenses = lens::connection_lenses(&text)
            .into_iter()
            .map(|lens| {
                let start = index.lsp(&text, lens.range.start, encoding);
                let end = index.lsp(&text, lens.range.end, encoding);
                lsp::CodeLens {
                    range: lsp::Range {
                        start: lsp::Position::new(start.0, start.1),
                        end: lsp::Position::new(end.0, end.1),
                    },
                    command: Some(lsp::Command {
                        title: lens.title(),
                        command: commands::TEST_CONNECTION.to_string(),
                        arguments: Some(vec![serde_json::json!({
                            "uri": uri.as_str(),
                            "connection": lens.name,
                            "target": lens.target.id(),
                        })]),
                    }),
                    data: None,
                }
            })
            .collect();
        Ok(Some(lenses))
    }

    async fn execute_command(
        &self,
        params: lsp::ExecuteCommandParams,
    ) -> RpcResult<Option<serde_json::Value>> {
        self.execute(params).await
    }

    async fn code_action_resolve(&self, mut action: lsp::CodeAction) -> RpcResult<lsp::CodeAction> {
        let Some(data) = action.data.clone() else {
            return Ok(action);
        };
        let field = |name: &str| data.get(name).and_then(serde_json::Value::as_u64);
        let (Some(uri), Some(rule), Some(start), Some(end), Some(fix)) = (
            data.get("uri")
                .and_then(serde_json::Value::as_str)
                .and_then(|uri| uri.parse::<Uri>().ok()),
            data.get("rule").and_then(serde_json::Value::as_str),
            field("start"),
            field("end"),
            field("fix"),
        ) else {
            return Ok(action);
        };
        let Some((index, path)) = self.relative(&uri) else {
            return Ok(action);
        };
        let guard = lock(&self.state);
        let encoding = guard.encoding.unwrap_or(PositionEncoding::Utf16);
        let Some(state) = guard.roots.get(index) else {
            return Ok(action);
        };
        let fix = state
            .published
            .get(&path)
            .into_iter()
            .flatten()
            .find(|d| {
                d.rule.id() == rule && d.range.start as u64 == start && d.range.end as u64 == end
            })
            .and_then(|d| d.fixes.get(usize::try_from(fix).ok()?));
        if let Some(fix) = fix {
            let mut positions = convert::Positions::new(&state.texts, encoding);
            action.edit = convert::workspace_edit(fix, &mut positions, &state.path);
        }
        Ok(action)
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> RpcResult<Option<lsp::CodeActionResponse>> {
        let Some((index, path)) = self.relative(&params.text_document.uri) else {
            return Ok(None);
        };
        let guard = lock(&self.state);
        let encoding = guard.encoding.unwrap_or(PositionEncoding::Utf16);
        let state_docs = guard.docs.clone();
        let Some(state) = guard.roots.get(index) else {
            return Ok(None);
        };
        let root = &state.path;
        let diagnostics: &[Diagnostic] = state.published.get(&path).map_or(&[], Vec::as_slice);
        let text = state.texts.get(&path).map(String::as_str).unwrap_or("");
        let requested = convert::range_to_offsets(text, params.range, encoding);
        let mut positions = convert::Positions::new(&state.texts, encoding);
        let mut actions = Vec::new();
        for diagnostic in diagnostics {
            let overlaps =
                diagnostic.range.start <= requested.end && requested.start <= diagnostic.range.end;
            if !overlaps {
                continue;
            }
            let lsp_diagnostic = convert::diagnostic(diagnostic, &mut positions, root, &state_docs);
            for (index, fix) in diagnostic.fixes.iter().enumerate() {
                if fix.edits.iter().any(|edit| edit.display_text.is_some()) {
                    // The edit carries a secret (a connection string moved into .env): sent
                    // only when the user picks the action (codeAction/resolve).
                    actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title: crate::secrets::mask_value(&fix.title),
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![lsp_diagnostic.clone()]),
                        is_preferred: Some(
                            index == 0
                                && fix.applicability == crate::diagnostic::Applicability::Safe,
                        ),
                        data: Some(serde_json::json!({
                            "uri": params.text_document.uri.as_str(),
                            "rule": diagnostic.rule.id(),
                            "start": diagnostic.range.start,
                            "end": diagnostic.range.end,
                            "fix": index,
                        })),
                        ..Default::default()
                    }));
                    continue;
                }
                let Some(edit) = convert::workspace_edit(fix, &mut positions, root) else {
                    continue;
                };
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix.title.clone(),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp_diagnostic.clone()]),
                    edit: Some(edit),
                    is_preferred: Some(
                        index == 0 && fix.applicability == crate::diagnostic::Applicability::Safe,
                    ),
                    ..Default::default()
                }));
            }
        }
        if let Some(action) = add_missing_variables(diagnostics, &mut positions, root) {
            actions.push(action);
        }
        let wants_source = params.context.only.as_ref().is_none_or(|only| {
            only.iter()
                .any(|kind| commands::SNIPPET_ACTION_KIND.starts_with(kind.as_str()))
        });
        if wants_source && crate::snippet::place::supports(&path) {
            // A selection over several lines is an existing connection setup to replace.
            let title = if params.range.end.line > params.range.start.line {
                "Replace the selection with the Service Connector connection snippet"
            } else {
                "Insert Service Connector connection snippet"
            };
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: title.to_string(),
                kind: Some(lsp::CodeActionKind::new(commands::SNIPPET_ACTION_KIND)),
                // Computed when chosen, not on every cursor move.
                command: Some(lsp::Command {
                    title: title.to_string(),
                    command: commands::INSERT_SNIPPET.to_string(),
                    arguments: Some(vec![serde_json::json!({
                        "uri": params.text_document.uri.as_str(),
                        "position": params.range.start,
                        "range": params.range,
                    })]),
                }),
                ..Default::default()
            }));
        }
        Ok(Some(actions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RuleLevel;
    use crate::diagnostic::Severity;
    use crate::rules::Rule;
    use serde_json::json;

    #[test]
    fn unknown_settings_are_warned_about_with_the_nearest_key() {
        let warnings = unknown_setting_warnings(&json!({
            "clientTyp": "go",
            "docsUrl": "https://example.test/{rule}",
            "trace": {"server": "off"},
            "server": {"path": "/bin/neon-lsp"},
            "envFiles": [".env"]
        }));
        assert_eq!(
            warnings,
            [
                "neon-lsp settings: unknown key \"clientTyp\" is ignored; did you mean \"clientType\"?"
            ]
        );
    }

    #[test]
    fn every_file_kind_the_analysis_reads_is_watched() {
        let globs = watched_globs();
        // setup.py was missing from the hand-written list (issue 15).
        assert!(globs.contains(&"**/setup.py".to_owned()), "{globs:?}");
        for name in crate::workspace::DOTENV_PATTERNS
            .iter()
            .chain([&crate::workspace::CONFIG_FILE_NAME])
            .chain(crate::workspace::MANIFESTS.iter().map(|(name, _)| name))
        {
            assert!(globs.contains(&format!("**/{name}")), "{name}: {globs:?}");
        }
    }

    #[test]
    fn settings_carry_every_neon_lsp_toml_key_in_either_spelling() {
        let options = settings_to_options(&json!({
            "target": "azure-postgresql",
            "clientType": "nodejs",
            "auth": "user-identity",
            "envFiles": [".env.production"],
            "rules": {"unused-env-variable": "off", "tls-disabled": "error"},
            "trace": {"server": "verbose"}
        }))
        .unwrap();
        assert_eq!(options.env_files, Some(vec![".env.production".to_string()]));
        assert_eq!(options.rules[&Rule::UnusedEnvVariable], RuleLevel::Off);
        assert_eq!(
            options.rules[&Rule::TlsDisabled],
            RuleLevel::Severity(Severity::Error)
        );
        let kebab =
            settings_to_options(&json!({"env-files": [".env"], "client-type": "go"})).unwrap();
        assert_eq!(kebab.env_files, Some(vec![".env".to_string()]));
        assert_eq!(kebab.client_type, Some(crate::catalogue::ClientType::Go));
        // An empty list means "not set" (VS Code sends the default []).
        assert_eq!(
            settings_to_options(&json!({"envFiles": []}))
                .unwrap()
                .env_files,
            None
        );
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let error =
            settings_to_options(&json!({"rules": {"unused-env-variabel": "off"}})).unwrap_err();
        assert!(
            error.contains("did you mean \"unused-env-variable\""),
            "{error}"
        );
        let error = settings_to_options(&json!({"rules": {"tls-disabled": "loud"}})).unwrap_err();
        assert!(error.contains("rules.tls-disabled must be"), "{error}");
        let error = settings_to_options(&json!({"envFiles": ".env"})).unwrap_err();
        assert!(error.contains("envFiles must be a list"), "{error}");
    }
}

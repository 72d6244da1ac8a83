//! `workspace/executeCommand`: the commands editors bind to buttons, lenses and palettes.
//!
//! Each command takes one JSON object argument (documented per command below) and returns a
//! JSON result the editor can show; slow ones run off the request path with `$/progress` and
//! stop when the client cancels the request. The server advertises exactly the commands listed
//! in [`COMMANDS`], so editors enable only what works. No analysis logic lives here.

use super::{Backend, lock, neon, snapshot};
use crate::catalogue::{AuthType, ClientType, Target};
use crate::scan::Language;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tower_lsp_server::jsonrpc::{Error, Result as RpcResult};
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub(super) const DESCRIBE_CONNECTION: &str = "neon-lsp.describeConnection";
pub(super) const TEST_CONNECTION: &str = "neon-lsp.testConnection";
pub(super) const INSERT_SNIPPET: &str = "neon-lsp.insertSnippet";
/// The source action's kind (editors list `source.*` actions under "Source Action…").
pub(super) const SNIPPET_ACTION_KIND: &str = "source.neon-lsp.insertSnippet";

/// Every command this server executes.
pub(super) const COMMANDS: &[&str] = &[
    DESCRIBE_CONNECTION,
    TEST_CONNECTION,
    INSERT_SNIPPET,
    neon::SIGN_IN,
    neon::SIGN_IN_WITH_REDIRECT,
    neon::SIGN_OUT,
    neon::PULL_CONNECTION,
];

/// The client type whose snippet fits a source file, for languages that have snippets.
pub(super) fn snippet_language(path: &str) -> Option<ClientType> {
    match crate::workspace::classify(path) {
        Some(crate::workspace::FileKind::Source(Language::Python)) => Some(ClientType::Python),
        Some(crate::workspace::FileKind::Source(Language::JavaScript)) => Some(ClientType::NodeJs),
        Some(crate::workspace::FileKind::Source(Language::Go)) => Some(ClientType::Go),
        Some(crate::workspace::FileKind::Source(Language::Java)) => Some(ClientType::Java),
        Some(crate::workspace::FileKind::Source(Language::Php)) => Some(ClientType::Php),
        Some(crate::workspace::FileKind::Source(Language::Ruby)) => Some(ClientType::Ruby),
        Some(crate::workspace::FileKind::Source(Language::CSharp)) => Some(ClientType::DotNet),
        Some(crate::workspace::FileKind::Source(Language::Shell)) => Some(ClientType::None),
        _ => None,
    }
}

pub(super) fn invalid_params(message: impl Into<String>) -> Error {
    Error::invalid_params(message.into())
}

fn internal(message: impl std::fmt::Display) -> Error {
    Error {
        message: message.to_string().into(),
        ..Error::internal_error()
    }
}

/// The `uri` member of a command's first argument.
pub(super) fn uri_argument(arguments: &[Value], command: &str) -> RpcResult<Uri> {
    let uri = arguments
        .first()
        .and_then(|argument| argument.get("uri"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_params(format!("{command} expects [{{\"uri\": \"file:///…\"}}]")))?;
    uri.parse::<Uri>()
        .map_err(|error| invalid_params(format!("{command}: \"{uri}\" is not a URI: {error}")))
}

impl Backend {
    pub(super) async fn execute(
        &self,
        params: lsp::ExecuteCommandParams,
    ) -> RpcResult<Option<Value>> {
        match params.command.as_str() {
            DESCRIBE_CONNECTION => self.describe_connection(&params.arguments).await,
            TEST_CONNECTION => {
                let token = params.work_done_progress_params.work_done_token;
                self.test_connection(&params.arguments, token).await
            }
            INSERT_SNIPPET => self.insert_snippet(&params.arguments).await,
            neon::SIGN_IN => self.sign_in().await,
            neon::SIGN_IN_WITH_REDIRECT => self.sign_in_with_redirect(&params.arguments).await,
            neon::SIGN_OUT => self.sign_out().await,
            neon::PULL_CONNECTION => self.pull_connection(&params.arguments).await,
            other => Err(invalid_params(format!(
                "unknown command \"{other}\"; this server executes {}",
                COMMANDS.join(", ")
            ))),
        }
    }

    /// `neon-lsp.describeConnection [{"uri"}]` → the first connection that applies to the file
    /// (`{target, name, clientType, auth, reason, envFiles, others}`) or null.
    async fn describe_connection(&self, arguments: &[Value]) -> RpcResult<Option<Value>> {
        let uri = uri_argument(arguments, DESCRIBE_CONNECTION)?;
        let mut connections = self.connections_for(&uri).await?.into_iter();
        let Some(first) = connections.next() else {
            return Ok(Some(Value::Null));
        };
        let mut described = serde_json::to_value(&first).map_err(internal)?;
        described["others"] = json!(connections.count());
        Ok(Some(described))
    }

    /// The connections that apply to the file or folder at `uri`, as the analysis sees them
    /// once the workspace has been read (empty outside the workspace).
    async fn connections_for(
        &self,
        uri: &Uri,
    ) -> RpcResult<Vec<crate::analysis::ConnectionSummary>> {
        let Some((index, path)) = self.relative(uri) else {
            return Ok(Vec::new());
        };
        self.wait_until_scanned(index).await;
        let Some((workspace, options)) = ({
            let state = lock(&self.state);
            state
                .roots
                .get(index)
                .map(|root| (snapshot(root), state.options.clone()))
        }) else {
            return Ok(Vec::new());
        };
        tokio::task::spawn_blocking(move || {
            crate::analysis::connections_at(&workspace, &options, &path)
        })
        .await
        .map_err(internal)
    }

    /// [`crate::query::test_connection_plan`] for the file or folder at `uri` once its workspace
    /// folder has been read, with the folder's path; `None` outside every workspace folder.
    async fn test_plan(
        &self,
        uri: &Uri,
        is_folder: bool,
        target: Option<crate::catalogue::Target>,
        name: Option<&str>,
    ) -> Option<(PathBuf, crate::query::TestPlan)> {
        let (index, path) = self.relative(uri)?;
        self.wait_until_scanned(index).await;
        let (workspace, options, root) = {
            let state = lock(&self.state);
            let root = state.roots.get(index)?;
            (snapshot(root), state.options.clone(), root.path.clone())
        };
        let name = name.map(str::to_owned);
        let plan = tokio::task::spawn_blocking(move || {
            let at = if is_folder {
                crate::query::TestAt::Folder(&path)
            } else {
                crate::query::TestAt::File(&path)
            };
            crate::query::test_connection_plan(&workspace, &options, at, target, name.as_deref())
        })
        .await
        .ok()?;
        Some((root, plan))
    }

    /// `neon-lsp.testConnection [{"uri", "connection"?, "target"?}]`: connects with the
    /// variables the app at `uri` sees — the .env files of the connection the file belongs to
    /// (for a .env file: that file first), open documents as typed, under the server's
    /// environment — off the request path with progress, and returns the report
    /// (`{ok, summary, server, failure, timings_ms, …}`) after showing its summary.
    async fn test_connection(
        &self,
        arguments: &[Value],
        progress_token: Option<lsp::NumberOrString>,
    ) -> RpcResult<Option<Value>> {
        let uri = uri_argument(arguments, TEST_CONNECTION)?;
        let argument = arguments.first().cloned().unwrap_or(Value::Null);
        let text_of = |key: &str| argument.get(key).and_then(Value::as_str).map(str::to_owned);
        let target = match text_of("target") {
            Some(id) => Some(crate::catalogue::Target::from_id(&id).ok_or_else(|| {
                invalid_params(format!("{TEST_CONNECTION}: unknown target \"{id}\""))
            })?),
            None => None,
        };
        let name = text_of("connection");
        let file = uri.to_file_path().map(|p| p.into_owned()).ok_or_else(|| {
            invalid_params(format!("{TEST_CONNECTION}: {} is not a file", uri.as_str()))
        })?;
        let folder = if file.is_dir() {
            file.clone()
        } else {
            file.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        // The core's plan, as `neon-lsp test-connection` asks it: the connection the analysis
        // sees for this file (its .env files in precedence order, target and name), so a test
        // from src/db.py reads the app's .env files, not src/'s.
        let (root, plan) = match self
            .test_plan(&uri, file.is_dir(), target, name.as_deref())
            .await
        {
            Some((root, plan)) => (Some(root), plan),
            // Outside every workspace folder: the folder's conventional files from disk.
            None => (
                None,
                crate::query::TestPlan {
                    env_files: Vec::new(),
                    target,
                    name,
                    auth: lock(&self.state).options.auth,
                    client_type: None,
                },
            ),
        };
        let env_files: Vec<PathBuf> = match &root {
            Some(root) => plan.env_files.iter().map(|f| root.join(f)).collect(),
            None => {
                let mut files = crate::testconn::default_env_files(&folder);
                let is_env_file = file.is_file()
                    && crate::workspace::classify(&file.to_string_lossy())
                        == Some(crate::workspace::FileKind::DotEnv);
                if is_env_file && !files.contains(&file) {
                    files.insert(0, file.clone());
                }
                files
            }
        };
        let base = root.unwrap_or_else(|| folder.clone());
        // Open documents win over the disk: the test uses what the user sees.
        let open: Vec<(PathBuf, String)> = {
            let state = lock(&self.state);
            state
                .roots
                .iter()
                .flat_map(|root| {
                    root.open
                        .iter()
                        .map(|(path, (_, text))| (root.path.join(path), text.clone()))
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let read = |path: &Path| match open.iter().find(|(open_path, _)| open_path == path) {
            Some((_, text)) => Ok(text.clone()),
            None => std::fs::read_to_string(path),
        };
        let sources = match crate::testconn::load_sources_with(
            &env_files,
            &base,
            std::env::vars().collect(),
            read,
        ) {
            Ok(sources) => sources,
            Err(error) => return self.configuration_error(error.message).await,
        };
        let selection = crate::testconn::Selection {
            target: plan.target,
            name: plan.name,
            auth: plan.auth,
            audience: crate::testconn::Audience::Editor,
            client_type: plan.client_type,
        };
        let settings = match crate::testconn::settings::resolve(&sources, &selection) {
            Ok(settings) => settings,
            Err(error) => return self.configuration_error(error.message).await,
        };
        let options = crate::testconn::TestOptions {
            audience: crate::testconn::Audience::Editor,
            ..crate::testconn::TestOptions::from_environment(&sources.process)
        };
        let title = format!(
            "neon-lsp: testing {}",
            settings.host().unwrap_or("the connection")
        );
        let outcome = self
            .run_with_progress(&title, progress_token, move |phases| async move {
                crate::testconn::run(&settings, &options, move |phase| {
                    let _ = phases.send(phase.to_owned());
                })
                .await
            })
            .await;
        let report = match outcome {
            None => {
                self.client
                    .show_message(
                        lsp::MessageType::INFO,
                        "neon-lsp: connection test cancelled",
                    )
                    .await;
                return Ok(Some(
                    json!({"ok": false, "cancelled": true, "summary": "cancelled"}),
                ));
            }
            Some(Err(error)) => return self.configuration_error(error.message).await,
            Some(Ok(report)) => report,
        };
        let (kind, prefix) = if report.ok {
            (lsp::MessageType::INFO, "✓")
        } else {
            (lsp::MessageType::ERROR, "✗")
        };
        let mut message = format!("{prefix} {}", report.summary);
        if let Some(failure) = &report.failure {
            message.push_str(&format!(" — {}", failure.next_step));
        }
        self.client.show_message(kind, message).await;
        serde_json::to_value(&report).map(Some).map_err(internal)
    }

    /// Shows a configuration problem and returns it as the command's result.
    async fn configuration_error(&self, message: String) -> RpcResult<Option<Value>> {
        self.client
            .show_message(lsp::MessageType::ERROR, format!("neon-lsp: {message}"))
            .await;
        Ok(Some(
            json!({"ok": false, "summary": message, "error": {"kind": "configuration", "message": message}}),
        ))
    }

    /// `neon-lsp.insertSnippet [{"uri", "position"?}]`: inserts the connection snippet for the
    /// file's language and its connection (target, client type, auth, name — inferred as for
    /// diagnostics) at the start of `position`'s line, through workspace/applyEdit.
    /// Returns `{applied, target, clientType, auth}`.
    async fn insert_snippet(&self, arguments: &[Value]) -> RpcResult<Option<Value>> {
        let uri = uri_argument(arguments, INSERT_SNIPPET)?;
        let line = arguments
            .first()
            .and_then(|a| a.get("position"))
            .and_then(|p| p.get("line"))
            .and_then(Value::as_u64)
            .unwrap_or(0) as u32;
        let Some((index, path)) = self.relative(&uri) else {
            return Err(invalid_params(format!(
                "{INSERT_SNIPPET}: {} is not in a workspace folder",
                uri.as_str()
            )));
        };
        let Some(language_client) = snippet_language(&path) else {
            return self
                .configuration_error(format!("no connection snippet for {path}: snippets are for Python, JavaScript/TypeScript, Go, Java, C#, PHP, Ruby and shell files"))
                .await;
        };
        self.wait_until_scanned(index).await;
        let Some((workspace, options)) = ({
            let state = lock(&self.state);
            state
                .roots
                .get(index)
                .map(|root| (snapshot(root), state.options.clone()))
        }) else {
            return Ok(Some(Value::Null));
        };
        let defaults = options.clone();
        let lookup = path.clone();
        let connections = tokio::task::spawn_blocking(move || {
            crate::analysis::connections_at(&workspace, &options, &lookup)
        })
        .await
        .map_err(internal)?;
        let request = match connections.into_iter().next() {
            Some(connection) => crate::snippet::SnippetRequest {
                target: connection.target,
                // The connection's client type when it is written in this file's language
                // (Django is Python), else the language's own.
                client_type: connection
                    .client_type
                    .filter(|client| {
                        *client == language_client
                            || (*client == ClientType::Django
                                && language_client == ClientType::Python)
                    })
                    .unwrap_or(language_client),
                auth: connection.auth,
                name: connection.name,
            },
            None => crate::snippet::SnippetRequest {
                target: defaults.target.unwrap_or(Target::Neon),
                client_type: language_client,
                auth: defaults.auth.unwrap_or(AuthType::Secret),
                name: None,
            },
        };
        let snippet = match crate::snippet::generate(&request) {
            Ok(snippet) => snippet,
            Err(error) => {
                return self
                    .configuration_error(format!("{error} ({request})"))
                    .await;
            }
        };
        let Some(file) = snippet.files.first() else {
            return Ok(Some(Value::Null));
        };
        let at = lsp::Position::new(line, 0);
        let edit = lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(
                uri.clone(),
                vec![lsp::TextEdit {
                    range: lsp::Range { start: at, end: at },
                    new_text: file.text.clone(),
                }],
            )])),
            ..Default::default()
        };
        let applied = match self.client.apply_edit(edit).await {
            Ok(response) => response.applied,
            Err(error) => {
                return self
                    .configuration_error(format!("the editor did not apply the snippet: {error}"))
                    .await;
            }
        };
        Ok(Some(json!({
            "applied": applied,
            "target": request.target,
            "clientType": request.client_type,
            "auth": request.auth,
            "dependencies": snippet.dependencies,
        })))
    }
}

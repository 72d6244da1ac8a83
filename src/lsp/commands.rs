//! `workspace/executeCommand`: the commands editors bind to buttons, lenses and palettes.
//!
//! Each command takes one JSON object argument (documented per command below) and returns a
//! JSON result the editor can show; slow ones run off the request path with `$/progress` and
//! stop when the client cancels the request. The server advertises exactly the commands listed
//! in [`COMMANDS`], so editors enable only what works. No analysis logic lives here.

use super::{Backend, deployed, lock, neon, snapshot};
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
    deployed::REFRESH_DEPLOYED,
];

/// The byte offset where line `line` (0-based) of `text` starts; the end for lines past it.
fn line_offset(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 1)
        .map_or(text.len(), |(at, _)| at + 1)
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
            deployed::REFRESH_DEPLOYED => self.refresh_deployed().await,
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
    async fn connections_for(&self, uri: &Uri) -> RpcResult<Vec<crate::query::ConnectionSummary>> {
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
            crate::query::connections_at(&workspace, &options, &path)
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
            Some(id) => Some(
                crate::config::parse_word::<crate::catalogue::Target>(&id)
                    .map_err(|error| invalid_params(format!("{TEST_CONNECTION}: {error}")))?,
            ),
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

    /// `neon-lsp.insertSnippet [{"uri", "position"?, "range"?}]`: inserts the connection snippet
    /// for the file's connection at `position` ([`crate::snippet::request::request_at`]: target,
    /// client type, auth, name, customized keys) where it belongs in the file
    /// ([`crate::snippet::place`]: after the imports, merging them, in the file's style), or in
    /// place of the lines a multi-line `range` selects, through workspace/applyEdit.
    /// Returns `{applied, target, clientType, auth, dependencies, notes}`.
    async fn insert_snippet(&self, arguments: &[Value]) -> RpcResult<Option<Value>> {
        use crate::snippet::place::{self, Anchor};
        let uri = uri_argument(arguments, INSERT_SNIPPET)?;
        let argument = arguments.first();
        let line_of = |key: &str, member: &str| {
            argument
                .and_then(|a| a.get(key))
                .and_then(|p| p.get(member))
                .and_then(|p| p.get("line"))
                .and_then(Value::as_u64)
        };
        let line = argument
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
        if !place::supports(&path) {
            return self
                .configuration_error(format!(
                    "no connection snippet for {path}: snippets go into {}",
                    place::LANGUAGES
                ))
                .await;
        }
        // A selection over several lines is the connection setup to replace.
        let anchor = match (line_of("range", "start"), line_of("range", "end")) {
            (Some(start), Some(end)) if end > start => {
                let end_character = argument
                    .and_then(|a| a.get("range"))
                    .and_then(|r| r.get("end"))
                    .and_then(|p| p.get("character"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                Anchor::Replace {
                    start: start as usize,
                    end: end as usize + usize::from(end_character > 0),
                }
            }
            _ => Anchor::AfterImports,
        };
        self.wait_until_scanned(index).await;
        let Some((workspace, options, text)) = ({
            let state = lock(&self.state);
            state.roots.get(index).map(|root| {
                let text = match root.open.get(&path) {
                    Some((_, text)) => Some(text.clone()),
                    None => root.disk.get(&path).map(|f| f.text.clone()),
                };
                (
                    snapshot(root),
                    state.options.clone(),
                    text.ok_or_else(|| root.path.join(&path)),
                )
            })
        }) else {
            return Ok(Some(Value::Null));
        };
        let text = match text {
            Ok(text) => text,
            // Not open and not scanned (a file the walk skips): read it.
            Err(file) => std::fs::read_to_string(&file).unwrap_or_default(),
        };
        let lookup = path.clone();
        let file_text = text.clone();
        let request = tokio::task::spawn_blocking(move || {
            crate::snippet::request::request_at(&workspace, &options, &lookup, &file_text, line)
        })
        .await
        .map_err(internal)?;
        let request = match request {
            Ok(request) => request,
            Err(error) => return self.configuration_error(error.to_string()).await,
        };
        let placed = crate::snippet::generate(&request)
            .map_err(|error| format!("{error} ({request})"))
            .and_then(|snippet| {
                place::place(&snippet, &request, &path, &text, anchor)
                    .map(|placement| (snippet, placement))
                    .map_err(|error| error.to_string())
            });
        let (snippet, placement) = match placed {
            Ok(placed) => placed,
            Err(message) => return self.configuration_error(message).await,
        };
        let mut applied = true;
        if let Some(edit) = &placement.edit {
            let encoding = lock(&self.state)
                .encoding
                .unwrap_or(crate::text::PositionEncoding::Utf16);
            let offsets = crate::text::TextRange::new(
                line_offset(&text, edit.start),
                line_offset(&text, edit.end),
            );
            let range = super::convert::range(&text, offsets, encoding);
            let edit = lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(
                    uri.clone(),
                    vec![lsp::TextEdit {
                        range,
                        new_text: edit.text.clone(),
                    }],
                )])),
                ..Default::default()
            };
            applied = match self.client.apply_edit(edit).await {
                Ok(response) => response.applied,
                Err(error) => {
                    return self
                        .configuration_error(format!(
                            "the editor did not apply the snippet: {error}"
                        ))
                        .await;
                }
            };
        }
        if applied && !placement.notes.is_empty() {
            // Other files to create, names defined twice, values Service Connector overrides.
            self.client
                .show_message(
                    lsp::MessageType::INFO,
                    format!("neon-lsp: snippet inserted; {}", placement.notes.join("; ")),
                )
                .await;
        }
        Ok(Some(json!({
            "applied": applied,
            "target": request.target,
            "clientType": request.client_type,
            "auth": request.auth,
            "dependencies": snippet.dependencies,
            "notes": placement.notes,
        })))
    }
}

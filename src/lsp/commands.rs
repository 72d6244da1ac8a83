//! `workspace/executeCommand`: the commands editors bind to buttons, lenses and palettes.
//!
//! Each command takes one JSON object argument (documented per command below) and returns a
//! JSON result the editor can show; slow ones run off the request path with `$/progress` and
//! stop when the client cancels the request. The server advertises exactly the commands listed
//! in [`COMMANDS`], so editors enable only what works. No analysis logic lives here.

use super::{Backend, lock, snapshot};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tower_lsp_server::jsonrpc::{Error, Result as RpcResult};
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub(super) const DESCRIBE_CONNECTION: &str = "neon-lsp.describeConnection";
pub(super) const TEST_CONNECTION: &str = "neon-lsp.testConnection";

/// Every command this server executes.
pub(super) const COMMANDS: &[&str] = &[DESCRIBE_CONNECTION, TEST_CONNECTION];

fn invalid_params(message: impl Into<String>) -> Error {
    Error::invalid_params(message.into())
}

fn internal(message: impl std::fmt::Display) -> Error {
    Error {
        message: message.to_string().into(),
        ..Error::internal_error()
    }
}

/// The `uri` member of a command's first argument.
fn uri_argument(arguments: &[Value], command: &str) -> RpcResult<Uri> {
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
            TEST_CONNECTION => self.test_connection(&params.arguments).await,
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
        let Some((index, path)) = self.relative(&uri) else {
            return Ok(Some(Value::Null));
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
        let connections = tokio::task::spawn_blocking(move || {
            crate::analysis::connections_at(&workspace, &options, &path)
        })
        .await
        .map_err(internal)?;
        let mut connections = connections.into_iter();
        let Some(first) = connections.next() else {
            return Ok(Some(Value::Null));
        };
        let mut described = serde_json::to_value(&first).map_err(internal)?;
        described["others"] = json!(connections.count());
        Ok(Some(described))
    }

    /// `neon-lsp.testConnection [{"uri", "connection"?, "target"?}]`: connects with the
    /// variables the app at `uri` sees (the .env files of its folder, open documents as typed,
    /// under the server's environment), off the request path with progress, and returns the
    /// report (`{ok, summary, server, failure, timings_ms, …}`) after showing its summary.
    async fn test_connection(&self, arguments: &[Value]) -> RpcResult<Option<Value>> {
        let uri = uri_argument(arguments, TEST_CONNECTION)?;
        let argument = arguments.first().cloned().unwrap_or(Value::Null);
        let text_of = |key: &str| argument.get(key).and_then(Value::as_str).map(str::to_owned);
        let target = match text_of("target") {
            Some(id) => Some(crate::catalogue::Target::from_id(&id).ok_or_else(|| {
                invalid_params(format!("{TEST_CONNECTION}: unknown target \"{id}\""))
            })?),
            None => None,
        };
        let file = uri.to_file_path().map(|p| p.into_owned()).ok_or_else(|| {
            invalid_params(format!("{TEST_CONNECTION}: {} is not a file", uri.as_str()))
        })?;
        let folder = if file.is_dir() {
            file.clone()
        } else {
            file.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let mut env_files = crate::testconn::default_env_files(&folder);
        if file.is_file()
            && crate::workspace::classify(&file.to_string_lossy())
                == Some(crate::workspace::FileKind::DotEnv)
            && !env_files.contains(&file)
        {
            env_files.insert(0, file.clone());
        }
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
        let mut sources = crate::testconn::Sources {
            env_files: Vec::new(),
            process: std::env::vars().collect(),
        };
        for path in &env_files {
            let text = match open.iter().find(|(open_path, _)| open_path == path) {
                Some((_, text)) => text.clone(),
                None => match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(error) => {
                        return self
                            .configuration_error(format!("cannot read {}: {error}", path.display()))
                            .await;
                    }
                },
            };
            let shown = path
                .strip_prefix(&folder)
                .unwrap_or(path)
                .display()
                .to_string();
            sources.env_files.push((shown, crate::dotenv::parse(&text)));
        }
        let selection = crate::testconn::Selection {
            target,
            name: text_of("connection"),
            auth: None,
        };
        let settings = match crate::testconn::settings::resolve(&sources, &selection) {
            Ok(settings) => settings,
            Err(error) => return self.configuration_error(error.message).await,
        };
        let options = crate::testconn::TestOptions {
            identity_endpoint: match (
                sources.process.get("IDENTITY_ENDPOINT"),
                sources.process.get("IDENTITY_HEADER"),
            ) {
                (Some(endpoint), Some(header)) => Some((
                    endpoint.clone(),
                    crate::connstr::Password::new(header.clone()),
                )),
                _ => None,
            },
            authority: sources.process.get("AZURE_AUTHORITY_HOST").cloned(),
            default_root_cert: sources.process.get("PGSSLROOTCERT").cloned(),
            ..crate::testconn::TestOptions::default()
        };
        let title = format!(
            "neon-lsp: testing {}",
            settings.host().unwrap_or("the connection")
        );
        let outcome = self
            .run_in_background(&title, move |phases| async move {
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
}

//! initialize (capabilities, position encoding, settings from initializationOptions) and
//! initialized (file watchers, the first settings pull, the first scan).

use super::log::Level;
use super::settings::EditorSettings;
use super::{Backend, Root, commands, docs, documents::watched_globs, lock};

use crate::text::PositionEncoding;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types as lsp;

impl Backend {
    pub(super) async fn handle_initialize(
        &self,
        params: lsp::InitializeParams,
    ) -> RpcResult<lsp::InitializeResult> {
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
        let settings = match &params.initialization_options {
            Some(settings) => self.read_settings(settings).await,
            None => None,
        };
        let options = settings
            .as_ref()
            .map(EditorSettings::options)
            .unwrap_or_default();
        let docs_url = settings
            .and_then(|settings| settings.docs_url)
            .filter(|url| !url.is_empty());
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

    pub(super) async fn handle_initialized(&self, _: lsp::InitializedParams) {
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
}

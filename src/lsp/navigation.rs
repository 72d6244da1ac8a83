//! Go to definition, references and completion: `query::variable_at` /
//! `query::completions_at` on a snapshot, off the request path.

use super::{Backend, convert, lock, snapshot};
use crate::text::PositionEncoding;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub(super) type VariableLookup = (
    crate::query::VariableInfo,
    PathBuf,
    PositionEncoding,
    HashMap<String, String>,
);

impl Backend {
    /// Looks up the variable under the cursor on a snapshot, off the request path.
    pub(super) async fn variable_at(
        &self,
        uri: &Uri,
        position: lsp::Position,
    ) -> Option<VariableLookup> {
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
            crate::query::variable_at(&workspace, &options, &path, offset)
        })
        .await
        .ok()
        .flatten()?;
        Some((info, root, encoding, texts))
    }

    pub(super) async fn handle_completion(
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
            crate::query::completions_at(&workspace, &options, &path, offset)
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

    pub(super) async fn handle_goto_definition(
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

    pub(super) async fn handle_references(
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

//! textDocument/codeLens: "Test connection" above each connection a .env file defines.

use super::{Backend, commands, lens, lock};
use crate::text::PositionEncoding;
use crate::workspace::classify;
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types as lsp;

impl Backend {
    pub(super) async fn handle_code_lens(
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
}

//! textDocument/hover: the variable under the cursor, its connection and its definitions.

use super::{Backend, convert, markdown};
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types as lsp;

impl Backend {
    pub(super) async fn handle_hover(
        &self,
        params: lsp::HoverParams,
    ) -> RpcResult<Option<lsp::Hover>> {
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
}

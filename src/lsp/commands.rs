//! `workspace/executeCommand`: the commands editors bind to buttons, lenses and palettes.
//!
//! Each command takes one JSON object argument (documented per command below) and returns a
//! JSON result the editor can show; slow ones run off the request path with `$/progress` and
//! stop when the client cancels the request. The server advertises exactly the commands listed
//! in [`COMMANDS`], so editors enable only what works. No analysis logic lives here.

use super::{Backend, lock, snapshot};
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, Result as RpcResult};
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub(super) const DESCRIBE_CONNECTION: &str = "neon-lsp.describeConnection";

/// Every command this server executes.
pub(super) const COMMANDS: &[&str] = &[DESCRIBE_CONNECTION];

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
}

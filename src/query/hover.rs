//! Hover, definition and references: what neon-lsp knows about the variable under the cursor.

use crate::analysis::{Context, FileData, FileId, Options};
use crate::catalogue::Target;
use crate::text::TextRange;
use crate::workspace::Workspace;

/// What neon-lsp knows about one variable: for hover, go to definition and references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableInfo {
    pub name: String,
    /// The range of the name under the cursor.
    pub range: TextRange,
    /// Markdown: what Service Connector sets it to for this connection, and its format.
    pub description: String,
    /// Where .env files in scope define it: (path, key range, value with secrets masked).
    pub definitions: Vec<(String, TextRange, String)>,
    /// Every code reference to it: (path, name range).
    pub readers: Vec<(String, TextRange)>,
}

/// The variable at `offset` in `path` (a read in code or a key in a .env file), if any.
pub fn variable_at(
    workspace: &Workspace,
    options: &Options,
    path: &str,
    offset: usize,
) -> Option<VariableInfo> {
    let context = Context::lenient(workspace, options);
    let (file_id, file) = context
        .files
        .iter()
        .enumerate()
        .find(|(_, f)| f.path == path)?;
    let (name, range, connection) = match &file.data {
        FileData::Source { refs, .. } => {
            let reference = refs
                .iter()
                .find(|r| r.range.start <= offset && offset <= r.range.end)?;
            (
                reference.name.clone(),
                reference.range,
                reference.connection.map(|id| context.connection(id)),
            )
        }
        FileData::Env(env) => {
            let entry = env
                .entries
                .iter()
                .find(|e| e.key_range.start <= offset && offset <= e.key_range.end)?;
            (
                entry.key.clone(),
                entry.key_range,
                context.connection_for_env_key(file_id, &entry.key),
            )
        }
        FileData::Other => return None,
    };
    let mut description = format!("**{name}**\n\n");
    match connection.and_then(|c| c.variable(&name).map(|v| (c, v))) {
        Some((connection, variable)) => {
            description.push_str(&format!(
                "Set by Azure Service Connector for {} ({}{}).\n\nFormat: {}\n\nDocumented example: `{}` (source {})",
                connection.target.display_name(),
                connection.client_description(),
                if connection.target == Target::AzurePostgresql { format!("; {}", connection.auth_description()) } else { String::new() },
                variable.entry.format.describe(),
                variable.entry.example,
                variable.entry.source
            ));
        }
        None => match connection {
            Some(connection) => description.push_str(&format!(
                "Not set by Service Connector for this connection ({}).",
                connection.client_description()
            )),
            None => description.push_str("Not a Service Connector variable."),
        },
    }
    if let Some(note) = connection.and_then(|c| c.rename_note(&name)) {
        description.push_str(&format!("\n\n{note}."));
    }
    let env_scope: Vec<FileId> = connection.map(|c| c.env_files.clone()).unwrap_or_default();
    let mut definitions = Vec::new();
    for (id, env_file, env) in context.env_files() {
        if !env_scope.is_empty() && !env_scope.contains(&id) {
            continue;
        }
        for entry in env.entries.iter().filter(|e| e.key == name) {
            let shown = masked_value(&entry.key, &entry.value);
            definitions.push((env_file.path.to_string(), entry.key_range, shown));
        }
    }
    let readers = context
        .references()
        .filter(|(_, _, r)| r.name == name)
        .map(|(_, f, r)| (f.path.to_string(), r.range))
        .collect();
    Some(VariableInfo {
        name,
        range,
        description,
        definitions,
        readers,
    })
}

/// A .env value fit to show: masked as every output masks it ([`crate::secrets`]).
pub fn masked_value(key: &str, value: &str) -> String {
    crate::secrets::masked_env_value(key, value)
}

/// Where `text` (the file at `path`) holds or may hold secrets, for outputs that quote it.
pub fn secret_ranges(path: &str, text: &str) -> Vec<TextRange> {
    crate::secrets::secret_ranges(path, text)
}

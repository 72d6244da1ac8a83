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
    /// What Service Connector sets it to for this connection, and its format.
    pub about: About,
    /// How `customizedKeys` renames it, when it does: "DB_HOST is AZURE_POSTGRESQL_HOST renamed
    /// by customizedKeys of infra/main.bicep:55".
    pub rename: Option<String>,
    /// Where .env files in scope define it: (path, key range, value with secrets masked).
    pub definitions: Vec<(String, TextRange, String)>,
    /// Every code reference to it: (path, name range).
    pub readers: Vec<(String, TextRange)>,
}

/// What the catalogue says about a variable for the connection it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    /// Service Connector sets it for this connection.
    Set {
        target: Target,
        /// "client type nodejs, from package.json", with "; auth …" for Azure PostgreSQL.
        connection: String,
        /// The value's format ("libpq key-value connection string (…)").
        format: &'static str,
        /// The documented example value.
        example: &'static str,
        /// Its tag in service-connector.md.
        source: &'static str,
    },
    /// It looks like a Service Connector name, but this connection does not get it.
    NotSetFor {
        /// "client type nodejs, from package.json"
        connection: String,
    },
    /// No connection claims it.
    NotServiceConnector,
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
    let about = match connection.and_then(|c| c.variable(&name).map(|v| (c, v))) {
        Some((connection, variable)) => About::Set {
            target: connection.target,
            connection: connection.description(),
            format: variable.entry.format.describe(),
            example: variable.entry.example,
            source: variable.entry.source,
        },
        None => match connection {
            Some(connection) => About::NotSetFor {
                connection: connection.client_description(),
            },
            None => About::NotServiceConnector,
        },
    };
    let rename = connection.and_then(|c| c.rename_note(&name));
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
        about,
        rename,
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

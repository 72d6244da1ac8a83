//! Completion: the variable names to offer where code reads the environment.

use crate::analysis::{Connection, Context, Options, manifests, parent_dir};
use crate::catalogue::Target;
use crate::workspace::{FileKind, Workspace, classify};

/// A variable name to offer where code reads the environment (or a key starts in a .env file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub name: String,
    /// One line: what it holds for the connection.
    pub detail: String,
    /// Markdown: format and documented example.
    pub documentation: String,
}

/// Text right before the cursor that means "an environment variable name goes here".
static ENV_ACCESS: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(concat!(
        r#"(?:process\.env\.|process\.env\[\s*["'`]|import\.meta\.env\.|Bun\.env\.|Deno\.env\.get\(\s*["']"#,
        r#"|os\.environ\[\s*["']|os\.environ\.get\(\s*["']|os\.getenv\(\s*["']|\bgetenv\(\s*["']"#,
        r#"|os\.Getenv\(\s*"|os\.LookupEnv\(\s*"|GetEnvironmentVariable\(\s*"|System\.getenv\(\s*""#,
        r#"|\$_ENV\[\s*["']|\$_SERVER\[\s*["']|\benv\(\s*["']|\bENV\[\s*["']|ENV\.fetch\(\s*["']"#,
        r#"|\$\{|\$)[A-Za-z0-9_]*$"#
    ))
    .ok()
});

/// Completions at `offset` in `path`: the variables Service Connector sets for the connections
/// that cover the file, inside env-access expressions of every scanned language and at the
/// start of a key in .env files. Empty elsewhere.
pub fn completions_at(
    workspace: &Workspace,
    options: &Options,
    path: &str,
    offset: usize,
) -> Vec<Completion> {
    let Some(file) = workspace.files.iter().find(|f| f.path == path) else {
        return Vec::new();
    };
    let Some(prefix) = file.text.get(..offset) else {
        return Vec::new();
    };
    let line = prefix.rsplit('\n').next().unwrap_or(prefix);
    let kind = classify(path);
    let in_context = match kind {
        Some(FileKind::DotEnv) => line
            .trim_start_matches("export ")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        Some(FileKind::Source(_)) => ENV_ACCESS.as_ref().is_some_and(|re| re.is_match(line)),
        _ => false,
    };
    if !in_context {
        return Vec::new();
    }
    let context = Context::lenient(workspace, options);
    let dir = parent_dir(path);
    let mut connections: Vec<Connection> = context
        .connections
        .iter()
        .filter(|c| {
            c.client_type.is_some()
                && (c.covers_dir(dir)
                    || c.env_files.iter().any(|id| context.file(*id).path == path))
        })
        .cloned()
        .collect();
    if connections.is_empty() {
        // Nothing read yet: offer the Neon set for the client type the file would get.
        let manifests = manifests(workspace);
        let language = match kind {
            Some(FileKind::Source(language)) => Some(language),
            _ => None,
        };
        let (key, client) = context.connection_key(Target::Neon, None, dir, language, &manifests);
        connections.push(context.make_connection(&key, client));
    }
    let mut out: Vec<Completion> = Vec::new();
    for connection in &connections {
        for variable in connection.env_variables() {
            if out.iter().any(|c| c.name == variable.name) {
                continue;
            }
            let field = variable
                .field()
                .map(|f| f.description())
                .unwrap_or("setting");
            let mut documentation = format!(
                "Set by Azure Service Connector.\n\nFormat: {}\n\nDocumented example: `{}` (source {})",
                variable.entry.format.describe(),
                variable.entry.example,
                variable.entry.source
            );
            if let Some(note) = connection.rename_note(&variable.name) {
                documentation.push_str(&format!("\n\n{note}."));
            }
            out.push(Completion {
                name: variable.name.clone(),
                detail: format!(
                    "{} — {} ({})",
                    field,
                    connection.target.display_name(),
                    connection.client_description()
                ),
                documentation,
            });
        }
    }
    out
}

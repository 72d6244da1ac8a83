//! The connection description: which connections apply to a file, and which one a pull is for.

use crate::analysis::{
    Connection, ConnectionId, Context, FileData, Options, manifests, parent_dir,
};
use crate::catalogue::{AuthType, ClientType, Target};
use crate::declared::{self, Kind as DeclaredKind};
use crate::workspace::Workspace;

/// A connection as editors show it (status bar, `neon-lsp.describeConnection`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSummary {
    pub target: Target,
    /// `None` for the first connection; upper-case name for `NEON_POSTGRESQL_<NAME>_…`.
    pub name: Option<String>,
    pub client_type: Option<ClientType>,
    pub auth: AuthType,
    /// "client type nodejs, from package.json; auth secret, by default"
    pub reason: String,
    /// The .env files in scope, nearest first (workspace-relative).
    pub env_files: Vec<String>,
    /// `customizedKeys` of the linker that applies (deployed, else declared in IaC): Service
    /// Connector's name, the app's name. What snippets must read instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customized_keys: Vec<(String, String)>,
    /// Linkers of this target the infrastructure declares for an app neon-lsp cannot tell
    /// (a scope through a parameter without a default, …): "infra/main.json:40 declares a
    /// linker for an app neon-lsp cannot tell; it applies nowhere". Unknown, not wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unscoped_declarations: Vec<String>,
}

/// The connections that apply to `path`: those its code reads, those a .env file belongs to, or
/// else those whose folders cover the file. Empty when the workspace has no connection.
pub fn connections_at(
    workspace: &Workspace,
    options: &Options,
    path: &str,
) -> Vec<ConnectionSummary> {
    let context = Context::lenient(workspace, options);
    let file = context
        .files
        .iter()
        .enumerate()
        .find(|(_, f)| f.path == path);
    let mut ids: Vec<ConnectionId> = match file.map(|(id, f)| (id, &f.data)) {
        Some((_, FileData::Source { refs, .. })) => {
            refs.iter().filter_map(|r| r.connection).collect()
        }
        Some((id, FileData::Env(_))) => context
            .connections_of_env_file(id)
            .map(|(c, _)| c)
            .collect(),
        _ => Vec::new(),
    };
    if ids.is_empty() {
        let dir = parent_dir(path);
        ids = (0..context.connections.len())
            .filter(|id| context.connection(*id).covers_dir(dir))
            .collect();
    }
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| summarise(&context, context.connection(id)))
        .collect()
}

/// The Neon connection a pull into the .env file `path` is for. Of the connections that apply
/// ([`connections_at`]): the one named `name` when given, else the only one, else the unnamed
/// one. When none applies yet (no code reads the variables), the connection the folder would
/// get — configured in neon-lsp.toml, else inferred from the nearest manifest — as completion
/// offers it. `None` when nothing says.
pub fn neon_connection_for_pull(
    workspace: &Workspace,
    options: &Options,
    path: &str,
    name: Option<&str>,
) -> Option<ConnectionSummary> {
    let wanted = name.map(crate::catalogue::normalise_connection_name);
    let mut neon: Vec<ConnectionSummary> = connections_at(workspace, options, path)
        .into_iter()
        .filter(|connection| connection.target == Target::Neon)
        .collect();
    if !neon.is_empty() {
        return match &wanted {
            Some(wanted) => neon
                .into_iter()
                .find(|connection| connection.name.as_ref() == Some(wanted)),
            None if neon.len() == 1 => neon.pop(),
            None => neon
                .into_iter()
                .find(|connection| connection.name.is_none()),
        };
    }
    let context = Context::lenient(workspace, options);
    let manifests = manifests(workspace);
    let (key, client) =
        context.connection_key(Target::Neon, wanted, parent_dir(path), None, &manifests);
    client.as_ref()?;
    Some(summarise(&context, &context.make_connection(&key, client)))
}

/// A connection as editors and `pull` show it.
pub(crate) fn summarise(context: &Context, connection: &Connection) -> ConnectionSummary {
    let reason = connection.description();
    ConnectionSummary {
        target: connection.target,
        name: connection.name.clone(),
        client_type: connection.client_type.as_ref().map(|c| c.value),
        auth: connection.auth.value,
        reason,
        env_files: connection
            .env_files
            .iter()
            .map(|id| context.file(*id).path.to_string())
            .collect(),
        customized_keys: connection.renames().to_vec(),
        unscoped_declarations: context
            .declarations
            .iter()
            .filter(|d| {
                d.kind == DeclaredKind::Linker
                    && d.scope == declared::AppScope::Unknown
                    && d.target
                        .as_ref()
                        .is_none_or(|t| t.value == connection.target)
            })
            .map(|d| {
                format!(
                    "{} declares a linker for an app neon-lsp cannot tell{}; it applies nowhere",
                    d.at,
                    d.app
                        .as_deref()
                        .map(|app| format!(" (\"{app}\")"))
                        .unwrap_or_default()
                )
            })
            .collect(),
    }
}

//! The [`Context`] the rules read: every file parsed, every reference classified, the
//! connections built (`resolve.rs` decides which connection a read belongs to).

use super::resolve::{ConnectionKey, expected_variables, infer_client};
use super::{
    Connection, ConnectionId, File, FileData, FileId, NameStatus, Options, Reference, manifests,
    parent_dir, parse_files,
};
use crate::catalogue::{self, ClientType, Field, Target};
use crate::config::{self, Config, RuleLevel};
use crate::declared::{self, Declaration};
use crate::diagnostic::Diagnostic;
use crate::dotenv::EnvFile;
use crate::infer::{self, Reason, Resolved};
use crate::scan::{Language, Scan};
use crate::workspace::{CONFIG_FILE_NAME, Workspace};
use std::collections::BTreeMap;

/// Everything the rules read.
pub struct Context<'a> {
    pub files: Vec<File<'a>>,
    pub connections: Vec<Connection>,
    /// Connections and app settings the infrastructure code declares (`crate::declared`).
    pub declarations: Vec<Declaration>,
    /// For each folder holding a workspace file, the declarations whose app folder covers it.
    pub(super) declarations_by_dir: std::collections::HashMap<String, Vec<usize>>,
    pub config: Config,
    pub options: Options,
}

impl<'a> Context<'a> {
    /// A context for editor queries (hover, completion): a broken config is reported by the
    /// diagnostics, so queries go on with the defaults instead of failing.
    pub(crate) fn lenient(workspace: &'a Workspace, options: &Options) -> Self {
        let config = workspace
            .files
            .iter()
            .find(|f| f.path == CONFIG_FILE_NAME)
            .and_then(|file| config::parse(&file.path, &file.text).ok())
            .unwrap_or_default();
        Self::build(workspace, config, options, None)
    }

    pub(crate) fn build(
        workspace: &'a Workspace,
        config: Config,
        options: &Options,
        cache: Option<&mut super::ScanCache>,
    ) -> Self {
        let inputs: Vec<declared::Input> = workspace
            .files
            .iter()
            .map(|f| declared::Input {
                path: &f.path,
                text: &f.text,
            })
            .collect();
        // The declarations and the files' scans do not depend on each other: in a big
        // workspace both are read at once, so that one's serial stretches (Bicep module trees,
        // Terraform folders, the last files of a batch) overlap the other's work. A small one
        // (an editor's few files) is read in turn: a thread would cost more than it saves.
        const OVERLAP_FROM_FILES: usize = 64;
        let (mut files, declarations): (Vec<File<'a>>, Vec<Declaration>) =
            if workspace.files.len() < OVERLAP_FROM_FILES {
                (
                    parse_files(&workspace.files, cache),
                    declared::read(&inputs),
                )
            } else {
                std::thread::scope(|scope| {
                    let declared = scope.spawn(|| declared::read(&inputs));
                    let files = parse_files(&workspace.files, cache);
                    match declared.join() {
                        Ok(declarations) => (files, declarations),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                })
            };
        let manifests = manifests(workspace);
        let mut context = Context {
            files: Vec::new(),
            connections: Vec::new(),
            declarations,
            declarations_by_dir: Default::default(),
            config,
            options: options.clone(),
        };
        if !context.declarations.is_empty() {
            // By app folder first, so that a folder's covering declarations are those of its
            // ancestors: linear in folders × depth, not folders × declarations.
            let mut by_folder: std::collections::HashMap<&str, Vec<usize>> =
                std::collections::HashMap::new();
            for (i, declaration) in context.declarations.iter().enumerate() {
                if let declared::AppScope::Folder(folder) = &declaration.scope {
                    by_folder.entry(folder.as_str()).or_default().push(i);
                }
            }
            for file in &files {
                if !context.declarations_by_dir.contains_key(file.dir) {
                    let mut covering: Vec<usize> = declared::ancestors(file.dir)
                        .filter_map(|folder| by_folder.get(folder))
                        .flatten()
                        .copied()
                        .collect();
                    covering.sort_unstable();
                    context
                        .declarations_by_dir
                        .insert(file.dir.to_string(), covering);
                }
            }
        }
        let mut keys: BTreeMap<ConnectionKey, ConnectionId> = BTreeMap::new();
        // Connections in the order their ids were handed out, with the inferred client type.
        let mut pending: Vec<(ConnectionKey, Option<Resolved<ClientType>>)> = Vec::new();

        // Code references first: they decide which connections exist.
        for file in &mut files {
            let FileData::Source {
                language,
                scan,
                refs,
                ..
            } = &mut file.data
            else {
                continue;
            };
            for (index, env_ref) in scan.env_refs.iter().enumerate() {
                let name = env_ref.name.as_str();
                // A name renamed by `customizedKeys` stands for Service Connector's own.
                let parsed = catalogue::parse_name(context.original_name(name, file.dir));
                let target = match &parsed {
                    Some(parsed) => Some(parsed.target),
                    None if catalogue::looks_like_service_connector_name(name) => {
                        Some(target_from_near_miss(name))
                    }
                    None => None,
                };
                let Some(target) = target else { continue };
                let connection_name = parsed.as_ref().and_then(|p| p.connection.clone());
                let (key, client) = context.connection_key(
                    target,
                    connection_name,
                    file.dir,
                    Some(*language),
                    &manifests,
                );
                let id = *keys.entry(key.clone()).or_insert_with(|| {
                    pending.push((key.clone(), client.clone()));
                    pending.len() - 1
                });
                refs.push(Reference {
                    index,
                    name: name.to_string(),
                    range: env_ref.name_range,
                    parsed,
                    connection: Some(id),
                    status: NameStatus::Valid,
                });
            }
        }
        // .env files: entries join the connections whose scope holds them; the rest form
        // connections of their own (a .env file nobody reads is still checked).
        let mut env_only: Vec<(FileId, Target, Option<String>)> = Vec::new();
        for (file_id, file) in files.iter().enumerate() {
            let FileData::Env(env) = &file.data else {
                continue;
            };
            for entry in &env.entries {
                if let Some(parsed) = catalogue::parse_name(&entry.key) {
                    env_only.push((file_id, parsed.target, parsed.connection));
                }
            }
        }
        let mut connections: Vec<Connection> = pending
            .iter()
            .map(|(key, client)| context.make_connection(key, client.clone()))
            .collect();

        for (file_id, target, name) in env_only {
            let file = &files[file_id];
            let covered = connections.iter().any(|c| {
                c.target == target && c.name == name && c.env_file_in_scope(file.path, file.dir)
            });
            if covered {
                continue;
            }
            let (key, client) = context.connection_key(target, name, file.dir, None, &manifests);
            if keys.contains_key(&key) {
                continue;
            }
            let mut connection = context.make_connection(&key, client);
            // An env-only connection covers the folder of its .env file.
            if key.config_index.is_none() {
                connection.scopes = vec![file.dir.to_string()];
            }
            keys.insert(key, connections.len());
            connections.push(connection);
        }

        // Env files in scope, nearest first. (Each connection looks at the .env files only and
        // the reads below are gathered in one pass over the files: a thousand apps' connections
        // times every file of the tree was the serial tail of a big workspace's analysis.)
        let env_ids: Vec<FileId> = files
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.data, FileData::Env(_)))
            .map(|(id, _)| id)
            .collect();
        for connection in &mut connections {
            let mut in_scope: Vec<FileId> = env_ids
                .iter()
                .copied()
                .filter(|id| connection.env_file_in_scope(files[*id].path, files[*id].dir))
                .collect();
            in_scope.sort_by_key(|id| std::cmp::Reverse(files[*id].dir.len()));
            connection.env_files = in_scope;
        }

        // Auth inference needs every reference of the connection: each connection's reads (in
        // file order) and the first file among its readers that requests a token.
        let mut reads: Vec<Vec<(Field, String)>> = vec![Vec::new(); connections.len()];
        let mut token_files: Vec<Option<&str>> = vec![None; connections.len()];
        // Helpers that read no connection variable but request the PostgreSQL token.
        let mut token_helpers: Vec<&str> = Vec::new();
        for file in &files {
            let FileData::Source { scan, refs, .. } = &file.data else {
                continue;
            };
            for reference in refs {
                let Some(id) = reference.connection else {
                    continue;
                };
                if let Some(parsed) = &reference.parsed
                    && let Some(reads) = reads.get_mut(id)
                {
                    reads.push((parsed.field, reference.name.clone()));
                }
                if !scan.token_scopes.is_empty()
                    && let Some(token_file) = token_files.get_mut(id)
                    && token_file.is_none()
                {
                    *token_file = Some(file.path);
                }
            }
            if refs.iter().all(|r| r.connection.is_none())
                && scan
                    .token_scopes
                    .iter()
                    .any(|scope| scope.value.starts_with(catalogue::TOKEN_RESOURCE))
            {
                token_helpers.push(file.path);
            }
        }
        for (id, connection) in connections.iter_mut().enumerate() {
            if connection.target == Target::Neon || connection.auth.reason != Reason::Default {
                continue;
            }
            let mut fields = std::mem::take(&mut reads[id]);
            let mut token_file = token_files[id];
            if token_file.is_none() {
                // A helper that reads no connection variable but requests the PostgreSQL token
                // (a Django database backend, a token module) speaks for the connection it sits in.
                token_file = token_helpers
                    .iter()
                    .copied()
                    .find(|path| connection.covers_dir(parent_dir(path)));
            }
            if fields.is_empty() {
                // Only .env files: their keys say the same.
                for env_id in &connection.env_files {
                    if let FileData::Env(env) = &files[*env_id].data {
                        for entry in &env.entries {
                            if let Some(parsed) = catalogue::parse_name(&entry.key)
                                && parsed.target == connection.target
                                && parsed.connection == connection.name
                            {
                                fields.push((parsed.field, entry.key.clone()));
                            }
                        }
                    }
                }
            }
            connection.auth = infer::auth_from_fields(&fields, token_file);
            connection.variables = expected_variables(connection);
        }

        // Classify every reference against its connection.
        let configured_names: Vec<(Target, String)> = context
            .config
            .connections
            .iter()
            .filter_map(|c| Some((c.target?, c.name.clone()?)))
            .collect();
        let has_config = !context.config.connections.is_empty();
        for file in &mut files {
            let FileData::Source { language, refs, .. } = &mut file.data else {
                continue;
            };
            for reference in refs.iter_mut() {
                let connection = reference.connection.and_then(|id| connections.get(id));
                reference.status = if context.set_by_app_settings(&reference.name, file.dir) {
                    // The app chose the name and sets it itself.
                    NameStatus::Valid
                } else {
                    classify_name(
                        reference,
                        connection,
                        infer::is_pass_through(*language),
                        has_config,
                        &configured_names,
                    )
                };
            }
        }
        // What the code would imply without the declaration, for the declared-* rules: the first
        // non-pass-through file reading each declared connection (one pass over the files).
        for file in &files {
            let FileData::Source { language, refs, .. } = &file.data else {
                continue;
            };
            if infer::is_pass_through(*language) {
                continue;
            }
            for id in refs.iter().filter_map(|r| r.connection) {
                let connection = &mut connections[id];
                if connection.declaration.is_some() && connection.code_client.is_none() {
                    connection.code_client =
                        infer_client(file.dir, Some(*language), &manifests).map(|(c, _)| c);
                }
            }
        }
        context.files = files;
        context.connections = connections;
        context
    }

    /// Which connection a variable of `target`/`name` read from folder `dir` belongs to.
    /// Applies the configured severity to a finding; `false` when its rule is off or a
    /// suppression comment covers it.
    pub(super) fn keeps(&self, diagnostic: &mut Diagnostic) -> bool {
        let level = self
            .options
            .rules
            .get(&diagnostic.rule)
            .or_else(|| self.config.rules.get(&diagnostic.rule));
        match level {
            Some(RuleLevel::Off) => return false,
            Some(RuleLevel::Severity(severity)) => diagnostic.severity = *severity,
            None => {}
        }
        let Some(file) = self.files.iter().find(|f| f.path == diagnostic.path) else {
            return false;
        };
        let line = file.line_index.line_of(diagnostic.range.start);
        !file
            .suppressions
            .iter()
            .any(|s| s.covers(diagnostic.rule, line))
    }

    /// Sorts the kept findings (`keeps` has filtered them) and drops repeats.
    pub(super) fn finish(&self, mut kept: Vec<Diagnostic>) -> Vec<Diagnostic> {
        kept.sort_by(|a, b| {
            (&a.path, a.range.start, a.rule).cmp(&(&b.path, b.range.start, b.rule))
        });
        kept.dedup_by(|a, b| a.path == b.path && a.range == b.range && a.rule == b.rule);
        kept
    }

    /// The client type the nearest manifest at or above `dir` implies, whatever the reading
    /// file's language: a Spring Boot pom.xml or build.gradle for the application.yml /
    /// application.properties under it, which reads no variable and so opens no connection.
    pub(crate) fn manifest_client_type(&self, dir: &str) -> Option<crate::catalogue::ClientType> {
        self.files
            .iter()
            .filter_map(|file| match crate::workspace::classify(file.path) {
                Some(crate::workspace::FileKind::Manifest(manifest)) => {
                    let folder = parent_dir(file.path);
                    super::is_within(dir, folder).then(|| {
                        (
                            folder.len(),
                            infer::client_type_from_manifest(manifest, file.text),
                        )
                    })
                }
                _ => None,
            })
            .max_by_key(|(depth, _)| *depth)
            .map(|(_, client)| client)
    }

    pub fn file(&self, id: FileId) -> &File<'a> {
        &self.files[id]
    }

    pub fn connection(&self, id: ConnectionId) -> &Connection {
        &self.connections[id]
    }

    /// Connections a .env file belongs to.
    pub fn connections_of_env_file(
        &self,
        file_id: FileId,
    ) -> impl Iterator<Item = (ConnectionId, &Connection)> {
        self.connections
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.env_files.contains(&file_id))
    }

    /// The connection a .env key belongs to (matching target and connection name).
    /// A key `customizedKeys` renamed (`DB_HOST`) belongs to the connection that sets it.
    pub fn connection_for_env_key(&self, file_id: FileId, key: &str) -> Option<&Connection> {
        if let Some((_, renamed)) = self
            .connections_of_env_file(file_id)
            .find(|(_, c)| c.original_name(key).is_some() && c.variable(key).is_some())
        {
            return Some(renamed);
        }
        let parsed = catalogue::parse_name(key)?;
        self.connections_of_env_file(file_id)
            .map(|(_, c)| c)
            .find(|c| c.target == parsed.target && c.name == parsed.connection)
    }

    /// Every code reference, with its file.
    pub fn references(&self) -> impl Iterator<Item = (FileId, &File<'a>, &Reference)> {
        self.files.iter().enumerate().flat_map(|(id, file)| {
            let refs: &[Reference] = match &file.data {
                FileData::Source { refs, .. } => refs,
                _ => &[],
            };
            refs.iter().map(move |r| (id, file, r))
        })
    }

    /// Every .env file, with its id and parse.
    pub fn env_files(&self) -> impl Iterator<Item = (FileId, &File<'a>, &EnvFile)> {
        self.files
            .iter()
            .enumerate()
            .filter_map(|(id, file)| match &file.data {
                FileData::Env(env) => Some((id, file, env)),
                _ => None,
            })
    }

    /// Every source file, with its scan and references.
    pub fn sources(
        &self,
    ) -> impl Iterator<Item = (FileId, &File<'a>, Language, &Scan, &[Reference])> {
        self.files
            .iter()
            .enumerate()
            .filter_map(|(id, file)| match &file.data {
                FileData::Source {
                    language,
                    scan,
                    refs,
                    ..
                } => Some((id, file, *language, &**scan, refs.as_slice())),
                _ => None,
            })
    }
}

fn classify_name(
    reference: &Reference,
    connection: Option<&Connection>,
    pass_through: bool,
    has_config: bool,
    configured_names: &[(Target, String)],
) -> NameStatus {
    let Some(parsed) = &reference.parsed else {
        return NameStatus::Unknown;
    };
    // Neon never sets the identity variables (secret auth only, A1).
    if parsed.target == Target::Neon
        && matches!(
            parsed.field,
            Field::ClientId | Field::ClientSecret | Field::TenantId
        )
    {
        return NameStatus::Unknown;
    }
    if let Some(name) = &parsed.connection
        && has_config
        && !configured_names
            .iter()
            .any(|(t, n)| *t == parsed.target && n == name)
    {
        return NameStatus::Unknown;
    }
    match connection {
        Some(connection) if !pass_through && connection.client_type.is_some() => {
            if connection.variable(&reference.name).is_some() {
                NameStatus::Valid
            } else {
                NameStatus::WrongClientType
            }
        }
        _ => NameStatus::Valid,
    }
}

/// `NEON_POSTGRES_HOST` → Neon; `AZURE_PG_HOST` → Azure.
fn target_from_near_miss(name: &str) -> Target {
    if name.to_ascii_uppercase().starts_with("AZURE") {
        Target::AzurePostgresql
    } else {
        Target::Neon
    }
}

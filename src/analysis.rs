//! The analysis: files → parsed facts → connections → rules → diagnostics.
//!
//! `analyse` is the one entry point the CLI and the language server share. It is pure and
//! synchronous: it reads only the `Workspace` it is given. This module builds the
//! [`Context`] the rules read (parsed .env files, scans, resolved connections); the rules
//! themselves live in `crate::rules`, one file each.

use crate::catalogue::{self, AuthType, ClientType, Field, ParsedName, Target, Variable};
use crate::config::{self, Config, ConfigError, RuleLevel, Suppression};
use crate::declared::{self, Declaration, Kind as DeclaredKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::dotenv::{self, EnvFile};
use crate::infer::{self, Reason, Resolved};
use crate::rules;
use crate::scan::{self, Language, Scan};
use crate::text::{LineIndex, TextRange};
use crate::workspace::{CONFIG_FILE_NAME, FileKind, GitState, Workspace, classify};
use std::collections::BTreeMap;

/// Settings that override configuration for one run (command-line flags, editor settings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub target: Option<Target>,
    pub client_type: Option<ClientType>,
    pub auth: Option<AuthType>,
    /// .env file names or relative paths for every connection (editor setting `envFiles`);
    /// `None` = what neon-lsp.toml says, else the defaults.
    pub env_files: Option<Vec<String>>,
    /// Rule levels that win over neon-lsp.toml's `[rules]` (editor setting `rules`).
    pub rules: BTreeMap<crate::rules::Rule, crate::config::RuleLevel>,
    /// Who set `client_type` and `auth`, so messages say where a value came from.
    pub source: OptionsSource,
    /// What Azure has deployed (`check --azure`), read by the caller before the analysis.
    pub deployed: Vec<crate::deployed::DeployedApp>,
}

/// Where [`Options`] came from: the command line's flags or an editor's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OptionsSource {
    #[default]
    CommandLine,
    EditorSettings,
}

impl OptionsSource {
    /// The reason given for a value these options set.
    pub fn reason(self) -> Reason {
        match self {
            OptionsSource::CommandLine => Reason::CommandLine,
            OptionsSource::EditorSettings => Reason::EditorSettings,
        }
    }
}

/// Analyses a workspace. A broken `neon-lsp.toml` is an error (the CLI exits 2, the LSP
/// reports it on the file); everything else becomes diagnostics.
pub fn analyse(workspace: &Workspace, options: &Options) -> Result<Vec<Diagnostic>, ConfigError> {
    let config = match workspace.files.iter().find(|f| f.path == CONFIG_FILE_NAME) {
        Some(file) => config::parse(&file.path, &file.text)?,
        None => Config::default(),
    };
    if let (Some(target), Some(auth)) = (options.target, options.auth)
        && !target.auth_types().contains(&auth)
    {
        return Err(ConfigError {
            path: String::new(),
            range: TextRange::default(),
            message: catalogue::UnsupportedCombination { target, auth }.to_string(),
        });
    }
    let context = Context::build(workspace, config, options);
    let keep = |diagnostic: &mut Diagnostic| context.keeps(diagnostic);
    let mut collector = rules::collect::Collector::new(&keep);
    rules::run_all(&context, &mut collector);
    Ok(context.finish(collector.finish()))
}

pub type FileId = usize;
pub type ConnectionId = usize;

/// One workspace file with what the analysis parsed from it.
pub struct File<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// The folder holding the file, workspace-relative, `""` for the root.
    pub dir: &'a str,
    pub git: GitState,
    pub lossy: bool,
    pub line_index: LineIndex,
    pub data: FileData,
    pub suppressions: Vec<Suppression>,
}

pub enum FileData {
    Env(EnvFile),
    Source {
        language: Language,
        scan: Scan,
        refs: Vec<Reference>,
    },
    Other,
}

/// How a name read by code relates to the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameStatus {
    /// Set by Service Connector for this reference's connection.
    Valid,
    /// A real Service Connector name, not set for this connection's client type / auth type.
    WrongClientType,
    /// Looks like a Service Connector name, but Service Connector never sets it.
    Unknown,
}

/// A read of a Service Connector-looking variable in source code.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Index into the file's `scan.env_refs`.
    pub index: usize,
    pub name: String,
    pub range: TextRange,
    pub parsed: Option<ParsedName>,
    pub connection: Option<ConnectionId>,
    pub status: NameStatus,
}

/// A resolved connection: what Service Connector injects for it and which files it covers.
#[derive(Debug, Clone)]
pub struct Connection {
    pub target: Target,
    /// Upper-case connection name, for a second connection of the same target.
    pub name: Option<String>,
    pub client_type: Option<Resolved<ClientType>>,
    pub auth: Resolved<AuthType>,
    /// Folders the connection covers (workspace-relative, `""` = everything).
    pub scopes: Vec<String>,
    /// Which .env files belong to it (file names/globs or root-relative paths).
    pub env_file_patterns: Vec<String>,
    /// The .env files in scope, nearest first.
    pub env_files: Vec<FileId>,
    /// The variables Service Connector sets for it (empty when the client type is unknown).
    pub variables: Vec<Variable>,
    pub config_index: Option<usize>,
    /// The Service Connector connection the infrastructure declares for it, if one applies.
    pub declaration: Option<Declaration>,
    /// What the code alone implies (nearest manifest, else language), when a declaration set
    /// the client type: what `declared-client-type-mismatch` compares it with.
    pub code_client: Option<Resolved<ClientType>>,
    /// No linker applies, and infrastructure code sets these variables itself (app settings):
    /// their names are the app's own choice, so no client type is assumed.
    pub app_settings: Option<Declaration>,
    /// The deployed linker that applies (`check --azure`) and its app's name; it outranks the
    /// declaration.
    pub deployed: Option<(crate::deployed::DeployedLinker, String)>,
}

impl Connection {
    /// "client type nodejs, from services/api/package.json"
    pub fn client_description(&self) -> String {
        match (&self.client_type, &self.app_settings) {
            (Some(client), _) => format!("client type {}, {}", client.value, client.reason),
            (None, Some(settings)) => format!(
                "variables set directly as app settings in {}, no Service Connector connection",
                settings.at
            ),
            (None, None) => "client type unknown".to_string(),
        }
    }

    /// "auth user-identity, because the code reads AZURE_POSTGRESQL_CLIENTID"
    pub fn auth_description(&self) -> String {
        format!("auth {}, {}", self.auth.value, self.auth.reason)
    }

    /// Whether reading `name` is wrong only because the declared client type or auth type
    /// contradicts the code (`declared-client-type-mismatch` / `declared-auth-mismatch` report
    /// that mistake once, on the declaration): the name is set for the client type the code
    /// implies, or it is the password a passwordless declaration withholds.
    pub fn wrong_only_by_declaration(&self, name: &str) -> bool {
        let Some(declaration) = &self.declaration else {
            return false;
        };
        let declared_client = matches!(
            self.client_type.as_ref().map(|c| &c.reason),
            Some(Reason::Declared(_))
        );
        if declared_client
            && let (Some(client), Some(implied)) = (&self.client_type, &self.code_client)
            && client.value != implied.value
            && catalogue::variables(
                self.target,
                implied.value,
                self.auth.value,
                self.name.as_deref(),
            )
            .is_ok_and(|vars| vars.iter().any(|v| v.name == name))
        {
            return true;
        }
        matches!(self.auth.reason, Reason::Declared(_))
            && declaration.auth.is_some()
            && self.auth.value.is_passwordless()
            && catalogue::parse_name(name).is_some_and(|p| p.field == Field::Password)
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    /// The `customizedKeys` in effect, as (Service Connector's name, the name the app gets):
    /// the deployed linker's when one applies, else the declared linker's. `variables` already
    /// carries the renamed names; snippets and messages use this to say so.
    pub fn renames(&self) -> &[(String, String)] {
        if let Some((linker, _)) = &self.deployed {
            return &linker.customized_keys;
        }
        self.declaration
            .as_ref()
            .map_or(&[], |d| d.customized_keys.as_slice())
    }

    /// The environment variable the app reads for a catalogue field, after `customizedKeys`
    /// (`Field::Host` → `DB_HOST` when the linker renames `AZURE_POSTGRESQL_HOST`); `None` when
    /// Service Connector sets no variable for that field on this connection.
    pub fn env_name(&self, field: Field) -> Option<&str> {
        self.env_variables()
            .find(|v| v.field() == Some(field))
            .map(|v| v.name.as_str())
    }

    /// Service Connector's own name for a variable `customizedKeys` renamed (`DB_HOST` →
    /// `AZURE_POSTGRESQL_HOST`).
    pub fn original_name(&self, name: &str) -> Option<&str> {
        self.renames()
            .iter()
            .find(|(_, to)| to == name)
            .map(|(from, _)| from.as_str())
    }

    /// The name `customizedKeys` gives Service Connector's `default_name`, if it renames it.
    pub fn renamed_to(&self, default_name: &str) -> Option<&str> {
        self.renames()
            .iter()
            .find(|(from, _)| from == default_name)
            .map(|(_, to)| to.as_str())
    }

    /// Where the renames are written: "customizedKeys of infra/main.bicep:55" or "customizedKeys
    /// of the deployed connection pg of app-web".
    pub fn renames_source(&self) -> Option<String> {
        if self.renames().is_empty() {
            return None;
        }
        Some(match (&self.deployed, &self.declaration) {
            (Some((linker, app)), _) => format!(
                "customizedKeys of the deployed connection {} of {app}",
                linker.name
            ),
            (None, Some(declaration)) => format!("customizedKeys of {}", declaration.at),
            (None, None) => "customizedKeys".to_string(),
        })
    }

    /// "DB_HOST is AZURE_POSTGRESQL_HOST renamed by customizedKeys of infra/main.bicep:55", or
    /// "AZURE_POSTGRESQL_HOST is renamed to DB_HOST by …": `None` when no rename touches `name`.
    pub fn rename_note(&self, name: &str) -> Option<String> {
        let source = self.renames_source()?;
        if let Some(original) = self.original_name(name) {
            return Some(format!("{name} is {original} renamed by {source}"));
        }
        self.renamed_to(name)
            .map(|to| format!("{name} is renamed to {to} by {source}"))
    }

    pub fn env_variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter().filter(|v| v.field().is_some())
    }

    pub fn covers_dir(&self, dir: &str) -> bool {
        self.scopes.iter().any(|scope| is_within(dir, scope))
    }

    /// Whether an env file at `path` (in folder `dir`) belongs to this connection: its name
    /// matches the patterns and it sits in a scope folder, above one, or inside one.
    pub fn env_file_in_scope(&self, path: &str, dir: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        let name_matches = self.env_file_patterns.iter().any(|pattern| {
            if pattern.contains('/') {
                pattern == path
            } else {
                glob_matches(pattern, name)
            }
        });
        name_matches
            && self
                .scopes
                .iter()
                .any(|scope| is_within(dir, scope) || is_within(scope, dir))
    }
}

/// Default .env files of a connection (PRODUCT.md "Configuration").
pub const DEFAULT_ENV_FILES: &[&str] = &[".env", ".env.local", ".env.development", ".env.*.local"];

/// `dir` is `scope` or below it.
pub fn is_within(dir: &str, scope: &str) -> bool {
    scope.is_empty()
        || dir == scope
        || (dir.starts_with(scope) && dir.as_bytes().get(scope.len()) == Some(&b'/'))
}

/// `*` matches any run of characters; nothing else is special.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len()
                && name.starts_with(head)
                && glob_matches_tail(tail, &name[head.len()..])
        }
    }
}

fn glob_matches_tail(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return name.ends_with(pattern);
    }
    (0..=name.len())
        .filter(|i| name.is_char_boundary(*i))
        .any(|i| glob_matches(pattern, &name[i..]))
}

/// Everything the rules read.
pub struct Context<'a> {
    pub files: Vec<File<'a>>,
    pub connections: Vec<Connection>,
    /// Connections and app settings the infrastructure code declares (`crate::declared`).
    pub declarations: Vec<Declaration>,
    /// For each folder holding a workspace file, the declarations whose app folder covers it.
    declarations_by_dir: std::collections::HashMap<String, Vec<usize>>,
    pub config: Config,
    pub options: Options,
}

/// Where a connection of an inferred kind lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ConnectionKey {
    target: Target,
    name: Option<String>,
    config_index: Option<usize>,
    /// For inferred connections: the folder of the manifest that gave the client type.
    scope: String,
    client: Option<ClientType>,
    /// The declared linker (index into `Context::declarations`) that applies.
    declared: Option<usize>,
    /// The deployed linker (app, linker in `Options::deployed`) that applies.
    deployed: Option<(usize, usize)>,
    /// App settings that set the variables with no linker behind them.
    app_settings: Option<usize>,
}

impl<'a> Context<'a> {
    fn build(workspace: &'a Workspace, config: Config, options: &Options) -> Self {
        let mut files: Vec<File<'a>> = workspace.files.iter().map(parse_file).collect();
        let manifests = manifests(workspace);
        let inputs: Vec<declared::Input> = workspace
            .files
            .iter()
            .map(|f| declared::Input {
                path: &f.path,
                text: &f.text,
            })
            .collect();
        let mut context = Context {
            files: Vec::new(),
            connections: Vec::new(),
            declarations: declared::read(&inputs),
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

        // Env files in scope, nearest first.
        for connection in &mut connections {
            let mut in_scope: Vec<FileId> = files
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    matches!(f.data, FileData::Env(_))
                        && connection.env_file_in_scope(f.path, f.dir)
                })
                .map(|(id, _)| id)
                .collect();
            in_scope.sort_by_key(|id| std::cmp::Reverse(files[*id].dir.len()));
            connection.env_files = in_scope;
        }

        // Auth inference needs every reference of the connection.
        for (id, connection) in connections.iter_mut().enumerate() {
            if connection.target == Target::Neon || connection.auth.reason != Reason::Default {
                continue;
            }
            let mut fields: Vec<(Field, String)> = Vec::new();
            let mut token_file = None;
            for file in &files {
                if let FileData::Source { scan, refs, .. } = &file.data {
                    let mut mine = false;
                    for reference in refs.iter().filter(|r| r.connection == Some(id)) {
                        mine = true;
                        if let Some(parsed) = &reference.parsed {
                            fields.push((parsed.field, reference.name.clone()));
                        }
                    }
                    if mine && token_file.is_none() && !scan.token_scopes.is_empty() {
                        token_file = Some(file.path);
                    }
                }
            }
            if token_file.is_none() {
                // A helper that reads no connection variable but requests the PostgreSQL token
                // (a Django database backend, a token module) speaks for the connection it sits in.
                token_file = files
                    .iter()
                    .find(|file| match &file.data {
                        FileData::Source { scan, refs, .. } => {
                            refs.iter().all(|r| r.connection.is_none())
                                && scan
                                    .token_scopes
                                    .iter()
                                    .any(|scope| scope.value.starts_with(catalogue::TOKEN_RESOURCE))
                                && connection.covers_dir(parent_dir(file.path))
                        }
                        _ => false,
                    })
                    .map(|file| file.path);
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
    fn connection_key(
        &self,
        target: Target,
        name: Option<String>,
        dir: &str,
        language: Option<Language>,
        manifests: &[(&str, ClientType, String)],
    ) -> (ConnectionKey, Option<Resolved<ClientType>>) {
        let configured = self
            .config
            .connections
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.target.or(self.options.target).is_none_or(|t| t == target) && c.name == name
            })
            .filter_map(|(i, c)| {
                let depth = if c.paths.is_empty() {
                    Some(0)
                } else {
                    c.paths
                        .iter()
                        .filter(|p| is_within(dir, p) || is_within(p, dir))
                        .map(|p| p.len() + 1)
                        .max()
                };
                depth.map(|d| (i, d))
            })
            .max_by_key(|(_, depth)| *depth)
            .map(|(i, _)| i);
        let inferred = infer_client(dir, language, manifests);
        let scope = match (&configured, &inferred) {
            (Some(_), _) => String::new(),
            (None, Some((_, manifest_dir))) => manifest_dir.clone(),
            (None, None) => String::new(),
        };
        let declared = self.declared_linker(target, name.as_deref(), dir);
        let app_settings = match declared {
            Some(_) => None,
            None => self.declared_app_settings(target, dir),
        };
        let declared_client = declared
            .and_then(|d| self.declarations[d].client_type.as_ref())
            .map(|client| Resolved {
                value: client.value,
                reason: Reason::Declared(client.at.clone()),
            });
        let deployed = self.deployed_linker(target, name.as_deref(), dir);
        let deployed_client = deployed.and_then(|(a, l)| {
            let app = &self.options.deployed[a];
            let linker = &app.linkers[l];
            linker.client_type.map(|value| Resolved {
                value,
                reason: Reason::Deployed {
                    connection: linker.name.clone(),
                    app: app.resource.name.clone(),
                },
            })
        });
        let client = if let Some(client) = self.options.client_type {
            Some(Resolved {
                value: client,
                reason: self.options.source.reason(),
            })
        } else if let Some(client) = configured.and_then(|i| self.config.connections[i].client_type)
        {
            Some(Resolved {
                value: client,
                reason: Reason::Config,
            })
        } else if deployed_client.is_some() {
            deployed_client
        } else if declared_client.is_some() {
            declared_client
        } else if app_settings.is_some() {
            None
        } else {
            inferred.map(|(resolved, _)| resolved)
        };
        let key = ConnectionKey {
            target,
            name,
            config_index: configured,
            scope,
            client: client.as_ref().map(|c| c.value),
            declared,
            deployed,
            app_settings,
        };
        (key, client)
    }

    /// A connection as editors and `pull` show it.
    fn summarise(&self, connection: &Connection) -> ConnectionSummary {
        let reason = if connection.target == Target::AzurePostgresql {
            format!(
                "{}; {}",
                connection.client_description(),
                connection.auth_description()
            )
        } else {
            connection.client_description()
        };
        ConnectionSummary {
            target: connection.target,
            name: connection.name.clone(),
            client_type: connection.client_type.as_ref().map(|c| c.value),
            auth: connection.auth.value,
            reason,
            env_files: connection
                .env_files
                .iter()
                .map(|id| self.file(*id).path.to_string())
                .collect(),
            customized_keys: connection.renames().to_vec(),
            unscoped_declarations: self
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

    fn make_connection(
        &self,
        key: &ConnectionKey,
        client: Option<Resolved<ClientType>>,
    ) -> Connection {
        let table = key.config_index.map(|i| &self.config.connections[i]);
        let auth = if key.target == Target::Neon {
            Resolved {
                value: AuthType::Secret,
                reason: Reason::Default,
            }
        } else if let Some(auth) = self.options.auth {
            Resolved {
                value: auth,
                reason: self.options.source.reason(),
            }
        } else if let Some(auth) = table.and_then(|t| t.auth) {
            Resolved {
                value: auth,
                reason: Reason::Config,
            }
        } else if let Some((auth, reason)) = key.deployed.and_then(|(a, l)| {
            let app = &self.options.deployed[a];
            let linker = &app.linkers[l];
            linker
                .auth
                .filter(|auth| key.target.auth_types().contains(auth))
                .map(|auth| {
                    (
                        auth,
                        Reason::Deployed {
                            connection: linker.name.clone(),
                            app: app.resource.name.clone(),
                        },
                    )
                })
        }) {
            Resolved {
                value: auth,
                reason,
            }
        } else if let Some(auth) = key
            .declared
            .and_then(|d| self.declarations[d].auth.as_ref())
            .filter(|auth| key.target.auth_types().contains(&auth.value))
        {
            Resolved {
                value: auth.value,
                reason: Reason::Declared(auth.at.clone()),
            }
        } else {
            Resolved {
                value: AuthType::Secret,
                reason: Reason::Default,
            }
        };
        let scopes = match table {
            Some(table) if !table.paths.is_empty() => table.paths.clone(),
            Some(_) => vec![String::new()],
            None => vec![key.scope.clone()],
        };
        let env_file_patterns = self
            .options
            .env_files
            .clone()
            .or_else(|| table.and_then(|t| t.env_files.clone()))
            .unwrap_or_else(|| DEFAULT_ENV_FILES.iter().map(|s| s.to_string()).collect());
        let mut connection = Connection {
            target: key.target,
            name: key.name.clone(),
            client_type: client,
            auth,
            scopes,
            env_file_patterns,
            env_files: Vec::new(),
            variables: Vec::new(),
            config_index: key.config_index,
            declaration: key.declared.map(|d| self.declarations[d].clone()),
            code_client: None,
            app_settings: key.app_settings.map(|d| self.declarations[d].clone()),
            deployed: key.deployed.map(|(a, l)| {
                let app = &self.options.deployed[a];
                (app.linkers[l].clone(), app.resource.name.clone())
            }),
        };
        connection.variables = expected_variables(&connection);
        connection
    }

    /// The deployed linker for a connection of `target`/`name` read in `dir`: among the apps
    /// whose folder holds `dir` (the most specific first), the one linker of that target (or
    /// of an unknown target) and, for a named connection, of that name. `None` when none or
    /// several apply.
    fn deployed_linker(
        &self,
        target: Target,
        name: Option<&str>,
        dir: &str,
    ) -> Option<(usize, usize)> {
        let apps = &self.options.deployed;
        let deepest = apps
            .iter()
            .filter(|app| is_within(dir, &app.scope))
            .map(|app| app.scope.len())
            .max()?;
        let candidates: Vec<(usize, usize)> = apps
            .iter()
            .enumerate()
            .filter(|(_, app)| is_within(dir, &app.scope) && app.scope.len() == deepest)
            .flat_map(|(a, app)| {
                app.linkers
                    .iter()
                    .enumerate()
                    .filter(|(_, linker)| linker.target.is_none_or(|t| t == target))
                    .filter(|(_, linker)| {
                        name.is_none_or(|name| {
                            catalogue::normalise_connection_name(&linker.name) == name
                        })
                    })
                    .map(move |(l, _)| (a, l))
            })
            .collect();
        (candidates.len() == 1).then(|| candidates[0])
    }

    /// The declared linker for a connection of `target`/`name` read in `dir`: among the linkers
    /// whose app folder holds `dir` (the most specific folder first), the one of that target
    /// (or of an unknown target) and, for a named connection, of that name. `None` when none
    /// or several apply: ambiguity is not guessed away.
    fn declared_linker(&self, target: Target, name: Option<&str>, dir: &str) -> Option<usize> {
        let candidates: Vec<usize> = self
            .declarations_over(dir)
            .into_iter()
            .filter(|i| {
                let d = &self.declarations[*i];
                d.kind == DeclaredKind::Linker
                    && d.target.as_ref().is_none_or(|t| t.value == target)
            })
            .collect();
        let depth = |i: &usize| match &self.declarations[*i].scope {
            declared::AppScope::Folder(folder) => folder.len(),
            declared::AppScope::Unknown => 0,
        };
        let deepest = candidates.iter().map(depth).max()?;
        let mut candidates: Vec<usize> = candidates
            .into_iter()
            .filter(|i| depth(i) == deepest)
            .collect();
        if candidates.len() > 1 {
            // Prefer those that name the target over those that leave it unknown.
            let known: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|i| self.declarations[*i].target.is_some())
                .collect();
            if !known.is_empty() {
                candidates = known;
            }
        }
        if let Some(name) = name {
            let named: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|i| {
                    self.declarations[*i]
                        .name
                        .as_ref()
                        .is_some_and(|n| catalogue::normalise_connection_name(&n.value) == name)
                })
                .collect();
            return self.one_connection(&named);
        }
        self.one_connection(&candidates)
    }

    /// The one linker among `candidates`: the only one, or the first of several that declare
    /// the same connection alike (Bicep and a deploy script both creating it: same client
    /// type, auth, target and renames). `None` when they differ.
    fn one_connection(&self, candidates: &[usize]) -> Option<usize> {
        let (first, rest) = candidates.split_first()?;
        let key = |i: &usize| {
            let d = &self.declarations[*i];
            (
                d.client_type.as_ref().map(|c| c.value),
                d.auth.as_ref().map(|a| a.value),
                d.target.as_ref().map(|t| t.value),
                &d.customized_keys,
            )
        };
        rest.iter().all(|i| key(i) == key(first)).then_some(*first)
    }

    /// App settings in infrastructure code that set variables of `target` for the app in `dir`.
    fn declared_app_settings(&self, target: Target, dir: &str) -> Option<usize> {
        self.declarations_over(dir).into_iter().find(|i| {
            let d = &self.declarations[*i];
            matches!(d.kind, DeclaredKind::AppSettings(_))
                && d.target.as_ref().is_some_and(|t| t.value == target)
        })
    }

    /// Indices of the declarations whose app folder holds `dir`.
    fn covering(&self, dir: &str) -> Vec<usize> {
        self.declarations
            .iter()
            .enumerate()
            .filter(|(_, d)| d.covers_dir(dir))
            .map(|(i, _)| i)
            .collect()
    }

    fn declarations_over(&self, dir: &str) -> Vec<usize> {
        if self.declarations.is_empty() {
            return Vec::new();
        }
        match self.declarations_by_dir.get(dir) {
            Some(found) => found.clone(),
            None => self.covering(dir),
        }
    }

    /// Service Connector's name for a variable that a `customizedKeys` entry renamed for the
    /// app in `dir`; the name itself otherwise.
    fn original_name<'n>(&'n self, name: &'n str, dir: &str) -> &'n str {
        let deployed = self
            .options
            .deployed
            .iter()
            .filter(|app| is_within(dir, &app.scope))
            .flat_map(|app| &app.linkers)
            .find_map(|linker| {
                linker
                    .customized_keys
                    .iter()
                    .find(|(_, to)| to == name)
                    .map(|(from, _)| from.as_str())
            });
        if let Some(original) = deployed {
            return original;
        }
        self.declarations_over(dir)
            .into_iter()
            .map(|i| &self.declarations[i])
            .find_map(|d| {
                d.customized_keys
                    .iter()
                    .find(|(_, to)| to == name)
                    .map(|(from, _)| from.as_str())
            })
            .unwrap_or(name)
    }

    /// Whether infrastructure code sets `name` as an app setting of the app in `dir`, with no
    /// linker of its target applying there.
    fn set_by_app_settings(&self, name: &str, dir: &str) -> bool {
        self.declarations_over(dir)
            .into_iter()
            .any(|i| match &self.declarations[i].kind {
                DeclaredKind::AppSettings(settings) => {
                    let d = &self.declarations[i];
                    settings.iter().any(|s| s.name == name)
                        && d.target
                            .as_ref()
                            .is_none_or(|t| self.declared_linker(t.value, None, dir).is_none())
                }
                DeclaredKind::Linker => false,
            })
    }

    /// Applies the configured severity to a finding; `false` when its rule is off or a
    /// suppression comment covers it.
    fn keeps(&self, diagnostic: &mut Diagnostic) -> bool {
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
    fn finish(&self, mut kept: Vec<Diagnostic>) -> Vec<Diagnostic> {
        kept.sort_by(|a, b| {
            (&a.path, a.range.start, a.rule).cmp(&(&b.path, b.range.start, b.rule))
        });
        kept.dedup_by(|a, b| a.path == b.path && a.range == b.range && a.rule == b.rule);
        kept
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
                } => Some((id, file, *language, scan, refs.as_slice())),
                _ => None,
            })
    }
}

fn expected_variables(connection: &Connection) -> Vec<Variable> {
    let mut variables = match &connection.client_type {
        Some(client) => catalogue::variables(
            connection.target,
            client.value,
            connection.auth.value,
            connection.name.as_deref(),
        )
        .unwrap_or_default(),
        None => Vec::new(),
    };
    // `customizedKeys`: the app gets the renamed variable instead; what is deployed wins.
    if let Some((linker, _)) = &connection.deployed {
        for variable in &mut variables {
            variable.name = linker.renamed(&variable.name).to_string();
        }
    } else if let Some(declaration) = &connection.declaration {
        for variable in &mut variables {
            if let Some(renamed) = declaration.renamed(&variable.name) {
                variable.name = renamed.to_string();
            }
        }
    }
    variables
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

/// The nearest manifest at or above `dir` that fits the file's language, else the language.
fn infer_client(
    dir: &str,
    language: Option<Language>,
    manifests: &[(&str, ClientType, String)],
) -> Option<(Resolved<ClientType>, String)> {
    let family = language.and_then(infer::language_family);
    let mut best: Option<&(&str, ClientType, String)> = None;
    for manifest in manifests {
        let (manifest_dir, client, _) = manifest;
        if !is_within(dir, manifest_dir) {
            continue;
        }
        if family.is_some_and(|family| !family.contains(client)) {
            continue;
        }
        let better = match best {
            None => true,
            Some((best_dir, best_client, _)) => {
                manifest_dir.len() > best_dir.len()
                    // Django beats plain Python among manifests of one folder.
                    || (manifest_dir.len() == best_dir.len() && *client == ClientType::Django && *best_client == ClientType::Python)
            }
        };
        if better {
            best = Some(manifest);
        }
    }
    if let Some((manifest_dir, client, path)) = best {
        return Some((
            Resolved {
                value: *client,
                reason: Reason::Manifest(path.clone()),
            },
            manifest_dir.to_string(),
        ));
    }
    let language = language?;
    let client = infer::client_type_from_language(language)?;
    Some((
        Resolved {
            value: client,
            reason: Reason::Language(language),
        },
        // Without a manifest, the reading file's own folder is the connection's scope: .env
        // files in sibling folders of a manifest-less tree are not this code's.
        dir.to_string(),
    ))
}

pub fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("")
}

fn parse_file(file: &crate::workspace::WorkspaceFile) -> File<'_> {
    let text = file.text.as_str();
    let line_index = LineIndex::new(text);
    let mut suppressions = Vec::new();
    let data = match classify(&file.path) {
        Some(FileKind::DotEnv) => {
            let env = dotenv::parse(text);
            let comments = env
                .comments
                .iter()
                .map(|c| c.range)
                .chain(env.entries.iter().filter_map(|e| e.comment_range));
            for comment in comments {
                let line = line_index.line_of(comment.start);
                if let Some(s) =
                    config::parse_suppression(text, comment, line, line_index.line_start(line))
                {
                    suppressions.push(s);
                }
            }
            FileData::Env(env)
        }
        Some(FileKind::Source(language)) => {
            let scan = scan::scan_path(&file.path, language, text);
            for comment in &scan.comments {
                let line = line_index.line_of(comment.start);
                if let Some(s) =
                    config::parse_suppression(text, *comment, line, line_index.line_start(line))
                {
                    suppressions.push(s);
                }
            }
            FileData::Source {
                language,
                scan,
                refs: Vec::new(),
            }
        }
        _ => FileData::Other,
    };
    File {
        path: &file.path,
        text,
        dir: parent_dir(&file.path),
        git: file.git,
        lossy: file.lossy,
        line_index,
        data,
        suppressions,
    }
}

/// Severity helper for rules whose default depends on the target (`tls-disabled`).
pub fn severity_for_target(target: Option<Target>) -> Severity {
    if target == Some(Target::Neon) {
        Severity::Error
    } else {
        Severity::Warning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_scopes() {
        assert!(glob_matches(".env.*.local", ".env.production.local"));
        assert!(!glob_matches(".env.*.local", ".env.local"));
        assert!(glob_matches(".env", ".env"));
        assert!(is_within("services/api/src", "services/api"));
        assert!(!is_within("services/apiary", "services/api"));
        assert!(is_within("anything", ""));
    }

    #[test]
    fn editor_options_win_over_neon_lsp_toml() {
        use crate::workspace::WorkspaceFile;
        let file = |path: &str, text: &str| WorkspaceFile {
            path: path.to_string(),
            text: text.to_string(),
            git: GitState::NotInRepository,
            lossy: false,
        };
        let workspace = Workspace {
            files: vec![
                file("package.json", "{}"),
                file(
                    "neon-lsp.toml",
                    "[rules]\nundefined-in-env-file = \"error\"\n",
                ),
                file("db.js", "const host = process.env.NEON_POSTGRESQL_HOST;\n"),
                file(".env", "NEON_POSTGRESQL_HOST=ep-a.neon.tech\n"),
                file(".env.production", "NEON_POSTGRESQL_USER=app\n"),
            ],
        };
        let rules_of = |options: &Options| -> Vec<(String, crate::diagnostic::Severity)> {
            analyse(&workspace, options)
                .unwrap()
                .into_iter()
                .filter(|d| d.rule == crate::rules::Rule::UndefinedInEnvFile)
                .map(|d| (d.path, d.severity))
                .collect()
        };
        // By default .env defines the host: nothing undefined.
        assert_eq!(rules_of(&Options::default()), vec![]);
        // The editor says only .env.production counts: the host is undefined, at the toml's level.
        let production = Options {
            env_files: Some(vec![".env.production".to_string()]),
            ..Options::default()
        };
        assert_eq!(
            rules_of(&production),
            vec![("db.js".to_string(), crate::diagnostic::Severity::Error)]
        );
        // And the editor's rule level wins over the toml's.
        let mut quiet = production.clone();
        quiet.rules.insert(
            crate::rules::Rule::UndefinedInEnvFile,
            crate::config::RuleLevel::Severity(crate::diagnostic::Severity::Info),
        );
        assert_eq!(
            rules_of(&quiet),
            vec![("db.js".to_string(), crate::diagnostic::Severity::Info)]
        );
    }
}

/// The manifests of a workspace: (folder, client type it implies, path).
fn manifests(workspace: &Workspace) -> Vec<(&str, ClientType, String)> {
    workspace
        .files
        .iter()
        .filter_map(|file| match classify(&file.path) {
            Some(FileKind::Manifest(manifest)) => Some((
                parent_dir(&file.path),
                infer::client_type_from_manifest(manifest, &file.text),
                file.path.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// A context for editor queries (hover, completion): a broken config is reported by the
/// diagnostics, so queries go on with the defaults instead of failing.
fn lenient_context<'a>(workspace: &'a Workspace, options: &Options) -> Context<'a> {
    let config = workspace
        .files
        .iter()
        .find(|f| f.path == CONFIG_FILE_NAME)
        .and_then(|file| config::parse(&file.path, &file.text).ok())
        .unwrap_or_default();
    Context::build(workspace, config, options)
}

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
    let context = lenient_context(workspace, options);
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
        .map(|id| context.summarise(context.connection(id)))
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
    let context = lenient_context(workspace, options);
    let manifests = manifests(workspace);
    let (key, client) =
        context.connection_key(Target::Neon, wanted, parent_dir(path), None, &manifests);
    client.as_ref()?;
    Some(context.summarise(&context.make_connection(&key, client)))
}

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
    let context = lenient_context(workspace, options);
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
    let context = lenient_context(workspace, options);
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

#[cfg(test)]
mod completion_tests {
    use super::*;
    use crate::workspace::WorkspaceFile;

    fn file(path: &str, text: &str) -> WorkspaceFile {
        WorkspaceFile {
            path: path.to_string(),
            text: text.to_string(),
            git: GitState::NotInRepository,
            lossy: false,
        }
    }

    #[test]
    fn a_pull_is_for_the_named_the_only_or_the_unnamed_neon_connection_or_the_would_be_one() {
        let pick = |files: Vec<WorkspaceFile>, path: &str, name: Option<&str>| {
            let workspace = Workspace { files };
            neon_connection_for_pull(&workspace, &Options::default(), path, name)
                .map(|c| (c.name, c.client_type))
        };
        let config =
            "[[connection]]\ntarget = \"neon\"\nclient-type = \"django\"\nname = \"reports\"\n";
        let reads_reports = "import os\nos.environ[\"NEON_POSTGRESQL_REPORTS_NAME\"]\n";
        let reads_both = "import os\nos.environ[\"NEON_POSTGRESQL_REPORTS_NAME\"]\nos.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";
        let reports = Some((Some("REPORTS".to_owned()), Some(ClientType::Django)));
        let default = Some((None, Some(ClientType::Python)));
        let base = || {
            vec![
                file("requirements.txt", "psycopg2\n"),
                file(CONFIG_FILE_NAME, config),
            ]
        };
        let with = |extra: Vec<WorkspaceFile>| base().into_iter().chain(extra).collect::<Vec<_>>();
        // The only one the code reads.
        assert_eq!(
            pick(with(vec![file("app.py", reads_reports)]), ".env", None),
            reports
        );
        // Several: the unnamed one unless a name is given; an unknown name matches none.
        let both = || with(vec![file("app.py", reads_both)]);
        assert_eq!(pick(both(), ".env", None), default);
        assert_eq!(pick(both(), ".env", Some("reports")), reports);
        assert_eq!(pick(both(), ".env", Some("other")), None);
        // Nothing read yet: the connection the folder would get.
        assert_eq!(pick(base(), ".env", None), default);
        assert_eq!(pick(base(), ".env", Some("reports")), reports);
        assert_eq!(pick(vec![file("README.md", "")], ".env", None), None);
    }

    #[test]
    fn declared_connections_name_their_source_in_descriptions_hover_and_completion() {
        let bicep = "resource web 'Microsoft.Web/sites@2022-09-01' existing = {\n  name: 'app'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {\n  name: 'pg'\n  scope: web\n  properties: {\n    clientType: 'django'\n    authInfo: { authType: 'secret' }\n    configurationInfo: {\n      customizedKeys: { AZURE_POSTGRESQL_HOST: 'DB_HOST' }\n    }\n  }\n}\n";
        let settings = "import os\nNAME = os.environ[\"AZURE_POSTGRESQL_NAME\"]\nHOST = os.environ[\"DB_HOST\"]\nUSER = os.environ[\"";
        let workspace = Workspace {
            files: vec![
                file("requirements.txt", "flask\n"),
                file("infra/main.bicep", bicep),
                file("app/settings.py", settings),
            ],
        };
        let options = Options::default();
        let connections = connections_at(&workspace, &options, "app/settings.py");
        assert_eq!(connections.len(), 1, "{connections:?}");
        assert_eq!(connections[0].client_type, Some(ClientType::Django));
        assert!(
            connections[0].reason.starts_with(
                "client type django, from infra/main.bicep:9; auth secret, from infra/main.bicep:10"
            ),
            "{}",
            connections[0].reason
        );
        let at = settings.find("DB_HOST").unwrap();
        let hover = variable_at(&workspace, &options, "app/settings.py", at).unwrap();
        assert!(
            hover.description.contains("Set by Azure Service Connector")
                && hover.description.contains("from infra/main.bicep:9"),
            "{}",
            hover.description
        );
        let names: Vec<String> =
            completions_at(&workspace, &options, "app/settings.py", settings.len())
                .into_iter()
                .map(|c| c.name)
                .collect();
        assert!(names.contains(&"DB_HOST".to_string()), "{names:?}");
        assert!(
            !names.contains(&"AZURE_POSTGRESQL_HOST".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"AZURE_POSTGRESQL_USER".to_string()),
            "{names:?}"
        );
        // Without the declaration: the manifest says python.
        let plain = Workspace {
            files: vec![
                file("requirements.txt", "flask\n"),
                file("app/settings.py", settings),
            ],
        };
        let connections = connections_at(&plain, &options, "app/settings.py");
        assert_eq!(connections[0].client_type, Some(ClientType::Python));
        // Flags still win over the declaration.
        let flagged = Options {
            client_type: Some(ClientType::Python),
            ..Options::default()
        };
        let connections = connections_at(&workspace, &flagged, "app/settings.py");
        assert!(
            connections[0]
                .reason
                .starts_with("client type python, from the command line")
        );
    }

    #[test]
    fn offers_the_client_types_variables_inside_env_access_only() {
        let source = "const host = process.env.NEON_POSTGRESQL_H\n// process.env.\n";
        let workspace = Workspace {
            files: vec![file("package.json", "{}"), file("db.js", source)],
        };
        let offset = source.find('\n').unwrap();
        let names: Vec<String> = completions_at(&workspace, &Options::default(), "db.js", offset)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(
            names.contains(&"NEON_POSTGRESQL_HOST".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"NEON_POSTGRESQL_SSL".to_string()),
            "{names:?}"
        );
        assert!(
            !names.contains(&"NEON_POSTGRESQL_CONNECTIONSTRING".to_string()),
            "Node gets no connection string: {names:?}"
        );
        assert!(completions_at(&workspace, &Options::default(), "db.js", 5).is_empty());

        let py = "import os\ndsn = os.environ[\"";
        let workspace = Workspace {
            files: vec![file("requirements.txt", "flask\n"), file("app.py", py)],
        };
        let names: Vec<String> =
            completions_at(&workspace, &Options::default(), "app.py", py.len())
                .into_iter()
                .map(|c| c.name)
                .collect();
        assert_eq!(names, vec!["NEON_POSTGRESQL_CONNECTIONSTRING".to_string()]);

        let env = "NEON_POSTGRESQL_CONNECTIONSTRING=x\nNEON_";
        let workspace = Workspace {
            files: vec![
                file("requirements.txt", "django\n"),
                file(".env", env),
                file("settings.py", ""),
            ],
        };
        let names: Vec<String> = completions_at(&workspace, &Options::default(), ".env", env.len())
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(
            names.contains(&"NEON_POSTGRESQL_NAME".to_string()),
            "{names:?}"
        );
    }
    #[test]
    fn customized_keys_rename_the_connection_for_env_files_hover_and_completion() {
        let bicep = "resource web 'Microsoft.Web/sites@2022-09-01' existing = {\n  name: 'app'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {\n  name: 'pg'\n  scope: web\n  properties: {\n    clientType: 'django'\n    authInfo: { authType: 'secret' }\n    configurationInfo: {\n      customizedKeys: { AZURE_POSTGRESQL_HOST: 'DB_HOST', AZURE_POSTGRESQL_PASSWORD: 'DB_PASS' }\n    }\n  }\n}\n";
        let settings =
            "import os\nHOST = os.environ[\"DB_HOST\"]\nPASSWORD = os.environ[\"DB_PASS\"]\n";
        let env = "DB_HOST=db.postgres.database.azure.com\nDB_PASS=example\n";
        let workspace = Workspace {
            files: vec![
                file("requirements.txt", "django\n"),
                file("infra/main.bicep", bicep),
                file("app/settings.py", settings),
                file("app/.env", env),
            ],
        };
        let options = Options::default();
        let context = lenient_context(&workspace, &options);
        let connection = &context.connections[0];
        // What snippets use: the variable for a catalogue field, after the rename.
        assert_eq!(connection.env_name(Field::Host), Some("DB_HOST"));
        assert_eq!(
            connection.env_name(Field::User),
            Some("AZURE_POSTGRESQL_USER")
        );
        assert_eq!(connection.env_name(Field::ClientId), None);
        assert_eq!(
            connection.original_name("DB_PASS"),
            Some("AZURE_POSTGRESQL_PASSWORD")
        );
        assert_eq!(
            connection.renamed_to("AZURE_POSTGRESQL_HOST"),
            Some("DB_HOST")
        );
        assert_eq!(
            connection.renames_source().as_deref(),
            Some("customizedKeys of infra/main.bicep:5")
        );
        // A renamed key in .env belongs to the connection: hover explains it.
        let hover = variable_at(&workspace, &options, "app/.env", 2).unwrap();
        assert!(
            hover.description.contains("Set by Azure Service Connector")
                && hover
                    .description
                    .contains("DB_HOST is AZURE_POSTGRESQL_HOST renamed by customizedKeys of infra/main.bicep:5"),
            "{}",
            hover.description
        );
        assert_eq!(hover.readers.len(), 1);
        // Completion in .env offers the renamed names and says so.
        let completions = completions_at(&workspace, &options, "app/.env", 0);
        let host = completions.iter().find(|c| c.name == "DB_HOST").unwrap();
        assert!(
            host.documentation.contains("renamed by"),
            "{}",
            host.documentation
        );
        assert!(
            !completions
                .iter()
                .any(|c| c.name == "AZURE_POSTGRESQL_HOST")
        );
        // Nothing flags the renamed keys or asks for them.
        let found = analyse(&workspace, &options).unwrap();
        assert!(
            found.iter().all(|d| !matches!(
                d.rule,
                rules::Rule::UnknownVariable
                    | rules::Rule::UnusedEnvVariable
                    | rules::Rule::UndefinedInEnvFile
            )),
            "{found:?}"
        );
        // The key under Service Connector's own name is a leftover, and says why.
        let leftover = Workspace {
            files: workspace
                .files
                .iter()
                .cloned()
                .map(|mut f| {
                    if f.path == "app/.env" {
                        f.text
                            .push_str("AZURE_POSTGRESQL_HOST=old.postgres.database.azure.com\n");
                    }
                    f
                })
                .collect(),
        };
        let found = analyse(&leftover, &options).unwrap();
        let unused: Vec<&Diagnostic> = found
            .iter()
            .filter(|d| d.rule == rules::Rule::UnusedEnvVariable)
            .collect();
        assert_eq!(unused.len(), 1, "{found:?}");
        assert!(
            unused[0].message.contains("renames it to DB_HOST"),
            "{}",
            unused[0].message
        );
    }

    #[test]
    fn a_linker_whose_app_cannot_be_told_is_named_as_unknown_in_the_description() {
        macro_rules! fixture {
            ($path:literal) => {
                file(
                    $path,
                    include_str!(concat!(
                        "../tests/fixtures/projects/monorepo-arm-two-linkers/",
                        $path
                    )),
                )
            };
        }
        let workspace = Workspace {
            files: vec![
                fixture!("azure.yaml"),
                fixture!("infra/azuredeploy.json"),
                fixture!("src/orders/package.json"),
                fixture!("src/orders/db.js"),
            ],
        };
        let connections = connections_at(&workspace, &Options::default(), "src/orders/db.js");
        assert_eq!(connections.len(), 1);
        let orders = &connections[0];
        assert_eq!(orders.client_type, Some(ClientType::None));
        assert!(
            orders.reason.contains("infra/azuredeploy.json:"),
            "{}",
            orders.reason
        );
        assert_eq!(orders.unscoped_declarations.len(), 1, "{orders:?}");
        assert!(
            orders.unscoped_declarations[0].starts_with(
                "infra/azuredeploy.json:62 declares a linker for an app neon-lsp cannot tell"
            ),
            "{:?}",
            orders.unscoped_declarations
        );
    }

    #[test]
    fn the_same_connection_declared_twice_alike_applies_and_differing_ones_do_not() {
        let bicep = |client: &str| {
            format!(
                "resource web 'Microsoft.Web/sites@2022-09-01' existing = {{\n  name: 'ledger'\n}}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2024-04-01' = {{\n  name: 'pg'\n  scope: web\n  properties: {{\n    clientType: '{client}'\n    authInfo: {{ authType: 'secret' }}\n    targetService: {{ type: 'AzureResource', id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/db' }}\n  }}\n}}\n"
            )
        };
        let script = "az webapp connection create postgres-flexible --name ledger --connection pg --client-type django --secret name=u secret=$PW\n";
        let client_at = |bicep_client: &str| {
            let workspace = Workspace {
                files: vec![
                    file("requirements.txt", "flask\n"),
                    file("infra/main.bicep", &bicep(bicep_client)),
                    file("scripts/deploy.sh", script),
                    file(
                        "app.py",
                        "import os\nos.environ[\"AZURE_POSTGRESQL_NAME\"]\n",
                    ),
                ],
            };
            connections_at(&workspace, &Options::default(), "app.py")[0].clone()
        };
        let alike = client_at("django");
        assert_eq!(alike.client_type, Some(ClientType::Django));
        assert!(
            alike.reason.contains("from infra/main.bicep:9")
                || alike.reason.contains("from scripts/deploy.sh:1"),
            "{}",
            alike.reason
        );
        // Bicep says python, the script django: not guessed, the manifest decides.
        let differ = client_at("python");
        assert!(
            differ.reason.contains("requirements.txt") || differ.client_type.is_none(),
            "{differ:?}"
        );
    }
}

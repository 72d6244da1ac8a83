//! The analysis: files → parsed facts → connections → rules → diagnostics.
//!
//! `analyse` is the one entry point the CLI and the language server share. It is pure and
//! synchronous: it reads only the `Workspace` it is given. This module builds the
//! [`Context`] the rules read (parsed .env files, scans, resolved connections); the rules
//! themselves live in `crate::rules`, one file each.

use crate::catalogue::{self, AuthType, ClientType, ParsedName, Target};
use crate::config::{self, Config, ConfigError, Suppression};
use crate::diagnostic::{Diagnostic, Severity};
use crate::dotenv::{self, EnvFile};
use crate::infer::{self, Reason, Resolved};
use crate::rules;
use crate::scan::{self, Language, Scan};
use crate::text::{LineIndex, TextRange};
use crate::workspace::{CONFIG_FILE_NAME, FileKind, GitState, Workspace, classify};
use std::collections::BTreeMap;
use std::sync::Arc;

mod cache;
mod connection;
mod context;
mod resolve;

pub use cache::{ScanCache, TextEdit};
pub use connection::{Connection, DEFAULT_ENV_FILES, is_within};
pub use context::Context;

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
    analyse_with(workspace, options, None)
}

/// [`analyse`], with the scans (and the open documents' syntax trees) of an earlier analysis
/// of the same workspace: only what `cache` was told changed is scanned again (the language
/// server, on every edit).
pub fn analyse_cached(
    workspace: &Workspace,
    options: &Options,
    cache: &mut ScanCache,
) -> Result<Vec<Diagnostic>, ConfigError> {
    analyse_with(workspace, options, Some(cache))
}

fn analyse_with(
    workspace: &Workspace,
    options: &Options,
    cache: Option<&mut ScanCache>,
) -> Result<Vec<Diagnostic>, ConfigError> {
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
    let context = Context::build(workspace, config, options, cache);
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
        /// Shared with the language server's [`ScanCache`].
        scan: Arc<Scan>,
        refs: Vec<Reference>,
        /// The syntax tree the scan parsed, when the caller keeps it (the language server's
        /// open documents): the rewrites use it instead of parsing the file again.
        tree: Option<tree_sitter::Tree>,
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

pub fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("")
}

impl File<'_> {
    /// The file's syntax tree, when the scan kept one.
    pub fn tree(&self) -> Option<&tree_sitter::Tree> {
        match &self.data {
            FileData::Source { tree, .. } => tree.as_ref(),
            _ => None,
        }
    }
}

fn parse_file<'w>(
    file: &'w crate::workspace::WorkspaceFile,
    cache: Option<&mut ScanCache>,
) -> File<'w> {
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
            let (scan, tree) = match cache {
                Some(cache) => cache.scan(&file.path, language, text),
                None => (Arc::new(scan::scan_path(&file.path, language, text)), None),
            };
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
                tree,
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

/// The manifests of a workspace: (folder, client type it implies, path).
pub(crate) fn manifests(workspace: &Workspace) -> Vec<(&str, ClientType, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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

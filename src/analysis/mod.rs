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

pub use cache::{Installed, Refresh, Refreshed, ReplacedTrees, ScanCache, TextEdit};
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
    analyse_then(workspace, options, None, |_, diagnostics| diagnostics)
}

/// What [`analyse_for_report`] returns: the diagnostics, and where the files they point into
/// (or edit) hold secrets.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub diagnostics: Vec<Diagnostic>,
    /// Path → [`crate::secrets::secret_ranges`] of that file, from the scan the analysis
    /// already made (a reporter that quotes source lines would otherwise scan each file again).
    pub secrets: std::collections::HashMap<String, Vec<TextRange>>,
}

/// [`analyse`], plus the secret ranges of every file a diagnostic or a fix touches.
pub fn analyse_for_report(
    workspace: &Workspace,
    options: &Options,
) -> Result<Analysed, ConfigError> {
    analyse_then(workspace, options, None, |context, diagnostics| {
        let by_path: std::collections::HashMap<&str, &File> =
            context.files.iter().map(|f| (f.path, f)).collect();
        let mut secrets = std::collections::HashMap::new();
        let touched = diagnostics.iter().flat_map(|d| {
            std::iter::once(d.path.as_str()).chain(
                d.fixes
                    .iter()
                    .flat_map(|fix| fix.edits.iter().map(|edit| edit.path.as_str())),
            )
        });
        for path in touched {
            if secrets.contains_key(path) {
                continue;
            }
            let Some(file) = by_path.get(path) else {
                continue;
            };
            let ranges = match &file.data {
                FileData::Source { scan, .. } => {
                    crate::secrets::scanned_secret_ranges(file.text, &scan.string_literals)
                }
                FileData::Env(env) => crate::secrets::parsed_env_secret_ranges(file.text, env),
                FileData::Other => crate::secrets::secret_ranges(file.path, file.text),
            };
            secrets.insert(path.to_owned(), ranges);
        }
        Analysed {
            diagnostics,
            secrets,
        }
    })
}

/// [`analyse`], with the scans (and the open documents' syntax trees) of an earlier analysis
/// of the same workspace: only what `cache` was told changed is scanned again (the language
/// server, on every edit).
pub fn analyse_cached(
    workspace: &Workspace,
    options: &Options,
    cache: &mut ScanCache,
) -> Result<Vec<Diagnostic>, ConfigError> {
    analyse_then(workspace, options, Some(cache), |_, diagnostics| {
        diagnostics
    })
}

fn analyse_then<T>(
    workspace: &Workspace,
    options: &Options,
    cache: Option<&mut ScanCache>,
    then: impl FnOnce(&Context, Vec<Diagnostic>) -> T,
) -> Result<T, ConfigError> {
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
    let diagnostics = context.finish(collector.finish());
    Ok(then(&context, diagnostics))
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
        tree: Option<crate::scan::SyntaxTree>,
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

/// Below this many bytes in all, files are parsed on the calling thread: starting threads
/// costs more than it saves for an edited file or a small project (the language server's
/// per-edit analysis).
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// Every file parsed ([`parse_file`]), in the workspace's order. Parsing (the syntax trees
/// above all) dominates `check`, so a large workspace is parsed on a thread per available
/// core, largest files first; each thread builds its own tree-sitter parsers. The result does
/// not depend on the number of threads.
fn parse_files<'w>(
    files: &'w [crate::workspace::WorkspaceFile],
    cache: Option<&mut ScanCache>,
) -> Vec<File<'w>> {
    // With a cache (the language server) almost every scan is reused: nothing to share out.
    if let Some(cache) = cache {
        cache.drop_replaced();
        return files
            .iter()
            .map(|file| parse_file(file, Some(cache)))
            .collect();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(files.len());
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    if threads < 2 || bytes < PARALLEL_MIN_BYTES {
        return files.iter().map(|file| parse_file(file, None)).collect();
    }
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].text.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<File<'_>>> = Vec::new();
    slots.resize_with(files.len(), || None);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut parsed = Vec::new();
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&index) = order.get(at) else { break };
                        parsed.push((index, parse_file(&files[index], None)));
                    }
                    parsed
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(parsed) => {
                    for (index, file) in parsed {
                        slots[index] = Some(file);
                    }
                }
                // A panic stays a panic, as it would be on one thread.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots.into_iter().flatten().collect()
}

impl File<'_> {
    /// The file's syntax tree, when the scan kept one.
    pub fn tree(&self) -> Option<&crate::scan::SyntaxTree> {
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

    /// A workspace large enough to be parsed on several threads gives every file in its own
    /// place, with the same scan as one thread gives.
    #[test]
    fn parallel_parsing_keeps_file_order_and_results() {
        use crate::workspace::WorkspaceFile;
        let files: Vec<WorkspaceFile> = (0..48)
            .map(|i| WorkspaceFile {
                path: format!("app{i}/db.{}", if i % 2 == 0 { "py" } else { "js" }),
                text: if i % 2 == 0 {
                    format!("import os\nhost{i} = os.environ['NEON_POSTGRESQL_HOST']\n")
                        .repeat(100 + i * 7)
                } else {
                    format!("const h{i} = process.env.NEON_POSTGRESQL_USER;\n").repeat(90 + i * 5)
                },
                git: GitState::NotInRepository,
                lossy: false,
            })
            .collect();
        assert!(files.iter().map(|f| f.text.len()).sum::<usize>() >= PARALLEL_MIN_BYTES);
        let parallel = parse_files(&files, None);
        let sequential: Vec<File<'_>> = files.iter().map(|f| parse_file(f, None)).collect();
        assert_eq!(parallel.len(), files.len());
        for ((file, one), many) in files.iter().zip(&sequential).zip(&parallel) {
            assert_eq!(many.path, file.path);
            match (&one.data, &many.data) {
                (FileData::Source { scan: a, .. }, FileData::Source { scan: b, .. }) => {
                    assert_eq!(a, b, "{}", file.path);
                    assert!(!b.env_refs.is_empty(), "{}", file.path);
                }
                _ => panic!("{} was not scanned as source", file.path),
            }
        }
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

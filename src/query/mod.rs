//! Questions the adapters ask, answered once in the core (issue 15): the command line and the
//! language server both call these and only present the answer. Pure: a [`Workspace`] and the
//! [`Options`] in, plain data out (no Markdown, no flags, no settings names).
//!
//! - [`test_connection_plan`]: which .env files a connection test reads, in which order, and the
//!   target, name, auth and client type it tests with.
//! - [`env_precedence`] / [`in_precedence_order`]: the one ranking of .env file names.
//!
//! - [`connections_at`] / [`neon_connection_for_pull`] (`connection.rs`): the connection
//!   description (status bar, `describeConnection`, both `pull`s, snippets).
//! - [`variable_at`] (`hover.rs`): hover, definition and references.
//! - [`completions_at`] (`completion.rs`): variable names where code reads the environment.

mod completion;
mod connection;
#[cfg(test)]
mod editor_tests;
mod hover;

pub use completion::{Completion, completions_at};
pub use connection::{ConnectionSummary, connections_at, neon_connection_for_pull};
pub use hover::{About, VariableInfo, masked_value, secret_ranges, variable_at};

use crate::analysis::{Options, parent_dir};
use crate::catalogue::{AuthType, ClientType, Target, normalise_connection_name};
use crate::workspace::{FileKind, Workspace, classify};

/// The rank of a .env file name in the conventional load order, highest precedence first:
/// `.env.*.local` (0), `.env.local` (1), `.env.development` (2), `.env` (3). `None` for any other
/// name (`.env.production`, `app.env`): not read unless configured. These are
/// [`crate::analysis::DEFAULT_ENV_FILES`], the defaults of a connection's `env-files`.
pub fn env_precedence(name: &str) -> Option<u8> {
    match name {
        ".env.local" => Some(1),
        ".env.development" => Some(2),
        ".env" => Some(3),
        _ if name.starts_with(".env.") && name.ends_with(".local") => Some(0),
        _ => None,
    }
}

/// Files (slash-separated paths, nearest folder first as the analysis lists a connection's
/// .env files) in the order a test reads them: folder by folder, nearest first, and within a
/// folder by [`env_precedence`]; names without a conventional rank keep their order after
/// `.env`. Duplicates are dropped.
pub fn in_precedence_order<P: AsRef<std::path::Path> + Clone + PartialEq>(files: &[P]) -> Vec<P> {
    let folder_of = |file: &P| {
        file.as_ref()
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .to_path_buf()
    };
    let rank = |file: &P| {
        file.as_ref()
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(env_precedence)
            .unwrap_or(4)
    };
    let mut folders: Vec<std::path::PathBuf> = Vec::new();
    for file in files {
        let folder = folder_of(file);
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    let mut ordered: Vec<P> = Vec::with_capacity(files.len());
    for folder in folders {
        let mut in_folder: Vec<&P> = files.iter().filter(|f| folder_of(f) == folder).collect();
        in_folder.sort_by_key(|file| rank(file));
        for file in in_folder {
            if !ordered.contains(file) {
                ordered.push(file.clone());
            }
        }
    }
    ordered
}

/// Where a connection test starts: a file (source or .env) or a folder, workspace-relative and
/// slash-separated (`""` is the workspace's root folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestAt<'a> {
    File(&'a str),
    Folder(&'a str),
}

/// What a connection test reads and with which choices; the adapters only load the files
/// (open documents as typed, in the editor), apply their own overrides and connect.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestPlan {
    /// Workspace-relative .env files, highest precedence first.
    pub env_files: Vec<String>,
    /// The target asked for, else the connection's; `None` = decided by the variables.
    pub target: Option<Target>,
    /// The connection name asked for, else the connection's.
    pub name: Option<String>,
    /// Set only when chosen by the user (flag or editor setting): an inferred auth type is what
    /// the test infers from the variables too.
    pub auth: Option<AuthType>,
    pub client_type: Option<ClientType>,
}

/// The connection-test plan for `at`: the connection the analysis sees there (matching `target`
/// and `name` when given) supplies its .env files in precedence order — so neon-lsp.toml's
/// `env-files` and connection `paths` hold — and its target, name and client type. With no
/// such connection, or when `at` is a .env file, the conventional .env files of the folder are
/// read; a .env file itself always comes first.
pub fn test_connection_plan(
    workspace: &Workspace,
    options: &Options,
    at: TestAt<'_>,
    target: Option<Target>,
    name: Option<&str>,
) -> TestPlan {
    let (folder, env_file) = match at {
        TestAt::Folder(folder) => (folder, None),
        TestAt::File(path) => (
            parent_dir(path),
            (classify(path) == Some(FileKind::DotEnv)).then_some(path),
        ),
    };
    let connections = match at {
        TestAt::File(path) => connections_at(workspace, options, path),
        // No file has this path, so the connections are those covering the folder.
        TestAt::Folder(folder) => connections_at(workspace, options, &format!("{folder}/")),
    };
    let wanted = name.map(normalise_connection_name);
    let connection = connections.into_iter().find(|connection| {
        target.is_none_or(|target| connection.target == target)
            && wanted.as_ref().is_none_or(|wanted| {
                connection
                    .name
                    .as_deref()
                    .is_some_and(|own| own.eq_ignore_ascii_case(wanted))
            })
    });
    let mut env_files = match &connection {
        Some(connection) if env_file.is_none() && !connection.env_files.is_empty() => {
            in_precedence_order(&connection.env_files)
        }
        _ => default_env_files(workspace, folder),
    };
    if let Some(env_file) = env_file {
        env_files.retain(|file| file != env_file);
        env_files.insert(0, env_file.to_owned());
    }
    TestPlan {
        env_files,
        target: target.or(connection.as_ref().map(|c| c.target)),
        name: name
            .map(str::to_owned)
            .or_else(|| connection.as_ref().and_then(|c| c.name.clone())),
        auth: options.auth,
        client_type: connection.and_then(|c| c.client_type),
    }
}

/// The conventional .env files directly in `folder`, highest precedence first.
fn default_env_files(workspace: &Workspace, folder: &str) -> Vec<String> {
    let mut found: Vec<(u8, &str)> = workspace
        .files
        .iter()
        .filter(|file| parent_dir(&file.path) == folder)
        .filter_map(|file| {
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            env_precedence(name).map(|rank| (rank, file.path.as_str()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path.to_owned()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::workspace::{GitState, WorkspaceFile};

    /// A workspace of (path, text) files, for the queries' tests.
    pub(crate) fn workspace(files: &[(&str, &str)]) -> Workspace {
        Workspace {
            files: files
                .iter()
                .map(|(path, text)| WorkspaceFile {
                    path: path.to_string(),
                    text: text.to_string(),
                    git: GitState::Untracked,
                    lossy: false,
                })
                .collect(),
        }
    }

    #[test]
    fn precedence_is_the_conventional_load_order() {
        let files = [
            ".env",
            ".env.development",
            ".env.test.local",
            ".env.local",
            "app.env",
        ];
        assert_eq!(
            in_precedence_order(&files),
            [
                ".env.test.local",
                ".env.local",
                ".env.development",
                ".env",
                "app.env"
            ]
        );
        assert_eq!(env_precedence(".env.production"), None);
        // The defaults of a connection's env-files are exactly the ranked names.
        for pattern in crate::analysis::DEFAULT_ENV_FILES {
            assert!(
                env_precedence(&pattern.replace('*', "x")).is_some(),
                "{pattern}"
            );
        }
    }

    #[test]
    fn without_a_connection_the_folders_conventional_files_are_read() {
        let ws = workspace(&[
            (".env", "A=1\n"),
            (".env.local", "A=2\n"),
            (".env.production", "A=3\n"),
            ("sub/.env", "A=4\n"),
        ]);
        let plan = test_connection_plan(&ws, &Options::default(), TestAt::Folder(""), None, None);
        assert_eq!(plan.env_files, [".env.local", ".env"]);
        let plan = test_connection_plan(
            &ws,
            &Options::default(),
            TestAt::File(".env.production"),
            None,
            None,
        );
        assert_eq!(plan.env_files, [".env.production", ".env.local", ".env"]);
    }

    #[test]
    fn neon_lsp_toml_env_files_and_paths_decide() {
        let ws = workspace(&[
            (
                "neon-lsp.toml",
                "[[connection]]\ntarget = \"neon\"\nclient-type = \"nodejs\"\npaths = [\"api\"]\nenv-files = [\".env.staging\"]\n",
            ),
            ("api/.env", "NEON_POSTGRESQL_HOST=ignored\n"),
            (
                "api/.env.staging",
                "NEON_POSTGRESQL_HOST=ep-x.eastus2.azure.neon.tech\n",
            ),
            (
                "api/db.js",
                "const host = process.env.NEON_POSTGRESQL_HOST;\n",
            ),
        ]);
        for at in [TestAt::Folder("api"), TestAt::File("api/db.js")] {
            let plan = test_connection_plan(&ws, &Options::default(), at, None, None);
            assert_eq!(plan.env_files, ["api/.env.staging"], "{at:?}");
            assert_eq!(plan.target, Some(Target::Neon));
            assert_eq!(plan.client_type, Some(ClientType::NodeJs));
            assert_eq!(plan.auth, None);
        }
    }
}

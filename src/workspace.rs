//! The analysis input: a set of files with their text, as the CLI or the LSP gathered them.
//!
//! The core never touches the file system; the caller decides which files exist, reads them,
//! and says what git thinks of each .env file. This module also classifies paths (which files
//! are .env files, manifests, source files), so the CLI walker and the LSP agree on it.

use crate::scan::Language;

/// What git says about a file, for `plaintext-secret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GitState {
    /// Not inside a git work tree, or git is not installed.
    #[default]
    NotInRepository,
    /// In the index: committed or staged.
    Tracked,
    /// Untracked and matched by a .gitignore rule.
    Ignored,
    /// Untracked and not ignored: the next `git add .` commits it.
    Untracked,
}

#[derive(Debug, Clone)]
pub struct WorkspaceFile {
    /// Relative to the workspace root, `/` separators, no leading `./`.
    pub path: String,
    pub text: String,
    pub git: GitState,
    /// The file was not valid UTF-8 and `text` holds a lossy decoding: report, but never fix.
    pub lossy: bool,
}

/// Everything the core needs to analyse one workspace root.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub files: Vec<WorkspaceFile>,
}

/// What a path is to the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.env`, `.env.*`, `*.env`.
    DotEnv,
    /// `neon-lsp.toml`.
    Config,
    /// A file read for client-type inference.
    Manifest(Manifest),
    /// A source file in a scanned language.
    Source(Language),
    /// Infrastructure code read for declared connections (`crate::declared`): Bicep, Terraform,
    /// azd's azure.yaml, and `.json` files where ARM templates live (their `$schema` decides).
    Infrastructure(crate::declared::IacKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manifest {
    PackageJson,
    RequirementsTxt,
    PyprojectToml,
    Pipfile,
    SetupPy,
    GoMod,
    Csproj,
    PomXml,
    Gradle,
    ComposerJson,
    Gemfile,
}

/// File name of the optional configuration file at a workspace root.
pub const CONFIG_FILE_NAME: &str = "neon-lsp.toml";

/// The names of .env files, as globs (`*` is any run of characters, nothing else is special).
/// The one list [`classify`], the server's watched files and the editors' document patterns
/// follow (`tests/editor_files.rs` pins the editors' copies).
pub const DOTENV_PATTERNS: &[&str] = &[".env", ".env.*", "*.env"];

/// Every manifest read for client-type inference, by file name glob (as
/// [`DOTENV_PATTERNS`]): the one list [`classify`], the server's watched files and the
/// editors' root markers follow.
pub const MANIFESTS: &[(&str, Manifest)] = &[
    ("package.json", Manifest::PackageJson),
    ("requirements*.txt", Manifest::RequirementsTxt),
    ("pyproject.toml", Manifest::PyprojectToml),
    ("Pipfile", Manifest::Pipfile),
    ("setup.py", Manifest::SetupPy),
    ("go.mod", Manifest::GoMod),
    ("*.csproj", Manifest::Csproj),
    ("pom.xml", Manifest::PomXml),
    ("build.gradle", Manifest::Gradle),
    ("build.gradle.kts", Manifest::Gradle),
    ("composer.json", Manifest::ComposerJson),
    ("Gemfile", Manifest::Gemfile),
];

/// A file name against one of the globs above: at most one `*`, matching any run (empty too).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

/// Classifies a workspace-relative path. `None` means the file plays no part in the analysis.
pub fn classify(path: &str) -> Option<FileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if DOTENV_PATTERNS
        .iter()
        .any(|pattern| name_matches(pattern, name))
    {
        return Some(FileKind::DotEnv);
    }
    if name == CONFIG_FILE_NAME {
        return Some(FileKind::Config);
    }
    if let Some((_, manifest)) = MANIFESTS
        .iter()
        .find(|(pattern, _)| name_matches(pattern, name))
    {
        return Some(FileKind::Manifest(*manifest));
    }
    if let Some(kind) = crate::declared::iac_kind(path) {
        return Some(FileKind::Infrastructure(kind));
    }
    Language::for_path(path).map(FileKind::Source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_lists_are_what_classify_answers() {
        for (name, kind) in [
            (".env", Some(FileKind::DotEnv)),
            (".env.local", Some(FileKind::DotEnv)),
            ("app/prod.env", Some(FileKind::DotEnv)),
            ("neon-lsp.toml", Some(FileKind::Config)),
            ("setup.py", Some(FileKind::Manifest(Manifest::SetupPy))),
            (
                "requirements.txt",
                Some(FileKind::Manifest(Manifest::RequirementsTxt)),
            ),
            (
                "requirements-dev.txt",
                Some(FileKind::Manifest(Manifest::RequirementsTxt)),
            ),
            ("src/Api.csproj", Some(FileKind::Manifest(Manifest::Csproj))),
            (
                "build.gradle.kts",
                Some(FileKind::Manifest(Manifest::Gradle)),
            ),
            ("notes.txt", None),
        ] {
            assert_eq!(classify(name), kind, "{name}");
        }
        for (pattern, manifest) in MANIFESTS {
            let example = pattern.replace('*', "x");
            assert_eq!(classify(&example), Some(FileKind::Manifest(*manifest)));
        }
    }
}

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

/// Classifies a workspace-relative path. `None` means the file plays no part in the analysis.
pub fn classify(path: &str) -> Option<FileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".env" || name.starts_with(".env.") || (name.ends_with(".env") && name.len() > 4) {
        return Some(FileKind::DotEnv);
    }
    if name == CONFIG_FILE_NAME {
        return Some(FileKind::Config);
    }
    let manifest = match name {
        "package.json" => Some(Manifest::PackageJson),
        "pyproject.toml" => Some(Manifest::PyprojectToml),
        "Pipfile" => Some(Manifest::Pipfile),
        "setup.py" => Some(Manifest::SetupPy),
        "go.mod" => Some(Manifest::GoMod),
        "pom.xml" => Some(Manifest::PomXml),
        "build.gradle" | "build.gradle.kts" => Some(Manifest::Gradle),
        "composer.json" => Some(Manifest::ComposerJson),
        "Gemfile" => Some(Manifest::Gemfile),
        _ if name.ends_with(".csproj") => Some(Manifest::Csproj),
        _ if name.starts_with("requirements") && name.ends_with(".txt") => {
            Some(Manifest::RequirementsTxt)
        }
        _ => None,
    };
    if let Some(manifest) = manifest {
        return Some(FileKind::Manifest(manifest));
    }
    if let Some(kind) = crate::declared::iac_kind(path) {
        return Some(FileKind::Infrastructure(kind));
    }
    Language::for_path(path).map(FileKind::Source)
}

//! Which folders the server reads: a project's whole tree, or single files.
//!
//! An editor that opens a loose file (Neovim on `/tmp/notes.py`) often gives the file's folder
//! as the workspace root, or no root at all. Walking such a folder — a shared temp directory,
//! Downloads, the home folder — read gigabytes for nothing. A folder is a *project* when it or
//! a folder above it holds a project marker: `neon-lsp.toml`, `.git`, or a manifest the
//! analysis knows (`package.json`, `pyproject.toml`, `go.mod`, `*.csproj`, …). Anything else
//! gets *single-file mode*: the open documents plus the .env files (and config) in their own
//! folders, listed without descending, and nothing else.
//!
//! Not for deciding what a project contains (that is `disk::walk`).

use crate::workspace::{FileKind, GitState, WorkspaceFile, classify};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest .env file read in single-file mode (the walk's own limit).
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// The nearest folder at or above `folder` that holds a project marker, if any.
pub(super) fn project_of(folder: &Path) -> Option<PathBuf> {
    folder
        .ancestors()
        .find(|candidate| has_marker(candidate))
        .map(Path::to_path_buf)
}

fn has_marker(folder: &Path) -> bool {
    if folder.join(".git").exists() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry.file_name().to_str().is_some_and(|name| {
            matches!(
                classify(name),
                Some(FileKind::Config | FileKind::Manifest(_))
            )
        })
    })
}

/// Why a root is read in single-file mode, for the log.
pub(super) fn single_file_reason(root: &Path) -> String {
    format!(
        "{} is not inside a project (no neon-lsp.toml, .git or package manifest in it or above \
         it): single-file mode, only open files and the .env files beside them are checked",
        root.display()
    )
}

/// Single-file mode's disk files: the .env and config files in the folders of `open`
/// (paths relative to `root`), keyed by relative path.
pub(super) fn files_beside<'a>(
    root: &Path,
    open: impl Iterator<Item = &'a String>,
) -> BTreeMap<String, WorkspaceFile> {
    let folders: BTreeSet<&str> = open
        .map(|path| path.rsplit_once('/').map_or("", |(folder, _)| folder))
        .collect();
    let mut files = BTreeMap::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !matches!(classify(&name), Some(FileKind::DotEnv | FileKind::Config)) {
                continue;
            }
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let Some(text) = read_text(&entry.path()) else {
                continue;
            };
            let path = if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            };
            files.insert(
                path.clone(),
                WorkspaceFile {
                    path,
                    text,
                    git: GitState::NotInRepository,
                    lossy: false,
                },
            );
        }
    }
    files
}

fn read_text(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_FILE {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_at_or_above_makes_a_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let loose = root.join("loose");
        let nested = root.join("app/src/deep");
        std::fs::create_dir_all(&loose).unwrap();
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(root.join("app/pyproject.toml"), "").unwrap();
        std::fs::write(loose.join(".env"), "A=1\n").unwrap();
        assert_eq!(project_of(&nested), Some(root.join("app")));
        // Unless the temp folder itself sits in a project, the loose folder is none.
        if project_of(&root).is_none() {
            assert_eq!(project_of(&loose), None);
        }
        std::fs::create_dir(loose.join(".git")).unwrap();
        assert_eq!(project_of(&loose), Some(loose.clone()));
    }

    #[test]
    fn single_file_mode_reads_only_the_env_files_beside_open_documents() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::write(root.join("sub/.env"), "A=1\n").unwrap();
        std::fs::write(root.join("sub/deeper/.env"), "B=1\n").unwrap();
        std::fs::write(root.join(".env"), "C=1\n").unwrap();
        std::fs::write(root.join("sub/other.py"), "x = 1\n").unwrap();
        let open = ["sub/app.py".to_owned()];
        let files = files_beside(root, open.iter());
        assert_eq!(files.keys().collect::<Vec<_>>(), ["sub/.env"]);
        let files = files_beside(root, ["top.py".to_owned()].iter());
        assert_eq!(files.keys().collect::<Vec<_>>(), [".env"]);
    }
}

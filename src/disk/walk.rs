//! File discovery for `neon-lsp check`: which files under the given paths the analysis reads.
//!
//! Walks the tree in parallel with gitignore semantics (the `ignore` crate, as ripgrep does),
//! reads each file the analysis cares about, keeps only what it needs, and asks git what it
//! thinks of each .env file. It also rescues .env files and `neon-lsp.toml` that ignore rules
//! hide, because a gitignored `.env` is the main thing we check.
//!
//! It is not the analysis: it decides nothing about a file's content beyond "could this
//! matter" ([`crate::scan::might_be_relevant_for`]), and it never fails because one file could
//! not be read — such files become [`Note`]s.

use crate::disk::git;
use crate::scan::might_be_relevant_for;
use crate::workspace::{FileKind, GitState, Workspace, WorkspaceFile, classify};
use ignore::{WalkBuilder, WalkState};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Directories that hold dependencies, build output or tool state, never the user's own
/// configuration: skipped even when no ignore file mentions them.
const SKIPPED_DIRECTORIES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    "target",
    "vendor",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".idea",
    ".next",
];

/// How far into a file we look for a NUL byte to call it binary (what git and ripgrep do).
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// What to collect.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Files larger than this many bytes are skipped with a note.
    pub max_file_size: u64,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Ask git whether each .env file is tracked, ignored or untracked.
    pub git: bool,
    /// Stop after this many directory entries (files and folders) and mark the result
    /// [`Collected::truncated`]: how the language server tries a folder that is not a project.
    pub max_entries: Option<usize>,
    /// Set (from any thread) to stop the walk; the result is then [`Collected::cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// Counts files as they are read, for progress reports.
    pub progress: Option<Arc<AtomicUsize>>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            max_file_size: 4 * 1024 * 1024,
            threads: 0,
            git: true,
            max_entries: None,
            cancel: None,
            progress: None,
        }
    }
}

/// Something the user should know about a file that was not (fully) analysed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// Relative to the root with `/` separators; `.` for the root itself.
    pub path: String,
    pub message: String,
}

/// The result of a walk: the analysis input plus what was skipped and why.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Absolute path every [`WorkspaceFile::path`] is relative to.
    pub root: PathBuf,
    pub workspace: Workspace,
    /// Files that were read, kept or not.
    pub files_scanned: usize,
    pub notes: Vec<Note>,
    /// The walk stopped at [`WalkOptions::max_entries`]: the workspace is incomplete.
    pub truncated: bool,
    /// The walk was stopped through [`WalkOptions::cancel`]: the workspace is incomplete.
    pub cancelled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error(
        "cannot determine the current directory: {0}; run neon-lsp check from an existing directory"
    )]
    CurrentDirectory(#[source] io::Error),
    #[error("{}: no such file or directory; check the path, or run neon-lsp check without arguments to check the current directory", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: cannot access it: {source}", path.display())]
    Inaccessible {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot list this folder: {source}; check its permissions (it needs read and execute permission)", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: is outside the current directory {}; run neon-lsp check from a directory that contains every path, or pass one directory alone", path.display(), root.display())]
    OutsideRoot { path: PathBuf, root: PathBuf },
}

/// Collects the analysis input under `paths` (the current directory when empty).
///
/// One directory becomes the root; otherwise (files, several paths, none) the current
/// directory is the root. Output is sorted by path so that runs are reproducible.
pub fn collect(paths: &[PathBuf], options: &WalkOptions) -> Result<Collected, WalkError> {
    let current_directory = std::env::current_dir().map_err(WalkError::CurrentDirectory)?;
    let given: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };

    let mut targets = Vec::with_capacity(given.len());
    for path in &given {
        let absolute = normalize(&current_directory.join(path));
        match std::fs::metadata(&absolute) {
            // A folder the walker cannot list would be "no problems in 0 files": an error.
            Ok(metadata) if metadata.is_dir() => match std::fs::read_dir(&absolute) {
                Ok(_) => targets.push(Target {
                    given: path.clone(),
                    absolute,
                    is_dir: true,
                }),
                Err(source) => {
                    return Err(WalkError::Unreadable {
                        path: absolute,
                        source,
                    });
                }
            },
            Ok(metadata) => targets.push(Target {
                given: path.clone(),
                absolute,
                is_dir: metadata.is_dir(),
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(WalkError::NotFound { path: path.clone() });
            }
            Err(source) => {
                return Err(WalkError::Inaccessible {
                    path: path.clone(),
                    source,
                });
            }
        }
    }

    let root = match targets.as_slice() {
        [only] if only.is_dir => only.absolute.clone(),
        _ => normalize(&current_directory),
    };
    for target in &targets {
        if relative_path(&root, &target.absolute).is_none() {
            return Err(WalkError::OutsideRoot {
                path: target.given.clone(),
                root,
            });
        }
    }

    let collector = Collector::new(&root, options);
    let (directories, files): (Vec<Target>, Vec<Target>) =
        targets.into_iter().partition(|t| t.is_dir);
    let directories = outermost(directories);
    for file in &files {
        // A file inside a walked directory is read by the walk; reading it here too would
        // count it twice.
        if !directories
            .iter()
            .any(|directory| file.absolute.starts_with(directory))
        {
            collector.visit_file(&file.absolute, true, &mut Vec::new());
        }
    }
    collector.walk(&directories, options);
    let mut collected = collector.finish();
    if options.git {
        mark_git_states(&mut collected);
    }
    Ok(collected)
}

struct Target {
    given: PathBuf,
    absolute: PathBuf,
    is_dir: bool,
}

/// Drops directories inside other given directories, so no file is read twice.
fn outermost(mut directories: Vec<Target>) -> Vec<PathBuf> {
    directories.sort_by(|a, b| a.absolute.cmp(&b.absolute));
    let mut kept: Vec<PathBuf> = Vec::new();
    for directory in directories {
        if !kept
            .iter()
            .any(|outer| directory.absolute.starts_with(outer))
        {
            kept.push(directory.absolute);
        }
    }
    kept
}

/// Shared state of one walk; every worker thread adds to it.
struct Collector<'a> {
    root: &'a Path,
    max_file_size: u64,
    files: Mutex<Vec<WorkspaceFile>>,
    notes: Mutex<Vec<Note>>,
    files_scanned: AtomicUsize,
    /// .env and config files the walker yielded, so rescued ones are not read twice.
    seen_special: Mutex<HashSet<PathBuf>>,
    /// .env and config files found next to walked directories, possibly hidden by ignore rules.
    rescue_candidates: Mutex<Vec<PathBuf>>,
    entries: AtomicUsize,
    max_entries: Option<usize>,
    cancel: Option<Arc<AtomicBool>>,
    progress: Option<Arc<AtomicUsize>>,
    truncated: AtomicBool,
    cancelled: AtomicBool,
}

impl<'a> Collector<'a> {
    fn new(root: &'a Path, options: &WalkOptions) -> Self {
        Self {
            root,
            max_file_size: options.max_file_size,
            files: Mutex::default(),
            notes: Mutex::default(),
            files_scanned: AtomicUsize::new(0),
            seen_special: Mutex::default(),
            rescue_candidates: Mutex::default(),
            entries: AtomicUsize::new(0),
            max_entries: options.max_entries,
            cancel: options.cancel.clone(),
            progress: options.progress.clone(),
            truncated: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Whether the walk must stop now (cancelled, or over its entry budget).
    fn must_stop(&self) -> bool {
        if self
            .cancel
            .as_ref()
            .is_some_and(|cancel| cancel.load(Ordering::Relaxed))
        {
            self.cancelled.store(true, Ordering::Relaxed);
            return true;
        }
        let entries = self.entries.fetch_add(1, Ordering::Relaxed);
        if self.max_entries.is_some_and(|max| entries >= max) {
            self.truncated.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }

    fn stopped(&self) -> bool {
        self.truncated.load(Ordering::Relaxed) || self.cancelled.load(Ordering::Relaxed)
    }

    fn walk(&self, directories: &[PathBuf], options: &WalkOptions) {
        let Some((first, rest)) = directories.split_first() else {
            return;
        };
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let mut builder = WalkBuilder::new(first);
        for directory in rest {
            builder.add(directory);
        }
        builder
            .threads(threads)
            .hidden(false)
            .follow_links(false)
            .git_ignore(true)
            .git_global(true)
            .git_exclude(true)
            .ignore(true)
            .parents(true)
            // A .gitignore means "not my code" to people even in an unpacked archive.
            .require_git(false)
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !entry.file_type().is_some_and(|t| t.is_dir())
                    || !entry
                        .file_name()
                        .to_str()
                        .is_some_and(|name| SKIPPED_DIRECTORIES.contains(&name))
            });
        builder.build_parallel().run(|| {
            // One read buffer per thread, reused for every file: most files are read, found
            // irrelevant and dropped, so they never need an allocation of their own.
            let mut buffer = Vec::new();
            Box::new(move |entry| {
                if self.must_stop() {
                    return WalkState::Quit;
                }
                match entry {
                    Ok(entry) => self.visit_entry(&entry, &mut buffer),
                    Err(error) => self.note_walk_error(&error),
                }
                WalkState::Continue
            })
        });

        if self.stopped() {
            return;
        }
        let candidates = std::mem::take(&mut *lock(&self.rescue_candidates));
        let seen = std::mem::take(&mut *lock(&self.seen_special));
        let mut buffer = Vec::new();
        for candidate in candidates {
            if !seen.contains(&candidate) {
                self.visit_file(&candidate, true, &mut buffer);
            }
        }
    }

    fn visit_entry(&self, entry: &ignore::DirEntry, buffer: &mut Vec<u8>) {
        let Some(file_type) = entry.file_type() else {
            return;
        };
        if file_type.is_dir() {
            self.find_hidden_special_files(entry.path());
        } else if file_type.is_file() || file_type.is_symlink() {
            self.visit_file(entry.path(), file_type.is_symlink(), buffer);
        }
    }

    /// Ignore rules hide gitignored `.env` files from the walker, yet they are what we check:
    /// list the directory once more and remember every .env or config file in it.
    fn find_hidden_special_files(&self, directory: &Path) {
        let Ok(entries) = std::fs::read_dir(directory) else {
            return;
        };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if is_special(&name)
                && entry
                    .file_type()
                    .is_ok_and(|t| t.is_file() || t.is_symlink())
            {
                found.push(entry.path());
            }
        }
        if !found.is_empty() {
            lock(&self.rescue_candidates).extend(found);
        }
    }

    /// Reads one file into `buffer` (the caller's, reused across files) and keeps it if the
    /// analysis needs it.
    fn visit_file(&self, path: &Path, check_target_is_file: bool, buffer: &mut Vec<u8>) {
        let Some(relative) = relative_path(self.root, path) else {
            return;
        };
        let Some(relative) = slash_separated(&relative) else {
            let lossy = relative.to_string_lossy();
            if classify(&lossy).is_some() {
                self.note(
                    lossy.into_owned(),
                    "skipped: the file name is not valid UTF-8; rename it to have it checked",
                );
            }
            return;
        };
        let Some(kind) = classify(&relative) else {
            return;
        };
        if matches!(kind, FileKind::DotEnv | FileKind::Config) {
            lock(&self.seen_special).insert(path.to_path_buf());
        }
        if check_target_is_file {
            match std::fs::metadata(path) {
                // Directories named like source files (`lib.py/`) are not files; pipes and
                // devices would block or never end.
                Ok(metadata) if !metadata.is_file() => {
                    if !metadata.is_dir() {
                        self.note(relative, "skipped: not a regular file");
                    }
                    return;
                }
                Ok(_) => {}
                Err(error) => {
                    self.note(relative, format!("skipped: cannot read it: {error}"));
                    return;
                }
            }
        }
        match self.read_limited(path, buffer) {
            Ok(Contents::Bytes(bytes)) => {
                self.files_scanned.fetch_add(1, Ordering::Relaxed);
                if let Some(progress) = &self.progress {
                    progress.fetch_add(1, Ordering::Relaxed);
                }
                self.keep(relative, kind, bytes);
            }
            Ok(Contents::TooLarge(size)) => self.note(
                relative,
                format!(
                    "skipped: {size} bytes is larger than the limit of {} bytes",
                    self.max_file_size
                ),
            ),
            Err(error) => self.note(relative, format!("skipped: cannot read it: {error}")),
        }
    }

    /// The file's bytes, in `buffer` (cleared first; its capacity is kept for the next file).
    fn read_limited<'b>(&self, path: &Path, buffer: &'b mut Vec<u8>) -> io::Result<Contents<'b>> {
        let mut file = File::open(path)?;
        let size = file.metadata()?.len();
        if size > self.max_file_size {
            return Ok(Contents::TooLarge(size));
        }
        buffer.clear();
        // One byte more than the size, so that the read to the end needs no second growth.
        buffer.reserve(usize::try_from(size.saturating_add(1)).unwrap_or(0));
        // The file may grow between stat and read; never read more than the limit allows.
        (&mut file)
            .take(self.max_file_size.saturating_add(1))
            .read_to_end(buffer)?;
        if buffer.len() as u64 > self.max_file_size {
            return Ok(Contents::TooLarge(buffer.len() as u64));
        }
        Ok(Contents::Bytes(buffer))
    }

    /// Keeps a copy of `bytes` when the analysis needs the file; most sources are dropped
    /// by the prefilter before any copy or UTF-8 check.
    fn keep(&self, path: String, kind: FileKind, bytes: &[u8]) {
        let head = bytes.get(..BINARY_SNIFF_LEN).unwrap_or(bytes);
        // A binary-looking neon-lsp.toml is still the configuration: the analysis reports it
        // as a configuration error instead of running with the defaults.
        if kind != FileKind::Config && memchr::memchr(0, head).is_some() {
            self.note(path, "skipped: binary file (NUL byte in the first 8 KiB)");
            return;
        }
        if let FileKind::Source(language) = kind
            && !might_be_relevant_for(language, bytes)
        {
            return;
        }
        // PowerShell scripts matter only for the `az … connection create` commands they run.
        if kind == FileKind::Infrastructure(crate::declared::IacKind::PowerShell)
            && memchr::memmem::find(bytes, b"connection create").is_none()
        {
            return;
        }
        // `.json` files in infrastructure folders matter only when they are ARM templates.
        if kind == FileKind::Infrastructure(crate::declared::IacKind::ArmJson)
            && !crate::declared::is_arm_template(&String::from_utf8_lossy(head))
        {
            return;
        }
        let (text, lossy) = match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => {
                self.note(
                    path.clone(),
                    "not valid UTF-8: checked with invalid bytes replaced, and never fixed",
                );
                (String::from_utf8_lossy(bytes).into_owned(), true)
            }
        };
        lock(&self.files).push(WorkspaceFile {
            path,
            text,
            git: GitState::NotInRepository,
            lossy,
        });
    }

    fn note_walk_error(&self, error: &ignore::Error) {
        let (path, message) = walk_error_parts(error);
        let path = path
            .and_then(|path| relative_path(self.root, path))
            .map_or_else(
                || ".".to_owned(),
                |path| path.to_string_lossy().replace('\\', "/"),
            );
        self.note(path, format!("skipped: {message}"));
    }

    fn note(&self, path: impl Into<String>, message: impl Into<String>) {
        lock(&self.notes).push(Note {
            path: path.into(),
            message: message.into(),
        });
    }

    fn finish(self) -> Collected {
        let mut files = self
            .files
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        let mut notes = self
            .notes
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        notes.sort();
        notes.dedup();
        Collected {
            root: self.root.to_path_buf(),
            workspace: Workspace { files },
            files_scanned: self.files_scanned.into_inner(),
            notes,
            truncated: self.truncated.into_inner(),
            cancelled: self.cancelled.into_inner(),
        }
    }
}

enum Contents<'b> {
    Bytes(&'b [u8]),
    TooLarge(u64),
}

fn is_special(name: &OsStr) -> bool {
    name.to_str()
        .and_then(classify)
        .is_some_and(|kind| matches!(kind, FileKind::DotEnv | FileKind::Config))
}

/// A poisoned lock only means another worker panicked; its data is still a valid list.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Splits an `ignore` error into the path it concerns and the underlying message.
fn walk_error_parts(error: &ignore::Error) -> (Option<&Path>, String) {
    match error {
        ignore::Error::WithPath { path, err } => (Some(path.as_path()), walk_error_parts(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_parts(err)
        }
        ignore::Error::Loop { child, .. } => {
            (Some(child.as_path()), "symbolic link loop".to_owned())
        }
        other => (None, other.to_string()),
    }
}

fn mark_git_states(collected: &mut Collected) {
    let env_files: Vec<&str> = collected
        .workspace
        .files
        .iter()
        .filter(|file| classify(&file.path) == Some(FileKind::DotEnv))
        .map(|file| file.path.as_str())
        .collect();
    if env_files.is_empty() {
        return;
    }
    match git::git_states(&collected.root, &env_files) {
        Ok(states) => {
            for file in &mut collected.workspace.files {
                if let Some(state) = states.get(&file.path) {
                    file.git = *state;
                }
            }
        }
        Err(error) => collected.notes.push(Note {
            path: ".".to_owned(),
            message: format!("cannot ask git which .env files it tracks ({error}); plaintext-secret is not checked"),
        }),
    }
}

/// Resolves `.` and `..` without touching the file system, so symlinked paths keep the
/// names the user typed.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !matches!(
                    normalized.components().next_back(),
                    Some(Component::RootDir | Component::Prefix(_)) | None
                ) {
                    normalized.pop();
                }
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// `path` relative to `root` (empty for the root itself), or `None` when it lies outside.
fn relative_path(root: &Path, path: &Path) -> Option<PathBuf> {
    path.strip_prefix(root).ok().map(Path::to_path_buf)
}

/// The workspace spelling of a relative path: `/` between components on every platform.
pub(crate) fn slash_separated(relative: &Path) -> Option<String> {
    let mut joined = String::new();
    for component in relative.components() {
        if !joined.is_empty() {
            joined.push('/');
        }
        joined.push_str(component.as_os_str().to_str()?);
    }
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, path: &str, contents: &[u8]) {
        let full = root.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, contents).unwrap();
    }

    fn collect_dir(root: &Path) -> Collected {
        collect(
            &[root.to_path_buf()],
            &WalkOptions {
                git: false,
                ..WalkOptions::default()
            },
        )
        .unwrap()
    }

    fn paths(collected: &Collected) -> Vec<&str> {
        collected
            .workspace
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect()
    }

    #[test]
    fn keeps_env_config_manifests_and_relevant_sources_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "b/app.py",
            b"import os\nos.environ['NEON_POSTGRESQL_HOST']\n",
        );
        write(root, "a/other.py", b"print('hello')\n");
        write(root, ".env", b"NEON_POSTGRESQL_HOST=x\n");
        write(root, "svc/.env.local", b"A=1\n");
        write(root, "neon-lsp.toml", b"");
        write(root, "package.json", b"{}");
        write(root, "README.md", b"postgres");
        write(
            root,
            ".github/workflows/ci.yml",
            b"env:\n  X: ${{ secrets.PG }}\n  AZURE_POSTGRESQL_HOST: h\n",
        );
        let collected = collect_dir(root);
        assert_eq!(
            paths(&collected),
            [
                ".env",
                ".github/workflows/ci.yml",
                "b/app.py",
                "neon-lsp.toml",
                "package.json",
                "svc/.env.local"
            ]
        );
        // README.md is not classified and so never read; a/other.py is read and dropped.
        assert_eq!(collected.files_scanned, 7);
        assert!(collected.notes.is_empty(), "{:?}", collected.notes);
        assert_eq!(collected.root, root);
    }

    #[test]
    fn keeps_powershell_scripts_that_create_connections() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "deploy/connect.ps1",
            b"az webapp connection create postgres-flexible `\n  --client-type django --system-identity\n",
        );
        write(root, "deploy/build.ps1", b"dotnet publish -c Release\n");
        let collected = collect_dir(root);
        assert_eq!(paths(&collected), ["deploy/connect.ps1"]);
    }

    #[test]
    fn gitignored_env_files_are_still_collected_but_ignored_sources_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            ".gitignore",
            b".env\n*.local\nsecret-dir/\ngenerated.py\n",
        );
        write(root, ".env", b"A=1\n");
        write(root, "svc/.env.local", b"A=1\n");
        write(root, "generated.py", b"postgres");
        write(root, "secret-dir/.env", b"A=1\n");
        write(root, "node_modules/pkg/.env", b"A=1\n");
        write(root, "node_modules/pkg/index.js", b"postgres");
        write(root, "target/x.py", b"postgres");
        let collected = collect_dir(root);
        assert_eq!(paths(&collected), [".env", "svc/.env.local"]);
    }

    #[test]
    fn skips_binary_large_and_notes_lossy_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "bin.py", b"postgres\0\x01");
        write(root, "big.py", &vec![b'a'; 2048]);
        write(root, ".env", b"PASSWORD=caf\xe9\n");
        let options = WalkOptions {
            max_file_size: 1024,
            git: false,
            ..WalkOptions::default()
        };
        let collected = collect(&[root.to_path_buf()], &options).unwrap();
        assert_eq!(paths(&collected), [".env"]);
        let env = &collected.workspace.files[0];
        assert!(env.lossy);
        assert_eq!(env.text, "PASSWORD=caf\u{fffd}\n");
        let notes: Vec<(&str, &str)> = collected
            .notes
            .iter()
            .map(|n| (n.path.as_str(), n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].0 == ".env" && notes[0].1.contains("UTF-8"));
        assert!(
            notes[1].0 == "big.py" && notes[1].1.contains("larger than the limit of 1024 bytes")
        );
        assert!(notes[2].0 == "bin.py" && notes[2].1.contains("binary"));
        // The note never repeats file content.
        assert!(collected.notes.iter().all(|n| !n.message.contains("caf")));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed_into_directories_and_dangling_ones_are_noted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "real/.env", b"A=1\n");
        std::os::unix::fs::symlink(root.join("real"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(root, root.join("real/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("gone.env")).unwrap();
        let collected = collect_dir(root);
        assert_eq!(paths(&collected), ["real/.env"]);
        assert_eq!(collected.notes.len(), 1, "{:?}", collected.notes);
        assert_eq!(collected.notes[0].path, "gone.env");
    }

    #[test]
    fn named_files_are_read_even_when_ignored_and_relative_to_the_current_directory() {
        // The current directory is process-wide; this test only reads it.
        let cwd = std::env::current_dir().unwrap();
        let dir = tempfile::tempdir_in(&cwd).unwrap();
        let name = dir.path().file_name().unwrap().to_str().unwrap().to_owned();
        write(dir.path(), ".gitignore", b"*.py\n");
        write(dir.path(), "ignored.py", b"postgres");
        let given = PathBuf::from(format!("./{name}/../{name}/ignored.py"));
        let collected = collect(
            &[given],
            &WalkOptions {
                git: false,
                ..WalkOptions::default()
            },
        )
        .unwrap();
        assert_eq!(collected.root, cwd);
        assert_eq!(paths(&collected), [format!("{name}/ignored.py")]);
    }

    #[test]
    fn several_directories_are_walked_once_each_relative_to_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        let dir = tempfile::tempdir_in(&cwd).unwrap();
        write(dir.path(), "a/.env", b"A=1\n");
        write(dir.path(), "a/b/.env", b"A=1\n");
        let a = dir.path().join("a");
        let collected = collect(
            &[a.join("b"), a.clone()],
            &WalkOptions {
                git: false,
                ..WalkOptions::default()
            },
        )
        .unwrap();
        let prefix = dir
            .path()
            .strip_prefix(&cwd)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            paths(&collected),
            [format!("{prefix}/a/.env"), format!("{prefix}/a/b/.env")]
        );
        assert_eq!(collected.files_scanned, 2);
    }

    #[test]
    fn errors_name_the_path_and_what_to_do() {
        let error =
            collect(&[PathBuf::from("does/not/exist")], &WalkOptions::default()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("does/not/exist: no such file or directory"),
            "{message}"
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x/.env", b"");
        write(dir.path(), "y/.env", b"");
        let outside = [dir.path().join("x"), dir.path().join("y")];
        if !dir.path().starts_with(std::env::current_dir().unwrap()) {
            let error = collect(&outside, &WalkOptions::default()).unwrap_err();
            assert!(matches!(error, WalkError::OutsideRoot { .. }));
            assert!(error.to_string().contains("pass one directory alone"));
        }
    }

    #[test]
    fn git_states_are_marked_on_env_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        if !git::tests::init_repo(root) {
            return;
        }
        write(root, ".gitignore", b".env\n");
        write(root, ".env", b"A=1\n");
        write(root, ".env.example", b"A=\n");
        let collected = collect(&[root.to_path_buf()], &WalkOptions::default()).unwrap();
        let states: Vec<(&str, GitState)> = collected
            .workspace
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.git))
            .collect();
        assert_eq!(
            states,
            [
                (".env", GitState::Ignored),
                (".env.example", GitState::Untracked)
            ]
        );
    }

    #[test]
    fn a_walk_stops_at_its_entry_budget_or_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for index in 0..50 {
            write(root, &format!("d{index}/.env"), b"A=1\n");
        }
        let walk = |options: WalkOptions| collect(&[root.to_path_buf()], &options).unwrap();
        let whole = walk(WalkOptions {
            git: false,
            ..WalkOptions::default()
        });
        assert!(!whole.truncated && !whole.cancelled);
        assert_eq!(whole.workspace.files.len(), 50);
        let counted = Arc::new(AtomicUsize::new(0));
        let truncated = walk(WalkOptions {
            git: false,
            threads: 1,
            max_entries: Some(10),
            progress: Some(counted.clone()),
            ..WalkOptions::default()
        });
        assert!(truncated.truncated);
        assert!(truncated.workspace.files.len() < 10);
        assert_eq!(counted.load(Ordering::Relaxed), truncated.files_scanned);
        let cancelled = walk(WalkOptions {
            git: false,
            cancel: Some(Arc::new(AtomicBool::new(true))),
            ..WalkOptions::default()
        });
        assert!(cancelled.cancelled);
        assert!(cancelled.workspace.files.is_empty());
    }

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a/b/c")),
            Some(PathBuf::from("b/c"))
        );
        assert_eq!(relative_path(Path::new("/a"), Path::new("/ab")), None);
    }
}

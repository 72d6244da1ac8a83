//! What git thinks of the collected .env files: tracked, ignored, or about to be committed.
//!
//! Asks git itself (`rev-parse`, `ls-files`, `check-ignore`) instead of re-implementing
//! gitignore matching, so global excludes, `.git/info/exclude`, negations and the index all
//! count exactly as git counts them. One git process per question, never one per file.
//!
//! It is not a git library: it answers only the [`GitState`] question, and a missing git or a
//! directory outside any repository is an answer ([`GitState::NotInRepository`]), not an error.

use crate::workspace::GitState;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

/// Above this many bytes of pathspecs, `ls-files` lists the whole index instead, to stay far
/// below the operating system's command-line limit.
const MAX_PATHSPEC_BYTES: usize = 64 * 1024;

/// How many submodules holding .env files one run sorts out before giving up.
const MAX_SUBMODULES: usize = 64;

const CHECK_IGNORE: &str = "check-ignore";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run `git {command}`: {source}")]
    Spawn {
        command: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("`git {command}` failed: {message}")]
    Failed {
        command: &'static str,
        message: String,
    },
}

/// The git state of each of `paths` (relative to `root`, `/` separators), keyed by path.
///
/// Every path gets an answer; paths outside a work tree, or all of them when git is not
/// installed, are [`GitState::NotInRepository`].
pub fn git_states(root: &Path, paths: &[&str]) -> Result<HashMap<String, GitState>, GitError> {
    let mut states: HashMap<String, GitState> = HashMap::with_capacity(paths.len());
    let Some(prefix) = (if paths.is_empty() {
        None
    } else {
        work_tree_prefix(root)?
    }) else {
        states.extend(
            paths
                .iter()
                .map(|path| ((*path).to_owned(), GitState::NotInRepository)),
        );
        return Ok(states);
    };

    let tracked = tracked_files(root, paths)?;
    let mut pending: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|path| !tracked.contains(*path))
        .collect();
    states.extend(tracked.into_iter().map(|path| (path, GitState::Tracked)));

    // `check-ignore` refuses a whole batch when one path lies in a submodule; answer those
    // paths from the submodule's own repository and ask again for the rest.
    for _ in 0..=MAX_SUBMODULES {
        let submodule = match ignored_files(root, &pending)? {
            CheckIgnore::Ignored(ignored) => {
                for path in pending {
                    let state = if ignored.contains(path) {
                        GitState::Ignored
                    } else {
                        GitState::Untracked
                    };
                    states.insert(path.to_owned(), state);
                }
                return Ok(states);
            }
            CheckIgnore::InSubmodule(submodule) => submodule,
        };
        let inside_root = submodule
            .strip_prefix(prefix.as_str())
            .filter(|inside| !inside.is_empty());
        let Some(directory) = inside_root else {
            return Err(GitError::Failed {
                command: CHECK_IGNORE,
                message: format!("a path is in submodule {submodule}"),
            });
        };
        let directory_prefix = format!("{directory}/");
        let (inside, outside): (Vec<&str>, Vec<&str>) = pending
            .iter()
            .partition(|path| path.starts_with(&directory_prefix));
        let inner_paths: Vec<&str> = inside
            .iter()
            .filter_map(|path| path.strip_prefix(&directory_prefix))
            .collect();
        if inner_paths.is_empty() {
            return Err(GitError::Failed {
                command: CHECK_IGNORE,
                message: format!("a path is in submodule {submodule}"),
            });
        }
        for (path, state) in git_states(&root.join(directory), &inner_paths)? {
            states.insert(format!("{directory_prefix}{path}"), state);
        }
        pending = outside;
    }
    Err(GitError::Failed {
        command: CHECK_IGNORE,
        message: format!("paths in more than {MAX_SUBMODULES} submodules"),
    })
}

fn git(root: &Path) -> Command {
    let mut command = Command::new("git");
    // Messages are matched below; a translated "not a git repository" would not match.
    command
        .env("LC_ALL", "C")
        .arg("-C")
        .arg(root)
        .stdin(Stdio::null());
    command
}

/// Where `root` lies inside its work tree (`""` at the top, else `"dir/sub/"`), or `None`
/// when it is in no work tree or git is not installed. GitHub annotations and SARIF uploads
/// want paths from the repository's top; prefix workspace paths with this for them.
pub fn work_tree_prefix(root: &Path) -> Result<Option<String>, GitError> {
    const COMMAND: &str = "rev-parse --show-toplevel --show-prefix";
    let output = match git(root)
        .args(["rev-parse", "--show-toplevel", "--show-prefix"])
        .output()
    {
        Ok(output) => output,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(GitError::Spawn {
                command: COMMAND,
                source,
            });
        }
    };
    if output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stdout = stdout.strip_suffix('\n').unwrap_or(&stdout);
        let prefix = stdout.rsplit_once('\n').map_or("", |(_, prefix)| prefix);
        return Ok(Some(prefix.to_owned()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Inside `.git` or a bare repository there is no work tree either.
    if stderr.contains("not a git repository") || stderr.contains("must be run in a work tree") {
        return Ok(None);
    }
    Err(failure(COMMAND, &stderr))
}

/// Paths git has in its index (committed or staged).
fn tracked_files(root: &Path, paths: &[&str]) -> Result<HashSet<String>, GitError> {
    const COMMAND: &str = "ls-files";
    let mut command = git(root);
    command.args(["--literal-pathspecs", "ls-files", "-z", "--cached", "--"]);
    let pathspec_bytes: usize = paths.iter().map(|path| path.len() + 1).sum();
    if pathspec_bytes <= MAX_PATHSPEC_BYTES {
        command.args(paths);
    }
    let output = command.output().map_err(|source| GitError::Spawn {
        command: COMMAND,
        source,
    })?;
    if !output.status.success() {
        return Err(failure(COMMAND, &String::from_utf8_lossy(&output.stderr)));
    }
    Ok(split_nul(&output.stdout))
}

enum CheckIgnore {
    Ignored(HashSet<String>),
    /// git refused because a path is inside this submodule (relative to the top of the work tree).
    InSubmodule(String),
}

/// Which of the untracked `paths` a gitignore rule (any of git's sources) matches.
fn ignored_files(root: &Path, paths: &[&str]) -> Result<CheckIgnore, GitError> {
    const COMMAND: &str = CHECK_IGNORE;
    if paths.is_empty() {
        return Ok(CheckIgnore::Ignored(HashSet::new()));
    }
    let mut child = git(root)
        .args(["check-ignore", "-z", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| GitError::Spawn {
            command: COMMAND,
            source,
        })?;
    let Some(mut stdin) = child.stdin.take() else {
        return Err(failure(COMMAND, "no standard input"));
    };
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(path.as_bytes());
        input.push(0);
    }
    // Write from another thread: git answers while it reads, and a full stdout pipe would
    // otherwise block both sides.
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output();
        let written = writer.join();
        (output, written)
    });
    let output = match output {
        (Ok(output), _) => output,
        (Err(source), _) => {
            return Err(GitError::Spawn {
                command: COMMAND,
                source,
            });
        }
    };
    // Exit status 1 means "none of them is ignored".
    if matches!(output.status.code(), Some(0 | 1)) {
        return Ok(CheckIgnore::Ignored(split_nul(&output.stdout)));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // "fatal: Pathspec 'sub/.env' is in submodule 'sub'"
    if let Some((_, rest)) = stderr.split_once("' is in submodule '")
        && let Some((submodule, _)) = rest.rsplit_once('\'')
    {
        return Ok(CheckIgnore::InSubmodule(submodule.to_owned()));
    }
    Err(failure(COMMAND, &stderr))
}

fn failure(command: &'static str, stderr: &str) -> GitError {
    let message = stderr
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("no message")
        .trim();
    GitError::Failed {
        command,
        message: message.to_owned(),
    }
}

fn split_nul(bytes: &[u8]) -> HashSet<String> {
    bytes
        .split(|byte| *byte == 0)
        .filter(|path| !path.is_empty())
        .map(|path| String::from_utf8_lossy(path).into_owned())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;

    /// Runs git in `dir` isolated from the user's configuration; false when git is missing.
    pub(crate) fn run_git(dir: &Path, args: &[&str]) -> bool {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Makes `dir` a fresh repository; false (the test should return) when git is missing.
    pub(crate) fn init_repo(dir: &Path) -> bool {
        let ok = run_git(dir, &["init", "-q"]);
        if !ok {
            eprintln!("git is not available; skipping");
        }
        ok
    }

    fn write(root: &Path, path: &str) {
        let full = root.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, "PASSWORD=x\n").unwrap();
    }

    #[test]
    fn tracked_staged_ignored_and_untracked_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        if !init_repo(root) {
            return;
        }
        fs::write(
            root.join(".gitignore"),
            ".env\n.env.*\n!.env.example\nignored dir/\n",
        )
        .unwrap();
        let paths = [
            ".env",
            ".env.local",
            ".env.example",
            "committed.env",
            "staged.env",
            "new.env",
            "sub dir/é ü.env",
            "sub dir/.env",
            "ignored dir/prod.env",
            "forced/.env",
            "weird*[name].env",
        ];
        for path in paths {
            write(root, path);
        }
        assert!(run_git(root, &["add", "committed.env", ".gitignore"]));
        assert!(run_git(root, &["commit", "-q", "-m", "init"]));
        assert!(run_git(root, &["add", "staged.env"]));
        assert!(run_git(root, &["add", "-f", "forced/.env"]));

        let states = git_states(root, &paths).unwrap();
        let expected = [
            (".env", GitState::Ignored),
            (".env.local", GitState::Ignored),
            (".env.example", GitState::Untracked),
            ("committed.env", GitState::Tracked),
            ("staged.env", GitState::Tracked),
            ("new.env", GitState::Untracked),
            ("sub dir/é ü.env", GitState::Untracked),
            ("sub dir/.env", GitState::Ignored),
            ("ignored dir/prod.env", GitState::Ignored),
            // Tracked although a rule matches: `git add -f` wins.
            ("forced/.env", GitState::Tracked),
            ("weird*[name].env", GitState::Untracked),
        ];
        for (path, state) in expected {
            assert_eq!(states.get(path), Some(&state), "{path}");
        }
        assert_eq!(states.len(), paths.len());
    }

    #[test]
    fn root_in_a_nested_directory_of_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        if !init_repo(dir.path()) {
            return;
        }
        fs::write(dir.path().join(".gitignore"), "*.local.env\n").unwrap();
        let root = dir.path().join("services/api");
        write(&root, "app.local.env");
        write(&root, "tracked.env");
        assert!(run_git(dir.path(), &["add", "services/api/tracked.env"]));
        let states = git_states(&root, &["app.local.env", "tracked.env"]).unwrap();
        assert_eq!(states["app.local.env"], GitState::Ignored);
        assert_eq!(states["tracked.env"], GitState::Tracked);
    }

    #[test]
    fn paths_inside_submodules_are_answered_by_the_submodule() {
        let dir = tempfile::tempdir().unwrap();
        let (inner, outer) = (dir.path().join("inner"), dir.path().join("outer"));
        fs::create_dir_all(&inner).unwrap();
        fs::create_dir_all(&outer).unwrap();
        if !init_repo(&inner) || !init_repo(&outer) {
            return;
        }
        fs::write(inner.join(".gitignore"), "*.local.env\n").unwrap();
        assert!(run_git(&inner, &["add", ".gitignore"]));
        assert!(run_git(&inner, &["commit", "-q", "-m", "i"]));
        let inner_url = inner.to_str().unwrap();
        assert!(run_git(
            &outer,
            &[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "-q",
                inner_url,
                "libs/sub"
            ]
        ));
        let root = outer.join("libs");
        write(&root, "sub/a.local.env");
        write(&root, "sub/b.env");
        write(&root, "top.env");
        let states = git_states(&root, &["sub/a.local.env", "sub/b.env", "top.env"]).unwrap();
        assert_eq!(states["sub/a.local.env"], GitState::Ignored);
        assert_eq!(states["sub/b.env"], GitState::Untracked);
        assert_eq!(states["top.env"], GitState::Untracked);
    }

    #[test]
    fn outside_a_repository_everything_is_not_in_repository() {
        let dir = tempfile::tempdir().unwrap();
        // A temporary directory can itself sit inside someone's repository; only test when not.
        if run_git(dir.path(), &["rev-parse", "--show-toplevel"]) {
            return;
        }
        write(dir.path(), ".env");
        let states = git_states(dir.path(), &[".env"]).unwrap();
        assert_eq!(states[".env"], GitState::NotInRepository);
    }

    #[test]
    fn inside_the_git_directory_there_is_no_work_tree() {
        let dir = tempfile::tempdir().unwrap();
        if !init_repo(dir.path()) {
            return;
        }
        let states = git_states(&dir.path().join(".git"), &["config"]).unwrap();
        assert_eq!(states["config"], GitState::NotInRepository);
    }

    #[test]
    fn no_paths_need_no_git() {
        assert!(
            git_states(Path::new("/nonexistent"), &[])
                .unwrap()
                .is_empty()
        );
    }
}

//! Fixture projects for the `neon-lsp check` end-to-end tests (tests/check_fixtures.rs,
//! tests/corpus.rs): copy a fixture to a temporary directory outside any git repository, build
//! the git repository it asks for (`git-tracked.txt`, `git-ignore.txt`), run the real binary
//! with `--format json` and read its diagnostics. See tests/fixtures/README.md.
//!
//! Included with `#[path = "support/fixture.rs"] mod fixture;`, so that these test binaries do
//! not compile the network and database helpers of `support`.
#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files that describe a fixture instead of belonging to the project under test.
pub const EXPECTED_FILE: &str = "expected.txt";
/// Paths to `git add` in a fresh repository; its presence makes the fixture a git fixture.
pub const GIT_TRACKED_FILE: &str = "git-tracked.txt";
/// Becomes the repository's `.gitignore`: a real `.gitignore` in the fixture would make the
/// repository that holds the fixtures ignore the fixture's own files.
pub const GIT_IGNORE_FILE: &str = "git-ignore.txt";
/// What Azure has deployed for a fixture that runs `check --azure` (tests/support/azure_fixture.rs).
pub const AZURE_FILE: &str = "azure.json";
pub const CONTROL_FILES: &[&str] = &[
    EXPECTED_FILE,
    GIT_TRACKED_FILE,
    GIT_IGNORE_FILE,
    AZURE_FILE,
    "README.md",
];

/// One diagnostic reduced to what a fixture pins down.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub path: String,
    pub line: u64,
    pub rule: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} {}", self.path, self.line, self.rule)
    }
}

/// One diagnostic as the binary reported it.
pub struct Reported {
    pub finding: Finding,
    pub severity: String,
    pub message: String,
}

pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

pub fn display(dir: &Path) -> String {
    dir.strip_prefix(repository_root())
        .unwrap_or(dir)
        .display()
        .to_string()
}

fn copy_tree(from: &Path, to: &Path, top_level: bool) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|error| format!("cannot create {}: {error}", to.display()))?;
    let entries =
        fs::read_dir(from).map_err(|error| format!("cannot list {}: {error}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("cannot list {}: {error}", from.display()))?;
        let name = entry.file_name();
        if top_level && CONTROL_FILES.iter().any(|control| name == *control) {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        if source.is_dir() {
            copy_tree(&source, &target, false)?;
        } else {
            fs::copy(&source, &target).map_err(|error| {
                format!(
                    "cannot copy {} to {}: {error}",
                    source.display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(["-c", "init.defaultBranch=main", "-c", "core.autocrlf=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|error| format!("cannot run git {args:?} (is git installed?): {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Makes the copy a git repository as the fixture describes: ignore rules from
/// `git-ignore.txt`, the paths in `git-tracked.txt` added to the index, the rest untracked.
fn set_up_git(fixture: &Path, copy: &Path) -> Result<(), String> {
    let tracked =
        fs::read_to_string(fixture.join(GIT_TRACKED_FILE)).map_err(|error| error.to_string())?;
    git(copy, &["init", "-q"])?;
    if let Ok(ignore) = fs::read_to_string(fixture.join(GIT_IGNORE_FILE)) {
        fs::write(copy.join(".gitignore"), ignore).map_err(|error| error.to_string())?;
    }
    for path in tracked
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
    {
        git(copy, &["add", "--force", "--", path])?;
    }
    Ok(())
}

/// A temporary directory inside a git work tree would make every .env look tracked or
/// untracked to the checker; say so instead of reporting confusing `plaintext-secret` diffs.
fn assert_outside_git(copy: &Path) -> Result<(), String> {
    match git(copy, &["rev-parse", "--is-inside-work-tree"]) {
        Ok(answer) if answer.trim() == "true" => Err(format!(
            "the temporary directory {} is inside a git work tree; point TMPDIR elsewhere",
            copy.display()
        )),
        _ => Ok(()),
    }
}

/// Copies `fixture` (without its control files) into a fresh temporary directory and sets up
/// git as it asks. The copy lives as long as the returned `TempDir`.
pub fn prepare_copy(fixture: &Path) -> Result<(tempfile::TempDir, PathBuf), String> {
    let temp = tempfile::tempdir()
        .map_err(|error| format!("cannot create a temporary directory: {error}"))?;
    let name = fixture
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_else(|| "fixture".into());
    let copy = temp.path().join(name);
    copy_tree(fixture, &copy, true)?;
    if fixture.join(GIT_TRACKED_FILE).is_file() {
        set_up_git(fixture, &copy)?;
    } else {
        assert_outside_git(&copy)?;
    }
    Ok((temp, copy))
}

/// The diagnostics, the exit code and the JSON of one `check --format json` run.
pub type CheckRun = (Vec<Reported>, Option<i32>, serde_json::Value);

/// Runs `neon-lsp check <root> --format json`: the diagnostics, the exit code and the JSON.
pub fn run_check(root: &Path) -> Result<CheckRun, String> {
    run_check_with(root, &[], &[], &[])
}

/// `run_check` with more arguments, without the environment variables `removed`, with `env`
/// (`check --azure` against a local emulator).
pub fn run_check_with(
    root: &Path,
    args: &[&str],
    removed: &[&str],
    env: &[(&str, String)],
) -> Result<CheckRun, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
    command
        .arg("check")
        .arg(root)
        .args(["--format", "json"])
        .args(args)
        .env("NO_COLOR", "1");
    for name in removed {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command
        .output()
        .map_err(|error| format!("cannot run neon-lsp: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout).map_err(|error| {
        format!(
            "output is not JSON ({error}); exit code {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status.code()
        )
    })?;
    let diagnostics = json["diagnostics"]
        .as_array()
        .ok_or_else(|| format!("no `diagnostics` array in the output:\n{stdout}"))?;
    let mut reported = Vec::new();
    for diagnostic in diagnostics {
        let field = |name: &str| {
            diagnostic[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("diagnostic without `{name}`: {diagnostic}"))
        };
        let line = diagnostic["line"]
            .as_u64()
            .ok_or_else(|| format!("diagnostic without `line`: {diagnostic}"))?;
        reported.push(Reported {
            finding: Finding {
                path: field("path")?,
                line,
                rule: field("rule")?,
            },
            severity: field("severity")?,
            message: field("message")?,
        });
    }
    Ok((reported, output.status.code(), json))
}

//! End-to-end test of `neon-lsp check` against the fixture projects and the bundled example.
//!
//! Each fixture directory is a small project plus an `expected.txt` listing what the checker
//! must report, one `path:line rule-id` per line (see tests/fixtures/README.md). The test copies
//! each fixture into a temporary directory outside any git repository, so that the repository
//! holding the fixtures does not change what `plaintext-secret` sees, builds a git repository
//! there when the fixture asks for one (`git-tracked.txt`), runs the real binary with
//! `--format json` and compares. All fixtures of a group run; the failures are listed together.
//!
//! Not here: the behaviour of single rules in isolation (unit tests beside each rule) or the
//! text, SARIF and GitHub output formats.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files that describe a fixture instead of belonging to the project under test.
const EXPECTED_FILE: &str = "expected.txt";
/// Paths to `git add` in a fresh repository; its presence makes the fixture a git fixture.
const GIT_TRACKED_FILE: &str = "git-tracked.txt";
/// Becomes the repository's `.gitignore`: a real `.gitignore` in the fixture would make the
/// repository that holds the fixtures ignore the fixture's own files.
const GIT_IGNORE_FILE: &str = "git-ignore.txt";
const CONTROL_FILES: &[&str] = &[
    EXPECTED_FILE,
    GIT_TRACKED_FILE,
    GIT_IGNORE_FILE,
    "README.md",
];

const RULE_IDS: &[&str] = &[
    "unknown-variable",
    "wrong-client-type-variable",
    "incomplete-variable-set",
    "undefined-in-env-file",
    "unused-env-variable",
    "connection-string-format",
    "malformed-connection-string",
    "tls-disabled",
    "invalid-neon-host",
    "plaintext-secret",
    "hardcoded-connection-string",
    "password-with-passwordless-auth",
    "manual-connection-string-parsing",
    "secret-logged",
    "wrong-token-scope",
    "string-ssl-flag",
    "duplicate-key",
    "env-syntax",
    "declared-client-type-mismatch",
    "declared-auth-mismatch",
    "declared-target-mismatch",
    "iac-plaintext-secret",
];

const SEVERITIES: &[&str] = &["error", "warning", "info", "hint"];

/// One diagnostic reduced to what a fixture pins down. The severity is compared only when the
/// expected line names one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    path: String,
    line: u64,
    rule: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} {}", self.path, self.line, self.rule)
    }
}

struct ExpectedLine {
    finding: Finding,
    severity: Option<String>,
}

struct Reported {
    finding: Finding,
    severity: String,
    message: String,
}

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
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

fn project_fixtures() -> Vec<PathBuf> {
    subdirectories(&repository_root().join("tests/fixtures/projects"))
}

fn rule_fixtures() -> Vec<PathBuf> {
    subdirectories(&repository_root().join("tests/fixtures/rules"))
        .iter()
        .flat_map(|rule| subdirectories(rule))
        .collect()
}

fn example_fixtures() -> Vec<PathBuf> {
    subdirectories(&repository_root().join("examples"))
        .into_iter()
        .filter(|dir| dir.join(EXPECTED_FILE).is_file())
        .collect()
}

fn display(dir: &Path) -> String {
    dir.strip_prefix(repository_root())
        .unwrap_or(dir)
        .display()
        .to_string()
}

fn parse_expected(text: &str) -> Result<Vec<ExpectedLine>, String> {
    let mut lines = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "expected.txt line {}: `{line}` is not `path:line rule-id [severity]`",
                number + 1
            )
        };
        let mut words = line.split_whitespace();
        let location = words.next().ok_or_else(bad)?;
        let rule = words.next().ok_or_else(bad)?;
        let severity = words.next().map(str::to_string);
        if words.next().is_some() {
            return Err(bad());
        }
        let (path, line_number) = location.rsplit_once(':').ok_or_else(bad)?;
        let line_number: u64 = line_number.parse().map_err(|_| bad())?;
        if !RULE_IDS.contains(&rule) {
            return Err(format!(
                "expected.txt line {}: unknown rule id `{rule}`",
                number + 1
            ));
        }
        if let Some(severity) = &severity
            && !SEVERITIES.contains(&severity.as_str())
        {
            return Err(format!(
                "expected.txt line {}: unknown severity `{severity}`",
                number + 1
            ));
        }
        lines.push(ExpectedLine {
            finding: Finding {
                path: path.to_string(),
                line: line_number,
                rule: rule.to_string(),
            },
            severity,
        });
    }
    Ok(lines)
}

fn read_expected(fixture: &Path) -> Result<Vec<ExpectedLine>, String> {
    let path = fixture.join(EXPECTED_FILE);
    let text = fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    parse_expected(&text)
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

fn run_check(root: &Path) -> Result<(Vec<Reported>, Option<i32>, serde_json::Value), String> {
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .arg("check")
        .arg(root)
        .args(["--format", "json"])
        .env("NO_COLOR", "1")
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

/// Runs one fixture; `Err` holds a readable report of every difference.
fn check_fixture(fixture: &Path) -> Result<(), String> {
    let expected = read_expected(fixture)?;
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
    let (reported, exit_code, json) = run_check(&copy)?;

    // Multiset difference: a finding reported twice where it is expected once is a failure.
    let mut balance: BTreeMap<&Finding, i64> = BTreeMap::new();
    for line in &expected {
        *balance.entry(&line.finding).or_default() += 1;
    }
    for diagnostic in &reported {
        *balance.entry(&diagnostic.finding).or_default() -= 1;
    }
    let mut problems = Vec::new();
    for (finding, count) in &balance {
        for _ in 0..*count {
            problems.push(format!("  - missing:    {finding}"));
        }
        for _ in 0..(-*count) {
            let details = reported
                .iter()
                .find(|diagnostic| &diagnostic.finding == *finding)
                .map(|diagnostic| format!(" [{}] {}", diagnostic.severity, diagnostic.message))
                .unwrap_or_default();
            problems.push(format!("  + unexpected: {finding}{details}"));
        }
    }
    for line in &expected {
        let Some(want) = &line.severity else { continue };
        if let Some(got) = reported
            .iter()
            .find(|diagnostic| diagnostic.finding == line.finding)
            && &got.severity != want
        {
            problems.push(format!(
                "  ~ severity:   {} is {}, expected {want}",
                line.finding, got.severity
            ));
        }
    }
    let errors = reported
        .iter()
        .filter(|diagnostic| diagnostic.severity == "error")
        .count();
    let want_exit = if errors > 0 { 1 } else { 0 };
    if exit_code != Some(want_exit) {
        problems.push(format!(
            "  ! exit code {exit_code:?}, expected {want_exit} ({errors} error-severity diagnostics reported)"
        ));
    }
    if json["summary"]["errors"].as_u64() != Some(errors as u64) {
        problems.push(format!(
            "  ! summary.errors is {}, but {errors} diagnostics have severity error",
            json["summary"]["errors"]
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut report = problems.join("\n");
    report.push_str("\n  reported:");
    let mut sorted: Vec<&Reported> = reported.iter().collect();
    sorted.sort_by(|a, b| a.finding.cmp(&b.finding));
    if sorted.is_empty() {
        report.push_str(" nothing");
    }
    for diagnostic in sorted {
        report.push_str(&format!(
            "\n    {} [{}]",
            diagnostic.finding, diagnostic.severity
        ));
    }
    Err(report)
}

fn check_all(group: &str, fixtures: &[PathBuf]) {
    assert!(!fixtures.is_empty(), "no {group} fixtures found");
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|fixture| {
            check_fixture(fixture)
                .err()
                .map(|report| format!("{}:\n{report}", display(fixture)))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {group} fixtures failed (- expected but not reported, + reported but not expected):\n\n{}\n",
        failures.len(),
        fixtures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn project_fixtures_report_exactly_what_they_expect() {
    check_all("project", &project_fixtures());
}

#[test]
fn rule_fixtures_report_exactly_what_they_expect() {
    check_all("rule", &rule_fixtures());
}

#[test]
fn bundled_example_reports_exactly_what_it_expects() {
    check_all("example", &example_fixtures());
}

/// The fixtures themselves stay complete: every rule has a positive fixture that lists it and a
/// negative one that does not, fires in at least one project, and no `-ok` project expects
/// anything above a hint.
#[test]
fn fixtures_cover_every_rule() {
    let rules_dir = repository_root().join("tests/fixtures/rules");
    let mut problems = Vec::new();
    for dir in subdirectories(&rules_dir) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !RULE_IDS.contains(&name.as_str()) {
            problems.push(format!("tests/fixtures/rules/{name} is not a rule id"));
        }
    }
    for rule in RULE_IDS {
        for (kind, must_list) in [("positive", true), ("negative", false)] {
            let fixture = rules_dir.join(rule).join(kind);
            match read_expected(&fixture) {
                Ok(lines) => {
                    let lists = lines.iter().any(|line| line.finding.rule == *rule);
                    if lists != must_list {
                        problems.push(format!(
                            "rules/{rule}/{kind}/expected.txt {} {rule}",
                            if must_list {
                                "must list"
                            } else {
                                "must not list"
                            }
                        ));
                    }
                }
                Err(error) => problems.push(format!("rules/{rule}/{kind}: {error}")),
            }
        }
    }
    let mut fired_in_projects = Vec::new();
    for project in project_fixtures() {
        let name = display(&project);
        match read_expected(&project) {
            Ok(lines) => {
                if name.ends_with("-ok") {
                    for line in lines
                        .iter()
                        .filter(|line| line.finding.rule != "unused-env-variable")
                    {
                        problems.push(format!(
                            "{name} is an -ok fixture but expects {}",
                            line.finding
                        ));
                    }
                }
                fired_in_projects.extend(lines.into_iter().map(|line| line.finding.rule));
            }
            Err(error) => problems.push(format!("{name}: {error}")),
        }
    }
    for rule in RULE_IDS {
        if !fired_in_projects.iter().any(|fired| fired == rule) {
            problems.push(format!("no project fixture expects {rule}"));
        }
    }
    assert!(
        problems.is_empty(),
        "fixture set is incomplete:\n{}",
        problems.join("\n")
    );
}

#[test]
fn expected_file_format_is_parsed_strictly() {
    let lines =
        parse_expected("src/db.js:4 string-ssl-flag\n\n.env:2 tls-disabled warning\n").unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].finding.to_string(), "src/db.js:4 string-ssl-flag");
    assert_eq!(lines[1].severity.as_deref(), Some("warning"));
    assert!(parse_expected("src/db.js string-ssl-flag").is_err());
    assert!(parse_expected("src/db.js:x string-ssl-flag").is_err());
    assert!(parse_expected("src/db.js:4 no-such-rule").is_err());
    assert!(parse_expected("src/db.js:4 tls-disabled fatal").is_err());
}

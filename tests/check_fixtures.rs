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

#[allow(dead_code)] // the emulator's request log and builders serve tests/azure_check.rs
#[path = "support/arm.rs"]
mod arm;
#[path = "support/azure_fixture.rs"]
mod azure_fixture;
#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http;

use fixture::{
    EXPECTED_FILE, Finding, Reported, display, prepare_copy, repository_root, subdirectories,
};
use neon_lsp::rules::Rule;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every rule id, from the registry: a rule added there needs its fixtures here.
fn rule_ids() -> Vec<&'static str> {
    Rule::ALL.iter().map(|rule| rule.id()).collect()
}

const SEVERITIES: &[&str] = &["error", "warning", "info", "hint"];

struct ExpectedLine {
    finding: Finding,
    severity: Option<String>,
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
        if !rule_ids().contains(&rule) {
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

/// Runs one fixture; `Err` holds a readable report of every difference.
fn check_fixture(fixture: &Path) -> Result<(), String> {
    let expected = read_expected(fixture)?;
    let (_temp, copy) = prepare_copy(fixture)?;
    let (reported, exit_code, json) = azure_fixture::check_fixture_copy(fixture, &copy)?;

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

/// The fixtures themselves stay complete: every rule of the registry (`Rule::ALL`) has a
/// positive fixture that lists it and a negative one that does not, fires in at least one
/// project, and no `-ok` project expects anything above a hint.
#[test]
fn fixtures_cover_every_rule() {
    let rules_dir = repository_root().join("tests/fixtures/rules");
    let rule_ids = rule_ids();
    let mut problems = Vec::new();
    for dir in subdirectories(&rules_dir) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !rule_ids.contains(&name.as_str()) {
            problems.push(format!("tests/fixtures/rules/{name} is not a rule id"));
        }
    }
    for rule in &rule_ids {
        if !rules_dir.join(rule).is_dir() {
            problems.push(format!(
                "rule {rule} has no fixture: add tests/fixtures/rules/{rule}/positive and \
                 negative (tests/fixtures/README.md)"
            ));
            continue;
        }
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
    for rule in &rule_ids {
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

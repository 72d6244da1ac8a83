//! The precision corpus (issue 13): realistic apps under tests/fixtures/corpus/, each with the
//! findings a perfect neon-lsp reports (`expected.txt`), scored against the real binary.
//!
//! The corpus is a ratchet. Every difference between what `neon-lsp check` reports and what the
//! apps expect is a *gap*: `missed` (an expected finding, at its severity, not reported) or
//! `false-finding` (a warning or error nobody expects). tests/fixtures/corpus/KNOWN_GAPS.txt
//! lists today's gaps; the test fails when the actual gaps differ from that list in either
//! direction — a new false finding or miss fails, and so does a fixed gap still listed (remove
//! it). Hints and infos that no expected.txt lists are allowed; listed ones are required.
//! The target is an empty KNOWN_GAPS.txt. See tests/fixtures/corpus/README.md.

#[path = "support/fixture.rs"]
mod fixture;

use fixture::{Finding, display, prepare_copy, repository_root, run_check, subdirectories};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Rule ids the corpus expects that no rule implements yet; each is described in
/// tests/fixtures/corpus/README.md ("Proposed rules"). Remove an id once docs/rules.md has it.
const PROPOSED_RULES: &[&str] = &[];

const SEVERITIES: &[&str] = &["error", "warning", "info", "hint"];

const GAPS_FILE: &str = "KNOWN_GAPS.txt";
/// Set to `1` to rewrite KNOWN_GAPS.txt from the current gaps instead of comparing.
const BLESS_VARIABLE: &str = "NEON_LSP_BLESS_CORPUS";
const GAPS_HEADER: &str = "\
# Gaps between what neon-lsp reports on tests/fixtures/corpus and what the apps expect.
# `app/path:line rule-id severity missed|false-finding`; the target of issue 13 is an empty list.
# tests/corpus.rs fails when this list and the actual gaps differ in either direction.
# Regenerate after a fix: NEON_LSP_BLESS_CORPUS=1 cargo test --test corpus
";
const CLASSES_FILE: &str = "CLASSES.txt";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    finding: Finding,
    severity: String,
}

fn corpus_dir() -> PathBuf {
    repository_root().join("tests/fixtures/corpus")
}

/// The rule ids docs/rules.md (generated from the registry) lists, plus the proposed ones.
fn known_rules() -> Vec<String> {
    let docs = fs::read_to_string(repository_root().join("docs/rules.md")).unwrap_or_default();
    let mut rules: Vec<String> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("| [`"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id.to_string()))
        .collect();
    rules.extend(PROPOSED_RULES.iter().map(|id| id.to_string()));
    rules
}

/// `path:line rule-id severity`, one per line; the severity is required in the corpus.
fn parse_expected(text: &str, rules: &[String]) -> Result<Vec<Expected>, String> {
    let mut lines = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "expected.txt line {}: `{line}` is not `path:line rule-id severity`",
                number + 1
            )
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let [location, rule, severity] = words[..] else {
            return Err(bad());
        };
        let (path, line_number) = location.rsplit_once(':').ok_or_else(bad)?;
        let line_number: u64 = line_number.parse().map_err(|_| bad())?;
        if !rules.iter().any(|known| known == rule) {
            return Err(format!(
                "expected.txt line {}: unknown rule id `{rule}` (not in docs/rules.md nor PROPOSED_RULES)",
                number + 1
            ));
        }
        if !SEVERITIES.contains(&severity) {
            return Err(format!(
                "expected.txt line {}: unknown severity `{severity}`",
                number + 1
            ));
        }
        lines.push(Expected {
            finding: Finding {
                path: path.to_string(),
                line: line_number,
                rule: rule.to_string(),
            },
            severity: severity.to_string(),
        });
    }
    Ok(lines)
}

/// Non-empty lines without `#` comments.
fn content_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|line| {
            line.split_once('#')
                .map_or(line, |(before, _)| before)
                .trim()
        })
        .filter(|line| !line.is_empty())
}

/// `class-id app/path[:line]` lines: a location belongs to the class of the longest prefix.
fn read_classes() -> Vec<(String, String)> {
    let text = fs::read_to_string(corpus_dir().join(CLASSES_FILE)).unwrap_or_default();
    content_lines(&text)
        .filter_map(|line| line.split_once(char::is_whitespace))
        .map(|(class, prefix)| (class.to_string(), prefix.trim().to_string()))
        .collect()
}

fn class_of(classes: &[(String, String)], location: &str) -> String {
    classes
        .iter()
        .filter(|(_, prefix)| {
            location.starts_with(prefix.as_str())
                && (location.len() == prefix.len()
                    || prefix.ends_with('/')
                    || matches!(location.as_bytes()[prefix.len()], b':' | b'/'))
        })
        .max_by_key(|(_, prefix)| prefix.len())
        .map_or_else(|| "unclassified".to_string(), |(class, _)| class.clone())
}

/// What one app expects and what the binary reported there.
struct Scored {
    expected: Vec<Expected>,
    gaps: Vec<String>,
    found: usize,
}

fn is_blocking(severity: &str) -> bool {
    matches!(severity, "error" | "warning")
}

fn score_app(app: &Path, rules: &[String]) -> Result<Scored, String> {
    let name = app
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = fs::read_to_string(app.join("expected.txt"))
        .map_err(|error| format!("{}: cannot read expected.txt: {error}", display(app)))?;
    let expected = parse_expected(&text, rules).map_err(|error| format!("{name}: {error}"))?;
    if !app.join("README.md").is_file() {
        return Err(format!("{name}: every corpus app needs a README.md"));
    }
    let (_temp, copy) = prepare_copy(app).map_err(|error| format!("{name}: {error}"))?;
    let (reported, _, _) = run_check(&copy).map_err(|error| format!("{name}: {error}"))?;

    let reported: Vec<Expected> = reported
        .into_iter()
        .map(|diagnostic| Expected {
            finding: diagnostic.finding,
            severity: diagnostic.severity,
        })
        .collect();
    let (gaps, found) = gaps_of(&name, &expected, &reported);
    Ok(Scored {
        expected,
        gaps,
        found,
    })
}

/// Multiset match on (finding, severity): the gaps of one app and how many expected lines were
/// found. Unmatched hints and infos that were reported are allowed; expected ones are required.
fn gaps_of(app: &str, expected: &[Expected], reported: &[Expected]) -> (Vec<String>, usize) {
    let mut balance: BTreeMap<&Expected, i64> = BTreeMap::new();
    for line in expected {
        *balance.entry(line).or_default() += 1;
    }
    for diagnostic in reported {
        *balance.entry(diagnostic).or_default() -= 1;
    }
    let mut gaps = Vec::new();
    let mut found = expected.len();
    for (line, count) in balance {
        let described = format!(
            "{app}/{}:{} {} {}",
            line.finding.path, line.finding.line, line.finding.rule, line.severity
        );
        for _ in 0..count {
            found -= 1;
            gaps.push(format!("{described} missed"));
        }
        if is_blocking(&line.severity) {
            for _ in 0..(-count) {
                gaps.push(format!("{described} false-finding"));
            }
        }
    }
    (gaps, found)
}

/// Sorts gaps by app/path, then line number, then the rest.
fn gap_order(gap: &str) -> (String, u64, String) {
    let (location, rest) = gap.split_once(' ').unwrap_or((gap, ""));
    let (path, line) = location.rsplit_once(':').unwrap_or((location, "0"));
    (
        path.to_string(),
        line.parse().unwrap_or(0),
        rest.to_string(),
    )
}

fn multiset(lines: &[String]) -> BTreeMap<&str, i64> {
    let mut counts = BTreeMap::new();
    for line in lines {
        *counts.entry(line.as_str()).or_default() += 1;
    }
    counts
}

#[derive(Default)]
struct Tally {
    expected_blocking: usize,
    expected_hints: usize,
    missed: usize,
    false_findings: usize,
}

fn summary(apps: usize, scored: &[(String, Scored)], classes: &[(String, String)]) -> String {
    let mut total = Tally::default();
    let mut found = 0;
    let mut by_class: BTreeMap<String, Tally> = classes
        .iter()
        .map(|(class, _)| (class.clone(), Tally::default()))
        .collect();
    for (app, result) in scored {
        found += result.found;
        for line in &result.expected {
            let location = format!("{app}/{}:{}", line.finding.path, line.finding.line);
            let tally = by_class.entry(class_of(classes, &location)).or_default();
            if is_blocking(&line.severity) {
                tally.expected_blocking += 1;
                total.expected_blocking += 1;
            } else {
                tally.expected_hints += 1;
                total.expected_hints += 1;
            }
        }
        for gap in &result.gaps {
            let location = gap.split_whitespace().next().unwrap_or_default();
            let tally = by_class.entry(class_of(classes, location)).or_default();
            if gap.ends_with(" missed") {
                tally.missed += 1;
                total.missed += 1;
            } else {
                tally.false_findings += 1;
                total.false_findings += 1;
            }
        }
    }
    let mut text = format!(
        "corpus: {apps} apps, {} expected findings ({} warning/error, {} hint/info), {found} found, \
         {} false findings at warning/error, {} missed\n\n\
         | class | expected warning/error | expected hint/info | false findings | missed |\n\
         |---|---|---|---|---|\n",
        total.expected_blocking + total.expected_hints,
        total.expected_blocking,
        total.expected_hints,
        total.false_findings,
        total.missed,
    );
    for (class, tally) in &by_class {
        text.push_str(&format!(
            "| {class} | {} | {} | {} | {} |\n",
            tally.expected_blocking, tally.expected_hints, tally.false_findings, tally.missed
        ));
    }
    text
}

#[test]
fn corpus_gaps_match_known_gaps() {
    let rules = known_rules();
    let apps = subdirectories(&corpus_dir());
    assert!(
        apps.len() >= 30,
        "the corpus needs at least 30 apps, found {}",
        apps.len()
    );
    let mut scored = Vec::new();
    let mut errors = Vec::new();
    for app in &apps {
        let name = app
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match score_app(app, &rules) {
            Ok(result) => scored.push((name, result)),
            Err(error) => errors.push(error),
        }
    }
    assert!(
        errors.is_empty(),
        "corpus apps failed to run:\n{}",
        errors.join("\n")
    );

    let classes = read_classes();
    let report = summary(apps.len(), &scored, &classes);
    println!("{report}");

    let actual: Vec<String> = scored
        .iter()
        .flat_map(|(_, result)| result.gaps.iter().cloned())
        .collect();
    let gaps_path = corpus_dir().join(GAPS_FILE);
    if std::env::var(BLESS_VARIABLE).is_ok_and(|value| value == "1") {
        let mut sorted = actual.clone();
        sorted.sort_by_key(|gap| gap_order(gap));
        let mut text = GAPS_HEADER.to_string();
        for gap in &sorted {
            text.push_str(gap);
            text.push('\n');
        }
        fs::write(&gaps_path, text).expect("write KNOWN_GAPS.txt");
        return;
    }
    let listed_text = fs::read_to_string(&gaps_path).unwrap_or_default();
    let listed: Vec<String> = content_lines(&listed_text).map(str::to_string).collect();
    let (actual_set, listed_set) = (multiset(&actual), multiset(&listed));
    let mut problems = Vec::new();
    for (gap, count) in &actual_set {
        let known = listed_set.get(gap).copied().unwrap_or(0);
        for _ in known..*count {
            problems.push(format!(
                "  + new gap (fix it, or list it if it is accepted): {gap}"
            ));
        }
    }
    for (gap, count) in &listed_set {
        let now = actual_set.get(gap).copied().unwrap_or(0);
        for _ in now..*count {
            problems.push(format!("  - fixed, remove from {GAPS_FILE}: {gap}"));
        }
    }
    assert!(
        problems.is_empty(),
        "tests/fixtures/corpus/{GAPS_FILE} does not match the corpus:\n{}\n\n{report}\n\
         If the change is intended, regenerate it: {BLESS_VARIABLE}=1 cargo test --test corpus\n",
        problems.join("\n"),
    );
}

#[test]
fn expected_lines_need_a_severity_and_a_known_rule() {
    let rules = known_rules();
    assert!(rules.iter().any(|rule| rule == "tls-disabled"));
    let lines = parse_expected("app.py:4 secret-logged warning\n\n", &rules).unwrap();
    assert_eq!(lines[0].finding.to_string(), "app.py:4 secret-logged");
    assert_eq!(lines[0].severity, "warning");
    assert!(parse_expected("app.py:4 secret-logged", &rules).is_err());
    assert!(parse_expected("app.py:4 no-such-rule hint", &rules).is_err());
    assert!(parse_expected("app.py:4 secret-logged fatal", &rules).is_err());
    assert!(parse_expected("app.py:4 tls-not-required hint", &rules).is_ok());
    let classes = vec![
        ("a".to_string(), "app/settings".to_string()),
        ("b".to_string(), "app/settings/production.py:12".to_string()),
    ];
    assert_eq!(class_of(&classes, "app/settings/production.py:12"), "b");
    assert_eq!(class_of(&classes, "app/settings/production.py:120"), "a");
    assert_eq!(class_of(&classes, "app/settings2/x.py:1"), "unclassified");
}

#[test]
fn gaps_count_severity_mismatches_and_ignore_unlisted_hints() {
    let line = |text: &str| parse_expected(text, &known_rules()).unwrap().remove(0);
    let expected = vec![
        line(".env:4 env-syntax warning"),
        line("db.py:9 tls-not-required hint"),
        line("db.py:16 secret-logged warning"),
    ];
    let reported = vec![
        line(".env:4 env-syntax error"),
        line(".env:9 unused-env-variable hint"),
        line("db.py:16 secret-logged warning"),
        line("db.py:30 tls-disabled warning"),
    ];
    let (mut gaps, found) = gaps_of("app", &expected, &reported);
    gaps.sort_by_key(|gap| gap_order(gap));
    assert_eq!(
        gaps,
        [
            "app/.env:4 env-syntax error false-finding",
            "app/.env:4 env-syntax warning missed",
            "app/db.py:9 tls-not-required hint missed",
            "app/db.py:30 tls-disabled warning false-finding",
        ]
    );
    assert_eq!(found, 1);
}

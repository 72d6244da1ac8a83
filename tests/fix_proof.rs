//! Proof that the fixes are right (issue 14): every fix of every diagnostic of every fixture
//! (tests/fixtures/rules/**, tests/fixtures/projects/**, tests/fixtures/corpus/**, examples/**)
//! is applied alone to a fresh copy of its project, and then
//! - re-analysing shows one fewer finding of that rule, path and message, and no error or
//!   warning that was not there before;
//! - every file the fix touched still parses with its language's tools (`support::parse_check`).
//!
//! Generic over rules: a fix any rule adds later is exercised the same way. It prints the fix
//! coverage (error/warning findings with a fix / all error/warning findings) and the
//! application success rate (fixes that pass / fixes applied), the figures of issue 14.

mod support;

use neon_lsp::analysis::{Options, analyse};
use neon_lsp::cli::walk::{WalkOptions, collect};
use neon_lsp::diagnostic::{Diagnostic, Fix, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture project: the directories holding an `expected.txt` (or the examples).
fn fixture_roots() -> Vec<PathBuf> {
    let root = repository_root();
    let mut roots = Vec::new();
    let mut pending: Vec<PathBuf> = [
        "tests/fixtures/rules",
        "tests/fixtures/projects",
        "tests/fixtures/corpus",
        "examples",
    ]
    .iter()
    .map(|dir| root.join(dir))
    .collect();
    while let Some(dir) = pending.pop() {
        if dir.join("expected.txt").is_file() || dir.parent() == Some(&root.join("examples")) {
            roots.push(dir);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    roots.sort();
    roots
}

const KNOWN_GAPS: &str = "tests/fixtures/fix_proof_known_gaps.txt";

/// `fixture: path rule` lines of fixes known not to pass yet.
fn known_gaps() -> Vec<String> {
    std::fs::read_to_string(repository_root().join(KNOWN_GAPS))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn analyse_dir(dir: &Path) -> Vec<Diagnostic> {
    let options = WalkOptions {
        git: false,
        ..WalkOptions::default()
    };
    let collected = collect(&[dir.to_path_buf()], &options).unwrap();
    analyse(&collected.workspace, &Options::default()).unwrap_or_default()
}

fn serious(diagnostic: &Diagnostic) -> bool {
    diagnostic.severity >= Severity::Warning
}

/// (rule, path, message) → count, for errors and warnings.
fn tally(diagnostics: &[Diagnostic]) -> BTreeMap<(String, String, String), usize> {
    let mut out = BTreeMap::new();
    for diagnostic in diagnostics.iter().filter(|d| serious(d)) {
        *out.entry((
            diagnostic.rule.id().to_owned(),
            diagnostic.path.clone(),
            diagnostic.message.clone(),
        ))
        .or_insert(0) += 1;
    }
    out
}

/// Applies the fix's edits (byte ranges, the text as applied, never the masked display text).
fn apply(root: &Path, fix: &Fix) -> Result<Vec<PathBuf>, String> {
    let mut by_file: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for edit in &fix.edits {
        by_file.entry(edit.path.as_str()).or_default().push(edit);
    }
    let mut touched = Vec::new();
    for (path, mut edits) in by_file {
        let full = root.join(path);
        let mut text = std::fs::read_to_string(&full).map_err(|e| format!("{path}: {e}"))?;
        edits.sort_by_key(|edit| std::cmp::Reverse(edit.range.start));
        for edit in edits {
            let (start, end) = (edit.range.start, edit.range.end);
            if end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                return Err(format!("{path}: edit {start}..{end} outside the text"));
            }
            text.replace_range(start..end, &edit.new_text);
        }
        std::fs::write(&full, text).map_err(|e| format!("{path}: {e}"))?;
        touched.push(full);
    }
    Ok(touched)
}

#[test]
fn every_fix_removes_its_finding_adds_none_and_parses() {
    let scratch = tempfile::tempdir().unwrap();
    let mut findings = 0usize;
    let mut with_fix = 0usize;
    let mut applied = 0usize;
    let mut passed = 0usize;
    let mut parsed_files = 0usize;
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut without_fix: BTreeMap<String, usize> = BTreeMap::new();
    for (index, fixture) in fixture_roots().iter().enumerate() {
        let name = fixture
            .strip_prefix(repository_root())
            .unwrap_or(fixture)
            .display()
            .to_string();
        let base = scratch.path().join(format!("{index}-base"));
        copy_tree(fixture, &base);
        let before = analyse_dir(&base);
        let before_tally = tally(&before);
        for diagnostic in before.iter().filter(|d| serious(d)) {
            findings += 1;
            if diagnostic.fixes.is_empty() {
                *without_fix
                    .entry(diagnostic.rule.id().to_owned())
                    .or_default() += 1;
                continue;
            }
            with_fix += 1;
            for (fix_index, fix) in diagnostic.fixes.iter().enumerate() {
                applied += 1;
                let copy = scratch.path().join(format!("{index}-fix"));
                let _ = std::fs::remove_dir_all(&copy);
                copy_tree(fixture, &copy);
                let what = format!(
                    "{name}: {} {} fix {fix_index} \"{}\"",
                    diagnostic.path,
                    diagnostic.rule.id(),
                    fix.title
                );
                let touched = match apply(&copy, fix) {
                    Ok(touched) => touched,
                    Err(error) => {
                        failures.push((
                            format!("{name}: {} {}", diagnostic.path, diagnostic.rule.id()),
                            format!("{what}: cannot apply: {error}"),
                        ));
                        continue;
                    }
                };
                let mut problems = Vec::new();
                for file in &touched {
                    match support::parse_check::parses(file) {
                        Ok(true) => parsed_files += 1,
                        Ok(false) => {}
                        Err(error) => problems.push(format!("no longer parses: {error}")),
                    }
                }
                let after_tally = tally(&analyse_dir(&copy));
                let key = (
                    diagnostic.rule.id().to_owned(),
                    diagnostic.path.clone(),
                    diagnostic.message.clone(),
                );
                if after_tally.get(&key).copied().unwrap_or(0) >= before_tally[&key] {
                    problems.push("the finding is still there".to_owned());
                }
                for (key, count) in &after_tally {
                    if *count > before_tally.get(key).copied().unwrap_or(0) {
                        problems.push(format!("new {} in {}: {}", key.0, key.1, key.2));
                    }
                }
                if problems.is_empty() {
                    passed += 1;
                } else {
                    failures.push((
                        format!("{name}: {} {}", diagnostic.path, diagnostic.rule.id()),
                        format!("{what}: {}", problems.join("; ")),
                    ));
                }
            }
        }
    }
    let percent = |part: usize, whole: usize| {
        if whole == 0 {
            100.0
        } else {
            100.0 * part as f64 / whole as f64
        }
    };
    eprintln!(
        "fix coverage: {with_fix}/{findings} error+warning findings carry a fix ({:.1}%)",
        percent(with_fix, findings)
    );
    eprintln!("findings without a fix, by rule: {without_fix:?}");
    eprintln!(
        "fix application success: {passed}/{applied} ({:.1}%); {parsed_files} fixed files checked by their language's parser",
        percent(passed, applied)
    );
    let known = known_gaps();
    for (key, failure) in &failures {
        let tag = if known.contains(key) {
            "known gap"
        } else {
            "FAILED"
        };
        eprintln!("{tag}: {failure}");
    }
    for gap in &known {
        if !failures.iter().any(|(key, _)| key == gap) {
            eprintln!("fixed, delete from {KNOWN_GAPS}: {gap}");
        }
    }
    assert!(applied > 0, "no fix was exercised");
    let new: Vec<&String> = failures
        .iter()
        .filter(|(key, _)| !known.contains(key))
        .map(|(_, failure)| failure)
        .collect();
    assert!(
        new.is_empty(),
        "{} of {applied} fixes are not right and not in {KNOWN_GAPS} (listed above)",
        new.len()
    );
}

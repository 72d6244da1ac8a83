//! Fix coverage (issue 14 items 1 and 6): every error and warning finding on every fixture —
//! rule fixtures, project fixtures, the examples and the precision corpus — carries at least one
//! fix with at least one edit. The real binary runs on a copy of each fixture (git set up as
//! the fixture asks, as `check_fixtures.rs` does) with `--format json` — and with `--azure`
//! against the local ARM emulator for a fixture with an `azure.json`, so that the deployed-state
//! rules (`missing-in-deployment`, `key-vault-mismatch`, `deployment-drift`) count too; the test
//! prints the coverage figure and fails listing every finding without a fix.
//!
//! Not here: whether a fix is *right* (tests/fix_proof.rs applies them and re-checks) or the
//! unit tests that prove, rule by rule, why a finding's fix can only be an explanation.

// The emulator's request log and app builders are for tests/azure_check.rs.
#[allow(dead_code)]
#[path = "support/arm.rs"]
mod arm;
#[path = "support/azure_fixture.rs"]
mod azure_fixture;
#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http;

use fixture::{display, prepare_copy, repository_root, subdirectories};
use std::path::PathBuf;

/// Rules allowed to have error/warning findings without a fix: none (issue 14 asks for 100%).
/// Findings of a rule listed here would be counted but would not fail the test.
const FIXES_PENDING: &[&str] = &[];

fn fixtures() -> Vec<PathBuf> {
    let root = repository_root();
    let mut dirs = Vec::new();
    for rule in subdirectories(&root.join("tests/fixtures/rules")) {
        dirs.extend(subdirectories(&rule));
    }
    for group in [
        "tests/fixtures/projects",
        "tests/fixtures/corpus",
        "examples",
    ] {
        dirs.extend(subdirectories(&root.join(group)));
    }
    dirs
}

#[test]
fn every_error_and_warning_carries_a_fix() {
    let mut findings = 0usize;
    let mut with_fix = 0usize;
    let mut missing = Vec::new();
    let mut pending = Vec::new();
    let mut failures = Vec::new();
    let mut azure_findings = 0usize;
    for fixture in fixtures() {
        let azure = fixture.join(fixture::AZURE_FILE).is_file();
        let outcome = prepare_copy(&fixture)
            .and_then(|(_temp, copy)| azure_fixture::check_fixture_copy(&fixture, &copy));
        let json = match outcome {
            Ok((_, _, json)) => json,
            Err(error) => {
                failures.push(format!("{}: {error}", display(&fixture)));
                continue;
            }
        };
        for diagnostic in json["diagnostics"].as_array().into_iter().flatten() {
            if !matches!(diagnostic["severity"].as_str(), Some("error" | "warning")) {
                continue;
            }
            findings += 1;
            if azure {
                azure_findings += 1;
            }
            let has_fix = diagnostic["fixes"].as_array().is_some_and(|fixes| {
                fixes.iter().any(|fix| {
                    fix["edits"]
                        .as_array()
                        .is_some_and(|edits| !edits.is_empty())
                        && matches!(fix["applicability"].as_str(), Some("safe" | "unsafe"))
                })
            });
            if has_fix {
                with_fix += 1;
                continue;
            }
            let rule = diagnostic["rule"].as_str().unwrap_or("?");
            let line = format!(
                "{}/{}:{} {rule}: {}",
                display(&fixture),
                diagnostic["path"].as_str().unwrap_or("?"),
                diagnostic["line"],
                diagnostic["message"].as_str().unwrap_or("")
            );
            if FIXES_PENDING.contains(&rule) {
                pending.push(line);
            } else {
                missing.push(line);
            }
        }
    }
    let percent = if findings == 0 {
        100.0
    } else {
        with_fix as f64 * 100.0 / findings as f64
    };
    println!(
        "fix coverage: {with_fix} of {findings} error/warning findings carry a fix ({percent:.1}%), \
         {azure_findings} of them from `check --azure` fixtures; \
         {} without, of which {} belong to rules whose fixes are pending (FIXES_PENDING)",
        missing.len() + pending.len(),
        pending.len()
    );
    for line in &pending {
        println!("  pending: {line}");
    }
    assert!(
        failures.is_empty(),
        "fixtures that did not run:\n{}",
        failures.join("\n")
    );
    assert!(findings > 0, "no error or warning finding on any fixture");
    assert!(
        missing.is_empty(),
        "{} error/warning findings carry no fix:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

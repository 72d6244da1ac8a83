//! Validates the SARIF reporter with Microsoft's SARIF validator (`@microsoft/sarif-multitool`,
//! run through npx) and the JSON reporter against the shape PRODUCT.md promises.
//!
//! Without node/npx the SARIF test prints why and passes, except under `CI=true`, where a
//! missing prerequisite is a failure. The first run downloads the validator into npm's cache
//! (about 2 s here; it is a .NET program of roughly 100 MB).

use neon_lsp::cli::report::{Note, Report, render_json, render_sarif};
use neon_lsp::diagnostic::{Applicability, Diagnostic, FileEdit, Fix, Related, Severity};
use neon_lsp::rules::Rule;
use neon_lsp::text::TextRange;
use serde_json::Value;
use std::collections::HashMap;
#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const VALIDATOR: &str = "@microsoft/sarif-multitool";

fn range_of(text: &str, needle: &str) -> TextRange {
    let start = text.find(needle).unwrap();
    TextRange::new(start, start + needle.len())
}

/// Synthetic diagnostics over a nested path with a space, non-ASCII text, every severity,
/// fixes (a replacement, an insertion, a new file) and a related location.
fn report() -> Report {
    let js = "// Größe ✓\nconst host = process.env.NEON_POSTGRES_HOST;\nconst ssl = process.env.NEON_POSTGRESQL_SSL;\n";
    let env = "NEON_POSTGRESQL_HOST=ep-cool-darkness-123456.eastus2.azure.neon.tech\nNEON_POSTGRESQL_SSL=false\nNEON_POSTGRESQL_HOST=dup\n";
    let js_path = "services/web app/src/dataBase ü.js";
    let env_path = "services/web app/.env";

    let unknown = Diagnostic::new(
        Rule::UnknownVariable,
        js_path,
        range_of(js, "NEON_POSTGRES_HOST"),
        "NEON_POSTGRES_HOST is never set by Service Connector; did you mean NEON_POSTGRESQL_HOST? (client type nodejs, from package.json)",
    )
    .with_fix(Fix {
        title: "Replace with NEON_POSTGRESQL_HOST".into(),
        edits: vec![FileEdit::new(js_path, range_of(js, "NEON_POSTGRES_HOST"), "NEON_POSTGRESQL_HOST")],
        applicability: Applicability::Safe,
    });
    let ssl_value = range_of(env, "false");
    let tls = Diagnostic::new(
        Rule::TlsDisabled,
        env_path,
        ssl_value,
        "NEON_POSTGRESQL_SSL is \"false\": Neon refuses unencrypted connections",
    )
    .with_fix(Fix {
        title: "Set NEON_POSTGRESQL_SSL=true".into(),
        edits: vec![FileEdit::new(env_path, ssl_value, "true")],
        applicability: Applicability::Safe,
    })
    .with_related(Related {
        path: js_path.into(),
        range: range_of(js, "NEON_POSTGRESQL_SSL"),
        message: "read here".into(),
    });
    let dup_start = env.rfind("NEON_POSTGRESQL_HOST").unwrap();
    let mut duplicate = Diagnostic::new(
        Rule::DuplicateKey,
        env_path,
        TextRange::new(dup_start, dup_start + "NEON_POSTGRESQL_HOST=dup".len()),
        "NEON_POSTGRESQL_HOST is defined twice; this later value wins",
    );
    duplicate.severity = Severity::Warning;
    let end = env.len();
    let undefined = Diagnostic::new(
        Rule::UndefinedInEnvFile,
        js_path,
        range_of(js, "NEON_POSTGRESQL_SSL"),
        "no .env file in scope defines NEON_POSTGRESQL_SSL",
    )
    .with_fix(Fix {
        title: "Add NEON_POSTGRESQL_SSL to .env".into(),
        edits: vec![FileEdit::new(
            env_path,
            TextRange::empty(end),
            "NEON_POSTGRESQL_PASSWORD=\n",
        )],
        applicability: Applicability::Unsafe,
    })
    .with_fix(Fix {
        title: "Create services/api/.env.local".into(),
        edits: vec![FileEdit::new(
            "services/api/.env.local",
            TextRange::empty(0),
            "NEON_POSTGRESQL_SSL=true\n",
        )],
        applicability: Applicability::Unsafe,
    });
    let mut unused = Diagnostic::new(
        Rule::UnusedEnvVariable,
        env_path,
        range_of(env, "NEON_POSTGRESQL_HOST"),
        "NEON_POSTGRESQL_HOST is never read",
    );
    unused.severity = Severity::Hint;
    let mut info = Diagnostic::new(
        Rule::IncompleteVariableSet,
        js_path,
        TextRange::new(0, js.len()),
        "multi-line range",
    );
    info.severity = Severity::Info;

    Report {
        diagnostics: vec![unknown, tls, duplicate, undefined, unused, info],
        sources: HashMap::from([
            (js_path.to_owned(), js.to_owned()),
            (env_path.to_owned(), env.to_owned()),
        ]),
        files_scanned: 7,
        notes: vec![
            Note {
                path: "assets/blob.py".into(),
                message: "skipped: binary file".into(),
            },
            Note {
                path: ".".into(),
                message: "git is not installed".into(),
            },
        ],
        secrets: HashMap::new(),
    }
}

/// `Some(reason)` when the validator cannot run here.
fn missing_prerequisite() -> Option<String> {
    match Command::new("npx").arg("--version").output() {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`npx --version` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Some(format!("npx (Node.js) is not available: {error}")),
    }
}

fn skip_or_fail(reason: &str) {
    skip::prerequisite_missing(&format!(
        "SARIF validation needs Node.js with npx: {reason}"
    ));
}

fn validate(sarif_file: &Path, output_file: &Path) -> (String, Value) {
    let started = Instant::now();
    let output = Command::new("npx")
        .args(["--yes", VALIDATOR, "validate"])
        .arg(sarif_file)
        .arg("--output")
        .arg(output_file)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("run npx");
    let console = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("validator ran in {:.1?}:\n{console}", started.elapsed());
    let log = std::fs::read_to_string(output_file).unwrap_or_else(|error| {
        panic!("the validator wrote no log ({error}); its output:\n{console}")
    });
    (
        console,
        serde_json::from_str(&log).expect("validator log is JSON"),
    )
}

#[test]
fn sarif_output_passes_microsofts_validator() {
    if let Some(reason) = missing_prerequisite() {
        skip_or_fail(&reason);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sarif_file = dir.path().join("neon-lsp.sarif");
    let validation_file = dir.path().join("validation.sarif");
    std::fs::write(&sarif_file, render_sarif(&report())).unwrap();

    let (console, validation) = validate(&sarif_file, &validation_file);
    let results: Vec<&Value> = validation["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["results"].as_array().into_iter().flatten())
        .collect();
    let errors: Vec<String> = results
        .iter()
        // An absent level means "warning" in SARIF.
        .filter(|result| result["level"] == "error")
        .map(|result| format!("{}: {}", result["ruleId"], result["message"]))
        .collect();
    assert!(
        errors.is_empty(),
        "validator errors:\n{}\n\n{console}",
        errors.join("\n")
    );
    assert!(!console.contains(": error "), "{console}");
    assert!(
        validation["runs"][0]["tool"]["driver"]["name"]
            .as_str()
            .is_some_and(|name| name.contains("Sarif"))
    );
}

/// What GitHub code scanning needs beyond the schema ("SARIF support for code scanning"):
/// a rule id, a message text, and a relative file location with at least a start line.
/// (The multitool's own GitHub rule kinds did not fire in version 5.7.0, so this is checked here.)
#[test]
fn sarif_results_carry_what_github_code_scanning_needs() {
    let log: Value = serde_json::from_str(&render_sarif(&report())).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        for field in ["id", "name"] {
            assert!(rule[field].as_str().is_some_and(|s| !s.is_empty()));
        }
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(rule[field]["text"].as_str().is_some_and(|s| !s.is_empty()));
        }
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for result in results {
        let rule_id = result["ruleId"].as_str().unwrap();
        assert_eq!(
            rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            rule_id
        );
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.contains(':') && !uri.starts_with('/') && !uri.contains(' '),
            "{uri}"
        );
        assert!(
            location["region"]["startLine"]
                .as_u64()
                .is_some_and(|line| line >= 1)
        );
    }
    let uri = results
        .iter()
        .find(|r| r["ruleId"] == "unknown-variable")
        .unwrap()["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(uri, "services/web%20app/src/dataBase%20%C3%BC.js");
}

#[test]
fn json_output_has_exactly_the_documented_shape() {
    let value: Value = serde_json::from_str(&render_json(&report())).unwrap();
    let object = value.as_object().unwrap();
    assert_eq!(keys(&value), ["diagnostics", "summary", "version"]);
    assert_eq!(object["version"], 1);
    assert_eq!(
        keys(&value["summary"]),
        ["errors", "files_scanned", "warnings"]
    );
    assert_eq!(
        value["summary"],
        serde_json::json!({"files_scanned": 7, "errors": 2, "warnings": 2})
    );

    let diagnostics = value["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 6);
    for diagnostic in diagnostics {
        assert_eq!(
            keys(diagnostic),
            [
                "column",
                "end_column",
                "end_line",
                "fixes",
                "line",
                "message",
                "path",
                "rule",
                "severity"
            ]
        );
        assert!(Rule::from_id(diagnostic["rule"].as_str().unwrap()).is_some());
        assert!(
            ["error", "warning", "info", "hint"]
                .contains(&diagnostic["severity"].as_str().unwrap())
        );
        assert!(diagnostic["message"].is_string());
        assert!(!diagnostic["path"].as_str().unwrap().contains('\\'));
        for field in ["line", "column", "end_line", "end_column"] {
            assert!(
                diagnostic[field].as_u64().is_some_and(|n| n >= 1),
                "{field} in {diagnostic}"
            );
        }
        for fix in diagnostic["fixes"].as_array().unwrap() {
            assert_eq!(keys(fix), ["applicability", "edits", "title"]);
            assert!(fix["title"].is_string());
            assert!(["safe", "unsafe"].contains(&fix["applicability"].as_str().unwrap()));
            for edit in fix["edits"].as_array().unwrap() {
                assert_eq!(
                    keys(edit),
                    [
                        "column",
                        "end_column",
                        "end_line",
                        "line",
                        "new_text",
                        "path"
                    ]
                );
                assert!(edit["new_text"].is_string() && edit["path"].is_string());
                for field in ["line", "column", "end_line", "end_column"] {
                    assert!(edit[field].as_u64().is_some_and(|n| n >= 1));
                }
            }
        }
    }
    // Columns count characters: `const host = process.env.` is 25 characters before the name.
    let unknown = diagnostics
        .iter()
        .find(|d| d["rule"] == "unknown-variable")
        .unwrap();
    assert_eq!(
        (unknown["line"].as_u64(), unknown["column"].as_u64()),
        (Some(2), Some(26))
    );
    assert_eq!(unknown["end_column"].as_u64(), Some(26 + 18));
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

//! Snapshots of `neon-lsp check`: the text, JSON and GitHub output on the bundled example, and
//! the messages and fixes of every rule fixture, so that a change in messages, positions or
//! fixes shows up as a reviewable snapshot diff.

#[allow(dead_code)] // the emulator's request log and builders serve tests/azure_check.rs
#[path = "support/arm.rs"]
mod arm;
#[path = "support/azure_fixture.rs"]
mod azure_fixture;
#[path = "support/fixture.rs"]
mod fixture;
#[path = "support/http.rs"]
mod http;

use fixture::{display, prepare_copy, repository_root, subdirectories};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn check(format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args([
            "check",
            "examples/azure-node-app",
            "--format",
            format,
            "--color",
            "never",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run neon-lsp");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the example has error-severity mistakes"
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn example_text_output() {
    insta::assert_snapshot!(check("text"));
}

#[test]
fn example_json_output() {
    let json: serde_json::Value = serde_json::from_str(&check("json")).expect("valid JSON");
    insta::assert_json_snapshot!(json);
}

#[test]
fn example_github_output() {
    insta::assert_snapshot!(check("github"));
}

/// One snapshot per rule fixture (tests/fixtures/rules/<rule>/<case>): every finding's place,
/// severity and message, and each fix's title, applicability and edits, so that a change in
/// what a rule says or proposes shows up as a reviewable diff. Secrets stay masked: no secret
/// written in the fixture (found by `neon_lsp::secrets`) or deployed in its `azure.json` may
/// appear in a snapshot.
#[test]
fn rule_fixture_messages_and_fixes() {
    let rules = repository_root().join("tests/fixtures/rules");
    let fixtures: Vec<PathBuf> = subdirectories(&rules)
        .iter()
        .flat_map(|rule| subdirectories(rule))
        .collect();
    assert!(
        !fixtures.is_empty(),
        "no rule fixtures in {}",
        rules.display()
    );
    let mut failures = Vec::new();
    // A snapshot whose fixture is gone would never be compared again: say so.
    let names: Vec<String> = fixtures
        .iter()
        .map(|fixture| snapshot_name(&rules, fixture))
        .collect();
    let snapshots = repository_root().join("tests/snapshots");
    for entry in fs::read_dir(&snapshots).into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = file
            .strip_prefix("snapshots_check__")
            .and_then(|rest| rest.strip_suffix(".snap"))
            .filter(|name| name.starts_with("rule-"))
            && !names.iter().any(|known| known == name)
        {
            failures.push(format!(
                "tests/snapshots/{file} belongs to no rule fixture: delete it"
            ));
        }
    }
    let mut secrets_checked = 0;
    for fixture in &fixtures {
        let name = snapshot_name(&rules, fixture);
        let rendered = match render_fixture(fixture) {
            Ok(rendered) => rendered,
            Err(error) => {
                failures.push(format!("{name}: {error}"));
                continue;
            }
        };
        for secret in fixture_secrets(fixture) {
            secrets_checked += 1;
            if rendered.contains(&secret) {
                failures.push(format!(
                    "{name}: a secret from the fixture is shown: {secret}"
                ));
            }
        }
        let compared = std::panic::catch_unwind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_description(display(fixture));
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(name.as_str(), rendered.as_str()));
        });
        if compared.is_err() {
            failures.push(format!("{name}: the snapshot differs (diff above)"));
        }
    }
    println!(
        "{secrets_checked} secrets checked in {} rule fixtures",
        fixtures.len()
    );
    assert!(
        secrets_checked >= 10,
        "only {secrets_checked} secrets found in the rule fixtures: is `secrets::secret_ranges` \
         still finding them?"
    );
    assert!(
        failures.is_empty(),
        "{} of {} rule fixtures differ from their snapshots (re-bless intended changes with \
         INSTA_UPDATE=always cargo test --test snapshots_check, then review the diff):\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}

/// `rule-<rule>-<case>`: the snapshot file's name.
fn snapshot_name(rules: &Path, fixture: &Path) -> String {
    let relative = fixture.strip_prefix(rules).unwrap_or(fixture);
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("rule-{}", parts.join("-"))
}

/// The fixture's findings, one block each, in the JSON reporter's order.
fn render_fixture(fixture: &Path) -> Result<String, String> {
    let (_temp, copy) = prepare_copy(fixture)?;
    let (_, exit_code, json) = azure_fixture::check_fixture_copy(fixture, &copy)?;
    let diagnostics = json["diagnostics"]
        .as_array()
        .ok_or("no `diagnostics` array")?;
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&format!(
            "{} {}[{}]\n  {}\n",
            place(diagnostic),
            text(&diagnostic["severity"]),
            text(&diagnostic["rule"]),
            text(&diagnostic["message"])
        ));
        for fix in diagnostic["fixes"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  fix ({}): {}\n",
                text(&fix["applicability"]),
                text(&fix["title"])
            ));
            for edit in fix["edits"].as_array().into_iter().flatten() {
                let new_text = text(&edit["new_text"]);
                let action = if new_text.is_empty() {
                    "delete"
                } else if edit["line"] == edit["end_line"] && edit["column"] == edit["end_column"] {
                    "insert"
                } else {
                    "replace with"
                };
                out.push_str(&format!("    {} {action}\n", place(edit)));
                // `⏎` marks a line the edit ends with a line break.
                for line in new_text.split_inclusive('\n') {
                    let shown = line
                        .strip_suffix('\n')
                        .map_or(line.to_string(), |line| format!("{line}⏎"));
                    out.push_str(&format!("      | {shown}\n"));
                }
            }
        }
        out.push('\n');
    }
    if diagnostics.is_empty() {
        out.push_str("(no findings)\n\n");
    }
    out.push_str(&format!(
        "exit {}; summary {}\n",
        exit_code.map_or("none".to_string(), |code| code.to_string()),
        json["summary"]
    ));
    Ok(out)
}

fn text(value: &serde_json::Value) -> &str {
    value.as_str().unwrap_or("?")
}

/// `path:line:column-end_line:end_column`, 1-based as the JSON reporter gives them.
fn place(value: &serde_json::Value) -> String {
    format!(
        "{}:{}:{}-{}:{}",
        text(&value["path"]),
        value["line"],
        value["column"],
        value["end_line"],
        value["end_column"]
    )
}

/// Every secret written in the fixture's files (what `neon_lsp::secrets` masks: .env values
/// under secret keys, connection-string passwords, literals where a password goes) and every
/// value its `azure.json` deploys, at least 6 characters long and not a placeholder.
fn fixture_secrets(fixture: &Path) -> Vec<String> {
    let mut secrets = azure_fixture::deployed_secrets(fixture);
    let mut pending = vec![fixture.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(content) = fs::read_to_string(&path) else {
                continue;
            };
            let relative = path
                .strip_prefix(fixture)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            for range in neon_lsp::secrets::secret_ranges(&relative, &content) {
                secrets.push(content[range.start..range.end].to_string());
            }
        }
    }
    secrets
        .iter()
        .map(|secret| secret.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace()))
        .filter(|secret| secret.len() >= 6 && !secret.starts_with('<') && !secret.starts_with("${"))
        .map(str::to_string)
        .collect()
}

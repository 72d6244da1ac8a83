//! A broken neon-lsp.toml is reported under its own code, `config`, with the same message by the
//! command line and by the editor — not under a rule (it used to be `env-syntax`, which a user
//! could turn off by accident and which is about .env files).

mod support;

use serde_json::{Value, json};
use support::lsp::{Server, uri};

const BROKEN: &str = "[[connection]]\ntarget = \"neon\"\nclient-type = \"nodej\"\n";
const FIXED: &str = "[[connection]]\ntarget = \"neon\"\nclient-type = \"nodejs\"\n";

/// The message both report: the settings vocabulary's, for the misspelt client type.
fn expected_message() -> String {
    neon_lsp::config::parse("neon-lsp.toml", BROKEN)
        .unwrap_err()
        .message
}

#[test]
fn config_is_not_a_rule_id() {
    assert_eq!(neon_lsp::config::ConfigError::CODE, "config");
    assert!(neon_lsp::rules::Rule::from_id(neon_lsp::config::ConfigError::CODE).is_none());
}

#[test]
fn the_command_line_reports_a_broken_neon_lsp_toml_under_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("neon-lsp.toml"), BROKEN).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(["check", "."])
        .current_dir(dir.path())
        .output()
        .expect("run neon-lsp");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!("neon-lsp.toml:3:15: error[config]: {}", expected_message()),
    );
    assert!(!stderr.contains("env-syntax"), "{stderr}");
}

#[test]
fn the_editor_shows_a_broken_neon_lsp_toml_under_config_until_it_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("neon-lsp.toml"), BROKEN).unwrap();
    // Turning every rule off must not hide it: it is not a rule.
    let off: serde_json::Map<String, Value> = neon_lsp::rules::Rule::ALL
        .iter()
        .map(|rule| (rule.id().to_owned(), json!("off")))
        .collect();
    let mut server = Server::builder(&root)
        .settings(json!({ "rules": off }))
        .start();
    let config = uri(&root, "neon-lsp.toml");
    let diagnostics =
        server.diagnostics_for(&config, |d| d.as_array().is_some_and(|d| !d.is_empty()));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "config", "{diagnostic}");
    assert_eq!(diagnostic["severity"], 1, "{diagnostic}");
    assert_eq!(diagnostic["message"], expected_message(), "{diagnostic}");
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 2, "character": 14}, "end": {"line": 2, "character": 21}})
    );
    // Fixed in the editor: the finding goes.
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": config, "languageId": "toml", "version": 1, "text": BROKEN}}),
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": config, "version": 2}, "contentChanges": [{"text": FIXED}]}),
    );
    server.diagnostics_for(&config, |d| d.as_array().is_some_and(Vec::is_empty));
    server.stop();
}

//! codeAction → codeAction/resolve over the real stdio of `neon-lsp serve` (issue 14): a
//! finding whose fix carries a secret is offered as a quick fix tied to that finding with no
//! edit and a masked title; resolving it returns the edit; applying the edit as the editor would
//! removes the finding. Nothing before the resolve shows the password.

mod support;

use serde_json::{Value, json};
use support::lsp::{Server, uri};

const PASSWORD: &str = "Qx7Rv2Lp9Kd4";
const RULE: &str = "connection-string-format";

fn has_rule(diagnostics: &Value, rule: &str) -> bool {
    diagnostics
        .as_array()
        .is_some_and(|list| list.iter().any(|d| d["code"] == rule))
}

#[test]
fn a_quick_fix_that_carries_a_secret_is_resolved_then_applied_and_the_finding_goes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    // Python gets a libpq key-value string from Service Connector: a URI in .env is the wrong
    // format, and its fix (the converted string) keeps the password.
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    std::fs::write(
        root.join("app.py"),
        "import os\nimport psycopg2\nconn = psycopg2.connect(os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"])\n",
    )
    .unwrap();
    let env_text = format!(
        "NEON_POSTGRESQL_CONNECTIONSTRING=postgresql://app:{PASSWORD}@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb?sslmode=require\n"
    );
    std::fs::write(root.join(".env"), &env_text).unwrap();
    let mut server = Server::start(&root);
    let env = uri(&root, ".env");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": env, "languageId": "dotenv", "version": 1, "text": env_text}}),
    );
    let diagnostics = server.diagnostics_for(&env, |d| has_rule(d, RULE));
    let finding = diagnostics
        .iter()
        .find(|d| d["code"] == RULE)
        .unwrap()
        .clone();

    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": env}, "range": finding["range"], "context": {"diagnostics": [finding]}}),
    );
    assert!(
        !actions.to_string().contains(PASSWORD),
        "the password is sent only on resolve: {actions}"
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["kind"] == "quickfix"
                && a["diagnostics"]
                    .as_array()
                    .is_some_and(|tied| tied.iter().any(|d| d["code"] == RULE))
        })
        .unwrap_or_else(|| panic!("a quick fix tied to the {RULE} finding: {actions}"))
        .clone();
    let tied = &action["diagnostics"][0];
    assert_eq!(tied["range"], finding["range"], "{action}");
    assert_eq!(tied["message"], finding["message"], "{action}");
    assert!(
        action.get("edit").is_none(),
        "the edit waits for resolve: {action}"
    );
    assert!(action["data"].is_object(), "{action}");

    let resolved = server.request("codeAction/resolve", action.clone());
    assert_eq!(resolved["title"], action["title"]);
    let edits = resolved["edit"]["changes"][&env]
        .as_array()
        .unwrap_or_else(|| panic!("resolve returns the edit of .env: {resolved}"))
        .clone();
    assert!(!edits.is_empty(), "{resolved}");
    let new_text: String = edits
        .iter()
        .map(|edit| edit["newText"].as_str().unwrap())
        .collect();
    assert!(
        new_text.contains("host=ep-still-mud-a12aa123.eastus2.azure.neon.tech")
            && new_text.contains(&format!("password={PASSWORD}")),
        "the converted key-value string, password kept: {new_text}"
    );

    // Apply it as the editor would (incremental changes, last edit first), and the finding goes.
    let mut changes: Vec<Value> = edits
        .iter()
        .map(|edit| json!({"range": edit["range"], "text": edit["newText"]}))
        .collect();
    changes.sort_by_key(|change| {
        let start = &change["range"]["start"];
        std::cmp::Reverse((start["line"].as_u64(), start["character"].as_u64()))
    });
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": env, "version": 2}, "contentChanges": changes}),
    );
    let after = server.diagnostics_for(&env, |d| !has_rule(d, RULE));
    assert!(after.iter().all(|d| d["code"] != RULE), "{after:?}");
    server.stop();
}

//! End-to-end: the language server reads declared connections from infrastructure documents the
//! editor has open, reports the declared-* findings on them, and re-analyses as they change.

mod support;

use serde_json::{Value, json};
use support::lsp::{Server, uri};

fn rules(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect()
}

fn linker(client_type: &str) -> String {
    format!(
        "resource web 'Microsoft.Web/sites@2022-09-01' existing = {{\n  name: 'app-reports'\n}}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {{\n  name: 'reports'\n  scope: web\n  properties: {{\n    clientType: '{client_type}'\n    authInfo: {{ authType: 'secret' }}\n  }}\n}}\n"
    )
}

#[test]
fn a_bicep_document_is_diagnosed_and_re_analysed_as_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    std::fs::write(
        root.join("report.py"),
        "import os\nimport psycopg2\nconn = psycopg2.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"])\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("infra")).unwrap();
    std::fs::write(root.join("infra/main.bicep"), linker("python")).unwrap();
    let mut server = Server::start(&root);
    let bicep = uri(&root, "infra/main.bicep");
    let wrong = linker("nodejs");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": bicep, "languageId": "bicep", "version": 1, "text": wrong}}),
    );
    let diagnostics = server.diagnostics_for(&bicep, |d| {
        d.as_array().is_some_and(|d| {
            d.iter()
                .any(|d| d["code"] == "declared-client-type-mismatch")
        })
    });
    let finding = diagnostics
        .iter()
        .find(|d| d["code"] == "declared-client-type-mismatch")
        .unwrap();
    assert_eq!(
        finding["range"]["start"],
        json!({"line": 8, "character": 17})
    );
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("only Python code reads this connection"),
        "{finding}"
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": bicep, "version": 2}, "contentChanges": [{"text": linker("python")}]}),
    );
    let diagnostics =
        server.diagnostics_for(&bicep, |d| d.as_array().is_some_and(|d| d.is_empty()));
    assert!(rules(&diagnostics).is_empty());
    server.stop();
}

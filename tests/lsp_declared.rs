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

fn wrong_variable(diagnostics: &[Value]) -> Option<&Value> {
    diagnostics
        .iter()
        .find(|d| d["code"] == "wrong-client-type-variable")
}

fn workflow(client_type: &str) -> String {
    format!(
        "name: deploy\non: [push]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: azure/login@v2\n      - name: Connect to PostgreSQL\n        run: >\n          az webapp connection create postgres-flexible\n          --connection reports_db --name app-reports\n          --client-type {client_type}\n          --secret name=reports secret=${{{{ secrets.PG_PASSWORD }}}}\n"
    )
}

/// A workflow open in the editor declares the connection in a folded (`run: >`) block: the
/// code is diagnosed against it, and again when the document changes.
#[test]
fn a_workflow_document_declares_the_client_type_and_is_read_again_as_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    let source = "import os\nimport psycopg2\n\nconn = psycopg2.connect(\n    host=os.environ[\"AZURE_POSTGRESQL_HOST\"],\n    dbname=os.environ[\"AZURE_POSTGRESQL_NAME\"],\n    user=os.environ[\"AZURE_POSTGRESQL_USER\"],\n    password=os.environ[\"AZURE_POSTGRESQL_PASSWORD\"],\n    sslmode=\"require\",\n)\n";
    std::fs::write(root.join("report.py"), source).unwrap();
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    let mut server = Server::start(&root);
    let report = uri(&root, "report.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": report, "languageId": "python", "version": 1, "text": source}}),
    );
    // Inferred from requirements.txt: python gets one connection string, not the Django names.
    let diagnostics = server.diagnostics_for(&report, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_some())
    });
    let message = wrong_variable(&diagnostics).unwrap()["message"].to_string();
    assert!(message.contains("requirements.txt"), "{message}");
    // The workflow, unsaved in the editor, declares client type django.
    let deploy = uri(&root, ".github/workflows/deploy.yml");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": deploy, "languageId": "yaml", "version": 1, "text": workflow("django")}}),
    );
    let diagnostics = server.diagnostics_for(&report, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_none())
    });
    assert!(wrong_variable(&diagnostics).is_none(), "{diagnostics:?}");
    // Edited to python: the Django names are wrong again, for the reason the workflow gives.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": deploy, "version": 2}, "contentChanges": [{"text": workflow("python")}]}),
    );
    let diagnostics = server.diagnostics_for(&report, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_some())
    });
    let message = wrong_variable(&diagnostics).unwrap()["message"].to_string();
    assert!(
        message.contains("client type python, from .github/workflows/deploy.yml:12"),
        "{message}"
    );
    server.stop();
}

fn terraform(client_type: &str) -> String {
    format!(
        "resource \"azurerm_linux_web_app\" \"api\" {{\n  name = \"orders-api\"\n  site_config {{}}\n}}\n\nresource \"azurerm_app_service_connection\" \"db\" {{\n  name               = \"orders_db\"\n  app_service_id     = azurerm_linux_web_app.api.id\n  target_resource_id = azurerm_postgresql_flexible_server_database.orders.id\n  client_type        = \"{client_type}\"\n  authentication {{\n    type = \"systemAssignedIdentity\"\n  }}\n}}\n"
    )
}

/// A Terraform file changed on disk (by `terraform fmt`, a git checkout, another editor) is
/// read again; neon-lsp.toml outranks it and the editor settings outrank both.
#[test]
fn terraform_changed_on_disk_is_read_again_and_config_and_settings_outrank_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("package.json"),
        "{\"dependencies\": {\"pg\": \"^8\"}}",
    )
    .unwrap();
    let source = "const { Client } = require(\"pg\");\nconst client = new Client(process.env.AZURE_POSTGRESQL_CONNECTIONSTRING);\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    std::fs::create_dir(root.join("infra")).unwrap();
    std::fs::write(root.join("infra/main.tf"), terraform("nodejs")).unwrap();
    let mut server = Server::start(&root);
    let db = uri(&root, "db.js");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}),
    );
    let diagnostics = server.diagnostics_for(&db, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_some())
    });
    let message = wrong_variable(&diagnostics).unwrap()["message"].to_string();
    assert!(
        message.contains("client type nodejs, from infra/main.tf:10"),
        "{message}"
    );
    // On disk: client type java gets the connection string.
    std::fs::write(root.join("infra/main.tf"), terraform("java")).unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root, "infra/main.tf"), "type": 2}]}),
    );
    let diagnostics = server.diagnostics_for(&db, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_none())
    });
    assert!(wrong_variable(&diagnostics).is_none(), "{diagnostics:?}");
    // neon-lsp.toml outranks the declaration.
    std::fs::write(
        root.join("neon-lsp.toml"),
        "[[connection]]\ntarget = \"azure-postgresql\"\nclient-type = \"nodejs\"\n",
    )
    .unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root, "neon-lsp.toml"), "type": 1}]}),
    );
    let diagnostics = server.diagnostics_for(&db, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_some())
    });
    let message = wrong_variable(&diagnostics).unwrap()["message"].to_string();
    assert!(message.contains("from neon-lsp.toml"), "{message}");
    // The editor settings outrank both.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"neon-lsp": {"client-type": "python"}}}),
    );
    let diagnostics = server.diagnostics_for(&db, |d| {
        d.as_array().is_some_and(|d| wrong_variable(d).is_none())
    });
    assert!(wrong_variable(&diagnostics).is_none(), "{diagnostics:?}");
    server.stop();
}

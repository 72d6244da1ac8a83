//! The editor's settings over the real stdio of `neon-lsp serve`: a client type set in the
//! editor is explained as "from the editor settings" (not "from the command line") in
//! diagnostics, hover and describeConnection, and a root's first diagnostics already follow
//! the settings, however late the editor answers `workspace/configuration`; Test Connection's
//! advice names the variables of the connection's client type.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::lsp::{Server, uri};

const READS_CONNECTION_STRING: &str =
    "import os\nconn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";

/// A Python project (requirements.txt) whose code reads the connection string: right for
/// python, wrong for nodejs, which the editor settings choose.
fn python_project(root: &Path) {
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    std::fs::write(root.join("app.py"), READS_CONNECTION_STRING).unwrap();
}

fn is_publish_for(message: &Value, file: &str) -> bool {
    message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == file
}

fn wrong_client_type_messages(publish: &Value) -> Vec<String> {
    publish["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "wrong-client-type-variable")
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_first_diagnostics_wait_for_pulled_settings_and_name_them_as_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    python_project(&root);
    let mut server = Server::builder(&root)
        .pulled_settings(json!({"clientType": "nodejs"}))
        .start();
    // The editor is slow to answer workspace/configuration (VS Code reads its settings files):
    // the request is held while the file is opened and the server answers other requests.
    let configuration = server.wait_for(|m| m["method"] == "workspace/configuration");
    let app = uri(&root, "app.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "python", "version": 1, "text": READS_CONNECTION_STRING}}),
    );
    server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": app}, "position": {"line": 1, "character": 25}}),
    );
    let settings = server.configuration.clone();
    server.reply(&configuration, settings);
    // The first diagnostics published for the file, whenever they came, follow the settings:
    // nodejs, so the connection string is the wrong variable.
    let first = server.received_or_wait_for(|m| is_publish_for(m, &app));
    let messages = wrong_client_type_messages(&first);
    assert!(
        messages.len() == 1 && messages[0].contains("client type nodejs, from the editor settings"),
        "the first publication for app.py must follow the pulled settings: {first}"
    );
    assert!(
        !first.to_string().contains("from the command line"),
        "{first}"
    );

    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": app}, "position": {"line": 1, "character": 25}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        text.contains("client type nodejs, from the editor settings"),
        "{hover}"
    );
    let described = server.request(
        "workspace/executeCommand",
        json!({"command": "neon-lsp.describeConnection", "arguments": [{"uri": app}]}),
    );
    assert_eq!(described["clientType"], "nodejs", "{described}");
    assert!(
        described["reason"]
            .as_str()
            .unwrap()
            .contains("from the editor settings"),
        "the status bar's tooltip: {described}"
    );
    server.stop();
}

#[test]
fn initialization_options_apply_to_the_first_diagnostics_too() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    python_project(&root);
    // Neovim's lsp/neon_lsp.lua and VS Code send the settings at initialize as well.
    let mut server = Server::builder(&root)
        .settings(json!({"clientType": "nodejs", "auth": "secret"}))
        .start();
    let app = uri(&root, "app.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "python", "version": 1, "text": READS_CONNECTION_STRING}}),
    );
    let first = server.received_or_wait_for(|m| is_publish_for(m, &app));
    let messages = wrong_client_type_messages(&first);
    assert!(
        messages.len() == 1 && messages[0].contains("from the editor settings"),
        "{first}"
    );
    server.stop();
}

#[test]
fn the_command_line_keeps_its_own_reason() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    python_project(&root);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .args(["check", "--client-type", "nodejs"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("client type nodejs, from the command line"),
        "{text}"
    );
    assert!(!text.contains("editor settings"), "{text}");
}

#[test]
fn test_connection_advice_names_the_variables_of_the_connections_client_type() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("package.json"), "{\"name\":\"api\"}\n").unwrap();
    std::fs::write(
        root.join("db.js"),
        "const host = process.env.NEON_POSTGRESQL_HOST;\n",
    )
    .unwrap();
    let mut server = Server::start(&root);
    let result = server.request(
        "workspace/executeCommand",
        json!({"command": "neon-lsp.testConnection", "arguments": [{"uri": uri(&root, "db.js")}]}),
    );
    let message = result["error"]["message"].as_str().unwrap_or_default();
    // A Node.js app never gets a connection string: the advice names what it does get.
    assert!(
        message.contains("NEON_POSTGRESQL_HOST is not set")
            && message.contains("NEON_POSTGRESQL_USER")
            && message.contains("for a nodejs app"),
        "{result}"
    );
    assert!(!message.contains("CONNECTIONSTRING"), "{result}");
    let shown = server.received_or_wait_for(|m| m["method"] == "window/showMessage");
    assert!(!shown.to_string().contains("CONNECTIONSTRING"), "{shown}");
    server.stop();
}

#[test]
fn test_connection_reports_on_the_editors_own_progress_token() {
    // VS Code shows the test as a cancellable notification: it sends its own workDoneToken and
    // cancels the request. A peer that accepts and never answers keeps the test running.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (accepted, was_accepted) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let _ = accepted.send(());
            // Held until the client hangs up.
            let mut buffer = [0u8; 256];
            let mut stream = stream;
            while std::io::Read::read(&mut stream, &mut buffer).is_ok_and(|n| n > 0) {}
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join(".env"),
        format!("NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:pw@127.0.0.1:{port}/db?sslmode=require\"\n"),
    )
    .unwrap();
    let mut server = Server::start(&root);
    let id = 7_001;
    server.send(
        json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
        "params": {"command": "neon-lsp.testConnection", "workDoneToken": "editor-token-1",
                   "arguments": [{"uri": uri(&root, ".env")}]}}),
    );
    let (begin, created) = server.wait_for_progress_begin("testing");
    assert_eq!(begin["params"]["token"], "editor-token-1", "{begin}");
    assert!(
        !created.contains(&json!("editor-token-1")),
        "the editor's own token needs no create: {created:?}"
    );
    was_accepted
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the connection test reached the listener");
    server.notify("$/cancelRequest", json!({"id": id}));
    let response = server.wait_for(|m| m["id"] == id && m.get("method").is_none());
    assert_eq!(response["error"]["code"], -32800, "{response}");
    server.stop();
}

#[test]
fn a_misspelt_setting_is_shown_with_its_name_and_an_unknown_key_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    python_project(&root);
    let mut server = Server::builder(&root)
        .settings(json!({"clientType": "nodej", "envFile": [".env"]}))
        .start();
    let shown = server.received_or_wait_for(|m| m["method"] == "window/showMessage");
    assert_eq!(
        shown["params"]["message"].as_str().unwrap_or_default(),
        format!(
            "neon-lsp settings: \"clientType\": {}",
            neon_lsp::config::parse_word::<neon_lsp::catalogue::ClientType>("nodej").unwrap_err()
        ),
        "{shown}"
    );
    assert_eq!(shown["params"]["type"], 1, "an error: {shown}");
    let logged = server.received_or_wait_for(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.contains("\"envFile\""))
    });
    assert!(
        logged["params"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("did you mean \"envFiles\"?"),
        "{logged}"
    );
    assert_eq!(logged["params"]["type"], 2, "a warning: {logged}");
    server.stop();
}

//! End-to-end tests of `neon-lsp serve` over its real stdio: JSON-RPC framing, initialize,
//! didOpen/didChange, publishDiagnostics, codeAction, shutdown and exit.

mod support;

use serde_json::{Value, json};
use std::sync::mpsc::channel;
use std::time::Duration;
use support::lsp::{Server, uri};

/// A temporary folder holding a Node app that depends on pg.
fn pg_app() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{"name":"app","dependencies":{"pg":"^8"}}"#,
    )
    .unwrap();
    (dir, root)
}

/// A publishDiagnostics message's diagnostics without their rule-doc links: each server
/// writes its rule docs into its own cache directory, so only the links differ between two.
fn without_links(message: &Value) -> Value {
    let mut diagnostics = message["params"]["diagnostics"].clone();
    for diagnostic in diagnostics.as_array_mut().unwrap() {
        diagnostic
            .as_object_mut()
            .unwrap()
            .remove("codeDescription");
    }
    diagnostics
}

fn has_rule(diagnostics: &Value, rule: &str) -> bool {
    diagnostics
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["code"] == rule))
}

#[test]
fn diagnostics_follow_edits_and_quick_fixes_apply() {
    let (_dir, root) = pg_app();
    let source =
        "// é: non-ASCII before the reference\nconst host = process.env.NEON_POSTGRES_HOST;\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    let mut server = Server::start(&root);
    let db = uri(&root, "db.js");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}));
    let diagnostics = server.diagnostics_for(&db, |d| has_rule(d, "unknown-variable"));
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "unknown-variable")
        .unwrap();
    // codeDescription links to the rule's documentation, written into the cache directory.
    let href = unknown["codeDescription"]["href"].as_str().unwrap();
    let docs = href.strip_prefix("file://").unwrap();
    assert!(
        docs.starts_with(server.cache.path().to_str().unwrap()),
        "{href}"
    );
    let text = std::fs::read_to_string(docs).unwrap();
    assert!(text.starts_with("# unknown-variable"), "{text}");
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "unknown-variable")
        .unwrap()
        .clone();
    assert_eq!(
        unknown["range"]["start"],
        json!({"line": 1, "character": 25})
    );
    assert_eq!(unknown["range"]["end"], json!({"line": 1, "character": 43}));
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("NEON_POSTGRESQL_HOST")
    );

    // The quick fix renames to the closest valid name.
    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": db}, "range": unknown["range"], "context": {"diagnostics": [unknown]}}),
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Replace with NEON_POSTGRESQL_HOST")
        .expect("quick fix");
    assert_eq!(action["isPreferred"], true);
    let edit = &action["edit"]["changes"][&db][0];
    assert_eq!(edit["newText"], "NEON_POSTGRESQL_HOST");

    // Apply it as the editor would (incremental change), and the finding goes away.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": db, "version": 2}, "contentChanges": [{"range": edit["range"], "text": edit["newText"]}]}),
    );
    let diagnostics = server.diagnostics_for(&db, |d| !has_rule(d, "unknown-variable"));
    assert!(
        diagnostics.iter().all(|d| d["code"] != "unknown-variable"),
        "{diagnostics:?}"
    );
    server.stop();
}

#[test]
fn a_dotenv_edit_on_disk_republishes_the_code_that_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    let source = "import os\nconn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";
    std::fs::write(root.join("app.py"), source).unwrap();
    std::fs::write(root.join(".env"), "OTHER=1\n").unwrap();
    let mut server = Server::start(&root);
    let app = uri(&root, "app.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "python", "version": 1, "text": source}}),
    );
    server.diagnostics_for(&app, |d| has_rule(d, "undefined-in-env-file"));

    // Another tool writes the variable into .env; the editor reports the change on disk.
    std::fs::write(
        root.join(".env"),
        "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 sslmode=require user=app password=<password>\"\n",
    )
    .unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root, ".env"), "type": 2}]}),
    );
    let diagnostics = server.diagnostics_for(&app, |d| !has_rule(d, "undefined-in-env-file"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    server.stop();
}

#[test]
fn hover_definition_and_references_mask_the_password() {
    const PASSWORD: &str = "Hov3r-S3cret-Qx";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    let source = "import os\nconn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";
    std::fs::write(root.join("app.py"), source).unwrap();
    std::fs::write(
        root.join("worker.py"),
        "import os\ndsn = os.getenv(\"NEON_POSTGRESQL_CONNECTIONSTRING\")\n",
    )
    .unwrap();
    let env = format!(
        "# local\nNEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 sslmode=require user=app password={PASSWORD}\"\n"
    );
    std::fs::write(root.join(".env"), &env).unwrap();
    let mut server = Server::start(&root);
    let app = uri(&root, "app.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "python", "version": 1, "text": source}}),
    );
    server.diagnostics_for(&app, |_| true);
    let at = json!({"textDocument": {"uri": app}, "position": {"line": 1, "character": 25}});

    let hover = server.request("textDocument/hover", at.clone());
    let markdown = hover["contents"]["value"].as_str().unwrap().to_string();
    assert!(
        markdown.contains("client type python, from requirements.txt"),
        "{markdown}"
    );
    assert!(markdown.contains("libpq key-value"), "{markdown}");
    assert!(markdown.contains("Defined in `.env`"), "{markdown}");
    assert!(markdown.contains("password=****"), "{markdown}");
    assert!(
        !markdown.contains(PASSWORD),
        "hover leaks the password: {markdown}"
    );

    let definition = server.request("textDocument/definition", at.clone());
    assert_eq!(definition[0]["uri"], uri(&root, ".env"));
    assert_eq!(
        definition[0]["range"]["start"],
        json!({"line": 1, "character": 0})
    );

    let env_uri = uri(&root, ".env");
    let references = server.request(
        "textDocument/references",
        json!({"textDocument": {"uri": env_uri}, "position": {"line": 1, "character": 3}, "context": {"includeDeclaration": false}}),
    );
    let mut files: Vec<String> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    assert_eq!(files, vec![uri(&root, "app.py"), uri(&root, "worker.py")]);
    server.stop();
}

#[test]
fn add_missing_variables_to_env_in_one_action() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("package.json"), "{}").unwrap();
    std::fs::write(root.join(".env"), "OTHER=1").unwrap();
    let source = "const h = process.env.NEON_POSTGRESQL_HOST;\nconst u = process.env.NEON_POSTGRESQL_USER;\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    let mut server = Server::start(&root);
    let db = uri(&root, "db.js");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}));
    server.diagnostics_for(&db, |d| {
        d.as_array().is_some_and(|d| {
            d.iter()
                .filter(|d| d["code"] == "undefined-in-env-file")
                .count()
                == 2
        })
    });
    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": db}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}, "context": {"diagnostics": []}}),
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Add missing variables to .env")
        .expect("combined action")
        .clone();
    let edits = &action["edit"]["changes"][&uri(&root, ".env")];
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(
        edits[0]["newText"],
        "\nNEON_POSTGRESQL_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech\nNEON_POSTGRESQL_USER=<username>\n"
    );
    server.stop();
}

#[test]
fn editor_settings_override_inference_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("package.json"), "{}").unwrap();
    let source = "const h = process.env.NEON_POSTGRESQL_CONNECTIONSTRING;\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    let mut server = Server::builder(&root)
        .settings(json!({"clientType": "python"}))
        .start();
    let db = uri(&root, "db.js");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}));
    // client type python (from the settings): a connection string is right.
    let diagnostics = server.diagnostics_for(&db, |_| true);
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "wrong-client-type-variable"),
        "{diagnostics:?}"
    );
    // Back to inference (nodejs from package.json): the connection string is wrong for Node.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"neon-lsp": {"client-type": ""}}}),
    );
    let diagnostics = server.diagnostics_for(&db, |d| has_rule(d, "wrong-client-type-variable"));
    assert!(diagnostics.iter().any(|d| {
        d["message"]
            .as_str()
            .unwrap()
            .contains("client type nodejs, from package.json")
    }));
    server.stop();
}

#[test]
fn the_log_file_records_the_server_but_no_secret() {
    const PASSWORD: &str = "L0g-S3cret-Zz8";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let log = root.join("server.log");
    std::fs::write(root.join("requirements.txt"), "flask\n").unwrap();
    std::fs::write(
        root.join(".env"),
        format!("NEON_POSTGRESQL_PASSWORD={PASSWORD}\nBROKEN=\"{PASSWORD}\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("app.py"),
        "import os\nprint(os.environ[\"NEON_POSTGRESQL_PASSWORD\"])\n",
    )
    .unwrap();
    let log_arg = log.to_string_lossy().to_string();
    let mut server = Server::builder(&root)
        .args(&["--log-file", &log_arg, "--log-level", "debug"])
        .start();
    let logged = server.wait_for(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.contains("checked"))
    });
    assert!(
        logged["params"]["message"]
            .as_str()
            .unwrap()
            .contains("checked"),
        "{logged}"
    );
    server.stop();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(" info workspace "), "{text}");
    assert!(!text.contains(PASSWORD), "the log leaks a secret: {text}");
}

#[test]
fn settings_are_pulled_with_workspace_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("package.json"), "{}").unwrap();
    let source = "const h = process.env.NEON_POSTGRESQL_CONNECTIONSTRING;\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    // The client answers workspace/configuration with client-type python.
    let mut server = Server::builder(&root)
        .pulled_settings(json!({"client-type": "python"}))
        .start();
    let db = uri(&root, "db.js");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}));
    let diagnostics = server.diagnostics_for(&db, |_| true);
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "wrong-client-type-variable"),
        "{diagnostics:?}"
    );
    // The setting is removed; an empty didChangeConfiguration makes the server pull again.
    server.configuration = json!([{}]);
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    server.diagnostics_for(&db, |d| has_rule(d, "wrong-client-type-variable"));
    server.stop();
}

#[test]
fn each_workspace_folder_is_analysed_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let (web, jobs) = (base.join("web"), base.join("jobs"));
    std::fs::create_dir_all(&web).unwrap();
    std::fs::create_dir_all(&jobs).unwrap();
    std::fs::write(web.join("package.json"), "{}").unwrap();
    std::fs::write(jobs.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    // The same read is wrong for Node (web) and right for Python (jobs).
    let read_js = "const dsn = process.env.NEON_POSTGRESQL_CONNECTIONSTRING;\n";
    let read_py = "import os\ndsn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";
    std::fs::write(web.join("db.js"), read_js).unwrap();
    std::fs::write(jobs.join("job.py"), read_py).unwrap();
    let mut server = Server::builder(&web).folder(&jobs).start();
    let js = uri(&web, "db.js");
    let py = uri(&jobs, "job.py");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": js, "languageId": "javascript", "version": 1, "text": read_js}}));
    server.diagnostics_for(&js, |d| has_rule(d, "wrong-client-type-variable"));
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": py, "languageId": "python", "version": 1, "text": read_py}}),
    );
    let diagnostics = server.diagnostics_for(&py, |_| true);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    server.stop();
}

#[test]
fn a_panicking_handler_is_answered_with_an_error_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("package.json"), "{}\n").unwrap();
    let source = "const url = process.env.NEON_POSTGRESQL_CONNECTIONSTRING;\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    let log = root.join("server.log");
    let mut server = Server::builder(&root)
        .args(&["--log-file", log.to_str().unwrap()])
        .env("NEON_LSP_TEST_PANIC", "textDocument/hover")
        .start();
    let file = uri(&root, "db.js");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": file, "languageId": "javascript", "version": 1, "text": source}}),
    );
    server.diagnostics_for(&file, |d| has_rule(d, "wrong-client-type-variable"));

    let at = json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 30}});
    let response = server.request_response("textDocument/hover", at.clone());
    assert_eq!(response["error"]["code"], -32603, "{response}");

    // Still serving: another request is answered and an edit is analysed.
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 24}}),
    );
    assert!(
        completion.to_string().contains("NEON_POSTGRESQL_HOST"),
        "{completion}"
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": file, "version": 2},
               "contentChanges": [{"text": "const host = process.env.NEON_POSTGRESQL_HOST;\n"}]}),
    );
    server.diagnostics_for(&file, |d| !has_rule(d, "wrong-client-type-variable"));
    let response = server.request_response("textDocument/hover", at);
    assert_eq!(response["error"]["code"], -32603, "{response}");
    server.stop();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("the textDocument/hover handler panicked"),
        "{log}"
    );
}

#[test]
fn describe_connection_names_the_connection_a_file_uses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("api")).unwrap();
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("api/package.json"), "{}\n").unwrap();
    std::fs::write(
        root.join("api/db.js"),
        "const host = process.env.NEON_POSTGRESQL_HOST;\n",
    )
    .unwrap();
    std::fs::write(
        root.join("api/.env"),
        "NEON_POSTGRESQL_HOST=ep-x.neon.tech\n",
    )
    .unwrap();
    std::fs::write(root.join("docs/notes.txt"), "nothing here\n").unwrap();
    let mut server = Server::start(&root);
    let describe = |server: &mut Server, relative: &str| {
        server.request(
            "workspace/executeCommand",
            json!({"command": "neon-lsp.describeConnection", "arguments": [{"uri": uri(&root, relative)}]}),
        )
    };
    let code = describe(&mut server, "api/db.js");
    assert_eq!(code["target"], "neon", "{code}");
    assert_eq!(code["clientType"], "nodejs", "{code}");
    assert_eq!(code["auth"], "secret", "{code}");
    assert!(
        code["reason"]
            .as_str()
            .unwrap()
            .contains("api/package.json"),
        "{code}"
    );
    assert_eq!(code["envFiles"], json!(["api/.env"]), "{code}");
    let env = describe(&mut server, "api/.env");
    assert_eq!(env["clientType"], "nodejs", "{env}");
    assert_eq!(describe(&mut server, "docs/notes.txt"), Value::Null);

    let response = server.request_response(
        "workspace/executeCommand",
        json!({"command": "neon-lsp.describeConnection", "arguments": []}),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    server.stop();
}

#[test]
fn code_lens_tests_the_connection_with_progress_and_a_message() {
    let Some(pg) = support::pg::PgCluster::start() else {
        return;
    };
    const PASSWORD: &str = "L3ns-Pw-Secret";
    pg.create_role("app", PASSWORD, true);
    pg.create_database("appdb", "app");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    std::fs::write(
        root.join("app.py"),
        "import os\ndsn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n",
    )
    .unwrap();
    let env = format!(
        "# local\nNEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=appdb host=127.0.0.1 port={} sslmode=require user=app password={PASSWORD}\"\n",
        pg.port()
    );
    std::fs::write(root.join(".env"), &env).unwrap();
    std::fs::create_dir(root.join("db")).unwrap();
    std::fs::write(
        root.join("db/pool.py"),
        "import os\npool = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n",
    )
    .unwrap();
    let mut server = Server::start(&root);
    let env_uri = uri(&root, ".env");
    let lenses = server.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": env_uri}}),
    );
    let lenses = lenses.as_array().unwrap();
    assert_eq!(lenses.len(), 1, "{lenses:?}");
    assert_eq!(
        lenses[0]["range"]["start"],
        json!({"line": 1, "character": 0})
    );
    let command = &lenses[0]["command"];
    assert_eq!(command["command"], "neon-lsp.testConnection");
    assert!(
        command["title"]
            .as_str()
            .unwrap()
            .contains("Test connection")
    );

    let id = 4_242;
    server.send(
        json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
        "params": {"command": command["command"], "arguments": command["arguments"]}}),
    );
    // Progress first, then the message and the result (in either order).
    // The token is created with window/workDoneProgress/create first, as the specification asks.
    let (begin, created) = server.wait_for_progress_begin("testing");
    assert!(
        created.contains(&begin["params"]["token"]),
        "{created:?} {begin}"
    );
    assert!(
        begin["params"]["value"]["title"]
            .as_str()
            .unwrap()
            .contains("testing 127.0.0.1"),
        "{begin}"
    );
    assert_eq!(begin["params"]["value"]["cancellable"], true);
    let shown = server.wait_for(|m| m["method"] == "window/showMessage");
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .starts_with("✓ connected"),
        "{shown}"
    );
    assert!(!shown.to_string().contains(PASSWORD));
    let report =
        server.received_or_wait_for(|m| m["id"] == id && m.get("method").is_none())["result"]
            .clone();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["server"]["current_database"], "appdb");
    assert!(
        report["server"]["tls_version"]
            .as_str()
            .unwrap()
            .starts_with("TLSv1.")
    );
    assert!(!report.to_string().contains(PASSWORD));

    // From code in a subfolder: the test reads the connection's .env files (db/ has none).
    let report = server.request(
        "workspace/executeCommand",
        json!({"command": "neon-lsp.testConnection", "arguments": [{"uri": uri(&root, "db/pool.py")}]}),
    );
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["server"]["current_database"], "appdb");

    // Where no connection is (a folder outside the workspace), the advice names editor
    // settings, not CLI flags.
    let elsewhere = tempfile::tempdir().unwrap();
    let report = server.request(
        "workspace/executeCommand",
        json!({"command": "neon-lsp.testConnection", "arguments": [{"uri": uri(elsewhere.path(), "")}]}),
    );
    assert_eq!(report["ok"], false, "{report}");
    let advice = report["error"]["message"].as_str().unwrap();
    assert!(advice.contains("neon-lsp.envFiles"), "{advice}");
    assert!(!advice.contains("--"), "{advice}");
    server.stop();
}

#[test]
fn cancel_request_stops_a_connection_test_and_its_socket() {
    use std::io::Read;
    // A server that accepts and never answers: without cancellation the test would wait 10 s.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (accepted, was_accepted) = channel();
    let (closed, was_closed) = channel();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = accepted.send(());
            let mut buffer = [0u8; 256];
            // Read the SSLRequest, then wait for the client to hang up.
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
            let _ = closed.send(());
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
    let id = 9_001;
    server.send(json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
        "params": {"command": "neon-lsp.testConnection", "arguments": [{"uri": uri(&root, ".env")}]}}));
    was_accepted
        .recv_timeout(Duration::from_secs(10))
        .expect("the connection test reached the listener");
    server.notify("$/cancelRequest", json!({"id": id}));
    let response = server.wait_for(|m| m["id"] == id && m.get("method").is_none());
    assert_eq!(response["error"]["code"], -32800, "{response}");
    // Left alone, the test would hold the socket until its 10 s timeout.
    was_closed
        .recv_timeout(Duration::from_secs(5))
        .expect("cancelling closed the test's socket");
    // The server carries on.
    let lenses = server.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri(&root, ".env")}}),
    );
    assert_eq!(lenses.as_array().unwrap().len(), 1);
    server.stop();
}

#[test]
fn source_action_inserts_the_connection_snippet_for_the_files_connection() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("requirements.txt"), "psycopg2-binary\n").unwrap();
    std::fs::write(
        root.join(".env"),
        "AZURE_POSTGRESQL_CONNECTIONSTRING=\"dbname=db host=s.postgres.database.azure.com port=5432 sslmode=require user=app\"\nAZURE_POSTGRESQL_CLIENTID=11111111-2222-3333-4444-555555555555\n",
    )
    .unwrap();
    let source = "import os\nclient_id = os.environ[\"AZURE_POSTGRESQL_CLIENTID\"]\n";
    std::fs::write(root.join("app.py"), source).unwrap();
    let mut server = Server::start(&root);
    let app = uri(&root, "app.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "python", "version": 1, "text": source}}),
    );
    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": app}, "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}},
               "context": {"diagnostics": [], "only": ["source"]}}),
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "source.neon-lsp.insertSnippet")
        .unwrap_or_else(|| panic!("no snippet action in {actions}"))
        .clone();
    let id = 7_777;
    server.send(json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
        "params": {"command": action["command"]["command"], "arguments": action["command"]["arguments"]}}));
    let apply = server.wait_for(|m| m["method"] == "workspace/applyEdit");
    let edits = &apply["params"]["edit"]["changes"][&app];
    // After the imports (`import os`), with the psycopg2 imports merged in.
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 1, "character": 0})
    );
    let text = edits[0]["newText"].as_str().unwrap();
    // The project's connection: Azure, python, user-assigned identity (it reads the client id).
    assert!(
        text.contains("os.environ.get(\"AZURE_POSTGRESQL_CONNECTIONSTRING\")"),
        "{text}"
    );
    assert!(
        text.contains("ManagedIdentityCredential(client_id="),
        "{text}"
    );
    assert!(
        text.contains("https://ossrdbms-aad.database.windows.net/.default"),
        "{text}"
    );
    server.send(json!({"jsonrpc": "2.0", "id": apply["id"], "result": {"applied": true}}));
    let result = server.wait_for(|m| m["id"] == id && m.get("method").is_none())["result"].clone();
    assert_eq!(result["applied"], true, "{result}");
    assert_eq!(result["auth"], "user-identity", "{result}");
    assert_eq!(result["clientType"], "python", "{result}");
    server.stop();
}

/// A client that stops right after `initialized`, before answering the server's own requests
/// (registerCapability, workspace/configuration): the server must still end on `exit`, and on
/// EOF when the editor simply goes away.
#[test]
fn exit_and_eof_end_the_server_even_with_its_requests_unanswered() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join(".env"), "NEON_POSTGRESQL_HOST=h\n").unwrap();
    let root = uri(project.path(), "");
    for (ending, delay_ms) in [("exit", 0), ("exit", 10), ("exit", 100), ("eof", 10)] {
        let mut server = Server::launch(&[], &[]);
        server.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null,
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "project"}],
            "capabilities": {
                "window": {"workDoneProgress": true},
                "workspace": {"configuration": true, "didChangeWatchedFiles": {"dynamicRegistration": true}}
            }
        }}));
        let initialized = (0..50)
            .filter_map(|_| server.next_message(Duration::from_secs(1)))
            .any(|message| message["id"] == 1 && message.get("result").is_some());
        assert!(initialized, "no initialize response");
        server.notify("initialized", json!({}));
        std::thread::sleep(Duration::from_millis(delay_ms));
        // The server's requests (progress, registration, configuration) are never answered.
        server.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}));
        if ending == "exit" {
            let answered = (0..50)
                .filter_map(|_| server.next_message(Duration::from_secs(1)))
                .any(|message| message["id"] == 2 && message.get("method").is_none());
            assert!(
                answered,
                "no shutdown response ({ending} after {delay_ms} ms)"
            );
            server.notify("exit", Value::Null);
        } else {
            server.close_stdin();
        }
        let status = server.exit_status_within(Duration::from_secs(10));
        let Some(status) = status else {
            panic!("the server kept running after {ending} ({delay_ms} ms after initialized)");
        };
        if ending == "exit" {
            // The specification: 0 after shutdown then exit.
            assert!(
                status.success(),
                "exited with {status} after shutdown and exit"
            );
        }
    }
}

/// `exit` without `shutdown` first ends the server with exit code 1, as the specification asks.
#[test]
fn exit_without_shutdown_exits_with_code_one() {
    let project = tempfile::tempdir().unwrap();
    let server = Server::start(project.path());
    let mut server = server;
    server.notify("exit", Value::Null);
    let status = server.exit_status_within(Duration::from_secs(10));
    assert_eq!(status.and_then(|status| status.code()), Some(1));
}

/// Incremental edits (the server re-parses from the edited syntax tree and re-scans only the
/// edited document) publish exactly what a fresh server publishes for the final text.
#[test]
fn incremental_edits_publish_what_a_fresh_open_publishes() {
    let (_dir, root) = pg_app();
    std::fs::write(root.join(".env"), "NEON_POSTGRESQL_HOST=ep-a.neon.tech\n").unwrap();
    let source = "const { Pool } = require('pg');\n// é ü\nconst host = process.env.NEON_POSTGRESQL_HOST;\nfunction connect() {\n  const url = process.env.NEON_POSTGRESQL_CONNECTION_STRING;\n  console.log(url);\n  return new Pool({ host });\n}\n";
    let mut server = Server::start(&root);
    let db = uri(&root, "db.js");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}));
    server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == db
            && m["params"]["version"] == 1
    });
    // (start line, start character, end line, end character, new text), UTF-16 positions.
    let edits = [
        // A typo typed into a name, then removed.
        (2, 38, 2, 38, "X"),
        (2, 38, 2, 39, ""),
        // A line read by a client type that does not get it, after the non-ASCII comment.
        (
            1,
            6,
            1,
            6,
            "\nconst pw = process.env.NEON_POSTGRESQL_PASSWORD;",
        ),
        // Lines joined, a block deleted, broken syntax and its repair.
        (3, 46, 4, 0, " "),
        (5, 0, 6, 0, ""),
        (5, 2, 5, 2, "if ("),
        (5, 2, 5, 6, ""),
        (0, 0, 0, 0, "// top\n"),
    ];
    let mut last = Value::Null;
    for (number, (sl, sc, el, ec, text)) in edits.iter().enumerate() {
        let version = number as i64 + 2;
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": db, "version": version}, "contentChanges": [{"range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}}, "text": text}]}),
        );
        last = server.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == db
                && m["params"]["version"] == version
        });
    }
    // The editor's text after the edits, as the server should now hold it.
    let mut expected = source.to_owned();
    for (sl, sc, el, ec, text) in edits {
        let lines: Vec<String> = expected.split('\n').map(str::to_owned).collect();
        let offset = |line: usize, character: usize| -> usize {
            let before: usize = lines[..line].iter().map(|l| l.len() + 1).sum();
            let utf16: Vec<u16> = lines[line].encode_utf16().collect();
            before + String::from_utf16(&utf16[..character]).unwrap().len()
        };
        let (start, end) = (offset(sl, sc), offset(el, ec));
        expected.replace_range(start..end, text);
    }
    server.stop();

    let mut fresh = Server::start(&root);
    fresh.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 10, "text": expected}}));
    let from_scratch = fresh.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == db
            && m["params"]["version"] == 10
    });
    assert!(
        !from_scratch["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{expected}"
    );
    assert_eq!(
        without_links(&last),
        without_links(&from_scratch),
        "{expected}"
    );
    fresh.stop();
}

/// A long document edited in many places (the server re-parses only the edited statements and
/// consolidates its tree in the background) publishes what a fresh server publishes for the
/// final text, and its quick fixes, built on the patched syntax tree, are the same edits.
#[test]
fn typing_through_a_long_document_keeps_diagnostics_and_quick_fixes_exact() {
    let (_dir, root) = pg_app();
    let mut source = String::from("const { Pool } = require('pg');\n");
    for n in 0..300 {
        if n == 150 {
            source.push_str(
                "const pool = new Pool({\n  host: process.env.NEON_POSTGRESQL_HOST,\n  port: 5432,\n});\n",
            );
        }
        source.push_str(&format!(
            "function helper{n}(alpha, beta) {{ return alpha * {n} + beta; }}\n"
        ));
    }
    let mut server = Server::start(&root);
    let db = uri(&root, "db.js");
    server.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}));
    server.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == db
            && m["params"]["version"] == 1
    });
    let mut text = source.clone();
    let mut last = Value::Null;
    for step in 0..60usize {
        // A letter typed after `alpha` on a line spread through the file (ASCII: UTF-16
        // positions are byte columns), the pool's lines included.
        let line = 1 + (step * 37) % 300;
        let lines: Vec<&str> = text.split('\n').collect();
        let Some(column) = lines[line].find("alpha") else {
            continue;
        };
        let column = column + "alpha".len();
        let start: usize = lines[..line].iter().map(|l| l.len() + 1).sum::<usize>() + column;
        text.insert(start, 'q');
        let version = step as i64 + 2;
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": db, "version": version}, "contentChanges": [{"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}}, "text": "q"}]}),
        );
        last = server.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == db
                && m["params"]["version"] == version
        });
        if step % 20 == 10 {
            // Now and then a pause, long enough for the consolidation that waits for one
            // (it also runs without, every 16 patched statements).
            std::thread::sleep(Duration::from_millis(400));
        }
    }
    let fixes_of = |server: &mut Server, published: &Value| -> Vec<Value> {
        let mut fixes = Vec::new();
        for diagnostic in published["params"]["diagnostics"].as_array().unwrap() {
            let actions = server.request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": db}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
            );
            for action in actions.as_array().unwrap() {
                let resolved = if action.get("edit").is_some() {
                    action.clone()
                } else {
                    server.request("codeAction/resolve", action.clone())
                };
                fixes.push(json!({"title": resolved["title"], "edit": resolved["edit"]}));
            }
        }
        fixes
    };
    let fixes = fixes_of(&mut server, &last);
    server.stop();

    let mut fresh = Server::start(&root);
    fresh.notify("textDocument/didOpen", json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 100, "text": text}}));
    let from_scratch = fresh.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == db
            && m["params"]["version"] == 100
    });
    assert!(has_rule(
        &from_scratch["params"]["diagnostics"],
        "incomplete-variable-set"
    ));
    assert_eq!(without_links(&last), without_links(&from_scratch));
    let fresh_fixes = fixes_of(&mut fresh, &from_scratch);
    // The pool's fix adds the missing reads inside its object (a tree-based rewrite).
    assert!(
        fresh_fixes.iter().any(|fix| fix
            .to_string()
            .contains("user: process.env.NEON_POSTGRESQL_USER")),
        "{fresh_fixes:?}"
    );
    assert_eq!(fixes, fresh_fixes);
    fresh.stop();
}

//! `neon-lsp serve` survives anything on stdin (issue 16): malformed frames and messages are
//! answered with the JSON-RPC error the specification asks for (or skipped), logged, and the
//! next valid request is served. Also: a client that does not wait for the `initialize`
//! response still gets its documents analysed.

mod support;

use serde_json::{Value, json};
use support::lsp::{Server, uri};

fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

fn headed(header: &str, body: &str) -> Vec<u8> {
    format!("{header}\r\n\r\n{body}").into_bytes()
}

/// The error response an input must get: `(code, id)`, or `None` for no response.
type Expected = Option<(i64, Value)>;

/// The raw inputs, and the error response each must get: `(code, id)`, or `None` when the
/// bytes are not a message at all (skipped and logged only).
fn bad_inputs() -> Vec<(&'static str, Vec<u8>, Expected)> {
    let parse = Some((-32700, Value::Null));
    let invalid = |id: Value| Some((-32600, id));
    let mut invalid_utf8 =
        br#"{"jsonrpc":"2.0","id":106,"method":"textDocument/hover","params":{"x":""#.to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe\"}}");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    vec![
        (
            "malformed JSON",
            frame(br#"{"jsonrpc":"2.0","id":101,"#),
            parse.clone(),
        ),
        (
            "a JSON array",
            frame(br#"[{"jsonrpc":"2.0","id":102,"method":"shutdown"}]"#),
            invalid(Value::Null),
        ),
        ("a JSON string", frame(br#""hello""#), invalid(Value::Null)),
        ("an empty object", frame(b"{}"), invalid(Value::Null)),
        (
            "no jsonrpc member",
            frame(br#"{"id":105,"method":"textDocument/hover","params":{}}"#),
            invalid(json!(105)),
        ),
        (
            "invalid UTF-8 in a string",
            frame(&invalid_utf8),
            parse.clone(),
        ),
        (
            "no header at all",
            br#"{"jsonrpc":"2.0","id":107,"method":"shutdown"}"#.to_vec(),
            None,
        ),
        (
            "a non-numeric Content-Length",
            headed("Content-Length: ten", "{}"),
            parse.clone(),
        ),
        (
            "a negative Content-Length",
            headed("Content-Length: -2", "{}"),
            parse.clone(),
        ),
        (
            "a too small Content-Length",
            headed(
                "Content-Length: 10",
                r#"{"jsonrpc":"2.0","id":110,"method":"shutdown"}"#,
            ),
            parse.clone(),
        ),
        (
            "a too large Content-Length",
            headed(
                "Content-Length: 5000",
                r#"{"jsonrpc":"2.0","id":111,"method":"shutdown"}"#,
            ),
            parse.clone(),
        ),
        (
            "an enormous Content-Length",
            headed("Content-Length: 99999999999999999999", "{}"),
            parse.clone(),
        ),
        (
            "garbage bytes",
            b"\x00\xff\xfe garbage \x1b[31m\x07\r\n\r\n".to_vec(),
            None,
        ),
        (
            "a header without Content-Length",
            headed(
                "Content-Type: application/vscode-jsonrpc; charset=utf-8",
                r#"{"jsonrpc":"2.0","id":114,"method":"shutdown"}"#,
            ),
            parse.clone(),
        ),
        (
            "an id that is an object",
            frame(br#"{"jsonrpc":"2.0","id":{"n":115},"method":"textDocument/hover","params":{}}"#),
            invalid(Value::Null),
        ),
        (
            "an id that is an array",
            frame(br#"{"jsonrpc":"2.0","id":[116],"method":"textDocument/hover","params":{}}"#),
            invalid(Value::Null),
        ),
        (
            "JSON-RPC 1.0",
            frame(br#"{"jsonrpc":"1.0","id":117,"method":"shutdown"}"#),
            invalid(json!(117)),
        ),
        (
            "a method that is a number",
            frame(br#"{"jsonrpc":"2.0","id":118,"method":118}"#),
            invalid(json!(118)),
        ),
        ("an empty body", frame(b""), parse.clone()),
        (
            "params that are a string",
            frame(br#"{"jsonrpc":"2.0","id":120,"method":"textDocument/hover","params":"p"}"#),
            invalid(json!(120)),
        ),
        (
            "100,000 nested arrays",
            frame(deep.as_bytes()),
            parse.clone(),
        ),
    ]
}

#[test]
fn every_malformed_input_is_answered_or_skipped_and_the_next_request_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join(".env"), "PGHOST=localhost\n").unwrap();
    let log = root.join("server.log");
    let log_arg = log.to_str().unwrap();
    let mut server = Server::start_full(&root, Value::Null, &["--log-file", log_arg]);
    let hover = json!({"textDocument": {"uri": uri(&root, ".env")}, "position": {"line": 0, "character": 0}});
    let inputs = bad_inputs();
    for (what, bytes, expected) in &inputs {
        let before = server.received.len();
        server.send_raw(bytes);
        let response = server.request_response("textDocument/hover", hover.clone());
        assert!(
            response.get("result").is_some(),
            "after {what}, the next request failed: {response}"
        );
        let errors: Vec<Value> = server.received[before..]
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .filter(|message| message.get("error").is_some())
            .collect();
        match expected {
            Some((code, id)) => assert!(
                errors
                    .iter()
                    .any(|e| e["error"]["code"] == *code && e["id"] == *id),
                "{what}: expected error {code} with id {id}, got {errors:?} in {:?}",
                &server.received[before..]
            ),
            None => assert!(errors.is_empty(), "{what}: {errors:?}"),
        }
    }
    server.stop();
    let log = std::fs::read_to_string(&log).unwrap();
    let problems = log.lines().filter(|line| line.contains("warning")).count();
    assert!(
        problems >= inputs.len(),
        "each problem is logged ({problems} warnings):\n{log}"
    );
    assert!(log.contains("an id that is an object"), "{log}");
}

#[test]
fn a_client_that_does_not_wait_for_the_initialize_response_still_gets_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{"name":"app","dependencies":{"pg":"^8"}}"#,
    )
    .unwrap();
    let source = "const host = process.env.NEON_POSTGRES_HOST;\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    let mut server = Server::launch(&[], &[]);
    let db = uri(&root, "db.js");
    // All three at once, before reading anything.
    let id = server.send_request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(&root, ""),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        }),
    );
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": db, "languageId": "javascript", "version": 1, "text": source}}),
    );
    server.response_to(id, |_| None);
    let diagnostics = server.diagnostics_for(&db, |d| !d.as_array().is_some_and(Vec::is_empty));
    assert!(
        diagnostics.iter().any(|d| d["code"] == "unknown-variable"),
        "{diagnostics:?}"
    );
    server.stop();
}

/// A loose file (no workspace folder from the editor, no project marker above it) is checked
/// with the .env file beside it, and nothing else in its folder tree is read.
#[test]
fn a_loose_file_outside_any_project_gets_single_file_mode() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    let source = "import os\nconn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";
    std::fs::write(folder.join("notes.py"), source).unwrap();
    std::fs::write(folder.join(".env"), "OTHER=1\n").unwrap();
    // Would be reported (tls-disabled) if the folder tree were scanned.
    std::fs::create_dir(folder.join("elsewhere")).unwrap();
    std::fs::write(
        folder.join("elsewhere/.env"),
        "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:pw@ep-a.eastus2.azure.neon.tech/db?sslmode=disable\"\n",
    )
    .unwrap();
    let mut server = Server::launch(&[], &[]);
    let id = server.send_request(
        "initialize",
        json!({"processId": null, "capabilities": {"general": {"positionEncodings": ["utf-16"]}}}),
    );
    server.response_to(id, |_| None);
    server.notify("initialized", json!({}));
    let notes = uri(&folder, "notes.py");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": notes, "languageId": "python", "version": 1, "text": source}}),
    );
    let diagnostics = server.diagnostics_for(&notes, |d| {
        d.as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "undefined-in-env-file"))
    });
    assert!(!diagnostics.is_empty());
    server.received_or_wait_for(|m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.contains("single-file mode"))
    });
    // A round trip, so anything published meanwhile has arrived.
    server.request_response("shutdown", Value::Null);
    let elsewhere = uri(&folder, "elsewhere/.env");
    assert!(
        !server.received.iter().any(|m| m.contains(&elsewhere)),
        "a file outside the open file's folder was read"
    );
    server.notify("exit", Value::Null);
}

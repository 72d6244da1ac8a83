//! The command line's and the language server's connection tests ask the core the same
//! question (`query::test_connection_plan`): on one workspace with a neon-lsp.toml they read the
//! same .env file — the one its `env-files` names for the connection's `paths` — and not the
//! folder's plain `.env`.

mod support;

use serde_json::{Value, json};
use std::process::Command;
use support::lsp::{Server, uri};

/// A loopback port nothing listens on: the test fails fast at TCP, after reading its settings.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn env_line(port: u16) -> String {
    format!(
        "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:pw@127.0.0.1:{port}/db?sslmode=require\"\n"
    )
}

fn cli(root: &std::path::Path, args: &[&str]) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
    command
        .current_dir(root)
        .arg("test-connection")
        .args(args)
        .args(["--format", "json", "--timeout", "5"]);
    for (key, _) in std::env::vars() {
        if key.starts_with("NEON_") || key.starts_with("AZURE_") || key.starts_with("PG") {
            command.env_remove(key);
        }
    }
    let output = command.output().unwrap();
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn cli_and_server_read_the_env_files_neon_lsp_toml_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (plain, staging) = (closed_port(), closed_port());
    std::fs::write(
        root.join("neon-lsp.toml"),
        "[[connection]]\ntarget = \"neon\"\nclient-type = \"nodejs\"\npaths = [\"api\"]\nenv-files = [\".env.staging\"]\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("api")).unwrap();
    std::fs::write(root.join("api/.env"), env_line(plain)).unwrap();
    std::fs::write(root.join("api/.env.staging"), env_line(staging)).unwrap();
    std::fs::write(
        root.join("api/db.js"),
        "const url = process.env.NEON_POSTGRESQL_CONNECTIONSTRING;\n",
    )
    .unwrap();

    // The CLI, from the project root on the app folder, and from inside the app folder.
    for (cwd, args) in [(root.clone(), vec!["api"]), (root.join("api"), vec![])] {
        let report = cli(&cwd, &args);
        assert_eq!(report["port"], staging, "{args:?} {report}");
        assert!(
            report["source"].as_str().unwrap().contains(".env.staging"),
            "{report}"
        );
    }

    // The server, from the code and from the folder.
    let mut server = Server::start(&root);
    for at in ["api/db.js", "api"] {
        let report = server.request(
            "workspace/executeCommand",
            json!({"command": "neon-lsp.testConnection", "arguments": [{"uri": uri(&root, at)}]}),
        );
        assert_eq!(report["port"], staging, "{at} {report}");
        assert!(
            report["source"].as_str().unwrap().contains(".env.staging"),
            "{report}"
        );
    }
    server.stop();
}

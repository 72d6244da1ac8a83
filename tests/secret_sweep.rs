//! The secret sweep: `tests/fixtures/secret-sweep` plants distinctive passwords in every shape
//! a project holds them (.env values in every quoting, libpq / Npgsql / URI / JDBC strings,
//! C# verbatim and Go escaped literals, YAML and .properties values, misspelt keys, broken
//! lines, special characters). Every output neon-lsp has — `check` in each format, `--fix`, the
//! language server's diagnostics, hovers, code lenses, code actions and debug log, and
//! `test-connection` against a throwaway PostgreSQL whose password is one of them — must show
//! none of them, nor any 6-character piece of one.

mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::lsp::{Server, uri};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secret-sweep")
}

/// The planted passwords, from `planted.txt`.
fn planted() -> Vec<String> {
    let text = std::fs::read_to_string(fixture().join("planted.txt")).unwrap();
    let planted: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(planted.len() >= 20, "planted.txt lost its passwords");
    planted
}

/// Fails if `output` holds a planted password or any 6-character piece of one.
#[track_caller]
fn assert_clean(what: &str, output: &str) {
    for secret in planted() {
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(6.min(chars.len())) {
            let piece: String = piece.iter().collect();
            if let Some(at) = output.find(&piece) {
                let from = output[..at]
                    .char_indices()
                    .rev()
                    .nth(80)
                    .map_or(0, |(i, _)| i);
                let context: String = output[from..].chars().take(200).collect();
                panic!("{what} shows {piece:?} (of a planted password) here:\n{context}");
            }
        }
    }
}

/// A copy of the fixture (without the test's own control files) to run in, committed to a
/// fresh git repository so that `plaintext-secret` flags (and quotes) the tracked .env lines.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    for control in ["planted.txt", "README.md"] {
        std::fs::remove_file(dir.path().join(control)).unwrap();
    }
    support::git::git(dir.path(), &["init", "-q"]);
    support::git::git(dir.path(), &["add", "-A"]);
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file of the project, relative, sorted.
fn files(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with(".git") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

fn neon_lsp(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn check_shows_no_planted_password_in_any_format() {
    let dir = project();
    let (code, text) = neon_lsp(dir.path(), &["check", "--color", "never"]);
    assert_eq!(code, 1, "{text}");
    // The sweep means something only if the findings quote the lines that hold the secrets.
    for file in files(dir.path()) {
        assert!(
            text.contains(&format!("{file}:")),
            "no finding in {file}, so its lines were never quoted:\n{text}"
        );
    }
    assert_clean("check --format text", &text);
    for args in [
        &["check", "--color", "always"][..],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["check", "--format", "github"],
        &["check", ".env", ".env.local", "api/db.js"],
    ] {
        let (_, output) = neon_lsp(dir.path(), args);
        assert_clean(&args.join(" "), &output);
    }
    let (_, github) = neon_lsp(dir.path(), &["check", "--format", "github"]);
    assert!(
        !github.contains(['\u{1b}', '\u{7}']),
        "control characters reach the workflow log:\n{github}"
    );
}

/// Masking covers values taken from the project, never the rules' own words: the README's
/// example prints its help line ("no password: with Entra auth …") and its notes intact, in
/// text and JSON, while the sweep above still finds no planted password.
#[test]
fn rule_text_with_password_colon_is_printed_intact() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/azure-node-app");
    let (_, text) = neon_lsp(&example, &["check", "--color", "never"]);
    assert!(
        text.contains("(no password: with Entra auth pg needs the access token as the password)"),
        "{text}"
    );
    let (_, json) = neon_lsp(&example, &["check", "--format", "json"]);
    assert!(json.contains("(no password: with Entra auth"), "{json}");
    for output in [&text, &json] {
        assert!(!output.contains("password: ****"), "{output}");
        assert!(!output.contains("PASSWORD: ****"), "{output}");
    }
}

#[test]
fn fix_shows_no_planted_password() {
    let dir = project();
    for format in ["text", "json"] {
        let (_, output) = neon_lsp(dir.path(), &["check", "--fix", "--format", format]);
        assert_clean(&format!("check --fix --format {format}"), &output);
    }
}

/// Every way the language server shows text: published diagnostics, hover on every line of
/// every file, code lenses, code actions for every diagnostic, and its log at debug level.
#[test]
fn language_server_shows_no_planted_password() {
    let dir = project();
    let log = dir.path().join("server.log");
    let log_arg = log.to_str().unwrap().to_owned();
    let files = files(dir.path());
    let mut server = Server::builder(dir.path())
        .args(&["--log-level", "debug", "--log-file", &log_arg])
        .start();
    let mut shown = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let document = uri(dir.path(), file);
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": document, "languageId": "plaintext", "version": 1, "text": text}}),
        );
        let diagnostics = server.diagnostics_for(&document, |_| true);
        for (line, content) in text.lines().enumerate() {
            // Hover on the key (or the first word) and in the middle of every line.
            for character in [0, content.chars().count() / 2] {
                let at = json!({"textDocument": {"uri": document}, "position": {"line": line, "character": character}});
                shown.push(server.request("textDocument/hover", at).to_string());
            }
        }
        shown.push(
            server
                .request(
                    "textDocument/codeLens",
                    json!({"textDocument": {"uri": document}}),
                )
                .to_string(),
        );
        for diagnostic in &diagnostics {
            let actions = server.request(
                "textDocument/codeAction",
                json!({
                    "textDocument": {"uri": document},
                    "range": diagnostic["range"],
                    "context": {"diagnostics": [diagnostic]},
                }),
            );
            shown.push(actions.to_string());
        }
    }
    let received = server.received.join("\n");
    server.stop();
    assert!(
        received.contains("publishDiagnostics"),
        "no diagnostics were published:\n{received}"
    );
    assert_clean("the language server's messages", &received);
    assert_clean("the language server's answers", &shown.join("\n"));
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert_clean("the language server's debug log", &log);
}

/// `test-connection` against a real server whose password is a planted one (with `;`):
/// success, a wrong password, and broken connection strings, in text and JSON.
#[test]
fn test_connection_shows_no_planted_password() {
    let Some(pg) = support::pg::PgCluster::start() else {
        return;
    };
    let password = "Wm4;Rt8Zq";
    pg.create_role("app", password, true);
    pg.create_database("appdb", "app");
    let port = pg.port();
    let cases = [
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING='host=127.0.0.1 port={port} dbname=appdb user=app password=Wm4;Rt8Zq sslmode=require'\n"
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING='host=127.0.0.1 port={port} dbname=appdb user=app password=Qv7envKx3 sslmode=require'\n"
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"Server=127.0.0.1;Port={port};Database=appdb;User Id=app;Password='Pk4''Sw9Ne\"\n"
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:Ty8#Kw3Pf@127.0.0.1:{port}/appdb?sslmode=require\"\n"
        ),
        format!(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"Server=127.0.0.1;Port={port};Database=appdb;User Id=app;Password=Jd5;Lx9Vw;Ssl Mode=Require\"\n"
        ),
        format!(
            "NEON_POSTGRESQL_HOST=127.0.0.1\nNEON_POSTGRESQL_PORT={port}\nNEON_POSTGRESQL_USER=app\nNEON_POSTGRESQL_DATABASE=appdb\nNEON_POSTGRESQL_PASSWORD=\"Nc7 Gs4Mb\nNEON_POSTGRESQL_SSL=true\n"
        ),
    ];
    let mut connected = false;
    for env in &cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), env).unwrap();
        for format in ["text", "json"] {
            let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
            command
                .args(["test-connection", "--timeout", "20", "--format", format])
                .arg(dir.path());
            for (key, _) in std::env::vars() {
                if key.starts_with("NEON_") || key.starts_with("AZURE_") || key.starts_with("PG") {
                    command.env_remove(key);
                }
            }
            let output = command.output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            connected |= output.status.success();
            assert_clean(
                &format!("test-connection --format {format} on {env}"),
                &text,
            );
        }
    }
    assert!(connected, "the correct password never connected");
}

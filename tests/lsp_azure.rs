//! The deployed configuration in the editor, over the real stdio of `neon-lsp serve`, against
//! the local ARM emulator (tests/support/arm.rs) on 127.0.0.1: with `neon-lsp.azure.deployed`
//! on, diagnostics follow the deployed connection and the status notification names its client
//! type and auth; with Azure gone, the cached read is used and the status says how old it is;
//! with the setting off, nothing is sent to Azure. No test contacts Azure.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::arm::{self, App, ArmEmulator, Failure};
use support::lsp::{Server, uri};

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const GROUP: &str = "rg-dev";
const PASSWORD: &str = "pg-password-value-41aa";
const SETTING_VALUE: &str = "app-setting-secret-77";
const INDEX_JS: &str = "const { Client } = require('pg');\nconst client = new Client({\n  host: process.env.NEON_POSTGRESQL_HOST,\n  user: process.env.NEON_POSTGRESQL_USER,\n  password: process.env.NEON_POSTGRESQL_PASSWORD,\n  database: process.env.NEON_POSTGRESQL_DATABASE,\n  port: process.env.NEON_POSTGRESQL_PORT,\n  ssl: process.env.NEON_POSTGRESQL_SSL === 'true',\n});\n";

fn web_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.Web/sites/app-web")
}

/// The deployed app: a Neon connection for nodejs that does not set NEON_POSTGRESQL_SSL.
fn web_app() -> App {
    App::site(SUB, GROUP, "app-web")
        .linker(
            "neon_pg",
            json!({
                "clientType": "nodejs",
                "authInfo": {"authType": "secret", "name": "app", "secretInfo": {"secretType": "rawValue"}},
                "targetService": {"type": "AzureResource", "id": format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Neon.Postgres/organizations/org")},
            }),
            &[
                ("NEON_POSTGRESQL_HOST", "ep-x.eastus2.azure.neon.tech", "Default"),
                ("NEON_POSTGRESQL_USER", "app", "Default"),
                ("NEON_POSTGRESQL_PASSWORD", PASSWORD, "Default"),
                ("NEON_POSTGRESQL_DATABASE", "app", "Default"),
                ("NEON_POSTGRESQL_PORT", "5432", "Default"),
            ],
        )
        .setting("APPLICATIONINSIGHTS_CONNECTION_STRING", SETTING_VALUE)
}

fn project(root: &Path) {
    std::fs::write(
        root.join("package.json"),
        "{\"name\": \"api\", \"dependencies\": {\"pg\": \"^8\"}}\n",
    )
    .unwrap();
    std::fs::write(root.join("index.js"), INDEX_JS).unwrap();
    std::fs::write(
        root.join("neon-lsp.toml"),
        format!("[azure]\nresource-id = \"{}\"\n", web_id()),
    )
    .unwrap();
}

fn start(root: &Path, arm: &ArmEmulator, options: Value) -> Server {
    let url = arm.url();
    Server::builder(root)
        .settings(options)
        .env("AZURE_TENANT_ID", arm::TENANT)
        .env("AZURE_CLIENT_ID", arm::CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", arm::CLIENT_SECRET)
        .env("AZURE_AUTHORITY_HOST", &url)
        .env("NEON_LSP_ARM_URL", &url)
        .start()
}

fn is_status(message: &Value) -> bool {
    message["method"] == "neon-lsp/deployedStatus"
}

fn has_rule(diagnostics: &Value, rule: &str) -> bool {
    diagnostics
        .as_array()
        .is_some_and(|all| all.iter().any(|d| d["code"] == rule))
}

fn refresh(server: &mut Server) -> Value {
    server.request(
        "workspace/executeCommand",
        json!({"command": "neon-lsp.refreshDeployed", "arguments": []}),
    )
}

#[test]
fn the_setting_reads_the_deployed_connection_then_works_from_the_cache_offline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    project(&root);
    let emulator = ArmEmulator::start(vec![web_app()], Vec::new());
    let mut server = start(&root, &emulator, json!({"azure": {"deployed": true}}));

    // The status bar text, once the background read is done.
    let status = server.received_or_wait_for(is_status);
    assert_eq!(
        status["params"]["text"], "deployed: nodejs · secret",
        "{status}"
    );
    assert_eq!(status["params"]["fromCache"], false, "{status}");

    // The root is re-published with the deployed connection: NEON_POSTGRESQL_SSL is missing.
    let index = uri(&root, "index.js");
    let diagnostics = server.diagnostics_for(&index, |d| has_rule(d, "missing-in-deployment"));
    let missing: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "missing-in-deployment")
        .collect();
    assert_eq!(missing.len(), 1, "{diagnostics:?}");
    let message = missing[0]["message"].as_str().unwrap();
    assert!(
        message.contains("NEON_POSTGRESQL_SSL (from the deployed connection neon_pg of app-web"),
        "{message}"
    );
    let reads = emulator
        .requests()
        .iter()
        .filter(|r| r.path.contains("/Microsoft.ServiceLinker/linkers"))
        .count();
    assert!(reads >= 2, "linkers and listConfigurations were read");

    // Azure goes away: the refresh falls back to the cache and says how old it is.
    drop(emulator);
    let before_refresh = server.received.len();
    let result = refresh(&mut server);
    let roots = result["roots"].as_array().cloned().unwrap_or_default();
    assert_eq!(roots.len(), 1, "{result}");
    assert_eq!(roots[0]["fromCache"], true, "{result}");
    assert_eq!(
        roots[0]["text"], "deployed: nodejs · secret (cached, just now)",
        "{result}"
    );
    assert!(
        roots[0]["tooltip"]
            .as_str()
            .unwrap()
            .contains("Azure could not be read now"),
        "{result}"
    );
    let cached_status =
        server.received_or_wait_for(|m| is_status(m) && m["params"]["fromCache"] == true);
    assert_eq!(
        cached_status["params"]["ageSeconds"]
            .as_u64()
            .map(|a| a < 600),
        Some(true)
    );
    // The refresh re-publishes the root, still judged against the deployed connection, now
    // from the cache (the publication and the command's answer may arrive either way round).
    let republished = |m: &Value| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == index.as_str()
            && has_rule(&m["params"]["diagnostics"], "missing-in-deployment")
    };
    let earlier = server.received[before_refresh..]
        .iter()
        .filter_map(|text| serde_json::from_str::<Value>(text).ok())
        .any(|m| republished(&m));
    if !earlier {
        server.wait_for(republished);
    }

    // The cache holds names, never a value.
    let cache = server.cache.path().join("neon-lsp").join("deployed");
    let files: Vec<_> = std::fs::read_dir(&cache)
        .unwrap_or_else(|e| panic!("{}: {e}", cache.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file per app: {files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("NEON_POSTGRESQL_PASSWORD") && text.contains("fetchedAt"),
        "{text}"
    );
    for secret in [PASSWORD, SETTING_VALUE, arm::TOKEN, arm::CLIENT_SECRET] {
        assert!(!text.contains(secret), "the cache holds a secret: {text}");
        assert!(
            !server.received.iter().any(|m| m.contains(secret)),
            "a secret reached the editor"
        );
    }
    server.stop();
}

/// Azure throttles the linkers' read for a minute (`Retry-After: 60`, which the background read
/// waits out): the root's first diagnostics are published without the deployed connection,
/// before the deployed status, and a hover is answered meanwhile.
#[test]
fn the_first_diagnostics_do_not_wait_for_azure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    project(&root);
    let throttled = Failure {
        path_part: "/Microsoft.ServiceLinker/linkers".into(),
        status: 429,
        retry_after: Some("60".into()),
        times: 1,
    };
    // A file with a finding of its own, so the root's first publication is visible.
    std::fs::write(
        root.join("other.js"),
        "const host = process.env.NEON_POSTGRESQL_HOSTNAME;\n",
    )
    .unwrap();
    let emulator = ArmEmulator::start(vec![web_app()], vec![throttled]);
    let mut server = start(&root, &emulator, json!({"azure": {"deployed": true}}));
    let other = uri(&root, "other.js");
    server.diagnostics_for(&other, |d| has_rule(d, "unknown-variable"));
    // Published before the read ended (no status yet), and made without the deployed
    // connection: index.js, whose NEON_POSTGRESQL_SSL the deployed app lacks, has no finding.
    assert!(
        !server
            .received
            .iter()
            .any(|m| m.contains("neon-lsp/deployedStatus") || m.contains("missing-in-deployment")),
        "the first diagnostics waited for the deployed read"
    );
    let index = uri(&root, "index.js");
    // Line 2 is `  host: process.env.NEON_POSTGRESQL_HOST,`.
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": index}, "position": {"line": 2, "character": 26}}),
    );
    assert!(
        hover.to_string().contains("NEON_POSTGRESQL_HOST"),
        "{hover}"
    );
    server.stop();
}

#[test]
fn with_the_setting_off_nothing_is_sent_to_azure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    project(&root);
    let emulator = ArmEmulator::start(vec![web_app()], Vec::new());
    // A file with a finding of its own, so the root's publication is visible.
    std::fs::write(
        root.join("other.js"),
        "const host = process.env.NEON_POSTGRESQL_HOSTNAME;\n",
    )
    .unwrap();
    let mut server = start(&root, &emulator, Value::Null);
    let other = uri(&root, "other.js");
    let diagnostics = server.diagnostics_for(&other, |d| has_rule(d, "unknown-variable"));
    assert!(
        !diagnostics
            .iter()
            .any(|d| d["code"] == "missing-in-deployment"),
        "{diagnostics:?}"
    );
    let result = refresh(&mut server);
    assert_eq!(result["enabled"], false, "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("neon-lsp.azure.deployed"),
        "{result}"
    );
    assert!(
        !server
            .received
            .iter()
            .any(|m| m.contains("neon-lsp/deployedStatus")),
        "no status without the setting"
    );
    assert!(
        emulator.requests().is_empty(),
        "no request reached the emulator: {:?}",
        emulator.requests()
    );
    server.stop();
}

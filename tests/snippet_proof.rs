//! Proof that the connection snippets work: each one that has a toolchain here is written into a
//! scratch project, given the variables exactly as Service Connector would set them (rendered
//! from the catalogue), run against a throwaway PostgreSQL cluster (TLS only, SCRAM with an
//! iteration-count-1 verifier as Neon's), and must print that it connected over TLS. Passwordless
//! ones fetch their token from a local managed-identity endpoint through the real Azure identity
//! library. Also: every snippet passes our own `neon-lsp check` next to its rendered .env.
//!
//! Not run here: service-principal snippets (azure-identity and @azure/identity insist on an
//! https authority and on instance discovery against login.microsoftonline.com, which is not
//! reachable); they are generated, checked by the rules and snapshot-tested.

mod support;

use neon_lsp::catalogue::{AuthType, ClientType, Target};
use neon_lsp::connstr::{ConnectionParams, Password, SslMode};
use neon_lsp::snippet::{self, EnvValues, SnippetRequest};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::identity::IdentityEndpoint;
use support::pg::PgCluster;

const PASSWORD: &str = "Sn1ppet-Pw-Secret";
const TOKEN: &str = "eyJhbGciOi.snippet-token.sig";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

fn params(host: &str, port: u16, user: &str, password: Option<&str>) -> ConnectionParams {
    ConnectionParams {
        hosts: vec![(host.to_owned(), Some(port))],
        database: Some("appdb".to_owned()),
        user: Some(user.to_owned()),
        password: password.map(Password::new),
        ssl_mode: Some(SslMode::Require),
        ..ConnectionParams::default()
    }
}

fn values(host: &str, port: u16, auth: AuthType) -> EnvValues {
    let passwordless = auth.is_passwordless();
    EnvValues {
        params: params(
            host,
            port,
            if passwordless { "aad_app" } else { "app" },
            (!passwordless).then_some(PASSWORD),
        ),
        client_id: Some(CLIENT_ID.to_owned()),
        tenant_id: Some("33333333-4444-5555-6666-777777777777".to_owned()),
        client_secret: Some("sp-secret".to_owned()),
    }
}

fn manifest(client_type: ClientType) -> (&'static str, &'static str) {
    match client_type {
        ClientType::Python => ("requirements.txt", "psycopg2-binary\nazure-identity\n"),
        _ => (
            "package.json",
            "{\"dependencies\": {\"pg\": \"^8\", \"@azure/identity\": \"^4\"}}\n",
        ),
    }
}

#[test]
fn every_snippet_passes_neon_lsp_check_next_to_its_env_file() {
    for (request, available) in snippet::combinations() {
        if !available {
            continue;
        }
        let host = match request.target {
            Target::Neon => "ep-cool-darkness-123456.eastus2.azure.neon.tech",
            Target::AzurePostgresql => "contoso.postgres.database.azure.com",
        };
        let snippet = snippet::generate(&request).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (manifest_name, manifest_text) = manifest(request.client_type);
        std::fs::write(dir.path().join(manifest_name), manifest_text).unwrap();
        for file in &snippet.files {
            std::fs::write(dir.path().join(&file.suggested_path), &file.text).unwrap();
        }
        let env: String = snippet::render_env(&request, &values(host, 5432, request.auth))
            .unwrap()
            .into_iter()
            .map(|(key, value)| format!("{key}=\"{value}\"\n"))
            .collect();
        std::fs::write(dir.path().join(".env"), env).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
            .args(["check", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            report["diagnostics"].as_array().unwrap().len(),
            0,
            "{request}: {}",
            serde_json::to_string_pretty(&report["diagnostics"]).unwrap()
        );
    }
}

fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import psycopg2, azure.identity"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::prerequisite_missing(
            "python3 with psycopg2-binary and azure-identity (pip install psycopg2-binary azure-identity)",
        );
        return None;
    }
    Some("python3")
}

fn node_modules() -> Option<PathBuf> {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/toolchains/node/node_modules");
    let ok = modules.join("pg").is_dir()
        && modules.join("@azure/identity").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ok {
        support::prerequisite_missing(
            "node with tests/toolchains/node installed (cd tests/toolchains/node && npm ci)",
        );
        return None;
    }
    Some(modules)
}

/// Runs the snippet for `request` with the variables set as Service Connector would; returns
/// (exit success, stdout + stderr).
fn run_snippet(
    request: &SnippetRequest,
    pg: &PgCluster,
    extra_env: &[(&str, String)],
    remove: Option<&str>,
) -> (bool, String) {
    let snippet = snippet::generate(request).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = &snippet.files[0];
    let path = dir.path().join(&file.suggested_path);
    std::fs::write(&path, &file.text).unwrap();
    let mut command = match request.client_type {
        ClientType::Python => Command::new("python3"),
        _ => Command::new("node"),
    };
    command.arg(&path);
    for (key, _) in std::env::vars() {
        if key.starts_with("NEON_")
            || key.starts_with("AZURE_")
            || key.starts_with("IDENTITY_")
            || key.starts_with("PG")
        {
            command.env_remove(key);
        }
    }
    for (key, value) in
        snippet::render_env(request, &values("localhost", pg.port(), request.auth)).unwrap()
    {
        if Some(key.as_str()) != remove {
            command.env(key, value);
        }
    }
    let ca = pg.ca_cert_path();
    // Production uses public CAs; here the test CA is trusted the way each runtime allows.
    command
        .env("PGSSLROOTCERT", &ca)
        .env("NODE_EXTRA_CA_CERTS", &ca)
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())));
    if let Some(modules) = node_modules_if_node(request) {
        command.env("NODE_PATH", modules);
    }
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn node_modules_if_node(request: &SnippetRequest) -> Option<PathBuf> {
    (request.client_type == ClientType::NodeJs)
        .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/toolchains/node/node_modules"))
}

#[test]
fn python_and_node_snippets_connect_over_tls_with_every_runnable_auth() {
    let have_python = python().is_some();
    let have_node = node_modules().is_some();
    if !have_python && !have_node {
        return;
    }
    let Some(pg) = PgCluster::start() else { return };
    pg.create_role("app", PASSWORD, true);
    pg.create_database("appdb", "app");
    pg.create_role("aad_app", TOKEN, false);
    let endpoint_system = IdentityEndpoint::start(TOKEN, "identity-header", None);
    let endpoint_user = IdentityEndpoint::start(TOKEN, "identity-header", Some(CLIENT_ID));
    let mut proven = Vec::new();
    for client_type in [ClientType::Python, ClientType::NodeJs] {
        if (client_type == ClientType::Python && !have_python)
            || (client_type == ClientType::NodeJs && !have_node)
        {
            continue;
        }
        let runs = [
            (Target::Neon, AuthType::Secret, None),
            (Target::AzurePostgresql, AuthType::Secret, None),
            (
                Target::AzurePostgresql,
                AuthType::SystemIdentity,
                Some(&endpoint_system),
            ),
            (
                Target::AzurePostgresql,
                AuthType::UserIdentity,
                Some(&endpoint_user),
            ),
        ];
        for (target, auth, endpoint) in runs {
            for name in [None, Some("orders".to_owned())] {
                let request = SnippetRequest {
                    target,
                    client_type,
                    auth,
                    name,
                };
                let extra: Vec<(&str, String)> = match endpoint {
                    Some(endpoint) => vec![
                        ("IDENTITY_ENDPOINT", endpoint.url()),
                        ("IDENTITY_HEADER", "identity-header".to_owned()),
                    ],
                    None => Vec::new(),
                };
                let (ok, output) = run_snippet(&request, &pg, &extra, None);
                let user = if auth.is_passwordless() {
                    "aad_app"
                } else {
                    "app"
                };
                assert!(ok, "{request}: {output}");
                let expected = match client_type {
                    ClientType::Python => format!("connected as {user} (TLS: True)"),
                    _ => format!("connected as {user} (TLS: true)"),
                };
                assert!(output.contains(&expected), "{request}: {output}");
                assert!(
                    !output.contains(PASSWORD) && !output.contains(TOKEN),
                    "{request} printed a secret: {output}"
                );
                proven.push(request.to_string());
            }
        }
        // A missing variable is named.
        let request = SnippetRequest {
            target: Target::Neon,
            client_type,
            auth: AuthType::Secret,
            name: None,
        };
        let missing = match client_type {
            ClientType::Python => "NEON_POSTGRESQL_CONNECTIONSTRING",
            _ => "NEON_POSTGRESQL_HOST",
        };
        let (ok, output) = run_snippet(&request, &pg, &[], Some(missing));
        assert!(!ok, "{output}");
        assert!(
            output.contains(&format!("{missing} is not set")),
            "{output}"
        );
    }
    assert!(!endpoint_system.requests().is_empty() || !have_python && !have_node);
    eprintln!("proven against PostgreSQL over TLS: {}", proven.join("; "));
}

//! `neon-lsp check --azure` against a local ARM emulator (tests/support/arm.rs) on 127.0.0.1:
//! every credential kind, the ways a read fails, azd environments with two apps, and a run
//! with no network. No test contacts Azure.

mod support;

use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};
use support::arm::{self, App, ArmEmulator, Failure};

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const GROUP: &str = "rg-dev";
/// Values the emulator returns that must never be printed.
const SECRET_VALUES: [&str; 4] = [
    "pg-password-value-41aa",
    "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/pg)",
    "app-setting-secret-77",
    arm::CLIENT_SECRET,
];

/// Where the credential chain finds no instance metadata service: port 1 on loopback, closed.
const NO_IMDS: &str = "http://127.0.0.1:1";

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

fn node_project(dir: &Path) {
    write(
        dir,
        "package.json",
        "{\"name\": \"api\", \"dependencies\": {\"pg\": \"^8\"}}\n",
    );
    write(
        dir,
        "index.js",
        "const { Client } = require('pg');\nconst client = new Client({\n  host: process.env.NEON_POSTGRESQL_HOST,\n  user: process.env.NEON_POSTGRESQL_USER,\n  password: process.env.NEON_POSTGRESQL_PASSWORD,\n  database: process.env.NEON_POSTGRESQL_DATABASE,\n  port: process.env.NEON_POSTGRESQL_PORT,\n  ssl: process.env.NEON_POSTGRESQL_SSL === 'true',\n});\n",
    );
}

fn neon_linker() -> serde_json::Value {
    json!({
        "clientType": "nodejs",
        "authInfo": {"authType": "secret", "name": "app", "secretInfo": {"secretType": "rawValue"}},
        "targetService": {"type": "AzureResource", "id": format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Neon.Postgres/organizations/org/projects/p/branches/main/databases/app")},
    })
}

fn neon_configurations() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "NEON_POSTGRESQL_HOST",
            "ep-x.eastus2.azure.neon.tech",
            "Default",
        ),
        ("NEON_POSTGRESQL_USER", "app", "Default"),
        (
            "NEON_POSTGRESQL_PASSWORD",
            "pg-password-value-41aa",
            "Default",
        ),
        ("NEON_POSTGRESQL_DATABASE", "app", "Default"),
        ("NEON_POSTGRESQL_PORT", "5432", "Default"),
        ("NEON_POSTGRESQL_SSL", "true", "Default"),
    ]
}

fn web_app() -> App {
    App::site(SUB, GROUP, "app-web")
        .linker("neon_pg", neon_linker(), &neon_configurations())
        .setting(
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "app-setting-secret-77",
        )
}

fn web_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.Web/sites/app-web")
}

/// Runs check with a clean Azure environment plus `env`.
fn check(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let empty_path = dir.join(".no-programs");
    std::fs::create_dir_all(&empty_path).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_neon-lsp"));
    command
        .arg("check")
        .arg(dir)
        .args(args)
        .arg("--color")
        .arg("never");
    for name in [
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        "AZURE_ENV_NAME",
        "NEON_LSP_ARM_URL",
    ] {
        command.env_remove(name);
    }
    command.env("PATH", &empty_path);
    // Never 169.254.169.254 from a test: the instance metadata service the chain probes is a
    // closed loopback port (refused at once) unless a test points it at a peer of its own.
    command.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", NO_IMDS);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// The set-up the tests share: an ARM emulator serving `apps` (answering `failures` first) and
/// a project folder (the Node project unless told otherwise).
struct Emulated {
    apps: Vec<App>,
    failures: Vec<Failure>,
    project: fn(&Path),
}

impl Emulated {
    /// The web app with its Neon linker, no failures, the Node project.
    fn new() -> Emulated {
        Emulated {
            apps: vec![web_app()],
            failures: Vec::new(),
            project: node_project,
        }
    }

    fn apps(mut self, apps: Vec<App>) -> Emulated {
        self.apps = apps;
        self
    }

    /// The next `times` requests whose path contains `path_part` are answered `status`.
    fn failing(
        mut self,
        path_part: &str,
        status: u16,
        retry_after: Option<&str>,
        times: usize,
    ) -> Emulated {
        self.failures.push(Failure {
            path_part: path_part.into(),
            status,
            retry_after: retry_after.map(Into::into),
            times,
        });
        self
    }

    fn project(mut self, write: fn(&Path)) -> Emulated {
        self.project = write;
        self
    }

    fn start(self) -> Running {
        let arm = ArmEmulator::start(self.apps, self.failures);
        let dir = tempfile::tempdir().unwrap();
        (self.project)(dir.path());
        Running { arm, dir }
    }
}

/// A started [`Emulated`]: the emulator and the project folder.
struct Running {
    arm: ArmEmulator,
    dir: tempfile::TempDir,
}

impl Running {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `check --azure --azure-resource-id <the web app>` plus `args`, with a client secret.
    fn check(&self, args: &[&str]) -> Output {
        self.check_app(&web_id(), args)
    }

    /// `check --azure --azure-resource-id <resource_id>` plus `args`, with a client secret.
    fn check_app(&self, resource_id: &str, args: &[&str]) -> Output {
        let mut all = vec!["--azure", "--azure-resource-id", resource_id];
        all.extend_from_slice(args);
        check(self.path(), &all, &client_secret_env(&self.arm))
    }
}

fn client_secret_env(arm: &ArmEmulator) -> Vec<(&'static str, String)> {
    vec![
        ("AZURE_TENANT_ID", arm::TENANT.to_string()),
        ("AZURE_CLIENT_ID", arm::CLIENT_ID.to_string()),
        ("AZURE_CLIENT_SECRET", arm::CLIENT_SECRET.to_string()),
        ("AZURE_AUTHORITY_HOST", arm.url()),
        ("NEON_LSP_ARM_URL", arm.url()),
    ]
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_no_secret(all: &str) {
    for secret in
        SECRET_VALUES
            .iter()
            .chain([&arm::TOKEN, &arm::FEDERATED_TOKEN, &arm::IDENTITY_HEADER])
    {
        assert!(
            !all.contains(secret),
            "a secret was printed: {secret}\n{all}"
        );
    }
}

#[test]
fn client_secret_reads_linkers_configurations_and_settings() {
    let run = Emulated::new().start();
    let output = run.check(&[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        all.contains("deployed: app-web (Microsoft.Web/sites, named by --azure-resource-id)"),
        "{all}"
    );
    assert!(
        all.contains("connection neon_pg: nodejs · secret, 6 variable(s)"),
        "{all}"
    );
    assert!(all.contains("1 app setting name(s) read"), "{all}");
    assert_no_secret(&all);
    let requests = run.arm.requests();
    let token = requests
        .iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .expect("a token request");
    assert_eq!(
        token.form.get("scope").map(String::as_str),
        Some(arm::ARM_SCOPE)
    );
    let paths: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        paths.contains(&format!(
            "POST {}/providers/Microsoft.ServiceLinker/linkers/neon_pg/listConfigurations",
            web_id()
        )),
        "{paths:?}"
    );
    assert!(
        paths.contains(&format!("POST {}/config/appsettings/list", web_id())),
        "{paths:?}"
    );
}

#[test]
fn workload_identity_sends_the_federated_token_as_client_assertion() {
    let run = Emulated::new().start();
    let token_file = run.path().join(".token");
    std::fs::write(&token_file, format!("{}\n", arm::FEDERATED_TOKEN)).unwrap();
    let output = check(
        run.path(),
        &[
            "--azure",
            "--azure-resource-id",
            &web_id(),
            "--arm-url",
            &run.arm.url(),
        ],
        &[
            ("AZURE_TENANT_ID", arm::TENANT.to_string()),
            ("AZURE_CLIENT_ID", arm::CLIENT_ID.to_string()),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                token_file.display().to_string(),
            ),
            ("AZURE_AUTHORITY_HOST", run.arm.url()),
        ],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    let token = run
        .arm
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .unwrap();
    assert_eq!(
        token.form.get("client_assertion_type").map(String::as_str),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_no_secret(&all);
}

#[test]
fn managed_identity_uses_the_identity_endpoint() {
    let run = Emulated::new().start();
    let output = check(
        run.path(),
        &[
            "--azure",
            "--azure-resource-id",
            &web_id(),
            "--arm-url",
            &run.arm.url(),
        ],
        &[
            ("IDENTITY_ENDPOINT", run.arm.identity_endpoint()),
            ("IDENTITY_HEADER", arm::IDENTITY_HEADER.to_string()),
        ],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    let msi = run
        .arm
        .requests()
        .into_iter()
        .find(|r| r.path == "/msi/token")
        .unwrap();
    assert!(
        msi.query
            .contains("resource=https%3A%2F%2Fmanagement.azure.com%2F"),
        "{}",
        msi.query
    );
    assert_no_secret(&all);
}

/// A folder holding a stand-in for the Azure CLI: answers get-access-token for ARM only.
#[cfg(unix)]
fn fake_az() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let az = bin.path().join("az");
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\nif [ \"$1 $2 $3 $4\" = \"account get-access-token --resource https://management.azure.com/\" ]; then\n  echo '{{\"accessToken\": \"{}\", \"expiresOn\": \"2030-01-01 00:00:00.000000\", \"tokenType\": \"Bearer\"}}'\nelse\n  echo \"ERROR: unexpected arguments $*\" >&2; exit 1\nfi\n",
            arm::TOKEN
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[cfg(unix)]
#[test]
fn azure_cli_token_when_az_is_on_path() {
    let run = Emulated::new().start();
    let bin = fake_az();
    let output = check(
        run.path(),
        &[
            "--azure",
            "--azure-resource-id",
            &web_id(),
            "--arm-url",
            &run.arm.url(),
        ],
        &[("PATH", bin.path().display().to_string())],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(all.contains("deployed: app-web"), "{all}");
    assert_no_secret(&all);
}

/// `check --azure` with only the instance metadata service (and `az` when `bin` is given).
fn check_imds(run: &Running, imds: &str, client_id: Option<&str>, bin: Option<&Path>) -> Output {
    let mut env = vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.to_string())];
    if let Some(id) = client_id {
        env.push(("AZURE_CLIENT_ID", id.to_string()));
    }
    if let Some(bin) = bin {
        env.push(("PATH", bin.display().to_string()));
    }
    check(
        run.path(),
        &[
            "--azure",
            "--azure-resource-id",
            &web_id(),
            "--arm-url",
            &run.arm.url(),
        ],
        &env,
    )
}

fn imds_requests(arm: &ArmEmulator) -> Vec<arm::Recorded> {
    arm.requests()
        .into_iter()
        .filter(|r| r.path == arm::IMDS_PATH)
        .collect()
}

#[test]
fn imds_gives_the_token_on_a_vm_system_or_user_assigned() {
    // System-assigned: no client_id.
    let run = Emulated::new().start();
    let output = check_imds(&run, &run.arm.url(), None, None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(all.contains("deployed: app-web"), "{all}");
    let requests = imds_requests(&run.arm);
    // The probe (no Metadata header, answered 400 at once), then the token request.
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].metadata, None);
    assert_eq!(requests[1].metadata.as_deref(), Some("true"));
    assert!(
        requests[1].query.contains("api-version=2018-02-01")
            && requests[1]
                .query
                .contains("resource=https%3A%2F%2Fmanagement.azure.com%2F")
            && !requests[1].query.contains("client_id"),
        "{}",
        requests[1].query
    );
    assert_no_secret(&all);

    // User-assigned: AZURE_CLIENT_ID becomes client_id (the emulator knows only that one).
    let run = Emulated::new().start();
    let output = check_imds(&run, &run.arm.url(), Some(arm::IMDS_CLIENT_ID), None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    let token_request = imds_requests(&run.arm)
        .into_iter()
        .find(|r| r.metadata.is_some())
        .unwrap();
    assert!(
        token_request
            .query
            .contains(&format!("client_id={}", arm::IMDS_CLIENT_ID)),
        "{}",
        token_request.query
    );
    assert_no_secret(&all);
}

#[test]
fn imds_that_never_answers_is_passed_after_the_probe() {
    let run = Emulated::new().start();
    let silent = support::silent::SilentPeer::start();
    // Nothing after IMDS: the failure names it and why.
    let output = check_imds(&run, &silent.url(), None, None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("no Azure credentials"), "{all}");
    assert!(
        all.contains(&format!(
            "instance metadata service at {}/metadata/identity/oauth2/token did not answer within 1 s",
            silent.url()
        )),
        "{all}"
    );
    // Only the probe was sent (no Metadata header): no token request waited on the silence.
    let received = silent.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].starts_with("GET /metadata/identity/oauth2/token?"));
    assert!(!received[0].to_ascii_lowercase().contains("metadata: true"));
    assert_no_secret(&all);

    #[cfg(unix)]
    {
        // With `az` next, the chain goes on to it.
        let bin = fake_az();
        let output = check_imds(&run, &silent.url(), None, Some(bin.path()));
        let all = text(&output);
        assert_eq!(output.status.code(), Some(0), "{all}");
        assert!(all.contains("deployed: app-web"), "{all}");
        assert_eq!(silent.received().len(), 2);
    }
}

#[test]
fn imds_errors_say_what_to_do() {
    // 400: the machine has no identity with that client id; nothing after IMDS.
    let run = Emulated::new().start();
    let output = check_imds(&run, &run.arm.url(), Some("mi-not-assigned"), None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains(
            "has no managed identity with client id mi-not-assigned (AZURE_CLIENT_ID) for this machine (HTTP 400: Identity not found)"
        ),
        "{all}"
    );
    assert_eq!(imds_requests(&run.arm).len(), 2, "a 400 is not retried");

    // 403: refused, not retried, the chain stops there.
    let run = Emulated::new()
        .failing(arm::IMDS_PATH, 403, None, 10)
        .start();
    let output = check_imds(&run, &run.arm.url(), None, None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("refused the token request (HTTP 403"), "{all}");

    // 500 every time: retried, then reported with the attempts.
    let run = Emulated::new()
        .failing(arm::IMDS_PATH, 500, None, 100)
        .start();
    let output = check_imds(&run, &run.arm.url(), None, None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("answered 500 after 4 attempts"), "{all}");
    assert!(
        all.contains("the instance metadata service answered 500; retrying in"),
        "{all}"
    );

    // 429 once with Retry-After: waited out, then the token.
    let run = Emulated::new()
        .failing(arm::IMDS_PATH, 429, Some("1"), 1)
        .start();
    let output = check_imds(&run, &run.arm.url(), None, None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        all.contains("the instance metadata service answered 429; waiting 1.0 s"),
        "{all}"
    );
    assert_no_secret(&all);

    // Not IMDS's JSON (another cloud's metadata service): not retried, the chain goes on.
    let run = Emulated::new()
        .failing(arm::IMDS_PATH, 404, None, 100)
        .start();
    let output = check_imds(&run, &run.arm.url(), None, None);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("no Azure credentials"), "{all}");
    assert!(
        all.contains("answered 404 with something that is not its JSON"),
        "{all}"
    );
    assert_eq!(
        imds_requests(&run.arm).len(),
        2,
        "probe and one token request"
    );

    // 400 with `az` next: the chain goes on, as azure-identity's does.
    #[cfg(unix)]
    {
        let run = Emulated::new().start();
        let bin = fake_az();
        let output = check_imds(
            &run,
            &run.arm.url(),
            Some("mi-not-assigned"),
            Some(bin.path()),
        );
        let all = text(&output);
        assert_eq!(output.status.code(), Some(0), "{all}");
        assert!(all.contains("deployed: app-web"), "{all}");
    }
}

#[test]
fn no_credentials_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    node_project(dir.path());
    let output = check(
        dir.path(),
        &["--azure", "--azure-resource-id", &web_id()],
        &[],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("no Azure credentials"), "{all}");
    assert!(all.contains("az login"), "{all}");
    assert!(
        all.contains(&format!(
            "the instance metadata service at {NO_IMDS}/metadata/identity/oauth2/token could not be reached"
        )),
        "{all}"
    );
}

#[test]
fn rejected_client_secret_names_the_credential_not_the_secret() {
    let run = Emulated::new().start();
    let mut env = client_secret_env(&run.arm);
    env[2].1 = "wrong-secret-0000".into();
    let output = check(
        run.path(),
        &["--azure", "--azure-resource-id", &web_id()],
        &env,
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("AADSTS7000215"), "{all}");
    assert!(!all.contains("wrong-secret-0000"), "{all}");
}

#[test]
fn http_errors_say_what_to_do() {
    let cases: [(u16, &str, &str); 3] = [
        (
            401,
            "/providers/Microsoft.ServiceLinker/linkers",
            "401 Unauthorized",
        ),
        (
            403,
            "/providers/Microsoft.ServiceLinker/linkers",
            "Reader role",
        ),
        (404, "/sites/app-web", "not found (404)"),
    ];
    for (status, part, expected) in cases {
        let run = Emulated::new().failing(part, status, None, 10).start();
        let output = run.check(&[]);
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{status}: {all}");
        assert!(all.contains(expected), "{status}: {all}");
        assert_no_secret(&all);
    }
}

#[test]
fn forbidden_configurations_and_settings_become_notes() {
    let run = Emulated::new()
        .failing("listConfigurations", 403, None, 10)
        .failing("appsettings", 403, None, 10)
        .start();
    let output = run.check(&[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        all.contains("Microsoft.ServiceLinker/linkers/listConfigurations/action"),
        "{all}"
    );
    assert!(
        all.contains("Microsoft.Web/sites/config/list/action"),
        "{all}"
    );
    assert_no_secret(&all);
}

#[test]
fn throttling_waits_as_retry_after_says_then_gives_up_on_long_waits() {
    let run = Emulated::new()
        .failing("/linkers", 429, Some("1"), 1)
        .start();
    let output = run.check(&[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        all.contains("throttled by Azure Resource Manager; waiting 1.0 s"),
        "{all}"
    );

    let run = Emulated::new()
        .failing("/linkers", 429, Some("3600"), 10)
        .start();
    let output = run.check(&[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("it asks to wait 3600 s"), "{all}");
    assert_no_secret(&all);
}

#[test]
fn server_errors_are_retried_then_reported() {
    let run = Emulated::new().failing("/linkers", 500, None, 2).start();
    let output = run.check(&[]);
    let all = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "recovers after two 500s: {all}"
    );

    let run = Emulated::new().failing("/linkers", 500, None, 100).start();
    let output = run.check(&[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("answered 500 after 4 attempts"), "{all}");
    assert_no_secret(&all);
}

#[test]
fn no_network_is_exit_2_with_the_reason() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    node_project(dir.path());
    let url = format!("http://127.0.0.1:{port}");
    let output = check(
        dir.path(),
        &["--azure", "--azure-resource-id", &web_id()],
        &[
            ("AZURE_TENANT_ID", arm::TENANT.to_string()),
            ("AZURE_CLIENT_ID", arm::CLIENT_ID.to_string()),
            ("AZURE_CLIENT_SECRET", arm::CLIENT_SECRET.to_string()),
            ("AZURE_AUTHORITY_HOST", url.clone()),
            ("NEON_LSP_ARM_URL", url),
        ],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("cannot reach the token endpoint"), "{all}");
    assert_no_secret(&all);
}

#[test]
fn azd_environment_with_two_apps_one_a_container_app() {
    let api = App::container_app(SUB, GROUP, "ca-api-x1")
        .linker(
            "pg_kv",
            json!({
                "clientType": "python",
                "authInfo": {"authType": "secret"},
                "targetService": {"type": "AzureResource", "id": format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.DBforPostgreSQL/flexibleServers/db/databases/app")},
                "secretStore": {"keyVaultId": format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.KeyVault/vaults/kv")},
                "configurationInfo": {"customizedKeys": {"AZURE_POSTGRESQL_CONNECTIONSTRING": "DATABASE_URL"}},
            }),
            &[("DATABASE_URL", SECRET_VALUES[1], "KeyVaultSecret")],
        )
        // The container's env: a name neon-lsp keeps, a value it must never print.
        .setting("DATABASE_URL", SECRET_VALUES[2]);
    let web = App::site(SUB, GROUP, "app-web-x1").linker(
        "neon_pg",
        neon_linker(),
        &neon_configurations(),
    );
    let arm = ArmEmulator::start(vec![api, web], Vec::new());
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "azure.yaml",
        "name: shop\nservices:\n  api:\n    project: ./src/api\n    host: containerapp\n    language: python\n  web:\n    project: ./src/web\n    host: appservice\n    language: js\n",
    );
    write(
        dir.path(),
        ".azure/config.json",
        "{\"version\":1,\"defaultEnvironment\":\"dev\"}\n",
    );
    write(
        dir.path(),
        ".azure/dev/.env",
        &format!(
            "AZURE_ENV_NAME=\"dev\"\nAZURE_SUBSCRIPTION_ID=\"{SUB}\"\nAZURE_RESOURCE_GROUP=\"{GROUP}\"\nSERVICE_API_NAME=\"ca-api-x1\"\nSERVICE_WEB_NAME=\"app-web-x1\"\n"
        ),
    );
    write(dir.path(), "src/api/requirements.txt", "psycopg[binary]\n");
    write(
        dir.path(),
        "src/api/app.py",
        "import os\nDSN = os.environ[\"DATABASE_URL\"]\n",
    );
    node_project(&dir.path().join("src/web"));
    let output = check(dir.path(), &["--azure"], &client_secret_env(&arm));
    let all = text(&output);
    assert!(output.status.code().is_some_and(|c| c < 2), "{all}");
    assert!(all.contains("deployed: ca-api-x1 (Microsoft.App/containerApps, named by .azure/dev/.env (SERVICE_API_NAME))"), "{all}");
    assert!(
        all.contains(
            "connection pg_kv: python · secret · secret in Key Vault, 1 variable(s)\n  1 app setting name(s) read"
        ),
        "the container app's env names are read: {all}"
    );
    assert!(all.contains("deployed: app-web-x1 (Microsoft.Web/sites, named by .azure/dev/.env (SERVICE_WEB_NAME))"), "{all}");
    assert_no_secret(&all);

    // Each app is judged only in its own service's folder: a read of a connection no deployed
    // linker of ca-api-x1 sets is reported in src/api against ca-api-x1 alone; the web app's
    // complete Neon reads and the api's renamed DATABASE_URL are not reported at all.
    write(
        dir.path(),
        "src/api/reports.py",
        "import os\nREPORTS = os.environ[\"AZURE_POSTGRESQL_REPORTS_CONNECTIONSTRING\"]\n",
    );
    let output = check(
        dir.path(),
        &["--azure", "--format", "json"],
        &client_secret_env(&arm),
    );
    let all = text(&output);
    let missing = findings(&output, "missing-in-deployment");
    assert_eq!(missing.len(), 1, "{all}");
    assert_eq!(missing[0]["path"], "src/api/reports.py", "{all}");
    let message = missing[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the deployed app ca-api-x1 does not have AZURE_POSTGRESQL_REPORTS_CONNECTIONSTRING"
        ),
        "{message}"
    );
    assert!(!message.contains("app-web-x1"), "{message}");
    assert_no_secret(&all);
}

#[test]
fn connection_tables_name_two_apps_each_for_its_paths() {
    // neon-lsp.toml names one app per folder; the worker's deployed connection does not set
    // NEON_POSTGRESQL_SSL, the web app's does. The same code in both folders: only the
    // worker's read is reported, against the worker's app.
    let worker_id = format!(
        "/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.Web/sites/app-worker"
    );
    let without_ssl: Vec<_> = neon_configurations()
        .into_iter()
        .filter(|(name, _, _)| *name != "NEON_POSTGRESQL_SSL")
        .collect();
    let worker = App::site(SUB, GROUP, "app-worker").linker("neon_pg", neon_linker(), &without_ssl);
    let run = Emulated::new()
        .apps(vec![web_app(), worker])
        .project(|dir| {
            node_project(&dir.join("web"));
            node_project(&dir.join("worker"));
        })
        .start();
    write(
        run.path(),
        "neon-lsp.toml",
        &format!(
            "[[connection]]\ntarget = \"neon\"\npaths = [\"web\"]\nazure-resource-id = \"{}\"\n\n[[connection]]\ntarget = \"neon\"\npaths = [\"worker\"]\nazure-resource-id = \"{worker_id}\"\n",
            web_id()
        ),
    );
    let output = check(
        run.path(),
        &["--azure", "--format", "json"],
        &client_secret_env(&run.arm),
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "warnings only: {all}");
    for app in ["app-web", "app-worker"] {
        assert!(
            all.contains(&format!(
                "deployed: {app} (Microsoft.Web/sites, named by neon-lsp.toml [[connection]])"
            )),
            "{all}"
        );
    }
    let missing = findings(&output, "missing-in-deployment");
    assert_eq!(missing.len(), 1, "{all}");
    assert_eq!(missing[0]["path"], "worker/index.js", "{all}");
    let message = missing[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the deployed app app-worker does not have NEON_POSTGRESQL_SSL (from the deployed connection neon_pg of app-worker"
        ),
        "{message}"
    );
    assert_no_secret(&all);
}

#[test]
fn no_app_named_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    node_project(dir.path());
    let output = check(dir.path(), &["--azure"], &[]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("--azure needs to know which app to read"),
        "{all}"
    );
}

#[test]
fn config_names_the_app() {
    let run = Emulated::new().start();
    write(
        run.path(),
        "neon-lsp.toml",
        &format!("[azure]\nresource-id = \"{}\"\n", web_id()),
    );
    let output = check(run.path(), &["--azure"], &client_secret_env(&run.arm));
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(all.contains("named by neon-lsp.toml [azure]"), "{all}");
    assert_no_secret(&all);
}

#[test]
fn deployed_client_type_outranks_the_declaration_and_names_the_connection() {
    // Bicep declares nodejs; someone changed the deployed connection to python by hand.
    let mut linker = neon_linker();
    linker["clientType"] = json!("python");
    let app = App::site(SUB, GROUP, "app-web").linker(
        "neon_pg",
        linker,
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "host=ep-x.neon.tech password=pg-password-value-41aa",
            "Default",
        )],
    );
    let run = Emulated::new().apps(vec![app]).start();
    write(
        run.path(),
        "infra/main.bicep",
        "resource web 'Microsoft.Web/sites@2022-09-01' = {\n  name: 'app-web'\n  location: 'eastus'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-05-01' = {\n  name: 'neon_pg'\n  scope: web\n  properties: {\n    clientType: 'nodejs'\n    authInfo: {\n      authType: 'secret'\n    }\n    targetService: {\n      type: 'AzureResource'\n      id: '/subscriptions/x/resourceGroups/y/providers/Neon.Postgres/organizations/o'\n    }\n  }\n}\n",
    );
    let without = check(run.path(), &["--format", "json"], &[]);
    let without_text = text(&without);
    assert_eq!(
        without.status.code(),
        Some(0),
        "the declaration alone agrees with the code: {without_text}"
    );
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains("wrong-client-type-variable"), "{all}");
    assert!(
        all.contains("client type python, from the deployed connection neon_pg of app-web"),
        "{all}"
    );
    assert_no_secret(&all);
}

#[test]
fn deployed_customized_keys_rename_the_variables() {
    let mut linker = neon_linker();
    linker["configurationInfo"] = json!({"customizedKeys": {"NEON_POSTGRESQL_HOST": "PGHOST"}});
    let app = App::site(SUB, GROUP, "app-web").linker("neon_pg", linker, &neon_configurations());
    let run = Emulated::new().apps(vec![app]).start();
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    // The code reads NEON_POSTGRESQL_HOST, which the deployed connection renamed to PGHOST.
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains("NEON_POSTGRESQL_HOST"), "{all}");
    assert!(
        all.contains("from the deployed connection neon_pg of app-web"),
        "{all}"
    );
    assert_no_secret(&all);
}

#[test]
fn code_reading_a_variable_the_deployed_app_lacks_is_a_warning() {
    let configurations: Vec<_> = neon_configurations()
        .into_iter()
        .filter(|(name, _, _)| *name != "NEON_POSTGRESQL_SSL")
        .collect();
    let app = App::site(SUB, GROUP, "app-web").linker("neon_pg", neon_linker(), &configurations);
    let run = Emulated::new().apps(vec![app]).start();
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "a warning: {all}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let missing: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "missing-in-deployment")
        .collect();
    assert_eq!(missing.len(), 1, "{all}");
    let message = missing[0]["message"].as_str().unwrap();
    assert!(message.contains("the deployed app app-web does not have NEON_POSTGRESQL_SSL (from the deployed connection neon_pg of app-web"), "{message}");
    assert_eq!(missing[0]["severity"], "warning");
    assert_no_secret(&all);
}

/// The findings of one rule in a `--format json` run.
fn findings(output: &Output, rule: &str) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(output)));
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .cloned()
        .collect()
}

fn azure_pg_linker(client: &str, auth: &str) -> serde_json::Value {
    json!({
        "clientType": client,
        "authInfo": {"authType": auth},
        "targetService": {"type": "AzureResource", "id": format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.DBforPostgreSQL/flexibleServers/db/databases/app")},
    })
}

fn check_json_azure(dir: &Path, arm: &ArmEmulator, resource_id: &str) -> Output {
    check(
        dir,
        &[
            "--format",
            "json",
            "--azure",
            "--azure-resource-id",
            resource_id,
        ],
        &client_secret_env(arm),
    )
}

#[test]
fn linkers_on_later_next_link_pages_are_read_and_used() {
    // Three linkers served one per page; the Neon one, changed to python by hand, is last.
    let mut neon = neon_linker();
    neon["clientType"] = json!("python");
    let app = App::site(SUB, GROUP, "app-web")
        .linker(
            "pg_reports",
            azure_pg_linker("nodejs", "secret"),
            &[("AZURE_POSTGRESQL_REPORTS_HOST", "db", "Default")],
        )
        .linker(
            "pg_audit",
            azure_pg_linker("nodejs", "secret"),
            &[("AZURE_POSTGRESQL_AUDIT_HOST", "db", "Default")],
        )
        .linker(
            "neon_pg",
            neon,
            &[(
                "NEON_POSTGRESQL_CONNECTIONSTRING",
                "host=ep-x.neon.tech password=pg-password-value-41aa",
                "Default",
            )],
        )
        .paged(1);
    let run = Emulated::new().apps(vec![app]).start();
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    let pages: Vec<String> = run
        .arm
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/Microsoft.ServiceLinker/linkers"))
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[2].contains("skipToken=2"), "{pages:?}");
    for name in ["pg_reports", "pg_audit", "neon_pg"] {
        assert!(all.contains(&format!("connection {name}:")), "{all}");
    }
    assert!(
        all.contains("client type python, from the deployed connection neon_pg of app-web"),
        "{all}"
    );
    assert_no_secret(&all);
}

/// A named connection (`AZURE_POSTGRESQL_REPORTS_…`) takes the deployed linker of that name,
/// not the app's other Azure linker: the code reads it as nodejs (package.json), the deployed
/// connection `reports` gives python its connection string instead.
#[test]
fn a_named_read_takes_the_deployed_linker_of_that_name() {
    let app = App::site(SUB, GROUP, "app-web")
        .linker(
            "pg",
            azure_pg_linker("nodejs", "secret"),
            &[("AZURE_POSTGRESQL_HOST", "db", "Default")],
        )
        .linker(
            "reports",
            azure_pg_linker("python", "secret"),
            &[(
                "AZURE_POSTGRESQL_REPORTS_CONNECTIONSTRING",
                "host=db password=pg-password-value-41aa",
                "Default",
            )],
        );
    let run = Emulated::new()
        .apps(vec![app])
        .project(|dir| {
            write(
                dir,
                "package.json",
                "{\"name\": \"api\", \"dependencies\": {\"pg\": \"^8\"}}\n",
            );
            write(
                dir,
                "reports.js",
                "const { Client } = require('pg');\nconst reports = new Client({ host: process.env.AZURE_POSTGRESQL_REPORTS_HOST });\n",
            );
        })
        .start();
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    let wrong = findings(&output, "wrong-client-type-variable");
    assert_eq!(wrong.len(), 1, "{all}");
    let message = wrong[0]["message"].as_str().unwrap();
    assert!(
        message.contains("client type python, from the deployed connection reports of app-web"),
        "{message}"
    );
    assert_no_secret(&all);
}

#[test]
fn deployed_auth_type_differs_from_the_bicep_declaration() {
    // Bicep says secret; the deployed connection was switched to the system identity.
    let app = App::site(SUB, GROUP, "app-web").linker(
        "pg",
        azure_pg_linker("nodejs", "systemAssignedIdentity"),
        &[
            (
                "AZURE_POSTGRESQL_HOST",
                "db.postgres.database.azure.com",
                "Default",
            ),
            ("AZURE_POSTGRESQL_USER", "app-web", "Default"),
            ("AZURE_POSTGRESQL_DATABASE", "app", "Default"),
            ("AZURE_POSTGRESQL_PORT", "5432", "Default"),
            ("AZURE_POSTGRESQL_SSL", "true", "Default"),
        ],
    );
    let run = Emulated::new().apps(vec![app]).project(|_| {}).start();
    write(
        run.path(),
        "package.json",
        "{\"name\": \"api\", \"dependencies\": {\"pg\": \"^8\"}}\n",
    );
    write(
        run.path(),
        "index.js",
        "const { Client } = require('pg');\nconst client = new Client({\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USER,\n  database: process.env.AZURE_POSTGRESQL_DATABASE,\n  port: Number(process.env.AZURE_POSTGRESQL_PORT),\n  ssl: true,\n});\n",
    );
    write(
        run.path(),
        "infra/main.bicep",
        "resource web 'Microsoft.Web/sites@2022-09-01' = {\n  name: 'app-web'\n  location: 'eastus'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-05-01' = {\n  name: 'pg'\n  scope: web\n  properties: {\n    clientType: 'nodejs'\n    authInfo: {\n      authType: 'secret'\n    }\n    targetService: {\n      type: 'AzureResource'\n      id: '/subscriptions/x/resourceGroups/y/providers/Microsoft.DBforPostgreSQL/flexibleServers/db/databases/app'\n    }\n  }\n}\n",
    );
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    let drift = findings(&output, "deployment-drift");
    assert_eq!(drift.len(), 1, "{all}");
    let message = drift[0]["message"].as_str().unwrap();
    assert!(
        message.contains("declares auth secret, but the deployed connection pg of app-web has"),
        "{message}"
    );
    assert!(
        drift[0]["path"].as_str().unwrap().ends_with("main.bicep"),
        "{all}"
    );
    assert_no_secret(&all);
}

#[test]
fn deployed_client_type_differs_from_the_terraform_declaration() {
    let mut linker = neon_linker();
    linker["clientType"] = json!("python");
    let app = App::site(SUB, GROUP, "app-web").linker("neon_pg", linker, &neon_configurations());
    let run = Emulated::new().apps(vec![app]).start();
    write(
        run.path(),
        "infra/main.tf",
        "resource \"azurerm_linux_web_app\" \"web\" {\n  name                = \"app-web\"\n  resource_group_name = \"rg-dev\"\n  location            = \"eastus\"\n  service_plan_id     = \"plan\"\n  site_config {}\n}\n\nresource \"azurerm_app_service_connection\" \"pg\" {\n  name               = \"neon_pg\"\n  app_service_id     = azurerm_linux_web_app.web.id\n  target_resource_id = \"/subscriptions/x/resourceGroups/y/providers/Neon.Postgres/organizations/o\"\n  client_type        = \"nodejs\"\n  authentication {\n    type   = \"secret\"\n    name   = \"app\"\n    secret = var.db_password\n  }\n}\n",
    );
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    let drift = findings(&output, "deployment-drift");
    assert_eq!(drift.len(), 1, "{all}");
    let message = drift[0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "declares client type nodejs, but the deployed connection neon_pg of app-web has python"
        ),
        "{message}"
    );
    assert!(
        drift[0]["path"].as_str().unwrap().ends_with("main.tf"),
        "{all}"
    );
    assert_no_secret(&all);
}

/// A Python app that fetches "the secret named by" its connection-string variable from Key
/// Vault, and a .env copied down from the portal with the Key Vault reference in it.
fn key_vault_confused_project(dir: &Path) {
    write(
        dir,
        "requirements.txt",
        "psycopg[binary]\nazure-keyvault-secrets\n",
    );
    write(
        dir,
        "app.py",
        "import os\nfrom azure.identity import DefaultAzureCredential\nfrom azure.keyvault.secrets import SecretClient\n\nsecrets = SecretClient(vault_url=\"https://kv.vault.azure.net\", credential=DefaultAzureCredential())\ndsn = secrets.get_secret(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]).value\n",
    );
    write(
        dir,
        ".env",
        "AZURE_POSTGRESQL_CONNECTIONSTRING=\"@Microsoft.KeyVault(VaultName=kv-dev;SecretName=pg)\"\n",
    );
    write(dir, ".gitignore", ".env\n");
}

fn key_vault_linker() -> serde_json::Value {
    let mut linker = azure_pg_linker("python", "secret");
    linker["secretStore"] = json!({"keyVaultId": format!("/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.KeyVault/vaults/kv")});
    linker
}

#[test]
fn code_treating_a_resolved_key_vault_secret_as_a_reference_is_flagged() {
    let app = App::site(SUB, GROUP, "app-web").linker(
        "pg",
        key_vault_linker(),
        &[(
            "AZURE_POSTGRESQL_CONNECTIONSTRING",
            SECRET_VALUES[1],
            "KeyVaultSecret",
        )],
    );
    let run = Emulated::new().apps(vec![app]).project(|_| {}).start();
    key_vault_confused_project(run.path());
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    assert!(output.status.code().is_some_and(|c| c < 2), "{all}");
    let found = findings(&output, "key-vault-mismatch");
    assert_eq!(found.len(), 2, "{all}");
    let code = found
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with("app.py"))
        .unwrap_or_else(|| panic!("{all}"));
    let message = code["message"].as_str().unwrap();
    assert!(message.contains("fetches a Key Vault secret named by AZURE_POSTGRESQL_CONNECTIONSTRING, but app-web receives the secret itself"), "{message}");
    assert!(
        message.contains("from the deployed connection pg of app-web, which keeps it in Key Vault"),
        "{message}"
    );
    assert_eq!(code["severity"], "warning");
    let env = found
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(".env"))
        .unwrap_or_else(|| panic!("{all}"));
    assert!(
        env["message"]
            .as_str()
            .unwrap()
            .contains("a local run gets the reference text"),
        "{all}"
    );
    assert_no_secret(&all);

    // The reverse: the deployed connection stores a plain value; the code is just as wrong,
    // and the .env reference is no longer about this connection's Key Vault.
    let plain = App::site(SUB, GROUP, "app-web").linker(
        "pg",
        azure_pg_linker("python", "secret"),
        &[(
            "AZURE_POSTGRESQL_CONNECTIONSTRING",
            "host=db password=pg-password-value-41aa",
            "Default",
        )],
    );
    let arm = ArmEmulator::start(vec![plain], Vec::new());
    let output = check_json_azure(run.path(), &arm, &web_id());
    let all = text(&output);
    let found = findings(&output, "key-vault-mismatch");
    assert_eq!(found.len(), 1, "{all}");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("which sets it as a plain value"),
        "{all}"
    );
    assert_no_secret(&all);
}

#[test]
fn key_vault_look_alikes_are_not_flagged() {
    // An app setting that is a Key Vault reference (no linker) read plainly: App Service
    // resolves it, the code gets the value. A Key Vault call with a literal name, a vault URL
    // from the environment: not a deployed variable used as a secret name.
    let app = App::site(SUB, GROUP, "app-web")
        .linker(
            "pg",
            key_vault_linker(),
            &[(
                "AZURE_POSTGRESQL_CONNECTIONSTRING",
                SECRET_VALUES[1],
                "KeyVaultSecret",
            )],
        )
        .setting("AZURE_POSTGRESQL_CONNECTIONSTRING", SECRET_VALUES[1]);
    let run = Emulated::new().apps(vec![app]).project(|_| {}).start();
    write(run.path(), "requirements.txt", "psycopg[binary]\n");
    write(
        run.path(),
        "app.py",
        "import os\nfrom azure.keyvault.secrets import SecretClient\n\nkv = SecretClient(vault_url=os.environ[\"KEY_VAULT_URL\"], credential=cred)\napi_key = kv.get_secret(\"api-key\").value; dsn = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\n",
    );
    write(
        run.path(),
        ".env",
        "AZURE_POSTGRESQL_CONNECTIONSTRING=\"dbname=app host=localhost user=dev password=dev sslmode=disable\"\n",
    );
    write(run.path(), ".gitignore", ".env\n");
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    assert!(output.status.code().is_some_and(|c| c < 2), "{all}");
    assert!(findings(&output, "key-vault-mismatch").is_empty(), "{all}");

    // Spring Apps: neon-lsp does not know what the app receives there, so nothing is said
    // even for the code that fetches a secret named by the variable.
    let spring_id = format!(
        "/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/Microsoft.AppPlatform/Spring/svc/apps/api"
    );
    let spring = App {
        id: spring_id.clone(),
        ..App::site(SUB, GROUP, "api")
    }
    .linker(
        "pg",
        key_vault_linker(),
        &[(
            "AZURE_POSTGRESQL_CONNECTIONSTRING",
            SECRET_VALUES[1],
            "KeyVaultSecret",
        )],
    );
    let arm = ArmEmulator::start(vec![spring], Vec::new());
    let confused = tempfile::tempdir().unwrap();
    key_vault_confused_project(confused.path());
    let output = check_json_azure(confused.path(), &arm, &spring_id);
    let all = text(&output);
    assert!(output.status.code().is_some_and(|c| c < 2), "{all}");
    assert!(
        all.contains("connection pg: python · secret · secret in Key Vault"),
        "{all}"
    );
    assert!(findings(&output, "key-vault-mismatch").is_empty(), "{all}");
    assert_no_secret(&all);
}

#[test]
fn an_app_setting_key_vault_reference_without_a_linker_counts_too() {
    // No Service Connector connection: the password is an app setting that is a Key Vault
    // reference (set by hand or by Bicep). App Service resolves it; the code asks Key Vault
    // for a secret named by the password.
    let app = App::site(SUB, GROUP, "app-web")
        .setting("AZURE_POSTGRESQL_PASSWORD", SECRET_VALUES[1])
        .setting("AZURE_POSTGRESQL_HOST", "db.postgres.database.azure.com");
    let run = Emulated::new().apps(vec![app]).project(|_| {}).start();
    write(
        run.path(),
        "requirements.txt",
        "Django>=5\npsycopg[binary]\n",
    );
    write(
        run.path(),
        "settings.py",
        "import os\nfrom azure.keyvault.secrets import SecretClient\n\nkv = SecretClient(vault_url=\"https://kv.vault.azure.net\", credential=cred)\nDATABASES = {\"default\": {\n    \"HOST\": os.environ[\"AZURE_POSTGRESQL_HOST\"],\n    \"PASSWORD\": kv.get_secret(os.environ[\"AZURE_POSTGRESQL_PASSWORD\"]).value,\n}}\n",
    );
    let output = run.check(&["--format", "json"]);
    let all = text(&output);
    assert!(output.status.code().is_some_and(|c| c < 2), "{all}");
    let found = findings(&output, "key-vault-mismatch");
    assert_eq!(found.len(), 1, "{all}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("from the deployed app setting AZURE_POSTGRESQL_PASSWORD of app-web, which keeps it in Key Vault"),
        "{message}"
    );
    // The app settings' names are the app's variables: neither read is missing.
    assert!(
        findings(&output, "missing-in-deployment").is_empty(),
        "{all}"
    );
    assert_no_secret(&all);
}

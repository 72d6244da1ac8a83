//! Fixtures whose rules need the deployed configuration (`check --azure`): the fixture's
//! `azure.json` describes what Azure has deployed, in the shapes ARM returns, and the check
//! runs against the local ARM emulator (tests/support/arm.rs) on 127.0.0.1. The fixture's own
//! `neon-lsp.toml` names the app (`[azure] resource-id`), as a real project does.
//!
//! ```json
//! { "apps": [ {
//!     "id": "/subscriptions/…/providers/Microsoft.Web/sites/app-orders-api",
//!     "linkers": { "pg": { "properties": { "clientType": "nodejs", "authInfo": {…}, … },
//!                          "configurations": [ { "name": "…", "value": "…", "configType": "Default" } ] } },
//!     "appSettings": { "NAME": "value" } } ] }
//! ```
//!
//! Included with `#[path]` beside `support/fixture.rs`, `support/http.rs` and `support/arm.rs`.
#![allow(dead_code)]

use crate::arm::{self, App, ArmEmulator};
use crate::fixture::{AZURE_FILE, CheckRun, run_check, run_check_with};
use serde_json::Value;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// Credentials and endpoints that point the checker at the emulator, and nothing of the
/// environment the tests run in.
const CLEARED: &[&str] = &[
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
];

fn text_field<'a>(value: &'a Value, name: &str, what: &str) -> Result<&'a str, String> {
    value[name]
        .as_str()
        .ok_or_else(|| format!("{AZURE_FILE}: {what} has no string `{name}`"))
}

/// The apps `azure.json` describes.
fn read_apps(fixture: &Path) -> Result<Vec<App>, String> {
    let path = fixture.join(AZURE_FILE);
    let text = fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|error| format!("{} is not JSON: {error}", path.display()))?;
    let apps = json["apps"]
        .as_array()
        .ok_or_else(|| format!("{AZURE_FILE}: no `apps` array"))?;
    let mut out = Vec::new();
    for app in apps {
        let id = text_field(app, "id", "an app")?;
        let mut built = App {
            id: id.to_string(),
            container_app: id.contains("/providers/Microsoft.App/containerApps/"),
            linkers: Vec::new(),
            configurations: HashMap::new(),
            settings: Vec::new(),
            linker_page_size: 0,
        };
        if let Some(linkers) = app["linkers"].as_object() {
            for (name, linker) in linkers {
                let mut configurations = Vec::new();
                for configuration in linker["configurations"].as_array().into_iter().flatten() {
                    let what = format!("a configuration of linker {name}");
                    configurations.push((
                        text_field(configuration, "name", &what)?,
                        text_field(configuration, "value", &what)?,
                        configuration["configType"].as_str().unwrap_or("Default"),
                    ));
                }
                built = built.linker(name, linker["properties"].clone(), &configurations);
            }
        }
        if let Some(settings) = app["appSettings"].as_object() {
            for (name, value) in settings {
                let value = value
                    .as_str()
                    .ok_or_else(|| format!("{AZURE_FILE}: app setting {name} is not a string"))?;
                built = built.setting(name, value);
            }
        }
        out.push(built);
    }
    Ok(out)
}

/// The secrets in `azure.json` that no output may print: what `neon_lsp::secrets` finds in each
/// configuration and app setting written as a .env line (a password-like name's value, a
/// connection string's password).
pub fn deployed_secrets(fixture: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for app in read_apps(fixture).unwrap_or_default() {
        let configurations = app
            .configurations
            .into_values()
            .flat_map(|list| list.as_array().cloned().unwrap_or_default())
            .filter_map(|configuration| {
                Some((
                    configuration["name"].as_str()?.to_string(),
                    configuration["value"].as_str()?.to_string(),
                ))
            });
        for (name, value) in app.settings.into_iter().chain(configurations) {
            let line = format!("{name}={value}\n");
            for range in neon_lsp::secrets::secret_ranges(".env", &line) {
                out.push(line[range.start..range.end].to_string());
            }
        }
    }
    out
}

/// Runs `check --format json` on the prepared copy of `fixture`; with `--azure` against the
/// emulator when the fixture has an `azure.json`.
pub fn check_fixture_copy(fixture: &Path, copy: &Path) -> Result<CheckRun, String> {
    if !fixture.join(AZURE_FILE).is_file() {
        return run_check(copy);
    }
    let emulator = ArmEmulator::start(read_apps(fixture)?, Vec::new());
    let env = [
        ("AZURE_TENANT_ID", arm::TENANT.to_string()),
        ("AZURE_CLIENT_ID", arm::CLIENT_ID.to_string()),
        ("AZURE_CLIENT_SECRET", arm::CLIENT_SECRET.to_string()),
        ("AZURE_AUTHORITY_HOST", emulator.url()),
        ("NEON_LSP_ARM_URL", emulator.url()),
    ];
    run_check_with(copy, &["--azure"], CLEARED, &env)
}

//! Which deployed apps a workspace names and reading them: shared by `check --azure` and the
//! language server's deployed configuration (`lsp/deployed.rs`), so neither adapter imports
//! the other.

use super::{AppTarget, arm::ArmClient, credential::CredentialSettings};
use crate::audience::Audience;
use crate::declared::{IacKind, azure_yaml, iac_kind};
use crate::deployed::{DeployedApp, ResourceId};
use crate::workspace::{CONFIG_FILE_NAME, Workspace};

/// The `--azure` flags.
#[derive(Debug, Clone, Default)]
pub struct AzureArgs {
    pub resource_id: Option<String>,
    pub arm_url: Option<String>,
}

/// The apps to read: `--azure-resource-id` (the CLI's `args`), else neon-lsp.toml (`[azure]
/// resource-id` and each connection's `azure-resource-id`), else the azd environment. The
/// error is worded for `audience` (a flag for the terminal, neon-lsp.toml for the editor).
pub fn targets_in(
    args: &AzureArgs,
    root: &std::path::Path,
    workspace: &Workspace,
    audience: Audience,
) -> Result<Vec<AppTarget>, String> {
    if let Some(id) = &args.resource_id {
        let resource = ResourceId::parse(id).map_err(|e| format!("--azure-resource-id: {e}"))?;
        return Ok(vec![AppTarget {
            resource,
            try_container_app: false,
            scope: String::new(),
            named_by: "--azure-resource-id".into(),
        }]);
    }
    let config = workspace
        .files
        .iter()
        .find(|f| f.path == CONFIG_FILE_NAME)
        .and_then(|f| crate::config::parse(&f.path, &f.text).ok());
    if let Some(config) = config {
        let mut out: Vec<AppTarget> = Vec::new();
        if let Some(resource) = config.azure_resource_id {
            out.push(AppTarget {
                resource,
                try_container_app: false,
                scope: String::new(),
                named_by: format!("{CONFIG_FILE_NAME} [azure]"),
            });
        }
        for connection in &config.connections {
            let Some(resource) = &connection.azure_resource_id else {
                continue;
            };
            let scopes = if connection.paths.is_empty() {
                vec![String::new()]
            } else {
                connection.paths.clone()
            };
            for scope in scopes {
                if !out
                    .iter()
                    .any(|t| t.resource == *resource && t.scope == scope)
                {
                    out.push(AppTarget {
                        resource: resource.clone(),
                        try_container_app: false,
                        scope,
                        named_by: format!("{CONFIG_FILE_NAME} [[connection]]"),
                    });
                }
            }
        }
        if !out.is_empty() {
            return Ok(out);
        }
    }
    let env_name = std::env::var("AZURE_ENV_NAME")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let Some((env_path, env)) =
        super::azd_environment(root, env_name.as_deref()).map_err(|e| e.to_string())?
    else {
        return Err(no_app(audience));
    };
    let services: Vec<(String, String)> = workspace
        .files
        .iter()
        .filter(|f| iac_kind(&f.path) == Some(IacKind::AzureYaml))
        .flat_map(|f| azure_yaml::services(&f.path, &f.text))
        .map(|s| (s.name, s.project))
        .collect();
    let targets = super::azd_targets(&env_path, &env, &services).map_err(|e| e.to_string())?;
    if targets.is_empty() {
        return Err(format!(
            "{env_path} names no app (no SERVICE_<NAME>_NAME for a service of azure.yaml); {}",
            no_app(audience)
        ));
    }
    Ok(targets)
}

/// "Which app?" unanswered, worded for who reads it.
fn no_app(audience: Audience) -> String {
    match audience {
        Audience::Cli => super::LocateError::NoApp.to_string(),
        Audience::Editor => "the deployed configuration needs to know which app to read: set `[azure] resource-id = \"/subscriptions/…/providers/Microsoft.Web/sites/<app>\"` in neon-lsp.toml, or deploy with azd (its .azure/<env>/.env names the apps)".to_string(),
    }
}

/// Gets an ARM token and reads `targets`; waits and retries are reported through `notice`.
pub async fn read_targets(
    args: &AzureArgs,
    targets: &[AppTarget],
    notice: crate::retry::Notice,
) -> Result<Vec<DeployedApp>, String> {
    let base = super::arm_url(args.arm_url.as_deref(), |name| std::env::var(name).ok())?;
    let settings = CredentialSettings::from_env();
    let http =
        crate::neon::http_client().map_err(|error| format!("could not set up HTTPS: {error}"))?;
    let (_, token) = super::credential::chain_token(&settings, &http, Some(&notice))
        .await
        .map_err(|e| e.to_string())?;
    let client = ArmClient::new(base, http, token).with_notice(notice);
    super::read_apps(&client, targets)
        .await
        .map_err(|e| e.to_string())
}

/// One line per app: what was read (never a value).
pub fn summary(app: &DeployedApp) -> String {
    let mut line = format!(
        "deployed: {} ({}, named by {})",
        app.resource.name,
        app.resource.kind.describe(),
        app.named_by
    );
    if app.linkers.is_empty() {
        line.push_str(": no Service Connector connection");
    }
    for linker in &app.linkers {
        line.push_str(&format!(
            "\n  connection {}: {} · {}{}",
            linker.name,
            linker
                .client_type_raw
                .as_deref()
                .unwrap_or("client type unknown"),
            linker.auth_raw.as_deref().unwrap_or("auth unknown"),
            if linker.uses_key_vault() {
                " · secret in Key Vault"
            } else {
                ""
            }
        ));
        if let Some(names) = &linker.configurations {
            line.push_str(&format!(", {} variable(s)", names.len()));
        }
    }
    if let Some(names) = &app.setting_names {
        line.push_str(&format!("\n  {} app setting name(s) read", names.len()));
    }
    for note in &app.notes {
        line.push_str(&format!("\n  note: {note}"));
    }
    line
}

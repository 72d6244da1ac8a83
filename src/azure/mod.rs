//! `check --azure`: reads what Azure has deployed — the app's Service Connector linkers, the
//! variables they set, and the app settings' names — so the analysis can compare the code
//! with the deployed truth.
//!
//! - [`credential`]: the credential chain and the ARM token;
//! - [`arm`]: the ARM requests and their errors;
//! - this module: which apps to read (`--azure-resource-id`, neon-lsp.toml's `[azure]`, the azd
//!   environment) and [`read_apps`], which turns them into [`DeployedApp`]s.
//!
//! Network and file system live here, outside the pure core; the result is plain data
//! (`crate::deployed`) handed to `analysis::Options`. Secret values are never fetched into the
//! model (see `arm`).

pub mod apps;
pub mod arm;
pub mod credential;

use crate::deployed::{
    self, AppKind, AzdEnvironment, DeployedApp, ResourceId, azd_service_variable_name,
};
use std::path::Path;
use url::Url;

/// Environment variable for the ARM base URL (sovereign clouds, tests).
pub const ARM_URL_VARIABLE: &str = "NEON_LSP_ARM_URL";

/// An app to read, and where it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTarget {
    /// The app's id. For an azd service whose host type is unknown, `kind` is `WebSite` and
    /// `try_container_app` says to try `Microsoft.App/containerApps` when that is not found.
    pub resource: ResourceId,
    pub try_container_app: bool,
    /// Workspace folder the app is built from.
    pub scope: String,
    pub named_by: String,
}

/// Why the apps to read could not be named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    #[error(
        "--azure needs to know which app to read: pass --azure-resource-id /subscriptions/…/providers/Microsoft.Web/sites/<app>, set `[azure] resource-id` in neon-lsp.toml, or deploy with azd (its .azure/<env>/.env names the apps)"
    )]
    NoApp,
    #[error("{path}: {message}")]
    Azd { path: String, message: String },
}

/// The ARM base URL: `--arm-url`, else `NEON_LSP_ARM_URL`, else Azure's public cloud. Must be
/// https unless it is a loopback address (the token travels there).
pub fn arm_url(flag: Option<&str>, lookup: impl Fn(&str) -> Option<String>) -> Result<Url, String> {
    let (source, value) = match flag {
        Some(value) => ("--arm-url", value.to_string()),
        None => match lookup(ARM_URL_VARIABLE).filter(|v| !v.trim().is_empty()) {
            Some(value) => (ARM_URL_VARIABLE, value),
            None => ("the default", arm::DEFAULT_ARM_URL.to_string()),
        },
    };
    let url = crate::neon::parse_url(source, &value).map_err(|e| e.to_string())?;
    if url.scheme() != "https" && !crate::neon::is_loopback(&url) {
        return Err(format!(
            "{source} must be an https:// URL (the Azure token is sent there): {value}"
        ));
    }
    Ok(url)
}

/// The azd environment of a workspace: `AZURE_ENV_NAME`, else `.azure/config.json`'s
/// `defaultEnvironment`, else the only folder under `.azure/`. `Ok(None)` when there is none.
pub fn azd_environment(
    root: &Path,
    env_name: Option<&str>,
) -> Result<Option<(String, AzdEnvironment)>, LocateError> {
    let azure = root.join(".azure");
    if !azure.is_dir() {
        return Ok(None);
    }
    let name = match env_name {
        Some(name) => Some(name.to_string()),
        None => std::fs::read_to_string(azure.join("config.json"))
            .ok()
            .and_then(|text| deployed::azd_default_environment(&text)),
    };
    let name = match name {
        Some(name) => name,
        None => {
            let mut dirs: Vec<String> = std::fs::read_dir(&azure)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().join(".env").is_file())
                        .filter_map(|e| e.file_name().to_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            dirs.sort();
            match dirs.as_slice() {
                [] => return Ok(None),
                [only] => only.clone(),
                several => {
                    return Err(LocateError::Azd {
                        path: ".azure".into(),
                        message: format!(
                            "several azd environments ({}) and no default: run `azd env select <name>` or set AZURE_ENV_NAME",
                            several.join(", ")
                        ),
                    });
                }
            }
        }
    };
    let relative = format!(".azure/{name}/.env");
    let text = std::fs::read_to_string(root.join(&relative)).map_err(|error| LocateError::Azd {
        path: relative.clone(),
        message: format!("cannot read the azd environment: {error}"),
    })?;
    Ok(Some((
        relative,
        deployed::parse_azd_environment(&name, &text),
    )))
}

/// The apps an azd environment names, each scoped to its service's folder in `azure.yaml`.
/// `services` are azure.yaml's (name, project folder); without azure.yaml every app covers the
/// whole workspace.
pub fn azd_targets(
    env_path: &str,
    env: &AzdEnvironment,
    services: &[(String, String)],
) -> Result<Vec<AppTarget>, LocateError> {
    if env.services.is_empty() {
        return Ok(Vec::new());
    }
    let missing = |what: &str| LocateError::Azd {
        path: env_path.to_string(),
        message: format!(
            "{what} is not set, so the apps' resource ids cannot be built; run `azd env refresh` or pass --azure-resource-id"
        ),
    };
    let subscription = env
        .subscription
        .as_deref()
        .ok_or_else(|| missing("AZURE_SUBSCRIPTION_ID"))?;
    let group = env
        .resource_group
        .as_deref()
        .ok_or_else(|| missing("AZURE_RESOURCE_GROUP"))?;
    let mut out = Vec::new();
    for (service, resource_name, variable) in &env.services {
        let project = services
            .iter()
            .find(|(name, _)| azd_service_variable_name(name) == *service)
            .map(|(_, project)| project.clone());
        let scope = match (project, services.is_empty()) {
            (Some(project), _) => project,
            // A SERVICE_X_NAME output with no azure.yaml service behind it: not an app azd deploys.
            (None, false) => continue,
            (None, true) => String::new(),
        };
        out.push(AppTarget {
            resource: ResourceId::of(subscription, group, AppKind::WebSite, resource_name),
            try_container_app: true,
            scope,
            named_by: format!("{env_path} ({variable})"),
        });
    }
    Ok(out)
}

/// Reads each app: linkers, their variable names, app settings' names. A missing permission
/// for configurations or settings becomes a note (the linkers alone still say a lot); no
/// credentials, 401, a missing app, throttling and server errors fail the read.
pub async fn read_apps(
    client: &arm::ArmClient,
    targets: &[AppTarget],
) -> Result<Vec<DeployedApp>, arm::ArmError> {
    let mut apps = Vec::new();
    for target in targets {
        apps.push(read_app(client, target).await?);
    }
    Ok(apps)
}

async fn read_app(
    client: &arm::ArmClient,
    target: &AppTarget,
) -> Result<DeployedApp, arm::ArmError> {
    let mut resource = target.resource.clone();
    let container_env = match client.read_app(&resource).await {
        Ok(env) => env,
        Err(error) if error.kind.is_not_found() && target.try_container_app => {
            resource = ResourceId::of(
                &resource.subscription,
                &resource.resource_group,
                AppKind::ContainerApp,
                &resource.name,
            );
            client.read_app(&resource).await.map_err(|mut second| {
                if second.kind.is_not_found() {
                    second.request = format!(
                        "{} (tried Microsoft.Web/sites and Microsoft.App/containerApps named {}, from {})",
                        second.request, resource.name, target.named_by
                    );
                }
                second
            })?
        }
        Err(error) => return Err(error),
    };
    let mut notes = Vec::new();
    let mut linkers = client.linkers(&resource).await?;
    for linker in &mut linkers {
        match client.configuration_names(&resource, &linker.name).await {
            Ok(names) => linker.configurations = Some(names),
            Err(error) if error.kind.is_forbidden() => {
                notes.push(format!(
                    "the variables of the deployed connection {} were not read: {error}",
                    linker.name
                ));
            }
            Err(error) => return Err(error),
        }
    }
    let mut key_vault_settings = Vec::new();
    let setting_names = match &resource.kind {
        AppKind::ContainerApp => container_env,
        AppKind::WebSite => match client.app_setting_names(&resource).await {
            Ok(settings) => {
                key_vault_settings = settings
                    .iter()
                    .filter(|(_, key_vault)| *key_vault)
                    .map(|(name, _)| name.clone())
                    .collect();
                Some(settings.into_iter().map(|(name, _)| name).collect())
            }
            Err(error) if error.kind.is_forbidden() => {
                notes.push(format!("the app settings' names were not read: {error}"));
                None
            }
            Err(error) => return Err(error),
        },
        AppKind::Other(_) => None,
    };
    Ok(DeployedApp {
        resource,
        scope: target.scope.clone(),
        named_by: target.named_by.clone(),
        linkers,
        setting_names,
        key_vault_settings,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_url_needs_https_off_loopback() {
        let none = |_: &str| None;
        assert_eq!(
            arm_url(None, none).unwrap().as_str(),
            "https://management.azure.com/"
        );
        assert!(arm_url(Some("http://127.0.0.1:9/"), none).is_ok());
        let error = arm_url(Some("http://arm.example.com"), none).unwrap_err();
        assert!(error.contains("https"), "{error}");
        let from_env = arm_url(None, |name: &str| {
            (name == ARM_URL_VARIABLE).then(|| "https://management.usgovcloudapi.net".to_string())
        })
        .unwrap();
        assert_eq!(from_env.host_str(), Some("management.usgovcloudapi.net"));
    }

    #[test]
    fn azd_services_become_scoped_targets() {
        let env = deployed::parse_azd_environment(
            "dev",
            "AZURE_SUBSCRIPTION_ID=s\nAZURE_RESOURCE_GROUP=g\nSERVICE_API_NAME=app-api\nSERVICE_WEB_NAME=app-web\nSERVICE_OTHER_NAME=x\n",
        );
        let services = vec![
            ("api".to_string(), "src/api".to_string()),
            ("web".to_string(), "src/web".to_string()),
        ];
        let targets = azd_targets(".azure/dev/.env", &env, &services).unwrap();
        let got: Vec<(&str, &str)> = targets
            .iter()
            .map(|t| (t.resource.name.as_str(), t.scope.as_str()))
            .collect();
        assert_eq!(got, [("app-api", "src/api"), ("app-web", "src/web")]);
        assert!(targets[0].named_by.contains("SERVICE_API_NAME"));
        let no_group = deployed::parse_azd_environment("dev", "SERVICE_API_NAME=a\n");
        let error = azd_targets(".azure/dev/.env", &no_group, &[]).unwrap_err();
        assert!(error.to_string().contains("AZURE_SUBSCRIPTION_ID"));
    }
}

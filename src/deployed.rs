//! Connections as Azure has them: the facts `neon-lsp check --azure` reads from Azure Resource
//! Manager about the app a workspace deploys to, as plain data, and where the app is named
//! (`--azure-resource-id`, neon-lsp.toml's `[azure]`, azd's environment).
//!
//! Pure: no network here. `crate::azure` fetches these facts and hands them to the analysis
//! as data, so the analysis stays synchronous and testable without Azure. Secret values are
//! never part of the model: a configuration item keeps its name and whether it is a Key Vault
//! reference, and the value is dropped where the response is parsed.

use crate::catalogue::{AuthType, ClientType, Target};
use std::fmt;

/// An app's Azure resource id, checked: `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId {
    /// The id as given, with one leading `/` and no trailing `/`.
    pub id: String,
    pub subscription: String,
    pub resource_group: String,
    pub kind: AppKind,
    /// The app's name (the last segment).
    pub name: String,
}

/// The kinds of app Service Connector connects from that neon-lsp reads app settings of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AppKind {
    /// `Microsoft.Web/sites`: App Service and Functions.
    WebSite,
    /// `Microsoft.App/containerApps`.
    ContainerApp,
    /// Anything else (Spring Apps, AKS …): linkers are read, app settings are not.
    Other(String),
}

impl AppKind {
    pub fn describe(&self) -> &str {
        match self {
            AppKind::WebSite => "Microsoft.Web/sites",
            AppKind::ContainerApp => "Microsoft.App/containerApps",
            AppKind::Other(kind) => kind,
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl ResourceId {
    /// Parses a resource id; the error says what is wrong and shows the expected shape.
    pub fn parse(text: &str) -> Result<ResourceId, String> {
        let trimmed = text.trim().trim_end_matches('/');
        let expected = "expected /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app> (or Microsoft.App/containerApps/<app>)";
        let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
        if segments.len() < 8 || segments.iter().any(|s| s.is_empty()) {
            return Err(format!(
                "\"{trimmed}\" is not an Azure resource id: {expected}"
            ));
        }
        let key = |i: usize, want: &str| segments[i].eq_ignore_ascii_case(want);
        if !key(0, "subscriptions") || !key(2, "resourceGroups") || !key(4, "providers") {
            return Err(format!(
                "\"{trimmed}\" is not an Azure resource id: {expected}"
            ));
        }
        if !segments.len().is_multiple_of(2) {
            return Err(format!(
                "\"{trimmed}\" does not end in a resource name: {expected}"
            ));
        }
        let namespace = segments[5];
        let types: Vec<&str> = segments[6..].iter().step_by(2).copied().collect();
        let type_path = format!("{namespace}/{}", types.join("/"));
        let kind = if type_path.eq_ignore_ascii_case("Microsoft.Web/sites") {
            AppKind::WebSite
        } else if type_path.eq_ignore_ascii_case("Microsoft.App/containerApps") {
            AppKind::ContainerApp
        } else if type_path
            .to_ascii_lowercase()
            .contains("microsoft.servicelinker")
        {
            return Err(format!(
                "\"{trimmed}\" is a Service Connector resource; give the app's id instead ({expected})"
            ));
        } else {
            AppKind::Other(type_path)
        };
        Ok(ResourceId {
            id: format!("/{}", segments.join("/")),
            subscription: segments[1].to_string(),
            resource_group: segments[3].to_string(),
            kind,
            name: segments[segments.len() - 1].to_string(),
        })
    }

    /// The id of an app named `name` of `kind` in a subscription and resource group.
    pub fn of(subscription: &str, resource_group: &str, kind: AppKind, name: &str) -> ResourceId {
        ResourceId {
            id: format!(
                "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{}/{name}",
                kind.describe()
            ),
            subscription: subscription.to_string(),
            resource_group: resource_group.to_string(),
            kind,
            name: name.to_string(),
        }
    }
}

/// What Azure says about one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedApp {
    pub resource: ResourceId,
    /// The workspace folder the app is built from (`""` = the whole workspace).
    pub scope: String,
    /// Where the app was named: "--azure-resource-id", "neon-lsp.toml", ".azure/dev/.env (SERVICE_API_NAME)".
    pub named_by: String,
    pub linkers: Vec<DeployedLinker>,
    /// The app settings' (or container env's) names; `None` when they could not be read.
    pub setting_names: Option<Vec<String>>,
    /// The app settings whose value is a Key Vault reference (`@Microsoft.KeyVault(…)`), by
    /// name; App Service and Functions only.
    pub key_vault_settings: Vec<String>,
    /// Why something could not be read (a missing permission), for a note.
    pub notes: Vec<String>,
}

/// One Service Connector connection (`Microsoft.ServiceLinker/linkers`) as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedLinker {
    pub name: String,
    /// `clientType` as Azure spells it (`springBoot`, `nodejs`, `none` …).
    pub client_type_raw: Option<String>,
    pub client_type: Option<ClientType>,
    /// `authInfo.authType` as Azure spells it.
    pub auth_raw: Option<String>,
    pub auth: Option<AuthType>,
    /// `targetService.id`.
    pub target_id: Option<String>,
    pub target: Option<Target>,
    /// `configurationInfo.customizedKeys`: (Service Connector's name, the app's name).
    pub customized_keys: Vec<(String, String)>,
    /// `secretStore.keyVaultId`: the secret is stored in this Key Vault.
    pub key_vault_id: Option<String>,
    /// The variable names `listConfigurations` returned; `None` when it could not be called.
    pub configurations: Option<Vec<ConfigurationName>>,
}

/// A variable a linker sets, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationName {
    pub name: String,
    /// `configType: KeyVaultSecret`: the app setting is a Key Vault reference.
    pub key_vault_reference: bool,
}

impl DeployedLinker {
    /// A linker from the raw strings Azure returns (also what the editor's cache keeps): client
    /// type, auth type and target are derived here, the one place they are.
    pub fn from_raw(
        name: String,
        client_type_raw: Option<String>,
        auth_raw: Option<String>,
        target_id: Option<String>,
        customized_keys: Vec<(String, String)>,
        key_vault_id: Option<String>,
    ) -> DeployedLinker {
        DeployedLinker {
            name,
            client_type: client_type_raw
                .as_deref()
                .and_then(crate::declared::client_from_schema),
            auth: auth_raw
                .as_deref()
                .and_then(crate::declared::auth_from_schema),
            target: target_id
                .as_deref()
                .and_then(crate::declared::target_from_text),
            client_type_raw,
            auth_raw,
            target_id,
            customized_keys,
            key_vault_id,
            configurations: None,
        }
    }

    /// Whether the connection's secret lives in Key Vault (a secret store, or a configuration
    /// that is a Key Vault reference).
    pub fn uses_key_vault(&self) -> bool {
        self.key_vault_id.is_some()
            || self
                .configurations
                .iter()
                .flatten()
                .any(|c| c.key_vault_reference)
    }

    /// The variable the app reads for Service Connector's `default_name`, after `customizedKeys`.
    pub fn renamed<'a>(&'a self, default_name: &'a str) -> &'a str {
        self.customized_keys
            .iter()
            .find(|(from, _)| from == default_name)
            .map_or(default_name, |(_, to)| to.as_str())
    }
}

/// Whether an app setting's value is a Key Vault reference, the syntax App Service and
/// Functions resolve before the app starts: `@Microsoft.KeyVault(SecretUri=…)` or
/// `@Microsoft.KeyVault(VaultName=…;SecretName=…)`.
pub fn is_key_vault_reference(value: &str) -> bool {
    let value = value.trim_start().as_bytes();
    const PREFIX: &[u8] = b"@microsoft.keyvault(";
    value.len() >= PREFIX.len() && value[..PREFIX.len()].eq_ignore_ascii_case(PREFIX)
}

/// Where a deployed variable's value lives, for the Key Vault rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretHome {
    /// A Key Vault reference the platform resolves before the app starts.
    KeyVault,
    /// The value itself.
    Plain,
}

impl DeployedApp {
    /// Whether the platform hands the app the *value* of a Key Vault reference rather than the
    /// reference: App Service and Functions resolve `@Microsoft.KeyVault(…)` app settings, and
    /// Container Apps resolve Key Vault secrets referenced by `secretRef`. For other computes
    /// (AKS, Spring Apps) neon-lsp does not know, so the Key Vault rule stays silent there.
    pub fn resolves_key_vault_references(&self) -> bool {
        matches!(self.resource.kind, AppKind::WebSite | AppKind::ContainerApp)
    }

    /// Where the value of the app's variable `name` lives, and the linker that sets it (if a
    /// linker does). `None` when the app does not have the variable (or it could not be read).
    pub fn secret_home(&self, name: &str) -> Option<(SecretHome, Option<&DeployedLinker>)> {
        for linker in &self.linkers {
            let Some(item) = linker
                .configurations
                .iter()
                .flatten()
                .find(|c| c.name == name)
            else {
                continue;
            };
            let home = if item.key_vault_reference {
                SecretHome::KeyVault
            } else {
                SecretHome::Plain
            };
            return Some((home, Some(linker)));
        }
        if self.key_vault_settings.iter().any(|n| n == name) {
            return Some((SecretHome::KeyVault, None));
        }
        if self.setting_names.iter().flatten().any(|n| n == name) {
            return Some((SecretHome::Plain, None));
        }
        None
    }

    /// Whether the app has a variable called `name` (from a linker or as an app setting).
    /// `None` when neither could be read.
    pub fn has_variable(&self, name: &str) -> Option<bool> {
        let from_linkers: Option<bool> = self
            .linkers
            .iter()
            .filter_map(|l| l.configurations.as_ref())
            .map(|c| c.iter().any(|c| c.name == name))
            .reduce(|a, b| a || b);
        let from_settings = self
            .setting_names
            .as_ref()
            .map(|names| names.iter().any(|n| n == name));
        match (from_linkers, from_settings) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(false) || b.unwrap_or(false)),
        }
    }
}

/// An azd environment: `.azure/<name>/.env`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AzdEnvironment {
    pub name: String,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    /// (azd service name as written in the variable, upper case; the app's resource name;
    /// the variable it came from).
    pub services: Vec<(String, String, String)>,
}

/// The default environment of `.azure/config.json` (`{"defaultEnvironment": "dev"}`).
pub fn azd_default_environment(config_json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(config_json).ok()?;
    value
        .get("defaultEnvironment")?
        .as_str()
        .map(str::to_string)
        .filter(|name| !name.is_empty() && !name.contains(['/', '\\']))
}

/// Reads an azd environment file. azd writes the Bicep/Terraform outputs there; templates
/// name each service's resource `SERVICE_<NAME>_NAME` (todo-nodejs-mongo, the Container Apps
/// starters) and azd itself reads `SERVICE_<NAME>_RESOURCE_NAME` as an override.
pub fn parse_azd_environment(name: &str, text: &str) -> AzdEnvironment {
    let env = crate::dotenv::parse(text);
    let mut out = AzdEnvironment {
        name: name.to_string(),
        ..AzdEnvironment::default()
    };
    let mut explicit: Vec<(String, String, String)> = Vec::new();
    for entry in &env.entries {
        let value = entry.value.trim();
        if value.is_empty() {
            continue;
        }
        match entry.key.as_str() {
            "AZURE_SUBSCRIPTION_ID" => out.subscription = Some(value.to_string()),
            "AZURE_RESOURCE_GROUP" | "AZURE_RESOURCE_GROUP_NAME" => {
                out.resource_group = Some(value.to_string())
            }
            key => {
                let Some(rest) = key.strip_prefix("SERVICE_") else {
                    continue;
                };
                if let Some(service) = rest.strip_suffix("_RESOURCE_NAME") {
                    explicit.push((service.to_string(), value.to_string(), key.to_string()));
                } else if let Some(service) = rest.strip_suffix("_NAME")
                    && !service.ends_with("_IMAGE")
                {
                    out.services
                        .push((service.to_string(), value.to_string(), key.to_string()));
                }
            }
        }
    }
    // azd's own override wins over a template's output of the same service.
    for (service, resource, key) in explicit {
        out.services.retain(|(s, _, _)| *s != service);
        out.services.push((service, resource, key));
    }
    out.services.sort();
    out
}

/// azd spells a service `api-gateway` in azure.yaml and `API_GATEWAY` in variable names.
pub fn azd_service_variable_name(service: &str) -> String {
    // The same rule as connection names in variable names.
    crate::catalogue::normalise_connection_name(service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resource_ids() {
        let id = ResourceId::parse(
            "/subscriptions/0000/resourceGroups/rg-app/providers/Microsoft.Web/sites/app-web/",
        )
        .unwrap();
        assert_eq!(id.kind, AppKind::WebSite);
        assert_eq!(id.name, "app-web");
        assert_eq!(id.resource_group, "rg-app");
        assert_eq!(
            id.id,
            "/subscriptions/0000/resourceGroups/rg-app/providers/Microsoft.Web/sites/app-web"
        );
        let id = ResourceId::parse(
            "subscriptions/s/resourcegroups/g/providers/microsoft.app/containerapps/ca-api",
        )
        .unwrap();
        assert_eq!(id.kind, AppKind::ContainerApp);
        let spring = ResourceId::parse(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.AppPlatform/Spring/svc/apps/api",
        )
        .unwrap();
        assert_eq!(
            spring.kind,
            AppKind::Other("Microsoft.AppPlatform/Spring/apps".into())
        );
        for bad in [
            "",
            "app-web",
            "/subscriptions/s/resourceGroups/g",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites",
            "/subscriptions/s/groups/g/providers/Microsoft.Web/sites/a",
        ] {
            let error = ResourceId::parse(bad).unwrap_err();
            assert!(error.contains("expected /subscriptions/"), "{bad}: {error}");
        }
    }

    #[test]
    fn reads_azd_environments() {
        let env = parse_azd_environment(
            "dev",
            "AZURE_ENV_NAME=\"dev\"\nAZURE_SUBSCRIPTION_ID=\"0000\"\nAZURE_RESOURCE_GROUP=\"rg-dev\"\nSERVICE_API_NAME=\"app-api-x1\"\nSERVICE_API_IMAGE_NAME=\"img\"\nSERVICE_WEB_NAME=\"app-web-x1\"\nSERVICE_WEB_RESOURCE_NAME=\"web-override\"\n",
        );
        assert_eq!(env.subscription.as_deref(), Some("0000"));
        assert_eq!(env.resource_group.as_deref(), Some("rg-dev"));
        let names: Vec<(&str, &str)> = env
            .services
            .iter()
            .map(|(s, r, _)| (s.as_str(), r.as_str()))
            .collect();
        assert_eq!(names, [("API", "app-api-x1"), ("WEB", "web-override")]);
        assert_eq!(
            azd_default_environment(r#"{"version":1,"defaultEnvironment":"dev"}"#).as_deref(),
            Some("dev")
        );
        assert_eq!(
            azd_default_environment(r#"{"defaultEnvironment":"../x"}"#),
            None
        );
        assert_eq!(azd_default_environment("not json"), None);
        assert_eq!(azd_service_variable_name("api-gateway"), "API_GATEWAY");
    }

    #[test]
    fn variables_of_an_app() {
        let linker = DeployedLinker {
            name: "pg".into(),
            client_type_raw: Some("nodejs".into()),
            client_type: Some(ClientType::NodeJs),
            auth_raw: Some("secret".into()),
            auth: Some(AuthType::Secret),
            target_id: None,
            target: Some(Target::Neon),
            customized_keys: vec![("NEON_POSTGRESQL_HOST".into(), "PGHOST".into())],
            key_vault_id: None,
            configurations: Some(vec![ConfigurationName {
                name: "PGHOST".into(),
                key_vault_reference: false,
            }]),
        };
        assert_eq!(linker.renamed("NEON_POSTGRESQL_HOST"), "PGHOST");
        assert_eq!(
            linker.renamed("NEON_POSTGRESQL_USER"),
            "NEON_POSTGRESQL_USER"
        );
        assert!(!linker.uses_key_vault());
        let app = DeployedApp {
            resource: ResourceId::of("s", "g", AppKind::WebSite, "a"),
            scope: String::new(),
            named_by: "test".into(),
            linkers: vec![linker],
            setting_names: Some(vec!["OTHER".into(), "KV".into()]),
            key_vault_settings: vec!["KV".into()],
            notes: Vec::new(),
        };
        assert_eq!(app.has_variable("PGHOST"), Some(true));
        assert_eq!(app.has_variable("OTHER"), Some(true));
        assert_eq!(app.has_variable("NEON_POSTGRESQL_HOST"), Some(false));
        assert_eq!(
            app.secret_home("PGHOST")
                .map(|(home, l)| (home, l.map(|l| l.name.as_str()))),
            Some((SecretHome::Plain, Some("pg")))
        );
        assert_eq!(
            app.secret_home("KV").map(|(home, l)| (home, l.is_some())),
            Some((SecretHome::KeyVault, false))
        );
        assert_eq!(
            app.secret_home("OTHER").map(|(home, _)| home),
            Some(SecretHome::Plain)
        );
        assert!(app.secret_home("NONE").is_none());
        assert!(app.resolves_key_vault_references());
        assert!(is_key_vault_reference(
            " @Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/pg/)"
        ));
        assert!(is_key_vault_reference(
            "@microsoft.keyvault(VaultName=kv;SecretName=pg)"
        ));
        assert!(!is_key_vault_reference("Microsoft.KeyVault"));
        assert!(!is_key_vault_reference("secret"));
        let unread = DeployedApp {
            linkers: Vec::new(),
            setting_names: None,
            ..app
        };
        assert_eq!(unread.has_variable("PGHOST"), None);
    }
}

//! The few Azure Resource Manager calls `check --azure` makes, all reads:
//!
//! - `GET {app}/providers/Microsoft.ServiceLinker/linkers` (Linker_List, pageable by
//!   `nextLink`): client type, auth type, target, customized keys, secret store;
//! - `POST {app}/providers/Microsoft.ServiceLinker/linkers/{name}/listConfigurations`
//!   (Linker_ListConfigurations): the variables a linker sets (`configurations[].name`,
//!   `configType` `Default` | `KeyVaultSecret`);
//! - `POST {site}/config/appsettings/list` (WebApps_ListApplicationSettings, a
//!   StringDictionary: `properties` maps names to values) for App Service and Functions;
//! - `GET {containerApp}` (ContainerApps_Get): `properties.template.containers[].env[].name`.
//!
//! Shapes and api-versions are those of Microsoft's REST reference, azure-rest-api-specs:
//! `specification/servicelinker/resource-manager/Microsoft.ServiceLinker/stable/2024-04-01/servicelinker.json`
//! (definitions `ResourceList`, `LinkerProperties`, `SecretStore`, `ConfigurationInfo.customizedKeys`,
//! `ConfigurationResult`, `SourceConfiguration`; example `GetConfigurations.json`), and the
//! Learn pages "Linker - List", "Linker - List Configurations", "Web Apps - List Application
//! Settings". ServiceLinker 2024-04-01 is the stable version the Azure SDKs default to (the
//! newer 2025-07-01 stable spec still labels itself "2005-07-01").
//!
//! Values are secrets: the response types below have no field for them, so serde drops them
//! while parsing and nothing downstream can print one. Failures name the request (the path,
//! never the token) and what to do, including the role or permission a 403 needs.

use crate::deployed::{AppKind, ConfigurationName, DeployedLinker, ResourceId};
use crate::neon::Secret;
use crate::neon::oidc::describe_reqwest_error;
use crate::retry::{Notice, Retries, RetryPolicy, retry_after};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use std::collections::BTreeMap;
use std::fmt;
use url::Url;

/// Azure Resource Manager in Azure's public cloud.
pub const DEFAULT_ARM_URL: &str = "https://management.azure.com";
/// Microsoft.ServiceLinker, stable (see the module documentation).
pub const SERVICE_LINKER_API_VERSION: &str = "2024-04-01";
/// Microsoft.Web, stable (WebApps_Get, WebApps_ListApplicationSettings).
pub const WEB_API_VERSION: &str = "2024-04-01";
/// Microsoft.App, stable (ContainerApps_Get).
pub const CONTAINER_APPS_API_VERSION: &str = "2025-01-01";
/// The permission `listConfigurations` needs; Reader does not grant actions.
pub const LIST_CONFIGURATIONS_PERMISSION: &str =
    "Microsoft.ServiceLinker/linkers/listConfigurations/action";
/// The permission listing App Service settings needs.
pub const LIST_APP_SETTINGS_PERMISSION: &str = "Microsoft.Web/sites/config/list/action";
/// A guard against a server that keeps handing out `nextLink`s.
const MAX_PAGES: usize = 100;

/// What a request was for: decides the 403 hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ReadApp,
    ListLinkers,
    ListConfigurations,
    ListAppSettings,
}

impl Operation {
    /// The role or permission the request needs.
    pub fn needs(self) -> &'static str {
        match self {
            Operation::ReadApp | Operation::ListLinkers => {
                "the Reader role on the app (Microsoft.ServiceLinker/linkers/read and the app's read permission)"
            }
            Operation::ListConfigurations => {
                "the permission Microsoft.ServiceLinker/linkers/listConfigurations/action on the app (Reader does not include it; Contributor or a custom role with that one action does)"
            }
            Operation::ListAppSettings => {
                "the permission Microsoft.Web/sites/config/list/action on the app (Reader does not include it; Website Contributor or a custom role with that one action does)"
            }
        }
    }
}

/// A failed ARM request: which one, and what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("{request}: {kind}")]
pub struct ArmError {
    /// `GET /subscriptions/…/linkers` — method and path, never a token.
    pub request: String,
    pub kind: ArmErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ArmErrorKind {
    #[error("Azure Resource Manager rejected the token (401 Unauthorized){}; sign in again (`az login`) or check the credential's tenant", suffix(.message))]
    Unauthorized { message: Option<String> },
    #[error("not allowed (403 Forbidden){}; this needs {}", suffix(.message), .operation.needs())]
    Forbidden {
        message: Option<String>,
        operation: Operation,
    },
    #[error("not found (404){}; check the subscription, resource group and app name (for azd, `azd env refresh` updates .azure/<env>/.env)", suffix(.message))]
    NotFound { message: Option<String> },
    #[error("{}", rate_limited(.retry_after))]
    RateLimited {
        retry_after: Option<std::time::Duration>,
    },
    #[error("Azure Resource Manager answered {status} after {attempts} attempts{}", suffix(.message))]
    Server {
        status: u16,
        attempts: u32,
        message: Option<String>,
    },
    #[error("Azure Resource Manager answered {status}{}", suffix(.message))]
    Http {
        status: u16,
        message: Option<String>,
    },
    #[error("no answer from Azure Resource Manager after {attempts} attempts: {reason}")]
    Unreachable { attempts: u32, reason: String },
    #[error("the answer is not what the REST reference describes: {0}")]
    InvalidResponse(String),
}

fn suffix(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn rate_limited(retry_after: &Option<std::time::Duration>) -> String {
    match retry_after {
        Some(wait) => format!(
            "throttled by Azure Resource Manager (429 Too Many Requests); it asks to wait {} s, longer than neon-lsp waits — try again later",
            wait.as_secs()
        ),
        None => "throttled by Azure Resource Manager (429 Too Many Requests) repeatedly; try again in a minute".to_string(),
    }
}

impl ArmErrorKind {
    /// The app (or its resource group or subscription) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ArmErrorKind::NotFound { .. })
    }

    pub fn is_forbidden(&self) -> bool {
        matches!(self, ArmErrorKind::Forbidden { .. })
    }
}

// --- Response shapes (only the fields neon-lsp reads; values are never fields) ---

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkerList {
    #[serde(default)]
    value: Vec<LinkerResource>,
    #[serde(default)]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct LinkerResource {
    name: String,
    #[serde(default)]
    properties: LinkerProperties,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LinkerProperties {
    #[serde(default)]
    target_service: Option<TargetService>,
    #[serde(default)]
    auth_info: Option<AuthInfo>,
    #[serde(default)]
    client_type: Option<String>,
    #[serde(default)]
    secret_store: Option<SecretStore>,
    #[serde(default)]
    configuration_info: Option<ConfigurationInfo>,
}

#[derive(Deserialize)]
struct TargetService {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    endpoint: Option<String>,
}

/// `authInfo`: only the discriminator; `secretInfo.value`, `secret`, `certificate` are never read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthInfo {
    #[serde(default)]
    auth_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretStore {
    #[serde(default)]
    key_vault_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigurationInfo {
    #[serde(default)]
    customized_keys: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct ConfigurationResult {
    #[serde(default)]
    configurations: Vec<SourceConfiguration>,
}

/// `SourceConfiguration` without its `value`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceConfiguration {
    name: String,
    #[serde(default)]
    config_type: Option<String>,
}

/// `StringDictionary`: the names, and for each only whether its value is a Key Vault reference.
#[derive(Deserialize)]
struct StringDictionary {
    #[serde(default)]
    properties: BTreeMap<String, KeyVaultFlag>,
}

/// An app setting's value reduced, while it is parsed, to one fact: whether it is a Key Vault
/// reference (`@Microsoft.KeyVault(SecretUri=…)` or `@Microsoft.KeyVault(VaultName=…;SecretName=…)`).
/// The value itself is dropped here and never stored.
struct KeyVaultFlag(bool);

impl<'de> Deserialize<'de> for KeyVaultFlag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Option::<String>::deserialize(deserializer)?;
        Ok(KeyVaultFlag(
            value
                .as_deref()
                .is_some_and(crate::deployed::is_key_vault_reference),
        ))
    }
}

#[derive(Deserialize)]
struct ContainerApp {
    #[serde(default)]
    properties: Option<ContainerAppProperties>,
}

#[derive(Deserialize)]
struct ContainerAppProperties {
    #[serde(default)]
    template: Option<Template>,
}

#[derive(Deserialize)]
struct Template {
    #[serde(default)]
    containers: Vec<Container>,
}

#[derive(Deserialize)]
struct Container {
    #[serde(default)]
    env: Vec<EnvVar>,
}

/// `EnvironmentVar` without `value` / `secretRef`.
#[derive(Deserialize)]
struct EnvVar {
    name: String,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The ARM client: a base URL, a token, retries.
pub struct ArmClient {
    base: Url,
    http: reqwest::Client,
    token: Secret,
    retry: RetryPolicy,
    notice: Option<Notice>,
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
}

impl ArmClient {
    pub fn new(base: Url, http: reqwest::Client, token: Secret) -> ArmClient {
        ArmClient {
            base,
            http,
            token,
            retry: RetryPolicy::default(),
            notice: None,
        }
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> ArmClient {
        self.retry = retry;
        self
    }

    /// Reports waits and retries (the CLI prints them on stderr).
    pub fn with_notice(mut self, notice: Notice) -> ArmClient {
        self.notice = Some(notice);
        self
    }

    /// Whether the app exists (GET on it); for a container app, also its containers' env names.
    pub async fn read_app(&self, app: &ResourceId) -> Result<Option<Vec<String>>, ArmError> {
        match &app.kind {
            AppKind::ContainerApp => {
                let found: ContainerApp = self
                    .call(
                        Method::Get,
                        &app.id,
                        CONTAINER_APPS_API_VERSION,
                        Operation::ReadApp,
                    )
                    .await?;
                let mut names: Vec<String> = found
                    .properties
                    .and_then(|p| p.template)
                    .map(|t| t.containers)
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|c| c.env.into_iter().map(|e| e.name))
                    .collect();
                names.sort();
                names.dedup();
                Ok(Some(names))
            }
            AppKind::WebSite => {
                let _: IgnoredAny = self
                    .call(Method::Get, &app.id, WEB_API_VERSION, Operation::ReadApp)
                    .await?;
                Ok(None)
            }
            AppKind::Other(_) => Ok(None),
        }
    }

    /// The app's linkers, every page.
    pub async fn linkers(&self, app: &ResourceId) -> Result<Vec<DeployedLinker>, ArmError> {
        let mut out = Vec::new();
        let mut page: LinkerList = self
            .call(
                Method::Get,
                &format!("{}/providers/Microsoft.ServiceLinker/linkers", app.id),
                SERVICE_LINKER_API_VERSION,
                Operation::ListLinkers,
            )
            .await?;
        for _ in 0..MAX_PAGES {
            out.extend(page.value.into_iter().map(linker_from));
            let Some(next) = page.next_link.filter(|n| !n.is_empty()) else {
                break;
            };
            let url = self.same_origin(&next)?;
            page = self
                .send(
                    Method::Get,
                    url,
                    describe(Method::Get, &next),
                    Operation::ListLinkers,
                )
                .await?;
        }
        Ok(out)
    }

    /// The variable names one linker sets, values dropped.
    pub async fn configuration_names(
        &self,
        app: &ResourceId,
        linker: &str,
    ) -> Result<Vec<ConfigurationName>, ArmError> {
        let path = format!(
            "{}/providers/Microsoft.ServiceLinker/linkers/{}/listConfigurations",
            app.id,
            utf8_percent_encode(linker)
        );
        let result: ConfigurationResult = self
            .call(
                Method::Post,
                &path,
                SERVICE_LINKER_API_VERSION,
                Operation::ListConfigurations,
            )
            .await?;
        Ok(result
            .configurations
            .into_iter()
            .map(|c| ConfigurationName {
                key_vault_reference: c
                    .config_type
                    .is_some_and(|t| t.eq_ignore_ascii_case("KeyVaultSecret")),
                name: c.name,
            })
            .collect())
    }

    /// The app settings' names of an App Service / Functions app, values dropped; for each,
    /// whether it is a Key Vault reference.
    pub async fn app_setting_names(
        &self,
        site: &ResourceId,
    ) -> Result<Vec<(String, bool)>, ArmError> {
        let settings: StringDictionary = self
            .call(
                Method::Post,
                &format!("{}/config/appsettings/list", site.id),
                WEB_API_VERSION,
                Operation::ListAppSettings,
            )
            .await?;
        Ok(settings
            .properties
            .into_iter()
            .map(|(name, flag)| (name, flag.0))
            .collect())
    }

    /// `nextLink` is absolute; the token goes only to the ARM origin it was meant for.
    fn same_origin(&self, link: &str) -> Result<Url, ArmError> {
        let url = Url::parse(link).map_err(|error| ArmError {
            request: "GET nextLink".into(),
            kind: ArmErrorKind::InvalidResponse(format!("nextLink is not a URL: {error}")),
        })?;
        if url.origin() != self.base.origin() {
            return Err(ArmError {
                request: "GET nextLink".into(),
                kind: ArmErrorKind::InvalidResponse(format!(
                    "nextLink points to {}, not to {}; not following it with the token",
                    url.origin().ascii_serialization(),
                    self.base.origin().ascii_serialization()
                )),
            });
        }
        Ok(url)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        operation: Operation,
    ) -> Result<T, ArmError> {
        let base = self.base.as_str().trim_end_matches('/');
        let request = describe(method, path);
        let mut url = Url::parse(&format!("{base}{path}")).map_err(|error| ArmError {
            request: request.clone(),
            kind: ArmErrorKind::InvalidResponse(format!("bad URL: {error}")),
        })?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        self.send(method, url, request, operation).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        request: String,
        operation: Operation,
    ) -> Result<T, ArmError> {
        let fail = |kind: ArmErrorKind| ArmError {
            request: request.clone(),
            kind,
        };
        let mut retries = Retries::new(self.retry);
        loop {
            let builder = match method {
                Method::Get => self.http.get(url.clone()),
                // ARM wants a length on a POST without a body.
                Method::Post => self
                    .http
                    .post(url.clone())
                    .header(reqwest::header::CONTENT_LENGTH, "0"),
            };
            let sent = builder
                .bearer_auth(self.token.expose())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    let reason = describe_reqwest_error(&error);
                    if retries
                        .retry_later(&format!("{request}: {reason}"), self.notice.as_ref())
                        .await
                    {
                        continue;
                    }
                    return Err(fail(ArmErrorKind::Unreachable {
                        attempts: retries.attempts(),
                        reason,
                    }));
                }
            };
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                let body = response.bytes().await.map_err(|error| {
                    fail(ArmErrorKind::InvalidResponse(describe_reqwest_error(
                        &error,
                    )))
                })?;
                return serde_json::from_slice(&body).map_err(|error| {
                    fail(ArmErrorKind::InvalidResponse(
                        crate::neon::token_store::json_problem(&error),
                    ))
                });
            }
            let wait = retry_after(response.headers());
            let message = error_message(response).await;
            match status {
                401 => return Err(fail(ArmErrorKind::Unauthorized { message })),
                403 => return Err(fail(ArmErrorKind::Forbidden { message, operation })),
                404 => return Err(fail(ArmErrorKind::NotFound { message })),
                429 => {
                    let why = format!("{request}: throttled by Azure Resource Manager");
                    if !retries
                        .wait_for_rate_limit(wait, &why, self.notice.as_ref())
                        .await
                    {
                        return Err(fail(ArmErrorKind::RateLimited { retry_after: wait }));
                    }
                }
                500..=599 => {
                    if retries
                        .retry_later(
                            &format!("{request}: Azure Resource Manager answered {status}"),
                            self.notice.as_ref(),
                        )
                        .await
                    {
                        continue;
                    }
                    return Err(fail(ArmErrorKind::Server {
                        status,
                        attempts: retries.attempts(),
                        message,
                    }));
                }
                _ => return Err(fail(ArmErrorKind::Http { status, message })),
            }
        }
    }
}

fn describe(method: Method, path: &str) -> String {
    let verb = match method {
        Method::Get => "GET",
        Method::Post => "POST",
    };
    // A nextLink carries a query (a skip token, no secret); keep the path only.
    let path = path.split('?').next().unwrap_or(path);
    format!("{verb} {path}")
}

/// ARM's error body: `{"error": {"code": …, "message": …}}`; code and message, shortened.
async fn error_message(response: reqwest::Response) -> Option<String> {
    let body = response.bytes().await.ok()?;
    let parsed: ErrorResponse = serde_json::from_slice(&body).ok()?;
    let detail = parsed.error?;
    let text = match (detail.code, detail.message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        (None, Some(message)) => message,
        (None, None) => return None,
    };
    Some(text.chars().take(400).collect())
}

/// A path segment: RFC 3986 unreserved characters stay as they are.
fn utf8_percent_encode(segment: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

fn linker_from(resource: LinkerResource) -> DeployedLinker {
    let properties = resource.properties;
    DeployedLinker::from_raw(
        resource.name,
        properties.client_type,
        properties.auth_info.and_then(|a| a.auth_type),
        properties.target_service.and_then(|t| t.id.or(t.endpoint)),
        properties
            .configuration_info
            .and_then(|c| c.customized_keys)
            .map(|keys| keys.into_iter().collect())
            .unwrap_or_default(),
        properties.secret_store.and_then(|s| s.key_vault_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_shapes_without_values() {
        // Shapes of the REST reference's examples (LinkerList.json, GetConfigurations.json).
        let list: LinkerList = serde_json::from_str(
            r#"{"value":[{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/a/providers/Microsoft.ServiceLinker/linkers/pg",
            "name":"pg","type":"Microsoft.ServiceLinker/linkers",
            "properties":{"authInfo":{"authType":"secret","name":"app","secretInfo":{"secretType":"rawValue","value":"hunter2"}},
            "clientType":"springBoot","targetService":{"type":"AzureResource","id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/db/databases/app"},
            "secretStore":{"keyVaultId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv"},
            "configurationInfo":{"customizedKeys":{"AZURE_POSTGRESQL_HOST":"PGHOST"}}}}],"nextLink":null}"#,
        )
        .unwrap();
        let linker = linker_from(list.value.into_iter().next().unwrap());
        assert_eq!(
            linker.client_type,
            Some(crate::catalogue::ClientType::SpringBoot)
        );
        assert_eq!(linker.auth, Some(crate::catalogue::AuthType::Secret));
        assert_eq!(
            linker.target,
            Some(crate::catalogue::Target::AzurePostgresql)
        );
        assert_eq!(
            linker.customized_keys,
            vec![("AZURE_POSTGRESQL_HOST".into(), "PGHOST".into())]
        );
        assert!(linker.key_vault_id.is_some());
        assert!(!format!("{linker:?}").contains("hunter2"));

        let result: ConfigurationResult = serde_json::from_str(
            r#"{"configurations":[{"name":"AZURE_POSTGRESQL_HOST","value":"db.postgres.database.azure.com","configType":"Default"},
            {"name":"AZURE_POSTGRESQL_PASSWORD","value":"@Microsoft.KeyVault(SecretUri=x)","configType":"KeyVaultSecret","keyVaultReferenceIdentity":"system"}]}"#,
        )
        .unwrap();
        let kinds: Vec<(String, Option<String>)> = result
            .configurations
            .into_iter()
            .map(|c| (c.name, c.config_type))
            .collect();
        assert_eq!(
            kinds[1],
            (
                "AZURE_POSTGRESQL_PASSWORD".into(),
                Some("KeyVaultSecret".into())
            )
        );

        let settings: StringDictionary = serde_json::from_str(
            r#"{"id":"x","name":"appsettings","properties":{"A":"1","B":"secret","C":" @microsoft.keyvault(VaultName=kv;SecretName=pg)","D":null}}"#,
        )
        .unwrap();
        let flags: Vec<(String, bool)> = settings
            .properties
            .into_iter()
            .map(|(name, flag)| (name, flag.0))
            .collect();
        assert_eq!(
            flags,
            [
                ("A".to_string(), false),
                ("B".to_string(), false),
                ("C".to_string(), true),
                ("D".to_string(), false)
            ]
        );
    }

    /// The token goes only where it was meant to: a `nextLink` on another origin (scheme, host
    /// or port) is refused with the reason, one on the ARM origin is followed as given.
    #[test]
    fn a_next_link_to_another_origin_is_not_followed() {
        let client = ArmClient::new(
            Url::parse(DEFAULT_ARM_URL).unwrap(),
            reqwest::Client::new(),
            Secret::new("token-not-for-others"),
        );
        let same = client
            .same_origin("https://management.azure.com/subscriptions/s/providers/Microsoft.ServiceLinker/linkers?api-version=2024-04-01&$skipToken=2")
            .unwrap();
        assert_eq!(same.query(), Some("api-version=2024-04-01&$skipToken=2"));
        for other in [
            "https://arm.example.com/next",
            "http://management.azure.com/next",
            "https://management.azure.com:8443/next",
        ] {
            let error = client.same_origin(other).unwrap_err();
            assert_eq!(error.request, "GET nextLink");
            let text = error.to_string();
            assert!(text.contains("not following it with the token"), "{text}");
            assert!(!text.contains("token-not-for-others"), "{text}");
        }
        let error = client.same_origin("not a url").unwrap_err();
        assert!(
            error.to_string().contains("nextLink is not a URL"),
            "{error}"
        );
    }

    #[test]
    fn forbidden_names_the_permission() {
        let error = ArmError {
            request: "POST /x/listConfigurations".into(),
            kind: ArmErrorKind::Forbidden {
                message: Some("AuthorizationFailed: no".into()),
                operation: Operation::ListConfigurations,
            },
        };
        let text = error.to_string();
        assert!(text.contains(LIST_CONFIGURATIONS_PERMISSION), "{text}");
        assert!(text.contains("AuthorizationFailed"), "{text}");
    }
}

//! A local Azure Resource Manager for `check --azure`: the ServiceLinker linkers list and
//! listConfigurations, App Service app settings, Container Apps GET, with errors on demand
//! (401, 403, 404, 429 with Retry-After, 500), behind local token endpoints for each
//! credential kind (client secret, client assertion, managed identity through `IDENTITY_ENDPOINT`
//! and through the instance metadata service). On 127.0.0.1, stopped on drop. Shapes follow the
//! REST reference's examples (servicelinker stable 2024-04-01) and, for IMDS, Microsoft Entra's
//! "How to use managed identities … on an Azure VM to acquire an access token" (api-version
//! 2018-02-01, `Metadata: true`, errors as `{"error", "error_description"}`).

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "arm-test-token-5d1f";
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
pub const TENANT: &str = "tenant-1";
pub const CLIENT_ID: &str = "client-1";
pub const CLIENT_SECRET: &str = "sp-secret-value-9c2e";
pub const FEDERATED_TOKEN: &str = "federated-assertion-7a41";
pub const IDENTITY_HEADER: &str = "identity-header-3b8c";
/// The one user-assigned identity the emulated machine has (IMDS `client_id`); a request with
/// no `client_id` gets the system-assigned one.
pub const IMDS_CLIENT_ID: &str = "mi-client-9f0a";
/// IMDS's token path (the emulator's URL is the `AZURE_POD_IDENTITY_AUTHORITY_HOST`).
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Form fields of token requests, secrets removed.
    pub form: HashMap<String, String>,
    /// The `Metadata` header (IMDS), if sent.
    pub metadata: Option<String>,
}

/// One app in the emulator.
#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub container_app: bool,
    pub linkers: Vec<Value>,
    /// linker name → `configurations` array.
    pub configurations: HashMap<String, Value>,
    /// App setting (or container env) names and values.
    pub settings: Vec<(String, String)>,
    /// Linkers per page of Linker_List (0: all on one page); further pages are `nextLink`s
    /// with a `$skipToken`, as ARM pages.
    pub linker_page_size: usize,
}

impl App {
    pub fn site(subscription: &str, group: &str, name: &str) -> App {
        App {
            id: format!(
                "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Web/sites/{name}"
            ),
            container_app: false,
            linkers: Vec::new(),
            configurations: HashMap::new(),
            settings: Vec::new(),
            linker_page_size: 0,
        }
    }

    pub fn container_app(subscription: &str, group: &str, name: &str) -> App {
        App {
            id: format!(
                "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.App/containerApps/{name}"
            ),
            container_app: true,
            ..App::site(subscription, group, name)
        }
    }

    /// Adds a linker with its configurations (name, value, configType).
    pub fn linker(
        mut self,
        name: &str,
        properties: Value,
        configurations: &[(&str, &str, &str)],
    ) -> App {
        self.linkers.push(json!({
            "id": format!("{}/providers/Microsoft.ServiceLinker/linkers/{name}", self.id),
            "name": name,
            "type": "Microsoft.ServiceLinker/linkers",
            "properties": properties,
        }));
        let items: Vec<Value> = configurations
            .iter()
            .map(|(n, v, t)| json!({"name": n, "value": v, "configType": t}))
            .collect();
        self.configurations
            .insert(name.to_string(), Value::Array(items));
        self
    }

    /// Serves the linkers `size` per page.
    pub fn paged(mut self, size: usize) -> App {
        self.linker_page_size = size;
        self
    }

    pub fn setting(mut self, name: &str, value: &str) -> App {
        self.settings.push((name.to_string(), value.to_string()));
        self
    }
}

/// A canned failure: the next request whose path contains `path_part` gets `status`.
#[derive(Debug, Clone)]
pub struct Failure {
    pub path_part: String,
    pub status: u16,
    pub retry_after: Option<String>,
    /// How many requests it answers (then the route works again).
    pub times: usize,
}

struct Shared {
    apps: Vec<App>,
    failures: Mutex<Vec<Failure>>,
    requests: Mutex<Vec<Recorded>>,
}

pub struct ArmEmulator {
    server: super::http::LocalServer,
    shared: Arc<Shared>,
}

fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn entra_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": "invalid_client", "error_description": message})),
    )
        .into_response()
}

fn token_response() -> Response {
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "access_token": TOKEN,
    }))
    .into_response()
}

fn imds_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// IMDS's token endpoint: `Metadata: true` required (the probe without it gets its 400 before
/// any canned failure), api-version 2018-02-01, ARM's resource, no `client_id` or
/// [`IMDS_CLIENT_ID`]; canned failures whose `path_part` is in [`IMDS_PATH`] apply to requests
/// with the header (a canned 404 answers plain text, as a metadata service that is not Azure's
/// would). Answers as the document's sample, strings for the numbers.
fn imds(shared: &Shared, params: &HashMap<String, String>, headers: &HeaderMap) -> Response {
    if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "bad_request_102",
            "Required metadata header not specified",
        );
    }
    {
        let mut failures = shared.failures.lock().unwrap();
        if let Some(failure) = failures
            .iter_mut()
            .find(|f| f.times > 0 && IMDS_PATH.contains(&f.path_part))
        {
            failure.times -= 1;
            let status = StatusCode::from_u16(failure.status).unwrap();
            let mut response = match failure.status {
                // Not IMDS's JSON: what another cloud's metadata service answers an unknown path.
                404 => (status, "404 - Not Found").into_response(),
                403 => imds_error(
                    status,
                    "access_denied",
                    "The resource owner or authorization server denied the request.",
                ),
                429 => imds_error(status, "too_many_requests", "Too many requests."),
                _ => imds_error(
                    status,
                    "unknown",
                    "Failed to retrieve token from the Active directory.",
                ),
            };
            if let Some(wait) = &failure.retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", wait.parse().unwrap());
            }
            return response;
        }
    }
    if params.get("api-version").map(String::as_str) != Some("2018-02-01")
        || params.get("resource").map(String::as_str) != Some("https://management.azure.com/")
    {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "wrong api-version or resource",
        );
    }
    if params
        .get("client_id")
        .is_some_and(|id| id != IMDS_CLIENT_ID)
    {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    }
    axum::Json(json!({
        "access_token": TOKEN,
        "refresh_token": "",
        "expires_in": "3599",
        "expires_on": "1506484173",
        "not_before": "1506480273",
        "resource": "https://management.azure.com/",
        "token_type": "Bearer",
    }))
    .into_response()
}

async fn handle(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let mut form: HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let full_form = form.clone();
    form.remove("client_secret");
    form.remove("client_assertion");
    shared.requests.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        form,
        metadata: headers
            .get("metadata")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });

    // Token endpoints.
    if path == IMDS_PATH {
        return imds(&shared, &params, &headers);
    }
    if path == "/msi/token" {
        if headers
            .get("x-identity-header")
            .and_then(|v| v.to_str().ok())
            != Some(IDENTITY_HEADER)
        {
            return entra_error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong X-IDENTITY-HEADER",
            );
        }
        if params.get("resource").map(String::as_str) != Some("https://management.azure.com/")
            || params.get("api-version").map(String::as_str) != Some("2019-08-01")
        {
            return entra_error(StatusCode::BAD_REQUEST, "wrong resource or api-version");
        }
        return token_response();
    }
    if let Some(tenant) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/oauth2/v2.0/token"))
    {
        if tenant != TENANT || full_form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "AADSTS700016: Application not found in the directory.",
            );
        }
        if full_form.get("scope").map(String::as_str) != Some(ARM_SCOPE)
            || full_form.get("grant_type").map(String::as_str) != Some("client_credentials")
        {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "AADSTS70011: The provided scope is not valid.",
            );
        }
        let secret_ok = full_form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
        let assertion_ok = full_form.get("client_assertion").map(String::as_str)
            == Some(FEDERATED_TOKEN)
            && full_form.get("client_assertion_type").map(String::as_str)
                == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        if !(secret_ok || assertion_ok) {
            return entra_error(
                StatusCode::UNAUTHORIZED,
                "AADSTS7000215: Invalid client secret provided.",
            );
        }
        return token_response();
    }

    // ARM.
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return arm_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    {
        let mut failures = shared.failures.lock().unwrap();
        if let Some(failure) = failures
            .iter_mut()
            .find(|f| f.times > 0 && path.contains(&f.path_part))
        {
            failure.times -= 1;
            let status = StatusCode::from_u16(failure.status).unwrap();
            let mut response = match failure.status {
                403 => arm_error(
                    status,
                    "AuthorizationFailed",
                    &format!(
                        "The client '{CLIENT_ID}' does not have authorization to perform this action over scope '{path}'."
                    ),
                ),
                429 => arm_error(status, "TooManyRequests", "Too many requests."),
                _ => arm_error(status, "InternalServerError", "Something went wrong."),
            };
            if let Some(wait) = &failure.retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", wait.parse().unwrap());
            }
            return response;
        }
    }
    let api_version = params.get("api-version").cloned().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let Some(app) = shared
        .apps
        .iter()
        .find(|a| lower.starts_with(&a.id.to_ascii_lowercase()))
        .filter(|a| {
            let rest = &lower[a.id.len()..];
            rest.is_empty() || rest.starts_with('/')
        })
    else {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The Resource was not found.",
        );
    };
    let rest = &path[app.id.len()..];
    let linkers_prefix = "/providers/Microsoft.ServiceLinker/linkers";
    if rest.is_empty() && method == Method::GET {
        let expected = if app.container_app {
            "2025-01-01"
        } else {
            "2024-04-01"
        };
        if api_version != expected {
            return arm_error(StatusCode::BAD_REQUEST, "InvalidApiVersion", &api_version);
        }
        if app.container_app {
            let env: Vec<Value> = app
                .settings
                .iter()
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect();
            return axum::Json(json!({
                "id": app.id, "name": "app", "type": "Microsoft.App/containerApps",
                "properties": {"template": {"containers": [{"name": "main", "image": "x", "env": env}]}}
            }))
            .into_response();
        }
        return axum::Json(
            json!({"id": app.id, "name": "app", "type": "Microsoft.Web/sites", "properties": {}}),
        )
        .into_response();
    }
    if rest == "/config/appsettings/list" && method == Method::POST && !app.container_app {
        if api_version != "2024-04-01" {
            return arm_error(StatusCode::BAD_REQUEST, "InvalidApiVersion", &api_version);
        }
        let properties: serde_json::Map<String, Value> = app
            .settings
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        return axum::Json(json!({"id": format!("{}/config/appsettings", app.id), "name": "appsettings", "properties": properties}))
            .into_response();
    }
    if let Some(tail) = rest.strip_prefix(linkers_prefix) {
        if api_version != "2024-04-01" {
            return arm_error(StatusCode::BAD_REQUEST, "InvalidApiVersion", &api_version);
        }
        if tail.is_empty() && method == Method::GET {
            if app.linker_page_size == 0 {
                return axum::Json(json!({"value": app.linkers, "nextLink": null})).into_response();
            }
            let skip: usize = params
                .get("$skipToken")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let end = (skip + app.linker_page_size).min(app.linkers.len());
            let page = &app.linkers[skip.min(end)..end];
            let next = (end < app.linkers.len()).then(|| {
                let host = headers
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("127.0.0.1");
                format!("http://{host}{path}?api-version={api_version}&$skipToken={end}")
            });
            return axum::Json(json!({"value": page, "nextLink": next})).into_response();
        }
        if let Some(configurations) = tail
            .strip_prefix('/')
            .and_then(|t| t.strip_suffix("/listConfigurations"))
            .filter(|_| method == Method::POST)
            .and_then(|name| app.configurations.get(name))
        {
            return axum::Json(json!({"configurations": configurations})).into_response();
        }
    }
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "The Resource was not found.",
    )
}

impl ArmEmulator {
    pub fn start(apps: Vec<App>, failures: Vec<Failure>) -> ArmEmulator {
        let shared = Arc::new(Shared {
            apps,
            failures: Mutex::new(failures),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        ArmEmulator {
            server: super::http::LocalServer::start(app),
            shared,
        }
    }

    /// The ARM base URL and the authority (`AZURE_AUTHORITY_HOST`): the same server.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    pub fn identity_endpoint(&self) -> String {
        format!("{}/msi/token", self.url())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

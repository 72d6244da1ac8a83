//! An Azure Resource Manager token, found the way Azure's own tools look for one
//! (DefaultAzureCredential's order, minus the interactive and IDE steps):
//!
//! 1. client secret: `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`;
//! 2. workload identity (GitHub Actions OIDC, AKS): `AZURE_FEDERATED_TOKEN_FILE` with
//!    `AZURE_TENANT_ID` + `AZURE_CLIENT_ID`, the file's token sent as a client assertion;
//! 3. managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service / Container Apps
//!    protocol, api-version 2019-08-01, the same as test-connection), `AZURE_CLIENT_ID` for a
//!    user-assigned identity;
//! 4. managed identity through the Azure Instance Metadata Service (IMDS: VMs, scale sets, AKS
//!    nodes, VM-based CI runners): `GET {IMDS}/metadata/identity/oauth2/token?api-version=2018-02-01
//!    &resource=https://management.azure.com/[&client_id=AZURE_CLIENT_ID]` with `Metadata: true`
//!    (Microsoft Entra "How to use managed identities for Azure resources on an Azure VM to
//!    acquire an access token"). `{IMDS}` is `http://169.254.169.254`, or
//!    `AZURE_POD_IDENTITY_AUTHORITY_HOST` as azure-identity (Python) honours it. Off Azure nothing
//!    listens there, so — as azure-identity does — a probe comes first: the token URL without
//!    the `Metadata` header (IMDS rejects it at once with 400), bounded by [`IMDS_PROBE_TIMEOUT`]
//!    (1 s, Azure.Identity's `ImdsAvailableTimeoutMs`); no answer in time, a refused or
//!    unroutable connection → IMDS is absent and the chain goes on. A 400 to the token request
//!    (no identity assigned, or not the one `AZURE_CLIENT_ID` names) also goes on, as
//!    azure-identity's `CredentialUnavailableError`, and so does an answer that is not IMDS's
//!    JSON (another service at the address, as azidentity for Go judges it); any other failure
//!    stops the chain with its reason. 404/410/429/5xx and timeouts are retried (the
//!    document's retry guidance);
//! 5. the Azure CLI: `az account get-access-token --resource https://management.azure.com/`
//!    when `az` is on PATH.
//!
//! Entra's token endpoint is `{AZURE_AUTHORITY_HOST}/{tenant}/oauth2/v2.0/token` (default
//! `https://login.microsoftonline.com`), scope `https://management.azure.com/.default`.
//! Tokens and secrets are [`Secret`]s: `****` in Display and Debug, never in an error.

use crate::neon::Secret;
use crate::neon::oidc::describe_reqwest_error;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The scope of an ARM token (client credentials flows).
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// The resource of an ARM token (managed identity, Azure CLI).
pub const ARM_RESOURCE: &str = "https://management.azure.com/";
/// The default Entra authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// `client_assertion_type` for a federated token (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The Azure Instance Metadata Service (link-local, reachable only from inside Azure).
pub const IMDS_AUTHORITY: &str = "http://169.254.169.254";
/// The managed identity token path under IMDS.
pub const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";
/// The IMDS api-version Microsoft's document and azure-identity use.
pub const IMDS_API_VERSION: &str = "2018-02-01";
/// Overrides [`IMDS_AUTHORITY`] (azure-identity's name; AKS pod identity, tests).
pub const IMDS_AUTHORITY_VARIABLE: &str = "AZURE_POD_IDENTITY_AUTHORITY_HOST";
/// How long the probe waits for IMDS to answer at all (connect and first answer).
pub const IMDS_PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one token request to an IMDS that answered the probe may take (IMDS may ask Entra).
const IMDS_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Which credential was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: Secret,
    },
    WorkloadIdentity {
        tenant_id: String,
        client_id: String,
        token_file: PathBuf,
    },
    ManagedIdentity {
        endpoint: String,
        header: Secret,
        client_id: Option<String>,
    },
    /// Managed identity through IMDS (`endpoint` is the full token URL).
    Imds {
        endpoint: String,
        client_id: Option<String>,
    },
    AzureCli {
        program: PathBuf,
    },
}

impl Credential {
    /// What it is, for messages: "client secret (AZURE_CLIENT_ID …)".
    pub fn describe(&self) -> String {
        match self {
            Credential::ClientSecret { client_id, .. } => {
                format!("service principal {client_id} (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET)")
            }
            Credential::WorkloadIdentity { client_id, .. } => {
                format!("workload identity {client_id} (AZURE_FEDERATED_TOKEN_FILE)")
            }
            Credential::ManagedIdentity { client_id, .. } => match client_id {
                Some(id) => format!("user-assigned managed identity {id} (IDENTITY_ENDPOINT)"),
                None => "managed identity (IDENTITY_ENDPOINT)".to_string(),
            },
            Credential::Imds { client_id, .. } => match client_id {
                Some(id) => format!(
                    "user-assigned managed identity {id} (instance metadata service, AZURE_CLIENT_ID)"
                ),
                None => "managed identity (instance metadata service)".to_string(),
            },
            Credential::AzureCli { .. } => "the Azure CLI's sign-in (az login)".to_string(),
        }
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or AZURE_FEDERATED_TOKEN_FILE with AZURE_TENANT_ID and AZURE_CLIENT_ID (workload identity, e.g. azure/login in GitHub Actions), run inside an app or on a VM with a managed identity, or install the Azure CLI and run `az login` (the instance metadata service {imds})"
    )]
    NotFound {
        /// Why IMDS gave no token: "at <url> did not answer within 1 s", ….
        imds: String,
    },
    #[error("{variable} is not an http(s) URL: {value}")]
    BadUrl {
        variable: &'static str,
        value: String,
    },
    /// IMDS answered but gave no token; `problem` says what it answered and what to do.
    #[error("the instance metadata service (IMDS) at {endpoint} {problem}")]
    Imds { endpoint: String, problem: String },
    #[error(
        "{variable} is set but {missing} is not: the {what} credential needs both (unset {variable} to use the next credential)"
    )]
    Incomplete {
        variable: &'static str,
        missing: &'static str,
        what: &'static str,
    },
    #[error("cannot read AZURE_FEDERATED_TOKEN_FILE {path}: {reason}")]
    TokenFile { path: String, reason: String },
    #[error("the token endpoint {endpoint} refused the {credential}: {detail}")]
    Rejected {
        endpoint: String,
        credential: String,
        detail: String,
    },
    #[error("cannot reach the token endpoint {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error(
        "`az account get-access-token` failed: {detail}; run `az login` (and `az account set --subscription …`)"
    )]
    AzureCli { detail: String },
}

/// Settings of the credential chain, from the environment.
#[derive(Debug, Clone)]
pub struct CredentialSettings {
    pub authority: String,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub federated_token_file: Option<PathBuf>,
    pub identity_endpoint: Option<String>,
    pub identity_header: Option<Secret>,
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST`, unchecked (see [`CredentialSettings::imds_endpoint`]).
    pub imds_authority: Option<String>,
    /// `az` on PATH.
    pub azure_cli: Option<PathBuf>,
}

impl CredentialSettings {
    /// From any variable lookup (the process environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> CredentialSettings {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        CredentialSettings {
            authority: get("AZURE_AUTHORITY_HOST").unwrap_or_else(|| DEFAULT_AUTHORITY.into()),
            tenant_id: get("AZURE_TENANT_ID"),
            client_id: get("AZURE_CLIENT_ID"),
            client_secret: lookup("AZURE_CLIENT_SECRET")
                .filter(|v| !v.is_empty())
                .map(Secret::new),
            federated_token_file: get("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from),
            identity_endpoint: get("IDENTITY_ENDPOINT"),
            identity_header: lookup("IDENTITY_HEADER")
                .filter(|v| !v.is_empty())
                .map(Secret::new),
            imds_authority: get(IMDS_AUTHORITY_VARIABLE),
            azure_cli: get("PATH").and_then(|path| find_program(&path, "az")),
        }
    }

    pub fn from_env() -> CredentialSettings {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The first credential of the chain whose variables are set (client secret, workload
    /// identity, App Service managed identity); `None` when none is, and IMDS and `az` are next.
    pub fn configured(&self) -> Result<Option<Credential>, CredentialError> {
        if let Some(secret) = &self.client_secret {
            let (tenant_id, client_id) =
                self.tenant_and_client("AZURE_CLIENT_SECRET", "client secret")?;
            return Ok(Some(Credential::ClientSecret {
                tenant_id,
                client_id,
                client_secret: secret.clone(),
            }));
        }
        if let Some(file) = &self.federated_token_file {
            let (tenant_id, client_id) =
                self.tenant_and_client("AZURE_FEDERATED_TOKEN_FILE", "workload identity")?;
            return Ok(Some(Credential::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file: file.clone(),
            }));
        }
        if let (Some(endpoint), Some(header)) = (&self.identity_endpoint, &self.identity_header) {
            return Ok(Some(Credential::ManagedIdentity {
                endpoint: endpoint.clone(),
                header: header.clone(),
                client_id: self.client_id.clone(),
            }));
        }
        Ok(None)
    }

    /// The IMDS token URL: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (an authority, as azure-identity
    /// reads it) or 169.254.169.254, plus the token path.
    pub fn imds_endpoint(&self) -> Result<String, CredentialError> {
        let authority = match &self.imds_authority {
            Some(value) => {
                let bad = || CredentialError::BadUrl {
                    variable: IMDS_AUTHORITY_VARIABLE,
                    value: value.clone(),
                };
                let url = url::Url::parse(value).map_err(|_| bad())?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(bad());
                }
                value.trim_end_matches('/').to_string()
            }
            None => IMDS_AUTHORITY.to_string(),
        };
        Ok(format!("{authority}{IMDS_TOKEN_PATH}"))
    }

    fn tenant_and_client(
        &self,
        variable: &'static str,
        what: &'static str,
    ) -> Result<(String, String), CredentialError> {
        let tenant = self.tenant_id.clone().ok_or(CredentialError::Incomplete {
            variable,
            missing: "AZURE_TENANT_ID",
            what,
        })?;
        let client = self.client_id.clone().ok_or(CredentialError::Incomplete {
            variable,
            missing: "AZURE_CLIENT_ID",
            what,
        })?;
        Ok((tenant, client))
    }
}

/// `name` in one of PATH's folders.
pub fn find_program(path: &str, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path).find_map(|dir| {
        let candidate = dir.join(name);
        is_executable(&candidate).then_some(candidate)
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
}

/// `az account get-access-token --output json` (only the field we need).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzTokenResponse {
    access_token: String,
}

/// Fetches an ARM token with `credential`.
pub async fn arm_token(
    credential: &Credential,
    settings: &CredentialSettings,
    http: &reqwest::Client,
) -> Result<Secret, CredentialError> {
    let authority = settings.authority.trim_end_matches('/');
    let (request, endpoint) = match credential {
        Credential::ClientSecret {
            tenant_id,
            client_id,
            client_secret,
        } => {
            let endpoint = format!("{authority}/{tenant_id}/oauth2/v2.0/token");
            let request = http.post(&endpoint).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.expose()),
                ("scope", ARM_SCOPE),
            ]);
            (request, endpoint)
        }
        Credential::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        } => {
            // Read at every use: the platform rotates the file's token.
            let assertion = std::fs::read_to_string(token_file).map_err(|error| {
                CredentialError::TokenFile {
                    path: token_file.display().to_string(),
                    reason: error.to_string(),
                }
            })?;
            let assertion = Secret::new(assertion.trim());
            let endpoint = format!("{authority}/{tenant_id}/oauth2/v2.0/token");
            let request = http.post(&endpoint).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion.expose()),
                ("scope", ARM_SCOPE),
            ]);
            (request, endpoint)
        }
        Credential::ManagedIdentity {
            endpoint,
            header,
            client_id,
        } => {
            let mut query = vec![("resource", ARM_RESOURCE), ("api-version", "2019-08-01")];
            if let Some(client_id) = client_id {
                query.push(("client_id", client_id));
            }
            let request = http
                .get(endpoint)
                .query(&query)
                .header("X-IDENTITY-HEADER", header.expose());
            (request, endpoint.clone())
        }
        Credential::Imds {
            endpoint,
            client_id,
        } => {
            let client = imds_http_client().map_err(|error| CredentialError::Unreachable {
                endpoint: endpoint.clone(),
                reason: describe_reqwest_error(&error),
            })?;
            return imds_token(&client, endpoint, client_id.as_deref(), None)
                .await
                .map_err(ImdsFailure::into_error);
        }
        Credential::AzureCli { program } => return azure_cli_token(program.clone()).await,
    };
    let response = request
        .send()
        .await
        .map_err(|error| CredentialError::Unreachable {
            endpoint: endpoint.clone(),
            reason: describe_reqwest_error(&error),
        })?;
    let status = response.status();
    if !status.is_success() {
        // Entra's error bodies carry a code and a description (AADSTS…), never what was sent.
        let body = response.text().await.unwrap_or_default();
        let detail = entra_error(&body).unwrap_or_else(|| format!("HTTP {status}"));
        return Err(CredentialError::Rejected {
            endpoint,
            credential: credential.describe(),
            detail,
        });
    }
    let token: TokenResponse =
        response
            .json()
            .await
            .map_err(|error| CredentialError::Rejected {
                endpoint: endpoint.clone(),
                credential: credential.describe(),
                detail: format!(
                    "no access_token in the answer ({})",
                    describe_reqwest_error(&error)
                ),
            })?;
    Ok(Secret::new(token.access_token))
}

/// Walks the chain in order and returns the first credential that gives a token, with it:
/// the configured ones ([`CredentialSettings::configured`]) — whose failure stops the chain —,
/// then IMDS when it answers the probe, then `az`. Waits and retries (IMDS) go to `notice`.
pub async fn chain_token(
    settings: &CredentialSettings,
    http: &reqwest::Client,
    notice: Option<&crate::retry::Notice>,
) -> Result<(Credential, Secret), CredentialError> {
    if let Some(credential) = settings.configured()? {
        let token = arm_token(&credential, settings, http).await?;
        return Ok((credential, token));
    }
    let endpoint = settings.imds_endpoint()?;
    let imds = Credential::Imds {
        endpoint: endpoint.clone(),
        client_id: settings.client_id.clone(),
    };
    let client = imds_http_client().map_err(|error| CredentialError::Unreachable {
        endpoint: endpoint.clone(),
        reason: describe_reqwest_error(&error),
    })?;
    // Why IMDS gave nothing, for the last message when `az` is not there either.
    let unavailable = match probe_imds(&client, &endpoint).await {
        Probe::Answered => {
            match imds_token(&client, &endpoint, settings.client_id.as_deref(), notice).await {
                Ok(token) => return Ok((imds, token)),
                Err(ImdsFailure::Unavailable(error)) => error,
                Err(ImdsFailure::Failed(error)) => return Err(error),
            }
        }
        Probe::Silent(why) => CredentialError::NotFound {
            imds: format!("at {endpoint} {why}"),
        },
    };
    match &settings.azure_cli {
        Some(program) => {
            let credential = Credential::AzureCli {
                program: program.clone(),
            };
            let token = azure_cli_token(program.clone()).await?;
            Ok((credential, token))
        }
        None => Err(unavailable),
    }
}

/// A client for IMDS only: plain HTTP to a link-local address, never through a proxy (IMDS
/// does not support one), a connect bounded by the probe's timeout.
fn imds_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(IMDS_PROBE_TIMEOUT)
        .timeout(IMDS_TOKEN_TIMEOUT)
        .user_agent(concat!("neon-lsp/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Whether anything answers at the IMDS endpoint.
#[derive(Debug, PartialEq, Eq)]
enum Probe {
    Answered,
    /// Nothing answered: "did not answer within 1 s", "refused the connection", ….
    Silent(String),
}

/// The token URL without the `Metadata` header, which IMDS answers at once with a 400 (as
/// azure-identity probes); any HTTP answer within [`IMDS_PROBE_TIMEOUT`] means it is there.
async fn probe_imds(client: &reqwest::Client, endpoint: &str) -> Probe {
    let request = client
        .get(endpoint)
        .query(&[
            ("api-version", IMDS_API_VERSION),
            ("resource", ARM_RESOURCE),
        ])
        .timeout(IMDS_PROBE_TIMEOUT)
        .send();
    // The outer bound also covers a peer that accepts and never speaks.
    match tokio::time::timeout(IMDS_PROBE_TIMEOUT, request).await {
        Ok(Ok(_)) => Probe::Answered,
        Ok(Err(error)) if error.is_timeout() => Probe::Silent(format!(
            "did not answer within {} s",
            IMDS_PROBE_TIMEOUT.as_secs()
        )),
        Ok(Err(error)) => Probe::Silent(format!(
            "could not be reached: {}",
            describe_reqwest_error(&error)
        )),
        Err(_) => Probe::Silent(format!(
            "did not answer within {} s",
            IMDS_PROBE_TIMEOUT.as_secs()
        )),
    }
}

/// How an IMDS token request failed.
#[derive(Debug)]
enum ImdsFailure {
    /// The chain goes on (azure-identity's `CredentialUnavailableError`): a 400 (no identity
    /// here, or not the one asked for), or an answer that is not IMDS's JSON — another service
    /// at that address (another cloud's metadata service, a proxy; Docker Desktop's proxy
    /// answers 403 "unreachable"), as azidentity (Go) treats one.
    Unavailable(CredentialError),
    /// Anything else: the chain stops with it.
    Failed(CredentialError),
}

impl ImdsFailure {
    fn into_error(self) -> CredentialError {
        match self {
            ImdsFailure::Unavailable(error) | ImdsFailure::Failed(error) => error,
        }
    }
}

/// What IMDS's answer `status` (with the body's error description) means, and what to do.
fn imds_problem(
    status: reqwest::StatusCode,
    detail: &str,
    client_id: Option<&str>,
    attempts: u32,
) -> String {
    let code = status.as_u16();
    match code {
        400 => match client_id {
            Some(id) => format!(
                "has no managed identity with client id {id} (AZURE_CLIENT_ID) for this machine (HTTP 400: {detail}); assign that user-assigned identity to the VM, scale set or AKS node pool, or unset AZURE_CLIENT_ID to use the system-assigned identity"
            ),
            None => format!(
                "has no managed identity for this machine (HTTP 400: {detail}); enable the VM's (scale set's, node pool's) system-assigned identity, or assign a user-assigned one and set AZURE_CLIENT_ID to its client id"
            ),
        },
        401 | 403 => format!(
            "refused the token request (HTTP {code}: {detail}); check that the machine has a managed identity (with AKS pod identity, that the pod has an identity binding) and that the request does not pass through a proxy"
        ),
        404 | 410 => format!(
            "answered {code} after {attempts} attempts ({detail}): IMDS is being updated; it is back within about 70 s, so run again"
        ),
        429 => format!(
            "answered 429 after {attempts} attempts ({detail}): IMDS is throttling token requests from this machine; run again shortly"
        ),
        500..=599 => format!(
            "answered {code} after {attempts} attempts ({detail}): the managed identity subsystem or Microsoft Entra ID failed; check that the machine has a managed identity, and run again"
        ),
        _ => format!("refused the token request (HTTP {code}: {detail})"),
    }
}

/// The token request proper: `Metadata: true`, retried on 404/410/429/5xx and timeouts as
/// Microsoft's retry guidance says (429's `Retry-After` honoured, bounded).
async fn imds_token(
    client: &reqwest::Client,
    endpoint: &str,
    client_id: Option<&str>,
    notice: Option<&crate::retry::Notice>,
) -> Result<Secret, ImdsFailure> {
    let mut query = vec![
        ("api-version", IMDS_API_VERSION),
        ("resource", ARM_RESOURCE),
    ];
    if let Some(client_id) = client_id {
        query.push(("client_id", client_id));
    }
    let failed = |problem: String| {
        ImdsFailure::Failed(CredentialError::Imds {
            endpoint: endpoint.to_string(),
            problem,
        })
    };
    let mut retries = crate::retry::Retries::new(crate::retry::RetryPolicy::default());
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let sent = client
            .get(endpoint)
            .query(&query)
            .header("Metadata", "true")
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let why = format!(
                    "the instance metadata service gave no answer ({})",
                    describe_reqwest_error(&error)
                );
                if retries.retry_later(&why, notice).await {
                    continue;
                }
                return Err(failed(format!(
                    "answered the probe but not the token request after {attempts} attempts ({})",
                    describe_reqwest_error(&error)
                )));
            }
        };
        let status = response.status();
        let code = status.as_u16();
        let retry_after = crate::retry::retry_after(response.headers());
        let body = response.text().await.unwrap_or_default();
        // IMDS answers JSON, tokens and errors alike; anything else is another service there.
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
            return Err(not_imds(endpoint, code));
        };
        if status.is_success() {
            return match serde_json::from_value::<TokenResponse>(json) {
                Ok(token) => Ok(Secret::new(token.access_token)),
                Err(_) => Err(failed(format!("answered {code} without an access_token"))),
            };
        }
        let detail = entra_error(&body).unwrap_or_else(|| "no error description".to_string());
        if code == 403 && detail.contains("unreachable") {
            return Err(not_imds(endpoint, code));
        }
        let why = format!("the instance metadata service answered {code}");
        let again = match code {
            429 => retries.wait_for_rate_limit(retry_after, &why, notice).await,
            404 | 410 | 500..=599 => retries.retry_later(&why, notice).await,
            _ => false,
        };
        if again {
            continue;
        }
        let problem = imds_problem(status, &detail, client_id, attempts);
        let error = CredentialError::Imds {
            endpoint: endpoint.to_string(),
            problem,
        };
        return Err(if code == 400 {
            ImdsFailure::Unavailable(error)
        } else {
            ImdsFailure::Failed(error)
        });
    }
}

/// Something other than IMDS answered at `endpoint`: the chain goes on past it.
fn not_imds(endpoint: &str, code: u16) -> ImdsFailure {
    ImdsFailure::Unavailable(CredentialError::NotFound {
        imds: format!(
            "at {endpoint} answered {code} with something that is not its JSON: another service listens there"
        ),
    })
}

fn entra_error(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let description = value
        .get("error_description")
        .or_else(|| value.get("message"))
        .and_then(|v| v.as_str())
        .or_else(|| value.get("error").and_then(|v| v.as_str()))?;
    // The first line holds the AADSTS code and the reason; trace ids follow.
    Some(
        description
            .lines()
            .next()
            .unwrap_or(description)
            .chars()
            .take(300)
            .collect(),
    )
}

async fn azure_cli_token(program: PathBuf) -> Result<Secret, CredentialError> {
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args([
                "account",
                "get-access-token",
                "--resource",
                ARM_RESOURCE,
                "--output",
                "json",
            ])
            .stdin(std::process::Stdio::null())
            .output()
    });
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .map_err(|_| CredentialError::AzureCli {
            detail: "no answer within 60 s".into(),
        })?
        .map_err(|error| CredentialError::AzureCli {
            detail: error.to_string(),
        })?
        .map_err(|error| CredentialError::AzureCli {
            detail: error.to_string(),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .trim();
        return Err(CredentialError::AzureCli {
            detail: format!(
                "{} ({})",
                first.chars().take(300).collect::<String>(),
                output.status
            ),
        });
    }
    let token: AzTokenResponse =
        serde_json::from_slice(&output.stdout).map_err(|error| CredentialError::AzureCli {
            detail: format!(
                "unexpected output: {}",
                crate::neon::token_store::json_problem(&error)
            ),
        })?;
    Ok(Secret::new(token.access_token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> CredentialSettings {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CredentialSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn chain_order() {
        let all = [
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "s3cret"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/tmp/token"),
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi"),
            ("IDENTITY_HEADER", "h"),
        ];
        assert!(matches!(
            settings(&all).configured(),
            Ok(Some(Credential::ClientSecret { .. }))
        ));
        assert!(matches!(
            settings(
                &all[..2]
                    .iter()
                    .chain(&all[3..])
                    .copied()
                    .collect::<Vec<_>>()
            )
            .configured(),
            Ok(Some(Credential::WorkloadIdentity { .. }))
        ));
        match settings(&[all[1], all[4], all[5]]).configured() {
            Ok(Some(Credential::ManagedIdentity { client_id, .. })) => {
                assert_eq!(client_id.as_deref(), Some("c"))
            }
            other => panic!("{other:?}"),
        }
        // Nothing configured: IMDS and `az` come next (they need a probe, `chain_token`).
        assert!(matches!(settings(&[]).configured(), Ok(None)));
        // IDENTITY_ENDPOINT without its header is not the App Service kind: IMDS is next.
        assert!(matches!(settings(&[all[4]]).configured(), Ok(None)));
        let incomplete = settings(&[("AZURE_CLIENT_SECRET", "s3cret"), ("AZURE_CLIENT_ID", "c")])
            .configured()
            .unwrap_err();
        assert!(incomplete.to_string().contains("AZURE_TENANT_ID"));
    }

    #[test]
    fn imds_endpoint_is_the_link_local_address_unless_overridden() {
        assert_eq!(
            settings(&[]).imds_endpoint().unwrap(),
            "http://169.254.169.254/metadata/identity/oauth2/token"
        );
        assert_eq!(
            settings(&[(IMDS_AUTHORITY_VARIABLE, "http://127.0.0.1:8081/")])
                .imds_endpoint()
                .unwrap(),
            "http://127.0.0.1:8081/metadata/identity/oauth2/token"
        );
        let error = settings(&[(IMDS_AUTHORITY_VARIABLE, "169.254.169.254")])
            .imds_endpoint()
            .unwrap_err();
        assert!(
            error.to_string().contains(IMDS_AUTHORITY_VARIABLE),
            "{error}"
        );
    }

    #[test]
    fn imds_problems_say_what_to_do() {
        let status = |code| reqwest::StatusCode::from_u16(code).unwrap();
        let user = imds_problem(status(400), "Identity not found", Some("mi-1"), 1);
        assert!(user.contains("client id mi-1 (AZURE_CLIENT_ID)"), "{user}");
        assert!(user.contains("Identity not found"), "{user}");
        let system = imds_problem(status(400), "Identity not found", None, 1);
        assert!(system.contains("system-assigned identity"), "{system}");
        assert!(imds_problem(status(403), "x", None, 1).contains("proxy"));
        assert!(imds_problem(status(410), "x", None, 4).contains("70 s"));
        let throttled = imds_problem(status(429), "x", None, 4);
        assert!(throttled.contains("after 4 attempts"), "{throttled}");
        assert!(throttled.contains("throttling"), "{throttled}");
        assert!(imds_problem(status(503), "x", None, 4).contains("Microsoft Entra ID"));
    }

    #[test]
    fn secrets_are_masked() {
        let credential = settings(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "s3cret-value"),
        ])
        .configured()
        .unwrap()
        .unwrap();
        assert!(!format!("{credential:?}").contains("s3cret-value"));
        assert!(!credential.describe().contains("s3cret-value"));
        let not_found = CredentialError::NotFound {
            imds: "at http://127.0.0.1:9 did not answer within 1 s".into(),
        };
        assert!(not_found.to_string().contains("az login"));
        assert!(not_found.to_string().contains("did not answer within 1 s"));
    }

    #[tokio::test]
    async fn the_probe_gives_up_on_a_silent_or_closed_endpoint() {
        let client = imds_http_client().unwrap();
        // Accepts (the kernel's backlog) and never speaks.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}{IMDS_TOKEN_PATH}", silent.local_addr().unwrap());
        assert_eq!(
            probe_imds(&client, &url).await,
            Probe::Silent("did not answer within 1 s".into())
        );
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}{IMDS_TOKEN_PATH}", closed.local_addr().unwrap());
        drop(closed);
        match probe_imds(&client, &url).await {
            Probe::Silent(why) => assert!(why.starts_with("could not be reached"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_token_request_that_never_gets_an_answer_is_retried_then_reported() {
        // IMDS answered the probe, then goes silent: each attempt times out (here after 0.2 s).
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}{IMDS_TOKEN_PATH}", silent.local_addr().unwrap());
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = said.clone();
        let notice: crate::retry::Notice =
            std::sync::Arc::new(move |line: &str| log.lock().unwrap().push(line.to_string()));
        let error = imds_token(&client, &url, None, Some(&notice))
            .await
            .unwrap_err()
            .into_error()
            .to_string();
        assert!(
            error.contains("answered the probe but not the token request after 4 attempts"),
            "{error}"
        );
        assert!(error.contains("timed out"), "{error}");
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[0].starts_with("the instance metadata service gave no answer"));
    }

    #[test]
    fn entra_errors_keep_the_first_line() {
        assert_eq!(
            entra_error(r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}"#).as_deref(),
            Some("AADSTS7000215: Invalid client secret provided.\r")
                .map(|s| s.trim_end_matches('\r'))
        );
    }
}

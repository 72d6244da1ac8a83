//! An Azure Resource Manager token, found the way Azure's own tools look for one
//! (DefaultAzureCredential's order, minus the interactive and IDE steps):
//!
//! 1. client secret: `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`;
//! 2. workload identity (GitHub Actions OIDC, AKS): `AZURE_FEDERATED_TOKEN_FILE` with
//!    `AZURE_TENANT_ID` + `AZURE_CLIENT_ID`, the file's token sent as a client assertion;
//! 3. managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service / Container Apps
//!    protocol, api-version 2019-08-01, the same as test-connection), `AZURE_CLIENT_ID` for a
//!    user-assigned identity;
//! 4. the Azure CLI: `az account get-access-token --resource https://management.azure.com/`
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
            Credential::AzureCli { .. } => "the Azure CLI's sign-in (az login)".to_string(),
        }
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no Azure credentials: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or AZURE_FEDERATED_TOKEN_FILE with AZURE_TENANT_ID and AZURE_CLIENT_ID (workload identity, e.g. azure/login in GitHub Actions), run inside an app with a managed identity, or install the Azure CLI and run `az login`"
    )]
    NotFound,
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
            azure_cli: get("PATH").and_then(|path| find_program(&path, "az")),
        }
    }

    pub fn from_env() -> CredentialSettings {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The first credential of the chain whose variables are set.
    pub fn credential(&self) -> Result<Credential, CredentialError> {
        if let Some(secret) = &self.client_secret {
            let (tenant_id, client_id) =
                self.tenant_and_client("AZURE_CLIENT_SECRET", "client secret")?;
            return Ok(Credential::ClientSecret {
                tenant_id,
                client_id,
                client_secret: secret.clone(),
            });
        }
        if let Some(file) = &self.federated_token_file {
            let (tenant_id, client_id) =
                self.tenant_and_client("AZURE_FEDERATED_TOKEN_FILE", "workload identity")?;
            return Ok(Credential::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file: file.clone(),
            });
        }
        if let (Some(endpoint), Some(header)) = (&self.identity_endpoint, &self.identity_header) {
            return Ok(Credential::ManagedIdentity {
                endpoint: endpoint.clone(),
                header: header.clone(),
                client_id: self.client_id.clone(),
            });
        }
        if let Some(program) = &self.azure_cli {
            return Ok(Credential::AzureCli {
                program: program.clone(),
            });
        }
        Err(CredentialError::NotFound)
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
            settings(&all).credential(),
            Ok(Credential::ClientSecret { .. })
        ));
        assert!(matches!(
            settings(
                &all[..2]
                    .iter()
                    .chain(&all[3..])
                    .copied()
                    .collect::<Vec<_>>()
            )
            .credential(),
            Ok(Credential::WorkloadIdentity { .. })
        ));
        match settings(&[all[1], all[4], all[5]]).credential() {
            Ok(Credential::ManagedIdentity { client_id, .. }) => {
                assert_eq!(client_id.as_deref(), Some("c"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(settings(&[]).credential(), Err(CredentialError::NotFound));
        let incomplete = settings(&[("AZURE_CLIENT_SECRET", "s3cret"), ("AZURE_CLIENT_ID", "c")])
            .credential()
            .unwrap_err();
        assert!(incomplete.to_string().contains("AZURE_TENANT_ID"));
    }

    #[test]
    fn secrets_are_masked() {
        let credential = settings(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "s3cret-value"),
        ])
        .credential()
        .unwrap();
        assert!(!format!("{credential:?}").contains("s3cret-value"));
        assert!(!credential.describe().contains("s3cret-value"));
        assert!(CredentialError::NotFound.to_string().contains("az login"));
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

//! Entra tokens for passwordless Azure Database for PostgreSQL, fetched as the app would.
//!
//! Managed identity: `GET $IDENTITY_ENDPOINT?resource=https://ossrdbms-aad.database.windows.net&api-version=2019-08-01`
//! (`&client_id=` for a user-assigned identity) with `X-IDENTITY-HEADER: $IDENTITY_HEADER` — the
//! App Service / Container Apps protocol the Azure identity libraries use (P1, P4). Service
//! principal: client credentials at `<authority>/<tenant>/oauth2/v2.0/token` with the scope
//! `https://ossrdbms-aad.database.windows.net/.default`. The token is used as the password and
//! never shown; errors name the endpoint, not the token or the secret.

use super::{Credential, Failure, FailureKind, Phase, TestOptions};
use crate::catalogue::{TOKEN_RESOURCE, TOKEN_SCOPE};
use crate::connstr::Password;

/// The default Entra authority; override for sovereign clouds or tests.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

fn failure(message: String, next_step: &str) -> Failure {
    Failure {
        kind: FailureKind::Auth,
        phase: Phase::Token,
        sqlstate: None,
        message,
        next_step: next_step.to_owned(),
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
}

pub async fn fetch(credential: &Credential, options: &TestOptions) -> Result<Password, Failure> {
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .build()
        .map_err(|error| failure(format!("cannot start an HTTP client: {error}"), "retry"))?;
    let (request, endpoint) = match credential {
        Credential::Password => {
            return Err(failure(
                "no token is needed for password auth".to_owned(),
                "",
            ));
        }
        Credential::ManagedIdentity { client_id } => {
            let Some((endpoint, header)) = &options.identity_endpoint else {
                return Err(failure(
                    "managed identity needs IDENTITY_ENDPOINT and IDENTITY_HEADER, which App Service and Container Apps set for the app; they are not set here".to_owned(),
                    &format!("run the test inside the app's environment (e.g. the App Service SSH console), or {}", options.audience.password_auth_hint()),
                ));
            };
            let mut query = vec![
                ("resource", TOKEN_RESOURCE.to_owned()),
                ("api-version", "2019-08-01".to_owned()),
            ];
            if let Some(client_id) = client_id {
                query.push(("client_id", client_id.clone()));
            }
            (
                client
                    .get(endpoint)
                    .query(&query)
                    .header("X-IDENTITY-HEADER", header.expose()),
                endpoint.clone(),
            )
        }
        Credential::ServicePrincipal {
            tenant_id,
            client_id,
            client_secret,
        } => {
            let authority = options
                .authority
                .as_deref()
                .unwrap_or(DEFAULT_AUTHORITY)
                .trim_end_matches('/');
            let endpoint = format!("{authority}/{tenant_id}/oauth2/v2.0/token");
            (
                client.post(&endpoint).form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose()),
                    ("scope", TOKEN_SCOPE),
                ]),
                endpoint,
            )
        }
    };
    let response = request.send().await.map_err(|error| {
        failure(
            format!(
                "cannot reach the token endpoint {endpoint}: {}",
                without_url(&error)
            ),
            "check IDENTITY_ENDPOINT / the authority and the network",
        )
    })?;
    let status = response.status();
    if !status.is_success() {
        // Entra's and the identity endpoint's error bodies carry a code and a description,
        // never the secret that was sent.
        let body = response.text().await.unwrap_or_default();
        let detail: String = body.chars().take(300).collect();
        return Err(failure(
            format!("the token endpoint {endpoint} answered {status}: {detail}"),
            match credential {
                Credential::ServicePrincipal { .. } => {
                    "check AZURE_POSTGRESQL_TENANTID, _CLIENTID and _CLIENTSECRET (an expired secret is the usual cause)"
                }
                _ => {
                    "check that the identity is enabled for the app, and AZURE_POSTGRESQL_CLIENTID for a user-assigned one"
                }
            },
        ));
    }
    let token: TokenResponse = response.json().await.map_err(|error| {
        failure(
            format!(
                "the token endpoint {endpoint} sent no access_token: {}",
                without_url(&error)
            ),
            "check that IDENTITY_ENDPOINT / the authority is an Entra token endpoint",
        )
    })?;
    Ok(Password::new(token.access_token))
}

/// reqwest errors print the URL, which for the identity endpoint is fine but may carry query
/// parameters; the endpoint is already named, so keep only the cause.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<endpoint>");
    }
    text
}

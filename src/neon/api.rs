//! The part of the Neon API (`https://console.neon.tech/api/v2`) that `pull` needs: the current
//! user, organizations, projects (cursor-paginated, per organization), branches, databases,
//! roles and the connection URI.
//!
//! Credentials: an API key (`NEON_API_KEY`) when set, otherwise the stored sign-in, refreshed
//! through [`TokenStore`] (once across processes). Failures say which request failed and what to
//! do: 401 → sign in again (after one refresh, in case the token was revoked or rotated away);
//! 403 → which scope the request needs; 429 → wait as long as `Retry-After` says (bounded);
//! 5xx, timeouts and connection errors → a few retries with exponential backoff and jitter.
//! Every request here is a GET, so retrying cannot repeat a change.
//!
//! Not here: choosing among the results (that is [`super::pull`]) or writing anything.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::token_store::{Account, TokenError, TokenStore, json_problem};
use super::{SCOPE_ORGS_READ, SCOPE_PROJECTS_READ, Secret, Settings};

/// Projects per page; Neon accepts 1 to 400.
pub const PROJECTS_PAGE_LIMIT: usize = 100;
/// A guard against a server that keeps handing out cursors.
const MAX_PAGES: usize = 1000;

pub use crate::retry::{Notice, RetryPolicy};
use crate::retry::{Retries, retry_after};

/// The current user (`GET /users/me`); only the fields we show.
#[derive(Debug, Clone, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
}

impl CurrentUser {
    pub fn account(&self) -> Account {
        let name = match (&self.name, &self.last_name) {
            (Some(first), Some(last)) if !last.is_empty() => Some(format!("{first} {last}")),
            (Some(first), _) if !first.is_empty() => Some(first.clone()),
            _ => self.login.clone(),
        };
        Account {
            id: self.id.clone(),
            email: self.email.clone().filter(|email| !email.is_empty()),
            name,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub region_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Branch {
    pub id: String,
    pub name: String,
    /// The project's default branch (older API versions call it `primary`).
    #[serde(default, alias = "primary")]
    pub default: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Database {
    pub name: String,
    #[serde(default)]
    pub owner_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub protected: bool,
}

#[derive(Deserialize)]
struct ProjectResponse {
    project: Project,
}

#[derive(Deserialize)]
struct OrganizationsResponse {
    organizations: Vec<Organization>,
}

#[derive(Deserialize)]
struct ProjectsResponse {
    projects: Vec<Project>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct BranchesResponse {
    branches: Vec<Branch>,
}

#[derive(Deserialize)]
struct DatabasesResponse {
    databases: Vec<Database>,
}

#[derive(Deserialize)]
struct RolesResponse {
    roles: Vec<Role>,
}

#[derive(Deserialize)]
struct ConnectionUriResponse {
    uri: String,
}

/// Neon's general error body.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

/// A failed API request: which one, and what went wrong.
#[derive(Debug)]
pub struct ApiError {
    /// `GET /projects?org_id=…` — the path below the base URL and the query; never a token.
    pub request: String,
    pub kind: ApiErrorKind,
    /// Whether the request went out; not when there were no credentials to send it with.
    pub sent: bool,
}

/// `GET /projects: Neon answered 502 …`; without the request when it was never sent.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sent {
            write!(f, "{}: {}", self.request, self.kind)
        } else {
            write!(f, "{}", self.kind)
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// Whether a user endpoint (`/users/me…`) refused an API key with 401, 403 or 404: the
    /// key is an organization or project-scoped key, which stands for no user.
    pub fn is_not_a_user_key(&self, source: CredentialSource) -> bool {
        source == CredentialSource::ApiKey
            && self.request.starts_with("GET /users/me")
            && matches!(
                self.kind,
                ApiErrorKind::Unauthorized { .. }
                    | ApiErrorKind::Forbidden { .. }
                    | ApiErrorKind::NotFound { .. }
            )
    }

    /// `401`, `403`, `404` … for messages; `None` when no status came back.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ApiErrorKind::Unauthorized { .. } => Some(401),
            ApiErrorKind::Forbidden { .. } => Some(403),
            ApiErrorKind::NotFound { .. } => Some(404),
            ApiErrorKind::RateLimited { .. } => Some(429),
            ApiErrorKind::Server { status, .. } | ApiErrorKind::Http { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiErrorKind {
    #[error("Neon rejected the credentials (401 Unauthorized){}; {hint}", server_suffix(.message))]
    Unauthorized {
        message: Option<String>,
        hint: String,
    },
    #[error("Neon refused the request (403 Forbidden){}; {hint}", server_suffix(.message))]
    Forbidden {
        message: Option<String>,
        /// The scope the request needs, when it needs one.
        scope: Option<&'static str>,
        hint: String,
    },
    #[error("not found (404){}", server_suffix(.message))]
    NotFound { message: Option<String> },
    #[error("{}", rate_limited_message(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error("Neon answered {status} after {attempts} attempts{}", server_suffix(.message))]
    Server {
        status: u16,
        attempts: u32,
        message: Option<String>,
    },
    #[error("Neon answered {status}{}", server_suffix(.message))]
    Http {
        status: u16,
        message: Option<String>,
    },
    #[error("no answer from Neon after {attempts} attempts: {reason}")]
    Unreachable { attempts: u32, reason: String },
    #[error("Neon's answer is not what the API describes: {0}")]
    InvalidResponse(String),
    #[error(transparent)]
    Credentials(#[from] TokenError),
}

impl ApiErrorKind {
    /// Whether signing in again (or fixing the API key) is the way out.
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            ApiErrorKind::Unauthorized { .. }
                | ApiErrorKind::Credentials(
                    TokenError::NotSignedIn { .. } | TokenError::SignInAgain { .. }
                )
        )
    }
}

fn server_suffix(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|text| format!(": {text}"))
        .unwrap_or_default()
}

fn rate_limited_message(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(
            "Neon's rate limit was hit (429 Too Many Requests); it asks to wait {} s before trying again",
            wait.as_secs()
        ),
        None => {
            "Neon's rate limit was hit (429 Too Many Requests) repeatedly; try again in a minute"
                .to_owned()
        }
    }
}

enum Credentials {
    /// An API key, or an access token the caller holds.
    Bearer { token: Secret, is_api_key: bool },
    /// The stored sign-in, refreshed as needed.
    Stored {
        store: TokenStore,
        client_secret: Option<Secret>,
    },
}

/// Where the credentials come from, for `auth status` and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    ApiKey,
    SignIn,
    AccessToken,
}

/// The Neon API client.
pub struct NeonApi {
    base: Url,
    http: reqwest::Client,
    credentials: Credentials,
    retry: RetryPolicy,
    notice: Option<Notice>,
}

impl fmt::Debug for NeonApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NeonApi")
            .field("base", &self.base.as_str())
            .field("credentials", &self.credential_source())
            .finish_non_exhaustive()
    }
}

impl NeonApi {
    /// `NEON_API_KEY` when set, otherwise the stored sign-in.
    pub fn from_settings(settings: &Settings, http: reqwest::Client) -> NeonApi {
        let credentials = match &settings.api_key {
            Some(key) => Credentials::Bearer {
                token: key.clone(),
                is_api_key: true,
            },
            None => Credentials::Stored {
                store: TokenStore::new(&settings.config_dir),
                client_secret: settings.client_secret.clone(),
            },
        };
        NeonApi {
            base: settings.api_url.clone(),
            http,
            credentials,
            retry: RetryPolicy::default(),
            notice: None,
        }
    }

    /// With an access token the caller holds (right after sign-in, before it is stored).
    pub fn with_bearer(base: Url, http: reqwest::Client, token: Secret) -> NeonApi {
        NeonApi {
            base,
            http,
            credentials: Credentials::Bearer {
                token,
                is_api_key: false,
            },
            retry: RetryPolicy::default(),
            notice: None,
        }
    }

    /// Reports waits and retries through `notice` (the CLI prints them, the LSP shows progress).
    pub fn with_notice(mut self, notice: Notice) -> NeonApi {
        self.notice = Some(notice);
        self
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> NeonApi {
        self.retry = retry;
        self
    }

    pub fn credential_source(&self) -> CredentialSource {
        match &self.credentials {
            Credentials::Bearer {
                is_api_key: true, ..
            } => CredentialSource::ApiKey,
            Credentials::Bearer { .. } => CredentialSource::AccessToken,
            Credentials::Stored { .. } => CredentialSource::SignIn,
        }
    }

    pub async fn current_user(&self) -> Result<CurrentUser, ApiError> {
        self.get(&["users", "me"], &[], None).await
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>, ApiError> {
        let response: OrganizationsResponse = self
            .get(
                &["users", "me", "organizations"],
                &[],
                Some(SCOPE_ORGS_READ),
            )
            .await?;
        Ok(response.organizations)
    }

    /// Every project of an organization (`org_id`), or the personal projects (`None`) — the
    /// list holds only personal projects unless `org_id` is passed. Follows the cursor until a
    /// page comes back short.
    pub async fn projects(&self, org_id: Option<&str>) -> Result<Vec<Project>, ApiError> {
        let mut projects: Vec<Project> = Vec::new();
        let mut cursor: Option<String> = None;
        let limit = PROJECTS_PAGE_LIMIT.to_string();
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
            if let Some(org_id) = org_id {
                query.push(("org_id", org_id));
            }
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor));
            }
            let page: ProjectsResponse = self
                .get(&["projects"], &query, Some(SCOPE_PROJECTS_READ))
                .await?;
            let full_page = page.projects.len() >= PROJECTS_PAGE_LIMIT;
            projects.extend(page.projects);
            let next = page
                .pagination
                .and_then(|pagination| pagination.cursor)
                .filter(|next| !next.is_empty());
            match next {
                Some(next) if full_page && cursor.as_ref() != Some(&next) => cursor = Some(next),
                _ => return Ok(projects),
            }
        }
        Ok(projects)
    }

    /// One project by id (`GET /projects/{project_id}`): the only project request a
    /// project-scoped API key may make, and the one that needs no organization.
    pub async fn project(&self, project_id: &str) -> Result<Project, ApiError> {
        let response: ProjectResponse = self
            .get(&["projects", project_id], &[], Some(SCOPE_PROJECTS_READ))
            .await?;
        Ok(response.project)
    }

    /// Tells the user something while the command works (the CLI prints it on stderr, the
    /// language server shows it).
    pub fn notice(&self, text: &str) {
        self.notify(text);
    }

    pub async fn branches(&self, project_id: &str) -> Result<Vec<Branch>, ApiError> {
        let response: BranchesResponse = self
            .get(
                &["projects", project_id, "branches"],
                &[],
                Some(SCOPE_PROJECTS_READ),
            )
            .await?;
        Ok(response.branches)
    }

    pub async fn databases(
        &self,
        project_id: &str,
        branch_id: &str,
    ) -> Result<Vec<Database>, ApiError> {
        let response: DatabasesResponse = self
            .get(
                &["projects", project_id, "branches", branch_id, "databases"],
                &[],
                Some(SCOPE_PROJECTS_READ),
            )
            .await?;
        Ok(response.databases)
    }

    pub async fn roles(&self, project_id: &str, branch_id: &str) -> Result<Vec<Role>, ApiError> {
        let response: RolesResponse = self
            .get(
                &["projects", project_id, "branches", branch_id, "roles"],
                &[],
                Some(SCOPE_PROJECTS_READ),
            )
            .await?;
        Ok(response.roles)
    }

    /// The connection URI for a database and role; it holds the role's password.
    pub async fn connection_uri(
        &self,
        project_id: &str,
        branch_id: &str,
        database: &str,
        role: &str,
        pooled: bool,
    ) -> Result<Secret, ApiError> {
        let pooled = if pooled { "true" } else { "false" };
        let response: ConnectionUriResponse = self
            .get(
                &["projects", project_id, "connection_uri"],
                &[
                    ("branch_id", branch_id),
                    ("database_name", database),
                    ("role_name", role),
                    ("pooled", pooled),
                ],
                Some(SCOPE_PROJECTS_READ),
            )
            .await?;
        Ok(Secret::new(response.uri))
    }

    async fn token(&self) -> Result<Secret, TokenError> {
        match &self.credentials {
            Credentials::Bearer { token, .. } => Ok(token.clone()),
            Credentials::Stored {
                store,
                client_secret,
            } => store.access_token(&self.http, client_secret.as_ref()).await,
        }
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    fn describe(segments: &[&str], query: &[(&str, &str)]) -> String {
        let mut request = format!("GET /{}", segments.join("/"));
        if !query.is_empty() {
            let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request.push('?');
            request.push_str(&pairs.join("&"));
        }
        request
    }

    fn notify(&self, text: &str) {
        if let Some(notice) = &self.notice {
            notice(text);
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        scope: Option<&'static str>,
    ) -> Result<T, ApiError> {
        let request = Self::describe(segments, query);
        let fail = |kind: ApiErrorKind| ApiError {
            request: request.clone(),
            kind,
            sent: true,
        };
        let url = self.url(segments, query);
        let mut token = self.token().await.map_err(|error| ApiError {
            request: request.clone(),
            kind: error.into(),
            sent: false,
        })?;
        let mut retries = Retries::new(self.retry);
        let mut refreshed_after_401 = false;
        loop {
            let sent = self
                .http
                .get(url.clone())
                .bearer_auth(token.expose())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    let reason = super::oidc::describe_reqwest_error(&error);
                    if retries
                        .retry_later(&format!("{request}: {reason}"), self.notice.as_ref())
                        .await
                    {
                        continue;
                    }
                    return Err(fail(ApiErrorKind::Unreachable {
                        attempts: retries.attempts(),
                        reason,
                    }));
                }
            };
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                let body = response.bytes().await.map_err(|error| {
                    fail(ApiErrorKind::InvalidResponse(
                        super::oidc::describe_reqwest_error(&error),
                    ))
                })?;
                return serde_json::from_slice(&body)
                    .map_err(|error| fail(ApiErrorKind::InvalidResponse(json_problem(&error))));
            }
            let retry_after = retry_after(response.headers());
            let message = error_message(response).await;
            match status {
                401 => {
                    if let Credentials::Stored {
                        store,
                        client_secret,
                    } = &self.credentials
                        && !refreshed_after_401
                    {
                        // Revoked or rotated away: one refresh (or another process's new token),
                        // then one more try.
                        refreshed_after_401 = true;
                        token = store
                            .access_token_after_rejection(
                                &self.http,
                                &token,
                                client_secret.as_ref(),
                            )
                            .await
                            .map_err(|error| fail(error.into()))?;
                        continue;
                    }
                    return Err(fail(ApiErrorKind::Unauthorized {
                        message,
                        hint: self.unauthorized_hint(),
                    }));
                }
                403 => {
                    return Err(fail(ApiErrorKind::Forbidden {
                        message,
                        scope,
                        hint: self.forbidden_hint(scope),
                    }));
                }
                404 => return Err(fail(ApiErrorKind::NotFound { message })),
                429 => {
                    let why = format!("{request}: Neon's rate limit was hit");
                    if !retries
                        .wait_for_rate_limit(retry_after, &why, self.notice.as_ref())
                        .await
                    {
                        return Err(fail(ApiErrorKind::RateLimited { retry_after }));
                    }
                }
                500..=599 => {
                    if retries
                        .retry_later(
                            &format!("{request}: Neon answered {status}"),
                            self.notice.as_ref(),
                        )
                        .await
                    {
                        continue;
                    }
                    return Err(fail(ApiErrorKind::Server {
                        status,
                        attempts: retries.attempts(),
                        message,
                    }));
                }
                _ => return Err(fail(ApiErrorKind::Http { status, message })),
            }
        }
    }

    fn unauthorized_hint(&self) -> String {
        match self.credential_source() {
            CredentialSource::ApiKey => format!(
                "check {} (the key may be revoked or mistyped), or unset it and run `neon-lsp auth login`",
                super::env::API_KEY
            ),
            _ => format!(
                "sign in again with `neon-lsp auth login` (the sign-in may have been revoked or expired), or set {}",
                super::env::API_KEY
            ),
        }
    }

    fn forbidden_hint(&self, scope: Option<&'static str>) -> String {
        match (self.credential_source(), scope) {
            (CredentialSource::ApiKey, _) => {
                "the API key has no access to this resource; use a key of the account or organization that owns it".to_owned()
            }
            (_, Some(scope)) => {
                let granted = match &self.credentials {
                    Credentials::Stored { store, .. } => store
                        .load()
                        .ok()
                        .flatten()
                        .map(|session| session.scopes),
                    _ => None,
                };
                let missing = granted
                    .as_ref()
                    .is_some_and(|scopes| !scopes.iter().any(|granted| granted == scope));
                if missing {
                    format!(
                        "the sign-in lacks the scope {scope} this request needs; run `neon-lsp auth login` and grant it"
                    )
                } else {
                    format!(
                        "this request needs the scope {scope} and access to the resource; run `neon-lsp auth login` and grant it, or ask the resource's owner for access"
                    )
                }
            }
            (_, None) => "the account has no access to this resource".to_owned(),
        }
    }
}

/// Neon's `{"code": …, "message": …}`, shortened; plain text bodies are not echoed (they could
/// be anything a proxy returns).
async fn error_message(response: reqwest::Response) -> Option<String> {
    let body = response.bytes().await.ok()?;
    let parsed: ErrorBody = serde_json::from_slice(&body).ok()?;
    let message = parsed.message?.trim().to_owned();
    if message.is_empty() {
        return None;
    }
    Some(if message.chars().count() > 300 {
        let mut short: String = message.chars().take(300).collect();
        short.push('…');
        short
    } else {
        message
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_ids_and_keep_the_base_path() {
        let api = NeonApi::with_bearer(
            Url::parse("http://127.0.0.1:1/api/v2").unwrap(),
            reqwest::Client::new(),
            Secret::new("t"),
        );
        let url = api.url(
            &["projects", "odd/id", "connection_uri"],
            &[("role_name", "a b")],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/api/v2/projects/odd%2Fid/connection_uri?role_name=a+b"
        );
        assert_eq!(
            NeonApi::describe(&["projects"], &[("org_id", "org-1")]),
            "GET /projects?org_id=org-1"
        );
    }

    #[test]
    fn the_debug_form_shows_no_credentials() {
        let api = NeonApi::with_bearer(
            Url::parse("http://127.0.0.1:1/api/v2").unwrap(),
            reqwest::Client::new(),
            Secret::new("napi_secret_value"),
        );
        assert!(!format!("{api:?}").contains("napi_secret_value"));
    }

    #[test]
    fn user_names_combine_first_and_last() {
        let user: CurrentUser = serde_json::from_str(
            r#"{"id":"u1","email":"ada@example.test","name":"Ada","last_name":"Lovelace","login":"ada"}"#,
        )
        .unwrap();
        assert_eq!(user.account().display(), "Ada Lovelace <ada@example.test>");
    }
}

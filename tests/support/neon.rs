//! Real peers for the Neon sign-in and `pull` tests, on 127.0.0.1:
//! - [`OidcProvider`]: the npm package oidc-provider (tests/oidc/provider.mjs), a certified
//!   OpenID provider configured like Neon's: public PKCE client, loopback redirect, refresh
//!   tokens with rotation, revocation, introspection. Stopped on drop.
//! - [`drive_browser`]: what the user does in the browser — sign in and consent (or cancel) on
//!   the provider's interaction pages, over HTTP with a cookie jar — up to the redirect back.
//! - [`NeonApiMock`]: the Neon API endpoints `pull` uses, in the shapes of Neon's public API
//!   reference, with cursor pagination, scope checks, and scripted failures (401, 403, 429 with
//!   Retry-After, 5xx). Access tokens from the provider are opaque, so the mock asks the
//!   provider's introspection endpoint about them, as a resource server would; API keys and
//!   fixed test tokens are accepted from a list. Stopped on drop.
//!   The three kinds of Neon API key: personal keys see everything (as a user does);
//!   organization keys see their organization's projects — `GET /projects` without `org_id`
//!   lists them, as Neon's API reference says — and project-scoped keys only their project.
//!   Neither stands for a user: the user endpoints answer them 404 (organization key) and 403
//!   (project-scoped key); which status Neon sends is not documented, and the client treats
//!   401, 403 and 404 alike. Every exchange is recorded ([`NeonApiMock::exchanges`]) so that
//!   tests/neon_api_schema.rs can check requests and responses against Neon's OpenAPI document.

use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "neon-lsp-test";
pub const INTROSPECTION_ID: &str = "neon-api-mock";
pub const INTROSPECTION_SECRET: &str = "introspection-secret-for-tests";
pub const SCOPE_PROJECTS_READ: &str = "urn:neoncloud:projects:read";
pub const SCOPE_ORGS_READ: &str = "urn:neoncloud:orgs:read";

/// Runs a future to completion on a private runtime (the tests themselves are synchronous).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// Provider options, as environment variables of provider.mjs.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    /// Registered redirect URIs (default: the loopback `http://127.0.0.1/callback`).
    pub redirect_uris: Option<String>,
    /// Milliseconds every token request is held (so two refreshes overlap).
    pub token_delay_ms: Option<u64>,
}

pub struct OidcProvider {
    child: Child,
    stdin: Option<ChildStdin>,
    pub issuer: String,
}

impl OidcProvider {
    /// Starts the provider, or `None` (skip printed; a failure when CI=true) when Node.js or
    /// tests/oidc/node_modules is missing.
    pub fn start(options: ProviderOptions) -> Option<OidcProvider> {
        let node_ok = Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success());
        let installed = oidc_dir()
            .join("node_modules/oidc-provider/package.json")
            .is_file();
        if !node_ok || !installed {
            super::prerequisite_missing(
                "node and tests/oidc/node_modules (run .ci/prereqs/30-oidc-provider.sh: cd tests/oidc && npm ci)",
            );
            return None;
        }
        let mut command = Command::new("node");
        command
            .arg("provider.mjs")
            .current_dir(oidc_dir())
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_INTROSPECTION_ID", INTROSPECTION_ID)
            .env("OIDC_INTROSPECTION_SECRET", INTROSPECTION_SECRET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(uris) = &options.redirect_uris {
            command.env("OIDC_REDIRECT_URIS", uris);
        }
        if let Some(delay) = options.token_delay_ms {
            command.env("OIDC_TOKEN_DELAY_MS", delay.to_string());
        }
        let mut child = command.spawn().expect("start node tests/oidc/provider.mjs");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let announced: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("provider.mjs printed {line:?}"));
        let issuer = announced["issuer"].as_str().unwrap().to_owned();
        // Keep reading, so that anything the provider prints later cannot hit a closed pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        Some(OidcProvider {
            child,
            stdin,
            issuer,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// `{"token_requests": {"refresh_token": n, ...}, "token_errors": {...}}`
    pub fn stats(&self) -> Value {
        block_on(async {
            reqwest::get(self.url("/__test/stats"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }

    pub fn token_requests(&self, grant_type: &str) -> u64 {
        self.stats()["token_requests"][grant_type]
            .as_u64()
            .unwrap_or(0)
    }

    pub fn expire_refresh_tokens(&self) -> u64 {
        let answer: Value = block_on(async {
            reqwest::Client::new()
                .post(self.url("/__test/expire-refresh-tokens"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        answer["expired"].as_u64().unwrap()
    }

    /// Forgets every access token at the provider and nothing else (an access token revoked on
    /// its own); returns how many.
    pub fn drop_access_tokens(&self) -> u64 {
        let answer: Value = block_on(async {
            reqwest::Client::new()
                .post(self.url("/__test/drop-access-tokens"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        answer["dropped"].as_u64().unwrap()
    }

    /// Revokes a token at the provider, as another party (the user in Neon's console) would.
    pub fn revoke(&self, token: &str, hint: &str) {
        let status = block_on(async {
            reqwest::Client::new()
                .post(self.url("/token/revocation"))
                .form(&[
                    ("token", token),
                    ("token_type_hint", hint),
                    ("client_id", CLIENT_ID),
                ])
                .send()
                .await
                .unwrap()
                .status()
        });
        assert!(status.is_success(), "revocation answered {status}");
    }

    /// Whether the provider still considers `token` active (RFC 7662).
    pub fn is_active(&self, token: &str) -> bool {
        block_on(introspect(&self.issuer, token))
            .map(|answer| answer.0)
            .unwrap_or(false)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `(active, scopes)` from the provider's introspection endpoint.
async fn introspect(issuer: &str, token: &str) -> Option<(bool, Vec<String>)> {
    let answer: Value = reqwest::Client::new()
        .post(format!("{issuer}/token/introspection"))
        .basic_auth(INTROSPECTION_ID, Some(INTROSPECTION_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let active = answer["active"].as_bool().unwrap_or(false);
    let scopes = answer["scope"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    Some((active, scopes))
}

/// What the user does on the provider's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Approve,
    /// The "[ Cancel ]" link of the interaction page.
    Deny,
}

/// What the browser ended with.
#[derive(Debug)]
pub enum BrowserEnd {
    /// The provider redirected here (the loopback redirect with code or error); not visited.
    Redirect(String),
    /// The provider showed a page instead of redirecting (an error page), with its status.
    Page(u16, String),
}

/// Follows the authorization URL through the provider's sign-in and consent pages (oidc-provider's
/// development interactions: a login form, a consent form, a cancel link), with a cookie jar,
/// until the provider redirects away from itself.
pub fn drive_browser(authorization_url: &str, account: &str, consent: Consent) -> BrowserEnd {
    block_on(async {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let provider = url::Url::parse(authorization_url).unwrap();
        let origin = provider.origin();
        let mut url = provider.clone();
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..20 {
            let response = match form.take() {
                Some(fields) => client.post(url.clone()).form(&fields).send().await,
                None => client.get(url.clone()).send().await,
            }
            .unwrap();
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                let next = url.join(&location).unwrap();
                if next.origin() != origin {
                    return BrowserEnd::Redirect(next.to_string());
                }
                url = next;
                continue;
            }
            let body = response.text().await.unwrap();
            if status != 200 {
                return BrowserEnd::Page(status, body);
            }
            let attribute = |name: &str, html: &str| -> Option<String> {
                let start = html.find(&format!("{name}=\""))? + name.len() + 2;
                let end = html[start..].find('"')? + start;
                Some(html[start..end].replace("&amp;", "&"))
            };
            let Some(action) = attribute("action", &body) else {
                return BrowserEnd::Page(status, body);
            };
            let prompt = body
                .find("name=\"prompt\"")
                .and_then(|at| attribute("value", &body[at..]))
                .unwrap_or_default();
            if prompt == "consent" && consent == Consent::Deny {
                let cancel = body
                    .find("[ Cancel ]")
                    .and_then(|at| body[..at].rfind("href=\""))
                    .and_then(|at| attribute("href", &body[at..]))
                    .expect("the interaction page has a cancel link");
                url = url.join(&cancel).unwrap();
                continue;
            }
            let mut fields = vec![("prompt".to_owned(), prompt.clone())];
            if prompt == "login" {
                fields.push(("login".to_owned(), account.to_owned()));
                fields.push(("password".to_owned(), "any password".to_owned()));
            }
            url = url.join(&action).unwrap();
            form = Some(fields);
        }
        panic!("the provider never redirected back");
    })
}

/// GETs `url` (delivering a redirect to the CLI's loopback listener) and returns status and page.
pub fn visit(url: &str) -> (u16, String) {
    block_on(async {
        let response = reqwest::get(url).await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    })
}

/// The authorization code a redirect carries: a secret too, which no output may contain.
pub fn code_of(redirect: &str) -> Option<String> {
    url::Url::parse(redirect)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, code)| code.into_owned())
}

/// The stored access and refresh tokens of a token file, which no output may contain.
pub fn tokens_in(token_file: &Path) -> Vec<String> {
    let stored: Value = serde_json::from_slice(&std::fs::read(token_file).unwrap()).unwrap();
    ["access_token", "refresh_token"]
        .iter()
        .filter_map(|key| stored[*key].as_str().map(str::to_owned))
        .collect()
}

/// Asserts that only its owner can read `path` (mode 0600), as a token file must be.
pub fn assert_private_file(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{} has mode {mode:o}", path.display());
    }
}

// ---------------------------------------------------------------------------------------------
// The Neon API mock
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct MockBranch {
    pub id: String,
    pub name: String,
    pub default: bool,
    /// (database name, owner role)
    pub databases: Vec<(String, String)>,
    /// (role name, password)
    pub roles: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct MockProject {
    pub id: String,
    pub name: String,
    pub org_id: Option<String>,
    pub branches: Vec<MockBranch>,
}

#[derive(Debug, Clone)]
pub struct MockData {
    pub organizations: Vec<(String, String)>,
    pub projects: Vec<MockProject>,
}

impl MockData {
    /// A project `app` (id `misty-sun-123456`) in organization org-1 with one branch, one
    /// database and its owner, beside `filler` other projects of that organization (so the list
    /// spans several pages) and one personal project.
    pub fn standard(filler: usize) -> MockData {
        let mut projects = vec![MockProject {
            id: "quiet-lake-100001".into(),
            name: "personal-sandbox".into(),
            org_id: None,
            branches: vec![simple_branch(
                "br-calm-leaf-100001",
                "main",
                "sandbox",
                "sandbox_owner",
                "sandbox-password",
            )],
        }];
        for index in 0..filler {
            let id = format!("filler-proj-{:06}", 200000 + index);
            projects.push(MockProject {
                id: id.clone(),
                name: format!("filler-{index}"),
                org_id: Some("org-bold-sky-12345".into()),
                branches: vec![simple_branch(
                    &format!("br-filler-{index:06}"),
                    "main",
                    "db",
                    "owner",
                    "filler-password",
                )],
            });
        }
        projects.push(MockProject {
            id: "misty-sun-123456".into(),
            name: "app".into(),
            org_id: Some("org-bold-sky-12345".into()),
            branches: vec![
                MockBranch {
                    id: "br-aged-salad-637688".into(),
                    name: "main".into(),
                    default: true,
                    databases: vec![
                        ("appdb".into(), "app_owner".into()),
                        ("analytics".into(), "app_owner".into()),
                    ],
                    roles: vec![
                        ("app_owner".into(), PASSWORD.into()),
                        ("reporting".into(), "reporting-Pa55".into()),
                    ],
                },
                MockBranch {
                    id: "br-sweet-breeze-497520".into(),
                    name: "dev".into(),
                    default: false,
                    databases: vec![("appdb".into(), "app_owner".into())],
                    roles: vec![("app_owner".into(), "dev-branch-Pa55".into())],
                },
            ],
        });
        MockData {
            organizations: vec![
                ("org-bold-sky-12345".into(), "Acme".into()),
                ("org-empty-field-67890".into(), "Side project".into()),
            ],
            projects,
        }
    }
}

/// The `app_owner` password of the standard data; must never appear in any output.
pub const PASSWORD: &str = "npg_Zq8sK2xVb7Lp";

fn simple_branch(id: &str, name: &str, database: &str, owner: &str, password: &str) -> MockBranch {
    MockBranch {
        id: id.into(),
        name: name.into(),
        default: true,
        databases: vec![(database.into(), owner.into())],
        roles: vec![(owner.into(), password.into())],
    }
}

/// A scripted failure: the next `times` requests whose path starts with `path` get `status`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub path: String,
    pub status: u16,
    pub retry_after: Option<String>,
    pub times: usize,
}

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Path below /api/v2 with the query, e.g. `/projects?limit=100&org_id=…`.
    pub target: String,
    pub status: u16,
}

struct Shared {
    data: MockData,
    api_keys: Vec<String>,
    /// Fixed bearer tokens and their scopes.
    tokens: Vec<(String, Vec<String>)>,
    /// The issuer whose introspection endpoint judges other tokens.
    introspect_at: Option<String>,
    /// Organization API keys and their organization.
    org_keys: Vec<(String, String)>,
    /// Project-scoped API keys and their project.
    project_keys: Vec<(String, String)>,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// `{"method", "path", "query": [[k, v]...], "status", "body"}` for every exchange.
    exchanges: Mutex<Vec<Value>>,
}

/// Who a request speaks for.
#[derive(Debug, Clone)]
enum Principal {
    /// A personal API key or a signed-in user's token: every project.
    User,
    /// An organization API key.
    Organization(String),
    /// A project-scoped API key.
    Project(String),
}

pub struct NeonApiMock {
    server: super::http::LocalServer,
    shared: Arc<Shared>,
}

#[derive(Default)]
pub struct MockAuth {
    /// Personal API keys.
    pub api_keys: Vec<String>,
    /// Organization API keys: (key, org id).
    pub org_keys: Vec<(String, String)>,
    /// Project-scoped API keys: (key, project id).
    pub project_keys: Vec<(String, String)>,
    pub tokens: Vec<(String, Vec<String>)>,
    pub introspect_at: Option<String>,
}

fn neon_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"code": "", "message": message}))).into_response()
}

const TIMESTAMP: &str = "2025-01-15T10:30:00Z";

impl Shared {
    /// Records the request, applies scripted faults, checks the bearer and the scope.
    async fn admit(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        scope: Option<&str>,
    ) -> Result<Principal, Response> {
        let target = {
            let path = uri.path().strip_prefix("/api/v2").unwrap_or(uri.path());
            match uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path.to_owned(),
            }
        };
        let record = |status: StatusCode| {
            self.requests.lock().unwrap().push(RecordedRequest {
                target: target.clone(),
                status: status.as_u16(),
            });
        };
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            faults
                .iter_mut()
                .find(|fault| fault.times > 0 && target.starts_with(&fault.path))
                .map(|fault| {
                    fault.times -= 1;
                    fault.clone()
                })
        };
        if let Some(fault) = fault {
            let status = StatusCode::from_u16(fault.status).unwrap();
            record(status);
            let mut response = neon_error(status, "scripted failure");
            if let Some(retry_after) = &fault.retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", retry_after.parse().unwrap());
            }
            return Err(response);
        }
        let bearer = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or("");
        let scoped_key = |keys: &[(String, String)]| {
            keys.iter()
                .find(|(key, _)| key == bearer)
                .map(|(_, id)| id.clone())
        };
        if let Some(org_id) = scoped_key(&self.org_keys) {
            record(StatusCode::OK);
            return Ok(Principal::Organization(org_id));
        }
        if let Some(project_id) = scoped_key(&self.project_keys) {
            record(StatusCode::OK);
            return Ok(Principal::Project(project_id));
        }
        let scopes: Option<Vec<String>> = if self.api_keys.iter().any(|key| key == bearer) {
            None
        } else if let Some((_, scopes)) = self.tokens.iter().find(|(token, _)| token == bearer) {
            Some(scopes.clone())
        } else if let Some(issuer) = &self.introspect_at
            && !bearer.is_empty()
            && let Some((true, scopes)) = introspect(issuer, bearer).await
        {
            Some(scopes)
        } else {
            record(StatusCode::UNAUTHORIZED);
            return Err(neon_error(
                StatusCode::UNAUTHORIZED,
                "authentication required",
            ));
        };
        if let (Some(scopes), Some(required)) = (scopes, scope)
            && !scopes.iter().any(|granted| granted == required)
        {
            record(StatusCode::FORBIDDEN);
            return Err(neon_error(
                StatusCode::FORBIDDEN,
                "the token does not have the required permission",
            ));
        }
        record(StatusCode::OK);
        Ok(Principal::User)
    }

    /// [`Shared::admit`] for a request about one project: also 404 or 403 when the
    /// credentials may not see it.
    async fn admit_to_project(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        project_id: &str,
    ) -> Result<(), Response> {
        let principal = self.admit(headers, uri, Some(SCOPE_PROJECTS_READ)).await?;
        self.visible_project(&principal, project_id).map(|_| ())
    }

    /// The project, when `principal` may see it: `Err` is the 404 or 403 to answer.
    #[allow(clippy::result_large_err)] // the error is the handler's answer, as in axum
    fn visible_project(
        &self,
        principal: &Principal,
        project_id: &str,
    ) -> Result<&MockProject, Response> {
        let project = self
            .project(project_id)
            .ok_or_else(|| not_found("project"))?;
        let allowed = match principal {
            Principal::User => true,
            Principal::Organization(org_id) => project.org_id.as_ref() == Some(org_id),
            Principal::Project(id) => id == project_id,
        };
        if allowed {
            Ok(project)
        } else {
            Err(neon_error(
                StatusCode::FORBIDDEN,
                "the API key has no access to this project",
            ))
        }
    }

    fn project(&self, id: &str) -> Option<&MockProject> {
        self.data.projects.iter().find(|project| project.id == id)
    }

    fn branch(&self, project: &str, branch: &str) -> Option<&MockBranch> {
        self.project(project)?
            .branches
            .iter()
            .find(|known| known.id == branch)
    }
}

fn not_found(what: &str) -> Response {
    neon_error(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

type SharedState = State<Arc<Shared>>;

/// The user endpoints' answer to a key that stands for no user.
fn not_a_user(principal: &Principal) -> Option<Response> {
    match principal {
        Principal::User => None,
        Principal::Organization(_) => Some(not_found("user")),
        Principal::Project(_) => Some(neon_error(
            StatusCode::FORBIDDEN,
            "project-scoped API keys cannot access this endpoint",
        )),
    }
}

async fn current_user(State(shared): SharedState, headers: HeaderMap, uri: Uri) -> Response {
    match shared.admit(&headers, &uri, None).await {
        Ok(principal) => {
            if let Some(refusal) = not_a_user(&principal) {
                return refusal;
            }
        }
        Err(response) => return response,
    }
    Json(json!({
        "active_seconds_limit": 360000,
        "billing_account": {"payment_source": {"type": ""}, "subscription_type": "free",
            "quota_reset_at_last": TIMESTAMP, "email": "ada@example.test", "address_city": "",
            "address_country": "", "address_line1": "", "address_line2": "",
            "address_postal_code": "", "address_state": ""},
        "auth_accounts": [{"email": "ada@example.test", "image": "", "login": "ada",
            "name": "Ada Lovelace", "provider": "github"}],
        "email": "ada@example.test",
        "id": "d7c5a8e2-1b9c-4f1e-9d3a-7a6b5c4d3e2f",
        "image": "",
        "login": "ada",
        "name": "Ada",
        "last_name": "Lovelace",
        "projects_limit": 100,
        "branches_limit": 500,
        "max_autoscaling_limit": 4,
        "plan": "free"
    }))
    .into_response()
}

async fn organizations(State(shared): SharedState, headers: HeaderMap, uri: Uri) -> Response {
    match shared.admit(&headers, &uri, Some(SCOPE_ORGS_READ)).await {
        Ok(principal) => {
            if let Some(refusal) = not_a_user(&principal) {
                return refusal;
            }
        }
        Err(response) => return response,
    }
    let organizations: Vec<Value> = shared
        .data
        .organizations
        .iter()
        .map(|(id, name)| {
            json!({"id": id, "name": name, "handle": format!("{}-{id}", name.to_lowercase()),
                "plan": "free", "created_at": TIMESTAMP, "managed_by": "console",
                "updated_at": TIMESTAMP, "require_mfa": false})
        })
        .collect();
    Json(json!({"organizations": organizations})).into_response()
}

fn project_json(project: &MockProject) -> Value {
    let mut value = json!({
        "id": project.id, "platform_id": "azure", "region_id": "azure-eastus2",
        "name": project.name, "provisioner": "k8s-neonvm", "pg_version": 17,
        "proxy_host": "eastus2.azure.neon.tech", "branch_logical_size_limit": 0,
        "branch_logical_size_limit_bytes": 10800, "store_passwords": true,
        "active_time": 0, "cpu_used_sec": 0, "creation_source": "console",
        "created_at": TIMESTAMP, "updated_at": TIMESTAMP, "owner_id": "d7c5a8e2"
    });
    if let Some(org_id) = &project.org_id {
        value["org_id"] = json!(org_id);
    }
    value
}

/// `GET /projects?limit&cursor&org_id`: ordered by id; the cursor is the last id of a page;
/// without org_id only personal projects (Neon's documented behaviour), or an organization
/// key's organization's; a project-scoped key sees its project.
async fn projects(
    State(shared): SharedState,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let principal = match shared
        .admit(&headers, &uri, Some(SCOPE_PROJECTS_READ))
        .await
    {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    let limit: usize = query
        .get("limit")
        .and_then(|limit| limit.parse().ok())
        .unwrap_or(10);
    if !(1..=400).contains(&limit) {
        return neon_error(StatusCode::BAD_REQUEST, "limit must be between 1 and 400");
    }
    let org_id = match (&principal, query.get("org_id")) {
        (Principal::Organization(own), Some(asked)) if asked != own => {
            return neon_error(
                StatusCode::FORBIDDEN,
                "the API key has no access to this organization",
            );
        }
        (Principal::Organization(own), _) => Some(own),
        (_, asked) => asked,
    };
    let mut matching: Vec<&MockProject> = shared
        .data
        .projects
        .iter()
        .filter(|project| match &principal {
            Principal::Project(id) => &project.id == id,
            _ => project.org_id.as_ref() == org_id,
        })
        .collect();
    matching.sort_by(|a, b| a.id.cmp(&b.id));
    let cursor = query.get("cursor").cloned();
    let page: Vec<&MockProject> = matching
        .into_iter()
        .filter(|project| cursor.as_ref().is_none_or(|cursor| &project.id > cursor))
        .take(limit)
        .collect();
    let next = page
        .last()
        .map(|project| project.id.clone())
        .or(cursor)
        .unwrap_or_default();
    let mut answer = json!({
        "projects": page.iter().map(|project| project_json(project)).collect::<Vec<_>>(),
        "applications": {},
        "integrations": {}
    });
    // The cursor is never empty (the schema's minLength 1): an empty first page has none.
    if !next.is_empty() {
        answer["pagination"] = json!({ "cursor": next });
    }
    Json(answer).into_response()
}

async fn project(
    State(shared): SharedState,
    headers: HeaderMap,
    uri: Uri,
    UrlPath(project_id): UrlPath<String>,
) -> Response {
    let principal = match shared
        .admit(&headers, &uri, Some(SCOPE_PROJECTS_READ))
        .await
    {
        Ok(principal) => principal,
        Err(response) => return response,
    };
    match shared.visible_project(&principal, &project_id) {
        Ok(project) => {
            // The full `Project` of `GET /projects/{id}`: the list item's fields but
            // `active_time`, plus the consumption figures.
            let mut detail = project_json(project);
            if let Some(fields) = detail.as_object_mut() {
                fields.remove("active_time");
                for field in [
                    "active_time_seconds",
                    "compute_time_seconds",
                    "written_data_bytes",
                    "data_transfer_bytes",
                    "data_storage_bytes_hour",
                ] {
                    fields.insert(field.into(), json!(0));
                }
                fields.insert("history_retention_seconds".into(), json!(86400));
                fields.insert("consumption_period_start".into(), json!(TIMESTAMP));
                fields.insert("consumption_period_end".into(), json!(TIMESTAMP));
            }
            Json(json!({ "project": detail })).into_response()
        }
        Err(response) => response,
    }
}

async fn branches(
    State(shared): SharedState,
    headers: HeaderMap,
    uri: Uri,
    UrlPath(project_id): UrlPath<String>,
) -> Response {
    if let Err(response) = shared.admit_to_project(&headers, &uri, &project_id).await {
        return response;
    }
    let Some(project) = shared.project(&project_id) else {
        return not_found("project");
    };
    let branches: Vec<Value> = project
        .branches
        .iter()
        .map(|branch| {
            json!({"id": branch.id, "project_id": project.id, "name": branch.name,
                "current_state": "ready", "default": branch.default, "protected": false,
                "creation_source": "console", "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
                "state_changed_at": TIMESTAMP, "logical_size": 30785536, "cpu_used_sec": 0,
                "compute_time_seconds": 0, "active_time_seconds": 0, "written_data_bytes": 0,
                "data_transfer_bytes": 0})
        })
        .collect();
    Json(json!({"branches": branches, "annotations": {}})).into_response()
}

async fn databases(
    State(shared): SharedState,
    headers: HeaderMap,
    uri: Uri,
    UrlPath((project_id, branch_id)): UrlPath<(String, String)>,
) -> Response {
    if let Err(response) = shared.admit_to_project(&headers, &uri, &project_id).await {
        return response;
    }
    let Some(branch) = shared.branch(&project_id, &branch_id) else {
        return not_found("branch");
    };
    let databases: Vec<Value> = branch
        .databases
        .iter()
        .enumerate()
        .map(|(index, (name, owner))| {
            json!({"id": 834686 + index, "branch_id": branch.id, "name": name,
                "owner_name": owner, "created_at": TIMESTAMP, "updated_at": TIMESTAMP})
        })
        .collect();
    Json(json!({"databases": databases})).into_response()
}

async fn roles(
    State(shared): SharedState,
    headers: HeaderMap,
    uri: Uri,
    UrlPath((project_id, branch_id)): UrlPath<(String, String)>,
) -> Response {
    if let Err(response) = shared.admit_to_project(&headers, &uri, &project_id).await {
        return response;
    }
    let Some(branch) = shared.branch(&project_id, &branch_id) else {
        return not_found("branch");
    };
    let roles: Vec<Value> = branch
        .roles
        .iter()
        .map(|(name, _)| {
            json!({"branch_id": branch.id, "name": name, "protected": false,
                "created_at": TIMESTAMP, "updated_at": TIMESTAMP})
        })
        .collect();
    Json(json!({"roles": roles})).into_response()
}

/// The compute endpoint host of a branch (`ep-…`), with `-pooler` when pooled.
pub fn endpoint_host(branch_id: &str, pooled: bool) -> String {
    let suffix = branch_id.trim_start_matches("br-");
    format!(
        "ep-{suffix}{}.eastus2.azure.neon.tech",
        if pooled { "-pooler" } else { "" }
    )
}

async fn connection_uri(
    State(shared): SharedState,
    headers: HeaderMap,
    uri: Uri,
    UrlPath(project_id): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(response) = shared.admit_to_project(&headers, &uri, &project_id).await {
        return response;
    }
    let (Some(database), Some(role)) = (query.get("database_name"), query.get("role_name")) else {
        return neon_error(
            StatusCode::BAD_REQUEST,
            "database_name and role_name are required",
        );
    };
    let Some(project) = shared.project(&project_id) else {
        return not_found("project");
    };
    let branch = match query.get("branch_id") {
        Some(id) => match shared.branch(&project_id, id) {
            Some(branch) => branch,
            None => return not_found("branch"),
        },
        None => match project.branches.iter().find(|branch| branch.default) {
            Some(branch) => branch,
            None => return neon_error(StatusCode::NOT_FOUND, "no default branch"),
        },
    };
    if !branch.databases.iter().any(|(name, _)| name == database) {
        return neon_error(StatusCode::NOT_FOUND, "database not found");
    }
    let Some((_, password)) = branch.roles.iter().find(|(name, _)| name == role) else {
        return neon_error(StatusCode::NOT_FOUND, "role not found");
    };
    let pooled = query.get("pooled").is_some_and(|value| value == "true");
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    Json(json!({"uri": format!(
        "postgresql://{}:{}@{}/{}?sslmode=require&channel_binding=require",
        encode(role),
        encode(password),
        endpoint_host(&branch.id, pooled),
        encode(database)
    )}))
    .into_response()
}

/// Records every exchange — method, path below /api/v2, query, status and JSON body — for the
/// schema check.
async fn record_exchange(State(shared): SharedState, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let query: Vec<(String, String)> = uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    shared.exchanges.lock().unwrap().push(json!({
        "method": method,
        "path": uri.path().strip_prefix("/api/v2").unwrap_or(uri.path()),
        "query": query,
        "status": parts.status.as_u16(),
        "body": serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
    }));
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

impl NeonApiMock {
    pub fn start(data: MockData, auth: MockAuth) -> NeonApiMock {
        let shared = Arc::new(Shared {
            data,
            api_keys: auth.api_keys,
            tokens: auth.tokens,
            introspect_at: auth.introspect_at,
            org_keys: auth.org_keys,
            project_keys: auth.project_keys,
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            exchanges: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/api/v2/users/me", get(current_user))
            .route("/api/v2/users/me/organizations", get(organizations))
            .route("/api/v2/projects", get(projects))
            .route("/api/v2/projects/{project_id}", get(project))
            .route("/api/v2/projects/{project_id}/branches", get(branches))
            .route(
                "/api/v2/projects/{project_id}/branches/{branch_id}/databases",
                get(databases),
            )
            .route(
                "/api/v2/projects/{project_id}/branches/{branch_id}/roles",
                get(roles),
            )
            .route(
                "/api/v2/projects/{project_id}/connection_uri",
                get(connection_uri),
            )
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                record_exchange,
            ))
            .with_state(shared.clone());
        NeonApiMock {
            server: super::http::LocalServer::start(app),
            shared,
        }
    }

    /// The base URL to pass as --api-url / NEON_API_URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v2", self.server.port)
    }

    pub fn fail(&self, fault: Fault) {
        self.shared.faults.lock().unwrap().push(fault);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Every exchange so far, for tests/neon_api/check.mjs.
    pub fn exchanges(&self) -> Vec<Value> {
        self.shared.exchanges.lock().unwrap().clone()
    }

    /// Requests whose target starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.target.starts_with(prefix))
            .collect()
    }
}

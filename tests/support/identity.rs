//! A local Azure managed-identity endpoint (App Service protocol, api-version 2019-08-01) and an
//! Entra client-credentials token endpoint, on 127.0.0.1. They hand out a fixed token — the test
//! database role's password — so the whole passwordless path runs for real. Stopped on drop.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const RESOURCE: &str = "https://ossrdbms-aad.database.windows.net";
pub const SCOPE: &str = "https://ossrdbms-aad.database.windows.net/.default";

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    pub params: HashMap<String, String>,
}

struct Shared {
    token: String,
    header: String,
    client_id: Option<String>,
    /// (tenant, client id, client secret) accepted by the client-credentials endpoint.
    service_principal: Option<(String, String, String)>,
    requests: Mutex<Vec<RecordedRequest>>,
}

pub struct IdentityEndpoint {
    server: super::http::LocalServer,
    shared: Arc<Shared>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": "invalid_request", "error_description": message})),
    )
        .into_response()
}

fn token_body(token: &str) -> serde_json::Value {
    let expires_on = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    // App Service answers expires_on as a string of epoch seconds.
    serde_json::json!({
        "access_token": token,
        "expires_on": expires_on.to_string(),
        "resource": RESOURCE,
        "token_type": "Bearer",
        "client_id": "00000000-0000-0000-0000-000000000000"
    })
}

async fn managed_identity(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    shared.requests.lock().unwrap().push(RecordedRequest {
        path: "/msi/token".into(),
        params: params.clone(),
    });
    if headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok())
        != Some(shared.header.as_str())
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong X-IDENTITY-HEADER",
        );
    }
    if params.get("api-version").map(String::as_str) != Some("2019-08-01") {
        return error(StatusCode::BAD_REQUEST, "api-version must be 2019-08-01");
    }
    if params.get("resource").map(|r| r.trim_end_matches('/')) != Some(RESOURCE) {
        return error(StatusCode::BAD_REQUEST, "wrong resource");
    }
    if params.get("client_id") != shared.client_id.as_ref() {
        return error(
            StatusCode::BAD_REQUEST,
            "unexpected client_id for this identity",
        );
    }
    Json(token_body(&shared.token)).into_response()
}

async fn client_credentials(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut recorded = form.clone();
    recorded.remove("client_secret");
    recorded.insert("tenant".into(), tenant.clone());
    shared.requests.lock().unwrap().push(RecordedRequest {
        path: format!("/{tenant}/oauth2/v2.0/token"),
        params: recorded,
    });
    let Some((expected_tenant, client_id, secret)) = &shared.service_principal else {
        return error(StatusCode::NOT_FOUND, "no service principal configured");
    };
    if &tenant != expected_tenant
        || form.get("client_id") != Some(client_id)
        || form.get("client_secret") != Some(secret)
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "AADSTS7000215: Invalid client secret provided.",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("scope").map(String::as_str) != Some(SCOPE)
    {
        return error(
            StatusCode::BAD_REQUEST,
            "AADSTS70011: The provided scope is not valid.",
        );
    }
    let mut body = token_body(&shared.token);
    body["expires_in"] = serde_json::json!(3599);
    Json(body).into_response()
}

impl IdentityEndpoint {
    /// Hands out `token` to requests with `X-IDENTITY-HEADER: header` (and `client_id` when
    /// given, for a user-assigned identity).
    pub fn start(token: &str, header: &str, client_id: Option<&str>) -> IdentityEndpoint {
        Self::start_full(token, header, client_id, None)
    }

    /// Also accepts client credentials for (tenant, client id, secret).
    pub fn start_full(
        token: &str,
        header: &str,
        client_id: Option<&str>,
        service_principal: Option<(&str, &str, &str)>,
    ) -> IdentityEndpoint {
        let shared = Arc::new(Shared {
            token: token.into(),
            header: header.into(),
            client_id: client_id.map(str::to_owned),
            service_principal: service_principal.map(|(t, c, s)| (t.into(), c.into(), s.into())),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/msi/token", get(managed_identity))
            .route("/{tenant}/oauth2/v2.0/token", post(client_credentials))
            .with_state(shared.clone());
        IdentityEndpoint {
            server: super::http::LocalServer::start(app),
            shared,
        }
    }

    /// The value for `IDENTITY_ENDPOINT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/msi/token", self.server.port)
    }

    /// The authority for service principals (`AZURE_AUTHORITY_HOST`).
    pub fn authority(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

//! Signing in to Neon with OAuth 2.0 authorization code + PKCE (S256), and signing out.
//!
//! Sign-in, as RFC 8252 (OAuth 2.0 for Native Apps) describes it for a command-line tool:
//! a loopback listener on `127.0.0.1` and a free port (§7.3) receives the redirect; a random
//! `state` ties the redirect to this sign-in; the code verifier never leaves the process. The
//! caller gets the authorization URL to show or open ([`PendingLogin::authorization_url`]) and
//! awaits [`PendingLogin::finish`]; dropping that future cancels everything (the listener and
//! its connection tasks go with it).
//!
//! When the browser runs on another machine (SSH, containers, codespaces), the redirect to
//! `127.0.0.1` cannot arrive. The user then copies the address the browser was sent to and
//! hands it over through [`PasteSender::submit`], which checks it (same `state`) before the
//! sign-in uses it.
//!
//! Not here: where tokens are stored ([`super::token_store`]) or terminal and editor UI — the
//! CLI prints and reads stdin, the language server uses `window/showDocument`.

use std::fmt;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use url::Url;

use super::oidc::{self, DiscoveryError, ProviderMetadata};
use super::token_store::{
    Account, StoreError, StoredSession, TokenFailure, TokenStore, classify_token_error,
};
use super::{Secret, Settings, now_unix};

/// The path of the loopback redirect; partners register `http://127.0.0.1/callback`.
pub const CALLBACK_PATH: &str = "/callback";
const MAX_REQUEST_BYTES: usize = 16 * 1024;
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What sign-in needs to know besides the provider.
#[derive(Debug, Clone)]
pub struct LoginConfig {
    pub provider: ProviderMetadata,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    pub timeout: Duration,
    /// The loopback port; 0 picks a free one (RFC 8252 §7.3). A fixed one is for providers
    /// whose client registration names a port.
    pub redirect_port: u16,
}

/// Why sign-in failed. Messages never contain a code, token or secret.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("{}", no_client_id_message(crate::audience::Audience::Cli))]
    NoClientId,
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error("could not listen for the sign-in redirect on 127.0.0.1:{port}: {source}")]
    Listen {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no sign-in completed within {} s; {}",
        .0.as_secs(),
        crate::audience::Audience::Cli.sign_in_timeout_hint()
    )]
    Timeout(Duration),
    #[error(
        "the redirect's state does not match this sign-in, so its code was not used (it may come from another sign-in attempt or another site); run the command again"
    )]
    StateMismatch,
    #[error(
        "the redirect names issuer {received}, not {expected}; its code was not used (RFC 9207)"
    )]
    IssuerMismatch { expected: String, received: String },
    #[error("the sign-in was denied or cancelled in the browser ({error}{})", description_suffix(.description))]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the redirect carries no authorization code")]
    MissingCode,
    #[error("the provider refused the authorization code at {endpoint}: {reason}")]
    Exchange { endpoint: String, reason: String },
    #[error("could not save the sign-in: {0}")]
    Store(#[from] StoreError),
}

fn description_suffix(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|text| format!(": {text}"))
        .unwrap_or_default()
}

/// How to get a client id, for `auth login` without one. Neon issues OAuth clients to
/// registered partners only (Neon partner guide, "OAuth integration"); neon-lsp never borrows
/// another product's client id.
impl LoginError {
    /// The error worded for `audience` (`Display` is the command line's wording).
    pub fn message(&self, audience: crate::audience::Audience) -> String {
        match self {
            LoginError::NoClientId => no_client_id_message(audience),
            LoginError::Timeout(after) => format!(
                "no sign-in completed within {} s; {}",
                after.as_secs(),
                audience.sign_in_timeout_hint()
            ),
            other => other.to_string(),
        }
    }
}

pub fn no_client_id_message(audience: crate::audience::Audience) -> String {
    format!(
        "no Neon OAuth client id is configured. Neon issues OAuth clients only to registered partners: \
apply on Neon's Partners page (Neon docs, partner guide \"OAuth integration\") with the callback URL \
http://127.0.0.1{CALLBACK_PATH} and the scopes {} {}, then set {} {}{}. \
Until then, create an API key in the Neon Console (Account settings > API keys) and set {} there: \
{} uses it without signing in.",
        super::SCOPE_PROJECTS_READ,
        super::SCOPE_ORGS_READ,
        super::env::CLIENT_ID,
        audience.environment(),
        audience.client_id_alternative(),
        super::env::API_KEY,
        audience.pull_command(),
    )
}

/// The parameters a redirect brings back.
#[derive(Clone, PartialEq, Eq)]
struct Callback {
    code: Option<Secret>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    issuer: Option<String>,
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Callback {
    fn from_query(query: &str) -> Callback {
        let mut callback = Callback {
            code: None,
            state: None,
            error: None,
            error_description: None,
            issuer: None,
        };
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            match key.as_ref() {
                "code" => callback.code = Some(Secret::new(value)),
                "state" => callback.state = Some(value),
                "error" => callback.error = Some(value),
                "error_description" => callback.error_description = Some(value),
                "iss" => callback.issuer = Some(value),
                _ => {}
            }
        }
        callback
    }
}

/// What is wrong with a pasted redirect address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteError {
    #[error(
        "that is not the redirected address: paste the whole address from the browser's address bar (it starts with {0}) — it carries the state that proves the code belongs to this sign-in"
    )]
    NotARedirect(String),
    #[error(
        "that address belongs to another sign-in attempt (its state does not match); paste the address from the attempt this command started"
    )]
    StateMismatch,
    #[error("the sign-in has already finished or was cancelled")]
    Closed,
}

/// Hands a pasted redirect address (or its query string) to a waiting sign-in.
#[derive(Clone)]
pub struct PasteSender {
    sender: mpsc::UnboundedSender<Callback>,
    state: String,
    redirect_uri: String,
}

impl fmt::Debug for PasteSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasteSender")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PasteSender {
    /// Checks `text` and passes it on. A wrong or foreign address is refused here, so the user
    /// can paste again; the waiting sign-in only ever sees redirects with its own state.
    pub fn submit(&self, text: &str) -> Result<(), PasteError> {
        let not_a_redirect = || PasteError::NotARedirect(self.redirect_uri.clone());
        let callback = parse_pasted(text).ok_or_else(not_a_redirect)?;
        if callback.code.is_none() && callback.error.is_none() {
            return Err(not_a_redirect());
        }
        match &callback.state {
            None => return Err(not_a_redirect()),
            Some(state) if !constant_time_eq(state, &self.state) => {
                return Err(PasteError::StateMismatch);
            }
            Some(_) => {}
        }
        self.sender.send(callback).map_err(|_| PasteError::Closed)
    }

    /// Where the provider redirects to; what a pasted address starts with.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
}

/// A full redirect URL, `?code=…&state=…`, or `code=…&state=…`.
fn parse_pasted(text: &str) -> Option<Callback> {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    if text.is_empty() {
        return None;
    }
    let query = match Url::parse(text) {
        Ok(url) => url.query()?.to_owned(),
        Err(_) => {
            let query = text.strip_prefix('?').unwrap_or(text);
            if !query.contains('=') || query.contains(char::is_whitespace) {
                return None;
            }
            query.to_owned()
        }
    };
    Some(Callback::from_query(&query))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn oauth_client(config: &LoginConfig, redirect_uri: &Url) -> ConfiguredClient {
    let mut client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(
            config.provider.authorization_endpoint.clone(),
        ))
        .set_token_uri(TokenUrl::from_url(config.provider.token_endpoint.clone()))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
    if let Some(secret) = &config.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    client
}

/// A started sign-in: the listener is up, the authorization URL is ready.
pub struct PendingLogin {
    config: LoginConfig,
    listener: TcpListener,
    redirect_uri: Url,
    authorization_url: Url,
    state: String,
    verifier: PkceCodeVerifier,
    paste: PasteSender,
    pasted: mpsc::UnboundedReceiver<Callback>,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// The tokens a finished sign-in produced.
#[derive(Debug, Clone)]
pub struct LoginTokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<u64>,
    pub scopes: Vec<String>,
}

impl PendingLogin {
    /// Binds the loopback listener and builds the authorization URL.
    pub async fn start(config: LoginConfig) -> Result<PendingLogin, LoginError> {
        let listen_error = |port: u16| move |source| LoginError::Listen { port, source };
        let listener = TcpListener::bind(("127.0.0.1", config.redirect_port))
            .await
            .map_err(listen_error(config.redirect_port))?;
        let port = listener
            .local_addr()
            .map_err(listen_error(config.redirect_port))?
            .port();
        let redirect_uri =
            Url::parse(&format!("http://127.0.0.1:{port}{CALLBACK_PATH}")).map_err(|error| {
                LoginError::Listen {
                    port,
                    source: std::io::Error::other(error),
                }
            })?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (authorization_url, state) = oauth_client(&config, &redirect_uri)
            .authorize_url(CsrfToken::new_random)
            .add_scopes(config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            // OpenID Connect Core §11: a request for offline_access carries prompt=consent.
            .add_extra_param("prompt", "consent")
            .url();
        let (sender, pasted) = mpsc::unbounded_channel();
        let paste = PasteSender {
            sender,
            state: state.secret().clone(),
            redirect_uri: redirect_uri.to_string(),
        };
        Ok(PendingLogin {
            config,
            listener,
            redirect_uri,
            authorization_url,
            state: state.into_secret(),
            verifier,
            paste,
            pasted,
        })
    }

    /// The URL to open in a browser.
    pub fn authorization_url(&self) -> &Url {
        &self.authorization_url
    }

    /// Where the provider redirects to (`http://127.0.0.1:PORT/callback`).
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// A handle for the paste-back path.
    pub fn paste_sender(&self) -> PasteSender {
        self.paste.clone()
    }

    /// Waits for the redirect (loopback or pasted), checks it and exchanges the code.
    pub async fn finish(self, http: &reqwest::Client) -> Result<LoginTokens, LoginError> {
        let PendingLogin {
            config,
            listener,
            redirect_uri,
            state,
            verifier,
            paste,
            mut pasted,
            ..
        } = self;
        // Our own sender stays alive, so the paste channel never reads as closed while waiting.
        let _paste = paste;
        // Connection tasks live in this set: dropping the future aborts them all.
        let mut connections: JoinSet<()> = JoinSet::new();
        let (arrived_sender, mut arrived) = mpsc::unbounded_channel::<(Callback, TcpStream)>();
        let deadline = tokio::time::sleep(config.timeout);
        tokio::pin!(deadline);
        let (callback, stream) = loop {
            tokio::select! {
                _ = &mut deadline => return Err(LoginError::Timeout(config.timeout)),
                accepted = listener.accept() => {
                    // An accept error (e.g. too many open files) is retried with the next one.
                    if let Ok((stream, _)) = accepted {
                        connections.spawn(read_callback(stream, arrived_sender.clone()));
                    }
                }
                Some((callback, stream)) = arrived.recv() => break (callback, Some(stream)),
                Some(callback) = pasted.recv() => break (callback, None),
            }
        };
        let outcome = complete(&config, &redirect_uri, &state, verifier, callback, http).await;
        if let Some(mut stream) = stream {
            let page = match &outcome {
                Ok(_) => result_page(
                    true,
                    "Signed in to Neon. You can close this tab and return to neon-lsp.",
                ),
                Err(error) => result_page(false, &format!("Sign-in failed: {error}")),
            };
            let _ = stream.write_all(page.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        outcome
    }
}

/// Checks the redirect and trades the code for tokens.
async fn complete(
    config: &LoginConfig,
    redirect_uri: &Url,
    expected_state: &str,
    verifier: PkceCodeVerifier,
    callback: Callback,
    http: &reqwest::Client,
) -> Result<LoginTokens, LoginError> {
    // State first: nothing from a foreign redirect is trusted, not even its error.
    match &callback.state {
        Some(state) if constant_time_eq(state, expected_state) => {}
        _ => return Err(LoginError::StateMismatch),
    }
    if let Some(received) = &callback.issuer
        && received.trim_end_matches('/') != config.provider.issuer.trim_end_matches('/')
    {
        return Err(LoginError::IssuerMismatch {
            expected: config.provider.issuer.clone(),
            received: received.clone(),
        });
    }
    if let Some(error) = callback.error {
        return Err(LoginError::Denied {
            error,
            description: callback.error_description,
        });
    }
    let code = callback.code.ok_or(LoginError::MissingCode)?;
    let endpoint = config.provider.token_endpoint.to_string();
    let response = oauth_client(config, redirect_uri)
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(|error| {
            let reason = match classify_token_error(&error) {
                TokenFailure::Rejected(reason) | TokenFailure::Other(reason) => reason,
            };
            LoginError::Exchange {
                endpoint: endpoint.clone(),
                reason,
            }
        })?;
    Ok(tokens_granted(&response, now_unix(), &config.scopes))
}

/// What a token response grants, received at `now`; `requested` scopes when it lists none.
pub(super) fn tokens_granted(
    response: &impl TokenResponse,
    now: u64,
    requested: &[String],
) -> LoginTokens {
    LoginTokens {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|token| Secret::new(token.secret().clone())),
        expires_at: response
            .expires_in()
            .map(|lifetime| now.saturating_add(lifetime.as_secs())),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect())
            .unwrap_or_else(|| requested.to_vec()),
    }
}

/// Reads one request; a redirect to the callback path is handed over (with the connection, so
/// the page can tell the outcome), anything else gets a 404 and is closed.
async fn read_callback(
    mut stream: TcpStream,
    arrived: mpsc::UnboundedSender<(Callback, TcpStream)>,
) {
    let target =
        match tokio::time::timeout(REQUEST_READ_TIMEOUT, read_request_target(&mut stream)).await {
            Ok(Ok(Some(target))) => target,
            _ => return,
        };
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    if path != CALLBACK_PATH {
        let response = plain_response(
            "404 Not Found",
            "This is neon-lsp's sign-in listener; it only answers the sign-in redirect.",
        );
        let _ = stream.write_all(response.as_bytes()).await;
        return;
    }
    let _ = arrived.send((Callback::from_query(query), stream));
}

/// The request target of a GET, read with httparse; `None` for anything else.
async fn read_request_target(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buffer) {
            Ok(httparse::Status::Complete(_)) => {
                return Ok(match (request.method, request.path) {
                    (Some("GET"), Some(path)) => Some(path.to_owned()),
                    _ => None,
                });
            }
            Ok(httparse::Status::Partial) if buffer.len() < MAX_REQUEST_BYTES => continue,
            _ => return Ok(None),
        }
    }
}

fn plain_response(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn result_page(success: bool, message: &str) -> String {
    let title = if success {
        "Signed in to Neon"
    } else {
        "Neon sign-in failed"
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(message)
    );
    let status = if success { "200 OK" } else { "400 Bad Request" };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// How the browser was opened, or why it was not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserOutcome {
    Opened(String),
    Unavailable(String),
}

/// Opens `url` with `$BROWSER` (a `:`-separated list, `%s` replaced by the URL), else the
/// platform's opener (`open` on macOS, `explorer` on Windows, `xdg-open` with a display).
pub fn open_browser(url: &Url) -> BrowserOutcome {
    let mut candidates: Vec<Vec<String>> = Vec::new();
    if let Some(browsers) = std::env::var_os("BROWSER").filter(|value| !value.is_empty()) {
        for entry in browsers
            .to_string_lossy()
            .split(':')
            .filter(|entry| !entry.is_empty())
        {
            let words: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|word| word.contains("%s")) {
                candidates.push(
                    words
                        .iter()
                        .map(|word| word.replace("%s", url.as_str()))
                        .collect(),
                );
            } else if !words.is_empty() {
                let mut command = words;
                command.push(url.to_string());
                candidates.push(command);
            }
        }
    } else if cfg!(target_os = "macos") {
        candidates.push(vec!["open".to_owned(), url.to_string()]);
    } else if cfg!(windows) {
        candidates.push(vec!["explorer".to_owned(), url.to_string()]);
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        candidates.push(vec!["xdg-open".to_owned(), url.to_string()]);
    }
    if candidates.is_empty() {
        return BrowserOutcome::Unavailable(
            "no browser found (no $BROWSER and no graphical display)".to_owned(),
        );
    }
    let mut last_problem = String::new();
    for command in candidates {
        let Some((program, arguments)) = command.split_first() else {
            continue;
        };
        match std::process::Command::new(program)
            .args(arguments)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            // Not waited for: a browser may keep running after neon-lsp exits.
            Ok(_) => return BrowserOutcome::Opened(program.clone()),
            Err(error) => last_problem = format!("could not run {program}: {error}"),
        }
    }
    BrowserOutcome::Unavailable(last_problem)
}

/// A finished sign-in as stored.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Option<Account>,
    pub scopes: Vec<String>,
    pub expires_at: Option<u64>,
    /// Set when the account could not be looked up (the sign-in itself worked).
    pub account_problem: Option<String>,
}

/// Signs in and stores the result: [`begin_sign_in`], `on_started` (show the URL, hand out the
/// [`PasteSender`]), then [`complete_sign_in`]. Dropping the future cancels the sign-in.
pub async fn sign_in(
    settings: &Settings,
    http: &reqwest::Client,
    redirect_port: u16,
    on_started: impl FnOnce(&PendingLogin),
) -> Result<SignedIn, LoginError> {
    let pending = begin_sign_in(settings, http, redirect_port).await?;
    on_started(&pending);
    complete_sign_in(settings, http, pending).await
}

/// Discovery and the loopback listener: the returned sign-in has its authorization URL ready
/// (an editor shows it with `window/showDocument`, then awaits [`complete_sign_in`]).
pub async fn begin_sign_in(
    settings: &Settings,
    http: &reqwest::Client,
    redirect_port: u16,
) -> Result<PendingLogin, LoginError> {
    let client_id = settings.client_id.clone().ok_or(LoginError::NoClientId)?;
    let provider = oidc::discover(http, &settings.oidc_url).await?;
    PendingLogin::start(LoginConfig {
        provider,
        client_id,
        client_secret: settings.client_secret.clone(),
        scopes: settings.requested_scopes(),
        timeout: settings.login_timeout,
        redirect_port,
    })
    .await
}

/// Waits for the redirect, exchanges the code, looks the account up (`/users/me`) and stores
/// the sign-in for every neon-lsp process of the user.
pub async fn complete_sign_in(
    settings: &Settings,
    http: &reqwest::Client,
    pending: PendingLogin,
) -> Result<SignedIn, LoginError> {
    let provider = pending.config.provider.clone();
    let client_id = pending.config.client_id.clone();
    let tokens = pending.finish(http).await?;
    let api = super::api::NeonApi::with_bearer(
        settings.api_url.clone(),
        http.clone(),
        tokens.access_token.clone(),
    );
    let (account, account_problem) = match api.current_user().await {
        Ok(user) => (Some(user.account()), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let session = StoredSession {
        issuer: provider.issuer,
        client_id,
        token_endpoint: provider.token_endpoint,
        revocation_endpoint: provider.revocation_endpoint,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
        scopes: tokens.scopes.clone(),
        account: account.clone(),
        obtained_at: now_unix(),
    };
    let store = TokenStore::new(&settings.config_dir);
    // Under the lock, so a refresh elsewhere cannot overwrite the new sign-in with the old one.
    let _lock = store.lock().await?;
    store.save(&session)?;
    Ok(SignedIn {
        account,
        scopes: tokens.scopes,
        expires_at: tokens.expires_at,
        account_problem,
    })
}

/// The result of signing out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOut {
    /// There was no stored sign-in.
    NotSignedIn,
    /// Tokens revoked at the provider and deleted here.
    Revoked,
    /// Deleted here; the provider has no revocation endpoint, so the tokens stay valid until
    /// they expire.
    DeletedWithoutRevocation,
    /// Deleted here; revocation failed for this reason, so the tokens stay valid until they
    /// expire.
    RevocationFailed(String),
}

/// Revokes the stored tokens at the provider (RFC 7009; the refresh token first, which ends the
/// grant) and deletes the token file.
pub async fn sign_out(settings: &Settings, http: &reqwest::Client) -> Result<SignOut, StoreError> {
    let store = TokenStore::new(&settings.config_dir);
    let _lock = store.lock().await?;
    let Some(session) = store.load()? else {
        return Ok(SignOut::NotSignedIn);
    };
    let outcome = match &session.revocation_endpoint {
        None => SignOut::DeletedWithoutRevocation,
        Some(endpoint) => {
            match revoke(&session, endpoint, settings.client_secret.as_ref(), http).await {
                Ok(()) => SignOut::Revoked,
                Err(reason) => SignOut::RevocationFailed(reason),
            }
        }
    };
    store.delete()?;
    Ok(outcome)
}

/// RFC 7009 by hand: the oauth2 crate refuses a revocation endpoint without https even on a
/// loopback address, which our endpoint checks (`oidc`) already allow only there.
async fn revoke(
    session: &StoredSession,
    endpoint: &Url,
    client_secret: Option<&Secret>,
    http: &reqwest::Client,
) -> Result<(), String> {
    let mut tokens = Vec::new();
    if let Some(refresh_token) = &session.refresh_token {
        tokens.push((refresh_token, "refresh_token"));
    }
    tokens.push((&session.access_token, "access_token"));
    for (token, hint) in tokens {
        let mut request = http.post(endpoint.clone());
        let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
        match client_secret {
            Some(secret) => {
                request = request.basic_auth(&session.client_id, Some(secret.expose()));
            }
            None => form.push(("client_id", session.client_id.as_str())),
        }
        let kind = hint.replace('_', " ");
        let response = request.form(&form).send().await.map_err(|error| {
            format!(
                "revoking the {kind} at {endpoint}: {}",
                oidc::describe_reqwest_error(&error)
            )
        })?;
        let status = response.status();
        // RFC 7009 §2.2: 200 also for tokens that were already invalid.
        if !status.is_success() {
            #[derive(serde::Deserialize)]
            struct ErrorBody {
                error: String,
                #[serde(default)]
                error_description: Option<String>,
            }
            let detail = response
                .json::<ErrorBody>()
                .await
                .map(|body| match body.error_description {
                    Some(description) => format!("{}: {description}", body.error),
                    None => body.error,
                })
                .unwrap_or_else(|_| format!("HTTP {}", status.as_u16()));
            return Err(format!("revoking the {kind} at {endpoint}: {detail}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> ProviderMetadata {
        ProviderMetadata {
            issuer: "http://127.0.0.1:9".to_owned(),
            authorization_endpoint: Url::parse("http://127.0.0.1:9/auth").unwrap(),
            token_endpoint: Url::parse("http://127.0.0.1:9/token").unwrap(),
            revocation_endpoint: None,
            scopes_supported: vec![],
            code_challenge_methods_supported: vec!["S256".to_owned()],
        }
    }

    fn config() -> LoginConfig {
        LoginConfig {
            provider: provider(),
            client_id: "neon-lsp-test".to_owned(),
            client_secret: None,
            scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
            timeout: Duration::from_secs(5),
            redirect_port: 0,
        }
    }

    fn state_of(pending: &PendingLogin) -> String {
        pending
            .authorization_url()
            .query_pairs()
            .find(|(key, _)| key == "state")
            .map(|(_, value)| value.into_owned())
            .unwrap()
    }

    #[tokio::test]
    async fn the_authorization_url_carries_pkce_state_scopes_and_the_loopback_redirect() {
        let pending = PendingLogin::start(config()).await.unwrap();
        let url = pending.authorization_url().clone();
        let query: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "neon-lsp-test");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["code_challenge"].len(), 43);
        assert_eq!(query["scope"], "openid offline_access");
        assert_eq!(query["prompt"], "consent");
        assert!(query["state"].len() >= 16);
        let redirect = Url::parse(&query["redirect_uri"]).unwrap();
        assert_eq!(redirect.host_str(), Some("127.0.0.1"));
        assert_eq!(redirect.path(), CALLBACK_PATH);
        assert_ne!(redirect.port(), Some(0));
        assert_eq!(&redirect, pending.redirect_uri());
    }

    #[tokio::test]
    async fn pasting_checks_the_state_before_anything_is_used() {
        let pending = PendingLogin::start(config()).await.unwrap();
        let paste = pending.paste_sender();
        let state = state_of(&pending);
        let redirect = pending.redirect_uri().to_string();
        let not_a_redirect = Err(PasteError::NotARedirect(redirect.clone()));
        assert_eq!(paste.submit("just-a-code"), not_a_redirect);
        assert_eq!(
            paste.submit(&format!("{redirect}?code=abc")),
            not_a_redirect
        );
        assert_eq!(
            paste.submit(&format!("{redirect}?code=abc&state=other")),
            Err(PasteError::StateMismatch)
        );
        assert_eq!(paste.submit(&format!("code=abc&state={state}")), Ok(()));
        assert_eq!(
            paste.submit(&format!("'{redirect}?code=abc&state={state}'")),
            Ok(())
        );
    }

    #[tokio::test]
    async fn a_redirect_with_a_foreign_state_fails_and_the_browser_is_told() {
        let pending = PendingLogin::start(config()).await.unwrap();
        let redirect = pending.redirect_uri().clone();
        let login = tokio::spawn(async move { pending.finish(&reqwest::Client::new()).await });
        let response = reqwest::get(format!("{redirect}?code=abc&state=forged"))
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("state does not match")
        );
        assert!(matches!(
            login.await.unwrap(),
            Err(LoginError::StateMismatch)
        ));
    }

    #[tokio::test]
    async fn stray_requests_get_a_404_and_the_sign_in_keeps_waiting() {
        let mut short = config();
        short.timeout = Duration::from_millis(1500);
        let pending = PendingLogin::start(short).await.unwrap();
        let stray = pending.redirect_uri().join("/favicon.ico").unwrap();
        let login = tokio::spawn(async move { pending.finish(&reqwest::Client::new()).await });
        let response = reqwest::get(stray).await.unwrap();
        assert_eq!(response.status(), 404);
        assert!(matches!(login.await.unwrap(), Err(LoginError::Timeout(_))));
    }

    #[test]
    fn the_missing_client_id_message_points_to_registration_and_api_keys() {
        let message = LoginError::NoClientId.to_string();
        assert!(message.contains("Partners page"), "{message}");
        assert!(message.contains("NEON_OAUTH_CLIENT_ID"), "{message}");
        assert!(message.contains("NEON_API_KEY"), "{message}");
    }

    #[test]
    fn failure_pages_escape_html() {
        let page = result_page(false, "<script>x</script>");
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>x"));
    }
}

//! The Neon sign-in on disk, shared by every neon-lsp process of the user.
//!
//! One JSON file in the user's config directory (`neon-lsp/neon-oauth.json`, or
//! `$NEON_LSP_CONFIG_DIR`), mode 0600 in a 0700 folder, always replaced atomically (write a
//! temporary file, fsync, rename) so a reader never sees half a file.
//!
//! Why the lock: Neon rotates refresh tokens — each refresh returns a new one and spends the old
//! one, and a provider that sees a spent token used again may revoke the whole grant. The
//! language server and a CLI run can find the access token expiring at the same moment; only one
//! of them may refresh. So a refresh happens under an exclusive lock on a lock file
//! (`std::fs::File::lock` semantics, an OS file lock released when the process dies), and the
//! file is read again after the lock is taken: whoever waited finds the new token and uses it.
//!
//! Not here: the browser sign-in ([`super::login`]) or API calls ([`super::api`]).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, RefreshToken, RequestTokenError, TokenUrl};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{Secret, now_unix};

pub const TOKEN_FILE_NAME: &str = "neon-oauth.json";
const LOCK_FILE_NAME: &str = "neon-oauth.lock";
const FORMAT_VERSION: u32 = 1;

/// An access token this close to its expiry is refreshed before use, so it cannot expire in
/// flight.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// How long a process waits for another one's refresh before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(120);
const LOCK_POLL: Duration = Duration::from_millis(25);

/// The Neon account a sign-in belongs to, as `/users/me` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl Account {
    /// "Ada Lovelace <ada@example.com>", or whatever part is known.
    pub fn display(&self) -> String {
        match (&self.name, &self.email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (None, Some(email)) => email.clone(),
            (Some(name), None) => format!("{name} (user {})", self.id),
            (None, None) => format!("user {}", self.id),
        }
    }
}

/// A stored sign-in: the tokens and what is needed to refresh and revoke them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub issuer: String,
    pub client_id: String,
    pub token_endpoint: Url,
    pub revocation_endpoint: Option<Url>,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix seconds; `None` when the provider did not say (the token is then used until the
    /// API rejects it).
    pub expires_at: Option<u64>,
    pub scopes: Vec<String>,
    pub account: Option<Account>,
    pub obtained_at: u64,
}

impl StoredSession {
    /// Whether the access token should be refreshed before it is used.
    pub fn needs_refresh(&self, now: u64) -> bool {
        self.expires_at
            .is_some_and(|expires_at| expires_at <= now.saturating_add(REFRESH_MARGIN.as_secs()))
    }
}

#[derive(Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    issuer: String,
    client_id: String,
    token_endpoint: String,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    account: Option<Account>,
    #[serde(default)]
    obtained_at: u64,
}

/// Reading or writing the token file failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path} is not a neon-lsp token file ({reason}); delete it and run `neon-lsp auth login`"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "another neon-lsp process has held {path} for over {} s; if none is running, delete the lock file",
        LOCK_WAIT.as_secs()
    )]
    LockTimeout { path: PathBuf },
}

/// Why no usable access token could be produced.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "not signed in to Neon (no token at {path}); run `neon-lsp auth login`, or set NEON_API_KEY to a Neon API key"
    )]
    NotSignedIn { path: PathBuf },
    #[error(
        "the Neon sign-in is no longer valid ({reason}); run `neon-lsp auth login` again, or set NEON_API_KEY"
    )]
    SignInAgain { reason: String },
    #[error("could not refresh the Neon sign-in at {endpoint}: {reason}")]
    Refresh { endpoint: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The token file and its lock in one folder.
#[derive(Debug, Clone)]
pub struct TokenStore {
    dir: PathBuf,
}

/// Holds the refresh lock; released when dropped (or when the process exits).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl TokenStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TokenStore { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(TOKEN_FILE_NAME)
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE_NAME)
    }

    /// The stored sign-in, or `None` when there is none.
    pub fn load(&self) -> Result<Option<StoredSession>, StoreError> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "could not read",
                    path,
                    source,
                });
            }
        };
        tighten_permissions(&path);
        let corrupt = |reason: String| StoreError::Corrupt {
            path: path.clone(),
            reason,
        };
        let file: FileFormat =
            serde_json::from_slice(&bytes).map_err(|error| corrupt(json_problem(&error)))?;
        if file.version != FORMAT_VERSION {
            return Err(corrupt(format!("format version {}", file.version)));
        }
        let parse = |field: &str, value: &str| {
            Url::parse(value).map_err(|_| corrupt(format!("{field} is not a URL")))
        };
        Ok(Some(StoredSession {
            issuer: file.issuer,
            client_id: file.client_id,
            token_endpoint: parse("token_endpoint", &file.token_endpoint)?,
            revocation_endpoint: file
                .revocation_endpoint
                .as_deref()
                .map(|value| parse("revocation_endpoint", value))
                .transpose()?,
            access_token: Secret::new(file.access_token),
            refresh_token: file.refresh_token.map(Secret::new),
            expires_at: file.expires_at,
            scopes: file.scopes,
            account: file.account,
            obtained_at: file.obtained_at,
        }))
    }

    /// Replaces the stored sign-in atomically; the file is 0600 from the moment it exists.
    pub fn save(&self, session: &StoredSession) -> Result<(), StoreError> {
        self.ensure_dir()?;
        let file = FileFormat {
            version: FORMAT_VERSION,
            issuer: session.issuer.clone(),
            client_id: session.client_id.clone(),
            token_endpoint: session.token_endpoint.to_string(),
            revocation_endpoint: session.revocation_endpoint.as_ref().map(Url::to_string),
            access_token: session.access_token.expose().to_owned(),
            refresh_token: session
                .refresh_token
                .as_ref()
                .map(|token| token.expose().to_owned()),
            expires_at: session.expires_at,
            scopes: session.scopes.clone(),
            account: session.account.clone(),
            obtained_at: session.obtained_at,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|error| StoreError::Corrupt {
            path: self.path(),
            reason: json_problem(&error),
        })?;
        bytes.push(b'\n');
        crate::disk::write_atomically(&self.path(), &bytes, 0o600).map_err(|source| {
            StoreError::Io {
                action: "could not write",
                path: self.path(),
                source,
            }
        })
    }

    /// Deletes the stored sign-in; `false` when there was none.
    pub fn delete(&self) -> Result<bool, StoreError> {
        match fs::remove_file(self.path()) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StoreError::Io {
                action: "could not delete",
                path: self.path(),
                source,
            }),
        }
    }

    /// Takes the refresh lock, waiting for another process that holds it. Polls instead of
    /// blocking so that dropping the future (cancellation) never leaves a thread waiting.
    pub async fn lock(&self) -> Result<StoreLock, StoreError> {
        self.ensure_dir()?;
        let path = self.lock_path();
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|source| StoreError::Io {
            action: "could not open",
            path: path.clone(),
            source,
        })?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(StoreLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {
                    if started.elapsed() > LOCK_WAIT {
                        return Err(StoreError::LockTimeout { path });
                    }
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Err(fs::TryLockError::Error(source)) => {
                    return Err(StoreError::Io {
                        action: "could not lock",
                        path,
                        source,
                    });
                }
            }
        }
    }

    /// An access token to use now: the stored one, or — when it is about to expire — a
    /// refreshed one, refreshed by exactly one process.
    pub async fn access_token(
        &self,
        http: &reqwest::Client,
        client_secret: Option<&Secret>,
    ) -> Result<Secret, TokenError> {
        let session = self
            .load()?
            .ok_or_else(|| TokenError::NotSignedIn { path: self.path() })?;
        if !session.needs_refresh(now_unix()) {
            return Ok(session.access_token);
        }
        let _lock = self.lock().await?;
        // Read again: another process may have refreshed while we waited for the lock.
        let session = self
            .load()?
            .ok_or_else(|| TokenError::NotSignedIn { path: self.path() })?;
        if !session.needs_refresh(now_unix()) {
            return Ok(session.access_token);
        }
        Ok(self
            .refresh_locked(http, session, client_secret)
            .await?
            .access_token)
    }

    /// A new access token after the API rejected `rejected`: if another process has already
    /// replaced it, that one; otherwise a refresh (once, under the lock).
    pub async fn access_token_after_rejection(
        &self,
        http: &reqwest::Client,
        rejected: &Secret,
        client_secret: Option<&Secret>,
    ) -> Result<Secret, TokenError> {
        let _lock = self.lock().await?;
        let session = self
            .load()?
            .ok_or_else(|| TokenError::NotSignedIn { path: self.path() })?;
        if session.access_token != *rejected {
            return Ok(session.access_token);
        }
        Ok(self
            .refresh_locked(http, session, client_secret)
            .await?
            .access_token)
    }

    /// Refreshes `session` and stores the result. The caller holds the lock.
    async fn refresh_locked(
        &self,
        http: &reqwest::Client,
        session: StoredSession,
        client_secret: Option<&Secret>,
    ) -> Result<StoredSession, TokenError> {
        let Some(refresh_token) = session.refresh_token.clone() else {
            return Err(TokenError::SignInAgain {
                reason: "the access token expired and the provider gave no refresh token"
                    .to_owned(),
            });
        };
        let endpoint = session.token_endpoint.to_string();
        let mut client = BasicClient::new(ClientId::new(session.client_id.clone()))
            .set_token_uri(TokenUrl::from_url(session.token_endpoint.clone()));
        if let Some(secret) = client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        let response = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().to_owned()))
            .request_async(http)
            .await
            .map_err(|error| match classify_token_error(&error) {
                TokenFailure::Rejected(reason) => TokenError::SignInAgain { reason },
                TokenFailure::Other(reason) => TokenError::Refresh {
                    endpoint: endpoint.clone(),
                    reason,
                },
            })?;
        let now = now_unix();
        let granted = super::login::tokens_granted(&response, now, &session.scopes);
        let refreshed = StoredSession {
            access_token: granted.access_token,
            // Rotation: a new refresh token replaces the spent one; without one, the old stays.
            refresh_token: granted.refresh_token.or(session.refresh_token.clone()),
            expires_at: granted.expires_at,
            scopes: granted.scopes,
            obtained_at: now,
            ..session
        };
        self.save(&refreshed)?;
        Ok(refreshed)
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir).map_err(|source| StoreError::Io {
            action: "could not create",
            path: self.dir.clone(),
            source,
        })
    }
}

/// What went wrong at a token endpoint, in words that hold no token.
pub(crate) enum TokenFailure {
    /// The provider refused the grant (invalid_grant, invalid_client…): sign in again.
    Rejected(String),
    /// Transport or server trouble: trying again later may work.
    Other(String),
}

pub(crate) fn classify_token_error<E, T>(
    error: &RequestTokenError<E, oauth2::StandardErrorResponse<T>>,
) -> TokenFailure
where
    E: std::error::Error + 'static,
    T: oauth2::ErrorResponseType + AsRef<str> + std::fmt::Display,
{
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().as_ref();
            let mut reason = format!("the provider answered {code}");
            if let Some(description) = response.error_description() {
                reason.push_str(&format!(": {description}"));
            }
            match code {
                "invalid_grant" | "invalid_client" | "unauthorized_client" => {
                    TokenFailure::Rejected(reason)
                }
                _ => TokenFailure::Other(reason),
            }
        }
        RequestTokenError::Request(inner) => {
            let mut reason = inner.to_string();
            let mut source = inner.source();
            while let Some(cause) = source {
                reason = format!("{reason}: {cause}");
                source = cause.source();
            }
            TokenFailure::Other(reason)
        }
        // The body of an unreadable answer may hold a token: never show it.
        RequestTokenError::Parse(_, _) => {
            TokenFailure::Other("the token endpoint's answer could not be read".to_owned())
        }
        RequestTokenError::Other(message) => TokenFailure::Other(message.clone()),
    }
}

/// Where and what kind of JSON problem, never the offending text (it may be a token).
pub(crate) fn json_problem(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "unexpected content",
        serde_json::error::Category::Eof => "cut short",
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

/// A token file someone made group- or world-readable is put back to 0600.
fn tighten_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_at: Option<u64>) -> StoredSession {
        StoredSession {
            issuer: "http://127.0.0.1:1".to_owned(),
            client_id: "client".to_owned(),
            token_endpoint: Url::parse("http://127.0.0.1:1/token").unwrap(),
            revocation_endpoint: None,
            access_token: Secret::new("access-token-value"),
            refresh_token: Some(Secret::new("refresh-token-value")),
            expires_at,
            scopes: vec!["openid".to_owned()],
            account: Some(Account {
                id: "u1".to_owned(),
                email: Some("ada@example.test".to_owned()),
                name: None,
            }),
            obtained_at: 1,
        }
    }

    #[test]
    fn save_and_load_round_trip_with_0600() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("nested"));
        assert!(store.load().unwrap().is_none());
        let stored = session(Some(now_unix() + 3600));
        store.save(&stored).unwrap();
        assert_eq!(store.load().unwrap().unwrap(), stored);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = fs::metadata(dir.path().join("nested"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("nested"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [TOKEN_FILE_NAME]);
        assert!(store.delete().unwrap());
        assert!(!store.delete().unwrap());
    }

    #[test]
    fn debug_output_masks_tokens() {
        let debug = format!("{:?}", session(None));
        assert!(!debug.contains("access-token-value"), "{debug}");
        assert!(!debug.contains("refresh-token-value"), "{debug}");
    }

    #[test]
    fn a_corrupt_file_says_what_to_do_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        fs::write(
            store.path(),
            "{\"version\": \"secret-in-a-broken-file\", \"x\": 1}",
        )
        .unwrap();
        let error = store.load().unwrap_err().to_string();
        assert!(error.contains("neon-lsp auth login"), "{error}");
        assert!(!error.contains("secret-in-a-broken-file"), "{error}");
    }

    #[test]
    fn refresh_is_due_within_the_margin() {
        let now = 1_000_000;
        assert!(session(Some(now + 30)).needs_refresh(now));
        assert!(!session(Some(now + 3600)).needs_refresh(now));
        assert!(!session(None).needs_refresh(now));
    }

    #[tokio::test]
    async fn the_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let first = store.lock().await.unwrap();
        let second = std::fs::OpenOptions::new()
            .write(true)
            .open(store.lock_path())
            .unwrap();
        assert!(matches!(
            second.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(first);
        second.try_lock().unwrap();
    }

    #[tokio::test]
    async fn without_a_file_the_error_says_how_to_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path());
        let http = reqwest::Client::new();
        let error = store.access_token(&http, None).await.unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("neon-lsp auth login") && message.contains("NEON_API_KEY"),
            "{message}"
        );
    }
}

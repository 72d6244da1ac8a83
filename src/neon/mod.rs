//! Neon sign-in and `pull`: OAuth 2.0 authorization code + PKCE against Neon's OpenID provider,
//! a token store shared by every neon-lsp process of the user, a small Neon API client, and the
//! rendering of a Neon connection into a project's .env file in a client type's format.
//!
//! The parts, each usable on its own (the CLI and the language server are adapters over them):
//! - [`oidc`]: the provider's OpenID configuration (discovery), checked before use.
//! - [`login`]: the browser sign-in with a loopback redirect or a pasted redirect, and sign-out.
//! - [`token_store`]: the tokens on disk (0600, atomic), refreshed once across processes.
//! - [`api`]: the Neon API (`console.neon.tech/api/v2`) with an API key or the stored sign-in.
//! - [`pull`]: choices → connection URI → variables for a client type → merged .env text.
//!
//! Not here: terminal prompts or editor dialogs (callers implement [`pull::Chooser`] and show the
//! authorization URL themselves), and nothing about which variables a client type gets — that
//! is `crate::catalogue`, rendered with `crate::connstr`, so `pull` writes exactly what `check`
//! expects.
//!
//! Secrets (tokens, API keys, client secrets, database passwords) are wrapped in types whose
//! `Debug` and `Display` print `****`; no error message carries one.

pub mod api;
pub mod login;
pub mod oidc;
pub mod pull;
pub mod token_store;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// Neon's OpenID configuration (Neon partner guide, "About the Neon OAuth server").
pub const DEFAULT_OIDC_URL: &str = "https://oauth2.neon.tech/.well-known/openid-configuration";
/// The Neon API base URL.
pub const DEFAULT_API_URL: &str = "https://console.neon.tech/api/v2";

/// Environment variables the settings are read from (flags override them).
pub mod env {
    pub const OIDC_URL: &str = "NEON_OIDC_URL";
    pub const API_URL: &str = "NEON_API_URL";
    pub const API_KEY: &str = "NEON_API_KEY";
    pub const CLIENT_ID: &str = "NEON_OAUTH_CLIENT_ID";
    /// Only for confidential clients; Neon gives CLI tools none (partner guide).
    pub const CLIENT_SECRET: &str = "NEON_OAUTH_CLIENT_SECRET";
    /// Where the token file lives instead of the user's config directory (tests, portable setups).
    pub const CONFIG_DIR: &str = "NEON_LSP_CONFIG_DIR";
}

/// Scopes every sign-in asks for: `openid`, and `offline offline_access`, which Neon requires
/// for a refresh token (partner guide, note under the discovery document).
pub const BASE_SCOPES: [&str; 3] = ["openid", "offline", "offline_access"];
/// Neon's predefined scope for reading projects, branches, databases, roles and connection URIs.
pub const SCOPE_PROJECTS_READ: &str = "urn:neoncloud:projects:read";
/// Neon's predefined scope for listing the user's organizations.
pub const SCOPE_ORGS_READ: &str = "urn:neoncloud:orgs:read";

/// A secret string: an API key, a token, a client secret or a password. `Debug` and `Display`
/// print `****`; [`Secret::expose`] is the one way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::connstr::MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::connstr::MASK)
    }
}

/// Everything the Neon features are configured with. Built from the environment by
/// [`Settings::from_env`]; command-line flags then override single fields.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The OpenID configuration document (or the issuer, to which the well-known path is added).
    pub oidc_url: Url,
    pub api_url: Url,
    /// The OAuth client id Neon issued to this installation's partner registration.
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// `NEON_API_KEY`: used instead of the stored sign-in when set.
    pub api_key: Option<Secret>,
    /// The folder holding the token file and its lock.
    pub config_dir: PathBuf,
    /// Scopes requested at sign-in, beyond [`BASE_SCOPES`].
    pub scopes: Vec<String>,
    /// How long sign-in waits for the browser.
    pub login_timeout: Duration,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{source_name} is not a valid URL ({value}): {reason}")]
    InvalidUrl {
        source_name: String,
        value: String,
        reason: String,
    },
    #[error(
        "no configuration folder: the operating system reports no user config directory; set {} to a folder for the Neon sign-in",
        env::CONFIG_DIR
    )]
    NoConfigDir,
}

impl Settings {
    /// Settings from the environment, with Neon's public endpoints as defaults.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Settings from any variable lookup (the language server passes its own, tests pass maps).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let oidc_url = parse_url(
            env::OIDC_URL,
            &lookup(env::OIDC_URL).unwrap_or_else(|| DEFAULT_OIDC_URL.to_owned()),
        )?;
        let api_url = parse_url(
            env::API_URL,
            &lookup(env::API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
        )?;
        let config_dir = match lookup(env::CONFIG_DIR) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::config_dir()
                .map(|dir| dir.join("neon-lsp"))
                .ok_or(SettingsError::NoConfigDir)?,
        };
        Ok(Settings {
            oidc_url,
            api_url,
            client_id: lookup(env::CLIENT_ID).map(|id| id.trim().to_owned()),
            client_secret: lookup(env::CLIENT_SECRET).map(Secret::new),
            api_key: lookup(env::API_KEY).map(|key| Secret::new(key.trim())),
            config_dir,
            scopes: vec![SCOPE_PROJECTS_READ.to_owned(), SCOPE_ORGS_READ.to_owned()],
            login_timeout: Duration::from_secs(300),
        })
    }

    /// Every scope a sign-in requests, in order, without duplicates.
    pub fn requested_scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = BASE_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        for scope in &self.scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        scopes
    }

    /// The token file.
    pub fn token_path(&self) -> PathBuf {
        self.config_dir.join(token_store::TOKEN_FILE_NAME)
    }
}

/// Parses a URL from a flag or variable, naming where it came from when it is not one.
pub fn parse_url(source_name: &str, value: &str) -> Result<Url, SettingsError> {
    let parsed = Url::parse(value.trim()).map_err(|error| SettingsError::InvalidUrl {
        source_name: source_name.to_owned(),
        value: value.to_owned(),
        reason: error.to_string(),
    })?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(SettingsError::InvalidUrl {
            source_name: source_name.to_owned(),
            value: value.to_owned(),
            reason: "expected an https:// URL".to_owned(),
        });
    }
    Ok(parsed)
}

/// Whether `url` may be used without TLS: only loopback hosts (tests, local proxies). Tokens
/// and passwords travel over these URLs, so anything else must be https.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The HTTP client every Neon request goes through: TLS via rustls, no redirects (a token
/// endpoint that redirects would hand the code or token to someone else), bounded timeouts.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("neon-lsp/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_are_neons_public_endpoints() {
        let settings = Settings::from_lookup(lookup(&[(env::CONFIG_DIR, "/tmp/x")])).unwrap();
        assert_eq!(settings.oidc_url.as_str(), DEFAULT_OIDC_URL);
        assert_eq!(settings.api_url.as_str(), DEFAULT_API_URL);
        assert_eq!(settings.client_id, None);
        assert_eq!(
            settings.requested_scopes(),
            [
                "openid",
                "offline",
                "offline_access",
                SCOPE_PROJECTS_READ,
                SCOPE_ORGS_READ
            ]
        );
    }

    #[test]
    fn environment_overrides_and_bad_urls_name_their_source() {
        let settings = Settings::from_lookup(lookup(&[
            (env::CONFIG_DIR, "/tmp/x"),
            (env::API_URL, "http://127.0.0.1:9/api/v2"),
            (env::API_KEY, " key "),
        ]))
        .unwrap();
        assert_eq!(settings.api_url.as_str(), "http://127.0.0.1:9/api/v2");
        assert_eq!(settings.api_key.as_ref().unwrap().expose(), "key");
        let error =
            Settings::from_lookup(lookup(&[(env::CONFIG_DIR, "/x"), (env::OIDC_URL, "nope")]))
                .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("NEON_OIDC_URL is not a valid URL")
        );
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("npg_supersecret");
        assert_eq!(format!("{secret} {secret:?}"), "**** ****");
        let settings = Settings::from_lookup(lookup(&[
            (env::CONFIG_DIR, "/tmp/x"),
            (env::API_KEY, "napi_key_value"),
            (env::CLIENT_SECRET, "client_secret_value"),
        ]))
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("napi_key_value") && !debug.contains("client_secret_value"));
    }

    #[test]
    fn only_loopback_hosts_may_skip_tls() {
        assert!(is_loopback(&Url::parse("http://127.0.0.1:8080/x").unwrap()));
        assert!(is_loopback(&Url::parse("http://[::1]:8080/x").unwrap()));
        assert!(is_loopback(&Url::parse("http://localhost/x").unwrap()));
        assert!(!is_loopback(
            &Url::parse("http://oauth2.neon.tech/x").unwrap()
        ));
    }
}

//! The OpenID provider's configuration (OpenID Connect Discovery 1.0), fetched and checked.
//!
//! What it checks before anyone sends a code or a token to these endpoints: the issuer is the
//! one the document was fetched from (Discovery §4.3, no mix-up with another provider), every
//! endpoint is https unless it is on a loopback address, and PKCE S256 is offered when the
//! document lists challenge methods at all.
//!
//! Not here: the sign-in itself ([`super::login`]) or any token handling.

use serde::Deserialize;
use url::Url;

const WELL_KNOWN: &str = ".well-known/openid-configuration";

/// The endpoints and capabilities sign-in needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    /// RFC 7009 revocation, used by sign-out; Neon publishes one.
    pub revocation_endpoint: Option<Url>,
    pub scopes_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("could not fetch the OpenID configuration from {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("the OpenID configuration at {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("the OpenID configuration at {url} is not valid JSON of the expected shape: {reason}")]
    Shape { url: String, reason: String },
    #[error(
        "the OpenID configuration at {url} names issuer {issuer}, not the address it was fetched from; refusing to use it (OpenID Connect Discovery §4.3)"
    )]
    IssuerMismatch { url: String, issuer: String },
    #[error(
        "the OpenID configuration at {url} has {field} = {value}, which is not https; tokens must not travel unencrypted"
    )]
    Insecure {
        url: String,
        field: &'static str,
        value: String,
    },
    #[error(
        "the OpenID provider at {url} does not offer PKCE with S256 (it offers {offered}); neon-lsp signs in only with S256"
    )]
    NoPkceS256 { url: String, offered: String },
}

#[derive(Deserialize)]
struct RawMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
}

/// The document's address for a configured URL: used as is when it already ends with the
/// well-known path, otherwise treated as the issuer and completed (Discovery §4).
pub fn configuration_url(configured: &Url) -> Url {
    if configured.path().ends_with(WELL_KNOWN) {
        return configured.clone();
    }
    let mut url = configured.clone();
    let path = format!("{}/{WELL_KNOWN}", configured.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// Fetches and checks the provider's configuration.
pub async fn discover(
    http: &reqwest::Client,
    configured: &Url,
) -> Result<ProviderMetadata, DiscoveryError> {
    let url = configuration_url(configured);
    let shown = url.to_string();
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| DiscoveryError::Fetch {
            url: shown.clone(),
            reason: describe_reqwest_error(&error),
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(DiscoveryError::Status {
            url: shown,
            status: status.as_u16(),
        });
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| DiscoveryError::Fetch {
            url: shown.clone(),
            reason: describe_reqwest_error(&error),
        })?;
    parse_metadata(&url, &body)
}

/// Parses and checks a configuration document fetched from `url`.
pub fn parse_metadata(url: &Url, body: &[u8]) -> Result<ProviderMetadata, DiscoveryError> {
    let shown = url.to_string();
    let raw: RawMetadata = serde_json::from_slice(body).map_err(|error| DiscoveryError::Shape {
        url: shown.clone(),
        reason: error.to_string(),
    })?;
    let expected_issuer = url
        .as_str()
        .strip_suffix(WELL_KNOWN)
        .unwrap_or(url.as_str())
        .trim_end_matches('/');
    if raw.issuer.trim_end_matches('/') != expected_issuer {
        return Err(DiscoveryError::IssuerMismatch {
            url: shown,
            issuer: raw.issuer,
        });
    }
    let endpoint = |field: &'static str, value: &str| -> Result<Url, DiscoveryError> {
        let parsed = Url::parse(value).map_err(|error| DiscoveryError::Shape {
            url: shown.clone(),
            reason: format!("{field} is not a URL: {error}"),
        })?;
        if parsed.scheme() != "https" && !super::is_loopback(&parsed) {
            return Err(DiscoveryError::Insecure {
                url: shown.clone(),
                field,
                value: value.to_owned(),
            });
        }
        Ok(parsed)
    };
    let authorization_endpoint = endpoint("authorization_endpoint", &raw.authorization_endpoint)?;
    let token_endpoint = endpoint("token_endpoint", &raw.token_endpoint)?;
    let revocation_endpoint = raw
        .revocation_endpoint
        .as_deref()
        .map(|value| endpoint("revocation_endpoint", value))
        .transpose()?;
    // An empty list means the provider did not say; Neon's says "plain", "S256".
    if !raw.code_challenge_methods_supported.is_empty()
        && !raw
            .code_challenge_methods_supported
            .iter()
            .any(|method| method == "S256")
    {
        return Err(DiscoveryError::NoPkceS256 {
            url: shown,
            offered: raw.code_challenge_methods_supported.join(", "),
        });
    }
    Ok(ProviderMetadata {
        issuer: raw.issuer,
        authorization_endpoint,
        token_endpoint,
        revocation_endpoint,
        scopes_supported: raw.scopes_supported,
        code_challenge_methods_supported: raw.code_challenge_methods_supported,
    })
}

/// A transport error in words, without the URL's query (which may hold a code) or any header.
pub(crate) fn describe_reqwest_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_decode() || error.is_body() {
        "the response could not be read"
    } else {
        "request failed"
    };
    // The innermost source names the real cause (DNS, refused, TLS) without the request's URL.
    let mut cause = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example document from Neon's partner guide ("About the Neon OAuth server").
    const NEON_EXAMPLE: &str = r#"{
      "issuer": "https://oauth2.neon.tech/",
      "authorization_endpoint": "https://oauth2.neon.tech/oauth2/auth",
      "token_endpoint": "https://oauth2.neon.tech/oauth2/token",
      "jwks_uri": "https://oauth2.neon.tech/.well-known/jwks.json",
      "scopes_supported": ["offline_access", "offline", "openid"],
      "revocation_endpoint": "https://oauth2.neon.tech/oauth2/revoke",
      "code_challenge_methods_supported": ["plain", "S256"]
    }"#;

    fn neon_url() -> Url {
        Url::parse(crate::neon::DEFAULT_OIDC_URL).unwrap()
    }

    #[test]
    fn neons_published_document_is_accepted() {
        let metadata = parse_metadata(&neon_url(), NEON_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(
            metadata.token_endpoint.as_str(),
            "https://oauth2.neon.tech/oauth2/token"
        );
        assert_eq!(
            metadata.revocation_endpoint.unwrap().as_str(),
            "https://oauth2.neon.tech/oauth2/revoke"
        );
    }

    #[test]
    fn an_issuer_url_gets_the_well_known_path() {
        let issuer = Url::parse("http://127.0.0.1:4000").unwrap();
        assert_eq!(
            configuration_url(&issuer).as_str(),
            "http://127.0.0.1:4000/.well-known/openid-configuration"
        );
        assert_eq!(configuration_url(&neon_url()), neon_url());
    }

    #[test]
    fn another_issuer_is_refused() {
        let body = NEON_EXAMPLE.replace("\"https://oauth2.neon.tech/\"", "\"https://evil.test/\"");
        let error = parse_metadata(&neon_url(), body.as_bytes()).unwrap_err();
        assert!(
            matches!(error, DiscoveryError::IssuerMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn plain_http_endpoints_are_refused_off_loopback() {
        let body = NEON_EXAMPLE.replace(
            "https://oauth2.neon.tech/oauth2/token",
            "http://oauth2.neon.tech/oauth2/token",
        );
        let error = parse_metadata(&neon_url(), body.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("token_endpoint"), "{error}");
    }

    #[test]
    fn a_provider_without_s256_is_refused() {
        let body = NEON_EXAMPLE.replace("[\"plain\", \"S256\"]", "[\"plain\"]");
        let error = parse_metadata(&neon_url(), body.as_bytes()).unwrap_err();
        assert!(
            matches!(error, DiscoveryError::NoPkceS256 { .. }),
            "{error}"
        );
    }

    #[test]
    fn garbage_is_a_shape_error() {
        let error = parse_metadata(&neon_url(), b"<html>").unwrap_err();
        assert!(matches!(error, DiscoveryError::Shape { .. }));
    }
}

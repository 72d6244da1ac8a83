//! Rendering: Neon's connection URI → the variables Service Connector sets for the client type.

use super::*;

/// One variable to write: its name, its value, and the value as it may be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedVariable {
    pub name: String,
    value: Secret,
    /// The value with any password replaced by `****`.
    pub shown: String,
    /// The value holds a password (alone or inside a connection string).
    pub carries_secret: bool,
}

impl RenderedVariable {
    pub fn value(&self) -> &str {
        self.value.expose()
    }
}

impl fmt::Debug for RenderedVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedVariable")
            .field("name", &self.name)
            .field("shown", &self.shown)
            .field("carries_secret", &self.carries_secret)
            .finish()
    }
}

/// Why Neon's connection URI could not be turned into variables.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// `connstr` errors name keys, never values.
    #[error("the connection URI from Neon does not parse: {0}")]
    Unparseable(String),
    #[error("the connection URI from Neon has no {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Unsupported(#[from] UnsupportedCombination),
    #[error("{0} is not a variable Service Connector sets for Neon")]
    NotForNeon(String),
}

/// The variables Service Connector sets for a Neon connection of `client` (catalogue §3, N1),
/// with the values of Neon's connection URI, in the catalogue's order and formats.
pub fn render_variables(
    client: ClientType,
    connection_name: Option<&str>,
    uri: &Secret,
) -> Result<Vec<RenderedVariable>, RenderError> {
    let mut params = connstr::parse_as(uri.expose(), Format::Uri)
        .map_err(|error| RenderError::Unparseable(error.to_string()))?;
    // Neon takes TLS connections only and every documented string says sslmode=require (N1);
    // a URI that says less still gets `require`, so `tls-disabled` has nothing to report.
    if !params
        .ssl_mode
        .is_some_and(|mode| mode.guarantees_encryption())
    {
        params.ssl_mode = Some(SslMode::Require);
        params.ssl_flag = None;
    }
    // Service Connector writes the port (5432) in every format that has one (N1).
    if let Some((_, port)) = params.hosts.first_mut()
        && port.is_none()
    {
        *port = Some(connstr::DEFAULT_PORT);
    }
    let host = params
        .host()
        .ok_or(RenderError::Missing("host"))?
        .to_owned();
    let user = params.user.clone().ok_or(RenderError::Missing("user"))?;
    let password = params
        .password
        .clone()
        .ok_or(RenderError::Missing("password"))?;
    let database = params
        .database
        .clone()
        .ok_or(RenderError::Missing("database name"))?;
    let mut without_credentials = params.clone();
    without_credentials.user = None;
    without_credentials.password = None;

    let variables = catalogue::variables(Target::Neon, client, AuthType::Secret, connection_name)?;
    let mut rendered = Vec::with_capacity(variables.len());
    for variable in variables {
        let (value, shown) = match variable.entry.format {
            // N1's .NET string has no Password= (service-connector.md §6.2, most likely a doc
            // regression); a local .env without it cannot connect, so the password is kept.
            ValueFormat::Npgsql => (params.render(Format::Npgsql), params.masked(Format::Npgsql)),
            // Java gets user and password in the URL; Spring Boot gets them as properties.
            ValueFormat::Jdbc if variable.entry.carries_password => {
                (params.render(Format::Jdbc), params.masked(Format::Jdbc))
            }
            ValueFormat::Jdbc => (
                without_credentials.render(Format::Jdbc),
                without_credentials.masked(Format::Jdbc),
            ),
            ValueFormat::KeyValue(keys) => (
                params.render_key_value_ordered(keys),
                params.masked_key_value_ordered(keys),
            ),
            ValueFormat::Host => (host.clone(), host.clone()),
            ValueFormat::User => (user.clone(), user.clone()),
            ValueFormat::Password => (password.expose().to_owned(), MASK.to_owned()),
            ValueFormat::Database => (database.clone(), database.clone()),
            ValueFormat::Port => {
                let port = params.port().to_string();
                (port.clone(), port)
            }
            ValueFormat::SslFlag => ("true".to_owned(), "true".to_owned()),
            ValueFormat::Literal(literal) => (literal.to_owned(), literal.to_owned()),
            ValueFormat::Guid | ValueFormat::ClientSecret => {
                return Err(RenderError::NotForNeon(variable.name));
            }
        };
        let carries_secret = value != shown;
        rendered.push(RenderedVariable {
            name: variable.name,
            value: Secret::new(value),
            shown,
            carries_secret,
        });
    }
    Ok(rendered)
}

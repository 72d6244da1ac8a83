//! From variables to connection settings: which connection, which variables, which parameters.
//!
//! Pure: it reads the values it is given (the .env files in scope and the process environment,
//! the process environment winning as on the platform) and returns what to connect to, or a
//! configuration error that names the variable and the file. It does no I/O and does not
//! connect; see `super::connect`.

use crate::catalogue::{self, AuthType, Field, Target, spring};
use crate::connstr::{self, ComponentValues, ConnectionParams, Format, Password, SslMode};
use crate::dotenv::EnvFile;
use std::collections::HashMap;
use std::fmt;

/// Where a value came from, for messages ("NEON_POSTGRESQL_HOST from .env").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Process,
    EnvFile(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Process => f.write_str("the process environment"),
            Origin::EnvFile(path) => f.write_str(path),
        }
    }
}

/// The variables available to the app: .env files in precedence order, under the process
/// environment.
#[derive(Debug, Default)]
pub struct Sources {
    /// (display path, parsed file), highest precedence first.
    pub env_files: Vec<(String, EnvFile)>,
    pub process: HashMap<String, String>,
}

impl Sources {
    /// The value the app would see, and where it comes from. Within one .env file the last
    /// definition wins (dotenv loaders that override; `duplicate-key` flags the case).
    pub fn get(&self, key: &str) -> Option<(&str, Origin)> {
        if let Some(value) = self.process.get(key) {
            return Some((value, Origin::Process));
        }
        self.env_files.iter().find_map(|(path, file)| {
            file.get(key)
                .map(|entry| (entry.value.as_str(), Origin::EnvFile(path.clone())))
        })
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        self.process.keys().map(String::as_str).chain(
            self.env_files
                .iter()
                .flat_map(|(_, file)| file.entries.iter().map(|e| e.key.as_str())),
        )
    }
}

/// What the user asked for; everything `None` is inferred from the variables.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub target: Option<Target>,
    /// Whose words the advice in errors uses.
    pub audience: super::Audience,
    /// Connection name of a second connection (`NEON_POSTGRESQL_<NAME>_…`).
    pub name: Option<String>,
    pub auth: Option<AuthType>,
    /// The connection's client type when the caller knows it (the editor, from the analysis):
    /// advice then names the variables Service Connector sets for that client type.
    pub client_type: Option<catalogue::ClientType>,
}

/// How the password is obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// In the connection string or the password variable (or none at all: `.pgpass`-less trust).
    Password,
    /// An Entra token from the managed identity endpoint (`client_id` for a user-assigned one).
    ManagedIdentity { client_id: Option<String> },
    /// An Entra token by client credentials.
    ServicePrincipal {
        tenant_id: String,
        client_id: String,
        client_secret: Password,
    },
}

/// What to connect to.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: Target,
    pub name: Option<String>,
    pub auth: AuthType,
    pub params: ConnectionParams,
    pub credential: Credential,
    /// The variables the settings were built from, with their origin (no values).
    pub read: Vec<(String, Origin)>,
    /// "NEON_POSTGRESQL_CONNECTIONSTRING (libpq key-value) from .env"
    pub described: String,
}

impl Settings {
    pub fn host(&self) -> Option<&str> {
        self.params.host()
    }

    pub fn port(&self) -> u16 {
        self.params.port()
    }

    pub fn ssl_mode(&self) -> SslMode {
        self.params.effective_ssl_mode()
    }

    /// A Neon compute endpoint: `ep-<name>[-pooler].<region>.<provider>.neon.tech`, or, for
    /// clients that cannot send SNI, the `options=endpoint%3D<id>` fallback Neon documents.
    pub fn neon_endpoint(&self) -> Option<NeonEndpoint> {
        let from_host = self.host().and_then(NeonEndpoint::parse);
        from_host.or_else(|| {
            let options = self.params.option("options")?;
            let id = options
                .split_whitespace()
                .find_map(|part| part.strip_prefix("endpoint="))?;
            Some(NeonEndpoint {
                id: id.trim_end_matches("-pooler").to_owned(),
                pooled: id.ends_with("-pooler"),
            })
        })
    }
}

/// A Neon host name's parts: the endpoint id (what `options=endpoint%3D<id>` carries for
/// clients that cannot send SNI) and whether it is the PgBouncer pooler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeonEndpoint {
    pub id: String,
    pub pooled: bool,
}

impl NeonEndpoint {
    /// The endpoint a Neon host names (its shape is the catalogue's, `catalogue/hosts.rs`).
    pub fn parse(host: &str) -> Option<NeonEndpoint> {
        let (id, pooled) = crate::catalogue::neon_endpoint_id(host)?;
        Some(NeonEndpoint { id, pooled })
    }
}

/// Why no connection could be built. Exit code 2: fix the configuration, not the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub message: String,
}

fn config_error(message: impl Into<String>) -> ConfigError {
    ConfigError {
        message: message.into(),
    }
}

/// Builds the settings for the selected connection.
pub fn resolve(sources: &Sources, selection: &Selection) -> Result<Settings, ConfigError> {
    let name = selection
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(catalogue::normalise_connection_name);
    let target = match selection.target {
        Some(target) => target,
        None => infer_target(sources, name.as_deref(), selection.audience)?,
    };
    let var = |field: Field| catalogue::env_name(target, name.as_deref(), field);
    let get = |field: Field| {
        let key = var(field);
        sources
            .get(&key)
            .map(|(value, origin)| (key, value.to_owned(), origin))
    };
    let mut read = Vec::new();
    let (mut params, described) = if let Some((key, value, origin)) = get(Field::ConnectionString) {
        let (format, params) = connstr::parse(&value).map_err(|error| {
            config_error(format!(
                "{key} (from {origin}) is not a connection string neon-lsp can read: {error}. Service Connector writes it as {}",
                formats_for(target)
            ))
        })?;
        let described = format!("{key} ({}) from {origin}", format.description());
        read.push((key, origin));
        (params, described)
    } else if let Some((key, value, origin)) = spring_url(sources) {
        let params = connstr::parse_as(&value, Format::Jdbc).map_err(|error| {
            config_error(format!("{key} (from {origin}) is not a JDBC URL: {error}"))
        })?;
        let mut params = params;
        if let Some((user, _)) = sources.get(spring::USERNAME) {
            params.user = Some(user.to_owned()).filter(|u| !u.is_empty());
        }
        if let Some((password, _)) = sources.get(spring::PASSWORD) {
            params.password = Some(Password::new(password)).filter(|p| !p.expose().is_empty());
        }
        let described = format!("{key} (JDBC URL) from {origin}");
        read.push((key, origin));
        (params, described)
    } else if let Some((host_key, host, origin)) = get(Field::Host) {
        let mut values: HashMap<Field, String> = HashMap::new();
        for field in [
            Field::Port,
            Field::Database,
            Field::Name,
            Field::User,
            Field::Username,
            Field::Password,
            Field::Ssl,
        ] {
            if let Some((key, value, origin)) = get(field) {
                values.insert(field, value);
                read.push((key, origin));
            }
        }
        let components = ComponentValues {
            host: Some(&host),
            port: values.get(&Field::Port).map(String::as_str),
            database: values
                .get(&Field::Database)
                .or_else(|| values.get(&Field::Name))
                .map(String::as_str),
            user: values
                .get(&Field::User)
                .or_else(|| values.get(&Field::Username))
                .map(String::as_str),
            password: values.get(&Field::Password).map(String::as_str),
            ssl: values.get(&Field::Ssl).map(String::as_str),
        };
        let params = ConnectionParams::from_components(&components).map_err(|error| {
            let key = match error.component {
                connstr::Component::Host => var(Field::Host),
                connstr::Component::Port => var(Field::Port),
                connstr::Component::Database => var(Field::Database),
                connstr::Component::User => var(Field::User),
                connstr::Component::Password => var(Field::Password),
                connstr::Component::Ssl => var(Field::Ssl),
            };
            config_error(format!("{key}: {}", error.error))
        })?;
        let described = format!("{host_key} and the other component variables from {origin}");
        read.insert(0, (host_key, origin));
        (params, described)
    } else {
        return Err(no_variables(target, name.as_deref(), selection));
    };
    if params.host().is_none() {
        return Err(config_error(format!(
            "{described} names no host; add host= (or the server part of the URL)"
        )));
    }
    if params.user.is_none() {
        return Err(config_error(format!(
            "{described} names no user; Service Connector always sets one"
        )));
    }
    // A password variable next to a password-less string (Azure's documented .NET/Java form)
    // supplies it.
    if params.password.is_none()
        && let Some((key, value, origin)) = get(Field::Password)
        && !value.is_empty()
    {
        params.password = Some(Password::new(value));
        read.push((key, origin));
    }
    let auth = match selection.auth {
        Some(auth) => auth,
        None if target == Target::Neon || params.password.is_some() => AuthType::Secret,
        None => infer_passwordless(sources, target, name.as_deref()),
    };
    if target == Target::Neon && auth != AuthType::Secret {
        return Err(config_error(
            catalogue::UnsupportedCombination { target, auth }.to_string(),
        ));
    }
    let credential = match auth {
        AuthType::Secret => Credential::Password,
        AuthType::SystemIdentity => Credential::ManagedIdentity { client_id: None },
        AuthType::UserIdentity => {
            let (key, value, origin) = get(Field::ClientId).ok_or_else(|| {
                config_error(format!(
                    "user-assigned identity needs {} (the identity's client id); it is not set",
                    var(Field::ClientId)
                ))
            })?;
            read.push((key, origin));
            Credential::ManagedIdentity {
                client_id: Some(value),
            }
        }
        AuthType::ServicePrincipal => {
            let mut need = |field: Field| {
                let (key, value, origin) = get(field).ok_or_else(|| {
                    config_error(format!(
                        "service principal auth needs {}; it is not set",
                        var(field)
                    ))
                })?;
                read.push((key, origin));
                Ok::<String, ConfigError>(value)
            };
            let client_id = need(Field::ClientId)?;
            let tenant_id = need(Field::TenantId)?;
            let client_secret = Password::new(need(Field::ClientSecret)?);
            Credential::ServicePrincipal {
                tenant_id,
                client_id,
                client_secret,
            }
        }
    };
    Ok(Settings {
        target,
        name,
        auth,
        params,
        credential,
        read,
        described,
    })
}

/// Neither a connection string nor a host is set. With the client type known, the message names
/// the variables Service Connector sets for it (a Node.js app never gets a connection string).
fn no_variables(target: Target, name: Option<&str>, selection: &Selection) -> ConfigError {
    let var = |field: Field| catalogue::env_name(target, name, field);
    let auth = selection.auth.unwrap_or(AuthType::Secret);
    let client_variables = selection
        .client_type
        .and_then(|client| {
            Some((
                client,
                catalogue::variables(target, client, auth, name).ok()?,
            ))
        })
        .filter(|(_, variables)| !variables.is_empty());
    let Some((client, variables)) = client_variables else {
        return config_error(format!(
            "no connection variables found: neither {} nor {} is set in the .env files in scope or the process environment. \
             To fix: {}, or set the variables Service Connector injects (`neon-lsp snippet --list` shows them)",
            var(Field::ConnectionString),
            var(Field::Host),
            selection.audience.env_files_hint()
        ));
    };
    // The variable the test starts from: the connection string, else the host (or Spring's URL).
    let first = [Field::ConnectionString, Field::Host]
        .into_iter()
        .find(|field| variables.iter().any(|v| v.field() == Some(*field)))
        .map(var)
        .unwrap_or_else(|| variables[0].name.clone());
    let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
    config_error(format!(
        "no connection variables found: {first} is not set in the .env files in scope or the process environment. \
         Service Connector sets {} for a {} app ({} auth). To fix: {}, or set those variables",
        names.join(", "),
        client.id(),
        auth.id(),
        selection.audience.env_files_hint()
    ))
}

fn formats_for(target: Target) -> &'static str {
    match target {
        Target::Neon => {
            "a URI, libpq key-value, Npgsql or JDBC string depending on the client type"
        }
        Target::AzurePostgresql => {
            "libpq key-value (Python, Go, PHP, Ruby), Npgsql (.NET) or JDBC (Java)"
        }
    }
}

fn spring_url(sources: &Sources) -> Option<(String, String, Origin)> {
    [spring::URL, "SPRING_DATASOURCE_URL"]
        .into_iter()
        .find_map(|key| {
            sources
                .get(key)
                .map(|(value, origin)| (key.to_owned(), value.to_owned(), origin))
        })
}

/// Neon when only Neon variables are set, Azure when only Azure ones are; both → ask.
fn infer_target(
    sources: &Sources,
    name: Option<&str>,
    audience: super::Audience,
) -> Result<Target, ConfigError> {
    let present: Vec<Target> = [Target::Neon, Target::AzurePostgresql]
        .into_iter()
        .filter(|target| {
            let prefix = match name {
                Some(name) => format!("{}{name}_", target.prefix()),
                None => target.prefix().to_owned(),
            };
            sources.keys().any(|key| {
                key.starts_with(&prefix)
                    && catalogue::parse_name(key).is_some_and(|parsed| {
                        parsed.connection.as_deref() == name && parsed.target == *target
                    })
            })
        })
        .collect();
    match present.as_slice() {
        [target] => Ok(*target),
        [] if sources.get(spring::URL).is_some()
            || sources.get("SPRING_DATASOURCE_URL").is_some() =>
        {
            Ok(Target::AzurePostgresql)
        }
        [] => Err(config_error(match name {
            Some(name) => format!(
                "no variables of a connection named {name} (NEON_POSTGRESQL_{name}_… or AZURE_POSTGRESQL_{name}_…) are set in the .env files in scope or the process environment"
            ),
            None => format!(
                "no NEON_POSTGRESQL_… or AZURE_POSTGRESQL_… variables are set in the .env files in scope or the process environment; {}",
                audience.connection_hint()
            ),
        })),
        _ => Err(config_error(format!(
            "both NEON_POSTGRESQL_… and AZURE_POSTGRESQL_… variables are set; {}",
            audience.target_hint()
        ))),
    }
}

/// The passwordless auth type the variables imply: `infer::passwordless_auth`, as the linter
/// infers it from the variables the code reads (a tenant or a client secret mean a service
/// principal, a client id alone a user-assigned identity), else the system-assigned identity.
fn infer_passwordless(sources: &Sources, target: Target, name: Option<&str>) -> AuthType {
    crate::infer::passwordless_auth(|field| {
        let variable = catalogue::env_name(target, name, field);
        sources.get(&variable).is_some().then_some(variable)
    })
    .map_or(AuthType::SystemIdentity, |(auth, _)| auth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dotenv;

    fn sources(env: &str, process: &[(&str, &str)]) -> Sources {
        Sources {
            env_files: vec![(".env".to_owned(), dotenv::parse(env))],
            process: process
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn every_string_format_and_the_components_give_the_same_parameters() {
        let strings = [
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-a-b.eastus2.azure.neon.tech port=5432 sslmode=require user=app password=pw\"",
            "NEON_POSTGRESQL_CONNECTIONSTRING=postgresql://app:pw@ep-a-b.eastus2.azure.neon.tech:5432/neondb?sslmode=require",
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"Server=ep-a-b.eastus2.azure.neon.tech;Database=neondb;Port=5432;User Id=app;Password=pw;Ssl Mode=Require;\"",
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"jdbc:postgresql://ep-a-b.eastus2.azure.neon.tech:5432/neondb?sslmode=require&user=app&password=pw\"",
        ];
        for line in strings {
            let settings = resolve(&sources(line, &[]), &Selection::default()).unwrap();
            assert_eq!(settings.target, Target::Neon);
            assert_eq!(
                settings.host(),
                Some("ep-a-b.eastus2.azure.neon.tech"),
                "{line}"
            );
            assert_eq!(settings.params.user.as_deref(), Some("app"));
            assert_eq!(settings.params.database.as_deref(), Some("neondb"));
            assert_eq!(settings.params.password.as_ref().unwrap().expose(), "pw");
            assert_eq!(settings.ssl_mode(), SslMode::Require);
            assert_eq!(settings.credential, Credential::Password);
        }
        let components = "NEON_POSTGRESQL_HOST=ep-a-b.eastus2.azure.neon.tech\nNEON_POSTGRESQL_USER=app\n\
                          NEON_POSTGRESQL_PASSWORD=pw\nNEON_POSTGRESQL_DATABASE=neondb\nNEON_POSTGRESQL_PORT=5432\nNEON_POSTGRESQL_SSL=true\n";
        let settings = resolve(&sources(components, &[]), &Selection::default()).unwrap();
        assert_eq!(settings.params.database.as_deref(), Some("neondb"));
        assert_eq!(settings.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(settings.read.len(), 6);
    }

    #[test]
    fn the_process_environment_wins_over_env_files() {
        let s = sources(
            "NEON_POSTGRESQL_HOST=ep-file.neon.tech\nNEON_POSTGRESQL_USER=app\n",
            &[("NEON_POSTGRESQL_HOST", "ep-process.neon.tech")],
        );
        let settings = resolve(&s, &Selection::default()).unwrap();
        assert_eq!(settings.host(), Some("ep-process.neon.tech"));
        assert!(
            settings.described.contains("the process environment"),
            "{}",
            settings.described
        );
    }

    #[test]
    fn passwordless_auth_is_inferred_from_the_variables() {
        let base = "AZURE_POSTGRESQL_CONNECTIONSTRING=\"host=s.postgres.database.azure.com port=5432 dbname=db user=app sslmode=require\"\n";
        let auth = |extra: &str| {
            resolve(
                &sources(&format!("{base}{extra}"), &[]),
                &Selection::default(),
            )
            .unwrap()
            .auth
        };
        assert_eq!(auth(""), AuthType::SystemIdentity);
        assert_eq!(
            auth("AZURE_POSTGRESQL_CLIENTID=c\n"),
            AuthType::UserIdentity
        );
        assert_eq!(
            auth(
                "AZURE_POSTGRESQL_CLIENTID=c\nAZURE_POSTGRESQL_TENANTID=t\nAZURE_POSTGRESQL_CLIENTSECRET=s\n"
            ),
            AuthType::ServicePrincipal
        );
        // A tenant is only ever injected for a service principal (P1 §4.2): the linter's
        // inference, not a user-assigned identity; the missing secret is then named.
        let error = resolve(
            &sources(
                &format!("{base}AZURE_POSTGRESQL_CLIENTID=c\nAZURE_POSTGRESQL_TENANTID=t\n"),
                &[],
            ),
            &Selection::default(),
        )
        .unwrap_err();
        assert!(
            error.message.contains("AZURE_POSTGRESQL_CLIENTSECRET"),
            "{}",
            error.message
        );
        let settings = resolve(
            &sources(&format!("{base}AZURE_POSTGRESQL_CLIENTID=c\nAZURE_POSTGRESQL_TENANTID=t\nAZURE_POSTGRESQL_CLIENTSECRET=very-secret\n"), &[]),
            &Selection::default(),
        )
        .unwrap();
        assert!(!format!("{settings:?}").contains("very-secret"));
    }

    #[test]
    fn named_connections_and_bad_input_give_clear_errors() {
        let s = sources(
            "NEON_POSTGRESQL_ORDERS_HOST=ep-o.neon.tech\nNEON_POSTGRESQL_ORDERS_USER=o\n",
            &[],
        );
        let selection = Selection {
            name: Some("orders".into()),
            ..Selection::default()
        };
        assert_eq!(
            resolve(&s, &selection).unwrap().host(),
            Some("ep-o.neon.tech")
        );
        let error = resolve(&s, &Selection::default()).unwrap_err();
        assert!(error.message.contains("no NEON_POSTGRESQL_"), "{error}");
        // A Node.js or Django connection never gets a connection string: the advice names the
        // variables of its client type instead.
        let host_only = sources("NEON_POSTGRESQL_PORT=5432\n", &[]);
        for (client, expected) in [
            (
                catalogue::ClientType::NodeJs,
                "NEON_POSTGRESQL_HOST, NEON_POSTGRESQL_USER",
            ),
            (
                catalogue::ClientType::Django,
                "NEON_POSTGRESQL_NAME, NEON_POSTGRESQL_HOST",
            ),
        ] {
            let selection = Selection {
                client_type: Some(client),
                ..Selection::default()
            };
            let message = resolve(&host_only, &selection).unwrap_err().message;
            assert!(!message.contains("CONNECTIONSTRING"), "{message}");
            assert!(
                message
                    .starts_with("no connection variables found: NEON_POSTGRESQL_HOST is not set"),
                "{message}"
            );
            assert!(message.contains(expected), "{message}");
            assert!(
                message.contains(&format!("for a {} app", client.id())),
                "{message}"
            );
        }
        let python = Selection {
            client_type: Some(catalogue::ClientType::Python),
            ..Selection::default()
        };
        let message = resolve(&host_only, &python).unwrap_err().message;
        assert!(
            message.contains("NEON_POSTGRESQL_CONNECTIONSTRING is not set"),
            "{message}"
        );
        let bad = sources(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"host='unterminated\"\n",
            &[],
        );
        let error = resolve(&bad, &Selection::default()).unwrap_err();
        assert!(
            error
                .message
                .contains("NEON_POSTGRESQL_CONNECTIONSTRING (from .env)"),
            "{error}"
        );
        let both = sources("NEON_POSTGRESQL_HOST=a\nAZURE_POSTGRESQL_HOST=b\n", &[]);
        assert!(
            resolve(&both, &Selection::default())
                .unwrap_err()
                .message
                .contains("--target")
        );
        // An editor's user cannot pass flags: the advice names settings instead.
        let from_editor = Selection {
            audience: crate::testconn::Audience::Editor,
            ..Selection::default()
        };
        let advice = resolve(&both, &from_editor).unwrap_err().message;
        assert!(advice.contains("neon-lsp.target setting"), "{advice}");
        assert!(!advice.contains("--"), "{advice}");
        let user_identity = Selection {
            auth: Some(AuthType::UserIdentity),
            ..Selection::default()
        };
        let azure = sources(
            "AZURE_POSTGRESQL_CONNECTIONSTRING=\"host=h user=u dbname=d\"\n",
            &[],
        );
        let error = resolve(&azure, &user_identity).unwrap_err();
        assert!(
            error.message.contains("AZURE_POSTGRESQL_CLIENTID"),
            "{error}"
        );
    }

    #[test]
    fn neon_endpoints_and_poolers_are_recognised() {
        assert_eq!(
            NeonEndpoint::parse("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"),
            Some(NeonEndpoint {
                id: "ep-cool-darkness-123456".into(),
                pooled: true
            })
        );
        assert_eq!(
            NeonEndpoint::parse("ep-still-mud-a12aa123.eastus2.azure.neon.tech").map(|e| e.pooled),
            Some(false)
        );
        assert_eq!(NeonEndpoint::parse("localhost"), None);
        // The SNI-less fallback: options=endpoint%3D<id> in the string.
        let s = sources(
            "NEON_POSTGRESQL_CONNECTIONSTRING=\"postgresql://app:pw@10.0.0.5/db?sslmode=require&options=endpoint%3Dep-cool-darkness-123456\"\n",
            &[],
        );
        let settings = resolve(&s, &Selection::default()).unwrap();
        assert_eq!(
            settings.neon_endpoint(),
            Some(NeonEndpoint {
                id: "ep-cool-darkness-123456".into(),
                pooled: false
            })
        );
        assert_eq!(
            settings.params.option("options"),
            Some("endpoint=ep-cool-darkness-123456")
        );
    }
}

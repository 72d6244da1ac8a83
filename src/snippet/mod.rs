//! Connection snippets: complete, copy-and-run code that reads exactly the variables Service
//! Connector injects for a (target, client type, auth type), requires TLS, fails with a message
//! naming a missing variable, fetches an Entra token for passwordless auth, and closes what it
//! opens.
//!
//! Generated from the catalogue ([`catalogue::variables`]) so a snippet cannot drift from what the
//! rules check: the variable names come from there, and a test runs `neon-lsp check` on each
//! snippet next to a .env rendered for the same combination and expects no diagnostic. Each
//! language is one file here. Not for deciding which combination a project uses: the caller
//! (CLI flags, the language server's inference) says.
//!
//! Every client type has one: Python (psycopg2), Django (DATABASES + a token backend), Node.js
//! (pg), Go (pgx), Java (JDBC), Spring Boot (properties, YAML, a JdbcTemplate repository), .NET
//! (Npgsql), PHP (pgsql), Ruby (pg) and `none` (a psql script).

mod django;
mod dotnet;
mod go;
mod java;
mod node;
mod php;
pub mod place;
mod python;
pub mod request;
mod ruby;
mod shell;
mod spring;

use crate::catalogue::{self, AuthType, ClientType, Field, Target, Variable};
use std::fmt;

/// Which snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetRequest {
    pub target: Target,
    pub client_type: ClientType,
    pub auth: AuthType,
    /// Connection name of a second connection (`NEON_POSTGRESQL_<NAME>_…`).
    pub name: Option<String>,
    /// `customizedKeys` of the connection's linker (Service Connector's name, the app's): the
    /// snippet reads the app's names.
    pub customized_keys: Vec<(String, String)>,
}

impl fmt::Display for SnippetRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} × {} × {}", self.target, self.client_type, self.auth)?;
        if let Some(name) = &self.name {
            write!(f, " (connection {name})")?;
        }
        Ok(())
    }
}

/// One file of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetFile {
    /// Where it would go in a project (`db.py`, `db.js`).
    pub suggested_path: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The LSP language id of the files (`python`, `javascript`).
    pub language: &'static str,
    pub files: Vec<SnippetFile>,
    /// Packages to install, as the language's installer names them.
    pub dependencies: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnippetError {
    #[error(transparent)]
    Unsupported(#[from] catalogue::UnsupportedCombination),
}

/// Every (target, client type, auth) Service Connector offers.
pub fn combinations() -> Vec<SnippetRequest> {
    let mut all = Vec::new();
    for target in Target::ALL {
        for client_type in ClientType::ALL {
            for auth in target.auth_types() {
                let request = SnippetRequest {
                    target,
                    client_type,
                    auth: *auth,
                    name: None,
                    customized_keys: Vec::new(),
                };
                if catalogue::variables(target, client_type, *auth, None).is_ok() {
                    all.push(request);
                }
            }
        }
    }
    all
}

/// Values for rendering a combination's variables as Service Connector sets them.
#[derive(Debug, Clone, Default)]
pub struct EnvValues {
    /// Host, port, database, user, password (`None` for passwordless), sslmode.
    pub params: crate::connstr::ConnectionParams,
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
    pub client_secret: Option<String>,
}

/// The variables of `request` with `values`, each in the catalogue's format for it (libpq
/// key-value in the documented key order, Npgsql, JDBC, or one component) — what Service
/// Connector would inject, and what a .env file for local runs should hold.
pub fn render_env(
    request: &SnippetRequest,
    values: &EnvValues,
) -> Result<Vec<(String, String)>, catalogue::UnsupportedCombination> {
    use crate::catalogue::ValueFormat;
    use crate::connstr::Format;
    let variables = catalogue::variables(
        request.target,
        request.client_type,
        request.auth,
        request.name.as_deref(),
    )?;
    let params = &values.params;
    Ok(variables
        .into_iter()
        .map(|variable| {
            let value = match variable.entry.format {
                ValueFormat::KeyValue(order) => params.render_key_value_ordered(order),
                ValueFormat::Npgsql => params.render(Format::Npgsql),
                ValueFormat::Jdbc => params.render(Format::Jdbc),
                ValueFormat::Host => params.host().unwrap_or_default().to_owned(),
                ValueFormat::User => params.user.clone().unwrap_or_default(),
                ValueFormat::Password => params
                    .password
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
                ValueFormat::Database => params.database.clone().unwrap_or_default(),
                ValueFormat::Port => params.port().to_string(),
                ValueFormat::SslFlag => "true".to_owned(),
                ValueFormat::Guid => match variable.field() {
                    Some(Field::TenantId) => values.tenant_id.clone().unwrap_or_default(),
                    _ => values.client_id.clone().unwrap_or_default(),
                },
                ValueFormat::ClientSecret => values.client_secret.clone().unwrap_or_default(),
                ValueFormat::Literal(literal) => literal.to_owned(),
            };
            (variable.name, value)
        })
        .collect())
}

/// The snippet for `request`.
pub fn generate(request: &SnippetRequest) -> Result<Snippet, SnippetError> {
    let mut variables = catalogue::variables(
        request.target,
        request.client_type,
        request.auth,
        request.name.as_deref(),
    )?;
    for variable in &mut variables {
        if let Some((_, to)) = request
            .customized_keys
            .iter()
            .find(|(from, _)| *from == variable.name)
        {
            variable.name.clone_from(to);
        }
    }
    let context = Context {
        request,
        variables: &variables,
    };
    match request.client_type {
        ClientType::Python => Ok(python::generate(&context)),
        ClientType::NodeJs => Ok(node::generate(&context)),
        ClientType::Go => Ok(go::generate(&context)),
        ClientType::Java => Ok(java::generate(&context)),
        ClientType::Php => Ok(php::generate(&context)),
        ClientType::Ruby => Ok(ruby::generate(&context)),
        ClientType::None => Ok(shell::generate(&context)),
        ClientType::Django => Ok(django::generate(&context)),
        ClientType::DotNet => Ok(dotnet::generate(&context)),
        ClientType::SpringBoot => Ok(spring::generate(&context)),
    }
}

/// The name the README gives a client type's snippet language.
pub fn language_name(client_type: ClientType) -> &'static str {
    match client_type {
        ClientType::Python => "Python",
        ClientType::Django => "Django",
        ClientType::NodeJs => "Node.js",
        ClientType::Go => "Go",
        ClientType::Java => "Java",
        ClientType::SpringBoot => "Spring Boot",
        ClientType::DotNet => ".NET",
        ClientType::Php => "PHP",
        ClientType::Ruby => "Ruby",
        ClientType::None => "`none`",
    }
}

/// What a language generator needs: the request and its variables.
struct Context<'a> {
    request: &'a SnippetRequest,
    variables: &'a [Variable],
}

impl Context<'_> {
    /// The variable name for `field`, if the combination has it.
    fn var(&self, field: Field) -> Option<&str> {
        self.variables
            .iter()
            .find(|v| v.field() == Some(field))
            .map(|v| v.name.as_str())
    }

    /// The first comment line: what this is, for which combination, from where.
    fn title(&self) -> String {
        format!(
            "{} through Azure Service Connector (client type {}, auth {}). Generated by neon-lsp from the Service Connector catalogue.",
            self.request.target.display_name(),
            self.request.client_type,
            self.request.auth
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_available_snippet_reads_exactly_its_catalogue_variables() {
        for request in combinations() {
            for name in [None, Some("orders".to_string())] {
                let request = SnippetRequest {
                    name: name.clone(),
                    ..request.clone()
                };
                let snippet = generate(&request).unwrap();
                let text: String = snippet.files.iter().map(|f| f.text.as_str()).collect();
                let variables = catalogue::variables(
                    request.target,
                    request.client_type,
                    request.auth,
                    request.name.as_deref(),
                )
                .unwrap();
                assert!(
                    !text.contains("(\"\"") && !text.contains("(''"),
                    "{request}: an empty variable name"
                );
                for variable in &variables {
                    let quoted = [
                        format!("\"{}\"", variable.name),
                        format!("'{}'", variable.name),
                        format!("${{{}", variable.name),
                        // Spring properties are listed, not read: Spring binds them itself.
                        format!("#   {} ", variable.name),
                    ];
                    assert!(
                        quoted.iter().any(|q| text.contains(q.as_str())),
                        "{request}: {} not read",
                        variable.name
                    );
                }
                // No other Service Connector name appears.
                for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    if catalogue::looks_like_service_connector_name(word) {
                        assert!(
                            variables.iter().any(|v| v.name == word),
                            "{request}: reads {word}"
                        );
                    }
                }
                if request.auth.is_passwordless() {
                    // The v2 scope, or for the managed-identity REST endpoint its resource.
                    assert!(text.contains(catalogue::TOKEN_RESOURCE), "{request}");
                }
            }
        }
    }

    #[test]
    fn unsupported_combinations_say_why() {
        let neon_identity = SnippetRequest {
            target: Target::Neon,
            client_type: ClientType::Python,
            auth: AuthType::SystemIdentity,
            name: None,
            customized_keys: Vec::new(),
        };
        assert!(matches!(
            generate(&neon_identity),
            Err(SnippetError::Unsupported(_))
        ));
    }

    #[test]
    fn snippets_read_the_names_customized_keys_give() {
        let request = SnippetRequest {
            target: Target::AzurePostgresql,
            client_type: ClientType::NodeJs,
            auth: AuthType::Secret,
            name: None,
            customized_keys: vec![("AZURE_POSTGRESQL_HOST".into(), "DB_HOST".into())],
        };
        let text = &generate(&request).unwrap().files[0].text;
        assert!(text.contains("process.env.DB_HOST"), "{text}");
        assert!(!text.contains("AZURE_POSTGRESQL_HOST"), "{text}");
        assert!(text.contains("process.env.AZURE_POSTGRESQL_USER"), "{text}");
    }
}

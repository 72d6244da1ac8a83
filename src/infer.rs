//! Inference of client type and auth type when configuration does not say, with the reason
//! kept so that every message can say what was assumed and why.
//!
//! Pure functions over manifests' text and the variables code reads; the file system is
//! never touched (the workspace hands the manifests in).

use crate::catalogue::{AuthType, ClientType, Field};
use crate::scan::Language;
use crate::workspace::Manifest;
use std::fmt;

/// A value and why neon-lsp believes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<T> {
    pub value: T,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `neon-lsp.toml` says so.
    Config,
    /// A command-line flag says so.
    CommandLine,
    /// The editor's settings (the language server's `neon-lsp` section) say so.
    EditorSettings,
    /// A manifest at this workspace-relative path.
    Manifest(String),
    /// Infrastructure code or a deployment script declares it (Bicep, ARM, Terraform, az CLI).
    Declared(crate::declared::Location),
    /// Azure has it deployed: a Service Connector linker of an app (`check --azure`).
    Deployed { connection: String, app: String },
    /// The language of the file that reads the variable.
    Language(Language),
    /// The variables the code reads (e.g. `AZURE_POSTGRESQL_CLIENTID`).
    VariablesRead(String),
    /// Code requests an Entra token.
    TokenRequested(String),
    /// Nothing suggested otherwise.
    Default,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Config => f.write_str("from neon-lsp.toml"),
            Reason::CommandLine => f.write_str("from the command line"),
            Reason::EditorSettings => f.write_str("from the editor settings"),
            Reason::Manifest(path) => write!(f, "from {path}"),
            Reason::Declared(at) => write!(f, "from {at}"),
            Reason::Deployed { connection, app } => {
                write!(f, "from the deployed connection {connection} of {app}")
            }
            Reason::Language(language) => {
                write!(f, "from the file's language, {}", language.name())
            }
            Reason::VariablesRead(name) => write!(f, "because the code reads {name}"),
            Reason::TokenRequested(path) => write!(f, "because {path} requests an Entra token"),
            Reason::Default => f.write_str("the default"),
        }
    }
}

/// The client type a manifest implies, judged from its text.
pub fn client_type_from_manifest(manifest: Manifest, text: &str) -> ClientType {
    let lower = text.to_ascii_lowercase();
    match manifest {
        Manifest::RequirementsTxt
        | Manifest::PyprojectToml
        | Manifest::Pipfile
        | Manifest::SetupPy => {
            if mentions_package(&lower, "django") {
                ClientType::Django
            } else {
                ClientType::Python
            }
        }
        Manifest::PackageJson => ClientType::NodeJs,
        Manifest::GoMod => ClientType::Go,
        Manifest::Csproj => ClientType::DotNet,
        Manifest::PomXml | Manifest::Gradle => {
            if lower.contains("spring-boot") || lower.contains("org.springframework.boot") {
                ClientType::SpringBoot
            } else {
                ClientType::Java
            }
        }
        Manifest::ComposerJson => ClientType::Php,
        Manifest::Gemfile => ClientType::Ruby,
    }
}

/// `django` as a package name (`Django==5.0`, `"django>=4"`, `django = "*"`), not `django-environ` alone.
fn mentions_package(lower: &str, package: &str) -> bool {
    lower.match_indices(package).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + package.len()..].chars().next();
        let boundary_before =
            before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let boundary_after =
            after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        boundary_before && boundary_after
    })
}

/// Which client types can serve a source file of `language` (used to pick among manifests
/// of several ecosystems in one folder). `None` means any: shell, Dockerfile and YAML files
/// pass variables through for whatever app sits beside them.
pub fn language_family(language: Language) -> Option<&'static [ClientType]> {
    match language {
        Language::Python => Some(&[ClientType::Python, ClientType::Django]),
        Language::JavaScript => Some(&[ClientType::NodeJs]),
        Language::Go => Some(&[ClientType::Go]),
        Language::CSharp => Some(&[ClientType::DotNet]),
        Language::Java | Language::Kotlin | Language::Properties => {
            Some(&[ClientType::Java, ClientType::SpringBoot])
        }
        Language::Php => Some(&[ClientType::Php]),
        Language::Ruby => Some(&[ClientType::Ruby]),
        Language::Shell | Language::Dockerfile | Language::Yaml => None,
    }
}

/// The client type a file's language implies when no manifest says more.
pub fn client_type_from_language(language: Language) -> Option<ClientType> {
    match language {
        Language::Python => Some(ClientType::Python),
        Language::JavaScript => Some(ClientType::NodeJs),
        Language::Go => Some(ClientType::Go),
        Language::CSharp => Some(ClientType::DotNet),
        Language::Java | Language::Kotlin => Some(ClientType::Java),
        Language::Php => Some(ClientType::Php),
        Language::Ruby => Some(ClientType::Ruby),
        Language::Shell => Some(ClientType::None),
        Language::Dockerfile | Language::Yaml | Language::Properties => None,
    }
}

/// Files whose references only pass variables along (to a container, a pod, a workflow step):
/// they count as uses, but say nothing about the client type.
pub fn is_pass_through(language: Language) -> bool {
    matches!(language, Language::Dockerfile | Language::Yaml)
}

/// The auth type the passwordless variables imply, with the variable that decides (P1 §4.2:
/// only a service principal gets `_TENANTID` and `_CLIENTSECRET`; a user-assigned identity gets
/// `_CLIENTID` alone). `find` answers a field's variable name when present. `None`: neither,
/// so the system-assigned identity (or a secret). The one inference the linter and the
/// connection test share.
pub fn passwordless_auth(find: impl Fn(Field) -> Option<String>) -> Option<(AuthType, String)> {
    if let Some(name) = find(Field::TenantId).or_else(|| find(Field::ClientSecret)) {
        return Some((AuthType::ServicePrincipal, name));
    }
    find(Field::ClientId).map(|name| (AuthType::UserIdentity, name))
}

/// Auth type from the fields a connection's code reads (Azure PostgreSQL only; Neon is secret).
/// `token_file` is a file of the connection that requests an Entra token, if any.
pub fn auth_from_fields(
    fields_read: &[(Field, String)],
    token_file: Option<&str>,
) -> Resolved<AuthType> {
    let find = |field: Field| {
        fields_read
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, name)| name.clone())
    };
    if let Some((value, name)) = passwordless_auth(find) {
        return Resolved {
            value,
            reason: Reason::VariablesRead(name),
        };
    }
    let reads_password = find(Field::Password).is_some();
    if let (Some(path), false) = (token_file, reads_password) {
        return Resolved {
            value: AuthType::SystemIdentity,
            reason: Reason::TokenRequested(path.to_string()),
        };
    }
    Resolved {
        value: AuthType::Secret,
        reason: Reason::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_imply_client_types() {
        assert_eq!(
            client_type_from_manifest(Manifest::RequirementsTxt, "Django==5.0\npsycopg2\n"),
            ClientType::Django
        );
        assert_eq!(
            client_type_from_manifest(Manifest::RequirementsTxt, "flask\ndjango-environ\n"),
            ClientType::Python
        );
        assert_eq!(
            client_type_from_manifest(Manifest::PyprojectToml, "dependencies = [\"django>=4\"]"),
            ClientType::Django
        );
        assert_eq!(
            client_type_from_manifest(
                Manifest::PomXml,
                "<artifactId>spring-boot-starter-jdbc</artifactId>"
            ),
            ClientType::SpringBoot
        );
        assert_eq!(
            client_type_from_manifest(Manifest::PomXml, "<artifactId>postgresql</artifactId>"),
            ClientType::Java
        );
        assert_eq!(
            client_type_from_manifest(
                Manifest::Gradle,
                "id 'org.springframework.boot' version '3.2.0'"
            ),
            ClientType::SpringBoot
        );
    }

    #[test]
    fn auth_follows_the_variables_read() {
        let read = |names: &[(Field, &str)]| {
            names
                .iter()
                .map(|(f, n)| (*f, n.to_string()))
                .collect::<Vec<_>>()
        };
        let r = auth_from_fields(
            &read(&[(Field::ClientId, "AZURE_POSTGRESQL_CLIENTID")]),
            None,
        );
        assert_eq!(r.value, AuthType::UserIdentity);
        assert_eq!(
            r.reason.to_string(),
            "because the code reads AZURE_POSTGRESQL_CLIENTID"
        );
        let r = auth_from_fields(
            &read(&[(Field::ClientId, "C"), (Field::TenantId, "T")]),
            None,
        );
        assert_eq!(r.value, AuthType::ServicePrincipal);
        assert_eq!(
            auth_from_fields(&[], Some("app.py")).value,
            AuthType::SystemIdentity
        );
        assert_eq!(
            auth_from_fields(&read(&[(Field::Password, "P")]), Some("app.py")).value,
            AuthType::Secret
        );
        assert_eq!(auth_from_fields(&[], None).value, AuthType::Secret);
    }
}

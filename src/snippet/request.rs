//! The snippet request at a position: which (target, client type, auth, name, renamed keys) a
//! snippet inserted into a file must be for. One answer for the CLI (`snippet --into`) and the
//! language server (source action, `neon-lsp.insertSnippet`): the connection the linter infers
//! for the file ([`query::connections_at`]), the client type from the same language mapping
//! as the linter ([`infer::client_type_from_language`]), and the `customizedKeys` renames of the
//! linker that applies.

use super::SnippetRequest;
use crate::analysis::Options;
use crate::catalogue::{self, AuthType, ClientType, Target};
use crate::query::{self, ConnectionSummary};
use crate::scan::Language;
use crate::workspace::{FileKind, Workspace, classify};

/// Why a file gets no snippet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoSnippet {
    #[error(
        "no connection snippet for {0}: snippets are for {languages}",
        languages = super::place::LANGUAGES
    )]
    Language(String),
}

/// The client type a snippet for `path` is written for when no connection says more, from the
/// linter's own mapping; Spring Boot for `application*.properties`/`.yml`.
pub fn client_type_for_path(path: &str) -> Option<ClientType> {
    let Some(FileKind::Source(language)) = classify(path) else {
        return None;
    };
    match language {
        Language::Properties | Language::Yaml if super::place::is_spring_config(path) => {
            Some(ClientType::SpringBoot)
        }
        language => crate::infer::client_type_from_language(language),
    }
}

/// The snippet request for `path` (workspace-relative) at `line` of `text` (its current
/// contents). Among several connections that apply, the one a variable on `line` belongs to,
/// else the first. Without a connection: neon-lsp.toml's/editor's target and auth, the file's
/// language's client type.
pub fn request_at(
    workspace: &Workspace,
    options: &Options,
    path: &str,
    text: &str,
    line: u32,
) -> Result<SnippetRequest, NoSnippet> {
    let language_client =
        client_type_for_path(path).ok_or_else(|| NoSnippet::Language(path.to_owned()))?;
    let connections = query::connections_at(workspace, options, path);
    let on_line = text.lines().nth(line as usize).unwrap_or_default();
    let chosen = connections
        .iter()
        .find(|c| reads_connection(on_line, c))
        .or(connections.first());
    Ok(match chosen {
        Some(connection) => SnippetRequest {
            target: connection.target,
            client_type: connection
                .client_type
                .filter(|client| same_family(*client, language_client))
                .unwrap_or(language_client),
            auth: connection.auth,
            name: connection.name.clone(),
            customized_keys: connection.customized_keys.clone(),
        },
        None => SnippetRequest {
            target: options.target.unwrap_or(Target::Neon),
            client_type: language_client,
            auth: options.auth.unwrap_or(AuthType::Secret),
            name: None,
            customized_keys: Vec::new(),
        },
    })
}

/// Whether the connection's client type is written in the file's language: Django is Python,
/// Spring Boot code is Java and plain Java reads application properties too.
fn same_family(connection: ClientType, language: ClientType) -> bool {
    connection == language
        || matches!(
            (connection, language),
            (ClientType::Django, ClientType::Python)
                | (ClientType::SpringBoot, ClientType::Java)
                | (ClientType::Java, ClientType::SpringBoot)
        )
}

/// Whether `line` reads a Service Connector variable of `connection`.
fn reads_connection(line: &str, connection: &ConnectionSummary) -> bool {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter_map(catalogue::parse_name)
        .any(|parsed| parsed.target == connection.target && parsed.connection == connection.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{GitState, WorkspaceFile};

    fn file(path: &str, text: &str) -> WorkspaceFile {
        WorkspaceFile {
            path: path.to_owned(),
            text: text.to_owned(),
            git: GitState::NotInRepository,
            lossy: false,
        }
    }

    #[test]
    fn a_declared_linkers_customized_keys_and_client_type_reach_the_snippet() {
        let bicep = "resource web 'Microsoft.Web/sites@2022-09-01' existing = {\n  name: 'app'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {\n  name: 'pg'\n  scope: web\n  properties: {\n    clientType: 'django'\n    authInfo: { authType: 'secret' }\n    configurationInfo: {\n      customizedKeys: { AZURE_POSTGRESQL_HOST: 'DB_HOST' }\n    }\n  }\n}\n";
        let settings = "import os\nHOST = os.environ[\"DB_HOST\"]\nNAME = os.environ[\"AZURE_POSTGRESQL_NAME\"]\n";
        let workspace = Workspace {
            files: vec![
                file("requirements.txt", "django\n"),
                file("infra/main.bicep", bicep),
                file("app/settings.py", settings),
            ],
        };
        let request = request_at(
            &workspace,
            &Options::default(),
            "app/settings.py",
            settings,
            1,
        )
        .unwrap();
        assert_eq!(request.target, Target::AzurePostgresql);
        assert_eq!(request.client_type, ClientType::Django);
        assert_eq!(
            request.customized_keys,
            vec![("AZURE_POSTGRESQL_HOST".to_owned(), "DB_HOST".to_owned())]
        );
        let text = &crate::snippet::generate(&request).unwrap().files[0].text;
        assert!(text.contains("os.environ.get(\"DB_HOST\")"), "{text}");
        assert!(!text.contains("AZURE_POSTGRESQL_HOST"), "{text}");
    }

    #[test]
    fn without_a_connection_the_options_and_the_language_decide() {
        let workspace = Workspace {
            files: vec![file("cmd/main.go", "package main\n")],
        };
        let options = Options {
            target: Some(Target::AzurePostgresql),
            ..Options::default()
        };
        let request = request_at(&workspace, &options, "cmd/main.go", "package main\n", 0).unwrap();
        assert_eq!(
            (request.target, request.client_type, request.auth),
            (Target::AzurePostgresql, ClientType::Go, AuthType::Secret)
        );
        assert!(matches!(
            request_at(&workspace, &options, "notes.md", "", 0),
            Err(NoSnippet::Language(_))
        ));
    }

    #[test]
    fn client_type_follows_the_linters_language_mapping() {
        assert_eq!(client_type_for_path("app/db.py"), Some(ClientType::Python));
        assert_eq!(
            client_type_for_path("web/server.ts"),
            Some(ClientType::NodeJs)
        );
        assert_eq!(client_type_for_path("Main.kt"), Some(ClientType::Java));
        assert_eq!(
            client_type_for_path("src/main/resources/application.yml"),
            Some(ClientType::SpringBoot)
        );
        assert_eq!(
            client_type_for_path("src/main/resources/application-prod.properties"),
            Some(ClientType::SpringBoot)
        );
        assert_eq!(client_type_for_path(".github/workflows/ci.yml"), None);
        assert_eq!(client_type_for_path("Dockerfile"), None);
        assert_eq!(client_type_for_path("README.md"), None);
    }
}

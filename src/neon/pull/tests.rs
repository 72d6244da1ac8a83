use super::*;

/// The shape Neon's `connection_uri` returns (API reference, "Retrieve connection URI").
const URI: &str = "postgresql://app_owner:npg_S3cr3t%3Dx@ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech/appdb?sslmode=require&channel_binding=require";
const PASSWORD: &str = "npg_S3cr3t=x";

fn uri() -> Secret {
    Secret::new(URI)
}

fn rendered(client: ClientType) -> Vec<RenderedVariable> {
    render_variables(client, None, &uri()).unwrap()
}

#[test]
fn every_client_type_gets_the_catalogues_names_in_order() {
    for client in ClientType::ALL {
        let names: Vec<String> = rendered(client).into_iter().map(|v| v.name).collect();
        let expected: Vec<String> =
            catalogue::variables(Target::Neon, client, AuthType::Secret, None)
                .unwrap()
                .into_iter()
                .map(|v| v.name)
                .collect();
        assert_eq!(names, expected, "{client}");
    }
}

#[test]
fn connection_strings_parse_back_to_the_uri_with_tls_required() {
    for client in [
        ClientType::DotNet,
        ClientType::Java,
        ClientType::Python,
        ClientType::Go,
        ClientType::Php,
        ClientType::Ruby,
    ] {
        let variable = rendered(client).remove(0);
        let (_, params) = connstr::parse(variable.value()).unwrap();
        assert_eq!(
            params.host(),
            Some("ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech"),
            "{client}"
        );
        assert_eq!(params.database.as_deref(), Some("appdb"), "{client}");
        assert_eq!(params.user.as_deref(), Some("app_owner"), "{client}");
        assert_eq!(
            params.password.as_ref().map(|p| p.expose()),
            Some(PASSWORD),
            "{client}"
        );
        assert!(
            params.effective_ssl_mode().guarantees_encryption(),
            "{client}"
        );
        assert!(variable.carries_secret, "{client}");
        assert!(!variable.shown.contains(PASSWORD), "{client}");
    }
}

#[test]
fn formats_follow_the_catalogue() {
    let python = rendered(ClientType::Python).remove(0);
    assert!(
        python
            .value()
            .starts_with("dbname=appdb host=ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech port=5432 sslmode=require user=app_owner password="),
        "{}",
        python.shown
    );
    let go = rendered(ClientType::Go).remove(0);
    assert!(
        !go.value().contains("port="),
        "Go strings have no port (§6.3)"
    );
    let java = rendered(ClientType::Java).remove(0);
    assert!(java.value().starts_with(
        "jdbc:postgresql://ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech:5432/appdb?"
    ));
    let dotnet = rendered(ClientType::DotNet).remove(0);
    assert!(
        dotnet
            .value()
            .starts_with("Server=ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech;")
    );
}

#[test]
fn spring_boot_gets_the_url_without_credentials_and_them_separately() {
    let spring = rendered(ClientType::SpringBoot);
    let by_name = |name: &str| spring.iter().find(|v| v.name == name).unwrap();
    let url = by_name(catalogue::spring::URL);
    assert!(!url.value().contains("password") && !url.value().contains("user="));
    assert!(!url.carries_secret);
    assert_eq!(by_name(catalogue::spring::USERNAME).value(), "app_owner");
    let password = by_name(catalogue::spring::PASSWORD);
    assert_eq!(password.value(), PASSWORD);
    assert_eq!(password.shown, MASK);
}

#[test]
fn component_client_types_get_plain_values() {
    let node = rendered(ClientType::NodeJs);
    let values: Vec<(&str, &str)> = node.iter().map(|v| (v.name.as_str(), v.value())).collect();
    assert_eq!(
        values,
        [
            (
                "NEON_POSTGRESQL_HOST",
                "ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech"
            ),
            ("NEON_POSTGRESQL_USER", "app_owner"),
            ("NEON_POSTGRESQL_PASSWORD", PASSWORD),
            ("NEON_POSTGRESQL_DATABASE", "appdb"),
            ("NEON_POSTGRESQL_PORT", "5432"),
            ("NEON_POSTGRESQL_SSL", "true"),
        ]
    );
    let named = render_variables(ClientType::Django, Some("orders"), &uri()).unwrap();
    assert_eq!(named[0].name, "NEON_POSTGRESQL_ORDERS_NAME");
}

#[test]
fn a_uri_without_tls_still_renders_require() {
    let plain = Secret::new("postgresql://u:p@ep-x-1.neon.tech/db");
    let python = render_variables(ClientType::Python, None, &plain)
        .unwrap()
        .remove(0);
    assert!(
        python.value().contains("sslmode=require"),
        "{}",
        python.shown
    );
}

#[test]
fn incomplete_or_broken_uris_are_errors_without_the_password() {
    let no_password = Secret::new("postgresql://u@ep-x-1.neon.tech/db");
    assert!(matches!(
        render_variables(ClientType::Python, None, &no_password),
        Err(RenderError::Missing("password"))
    ));
    let broken = Secret::new("postgresql://u:secretpw@ep-x-1.neon.tech:99999/db");
    let error = render_variables(ClientType::Python, None, &broken)
        .unwrap_err()
        .to_string();
    assert!(!error.contains("secretpw"), "{error}");
}

#[test]
fn debug_output_hides_values() {
    let debug = format!("{:?}", rendered(ClientType::NodeJs));
    assert!(!debug.contains(PASSWORD), "{debug}");
    let merge = merge_into_env("", &rendered(ClientType::NodeJs), "h").unwrap();
    assert!(!format!("{merge:?}").contains(PASSWORD));
}

const EXISTING: &str = "\
# local settings
APP_MODE=dev
NEON_POSTGRESQL_HOST=old-host.example  # keep this comment
export OTHER='x y'

NEON_POSTGRESQL_PASSWORD=oldpassword
";

#[test]
fn merging_updates_in_place_and_appends_the_rest_keeping_everything_else() {
    let variables = rendered(ClientType::NodeJs);
    let merge = merge_into_env(EXISTING, &variables, "Neon project p, branch main").unwrap();
    let expected = "\
# local settings
APP_MODE=dev
NEON_POSTGRESQL_HOST=ep-cool-darkness-a5b6c7d8.eastus2.azure.neon.tech  # keep this comment
export OTHER='x y'

NEON_POSTGRESQL_PASSWORD=npg_S3cr3t=x

# Neon project p, branch main
NEON_POSTGRESQL_USER=app_owner
NEON_POSTGRESQL_DATABASE=appdb
NEON_POSTGRESQL_PORT=5432
NEON_POSTGRESQL_SSL=true
";
    assert_eq!(merge.text(), expected);
    // What a loader reads back is exactly what was rendered, and nothing else changed.
    let reread = dotenv::parse(merge.text());
    assert!(reread.errors.is_empty());
    for variable in &variables {
        assert_eq!(reread.get(&variable.name).unwrap().value, variable.value());
    }
    assert_eq!(reread.get("OTHER").unwrap().value, "x y");
    assert_eq!(reread.get("APP_MODE").unwrap().value, "dev");
    let kinds: Vec<(&str, ChangeKind)> = merge
        .changes
        .iter()
        .map(|c| (c.key.as_str(), c.kind))
        .collect();
    assert_eq!(kinds[0], ("NEON_POSTGRESQL_HOST", ChangeKind::Updated));
    assert_eq!(kinds[1], ("NEON_POSTGRESQL_USER", ChangeKind::Added));
    assert_eq!(kinds[2], ("NEON_POSTGRESQL_PASSWORD", ChangeKind::Updated));
}

#[test]
fn merging_again_changes_nothing() {
    let variables = rendered(ClientType::Python);
    let first = merge_into_env(EXISTING, &variables, "h").unwrap();
    let second = merge_into_env(first.text(), &variables, "h").unwrap();
    assert_eq!(second.text(), first.text());
    assert!(!second.has_changes());
}

#[test]
fn every_definition_of_a_duplicated_key_gets_the_new_value() {
    let text = "NEON_POSTGRESQL_HOST=a\nNEON_POSTGRESQL_HOST=b\n";
    let variables = rendered(ClientType::NodeJs);
    let merge = merge_into_env(text, &variables, "h").unwrap();
    let values: Vec<String> = dotenv::parse(merge.text())
        .definitions("NEON_POSTGRESQL_HOST")
        .map(|entry| entry.value.clone())
        .collect();
    assert_eq!(values.len(), 2);
    assert!(values.iter().all(|v| v.starts_with("ep-cool-darkness")));
}

#[test]
fn crlf_files_and_byte_order_marks_are_kept() {
    let text = "\u{FEFF}A=1\r\nB=2";
    let merge = merge_into_env(text, &rendered(ClientType::Go), "h").unwrap();
    assert!(
        merge
            .text()
            .starts_with("\u{FEFF}A=1\r\nB=2\r\n\r\n# h\r\nNEON_POSTGRESQL_CONNECTIONSTRING=")
    );
    assert!(merge.text().ends_with("\r\n"));
    assert!(!merge.text().replace("\r\n", "").contains('\n'));
}

#[test]
fn a_file_loaders_reject_is_not_rewritten() {
    let error =
        merge_into_env("A=1\nB='unterminated\n", &rendered(ClientType::Go), "h").unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.to_string().contains("fix that line first"));
}

#[test]
fn the_diff_masks_old_and_new_secrets() {
    let text = "NEON_POSTGRESQL_CONNECTIONSTRING='dbname=x host=h user=u password=oldsecret'\n";
    let merge = merge_into_env(text, &rendered(ClientType::Python), "h").unwrap();
    let diff = merge.diff_lines().join("\n");
    assert!(
        diff.starts_with("- NEON_POSTGRESQL_CONNECTIONSTRING="),
        "{diff}"
    );
    assert!(diff.contains("password=****"), "{diff}");
    assert!(
        !diff.contains("oldsecret") && !diff.contains(PASSWORD),
        "{diff}"
    );
    let node = merge_into_env(EXISTING, &rendered(ClientType::NodeJs), "h").unwrap();
    let diff = node.diff_lines().join("\n");
    assert!(diff.contains("- NEON_POSTGRESQL_PASSWORD=****"), "{diff}");
    assert!(
        !diff.contains("oldpassword") && !diff.contains(PASSWORD),
        "{diff}"
    );
    assert!(
        diff.contains("- NEON_POSTGRESQL_HOST=old-host.example"),
        "{diff}"
    );
}

#[test]
fn git_refusals_say_why_and_how_to_proceed() {
    let tracked = secret_refusal(GitState::Tracked, ".env", Audience::Cli).unwrap();
    assert!(tracked.contains("git tracks .env") && tracked.contains("--force"));
    let untracked = secret_refusal(GitState::Untracked, ".env", Audience::Cli).unwrap();
    assert!(untracked.contains(".gitignore") && untracked.contains("--force"));
    assert_eq!(
        secret_refusal(GitState::Ignored, ".env", Audience::Cli),
        None
    );
    assert_eq!(
        secret_refusal(GitState::NotInRepository, ".env", Audience::Cli),
        None
    );
}

#[test]
fn project_ids_are_recognised() {
    assert!(looks_like_project_id("shiny-wind-028834"));
    assert!(!looks_like_project_id("my app"));
    assert!(!looks_like_project_id("billing"));
}

/// The point of rendering through the catalogue: a pulled .env next to code that reads the
/// client type's variables raises none of our own diagnostics.
#[test]
fn a_pulled_env_file_passes_our_own_rules() {
    for client in ClientType::ALL {
        let env = merge_into_env("APP_MODE=dev\n", &rendered(client), "pulled").unwrap();
        let diagnostics = analyse_with_snippet(client, env.text());
        assert!(diagnostics.is_empty(), "{client}: {diagnostics:#?}");
    }
    // The same check notices a value in another client type's format, so it is not vacuous.
    let wrong = format!("NEON_POSTGRESQL_CONNECTIONSTRING={URI}\n");
    let diagnostics = analyse_with_snippet(ClientType::Python, &wrong);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.starts_with("connection-string-format")),
        "{diagnostics:#?}"
    );
}

/// Rule ids and messages for the client type's snippet next to `env` (git-ignored).
fn analyse_with_snippet(client: ClientType, env: &str) -> Vec<String> {
    use crate::snippet::{self, SnippetRequest};
    use crate::workspace::{Workspace, WorkspaceFile};
    {
        let request = SnippetRequest {
            target: Target::Neon,
            client_type: client,
            auth: AuthType::Secret,
            name: None,
            customized_keys: Vec::new(),
        };
        let mut files: Vec<WorkspaceFile> = snippet::generate(&request)
            .unwrap()
            .files
            .into_iter()
            .map(|file| WorkspaceFile {
                path: file.suggested_path,
                text: file.text,
                git: GitState::NotInRepository,
                lossy: false,
            })
            .collect();
        files.push(WorkspaceFile {
            path: ".env".to_owned(),
            text: env.to_owned(),
            git: GitState::Ignored,
            lossy: false,
        });
        let diagnostics = crate::analyse(
            &Workspace { files },
            &crate::Options {
                target: Some(Target::Neon),
                client_type: Some(client),
                ..crate::Options::default()
            },
        )
        .unwrap();
        diagnostics
            .iter()
            .map(|d| format!("{} {}: {}", d.rule.id(), d.path, d.message))
            .collect()
    }
}

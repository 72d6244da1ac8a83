//! The editor queries against small workspaces: pull, description, hover, completion.

use super::*;
use crate::analysis::{Options, analyse};
use crate::catalogue::Field;
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::workspace::CONFIG_FILE_NAME;
use crate::workspace::{GitState, Workspace, WorkspaceFile};

fn file(path: &str, text: &str) -> WorkspaceFile {
    WorkspaceFile {
        path: path.to_string(),
        text: text.to_string(),
        git: GitState::NotInRepository,
        lossy: false,
    }
}

#[test]
fn a_pull_is_for_the_named_the_only_or_the_unnamed_neon_connection_or_the_would_be_one() {
    let pick = |files: Vec<WorkspaceFile>, path: &str, name: Option<&str>| {
        let workspace = Workspace { files };
        neon_connection_for_pull(&workspace, &Options::default(), path, name)
            .map(|c| (c.name, c.client_type))
    };
    let config =
        "[[connection]]\ntarget = \"neon\"\nclient-type = \"django\"\nname = \"reports\"\n";
    let reads_reports = "import os\nos.environ[\"NEON_POSTGRESQL_REPORTS_NAME\"]\n";
    let reads_both = "import os\nos.environ[\"NEON_POSTGRESQL_REPORTS_NAME\"]\nos.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\n";
    let reports = Some((Some("REPORTS".to_owned()), Some(ClientType::Django)));
    let default = Some((None, Some(ClientType::Python)));
    let base = || {
        vec![
            file("requirements.txt", "psycopg2\n"),
            file(CONFIG_FILE_NAME, config),
        ]
    };
    let with = |extra: Vec<WorkspaceFile>| base().into_iter().chain(extra).collect::<Vec<_>>();
    // The only one the code reads.
    assert_eq!(
        pick(with(vec![file("app.py", reads_reports)]), ".env", None),
        reports
    );
    // Several: the unnamed one unless a name is given; an unknown name matches none.
    let both = || with(vec![file("app.py", reads_both)]);
    assert_eq!(pick(both(), ".env", None), default);
    assert_eq!(pick(both(), ".env", Some("reports")), reports);
    assert_eq!(pick(both(), ".env", Some("other")), None);
    // Nothing read yet: the connection the folder would get.
    assert_eq!(pick(base(), ".env", None), default);
    assert_eq!(pick(base(), ".env", Some("reports")), reports);
    assert_eq!(pick(vec![file("README.md", "")], ".env", None), None);
}

#[test]
fn declared_connections_name_their_source_in_descriptions_hover_and_completion() {
    let bicep = "resource web 'Microsoft.Web/sites@2022-09-01' existing = {\n  name: 'app'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {\n  name: 'pg'\n  scope: web\n  properties: {\n    clientType: 'django'\n    authInfo: { authType: 'secret' }\n    configurationInfo: {\n      customizedKeys: { AZURE_POSTGRESQL_HOST: 'DB_HOST' }\n    }\n  }\n}\n";
    let settings = "import os\nNAME = os.environ[\"AZURE_POSTGRESQL_NAME\"]\nHOST = os.environ[\"DB_HOST\"]\nUSER = os.environ[\"";
    let workspace = Workspace {
        files: vec![
            file("requirements.txt", "flask\n"),
            file("infra/main.bicep", bicep),
            file("app/settings.py", settings),
        ],
    };
    let options = Options::default();
    let connections = connections_at(&workspace, &options, "app/settings.py");
    assert_eq!(connections.len(), 1, "{connections:?}");
    assert_eq!(connections[0].client_type, Some(ClientType::Django));
    assert!(
        connections[0].reason.starts_with(
            "client type django, from infra/main.bicep:9; auth secret, from infra/main.bicep:10"
        ),
        "{}",
        connections[0].reason
    );
    let at = settings.find("DB_HOST").unwrap();
    let hover = variable_at(&workspace, &options, "app/settings.py", at).unwrap();
    assert!(
        matches!(&hover.about, About::Set { connection, .. } if connection.contains("from infra/main.bicep:9")),
        "{hover:?}"
    );
    let names: Vec<String> =
        completions_at(&workspace, &options, "app/settings.py", settings.len())
            .into_iter()
            .map(|c| c.name)
            .collect();
    assert!(names.contains(&"DB_HOST".to_string()), "{names:?}");
    assert!(
        !names.contains(&"AZURE_POSTGRESQL_HOST".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"AZURE_POSTGRESQL_USER".to_string()),
        "{names:?}"
    );
    // Without the declaration: the manifest says python.
    let plain = Workspace {
        files: vec![
            file("requirements.txt", "flask\n"),
            file("app/settings.py", settings),
        ],
    };
    let connections = connections_at(&plain, &options, "app/settings.py");
    assert_eq!(connections[0].client_type, Some(ClientType::Python));
    // Flags still win over the declaration.
    let flagged = Options {
        client_type: Some(ClientType::Python),
        ..Options::default()
    };
    let connections = connections_at(&workspace, &flagged, "app/settings.py");
    assert!(
        connections[0]
            .reason
            .starts_with("client type python, from the command line")
    );
}

#[test]
fn offers_the_client_types_variables_inside_env_access_only() {
    let source = "const host = process.env.NEON_POSTGRESQL_H\n// process.env.\n";
    let workspace = Workspace {
        files: vec![file("package.json", "{}"), file("db.js", source)],
    };
    let offset = source.find('\n').unwrap();
    let names: Vec<String> = completions_at(&workspace, &Options::default(), "db.js", offset)
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.contains(&"NEON_POSTGRESQL_HOST".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"NEON_POSTGRESQL_SSL".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"NEON_POSTGRESQL_CONNECTIONSTRING".to_string()),
        "Node gets no connection string: {names:?}"
    );
    assert!(completions_at(&workspace, &Options::default(), "db.js", 5).is_empty());

    let py = "import os\ndsn = os.environ[\"";
    let workspace = Workspace {
        files: vec![file("requirements.txt", "flask\n"), file("app.py", py)],
    };
    let names: Vec<String> = completions_at(&workspace, &Options::default(), "app.py", py.len())
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec!["NEON_POSTGRESQL_CONNECTIONSTRING".to_string()]);

    let env = "NEON_POSTGRESQL_CONNECTIONSTRING=x\nNEON_";
    let workspace = Workspace {
        files: vec![
            file("requirements.txt", "django\n"),
            file(".env", env),
            file("settings.py", ""),
        ],
    };
    let names: Vec<String> = completions_at(&workspace, &Options::default(), ".env", env.len())
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.contains(&"NEON_POSTGRESQL_NAME".to_string()),
        "{names:?}"
    );
}
#[test]
fn customized_keys_rename_the_connection_for_env_files_hover_and_completion() {
    let bicep = "resource web 'Microsoft.Web/sites@2022-09-01' existing = {\n  name: 'app'\n}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {\n  name: 'pg'\n  scope: web\n  properties: {\n    clientType: 'django'\n    authInfo: { authType: 'secret' }\n    configurationInfo: {\n      customizedKeys: { AZURE_POSTGRESQL_HOST: 'DB_HOST', AZURE_POSTGRESQL_PASSWORD: 'DB_PASS' }\n    }\n  }\n}\n";
    let settings =
        "import os\nHOST = os.environ[\"DB_HOST\"]\nPASSWORD = os.environ[\"DB_PASS\"]\n";
    let env = "DB_HOST=db.postgres.database.azure.com\nDB_PASS=example\n";
    let workspace = Workspace {
        files: vec![
            file("requirements.txt", "django\n"),
            file("infra/main.bicep", bicep),
            file("app/settings.py", settings),
            file("app/.env", env),
        ],
    };
    let options = Options::default();
    let context = crate::analysis::Context::lenient(&workspace, &options);
    let connection = &context.connections[0];
    // What snippets use: the variable for a catalogue field, after the rename.
    assert_eq!(connection.env_name(Field::Host), Some("DB_HOST"));
    assert_eq!(
        connection.env_name(Field::User),
        Some("AZURE_POSTGRESQL_USER")
    );
    assert_eq!(connection.env_name(Field::ClientId), None);
    assert_eq!(
        connection.original_name("DB_PASS"),
        Some("AZURE_POSTGRESQL_PASSWORD")
    );
    assert_eq!(
        connection.renamed_to("AZURE_POSTGRESQL_HOST"),
        Some("DB_HOST")
    );
    assert_eq!(
        connection.renames_source().as_deref(),
        Some("customizedKeys of infra/main.bicep:5")
    );
    // A renamed key in .env belongs to the connection: hover explains it.
    let hover = variable_at(&workspace, &options, "app/.env", 2).unwrap();
    assert!(matches!(hover.about, About::Set { .. }), "{hover:?}");
    assert_eq!(
        hover.rename.as_deref(),
        Some("DB_HOST is AZURE_POSTGRESQL_HOST renamed by customizedKeys of infra/main.bicep:5")
    );
    assert_eq!(hover.readers.len(), 1);
    // Completion in .env offers the renamed names and says so.
    let completions = completions_at(&workspace, &options, "app/.env", 0);
    let host = completions.iter().find(|c| c.name == "DB_HOST").unwrap();
    assert!(
        host.documentation.contains("renamed by"),
        "{}",
        host.documentation
    );
    assert!(
        !completions
            .iter()
            .any(|c| c.name == "AZURE_POSTGRESQL_HOST")
    );
    // Nothing flags the renamed keys or asks for them.
    let found = analyse(&workspace, &options).unwrap();
    assert!(
        found.iter().all(|d| !matches!(
            d.rule,
            rules::Rule::UnknownVariable
                | rules::Rule::UnusedEnvVariable
                | rules::Rule::UndefinedInEnvFile
        )),
        "{found:?}"
    );
    // The key under Service Connector's own name is a leftover, and says why.
    let leftover = Workspace {
        files: workspace
            .files
            .iter()
            .cloned()
            .map(|mut f| {
                if f.path == "app/.env" {
                    f.text
                        .push_str("AZURE_POSTGRESQL_HOST=old.postgres.database.azure.com\n");
                }
                f
            })
            .collect(),
    };
    let found = analyse(&leftover, &options).unwrap();
    let unused: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.rule == rules::Rule::UnusedEnvVariable)
        .collect();
    assert_eq!(unused.len(), 1, "{found:?}");
    assert!(
        unused[0].message.contains("renames it to DB_HOST"),
        "{}",
        unused[0].message
    );
}

#[test]
fn a_linker_whose_app_cannot_be_told_is_named_as_unknown_in_the_description() {
    macro_rules! fixture {
        ($path:literal) => {
            file(
                $path,
                include_str!(concat!(
                    "../../tests/fixtures/projects/monorepo-arm-two-linkers/",
                    $path
                )),
            )
        };
    }
    let workspace = Workspace {
        files: vec![
            fixture!("azure.yaml"),
            fixture!("infra/azuredeploy.json"),
            fixture!("src/orders/package.json"),
            fixture!("src/orders/db.js"),
        ],
    };
    let connections = connections_at(&workspace, &Options::default(), "src/orders/db.js");
    assert_eq!(connections.len(), 1);
    let orders = &connections[0];
    assert_eq!(orders.client_type, Some(ClientType::None));
    assert!(
        orders.reason.contains("infra/azuredeploy.json:"),
        "{}",
        orders.reason
    );
    assert_eq!(orders.unscoped_declarations.len(), 1, "{orders:?}");
    assert!(
        orders.unscoped_declarations[0].starts_with(
            "infra/azuredeploy.json:62 declares a linker for an app neon-lsp cannot tell"
        ),
        "{:?}",
        orders.unscoped_declarations
    );
}

#[test]
fn the_same_connection_declared_twice_alike_applies_and_differing_ones_do_not() {
    let bicep = |client: &str| {
        format!(
            "resource web 'Microsoft.Web/sites@2022-09-01' existing = {{\n  name: 'ledger'\n}}\n\nresource pg 'Microsoft.ServiceLinker/linkers@2024-04-01' = {{\n  name: 'pg'\n  scope: web\n  properties: {{\n    clientType: '{client}'\n    authInfo: {{ authType: 'secret' }}\n    targetService: {{ type: 'AzureResource', id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.DBforPostgreSQL/flexibleServers/db' }}\n  }}\n}}\n"
        )
    };
    let script = "az webapp connection create postgres-flexible --name ledger --connection pg --client-type django --secret name=u secret=$PW\n";
    let client_at = |bicep_client: &str| {
        let workspace = Workspace {
            files: vec![
                file("requirements.txt", "flask\n"),
                file("infra/main.bicep", &bicep(bicep_client)),
                file("scripts/deploy.sh", script),
                file(
                    "app.py",
                    "import os\nos.environ[\"AZURE_POSTGRESQL_NAME\"]\n",
                ),
            ],
        };
        connections_at(&workspace, &Options::default(), "app.py")[0].clone()
    };
    let alike = client_at("django");
    assert_eq!(alike.client_type, Some(ClientType::Django));
    assert!(
        alike.reason.contains("from infra/main.bicep:9")
            || alike.reason.contains("from scripts/deploy.sh:1"),
        "{}",
        alike.reason
    );
    // Bicep says python, the script django: not guessed, the manifest decides.
    let differ = client_at("python");
    assert!(
        differ.reason.contains("requirements.txt") || differ.client_type.is_none(),
        "{differ:?}"
    );
}

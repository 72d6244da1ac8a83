//! What the rules' unit tests share (test builds only): a workspace written inline as
//! (path, text) pairs, built into the `analysis::Context` the rules read, and one rule's own
//! `check` run over it — no other rule, no severities from configuration, no suppressions.

use crate::analysis::{Context, Options};
use crate::config;
use crate::deployed::{ConfigurationName, DeployedApp, DeployedLinker, ResourceId};
use crate::diagnostic::Diagnostic;
use crate::workspace::{CONFIG_FILE_NAME, GitState, Workspace, WorkspaceFile};

/// A rule's check function, as `run_all` calls it.
pub(crate) type Check = fn(&Context, &mut Vec<Diagnostic>);

/// Runs a check that writes into the `Collector` (rules with findings by the hundred
/// thousand) with one that keeps everything, for tests that take a [`Check`].
pub(crate) fn collected(
    check: fn(&Context, &mut crate::rules::collect::Collector<'_>),
    context: &Context,
    out: &mut Vec<Diagnostic>,
) {
    let keep = |_: &mut Diagnostic| true;
    let mut collector = crate::rules::collect::Collector::new(&keep);
    check(context, &mut collector);
    out.extend(collector.finish());
}

/// A small project for one rule's check.
pub(crate) struct Case {
    workspace: Workspace,
    options: Options,
}

impl Case {
    /// The files of the project, outside any git repository.
    pub(crate) fn new(files: &[(&str, &str)]) -> Case {
        let files = files
            .iter()
            .map(|(path, text)| WorkspaceFile {
                path: (*path).to_string(),
                text: (*text).to_string(),
                git: GitState::NotInRepository,
                lossy: false,
            })
            .collect();
        Case {
            workspace: Workspace { files },
            options: Options::default(),
        }
    }

    /// What git thinks of one file.
    pub(crate) fn git(mut self, path: &str, state: GitState) -> Case {
        for file in &mut self.workspace.files {
            if file.path == path {
                file.git = state;
            }
        }
        self
    }

    /// What `check --azure` read: apps with their linkers and app settings.
    pub(crate) fn deployed(mut self, apps: Vec<DeployedApp>) -> Case {
        self.options.deployed = apps;
        self
    }

    /// Runs one rule's check over the project.
    pub(crate) fn check(&self, check: Check) -> Vec<Diagnostic> {
        let config = self
            .workspace
            .files
            .iter()
            .find(|file| file.path == CONFIG_FILE_NAME)
            .map(|file| config::parse(&file.path, &file.text).expect("a valid neon-lsp.toml"))
            .unwrap_or_default();
        let context = Context::build(&self.workspace, config, &self.options, None);
        let mut out = Vec::new();
        check(&context, &mut out);
        out
    }

    /// Each finding as `path:line text`, the text its range covers (line 1-based).
    pub(crate) fn found(&self, check: Check) -> Vec<String> {
        self.check(check)
            .iter()
            .map(|diagnostic| self.place(diagnostic))
            .collect()
    }

    fn place(&self, diagnostic: &Diagnostic) -> String {
        let Some(file) = self
            .workspace
            .files
            .iter()
            .find(|file| file.path == diagnostic.path)
        else {
            return format!("{}:? (not a file of the case)", diagnostic.path);
        };
        let line = file.text[..diagnostic.range.start].matches('\n').count() + 1;
        format!(
            "{}:{line} {}",
            diagnostic.path,
            &file.text[diagnostic.range.start..diagnostic.range.end]
        )
    }
}

/// An App Service app built from the workspace root, with its app settings' names.
pub(crate) fn deployed_app(
    name: &str,
    linkers: Vec<DeployedLinker>,
    settings: &[&str],
) -> DeployedApp {
    DeployedApp {
        resource: ResourceId::parse(&format!(
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-orders/providers/Microsoft.Web/sites/{name}"
        ))
        .expect("a valid resource id"),
        scope: String::new(),
        named_by: "neon-lsp.toml".to_string(),
        linkers,
        setting_names: Some(settings.iter().map(|name| (*name).to_string()).collect()),
        key_vault_settings: Vec::new(),
        notes: Vec::new(),
    }
}

/// A deployed Service Connector linker as ARM returns it (raw client and auth type, target
/// resource id) with the names its configurations set.
pub(crate) fn deployed_linker(
    name: &str,
    client_type: &str,
    auth: &str,
    target_id: &str,
    variables: &[&str],
) -> DeployedLinker {
    let mut linker = DeployedLinker::from_raw(
        name.to_string(),
        Some(client_type.to_string()),
        Some(auth.to_string()),
        Some(target_id.to_string()),
        Vec::new(),
        None,
    );
    linker.configurations = Some(
        variables
            .iter()
            .map(|variable| ConfigurationName {
                name: (*variable).to_string(),
                key_vault_reference: false,
            })
            .collect(),
    );
    linker
}

/// The resource id of an Azure Database for PostgreSQL flexible server's database.
pub(crate) const AZURE_POSTGRESQL_DATABASE_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-orders/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-orders/databases/orders";

/// A Node app's manifest naming pg: client type nodejs.
pub(crate) const PG_PACKAGE_JSON: (&str, &str) = (
    "package.json",
    r#"{"name": "orders-api", "dependencies": {"pg": "^8.12.0"}}"#,
);

/// A Python app's manifest naming psycopg2: client type python.
pub(crate) const PSYCOPG2_REQUIREMENTS: (&str, &str) =
    ("requirements.txt", "psycopg2-binary==2.9.9\n");

/// A Python app reading Neon's connection string, line 3.
pub(crate) const PSYCOPG2_APP: (&str, &str) = (
    "app.py",
    "import os\nimport psycopg2\nconn = psycopg2.connect(os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"])\n",
);

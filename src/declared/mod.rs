//! Connections as the repository declares them: Service Connector linkers and app settings in
//! Bicep, ARM JSON and Terraform, and `az … connection create` commands in scripts, workflows
//! and Dockerfiles.
//!
//! Pure: [`read`] takes the workspace's files (paths and text) and returns [`Declaration`]s,
//! each value with the file and line it was written on, so that messages can say "client type
//! django, from infra/resources.bicep:42". A value the files cannot determine (a parameter
//! without a default, an expression) is `None`: unknown, never wrong. The parsers are
//! tolerant: broken or half-typed files yield what can be read, never a panic.
//!
//! Scope: each declaration is mapped to the app folder it configures through azd's
//! `azure.yaml` (service → `project`) and the `azd-service-name` tag on the app resource;
//! when that cannot be told and the repository has one app, it covers the whole workspace;
//! when it is ambiguous, the scope is unknown and the declaration applies nowhere.

mod arm;
mod azcli;
pub mod azure_yaml;
mod bicep;
mod prefilter;
mod terraform;
pub(crate) mod tree;
mod yaml_fold;

use crate::catalogue::{AuthType, ClientType, Target};
use crate::text::{LineIndex, TextRange};
use std::fmt;

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Workspace-relative path.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The value's range (a string's content, without quotes).
    pub range: TextRange,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// A declared value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub at: Location,
    /// The value is a literal in the file (a fix may replace `at.range`), not resolved
    /// through a parameter or variable.
    pub literal: bool,
}

/// Which kind of file declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bicep,
    Arm,
    Terraform,
    AzCli,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Bicep => "Bicep",
            Source::Arm => "ARM template",
            Source::Terraform => "Terraform",
            Source::AzCli => "az CLI",
        }
    }
}

/// What the declaration is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A Service Connector connection (`Microsoft.ServiceLinker/linkers`,
    /// `azurerm_*_connection`, `az … connection create`).
    Linker,
    /// Service-Connector-looking variables set directly as app settings / container env:
    /// their names are the app's own choice.
    AppSettings(Vec<Setting>),
}

/// One app setting that sets a Service-Connector-looking variable directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub name_at: Location,
    pub value: SettingValue,
}

/// How a declared secret or setting value is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// Written into the file (or a parameter's default, a variable): `at` is the literal.
    Literal { value: String, at: Location },
    /// From a `@secure()` parameter, a Key Vault reference, a secret reference or a variable
    /// of the environment: not in the file.
    Protected,
    /// An expression neon-lsp does not evaluate.
    Unknown,
}

/// Which app a declaration configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppScope {
    /// A workspace-relative folder (`""` = the whole workspace).
    Folder(String),
    /// Several apps and nothing says which: applies nowhere.
    Unknown,
}

/// A connection as the infrastructure declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub source: Source,
    /// The linker resource, the command, or the first setting.
    pub at: Location,
    pub kind: Kind,
    pub target: Option<Located<Target>>,
    pub client_type: Option<Located<ClientType>>,
    pub auth: Option<Located<AuthType>>,
    /// The linker's name (`--connection`, `name:`).
    pub name: Option<Located<String>>,
    /// Renamed variables: (Service Connector's name, the name the app gets).
    pub customized_keys: Vec<(String, String)>,
    /// A password given for secret auth, when the declaration carries one.
    pub secret: Option<SettingValue>,
    /// The app, as the declaration names it (azd service, resource symbol or name, `--name`).
    pub app: Option<String>,
    pub scope: AppScope,
}

impl Declaration {
    fn new(source: Source, at: Location, kind: Kind) -> Self {
        Declaration {
            source,
            at,
            kind,
            target: None,
            client_type: None,
            auth: None,
            name: None,
            customized_keys: Vec::new(),
            secret: None,
            app: None,
            scope: AppScope::Unknown,
        }
    }

    /// App settings that set Service-Connector-looking variables: `None` when there are none.
    /// The declaration sits at the first setting; its target is the first setting's.
    fn app_settings(source: Source, settings: Vec<Setting>, app: Option<String>) -> Option<Self> {
        let first = settings.first()?;
        let mut declaration =
            Declaration::new(source, first.name_at.clone(), Kind::AppSettings(Vec::new()));
        declaration.target = crate::catalogue::parse_name(&first.name).map(|p| Located {
            value: p.target,
            at: first.name_at.clone(),
            literal: true,
        });
        declaration.app = app;
        declaration.kind = Kind::AppSettings(settings);
        Some(declaration)
    }

    /// The variable an app reads for `default_name`, after `customizedKeys`.
    pub fn renamed(&self, default_name: &str) -> Option<&str> {
        self.customized_keys
            .iter()
            .find(|(from, _)| from == default_name)
            .map(|(_, to)| to.as_str())
    }

    pub fn covers_dir(&self, dir: &str) -> bool {
        match &self.scope {
            AppScope::Folder(folder) => crate::analysis::is_within(dir, folder),
            AppScope::Unknown => false,
        }
    }
}

/// A file handed to the readers.
pub struct Input<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// Which files the readers look at (also what the walker collects and the server watches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IacKind {
    Bicep,
    /// A `.json` file: an ARM template when its `$schema` says `deploymentTemplate`.
    ArmJson,
    Terraform,
    /// azd's `azure.yaml`.
    AzureYaml,
    /// A PowerShell script (`.ps1`, `.psm1`): read for `az … connection create` only.
    PowerShell,
}

/// Classifies a path as infrastructure code by name. ARM templates are `.json` files in an
/// infrastructure folder or named like a template; their `$schema` decides ([`is_arm_template`]).
pub fn iac_kind(path: &str) -> Option<IacKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".bicep") {
        return Some(IacKind::Bicep);
    }
    if lower.ends_with(".tf") {
        return Some(IacKind::Terraform);
    }
    if lower == "azure.yaml" || lower == "azure.yml" {
        return Some(IacKind::AzureYaml);
    }
    if lower.ends_with(".ps1") || lower.ends_with(".psm1") {
        return Some(IacKind::PowerShell);
    }
    if lower.ends_with(".json") && !lower.ends_with(".parameters.json") {
        let in_infra = path.split('/').any(|segment| {
            matches!(
                segment.to_ascii_lowercase().as_str(),
                "infra" | "deploy" | "deployment" | "arm" | "templates" | "iac" | ".azure"
            )
        });
        let template_name = lower == "azuredeploy.json"
            || lower.ends_with(".template.json")
            || lower == "template.json"
            || lower == "main.json";
        if in_infra || template_name {
            return Some(IacKind::ArmJson);
        }
    }
    None
}

/// Whether JSON text is an ARM deployment template.
pub fn is_arm_template(text: &str) -> bool {
    let mut end = text.len().min(2048);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    head.contains("$schema") && head.contains("deploymentTemplate")
}

/// Reads every declaration in the workspace's files. `files` may hold anything; only
/// infrastructure files and scripts are read, and of those only the ones that could declare a
/// connection ([`prefilter`]) are parsed, on as many threads as there are cores. The
/// declarations come in the same order whatever the threads do: Bicep, Terraform, then ARM
/// templates and scripts in file order.
pub fn read(files: &[Input<'_>]) -> Vec<Declaration> {
    read_with(files, true)
}

/// [`read`], with the prefilter or without it (`filtered: false` parses every infrastructure
/// file: the tests compare both).
fn read_with(files: &[Input<'_>], filtered: bool) -> Vec<Declaration> {
    let services = files
        .iter()
        .filter(|f| iac_kind(f.path) == Some(IacKind::AzureYaml))
        .flat_map(|f| azure_yaml::services(f.path, f.text))
        .collect::<Vec<_>>();
    let mut out = Vec::new();
    let bicep_files: Vec<&Input> = files
        .iter()
        .filter(|f| iac_kind(f.path) == Some(IacKind::Bicep))
        .collect();
    out.extend(bicep::read(&bicep_files, filtered));
    let terraform_files: Vec<&Input> = files
        .iter()
        .filter(|f| iac_kind(f.path) == Some(IacKind::Terraform))
        .collect();
    out.extend(terraform::read(&terraform_files, filtered));
    // ARM templates and scripts: each file on its own.
    let single: Vec<(&Input, Single)> = files
        .iter()
        .filter_map(|file| {
            let kind = match iac_kind(file.path) {
                Some(IacKind::ArmJson) if is_arm_template(file.text) => Single::Arm,
                Some(IacKind::PowerShell) => Single::Script,
                None if is_script(file.path) => Single::Script,
                _ => return None,
            };
            let may = match kind {
                Single::Arm => prefilter::template(file.text),
                Single::Script => prefilter::az_command(file.text),
            };
            (may || !filtered).then_some((file, kind))
        })
        .collect();
    let read = parallel_map(&single, |(file, kind)| match kind {
        Single::Arm => arm::read(file.path, file.text),
        Single::Script => azcli::read(file.path, file.text),
    });
    out.extend(read.into_iter().flatten());
    assign_scopes(&mut out, &services);
    out
}

/// How a file read on its own is read.
#[derive(Clone, Copy)]
enum Single {
    Arm,
    Script,
}

/// `items.iter().map(f).collect()`, spread over the machine's cores (scoped threads; each takes
/// the next item until none is left). The results are in the items' order; a panic in `f` is
/// passed on as if `f` had run on this thread.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for handle in handles {
            match handle.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Shell scripts, workflows and Dockerfiles: where `az … connection create` commands are read
/// (PowerShell scripts are [`IacKind::PowerShell`]).
fn is_script(path: &str) -> bool {
    matches!(
        crate::scan::Language::for_path(path),
        Some(
            crate::scan::Language::Shell
                | crate::scan::Language::Dockerfile
                | crate::scan::Language::Yaml
        )
    )
}

/// Gives each declaration its app folder (see the module documentation). Linear in
/// declarations and services: each project's services are indexed once.
fn assign_scopes(declarations: &mut [Declaration], services: &[azure_yaml::Service]) {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    // The services of each azure.yaml folder, in file order.
    let mut by_root: HashMap<&str, Vec<&azure_yaml::Service>> = HashMap::new();
    for service in services {
        by_root
            .entry(service.root.as_str())
            .or_default()
            .push(service);
    }
    let projects: HashMap<&str, azure_yaml::Project> = by_root
        .into_iter()
        .map(|(root, services)| (root, azure_yaml::Project::new(services)))
        .collect();
    // Each declaration belongs to a project: the nearest azure.yaml folder at or above its
    // file, else the folder that holds its infrastructure folder (`app/infra/main.bicep` → `app`).
    let root_of: Vec<(String, bool)> = declarations
        .iter()
        .map(|declaration| {
            let path = declaration.at.path.as_str();
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            match nearest(dir, |folder| projects.contains_key(folder)) {
                Some(root) => (root.to_string(), true),
                None => (project_folder(dir).to_string(), false),
            }
        })
        .collect();
    // The apps each project's declarations name.
    let mut apps: BTreeMap<&(String, bool), BTreeSet<&str>> = BTreeMap::new();
    for (declaration, root) in declarations.iter().zip(&root_of) {
        apps.entry(root)
            .or_default()
            .extend(declaration.app.as_deref());
    }
    let scopes: Vec<AppScope> = declarations
        .iter()
        .zip(&root_of)
        .map(|(declaration, root)| {
            let project = match root {
                (folder, true) => projects.get(folder.as_str()),
                _ => None,
            };
            let service = project
                .zip(declaration.app.as_deref())
                .and_then(|(project, app)| project.service_for(app));
            let one_app = apps.get(root).is_none_or(|named| named.len() <= 1);
            match (service, project.map_or(&[][..], |p| p.services())) {
                (Some(service), _) => AppScope::Folder(service.project.clone()),
                (None, [only]) => AppScope::Folder(only.project.clone()),
                (None, []) if one_app => AppScope::Folder(root.0.clone()),
                _ => AppScope::Unknown,
            }
        })
        .collect();
    for (declaration, scope) in declarations.iter_mut().zip(scopes) {
        declaration.scope = scope;
    }
}

/// The deepest of `dir` and its ancestor folders (up to `""`, the workspace) that `is` holds.
fn nearest(dir: &str, is: impl Fn(&str) -> bool) -> Option<&str> {
    ancestors(dir).find(|folder| is(folder))
}

/// `dir`, then each folder above it, ending with `""` (the workspace): the scopes
/// [`crate::analysis::is_within`] accepts for `dir`, deepest first.
pub(crate) fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(dir);
    std::iter::from_fn(move || {
        let folder = next?;
        next =
            (!folder.is_empty()).then(|| folder.rsplit_once('/').map_or("", |(parent, _)| parent));
        Some(folder)
    })
}

/// The project a folder of infrastructure code or scripts belongs to: the part of `dir` before
/// its first `infra`, `deploy`, `terraform`, `scripts`, `.github`, … segment; `dir` itself
/// when it has none.
fn project_folder(dir: &str) -> &str {
    const INFRA: &[&str] = &[
        "infra",
        "infrastructure",
        "deploy",
        "deployment",
        "deployments",
        "terraform",
        "iac",
        "bicep",
        "arm",
        "scripts",
        ".github",
        ".azure",
        ".azure-pipelines",
        ".pipelines",
    ];
    let mut offset = 0;
    for segment in dir.split('/') {
        if INFRA.contains(&segment.to_ascii_lowercase().as_str()) {
            return dir[..offset].trim_end_matches('/');
        }
        offset += segment.len() + 1;
    }
    dir
}

/// The target a resource id or type implies: Azure Database for PostgreSQL or Neon.
pub(crate) fn target_from_text(text: &str) -> Option<Target> {
    let lower = text.to_ascii_lowercase();
    let azure = lower.contains("microsoft.dbforpostgresql/");
    let neon = lower.contains("neon.postgres/");
    match (azure, neon) {
        (true, false) => Some(Target::AzurePostgresql),
        (false, true) => Some(Target::Neon),
        _ => None,
    }
}

/// `authInfo.authType` / `authentication { type }` values (ARM template reference, azurerm docs).
pub(crate) fn auth_from_schema(value: &str) -> Option<AuthType> {
    match value.to_ascii_lowercase().as_str() {
        "secret" => Some(AuthType::Secret),
        "systemassignedidentity" => Some(AuthType::SystemIdentity),
        "userassignedidentity" => Some(AuthType::UserIdentity),
        "serviceprincipalsecret" | "serviceprincipalcertificate" => {
            Some(AuthType::ServicePrincipal)
        }
        _ => None,
    }
}

/// `clientType` / `client_type` / `--client-type` values (`springBoot`, `dotnet-internal`, …).
pub(crate) fn client_from_schema(value: &str) -> Option<ClientType> {
    match value.to_ascii_lowercase().as_str() {
        "springboot" => Some(ClientType::SpringBoot),
        "dotnet-internal" | "dotnet-connectionstring" => Some(ClientType::DotNet),
        other => ClientType::from_id(other),
    }
}

/// Builds locations for one file.
pub(crate) struct Locator<'a> {
    path: &'a str,
    lines: LineIndex,
}

impl<'a> Locator<'a> {
    pub fn new(path: &'a str, text: &str) -> Self {
        Locator {
            path,
            lines: LineIndex::new(text),
        }
    }

    pub fn at(&self, range: TextRange) -> Location {
        Location {
            path: self.path.to_string(),
            line: self.lines.line_of(range.start) + 1,
            range,
        }
    }
}

/// The settings one object of Bicep or ARM notation holds: `{ KEY: value }` entries and
/// `{ name: 'KEY', value: … | secretRef: … }` items (site `appSettings`, container `env`).
pub(crate) fn settings_in<'n>(
    object: &'n tree::Object,
    locator: &Locator,
    value_of: &dyn Fn(&'n tree::Node) -> SettingValue,
    out: &mut Vec<Setting>,
) {
    for entry in &object.entries {
        if is_connection_variable(&entry.key) {
            out.push(Setting {
                name: entry.key.clone(),
                name_at: locator.at(entry.key_range),
                value: value_of(&entry.value),
            });
        }
    }
    if let Some(name) = object.get("name").and_then(tree::Node::as_str)
        && let Some(literal) = name.literal()
        && is_connection_variable(&literal)
    {
        let value = match (object.get("value"), object.get("secretRef")) {
            (Some(value), _) => value_of(value),
            (None, Some(_)) => SettingValue::Protected,
            (None, None) => SettingValue::Unknown,
        };
        out.push(Setting {
            name: literal,
            name_at: locator.at(name.content),
            value,
        });
    }
}

/// Whether a variable name is one an app setting could set for Service Connector's sake.
pub(crate) fn is_connection_variable(name: &str) -> bool {
    crate::catalogue::parse_name(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_infrastructure_paths() {
        assert_eq!(iac_kind("infra/main.bicep"), Some(IacKind::Bicep));
        assert_eq!(iac_kind("terraform/main.tf"), Some(IacKind::Terraform));
        assert_eq!(iac_kind("azure.yaml"), Some(IacKind::AzureYaml));
        assert_eq!(iac_kind("infra/main.json"), Some(IacKind::ArmJson));
        assert_eq!(iac_kind("azuredeploy.json"), Some(IacKind::ArmJson));
        assert_eq!(iac_kind("infra/main.parameters.json"), None);
        assert_eq!(iac_kind("src/data.json"), None);
        assert_eq!(iac_kind("deploy/Deploy.PS1"), Some(IacKind::PowerShell));
        assert_eq!(iac_kind("deploy/deploy.sh"), None);
        assert!(is_arm_template(
            r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}"#
        ));
    }

    #[test]
    fn infrastructure_belongs_to_the_folder_that_holds_it() {
        assert_eq!(project_folder("infra"), "");
        assert_eq!(project_folder("infra/core/host"), "");
        assert_eq!(project_folder("apps/shop/infra/app"), "apps/shop");
        assert_eq!(project_folder(".github/workflows"), "");
        assert_eq!(project_folder("services/api"), "services/api");
        assert_eq!(project_folder(""), "");
        let roots = ["", "apps/shop"];
        let is_root = |folder: &str| roots.contains(&folder);
        assert_eq!(nearest("apps/shop/infra/core", is_root), Some("apps/shop"));
        assert_eq!(nearest("apps/shopping", is_root), Some(""));
        assert_eq!(nearest("apps", |f: &str| f == "apps/shop"), None);
        assert_eq!(
            ancestors("a/b/c").collect::<Vec<_>>(),
            ["a/b/c", "a/b", "a", ""]
        );
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn schema_spellings() {
        assert_eq!(
            client_from_schema("springBoot"),
            Some(ClientType::SpringBoot)
        );
        assert_eq!(client_from_schema("django"), Some(ClientType::Django));
        assert_eq!(client_from_schema("cobol"), None);
        assert_eq!(
            auth_from_schema("systemAssignedIdentity"),
            Some(AuthType::SystemIdentity)
        );
        assert_eq!(
            auth_from_schema("servicePrincipalCertificate"),
            Some(AuthType::ServicePrincipal)
        );
        assert_eq!(
            target_from_text("/subscriptions/x/providers/Neon.Postgres/organizations/o"),
            Some(Target::Neon)
        );
        assert_eq!(
            target_from_text("Microsoft.DBforPostgreSQL/flexibleServers@2023-03-01-preview"),
            Some(Target::AzurePostgresql)
        );
    }

    #[test]
    fn arm_linkers_of_a_two_app_monorepo_map_to_their_services_folders() {
        let template = include_str!(
            "../../tests/fixtures/projects/monorepo-arm-two-linkers/infra/azuredeploy.json"
        );
        let azure_yaml =
            include_str!("../../tests/fixtures/projects/monorepo-arm-two-linkers/azure.yaml");
        let found = read(&[
            Input {
                path: "azure.yaml",
                text: azure_yaml,
            },
            Input {
                path: "infra/azuredeploy.json",
                text: template,
            },
        ]);
        let scopes: Vec<(&str, &AppScope)> = found
            .iter()
            .filter(|d| d.kind == Kind::Linker)
            .map(|d| (d.name.as_ref().map_or("?", |n| n.value.as_str()), &d.scope))
            .collect();
        assert_eq!(
            scopes,
            [
                ("web_db", &AppScope::Folder("src/web".into())),
                ("orders_db", &AppScope::Folder("src/orders".into())),
                ("reports_db", &AppScope::Unknown),
            ]
        );
    }
    /// Every fixture project's files, as (workspace-relative path, text).
    fn fixture_projects() -> Vec<(String, Vec<(String, String)>)> {
        fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(root, &path, out);
                } else if let (Ok(text), Ok(rel)) =
                    (std::fs::read_to_string(&path), path.strip_prefix(root))
                {
                    out.push((rel.to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects");
        let mut projects: Vec<_> = std::fs::read_dir(&base)
            .expect("the fixture projects")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        projects.sort();
        projects
            .into_iter()
            .map(|root| {
                let mut files = Vec::new();
                walk(&root, &root, &mut files);
                (root.to_string_lossy().into_owned(), files)
            })
            .collect()
    }

    fn read_project(files: &[(String, String)], filtered: bool) -> Vec<Declaration> {
        let inputs: Vec<Input> = files
            .iter()
            .map(|(path, text)| Input { path, text })
            .collect();
        read_with(&inputs, filtered)
    }

    /// Replaces every ASCII-case-insensitive occurrence of `needle` with `with` (same length).
    fn defang(text: &str, needle: &str, with: &str) -> String {
        let lower = text.to_ascii_lowercase();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (at, _) in lower.match_indices(needle) {
            out.push_str(&text[last..at]);
            out.push_str(with);
            last = at + needle.len();
        }
        out.push_str(&text[last..]);
        out
    }

    #[test]
    fn prefilter_keeps_every_declaration_of_the_fixture_projects() {
        let mut declaring = 0;
        for (project, files) in fixture_projects() {
            let filtered = read_project(&files, true);
            assert_eq!(filtered, read_project(&files, false), "{project}");
            declaring += usize::from(!filtered.is_empty());
        }
        assert!(
            declaring >= 12,
            "the fixtures declare connections ({declaring})"
        );
    }

    #[test]
    fn prefilter_without_its_needles_no_file_declares_anything() {
        // Read unfiltered, the fixture projects with every needle broken declare nothing: the
        // needles are what each reader needs, so skipping files without them loses nothing.
        let mut before = 0;
        for (project, files) in fixture_projects() {
            before += read_project(&files, false).len();
            let defanged: Vec<(String, String)> = files
                .iter()
                .map(|(path, text)| {
                    let text = defang(text, "linkers", "linkerz");
                    let text = defang(&text, "_postgresql_", "_postgresqx_");
                    let text = defang(&text, "_connection", "_connectiom");
                    let text = text.replace('\\', "/");
                    (path.clone(), text)
                })
                .collect();
            let scripts_only_create: Vec<(String, String)> = files
                .iter()
                .map(|(path, text)| (path.clone(), text.replace("connection", "connectiom")))
                .collect();
            let scripts_only_connection: Vec<(String, String)> = files
                .iter()
                .map(|(path, text)| (path.clone(), text.replace("create", "creat3")))
                .collect();
            let declared = read_project(&defanged, false);
            let from_scripts = |found: Vec<Declaration>| {
                found
                    .into_iter()
                    .filter(|d| d.source == Source::AzCli)
                    .collect::<Vec<_>>()
            };
            assert!(
                declared
                    .iter()
                    .all(|d| d.source == Source::AzCli && d.kind == Kind::Linker),
                "{project}: {declared:?}"
            );
            assert_eq!(
                from_scripts(read_project(&scripts_only_create, false)),
                [],
                "{project}"
            );
            assert_eq!(
                from_scripts(read_project(&scripts_only_connection, false)),
                [],
                "{project}"
            );
        }
        assert!(before > 0);
    }

    #[test]
    fn prefilter_reads_bicep_modules_without_needles_through_the_file_that_has_them() {
        // main.bicep names the setting; the module that creates the site mentions nothing.
        let main = "module web './core/site.bicep' = {\n  name: 'web'\n  params: {\n    appSettings: { AZURE_POSTGRESQL_HOST: 'db.example' }\n  }\n}\n";
        let site = "param appSettings object\nresource site 'Microsoft.Web/sites@2022-09-01' = {\n  name: 'web'\n  resource config 'config' = {\n    name: 'appsettings'\n    properties: appSettings\n  }\n}\n";
        let unrelated = "param name string\nresource st 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: name\n}\n";
        let files = [
            Input {
                path: "infra/main.bicep",
                text: main,
            },
            Input {
                path: "infra/core/site.bicep",
                text: site,
            },
            Input {
                path: "infra/other.bicep",
                text: unrelated,
            },
        ];
        let found = read(&files);
        assert_eq!(found, read_with(&files, false));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].at.path, "infra/main.bicep");
    }

    #[test]
    fn prefilter_reads_an_az_command_continued_between_connection_and_create() {
        let script = "az webapp connection \\\n  create postgres-flexible --client-type django --system-identity\n";
        let found = read(&[Input {
            path: "deploy.sh",
            text: script,
        }]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].client_type.as_ref().map(|c| c.value),
            Some(ClientType::Django)
        );
    }

    #[test]
    fn parallel_map_keeps_the_items_order() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(
            parallel_map(&items, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(parallel_map(&[] as &[usize], |i| *i), Vec::<usize>::new());
    }
}

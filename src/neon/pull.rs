//! `pull`: from a Neon project to the variables Service Connector would inject, merged into a
//! project's .env file.
//!
//! The steps, each a function of its own so the CLI and the language server share them:
//! [`select`] resolves project, branch, database, role and client type — from what the caller
//! gave, or by asking through a [`Chooser`] (terminal prompts in the CLI, `showMessageRequest` in
//! the editor); [`render_variables`] turns Neon's connection URI into the client type's variables
//! with `crate::catalogue` (which names and formats) and `crate::connstr` (the rendering the
//! rules check), so a pulled file raises none of our own diagnostics; [`merge_into_env`] updates
//! or appends exactly those keys and keeps every other line, comment and the order; [`pull`]
//! runs it all, refuses to put a password into a file git would commit (unless forced), asks
//! before writing and writes atomically.
//!
//! Not here: HTTP details ([`super::api`]), and no terminal or editor types.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};

use crate::audience::Audience;
use crate::catalogue::{self, AuthType, ClientType, Target, UnsupportedCombination, ValueFormat};
use crate::connstr::{self, Format, MASK, SslMode};
use crate::dotenv;
use crate::text::TextRange;
use crate::workspace::GitState;

use super::Secret;
use super::api::{ApiError, ApiErrorKind, Branch, NeonApi, Organization, Project};

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Merging into a .env file
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Updated,
    Unchanged,
}

/// What happens to one key, with values as they may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvChange {
    pub key: String,
    pub kind: ChangeKind,
    /// The current value (masked like the new one); `None` when the key is new.
    pub old_shown: Option<String>,
    pub new_shown: String,
}

/// The merged file and what changed.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvMerge {
    text: Secret,
    pub changes: Vec<EnvChange>,
}

impl fmt::Debug for EnvMerge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvMerge")
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl EnvMerge {
    /// The new file text (holds the password).
    pub fn text(&self) -> &str {
        self.text.expose()
    }

    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|change| change.kind != ChangeKind::Unchanged)
    }

    /// The change as diff lines, secrets masked: `+ KEY=new`, `- KEY=old`, `  KEY (unchanged)`.
    pub fn diff_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for change in &self.changes {
            match change.kind {
                ChangeKind::Added => lines.push(format!("+ {}={}", change.key, change.new_shown)),
                ChangeKind::Updated => {
                    if let Some(old) = &change.old_shown {
                        lines.push(format!("- {}={old}", change.key));
                    }
                    lines.push(format!("+ {}={}", change.key, change.new_shown));
                }
                ChangeKind::Unchanged => lines.push(format!("  {} (unchanged)", change.key)),
            }
        }
        lines
    }
}

/// The .env file cannot be merged into safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "line {line}: {message}; fix that line first (neon-lsp pull does not rewrite a .env file that loaders reject)"
)]
pub struct MergeError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// `text` with every variable set: an existing key keeps its line (and inline comment) and gets
/// the new value in every place it is defined, so no loader reads a stale one; new keys are
/// appended under a `# {header}` comment. Every other line stays as it was.
pub fn merge_into_env(
    text: &str,
    variables: &[RenderedVariable],
    header: &str,
) -> Result<EnvMerge, MergeError> {
    let env = dotenv::parse(text);
    if let Some(error) = env.errors.iter().find(|error| error.kind.loader_rejects()) {
        return Err(MergeError {
            line: error.line + 1,
            message: error.message.clone(),
        });
    }
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    let mut changes = Vec::with_capacity(variables.len());
    let mut appended: Vec<&RenderedVariable> = Vec::new();
    for variable in variables {
        let definitions: Vec<&dotenv::EnvEntry> = env.definitions(&variable.name).collect();
        let Some(last) = definitions.last() else {
            appended.push(variable);
            changes.push(EnvChange {
                key: variable.name.clone(),
                kind: ChangeKind::Added,
                old_shown: None,
                new_shown: variable.shown.clone(),
            });
            continue;
        };
        let stale: Vec<&&dotenv::EnvEntry> = definitions
            .iter()
            .filter(|entry| entry.value != variable.value())
            .collect();
        for entry in &stale {
            edits.push((entry.value_range, dotenv::render_value(variable.value())));
        }
        changes.push(EnvChange {
            key: variable.name.clone(),
            kind: if stale.is_empty() {
                ChangeKind::Unchanged
            } else {
                ChangeKind::Updated
            },
            old_shown: Some(shown_like(variable, &last.value)),
            new_shown: variable.shown.clone(),
        });
    }
    let mut merged = text.to_owned();
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, replacement) in edits {
        merged.replace_range(range.start..range.end, &replacement);
    }
    if !appended.is_empty() {
        let line_ending = env.line_ending.as_str();
        let body = merged.trim_start_matches('\u{FEFF}');
        let mut block = String::new();
        if !body.is_empty() {
            if !body.ends_with('\n') {
                block.push_str(line_ending);
            }
            if !body.ends_with("\n\n") && !body.ends_with("\r\n\r\n") {
                block.push_str(line_ending);
            }
        }
        block.push_str("# ");
        block.push_str(&header.replace(['\r', '\n'], " "));
        block.push_str(line_ending);
        for variable in appended {
            block.push_str(&dotenv::render_entry(&variable.name, variable.value()));
            block.push_str(line_ending);
        }
        merged.push_str(&block);
    }
    Ok(EnvMerge {
        text: Secret::new(merged),
        changes,
    })
}

/// An existing value shown the way the new one is: secrets masked.
fn shown_like(variable: &RenderedVariable, old: &str) -> String {
    if !variable.carries_secret {
        return old.to_owned();
    }
    if variable.shown == MASK {
        return MASK.to_owned();
    }
    match connstr::parse(old) {
        Ok((format, params)) => params.masked(format),
        Err(_) => MASK.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Choices
// ---------------------------------------------------------------------------------------------

/// What a question chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    Organization,
    Project,
    Branch,
    Database,
    Role,
    ClientType,
}

/// What a pull needed to ask and could not: one of the choices, or the final confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    Question(QuestionKind),
    Confirmation,
}

impl Unanswered {
    pub fn noun(self) -> &'static str {
        match self {
            Unanswered::Question(kind) => kind.noun(),
            Unanswered::Confirmation => "confirmation",
        }
    }

    /// The flag that answers it on the command line.
    pub fn flag(self) -> &'static str {
        match self {
            Unanswered::Question(kind) => kind.flag(),
            Unanswered::Confirmation => "--yes",
        }
    }
}

impl QuestionKind {
    /// The flag that answers the question on the command line.
    pub fn flag(self) -> &'static str {
        match self {
            QuestionKind::Organization => "--org",
            QuestionKind::Project => "--project",
            QuestionKind::Branch => "--branch",
            QuestionKind::Database => "--database",
            QuestionKind::Role => "--role",
            QuestionKind::ClientType => "--client-type",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            QuestionKind::Organization => "organization",
            QuestionKind::Project => "project",
            QuestionKind::Branch => "branch",
            QuestionKind::Database => "database",
            QuestionKind::Role => "role",
            QuestionKind::ClientType => "client type",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption {
    pub label: String,
    pub detail: Option<String>,
}

/// A choice to make among `options`; `default` is the suggested one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    pub options: Vec<ChoiceOption>,
    pub default: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceError {
    /// Nobody can be asked (no terminal); the caller must pass the choice.
    NotInteractive,
    /// The user declined to choose.
    Cancelled,
}

/// Asks the user. The CLI answers on the terminal, the language server with
/// `window/showMessageRequest`. Futures must be `Send` so the server can run them anywhere.
pub trait Chooser: Send {
    /// The index of the chosen option.
    fn choose(
        &mut self,
        question: &Question,
    ) -> impl Future<Output = Result<usize, ChoiceError>> + Send;

    /// Whether to write `plan` (shown with [`EnvMerge::diff_lines`]).
    fn confirm(
        &mut self,
        plan: &PullPlan,
    ) -> impl Future<Output = Result<bool, ChoiceError>> + Send;

    /// Whether to write `plan` although `reason` says git would commit the password — a
    /// deliberate answer that stands for both `force` and the confirmation. Only a front end
    /// that can show the reason beside the change asks; the default refuses, so the command
    /// line needs `--force`.
    fn override_refusal(
        &mut self,
        _plan: &PullPlan,
        _reason: &str,
    ) -> impl Future<Output = Result<bool, ChoiceError>> + Send {
        async { Err(ChoiceError::NotInteractive) }
    }
}

/// What the caller already knows; everything left open is asked for.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    /// Organization id or name, to look for the project only there.
    pub org: Option<String>,
    /// Project id or name.
    pub project: Option<String>,
    /// Branch id or name.
    pub branch: Option<String>,
    pub database: Option<String>,
    pub role: Option<String>,
    /// Use the connection pooler (`-pooler` host).
    pub pooled: bool,
    pub client_type: Option<ClientType>,
    /// A client type inferred from the project (and why), offered as the default and used
    /// when nobody can be asked.
    pub suggested_client_type: Option<(ClientType, String)>,
    /// The connection name of a second Neon connection (`NEON_POSTGRESQL_<NAME>_…`).
    pub connection_name: Option<String>,
}

/// The resolved choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub organization: Option<Organization>,
    pub project: Project,
    pub branch: Branch,
    pub database: String,
    pub role: String,
    pub pooled: bool,
    pub client_type: ClientType,
    /// Why this client type ("--client-type", "chosen", "from package.json").
    pub client_type_reason: String,
    pub connection_name: Option<String>,
}

impl Selection {
    /// `project shiny-wind (shiny-wind-028834), branch main, database neondb, role app`
    pub fn describe(&self) -> String {
        let project = if self.project.name == self.project.id {
            self.project.id.clone()
        } else {
            format!("{} ({})", self.project.name, self.project.id)
        };
        format!(
            "Neon project {project}, branch {}, database {}, role {}{}",
            self.branch.name,
            self.database,
            self.role,
            if self.pooled { ", pooled" } else { "" }
        )
    }
}

/// Why a pull did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A question nobody could answer (no terminal, no dialog): which one, and the choices.
    /// `Display` names the command line's flag; the editor names its argument.
    #[error("there is no terminal to ask for the {} on: pass {}{options}", .question.noun(), .question.flag())]
    Missing {
        question: Unanswered,
        options: String,
    },
    #[error("cancelled")]
    Cancelled,
    /// An organization or project-scoped API key cannot answer a question a personal key
    /// could; `what` says which and what to pass instead.
    #[error("{what}")]
    KeyCannotList { what: String },
    #[error("no {noun} {given}{scope}; {options}")]
    NotFound {
        noun: &'static str,
        given: String,
        scope: String,
        options: String,
    },
    #[error("{noun} {given} is ambiguous: {options}; pass the id instead")]
    Ambiguous {
        noun: &'static str,
        given: String,
        options: String,
    },
    #[error("no {noun} found{scope}")]
    Empty { noun: &'static str, scope: String },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{path}: {source}")]
    Merge {
        path: PathBuf,
        #[source]
        source: MergeError,
    },
    #[error("refusing to write {path}: {reason}")]
    Refused { path: PathBuf, reason: String },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PullError {
    /// A usage problem (a missing or wrong choice, a refused file), as opposed to a failure of
    /// Neon or the network: the CLI exits 2 for these.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            PullError::Missing { .. }
                | PullError::KeyCannotList { .. }
                | PullError::NotFound { .. }
                | PullError::Ambiguous { .. }
                | PullError::Refused { .. }
                | PullError::Merge { .. }
        )
    }
}

const LISTED_OPTIONS: usize = 10;

fn list_options(labels: impl Iterator<Item = String>) -> String {
    let labels: Vec<String> = labels.collect();
    if labels.is_empty() {
        return "there are none".to_owned();
    }
    let mut shown = labels
        .iter()
        .take(LISTED_OPTIONS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if labels.len() > LISTED_OPTIONS {
        shown.push_str(&format!(" and {} more", labels.len() - LISTED_OPTIONS));
    }
    format!("available: {shown}")
}

/// What one choice is about: the kind, what the caller gave, where to look, the suggestion.
struct Pick<'a> {
    kind: QuestionKind,
    given: Option<&'a str>,
    /// " in project x", for messages and the prompt.
    scope: &'a str,
    default: Option<usize>,
}

/// One of `items`: the one `given` names, the only one, or the one the user picks.
async fn pick<T: Clone>(
    spec: Pick<'_>,
    items: &[T],
    describe: impl Fn(&T) -> ChoiceOption,
    matches: impl Fn(&T, &str) -> bool,
    chooser: &mut impl Chooser,
) -> Result<T, PullError> {
    let Pick {
        kind,
        given,
        scope,
        default,
    } = spec;
    let labels = || items.iter().map(|item| describe(item).label);
    if let Some(given) = given {
        let found: Vec<&T> = items.iter().filter(|item| matches(item, given)).collect();
        return match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(PullError::NotFound {
                noun: kind.noun(),
                given: given.to_owned(),
                scope: scope.to_owned(),
                options: list_options(labels()),
            }),
            many => Err(PullError::Ambiguous {
                noun: kind.noun(),
                given: given.to_owned(),
                options: list_options(many.iter().map(|item| {
                    let option = describe(item);
                    match option.detail {
                        Some(detail) => format!("{} [{detail}]", option.label),
                        None => option.label,
                    }
                })),
            }),
        };
    }
    match items {
        [] => Err(PullError::Empty {
            noun: kind.noun(),
            scope: scope.to_owned(),
        }),
        [only] => Ok(only.clone()),
        _ => {
            let question = Question {
                kind,
                prompt: format!("Which {}{scope}?", kind.noun()),
                options: items.iter().map(&describe).collect(),
                default,
            };
            match chooser.choose(&question).await {
                Ok(index) => items.get(index).cloned().ok_or(PullError::Cancelled),
                Err(ChoiceError::Cancelled) => Err(PullError::Cancelled),
                Err(ChoiceError::NotInteractive) => Err(PullError::Missing {
                    question: Unanswered::Question(kind),
                    options: format!(" ({})", list_options(labels())),
                }),
            }
        }
    }
}

/// Neon project ids look like `shiny-wind-028834`: lowercase words and a number.
fn looks_like_project_id(text: &str) -> bool {
    text.contains('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && text
            .rsplit('-')
            .next()
            .is_some_and(|last| !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

/// Organization ids look like `org-bold-sky-12345`.
fn looks_like_org_id(text: &str) -> bool {
    text.strip_prefix("org-").is_some_and(looks_like_project_id)
}

/// The user's organizations (`GET /users/me/organizations`), or `None` when the API key is an
/// organization or project-scoped key, which stands for no user: Neon answers the user
/// endpoints 401, 403 or 404 for those.
async fn user_organizations(api: &NeonApi) -> Result<Option<Vec<Organization>>, ApiError> {
    match api.organizations().await {
        Ok(organizations) => Ok(Some(organizations)),
        Err(error) if error.is_not_a_user_key(api.credential_source()) => {
            api.notice(&format!(
                "{}: answered {}: the API key is an organization or project-scoped key, not a \
                 personal one; using the projects Neon lists for the key itself",
                error.request,
                error.status().unwrap_or_default()
            ));
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// What the project search found: the project, and its organization when `--org` named it.
struct FoundProject {
    organization: Option<Organization>,
    project: Project,
}

/// The organization `--org` names: an id is used as given (no request: organization and
/// project-scoped keys cannot list organizations); a name is looked up among the user's.
async fn given_organization(
    api: &NeonApi,
    given: &str,
    chooser: &mut impl Chooser,
) -> Result<(Organization, Vec<Organization>), PullError> {
    if looks_like_org_id(given) {
        let organization = Organization {
            id: given.to_owned(),
            name: given.to_owned(),
        };
        return Ok((organization, Vec::new()));
    }
    let Some(organizations) = user_organizations(api).await? else {
        return Err(PullError::KeyCannotList {
            what: format!(
                "organization {given}: this API key cannot list organizations by name; pass \
                 the organization's id (org-…) with --org"
            ),
        });
    };
    let organization = pick(
        Pick {
            kind: QuestionKind::Organization,
            given: Some(given),
            scope: "",
            default: None,
        },
        &organizations,
        |org: &Organization| ChoiceOption {
            label: org.name.clone(),
            detail: Some(org.id.clone()),
        },
        |org: &Organization, given| org.id == given || org.name == given,
        chooser,
    )
    .await?;
    Ok((organization, organizations))
}

/// Adds `more` to `projects` (those of `org_id` when given), skipping ones already there.
fn merge_projects(projects: &mut Vec<Project>, more: Vec<Project>, org_id: Option<&str>) {
    for mut project in more {
        if let Some(org_id) = org_id {
            project.org_id.get_or_insert_with(|| org_id.to_owned());
        }
        if !projects.iter().any(|known| known.id == project.id) {
            projects.push(project);
        }
    }
}

/// Finds the project with as few requests as the request allows, so that every kind of API key
/// works: a project id goes straight to `GET /projects/{id}` (all a project-scoped key may
/// do); `--org` lists that organization's projects by `org_id`; otherwise `GET /projects`
/// (the key's own projects: an organization key's organization, a user's personal ones), and
/// only when the project is not among them the user's organizations, one by one.
async fn find_project(
    api: &NeonApi,
    request: &PullRequest,
    chooser: &mut impl Chooser,
) -> Result<FoundProject, PullError> {
    let (organization, mut organizations) = match &request.org {
        Some(given) => {
            let (organization, organizations) = given_organization(api, given, chooser).await?;
            (Some(organization), organizations)
        }
        None => (None, Vec::new()),
    };
    if let Some(given) = request
        .project
        .as_deref()
        .filter(|given| looks_like_project_id(given))
    {
        match api.project(given).await {
            Ok(project) => {
                return Ok(FoundProject {
                    organization,
                    project,
                });
            }
            // Not an id after all (a name like `my-app-2`): look for it in the lists.
            Err(ApiError {
                kind: ApiErrorKind::NotFound { .. },
                ..
            }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let found = |projects: &[Project]| {
        request.project.as_deref().is_some_and(|given| {
            projects
                .iter()
                .any(|project| project.id == given || project.name == given)
        })
    };
    let mut projects: Vec<Project> = Vec::new();
    match &organization {
        Some(organization) => {
            let listed = api.projects(Some(&organization.id)).await?;
            merge_projects(&mut projects, listed, Some(&organization.id));
        }
        None => {
            let mut org_id_required = false;
            match api.projects(None).await {
                Ok(listed) => merge_projects(&mut projects, listed, None),
                // Accounts without personal projects answer the org-less list with an error
                // ("org_id is required"); their projects come from the organizations below.
                Err(ApiError {
                    kind: ApiErrorKind::Http { status: 400, .. },
                    ..
                }) => org_id_required = true,
                Err(error) => return Err(error.into()),
            }
            if !found(&projects) {
                match user_organizations(api).await? {
                    Some(listed) => {
                        for organization in &listed {
                            let more = api.projects(Some(&organization.id)).await?;
                            merge_projects(&mut projects, more, Some(&organization.id));
                        }
                        organizations = listed;
                    }
                    None if org_id_required => {
                        return Err(PullError::KeyCannotList {
                            what: "projects: Neon asks for an organization and this API key \
                                   cannot list organizations; pass --org with the \
                                   organization's id (org-…), or --project with the project's id"
                                .to_owned(),
                        });
                    }
                    None => {}
                }
            }
        }
    }
    let org_name = |id: &Option<String>| {
        id.as_ref().map(|id| {
            organizations
                .iter()
                .find(|org| &org.id == id)
                .map(|org| org.name.clone())
                .unwrap_or_else(|| id.clone())
        })
    };
    let project_scope = organization
        .as_ref()
        .map(|org| format!(" in organization {}", org.name))
        .unwrap_or_default();
    let project = pick(
        Pick {
            kind: QuestionKind::Project,
            given: request.project.as_deref(),
            scope: &project_scope,
            default: None,
        },
        &projects,
        |project: &Project| ChoiceOption {
            label: project.name.clone(),
            detail: Some(match org_name(&project.org_id) {
                Some(org) => format!("{} — {org}", project.id),
                None => format!("{} — personal", project.id),
            }),
        },
        |project: &Project, given| project.id == given || project.name == given,
        chooser,
    )
    .await?;
    Ok(FoundProject {
        organization,
        project,
    })
}

/// Resolves every choice: from `request`, by elimination, or through `chooser`.
pub async fn select(
    api: &NeonApi,
    request: &PullRequest,
    chooser: &mut impl Chooser,
) -> Result<Selection, PullError> {
    let FoundProject {
        organization,
        project,
    } = find_project(api, request, chooser).await?;
    let in_project = format!(" in project {}", project.name);
    let branches = api.branches(&project.id).await?;
    let default_branch = branches.iter().position(|branch| branch.default);
    let branch = pick(
        Pick {
            kind: QuestionKind::Branch,
            given: request.branch.as_deref(),
            scope: &in_project,
            default: default_branch,
        },
        &branches,
        |branch: &Branch| ChoiceOption {
            label: branch.name.clone(),
            detail: Some(if branch.default {
                format!("{} — default", branch.id)
            } else {
                branch.id.clone()
            }),
        },
        |branch: &Branch, given| branch.id == given || branch.name == given,
        chooser,
    )
    .await?;
    let on_branch = format!(" on branch {}", branch.name);
    let databases = api.databases(&project.id, &branch.id).await?;
    let database = pick(
        Pick {
            kind: QuestionKind::Database,
            given: request.database.as_deref(),
            scope: &on_branch,
            default: None,
        },
        &databases,
        |database| ChoiceOption {
            label: database.name.clone(),
            detail: database
                .owner_name
                .as_ref()
                .map(|owner| format!("owner {owner}")),
        },
        |database, given| database.name == given,
        chooser,
    )
    .await?;
    let roles = api.roles(&project.id, &branch.id).await?;
    let owner = roles
        .iter()
        .position(|role| Some(&role.name) == database.owner_name.as_ref());
    let role = pick(
        Pick {
            kind: QuestionKind::Role,
            given: request.role.as_deref(),
            scope: &on_branch,
            default: owner,
        },
        &roles,
        |role| ChoiceOption {
            label: role.name.clone(),
            detail: Some(if Some(&role.name) == database.owner_name.as_ref() {
                format!("owns {}", database.name)
            } else {
                String::new()
            })
            .filter(|detail| !detail.is_empty()),
        },
        |role, given| role.name == given,
        chooser,
    )
    .await?;
    let (client_type, client_type_reason) = choose_client_type(request, chooser).await?;
    Ok(Selection {
        organization,
        project,
        branch,
        database: database.name,
        role: role.name,
        pooled: request.pooled,
        client_type,
        client_type_reason,
        connection_name: request.connection_name.clone(),
    })
}

async fn choose_client_type(
    request: &PullRequest,
    chooser: &mut impl Chooser,
) -> Result<(ClientType, String), PullError> {
    if let Some(client) = request.client_type {
        return Ok((client, "--client-type".to_owned()));
    }
    let suggested = request.suggested_client_type.as_ref();
    let question = Question {
        kind: QuestionKind::ClientType,
        prompt: "Which client type does the app use (what Service Connector was set up with)?"
            .to_owned(),
        options: ClientType::ALL
            .iter()
            .map(|client| ChoiceOption {
                label: client.id().to_owned(),
                detail: catalogue::variables(
                    Target::Neon,
                    *client,
                    AuthType::Secret,
                    request.connection_name.as_deref(),
                )
                .ok()
                .map(|variables| {
                    variables
                        .iter()
                        .map(|variable| variable.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
            })
            .collect(),
        default: suggested
            .and_then(|(client, _)| ClientType::ALL.iter().position(|known| known == client)),
    };
    match chooser.choose(&question).await {
        Ok(index) => ClientType::ALL
            .get(index)
            .map(|client| (*client, "chosen".to_owned()))
            .ok_or(PullError::Cancelled),
        Err(ChoiceError::Cancelled) => Err(PullError::Cancelled),
        Err(ChoiceError::NotInteractive) => match suggested {
            Some((client, reason)) => Ok((*client, reason.clone())),
            None => Err(PullError::Missing {
                question: Unanswered::Question(QuestionKind::ClientType),
                options: format!(
                    " ({})",
                    list_options(ClientType::ALL.iter().map(|c| c.id().to_owned()))
                ),
            }),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The whole pull
// ---------------------------------------------------------------------------------------------

/// Where to write and how careful to be.
#[derive(Debug, Clone)]
pub struct PullOptions {
    pub env_file: PathBuf,
    /// Write without asking.
    pub yes: bool,
    /// Write a password even into a file git tracks or would commit.
    pub force: bool,
    /// Who reads the refusals: they name `--force` or the editor's way to override.
    pub audience: Audience,
}

/// What a pull is about to write (or wrote).
#[derive(Debug, Clone)]
pub struct PullPlan {
    pub selection: Selection,
    pub env_file: PathBuf,
    /// The file does not exist yet.
    pub creates_file: bool,
    pub merge: EnvMerge,
    /// Set when `--force` overrode a refusal: what the user accepted.
    pub forced_past: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub plan: PullPlan,
    pub written: bool,
}

/// Why a file that would receive a password must not, or `None` when it may.
pub fn secret_refusal(state: GitState, file_name: &str, audience: Audience) -> Option<String> {
    let force = audience.force_hint();
    match state {
        GitState::Tracked => Some(format!(
            "git tracks {file_name}, so the database password would be committed; add {file_name} to .gitignore and run `git rm --cached {file_name}`, or {force}"
        )),
        GitState::Untracked => Some(format!(
            "git does not ignore {file_name}, so the next `git add .` would commit the database password; add {file_name} to .gitignore, or {force}"
        )),
        GitState::Ignored | GitState::NotInRepository => None,
    }
}

/// What git thinks of `path` (asked from the file's own folder).
pub fn git_state(path: &Path) -> Result<GitState, crate::disk::git::GitError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let Some(name) = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
    else {
        return Ok(GitState::NotInRepository);
    };
    if !dir.is_dir() {
        return Ok(GitState::NotInRepository);
    }
    let states = crate::disk::git::git_states(dir, &[name.as_str()])?;
    Ok(states.get(&name).copied().unwrap_or_default())
}

/// Selects, fetches the connection URI, renders, merges, checks git, asks and writes.
pub async fn pull(
    api: &NeonApi,
    request: &PullRequest,
    options: &PullOptions,
    chooser: &mut impl Chooser,
) -> Result<PullOutcome, PullError> {
    let selection = select(api, request, chooser).await?;
    let uri = api
        .connection_uri(
            &selection.project.id,
            &selection.branch.id,
            &selection.database,
            &selection.role,
            selection.pooled,
        )
        .await?;
    let variables = render_variables(
        selection.client_type,
        selection.connection_name.as_deref(),
        &uri,
    )?;
    let path = options.env_file.clone();
    let (current, creates_file) = match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(_) => {
                return Err(PullError::Refused {
                    path,
                    reason: "it is not UTF-8 text, so it cannot be merged without damage"
                        .to_owned(),
                });
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => (String::new(), true),
        Err(source) => {
            return Err(PullError::Io {
                action: "read",
                path,
                source,
            });
        }
    };
    let header = format!(
        "{} (client type {}), written by neon-lsp pull",
        selection.describe(),
        selection.client_type.id()
    );
    let merge =
        merge_into_env(&current, &variables, &header).map_err(|source| PullError::Merge {
            path: path.clone(),
            source,
        })?;
    let mut plan = PullPlan {
        selection,
        env_file: path.clone(),
        creates_file,
        merge,
        forced_past: None,
    };
    if !plan.merge.has_changes() {
        return Ok(PullOutcome {
            plan,
            written: false,
        });
    }
    if variables.iter().any(|variable| variable.carries_secret) {
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let refusal = match git_state(&path) {
            Ok(state) => secret_refusal(state, &file_name, options.audience),
            Err(error) => Some(format!(
                "could not ask git whether it would commit {file_name} ({error}); {}",
                options.audience.force_hint()
            )),
        };
        if let Some(reason) = refusal {
            if !options.force {
                return match chooser.override_refusal(&plan, &reason).await {
                    Ok(true) => {
                        plan.forced_past = Some(reason);
                        write_env_file(&path, plan.merge.text())?;
                        Ok(PullOutcome {
                            plan,
                            written: true,
                        })
                    }
                    Ok(false) | Err(ChoiceError::Cancelled) => Ok(PullOutcome {
                        plan,
                        written: false,
                    }),
                    Err(ChoiceError::NotInteractive) => Err(PullError::Refused { path, reason }),
                };
            }
            plan.forced_past = Some(reason);
        }
    }
    if !options.yes {
        match chooser.confirm(&plan).await {
            Ok(true) => {}
            Ok(false) | Err(ChoiceError::Cancelled) => {
                return Ok(PullOutcome {
                    plan,
                    written: false,
                });
            }
            Err(ChoiceError::NotInteractive) => {
                return Err(PullError::Missing {
                    question: Unanswered::Confirmation,
                    options: String::new(),
                });
            }
        }
    }
    write_env_file(&path, plan.merge.text())?;
    Ok(PullOutcome {
        plan,
        written: true,
    })
}

/// Replaces the file atomically, keeping its permissions; a new file gets 0600 (it holds a
/// password).
pub fn write_env_file(path: &Path, text: &str) -> Result<(), PullError> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|metadata| metadata.permissions().mode() & 0o7777)
            .unwrap_or(0o600)
    };
    #[cfg(not(unix))]
    let mode = 0o600;
    crate::disk::write_atomically(path, text.as_bytes(), mode).map_err(|source| PullError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests;

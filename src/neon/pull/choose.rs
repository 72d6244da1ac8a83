//! The questions a pull asks and the [`Chooser`] that answers them.

use super::*;

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

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
//! Files: `render.rs`, `merge.rs`, `choose.rs` (questions, [`Chooser`]), `select.rs` and
//! `project.rs` (finding the project with as few requests as the key allows); this file holds
//! [`PullError`] and the whole pull.
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

mod choose;
mod merge;
mod project;
mod render;
mod select;

pub use choose::*;
pub use merge::*;
use project::*;
pub use render::*;
pub use select::*;

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

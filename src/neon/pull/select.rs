//! Resolving every choice: from the request, by elimination, or through the [`Chooser`].

use super::*;

pub(super) const LISTED_OPTIONS: usize = 10;

pub(super) fn list_options(labels: impl Iterator<Item = String>) -> String {
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
pub(super) struct Pick<'a> {
    pub(super) kind: QuestionKind,
    pub(super) given: Option<&'a str>,
    /// " in project x", for messages and the prompt.
    pub(super) scope: &'a str,
    pub(super) default: Option<usize>,
}

/// One of `items`: the one `given` names, the only one, or the one the user picks.
pub(super) async fn pick<T: Clone>(
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

pub(super) async fn choose_client_type(
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

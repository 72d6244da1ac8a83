//! Finding the project and its organization with as few requests as the API key allows.

use super::*;

/// Neon project ids look like `shiny-wind-028834`: lowercase words and a number.
pub(super) fn looks_like_project_id(text: &str) -> bool {
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
pub(super) fn looks_like_org_id(text: &str) -> bool {
    text.strip_prefix("org-").is_some_and(looks_like_project_id)
}

/// The user's organizations (`GET /users/me/organizations`), or `None` when the API key is an
/// organization or project-scoped key, which stands for no user: Neon answers the user
/// endpoints 401, 403 or 404 for those.
pub(super) async fn user_organizations(
    api: &NeonApi,
) -> Result<Option<Vec<Organization>>, ApiError> {
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
pub(super) struct FoundProject {
    pub(super) organization: Option<Organization>,
    pub(super) project: Project,
}

/// The organization `--org` names: an id is used as given (no request: organization and
/// project-scoped keys cannot list organizations); a name is looked up among the user's.
pub(super) async fn given_organization(
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
pub(super) fn merge_projects(
    projects: &mut Vec<Project>,
    more: Vec<Project>,
    org_id: Option<&str>,
) {
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
pub(super) async fn find_project(
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

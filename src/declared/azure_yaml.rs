//! azd's `azure.yaml`: the services and the folders they deploy (`services.<name>.project`).
//!
//! Only that shape is read, by indentation, so a hand-edited or half-typed file still gives
//! what it can; everything else in the file is ignored.

/// One azd service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    /// Workspace-relative folder, `/` separators, no `./`, `""` for the root.
    pub project: String,
    /// The folder of the azure.yaml that lists it.
    pub root: String,
    /// `resourceName`: the Azure resource it deploys to, when azure.yaml names it.
    pub resource_name: Option<String>,
}

impl Service {
    /// Whether an app as infrastructure code names it (an `azd-service-name` tag, a resource
    /// name) is this service: the service name, its `resourceName`, or a resource name holding
    /// the service name as a `-`/`_`-separated word (`app-api-prod` for `api`) — the last only
    /// when no other service of `among` matches that way too.
    pub fn is_app(&self, app: &str, among: &[&Service]) -> bool {
        if self.name.eq_ignore_ascii_case(app)
            || self
                .resource_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(app))
        {
            return true;
        }
        let word_of = |service: &Service| {
            app.split(['-', '_'])
                .any(|word| word.eq_ignore_ascii_case(&service.name))
        };
        word_of(self)
            && among
                .iter()
                .filter(|other| other.name != self.name && word_of(other))
                .count()
                == 0
            && !among.iter().any(|other| {
                other.name.eq_ignore_ascii_case(app)
                    || other
                        .resource_name
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(app))
            })
    }
}

/// The services of an `azure.yaml` at `path` (projects are relative to its folder).
pub fn services(path: &str, text: &str) -> Vec<Service> {
    let base = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut out: Vec<Service> = Vec::new();
    let mut in_services = false;
    let mut service_indent: Option<usize> = None;
    for line in text.lines() {
        let content = line.split(" #").next().unwrap_or(line).trim_end();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        let indent = content.len() - content.trim_start().len();
        let trimmed = content.trim_start();
        if indent == 0 {
            in_services = trimmed == "services:";
            service_indent = None;
            continue;
        }
        if !in_services {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        let value = value.trim().trim_matches(['"', '\'']);
        match service_indent {
            None => {
                service_indent = Some(indent);
                out.push(Service {
                    name: key.to_string(),
                    project: base.to_string(),
                    root: base.to_string(),
                    resource_name: None,
                });
            }
            Some(level) if indent <= level => {
                service_indent = Some(indent);
                out.push(Service {
                    name: key.to_string(),
                    project: base.to_string(),
                    root: base.to_string(),
                    resource_name: None,
                });
            }
            Some(_) if key == "project" => {
                if let Some(service) = out.last_mut() {
                    service.project = join(base, value);
                }
            }
            Some(_) if key == "resourceName" && !value.contains("${") => {
                if let Some(service) = out.last_mut() {
                    service.resource_name = Some(value.to_string());
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// `base` + a relative project path, normalised (`./src/web/` → `src/web`).
fn join(base: &str, project: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for segment in project.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_services_and_their_projects() {
        let text = "# yaml-language-server: $schema=x\nname: shop\nmetadata:\n  template: t\nservices:\n  web:\n    project: ./src/web\n    language: py\n    host: appservice\n  api:\n    project: \"src/api/\"  # the API\n    resourceName: shop-api-prod\n    host: containerapp\n  root:\n    host: function\nhooks:\n  postprovision:\n    run: echo\n";
        let found = services("azure.yaml", text);
        assert_eq!(
            found,
            vec![
                Service {
                    name: "web".into(),
                    project: "src/web".into(),
                    root: String::new(),
                    resource_name: None,
                },
                Service {
                    name: "api".into(),
                    project: "src/api".into(),
                    root: String::new(),
                    resource_name: Some("shop-api-prod".into()),
                },
                Service {
                    name: "root".into(),
                    project: String::new(),
                    root: String::new(),
                    resource_name: None,
                },
            ]
        );
        assert_eq!(
            services("apps/azure.yaml", "services:\n  w:\n    project: ../w\n")[0].project,
            "w"
        );
        assert!(services("azure.yaml", "services:").is_empty());
    }

    #[test]
    fn apps_match_services_by_name_resource_name_or_a_unique_word() {
        let found = services(
            "azure.yaml",
            "services:\n  web:\n    project: src/web\n  api:\n    project: src/api\n    resourceName: orders-backend\n",
        );
        let all: Vec<&Service> = found.iter().collect();
        let (web, api) = (&found[0], &found[1]);
        assert!(web.is_app("web", &all) && web.is_app("WEB", &all));
        assert!(api.is_app("orders-backend", &all));
        assert!(web.is_app("app-web-prod", &all));
        assert!(!api.is_app("app-web-prod", &all));
        // Both words: neither.
        assert!(!web.is_app("web-api", &all) && !api.is_app("web-api", &all));
        assert!(!web.is_app("website", &all));
    }
}

//! azd's `azure.yaml`: the services and the folders they deploy (`services.<name>.project`).
//!
//! Only that shape is read, by indentation, so a hand-edited or half-typed file still gives
//! what it can; everything else in the file is ignored.

use std::collections::HashMap;

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

/// The services of one azd project, indexed so that matching many apps stays linear (a
/// monorepo's azure.yaml may list hundreds of services and its infrastructure thousands of
/// declarations).
pub struct Project<'s> {
    services: Vec<&'s Service>,
    /// Lower-case service name or `resourceName` → the first service so named.
    exact: HashMap<String, usize>,
    /// Lower-case service name → the services of that name.
    by_name: HashMap<String, Vec<usize>>,
}

impl<'s> Project<'s> {
    pub fn new(services: Vec<&'s Service>) -> Self {
        let mut exact = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, service) in services.iter().enumerate() {
            let name = service.name.to_ascii_lowercase();
            exact.entry(name.clone()).or_insert(i);
            if let Some(resource) = &service.resource_name {
                exact.entry(resource.to_ascii_lowercase()).or_insert(i);
            }
            by_name.entry(name).or_default().push(i);
        }
        Project {
            services,
            exact,
            by_name,
        }
    }

    pub fn services(&self) -> &[&'s Service] {
        &self.services
    }

    /// The service an app as infrastructure code names it (an `azd-service-name` tag, a
    /// resource name) stands for: the one with that name or `resourceName`, else the one whose
    /// name is a `-`/`_`-separated word of it (`app-api-prod` for `api`) — only when no service
    /// of another name is a word of it too.
    pub fn service_for(&self, app: &str) -> Option<&'s Service> {
        if let Some(&i) = self.exact.get(&app.to_ascii_lowercase()) {
            return Some(self.services[i]);
        }
        let mut found: Option<(&str, usize)> = None;
        for word in app.split(['-', '_']) {
            let Some(matches) = self.by_name.get(&word.to_ascii_lowercase()) else {
                continue;
            };
            let name = self.services[matches[0]].name.as_str();
            match found {
                Some((other, _)) if !other.eq_ignore_ascii_case(name) => return None,
                Some((_, first)) => found = Some((name, first.min(matches[0]))),
                None => found = Some((name, matches[0])),
            }
        }
        found.map(|(_, i)| self.services[i])
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
        let project = Project::new(found.iter().collect());
        let (web, api) = (Some(&found[0]), Some(&found[1]));
        assert_eq!(project.service_for("web"), web);
        assert_eq!(project.service_for("WEB"), web);
        assert_eq!(project.service_for("orders-backend"), api);
        assert_eq!(project.service_for("app-web-prod"), web);
        assert_eq!(project.service_for("app-web-web"), web);
        // Both words: neither.
        assert_eq!(project.service_for("web-api"), None);
        assert_eq!(project.service_for("website"), None);
        // A name match wins over a word of another service's name.
        let found = services("azure.yaml", "services:\n  api:\n  web-api:\n");
        let project = Project::new(found.iter().collect());
        assert_eq!(project.service_for("web-api"), Some(&found[1]));
    }
}

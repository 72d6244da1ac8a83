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
                });
            }
            Some(level) if indent <= level => {
                service_indent = Some(indent);
                out.push(Service {
                    name: key.to_string(),
                    project: base.to_string(),
                    root: base.to_string(),
                });
            }
            Some(_) if key == "project" => {
                if let Some(service) = out.last_mut() {
                    service.project = join(base, value);
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
        let text = "# yaml-language-server: $schema=x\nname: shop\nmetadata:\n  template: t\nservices:\n  web:\n    project: ./src/web\n    language: py\n    host: appservice\n  api:\n    project: \"src/api/\"  # the API\n    host: containerapp\n  root:\n    host: function\nhooks:\n  postprovision:\n    run: echo\n";
        let found = services("azure.yaml", text);
        assert_eq!(
            found,
            vec![
                Service {
                    name: "web".into(),
                    project: "src/web".into(),
                    root: String::new(),
                },
                Service {
                    name: "api".into(),
                    project: "src/api".into(),
                    root: String::new(),
                },
                Service {
                    name: "root".into(),
                    project: String::new(),
                    root: String::new(),
                },
            ]
        );
        assert_eq!(
            services("apps/azure.yaml", "services:\n  w:\n    project: ../w\n")[0].project,
            "w"
        );
        assert!(services("azure.yaml", "services:").is_empty());
    }
}

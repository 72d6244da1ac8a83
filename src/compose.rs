//! Docker compose files as the rules need them: the service names, which are host names on
//! the compose network (`AZURE_POSTGRESQL_HOST=db` reaches the `db` service of the local stack).
//!
//! A careful line-based reader of the top-level `services:` mapping rather than a YAML parser:
//! the crate has no YAML dependency, and the only facts needed are the keys one level under
//! `services:` plus each service's `container_name:` / `hostname:`. Anything it does not
//! understand yields fewer names, never an error — fewer names only means fewer hosts treated
//! as local.

/// Whether `path` (workspace-relative) is a docker compose file: `docker-compose.yml`,
/// `compose.yaml`, `docker-compose.override.yml`, `docker-compose.dev.yml`, ….
pub fn is_compose_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let Some(stem) = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
    else {
        return false;
    };
    ["docker-compose", "compose"]
        .iter()
        .any(|base| stem == *base || stem.starts_with(&format!("{base}.")))
}

/// The host names a compose file gives its services: each key under the top-level
/// `services:` mapping, and each service's `container_name:` and `hostname:` values.
pub fn service_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_services = false;
    let mut service_indent: Option<usize> = None;
    for line in text.lines() {
        let content = line.trim_end();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = content.len() - trimmed.len();
        if indent == 0 {
            in_services = trimmed.trim_end() == "services:"
                || trimmed.starts_with("services:") && comment_only(&trimmed["services:".len()..]);
            service_indent = None;
            continue;
        }
        if !in_services {
            continue;
        }
        let level = *service_indent.get_or_insert(indent);
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let key = unquote(key.trim());
        if indent == level {
            if is_host_name(key) {
                names.push(key.to_string());
            }
        } else if indent > level && matches!(key, "container_name" | "hostname") {
            let value = unquote(value.split(" #").next().unwrap_or("").trim());
            if is_host_name(value) {
                names.push(value.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

fn comment_only(rest: &str) -> bool {
    let rest = rest.trim();
    rest.is_empty() || rest.starts_with('#')
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
        .unwrap_or(text)
}

/// A DNS label-like name (`db`, `postgres-test`, `pg_1`); rejects list items and templates.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_file_names() {
        for path in [
            "docker-compose.yml",
            "deploy/compose.yaml",
            "docker-compose.override.yml",
            "docker-compose.dev.yaml",
        ] {
            assert!(is_compose_file(path), "{path}");
        }
        for path in [
            "ci.yml",
            "my-compose.yml",
            "docker-compose.json",
            "compose.txt",
        ] {
            assert!(!is_compose_file(path), "{path}");
        }
    }

    #[test]
    fn service_names_under_services_only() {
        let text = "\
version: \"3.9\"
services:
  api:
    build: .
    environment:
      DB_HOST: db
    depends_on:
      - db
  db:   # the database
    image: postgres:16
    container_name: menu-db
    hostname: \"pg.local\"
  \"cache\":
    image: redis
volumes:
  data:
networks:
  backend:
";
        assert_eq!(
            service_names(text),
            vec!["api", "cache", "db", "menu-db", "pg.local"]
        );
    }

    #[test]
    fn no_services_no_names() {
        assert!(service_names("volumes:\n  data:\n").is_empty());
        assert!(service_names("").is_empty());
        assert!(service_names("services: {}\n").is_empty());
    }
}

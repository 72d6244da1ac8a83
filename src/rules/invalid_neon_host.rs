//! `invalid-neon-host`: a host that is not an endpoint of the connection's target.

use crate::analysis::Context;
use crate::catalogue::{self, Field, Target};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;
use crate::rules::values::{self, Origin};
use crate::text::TextRange;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a `NEON_POSTGRESQL_…` value whose host is not a Neon endpoint (`ep-<name>.<region>.neon.tech`,
optionally `-pooler`), and an `AZURE_POSTGRESQL_…` value whose host is not
`<server>.postgres.database.azure.com`.

### Why is this bad?
The variable name promises one service and the value points at another: a copied Azure host in a
Neon variable (Neon's own Ruby sample does this), a local database left in a file that ships, or
a Neon host without its endpoint id.

A local host (`localhost`, `127.0.0.1`, `::1`, or a service of the project's docker compose
file) gets a hint instead: a development setting, fine as long as App Service sets the real one.

### Example
```dotenv
NEON_POSTGRESQL_HOST=myserver.postgres.database.azure.com
```

### Use instead
```dotenv
NEON_POSTGRESQL_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let local = values::LocalHosts::of(context);
    for value in values::connection_string_values(context) {
        let Origin::Env(entry) = &value.origin else {
            continue;
        };
        let Some(parsed) = catalogue::parse_name(&entry.key) else {
            continue;
        };
        let Some(Ok((_, params))) = values::parse(value.value) else {
            continue;
        };
        for (host, _) in &params.hosts {
            if let Some(problem) = host_problem(parsed.target, host) {
                out.push(diagnostic(
                    &local,
                    value.file.path,
                    find_in(value.file.text, value.range, host),
                    &entry.key,
                    host,
                    problem,
                ));
            }
        }
    }
    for (_, file, env) in context.env_files() {
        for entry in &env.entries {
            let Some(parsed) = catalogue::parse_name(&entry.key) else {
                continue;
            };
            if parsed.field != Field::Host
                || values::is_placeholder(&entry.value)
                || !entry.interpolated.is_empty()
            {
                continue;
            }
            let host = entry.value.trim();
            if let Some(problem) = host_problem(parsed.target, host) {
                out.push(diagnostic(
                    &local,
                    file.path,
                    entry.inner_range,
                    &entry.key,
                    host,
                    problem,
                ));
            }
        }
    }
}

/// What is wrong with `host` for `target`, if anything.
/// A local host (loopback, a compose service) is a development setting, not a wrong
/// endpoint: a hint that says so, instead of a warning.
fn diagnostic(
    local: &values::LocalHosts,
    path: &str,
    range: TextRange,
    key: &str,
    host: &str,
    problem: String,
) -> Diagnostic {
    if local.is_local(host) {
        let mut diagnostic = Diagnostic::new(
            Rule::InvalidNeonHost,
            path,
            range,
            format!(
                "{key}: host \"{host}\" is a local database (this machine or a docker compose service), fine for development; the value App Service sets points at the real server"
            ),
        );
        diagnostic.severity = Severity::Hint;
        return diagnostic;
    }
    Diagnostic::new(
        Rule::InvalidNeonHost,
        path,
        range,
        format!("{key}: host {problem}"),
    )
}

pub(crate) fn host_problem(target: Target, host: &str) -> Option<String> {
    let lower = host.to_ascii_lowercase();
    if values::is_placeholder(host) {
        return None;
    }
    match target {
        Target::Neon => {
            if !lower.ends_with(".neon.tech") {
                Some(format!(
                    "\"{host}\" is not a Neon endpoint: Neon hosts look like ep-<name>-<id>.<region>.neon.tech (see the Connect dialog in the Neon Console)"
                ))
            } else if !lower.starts_with("ep-") {
                Some(format!(
                    "\"{host}\" has no endpoint id: Neon routes on the ep-… name (SNI), so use the endpoint host from the Connect dialog"
                ))
            } else {
                None
            }
        }
        Target::AzurePostgresql => (!lower.ends_with(".postgres.database.azure.com")).then(|| {
            format!("\"{host}\" is not an Azure Database for PostgreSQL server: expected <server>.postgres.database.azure.com")
        }),
    }
}

/// The range of `needle` inside `range` of `text`, or `range` itself.
fn find_in(text: &str, range: TextRange, needle: &str) -> TextRange {
    text.get(range.start..range.end)
        .and_then(|slice| slice.find(needle))
        .map(|at| TextRange::new(range.start + at, range.start + at + needle.len()))
        .unwrap_or(range)
}

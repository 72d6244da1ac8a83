//! `invalid-neon-host`: a host that is not an endpoint of the connection's target.

use crate::analysis::Context;
use crate::catalogue::{self, Field, Target};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix, Severity};
use crate::rules::Rule;
use crate::rules::collect::Collector;
use crate::rules::values::{self, Origin};
use crate::text::TextRange;
use std::borrow::Cow;

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

pub(crate) fn check(context: &Context, out: &mut Collector<'_>) {
    let mut found = Vec::new();
    find(context, &mut found);
    if found.is_empty() {
        return;
    }
    // In file order, as the collector lists them: the first findings of a file are listed,
    // the rest (a generated .env with 146,000 copies of one wrong host) only counted, and
    // their messages and fixes are never built.
    found.sort_by(|a, b| (a.path, a.range.start).cmp(&(b.path, b.range.start)));
    let local = values::LocalHosts::of(context);
    let known = known_hosts(context);
    let texts: std::collections::HashMap<&str, &str> = context
        .files
        .iter()
        .map(|file| (file.path, file.text))
        .collect();
    for finding in found {
        let is_local = local.is_local(&finding.host);
        let severity = if is_local {
            Severity::Hint
        } else {
            Rule::InvalidNeonHost.default_severity()
        };
        out.push_with_severity(
            Rule::InvalidNeonHost,
            finding.path,
            finding.range,
            severity,
            || {
                let mut diagnostic = diagnostic(&finding, is_local);
                if !is_local {
                    let text = texts.get(finding.path).copied().unwrap_or("");
                    if let Some(fix) = fix(&diagnostic, text, &known) {
                        diagnostic.fixes.push(fix);
                    }
                }
                diagnostic
            },
        );
    }
}

/// A host that does not fit its variable's target, before its diagnostic is built.
struct Finding<'a> {
    path: &'a str,
    range: TextRange,
    key: &'a str,
    host: Cow<'a, str>,
    target: Target,
}

fn find<'a>(context: &'a Context, out: &mut Vec<Finding<'a>>) {
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
            if misfit(parsed.target, host).is_some() {
                out.push(Finding {
                    path: value.file.path,
                    range: find_in(value.file.text, value.range, host),
                    key: &entry.key,
                    host: Cow::Owned(host.to_string()),
                    target: parsed.target,
                });
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
            if misfit(parsed.target, host).is_some() {
                out.push(Finding {
                    path: file.path,
                    range: entry.inner_range,
                    key: &entry.key,
                    host: Cow::Borrowed(host),
                    target: parsed.target,
                });
            }
        }
    }
}

fn diagnostic(finding: &Finding<'_>, is_local: bool) -> Diagnostic {
    let Finding {
        path,
        range,
        key,
        ref host,
        target,
    } = *finding;
    if is_local {
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
    let problem = host_problem(target, host).unwrap_or_default();
    Diagnostic::new(
        Rule::InvalidNeonHost,
        path,
        range,
        format!("{key}: host {problem}"),
    )
}

/// How `host` misfits `target`, `None` when it fits (or is a placeholder).
fn misfit(target: Target, host: &str) -> Option<catalogue::HostFit> {
    if values::is_placeholder(host) {
        return None;
    }
    match catalogue::host_fit(target, host) {
        catalogue::HostFit::Fits => None,
        other => Some(other),
    }
}

pub(crate) fn host_problem(target: Target, host: &str) -> Option<String> {
    if values::is_placeholder(host) {
        return None;
    }
    match (target, catalogue::host_fit(target, host)) {
        (_, catalogue::HostFit::Fits) => None,
        (Target::Neon, catalogue::HostFit::NoEndpointId) => Some(format!(
            "\"{host}\" has no endpoint id: Neon routes on the ep-… name (SNI), so use the endpoint host from the Connect dialog"
        )),
        (Target::Neon, _) => Some(format!(
            "\"{host}\" is not a Neon endpoint: Neon hosts look like {} (see the Connect dialog in the Neon Console)",
            target.host_shape()
        )),
        (Target::AzurePostgresql, _) => Some(format!(
            "\"{host}\" is not an Azure Database for PostgreSQL server: expected {}",
            target.host_shape()
        )),
    }
}

/// The range of `needle` inside `range` of `text`, or `range` itself.
fn find_in(text: &str, range: TextRange, needle: &str) -> TextRange {
    text.get(range.start..range.end)
        .and_then(|slice| slice.find(needle))
        .map(|at| TextRange::new(range.start + at, range.start + at + needle.len()))
        .unwrap_or(range)
}

/// The valid hosts the workspace's .env files give each target (from `_HOST` variables and
/// connection strings), to replace a wrong one with; at most two per target.
fn known_hosts(context: &Context) -> Vec<(Target, String)> {
    let mut hosts: Vec<(Target, String)> = Vec::new();
    // Only whether a target has exactly one host matters (`fix`): a second distinct host of a
    // target is kept, later ones are not (a file of 146,000 distinct hosts searched them all
    // per host).
    let mut add = |target: Target, host: &str| {
        let host = host.trim();
        let of_target = hosts.iter().filter(|(t, _)| *t == target).count();
        if of_target < 2
            && !host.is_empty()
            && host_problem(target, host).is_none()
            && !values::is_placeholder(host)
            && !hosts.iter().any(|(t, h)| *t == target && h == host)
        {
            hosts.push((target, host.to_owned()));
        }
    };
    for (_, _, env) in context.env_files() {
        for entry in &env.entries {
            let Some(parsed) = catalogue::parse_name(&entry.key) else {
                continue;
            };
            match parsed.field {
                Field::Host => add(parsed.target, &entry.value),
                Field::ConnectionString => {
                    if let Some(Ok((_, params))) = values::parse(&entry.value) {
                        for (host, _) in &params.hosts {
                            add(parsed.target, host);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    hosts
}

/// The host the connection's other variables give, when exactly one valid host of the target
/// is known (safe: the same connection, written right elsewhere); else the nearest honest edit,
/// a note saying what a host of the target looks like and where to get it — no edit can invent
/// an endpoint id (`fix_tests::no_known_host_gives_a_note`).
fn fix(diagnostic: &Diagnostic, text: &str, known: &[(Target, String)]) -> Option<Fix> {
    let target = if diagnostic.message.starts_with("AZURE") {
        Target::AzurePostgresql
    } else {
        Target::Neon
    };
    let candidates: Vec<&String> = known
        .iter()
        .filter(|(t, _)| *t == target)
        .map(|(_, host)| host)
        .collect();
    if let [host] = candidates.as_slice() {
        return Some(Fix {
            title: format!("Use the host {host} from the connection's other variables"),
            edits: vec![FileEdit::new(
                &diagnostic.path,
                diagnostic.range,
                host.as_str(),
            )],
            applicability: Applicability::Safe,
        });
    }
    let note = match target {
        Target::Neon => format!(
            "a Neon host looks like {}: copy it from the Neon Console's Connect dialog, or run \
             `neon-lsp pull` to write the connection.",
            target.host_shape()
        ),
        Target::AzurePostgresql => format!(
            "an Azure Database for PostgreSQL host looks like {}: copy it from the server's \
             Overview page in the Azure portal.",
            target.host_shape()
        ),
    };
    crate::rules::fixes::note_fix(
        &diagnostic.path,
        text,
        diagnostic.range.start,
        "Note what the host must look like",
        &note,
    )
}

#[cfg(test)]
mod fix_tests {
    use super::*;

    fn finding(message: &str) -> Diagnostic {
        Diagnostic::new(
            Rule::InvalidNeonHost,
            ".env",
            TextRange::new(21, 30),
            message,
        )
    }

    #[test]
    fn a_known_host_replaces_the_wrong_one() {
        let text = "NEON_POSTGRESQL_HOST=localhost\n";
        let known = vec![(
            Target::Neon,
            "ep-cool-1.eu-central-1.aws.neon.tech".to_owned(),
        )];
        let fix = fix(&finding("NEON_POSTGRESQL_HOST: host …"), text, &known).unwrap();
        assert_eq!(fix.applicability, Applicability::Safe);
        assert_eq!(
            fix.edits[0].new_text,
            "ep-cool-1.eu-central-1.aws.neon.tech"
        );
    }

    /// Two candidate hosts, or none: no edit can choose or invent the endpoint, so the fix is a
    /// note and never applied by `--fix`.
    #[test]
    fn no_known_host_gives_a_note() {
        let text = "NEON_POSTGRESQL_HOST=db.example.com\n";
        let two = vec![
            (Target::Neon, "ep-a-1.eu-central-1.aws.neon.tech".to_owned()),
            (Target::Neon, "ep-b-2.eu-central-1.aws.neon.tech".to_owned()),
        ];
        for known in [vec![], two] {
            let fix = fix(&finding("NEON_POSTGRESQL_HOST: host …"), text, &known).unwrap();
            assert_eq!(fix.applicability, Applicability::Unsafe);
            assert_eq!(fix.edits[0].range, TextRange::empty(0));
            assert!(
                fix.edits[0]
                    .new_text
                    .starts_with("# TODO(neon-lsp): a Neon host looks like")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::Context;
    use crate::diagnostic::Diagnostic;
    use crate::rules::testing::{Case, PG_PACKAGE_JSON};

    /// The rule's check through a collector that keeps everything, as `run_all` runs it.
    fn check(context: &Context, out: &mut Vec<Diagnostic>) {
        crate::rules::testing::collected(super::check, context, out);
    }

    /// Past the per-file cap a wrong host is counted, not built: the first ones in the file
    /// are listed with their message and fix, one summary stands for the rest.
    #[test]
    fn past_the_cap_hosts_are_counted_in_file_order() {
        use crate::rules::collect::MAX_PER_RULE_AND_FILE;
        let copies = MAX_PER_RULE_AND_FILE + 500;
        let env = "NEON_POSTGRESQL_HOST=myserver.postgres.database.azure.com\n".repeat(copies);
        let case = Case::new(&[PG_PACKAGE_JSON, DB_JS, (".env", &env)]);
        let found = case.check(check);
        let (listed, summaries): (Vec<_>, Vec<_>) = found.iter().partition(|d| d.omitted == 0);
        assert_eq!(listed.len(), MAX_PER_RULE_AND_FILE);
        assert!(
            listed
                .iter()
                .all(|d| d.message.starts_with("NEON_POSTGRESQL_HOST: host"))
        );
        assert!(listed.iter().all(|d| d.fixes.len() == 1));
        let line = env.len() / copies;
        assert!(
            listed
                .iter()
                .all(|d| d.range.start < MAX_PER_RULE_AND_FILE * line)
        );
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].omitted, 500);
        assert_eq!(summaries[0].range.start / line, MAX_PER_RULE_AND_FILE);
    }

    const DB_JS: (&str, &str) = (
        "db.js",
        "const { Pool } = require(\"pg\");\nmodule.exports = new Pool({\n  host: process.env.NEON_POSTGRESQL_HOST,\n  user: process.env.NEON_POSTGRESQL_USER,\n  password: process.env.NEON_POSTGRESQL_PASSWORD,\n  database: process.env.NEON_POSTGRESQL_DATABASE,\n  ssl: true,\n});\n",
    );

    fn env(host: &str) -> String {
        format!(
            "NEON_POSTGRESQL_HOST={host}\nNEON_POSTGRESQL_USER=neondb_owner\nNEON_POSTGRESQL_PASSWORD=npg_Xyz123example\nNEON_POSTGRESQL_DATABASE=neondb\n"
        )
    }

    #[test]
    fn an_azure_postgresql_host_for_neon_is_reported() {
        let env = env("myserver.postgres.database.azure.com");
        let case = Case::new(&[PG_PACKAGE_JSON, DB_JS, (".env", &env)]);
        assert_eq!(
            case.found(check),
            [".env:1 myserver.postgres.database.azure.com"]
        );
    }

    #[test]
    fn a_neon_pooler_endpoint_is_a_neon_host() {
        let env = env("ep-still-mud-a12aa123-pooler.eastus2.azure.neon.tech");
        let case = Case::new(&[PG_PACKAGE_JSON, DB_JS, (".env", &env)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// A docker compose service (or loopback) is a local database, not a wrong Neon endpoint:
    /// a hint that says so.
    #[test]
    fn a_compose_service_is_a_local_database() {
        let env = env("db");
        let compose = "services:\n  api:\n    build: .\n  db:\n    image: postgres:16\n";
        let case = Case::new(&[
            PG_PACKAGE_JSON,
            DB_JS,
            (".env", &env),
            ("docker-compose.yml", compose),
        ]);
        assert_eq!(case.found(check), [".env:1 db"]);
        let finding = &case.check(check)[0];
        assert_eq!(finding.severity, crate::diagnostic::Severity::Hint);
        assert!(
            finding.message.contains("is a local database"),
            "{}",
            finding.message
        );
    }
}

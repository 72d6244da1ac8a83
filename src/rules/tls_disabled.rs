//! `tls-disabled`: a connection that allows an unencrypted session.

use crate::analysis::{Context, severity_for_target};
use crate::catalogue::{self, Field, Target};
use crate::connstr::{Format, SslMode};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::values::{self, Origin};
use crate::text::TextRange;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags connection settings that let the session run without TLS: `sslmode=disable`, `allow` or
`prefer` — or no `sslmode` at all, since libpq, pgjdbc and Npgsql then default to "prefer" —,
`Ssl Mode=Disable` in an Npgsql string, `ssl=false` in a URL, an `_SSL` variable that is not
`true`, and `ssl: false` in Node.js code. An error for Neon (which refuses unencrypted
connections, so the app fails), a warning for other targets.

A local database — every host loopback (`localhost`, `127.0.0.1`, `::1`) or a service of the
project's docker compose file — is not reported: tests, CI service containers, local profiles
and local `.env.*` files talk to it on this machine's or the compose network.

### Why is this bad?
"prefer" silently falls back to plain text when the TLS handshake fails, sending the password
and all data readable by anyone on the path. Service Connector itself always sets
`sslmode=require`.

### Example
```dotenv
NEON_POSTGRESQL_CONNECTIONSTRING="host=ep-still-mud-a12aa123.eastus2.azure.neon.tech dbname=neondb user=app password=secret"
```

### Use instead
```dotenv
NEON_POSTGRESQL_CONNECTIONSTRING="host=ep-still-mud-a12aa123.eastus2.azure.neon.tech dbname=neondb sslmode=require user=app password=secret"
```
The quick fix sets `sslmode=require` (`Ssl Mode=Require` for Npgsql, `true` for `_SSL`).
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let local = values::LocalHosts::of(context);
    for value in values::connection_string_values(context) {
        let Some(Ok((format, params))) = values::parse(value.value) else {
            continue;
        };
        // A test, CI or compose database on this machine's network: TLS protects nothing there.
        if local.is_local_connection(&params) {
            continue;
        }
        let mode = params.effective_ssl_mode();
        if !matches!(mode, SslMode::Disable | SslMode::Allow | SslMode::Prefer) {
            continue;
        }
        let target = value.connection.map(|c| c.target).or_else(|| {
            params
                .hosts
                .first()
                .and_then(|(host, _)| Target::of_host(host))
        });
        let explicit = params.ssl_mode.is_some();
        let setting = match format {
            Format::Npgsql => "Ssl Mode",
            _ => "sslmode",
        };
        let message = if explicit {
            format!(
                "{setting}={} allows an unencrypted connection{}",
                mode.as_str(),
                neon_note(target)
            )
        } else {
            format!(
                "no {setting} is set, so the driver uses \"prefer\" and may connect without TLS{}",
                neon_note(target)
            )
        };
        let mut diagnostic =
            Diagnostic::new(Rule::TlsDisabled, value.file.path, value.range, message);
        diagnostic.severity = severity_for_target(target);
        if let Some(fix) = require_tls_fix(&value, &params, format, setting) {
            diagnostic = diagnostic.with_fix(fix);
        }
        out.push(diagnostic);
    }
    for (file_id, file, env) in context.env_files() {
        if local.is_local_env(env) {
            continue;
        }
        for entry in &env.entries {
            let Some(parsed) = catalogue::parse_name(&entry.key) else {
                continue;
            };
            if parsed.field != Field::Ssl
                || values::is_placeholder(&entry.value)
                || !entry.interpolated.is_empty()
            {
                continue;
            }
            if entry.value.trim().eq_ignore_ascii_case("true") {
                continue;
            }
            let target = context
                .connection_for_env_key(file_id, &entry.key)
                .map(|c| c.target)
                .or(Some(parsed.target));
            let mut diagnostic = Diagnostic::new(
                Rule::TlsDisabled,
                file.path,
                entry.inner_range,
                format!(
                    "{} is \"{}\": Service Connector sets \"true\", and anything else turns TLS off{}",
                    entry.key,
                    entry.value,
                    if target == Some(Target::Neon) {
                        "; Neon refuses unencrypted connections"
                    } else {
                        ""
                    }
                ),
            );
            diagnostic.severity = severity_for_target(target);
            if !file.lossy {
                diagnostic = diagnostic.with_fix(Fix {
                    title: "Set to true".to_string(),
                    edits: vec![FileEdit::new(file.path, entry.value_range, "true")],
                    applicability: Applicability::Safe,
                });
            }
            out.push(diagnostic);
        }
    }
    for (_, file, _, scan, refs) in context.sources() {
        for property in &scan.ssl_properties {
            if property.value_text.trim() != "false" {
                continue;
            }
            let target = refs
                .iter()
                .find_map(|r| r.connection)
                .map(|id| context.connection(id).target);
            let mut diagnostic = Diagnostic::new(
                Rule::TlsDisabled,
                file.path,
                property.value_range,
                format!("`ssl: false` connects without TLS{}", neon_note(target)),
            );
            diagnostic.severity = severity_for_target(target);
            diagnostic = diagnostic.with_fix(Fix {
                title: "Set ssl: true".to_string(),
                edits: vec![FileEdit::new(file.path, property.value_range, "true")],
                applicability: Applicability::Safe,
            });
            out.push(diagnostic);
        }
    }
}

/// `sslmode=require` written into the value: a .env entry re-rendered and re-quoted; in a
/// literal in code or a properties/YAML value, only the sslmode value replaced or the parameter
/// appended ([`literal_edit`]), so the edit never carries the password. The shown text is masked.
fn require_tls_fix(
    value: &values::ConnectionValue,
    params: &crate::connstr::ConnectionParams,
    format: Format,
    setting: &str,
) -> Option<Fix> {
    if value.file.lossy {
        return None;
    }
    let mut fixed = params.clone();
    fixed.ssl_mode = Some(SslMode::Require);
    let rendered = match value.key_order().filter(|_| format == Format::KeyValue) {
        Some(keys) => fixed.render_key_value_ordered(keys),
        None => fixed.render(format),
    };
    let masked = fixed.masked(format);
    let edit = match &value.origin {
        Origin::Env(entry) => {
            let mut edit = FileEdit::new(
                value.file.path,
                entry.value_range,
                crate::dotenv::render_value(&rendered),
            );
            edit.display_text = Some(crate::dotenv::render_value(&masked));
            edit
        }
        Origin::Literal => literal_edit(value, format)?,
    };
    Some(Fix {
        title: format!(
            "Set {setting}={}",
            if format == Format::Npgsql {
                "Require"
            } else {
                "require"
            }
        ),
        edits: vec![edit],
        applicability: Applicability::Safe,
    })
}

/// The smallest edit that requires TLS in a literal: the written sslmode value replaced, else
/// the parameter appended in the format's own syntax.
fn literal_edit(value: &values::ConnectionValue, format: Format) -> Option<FileEdit> {
    let parsed = crate::connstr::parse_with_fields(value.value).ok()?;
    let (require, field) = match format {
        Format::Npgsql => ("Require", "Ssl Mode=Require"),
        _ => ("require", "sslmode=require"),
    };
    let start = value.range.start;
    if let Some(written) = parsed.field("sslmode") {
        let range = TextRange::new(
            start + written.value_range.start,
            start + written.value_range.end,
        );
        return Some(FileEdit::new(value.file.path, range, require));
    }
    let text = value.value.trim_end();
    let appended = match format {
        Format::Npgsql if text.ends_with(';') => field.to_owned(),
        Format::Npgsql => format!(";{field}"),
        Format::KeyValue => format!(" {field}"),
        _ if text.contains('?') => format!("&{field}"),
        _ => format!("?{field}"),
    };
    Some(FileEdit::new(
        value.file.path,
        TextRange::empty(start + text.len()),
        appended,
    ))
}

fn neon_note(target: Option<Target>) -> &'static str {
    match target {
        Some(Target::Neon) => "; Neon refuses unencrypted connections — use sslmode=require",
        _ => "; use sslmode=require",
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::diagnostic::Severity;
    use crate::rules::testing::{Case, PSYCOPG2_REQUIREMENTS};

    fn app(variable: &str) -> String {
        format!("import os\nimport psycopg2\nconn = psycopg2.connect(os.environ[\"{variable}\"])\n")
    }

    #[test]
    fn sslmode_disable_to_neon_is_an_error() {
        let app = app("NEON_POSTGRESQL_CONNECTIONSTRING");
        let env = "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech sslmode=disable user=neondb_owner password=npg_Xyz123example\"\n";
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, ("app.py", &app), (".env", env)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert!(case.found(check)[0].starts_with(".env:1 "));
    }

    /// verify-full is stricter than Service Connector's require; a local test database
    /// without TLS is not a Neon or Azure connection.
    #[test]
    fn verify_full_and_a_local_test_database_are_fine() {
        let app = app("NEON_POSTGRESQL_CONNECTIONSTRING");
        let env = "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech sslmode=verify-full user=neondb_owner password=npg_Xyz123example\"\n";
        let conftest = "import psycopg2\n\nTEST_DSN = \"postgresql://postgres:postgres@localhost:5432/products_test?sslmode=disable\"\n";
        let case = Case::new(&[
            PSYCOPG2_REQUIREMENTS,
            ("app.py", &app),
            (".env", env),
            ("tests/conftest.py", conftest),
        ]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The target decides the severity: Neon refuses plain connections (an error), Azure
    /// Database for PostgreSQL may only be configured to (a warning).
    #[test]
    fn the_same_setting_to_azure_postgresql_is_a_warning() {
        let app = app("AZURE_POSTGRESQL_CONNECTIONSTRING");
        let env = "AZURE_POSTGRESQL_CONNECTIONSTRING=\"dbname=orders host=myserver.postgres.database.azure.com sslmode=disable user=orders password=Sup3rS3cret-example\"\n";
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, ("app.py", &app), (".env", env)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::Warning);
    }
}

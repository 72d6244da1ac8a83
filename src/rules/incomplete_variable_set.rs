//! `incomplete-variable-set`: code reads part of a client type's variables but not one it needs.

use crate::analysis::{Context, FileData, NameStatus};
use crate::catalogue::Field;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::infer;
use crate::rewrite;
use crate::rules::Rule;
use crate::rules::unknown_variable::suggestion_for;
use crate::rules::values::assumed;
use crate::rules::wrong_client_type_variable::equivalent_variable;
use crate::scan::Scan;
use std::collections::HashMap;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
For each connection, collects the Service Connector variables its code reads (across every file
in the connection's scope) and flags the connection once, at its first reference, when the code
reads some of the client type's variables but never one it needs: Node.js without `_SSL` (TLS
silently off), a service principal without `_TENANTID` or `_CLIENTSECRET`, a user-assigned
identity without `_CLIENTID`. `_PORT` is not required: Service Connector always sets 5432, the
drivers' default.

A member already reported as misspelt (`unknown-variable` suggesting it) is not listed again, and
`_SSL` is not needed when the code turns TLS on itself (`ssl: true`, or `sslmode=require` in the
connection string it builds).

### Why is this bad?
A missing member means a setting Service Connector provides is ignored: the connection goes out
without TLS, authenticates as the wrong identity, or fails to get a token.

### Example
```js
const pool = new Pool({
  host: process.env.NEON_POSTGRESQL_HOST,
  user: process.env.NEON_POSTGRESQL_USER,
  password: process.env.NEON_POSTGRESQL_PASSWORD,
  database: process.env.NEON_POSTGRESQL_DATABASE,
});
```

### Use instead
```js
const pool = new Pool({
  host: process.env.NEON_POSTGRESQL_HOST,
  user: process.env.NEON_POSTGRESQL_USER,
  password: process.env.NEON_POSTGRESQL_PASSWORD,
  database: process.env.NEON_POSTGRESQL_DATABASE,
  ssl: process.env.NEON_POSTGRESQL_SSL === "true",
});
```

### Fixes
Adds the missing reads where the others are read (unsafe: review them): the property in the pg
config object or the key in Django's `DATABASES` entry that holds the other reads, the client id
in `DefaultAzureCredential(…)` / `ManagedIdentityCredential(…)`, and the missing keys to the
nearest .env file in scope with placeholder values to fill in (alone when no read can be
added mechanically).
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    // Where no rewrite applies (a language or shape without one), the nearest honest edit: a
    // note at the line saying what to change by hand (issue 14: every finding carries a fix).
    crate::rules::fixes::add_notes(
        context,
        &mut out[start..],
        "Note the reads to add",
        |diagnostic| {
            format!(
                "add the missing reads by hand next to the others ({})",
                diagnostic.message
            )
        },
    );
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for (id, connection) in context.connections.iter().enumerate() {
        if connection.client_type.is_none() {
            continue;
        }
        let mut first = None;
        let mut first_file = None;
        // A misspelt member read alone still leaves the others unread: the set is incomplete
        // whether or not its rename is applied (and renaming it must not reveal a new finding).
        let mut first_misspelt = None;
        let mut read: Vec<&str> = Vec::new();
        // A wrong-client-type read whose fix is the missing member is one mistake, reported
        // once by wrong-client-type-variable.
        let mut fixed_elsewhere: Vec<String> = Vec::new();
        let mut suggested: std::collections::HashSet<&str> = std::collections::HashSet::new();
        // TLS written into the code (`ssl: true`, `sslmode=require` in a URL it builds):
        // the _SSL variable is not needed at all.
        let mut tls_hard_coded = false;
        for (file_id, file, language, scan, refs) in context.sources() {
            if infer::is_pass_through(language) {
                continue;
            }
            if refs.iter().any(|r| r.connection == Some(id)) && hard_codes_tls(scan) {
                tls_hard_coded = true;
            }
            for reference in refs.iter().filter(|r| r.connection == Some(id)) {
                // A misspelt member (`…_PASSWROD`, `AZURE_POSTGRES_DB`) is reported by
                // unknown-variable with the member as its suggestion: one mistake, one report.
                // Once per name: a name read 250,000 times is one suggestion (issue 16).
                if reference.status == NameStatus::Unknown {
                    if !suggested.insert(reference.name.as_str()) {
                        continue;
                    }
                    if let Some(suggestion) = suggestion_for(context, reference) {
                        if first_misspelt.is_none() && connection.variable(&suggestion).is_some() {
                            first_misspelt = Some((file.path, reference.range, file_id));
                        }
                        fixed_elsewhere.push(suggestion);
                    }
                    continue;
                }
                if reference.status == NameStatus::WrongClientType {
                    if let Some(parsed) = &reference.parsed
                        && let Some(equivalent) = equivalent_variable(connection, parsed.field)
                    {
                        fixed_elsewhere.push(equivalent);
                    }
                    continue;
                }
                if reference.status != NameStatus::Valid {
                    continue;
                }
                if first.is_none() {
                    first = Some((file.path, reference.range));
                    first_file = Some(file_id);
                }
                read.push(&reference.name);
            }
        }
        if first.is_none()
            && let Some((path, range, file_id)) = first_misspelt
        {
            first = Some((path, range));
            first_file = Some(file_id);
        }
        let Some((path, range)) = first else { continue };
        let missing: Vec<&str> = connection
            .env_variables()
            .filter(|v| v.field() != Some(Field::Port))
            .filter(|v| !(tls_hard_coded && v.field() == Some(Field::Ssl)))
            .map(|v| v.name.as_str())
            .filter(|name| !read.contains(name) && !fixed_elsewhere.iter().any(|f| f == name))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let consequence = if missing.iter().any(|m| m.ends_with("_SSL")) {
            " — without it the connection is not encrypted"
        } else if missing.iter().any(|m| {
            m.ends_with("_CLIENTID") || m.ends_with("_TENANTID") || m.ends_with("_CLIENTSECRET")
        }) {
            " — without it the token is requested for the wrong identity"
        } else {
            ""
        };
        let mut diagnostic = Diagnostic::new(
            Rule::IncompleteVariableSet,
            path,
            range,
            format!(
                "the code reads part of this connection's variables but never {} ({}){consequence}",
                missing.join(", "),
                assumed(connection)
            ),
        );
        let missing: Vec<(Field, &str)> = missing
            .iter()
            .filter_map(|name| Some((connection.variable(name)?.field()?, *name)))
            .collect();
        let code = first_file.and_then(|id| code_fix(context, id, connection, &missing));
        let env = env_fix(context, connection, &missing);
        // One fix when both exist: the reads and the keys they read belong together.
        match (code, env) {
            (Some(mut code), Some(env)) => {
                code.title = format!("{} and add the keys to {}", code.title, env.edits[0].path);
                code.edits.extend(env.edits);
                diagnostic = diagnostic.with_fix(code);
            }
            (code, env) => {
                for fix in code.into_iter().chain(env) {
                    diagnostic = diagnostic.with_fix(fix);
                }
            }
        }
        out.push(diagnostic);
    }
}

/// The missing reads added beside this connection's reads in the file that reads it first.
fn code_fix(
    context: &Context,
    file_id: usize,
    connection: &crate::analysis::Connection,
    missing: &[(Field, &str)],
) -> Option<Fix> {
    let file = context.file(file_id);
    let FileData::Source {
        language,
        scan,
        refs,
        ..
    } = &file.data
    else {
        return None;
    };
    let mut source = rewrite::Source::new(file.path, file.text, *language).with_tree(file.tree());
    let site = |r: &crate::analysis::Reference, field| {
        let read = scan.env_refs.get(r.index)?;
        Some(source.site(read.expr_range, read.name_range, field))
    };
    let mut present: Vec<_> = refs
        .iter()
        .filter(|r| r.status == NameStatus::Valid)
        .filter(|r| connection.variable(&r.name).is_some())
        .filter_map(|r| site(r, r.parsed.as_ref()?.field))
        .collect();
    if present.is_empty() {
        // Only a misspelt member is read: the reads go beside it, where its rename will stand.
        // One site (the first), so a file of 250,000 misspelt reads costs one suggestion more.
        let mut suggested: HashMap<(&str, Option<crate::analysis::ConnectionId>), Option<String>> =
            HashMap::new();
        present.extend(
            refs.iter()
                .filter(|r| r.status == NameStatus::Unknown && r.connection.is_some())
                .find_map(|r| {
                    // One suggestion per misspelt name, however often it is read (issue 16).
                    let suggestion = suggested
                        .entry((r.name.as_str(), r.connection))
                        .or_insert_with(|| suggestion_for(context, r));
                    site(r, connection.variable(suggestion.as_deref()?)?.field()?)
                }),
        );
    }
    source.missing_reads(&present, missing)
}

/// The missing keys appended to the nearest .env file in the connection's scope, values as
/// placeholders (never a secret).
fn env_fix(
    context: &Context,
    connection: &crate::analysis::Connection,
    missing: &[(Field, &str)],
) -> Option<Fix> {
    let env_id = *connection.env_files.first()?;
    let file = context.file(env_id);
    let FileData::Env(env) = &file.data else {
        return None;
    };
    let absent: Vec<(Field, &str)> = missing
        .iter()
        .filter(|(_, name)| !env.entries.iter().any(|e| e.key == *name))
        .copied()
        .collect();
    if absent.is_empty() {
        return None;
    }
    let end = file.text.len();
    let edit = FileEdit::new(
        file.path,
        crate::text::TextRange::new(end, end),
        rewrite::env_placeholders(file.text, &absent),
    );
    Some(Fix {
        title: format!(
            "Add {} to {} (placeholder values: fill them in)",
            absent
                .iter()
                .map(|(_, name)| *name)
                .collect::<Vec<_>>()
                .join(", "),
            file.path
        ),
        edits: vec![edit],
        applicability: Applicability::Unsafe,
    })
}

/// The file turns TLS on by itself: `ssl: true` / `ssl: { … }` (not a read of the variable), or
/// a connection-string template it builds requires TLS (`sslmode=require`, `verify-ca`,
/// `verify-full`, `ssl=true`).
fn hard_codes_tls(scan: &Scan) -> bool {
    let property = scan.ssl_properties.iter().any(|property| {
        let value = property.value_text.trim();
        value == "true" || value.starts_with('{')
    });
    // Only a string the code builds (a template over the variables) says how *this*
    // connection is made; a complete literal elsewhere in the file is another connection.
    let literal = scan.string_literals.iter().any(|literal| {
        if !literal.interpolated {
            return false;
        }
        let lower = literal.value.to_ascii_lowercase();
        [
            "sslmode=require",
            "sslmode=verify-ca",
            "sslmode=verify-full",
            "ssl=true",
        ]
        .iter()
        .any(|setting| lower.contains(setting))
    });
    property || literal
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    const PACKAGE_JSON: (&str, &str) = (
        "package.json",
        r#"{"name": "report-worker", "dependencies": {"pg": "^8.12.0"}}"#,
    );

    fn pool(ssl: &str) -> String {
        format!(
            "const {{ Pool }} = require(\"pg\");\nmodule.exports = new Pool({{\n  host: process.env.NEON_POSTGRESQL_HOST,\n  user: process.env.NEON_POSTGRESQL_USER,\n  password: process.env.NEON_POSTGRESQL_PASSWORD,\n  database: process.env.NEON_POSTGRESQL_DATABASE,\n{ssl}}});\n"
        )
    }

    #[test]
    fn node_without_the_ssl_variable_is_reported_once_at_the_first_read() {
        let text = pool("");
        let case = Case::new(&[PACKAGE_JSON, ("db.js", &text)]);
        assert_eq!(case.found(check), ["db.js:3 NEON_POSTGRESQL_HOST"]);
        let message = &case.check(check)[0].message;
        assert!(message.contains("NEON_POSTGRESQL_SSL"), "{message}");
    }

    /// TLS switched on in code needs no _SSL variable.
    #[test]
    fn node_with_tls_on_in_code_is_complete() {
        let text = pool("  ssl: true,\n");
        let case = Case::new(&[PACKAGE_JSON, ("db.js", &text)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The auth type decides the set: a user-assigned identity needs its client id, the
    /// system identity does not.
    #[test]
    fn a_user_identity_needs_the_client_id_the_system_identity_does_not() {
        let app = (
            "db.py",
            "import os\nimport psycopg\n\ndef connect(token):\n    return psycopg.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"], password=token)\n",
        );
        let config = |auth: &str| {
            format!(
                "[[connection]]\ntarget = \"azure-postgresql\"\nclient-type = \"python\"\nauth = \"{auth}\"\n"
            )
        };
        let user = config("user-identity");
        let case = Case::new(&[("neon-lsp.toml", &user), app]);
        assert_eq!(
            case.found(check),
            ["db.py:5 AZURE_POSTGRESQL_CONNECTIONSTRING"]
        );
        assert!(
            case.check(check)[0]
                .message
                .contains("AZURE_POSTGRESQL_CLIENTID")
        );
        let system = config("system-identity");
        let case = Case::new(&[("neon-lsp.toml", &system), app]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

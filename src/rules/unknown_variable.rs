//! `unknown-variable`: a Service Connector-looking name that Service Connector never sets.

use crate::analysis::{Context, File, FileId, NameStatus, Reference};
use crate::catalogue::{self, Target};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::collect::Collector;
use std::collections::HashMap;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a variable name with a Service Connector prefix (`NEON_POSTGRESQL_`, `AZURE_POSTGRESQL_`)
or a near miss of one (`NEON_POSTGRES_`, `NEON_POSTGRESQL_CONNECTION_STRING`, the legacy
mixed-case `Azure_POSTGRESQL_`) that Service Connector never sets, in code and in .env files.

### Why is this bad?
The variable is never injected on Azure: the app boots, reads an unset variable and fails at the
first query — or silently falls back to a default.

### Example
```python
dsn = os.environ["NEON_POSTGRESQL_CONNECTION_STRING"]
```

### Use instead
```python
dsn = os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"]
```
The quick fix replaces the name with the one it means among those Service Connector sets for the
connection: by meaning first (`_DB` → the database field, `_URL`/`_DSN` → the connection string,
`_PASS`/`_PWD` → the password, `_USERNAME` → the client type's user field), by spelling for plain
typos (`_PASSWROD`).
"#;

pub(crate) fn check(context: &Context, out: &mut Collector<'_>) {
    // One suggestion and message per name and connection: a name read 250,000 times must not
    // compute 250,000 edit distances against every candidate. The collector counts the reads
    // past its per-file cap without building their diagnostics at all (`Collector::push_with`).
    let mut worded: HashMap<(&str, Option<usize>), (String, Rename)> = HashMap::new();
    let mut unknown: Vec<(FileId, &File<'_>, &Reference)> = context
        .references()
        .filter(|(_, _, reference)| reference.status == NameStatus::Unknown)
        .collect();
    // Listed in file order: the first reads in a file are the ones shown one by one.
    if !unknown.is_sorted_by_key(|(id, _, reference)| (*id, reference.range.start)) {
        unknown.sort_by_key(|(id, _, reference)| (*id, reference.range.start));
    }
    for (_, file, reference) in unknown {
        out.push_with(Rule::UnknownVariable, file.path, reference.range, || {
            let (message, suggestion) = worded
                .entry((reference.name.as_str(), reference.connection))
                .or_insert_with(|| {
                    let suggestion = rename_for(context, reference);
                    let why = why_unknown(&reference.name, reference.parsed.as_ref());
                    let mut message = format!(
                        "{} is not a variable Service Connector sets{why}",
                        reference.name
                    );
                    if let Some((suggestion, _)) = &suggestion {
                        message.push_str(&format!("; did you mean {suggestion}?"));
                    }
                    (message, suggestion)
                });
            let diagnostic = Diagnostic::new(
                Rule::UnknownVariable,
                file.path,
                reference.range,
                message.clone(),
            );
            with_rename_fix(diagnostic, file.text, "Replace with", suggestion.clone())
        });
    }
    let mut env_worded: HashMap<(FileId, &str), (String, Rename)> = HashMap::new();
    for (file_id, file, env) in context.env_files() {
        for entry in &env.entries {
            if !catalogue::looks_like_service_connector_name(&entry.key) {
                continue;
            }
            // A name `customizedKeys` chose (`AZURE_POSTGRESQL_DBHOST`) is set by the linker.
            if context
                .connections_of_env_file(file_id)
                .any(|(_, c)| c.original_name(&entry.key).is_some())
            {
                continue;
            }
            let parsed = catalogue::parse_name(&entry.key);
            let neon_identity = parsed.as_ref().is_some_and(|p| {
                p.target == Target::Neon
                    && matches!(
                        p.field,
                        catalogue::Field::ClientId
                            | catalogue::Field::ClientSecret
                            | catalogue::Field::TenantId
                    )
            });
            if parsed.is_some() && !neon_identity {
                continue;
            }
            out.push_with(Rule::UnknownVariable, file.path, entry.key_range, || {
                let (message, suggestion) = env_worded
                    .entry((file_id, entry.key.as_str()))
                    .or_insert_with(|| word_env_key(context, file_id, &entry.key, parsed.as_ref()));
                let diagnostic = Diagnostic::new(
                    Rule::UnknownVariable,
                    file.path,
                    entry.key_range,
                    message.clone(),
                );
                with_rename_fix(diagnostic, file.text, "Rename to", suggestion.clone())
            });
        }
    }
}

/// The message and suggestion for a .env key Service Connector never sets.
fn word_env_key(
    context: &Context,
    file_id: FileId,
    key: &str,
    parsed: Option<&catalogue::ParsedName>,
) -> (String, Rename) {
    let target = if key.to_ascii_uppercase().starts_with("AZURE") {
        Target::AzurePostgresql
    } else {
        Target::Neon
    };
    let connection = context
        .connections_of_env_file(file_id)
        .map(|(_, c)| c)
        .find(|c| c.target == target);
    let mut candidates: Vec<String> = connection
        .map(|c| c.env_variables().map(|v| v.name.clone()).collect())
        .unwrap_or_default();
    let narrowed = !candidates.is_empty() && connection.is_some_and(|c| c.client_type.is_some());
    if candidates.is_empty() {
        candidates = catalogue::all_env_names(target, None);
    }
    let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let suggestion =
        catalogue::suggest_rename(key, &names).map(|s| (s.name.to_string(), s.certain && narrowed));
    let mut message = format!(
        "{key} is not a variable Service Connector sets{}",
        why_unknown(key, parsed)
    );
    if let Some((suggestion, _)) = &suggestion {
        message.push_str(&format!("; did you mean {suggestion}?"));
    }
    (message, suggestion)
}

/// The Service Connector name a misspelt or near-miss read means, by meaning first
/// ([`catalogue::suggest`]): `AZURE_POSTGRES_DB` → `AZURE_POSTGRESQL_DATABASE`.
pub(crate) fn suggestion_for(context: &Context, reference: &Reference) -> Option<String> {
    rename_for(context, reference).map(|(name, _)| name)
}

/// [`suggestion_for`] and whether the rename is certain to keep the meaning: one name of this
/// connection's client type means it ([`catalogue::Suggestion::certain`]). Without a known
/// client type the candidates are every name of the target, so no rename is certain.
fn rename_for(context: &Context, reference: &Reference) -> Rename {
    let connection = reference.connection.map(|id| context.connection(id));
    let target = reference
        .parsed
        .as_ref()
        .map(|p| p.target)
        .or(connection.map(|c| c.target))
        .unwrap_or(Target::Neon);
    let mut candidates: Vec<String> = connection
        .map(|c| c.env_variables().map(|v| v.name.clone()).collect())
        .unwrap_or_default();
    let narrowed = !candidates.is_empty() && connection.is_some_and(|c| c.client_type.is_some());
    if candidates.is_empty() {
        candidates = catalogue::all_env_names(target, connection.and_then(|c| c.name.as_deref()));
    }
    let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
    catalogue::suggest_rename(&reference.name, &names)
        .map(|s| (s.name.to_string(), s.certain && narrowed))
}

/// The rename fix (safe only when certain), else the nearest honest edit: a note where the name
/// is read or defined saying that Service Connector sets no such variable. No rename is
/// possible then — a URL for a client type that gets components is a set of variables, not
/// one name (`catalogue::tests::renames_are_certain_only_when_they_keep_the_meaning`).
fn with_rename_fix(
    diagnostic: Diagnostic,
    text: &str,
    verb: &str,
    suggestion: Rename,
) -> Diagnostic {
    match suggestion {
        Some((name, certain)) => {
            let fix = Fix {
                title: format!("{verb} {name}"),
                edits: vec![FileEdit::new(&diagnostic.path, diagnostic.range, &name)],
                applicability: if certain {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
            };
            diagnostic.with_fix(fix)
        }
        None => {
            let note = crate::rules::fixes::note_fix(
                &diagnostic.path,
                text,
                diagnostic.range.start,
                "Mark the read of a variable Service Connector never sets",
                "Service Connector never sets the variable on the next line and no single \
                 variable it sets means the same; read the ones it sets for this client type \
                 (`neon-lsp snippet` prints them).",
            );
            match note {
                Some(fix) => diagnostic.with_fix(fix),
                None => diagnostic,
            }
        }
    }
}

/// A suggested name and whether renaming to it is certain to keep the meaning.
type Rename = Option<(String, bool)>;

fn why_unknown(name: &str, parsed: Option<&catalogue::ParsedName>) -> String {
    if let Some(parsed) = parsed {
        if let Some(connection) = &parsed.connection {
            return format!(
                " (neon-lsp.toml declares no {} connection named \"{}\")",
                parsed.target,
                connection.to_ascii_lowercase()
            );
        }
        if parsed.target == Target::Neon {
            return " (Neon connections use secret auth only: no client id, secret or tenant)"
                .to_string();
        }
    }
    if name.starts_with("Azure_") {
        return " (the mixed-case Azure_ prefix is from the 2022 Single Server docs; Service Connector now uses AZURE_POSTGRESQL_)".to_string();
    }
    String::new()
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

    #[test]
    fn a_near_miss_of_a_service_connector_name_is_unknown_and_corrected() {
        let case = Case::new(&[
            PG_PACKAGE_JSON,
            ("index.js", "const host = process.env.NEON_POSTGRES_HOST;\n"),
        ]);
        assert_eq!(case.found(check), ["index.js:1 NEON_POSTGRES_HOST"]);
        let finding = &case.check(check)[0];
        assert!(
            finding
                .message
                .contains("did you mean NEON_POSTGRESQL_HOST?"),
            "{}",
            finding.message
        );
        assert_eq!(finding.fixes[0].edits[0].new_text, "NEON_POSTGRESQL_HOST");
    }

    #[test]
    fn neon_api_variables_real_names_and_comments_are_not_judged() {
        let case = Case::new(&[
            PG_PACKAGE_JSON,
            (
                "index.js",
                "const key = process.env.NEON_API_KEY;\nconst project = process.env.NEON_PROJECT_ID;\nconst url = process.env.DATABASE_URL;\nconst host = process.env.NEON_POSTGRESQL_HOST;\n// older deployments read process.env.NEON_POSTGRES_HOST\n",
            ),
        ]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Whether a name exists depends on its target: Neon has no Entra identities, so an
    /// identity variable under Neon's prefix is never set; Azure Database for PostgreSQL's is.
    #[test]
    fn identity_variables_are_unknown_for_neon_only() {
        let case = Case::new(&[
            PG_PACKAGE_JSON,
            (
                ".env",
                "NEON_POSTGRESQL_CLIENTID=6e3c4f9a-0b2d-4e8f-a1c7-5d9b8e2f4a10\nAZURE_POSTGRESQL_CLIENTID=6e3c4f9a-0b2d-4e8f-a1c7-5d9b8e2f4a10\n",
            ),
        ]);
        assert_eq!(case.found(check), [".env:1 NEON_POSTGRESQL_CLIENTID"]);
    }
}

//! `undefined-in-env-file`: code reads a variable no .env file in scope defines.

use crate::analysis::{Context, FileData, NameStatus};
use crate::catalogue::Target;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix, Related};
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a Service Connector variable read by code when the connection has .env files in scope
(by default `.env`, `.env.local`, `.env.development`, `.env.*.local` in the code's folder or
above) and none of them defines it. Projects without any .env file are not checked.

### Why is this bad?
Local runs read the .env file in place of Service Connector: a missing key fails locally, or
worse, the code has a fallback that hides the difference until production.

### Example
```dotenv
# .env
NEON_POSTGRESQL_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech
```
```js
const user = process.env.NEON_POSTGRESQL_USER; // not in .env
```

### Use instead
Add every variable the code reads to the .env file. The quick fix appends it with a placeholder
value in the format Service Connector uses.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, reference) in context.references() {
        if reference.status != NameStatus::Valid || reference.parsed.is_none() {
            continue;
        }
        let Some(connection) = reference.connection.map(|id| context.connection(id)) else {
            continue;
        };
        // A name Service Connector would not set for this connection (Spring properties,
        // unknown client type) has nothing to compare with.
        if connection.client_type.is_none() || connection.env_files.is_empty() {
            continue;
        }
        let defined = connection
            .env_files
            .iter()
            .any(|id| match &context.file(*id).data {
                FileData::Env(env) => env.get(&reference.name).is_some(),
                _ => false,
            });
        if defined {
            continue;
        }
        let nearest = context.file(connection.env_files[0]);
        let names: Vec<&str> = connection
            .env_files
            .iter()
            .map(|id| context.file(*id).path)
            .collect();
        let placeholder = connection
            .variable(&reference.name)
            .map(|v| placeholder_value(v.entry.example, connection.target))
            .unwrap_or_default();
        let (range, text) =
            crate::dotenv::append_entry_edit(nearest.text, &reference.name, &placeholder);
        out.push(
            Diagnostic::new(
                Rule::UndefinedInEnvFile,
                file.path,
                reference.range,
                format!(
                    "{} is read here but defined in none of {}",
                    reference.name,
                    list_files(&names)
                ),
            )
            .with_fix(Fix {
                title: format!("Add {} to {}", reference.name, nearest.path),
                edits: vec![FileEdit::new(nearest.path, range, text)],
                applicability: Applicability::Unsafe,
            })
            .with_related(Related {
                path: nearest.path.to_string(),
                range: crate::text::TextRange::empty(0),
                message: format!("{} is missing here", reference.name),
            }),
        );
    }
}

/// The documented example with the target's example host filled in; other placeholders stay in
/// angle brackets so that nobody mistakes them for real values.
pub(crate) fn placeholder_value(example: &str, target: Target) -> String {
    example.replace("<host>", target.example_host())
}

/// "a/.env, .env" — at most three names, then how many more.
fn list_files(names: &[&str]) -> String {
    const SHOWN: usize = 3;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!(
        "{} and {} more .env files",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

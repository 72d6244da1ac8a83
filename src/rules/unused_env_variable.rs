//! `unused-env-variable`: a .env file defines a Service Connector variable no code reads.

use crate::analysis::Context;
use crate::catalogue;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use std::collections::HashSet;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a Service Connector key in a .env file that no code in the file's scope reads.

### Why is this bad?
Usually a sign that the code reads a differently named variable (another client type's set, a
typo), or a leftover that keeps a password on disk for nothing.

### Example
```dotenv
NEON_POSTGRESQL_CONNECTIONSTRING="host=… sslmode=require"   # the Node.js code reads _HOST, _USER, …
```

### Use instead
Remove the key, or read it. The quick fix removes the line.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    // Every (name, connection) the code reads, gathered once rather than per .env entry.
    let read: HashSet<(&str, usize)> = context
        .references()
        .filter_map(|(_, _, r)| Some((r.name.as_str(), r.connection?)))
        .collect();
    for (file_id, file, env) in context.env_files() {
        let connections: Vec<usize> = context
            .connections_of_env_file(file_id)
            .map(|(id, _)| id)
            .collect();
        if connections.is_empty() {
            continue;
        }
        for entry in &env.entries {
            // A name `customizedKeys` gave a Service Connector variable (`DB_HOST`) is one too.
            let renamed_from = connections
                .iter()
                .find_map(|c| context.connection(*c).original_name(&entry.key));
            if catalogue::parse_name(&entry.key).is_none() && renamed_from.is_none() {
                continue;
            }
            if connections
                .iter()
                .any(|c| read.contains(&(entry.key.as_str(), *c)))
            {
                continue;
            }
            // Service Connector's own name, renamed away: say what the app reads instead.
            let renamed_to = connections.iter().find_map(|c| {
                let connection = context.connection(*c);
                let to = connection.renamed_to(&entry.key)?;
                Some(format!(
                    " ({} renames it to {to})",
                    connection.renames_source()?
                ))
            });
            out.push(
                Diagnostic::new(
                    Rule::UnusedEnvVariable,
                    file.path,
                    entry.key_range,
                    format!(
                        "{} is defined here but no code in scope reads it{}",
                        entry.key,
                        renamed_to.unwrap_or_default()
                    ),
                )
                .with_fix(Fix {
                    title: format!("Remove {}", entry.key),
                    edits: vec![FileEdit::new(file.path, entry.full_line_range, "")],
                    applicability: Applicability::Unsafe,
                }),
            );
        }
    }
}

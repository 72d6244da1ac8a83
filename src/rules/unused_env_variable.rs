//! `unused-env-variable`: a .env file defines a Service Connector variable no code reads.

use crate::analysis::Context;
use crate::catalogue;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::collect::Collector;
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

pub(crate) fn check(context: &Context, out: &mut Collector<'_>) {
    // A .env file of 146,000 duplicate keys is 146,000 findings: each is filtered and counted
    // before its message and fix are built (`Collector::push_with`), so past the per-file cap
    // a finding costs a counter.
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
            out.push_with(Rule::UnusedEnvVariable, file.path, entry.key_range, || {
                // Service Connector's own name, renamed away: say what the app reads instead.
                let renamed_to = connections.iter().find_map(|c| {
                    let connection = context.connection(*c);
                    let to = connection.renamed_to(&entry.key)?;
                    Some(format!(
                        " ({} renames it to {to})",
                        connection.renames_source()?
                    ))
                });
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
                })
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::Context;
    use crate::diagnostic::Diagnostic;

    /// The rule's check through a collector that keeps everything, as `run_all` runs it.
    fn check(context: &Context, out: &mut Vec<Diagnostic>) {
        crate::rules::testing::collected(super::check, context, out);
    }
    use crate::diagnostic::Applicability;
    use crate::rules::testing::Case;

    const GO_MOD: (&str, &str) = (
        "go.mod",
        "module github.com/contoso/orders\n\ngo 1.22\n\nrequire github.com/jackc/pgx/v5 v5.6.0\n",
    );
    const MAIN_GO: (&str, &str) = (
        "main.go",
        "package main\n\nimport (\n\t\"context\"\n\t\"os\"\n\n\t\"github.com/jackc/pgx/v5\"\n)\n\nfunc main() {\n\tconn, _ := pgx.Connect(context.Background(), os.Getenv(\"NEON_POSTGRESQL_CONNECTIONSTRING\"))\n\tdefer conn.Close(context.Background())\n}\n",
    );
    const CONNECTION_STRING: &str = "NEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-still-mud-a12aa123.eastus2.azure.neon.tech dbname=orders sslmode=require user=orders_owner password=npg_Xyz123example\"\n";

    #[test]
    fn a_service_connector_key_no_code_reads_is_a_hint_with_an_unsafe_removal() {
        let env = format!("{CONNECTION_STRING}NEON_POSTGRESQL_PASSWORD=npg_Xyz123example\n");
        let case = Case::new(&[GO_MOD, MAIN_GO, (".env", &env)]);
        assert_eq!(case.found(check), [".env:2 NEON_POSTGRESQL_PASSWORD"]);
        let fix = &case.check(check)[0].fixes[0];
        assert_eq!(fix.applicability, Applicability::Unsafe);
        assert_eq!(fix.edits[0].new_text, "");
    }

    #[test]
    fn keys_that_are_not_service_connector_variables_are_not_judged() {
        let env = format!(
            "{CONNECTION_STRING}PORT=8080\nLOG_LEVEL=debug\nNEON_API_KEY=napi_exampleexampleexample\n"
        );
        let case = Case::new(&[GO_MOD, MAIN_GO, (".env", &env)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// A root .env file serves the code in every folder below it: a read in a subfolder
    /// uses the key.
    #[test]
    fn a_read_in_a_subfolder_uses_the_root_env_file() {
        let env = format!("{CONNECTION_STRING}NEON_POSTGRESQL_PASSWORD=npg_Xyz123example\n");
        let case = Case::new(&[GO_MOD, ("cmd/server/main.go", MAIN_GO.1), (".env", &env)]);
        assert_eq!(case.found(check), [".env:2 NEON_POSTGRESQL_PASSWORD"]);
    }
}

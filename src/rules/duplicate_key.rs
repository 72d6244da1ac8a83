//! `duplicate-key`: a key defined twice in one .env file.

use crate::analysis::Context;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix, Related};
use crate::rules::Rule;
use crate::rules::collect::MAX_PER_RULE_AND_FILE;
use std::collections::HashMap;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags the second and later definitions of a key in one .env file.

### Why is this bad?
Loaders keep one of them — dotenv for Node and Python keep the first or the last depending on the
library and its options, and `override` flags flip it. Two values for one key means nobody knows
which one the app uses.

### Example
```dotenv
NEON_POSTGRESQL_HOST=ep-old-branch-a1b2c3d4.eastus2.azure.neon.tech
NEON_POSTGRESQL_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech
```

### Use instead
Keep one definition. The quick fix removes the earlier one, which keeps what most loaders read.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, env) in context.env_files() {
        // A definition on a line the loader rejects never loads: `env-syntax` reports it, and
        // it overrides nothing (one mistake, one diagnostic).
        let rejected = super::env_syntax::rejected_lines(context, file, env);
        let mut first: HashMap<&str, usize> = HashMap::new();
        // Past the per-file cap only a count is kept (`collect`): a generated file with 146k
        // copies of a key must not build 146k messages, fixes and related locations.
        let mut listed = 0;
        let mut past_cap: Option<Diagnostic> = None;
        for (index, entry) in env.entries.iter().enumerate() {
            if rejected.contains(&entry.line) {
                continue;
            }
            let Some(&earlier_index) = first.get(entry.key.as_str()) else {
                first.insert(&entry.key, index);
                continue;
            };
            if listed == MAX_PER_RULE_AND_FILE {
                past_cap
                    .get_or_insert_with(|| {
                        Diagnostic::new(Rule::DuplicateKey, file.path, entry.key_range, "")
                    })
                    .omitted += 1;
                first.insert(&entry.key, index);
                continue;
            }
            listed += 1;
            let earlier = &env.entries[earlier_index];
            let mut diagnostic = Diagnostic::new(
                Rule::DuplicateKey,
                file.path,
                entry.key_range,
                format!(
                    "{} is already defined on line {}; loaders keep only one of the two",
                    entry.key,
                    earlier.line + 1
                ),
            )
            .with_related(Related {
                path: file.path.to_string(),
                range: earlier.key_range,
                message: "first definition".to_string(),
            });
            if !file.lossy {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Remove the earlier definition (line {})", earlier.line + 1),
                    edits: vec![FileEdit::new(file.path, earlier.full_line_range, "")],
                    applicability: Applicability::Safe,
                });
            }
            first.insert(&entry.key, index);
            out.push(diagnostic);
        }
        out.extend(past_cap);
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{Case, PSYCOPG2_APP};

    #[test]
    fn the_later_definition_is_reported() {
        let env = "NEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-still-mud-a12aa123.eastus2.azure.neon.tech user=neondb_owner\"\nDEBUG=1\nNEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-still-mud-a12aa123.eastus2.azure.neon.tech user=dev_user\"\n";
        let case = Case::new(&[PSYCOPG2_APP, (".env", env)]);
        assert_eq!(
            case.found(check),
            [".env:3 NEON_POSTGRESQL_CONNECTIONSTRING"]
        );
    }

    #[test]
    fn a_commented_out_line_and_another_file_are_not_duplicates() {
        let env = "# NEON_POSTGRESQL_CONNECTIONSTRING=\"host=old user=old_user\"\nNEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-still-mud-a12aa123.eastus2.azure.neon.tech user=neondb_owner\"\n";
        let local = "NEON_POSTGRESQL_CONNECTIONSTRING=\"host=ep-still-mud-a12aa123.eastus2.azure.neon.tech user=dev_user\"\n";
        let case = Case::new(&[PSYCOPG2_APP, (".env", env), (".env.local", local)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// `export KEY=` defines the same key as `KEY=`: loaders strip the `export`.
    #[test]
    fn an_exported_key_is_the_same_key() {
        let env = "export DEBUG=1\nDEBUG=0\n";
        let case = Case::new(&[PSYCOPG2_APP, (".env", env)]);
        assert_eq!(case.found(check), [".env:2 DEBUG"]);
    }
}

//! `declared-target-mismatch`: a declared connection targets one database service while the
//! app's code reads the other's variables.

use crate::analysis::Context;
use crate::declared::{AppScope, Kind};
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a declared Service Connector connection whose target is Azure Database for PostgreSQL
(`Microsoft.DBforPostgreSQL/…`, `postgres-flexible`) while the code of the app it serves reads
only `NEON_POSTGRESQL_*` variables — or whose target is Neon (`Neon.Postgres/…`, `neon-postgres`)
while the code reads only `AZURE_POSTGRESQL_*`. The finding sits on the declared target.

### Why is this bad?
The variable prefix comes from the target: a connection to Azure Database for PostgreSQL sets
`AZURE_POSTGRESQL_*`, one to Neon `NEON_POSTGRESQL_*`. None of the variables the code reads is
set in production.

### Example
```sh
az webapp connection create postgres-flexible --client-type nodejs ...
# while db.js reads process.env.NEON_POSTGRESQL_HOST
```

### Use instead
Create the connection to the database the code is written for (`neon-postgres`), or read the
variables of the declared target.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    use std::collections::HashMap;
    // What the code under each declared app folder reads: per target, the first file reading
    // it. One pass over the references, each walking up its folders (linear, not
    // declarations × references).
    let mut reads: HashMap<&str, Vec<(crate::catalogue::Target, &str)>> = HashMap::new();
    for declaration in &context.declarations {
        if let AppScope::Folder(folder) = &declaration.scope {
            reads.entry(folder.as_str()).or_default();
        }
    }
    for (_, file, reference) in context.references() {
        let Some(parsed) = &reference.parsed else {
            continue;
        };
        for folder in crate::declared::ancestors(file.dir) {
            if let Some(seen) = reads.get_mut(folder)
                && !seen.iter().any(|(target, _)| *target == parsed.target)
            {
                seen.push((parsed.target, file.path));
            }
        }
    }
    for declaration in &context.declarations {
        let (Kind::Linker, Some(target), AppScope::Folder(folder)) =
            (&declaration.kind, &declaration.target, &declaration.scope)
        else {
            continue;
        };
        let seen = reads.get(folder.as_str()).map_or(&[][..], Vec::as_slice);
        if seen.iter().any(|(read, _)| *read == target.value) {
            continue;
        }
        let Some((read, path)) = seen.first() else {
            continue;
        };
        out.push(Diagnostic::new(
            Rule::DeclaredTargetMismatch,
            target.at.path.clone(),
            target.at.range,
            format!(
                "this connection targets {}, but the app's code reads only {}* variables ({path}), which a connection to {} never sets",
                target.value.display_name(),
                read.prefix(),
                target.value.display_name()
            ),
        ));
    }
}

/// No edit can settle a contradiction: a note says which two sides disagree (issue 14).
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_contradiction_notes(context, diagnostics);
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    const PACKAGE_JSON: (&str, &str) = (
        "package.json",
        r#"{"name": "catalog", "dependencies": {"pg": "^8.12.0"}}"#,
    );

    fn db(prefix: &str) -> String {
        format!(
            "const {{ Client }} = require(\"pg\");\nconst client = new Client({{\n  host: process.env.{prefix}_HOST,\n  user: process.env.{prefix}_USER,\n  database: process.env.{prefix}_DATABASE,\n}});\n"
        )
    }

    const AZURE_DEPLOY: &str = "#!/bin/sh\nset -eu\naz webapp connection create postgres-flexible --connection pg --source-id \"$APP_ID\" --target-id \"$DB_ID\" --client-type nodejs --system-identity\n";

    #[test]
    fn an_azure_postgresql_linker_for_code_reading_neon_is_reported() {
        let db = db("NEON_POSTGRESQL");
        let case = Case::new(&[PACKAGE_JSON, ("db.js", &db), ("deploy.sh", AZURE_DEPLOY)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("deploy.sh:3 "), "{found:?}");
    }

    #[test]
    fn a_neon_linker_for_code_reading_neon_is_fine() {
        let db = db("NEON_POSTGRESQL");
        let deploy = "#!/bin/sh\nset -eu\naz webapp connection create neon-postgres --connection pg --source-id \"$APP_ID\" --server ep-still-mud-a12aa123.eastus2.azure.neon.tech --database app --secret name=app secret=\"$NEON_PASSWORD\" --client-type nodejs\n";
        let case = Case::new(&[PACKAGE_JSON, ("db.js", &db), ("deploy.sh", deploy)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The variables read decide the target the code expects: the same linker is right for
    /// code reading Azure Database for PostgreSQL's names.
    #[test]
    fn the_same_linker_is_right_for_code_reading_azure_postgresql() {
        let db = db("AZURE_POSTGRESQL");
        let case = Case::new(&[PACKAGE_JSON, ("db.js", &db), ("deploy.sh", AZURE_DEPLOY)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

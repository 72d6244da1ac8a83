//! `missing-in-deployment`: code reads a variable the deployed app does not have
//! (`check --azure`).

use crate::analysis::{Context, NameStatus, Reference, is_within};
use crate::deployed::DeployedApp;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use std::collections::{HashMap, HashSet};

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
With `neon-lsp check --azure`, flags a variable the code reads that the deployed app does not
have: no deployed Service Connector connection of the app sets it (after its customized keys)
and it is not one of the app's settings.

### Why is this bad?
The code and the repository may agree while Azure does not: a connection made in the portal,
changed or renamed by hand, or deleted. The app boots, reads an unset variable, and fails at
the first query.

### Example
```javascript
// The deployed connection neon_pg of app-web renamed NEON_POSTGRESQL_HOST to PGHOST.
const host = process.env.NEON_POSTGRESQL_HOST;
```

### Use instead
Read the variable the deployed connection sets (`PGHOST`), or change the connection
(`az webapp connection update … --customized-keys`), and keep the Bicep/Terraform declaration
in step.

### Fix
One finding per variable and file, at its first read. The fix reads the variable the deployed
app does set for the same meaning: the deployed name of the same field (meaning first, as the
rename suggestions go: `…_DB` finds `…_DATABASE`, never `…_SSL`). It renames every read of the
variable in the file; when the deployed name is another connection's, every read of the
connection in the file moves to that connection, field by field, so that the reads stay one
complete set. Unsafe: local .env files and the declaration may still use the old names, and
another connection may be another database. When the app
has nothing of that meaning, the fix is a note: the deployment has to change, not the file.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    let apps = &context.options.deployed;
    if apps.is_empty() {
        return;
    }
    // One finding per (file, variable, app), at the first read; its fix renames every read of
    // the variable in the file.
    let mut seen: HashSet<(&str, &str, &str)> = HashSet::new();
    // Each file's reads, for fixes that rename a whole connection's reads; and those fixes,
    // computed once per (file, connection read, connection deployed, app).
    let mut by_file: HashMap<&str, Vec<&Reference>> = HashMap::new();
    for (_, file, reference) in context.references() {
        by_file.entry(file.path).or_default().push(reference);
    }
    let mut memo: Memo = HashMap::new();
    for (_, file, reference) in context.references() {
        if reference.status != NameStatus::Valid {
            continue; // another rule already says what is wrong with the name
        }
        let Some(deepest) = apps
            .iter()
            .filter(|app| is_within(file.dir, &app.scope))
            .map(|app| app.scope.len())
            .max()
        else {
            continue;
        };
        for app in apps
            .iter()
            .filter(|app| is_within(file.dir, &app.scope) && app.scope.len() == deepest)
        {
            if app.has_variable(&reference.name) != Some(false) {
                continue;
            }
            let key = (file.path, reference.name.as_str(), app.resource.id.as_str());
            if seen.contains(&key) {
                continue; // a later read of the same variable: the first finding's fix covers it
            }
            let deployed = reference
                .connection
                .and_then(|id| context.connection(id).deployed.as_ref())
                .filter(|(_, name)| *name == app.resource.name);
            let detail = match deployed {
                Some((linker, _)) => {
                    let names: Vec<&str> = linker
                        .configurations
                        .iter()
                        .flatten()
                        .map(|c| c.name.as_str())
                        .take(8)
                        .collect();
                    format!(
                        "from the deployed connection {} of {}, which sets {}; it is not an app setting either",
                        linker.name,
                        app.resource.name,
                        if names.is_empty() {
                            "no variable".to_string()
                        } else {
                            names.join(", ")
                        }
                    )
                }
                None => format!(
                    "no deployed connection of {} sets it (linkers: {}) and it is not an app setting",
                    app.resource.name,
                    if app.linkers.is_empty() {
                        "none".to_string()
                    } else {
                        app.linkers
                            .iter()
                            .map(|l| l.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            };
            let mut diagnostic = Diagnostic::new(
                Rule::MissingInDeployment,
                file.path,
                reference.range,
                format!(
                    "the deployed app {} does not have {} ({detail})",
                    app.resource.name, reference.name
                ),
            );
            let reads = by_file.get(file.path).map_or(&[][..], Vec::as_slice);
            if let Some(fix) = rename(app, file.path, reference, reads, &mut memo) {
                diagnostic = diagnostic.with_fix(fix);
            }
            seen.insert(key);
            out.push(diagnostic);
        }
    }
}

/// Connection-wide renames already built: (file, connection read, connection deployed, app).
type Memo = HashMap<(String, Option<String>, Option<String>, String), Option<Vec<FileEdit>>>;

/// The variable of `app` that means what `reference` reads, and the fix that reads it instead:
/// the deployed name of the same target and field (`catalogue::suggest_rename`, meaning before
/// spelling: `_DB` finds `_DATABASE`, never `_SSL`); every read of the variable in the file is
/// renamed. When that name is another connection's (`AZURE_POSTGRESQL_HOST` for a read of
/// `AZURE_POSTGRESQL_REPORTING_HOST`), renaming one read would split the connection's reads in
/// two (`incomplete-variable-set`): the fix renames every read of the connection in the file,
/// and only when the deployed connection sets each one's field. Unsafe either way: local .env
/// files and the declaration may still use the old names. A read of a name the deployed
/// connection's `customizedKeys` renamed is not this rule's finding (`unknown-variable` says so).
/// `None` when the app has nothing of that meaning (the note explains).
fn rename(
    app: &DeployedApp,
    path: &str,
    reference: &Reference,
    reads: &[&Reference],
    memo: &mut Memo,
) -> Option<Fix> {
    let names: Vec<&str> = app
        .linkers
        .iter()
        .flat_map(|l| l.configurations.iter().flatten().map(|c| c.name.as_str()))
        .chain(app.setting_names.iter().flatten().map(String::as_str))
        .collect();
    let read = reference.parsed.as_ref()?;
    let suggestion = crate::catalogue::suggest_rename(&reference.name, &names)?;
    let deployed = crate::catalogue::parse_name(suggestion.name)?;
    // By meaning only: a name one edit away that means another field is not this value.
    if deployed.field != read.field || deployed.target != read.target {
        return None;
    }
    let (edits, why) = if deployed.connection == read.connection {
        let edits = reads
            .iter()
            .filter(|r| r.name == reference.name)
            .map(|r| FileEdit::new(path, r.range, suggestion.name))
            .collect();
        (
            edits,
            format!(
                "the deployed app {} sets it for the same field",
                app.resource.name
            ),
        )
    } else {
        let key = (
            path.to_owned(),
            read.connection.clone(),
            deployed.connection.clone(),
            app.resource.id.clone(),
        );
        let edits = memo
            .entry(key)
            .or_insert_with(|| connection_renames(path, read, &deployed, reads, &names))
            .clone()?;
        let connection = |name: &Option<String>| {
            name.as_deref()
                .map_or("the unnamed connection".to_owned(), |n| {
                    format!("connection {n}")
                })
        };
        (
            edits,
            format!(
                "every read of {} in this file becomes {}'s, which the deployed app {} sets: check it is the database meant",
                connection(&read.connection),
                connection(&deployed.connection),
                app.resource.name
            ),
        )
    };
    if edits.is_empty() {
        return None;
    }
    Some(Fix {
        title: format!(
            "Read {} instead ({why}; unsafe: local .env files and the declaration may still use the old names)",
            suggestion.name
        ),
        edits,
        applicability: Applicability::Unsafe,
    })
}

/// The renames that move every read of `read`'s connection in the file to `deployed`'s
/// connection, field by field; `None` when the deployed names lack one of the fields read.
fn connection_renames(
    path: &str,
    read: &crate::catalogue::ParsedName,
    deployed: &crate::catalogue::ParsedName,
    reads: &[&Reference],
    names: &[&str],
) -> Option<Vec<FileEdit>> {
    let mut edits = Vec::new();
    for other in reads {
        let Some(parsed) = other.parsed.as_ref() else {
            continue;
        };
        if parsed.target != read.target || parsed.connection != read.connection {
            continue;
        }
        let counterpart = names.iter().find(|name| {
            crate::catalogue::parse_name(name).is_some_and(|n| {
                n.target == deployed.target
                    && n.connection == deployed.connection
                    && n.field == parsed.field
            })
        })?;
        edits.push(FileEdit::new(path, other.range, *counterpart));
    }
    Some(edits)
}

/// Where the deployed app has no variable of that meaning, no edit can settle the finding
/// (issue 14: the nearest honest edit plus an explanation): a note at the finding's line says
/// what to change by hand.
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_notes(
        context,
        diagnostics,
        "Note what the deployed app lacks",
        |d| {
            format!(
                "{}; it sets no variable of the same meaning, so the deployed app must change on Azure (the connection, its customized keys or the app settings), not this file.",
                d.message
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{
        AZURE_POSTGRESQL_DATABASE_ID, Case, deployed_app, deployed_linker,
    };

    const REQUIREMENTS: (&str, &str) =
        ("requirements.txt", "Flask==3.0.3\npsycopg[binary]==3.2.1\n");
    const APP: (&str, &str) = (
        "app.py",
        "import os\nimport psycopg\n\ndef connect():\n    return psycopg.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"])\n",
    );

    #[test]
    fn a_read_no_deployed_connection_or_setting_provides_is_reported() {
        let app = deployed_app(
            "app-orders-staging",
            Vec::new(),
            &["SCM_DO_BUILD_DURING_DEPLOYMENT"],
        );
        let case = Case::new(&[REQUIREMENTS, APP]).deployed(vec![app]);
        assert_eq!(
            case.found(check),
            ["app.py:5 AZURE_POSTGRESQL_CONNECTIONSTRING"]
        );
        let message = &case.check(check)[0].message;
        assert!(
            message.contains("the deployed app app-orders-staging does not have"),
            "{message}"
        );
    }

    #[test]
    fn a_variable_the_deployed_linker_sets_is_fine() {
        let linker = deployed_linker(
            "pg_orders",
            "python",
            "secret",
            AZURE_POSTGRESQL_DATABASE_ID,
            &["AZURE_POSTGRESQL_CONNECTIONSTRING"],
        );
        let app = deployed_app("app-orders-staging", vec![linker], &[]);
        let case = Case::new(&[REQUIREMENTS, APP]).deployed(vec![app]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// An app setting of the same name provides it as well (set by hand or by Bicep), and
    /// without `check --azure` nothing is known of the deployment.
    #[test]
    fn an_app_setting_provides_it_and_no_deployment_says_nothing() {
        let app = deployed_app(
            "app-orders-staging",
            Vec::new(),
            &["AZURE_POSTGRESQL_CONNECTIONSTRING"],
        );
        let case = Case::new(&[REQUIREMENTS, APP]).deployed(vec![app]);
        assert_eq!(case.found(check), Vec::<String>::new());
        let case = Case::new(&[REQUIREMENTS, APP]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The fix reads the variable the deployed app sets for the same field — here the
    /// connection deployed under a name — renaming every read in the file; the finding is one
    /// per variable and file.
    #[test]
    fn the_fix_reads_what_the_deployment_sets_for_the_same_field() {
        use crate::diagnostic::Applicability;
        let twice = (
            "app.py",
            "import os\nimport psycopg\n\ndef connect():\n    return psycopg.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"])\n\ndef dsn():\n    return os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\n",
        );
        let linker = deployed_linker(
            "pg_orders",
            "python",
            "secret",
            AZURE_POSTGRESQL_DATABASE_ID,
            &["AZURE_POSTGRESQL_ORDERS_CONNECTIONSTRING"],
        );
        let app = deployed_app("app-orders-staging", vec![linker], &[]);
        let case = Case::new(&[REQUIREMENTS, twice]).deployed(vec![app]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = &found[0].fixes[0];
        assert_eq!(fix.applicability, Applicability::Unsafe);
        assert!(
            fix.title
                .starts_with("Read AZURE_POSTGRESQL_ORDERS_CONNECTIONSTRING instead"),
            "{}",
            fix.title
        );
        assert_eq!(fix.edits.len(), 2, "{:?}", fix.edits);
        let mut text = twice.1.to_owned();
        for edit in fix.edits.iter().rev() {
            text.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        }
        assert_eq!(
            text.matches("os.environ[\"AZURE_POSTGRESQL_ORDERS_CONNECTIONSTRING\"]")
                .count(),
            2,
            "{text}"
        );
    }

    /// Nothing of the same meaning deployed (the SSL flag, here): a name that is one edit
    /// away but means another field is no fix; the note says the deployment must change.
    #[test]
    fn nothing_of_the_same_meaning_gets_a_note() {
        let read_ssl = (
            "db.js",
            "const ssl = process.env.AZURE_POSTGRESQL_SSL === \"true\";\n",
        );
        let package = ("package.json", "{\"dependencies\": {\"pg\": \"^8\"}}\n");
        let linker = deployed_linker(
            "pg_orders",
            "nodejs",
            "secret",
            AZURE_POSTGRESQL_DATABASE_ID,
            &["AZURE_POSTGRESQL_USER", "AZURE_POSTGRESQL_HOST"],
        );
        let app = deployed_app("app-orders-staging", vec![linker], &[]);
        let case = Case::new(&[package, read_ssl]).deployed(vec![app]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = &found[0].fixes[0];
        assert!(
            fix.edits[0].new_text.starts_with("// TODO(neon-lsp): the deployed app app-orders-staging does not have AZURE_POSTGRESQL_SSL"),
            "{:?}",
            fix.edits
        );
        assert!(
            fix.edits[0]
                .new_text
                .contains("sets no variable of the same meaning")
        );
    }
}

//! `missing-in-deployment`: code reads a variable the deployed app does not have
//! (`check --azure`).

use crate::analysis::{Context, NameStatus, is_within};
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

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
            out.push(Diagnostic::new(
                Rule::MissingInDeployment,
                file.path,
                reference.range,
                format!(
                    "the deployed app {} does not have {} ({detail})",
                    app.resource.name, reference.name
                ),
            ));
        }
    }
}

/// No edit can settle these findings (issue 14: the nearest honest edit plus an explanation):
/// a note at the finding's line says what to change by hand.
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_notes(
        context,
        diagnostics,
        "Note what the deployed app lacks",
        |d| {
            format!(
                "{}; the deployed app is changed on Azure (the connection or its app settings), not in this file.",
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
}

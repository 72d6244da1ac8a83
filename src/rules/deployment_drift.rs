//! `deployment-drift`: the Bicep/ARM/Terraform/az CLI declaration of a connection and the
//! connection Azure has deployed disagree on the client type or the auth type
//! (`check --azure`).

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
With `neon-lsp check --azure`, flags a declared client type or auth type (Bicep, ARM template,
Terraform, `az … connection create`) that differs from the deployed connection's.

### Why is this bad?
The next deployment puts the declared value back and the variables the app gets change under
it; or the declaration is stale and misleads everyone who reads it. Either way, the code can
only be right for one of them.

### Example
```bicep
clientType: 'nodejs'   // the deployed connection neon_pg of app-web has python
```

### Use instead
Decide which one is right: redeploy the declaration, or update it to what is deployed.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for connection in &context.connections {
        let (Some((linker, app)), Some(declaration)) =
            (&connection.deployed, &connection.declaration)
        else {
            continue;
        };
        if let (Some(declared), Some(deployed)) = (&declaration.client_type, linker.client_type)
            && declared.value != deployed
        {
            out.push(Diagnostic::new(
                Rule::DeploymentDrift,
                declared.at.path.clone(),
                declared.at.range,
                format!(
                    "{} declares client type {}, but the deployed connection {} of {app} has {deployed} (from the deployed connection {} of {app}); the next deployment changes the variables the app gets",
                    declaration.source.name(),
                    declared.value,
                    linker.name,
                    linker.name,
                ),
            ));
        }
        if let (Some(declared), Some(deployed)) = (&declaration.auth, linker.auth)
            && declared.value != deployed
        {
            out.push(Diagnostic::new(
                Rule::DeploymentDrift,
                declared.at.path.clone(),
                declared.at.range,
                format!(
                    "{} declares auth {}, but the deployed connection {} of {app} has {deployed} (from the deployed connection {} of {app})",
                    declaration.source.name(),
                    declared.value,
                    linker.name,
                    linker.name,
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
        "Note the drift from the deployed connection",
        |d| {
            format!(
                "{}; change the declaration or redeploy so they agree.",
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

    const PACKAGE_JSON: (&str, &str) = (
        "package.json",
        r#"{"name": "orders-api", "dependencies": {"pg": "^8.12.0", "@azure/identity": "^4.4.1"}}"#,
    );
    const DB_JS: (&str, &str) = (
        "src/db.js",
        "const { Pool } = require(\"pg\");\nconst pool = new Pool({\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USER,\n  database: process.env.AZURE_POSTGRESQL_DATABASE,\n  ssl: true,\n});\n",
    );
    const VARIABLES: &[&str] = &[
        "AZURE_POSTGRESQL_HOST",
        "AZURE_POSTGRESQL_USER",
        "AZURE_POSTGRESQL_DATABASE",
        "AZURE_POSTGRESQL_PORT",
        "AZURE_POSTGRESQL_SSL",
    ];

    fn bicep(auth: &str) -> String {
        format!(
            "resource web 'Microsoft.Web/sites@2022-09-01' = {{\n  name: 'app-orders-api'\n  location: 'eastus2'\n}}\n\nresource ordersDb 'Microsoft.ServiceLinker/linkers@2022-05-01' = {{\n  name: 'pg_orders'\n  scope: web\n  properties: {{\n    clientType: 'nodejs'\n    authInfo: {{\n      authType: '{auth}'\n    }}\n    targetService: {{\n      type: 'AzureResource'\n      id: '{AZURE_POSTGRESQL_DATABASE_ID}'\n    }}\n  }}\n}}\n"
        )
    }

    fn case(declared_auth: &str, deployed: bool) -> Case {
        let bicep = bicep(declared_auth);
        let case = Case::new(&[PACKAGE_JSON, DB_JS, ("infra/main.bicep", &bicep)]);
        if !deployed {
            return case;
        }
        let linker = deployed_linker(
            "pg_orders",
            "nodejs",
            "systemAssignedIdentity",
            AZURE_POSTGRESQL_DATABASE_ID,
            VARIABLES,
        );
        case.deployed(vec![deployed_app("app-orders-api", vec![linker], &[])])
    }

    #[test]
    fn a_declared_secret_against_a_deployed_identity_is_reported_at_the_declaration() {
        let case = case("secret", true);
        assert_eq!(case.found(check), ["infra/main.bicep:12 secret"]);
        let message = &case.check(check)[0].message;
        assert!(
            message.contains("deployed connection pg_orders of app-orders-api"),
            "{message}"
        );
    }

    #[test]
    fn a_declaration_that_matches_the_deployment_is_fine() {
        let case = case("systemAssignedIdentity", true);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Without `check --azure` nothing is known of the deployment: no drift to report.
    #[test]
    fn nothing_is_reported_without_the_deployed_configuration() {
        let case = case("secret", false);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

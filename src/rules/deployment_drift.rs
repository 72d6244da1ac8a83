//! `deployment-drift`: the Bicep/ARM/Terraform/az CLI declaration of a connection and the
//! connection Azure has deployed disagree on the client type or the auth type
//! (`check --azure`).

use crate::analysis::Context;
use crate::declared::{Located, Source};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
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

### Fix
Where the declaration writes the value as a literal (not a parameter), the fix writes the
deployed value in its place, in Azure's spelling (`clientType: 'python'`,
`type = "systemAssignedIdentity"`, `--client-type python`). It is unsafe, never applied by
`check --fix` alone: the deployment may be the stale side, and adopting it is a decision. Left
as it is, the next deployment of the declaration changes the connection back. An auth type in
an `az … connection create` command is a flag with its own arguments (`--secret name=… secret=…`),
and a value behind a parameter is set elsewhere: for those the fix is a note saying what to
change.
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
            let fix = adopt(
                declared,
                "client type",
                declared.value.cli_id(),
                linker
                    .client_type_raw
                    .as_deref()
                    .unwrap_or(deployed.cli_id()),
            );
            push(
                out,
                Diagnostic::new(
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
                ),
                fix,
            );
        }
        if let (Some(declared), Some(deployed)) = (&declaration.auth, linker.auth)
            && declared.value != deployed
        {
            // az CLI spells the auth type as a flag with arguments of its own
            // (`--secret name=… secret=…`): swapping the flag alone would leave them behind.
            let fix = linker
                .auth_raw
                .as_deref()
                .filter(|_| declaration.source != Source::AzCli)
                .and_then(|raw| {
                    adopt(
                        declared,
                        "auth type",
                        &declared.value.to_string(),
                        raw,
                    )
                })
                .map(|mut fix| {
                    fix.title.push_str(
                        "; check the authInfo fields that go with it (a secret's name and secretInfo, an identity's clientId)",
                    );
                    fix
                });
            push(
                out,
                Diagnostic::new(
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
                ),
                fix,
            );
        }
    }
}

fn push(out: &mut Vec<Diagnostic>, diagnostic: Diagnostic, fix: Option<Fix>) {
    out.push(match fix {
        Some(fix) => diagnostic.with_fix(fix),
        None => diagnostic,
    });
}

/// The fix that writes the deployed value (`raw`, Azure's spelling) over a declared literal, in
/// the declaration's quoting (`at.range` is a string's content). `None` when the value is not a
/// literal there (a parameter, a variable): it is set elsewhere, maybe for other apps too.
fn adopt<T>(declared: &Located<T>, what: &str, declared_text: &str, raw: &str) -> Option<Fix> {
    if !declared.literal || raw.is_empty() || raw.contains(['\'', '"', '\n', '\\']) {
        return None;
    }
    Some(Fix {
        title: format!(
            "Declare {what} {raw}, as deployed (unsafe: left as it is, the next deployment puts {declared_text} back; the deployment may be the stale side)"
        ),
        edits: vec![FileEdit::new(
            declared.at.path.clone(),
            declared.at.range,
            raw,
        )],
        applicability: Applicability::Unsafe,
    })
}

/// Where no edit can settle a finding (a value behind a parameter, an az CLI auth flag; issue
/// 14: the nearest honest edit plus an explanation): a note at the finding's line says what to
/// change by hand.
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

    /// The fix writes the deployed auth type over the declared literal, unsafe and saying why;
    /// applied, the declaration matches the deployment and the finding is gone.
    #[test]
    fn the_fix_declares_what_is_deployed() {
        use crate::diagnostic::Applicability;
        let case = case("secret", true);
        let found = case.check(check);
        let fix = &found[0].fixes[0];
        assert_eq!(fix.applicability, Applicability::Unsafe);
        assert!(
            fix.title.starts_with("Declare auth type systemAssignedIdentity, as deployed (unsafe: left as it is, the next deployment puts secret back"),
            "{}",
            fix.title
        );
        assert_eq!(fix.edits.len(), 1);
        let bicep = bicep("secret");
        let edit = &fix.edits[0];
        assert_eq!(edit.path, "infra/main.bicep");
        let mut fixed = bicep.clone();
        fixed.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        assert_eq!(fixed, super::tests::bicep("systemAssignedIdentity"));
    }

    /// A value behind a parameter is set where the parameter is given, maybe for other apps:
    /// no edit here can settle it, so the fix is a note (and it says what to change).
    #[test]
    fn a_parameter_gets_a_note_not_an_edit() {
        let bicep = bicep("secret").replace(
            "resource web",
            "param authType string = 'secret'\n\nresource web",
        );
        let bicep = bicep.replace("authType: 'secret'", "authType: authType");
        let linker = deployed_linker(
            "pg_orders",
            "nodejs",
            "systemAssignedIdentity",
            AZURE_POSTGRESQL_DATABASE_ID,
            VARIABLES,
        );
        let case = Case::new(&[PACKAGE_JSON, DB_JS, ("infra/main.bicep", &bicep)])
            .deployed(vec![deployed_app("app-orders-api", vec![linker], &[])]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = &found[0].fixes[0];
        assert!(
            fix.edits[0]
                .new_text
                .starts_with("// TODO(neon-lsp): Bicep declares auth secret"),
            "{:?}",
            fix.edits
        );
    }

    /// An az CLI command declares the auth type as a flag with arguments of its own (`--secret
    /// name=… secret=…`): swapping the flag alone would leave them behind, so the finding is
    /// at the flag and its fix is a note, never an edit of the command. The client type, a
    /// plain `--client-type` value, has an edit.
    #[test]
    fn an_az_cli_auth_flag_gets_a_note_not_an_edit() {
        let script = "#!/usr/bin/env bash\naz webapp connection create postgres-flexible \\\n  --connection pg_orders \\\n  --resource-group rg-orders --name app-orders-api \\\n  --target-resource-group rg-orders --server psql-orders --database orders \\\n  --client-type python \\\n  --secret name=orders_app secret=\"$PG_PASSWORD\"\n";
        let linker = deployed_linker(
            "pg_orders",
            "nodejs",
            "systemAssignedIdentity",
            AZURE_POSTGRESQL_DATABASE_ID,
            VARIABLES,
        );
        let case = Case::new(&[PACKAGE_JSON, DB_JS, ("scripts/deploy.sh", script)])
            .deployed(vec![deployed_app("app-orders-api", vec![linker], &[])]);
        let found = case.check(check);
        assert_eq!(found.len(), 2, "{found:?}");
        let client = found
            .iter()
            .find(|d| d.message.contains("declares client type python"))
            .unwrap_or_else(|| panic!("{found:?}"));
        assert!(
            client
                .message
                .starts_with("az CLI declares client type python, but the deployed connection pg_orders of app-orders-api has nodejs"),
            "{}",
            client.message
        );
        assert_eq!(client.fixes[0].edits[0].new_text, "nodejs");
        let auth = found
            .iter()
            .find(|d| d.message.contains("declares auth"))
            .unwrap_or_else(|| panic!("{found:?}"));
        assert!(
            auth.message
                .contains("from the deployed connection pg_orders of app-orders-api"),
            "{}",
            auth.message
        );
        let edits = &auth.fixes[0].edits;
        assert_eq!(edits.len(), 1, "{edits:?}");
        assert!(
            edits[0]
                .new_text
                .contains("TODO(neon-lsp): az CLI declares auth secret"),
            "{edits:?}"
        );
        // Inserted above the command's first line, so the comment ends no continued line.
        let at = script.find("az webapp").unwrap();
        assert_eq!(
            (edits[0].range.start, edits[0].range.end),
            (at, at),
            "{edits:?}"
        );
    }

    /// An ARM template reaches the rule through the same declaration: a literal auth type gets
    /// the deployed value written inside its JSON string; a client type behind a parameter is
    /// reported at the parameter's default, where it is set.
    #[test]
    fn an_arm_template_drifts_like_bicep() {
        let template = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {
    "clientType": { "type": "string", "defaultValue": "python" }
  },
  "resources": [
    {
      "type": "Microsoft.Web/sites",
      "name": "app-orders-api",
      "resources": [
        {
          "type": "Microsoft.ServiceLinker/linkers",
          "name": "pg_orders",
          "properties": {
            "clientType": "[parameters('clientType')]",
            "authInfo": { "authType": "secret" },
            "targetService": { "type": "AzureResource", "id": "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers/databases', 'psql-orders', 'orders')]" }
          }
        }
      ]
    }
  ]
}"#;
        let linker = deployed_linker(
            "pg_orders",
            "nodejs",
            "systemAssignedIdentity",
            AZURE_POSTGRESQL_DATABASE_ID,
            VARIABLES,
        );
        let case = Case::new(&[PACKAGE_JSON, DB_JS, ("infra/azuredeploy.json", template)])
            .deployed(vec![deployed_app("app-orders-api", vec![linker], &[])]);
        let found = case.check(check);
        assert_eq!(found.len(), 2, "{found:?}");
        let auth = found
            .iter()
            .find(|d| d.message.starts_with("ARM template declares auth secret"))
            .unwrap_or_else(|| panic!("{found:?}"));
        let edit = &auth.fixes[0].edits[0];
        let mut fixed = template.to_owned();
        fixed.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        assert!(
            fixed.contains(r#""authInfo": { "authType": "systemAssignedIdentity" }"#),
            "{fixed}"
        );
        let client = found
            .iter()
            .find(|d| {
                d.message
                    .starts_with("ARM template declares client type python")
            })
            .unwrap_or_else(|| panic!("{found:?}"));
        assert_eq!(
            &template[client.range.start..client.range.end],
            "python",
            "at the parameter's default"
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

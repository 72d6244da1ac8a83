//! `declared-auth-mismatch`: the auth type the infrastructure declares contradicts the code.

use crate::analysis::Context;
use crate::catalogue::{self, AuthType, Field};
use crate::diagnostic::Diagnostic;
use crate::infer::Reason;
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Compares the auth type a Service Connector connection is declared with (`authInfo.authType` in
Bicep or ARM, `authentication { type }` in Terraform, `--secret` / `--system-identity` /
`--user-identity` / `--service-principal` on `az … connection create`) with the code that reads
the connection: a passwordless connection whose code reads `…_PASSWORD`, or a secret connection
whose code requests an Entra token for Azure Database for PostgreSQL instead of using the
password. The finding sits on the declared value.

### Why is this bad?
With an identity, Service Connector sets no password: the code reads an unset variable. With a
secret, no identity is granted on the database: the token the code requests is refused.

### Example
```hcl
resource "azurerm_app_service_connection" "db" {
  # …
  authentication {
    type = "systemAssignedIdentity"   # app.py reads AZURE_POSTGRESQL_PASSWORD
  }
}
```

### Use instead
Declare the auth type the code is written for, or change the code: with an identity, request a
token (scope `https://ossrdbms-aad.database.windows.net/.default`) and use it as the password.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for (id, connection) in context.connections.iter().enumerate() {
        let Some(declared) = connection
            .declaration
            .as_ref()
            .and_then(|d| d.auth.as_ref())
        else {
            continue;
        };
        if !matches!(connection.auth.reason, Reason::Declared(_)) {
            continue;
        }
        let password_read = context.references().find(|(_, _, r)| {
            r.connection == Some(id)
                && r.parsed
                    .as_ref()
                    .is_some_and(|p| p.field == Field::Password)
        });
        let token_file = context.sources().find(|(_, file, _, scan, refs)| {
            scan.token_scopes
                .iter()
                .any(|s| s.value.starts_with(catalogue::TOKEN_RESOURCE))
                && (refs.iter().any(|r| r.connection == Some(id))
                    || connection.covers_dir(file.dir))
        });
        let message = match (declared.value, password_read, token_file) {
            (auth, Some((_, file, reference)), _) if auth.is_passwordless() => format!(
                "auth {} is declared here, but {} reads {}: Service Connector sets no password for a passwordless connection",
                auth, file.path, reference.name
            ),
            (AuthType::Secret, None, Some((_, file, ..))) => format!(
                "auth secret is declared here, but {} requests an Entra token: a secret connection grants the app no identity on the database",
                file.path
            ),
            _ => continue,
        };
        out.push(Diagnostic::new(
            Rule::DeclaredAuthMismatch,
            declared.at.path.clone(),
            declared.at.range,
            message,
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
        r#"{"name": "orders", "dependencies": {"pg": "^8.12.0"}}"#,
    );

    fn terraform(auth: &str) -> String {
        format!(
            "resource \"azurerm_linux_web_app\" \"api\" {{\n  name                = \"app-orders\"\n  resource_group_name = \"rg-orders\"\n  location            = \"eastus2\"\n  service_plan_id     = \"plan\"\n  site_config {{}}\n}}\n\nresource \"azurerm_app_service_connection\" \"db\" {{\n  name               = \"ordersdb\"\n  app_service_id     = azurerm_linux_web_app.api.id\n  target_resource_id = azurerm_postgresql_flexible_server_database.orders.id\n  client_type        = \"nodejs\"\n  authentication {{\n    type = \"{auth}\"\n  }}\n}}\n"
        )
    }

    fn db(password: bool) -> String {
        let password = if password {
            "  password: process.env.AZURE_POSTGRESQL_PASSWORD,\n"
        } else {
            ""
        };
        format!(
            "const {{ Pool }} = require(\"pg\");\nconst pool = new Pool({{\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USER,\n{password}  database: process.env.AZURE_POSTGRESQL_DATABASE,\n}});\n"
        )
    }

    #[test]
    fn a_declared_identity_with_code_reading_a_password_is_reported() {
        let (tf, db) = (terraform("systemAssignedIdentity"), db(true));
        let case = Case::new(&[PACKAGE_JSON, ("infra/main.tf", &tf), ("src/db.js", &db)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("infra/main.tf:15 "), "{found:?}");
        let message = &case.check(check)[0].message;
        assert!(message.contains("AZURE_POSTGRESQL_PASSWORD"), "{message}");
    }

    #[test]
    fn a_declared_secret_with_code_reading_the_password_is_fine() {
        let (tf, db) = (terraform("secret"), db(true));
        let case = Case::new(&[PACKAGE_JSON, ("infra/main.tf", &tf), ("src/db.js", &db)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// What the code reads decides: the same identity declaration is right for code that
    /// reads no password.
    #[test]
    fn the_identity_is_right_for_code_without_a_password() {
        let (tf, db) = (terraform("systemAssignedIdentity"), db(false));
        let case = Case::new(&[PACKAGE_JSON, ("infra/main.tf", &tf), ("src/db.js", &db)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

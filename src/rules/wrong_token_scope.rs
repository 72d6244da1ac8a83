//! `wrong-token-scope`: an Entra token requested for something other than Azure PostgreSQL.

use crate::analysis::Context;
use crate::catalogue::{TOKEN_RESOURCE, TOKEN_SCOPE, Target};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::scan::ScopeContext;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a passwordless token request whose scope is not
`https://ossrdbms-aad.database.windows.net/.default` (or, for the managed-identity REST endpoint,
whose `resource` is not `https://ossrdbms-aad.database.windows.net`). Scopes of unrelated
services (Key Vault, Storage, Graph, management) are left alone unless they are in a token
request next to Azure PostgreSQL variables.

### Why is this bad?
The server only accepts tokens issued for the Azure Database for PostgreSQL audience. A token for
`https://database.windows.net/` (Azure SQL) or without `/.default` is rejected with a
password-authentication error that does not mention the scope.

### Example
```python
token = credential.get_token("https://database.windows.net/.default")
```

### Use instead
```python
token = credential.get_token("https://ossrdbms-aad.database.windows.net/.default")
```
"#;

/// Audiences of other Azure services that code legitimately requests tokens for.
const OTHER_SERVICES: &[&str] = &[
    "vault.azure.net",
    "storage.azure.com",
    "management.azure.com",
    "management.core.windows.net",
    "graph.microsoft.com",
    "cognitiveservices.azure.com",
    "servicebus.azure.net",
    "eventhubs.azure.net",
    "monitor.azure.com",
    "redis.azure.com",
    "cosmos.azure.com",
    "documents.azure.com",
    "api.loganalytics.io",
    "appconfig.azure.com",
];

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, _, scan, refs) in context.sources() {
        let reads_azure_postgres = refs.iter().any(|r| {
            r.parsed
                .as_ref()
                .is_some_and(|p| p.target == Target::AzurePostgresql)
        });
        for scope in &scan.token_scopes {
            let value = scope.value.trim();
            let expected = match scope.context {
                ScopeContext::Scope => TOKEN_SCOPE,
                ScopeContext::Resource => TOKEN_RESOURCE,
            };
            if value == expected
                || value.trim_end_matches('/') == TOKEN_RESOURCE
                    && scope.context == ScopeContext::Resource
            {
                continue;
            }
            let lower = value.to_ascii_lowercase();
            let about_postgres = lower.contains("ossrdbms")
                || lower.contains("database.windows.net")
                || lower.contains("postgres");
            let other_service = OTHER_SERVICES.iter().any(|s| lower.contains(s));
            if !about_postgres && (other_service || !reads_azure_postgres) {
                continue;
            }
            let hint = if lower.contains("ossrdbms")
                && scope.context == ScopeContext::Scope
                && !lower.ends_with("/.default")
            {
                " (a scope needs the /.default suffix)"
            } else if lower.starts_with("https://database.windows.net") {
                " (that is the Azure SQL audience)"
            } else {
                ""
            };
            let mut diagnostic = Diagnostic::new(
                Rule::WrongTokenScope,
                file.path,
                scope.value_range,
                format!(
                    "token requested for \"{value}\"{hint}; Azure Database for PostgreSQL accepts only tokens for {expected}"
                ),
            );
            if !file.lossy {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Use {expected}"),
                    edits: vec![FileEdit::new(file.path, scope.value_range, expected)],
                    applicability: Applicability::Safe,
                });
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::diagnostic::Applicability;
    use crate::rules::testing::Case;

    const CONFIG: (&str, &str) = (
        "neon-lsp.toml",
        "[[connection]]\ntarget = \"azure-postgresql\"\nclient-type = \"nodejs\"\nauth = \"system-identity\"\n",
    );

    fn db(scope: &str) -> String {
        format!(
            "const {{ DefaultAzureCredential }} = require(\"@azure/identity\");\nconst credential = new DefaultAzureCredential();\nconst host = process.env.AZURE_POSTGRESQL_HOST;\nasync function token() {{\n  return (await credential.getToken(\"{scope}\")).token;\n}}\n"
        )
    }

    #[test]
    fn the_azure_sql_scope_is_replaced_by_the_postgresql_one() {
        let db = db("https://database.windows.net/.default");
        let case = Case::new(&[CONFIG, ("db.js", &db)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("db.js:5 "), "{found:?}");
        let fix = &case.check(check)[0].fixes[0];
        assert_eq!(fix.applicability, Applicability::Safe);
        assert_eq!(
            fix.edits[0].new_text,
            "https://ossrdbms-aad.database.windows.net/.default"
        );
    }

    #[test]
    fn the_postgresql_scope_is_right() {
        let db = db("https://ossrdbms-aad.database.windows.net/.default");
        let case = Case::new(&[CONFIG, ("db.js", &db)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// A token for another service in the same file (Key Vault, Storage) is not a database
    /// token.
    #[test]
    fn tokens_for_other_services_are_not_judged() {
        let db = db("https://vault.azure.net/.default");
        let case = Case::new(&[CONFIG, ("db.js", &db)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

//! `password-with-passwordless-auth`: a static password where auth is an identity or service principal.

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::plaintext_secret::holds_password;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
For Azure Database for PostgreSQL connections whose auth type is a system- or user-assigned
managed identity or a service principal, flags a .env entry that still sets a database password
(a `_PASSWORD` variable or a connection string with `password=`). The client secret of a service
principal is not a database password and is not flagged.

### Why is this bad?
With passwordless auth Service Connector injects no password: the app must fetch an Entra token
(scope `https://ossrdbms-aad.database.windows.net/.default`) and use it as the password. A static
password works locally and hides that the token code is missing or broken.

### Example
```dotenv
# auth = "user-identity"
AZURE_POSTGRESQL_CONNECTIONSTRING="dbname=app host=myserver.postgres.database.azure.com port=5432 sslmode=require user=aad_app password=npg_Xyz123example"
```

### Use instead
```dotenv
AZURE_POSTGRESQL_CONNECTIONSTRING="dbname=app host=myserver.postgres.database.azure.com port=5432 sslmode=require user=aad_app"
AZURE_POSTGRESQL_CLIENTID=00000000-0000-0000-0000-000000000000
```
and fetch the token in code.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (file_id, file, env) in context.env_files() {
        for entry in &env.entries {
            let Some(connection) = context.connection_for_env_key(file_id, &entry.key) else {
                continue;
            };
            if !connection.auth.value.is_passwordless() || entry.key.ends_with("_CLIENTSECRET") {
                continue;
            }
            if !entry.interpolated.is_empty() || !holds_password(&entry.key, &entry.value) {
                continue;
            }
            out.push(Diagnostic::new(
                Rule::PasswordWithPasswordlessAuth,
                file.path,
                entry.inner_range,
                format!(
                    "{} sets a static password, but the connection uses {} ({}): Service Connector injects no password — fetch an Entra token for https://ossrdbms-aad.database.windows.net/.default and use it as the password",
                    entry.key,
                    connection.auth.value,
                    connection.auth.reason
                ),
            ));
        }
    }
}

//! `wrong-client-type-variable`: a real Service Connector name that this client type never gets.

use crate::analysis::{Connection, Context, NameStatus};
use crate::catalogue::{self, Field};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::values::assumed;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags code that reads a variable Service Connector does set — but not for the connection's client
type and auth type: Node.js reading `NEON_POSTGRESQL_CONNECTIONSTRING` (Node gets `_HOST`, `_USER`,
`_PASSWORD`, `_DATABASE`, `_PORT`, `_SSL`), Django reading `_DATABASE` (Django gets `_NAME`),
client type "none" reading `_USER` (it gets `_USERNAME`), secret auth reading `_CLIENTID`.

### Why is this bad?
Which variables exist depends on the client type chosen when the connection was created. The
name is right for another client type, so it looks correct in review — and is unset in production.

### Example
```js
const client = new Client(process.env.NEON_POSTGRESQL_CONNECTIONSTRING); // client type nodejs
```

### Use instead
```js
const client = new Client({
  host: process.env.NEON_POSTGRESQL_HOST,
  user: process.env.NEON_POSTGRESQL_USER,
  password: process.env.NEON_POSTGRESQL_PASSWORD,
  database: process.env.NEON_POSTGRESQL_DATABASE,
  port: Number(process.env.NEON_POSTGRESQL_PORT),
  ssl: process.env.NEON_POSTGRESQL_SSL === "true",
});
```
Or change the client type of the connection (and `client-type` in neon-lsp.toml) to the one the
code is written for. The quick fix renames to the equivalent variable where there is one.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, reference) in context.references() {
        if reference.status != NameStatus::WrongClientType {
            continue;
        }
        let (Some(connection), Some(parsed)) = (
            reference.connection.map(|id| context.connection(id)),
            &reference.parsed,
        ) else {
            continue;
        };
        if connection.wrong_only_by_declaration(&reference.name) {
            continue;
        }
        // Renamed by `customizedKeys`: the app gets the variable under its new name.
        let renamed = connection
            .renamed_to(&reference.name)
            .zip(connection.renames_source());
        let equivalent = match renamed {
            Some((to, _)) => Some(to.to_string()),
            None => equivalent_variable(connection, parsed.field),
        };
        let gets = connection
            .env_variables()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>();
        let gets = if gets.is_empty() {
            connection
                .variables
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            gets.join(", ")
        };
        let other_auth = other_auth_sets_it(connection, &reference.name);
        let mut message = format!(
            "{} is not set for this connection ({}); Service Connector sets {}",
            reference.name,
            assumed(connection),
            gets
        );
        if let Some((to, source)) = renamed {
            message = format!(
                "{} is not set for this connection: {source} renames it to {to} ({})",
                reference.name,
                assumed(connection)
            );
        } else if let Some(auth) = other_auth {
            message.push_str(&format!(". It is set with auth {auth}: if the app uses that, set `auth = \"{auth}\"` in neon-lsp.toml"));
        }
        let mut diagnostic = Diagnostic::new(
            Rule::WrongClientTypeVariable,
            file.path,
            reference.range,
            message,
        );
        if let Some(equivalent) = equivalent {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Replace with {equivalent}"),
                edits: vec![FileEdit::new(
                    file.path,
                    reference.range,
                    equivalent.clone(),
                )],
                applicability: Applicability::Safe,
            });
        }
        out.push(diagnostic);
    }
}

/// The variable of this client type that holds the same thing (`_DATABASE` ↔ `_NAME`,
/// `_USER` ↔ `_USERNAME`), if the connection has exactly one.
pub(crate) fn equivalent_variable(connection: &Connection, field: Field) -> Option<String> {
    let alternatives: &[Field] = match field {
        Field::Database => &[Field::Name],
        Field::Name => &[Field::Database],
        Field::User => &[Field::Username],
        Field::Username => &[Field::User],
        _ => &[],
    };
    let name = connection.name.as_deref();
    alternatives
        .iter()
        .map(|f| catalogue::env_name(connection.target, name, *f))
        .find(|candidate| connection.variable(candidate).is_some())
}

/// Another auth type of the same client type that does set the name.
fn other_auth_sets_it(connection: &Connection, name: &str) -> Option<catalogue::AuthType> {
    let client = connection.client_type.as_ref()?.value;
    connection
        .target
        .auth_types()
        .iter()
        .copied()
        .filter(|auth| *auth != connection.auth.value)
        .find(|auth| {
            catalogue::variables(connection.target, client, *auth, connection.name.as_deref())
                .is_ok_and(|vars| vars.iter().any(|v| v.name == name))
        })
}

//! `password-with-passwordless-auth`: a static password where auth is an identity or service principal.

use crate::analysis::{Connection, Context, File};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::dotenv::EnvEntry;
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
            let mut diagnostic = Diagnostic::new(
                Rule::PasswordWithPasswordlessAuth,
                file.path,
                entry.inner_range,
                format!(
                    "{} sets a static password, but the connection uses {} ({}): Service Connector injects no password — fetch an Entra token for https://ossrdbms-aad.database.windows.net/.default and use it as the password",
                    entry.key, connection.auth.value, connection.auth.reason
                ),
            );
            diagnostic.fixes = fixes(context, file, entry, connection);
            out.push(diagnostic);
        }
    }
}

/// Where a new file `name` goes in `dir`: `name` itself, or, when the project already has a
/// file there (`db.py` holding the app's own connection code), `<stem>_token.<ext>` (then
/// `_token2` …) — the fix creates a file and never prepends a second module to an existing one.
fn fresh_path(context: &Context, dir: &str, name: &str) -> String {
    let join = |name: &str| {
        if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        }
    };
    let taken = |path: &str| context.files.iter().any(|f| f.path == path);
    let first = join(name);
    // A Java file is named after its public class: another name would not compile.
    if !taken(&first) || name.ends_with(".java") {
        return first;
    }
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    (1..100)
        .map(|n| {
            let suffix = if n == 1 { String::new() } else { n.to_string() };
            let dot = if extension.is_empty() { "" } else { "." };
            join(&format!("{stem}_token{suffix}{dot}{extension}"))
        })
        .find(|path| !taken(path))
        .unwrap_or(first)
}

/// Two fixes, both unsafe (the app needs token code before it connects again): remove the
/// password — the whole line for a password variable, the `password` parameter for a connection
/// string, rendered again in its own format — and, the second, remove it and add the token-based
/// snippet of the connection's client type ([`crate::snippet::generate`]) as a new file beside
/// the .env.
fn fixes(context: &Context, file: &File, entry: &EnvEntry, connection: &Connection) -> Vec<Fix> {
    let mut fixes = Vec::new();
    let removal = match crate::connstr::parse(&entry.value) {
        Ok((format, mut params)) if params.password.is_some() => {
            params.password = None;
            let rendered = params.render(format);
            let new_text = if rendered.contains(char::is_whitespace) {
                format!("\"{rendered}\"")
            } else {
                rendered
            };
            Some(FileEdit::new(file.path, entry.value_range, new_text))
        }
        _ => {
            let (line, terminated) = crate::rules::fixes::line_at(file.text, entry.key_range.start);
            let end = if terminated {
                file.text[line.end..]
                    .find('\n')
                    .map_or(line.end, |at| line.end + at + 1)
            } else {
                line.end
            };
            Some(FileEdit::new(
                file.path,
                crate::text::TextRange::new(line.start, end),
                "",
            ))
        }
    };
    if let Some(edit) = &removal {
        fixes.push(Fix {
            title: format!("Remove the password from {}", entry.key),
            edits: vec![edit.clone()],
            applicability: Applicability::Unsafe,
        });
    }
    if let Some(client_type) = connection.client_type.as_ref().map(|c| c.value) {
        let request = crate::snippet::SnippetRequest {
            target: connection.target,
            client_type,
            auth: connection.auth.value,
            name: connection.name.clone(),
            customized_keys: connection.renames().to_vec(),
        };
        if let Ok(snippet) = crate::snippet::generate(&request) {
            let dir = file.dir.trim_end_matches('/');
            // The token code replaces the password: the fix removes it too, so that applied
            // alone it settles the finding.
            let edits = removal
                .into_iter()
                .chain(snippet.files.iter().map(|snippet_file| {
                    let path = fresh_path(context, dir, &snippet_file.suggested_path);
                    FileEdit::new(path, crate::text::TextRange::empty(0), &snippet_file.text)
                }))
                .collect();
            fixes.push(Fix {
                title: format!(
                    "Remove the password and add the token-based connection code for {client_type} ({})",
                    connection.auth.value
                ),
                edits,
                applicability: Applicability::Unsafe,
            });
        }
    }
    fixes
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    const DB_PY: (&str, &str) = (
        "db.py",
        "import os\nimport psycopg\n\ndef connect(token):\n    return psycopg.connect(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"], password=token)\n",
    );
    const WITH_PASSWORD: &str = "AZURE_POSTGRESQL_CONNECTIONSTRING=\"dbname=orders host=myserver.postgres.database.azure.com port=5432 sslmode=require user=aad_orders_conn password=Sup3rS3cret-example\"\n";

    fn config(auth: &str) -> String {
        format!(
            "[[connection]]\ntarget = \"azure-postgresql\"\nclient-type = \"python\"\nauth = \"{auth}\"\n"
        )
    }

    #[test]
    fn a_password_with_the_system_identity_is_reported() {
        let config = config("system-identity");
        let case = Case::new(&[("neon-lsp.toml", &config), DB_PY, (".env", WITH_PASSWORD)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, ".env");
        assert!(!found[0].message.contains("Sup3rS3cret-example"));
    }

    #[test]
    fn a_passwordless_string_with_a_service_principal_is_fine() {
        let config = config("service-principal");
        let env = "AZURE_POSTGRESQL_CLIENTID=6e3c4f9a-0b2d-4e8f-a1c7-5d9b8e2f4a10\nAZURE_POSTGRESQL_CONNECTIONSTRING=\"dbname=orders host=myserver.postgres.database.azure.com port=5432 sslmode=require user=aad_orders_conn\"\n";
        let case = Case::new(&[("neon-lsp.toml", &config), DB_PY, (".env", env)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The auth type decides: the same password is right for a connection with a secret.
    #[test]
    fn the_same_password_with_secret_auth_is_fine() {
        let config = config("secret");
        let case = Case::new(&[("neon-lsp.toml", &config), DB_PY, (".env", WITH_PASSWORD)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

#[cfg(test)]
mod fix_tests {
    /// The token code goes into a new file: never prepended to the app's own `db.py`.
    #[test]
    fn the_token_code_never_lands_in_an_existing_file() {
        let files = [
            ("requirements.txt", "psycopg2\n"),
            (
                "neon-lsp.toml",
                "[[connection]]\ntarget = \"azure-postgresql\"\nclient-type = \"python\"\nauth = \"system-identity\"\n",
            ),
            (
                ".env",
                "AZURE_POSTGRESQL_CONNECTIONSTRING=\"dbname=app host=myserver.postgres.database.azure.com port=5432 sslmode=require user=aad_app password=Zq9S3cr3t\"\n",
            ),
            (
                "db.py",
                "import os\n\nDSN = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\n",
            ),
        ];
        let found = crate::rules::fixes::findings_of(
            crate::rules::Rule::PasswordWithPasswordlessAuth,
            &files,
        );
        let fix = found
            .iter()
            .flat_map(|d| &d.fixes)
            .find(|f| f.title.contains("token-based"))
            .expect("a token-code fix");
        let created: Vec<&str> = fix
            .edits
            .iter()
            .filter(|e| e.path != ".env")
            .map(|e| e.path.as_str())
            .collect();
        assert!(!created.is_empty(), "{fix:?}");
        assert!(created.iter().all(|path| *path != "db.py"), "{created:?}");
        assert!(fix.edits.iter().any(|e| e.path == ".env"), "{fix:?}");
    }
}

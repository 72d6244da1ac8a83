//! `wrong-client-type-variable`: a real Service Connector name that this client type never gets.

use crate::analysis::{Connection, Context, FileData, NameStatus};
use crate::catalogue::{self, Field};
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rewrite::{self, Wiring};
use crate::rules::Rule;
use crate::rules::values::assumed;
use crate::text::TextRange;

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
code is written for.

### Fixes
Where this client type gets the same value under another name (`_DATABASE` → `_NAME` for
Django, a customized key), the fix renames the read (safe). Otherwise it rewrites the read into
what this client type gets, in the file's language (unsafe: review it): Node.js reading the
connection string gets the pg config from the component variables (replacing
`connectionString: …` inside `new Pool({…})`, or a URL built from the parts elsewhere); Python
reading components gets `psycopg2.connect(<connection string>)` or the part parsed by the
driver (`parse_dsn`, `conninfo_to_dict`); a SQLAlchemy `create_engine` whose URL is built
from components connects through `creator=lambda: psycopg2.connect(<connection string>)` (the
libpq string as it is, `sslmode=require` included); Django settings that hand the connection
string to `dj_database_url.parse`/`config`, or split it into `DATABASES`, get the `DATABASES`
entry from `_NAME`, `_HOST`, `_USER`, `_PASSWORD` with `sslmode` `require` (the split's
statements removed when nothing else uses them); C# reads the part through
`NpgsqlConnectionStringBuilder`; Java through the JDBC URL; Go's and PHP's key-value strings
built from parts become the connection string; Ruby parses with
`PG::Connection.conninfo_parse`; shell scripts build the libpq string from the components;
Spring properties read the `spring.datasource.*` properties Service Connector sets.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    // Where no rewrite applies (a language or shape without one), the nearest honest edit: a
    // note at the line saying what to change by hand (issue 14: every finding carries a fix).
    crate::rules::fixes::add_notes(
        context,
        &mut out[start..],
        "Note what to read instead",
        |diagnostic| {
            format!(
                "no rewrite of this read is mechanical here: change it by hand to what this client type gets ({})",
                diagnostic.message
            )
        },
    );
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    // One parse per file, however many reads it has.
    let mut source: Option<(usize, rewrite::Source<'_>, Vec<TextRange>)> = None;
    for (file_id, file, reference) in context.references() {
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
        let wiring = Wiring::from_connection(connection);
        let renamed = equivalent.clone().or_else(|| {
            let wiring = wiring.as_ref()?;
            wiring
                .name(parsed.field)
                .filter(|name| *name != reference.name)
                .map(str::to_owned)
        });
        if let Some(equivalent) = renamed.filter(|_| equivalent.is_none()) {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Replace with {equivalent}, which holds the same value here"),
                edits: vec![FileEdit::new(file.path, reference.range, equivalent)],
                applicability: Applicability::Safe,
            });
        } else if equivalent.is_none()
            && let Some(wiring) = &wiring
            && let FileData::Source {
                language,
                scan,
                refs,
                ..
            } = &file.data
            && let Some(read) = scan.env_refs.get(reference.index)
        {
            if source.as_ref().is_none_or(|(id, _, _)| *id != file_id) {
                let reads = refs
                    .iter()
                    .filter_map(|r| scan.env_refs.get(r.index).map(|e| e.expr_range))
                    .collect();
                source = Some((
                    file_id,
                    rewrite::Source::new(file.path, file.text, *language).with_tree(file.tree()),
                    reads,
                ));
            }
            if let Some((_, source, reads)) = source.as_mut() {
                let site = source.site(read.expr_range, read.name_range, parsed.field);
                if let Some(fix) = source.wrong_read(site, wiring, reads) {
                    diagnostic = diagnostic.with_fix(fix);
                }
            }
        }
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
        for fix in &mut diagnostic.fixes {
            env_keys_for(context, connection, &reference.name, fix);
        }
        out.push(diagnostic);
    }
}

/// Keeps the connection's nearest .env file in step with a fix: a renamed read renames its key
/// there (the value stays), and the other variables the fix reads are added with placeholder
/// values, so the fixed code does not read names the .env file lacks.
fn env_keys_for(context: &Context, connection: &Connection, old: &str, fix: &mut Fix) {
    let Some(env_id) = connection.env_files.first() else {
        return;
    };
    let file = context.file(*env_id);
    let FileData::Env(env) = &file.data else {
        return;
    };
    let defined = |name: &str| env.entries.iter().any(|e| e.key == name);
    let mut added = Vec::new();
    for variable in connection.env_variables() {
        let name = variable.name.as_str();
        let read = fix.edits.iter().any(|e| {
            e.new_text.contains(name)
                && crate::rules::manual_connection_string_parsing::word_in(&e.new_text, name)
        });
        if !read || defined(name) {
            continue;
        }
        let renamed = fix.edits.len() == 1 && fix.edits[0].new_text == name;
        match env.entries.iter().find(|e| e.key == old) {
            Some(entry) if renamed => {
                fix.edits
                    .push(FileEdit::new(file.path, entry.key_range, name))
            }
            _ => added.push((variable.field().unwrap_or(Field::ConnectionString), name)),
        }
    }
    if !added.is_empty() {
        let end = file.text.len();
        fix.edits.push(FileEdit::new(
            file.path,
            TextRange::new(end, end),
            rewrite::env_placeholders(file.text, &added),
        ));
        fix.title.push_str(&format!(
            " (and add {} to {})",
            added
                .iter()
                .map(|(_, name)| *name)
                .collect::<Vec<_>>()
                .join(", "),
            file.path
        ));
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

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{Case, PG_PACKAGE_JSON, PSYCOPG2_APP, PSYCOPG2_REQUIREMENTS};

    const READS_CONNECTION_STRING: &str = "const { Pool } = require(\"pg\");\nconst pool = new Pool({ connectionString: process.env.NEON_POSTGRESQL_CONNECTIONSTRING });\n";

    #[test]
    fn node_reading_the_connection_string_is_told_what_it_gets() {
        let case = Case::new(&[PG_PACKAGE_JSON, ("db.js", READS_CONNECTION_STRING)]);
        assert_eq!(
            case.found(check),
            ["db.js:2 NEON_POSTGRESQL_CONNECTIONSTRING"]
        );
        let message = &case.check(check)[0].message;
        assert!(message.contains("client type nodejs"), "{message}");
        assert!(
            message.contains("Service Connector sets NEON_POSTGRESQL_HOST"),
            "{message}"
        );
    }

    #[test]
    fn client_type_none_reads_its_own_names() {
        let case = Case::new(&[
            (
                "neon-lsp.toml",
                "[[connection]]\ntarget = \"neon\"\nclient-type = \"none\"\n",
            ),
            (
                "connect.sh",
                "#!/usr/bin/env bash\nPGPASSWORD=\"$NEON_POSTGRESQL_PASSWORD\" exec psql \"host=$NEON_POSTGRESQL_HOST port=$NEON_POSTGRESQL_PORT dbname=$NEON_POSTGRESQL_DATABASE user=$NEON_POSTGRESQL_USERNAME sslmode=require\"\n",
            ),
        ]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The manifest decides the client type: the read that is wrong for Node is the one
    /// Service Connector sets for Python.
    #[test]
    fn the_same_read_is_right_for_python() {
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}

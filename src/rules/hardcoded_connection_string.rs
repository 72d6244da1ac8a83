//! `hardcoded-connection-string`: a connection string with a password as a literal in code.

use crate::analysis::Context;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::values::{self, Origin};

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a string literal in source code (including `.properties` and YAML values) that is a
Postgres connection string carrying a password. Placeholders (`<password>`, `your_password`,
`changeme`) are not passwords, and a local database (every host loopback or a docker compose
service: `postgres:postgres@localhost` in a test fixture or a local fallback) is not reported.
It also follows a password constant into the connection string built from it: `PW = "…"` then
`f"postgresql://app:{PW}@{host}/db"`, a JavaScript template, C# `$"…Password={PW}…"`, Go
`fmt.Sprintf("…password=%s…", pw)` or Java `"…&password=" + PASSWORD`.

### Why is this bad?
The password ships with the code, lands in version control and in every build artefact, and
cannot be rotated without a release. The connection Service Connector made is ignored.

### Example
```python
conn = psycopg2.connect("postgresql://app:npg_Xyz123example@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb")
```

### Use instead
```python
conn = psycopg2.connect(os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"])
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let local = values::LocalHosts::of(context);
    let first = out.len();
    for value in values::connection_string_values(context) {
        if !matches!(value.origin, Origin::Literal) {
            continue;
        }
        let Some(Ok((format, params))) = values::parse(value.value) else {
            continue;
        };
        let Some(password) = &params.password else {
            continue;
        };
        // Tests, local profiles and local fallbacks point at a throwaway database on this
        // machine or the compose network (`postgres/postgres@localhost`): not a leaked secret.
        if local.is_local_connection(&params) {
            continue;
        }
        if !values::is_real_secret(password.expose()) {
            continue;
        }
        let diagnostic = Diagnostic::new(
            Rule::HardcodedConnectionString,
            value.file.path,
            value.range,
            format!(
                "{} with a password is written into the code ({}): read the connection from the environment Service Connector sets instead",
                format.description(),
                params.masked(format)
            ),
        );
        let target = if params
            .hosts
            .iter()
            .any(|(host, _)| host.ends_with(".neon.tech"))
        {
            crate::catalogue::Target::Neon
        } else {
            crate::catalogue::Target::AzurePostgresql
        };
        out.push(match fix(context, &value, target) {
            Some(fix) => diagnostic.with_fix(fix),
            None => diagnostic,
        });
    }
    let reported: Vec<(String, crate::text::TextRange)> = out[first..]
        .iter()
        .map(|d| (d.path.clone(), d.range))
        .collect();
    built_from_constants(context, &local, &reported, out);
}

/// Connection strings built in code from a password constant (`PW = "…"` then
/// `f"postgresql://app:{PW}@{host}/db"`, `fmt.Sprintf("…password=%s…", pw)`, `"…password=" +
/// PASSWORD`): the template is not a hard-coded value, but the constant is. Reported on the
/// template, naming the constant and its line (never its value).
fn built_from_constants(
    context: &Context,
    local: &values::LocalHosts,
    reported: &[(String, crate::text::TextRange)],
    out: &mut Vec<Diagnostic>,
) {
    for (_, file, _, scan, _) in context.sources() {
        for literal in &scan.string_literals {
            let Some(built) = &literal.built else {
                continue;
            };
            let range = literal.range;
            if reported
                .iter()
                .any(|(path, r)| path == file.path && range.contains_range(*r))
            {
                continue;
            }
            let Some(Ok((format, params))) = values::parse(&built.resolved) else {
                continue;
            };
            let Some(password) = &params.password else {
                continue;
            };
            if local.is_local_connection(&params) || !values::is_real_secret(password.expose()) {
                continue;
            }
            let source = built.constants.iter().find(|(_, constant)| {
                file.text.get(constant.start..constant.end) == Some(password.expose())
            });
            let origin = match source {
                Some((name, constant)) => format!(
                    "its password is the constant {name} on line {}",
                    file.text[..constant.start].matches('\n').count() + 1
                ),
                None => "its password is written into the template".to_owned(),
            };
            // The template's other slots stay as written, so the built string is not quoted.
            let message = format!(
                "{} is built with a password written into the code ({origin}): read the connection from the environment Service Connector sets instead",
                format.description(),
            );
            let diagnostic =
                Diagnostic::new(Rule::HardcodedConnectionString, file.path, range, message);
            let note = match source {
                Some((name, _)) => format!(
                    "{name} holds a database password in the code: read the password (or the whole connection string) from the environment variable Service Connector sets and remove the constant."
                ),
                None => "this template carries a database password: read it (or the whole connection string) from the environment variable Service Connector sets.".to_owned(),
            };
            out.push(
                match crate::rules::fixes::note_fix(
                    file.path,
                    file.text,
                    range.start,
                    "Note where the hard-coded password must go",
                    &note,
                ) {
                    Some(fix) => diagnostic.with_fix(fix),
                    None => diagnostic,
                },
            );
        }
    }
}

/// Moves the literal into the .env file of the connection that covers the file (appended,
/// unless that file already defines the variable; a new `.env` beside the code when there is
/// none) and reads it back through the client type's connection-string variable, in the file's
/// language. Unsafe: the value moves out of the code. The .env line's display text is masked.
/// For a client type that gets no connection string (Node, Go, …) there is no single variable to
/// read: the fix is a note naming that situation.
fn fix(
    context: &Context,
    value: &values::ConnectionValue,
    target: crate::catalogue::Target,
) -> Option<Fix> {
    use crate::catalogue::Field;
    use crate::scan::Language;
    let file = value.file;
    let (language, literal) = context
        .sources()
        .find_map(|(_, source, language, scan, _)| {
            (source.path == file.path)
                .then(|| {
                    scan.string_literals
                        .iter()
                        .find(|l| l.value_range == value.range)
                })
                .flatten()
                .map(|literal| (language, literal))
        })?;
    let connection = context
        .connections
        .iter()
        .filter(|c| c.target == target && c.covers_dir(file.dir))
        .max_by_key(|c| c.scopes.iter().map(String::len).max().unwrap_or(0));
    let name = match connection {
        Some(connection) if connection.client_type.is_some() => connection
            .env_variables()
            .find(|v| v.field() == Some(Field::ConnectionString))
            .map(|v| v.name.clone()),
        Some(connection) => Some(crate::catalogue::env_name(
            target,
            connection.name.as_deref(),
            Field::ConnectionString,
        )),
        None => Some(crate::catalogue::env_name(
            target,
            None,
            Field::ConnectionString,
        )),
    };
    let Some(name) = name else {
        return crate::rules::fixes::note_fix(
            file.path,
            file.text,
            value.range.start,
            "Note where the hard-coded connection string must go",
            "this client type gets the connection as separate variables (host, user, password, \
             database, port), not one string: read those instead of this literal \
             (`neon-lsp snippet` prints the code).",
        );
    };
    let read = match language {
        Language::Python => format!("os.environ[\"{name}\"]"),
        Language::JavaScript => format!("process.env.{name}"),
        Language::Go => format!("os.Getenv(\"{name}\")"),
        Language::CSharp => format!("Environment.GetEnvironmentVariable(\"{name}\")"),
        Language::Java | Language::Kotlin => format!("System.getenv(\"{name}\")"),
        Language::Php => format!("getenv('{name}')"),
        Language::Ruby => format!("ENV.fetch(\"{name}\")"),
        Language::Shell => format!("\"${{{name}}}\""),
        // Spring resolves `${NAME}` from the environment in application.properties / .yml.
        Language::Properties => format!("${{{name}}}"),
        Language::Yaml
            if file
                .path
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("application")) =>
        {
            format!("${{{name}}}")
        }
        Language::Yaml | Language::Dockerfile => {
            return crate::rules::fixes::note_fix(
                file.path,
                file.text,
                value.range.start,
                "Note where the hard-coded connection string must go",
                &format!(
                    "set {name} from a secret (App Service setting, Key Vault, a Kubernetes Secret) instead of this literal; no edit here can choose the secret store."
                ),
            );
        }
    };
    let replaced = if matches!(language, Language::Properties | Language::Yaml) {
        value.range
    } else {
        literal.range
    };
    let mut edits = Vec::new();
    if language == Language::Python
        && !file.text.contains("import os\n")
        && !file.text.contains("import os\r\n")
    {
        edits.push(FileEdit::new(
            file.path,
            crate::text::TextRange::empty(0),
            "import os\n",
        ));
    }
    edits.push(FileEdit::new(file.path, replaced, read));
    let env_file = connection
        .and_then(|c| c.env_files.first())
        .map(|id| context.file(*id));
    let defined = env_file.is_some_and(|env| {
        env.text.lines().any(|line| {
            line.trim_start()
                .trim_start_matches("export ")
                .starts_with(&format!("{name}="))
        })
    });
    if !defined {
        let (path, at, lead) = match env_file {
            Some(env) => (
                env.path.to_owned(),
                env.text.len(),
                if env.text.is_empty() || env.text.ends_with('\n') {
                    ""
                } else {
                    "\n"
                },
            ),
            None => {
                let dir = file.dir.trim_end_matches('/');
                let path = if dir.is_empty() {
                    ".env".to_owned()
                } else {
                    format!("{dir}/.env")
                };
                (path, 0, "")
            }
        };
        let line = format!("{lead}{name}='{}'\n", value.value.replace('\'', ""));
        let mut edit = FileEdit::new(path, crate::text::TextRange::empty(at), line);
        edit.display_text = Some(format!(
            "{lead}{name}='<the connection string, password included>'\n"
        ));
        edits.push(edit);
    }
    Some(Fix {
        title: format!("Move the connection string to .env and read {name}"),
        edits,
        applicability: Applicability::Unsafe,
    })
}

//! `hardcoded-connection-string`: a connection string with a password as a literal in code.

use crate::analysis::Context;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::collect::Collector;
use crate::rules::values::{self, Origin};
use crate::scan::StringLiteral;
use crate::text::TextRange;
use std::collections::HashMap;

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

pub(crate) fn check(context: &Context, out: &mut Collector<'_>) {
    let local = values::LocalHosts::of(context);
    let values = values::connection_string_values(context);
    // What is found, before anything is worded: a generated bundle holds tens of thousands of
    // hard-coded strings, and only the first ones of a file (the collector's cap) are listed,
    // so only their messages and fixes are built.
    let mut found: Vec<(&str, TextRange, Found<'_, '_, '_>)> = Vec::new();
    for value in &values {
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
        found.push((
            value.file.path,
            value.range,
            Found::Literal {
                value,
                format,
                params,
            },
        ));
    }
    let reported: Vec<(String, crate::text::TextRange)> = found
        .iter()
        .map(|(path, range, _)| ((*path).to_owned(), *range))
        .collect();
    let mut built = Vec::new();
    built_from_constants(context, &local, &reported, &mut built);
    found.extend(built.into_iter().map(|diagnostic| {
        (
            context_path(context, &diagnostic.path),
            diagnostic.range,
            Found::Built(diagnostic),
        )
    }));
    // In file order, as the collector lists them.
    found.sort_by(|a, b| (a.0, a.1.start).cmp(&(b.0, b.1.start)));
    let mut lookups = Lookups::default();
    for (path, range, finding) in found {
        out.push_with(Rule::HardcodedConnectionString, path, range, || match finding {
            Found::Built(diagnostic) => diagnostic,
            Found::Literal {
                value,
                format,
                params,
            } => {
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
                let target = if params.hosts.iter().any(|(host, _)| {
                    crate::catalogue::Target::of_host(host) == Some(crate::catalogue::Target::Neon)
                }) {
                    crate::catalogue::Target::Neon
                } else {
                    crate::catalogue::Target::AzurePostgresql
                };
                match fix(context, &mut lookups, value, target, &params) {
                    Some(fix) => diagnostic.with_fix(fix),
                    None => diagnostic,
                }
            }
        });
    }
}

/// A finding of [`check`] before it is worded.
enum Found<'v, 'c, 'a> {
    /// A connection string literal with a password, its format and parameters.
    Literal {
        value: &'v values::ConnectionValue<'c, 'a>,
        format: crate::connstr::Format,
        params: crate::connstr::ConnectionParams,
    },
    /// A string built from a password constant (few; built in full).
    Built(Diagnostic),
}

/// The context's own copy of `path` (a diagnostic's path borrowed for as long as the context).
fn context_path<'c>(context: &'c Context, path: &str) -> &'c str {
    context
        .files
        .iter()
        .find(|file| file.path == path)
        .map_or("", |file| file.path)
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
                    file.line_index.line_of(constant.start) + 1
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

/// What the fixes of one run look up, each found once rather than once per finding (a
/// generated bundle holds tens of thousands of hard-coded strings: a search per finding made
/// the rule quadratic).
#[derive(Default)]
struct Lookups<'c> {
    /// Per source file: its language and its literals by value range.
    literals: HashMap<&'c str, (crate::scan::Language, HashMap<TextRange, &'c StringLiteral>)>,
    /// The import edit the fix needs, per file (the same for every finding in it).
    imports: HashMap<&'c str, Option<FileEdit>>,
    /// Whether a .env file already defines a variable.
    defined: HashMap<(&'c str, String), bool>,
}

impl<'c> Lookups<'c> {
    fn literal(
        &mut self,
        context: &'c Context,
        path: &str,
        value_range: TextRange,
    ) -> Option<(crate::scan::Language, &'c StringLiteral)> {
        if !self.literals.contains_key(path) {
            let (_, source, language, scan, _) = context
                .sources()
                .find(|(_, source, ..)| source.path == path)?;
            let mut by_range = HashMap::new();
            for literal in &scan.string_literals {
                by_range.entry(literal.value_range).or_insert(literal);
            }
            self.literals.insert(source.path, (language, by_range));
        }
        let (language, by_range) = self.literals.get(path)?;
        Some((*language, *by_range.get(&value_range)?))
    }
}

/// Moves the literal into the .env file of the connection that covers the file (appended,
/// unless that file already defines the variable; a new `.env` beside the code when there is
/// none) and reads it back through the client type's connection-string variable, in the file's
/// language. Unsafe: the value moves out of the code. The .env line's display text is masked.
/// For a client type that gets no connection string (Node, Go, …) there is no single variable to
/// read: the fix is a note naming that situation.
fn fix<'c>(
    context: &'c Context,
    lookups: &mut Lookups<'c>,
    value: &values::ConnectionValue<'c, '_>,
    target: crate::catalogue::Target,
    params: &crate::connstr::ConnectionParams,
) -> Option<Fix> {
    use crate::catalogue::Field;
    use crate::scan::Language;
    let file = value.file;
    let (language, literal) = lookups.literal(context, file.path, value.range)?;
    let connection = context
        .connections
        .iter()
        .filter(|c| c.target == target && c.covers_dir(file.dir))
        .max_by_key(|c| c.scopes.iter().map(String::len).max().unwrap_or(0));
    // Spring Boot: Service Connector sets spring.datasource.url itself, and the environment
    // outranks application.yml / .properties; the hard-coded line goes (no duplicate key).
    let client = connection
        .and_then(|c| c.client_type.as_ref())
        .map(|c| c.value)
        .or_else(|| context.manifest_client_type(file.dir));
    if client == Some(crate::catalogue::ClientType::SpringBoot)
        && matches!(language, Language::Properties | Language::Yaml)
        && let Some(line) = spring_url_line(file.path, file.text, value.range)
    {
        return Some(spring_fix(context, file, connection, line, params));
    }
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
    // The module the read needs, merged into the file's imports (after a docstring or
    // `from __future__`, into Go's import block).
    let import = match language {
        Language::Python => Some((crate::catalogue::ClientType::Python, "import os")),
        Language::Go => Some((crate::catalogue::ClientType::Go, "import \"os\"")),
        _ => None,
    };
    if let Some((client_type, statement)) = import
        && let Some(edit) = lookups
            .imports
            .entry(file.path)
            .or_insert_with(|| {
                crate::rules::fixes::import_edit(file.path, file.text, client_type, statement)
            })
            .clone()
    {
        edits.push(edit);
    }
    edits.push(FileEdit::new(file.path, replaced, read));
    let env_file = connection
        .and_then(|c| c.env_files.first())
        .map(|id| context.file(*id));
    let defined = env_file.is_some_and(|env| {
        *lookups
            .defined
            .entry((env.path, name.clone()))
            .or_insert_with(|| {
                env.text.lines().any(|line| {
                    line.trim_start()
                        .trim_start_matches("export ")
                        .starts_with(&format!("{name}="))
                })
            })
    });
    if !defined {
        let (path, at, lead) = match env_file {
            Some(env) => append_to(env),
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
        // In the format Service Connector sets this variable in for the client type (a URI
        // literal becomes Python's key-value string), unless converting changes where the
        // driver connects.
        // With no connection yet, the client type the file's language implies (the one the
        // new .env will be checked against unless a manifest says otherwise).
        let variable = connection
            .and_then(|c| c.variable(&name))
            .cloned()
            .or_else(|| {
                let client = crate::infer::client_type_from_language(language)?;
                crate::catalogue::variables(
                    target,
                    client,
                    crate::catalogue::AuthType::Secret,
                    None,
                )
                .ok()?
                .into_iter()
                .find(|v| v.name == name)
            });
        let expected = variable
            .as_ref()
            .and_then(|v| values::format_of(v.entry.format));
        let rendered = match (expected, variable.as_ref().map(|v| v.entry.format)) {
            (Some(expected), _) if params.conversion_hazard(expected).is_some() => {
                value.value.to_owned()
            }
            (Some(_), Some(crate::catalogue::ValueFormat::KeyValue(keys))) => {
                params.render_key_value_ordered(keys)
            }
            (Some(expected), _) => params.render(expected),
            (None, _) => value.value.to_owned(),
        };
        let line = format!("{lead}{name}={}\n", crate::dotenv::render_value(&rendered));
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

/// The whole line (terminator included) of the `spring.datasource.url` key whose value is at
/// `value` in application.properties (`spring.datasource.url=…`) or application.yml (`url:`
/// under `datasource:` under `spring:`, or a dotted key); `None` for any other key.
fn spring_url_line(
    path: &str,
    text: &str,
    value: crate::text::TextRange,
) -> Option<crate::text::TextRange> {
    let (line, _) = crate::rules::fixes::line_at(text, value.start);
    let line_text = &text[line.start..line.end];
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key = |l: &str| {
        l.trim()
            .split([':', '='])
            .next()
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let full = if path.ends_with(".properties") {
        key(line_text)
    } else {
        let mut keys = vec![key(line_text)];
        let mut own = indent(line_text);
        let mut at = line.start;
        for _ in 0..200 {
            if own == 0 || at == 0 {
                break;
            }
            let (above, _) = crate::rules::fixes::line_at(text, at - 1);
            at = above.start;
            let above_text = &text[above.start..above.end];
            let trimmed = above_text.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if indent(above_text) < own {
                own = indent(above_text);
                keys.insert(0, key(above_text));
            }
        }
        keys.join(".")
    };
    if full != crate::catalogue::spring::URL {
        return None;
    }
    let end = text[line.end..]
        .find('\n')
        .map_or(text.len(), |i| line.end + i + 1);
    Some(crate::text::TextRange::new(line.start, end))
}

/// Spring Boot's fix: remove the hard-coded `spring.datasource.url` line (Service Connector
/// sets `spring.datasource.url`, `.username` and `.password`, and Spring reads the environment
/// before application.yml) and keep the values for local runs in .env under those names: the URL
/// without its credentials, the user and the password apart, as Service Connector sets them.
/// The .env text shown is masked.
fn spring_fix(
    context: &Context,
    file: &crate::analysis::File<'_>,
    connection: Option<&crate::analysis::Connection>,
    line: crate::text::TextRange,
    params: &crate::connstr::ConnectionParams,
) -> Fix {
    use crate::catalogue::spring;
    let mut edits = vec![FileEdit::new(file.path, line, "")];
    let env_file = connection
        .and_then(|c| c.env_files.first())
        .map(|id| context.file(*id));
    let mut url = params.clone();
    url.user = None;
    url.password = None;
    let mut entries = vec![(
        spring::URL,
        url.render(crate::connstr::Format::Jdbc),
        "<the JDBC URL>",
    )];
    if let Some(user) = &params.user {
        entries.push((spring::USERNAME, user.clone(), "<the user>"));
    }
    if let Some(password) = &params.password {
        entries.push((
            spring::PASSWORD,
            password.expose().to_owned(),
            "<the password>",
        ));
    }
    let defined = |key: &str| {
        env_file.is_some_and(|env| {
            env.text
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{key}=")))
        })
    };
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|(key, _, _)| !defined(key))
        .collect();
    if !entries.is_empty() {
        let (path, at, lead) = match env_file {
            Some(env) => append_to(env),
            None => {
                // Beside the build file: Spring runs from the project folder, not resources/.
                let dir = file.dir.trim_end_matches('/');
                let dir = dir
                    .strip_suffix("src/main/resources")
                    .unwrap_or(dir)
                    .trim_end_matches('/');
                let path = if dir.is_empty() {
                    ".env".to_owned()
                } else {
                    format!("{dir}/.env")
                };
                (path, 0, "")
            }
        };
        let mut text = lead.to_owned();
        let mut shown = lead.to_owned();
        for (key, value, display) in &entries {
            text.push_str(&format!("{key}={}\n", crate::dotenv::render_value(value)));
            shown.push_str(&format!("{key}='{display}'\n"));
        }
        let mut edit = FileEdit::new(path, crate::text::TextRange::empty(at), text);
        edit.display_text = Some(shown);
        edits.push(edit);
    }
    Fix {
        title: format!(
            "Remove the hard-coded {} (Service Connector sets it, with {} and {}, for Spring Boot) and keep the values for local runs in .env",
            spring::URL,
            spring::USERNAME,
            spring::PASSWORD
        ),
        edits,
        applicability: Applicability::Unsafe,
    }
}

/// Where lines appended to an existing .env file go: its path, its end, and the line break
/// its last line still needs.
fn append_to(env: &crate::analysis::File<'_>) -> (String, usize, &'static str) {
    let lead = if env.text.is_empty() || env.text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    (env.path.to_owned(), env.text.len(), lead)
}

#[cfg(test)]
mod tests {
    use crate::analysis::Context;
    use crate::diagnostic::Diagnostic;
    use crate::rules::testing::Case;

    /// The rule's check through a collector that keeps everything, as `run_all` runs it.
    fn check(context: &Context, out: &mut Vec<Diagnostic>) {
        crate::rules::testing::collected(super::check, context, out);
    }

    #[test]
    fn a_uri_with_a_password_in_code_is_reported_masked() {
        let seed = "import psycopg2\n\nconn = psycopg2.connect(\n    \"postgresql://neondb_owner:npg_Xyz123example@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb?sslmode=require\"\n)\n";
        let case = Case::new(&[("scripts/seed.py", seed)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(case.found(check)[0].starts_with("scripts/seed.py:4 "));
        assert!(
            found[0].message.contains("neondb_owner:****@"),
            "{}",
            found[0].message
        );
        assert!(!found[0].message.contains("npg_Xyz123example"));
    }

    #[test]
    fn reads_placeholders_and_passwordless_uris_are_fine() {
        let seed = "import os\nimport psycopg2\n\nUSAGE = \"set NEON_POSTGRESQL_CONNECTIONSTRING to 'host=<host> user=<user> password=<password>'\"\nREPLICA = \"postgresql://readonly@ep-still-mud-a12aa123.eastus2.azure.neon.tech/neondb?sslmode=require\"\nconn = psycopg2.connect(os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"])\n";
        let case = Case::new(&[("scripts/seed.py", seed)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Where it connects decides: a throwaway local test database is not an Azure or Neon
    /// connection, whatever its password.
    #[test]
    fn a_local_test_database_is_not_reported() {
        let conftest = "import psycopg2\n\nTEST_DSN = \"postgresql://postgres:postgres@localhost:5432/products_test\"\n";
        let case = Case::new(&[("tests/conftest.py", conftest)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Spring Boot: the hard-coded spring.datasource.url line goes (Service Connector sets the
    /// property, and the environment outranks application.yml), the values move to .env under
    /// Spring's names, masked where shown.
    #[test]
    fn a_spring_datasource_url_line_is_removed_and_its_values_move_to_env() {
        let pom = "<project><parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId></parent><dependencies><dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency></dependencies></project>\n";
        let yml = "spring:\n  datasource:\n    url: jdbc:postgresql://ep-cool-darkness-123456.eastus2.azure.neon.tech:5432/orders?user=orders_app&password=Rc6Hj2NqLmx8&sslmode=require\n    hikari:\n      maximum-pool-size: 5\n";
        let case = Case::new(&[
            ("pom.xml", pom),
            ("src/main/resources/application.yml", yml),
        ]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = &found[0].fixes[0];
        assert!(
            fix.title
                .starts_with("Remove the hard-coded spring.datasource.url"),
            "{}",
            fix.title
        );
        let mut fixed = yml.to_owned();
        let edit = &fix.edits[0];
        fixed.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        assert_eq!(
            fixed,
            "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 5\n"
        );
        let env = &fix.edits[1];
        assert_eq!(env.path, ".env");
        assert!(
            env.new_text.contains("spring.datasource.url="),
            "{}",
            env.new_text
        );
        assert!(!env.new_text.contains("spring.datasource.url=jdbc:postgresql://ep-cool-darkness-123456.eastus2.azure.neon.tech:5432/orders?user"), "{}", env.new_text);
        assert!(
            env.new_text
                .contains("spring.datasource.username=orders_app"),
            "{}",
            env.new_text
        );
        let shown = env.display_text.as_deref().unwrap();
        assert!(!shown.contains("Rc6Hj2Nq"), "{shown}");
        // application.properties: the same line, by its key.
        let properties = "server.port=8080\nspring.datasource.url=jdbc:postgresql://ep-cool-darkness-123456.eastus2.azure.neon.tech/orders?user=orders_app&password=Rc6Hj2NqLmx8&sslmode=require\n";
        let case = Case::new(&[
            ("pom.xml", pom),
            ("src/main/resources/application.properties", properties),
        ]);
        let found = case.check(check);
        let edit = &found[0].fixes[0].edits[0];
        let mut fixed = properties.to_owned();
        fixed.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        assert_eq!(fixed, "server.port=8080\n");
    }
}

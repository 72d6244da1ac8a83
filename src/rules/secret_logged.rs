//! `secret-logged`: a connection string or password printed or logged.

use crate::analysis::Context;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::manual_connection_string_parsing::{SecretKind, Sensitive, Values};
use crate::scan::{self, Scan, ValueFact, ValueKind, ValueOrigin, ValueRole};
use crate::text::TextRange;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a print or log call (`print`, `logging.*`, `console.log`, `fmt.Println`, `log.Printf`,
`Console.WriteLine`, `System.out.println`, `echo`, `puts`, logger calls …) whose arguments hold
a connection string, password or client secret from Service Connector — directly
(`console.log(process.env.NEON_POSTGRESQL_PASSWORD)`) or through a variable assigned from one in
the same file. In Python and JavaScript/TypeScript the value is followed through the file: into
blocks, functions and methods (`self.conn`), through one function return, and into what is
derived from it — the dict or `URL` parsed from a connection string (`print(conn_dict)`), its
password (`conn['password']`), strings built from it (f-strings, `.format`, template literals,
concatenation) — as well as passwords and access tokens (`logger.info(token)`). A name inside a
string (`print("conn_str is set")`) is text, not the value.

### Why is this bad?
Logs are shipped to Application Insights, Log Analytics and third parties, kept for months and
read by many more people than the database password should be.

### Example
```python
dsn = os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"]
print(f"connecting with {dsn}")
```

### Use instead
```python
print("connecting to the database")
```
Log the host or database name if you need to, never the whole string.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, language, scan, refs) in context.sources() {
        // With a syntax tree, names come from the tree's value flow: a name inside a string
        // literal is not a value, and parsed forms, passwords and tokens count too. Without
        // one, locals assigned from a sensitive read are matched by name in the arguments.
        let flow = scan::has_value_flow(language);
        let sensitive = Sensitive::new(scan, refs, SecretKind::AnySecret, !flow);
        let values = Values::new(scan);
        for call in &scan.log_calls {
            let args = file
                .text
                .get(call.args_range.start..call.args_range.end)
                .unwrap_or("");
            // Every scanner that tracks values records what a log call's arguments hold
            // (the regex scanner too, for names derived from a tainted local).
            let what = sensitive.named_in(call.args_range, args).or_else(|| {
                values
                    .first_in(call.args_range, |v| v.role == ValueRole::Logged)
                    .map(|v| describe_value(file.text, scan, v))
            });
            let Some(what) = what else { continue };
            out.push(
                Diagnostic::new(
                    Rule::SecretLogged,
                    file.path,
                    call.range,
                    format!("{} writes {what} to the output: connection strings and passwords end up in logs", call.callee),
                )
                .with_fix(
                    in_place(file.path, file.text, language, call, &values)
                        .unwrap_or_else(|| fix(file.path, language, call)),
                ),
            );
        }
    }
}

/// "conn (from NEON_POSTGRESQL_CONNECTIONSTRING)", "conn_dict['password'] (a password)". The
/// expression is code (a name, a member, a subscript, a method call whose arguments are not
/// quoted), never a literal's value; long or multi-line expressions are not quoted.
pub(crate) fn describe_value(text: &str, scan: &Scan, value: &ValueFact) -> String {
    let written = text.get(value.range.start..value.range.end).unwrap_or("");
    let written = match written.find('(') {
        Some(open) => format!("{}(…)", &written[..open]),
        None => written.to_owned(),
    };
    let expression = if written.len() <= 48 && !written.contains('\n') {
        written
    } else {
        "a value".to_owned()
    };
    let reference = match value.origin {
        ValueOrigin::EnvRef(index) => scan.env_refs.get(index),
        _ => None,
    };
    match reference {
        Some(reference) if reference.expr_range == value.range => reference.name.clone(),
        Some(reference)
            if matches!(
                value.kind,
                ValueKind::ConnectionString | ValueKind::Password | ValueKind::Secret
            ) =>
        {
            format!("{expression} (from {})", reference.name)
        }
        Some(reference) => format!(
            "{expression} ({}, from {})",
            kind_description(value.kind),
            reference.name
        ),
        None => format!("{expression} ({})", kind_description(value.kind)),
    }
}

fn kind_description(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::ConnectionString => "a connection string",
        ValueKind::ParsedConnection => "a parsed connection string, password included",
        ValueKind::Password => "a password",
        ValueKind::Token => "an access token",
        ValueKind::Secret => "a secret",
    }
}

/// The call with each secret it logs replaced where it stands, the rest of the message kept:
/// an argument (or a term of a concatenation) becomes a string literal naming what is not
/// logged, a `${…}` of a template literal or a `{…}` of an f-string becomes that text. `None`
/// when a secret sits anywhere else (a format spec, a method call's receiver …) or the scanner
/// tracks no value there: then [`fix`] rewrites the whole message.
fn in_place(
    path: &str,
    text: &str,
    language: scan::Language,
    call: &scan::Call,
    values: &Values,
) -> Option<Fix> {
    let quote = match language {
        scan::Language::Python | scan::Language::JavaScript | scan::Language::Ruby => '"',
        scan::Language::Php => '\'',
        _ => return None,
    };
    let mut edits: Vec<FileEdit> = Vec::new();
    let args = call.args_range;
    let mut from = args.start;
    while let Some(value) = values.first_in(TextRange::new(from, args.end), |v| {
        v.role == ValueRole::Logged
    }) {
        from = value.range.end.max(from + 1);
        if edits
            .last()
            .is_some_and(|e| e.range.contains_range(value.range))
        {
            continue;
        }
        let hidden = format!("<{} not logged>", hidden_kind(value.kind));
        let before = text[args.start..value.range.start].trim_end();
        let after = text[value.range.end..args.end].trim_start();
        let edit = if before.ends_with("${") && after.starts_with('}') {
            // A template literal's substitution: plain text in the template.
            let start = before.len() - 2 + args.start;
            let end = value.range.end + (text[value.range.end..].find('}')? + 1);
            FileEdit::new(path, TextRange::new(start, end), hidden)
        } else if after.starts_with('}')
            && ((language == scan::Language::Python
                && before.ends_with('{')
                && !before.ends_with("{{"))
                || (language == scan::Language::Ruby && before.ends_with("#{")))
        {
            // An f-string's or Ruby string's interpolation: plain text in the string.
            let open = if language == scan::Language::Ruby {
                2
            } else {
                1
            };
            let start = before.len() - open + args.start;
            let end = value.range.end + (text[value.range.end..].find('}')? + 1);
            FileEdit::new(path, TextRange::new(start, end), hidden)
        } else if (before.is_empty() || before.ends_with([',', '(', '+', '.']))
            && (after.is_empty() || after.starts_with([',', ')', '+', '.']))
            && !(before.ends_with('.') && language != scan::Language::Php)
            && !(after.starts_with('.') && language != scan::Language::Php)
        {
            FileEdit::new(path, value.range, format!("{quote}{hidden}{quote}"))
        } else {
            return None;
        };
        edits.push(edit);
    }
    if edits.is_empty() {
        return None;
    }
    Some(Fix {
        title: "Log the message without the secret".to_owned(),
        edits,
        applicability: Applicability::Unsafe,
    })
}

fn hidden_kind(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::ConnectionString => "connection string",
        ValueKind::ParsedConnection => "connection details",
        ValueKind::Password => "password",
        ValueKind::Token => "access token",
        ValueKind::Secret => "secret",
    }
}

/// Logs a non-secret form instead: the call's arguments become one string literal saying that
/// the database connection details are not logged (in shell, a quoted word after `echo`).
/// Unsafe: what the line logs changes, and a host or database name the author wanted to keep
/// must be put back by hand — the arguments mix the secret with other text in ways no edit can
/// take apart without the program's meaning (a format string, an f-string, concatenation).
fn fix(path: &str, language: scan::Language, call: &scan::Call) -> Fix {
    let message = "connecting to the database (connection details not logged: they hold a secret)";
    let literal = match language {
        scan::Language::Php | scan::Language::Shell => format!("'{message}'"),
        _ => format!("\"{message}\""),
    };
    Fix {
        title: "Log a message without the secret".to_owned(),
        edits: vec![FileEdit::new(path, call.args_range, literal)],
        applicability: Applicability::Unsafe,
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{Case, PG_PACKAGE_JSON, PSYCOPG2_REQUIREMENTS};

    #[test]
    fn logging_the_password_is_reported() {
        let db = "const password = process.env.NEON_POSTGRESQL_PASSWORD;\nconsole.log(`connecting as ${process.env.NEON_POSTGRESQL_USER} with ${password}`);\n";
        let case = Case::new(&[PG_PACKAGE_JSON, ("db.js", db)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("db.js:2 "), "{found:?}");
    }

    #[test]
    fn logging_host_database_and_user_is_fine() {
        let db = "const password = process.env.NEON_POSTGRESQL_PASSWORD;\nconsole.log(`connecting to ${process.env.NEON_POSTGRESQL_HOST}/${process.env.NEON_POSTGRESQL_DATABASE} as ${process.env.NEON_POSTGRESQL_USER}`);\n";
        let case = Case::new(&[PG_PACKAGE_JSON, ("db.js", db)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// Log arguments are evaluated: the length of the connection string or a sentence about
    /// it logs nothing secret, the value itself does.
    #[test]
    fn what_a_log_call_evaluates_decides() {
        let app = "import os\n\nconn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nprint(len(conn))\nprint(\"conn is set\")\nprint(conn)\n";
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, ("app.py", app)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("app.py:6 "), "{found:?}");
    }
}

#[cfg(test)]
mod fix_tests {
    /// The file after the first fix of each secret-logged finding.
    fn fixed(path: &str, manifest: (&str, &str), code: &str) -> String {
        let mut edits: Vec<crate::diagnostic::FileEdit> = crate::rules::fixes::findings_of(
            crate::rules::Rule::SecretLogged,
            &[manifest, (path, code)],
        )
        .into_iter()
        .flat_map(|d| d.fixes[0].edits.clone())
        .collect();
        assert!(!edits.is_empty(), "no secret-logged finding in {code}");
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        let mut text = code.to_owned();
        for edit in edits {
            text.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        }
        text
    }

    /// The message around the secret stays: only the secret is replaced, where it stands.
    #[test]
    fn the_context_of_the_message_is_kept() {
        let python = ("requirements.txt", "psycopg2\n");
        let code = "import os\n\ndsn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nprint(\"connecting with\", dsn, \"now\")\nprint(f\"dsn={dsn}!\")\n";
        assert_eq!(
            fixed("app.py", python, code),
            "import os\n\ndsn = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nprint(\"connecting with\", \"<connection string not logged>\", \"now\")\nprint(f\"dsn=<connection string not logged>!\")\n"
        );
        let node = ("package.json", "{\"dependencies\": {\"pg\": \"^8\"}}\n");
        let code = "const password = process.env.NEON_POSTGRESQL_PASSWORD;\nconsole.log(`user ${process.env.NEON_POSTGRESQL_USER} with ${password}`);\n";
        assert_eq!(
            fixed("db.js", node, code),
            "const password = process.env.NEON_POSTGRESQL_PASSWORD;\nconsole.log(`user ${process.env.NEON_POSTGRESQL_USER} with <password not logged>`);\n"
        );
    }
}

//! `malformed-connection-string`: a connection string that does not parse.

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::values::{self, Origin};
use crate::text::TextRange;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a connection string — a `…_CONNECTIONSTRING` value in a .env file, or a connection-string
literal in code — that the driver would reject: unbalanced quotes, a port that is not a number,
bad percent-encoding, keys the format does not know.

### Why is this bad?
The driver fails at the first connection attempt, usually with a message that does not say which
part of the string is wrong. An unknown key is often a typo that silently drops a setting such as
`sslmode`.

### Example
```dotenv
NEON_POSTGRESQL_CONNECTIONSTRING="host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=54x2 sslmod=require"
```

### Use instead
```dotenv
NEON_POSTGRESQL_CONNECTIONSTRING="host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 sslmode=require"
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for value in values::connection_string_values(context) {
        let Some(Err(error)) = values::parse(value.value) else {
            continue;
        };
        // Point at the exact part when the written text is the value itself (no escapes).
        let written = value.file.text.get(value.range.start..value.range.end);
        let range = if written == Some(value.value)
            && error.range.end <= value.value.len()
            && !error.range.is_empty()
        {
            TextRange::new(
                value.range.start + error.range.start,
                value.range.start + error.range.end,
            )
        } else {
            value.range
        };
        let what = match &value.origin {
            Origin::Env(entry) => entry.key.clone(),
            Origin::Literal => "this connection string".to_string(),
        };
        out.push(Diagnostic::new(
            Rule::MalformedConnectionString,
            value.file.path,
            range,
            format!("{what} does not parse: {}", error.message),
        ));
    }
}

/// No edit can settle these findings (issue 14: the nearest honest edit plus an explanation):
/// a note at the finding's line says what to change by hand.
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_notes(
        context,
        diagnostics,
        "Note why the connection string does not parse",
        |d| {
            format!(
                "{}; only you know the value meant, so fix it by hand (or `neon-lsp pull` it).",
                d.message
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{Case, PSYCOPG2_APP, PSYCOPG2_REQUIREMENTS};

    #[test]
    fn a_bad_port_is_pointed_at() {
        let env = "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432x sslmode=require user=neondb_owner password=npg_Xyz123example\"\n";
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", env)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with(".env:1 "), "{found:?}");
        assert!(found[0].contains("5432x"), "{found:?}");
        let message = &case.check(check)[0].message;
        assert!(
            message.starts_with("NEON_POSTGRESQL_CONNECTIONSTRING does not parse"),
            "{message}"
        );
        assert!(!message.contains("npg_Xyz123example"), "{message}");
    }

    #[test]
    fn a_quoted_password_with_spaces_and_equals_signs_parses() {
        let env = "NEON_POSTGRESQL_CONNECTIONSTRING=\"dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 sslmode=require user=neondb_owner password='npg Xyz=123example'\"\n";
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, (".env", env)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// In code, a literal is judged, a template filled in at run time is not.
    #[test]
    fn a_literal_is_judged_a_template_is_not() {
        let code = (
            "db.py",
            "import psycopg2\n\nTEMPLATE = \"postgresql://{user}:{password}@{host}:{port}/{db}\"\nREPLICA = \"postgresql://reader@ep-still-mud-a12aa123.eastus2.azure.neon.tech:5432x/neondb\"\n",
        );
        let case = Case::new(&[PSYCOPG2_REQUIREMENTS, PSYCOPG2_APP, code]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("db.py:4 "), "{found:?}");
    }
}

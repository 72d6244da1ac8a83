//! `manual-connection-string-parsing`: a connection string split by hand.

use crate::analysis::{Context, Reference};
use crate::catalogue::Field;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::secret_logged::describe_value;
use crate::scan::{self, Scan, ValueKind, ValueRole};

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags code that splits a Service Connector connection string by hand — `split(" ")`,
`split("=")`, `split(";")`, `strings.Fields`, `explode` — directly or through a variable assigned
from it in the same file (in Python and JavaScript/TypeScript also inside blocks, functions and
methods, through `self.x` and one function return, or after building it from parts).

### Why is this bad?
Connection strings quote values: a password may contain spaces, `=` or `;`, and Npgsql keys have
synonyms and free spacing. Hand-splitting works with today's password and breaks after the next
rotation.

### Example
```python
parts = dict(p.split("=") for p in os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"].split(" "))
```

### Use instead
Pass the string to the driver as it is (`psycopg.connect(conninfo)`), or parse it with the
driver's own parser (`psycopg.conninfo.conninfo_to_dict`, `pgx.ParseConfig`,
`NpgsqlConnectionStringBuilder`).
"#;

/// Which variables count as sensitive for a rule.
#[derive(Clone, Copy)]
pub(crate) enum SecretKind {
    /// Only connection strings.
    ConnectionString,
    /// Connection strings, passwords and client secrets.
    AnySecret,
}

impl SecretKind {
    pub(crate) fn matches(self, field: Option<Field>, name: &str) -> bool {
        match (self, field) {
            (_, Some(Field::ConnectionString)) => true,
            (SecretKind::AnySecret, Some(Field::Password | Field::ClientSecret)) => true,
            (SecretKind::AnySecret, None) => name.to_ascii_uppercase().ends_with("PASSWORD"),
            _ => false,
        }
    }
}

/// Locals assigned in one step from a sensitive variable: (local name, variable name).
pub(crate) fn tainted_locals(
    scan: &Scan,
    refs: &[Reference],
    kind: SecretKind,
) -> Vec<(String, String)> {
    scan.assignments
        .iter()
        .filter_map(|assignment| {
            let reference = refs.iter().find(|r| r.index == assignment.env_ref)?;
            kind.matches(reference.parsed.as_ref().map(|p| p.field), &reference.name)
                .then(|| (assignment.local.clone(), reference.name.clone()))
        })
        .collect()
}

/// `word` occurs in `text` as a whole identifier (a leading `$`, as in shell and PHP
/// expansions, does not join it to another name).
pub(crate) fn word_in(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        before.is_none_or(|c| !is_ident(c)) && after.is_none_or(|c| !is_ident(c) && c != '$')
    })
}

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, language, scan, refs) in context.sources() {
        // With a syntax tree, the value flow knows which receivers hold a connection string,
        // inside blocks, functions and methods too.
        let flow = scan::has_value_flow(language);
        let locals = if flow {
            Vec::new()
        } else {
            tainted_locals(scan, refs, SecretKind::ConnectionString)
        };
        for split in &scan.split_calls {
            let direct = refs.iter().find(|r| {
                split.receiver_range.contains_range(r.range)
                    && SecretKind::ConnectionString
                        .matches(r.parsed.as_ref().map(|p| p.field), &r.name)
            });
            let what = match direct {
                Some(reference) => Some(reference.name.clone()),
                None if flow => scan
                    .values
                    .iter()
                    .find(|v| {
                        v.role == ValueRole::Use
                            && v.kind == ValueKind::ConnectionString
                            && split.receiver_range.contains_range(v.range)
                    })
                    .map(|v| describe_value(file.text, scan, v)),
                None => locals
                    .iter()
                    .find(|(local, _)| word_in(&split.receiver_text, local))
                    .map(|(local, name)| format!("{local} (from {name})")),
            };
            let Some(what) = what else { continue };
            out.push(Diagnostic::new(
                Rule::ManualConnectionStringParsing,
                file.path,
                split.range,
                format!(
                    "{what} is split by hand: quoted values and `=`, `;` or spaces in a password break this — hand the string to the driver or parse it with the driver's own parser"
                ),
            ));
        }
    }
}

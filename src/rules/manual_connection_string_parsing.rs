//! `manual-connection-string-parsing`: a connection string split by hand.

use crate::analysis::{Context, Reference};
use crate::catalogue::Field;
use crate::diagnostic::Diagnostic;
use crate::rewrite;
use crate::rules::Rule;
use crate::rules::secret_logged::describe_value;
use crate::scan::{self, Scan, ValueFact, ValueKind, ValueRole};

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

A chain of splits (`s.split(" ")[0].split("=")`) is one hand-parse, reported once at its first
split.

### Fixes
Python: a dict built from the split (`dict(p.split("=") for p in s.split())`, a dict
comprehension) becomes `psycopg2.extensions.parse_dsn(s)` (psycopg 3:
`psycopg.conninfo.conninfo_to_dict`), and a SQLAlchemy URL built from that dict as a string
(`"postgresql+psycopg2://{user}:{password}@{host}/{dbname}".format(**params)`, an f-string)
becomes `sqlalchemy.engine.URL.create(…)` from the parse, `sslmode` included (the string
dropped it, and a password with `@` or `/` broke it); a bare `s.split(" ")` becomes the driver's parse as
`key=value` strings with the values unquoted, so the code after it keeps working. Ruby: the
same through `PG::Connection.conninfo_parse`. Unsafe: review them.
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
    // By index, not by a search per assignment: a file of 30,000 assignments must stay linear.
    let by_index: std::collections::HashMap<_, &Reference> =
        refs.iter().map(|r| (r.index, r)).collect();
    scan.assignments
        .iter()
        .filter_map(|assignment| {
            let reference = *by_index.get(&assignment.env_ref)?;
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

/// The whole identifiers in `text` that [`word_in`] would find (not those followed by `$`),
/// each with its leading `$` when it has one (PHP and shell locals are stored with it).
fn words(text: &str) -> impl Iterator<Item = &str> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut offset = 0;
    std::iter::from_fn(move || {
        loop {
            let rest = &text[offset..];
            let start = offset + rest.find(is_ident)?;
            let length = text[start..]
                .find(|c: char| !is_ident(c))
                .unwrap_or(text.len() - start);
            let end = start + length;
            offset = end;
            if text[end..].starts_with('$') {
                continue;
            }
            let from = if text[..start].ends_with('$') {
                start - 1
            } else {
                start
            };
            return Some(&text[from..end]);
        }
    })
}

/// A file's reads and tainted locals, indexed so that asking "which sensitive read or local is
/// inside this range / text" stays linear over a file of 30,000 calls.
pub(crate) struct Sensitive<'a> {
    refs: &'a [Reference],
    sorted: bool,
    kind: SecretKind,
    locals: Vec<(String, String)>,
    local_index: std::collections::HashMap<String, usize>,
}

impl<'a> Sensitive<'a> {
    /// `with_locals`: also match locals assigned from a sensitive read by name (for languages
    /// without value flow).
    pub(crate) fn new(
        scan: &Scan,
        refs: &'a [Reference],
        kind: SecretKind,
        with_locals: bool,
    ) -> Self {
        let locals = if with_locals {
            tainted_locals(scan, refs, kind)
        } else {
            Vec::new()
        };
        let mut local_index = std::collections::HashMap::new();
        for (index, (local, _)) in locals.iter().enumerate() {
            local_index.entry(local.clone()).or_insert(index);
        }
        Self {
            refs,
            sorted: refs
                .windows(2)
                .all(|w| w[0].range.start <= w[1].range.start),
            kind,
            locals,
            local_index,
        }
    }

    /// The first sensitive read inside `range`, else the first tainted local named in
    /// `text` (the range's text): "NAME" or "local (from NAME)".
    pub(crate) fn named_in(&self, range: crate::text::TextRange, text: &str) -> Option<String> {
        let candidates = if self.sorted {
            let first = self.refs.partition_point(|r| r.range.start < range.start);
            let end = self.refs.partition_point(|r| r.range.start < range.end);
            &self.refs[first..end.max(first)]
        } else {
            self.refs
        };
        let direct = candidates.iter().find(|r| {
            range.contains_range(r.range)
                && self
                    .kind
                    .matches(r.parsed.as_ref().map(|p| p.field), &r.name)
        });
        if let Some(reference) = direct {
            return Some(reference.name.clone());
        }
        words(text)
            .flat_map(|word| [word, word.trim_start_matches('$')])
            .filter_map(|word| self.local_index.get(word).copied())
            .min()
            .and_then(|index| self.locals.get(index))
            .map(|(local, name)| format!("{local} (from {name})"))
    }
}

/// A file's value facts sorted by position, so that "the first fact inside this range" stays
/// cheap over a file with thousands of calls.
pub(crate) struct Values<'a> {
    sorted: Vec<&'a ValueFact>,
}

impl<'a> Values<'a> {
    pub(crate) fn new(scan: &'a Scan) -> Self {
        let mut sorted: Vec<&ValueFact> = scan.values.iter().collect();
        sorted.sort_by_key(|v| v.range.start);
        Self { sorted }
    }

    pub(crate) fn first_in(
        &self,
        range: crate::text::TextRange,
        wanted: impl Fn(&ValueFact) -> bool,
    ) -> Option<&'a ValueFact> {
        let first = self.sorted.partition_point(|v| v.range.start < range.start);
        self.sorted[first..]
            .iter()
            .take_while(|v| v.range.start < range.end)
            .find(|v| range.contains_range(v.range) && wanted(v))
            .copied()
    }
}

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    // Where no rewrite applies (a language or shape without one), the nearest honest edit: a
    // note at the line saying what to change by hand (issue 14: every finding carries a fix).
    crate::rules::fixes::add_notes(
        context,
        &mut out[start..],
        "Note how to stop splitting the string",
        |diagnostic| {
            format!(
                "hand the whole string to the driver (pg_connect/PDO take it as is; Npgsql has NpgsqlConnectionStringBuilder; pgx/lib/pq parse it) instead of splitting it by hand ({})",
                diagnostic.message
            )
        },
    );
}

/// The note for a chain that indexes into the split pairs and splits one again
/// (`s.split(" ")[1].split("=")[1]`): pair 1 is whichever key the string happens to list second,
/// and equivalent strings list their keys in any order, so no rewrite by a key name keeps what
/// the code does (`tests::a_pair_index_names_no_key`).
const PAIR_INDEX_NOTE: &str = "this chain picks a pair of the split string by its position and splits it again: \
    which key sits at that position depends on the order the string lists its keys in, \
    so no rewrite can name the key meant. Parse the string once with the driver's parser \
    (psycopg's conninfo_to_dict, pg-connection-string's parse, \
    NpgsqlConnectionStringBuilder) and read the key by name.";

/// Whether `split`'s result is indexed (`[n]`) and split again by a later call of the chain.
fn indexes_pairs(text: &str, scan: &scan::Scan, split: &scan::SplitCall) -> bool {
    let indexed = text
        .get(split.range.end..)
        .is_some_and(|rest| rest.trim_start().starts_with('['));
    indexed
        && scan.split_calls.iter().any(|outer| {
            outer.receiver_range.contains_range(split.range) && outer.range != split.range
        })
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, language, scan, refs) in context.sources() {
        // With a syntax tree, the value flow knows which receivers hold a connection string,
        // inside blocks, functions and methods too.
        let flow = scan::has_value_flow(language);
        let sensitive = Sensitive::new(scan, refs, SecretKind::ConnectionString, !flow);
        let values = Values::new(scan);
        let mut source =
            rewrite::Source::new(file.path, file.text, language).with_tree(file.tree());
        // A chain of splits is one hand-parse: an outer split whose receiver holds one already
        // reported is the same parse.
        let mut reported: Vec<crate::text::TextRange> = Vec::new();
        let mut order: Vec<&scan::SplitCall> = scan.split_calls.iter().collect();
        order.sort_by_key(|split| (split.range.start, split.range.end));
        for split in order {
            if reported
                .last()
                .is_some_and(|last| split.receiver_range.contains_range(*last))
            {
                reported.push(split.range);
                continue;
            }
            let what = sensitive
                .named_in(split.receiver_range, &split.receiver_text)
                .or_else(|| {
                    flow.then(|| {
                        values
                            .first_in(split.receiver_range, |v| {
                                v.role == ValueRole::Use && v.kind == ValueKind::ConnectionString
                            })
                            .map(|v| describe_value(file.text, scan, v))
                    })
                    .flatten()
                });
            let Some(what) = what else { continue };
            reported.push(split.range);
            let mut diagnostic = Diagnostic::new(
                Rule::ManualConnectionStringParsing,
                file.path,
                split.range,
                format!(
                    "{what} is split by hand: quoted values and `=`, `;` or spaces in a password break this — hand the string to the driver or parse it with the driver's own parser"
                ),
            );
            let fix = if indexes_pairs(file.text, scan, split) {
                crate::rules::fixes::note_fix(
                    file.path,
                    file.text,
                    split.range.start,
                    "Note why this split chain cannot be rewritten",
                    PAIR_INDEX_NOTE,
                )
            } else {
                source.hand_parse(split.range, split.receiver_range, None)
            };
            if let Some(fix) = fix {
                diagnostic = diagnostic.with_fix(fix);
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    #[test]
    fn splitting_the_connection_string_by_hand_is_reported() {
        let app = "import os\n\nconn_str = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nparts = conn_str.split(\" \")\nhost = next(p[5:] for p in parts if p.startswith(\"host=\"))\n";
        let case = Case::new(&[("app.py", app)]);
        let found = case.found(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("app.py:4 "), "{found:?}");
    }

    #[test]
    fn the_drivers_parser_and_unrelated_splits_are_fine() {
        let app = "import os\n\nfrom psycopg2.extensions import parse_dsn\n\nconn_str = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nhost = parse_dsn(conn_str)[\"host\"]\norigins = os.environ.get(\"ALLOWED_ORIGINS\", \"\").split(\",\")\n\ndef greeting(full_name):\n    first, _ = full_name.split(\" \", 1)\n    return first\n";
        let case = Case::new(&[("app.py", app)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The value flows: a split inside a function, of a name bound to the connection string
    /// in a branch, is the same hand parsing.
    #[test]
    fn a_split_of_a_derived_name_inside_blocks_is_reported() {
        let app = "import os\n\ndef settings():\n    dsn = os.environ.get(\"NEON_POSTGRESQL_CONNECTIONSTRING\")\n    if dsn:\n        fields = dict(item.split(\"=\", 1) for item in dsn.split())\n        return fields\n    return {}\n";
        let case = Case::new(&[("app.py", app)]);
        let found = case.found(check);
        assert!(!found.is_empty(), "{found:?}");
        assert!(
            found.iter().all(|f| f.starts_with("app.py:6 ")),
            "{found:?}"
        );
    }
}

#[cfg(test)]
mod fix_tests {
    use crate::diagnostic::Applicability;

    fn findings(files: &[(&str, &str)]) -> Vec<crate::diagnostic::Diagnostic> {
        crate::rules::fixes::findings_of(crate::rules::Rule::ManualConnectionStringParsing, files)
    }

    /// Why a chain that indexes into the split pairs gets a note and no rewrite: two strings
    /// that mean the same connection (libpq reads them alike) put different keys at the same
    /// position, so `[1]` names no key a rewrite could read by name.
    #[test]
    fn a_pair_index_names_no_key() {
        let (_, params) = crate::connstr::parse(
            "host=ep-still-mud-a12aa123.eastus2.azure.neon.tech dbname=neondb user=app sslmode=require",
        )
        .unwrap();
        let one = params.render_key_value_ordered(&["dbname", "host", "user", "sslmode"]);
        let other = params.render_key_value_ordered(&["host", "dbname", "user", "sslmode"]);
        assert_eq!(
            crate::connstr::parse(&one).unwrap().1,
            crate::connstr::parse(&other).unwrap().1
        );
        let second_key = |s: &str| {
            s.split(' ')
                .nth(1)
                .and_then(|p| p.split('=').next())
                .map(str::to_owned)
        };
        assert_ne!(second_key(&one), second_key(&other));

        let code = "import os\n\nconninfo = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nDB_HOST = conninfo.split(\" \")[1].split(\"=\")[1]\n";
        let found = findings(&[("requirements.txt", "psycopg2\n"), ("settings.py", code)]);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = &found[0].fixes[0];
        assert_eq!(fix.applicability, Applicability::Unsafe);
        assert!(fix.edits.iter().all(|e| {
            e.new_text
                .contains("TODO(neon-lsp): this chain picks a pair")
        }));
        // A split whose result is used whole still gets the driver's parser.
        let code = "import os\n\nconninfo = os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"]\nparts = dict(p.split(\"=\") for p in conninfo.split(\" \"))\n";
        let found = findings(&[("requirements.txt", "psycopg2\n"), ("settings.py", code)]);
        assert!(
            found.iter().all(|d| d.fixes.iter().all(|f| f
                .edits
                .iter()
                .all(|e| !e.new_text.contains("TODO(neon-lsp)")))),
            "{found:?}"
        );
    }
}

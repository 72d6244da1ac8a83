//! Code rewrites behind the connection fixes: the expression (or the whole construct around it)
//! that gives a client type what Service Connector actually sets for it, written in the file's
//! language.
//!
//! Pure and synchronous, like the rest of the core: text in, [`Fix`]es out. Python and
//! JavaScript/TypeScript are rewritten on tree-sitter syntax trees (a read inside
//! `new Pool({ connectionString: … })` or `psycopg2.connect(host=…)` replaces the construct);
//! the other languages at the expression the regex scanner located, with
//! [`text::enclosing_call`] for the few constructs worth replacing whole. One file per language;
//! `values.rs` knows, per client type, which variables hold which part of the connection.
//!
//! Used by `wrong-client-type-variable`, `incomplete-variable-set` and
//! `manual-connection-string-parsing`.

mod dotnet;
mod frameworks;
mod go;
mod java;
mod javascript;
mod php;
mod python;
mod ruby;
mod shell;
mod spring;
#[cfg(test)]
mod tests;
pub(crate) mod text;
mod tree;

/// The tree the rewrites would parse for a file (tests compare other trees with it).
#[cfg(test)]
pub(crate) fn parse_for_tests(
    path: &str,
    language: crate::scan::Language,
    text: &str,
) -> Option<tree_sitter::Tree> {
    tree::parse(path, language, text)
}

use crate::catalogue::{ClientType, Field};
use crate::diagnostic::{Applicability, FileEdit, Fix};
use crate::scan::Language;
use crate::text::TextRange;

/// What a connection gets from Service Connector, by field: the names this rewrite may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    pub client_type: ClientType,
    /// (field, variable name) for every environment variable the connection gets.
    pub variables: Vec<(Field, String)>,
    /// Spring properties the connection gets (`spring.datasource.url`, …).
    pub properties: Vec<String>,
    /// The connection string (when there is one) carries the password: with passwordless auth
    /// and for .NET it does not, so a password cannot be read from it.
    pub password_in_connection_string: bool,
}

impl Wiring {
    pub fn from_connection(connection: &crate::analysis::Connection) -> Option<Wiring> {
        let client_type = connection.client_type.as_ref()?.value;
        Some(Wiring {
            client_type,
            variables: connection
                .variables
                .iter()
                .filter_map(|v| Some((v.field()?, v.name.clone())))
                .collect(),
            properties: connection
                .variables
                .iter()
                .filter(|v| v.field().is_none())
                .map(|v| v.name.clone())
                .collect(),
            password_in_connection_string: connection
                .variables
                .iter()
                .any(|v| v.field() == Some(Field::ConnectionString) && v.entry.carries_password),
        })
    }

    /// The variable holding `field`; `_USER` and `_USERNAME` stand for each other, as do
    /// `_DATABASE` and `_NAME`.
    pub fn name(&self, field: Field) -> Option<&str> {
        let exact = self.variables.iter().find(|(f, _)| *f == field);
        let alias = || {
            let other = match field {
                Field::User => Field::Username,
                Field::Username => Field::User,
                Field::Database => Field::Name,
                Field::Name => Field::Database,
                _ => return None,
            };
            self.variables.iter().find(|(f, _)| *f == other)
        };
        exact.or_else(alias).map(|(_, name)| name.as_str())
    }

    /// The connection string variable, when this client type gets one.
    pub fn connection_string(&self) -> Option<&str> {
        self.name(Field::ConnectionString)
    }
}

/// One read the rule wants rewritten.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub language: Language,
    /// The whole reading expression (`os.environ["X"]`, `process.env.X`).
    pub expr: TextRange,
    /// The name inside it.
    pub name: TextRange,
    /// What the read variable holds.
    pub field: Field,
}

impl Site<'_> {
    fn expr_text(&self) -> &str {
        self.text.get(self.expr.start..self.expr.end).unwrap_or("")
    }

    /// How this file reads `name`: the same form as the read being rewritten when it has no
    /// default (`os.getenv("X")` stays `os.getenv(…)`), else the language's usual form.
    pub(crate) fn reader(&self, name: &str) -> String {
        let expr = self.expr_text();
        let (Some(before), Some(after)) = (
            self.text.get(self.expr.start..self.name.start),
            self.text.get(self.name.end..self.expr.end),
        ) else {
            return canonical_read(self.language, name);
        };
        let plain_suffix = after
            .chars()
            .all(|c| matches!(c, '"' | '\'' | ')' | ']' | '}'));
        if !expr.is_empty() && plain_suffix && before.len() < 80 && !before.contains('\n') {
            format!("{before}{name}{after}")
        } else {
            canonical_read(self.language, name)
        }
    }
}

/// The usual way a language reads an environment variable.
pub(crate) fn canonical_read(language: Language, name: &str) -> String {
    match language {
        Language::Python => format!("os.environ[\"{name}\"]"),
        Language::JavaScript => format!("process.env.{name}"),
        Language::Go => format!("os.Getenv(\"{name}\")"),
        Language::CSharp => format!("Environment.GetEnvironmentVariable(\"{name}\")"),
        Language::Java | Language::Kotlin => format!("System.getenv(\"{name}\")"),
        Language::Php => format!("getenv('{name}')"),
        Language::Ruby => format!("ENV.fetch(\"{name}\")"),
        Language::Shell | Language::Dockerfile | Language::Yaml | Language::Properties => {
            format!("${{{name}}}")
        }
    }
}

/// One edit of a rewrite, before it is tied to a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub range: TextRange,
    pub text: String,
}

impl Edit {
    pub(crate) fn new(range: TextRange, text: impl Into<String>) -> Self {
        Self {
            range,
            text: text.into(),
        }
    }
}

/// A rewrite as the language modules produce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewrite {
    pub title: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Rewrite {
    pub(crate) fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self {
            title: title.into(),
            edits,
            applicability: Applicability::Unsafe,
        }
    }

    /// The missing reads added by `edits` (titled with the names `added`), or none when no
    /// edit could be made.
    pub(crate) fn reads(added: &[&str], edits: Vec<Edit>) -> Option<Self> {
        if edits.is_empty() {
            return None;
        }
        Some(Self::unsafe_(format!("Read {}", added.join(", ")), edits))
    }

    fn into_fix(self, path: &str) -> Fix {
        Fix {
            title: self.title,
            edits: self
                .edits
                .into_iter()
                .map(|edit| FileEdit::new(path, edit.range, edit.text))
                .collect(),
            applicability: self.applicability,
        }
    }
}

/// A file parsed once for all its rewrites (a file with many reads must not be parsed per read).
pub struct Source<'a> {
    path: &'a str,
    text: &'a str,
    language: Language,
    /// The tree the scan kept (the language server's open documents), else none.
    kept: Option<&'a crate::scan::SyntaxTree>,
    /// Parsed here on the first rewrite that needs it, when the scan kept none.
    tree: Option<crate::scan::SyntaxTree>,
    /// Rewrites produced so far: past [`MAX_REWRITES_PER_FILE`], reads get no construct search
    /// (the walk up the tree is not free, and no real file has that many wrong reads).
    used: usize,
}

const MAX_REWRITES_PER_FILE: usize = 64;

impl<'a> Source<'a> {
    pub fn new(path: &'a str, text: &'a str, language: Language) -> Self {
        Self {
            path,
            text,
            language,
            kept: None,
            tree: None,
            used: 0,
        }
    }

    /// Uses the syntax tree the scan parsed for this text (`analysis::File::tree`) instead of
    /// parsing the file again.
    pub fn with_tree(mut self, tree: Option<&'a crate::scan::SyntaxTree>) -> Self {
        self.kept = tree;
        self
    }

    fn tree(&mut self) -> Option<&crate::scan::SyntaxTree> {
        if let Some(kept) = self.kept {
            return Some(kept);
        }
        // Files the scanner reads without a tree (bundles, generated data) get no construct
        // rewrites either: a parse of megabytes for a quick fix is not worth its memory.
        if self.tree.is_none()
            && crate::scan::gets_tree(self.text)
            && matches!(self.language, Language::Python | Language::JavaScript)
        {
            self.tree = tree::parse(self.path, self.language, self.text)
                .map(crate::scan::SyntaxTree::whole);
        }
        self.tree.as_ref()
    }

    pub fn site(&self, expr: TextRange, name: TextRange, field: Field) -> Site<'a> {
        Site {
            path: self.path,
            text: self.text,
            language: self.language,
            expr,
            name,
            field,
        }
    }

    fn budget(&mut self) -> bool {
        self.used += 1;
        self.used <= MAX_REWRITES_PER_FILE
    }

    /// `wrong-client-type-variable`: the read of a variable this client type does not get,
    /// rewritten into what it gets. `reads` are every Service Connector read of the file (a
    /// construct's arguments that read one are replaced with it).
    pub fn wrong_read(
        &mut self,
        site: Site<'_>,
        wiring: &Wiring,
        reads: &[TextRange],
    ) -> Option<Fix> {
        if !self.budget()
            || (site.field == Field::Password
                && wiring.connection_string().is_some()
                && !wiring.password_in_connection_string)
        {
            return None;
        }
        let rewrite = match site.language {
            Language::JavaScript => {
                let tree = self.tree()?;
                javascript::wrong_read(tree, &site, wiring)
            }
            Language::Python => {
                let tree = self.tree()?;
                python::wrong_read(tree, &site, wiring, reads)
            }
            Language::CSharp => dotnet::wrong_read(&site, wiring),
            Language::Java | Language::Kotlin => java::wrong_read(&site, wiring),
            Language::Go => go::wrong_read(&site, wiring),
            Language::Php => php::wrong_read(&site, wiring),
            Language::Ruby => ruby::wrong_read(&site, wiring),
            Language::Shell | Language::Dockerfile => shell::wrong_read(&site, wiring),
            Language::Properties | Language::Yaml => spring::wrong_read(&site, wiring),
        }?;
        Some(rewrite.into_fix(self.path))
    }

    /// `incomplete-variable-set`: the reads of `missing` added beside the reads in `present`.
    pub fn missing_reads(
        &mut self,
        present: &[Site<'_>],
        missing: &[(Field, &str)],
    ) -> Option<Fix> {
        if !self.budget() {
            return None;
        }
        let text = self.text;
        let rewrite = match self.language {
            Language::JavaScript => {
                let tree = self.tree()?;
                javascript::missing_reads(tree, text, present, missing)
            }
            Language::Python => {
                let tree = self.tree()?;
                python::missing_reads(tree, text, present, missing)
            }
            _ => None,
        }?;
        Some(rewrite.into_fix(self.path))
    }

    /// `manual-connection-string-parsing`: the hand split at `split` (a call whose receiver is
    /// the connection string) replaced with the driver's parser.
    pub fn hand_parse(
        &mut self,
        split: TextRange,
        receiver: TextRange,
        client: Option<ClientType>,
    ) -> Option<Fix> {
        if !self.budget() {
            return None;
        }
        let text = self.text;
        let rewrite = match self.language {
            Language::Python => {
                let tree = self.tree()?;
                python::hand_parse(tree, text, split, receiver)
            }
            Language::JavaScript => {
                let tree = self.tree()?;
                javascript::hand_parse(tree, text, split, receiver)
            }
            Language::CSharp => dotnet::hand_parse(self.text, split, receiver),
            Language::Go => go::hand_parse(self.text, split, receiver),
            Language::Php => php::hand_parse(self.text, split, receiver, client),
            Language::Ruby => ruby::hand_parse(self.text, split, receiver),
            _ => None,
        }?;
        Some(rewrite.into_fix(self.path))
    }
}

/// The lines to append to a .env file so it names every missing key, values as placeholders
/// (never a secret: the user fills them in).
pub fn env_placeholders(env_text: &str, missing: &[(Field, &str)]) -> String {
    let mut out = String::new();
    if !env_text.is_empty() && !env_text.ends_with('\n') {
        out.push('\n');
    }
    for (field, name) in missing {
        out.push_str(&format!("{name}={}\n", placeholder(*field)));
    }
    out
}

/// A placeholder value for a .env key: what Service Connector would set, in angle brackets where
/// only the user knows it.
pub fn placeholder(field: Field) -> &'static str {
    match field {
        Field::Ssl => "true",
        Field::Port => "5432",
        Field::Host => "<host>",
        Field::User | Field::Username => "<user>",
        Field::Password => "<password>",
        Field::Database | Field::Name => "<database>",
        Field::ClientId => "<client-id>",
        Field::TenantId => "<tenant-id>",
        Field::ClientSecret => "<client-secret>",
        Field::ConnectionString => "<connection-string>",
    }
}

/// Entries (`key: value`) appended after the last element of an object literal or dict that
/// ends at `last_end` (the last element starting at `last_start`), one a line at its
/// indentation, commas as the container already uses them.
pub(crate) fn append_entries(
    text: &str,
    last_start: usize,
    last_end: usize,
    entries: &[String],
) -> Option<Edit> {
    if entries.is_empty() {
        return None;
    }
    let indent = indent_at(text, last_start);
    let after = text.get(last_end..)?;
    let comma = after.trim_start().starts_with(',');
    let at = if comma {
        last_end + after.find(',').map_or(0, |i| i + 1)
    } else {
        last_end
    };
    let mut insert = String::new();
    for (index, entry) in entries.iter().enumerate() {
        let lead = if index == 0 && !comma { "," } else { "" };
        let trail = if comma || index + 1 < entries.len() {
            ","
        } else {
            ""
        };
        insert.push_str(&format!("{lead}\n{indent}{entry}{trail}"));
    }
    Some(Edit::new(TextRange::new(at, at), insert))
}

/// The line's leading whitespace at `offset`.
pub(crate) fn indent_at(text: &str, offset: usize) -> &str {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |at| at + 1);
    let line = &text[start..];
    let end = line
        .find(|c: char| c != ' ' && c != '\t')
        .unwrap_or(line.len());
    &line[..end]
}

/// The libpq keyword for a component field.
pub(crate) fn libpq_key(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::Host => "host",
        Field::Port => "port",
        Field::User | Field::Username => "user",
        Field::Password => "password",
        Field::Database | Field::Name => "dbname",
        _ => return None,
    })
}

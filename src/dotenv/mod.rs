//! `.env` files read exactly as dotenvy 0.15 reads them, with the byte range of every key,
//! value, comment and mistake.
//!
//! What this is for: rules need the values a loader would see (unquoted, unescaped,
//! interpolated) and the places they came from, to point at a key, replace a value, delete an
//! entry or append one. dotenvy is the reference loader, and it reads a file in two stages that
//! do not always agree: a line reader that keeps joining physical lines while it thinks a quote
//! is open, then a line parser. This module re-implements both stages step by step while tracking
//! offsets, so its entries match dotenvy's even on odd inputs; where dotenvy fails it reports an
//! [`EnvSyntaxError`] with a fix, and where dotenvy silently does something surprising (a quote
//! in a comment swallowing the next lines, a forgotten closing quote closed by a later entry's
//! quote) it mirrors dotenvy *and* reports an error that explains what happened.
//!
//! What this is not for: it reads no files and no process environment (`$VAR` resolves only
//! keys defined earlier in the same file), it loads nothing, and it does not model other
//! loaders' dialects (python-dotenv, Node's dotenv, docker compose), which agree with dotenvy on
//! the common subset that [`render_entry`] writes.
//!
//! Why hand-written: dotenvy's parser is private and returns only `(key, value)` pairs, without
//! positions; no maintained crate exposes a lossless .env syntax tree with dotenvy's semantics.
//! The tests compare this parser with dotenvy on hand-picked and generated files.
//!
//! Layout: this file holds the types, [`parse`] and [`is_valid_key`]; `reader` is dotenvy's line
//! reader (stage 1), `parser` its line parser (stage 2), `value` its value parser, `interpolation`
//! its `$VAR` substitution, `diagnostics` the errors and their wording, `render` writing entries
//! back, `loader` how other loaders read what dotenvy reads; tests sit beside each, and `tests`
//! holds the comparison with dotenvy on whole files.

mod diagnostics;
mod interpolation;
pub mod loader;
mod parser;
mod reader;
mod render;
#[cfg(test)]
mod tests;
mod value;

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::text::{LineIndex, TextRange};

use parser::Parser;
use reader::read_logical_line;
pub use render::{append_entry_edit, render_entry, render_value};

const BYTE_ORDER_MARK: char = '\u{FEFF}';

/// One parsed `.env` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvFile {
    /// Every definition in file order; a key defined twice appears twice.
    pub entries: Vec<EnvEntry>,
    /// Lines dotenvy rejects, and lines it reads in a way the author probably did not intend
    /// (see [`EnvSyntaxErrorKind::loader_rejects`]).
    pub errors: Vec<EnvSyntaxError>,
    /// Full-line comments (inline comments are on their entry, [`EnvEntry::comment_range`]).
    pub comments: Vec<EnvComment>,
    /// The file starts with a UTF-8 byte order mark. dotenvy's loaders skip it (its
    /// `from_read_iter` does not, and rejects the first line); all ranges count it.
    pub has_bom: bool,
    /// The terminator of the file's first line, used for lines we add.
    pub line_ending: LineEnding,
}

impl EnvFile {
    /// The definition a loader that lets later lines override earlier ones ends up with
    /// (dotenvy's `*_override` functions, python-dotenv, Node's dotenv, docker compose).
    /// dotenvy's plain `dotenv()` keeps the *first* definition instead; [`EnvFile::definitions`]
    /// gives all of them.
    pub fn get(&self, key: &str) -> Option<&EnvEntry> {
        self.entries.iter().rev().find(|entry| entry.key == key)
    }

    /// Every definition of `key`, in file order.
    pub fn definitions<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a EnvEntry> + 'a {
        self.entries.iter().filter(move |entry| entry.key == key)
    }
}

/// The line terminator a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum LineEnding {
    #[default]
    Lf,
    CrLf,
}

impl LineEnding {
    /// The first line terminator in `text` decides; a file without one counts as LF.
    pub fn detect(text: &str) -> Self {
        match memchr::memchr(b'\n', text.as_bytes()) {
            Some(newline) if newline > 0 && text.as_bytes().get(newline - 1) == Some(&b'\r') => {
                LineEnding::CrLf
            }
            _ => LineEnding::Lf,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

/// How a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Quote {
    /// `KEY=value`: escapes and `$VAR` apply, whitespace ends the value.
    None,
    /// `KEY='value'`: taken literally.
    Single,
    /// `KEY="value"`: escapes (`\n \\ \" \' \$ \ `) and `$VAR` apply.
    Double,
    /// Quoted and unquoted pieces glued together, such as `"a"b` or `a'b c'`; dotenvy
    /// concatenates them, most other loaders do not.
    Mixed,
}

/// One `KEY=value` definition.
///
/// `Debug` and `Serialize` leave the value out: .env files hold passwords.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct EnvEntry {
    pub key: String,
    /// The key only.
    pub key_range: TextRange,
    /// The value as dotenvy hands it to the program: unquoted, unescaped, interpolated.
    #[serde(skip)]
    pub value: String,
    /// The value as written, quotes included; empty, right after `=`, for `KEY=`.
    pub value_range: TextRange,
    /// The value's content inside its quotes; equal to `value_range` unless `quote` is
    /// [`Quote::Single`] or [`Quote::Double`].
    pub inner_range: TextRange,
    pub quote: Quote,
    /// The line starts with `export `.
    pub exported: bool,
    /// The `export` keyword, when present.
    pub export_range: Option<TextRange>,
    /// The `=` sign; whitespace between it and the key or value is allowed by dotenvy.
    pub equals_range: TextRange,
    /// An inline comment after the value, from its `#` to the end of the entry.
    pub comment_range: Option<TextRange>,
    /// 0-based line where the entry starts.
    pub line: usize,
    /// From the start of the entry's first line (leading whitespace and `export` included) to
    /// the end of its last line (value and comment included), without the line terminator.
    pub entry_range: TextRange,
    /// `entry_range` plus its line terminator: what to delete to remove the entry.
    pub full_line_range: TextRange,
    /// Names substituted through `${VAR}` or `$VAR`, each once, in order of first use.
    pub interpolated: Vec<String>,
    /// Every `${VAR}` / `$VAR` occurrence, with its range.
    pub references: Vec<VariableReference>,
}

impl fmt::Debug for EnvEntry {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("EnvEntry")
            .field("key", &self.key)
            .field("key_range", &self.key_range)
            .field(
                "value",
                &format_args!("<{} bytes redacted>", self.value.len()),
            )
            .field("value_range", &self.value_range)
            .field("inner_range", &self.inner_range)
            .field("quote", &self.quote)
            .field("exported", &self.exported)
            .field("line", &self.line)
            .field("entry_range", &self.entry_range)
            .field("full_line_range", &self.full_line_range)
            .field("interpolated", &self.interpolated)
            .finish_non_exhaustive()
    }
}

/// One `${NAME}` or `$NAME` inside a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableReference {
    pub name: String,
    /// From the `$` to the end of the name or the closing `}`.
    pub range: TextRange,
    /// The name is a key defined on an earlier line of the same file. dotenvy would consult the
    /// process environment first; this parser never does, so an undefined name reads as empty.
    pub defined_earlier: bool,
}

/// A full-line comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvComment {
    /// From the `#` to the end of the line, without the terminator.
    pub range: TextRange,
    pub line: usize,
}

/// A line dotenvy rejects or misreads, with a concrete way to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct EnvSyntaxError {
    pub kind: EnvSyntaxErrorKind,
    pub range: TextRange,
    /// 0-based line of `range.start`.
    pub line: usize,
    pub message: String,
    pub help: String,
}

/// What went wrong on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EnvSyntaxErrorKind {
    /// The line starts with something that cannot start a key (`=value`, `1KEY=`, `"KEY"=`).
    InvalidKeyStart,
    /// A character a key cannot hold, before the `=` (`MY-KEY=1`, `MY KEY=1`).
    InvalidKeyCharacter,
    /// No `=` after the key (`KEY`, `KEY value`).
    MissingEquals,
    /// A quote that is never closed.
    UnterminatedQuote,
    /// `"$NAME"`: dotenvy takes the `"` right after a `$NAME` as a literal character, so the
    /// double quote never closes.
    QuoteClosedByVariable,
    /// A backslash escape dotenvy does not know (`\t`, `\r`, `\x41`, ...).
    InvalidEscape,
    /// Text after the value that is not a comment (`KEY=a b`, `KEY="a" b`).
    TextAfterValue,
    /// `${NAME` without its `}`.
    UnterminatedVariable,
    /// The file's last line ends in whitespace and has no line terminator, which dotenvy
    /// rejects.
    TrailingWhitespaceAtEndOfFile,
    /// The file's last line ends in a backslash and has no line terminator, which dotenvy
    /// rejects.
    TrailingBackslashAtEndOfFile,
    /// dotenvy accepts the line, but a quote outside the value (usually in a comment) made it
    /// read the following lines as part of this one, so their entries are lost.
    QuoteJoinsFollowingLines,
    /// dotenvy accepts the line, but reads `$NEON_HOST` as `$NEON` followed by the text
    /// `_HOST`: a bare name stops at the first character that is not alphanumeric. Other
    /// loaders (docker compose, dotenv-expand) read the whole name.
    BareVariableNameCut,
    /// dotenvy accepts the line, but a quoted value runs over lines that look like entries of
    /// their own: most likely a closing quote is missing.
    QuotedValueSwallowsEntries,
    /// The file's `${NAME}` / `$NAME` references expand to more than [`EXPANSION_BUDGET`]
    /// bytes in all: from this reference on, neon-lsp reads references as empty. Reported
    /// once per file. Loaders expand them all; this is neon-lsp's own limit.
    ExpansionLimit,
}

/// The most text `${NAME}` / `$NAME` substitution produces in one file (1 MiB): a chain of
/// values that each reference the previous one twice grows exponentially.
pub const EXPANSION_BUDGET: usize = 1 << 20;

impl EnvSyntaxErrorKind {
    /// dotenvy reports an error for this line (its loaders stop there). The other kinds are
    /// read without complaint, but not the way the file looks.
    pub const fn loader_rejects(self) -> bool {
        !matches!(
            self,
            EnvSyntaxErrorKind::QuoteJoinsFollowingLines
                | EnvSyntaxErrorKind::QuotedValueSwallowsEntries
                | EnvSyntaxErrorKind::BareVariableNameCut
                | EnvSyntaxErrorKind::ExpansionLimit
        )
    }
}

/// Parses `text` the way dotenvy 0.15 does. Never fails: problems become [`EnvFile::errors`]
/// and parsing goes on with the next line dotenvy would read.
pub fn parse(text: &str) -> EnvFile {
    let has_bom = text.starts_with(BYTE_ORDER_MARK);
    let mut parser = Parser {
        text,
        line_index: LineIndex::new(text),
        defined: HashMap::new(),
        expanded: Cell::new(0),
        expansion_stopped_at: Cell::new(None),
        file: EnvFile {
            entries: Vec::new(),
            errors: Vec::new(),
            comments: Vec::new(),
            has_bom,
            line_ending: LineEnding::detect(text),
        },
    };
    let mut position = if has_bom {
        BYTE_ORDER_MARK.len_utf8()
    } else {
        0
    };
    while let Some(logical) = read_logical_line(text, position) {
        position = logical.full_end;
        parser.handle(&logical);
    }
    if let Some(range) = parser.expansion_stopped_at.get() {
        let error = EnvSyntaxError {
            kind: EnvSyntaxErrorKind::ExpansionLimit,
            range,
            line: parser.line_of(range.start),
            message: format!(
                "variable references in this file expand to more than {} MiB of text; from \
                 this reference on neon-lsp reads them as empty, so values built from them \
                 are not checked",
                EXPANSION_BUDGET >> 20
            ),
            help: "references that repeat a long value, or build each value from the previous \
                   one twice, make every loader hold that much text: write the values out"
                .to_owned(),
        };
        // Errors are in file order.
        let at = parser
            .file
            .errors
            .partition_point(|other| other.range.start <= range.start);
        parser.file.errors.insert(at, error);
    }
    parser.file
}

/// Whether dotenvy accepts `key` as written (`[A-Za-z_][A-Za-z0-9_.]*`).
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(is_key_char)
}

fn is_key_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_' || character == '.'
}

fn slice(text: &str, range: TextRange) -> &str {
    text.get(range.start..range.end).unwrap_or("")
}

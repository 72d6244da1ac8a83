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

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::text::{LineIndex, TextRange};

pub mod loader;

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
}

impl EnvSyntaxErrorKind {
    /// dotenvy reports an error for this line (its loaders stop there). The other kinds are
    /// read without complaint, but not the way the file looks.
    pub const fn loader_rejects(self) -> bool {
        !matches!(
            self,
            EnvSyntaxErrorKind::QuoteJoinsFollowingLines
                | EnvSyntaxErrorKind::QuotedValueSwallowsEntries
                | EnvSyntaxErrorKind::BareVariableNameCut
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

/// `KEY=value`, quoted and escaped only when needed so that dotenvy reads back exactly `value`.
/// `key` is written as given; check it with [`is_valid_key`].
pub fn render_entry(key: &str, value: &str) -> String {
    format!("{key}={}", render_value(value))
}

/// The text to write after `=` so that dotenvy reads exactly `value`: bare when that is
/// unambiguous, else single quotes (literal, no `$` expansion), else double quotes with
/// escapes. A carriage return stays raw inside double quotes because dotenvy has no escape
/// for it.
pub fn render_value(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    if value.chars().all(is_plain_value_char) {
        return value.to_owned();
    }
    // In single quotes dotenvy's line reader still treats a backslash as escaping the next
    // character, so a trailing backslash would hide the closing quote.
    let single_quote_safe = !value.contains(['\'', '\n', '\r']) && !value.ends_with('\\');
    if single_quote_safe {
        return format!("'{value}'");
    }
    let mut rendered = String::with_capacity(value.len() + 2);
    rendered.push('"');
    for character in value.chars() {
        match character {
            '\\' => rendered.push_str("\\\\"),
            '"' => rendered.push_str("\\\""),
            '$' => rendered.push_str("\\$"),
            '\n' => rendered.push_str("\\n"),
            other => rendered.push(other),
        }
    }
    rendered.push('"');
    rendered
}

/// The edit that appends `KEY=value` as a new last line: an empty range at the end of `text`
/// and the text to insert there, starting with a line break when the file does not end with one
/// and using the file's own line ending.
pub fn append_entry_edit(text: &str, key: &str, value: &str) -> (TextRange, String) {
    let line_ending = LineEnding::detect(text).as_str();
    let body = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    let mut insertion = String::new();
    if !body.is_empty() && !body.ends_with('\n') {
        insertion.push_str(line_ending);
    }
    insertion.push_str(&render_entry(key, value));
    insertion.push_str(line_ending);
    (TextRange::empty(text.len()), insertion)
}

fn is_key_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_' || character == '.'
}

/// Characters that mean the same to every common loader when written without quotes.
fn is_plain_value_char(character: char) -> bool {
    !character.is_whitespace()
        && !character.is_control()
        && !matches!(character, '\'' | '"' | '\\' | '$' | '#' | '`')
}

fn slice(text: &str, range: TextRange) -> &str {
    text.get(range.start..range.end).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Stage 1: dotenvy's line reader (`QuotedLines` in dotenvy's iter.rs).
// ---------------------------------------------------------------------------------------------

/// The reader's state after a character, named as in dotenvy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderState {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    WhiteSpace,
}

/// What dotenvy's reader hands to its line parser, as ranges into the file.
#[derive(Debug)]
struct LogicalLine {
    /// First byte of the first physical line.
    start: usize,
    /// End of the last physical line, without its terminator.
    end: usize,
    /// End of the last physical line, with its terminator.
    full_end: usize,
    /// Where the quote that kept the first physical line open was opened, if it was.
    carried_quote: Option<usize>,
    outcome: ReaderOutcome,
}

#[derive(Debug)]
enum ReaderOutcome {
    /// The first non-blank character is `#`: dotenvy skips the line.
    FullLineComment,
    /// dotenvy parses `text[start..content_end]`; `comment_start` is set when the reader itself
    /// cut the line at a ` #` comment.
    Content {
        content_end: usize,
        comment_start: Option<usize>,
    },
    /// The file ended while the reader was still inside a quote, an escape or trailing
    /// whitespace; dotenvy reports an error for everything read.
    EndOfFile { state: ReaderState },
}

fn read_logical_line(text: &str, start: usize) -> Option<LogicalLine> {
    if start >= text.len() {
        return None;
    }
    let mut state = ReaderState::Complete;
    let mut read_end = start;
    let mut last_quote_opened: Option<usize> = None;
    let mut carried_quote: Option<usize> = None;
    let mut end = start;
    loop {
        if read_end >= text.len() {
            // `read_end > start` here: the first iteration always reads something.
            return Some(LogicalLine {
                start,
                end,
                full_end: text.len(),
                carried_quote,
                outcome: ReaderOutcome::EndOfFile { state },
            });
        }
        let physical_start = read_end;
        read_end = text
            .get(physical_start..)
            .and_then(|rest| memchr::memchr(b'\n', rest.as_bytes()))
            .map_or(text.len(), |newline| physical_start + newline + 1);
        end = without_terminator(text, physical_start, read_end);
        // dotenvy tests everything read so far, which can only start with `#` on the first
        // physical line.
        if slice(text, TextRange::new(start, read_end))
            .trim_start()
            .starts_with('#')
        {
            return Some(LogicalLine {
                start,
                end,
                full_end: read_end,
                carried_quote,
                outcome: ReaderOutcome::FullLineComment,
            });
        }
        let physical = slice(text, TextRange::new(physical_start, read_end));
        for (offset, character) in physical.char_indices() {
            let at = physical_start + offset;
            state = match state {
                ReaderState::WhiteSpace => match character {
                    '#' => {
                        return Some(LogicalLine {
                            start,
                            end,
                            full_end: read_end,
                            carried_quote,
                            outcome: ReaderOutcome::Content {
                                content_end: at,
                                comment_start: Some(at),
                            },
                        });
                    }
                    '\\' => ReaderState::Escape,
                    '"' => {
                        last_quote_opened = Some(at);
                        ReaderState::WeakOpen
                    }
                    '\'' => {
                        last_quote_opened = Some(at);
                        ReaderState::StrongOpen
                    }
                    // Whitespace right after whitespace goes back to `Complete`, so dotenvy's
                    // reader sees ` #` but not `  #` as a comment.
                    _ => ReaderState::Complete,
                },
                ReaderState::Escape => ReaderState::Complete,
                ReaderState::Complete => match character {
                    c if c.is_whitespace() && c != '\n' && c != '\r' => ReaderState::WhiteSpace,
                    '\\' => ReaderState::Escape,
                    '"' => {
                        last_quote_opened = Some(at);
                        ReaderState::WeakOpen
                    }
                    '\'' => {
                        last_quote_opened = Some(at);
                        ReaderState::StrongOpen
                    }
                    _ => ReaderState::Complete,
                },
                ReaderState::WeakOpen => match character {
                    '\\' => ReaderState::WeakOpenEscape,
                    '"' => ReaderState::Complete,
                    _ => ReaderState::WeakOpen,
                },
                ReaderState::WeakOpenEscape => ReaderState::WeakOpen,
                ReaderState::StrongOpen => match character {
                    '\\' => ReaderState::StrongOpenEscape,
                    '\'' => ReaderState::Complete,
                    _ => ReaderState::StrongOpen,
                },
                ReaderState::StrongOpenEscape => ReaderState::StrongOpen,
            };
        }
        if state == ReaderState::Complete {
            let content_end = without_terminator(text, physical_start, read_end);
            return Some(LogicalLine {
                start,
                end,
                full_end: read_end,
                carried_quote,
                outcome: ReaderOutcome::Content {
                    content_end,
                    comment_start: None,
                },
            });
        }
        if carried_quote.is_none() {
            carried_quote = last_quote_opened;
        }
    }
}

/// The end of a physical line `[start, end)` without its `\n` or `\r\n`.
fn without_terminator(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut trimmed = end;
    if trimmed > start && bytes.get(trimmed - 1) == Some(&b'\n') {
        trimmed -= 1;
        if trimmed > start && bytes.get(trimmed - 1) == Some(&b'\r') {
            trimmed -= 1;
        }
    }
    trimmed
}

// ---------------------------------------------------------------------------------------------
// Stage 2: dotenvy's line and value parser (`LineParser` and `parse_value` in parse.rs).
// ---------------------------------------------------------------------------------------------

struct Parser<'a> {
    text: &'a str,
    line_index: LineIndex,
    /// What dotenvy's substitution can see: keys defined so far, `None` for `KEY=`.
    defined: HashMap<String, Option<String>>,
    file: EnvFile,
}

/// A key as written, with its absolute range.
struct KeyToken {
    name: String,
    range: TextRange,
}

/// A line that dotenvy rejects, before line numbers and joined-line notes are added.
struct LineError {
    kind: EnvSyntaxErrorKind,
    range: TextRange,
    message: String,
    help: String,
}

impl LineError {
    fn new(
        kind: EnvSyntaxErrorKind,
        range: TextRange,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            range,
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Walks one logical line the way dotenvy's `LineParser` does.
struct LineCursor<'a> {
    /// The logical line with trailing whitespace trimmed, as dotenvy parses it.
    line: &'a str,
    /// Absolute offset of `line`.
    base: usize,
    position: usize,
}

impl<'a> LineCursor<'a> {
    fn rest(&self) -> &'a str {
        self.line.get(self.position..).unwrap_or("")
    }

    fn absolute(&self) -> usize {
        self.base + self.position
    }

    /// Skips Unicode whitespace, as `str::find(|c| !c.is_whitespace())` does in dotenvy.
    fn skip_whitespace(&mut self) -> bool {
        let rest = self.rest();
        let skipped = rest.len() - rest.trim_start().len();
        self.position += skipped;
        skipped > 0
    }

    fn parse_key(&mut self) -> Option<KeyToken> {
        let rest = self.rest();
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        let length = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
        let start = self.absolute();
        self.position += length;
        Some(KeyToken {
            name: rest.get(..length).unwrap_or("").to_owned(),
            range: TextRange::new(start, start + length),
        })
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.rest().starts_with(expected) {
            self.position += expected.len_utf8();
            true
        } else {
            false
        }
    }
}

/// The result of dotenvy's `parse_value` on one value, with positions.
struct ScannedValue {
    value: String,
    /// Where the value as written ends (relative to the value's start).
    written_end: usize,
    quote: Quote,
    /// Inside the quotes, relative to the value's start.
    inner: (usize, usize),
    comment_start: Option<usize>,
    references: Vec<VariableReference>,
    /// Line feeds dotenvy read inside quotes, as part of the value.
    quoted_line_feeds: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Substitution {
    None,
    /// After `$`, collecting an alphanumeric name.
    Bare,
    /// After `${`, collecting everything up to `}`.
    Braced,
}

impl Parser<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.line_index.line_of(offset)
    }

    fn handle(&mut self, logical: &LogicalLine) {
        match logical.outcome {
            ReaderOutcome::FullLineComment => {
                let line = slice(self.text, TextRange::new(logical.start, logical.end));
                let hash = logical.start + (line.len() - line.trim_start().len());
                self.file.comments.push(EnvComment {
                    range: TextRange::new(hash, logical.end),
                    line: self.line_of(hash),
                });
            }
            ReaderOutcome::EndOfFile { state } => {
                let error = self.end_of_file_error(logical, state);
                self.push_error(logical, error, false);
            }
            ReaderOutcome::Content {
                content_end,
                comment_start,
            } => match self.parse_line(logical, content_end, comment_start) {
                Ok(Some((entry, quoted_line_feeds))) => {
                    self.check_joined_lines(logical, content_end, &entry, quoted_line_feeds);
                    self.check_bare_references(&entry);
                    self.file.entries.push(entry);
                }
                Ok(None) => {}
                Err(error) => self.push_error(logical, error, true),
            },
        }
    }

    fn push_error(&mut self, logical: &LogicalLine, error: LineError, note_joined_lines: bool) {
        let mut message = error.message;
        let first_line = self.line_of(logical.start);
        let last_line = self.line_of(logical.end);
        if note_joined_lines && last_line > first_line && error.kind.loader_rejects() {
            message.push_str(&format!(
                " (dotenvy reads lines {}–{} as this one line, because of an open quote, and \
                 rejects all of them)",
                first_line + 1,
                last_line + 1
            ));
        }
        self.file.errors.push(EnvSyntaxError {
            kind: error.kind,
            range: error.range,
            line: self.line_of(error.range.start),
            message,
            help: error.help,
        });
    }

    fn end_of_file_error(&self, logical: &LogicalLine, state: ReaderState) -> LineError {
        let last_char_start = self
            .text
            .char_indices()
            .next_back()
            .map_or(logical.start, |(offset, _)| offset);
        let last_char = TextRange::new(last_char_start, self.text.len());
        match state {
            ReaderState::WhiteSpace => LineError::new(
                EnvSyntaxErrorKind::TrailingWhitespaceAtEndOfFile,
                last_char,
                "dotenvy rejects a last line that ends in whitespace without a line break",
                "remove the trailing whitespace or end the file with a line break",
            ),
            ReaderState::Escape => LineError::new(
                EnvSyntaxErrorKind::TrailingBackslashAtEndOfFile,
                last_char,
                "dotenvy rejects a last line that ends in `\\` without a line break",
                "remove the trailing `\\` or end the file with a line break",
            ),
            _ => {
                let opened_at = logical.carried_quote.unwrap_or(logical.start);
                let quote = self
                    .text
                    .get(opened_at..)
                    .and_then(|rest| rest.chars().next());
                let quote = match quote {
                    Some(quote @ ('"' | '\'')) => quote,
                    _ if matches!(
                        state,
                        ReaderState::StrongOpen | ReaderState::StrongOpenEscape
                    ) =>
                    {
                        '\''
                    }
                    _ => '"',
                };
                let first_line = self.line_of(opened_at);
                let last_line = self.line_of(logical.end);
                let reach = if last_line > first_line {
                    format!(
                        "dotenvy reads from here to the end of the file (lines {}–{}) as one \
                         value and rejects it",
                        first_line + 1,
                        last_line + 1
                    )
                } else {
                    "dotenvy rejects the line".to_owned()
                };
                LineError::new(
                    EnvSyntaxErrorKind::UnterminatedQuote,
                    TextRange::new(opened_at, opened_at + quote.len_utf8()),
                    format!("unterminated `{quote}`: {reach}"),
                    format!("add a closing `{quote}` at the end of the value"),
                )
            }
        }
    }

    /// dotenvy's `LineParser::parse_line`; `Ok(None)` for blank lines. Also returns how many line
    /// feeds the value read inside quotes, for [`Parser::check_joined_lines`].
    fn parse_line(
        &mut self,
        logical: &LogicalLine,
        content_end: usize,
        reader_comment: Option<usize>,
    ) -> Result<Option<(EnvEntry, usize)>, LineError> {
        let content = slice(self.text, TextRange::new(logical.start, content_end));
        let mut cursor = LineCursor {
            line: content.trim_end(),
            base: logical.start,
            position: 0,
        };
        cursor.skip_whitespace();
        if cursor.rest().is_empty() || cursor.rest().starts_with('#') {
            return Ok(None);
        }
        let Some(first_key) = cursor.parse_key() else {
            return Err(invalid_key_start(&cursor));
        };
        let whitespace_after_key = cursor.skip_whitespace();
        let (key, export_range) = if first_key.name == "export" && !cursor.rest().starts_with('=') {
            // `export` is either a prefix or itself a key (`export=1`).
            let Some(key) = cursor.parse_key() else {
                if cursor.rest().is_empty() {
                    return Err(LineError::new(
                        EnvSyntaxErrorKind::MissingEquals,
                        first_key.range,
                        "`export` without a `KEY=value` after it",
                        "write `export KEY=value`",
                    ));
                }
                return Err(invalid_key_start(&cursor));
            };
            let whitespace_after_key = cursor.skip_whitespace();
            if !cursor.rest().starts_with('=') {
                return Err(missing_equals(&cursor, &key, whitespace_after_key, true));
            }
            (key, Some(first_key.range))
        } else {
            (first_key, None)
        };
        let equals_start = cursor.absolute();
        if !cursor.eat('=') {
            return Err(missing_equals(&cursor, &key, whitespace_after_key, false));
        }
        let equals_range = TextRange::new(equals_start, cursor.absolute());
        cursor.skip_whitespace();
        let value_start = cursor.absolute();
        let has_value = !cursor.rest().is_empty() && !cursor.rest().starts_with('#');
        let (scanned, value_range, inner_range) = if has_value {
            let scanned = self.scan_value(cursor.rest(), value_start)?;
            let value_range = TextRange::new(value_start, value_start + scanned.written_end);
            let inner_range =
                TextRange::new(value_start + scanned.inner.0, value_start + scanned.inner.1);
            (scanned, value_range, inner_range)
        } else {
            let empty = ScannedValue {
                value: String::new(),
                written_end: 0,
                quote: Quote::None,
                inner: (0, 0),
                comment_start: cursor.rest().starts_with('#').then_some(0),
                references: Vec::new(),
                quoted_line_feeds: 0,
            };
            let right_after_equals = TextRange::empty(equals_range.end);
            (empty, right_after_equals, right_after_equals)
        };
        let comment_range = scanned
            .comment_start
            .map(|start| value_start + start)
            .or(reader_comment)
            .map(|start| TextRange::new(start, logical.end));
        let mut interpolated: Vec<String> = Vec::new();
        for reference in &scanned.references {
            if !interpolated.contains(&reference.name) {
                interpolated.push(reference.name.clone());
            }
        }
        // dotenvy remembers `KEY=` as "no value"; both read as empty when substituted.
        self.defined
            .insert(key.name.clone(), has_value.then(|| scanned.value.clone()));
        let entry = EnvEntry {
            line: self.line_of(key.range.start),
            key: key.name,
            key_range: key.range,
            value: scanned.value,
            value_range,
            inner_range,
            quote: scanned.quote,
            exported: export_range.is_some(),
            export_range,
            equals_range,
            comment_range,
            entry_range: TextRange::new(logical.start, logical.end),
            full_line_range: TextRange::new(logical.start, logical.full_end),
            interpolated,
            references: scanned.references,
        };
        Ok(Some((entry, scanned.quoted_line_feeds)))
    }
}

fn invalid_key_start(cursor: &LineCursor<'_>) -> LineError {
    let at = cursor.absolute();
    let character = cursor.rest().chars().next().unwrap_or('=');
    let range = TextRange::new(at, at + character.len_utf8());
    let message = if character == '=' {
        "`=` without a key before it".to_owned()
    } else {
        format!("a key cannot start with `{}`", character.escape_debug())
    };
    LineError::new(
        EnvSyntaxErrorKind::InvalidKeyStart,
        range,
        message,
        "write `KEY=value`, with a key that starts with a letter or `_` and holds only letters, \
         digits, `_` and `.`",
    )
}

fn missing_equals(
    cursor: &LineCursor<'_>,
    key: &KeyToken,
    whitespace_after_key: bool,
    exported: bool,
) -> LineError {
    let rest = cursor.rest();
    let export = if exported { "export " } else { "" };
    if rest.is_empty() {
        return LineError::new(
            EnvSyntaxErrorKind::MissingEquals,
            key.range,
            format!("`{}` has no `=` and no value", key.name),
            format!(
                "write `{export}{}=value` (or `{export}{}=` for an empty value)",
                key.name, key.name
            ),
        );
    }
    let at = cursor.absolute();
    let character = rest.chars().next().unwrap_or(' ');
    let equals_later = rest.find('=');
    let written_key = equals_later
        .and_then(|equals| rest.get(..equals))
        .map(str::trim_end);
    match written_key {
        Some(written_key) if !written_key.contains(['"', '\'']) => {
            let suggestion: String = key
                .name
                .chars()
                .chain(if whitespace_after_key {
                    Some('_')
                } else {
                    None
                })
                .chain(
                    written_key
                        .chars()
                        .map(|c| if is_key_char(c) { c } else { '_' }),
                )
                .collect();
            let message = if whitespace_after_key {
                format!(
                    "a key cannot contain spaces: `{}` is followed by more text before `=`",
                    key.name
                )
            } else {
                format!("a key cannot contain `{}`", character.escape_debug())
            };
            LineError::new(
                EnvSyntaxErrorKind::InvalidKeyCharacter,
                TextRange::new(at, at + written_key.len().max(character.len_utf8())),
                message,
                format!(
                    "keys hold only letters, digits, `_` and `.`; rename it, for example to `{suggestion}`"
                ),
            )
        }
        _ => LineError::new(
            EnvSyntaxErrorKind::MissingEquals,
            TextRange::new(key.range.start, cursor.base + cursor.line.len()),
            format!("`{}` is not followed by `=`", key.name),
            format!("write `{export}{}=value`", key.name),
        ),
    }
}

impl Parser<'_> {
    /// dotenvy's `parse_value` on `input` (the trimmed rest of the line after `=` and any
    /// whitespace), which starts at absolute offset `base`.
    fn scan_value(&self, input: &str, base: usize) -> Result<ScannedValue, LineError> {
        let at = |start: usize, end: usize| TextRange::new(base + start, base + end);
        let mut strong_quote = false;
        let mut weak_quote = false;
        let mut escape_started_at: Option<usize> = None;
        let mut expecting_end = false;
        let mut written_end: Option<usize> = None;
        let mut comment_start: Option<usize> = None;
        let mut output = String::new();
        let mut substitution = Substitution::None;
        let mut name = String::new();
        let mut name_start = 0;
        let mut references = Vec::new();
        let mut delimiters: Vec<usize> = Vec::new();
        let mut open_quote_at = 0;
        // The `$NAME"` that swallowed a closing quote, and whether NAME was empty.
        let mut quote_taken_by_variable: Option<(TextRange, bool)> = None;
        let mut quoted_line_feeds = 0;

        for (index, character) in input.char_indices() {
            if character == '\n' && (strong_quote || weak_quote) {
                quoted_line_feeds += 1;
            }
            if expecting_end {
                match character {
                    ' ' | '\t' => continue,
                    '#' => {
                        comment_start = Some(index);
                        break;
                    }
                    _ => {
                        let after_quote = written_end
                            .zip(delimiters.last())
                            .is_some_and(|(end, last)| last + 1 == end);
                        return Err(text_after_value(at(index, input.len()), after_quote));
                    }
                }
            } else if let Some(backslash) = escape_started_at {
                match character {
                    '\\' | '\'' | '"' | '$' | ' ' => output.push(character),
                    'n' => output.push('\n'),
                    _ => {
                        return Err(invalid_escape(
                            at(backslash, index + character.len_utf8()),
                            character,
                        ));
                    }
                }
                escape_started_at = None;
            } else if strong_quote {
                if character == '\'' {
                    strong_quote = false;
                    delimiters.push(index);
                } else {
                    output.push(character);
                }
            } else if substitution != Substitution::None {
                if character.is_alphanumeric() {
                    name.push(character);
                } else if substitution == Substitution::Braced {
                    if character == '}' {
                        substitution = Substitution::None;
                        let range = at(name_start, index + 1);
                        self.substitute(&mut name, range, &mut output, &mut references);
                    } else {
                        name.push(character);
                    }
                } else if character == '{' && name.is_empty() {
                    substitution = Substitution::Braced;
                } else {
                    let range = at(name_start, index);
                    let lone_dollar = name.is_empty();
                    self.substitute(&mut name, range, &mut output, &mut references);
                    if character == '$' {
                        name_start = index;
                    } else {
                        // dotenvy keeps any character that ends a bare name as a literal, even a
                        // closing double quote.
                        substitution = Substitution::None;
                        if character == '"' && weak_quote {
                            quote_taken_by_variable =
                                Some((at(name_start, index + 1), lone_dollar));
                        }
                        output.push(character);
                    }
                }
            } else if character == '$' {
                substitution = Substitution::Bare;
                name_start = index;
            } else if weak_quote {
                match character {
                    '"' => {
                        weak_quote = false;
                        delimiters.push(index);
                    }
                    '\\' => escape_started_at = Some(index),
                    _ => output.push(character),
                }
            } else {
                match character {
                    '\'' => {
                        strong_quote = true;
                        open_quote_at = index;
                        delimiters.push(index);
                    }
                    '"' => {
                        weak_quote = true;
                        open_quote_at = index;
                        delimiters.push(index);
                    }
                    '\\' => escape_started_at = Some(index),
                    ' ' | '\t' => {
                        expecting_end = true;
                        written_end = Some(index);
                    }
                    _ => output.push(character),
                }
            }
        }

        if substitution == Substitution::Braced {
            return Err(LineError::new(
                EnvSyntaxErrorKind::UnterminatedVariable,
                at(name_start, input.len()),
                "`${` without a closing `}`",
                "add `}` right after the variable name",
            ));
        }
        if strong_quote {
            let help = if input.contains("\\'") {
                "single-quoted values have no escapes, so `\\'` ends the quote: use double quotes \
                 (`\"…\\'…\"`), or add a closing `'`"
            } else {
                "add a closing `'` at the end of the value"
            };
            return Err(LineError::new(
                EnvSyntaxErrorKind::UnterminatedQuote,
                at(open_quote_at, open_quote_at + 1),
                "unterminated `'`",
                help,
            ));
        }
        if weak_quote {
            return Err(match quote_taken_by_variable {
                Some((range, lone_dollar)) => LineError::new(
                    EnvSyntaxErrorKind::QuoteClosedByVariable,
                    range,
                    "dotenvy reads the `\"` right after a `$NAME` (or a lone `$`) as a literal \
                     character, so the double quote is never closed",
                    if lone_dollar {
                        "write the `$` as `\\$`"
                    } else {
                        "write the variable as `${NAME}`"
                    },
                ),
                None => LineError::new(
                    EnvSyntaxErrorKind::UnterminatedQuote,
                    at(open_quote_at, open_quote_at + 1),
                    "unterminated `\"`",
                    "add a closing `\"` at the end of the value",
                ),
            });
        }
        let range = at(name_start, input.len());
        self.substitute(&mut name, range, &mut output, &mut references);

        let written_end = written_end.unwrap_or(input.len());
        let (quote, inner) = match delimiters.as_slice() {
            [] => (Quote::None, (0, written_end)),
            [0, close] if close + 1 == written_end => {
                let quote = if input.starts_with('"') {
                    Quote::Double
                } else {
                    Quote::Single
                };
                (quote, (1, *close))
            }
            _ => (Quote::Mixed, (0, written_end)),
        };
        Ok(ScannedValue {
            value: output,
            written_end,
            quote,
            inner,
            comment_start,
            references,
            quoted_line_feeds,
        })
    }

    /// dotenvy's `apply_substitution`, minus the process environment.
    fn substitute(
        &self,
        name: &mut String,
        range: TextRange,
        output: &mut String,
        references: &mut Vec<VariableReference>,
    ) {
        let name = std::mem::take(name);
        if name.is_empty() {
            return;
        }
        let definition = self.defined.get(&name);
        if let Some(Some(value)) = definition {
            output.push_str(value);
        }
        references.push(VariableReference {
            name,
            range,
            defined_earlier: definition.is_some(),
        });
    }

    /// Reports entries that dotenvy reads over several lines in a way the file does not show.
    fn check_joined_lines(
        &mut self,
        logical: &LogicalLine,
        content_end: usize,
        entry: &EnvEntry,
        quoted_line_feeds: usize,
    ) {
        let content = slice(self.text, TextRange::new(logical.start, content_end));
        let line_feeds = memchr::memchr_iter(b'\n', content.as_bytes()).count();
        if line_feeds == 0 {
            return;
        }
        let opened_at = logical.carried_quote.unwrap_or(entry.value_range.start);
        let quote = self
            .text
            .get(opened_at..)
            .and_then(|rest| rest.chars().next())
            .filter(|c| matches!(c, '"' | '\''))
            .unwrap_or('"');
        let quote_range = TextRange::new(opened_at, opened_at + quote.len_utf8());
        let first_line = self.line_of(logical.start);
        let last_line = self.line_of(logical.end);
        if quoted_line_feeds < line_feeds {
            let in_comment = entry
                .comment_range
                .is_some_and(|comment| comment.contains(opened_at));
            let help = if in_comment {
                format!(
                    "remove the `{quote}` from the comment, or move the comment to its own line"
                )
            } else {
                format!("close the `{quote}` on the same line, or escape it as `\\{quote}`")
            };
            let error = EnvSyntaxError {
                kind: EnvSyntaxErrorKind::QuoteJoinsFollowingLines,
                range: quote_range,
                line: self.line_of(opened_at),
                message: format!(
                    "this `{quote}` makes dotenvy read lines {}–{} as part of line {}; they are \
                     not in `{}`'s value either, so their entries are ignored",
                    first_line + 2,
                    last_line + 1,
                    first_line + 1,
                    entry.key
                ),
                help,
            };
            self.file.errors.push(error);
            return;
        }
        let written = slice(self.text, entry.value_range);
        let swallowed: Vec<&str> = written
            .split('\n')
            .skip(1)
            .filter_map(entry_key_on_line)
            .collect();
        if swallowed.is_empty() {
            return;
        }
        // Named by count, not by key: the swallowed "keys" are inside a value, which may be a
        // password spanning lines, and messages never quote text from a value.
        let keys = if swallowed.len() == 1 {
            "a line that looks like an entry".to_owned()
        } else {
            format!("{} lines that look like entries", swallowed.len())
        };
        self.file.errors.push(EnvSyntaxError {
            kind: EnvSyntaxErrorKind::QuotedValueSwallowsEntries,
            range: quote_range,
            line: self.line_of(opened_at),
            message: format!(
                "the `{quote}` opened here closes only on line {}, so dotenvy reads {keys} on lines \
                 {}–{} as part of `{}`'s value",
                last_line + 1,
                first_line + 2,
                last_line + 1,
                entry.key
            ),
            help: format!(
                "add the missing closing `{quote}` at the end of line {}",
                self.line_of(opened_at) + 1
            ),
        });
    }
}

impl Parser<'_> {
    /// Reports `$NAME_WITH_UNDERSCORES`, which dotenvy cuts at the first `_`.
    fn check_bare_references(&mut self, entry: &EnvEntry) {
        for reference in &entry.references {
            let braced = self
                .text
                .get(reference.range.start..)
                .is_some_and(|rest| rest.starts_with("${"));
            let after = self.text.get(reference.range.end..).unwrap_or("");
            if braced || !after.starts_with('_') {
                continue;
            }
            let rest_length = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let full_name = format!(
                "{}{}",
                reference.name,
                after.get(..rest_length).unwrap_or("")
            );
            let range = TextRange::new(reference.range.start, reference.range.end + rest_length);
            self.file.errors.push(EnvSyntaxError {
                kind: EnvSyntaxErrorKind::BareVariableNameCut,
                range,
                line: self.line_of(range.start),
                message: if crate::secrets::is_secret_key(&entry.key)
                    || entry.value.contains("://")
                    || entry.value.contains('=')
                {
                    // The `$` may be part of a password: describe, do not quote.
                    "dotenvy cuts a bare `$NAME` reference at the first `_`, so it reads a \
                     shorter name here than the one written"
                        .to_owned()
                } else {
                    format!(
                        "dotenvy reads `${full_name}` as `${}` followed by the text `{}`: a bare \
                         variable name ends at the first `_`",
                        reference.name,
                        after.get(..rest_length).unwrap_or("")
                    )
                },
                help: if crate::secrets::is_secret_key(&entry.key) {
                    "wrap the name in braces (`${NAME_WITH_UNDERSCORES}`), or escape the `$` as \
                     `\\$` if it is part of the value"
                        .to_owned()
                } else {
                    format!("write `${{{full_name}}}`")
                },
            });
        }
    }
}

/// The key of a line inside a multi-line value that looks like an entry of its own
/// (`NAME=...` with a conventional upper-case name). Base64 lines of certificates can end
/// in `=` too, so padding (`==`) and mixed-case names do not count.
fn entry_key_on_line(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let key_length = line
        .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(line.len());
    let key = line.get(..key_length)?;
    let after = line.get(key_length..)?;
    let starts_well = key.starts_with(|c: char| c.is_ascii_uppercase() || c == '_');
    (starts_well && after.starts_with('=') && !after.starts_with("==")).then_some(key)
}

fn text_after_value(range: TextRange, after_quote: bool) -> LineError {
    let (message, help) = if after_quote {
        (
            "text after the closing quote is neither part of the value nor a comment",
            "move the text inside the quotes, or start a comment with ` #`",
        )
    } else {
        (
            "an unquoted value ends at the first space; the text after it is not a comment",
            "put the whole value in double quotes (`KEY=\"… …\"`), or start a comment with ` #`",
        )
    };
    LineError::new(EnvSyntaxErrorKind::TextAfterValue, range, message, help)
}

fn invalid_escape(range: TextRange, character: char) -> LineError {
    LineError::new(
        EnvSyntaxErrorKind::InvalidEscape,
        range,
        format!(
            "dotenvy does not know the escape `\\{}`",
            character.escape_debug()
        ),
        "dotenvy understands only `\\n`, `\\\\`, `\\\"`, `\\'`, `\\$` and `\\ ` (space): write `\\\\` \
         for a backslash, or use single quotes for a literal value",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An entry (`Ok`) or a rejected line (`Err`), in file order, as dotenvy's iterator gives
    /// them. dotenvy's loaders skip a BOM but `from_read_iter` does not, so it gets the text
    /// without one.
    type Item = Result<(String, String), ()>;

    fn dotenvy_items(text: &str) -> Vec<Item> {
        let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
        dotenvy::from_read_iter(text.as_bytes())
            .map(|item| item.map_err(|_| ()))
            .collect()
    }

    fn our_items(file: &EnvFile) -> Vec<Item> {
        let mut items: Vec<(usize, Item)> = file
            .entries
            .iter()
            .map(|entry| {
                (
                    entry.entry_range.start,
                    Ok((entry.key.clone(), entry.value.clone())),
                )
            })
            .collect();
        items.extend(
            file.errors
                .iter()
                .filter(|error| error.kind.loader_rejects())
                .map(|error| (error.range.start, Err(()))),
        );
        items.sort_by_key(|(position, _)| *position);
        items.into_iter().map(|(_, item)| item).collect()
    }

    fn assert_range(text: &str, range: TextRange, what: &str) {
        assert!(
            range.start <= range.end && range.end <= text.len(),
            "{what} {range:?} out of text"
        );
        assert!(
            text.is_char_boundary(range.start),
            "{what} {range:?} starts inside a character"
        );
        assert!(
            text.is_char_boundary(range.end),
            "{what} {range:?} ends inside a character"
        );
    }

    /// Every range is inside the text, on character boundaries, and nested as documented.
    fn assert_positions(text: &str, file: &EnvFile) {
        for entry in &file.entries {
            for (range, what) in [
                (entry.key_range, "key"),
                (entry.value_range, "value"),
                (entry.inner_range, "inner"),
                (entry.equals_range, "equals"),
                (entry.entry_range, "entry"),
                (entry.full_line_range, "full line"),
            ] {
                assert_range(text, range, what);
            }
            assert_eq!(&text[entry.key_range.start..entry.key_range.end], entry.key);
            assert_eq!(&text[entry.equals_range.start..entry.equals_range.end], "=");
            assert!(entry.entry_range.contains_range(entry.key_range));
            assert!(entry.entry_range.contains_range(entry.value_range));
            assert!(entry.value_range.contains_range(entry.inner_range));
            assert!(entry.full_line_range.contains_range(entry.entry_range));
            assert!(entry.key_range.end <= entry.equals_range.start);
            assert!(entry.equals_range.end <= entry.value_range.start);
            assert_eq!(
                entry.line,
                LineIndex::new(text).line_of(entry.key_range.start)
            );
            for range in entry.export_range.iter().chain(&entry.comment_range) {
                assert_range(text, *range, "export or comment");
                assert!(entry.entry_range.contains_range(*range));
            }
            for reference in &entry.references {
                assert_range(text, reference.range, "reference");
                assert!(entry.value_range.contains_range(reference.range));
                assert!(text[reference.range.start..].starts_with('$'));
            }
        }
        for error in &file.errors {
            assert_range(text, error.range, "error");
            assert!(!error.message.is_empty() && !error.help.is_empty());
        }
        for comment in &file.comments {
            assert_range(text, comment.range, "comment");
            assert!(text[comment.range.start..].starts_with('#'));
        }
    }

    /// Parses `text`, checks positions, and checks that the entries and rejected lines are
    /// exactly dotenvy's.
    fn check(text: &str) -> EnvFile {
        let file = parse(text);
        assert_positions(text, &file);
        for entry in &file.entries {
            for name in &entry.interpolated {
                assert!(
                    std::env::var_os(name).is_none(),
                    "test uses `{name}`, set in the environment"
                );
            }
        }
        assert_eq!(
            our_items(&file),
            dotenvy_items(text),
            "differs from dotenvy on {text:?}"
        );
        file
    }

    fn written(text: &str, range: TextRange) -> &str {
        &text[range.start..range.end]
    }

    fn only_entry(file: &EnvFile) -> &EnvEntry {
        assert_eq!(file.entries.len(), 1, "{file:?}");
        &file.entries[0]
    }

    fn kinds(file: &EnvFile) -> Vec<EnvSyntaxErrorKind> {
        file.errors.iter().map(|error| error.kind).collect()
    }

    #[test]
    fn reads_keys_values_and_their_ranges() {
        let text =
            "# header\nNEON_A=1\n  export NEON_B = \"two words\"   # note\nNEON_C='lit $NEON_A'\n";
        let file = check(text);
        assert_eq!(file.comments.len(), 1);
        assert_eq!(written(text, file.comments[0].range), "# header");
        let [a, b, c] = &file.entries[..] else {
            panic!("{file:?}")
        };
        assert_eq!((a.value.as_str(), a.line, a.quote), ("1", 1, Quote::None));
        assert_eq!(written(text, a.entry_range), "NEON_A=1");
        assert_eq!(written(text, a.full_line_range), "NEON_A=1\n");

        assert_eq!(b.value, "two words");
        assert!(b.exported);
        assert_eq!(written(text, b.export_range.unwrap()), "export");
        assert_eq!(written(text, b.value_range), "\"two words\"");
        assert_eq!(written(text, b.inner_range), "two words");
        assert_eq!(b.quote, Quote::Double);
        assert_eq!(written(text, b.comment_range.unwrap()), "# note");
        assert_eq!(
            written(text, b.entry_range),
            "  export NEON_B = \"two words\"   # note"
        );
        assert_eq!(b.equals_range.start, text.find(" = ").unwrap() + 1);

        assert_eq!(c.value, "lit $NEON_A");
        assert_eq!(c.quote, Quote::Single);
        assert!(c.interpolated.is_empty());
        assert!(file.errors.is_empty());
    }

    #[test]
    fn inline_comments_need_whitespace_before_the_hash() {
        let file =
            check("NEON_A=a#b\nNEON_B=a #b\nNEON_C=a\t#b\nNEON_D=#b\nNEON_E= #b\nNEON_F=\"a\"#b\n");
        let values: Vec<&str> = file
            .entries
            .iter()
            .map(|entry| entry.value.as_str())
            .collect();
        assert_eq!(values, ["a#b", "a", "a", "", "", "a#b"]);
        assert!(file.entries[0].comment_range.is_none());
        assert!(
            file.entries[3].comment_range.is_some(),
            "`#` right after `=` starts a comment"
        );
        assert_eq!(file.entries[5].quote, Quote::Mixed);
    }

    #[test]
    fn empty_values_have_an_empty_range_right_after_the_equals_sign() {
        let text = "NEON_A=\nNEON_B=   \nNEON_C= # c\n";
        let file = check(text);
        for entry in &file.entries {
            assert_eq!(entry.value, "");
            assert_eq!(entry.value_range, TextRange::empty(entry.equals_range.end));
        }
    }

    #[test]
    fn unquoted_values_lose_trailing_whitespace() {
        let text = "NEON_A=value \t \nNEON_B=value\u{a0}\n";
        let file = check(text);
        assert_eq!(written(text, file.entries[0].value_range), "value");
        assert_eq!(file.entries[1].value, "value");
    }

    #[test]
    fn double_quotes_understand_dotenvys_escapes() {
        let text = r#"NEON_A="a\nb \"q\" \\ \$x \' \ end"
NEON_B=un\ quoted\$
NEON_C='no \n escapes'
"#;
        let file = check(text);
        assert_eq!(
            file.entries[0].value,
            "a\nb \"q\" \\ $x ' \\ end".replace("\\ end", " end")
        );
        assert_eq!(file.entries[1].value, "un quoted$");
        assert_eq!(file.entries[2].value, "no \\n escapes");
    }

    #[test]
    fn unknown_escapes_are_rejected() {
        let text = "NEON_A=\"tab\\there\"\nNEON_B=ok\n";
        let file = check(text);
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::InvalidEscape]);
        assert_eq!(written(text, file.errors[0].range), "\\t");
        assert_eq!(
            file.entries[0].key, "NEON_B",
            "parsing goes on after an error"
        );
    }

    #[test]
    fn interpolates_keys_defined_earlier_and_records_them() {
        let text = "NEON_HOST=db\nNEON_URL=postgres://${NEON_HOST}/$NEON_HOST-${NEON_LATER}\nNEON_LATER=x\nNEON_Q=\"${NEON_HOST}\"\n";
        let file = check(text);
        let url = file.get("NEON_URL").unwrap();
        assert_eq!(url.value, "postgres://db/_HOST-");
        assert_eq!(url.interpolated, ["NEON_HOST", "NEON", "NEON_LATER"]);
        let written_references: Vec<&str> = url
            .references
            .iter()
            .map(|reference| written(text, reference.range))
            .collect();
        // A bare name stops at the first character that is not alphanumeric, `_` included.
        assert_eq!(
            written_references,
            ["${NEON_HOST}", "$NEON", "${NEON_LATER}"]
        );
        assert_eq!(
            url.references
                .iter()
                .map(|r| r.defined_earlier)
                .collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(file.get("NEON_Q").unwrap().value, "db");
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::BareVariableNameCut]);
        let error = &file.errors[0];
        assert_eq!(written(text, error.range), "$NEON_HOST");
        assert!(error.help.contains("${NEON_HOST}"), "{}", error.help);
    }

    #[test]
    fn bare_variable_names_stop_at_underscores_as_in_dotenvy() {
        let file = check("NEONAB=1\nNEON_X=$NEONAB_C\n");
        assert_eq!(file.get("NEON_X").unwrap().value, "1_C");
    }

    #[test]
    fn bare_variable_before_closing_double_quote_is_rejected_like_dotenvy() {
        let text = "NEONAB=1\nNEON_X=\"$NEONAB\"\n";
        let file = check(text);
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::QuoteClosedByVariable]);
        assert_eq!(written(text, file.errors[0].range), "$NEONAB\"");
        assert!(file.errors[0].help.contains("${NAME}"));
        let lone_dollar = check("NEON_X=\"cost: 5$\"\n");
        assert_eq!(
            kinds(&lone_dollar),
            [EnvSyntaxErrorKind::QuoteClosedByVariable]
        );
        assert!(lone_dollar.errors[0].help.contains("`\\$`"));
    }

    #[test]
    fn unterminated_braced_variable_is_rejected() {
        let file = check("NEON_X=${NEON_A\n");
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::UnterminatedVariable]);
    }

    #[test]
    fn multi_line_quoted_values_keep_positions() {
        let text =
            "NEON_CERT=\"-----BEGIN-----\nMIIBIjAN+/Q==\nabcDEF=\n-----END-----\"\nNEON_NEXT=1\n";
        let file = check(text);
        let cert = file.get("NEON_CERT").unwrap();
        assert_eq!(
            cert.value,
            "-----BEGIN-----\nMIIBIjAN+/Q==\nabcDEF=\n-----END-----"
        );
        assert_eq!(cert.line, 0);
        assert_eq!(file.get("NEON_NEXT").unwrap().line, 4);
        assert_eq!(written(text, cert.inner_range), cert.value);
        assert!(
            file.errors.is_empty(),
            "base64 padding is not an entry: {:?}",
            file.errors
        );
    }

    #[test]
    fn crlf_files_keep_terminators_out_of_entries() {
        let text = "NEON_A=1\r\nNEON_B=\"x\r\ny\"\r\n";
        let file = check(text);
        assert_eq!(file.line_ending, LineEnding::CrLf);
        let [a, b] = &file.entries[..] else { panic!() };
        assert_eq!(written(text, a.entry_range), "NEON_A=1");
        assert_eq!(written(text, a.full_line_range), "NEON_A=1\r\n");
        assert_eq!(
            b.value, "x\r\ny",
            "dotenvy keeps the CR inside a quoted value"
        );
        assert_eq!(written(text, b.full_line_range), "NEON_B=\"x\r\ny\"\r\n");
    }

    #[test]
    fn byte_order_mark_is_skipped_and_counted() {
        let text = "\u{feff}NEON_A=1\n";
        let file = check(text);
        assert!(file.has_bom);
        let entry = only_entry(&file);
        assert_eq!(entry.key_range, TextRange::new(3, 9));
        assert_eq!(
            entry.entry_range.start, 3,
            "deleting the entry keeps the BOM"
        );
        // Deliberate difference: dotenvy's `from_read_iter` rejects the BOM line, its loaders
        // (`dotenv()`, `from_path`) skip the BOM as we do.
        assert_eq!(
            dotenvy::from_read_iter(text.as_bytes())
                .filter(Result::is_err)
                .count(),
            1
        );
    }

    #[test]
    fn export_is_a_prefix_or_a_key() {
        let file = check("export=\"export as key\"\nexport   NEON_A=1\nexportNEON_B=2\n");
        let keys: Vec<(&str, bool)> = file
            .entries
            .iter()
            .map(|entry| (entry.key.as_str(), entry.exported))
            .collect();
        assert_eq!(
            keys,
            [("export", false), ("NEON_A", true), ("exportNEON_B", false)]
        );
    }

    #[test]
    fn keys_may_hold_dots_and_lowercase() {
        let file = check("neon.lower_case=1\n_NEON=2\n");
        assert_eq!(file.entries[0].key, "neon.lower_case");
        assert_eq!(file.entries[1].key, "_NEON");
    }

    #[test]
    fn invalid_lines_become_errors_with_fixes() {
        let cases: [(&str, EnvSyntaxErrorKind, &str); 10] = [
            (
                "NEON_A\n",
                EnvSyntaxErrorKind::MissingEquals,
                "NEON_A=value",
            ),
            (
                "NEON_A value\n",
                EnvSyntaxErrorKind::MissingEquals,
                "NEON_A=value",
            ),
            (
                "export NEON_A\n",
                EnvSyntaxErrorKind::MissingEquals,
                "export NEON_A=value",
            ),
            (
                "export\n",
                EnvSyntaxErrorKind::MissingEquals,
                "export KEY=value",
            ),
            ("=value\n", EnvSyntaxErrorKind::InvalidKeyStart, "KEY=value"),
            (
                "1NEON=value\n",
                EnvSyntaxErrorKind::InvalidKeyStart,
                "letter",
            ),
            (
                "NEON-A=1\n",
                EnvSyntaxErrorKind::InvalidKeyCharacter,
                "NEON_A",
            ),
            (
                "very bacon = yes\n",
                EnvSyntaxErrorKind::InvalidKeyCharacter,
                "very_bacon",
            ),
            (
                "NEON_A=two words\n",
                EnvSyntaxErrorKind::TextAfterValue,
                "double quotes",
            ),
            (
                "NEON_A=\"x\" y\n",
                EnvSyntaxErrorKind::TextAfterValue,
                "inside the quotes",
            ),
        ];
        for (text, kind, help) in cases {
            let file = check(text);
            assert_eq!(kinds(&file), [kind], "{text:?}");
            assert!(
                file.errors[0].help.contains(help),
                "{text:?}: {}",
                file.errors[0].help
            );
            assert!(file.entries.is_empty());
        }
    }

    #[test]
    fn error_messages_do_not_repeat_values() {
        let file = check("NEON_PASSWORD=hunter2 s3cret\nNEON_TOKEN=\"abc\\qdef\"\n");
        for error in &file.errors {
            for secret in ["hunter2", "s3cret", "abc", "def"] {
                assert!(!error.message.contains(secret) && !error.help.contains(secret));
            }
        }
    }

    #[test]
    fn unterminated_quote_at_end_of_file_mirrors_dotenvy_and_says_what_it_swallowed() {
        let text = "NEON_A=1\nNEON_B=\"open\nNEON_C=2\nNEON_D=3\n";
        let file = check(text);
        assert_eq!(
            file.entries.len(),
            1,
            "dotenvy reads nothing after the open quote"
        );
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::UnterminatedQuote]);
        let error = &file.errors[0];
        assert_eq!(error.range.start, text.find('"').unwrap());
        assert_eq!(error.line, 1);
        assert!(error.message.contains("lines 2–4"), "{}", error.message);
        assert!(error.help.contains("closing `\"`"));
    }

    #[test]
    fn unterminated_single_quote_with_backslash_explains_that_it_does_not_escape() {
        let file = check("NEON_A='it\\'s'\n");
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::UnterminatedQuote]);
        assert!(file.errors[0].help.contains("double quotes"));
    }

    #[test]
    fn quote_in_comment_that_joins_lines_is_reported() {
        // Two spaces before `#`: dotenvy's reader does not see a comment, opens a quote at the
        // apostrophe and reads the next line as part of this one; its parser then ignores it.
        let text = "NEON_A=a  # it's\nNEON_B=it's\nNEON_C=3\n";
        let file = check(text);
        assert_eq!(
            file.entries
                .iter()
                .map(|e| e.key.as_str())
                .collect::<Vec<_>>(),
            ["NEON_A", "NEON_C"]
        );
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::QuoteJoinsFollowingLines]);
        let error = &file.errors[0];
        assert_eq!(error.range.start, text.find('\'').unwrap());
        assert!(error.help.contains("comment"));
        assert_eq!(
            written(text, file.entries[0].full_line_range),
            "NEON_A=a  # it's\nNEON_B=it's\n"
        );
        // One space before `#` is a comment for the reader too.
        assert!(check("NEON_A=a # it's\nNEON_B=2\n").errors.is_empty());
    }

    #[test]
    fn forgotten_closing_quote_closed_by_a_later_line_is_reported() {
        let text = "NEON_A=\"abc\nNEON_B=1\nNEON_C=\"x\n";
        let file = check(text);
        assert_eq!(only_entry(&file).value, "abc\nNEON_B=1\nNEON_C=x");
        assert_eq!(
            kinds(&file),
            [EnvSyntaxErrorKind::QuotedValueSwallowsEntries]
        );
        let error = &file.errors[0];
        assert!(!error.kind.loader_rejects());
        assert!(
            error
                .message
                .contains("2 lines that look like entries on lines 2–3")
                && !error.message.contains("NEON_B"),
            "{}",
            error.message
        );
        assert!(error.help.contains("end of line 1"));
    }

    #[test]
    fn dotenvy_rejects_a_last_line_ending_in_whitespace_or_backslash() {
        let file = check("NEON_A=1\nNEON_B=2 ");
        assert_eq!(
            kinds(&file),
            [EnvSyntaxErrorKind::TrailingWhitespaceAtEndOfFile]
        );
        let file = check("NEON_A=1\nNEON_B=2\\");
        assert_eq!(
            kinds(&file),
            [EnvSyntaxErrorKind::TrailingBackslashAtEndOfFile]
        );
        assert!(check("NEON_A=1\nNEON_B=2 \n").errors.is_empty());
    }

    #[test]
    fn last_definition_wins_for_get() {
        let file = check("NEON_A=1\nNEON_A=2\n");
        assert_eq!(file.get("NEON_A").unwrap().value, "2");
        assert_eq!(file.definitions("NEON_A").count(), 2);
        assert!(file.get("NEON_MISSING").is_none());
    }

    #[test]
    fn debug_output_hides_values() {
        let file = parse("NEON_PASSWORD=hunter2\n");
        let debug = format!("{file:?}");
        assert!(!debug.contains("hunter2"));
        assert!(debug.contains("NEON_PASSWORD"));
    }

    #[test]
    fn detects_line_endings() {
        assert_eq!(LineEnding::detect("A=1\r\nB=2\n"), LineEnding::CrLf);
        assert_eq!(LineEnding::detect("A=1\nB=2\r\n"), LineEnding::Lf);
        assert_eq!(LineEnding::detect("A=1"), LineEnding::Lf);
        assert_eq!(LineEnding::detect("\n"), LineEnding::Lf);
    }

    #[test]
    fn renders_values_with_the_least_quoting() {
        assert_eq!(render_entry("K", ""), "K=");
        assert_eq!(
            render_entry("K", "postgres://u@h:5432/db?sslmode=require"),
            "K=postgres://u@h:5432/db?sslmode=require"
        );
        assert_eq!(render_entry("K", "two words"), "K='two words'");
        assert_eq!(render_entry("K", "pa$$word"), "K='pa$$word'");
        assert_eq!(render_entry("K", "#hash"), "K='#hash'");
        assert_eq!(
            render_entry("K", "it's \"x\" $y\\"),
            "K=\"it's \\\"x\\\" \\$y\\\\\""
        );
        assert_eq!(render_entry("K", "line1\nline2"), "K=\"line1\\nline2\"");
    }

    #[test]
    fn append_entry_edit_adds_a_line_in_the_files_style() {
        assert_eq!(
            append_entry_edit("", "K", "v"),
            (TextRange::empty(0), "K=v\n".to_owned())
        );
        assert_eq!(
            append_entry_edit("A=1\n", "K", "v"),
            (TextRange::empty(4), "K=v\n".to_owned())
        );
        assert_eq!(append_entry_edit("A=1", "K", "v").1, "\nK=v\n");
        assert_eq!(
            append_entry_edit("A=1\r\nB=2", "K", "a b").1,
            "\r\nK='a b'\r\n"
        );
        assert_eq!(
            append_entry_edit("\u{feff}", "K", "v"),
            (TextRange::empty(3), "K=v\n".to_owned())
        );
        let text = "NEON_A=1\nNEON_B=2 ";
        let (range, insertion) = append_entry_edit(text, "NEON_C", "x y");
        let edited = format!("{}{insertion}{}", &text[..range.start], &text[range.end..]);
        let file = check(&edited);
        assert!(
            file.errors.is_empty(),
            "the added line break also fixes the last line"
        );
        assert_eq!(file.get("NEON_C").unwrap().value, "x y");
    }

    #[test]
    fn key_validity_matches_dotenvy() {
        for key in ["A", "_", "a.b", "A_1", "export"] {
            assert!(is_valid_key(key), "{key}");
            assert!(check(&format!("{key}=1\n")).errors.is_empty());
        }
        for key in ["", "1A", "A-B", "A B", ".A", "É"] {
            assert!(!is_valid_key(key), "{key}");
        }
    }

    /// Values in the forms a person writes, with the text they are written as.
    fn written_value() -> impl Strategy<Value = (String, bool)> {
        // `(written, spans_lines)`
        prop_oneof![
            "[A-Za-z0-9_./:@%+,=-]{1,12}".prop_map(|v| (v, false)),
            "[a-zA-Z0-9 #$\"=.:\\\\]{0,12}"
                .prop_map(|v| (format!("'{}'", v.trim_end_matches('\\')), false)),
            prop::collection::vec(
                prop_oneof![
                    "[a-zA-Z0-9 #'=.:]{1,4}".boxed(),
                    Just("\\n".to_owned()).boxed(),
                    Just("\\\"".to_owned()).boxed(),
                    Just("\\\\".to_owned()).boxed(),
                    Just("\\$".to_owned()).boxed(),
                    Just("\\'".to_owned()).boxed(),
                    "\\$\\{ZQ[A-Z0-9]{0,2}\\}".boxed(),
                ],
                0..5
            )
            .prop_map(|pieces| (format!("\"{}\"", pieces.concat()), false)),
            "[a-z0-9 ]{0,6}\n[a-z0-9 ]{0,6}".prop_map(|v| (format!("\"{v}\""), true)),
            "[a-z0-9 ]{0,6}\n[a-z0-9 ]{0,6}".prop_map(|v| (format!("'{v}'"), true)),
            "\\$\\{ZQ[A-Z0-9]{0,2}\\}[a-z]{0,3}".prop_map(|v| (v, false)),
            any::<String>().prop_map(|v| (render_value(&v), v.contains('\n'))),
        ]
    }

    #[derive(Debug, Clone)]
    enum Line {
        Blank,
        Comment(String),
        Entry {
            indent: &'static str,
            export: bool,
            key: String,
            spaces: (bool, bool),
            value: String,
            comment: Option<String>,
        },
    }

    fn line() -> impl Strategy<Value = Line> {
        prop_oneof![
            1 => Just(Line::Blank),
            1 => "[a-zA-Z0-9 '\"=#]{0,12}".prop_map(|c| Line::Comment(format!("#{c}"))),
            6 => (
                prop_oneof![Just(""), Just("  "), Just("\t")],
                any::<bool>(),
                "ZQ[A-Z0-9_]{0,4}",
                (any::<bool>(), any::<bool>()),
                written_value(),
                proptest::option::of("[a-zA-Z0-9 =]{0,8}"),
            )
                .prop_map(|(indent, export, key, spaces, (value, _), comment)| Line::Entry {
                    indent,
                    export,
                    key,
                    spaces,
                    value,
                    comment: comment.map(|c| format!("# {c}")),
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn rendered_entries_read_back_exactly(value in any::<String>(), prefix in "[a-z\\n\"' ]{0,3}") {
            let value = format!("{prefix}{value}");
            let line = render_entry("NEON_ROUND_TRIP", &value);
            let text = format!("{line}\n");
            let read: Vec<_> = dotenvy::from_read_iter(text.as_bytes()).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(read, vec![("NEON_ROUND_TRIP".to_owned(), value.clone())]);
            let file = check(&text);
            prop_assert_eq!(&only_entry(&file).value, &value);
            prop_assert!(file.errors.is_empty());
        }

        #[test]
        fn generated_files_match_dotenvy(lines in prop::collection::vec(line(), 0..12), crlf in any::<bool>(), final_newline in any::<bool>()) {
            let ending = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            let mut expected = Vec::new();
            for line in &lines {
                match line {
                    Line::Blank => {}
                    Line::Comment(comment) => text.push_str(comment),
                    Line::Entry { indent, export, key, spaces, value, comment } => {
                        text.push_str(indent);
                        if *export { text.push_str("export "); }
                        let key_start = text.len();
                        text.push_str(key);
                        if spaces.0 { text.push(' '); }
                        text.push('=');
                        if spaces.1 && !value.is_empty() { text.push(' '); }
                        let value_start = text.len();
                        text.push_str(value);
                        expected.push((key.clone(), key_start, value_start, value.clone()));
                        if let Some(comment) = comment { text.push(' '); text.push_str(comment); }
                    }
                }
                text.push_str(ending);
            }
            if !final_newline { text.truncate(text.len().saturating_sub(ending.len())); }
            let file = check(&text);
            prop_assert!(file.errors.is_empty(), "{:?}", file.errors);
            prop_assert_eq!(file.entries.len(), expected.len());
            for (entry, (key, key_start, value_start, value)) in file.entries.iter().zip(&expected) {
                prop_assert_eq!(&entry.key, key);
                prop_assert_eq!(entry.key_range.start, *key_start);
                prop_assert_eq!(written(&text, entry.value_range), value.as_str());
                if !value.is_empty() {
                    prop_assert_eq!(entry.value_range.start, *value_start);
                }
            }
        }

        #[test]
        fn env_like_noise_matches_dotenvy_and_keeps_ranges_valid(tokens in prop::collection::vec(
            prop_oneof![
                Just("ZQ"), Just("zq_1"), Just("Q.9"), Just("export"), Just(" "), Just("  "), Just("\t"),
                Just("="), Just("#"), Just("'"), Just("\""), Just("\\"), Just("$"), Just("${"), Just("}"),
                Just("$ZQ"), Just("${ZQ}"), Just("\n"), Just("\r\n"), Just("\r"), Just("a"), Just("n"),
                Just("é"), Just("\u{a0}"), Just("\u{feff}"), Just("-"), Just("😀"),
            ],
            0..40,
        )) {
            let text = tokens.concat();
            check(&text);
        }

        #[test]
        fn any_text_is_parsed_without_panicking(text in any::<String>()) {
            let file = parse(&text);
            assert_positions(&text, &file);
            let uses_environment = file
                .entries
                .iter()
                .flat_map(|entry| &entry.interpolated)
                .any(|name| std::env::var_os(name).is_some());
            if !uses_environment {
                prop_assert_eq!(our_items(&file), dotenvy_items(&text));
            }
        }
    }
}

//! Stage 2: dotenvy's line parser (`LineParser` in parse.rs) over each logical line: comments,
//! `export`, the key, `=`, then the value (`value`), recording entries with their ranges.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use crate::text::{LineIndex, TextRange};

use super::{
    EnvComment, EnvEntry, EnvFile, EnvSyntaxErrorKind, Quote,
    diagnostics::{LineError, invalid_key_start, missing_equals},
    is_key_char,
    reader::{LogicalLine, ReaderOutcome},
    slice,
    value::ScannedValue,
};

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) line_index: LineIndex,
    /// What dotenvy's substitution can see: keys defined so far, `None` for `KEY=`.
    pub(super) defined: HashMap<String, Option<String>>,
    /// Bytes that substitution has produced so far in this file, against
    /// [`EXPANSION_BUDGET`](super::EXPANSION_BUDGET).
    pub(super) expanded: Cell<usize>,
    /// The first reference left unexpanded because the budget ran out.
    pub(super) expansion_stopped_at: Cell<Option<TextRange>>,
    pub(super) file: EnvFile,
}

/// A key as written, with its absolute range.
pub(super) struct KeyToken {
    pub(super) name: String,
    pub(super) range: TextRange,
}

/// Walks one logical line the way dotenvy's `LineParser` does.
pub(super) struct LineCursor<'a> {
    /// The logical line with trailing whitespace trimmed, as dotenvy parses it.
    pub(super) line: &'a str,
    /// Absolute offset of `line`.
    pub(super) base: usize,
    pub(super) position: usize,
}

impl<'a> LineCursor<'a> {
    pub(super) fn rest(&self) -> &'a str {
        self.line.get(self.position..).unwrap_or("")
    }

    pub(super) fn absolute(&self) -> usize {
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

impl Parser<'_> {
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.line_index.line_of(offset)
    }

    pub(super) fn handle(&mut self, logical: &LogicalLine) {
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
        // Each name once, in order of first use; a set, since one value may hold 100,000
        // references (tests/pathological.rs).
        let mut interpolated: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for reference in &scanned.references {
            if seen.insert(&reference.name) {
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

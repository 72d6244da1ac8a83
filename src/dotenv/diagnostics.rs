//! The lines dotenvy rejects or reads in a way the author probably did not intend, worded with
//! a fix: the error builders, end-of-file errors, and lines joined by an open quote.

use crate::text::TextRange;

use super::{
    EnvEntry, EnvSyntaxError, EnvSyntaxErrorKind, is_key_char,
    parser::{KeyToken, LineCursor, Parser},
    reader::{LogicalLine, ReaderState},
    slice,
};

/// A line that dotenvy rejects, before line numbers and joined-line notes are added.
pub(super) struct LineError {
    pub(super) kind: EnvSyntaxErrorKind,
    pub(super) range: TextRange,
    pub(super) message: String,
    pub(super) help: String,
}

impl LineError {
    pub(super) fn new(
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

impl Parser<'_> {
    pub(super) fn push_error(
        &mut self,
        logical: &LogicalLine,
        error: LineError,
        note_joined_lines: bool,
    ) {
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

    pub(super) fn end_of_file_error(&self, logical: &LogicalLine, state: ReaderState) -> LineError {
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

    /// Reports entries that dotenvy reads over several lines in a way the file does not show.
    pub(super) fn check_joined_lines(
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

pub(super) fn invalid_key_start(cursor: &LineCursor<'_>) -> LineError {
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

pub(super) fn missing_equals(
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

pub(super) fn text_after_value(range: TextRange, after_quote: bool) -> LineError {
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

pub(super) fn invalid_escape(range: TextRange, character: char) -> LineError {
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
    use crate::dotenv::EnvSyntaxErrorKind;
    use crate::dotenv::tests::{check, kinds, only_entry, written};

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
}

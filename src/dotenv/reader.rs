//! Stage 1: dotenvy's line reader (`QuotedLines` in dotenvy's iter.rs), which joins physical
//! lines into one logical line while it thinks a quote is open.

use crate::text::TextRange;

use super::slice;

/// The reader's state after a character, named as in dotenvy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReaderState {
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
pub(super) struct LogicalLine {
    /// First byte of the first physical line.
    pub(super) start: usize,
    /// End of the last physical line, without its terminator.
    pub(super) end: usize,
    /// End of the last physical line, with its terminator.
    pub(super) full_end: usize,
    /// Where the quote that kept the first physical line open was opened, if it was.
    pub(super) carried_quote: Option<usize>,
    pub(super) outcome: ReaderOutcome,
}

#[derive(Debug)]
pub(super) enum ReaderOutcome {
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

pub(super) fn read_logical_line(text: &str, start: usize) -> Option<LogicalLine> {
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

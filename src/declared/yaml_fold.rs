//! YAML line folding for the `az … connection create` reader ([`super::azcli`]).
//!
//! A CI workflow or pipeline may write a command over several lines of a YAML scalar that YAML
//! itself joins: a folded block (`run: >`, `>-`, `>+`, `>2`), a plain scalar continued on more
//! indented lines, or a quoted one. The shell then gets one line, so the reader must too. This
//! module turns, in a same-length copy of the file, each line break YAML folds into a space into
//! a space: offsets (and so the lines messages cite) stay those of the file. Literal blocks
//! (`|`) keep their lines: there only the shell's own `\` (or PowerShell's backtick) continues
//! a command, which the reader handles already.
//!
//! Which line breaks fold follows YAML 1.2 (§6.5 line folding, §8.1.3 folded style): a break
//! between two non-empty lines folds; an empty line stays a line break; in a folded block a
//! break next to a more-indented line stays. Scalars and their styles come from saphyr-parser;
//! a file it cannot parse keeps what was folded before the error (the reader then sees the
//! rest line by line, as before).
//!
//! Not a YAML reader for anything else: it never looks at values, keys or structure.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Folds, in `copy` (the same length as `text`, already with shell continuations blanked),
/// the line breaks YAML folds in `text`'s scalars.
pub(super) fn fold_scalars(text: &str, copy: String) -> String {
    debug_assert_eq!(text.len(), copy.len());
    let mut bytes = copy.into_bytes();
    let offsets = CharOffsets::new(text);
    for event in Parser::new_from_str(text) {
        let Ok((Event::Scalar(_, style, ..), span)) = event else {
            if event.is_err() {
                break;
            }
            continue;
        };
        let start = offsets.byte(span.start.index());
        let end = offsets.byte(span.end.index()).min(text.len());
        if start >= end || !text[start..end].contains('\n') {
            continue;
        }
        match style {
            ScalarStyle::Literal => {}
            ScalarStyle::Folded => fold_block(text, start, end, &mut bytes),
            ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                fold_flow(text, start, end, &mut bytes);
            }
        }
    }
    // Only ASCII line-break bytes were replaced by ASCII spaces: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The line breaks between `start` and `end` with the lines around them: (offset of the
/// `\n`, the line before without its `\r`, the line after), the line after cut at `end`.
fn breaks(text: &str, start: usize, end: usize) -> impl Iterator<Item = (usize, &str, &str)> {
    let region = &text[start..end];
    region.match_indices('\n').map(move |(i, _)| {
        let at = start + i;
        let before_start = text[..at].rfind('\n').map_or(0, |b| b + 1).max(start);
        let before = text[before_start..at].trim_end_matches('\r');
        let after_end = text[at + 1..]
            .find('\n')
            .map_or(text.len(), |e| at + 1 + e)
            .min(end);
        let after = text[(at + 1).min(after_end)..after_end].trim_end_matches('\r');
        (at, before, after)
    })
}

/// Plain and quoted scalars: every break between two non-empty lines folds.
fn fold_flow(text: &str, start: usize, end: usize, bytes: &mut [u8]) {
    for (at, before, after) in breaks(text, start, end) {
        if !before.trim().is_empty() && !after.trim().is_empty() {
            blank_break(bytes, at);
        }
    }
}

/// A `>` block (its span starts at the first content character, after the indentation): a
/// break folds between two non-empty lines at the block's indentation (a more-indented line
/// keeps its breaks).
fn fold_block(text: &str, start: usize, end: usize, bytes: &mut [u8]) {
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let base = start - line_start;
    let first_break = text[start..end].find('\n').map(|i| start + i);
    for (at, before, after) in breaks(text, start, end) {
        let folds = |line: &str| !line.trim().is_empty() && indent(line) == base;
        // The first line is cut at `start`, after its indentation, which is the block's.
        let before_folds = if Some(at) == first_break {
            !before.trim().is_empty()
        } else {
            folds(before)
        };
        if before_folds && folds(after) {
            blank_break(bytes, at);
        }
    }
}

/// `\n` (and the `\r` of `\r\n`) become spaces.
fn blank_break(bytes: &mut [u8], at: usize) {
    bytes[at] = b' ';
    if at > 0 && bytes[at - 1] == b'\r' {
        bytes[at - 1] = b' ';
    }
}

/// saphyr-parser counts positions in characters; the core counts bytes.
struct CharOffsets {
    /// Byte offset of each character, when the text is not ASCII (else they are equal).
    bytes: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        CharOffsets {
            bytes: (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect()),
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.bytes {
            None => char_index.min(self.len),
            Some(bytes) => bytes.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(text: &str) -> String {
        let folded = fold_scalars(text, text.to_string());
        assert_eq!(folded.len(), text.len(), "same length");
        folded
    }

    #[test]
    fn folded_blocks_become_one_line_and_literal_blocks_keep_theirs() {
        let text = "steps:\n  - run: >-\n      az webapp connection create postgres-flexible\n      --client-type django\n\n      echo next\n  - run: |\n      echo a\n      echo b\n";
        let folded = fold(text);
        assert!(
            folded.contains("postgres-flexible       --client-type django\n"),
            "{folded}"
        );
        assert!(folded.contains("- run: >-\n"), "the header keeps its line");
        assert!(
            folded.contains("\n\n      echo next"),
            "an empty line stays a break"
        );
        assert!(
            folded.contains("echo a\n      echo b"),
            "literal blocks keep lines"
        );
    }

    #[test]
    fn more_indented_lines_keep_their_breaks() {
        let text = "run: >\n  one\n    two\n  three\n  four\n";
        let folded = fold(text);
        assert_eq!(folded, "run: >\n  one\n    two\n  three   four\n");
    }

    #[test]
    fn plain_and_quoted_scalars_over_several_lines_fold() {
        let text =
            "a: az webapp connection create\n  --client-type go\nb: \"x\r\n  y\"\nc: 'é\n  ü'\n";
        let folded = fold(text);
        assert!(
            folded
                .starts_with("a: az webapp connection create   --client-type go\nb: \"x    y\"\n"),
            "{folded}"
        );
        assert!(folded.ends_with("c: 'é   ü'\n"), "{folded}");
    }

    #[test]
    fn broken_yaml_keeps_what_was_folded_before_the_error() {
        let text = "a: >\n  one\n  two\nb: [\n  c\nd: \"unterminated\n";
        let folded = fold(text);
        assert!(folded.starts_with("a: >\n  one   two\n"), "{folded}");
        for broken in [
            "",
            ">",
            "a: >",
            "- >\n",
            "a: |\n\tb",
            "'''",
            "{{{{",
            "a:\n  - >2\n     x\n",
        ] {
            fold(broken);
        }
    }
}

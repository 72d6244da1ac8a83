//! Byte ranges and the one place where byte offsets become lines and columns.
//!
//! Everything inside the analysis core speaks in byte offsets into the file's text
//! ([`TextRange`]). Lines and columns exist only at the edges: 1-based Unicode-scalar
//! columns for people (CLI, JSON, SARIF) and 0-based UTF-16 or UTF-8 columns for LSP clients.
//! This module is not a rope or an editor buffer; it only answers "where is this offset".

use serde::Serialize;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Shifts a range that is relative to some sub-slice so that it is relative to the file.
    pub const fn offset(self, by: usize) -> Self {
        Self {
            start: self.start + by,
            end: self.end + by,
        }
    }

    pub const fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    pub const fn contains_range(&self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub const fn intersects(&self, other: TextRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// How an LSP client counts columns (negotiated through `general.positionEncodings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    Utf16,
    Utf32,
}

/// Line starts of one text, for offset → (line, column) conversion.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

/// A 1-based line and column, the column counted in Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HumanPosition {
    pub line: usize,
    pub column: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self {
            line_starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line that holds `offset` (offsets past the end clamp to the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte range of 0-based `line`, without its line terminator (`\n` or `\r\n`).
    pub fn line_range(&self, text: &str, line: usize) -> TextRange {
        let start = self.line_start(line);
        let mut end = self
            .line_starts
            .get(line + 1)
            .map(|s| s - 1)
            .unwrap_or(self.len);
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        TextRange::new(start, end.max(start))
    }

    /// 1-based line and Unicode-scalar column of `offset`, for people.
    pub fn human(&self, text: &str, offset: usize) -> HumanPosition {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = text[start..offset].chars().count() + 1;
        HumanPosition {
            line: line + 1,
            column,
        }
    }

    /// 0-based line and column in the client's encoding, for LSP.
    pub fn lsp(&self, text: &str, offset: usize, encoding: PositionEncoding) -> (u32, u32) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let prefix = &text[self.line_start(line)..offset];
        let column = match encoding {
            PositionEncoding::Utf8 => prefix.len(),
            PositionEncoding::Utf16 => prefix.encode_utf16().count(),
            PositionEncoding::Utf32 => prefix.chars().count(),
        };
        (line as u32, column as u32)
    }

    /// Inverse of [`LineIndex::lsp`]: a byte offset for a 0-based line and encoded column.
    /// Columns past the end of the line clamp to the line's end, as the LSP spec asks.
    pub fn offset_of(
        &self,
        text: &str,
        line: u32,
        column: u32,
        encoding: PositionEncoding,
    ) -> usize {
        let line = line as usize;
        if line >= self.line_starts.len() {
            return self.len;
        }
        let range = self.line_range(text, line);
        let line_text = &text[range.start..range.end];
        let mut counted = 0usize;
        for (i, ch) in line_text.char_indices() {
            if counted >= column as usize {
                return range.start + i;
            }
            counted += match encoding {
                PositionEncoding::Utf8 => ch.len_utf8(),
                PositionEncoding::Utf16 => ch.len_utf16(),
                PositionEncoding::Utf32 => 1,
            };
        }
        range.end
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A byte offset as tree-sitter's point: rows counted by `\n`, the column in bytes (offsets
/// past the end count as the end).
pub fn point_at(text: &str, offset: usize) -> tree_sitter::Point {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let row = memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |at| at + 1);
    tree_sitter::Point {
        row,
        column: before.len() - line_start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_positions_count_characters() {
        let text = "é=1\nKEY=ü😀x\r\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.human(text, 0), HumanPosition { line: 1, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(index.human(text, x), HumanPosition { line: 2, column: 7 });
        let last = text.find("last").unwrap();
        assert_eq!(
            index.human(text, last),
            HumanPosition { line: 3, column: 1 }
        );
    }

    #[test]
    fn lsp_columns_in_each_encoding_round_trip() {
        let text = "a😀b\nzz";
        let index = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(index.lsp(text, b, PositionEncoding::Utf16), (0, 3));
        assert_eq!(index.lsp(text, b, PositionEncoding::Utf8), (0, 5));
        assert_eq!(index.lsp(text, b, PositionEncoding::Utf32), (0, 2));
        for enc in [
            PositionEncoding::Utf8,
            PositionEncoding::Utf16,
            PositionEncoding::Utf32,
        ] {
            let (l, c) = index.lsp(text, b, enc);
            assert_eq!(index.offset_of(text, l, c, enc), b);
        }
        assert_eq!(index.offset_of(text, 0, 99, PositionEncoding::Utf16), 6);
    }

    #[test]
    fn line_range_strips_crlf() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_range(text, 0), TextRange::new(0, 2));
        assert_eq!(index.line_range(text, 1), TextRange::new(4, 6));
    }
}

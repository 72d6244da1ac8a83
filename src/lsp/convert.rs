//! The one conversion layer between the core's byte ranges and LSP positions, diagnostics and
//! edits, in the client's negotiated encoding.

use crate::analysis::TextEdit;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::text::{LineIndex, PositionEncoding, TextRange};
use std::collections::HashMap;
use std::path::Path;
use tower_lsp_server::ls_types::{self as lsp, Uri};

pub(super) fn range(text: &str, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
    range_in(&LineIndex::new(text), text, range, encoding)
}

fn range_in(
    index: &LineIndex,
    text: &str,
    range: TextRange,
    encoding: PositionEncoding,
) -> lsp::Range {
    let (start_line, start_character) = index.lsp(text, range.start, encoding);
    let (end_line, end_character) = index.lsp(text, range.end, encoding);
    lsp::Range {
        start: lsp::Position {
            line: start_line,
            character: start_character,
        },
        end: lsp::Position {
            line: end_line,
            character: end_character,
        },
    }
}

/// Positions in the texts of one analysis, with each file's line index built once however many
/// ranges are converted (a file with hundreds of findings is converted on every keystroke).
pub(super) struct Positions<'a> {
    texts: &'a HashMap<String, String>,
    encoding: PositionEncoding,
    indexes: HashMap<&'a str, LineIndex>,
}

impl<'a> Positions<'a> {
    pub(super) fn new(texts: &'a HashMap<String, String>, encoding: PositionEncoding) -> Self {
        Self {
            texts,
            encoding,
            indexes: HashMap::new(),
        }
    }

    pub(super) fn range(&mut self, path: &str, range: TextRange) -> lsp::Range {
        let Some((path, text)) = self.texts.get_key_value(path) else {
            return range_in(&LineIndex::new(""), "", range, self.encoding);
        };
        let index = self
            .indexes
            .entry(path.as_str())
            .or_insert_with(|| LineIndex::new(text));
        range_in(index, text, range, self.encoding)
    }
}

pub(super) fn range_to_offsets(
    text: &str,
    range: lsp::Range,
    encoding: PositionEncoding,
) -> TextRange {
    let index = LineIndex::new(text);
    let start = index.offset_of(text, range.start.line, range.start.character, encoding);
    let end = index.offset_of(text, range.end.line, range.end.character, encoding);
    TextRange::new(start.min(end), end.max(start))
}

/// Applies one `didChange` content change to a document's text.
/// Returns the change as a syntax-tree edit (byte offsets, rows and byte columns before and
/// after), or none when it replaced the whole text.
pub(super) fn apply_change(
    text: &mut String,
    change: &lsp::TextDocumentContentChangeEvent,
    encoding: PositionEncoding,
) -> Option<TextEdit> {
    match change.range {
        Some(range) => {
            let offsets = range_to_offsets(text, range, encoding);
            let start_position = crate::text::point_at(text, offsets.start);
            let old_end_position = crate::text::point_at(text, offsets.end);
            text.replace_range(offsets.start..offsets.end, &change.text);
            let new_end_position = match change.text.rfind('\n') {
                Some(last) => tree_sitter::Point {
                    row: start_position.row
                        + memchr::memchr_iter(b'\n', change.text.as_bytes()).count(),
                    column: change.text.len() - last - 1,
                },
                None => tree_sitter::Point {
                    row: start_position.row,
                    column: start_position.column + change.text.len(),
                },
            };
            Some(TextEdit {
                start_byte: offsets.start,
                old_end_byte: offsets.end,
                new_end_byte: offsets.start + change.text.len(),
                start_position,
                old_end_position,
                new_end_position,
            })
        }
        None => {
            *text = change.text.clone();
            None
        }
    }
}

fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub(super) fn diagnostic(
    diagnostic: &Diagnostic,
    positions: &mut Positions,
    root: &Path,
    docs: &super::docs::RuleDocs,
) -> lsp::Diagnostic {
    let related = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let uri = Uri::from_file_path(root.join(&related.path))?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri,
                    range: positions.range(&related.path, related.range),
                },
                message: related.message.clone(),
            })
        })
        .collect::<Vec<_>>();
    lsp::Diagnostic {
        range: positions.range(&diagnostic.path, diagnostic.range),
        severity: Some(severity(diagnostic.severity)),
        code: Some(lsp::NumberOrString::String(
            diagnostic.rule.id().to_string(),
        )),
        code_description: docs
            .link(diagnostic.rule)
            .map(|href| lsp::CodeDescription { href }),
        source: Some("neon-lsp".to_string()),
        message: diagnostic.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        // Ties the quick fixes to this diagnostic: the client sends it back in codeAction.
        data: (!diagnostic.fixes.is_empty()).then(|| {
            serde_json::json!({
                "rule": diagnostic.rule.id(),
                "fixes": diagnostic.fixes.iter().map(|fix| serde_json::json!({
                    "title": crate::secrets::mask_value(&fix.title),
                    "applicability": fix.applicability,
                })).collect::<Vec<_>>(),
            })
        }),
        ..Default::default()
    }
}

/// A fix as a workspace edit; `None` when a file it edits is unknown.
pub(super) fn workspace_edit(
    fix: &Fix,
    positions: &mut Positions,
    root: &Path,
) -> Option<lsp::WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for edit in &fix.edits {
        let uri = Uri::from_file_path(root.join(&edit.path))?;
        changes.entry(uri).or_default().push(lsp::TextEdit {
            range: positions.range(&edit.path, edit.range),
            new_text: edit.new_text.clone(),
        });
    }
    Some(lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_changes_use_the_negotiated_encoding() {
        let mut text = "const é = process.env.NEON_POSTGRES_HOST;\n".to_string();
        // UTF-16: "é" is one unit; the name starts at character 22.
        let change = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range {
                start: lsp::Position {
                    line: 0,
                    character: 35,
                },
                end: lsp::Position {
                    line: 0,
                    character: 35,
                },
            }),
            range_length: None,
            text: "QL".to_string(),
        };
        apply_change(&mut text, &change, PositionEncoding::Utf16);
        assert_eq!(text, "const é = process.env.NEON_POSTGRESQL_HOST;\n");
        let mut utf8 = "é=1\n".to_string();
        let change = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range {
                start: lsp::Position {
                    line: 0,
                    character: 2,
                },
                end: lsp::Position {
                    line: 0,
                    character: 3,
                },
            }),
            range_length: None,
            text: ":".to_string(),
        };
        apply_change(&mut utf8, &change, PositionEncoding::Utf8);
        assert_eq!(utf8, "é:1\n");
    }

    #[test]
    fn ranges_convert_both_ways() {
        let text = "a😀b\nNEON";
        let r = range(text, TextRange::new(7, 11), PositionEncoding::Utf16);
        assert_eq!(
            (r.start.line, r.start.character, r.end.line, r.end.character),
            (1, 0, 1, 4)
        );
        assert_eq!(
            range_to_offsets(text, r, PositionEncoding::Utf16),
            TextRange::new(7, 11)
        );
    }
}

//! The `--format json` reporter: one object, `{"version": 1, "diagnostics": [...], "summary": {...}}`,
//! exactly the shape PRODUCT.md promises. Lines and columns are 1-based Unicode-scalar
//! positions; end columns are exclusive.

use super::{Positions, Report, located};
use serde::Serialize;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'static str,
    severity: &'static str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    fixes: Vec<JsonFix<'a>>,
    /// On a summary finding past the per-file cap: how many findings it stands for.
    #[serde(skip_serializing_if = "is_zero")]
    omitted: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: String,
    /// "safe" (`check --fix` applies it) or "unsafe" (`--unsafe-fixes`, or review).
    applicability: crate::diagnostic::Applicability,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    new_text: String,
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    errors: usize,
    warnings: usize,
}

/// Renders the report as one JSON object followed by a newline.
pub fn render_json(report: &Report) -> String {
    let mut positions = Positions::of(report);
    let diagnostics = located(report, &mut positions)
        .into_iter()
        .map(|(diagnostic, span)| JsonDiagnostic {
            rule: diagnostic.rule.id(),
            severity: diagnostic.severity.as_str(),
            path: &diagnostic.path,
            line: span.start.line,
            column: span.start.column,
            end_line: span.end.line,
            end_column: span.end.column,
            message: &diagnostic.message,
            fixes: diagnostic
                .fixes
                .iter()
                .map(|fix| JsonFix {
                    title: crate::secrets::mask_value(&fix.title),
                    applicability: fix.applicability,
                    edits: fix
                        .edits
                        .iter()
                        .map(|edit| {
                            let span = positions.span(&edit.path, edit.range);
                            JsonEdit {
                                path: &edit.path,
                                line: span.start.line,
                                column: span.start.column,
                                end_line: span.end.line,
                                end_column: span.end.column,
                                new_text: crate::secrets::mask_value(edit.shown_text()),
                            }
                        })
                        .collect(),
                })
                .collect(),
            omitted: diagnostic.omitted,
        })
        .collect();
    let counts = report.counts();
    let output = Output {
        version: 1,
        diagnostics,
        summary: Summary {
            files_scanned: report.files_scanned,
            errors: counts.errors,
            warnings: counts.warnings,
        },
    };
    // Serialising plain structs of strings and integers cannot fail.
    let mut json = serde_json::to_string_pretty(&output).unwrap_or_default();
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::super::tests::{JS, sample_report};
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn shape_and_positions() {
        let value: Value = serde_json::from_str(&render_json(&sample_report())).unwrap();
        assert_eq!(value["version"], 1);
        assert_eq!(
            value["summary"],
            json!({"files_scanned": 14, "errors": 2, "warnings": 1})
        );
        let diagnostics = value["diagnostics"].as_array().unwrap();
        assert_eq!(diagnostics.len(), 4);
        let column = JS[..JS.find("NEON_POSTGRES_HOST").unwrap()].chars().count() + 1;
        assert_eq!(
            diagnostics[3],
            json!({
                "rule": "unknown-variable", "severity": "error", "path": "web app/src/db.js",
                "line": 1, "column": column, "end_line": 1, "end_column": column + 18,
                "message": "NEON_POSTGRES_HOST is never set by Service Connector; did you mean NEON_POSTGRESQL_HOST?",
                "fixes": [{"title": "Replace with NEON_POSTGRESQL_HOST", "applicability": "safe", "edits": [{
                    "path": "web app/src/db.js", "line": 1, "column": column, "end_line": 1,
                    "end_column": column + 18, "new_text": "NEON_POSTGRESQL_HOST"}]}]
            })
        );
        assert_eq!(diagnostics[0]["severity"], "hint");
        assert_eq!(diagnostics[0]["fixes"], json!([]));
    }

    #[test]
    fn fix_texts_show_the_display_text_and_never_a_password() {
        use crate::diagnostic::{Applicability, FileEdit, Fix};
        let mut report = sample_report();
        report.diagnostics[0].fixes.push(Fix {
            title: "Convert to a URI".to_owned(),
            edits: vec![FileEdit::new(
                "new.env",
                crate::text::TextRange::empty(0),
                "X=postgresql://app:hunter2@ep-x.neon.tech/db\n",
            )],
            applicability: Applicability::Unsafe,
        });
        let mut hidden =
            FileEdit::new("other.env", crate::text::TextRange::empty(0), "P=hunter2\n");
        hidden.display_text = Some("P=<the password from .env>\n".to_owned());
        report.diagnostics[0].fixes[0].edits.push(hidden);
        let output = render_json(&report);
        assert!(!output.contains("hunter2"));
        assert!(output.contains("P=<the password from .env>"));
        assert!(output.contains("postgresql://app:****@ep-x.neon.tech/db"));
    }
}

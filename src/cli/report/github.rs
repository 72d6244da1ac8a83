//! The `--format github` reporter: GitHub Actions workflow commands, one per diagnostic, so
//! findings appear as annotations on the pull request.
//!
//! Follows the runner's escaping: `%`, `\r`, `\n` in the message; additionally `:` and `,`
//! in property values. Other control characters (ESC, BEL, …), which the runner would pass
//! to the log as they are and so let file content drive the log viewer, are written as
//! `%XX` too (the runner leaves those visible as text). Notes and the summary are plain log
//! lines.

use super::{Positions, Report, located, summary_line};
use crate::diagnostic::Severity;
use std::fmt::Write as _;

fn escape_data(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '%' => escaped.push_str("%25"),
            '\r' => escaped.push_str("%0D"),
            '\n' => escaped.push_str("%0A"),
            ch if ch.is_control() => {
                let mut buffer = [0; 4];
                for byte in ch.encode_utf8(&mut buffer).bytes() {
                    escaped.push_str(&format!("%{byte:02X}"));
                }
            }
            ch => escaped.push(ch),
        }
    }
    escaped
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders the report as workflow commands.
pub fn render_github(report: &Report) -> String {
    let mut positions = Positions::of(report);
    let mut out = String::new();
    for (diagnostic, span) in located(report, &mut positions) {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&diagnostic.path),
            span.start.line,
            span.start.column,
            span.end.line,
            span.end.column,
            escape_property(&format!("neon-lsp ({})", diagnostic.rule)),
            escape_data(&diagnostic.message),
        );
    }
    // Not annotations: a skipped file is worth a log line, not a mark on the pull request.
    for note in &report.notes {
        let _ = writeln!(
            out,
            "neon-lsp: {}: {}",
            escape_data(&note.path),
            escape_data(&note.message)
        );
    }
    let _ = writeln!(out, "neon-lsp: {}", summary_line(report));
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_report;
    use super::*;

    #[test]
    fn workflow_commands() {
        let output = render_github(&sample_report());
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(
            lines,
            [
                "::notice file=.env,line=1,col=1,endLine=1,endColumn=21,title=neon-lsp (unused-env-variable)::unused",
                "::warning file=.env,line=2,col=1,endLine=2,endColumn=45,title=neon-lsp (plaintext-secret)::NEON_POSTGRESQL_PASSWORD holds a password in a file git does not ignore",
                "::error file=.env,line=3,col=1,endLine=3,endColumn=19,title=neon-lsp (unknown-variable)::NEON_POSTGRES_USER is never set by Service Connector",
                "::error file=web app/src/db.js,line=1,col=23,endLine=1,endColumn=41,title=neon-lsp (unknown-variable)::NEON_POSTGRES_HOST is never set by Service Connector; did you mean NEON_POSTGRESQL_HOST?",
                "neon-lsp: bin.py: skipped: binary file",
                "neon-lsp: 2 errors, 1 warning, 1 hint in 14 files scanned",
            ]
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(
            escape_data("\u{1b}[2J\u{7}\t\u{85}é"),
            "%1B[2J%07%09%C2%85é"
        );
        use crate::diagnostic::Diagnostic;
        use crate::rules::Rule;
        use crate::text::TextRange;
        let mut report = sample_report();
        report.diagnostics = vec![Diagnostic::new(
            Rule::EnvSyntax,
            "a,b:c.env",
            TextRange::new(0, 1),
            "line1\n::error::injected",
        )];
        let output = render_github(&report);
        assert!(
            output.starts_with("::error file=a%2Cb%3Ac.env,"),
            "{output}"
        );
        assert!(output.contains("::line1%0A::error::injected\n"));
        assert_eq!(
            output.lines().filter(|line| line.starts_with("::")).count(),
            1
        );
    }
}

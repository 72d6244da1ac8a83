//! The compiler-style text reporter: `path:line:col: severity[rule-id]: message`, the source
//! line with a caret under the range, the first fix as a help line, then notes and a summary.

use super::{Positions, Report, Span, located, mask_env_line, mask_secrets, summary_line};
use crate::diagnostic::{Diagnostic, Severity};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

const BOLD: Style = Style::new().bold();
const GUTTER: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)));

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Info => AnsiColor::Blue,
        Severity::Hint => AnsiColor::Cyan,
    };
    Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(color)))
}

/// Applies `style` when colour is on.
fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

/// Control characters from a file (an escape sequence, a carriage return) would let file
/// content rewrite the terminal; show them as U+FFFD, one column each so carets still align.
fn printable(text: &str) -> String {
    text.chars()
        .map(|ch| {
            if ch.is_control() && ch != '\t' {
                '\u{fffd}'
            } else {
                ch
            }
        })
        .collect()
}

/// Renders the report for a person; `color` adds ANSI styles.
pub fn render_text(report: &Report, color: bool) -> String {
    let mut positions = Positions::new(&report.sources);
    let mut out = String::new();
    for (diagnostic, span) in located(report, &mut positions) {
        write_diagnostic(
            &mut out,
            diagnostic,
            span,
            positions.text(&diagnostic.path),
            color,
        );
    }
    for note in &report.notes {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            paint(color, BOLD, "note"),
            printable(&note.path),
            printable(&note.message)
        );
    }
    let summary = summary_line(report);
    let style = if report.counts().errors > 0 {
        severity_style(Severity::Error)
    } else {
        BOLD
    };
    let _ = writeln!(out, "{}", paint(color, style, &summary));
    out
}

fn write_diagnostic(
    out: &mut String,
    diagnostic: &Diagnostic,
    span: Span,
    text: Option<&str>,
    color: bool,
) {
    let style = severity_style(diagnostic.severity);
    let location = format!(
        "{}:{}:{}:",
        printable(&diagnostic.path),
        span.start.line,
        span.start.column
    );
    let label = format!("{}[{}]:", diagnostic.severity, diagnostic.rule);
    let _ = writeln!(
        out,
        "{} {} {}",
        paint(color, BOLD, &location),
        paint(color, style, &label),
        printable(&diagnostic.message)
    );
    if let Some(line) = text.and_then(|text| text.lines().nth(span.start.line.saturating_sub(1))) {
        let is_env_file = matches!(
            crate::workspace::classify(&diagnostic.path),
            Some(crate::workspace::FileKind::DotEnv)
        );
        let line = if is_env_file {
            printable(&mask_env_line(line))
        } else {
            printable(&mask_secrets(line))
        };
        let number = span.start.line.to_string();
        let gutter = " ".repeat(number.len());
        let padding: String = line
            .chars()
            .take(span.start.column.saturating_sub(1))
            .map(|ch| if ch == '\t' { '\t' } else { ' ' })
            .collect();
        let line_length = line.chars().count();
        // A range over several lines is underlined to the end of its first line.
        let end_column = if span.end.line == span.start.line {
            span.end.column
        } else {
            line_length + 1
        };
        let width = end_column.saturating_sub(span.start.column).max(1);
        let _ = writeln!(out, "{gutter} {}", paint(color, GUTTER, "|"));
        let _ = writeln!(
            out,
            "{} {line}",
            paint(color, GUTTER, &format!("{number} |"))
        );
        let _ = writeln!(
            out,
            "{gutter} {} {padding}{}",
            paint(color, GUTTER, "|"),
            paint(color, style, &"^".repeat(width))
        );
    }
    if let Some(fix) = diagnostic.fixes.first() {
        let _ = writeln!(
            out,
            "  {} {}",
            paint(color, BOLD, "= help:"),
            printable(&fix.title)
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_report;
    use super::*;

    #[test]
    fn renders_like_a_compiler() {
        let output = render_text(&sample_report(), false);
        let expected = "\
.env:1:1: hint[unused-env-variable]: unused
  |
1 | NEON_POSTGRESQL_HOST=ep-x.neon.tech
  | ^^^^^^^^^^^^^^^^^^^^

.env:2:1: warning[plaintext-secret]: NEON_POSTGRESQL_PASSWORD holds a password in a file git does not ignore
  |
2 | NEON_POSTGRESQL_PASSWORD=*******************
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

.env:3:1: error[unknown-variable]: NEON_POSTGRES_USER is never set by Service Connector
  |
3 | NEON_POSTGRES_USER=app
  | ^^^^^^^^^^^^^^^^^^

web app/src/db.js:1:23: error[unknown-variable]: NEON_POSTGRES_HOST is never set by Service Connector; did you mean NEON_POSTGRESQL_HOST?
  |
1 | const é = process.env.NEON_POSTGRES_HOST;
  |                       ^^^^^^^^^^^^^^^^^^
  = help: Replace with NEON_POSTGRESQL_HOST

note: bin.py: skipped: binary file
2 errors, 1 warning, 1 hint in 14 files scanned
";
        assert_eq!(output, expected);
    }

    #[test]
    fn colour_only_when_asked() {
        let report = sample_report();
        assert!(!render_text(&report, false).contains('\u{1b}'));
        let coloured = render_text(&report, true);
        assert!(
            coloured.contains("\u{1b}[1m\u{1b}[31merror[unknown-variable]:\u{1b}[0m"),
            "{coloured}"
        );
    }

    #[test]
    fn multi_line_ranges_tabs_and_control_characters() {
        use crate::diagnostic::Diagnostic;
        use crate::rules::Rule;
        use crate::text::TextRange;
        let text = "\tKEY=\"a\nb\"\nX=\u{1b}[2J\n";
        let mut report = sample_report();
        report.notes.clear();
        report.sources = [("m.sh".to_owned(), text.to_owned())].into();
        report.diagnostics = vec![
            Diagnostic::new(Rule::EnvSyntax, "m.sh", TextRange::new(5, 10), "unbalanced"),
            Diagnostic::new(Rule::EnvSyntax, "m.sh", TextRange::new(13, 13), "escape"),
        ];
        let output = render_text(&report, false);
        assert!(output.contains("1 | \tKEY=\"a\n  | \t    ^^\n"), "{output}");
        assert!(output.contains("3 | X=\u{fffd}[2J\n  |   ^\n"), "{output}");
        assert!(!output.contains('\u{1b}'));
    }

    #[test]
    fn env_lines_hide_values_of_keys_that_may_be_secret() {
        use crate::diagnostic::Diagnostic;
        use crate::rules::Rule;
        use crate::text::TextRange;
        let text = "BROKEN=\"s3cret-value\nNEON_POSTGRESQL_HOST=ep-x.neon.tech\n";
        let mut report = sample_report();
        report.notes.clear();
        report.sources = [(".env".to_owned(), text.to_owned())].into();
        report.diagnostics = vec![
            Diagnostic::new(
                Rule::EnvSyntax,
                ".env",
                TextRange::new(7, 8),
                "unterminated",
            ),
            Diagnostic::new(
                Rule::UnusedEnvVariable,
                ".env",
                TextRange::new(21, 41),
                "unused",
            ),
        ];
        let output = render_text(&report, false);
        assert!(!output.contains("s3cret"), "{output}");
        assert!(output.contains("1 | BROKEN=*************\n"), "{output}");
        assert!(
            output.contains("NEON_POSTGRESQL_HOST=ep-x.neon.tech"),
            "{output}"
        );
    }
}

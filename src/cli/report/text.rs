//! The compiler-style text reporter: `path:line:col: severity[rule-id]: message`, the source
//! line with a caret under the range, the first fix as a help line, then notes and a summary.

use super::{Positions, Report, Span, located, summary_line};
use crate::diagnostic::{Diagnostic, Severity};
use crate::text::TextRange;
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
    let mut positions = Positions::of(report);
    let mut out = String::new();
    for (diagnostic, span) in located(report, &mut positions) {
        write_diagnostic(&mut out, diagnostic, span, &mut positions, color);
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

/// On a line longer than this (in bytes), only a window around the range is shown, as rustc
/// and ruff do: a minified bundle's single line must not be printed once per finding.
const LONG_LINE: usize = 240;
/// Bytes of context shown on each side of the range in a long line.
const CONTEXT: usize = 60;
/// Bytes of the range itself shown in a long line; a longer range is cut.
const LONG_RANGE: usize = 120;

/// The source line under a diagnostic, secrets masked, with its caret columns (0-based,
/// in characters of the returned text).
struct Quoted {
    text: String,
    start_column: usize,
    end_column: usize,
}

/// The part of the diagnostic's first line to quote: all of it, or a window around the
/// range on a long line; then every secret in it replaced by the fixed-width mask.
fn quote_line(
    positions: &mut Positions<'_>,
    path: &str,
    range: TextRange,
    span: Span,
) -> Option<Quoted> {
    let line = positions.line_range(path, span.start.line)?;
    let text = positions.text(path)?;
    let focus_start = range.start.clamp(line.start, line.end);
    let focus_end = range.end.clamp(focus_start, line.end);
    let (window, cut_before, cut_after) = if line.len() <= LONG_LINE {
        (line, false, false)
    } else {
        let start = crate::secrets::floor_char_boundary(
            text,
            focus_start.saturating_sub(CONTEXT).max(line.start),
        );
        let shown_end = focus_end.min(focus_start + LONG_RANGE);
        let end = crate::secrets::ceil_char_boundary(text, (shown_end + CONTEXT).min(line.end));
        (
            TextRange::new(start, end),
            start > line.start,
            end < line.end,
        )
    };
    let masked = crate::secrets::mask_window(text, window, positions.secrets(path));
    let prefix = if cut_before { "…" } else { "" };
    let suffix = if cut_after { "…" } else { "" };
    let offset = usize::from(cut_before);
    let start_column = offset + masked.column(text, focus_start, false);
    let end_column = if span.end.line == span.start.line {
        offset + masked.column(text, focus_end.min(window.end), true)
    } else {
        // A range over several lines is underlined to the end of its first line.
        offset + masked.column(text, window.end, true)
    };
    Some(Quoted {
        text: format!("{prefix}{}{suffix}", printable(&masked.text)),
        start_column,
        end_column,
    })
}

fn write_diagnostic(
    out: &mut String,
    diagnostic: &Diagnostic,
    span: Span,
    positions: &mut Positions<'_>,
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
    if let Some(quoted) = quote_line(positions, &diagnostic.path, diagnostic.range, span) {
        let number = span.start.line.to_string();
        let gutter = " ".repeat(number.len());
        let padding: String = quoted
            .text
            .chars()
            .take(quoted.start_column)
            .map(|ch| if ch == '\t' { '\t' } else { ' ' })
            .collect();
        let width = quoted.end_column.saturating_sub(quoted.start_column).max(1);
        let _ = writeln!(out, "{gutter} {}", paint(color, GUTTER, "|"));
        let _ = writeln!(
            out,
            "{} {}",
            paint(color, GUTTER, &format!("{number} |")),
            quoted.text
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
            printable(&crate::secrets::mask_value(&fix.title))
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
2 | NEON_POSTGRESQL_PASSWORD=****
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

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
        assert!(
            output.contains("1 | BROKEN=****\n  |        ^^^^\n"),
            "{output}"
        );
        assert!(
            output.contains("NEON_POSTGRESQL_HOST=ep-x.neon.tech"),
            "{output}"
        );
    }

    #[test]
    fn long_lines_show_a_window_around_the_range() {
        use crate::diagnostic::Diagnostic;
        use crate::rules::Rule;
        use crate::text::TextRange;
        let filler = "x;".repeat(50_000);
        let text = format!(
            "{filler}const url=\"postgres://u:pw@h/db\";process.env.NEON_POSTGRES_HOST;{filler}\n"
        );
        let name = text.find("NEON_POSTGRES_HOST").unwrap();
        let mut report = sample_report();
        report.notes.clear();
        report.sources = [("bundle.js".to_owned(), text.clone())].into();
        report.diagnostics = vec![Diagnostic::new(
            Rule::UnknownVariable,
            "bundle.js",
            TextRange::new(name, name + "NEON_POSTGRES_HOST".len()),
            "unknown",
        )];
        let output = render_text(&report, false);
        assert!(output.len() < 1_000, "{} bytes", output.len());
        let quoted = output.lines().nth(2).unwrap();
        let caret = output.lines().nth(3).unwrap();
        assert!(
            quoted.starts_with("1 | …") && quoted.ends_with("…"),
            "{quoted}"
        );
        assert!(quoted.contains("postgres://u:****@h/db"), "{quoted}");
        let column = quoted.chars().position(|c| c == 'N').unwrap();
        assert_eq!(
            caret.chars().position(|c| c == '^'),
            Some(column),
            "{output}"
        );
        assert_eq!(caret.matches('^').count(), "NEON_POSTGRES_HOST".len());
    }
}

//! Output reporters for `neon-lsp check`: one per `--format` (text, json, sarif, github).
//!
//! Each reporter turns a [`Report`] into a string; the caller prints it. Byte ranges become
//! 1-based lines and Unicode-scalar columns here, through [`crate::text::LineIndex`], so every
//! format agrees on positions. Reporters never decide exit codes, read files or choose
//! colours themselves (the caller says whether the terminal wants colour).

mod github;
mod json;
mod sarif;
mod text;

pub use crate::disk::walk::Note;
pub use github::render_github;
pub use json::render_json;
pub use sarif::render_sarif;
pub use text::render_text;

use crate::diagnostic::{Diagnostic, Severity};
use crate::text::{HumanPosition, LineIndex, TextRange};
use std::collections::HashMap;

/// Everything a reporter needs about one `check` run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Workspace-relative path → the text the diagnostics' ranges point into.
    pub sources: HashMap<String, String>,
    pub files_scanned: usize,
    pub notes: Vec<Note>,
    /// Path → where that source holds secrets, when the analysis already knows
    /// ([`crate::analysis::analyse_for_report`]); a file missing here is scanned on demand.
    pub secrets: HashMap<String, Vec<TextRange>>,
}

/// The `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Sarif, Format::Github];

    pub fn id(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }

    pub fn from_id(id: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.id() == id)
    }

    /// Renders `report`; `color` only matters for [`Format::Text`].
    pub fn render(self, report: &Report, color: bool) -> String {
        match self {
            Format::Text => render_text(report, color),
            Format::Json => render_json(report),
            Format::Sarif => render_sarif(report),
            Format::Github => render_github(report),
        }
    }
}

/// Counts by severity, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub hints: usize,
}

impl Report {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for diagnostic in &self.diagnostics {
            // A summary finding counts the findings it stands for (`rules::collect`).
            let count = diagnostic.count();
            match diagnostic.severity {
                Severity::Error => counts.errors += count,
                Severity::Warning => counts.warnings += count,
                Severity::Info => counts.infos += count,
                Severity::Hint => counts.hints += count,
            }
        }
        counts
    }
}

/// A 1-based start and exclusive end of a range, in Unicode-scalar columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: HumanPosition,
    end: HumanPosition,
}

/// Converts byte ranges of many files, indexing each file once.
struct Positions<'a> {
    sources: &'a HashMap<String, String>,
    indexes: HashMap<&'a str, LineIndex>,
    secrets: HashMap<&'a str, Vec<TextRange>>,
    known_secrets: Option<&'a HashMap<String, Vec<TextRange>>>,
}

impl<'a> Positions<'a> {
    fn new(sources: &'a HashMap<String, String>) -> Self {
        Self {
            sources,
            indexes: HashMap::new(),
            secrets: HashMap::new(),
            known_secrets: None,
        }
    }

    /// Positions that take each file's secret ranges from the report when it has them.
    fn of(report: &'a Report) -> Self {
        Self {
            known_secrets: Some(&report.secrets),
            ..Self::new(&report.sources)
        }
    }

    /// The byte range of 1-based `line` of `path`, without its terminator.
    fn line_range(&mut self, path: &str, line: usize) -> Option<TextRange> {
        let (path, text) = self.sources.get_key_value(path)?;
        let index = self
            .indexes
            .entry(path.as_str())
            .or_insert_with(|| LineIndex::new(text));
        let zero_based = line.checked_sub(1)?;
        (zero_based < index.line_count()).then(|| index.line_range(text, zero_based))
    }

    /// Where `path` holds secrets ([`crate::secrets::secret_ranges`]), computed once per file.
    fn secrets(&mut self, path: &str) -> &[TextRange] {
        let Some((path, text)) = self.sources.get_key_value(path) else {
            return &[];
        };
        if let Some(known) = self
            .known_secrets
            .and_then(|known| known.get(path.as_str()))
        {
            return known;
        }
        self.secrets
            .entry(path.as_str())
            .or_insert_with(|| crate::secrets::secret_ranges(path, text))
    }

    /// A file the report has no text for (a file a fix creates) only has position 1:1.
    fn span(&mut self, path: &str, range: TextRange) -> Span {
        let Some((path, text)) = self.sources.get_key_value(path) else {
            let start = HumanPosition { line: 1, column: 1 };
            return Span { start, end: start };
        };
        let index = self
            .indexes
            .entry(path.as_str())
            .or_insert_with(|| LineIndex::new(text));
        let start = index.human(text, range.start);
        let end = index.human(text, range.end.max(range.start));
        Span { start, end }
    }

    fn text(&self, path: &str) -> Option<&'a str> {
        self.sources.get(path).map(String::as_str)
    }
}

/// Diagnostics with their positions, sorted by path, line and column (then rule, for ties).
fn located<'a>(report: &'a Report, positions: &mut Positions<'a>) -> Vec<(&'a Diagnostic, Span)> {
    let mut located: Vec<(&Diagnostic, Span)> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic,
                positions.span(&diagnostic.path, diagnostic.range),
            )
        })
        .collect();
    located.sort_by(|(a, a_span), (b, b_span)| {
        (a.path.as_str(), a_span.start, a.rule, &a.message).cmp(&(
            b.path.as_str(),
            b_span.start,
            b.rule,
            &b.message,
        ))
    });
    located
}

fn plural(count: usize, singular: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {singular}s")
    }
}

/// "2 errors, 1 warning in 14 files scanned" (hints and infos only when present).
fn summary_line(report: &Report) -> String {
    let counts = report.counts();
    let files = format!("{} scanned", plural(report.files_scanned, "file"));
    if report.diagnostics.is_empty() {
        return format!("no problems found in {files}");
    }
    let mut parts = vec![
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
    ];
    if counts.infos > 0 {
        parts.push(format!("{} info", counts.infos));
    }
    if counts.hints > 0 {
        parts.push(plural(counts.hints, "hint"));
    }
    format!("{} in {files}", parts.join(", "))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::diagnostic::{Applicability, FileEdit, Fix};
    use crate::rules::Rule;

    pub(crate) const ENV: &str = "NEON_POSTGRESQL_HOST=ep-x.neon.tech\nNEON_POSTGRESQL_PASSWORD=hunter2-very-secret\nNEON_POSTGRES_USER=app\n";
    pub(crate) const JS: &str = "const é = process.env.NEON_POSTGRES_HOST;\nconsole.log(\"ok\");\n";

    /// A report over two files with an error (with a fix), a warning and a hint.
    pub(crate) fn sample_report() -> Report {
        let js_start = JS.find("NEON_POSTGRES_HOST").unwrap();
        let env_user = ENV.find("NEON_POSTGRES_USER").unwrap();
        let unknown = Diagnostic::new(
            Rule::UnknownVariable,
            "web app/src/db.js",
            TextRange::new(js_start, js_start + "NEON_POSTGRES_HOST".len()),
            "NEON_POSTGRES_HOST is never set by Service Connector; did you mean NEON_POSTGRESQL_HOST?",
        )
        .with_fix(Fix {
            title: "Replace with NEON_POSTGRESQL_HOST".to_owned(),
            edits: vec![FileEdit::new("web app/src/db.js".to_owned(), TextRange::new(js_start, js_start + "NEON_POSTGRES_HOST".len()), "NEON_POSTGRESQL_HOST".to_owned())],
            applicability: Applicability::Safe,
        });
        let env_unknown = Diagnostic::new(
            Rule::UnknownVariable,
            ".env",
            TextRange::new(env_user, env_user + "NEON_POSTGRES_USER".len()),
            "NEON_POSTGRES_USER is never set by Service Connector",
        );
        let mut plaintext = Diagnostic::new(
            Rule::PlaintextSecret,
            ".env",
            TextRange::new(
                ENV.find("NEON_POSTGRESQL_PASSWORD").unwrap(),
                ENV.find("hunter2").unwrap() + 19,
            ),
            "NEON_POSTGRESQL_PASSWORD holds a password in a file git does not ignore",
        );
        plaintext.severity = Severity::Warning;
        let mut unused = Diagnostic::new(
            Rule::UnusedEnvVariable,
            ".env",
            TextRange::new(0, 20),
            "unused",
        );
        unused.severity = Severity::Hint;
        Report {
            diagnostics: vec![unused, unknown, plaintext, env_unknown],
            sources: HashMap::from([
                (".env".to_owned(), ENV.to_owned()),
                ("web app/src/db.js".to_owned(), JS.to_owned()),
            ]),
            files_scanned: 14,
            notes: vec![Note {
                path: "bin.py".to_owned(),
                message: "skipped: binary file".to_owned(),
            }],
            secrets: HashMap::new(),
        }
    }

    #[test]
    fn summary_counts_and_pluralises() {
        assert_eq!(
            summary_line(&sample_report()),
            "2 errors, 1 warning, 1 hint in 14 files scanned"
        );
        let empty = Report {
            files_scanned: 1,
            ..Report::default()
        };
        assert_eq!(summary_line(&empty), "no problems found in 1 file scanned");
    }

    #[test]
    fn diagnostics_are_sorted_by_path_line_column() {
        let report = sample_report();
        let mut positions = Positions::new(&report.sources);
        let order: Vec<(String, usize, usize)> = located(&report, &mut positions)
            .iter()
            .map(|(d, s)| (d.path.clone(), s.start.line, s.start.column))
            .collect();
        assert_eq!(
            order,
            [
                (".env".to_owned(), 1, 1),
                (".env".to_owned(), 2, 1),
                (".env".to_owned(), 3, 1),
                ("web app/src/db.js".to_owned(), 1, 23)
            ]
        );
    }

    #[test]
    fn unknown_files_and_out_of_range_offsets_do_not_panic() {
        let mut report = sample_report();
        report.diagnostics.push(Diagnostic::new(
            Rule::EnvSyntax,
            "missing.env",
            TextRange::new(5, 9),
            "m",
        ));
        report.diagnostics.push(Diagnostic::new(
            Rule::EnvSyntax,
            ".env",
            TextRange::new(9999, 99999),
            "m",
        ));
        report.diagnostics.push(Diagnostic::new(
            Rule::EnvSyntax,
            "web app/src/db.js",
            TextRange::new(7, 8),
            "m",
        ));
        for format in Format::ALL {
            for color in [false, true] {
                let output = format.render(&report, color);
                assert!(!output.is_empty());
            }
        }
    }

    #[test]
    fn no_reporter_prints_secrets_from_lines_it_does_not_point_at_or_from_values() {
        let mut report = sample_report();
        // Only the unknown-variable diagnostic on line 3 of .env remains; line 2 holds a password.
        report
            .diagnostics
            .retain(|d| d.path != ".env" || d.rule == Rule::UnknownVariable);
        for format in Format::ALL {
            let output = format.render(&report, true);
            assert!(
                !output.contains("hunter2"),
                "{format:?} leaked a value:\n{output}"
            );
            assert!(output.contains("NEON_POSTGRES_USER"), "{format:?}");
        }
        // Even pointing at the password line shows the key, never the value.
        let report = sample_report();
        for format in Format::ALL {
            let output = format.render(&report, false);
            assert!(
                !output.contains("hunter2"),
                "{format:?} leaked a value:\n{output}"
            );
        }
    }

    #[test]
    fn format_ids_round_trip() {
        for format in Format::ALL {
            assert_eq!(Format::from_id(format.id()), Some(format));
        }
        assert_eq!(Format::from_id("xml"), None);
    }
}

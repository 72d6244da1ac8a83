//! What the rules produce: diagnostics with their fixes, as plain data.
//!
//! Ranges are byte offsets into the named file's text; the CLI reporters and the LSP
//! convert them at the edge (see [`crate::text::LineIndex`]). Nothing here knows about
//! terminals, JSON-RPC or SARIF.

use crate::rules::Rule;
use crate::text::TextRange;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One replacement in one file. An insertion has an empty range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEdit {
    /// Workspace-relative path with `/` separators.
    pub path: String,
    pub range: TextRange,
    pub new_text: String,
    /// What reporters show instead of `new_text` when the new text holds a secret (a converted
    /// connection string keeps its password when applied, but is never printed).
    pub display_text: Option<String>,
}

impl FileEdit {
    pub fn new(path: impl Into<String>, range: TextRange, new_text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            range,
            new_text: new_text.into(),
            display_text: None,
        }
    }

    /// The text that may be shown to people: masked when the edit carries a secret.
    pub fn shown_text(&self) -> &str {
        self.display_text.as_deref().unwrap_or(&self.new_text)
    }
}

/// Whether `check --fix` may apply a fix without a person looking at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the program's meaning or only makes a broken reference correct.
    Safe,
    /// Needs review (placeholders, code insertion, a guess among several names).
    Unsafe,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<FileEdit>,
    pub applicability: Applicability,
}

/// A pointer to the other side of a finding (the .env line, the code that reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub path: String,
    pub range: TextRange,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Rule,
    pub severity: Severity,
    /// Workspace-relative path with `/` separators.
    pub path: String,
    pub range: TextRange,
    /// Never contains a password or token: rules mask values before formatting.
    pub message: String,
    pub fixes: Vec<Fix>,
    pub related: Vec<Related>,
    /// Non-zero on the one summary finding that stands for this many further findings of its
    /// rule in its file, past the per-file cap (`rules::collect`); reporters count them all.
    pub omitted: usize,
}

impl Diagnostic {
    pub fn new(
        rule: Rule,
        path: impl Into<String>,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            severity: rule.default_severity(),
            path: path.into(),
            range,
            message: message.into(),
            fixes: Vec::new(),
            related: Vec::new(),
            omitted: 0,
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }

    /// How many findings this one counts for: itself, or the findings a summary stands for.
    pub fn count(&self) -> usize {
        self.omitted.max(1)
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }
}

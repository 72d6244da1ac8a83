//! Merging the rendered variables into a .env file, keeping every other line.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Updated,
    Unchanged,
}

/// What happens to one key, with values as they may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvChange {
    pub key: String,
    pub kind: ChangeKind,
    /// The current value (masked like the new one); `None` when the key is new.
    pub old_shown: Option<String>,
    pub new_shown: String,
}

/// The merged file and what changed.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvMerge {
    text: Secret,
    pub changes: Vec<EnvChange>,
}

impl fmt::Debug for EnvMerge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvMerge")
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl EnvMerge {
    /// The new file text (holds the password).
    pub fn text(&self) -> &str {
        self.text.expose()
    }

    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|change| change.kind != ChangeKind::Unchanged)
    }

    /// The change as diff lines, secrets masked: `+ KEY=new`, `- KEY=old`, `  KEY (unchanged)`.
    pub fn diff_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for change in &self.changes {
            match change.kind {
                ChangeKind::Added => lines.push(format!("+ {}={}", change.key, change.new_shown)),
                ChangeKind::Updated => {
                    if let Some(old) = &change.old_shown {
                        lines.push(format!("- {}={old}", change.key));
                    }
                    lines.push(format!("+ {}={}", change.key, change.new_shown));
                }
                ChangeKind::Unchanged => lines.push(format!("  {} (unchanged)", change.key)),
            }
        }
        lines
    }
}

/// The .env file cannot be merged into safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "line {line}: {message}; fix that line first (neon-lsp pull does not rewrite a .env file that loaders reject)"
)]
pub struct MergeError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// `text` with every variable set: an existing key keeps its line (and inline comment) and gets
/// the new value in every place it is defined, so no loader reads a stale one; new keys are
/// appended under a `# {header}` comment. Every other line stays as it was.
pub fn merge_into_env(
    text: &str,
    variables: &[RenderedVariable],
    header: &str,
) -> Result<EnvMerge, MergeError> {
    let env = dotenv::parse(text);
    if let Some(error) = env.errors.iter().find(|error| error.kind.loader_rejects()) {
        return Err(MergeError {
            line: error.line + 1,
            message: error.message.clone(),
        });
    }
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    let mut changes = Vec::with_capacity(variables.len());
    let mut appended: Vec<&RenderedVariable> = Vec::new();
    for variable in variables {
        let definitions: Vec<&dotenv::EnvEntry> = env.definitions(&variable.name).collect();
        let Some(last) = definitions.last() else {
            appended.push(variable);
            changes.push(EnvChange {
                key: variable.name.clone(),
                kind: ChangeKind::Added,
                old_shown: None,
                new_shown: variable.shown.clone(),
            });
            continue;
        };
        let stale: Vec<&&dotenv::EnvEntry> = definitions
            .iter()
            .filter(|entry| entry.value != variable.value())
            .collect();
        for entry in &stale {
            edits.push((entry.value_range, dotenv::render_value(variable.value())));
        }
        changes.push(EnvChange {
            key: variable.name.clone(),
            kind: if stale.is_empty() {
                ChangeKind::Unchanged
            } else {
                ChangeKind::Updated
            },
            old_shown: Some(shown_like(variable, &last.value)),
            new_shown: variable.shown.clone(),
        });
    }
    let mut merged = text.to_owned();
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, replacement) in edits {
        merged.replace_range(range.start..range.end, &replacement);
    }
    if !appended.is_empty() {
        let line_ending = env.line_ending.as_str();
        let body = merged.trim_start_matches('\u{FEFF}');
        let mut block = String::new();
        if !body.is_empty() {
            if !body.ends_with('\n') {
                block.push_str(line_ending);
            }
            if !body.ends_with("\n\n") && !body.ends_with("\r\n\r\n") {
                block.push_str(line_ending);
            }
        }
        block.push_str("# ");
        block.push_str(&header.replace(['\r', '\n'], " "));
        block.push_str(line_ending);
        for variable in appended {
            block.push_str(&dotenv::render_entry(&variable.name, variable.value()));
            block.push_str(line_ending);
        }
        merged.push_str(&block);
    }
    Ok(EnvMerge {
        text: Secret::new(merged),
        changes,
    })
}

/// An existing value shown the way the new one is: secrets masked.
pub(super) fn shown_like(variable: &RenderedVariable, old: &str) -> String {
    if !variable.carries_secret {
        return old.to_owned();
    }
    if variable.shown == MASK {
        return MASK.to_owned();
    }
    match connstr::parse(old) {
        Ok((format, params)) => params.masked(format),
        Err(_) => MASK.to_owned(),
    }
}

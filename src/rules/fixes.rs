//! What the rules' fix functions share (issue 14): the nearest honest edit where no mechanical
//! fix exists — a `TODO(neon-lsp)` comment above the finding saying what to change and why it
//! cannot be done for you — and the few facts about a file's syntax that edits need.

use crate::diagnostic::{Applicability, FileEdit, Fix};
use crate::text::TextRange;

/// The line-comment marker of the file at `path`, if its format has one (JSON has none).
pub(crate) fn comment_prefix(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let extension = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    if name.starts_with(".env")
        || name.ends_with(".env")
        || name == "dockerfile"
        || name.starts_with("dockerfile.")
        || name == "gemfile"
        || name == "requirements.txt"
    {
        return Some("#");
    }
    match extension {
        "py" | "rb" | "sh" | "bash" | "zsh" | "ps1" | "yml" | "yaml" | "toml" | "properties"
        | "tf" | "tfvars" | "txt" | "cfg" | "ini" | "conf" => Some("#"),
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "go" | "java" | "kt"
        | "cs" | "php" | "bicep" | "rs" | "scala" | "swift" | "c" | "cpp" | "groovy" | "gradle" => {
            Some("//")
        }
        "sql" => Some("--"),
        _ => None,
    }
}

/// The range of the line holding `offset`, without its terminator, and whether a terminator
/// follows.
pub(crate) fn line_at(text: &str, offset: usize) -> (TextRange, bool) {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let (end, terminated) = text[offset..]
        .find('\n')
        .map_or((text.len(), false), |at| (offset + at, true));
    let end = if text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    (TextRange::new(start, end), terminated)
}

/// An unsafe fix that inserts `// TODO(neon-lsp): <note>` (in the file's comment syntax, with
/// the line's indentation) above the line holding `at`. `None` for a format without comments.
/// The note is written by the rule: it never quotes a value from the file.
pub(crate) fn note_fix(path: &str, text: &str, at: usize, title: &str, note: &str) -> Option<Fix> {
    let prefix = comment_prefix(path)?;
    let line = note_line(path, text, line_at(text, at).0);
    let indent: String = text[line.start..line.end]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    // The line's own terminator: looking at the whole file per finding would be quadratic
    // (250,000 notes in one file, tests/pathological.rs).
    let ending = if text[line.end..].starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let note = note.replace(['\r', '\n'], " ");
    Some(Fix {
        title: title.to_owned(),
        edits: vec![FileEdit::new(
            path,
            TextRange::empty(line.start),
            format!("{indent}{prefix} TODO(neon-lsp): {note}{ending}"),
        )],
        applicability: Applicability::Unsafe,
    })
}

/// The line a note above `line` goes above, so that the comment ends no statement early: the
/// first line of a command continued with `\` (or PowerShell's backtick), and in YAML the key
/// line of a multi-line scalar (a comment line inside a plain scalar is invalid YAML, inside a
/// folded `>` one it becomes a `#` in the middle of the command). Bounded: at most 200 lines up.
fn note_line(path: &str, text: &str, mut line: TextRange) -> TextRange {
    let yaml = path.ends_with(".yml") || path.ends_with(".yaml");
    let indent = |line: TextRange| {
        text[line.start..line.end]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .count()
    };
    let previous = |line: TextRange| (line.start > 0).then(|| line_at(text, line.start - 1).0);
    for _ in 0..200 {
        let Some(above) = previous(line) else { break };
        let above_text = text[above.start..above.end].trim_end();
        if above_text.ends_with('\\') || above_text.ends_with('`') {
            line = above;
            continue;
        }
        if yaml && !is_yaml_entry(&text[line.start..line.end]) {
            // A continuation line of a scalar: up to the less indented line that opens it.
            let own = indent(line);
            let mut parent = above;
            let mut steps = 0;
            while (parent.is_empty() || indent(parent) >= own) && steps < 200 {
                let Some(next) = previous(parent) else { break };
                parent = next;
                steps += 1;
            }
            if indent(parent) < own {
                line = parent;
            }
        }
        break;
    }
    line
}

/// Whether a YAML line starts an entry (`key:`, `- item`, a comment) rather than continuing a
/// multi-line scalar.
fn is_yaml_entry(line: &str) -> bool {
    let trimmed = line.trim_start();
    let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "-" {
        return true;
    }
    let key_end = trimmed
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '(' | ')')))
        .unwrap_or(trimmed.len());
    key_end > 0 && {
        let rest = &trimmed[key_end..];
        rest.starts_with(": ") || rest == ":"
    }
}

/// For the rules whose findings no edit can settle (what is declared in infrastructure code,
/// deployed on Azure, or a secret that must leave a committed file): each of `diagnostics`
/// without a fix gets a note at its line, `note(diagnostic)` saying what to change by hand.
pub(crate) fn add_notes(
    context: &crate::analysis::Context,
    diagnostics: &mut [crate::diagnostic::Diagnostic],
    title: &str,
    note: impl Fn(&crate::diagnostic::Diagnostic) -> String,
) {
    for diagnostic in diagnostics.iter_mut().filter(|d| d.fixes.is_empty()) {
        let Some(file) = context.files.iter().find(|f| f.path == diagnostic.path) else {
            continue;
        };
        if file.lossy {
            continue;
        }
        if let Some(fix) = note_fix(
            &diagnostic.path,
            file.text,
            diagnostic.range.start,
            title,
            &note(diagnostic),
        ) {
            diagnostic.fixes.push(fix);
        }
    }
}

/// The note for a declaration that contradicts the code (declared-*): which side is right is
/// the author's decision, so no edit can be made for them.
pub(crate) fn add_contradiction_notes(
    context: &crate::analysis::Context,
    diagnostics: &mut [crate::diagnostic::Diagnostic],
) {
    add_notes(
        context,
        diagnostics,
        "Note the contradiction to settle",
        |d| {
            format!(
                "{}; decide which side is right and change the declaration or the code.",
                d.message
            )
        },
    );
}

/// The byte range of lines `start..end` (0-based, end exclusive) of `text`.
pub(crate) fn line_range(text: &str, start: usize, end: usize) -> TextRange {
    let line_start = |n: usize| {
        if n == 0 {
            0
        } else {
            text.match_indices('\n')
                .nth(n - 1)
                .map_or(text.len(), |(at, _)| at + 1)
        }
    };
    TextRange::new(line_start(start), line_start(end.max(start)))
}

/// The edit that gives the file `path` the import `statement` (`import os`, `import "os"`),
/// merged into its own imports by [`crate::snippet::place`] — after a module docstring,
/// `from __future__` or the package clause, never a duplicate. `None` when the file has it or
/// is not of `client_type`'s language.
pub(crate) fn import_edit(
    path: &str,
    text: &str,
    client_type: crate::catalogue::ClientType,
    statement: &str,
) -> Option<FileEdit> {
    let edit = crate::snippet::place::add_imports(path, client_type, text, &[statement]).ok()??;
    Some(FileEdit::new(
        path,
        line_range(text, edit.start, edit.end),
        edit.text,
    ))
}

/// The edits that turn `old` (the text at `at` in the file) into `new`, as small as a
/// character diff makes them: unchanged text — a password kept as it was — appears in no edit,
/// so no output that shows an edit (a code action, a diff, JSON) carries it.
pub(crate) fn minimal_edits(path: &str, at: usize, old: &str, new: &str) -> Vec<FileEdit> {
    let old_chars: Vec<(usize, char)> = old.char_indices().collect();
    let new_chars: Vec<char> = new.chars().collect();
    let old_only: Vec<char> = old_chars.iter().map(|(_, c)| *c).collect();
    let byte = |index: usize| old_chars.get(index).map_or(old.len(), |(at, _)| *at);
    similar::capture_diff_slices(similar::Algorithm::Myers, &old_only, &new_chars)
        .into_iter()
        .filter(|op| op.tag() != similar::DiffTag::Equal)
        .map(|op| {
            let old_range = op.old_range();
            let range = TextRange::new(at + byte(old_range.start), at + byte(old_range.end));
            FileEdit::new(
                path,
                range,
                new_chars[op.new_range()].iter().collect::<String>(),
            )
        })
        .collect()
}

/// The findings of `rule` when the files `(path, text)` are analysed: what the rules' fix tests
/// start from.
#[cfg(test)]
pub(crate) fn findings_of(
    rule: crate::rules::Rule,
    files: &[(&str, &str)],
) -> Vec<crate::diagnostic::Diagnostic> {
    use crate::workspace::{GitState, Workspace, WorkspaceFile};
    let workspace = Workspace {
        files: files
            .iter()
            .map(|(path, text)| WorkspaceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
                git: GitState::Untracked,
                lossy: false,
            })
            .collect(),
    };
    crate::analysis::analyse(&workspace, &crate::analysis::Options::default())
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.rule == rule)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_follow_the_file_syntax_and_indentation() {
        let text = "def f():\n    print(dsn)\n";
        let fix = note_fix("app.py", text, 15, "Explain", "say why").unwrap();
        assert_eq!(fix.edits[0].range, TextRange::empty(9));
        assert_eq!(fix.edits[0].new_text, "    # TODO(neon-lsp): say why\n");
        assert_eq!(fix.applicability, Applicability::Unsafe);
        let fix = note_fix("src/db.ts", "x\r\ny\r\n", 3, "Explain", "a\nb").unwrap();
        assert_eq!(fix.edits[0].new_text, "// TODO(neon-lsp): a b\r\n");
        assert_eq!(fix.edits[0].range, TextRange::empty(3));
        // JSON has no comments: no honest edit there.
        assert!(note_fix("azuredeploy.json", "{}", 0, "Explain", "x").is_none());
        assert_eq!(comment_prefix("web/.env.local"), Some("#"));
        assert_eq!(comment_prefix("infra/main.bicep"), Some("//"));
    }

    /// A note never splits a statement: above a `\`-continued command's first line, above the
    /// key of a YAML scalar that runs over several lines.
    #[test]
    fn notes_go_above_the_statement_they_would_split() {
        let script = "set -e\naz webapp connection create postgres-flexible \\\n  --connection pg \\\n  --client-type nodejs\n";
        let at = script.find("--client-type").unwrap();
        let fix = note_fix("deploy.sh", script, at, "Explain", "why").unwrap();
        assert_eq!(fix.edits[0].range, TextRange::empty(7));
        assert_eq!(fix.edits[0].new_text, "# TODO(neon-lsp): why\n");
        let yaml = "steps:\n  - task: AzureCLI@2\n    inputs:\n      inlineScript: >\n        az webapp connection create postgres\n\n        --client-type none\n      scriptType: bash\n";
        let at = yaml.find("--client-type").unwrap();
        let fix = note_fix("azure-pipelines.yml", yaml, at, "Explain", "why").unwrap();
        let key = yaml.find("      inlineScript").unwrap();
        assert_eq!(fix.edits[0].range, TextRange::empty(key));
        assert_eq!(fix.edits[0].new_text, "      # TODO(neon-lsp): why\n");
        // A key line of its own takes the note right above it.
        let at = yaml.find("scriptType").unwrap();
        let fix = note_fix("azure-pipelines.yml", yaml, at, "Explain", "why").unwrap();
        assert_eq!(
            fix.edits[0].range,
            TextRange::empty(yaml.find("      scriptType").unwrap())
        );
    }

    #[test]
    fn minimal_edits_leave_unchanged_text_out() {
        let old = "P=\"Rc6Hj2Nq";
        let new = "P='Rc6Hj2Nq'";
        let edits = minimal_edits(".env", 10, old, new);
        assert!(edits.iter().all(|e| !e.new_text.contains("Rc6")));
        let mut text = format!("0123456789{old}");
        for edit in edits.iter().rev() {
            text.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        }
        assert_eq!(text, format!("0123456789{new}"));
    }

    #[test]
    fn imports_go_after_docstrings_and_the_package_clause() {
        use crate::catalogue::ClientType;
        let apply = |text: &str, client, statement| {
            let edit = import_edit("app.py", text, client, statement);
            let mut new = text.to_owned();
            if let Some(edit) = edit {
                new.replace_range(edit.range.start..edit.range.end, &edit.new_text);
            }
            new
        };
        let text = "\"\"\"Seeds the\ncatalogue.\"\"\"\n\nfrom __future__ import annotations\n\nimport psycopg2\n\nconn = 1\n";
        let new = apply(text, ClientType::Python, "import os");
        assert!(
            new.contains("from __future__ import annotations\n\nimport psycopg2\nimport os\n"),
            "{new}"
        );
        let text = "import os\nx = 1\n";
        assert_eq!(apply(text, ClientType::Python, "import os"), text);
        let go = |text: &str| {
            let edit = import_edit("main.go", text, ClientType::Go, "import \"os\"").unwrap();
            let mut new = text.to_owned();
            new.replace_range(edit.range.start..edit.range.end, &edit.new_text);
            new
        };
        let new = go("package main\n\nimport (\n\t\"database/sql\"\n)\n\nfunc main() {}\n");
        assert!(new.contains("\"os\""), "{new}");
        assert_eq!(new.matches("import").count(), 1, "{new}");
        let new = go("package main\n\nfunc main() {}\n");
        assert!(
            new.starts_with("package main\n\nimport (\n\t\"os\"\n)\n\nfunc"),
            "{new}"
        );
        assert_eq!(line_range("a\nb\nc", 1, 2), TextRange::new(2, 4));
        assert_eq!(line_range("a\nb\n", 2, 2), TextRange::new(4, 4));
    }

    #[test]
    fn line_at_finds_the_line() {
        assert_eq!(line_at("a\nbc\r\nd", 3), (TextRange::new(2, 4), true));
        assert_eq!(line_at("a\nbc\r\nd", 6), (TextRange::new(6, 7), false));
    }
}

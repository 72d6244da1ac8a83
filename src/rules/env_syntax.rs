//! `env-syntax`: a .env line that loaders reject or misread.

use crate::analysis::{Context, File, is_within};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::dotenv::loader::{self, Loader};
use crate::dotenv::{EnvFile, EnvSyntaxErrorKind};
use crate::rules::Rule;
use crate::rules::collect::Collector;
use std::collections::HashMap;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags .env lines that the app's dotenv loader rejects (an error) or reads differently from what
the line seems to say (a warning): unbalanced quotes (reported where the quote opens), a line
without `=`, a key with characters loaders refuse, text after a closing quote, a malformed
`${…}` that loaders read as empty, `$KEY1_2` read as `$KEY1` + `_2`.

The loader is taken from the project: a compose file naming the .env under `env_file`, else the
nearest manifest (python-dotenv / django-environ in requirements or pyproject, Node's dotenv for
package.json, godotenv in go.mod, DotNetEnv in a .csproj, vlucas/phpdotenv in composer.json, the
dotenv gem in a Gemfile); dotenvy when none says. The message names the loader assumed. So
`APP_NAME=Corner Books` is fine for python-dotenv, Node, godotenv, Ruby and compose, and an
error for phpdotenv and dotenvy; shell-style quoting (`'a '\''b'`) is an error for python-dotenv.

### Why is this bad?
Depending on the loader, a bad line stops the whole file from loading, or swallows the following
lines into one value — every variable after it is then silently missing.

### Example
```dotenv
NEON_POSTGRESQL_PASSWORD="npg_Xyz123example
NEON_POSTGRESQL_DATABASE=neondb
```

### Use instead
```dotenv
NEON_POSTGRESQL_PASSWORD='npg_Xyz123example'
NEON_POSTGRESQL_DATABASE=neondb
```
The fix rewrites the line in the quoting every loader reads the same way: single quotes
(literal everywhere) around what the line says — the rest of the line after an unclosed quote,
the whole text of an unquoted value with spaces, the pieces of a glued value joined — double
quotes when the value holds a `'` or a `${NAME}` reference, `${NAME}` for a bare `$NAME_X`, an
inline comment moved to its own line. It is safe when the new line parses to that value under
every loader; otherwise (an escape, a malformed `${…}`, text after a closing quote, a line
without `=`, which is commented out) it is offered for review.
"#;

pub(crate) fn check(context: &Context, out: &mut Collector<'_>) {
    for (_, file, env) in context.env_files() {
        let (loader, source) = loader_for(context, file);
        // The parser's kind of each finding, looked up by place: a search through every error
        // per finding was quadratic (146,000 broken lines, tests/pathological.rs).
        let mut kinds = HashMap::new();
        for error in &env.errors {
            kinds.entry((error.range, error.line)).or_insert(error.kind);
        }
        let definitions = Definitions::of(file.text, env);
        let judged_by = format!(
            "judged as {}{}",
            loader.name(),
            source.map_or_else(
                || ", the loader being unknown".to_string(),
                |source| format!(", from {source}")
            )
        );
        // The last line a fix was built for: (line, findings given it, the fix).
        let mut line_fix: Option<(usize, usize, Option<Fix>)> = None;
        for finding in loader::judge(loader, file.text, env) {
            let kind = kinds.get(&(finding.range, finding.line)).copied();
            let dotenvy_only = loader != Loader::Dotenvy && only_dotenvy_rejects(kind);
            let severity = if !finding.rejects || dotenvy_only {
                Severity::Warning
            } else {
                Rule::EnvSyntax.default_severity()
            };
            // Filtered and counted first: past the per-file cap no message or fix is built.
            out.push_with_severity(Rule::EnvSyntax, file.path, finding.range, severity, || {
                let mut diagnostic = Diagnostic::new(
                    Rule::EnvSyntax,
                    file.path,
                    finding.range,
                    format!(
                        "{} ({judged_by})",
                        worded_for(loader, kind, &finding.message())
                    ),
                );
                diagnostic.severity = severity;
                // The fix rewrites the whole line: built once per line, and shared by at most
                // `MAX_FIXES_PER_LINE` of its findings (100,000 `$NAME_X` on one line would
                // otherwise rewrite that line 1,000 times).
                if line_fix
                    .as_ref()
                    .is_none_or(|(line, _, _)| *line != finding.line)
                {
                    let fix = fix_line(file.path, file.text, &definitions, finding.range.start);
                    line_fix = Some((finding.line, 0, fix));
                }
                // neon-lsp's own expansion limit is no mistake on the line: nothing to rewrite.
                if kind != Some(EnvSyntaxErrorKind::ExpansionLimit)
                    && let Some((_, given, Some(fix))) = &mut line_fix
                    && *given < MAX_FIXES_PER_LINE
                {
                    *given += 1;
                    diagnostic = diagnostic.with_fix(fix.clone());
                }
                diagnostic
            });
        }
    }
}

/// The single-line definitions of each key in a file, for the fix that comments out the
/// others: built once per file, so a fix looks up its key instead of walking every entry.
struct Definitions<'e> {
    by_key: HashMap<&'e str, Vec<&'e crate::dotenv::EnvEntry>>,
}

impl<'e> Definitions<'e> {
    /// Multi-line entries are left out: commenting out their first line would not do.
    fn of(text: &str, env: &'e EnvFile) -> Self {
        let mut by_key: HashMap<&str, Vec<&crate::dotenv::EnvEntry>> = HashMap::new();
        for entry in &env.entries {
            let written = text
                .get(entry.entry_range.start..entry.entry_range.end)
                .unwrap_or("");
            if !written.contains('\n') {
                by_key.entry(entry.key.as_str()).or_default().push(entry);
            }
        }
        Definitions { by_key }
    }

    fn of_key(&self, key: &str) -> &[&'e crate::dotenv::EnvEntry] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }
}

/// The parser reads a file as dotenvy does, so its messages name dotenvy: reworded for the
/// loader the finding was judged by (issue 14: "dotenvy rejects" on a python-dotenv project).
/// The kinds only dotenvy's own reader rejects ([`only_dotenvy_rejects`]) are not said of
/// another loader: the message says that loader reads the line and dotenvy does not — a
/// warning, since only tools reading the file as dotenvy does stop there.
fn worded_for(loader: Loader, kind: Option<EnvSyntaxErrorKind>, message: &str) -> String {
    if loader == Loader::Dotenvy {
        return message.to_owned();
    }
    if only_dotenvy_rejects(kind) {
        return format!(
            "{} reads this line, but dotenvy and the tools that read .env files its way do not: {message}",
            loader.name()
        );
    }
    message.replace("dotenvy", loader.name())
}

/// The kinds only dotenvy's own reader rejects: an escape it does not know, a last line
/// ending in whitespace or `\` without a line break, `"$NAME"`.
fn only_dotenvy_rejects(kind: Option<EnvSyntaxErrorKind>) -> bool {
    use crate::dotenv::EnvSyntaxErrorKind as Kind;
    matches!(
        kind,
        Some(
            Kind::InvalidEscape
                | Kind::TrailingWhitespaceAtEndOfFile
                | Kind::TrailingBackslashAtEndOfFile
                | Kind::QuoteClosedByVariable
        )
    )
}

/// The loader that reads `file`, and the file that says so: a compose file in an enclosing
/// folder naming it under `env_file`, else the nearest enclosing manifest that names a .env
/// loader, else dotenvy (`None`).
pub(crate) fn loader_for<'a>(context: &'a Context, file: &File) -> (Loader, Option<&'a str>) {
    let name = file.path.rsplit('/').next().unwrap_or(file.path);
    let compose = context.files.iter().find(|candidate| {
        crate::compose::is_compose_file(candidate.path)
            && is_within(file.dir, candidate.dir)
            && candidate.text.contains("env_file")
            && candidate.text.contains(name)
    });
    if let Some(compose) = compose {
        return (Loader::Compose, Some(compose.path));
    }
    context
        .files
        .iter()
        .filter(|candidate| is_within(file.dir, candidate.dir))
        .filter_map(|candidate| {
            let manifest_name = candidate.path.rsplit('/').next().unwrap_or(candidate.path);
            Loader::from_manifest(manifest_name, candidate.text)
                .map(|loader| (candidate.dir.len(), loader, candidate.path))
        })
        .max_by_key(|(depth, _, _)| *depth)
        .map_or((Loader::Dotenvy, None), |(_, loader, path)| {
            (loader, Some(path))
        })
}

/// The 0-based lines of `file` that its loader rejects (a definition there never loads).
pub(crate) fn rejected_lines(
    context: &Context,
    file: &File,
    env: &EnvFile,
) -> std::collections::HashSet<usize> {
    let (loader, _) = loader_for(context, file);
    loader::judge(loader, file.text, env)
        .into_iter()
        .filter(|finding| finding.rejects)
        .map(|finding| finding.line)
        .collect()
}

/// The most findings on one line that carry the line's fix; the others point at the same line.
const MAX_FIXES_PER_LINE: usize = 16;

/// The most other definitions of a key that a fix comments out; past it the fix leaves them
/// (and is unsafe).
const MAX_OTHER_DEFINITIONS: usize = 64;

/// Every loader, for checking that a rewritten line means the same to all of them.
const LOADERS: [Loader; 8] = [
    Loader::Dotenvy,
    Loader::PythonDotenv,
    Loader::NodeDotenv,
    Loader::GoDotenv,
    Loader::DotNetEnv,
    Loader::PhpDotenv,
    Loader::RubyDotenv,
    Loader::Compose,
];

/// The fix for a finding at `at`: the line rewritten in the quoting every loader reads as the
/// line means ([`DOCUMENTATION`]). Safe only when the new line parses, under every loader, with
/// no finding and to the value meant. The value may be a password: the edit's display text is
/// masked.
fn fix_line(path: &str, text: &str, definitions: &Definitions, at: usize) -> Option<Fix> {
    let (line, terminated) = crate::rules::fixes::line_at(text, at);
    let raw = &text[line.start..line.end];
    let ending = if terminated { "" } else { "\n" };
    let (mut new_line, mut safe) = match rewrite_line(raw) {
        Some(rewrite) => rewrite,
        // No `=`: no value to keep. Commenting the line out is what loaders that do not
        // reject it already do; the author decides what it was meant to say.
        None => (format!("# {raw}"), false),
    };
    new_line.push_str(ending);
    let parsed = crate::dotenv::parse(&new_line);
    if safe {
        safe = parsed.errors.is_empty()
            && LOADERS
                .iter()
                .all(|loader| crate::dotenv::loader::judge(*loader, &new_line, &parsed).is_empty());
    }
    if new_line == raw {
        return None;
    }
    let mut edits = line_edits(path, line.start, raw, &new_line);
    let mut also = Vec::new();
    // A quote this line opens and a later `KEY=…` line closes: once this line is closed, that
    // line is read alone, and its stray quote must go too.
    if let Some((closing, stray)) = closing_line(text, line) {
        let closing_raw = &text[closing.start..closing.end];
        let mut unquoted = closing_raw.to_owned();
        unquoted.remove(stray - closing.start);
        if let Some((rewritten, _)) = rewrite_line(&unquoted) {
            edits.extend(line_edits(path, closing.start, closing_raw, &rewritten));
            safe = false;
            also.push("and the later line that closed its quote".to_owned());
        }
    }
    // The rewritten line defines its key again: the other definitions are commented out, so
    // no loader has two values to choose from (they disagree on which one wins).
    if let Some(key) = parsed.entries.first().map(|entry| entry.key.as_str()) {
        let all = definitions.of_key(key);
        // In file order: the definitions on this line (`line.contains`), found by bisection.
        let before = all.partition_point(|entry| entry.entry_range.start < line.start);
        let through = all.partition_point(|entry| entry.entry_range.start < line.end);
        let other_count = all.len() - (through - before);
        if other_count > MAX_OTHER_DEFINITIONS {
            // Thousands of copies of a key (a generated file): one edit per copy in every
            // finding's fix would be quadratic. The line is still rewritten; the copies are
            // left to the author.
            safe = false;
            also.push(format!(
                "but leave {key}'s {other_count} other definitions to remove by hand"
            ));
        } else {
            let others: Vec<&crate::dotenv::EnvEntry> = all
                .iter()
                .copied()
                .filter(|entry| !line.contains(entry.entry_range.start))
                .collect();
            for entry in &others {
                edits.push(crate::diagnostic::FileEdit::new(
                    path,
                    crate::text::TextRange::empty(entry.entry_range.start),
                    "# ",
                ));
            }
            if let Some(first) = others.first() {
                safe = false;
                also.push(format!(
                    "and comment out {key}'s other definition on line {}",
                    first.line + 1
                ));
            }
        }
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let title = if safe {
        "Quote the value so every loader reads it as written".to_owned()
    } else {
        let mut title = "Rewrite the line in quoting every loader reads alike".to_owned();
        for part in &also {
            title.push(' ');
            title.push_str(part);
        }
        title.push_str(" (review the value)");
        title
    };
    Some(Fix {
        title,
        edits,
        applicability: if safe {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        },
    })
}

/// The edits turning the line `old` (at `at`) into `new`: character-minimal for a line of
/// ordinary length; one replacement of the whole line past [`MAX_DIFFED_LINE`] bytes, where a
/// diff costs time in proportion to the length times the number of changes (100,000 `$B_1`
/// rewritten to `${B}_1` on one line took minutes).
fn line_edits(path: &str, at: usize, old: &str, new: &str) -> Vec<crate::diagnostic::FileEdit> {
    if old.len() + new.len() <= MAX_DIFFED_LINE {
        crate::rules::fixes::minimal_edits(path, at, old, new)
    } else {
        vec![crate::diagnostic::FileEdit::new(
            path,
            crate::text::TextRange::new(at, at + old.len()),
            new,
        )]
    }
}

/// The longest old and new line, together, that [`line_edits`] diffs.
const MAX_DIFFED_LINE: usize = 8192;

/// When the line `line` of `text` opens a quote it does not close and a later line that
/// looks like an entry of its own (`KEY=…`) holds the quote loaders close it with: that line's
/// range and the offset of the stray quote in it (its last unescaped one).
fn closing_line(
    text: &str,
    line: crate::text::TextRange,
) -> Option<(crate::text::TextRange, usize)> {
    let raw = &text[line.start..line.end];
    let (_, value) = raw.split_once('=')?;
    let value = value.trim_start();
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    if !unescaped_quotes(&value[1..], quote).is_empty() {
        return None;
    }
    let mut at = line.end;
    while let Some(newline) = text[at..].find('\n') {
        let (next, _) = crate::rules::fixes::line_at(text, at + newline + 1);
        at = next.end;
        let next_raw = &text[next.start..next.end];
        let quotes = unescaped_quotes(next_raw, quote);
        let Some(last) = quotes.last() else {
            continue;
        };
        let looks_like_entry = next_raw.split_once('=').is_some_and(|(key, _)| {
            let key = key.trim().trim_start_matches("export ").trim();
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        });
        // Alone, the line must be broken: one that parses by itself (its own quotes closed)
        // is read right once this line is closed.
        if !looks_like_entry || crate::dotenv::parse(next_raw).errors.is_empty() {
            return None;
        }
        return Some((next, next.start + last));
    }
    None
}

/// Offsets of the unescaped `quote` characters in `text` (`\"` is an escape in double quotes).
fn unescaped_quotes(text: &str, quote: char) -> Vec<usize> {
    let mut found = Vec::new();
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            found.push(at);
        }
    }
    found
}

/// `raw` (one line) rewritten: the new text and whether the rewrite is certain to mean what the
/// line says. `None` when the line has no `=`.
fn rewrite_line(raw: &str) -> Option<(String, bool)> {
    let indent_len = raw.len() - raw.trim_start().len();
    let body = &raw[indent_len..];
    let (export, body) = match body.strip_prefix("export ") {
        Some(rest) => ("export ", rest.trim_start()),
        None => ("", body),
    };
    let (key, value) = body.split_once('=')?;
    let key = key.trim();
    let mut certain = true;
    let valid_key = |k: &str| {
        !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    let key = if valid_key(key) {
        key.to_owned()
    } else {
        // `MY-KEY`, `"KEY"`: the name code reads is a guess.
        certain = false;
        let cleaned: String = key
            .trim_matches(['"', '\''])
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if cleaned.is_empty() {
            return None;
        }
        cleaned
    };
    let value = value.trim();
    let (meant, comment, expands, sure) = meant_value(value);
    certain &= sure;
    let quoted = quote(&meant, expands);
    let quoted = match quoted {
        Some(quoted) => quoted,
        None => {
            certain = false;
            format!("\"{}\"", meant.replace('\\', "\\\\").replace('"', "\\\""))
        }
    };
    let mut new_line = String::new();
    if let Some(comment) = comment {
        // A comment on its own line: a quote in it can no longer join the following lines.
        new_line.push_str(&raw[..indent_len]);
        new_line.push_str(comment);
        new_line.push('\n');
    }
    new_line.push_str(&format!("{}{export}{key}={quoted}", &raw[..indent_len]));
    Some((new_line, certain))
}

/// What an unquoted or broken value means: the value, an inline comment to keep, whether
/// `$NAME` references in it were meant to expand, and whether that reading is certain.
fn meant_value(value: &str) -> (String, Option<&str>, bool, bool) {
    let first = value.chars().next();
    match first {
        Some(quote @ ('\'' | '"')) => {
            let (content, pieces, rest, closed) = shell_word(value);
            let expands = quote == '"';
            let plain = !content.contains('\\') && !value.contains('\\');
            if !closed {
                // An unclosed quote: the rest of the line is the value.
                let inner = value[1..].trim_end();
                return (inner.to_owned(), None, expands, !inner.contains('\\'));
            }
            let (content, repaired) = if expands {
                repair_references(&content)
            } else {
                (content, false)
            };
            let plain = plain && !repaired;
            let rest = rest.trim();
            if rest.is_empty() {
                return (content, None, expands, plain && pieces == 1);
            }
            if rest.starts_with('#') {
                return (content, Some(rest), expands, plain && pieces == 1);
            }
            // Text after the value (`"a" b`): kept, but whether it was meant is a guess.
            (format!("{content} {rest}"), None, expands, false)
        }
        _ => {
            let (value, comment) = match value.find(" #") {
                Some(at) => (value[..at].trim_end(), Some(value[at..].trim_start())),
                None => (value, None),
            };
            let (repaired, changed) = repair_references(value);
            let sure = !changed
                && (!value.contains(['\\', '"', '\'']) && !value.contains("${")
                    || well_braced(value));
            (braced(&repaired), comment, true, sure)
        }
    }
}

/// Reads one shell-style word from `value`: quoted and bare pieces glued together
/// (`'it'\\''s'` → `it's`). Returns the word, how many pieces it had, the text after it, and
/// whether every quote closed.
fn shell_word(value: &str) -> (String, usize, &str, bool) {
    let mut word = String::new();
    let mut pieces = 0;
    let mut chars = value.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            '\'' | '"' => {
                chars.next();
                pieces += 1;
                let mut closed = false;
                while let Some((_, inner)) = chars.next() {
                    if inner == c {
                        closed = true;
                        break;
                    }
                    if c == '"' && inner == '\\' {
                        // `\"` and `\\` are the only escapes every loader agrees on; keep
                        // the others as written (the fix is then offered for review).
                        match chars.next() {
                            Some((_, escaped @ ('"' | '\\'))) => word.push(escaped),
                            Some((_, escaped)) => {
                                word.push('\\');
                                word.push(escaped);
                            }
                            None => word.push('\\'),
                        }
                        continue;
                    }
                    word.push(inner);
                }
                if !closed {
                    return (word, pieces, "", false);
                }
            }
            c if c.is_whitespace() => return (word, pieces, &value[at..], true),
            '\\' => {
                chars.next();
                pieces += 1;
                if let Some((_, escaped)) = chars.next() {
                    word.push(escaped);
                }
            }
            _ => {
                chars.next();
                pieces += 1;
                word.push(c);
            }
        }
    }
    (word, pieces, "", true)
}

/// Every `${…}` of `value` made a reference every expanding loader reads alike, and whether
/// one changed: `${NAME-default}` (and `:=`, `=`) becomes `${NAME:-default}`; a default that
/// is itself a reference cannot be written inside `${…}` for python-dotenv, so only `${NAME}`
/// stays; other text between the name and `}` (`${NAME!}`) is dropped; an unclosed `${NAME`
/// is closed after the name (`${A${B}` → `${A}${B}`); `${}` is dropped. Each of these is what
/// the loaders read today (an empty value) or the nearest reference to what the line says, so
/// the fix is offered for review.
fn repair_references(value: &str) -> (String, bool) {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut changed = false;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let body = &rest[at + 2..];
        let name_len = body
            .char_indices()
            .find(|&(index, c)| {
                !(c == '_' || c.is_ascii_alphabetic() || (index > 0 && c.is_ascii_digit()))
            })
            .map_or(body.len(), |(index, _)| index);
        let name = &body[..name_len];
        let after = &body[name_len..];
        let close = after.find('}');
        let next_open = after.find("${");
        let reference = |out: &mut String| {
            if !name.is_empty() {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
        };
        match close {
            Some(close) if next_open.is_none_or(|open| open > close) => {
                let inner = &after[..close];
                let default = [":-", ":=", "-", "="]
                    .iter()
                    .find_map(|op| inner.strip_prefix(op).map(|d| (*op, d)));
                match default {
                    _ if name.is_empty() => changed = true,
                    None if inner.is_empty() => reference(&mut out),
                    Some((op, default)) if !default.contains('$') => {
                        out.push_str(&format!("${{{name}:-{default}}}"));
                        changed |= op != ":-";
                    }
                    _ => {
                        reference(&mut out);
                        changed = true;
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                reference(&mut out);
                changed = true;
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, changed)
}

/// `$NAME_X` → `${NAME_X}`: every loader that expands reads the braced form the same way.
fn braced(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let mut chars = value.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut name = String::new();
        while let Some(&(_, n)) = chars.peek() {
            if n.is_ascii_alphanumeric() || n == '_' {
                name.push(n);
                chars.next();
            } else {
                break;
            }
        }
        if name.is_empty() {
            continue;
        }
        out.push('{');
        out.push_str(&name);
        out.push('}');
    }
    out
}

fn well_braced(value: &str) -> bool {
    value.matches("${").count() == value.matches('}').count() && !value.contains(['\\', '"', '\''])
}

/// The value in quotes every loader reads literally (single) or with the same expansion
/// (double, when it holds a `${NAME}` meant to expand or a `'`); `None` when neither fits.
fn quote(meant: &str, expands: bool) -> Option<String> {
    if meant.contains(['\n', '\r']) {
        return None;
    }
    let has_reference = expands && meant.contains("${");
    if !has_reference && !meant.contains('\'') && !meant.contains('\\') {
        return Some(format!("'{meant}'"));
    }
    if !meant.contains(['"', '\\', '`']) && (has_reference || !meant.contains('$')) {
        return Some(format!("\"{meant}\""));
    }
    None
}

#[cfg(test)]
mod fix_tests {
    use super::*;

    fn fixed(line: &str) -> Option<(String, Applicability)> {
        let text = format!("{line}\nNEXT=1\n");
        let fix = fix_line(
            ".env",
            &text,
            &Definitions::of(&text, &crate::dotenv::parse(&text)),
            0,
        )?;
        let mut new = text.clone();
        for edit in fix.edits.iter().rev() {
            new.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        }
        let new = new.strip_suffix("\nNEXT=1\n").unwrap_or(&new).to_owned();
        Some((new, fix.applicability))
    }

    #[test]
    fn quoting_that_every_loader_reads_alike() {
        use Applicability::{Safe, Unsafe};
        let table: &[(&str, &str, Applicability)] = &[
            // An unclosed quote: the rest of the line is the value.
            (
                "NEON_POSTGRESQL_PASSWORD=\"npg_Xyz123example",
                "NEON_POSTGRESQL_PASSWORD='npg_Xyz123example'",
                Safe,
            ),
            ("APP_NAME=Corner Books", "APP_NAME='Corner Books'", Safe),
            ("GREETING='it'\\''s'", "GREETING=\"it's\"", Unsafe),
            ("URL=$NEON_HOST/x", "URL=\"${NEON_HOST}/x\"", Safe),
            (
                "NAME=a b # it's a comment",
                "# it's a comment\nNAME='a b'",
                Safe,
            ),
            ("MY-KEY=1", "MY_KEY='1'", Unsafe),
            ("JUST A LINE", "# JUST A LINE", Unsafe),
            ("K=\"a\\tb\"", "K=\"a\\\\tb\"", Unsafe),
            // Malformed `${…}`: the nearest reference every expanding loader reads.
            (
                "UPLOAD_DIR=${MEDIA_ROOT!}",
                "UPLOAD_DIR=\"${MEDIA_ROOT}\"",
                Unsafe,
            ),
            ("P=${ABC-$APP_ENV}", "P=\"${ABC}\"", Unsafe),
            ("P=${ABC-dev}/x", "P=\"${ABC:-dev}/x\"", Unsafe),
            (
                "M=${SHORTENER${APP_ENV}",
                "M=\"${SHORTENER}${APP_ENV}\"",
                Unsafe,
            ),
            ("M=\"a${}b\"", "M='ab'", Unsafe),
        ];
        for (line, expected, applicability) in table {
            let (new_text, got) = fixed(line).unwrap_or_else(|| panic!("no fix for {line}"));
            assert_eq!(new_text, *expected, "{line}");
            assert_eq!(got, *applicability, "{line}");
        }
    }

    fn apply(text: &str, at: usize) -> (String, Fix) {
        let fix = fix_line(
            ".env",
            text,
            &Definitions::of(text, &crate::dotenv::parse(text)),
            at,
        )
        .unwrap();
        let mut new = text.to_owned();
        for edit in fix.edits.iter().rev() {
            new.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        }
        (new, fix)
    }

    #[test]
    fn a_later_line_that_closed_the_quote_is_rewritten_too() {
        let text =
            "MOTD=\"Metrics collector\nALERT_EMAIL=ops@example.com\nFOOTER=see you soon\"\nX=1\n";
        let (new, fix) = apply(text, 5);
        assert_eq!(
            new,
            "MOTD='Metrics collector'\nALERT_EMAIL=ops@example.com\nFOOTER='see you soon'\nX=1\n"
        );
        assert_eq!(fix.applicability, Applicability::Unsafe);
        // A multi-line value whose last line is no entry of its own is left to the review.
        let text = "MOTD=\"Metrics\ncollector\"\n";
        let (new, _) = apply(text, 5);
        assert_eq!(new, "MOTD='Metrics'\ncollector\"\n");
        // A later line that parses alone keeps its own quotes.
        let text = "A=\"x\nB=\"y\"\n";
        let (new, _) = apply(text, 2);
        assert_eq!(new, "A='x'\nB=\"y\"\n");
    }

    #[test]
    fn another_definition_of_the_key_is_commented_out() {
        let text = "LOG_LEVEL=info\nNAME=x\nLOG_LEVEL='debug\n";
        let (new, fix) = apply(text, 24);
        assert_eq!(new, "# LOG_LEVEL=info\nNAME=x\nLOG_LEVEL='debug'\n");
        assert_eq!(fix.applicability, Applicability::Unsafe);
        assert!(fix.title.contains("line 1"), "{}", fix.title);
    }

    #[test]
    fn a_long_line_is_replaced_whole_rather_than_diffed() {
        let text = format!("B=1\nA={}\n", "$B_1".repeat(5_000));
        let (new, fix) = apply(&text, 4);
        // The same rewrite as for a short line, `$B_1` read whole as `${B_1}`.
        assert!(
            new == format!("B=1\nA=\"{}\"\n", "${B_1}".repeat(5_000)),
            "{}",
            fix.title
        );
        assert_eq!(fix.edits.len(), 1);
        // A short line still gets character-minimal edits.
        let (_, fix) = apply("B=1\nA=$B_1$B_1\n", 4);
        assert!(
            fix.edits.iter().all(|edit| edit.new_text.len() <= 2),
            "{fix:?}"
        );
    }

    #[test]
    fn past_64_other_definitions_they_are_left_to_the_author() {
        // 64 others: each commented out. 65: none, and the fix says so (one edit per copy in
        // each of a thousand fixes was quadratic on a generated file).
        for (copies, commented) in [(64, true), (65, false)] {
            let text = format!("{}LOG_LEVEL='debug\n", "LOG_LEVEL=info\n".repeat(copies));
            let (new, fix) = apply(&text, text.len() - 4);
            assert!(new.ends_with("LOG_LEVEL='debug'\n"), "{new}");
            assert_eq!(new.starts_with("# LOG_LEVEL=info\n"), commented, "{copies}");
            assert_eq!(fix.applicability, Applicability::Unsafe);
            if !commented {
                assert_eq!(fix.edits.len(), 1, "{copies}");
                assert!(
                    fix.title.contains("LOG_LEVEL's 65 other definitions"),
                    "{}",
                    fix.title
                );
            }
        }
    }

    #[test]
    fn the_value_is_masked_where_it_is_shown() {
        let text = "NEON_POSTGRESQL_PASSWORD=\"npg_Xyz123example\n";
        let fix = fix_line(
            ".env",
            text,
            &Definitions::of(text, &crate::dotenv::parse(text)),
            0,
        )
        .unwrap();
        assert!(!fix.edits.is_empty());
        for edit in &fix.edits {
            assert!(!edit.shown_text().contains("Xyz"), "{edit:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::Context;
    use crate::diagnostic::Diagnostic;
    use crate::rules::testing::Case;

    /// The rule's check through a collector that keeps everything, as `run_all` runs it.
    fn check(context: &Context, out: &mut Vec<Diagnostic>) {
        crate::rules::testing::collected(super::check, context, out);
    }

    #[test]
    fn lines_loaders_reject_or_misread_are_reported() {
        let env = "DEBUG true\nUPLOAD_DIR=${MEDIA_ROOT!}\nAPP_NAME=\"orders service\n";
        let case = Case::new(&[(".env", env)]);
        let lines: Vec<String> = case
            .found(check)
            .iter()
            .map(|found| found.split(' ').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(lines, [".env:1", ".env:2", ".env:3"]);
    }

    #[test]
    fn comments_export_quotes_and_defaults_are_valid() {
        let env = "# Local settings\nexport PORT=8000 # the dev server's port\nAPP_NAME='orders \"beta\"'\nACCENT_COLOR=\"#1a7f37\"\nSENTRY_DSN=\nCACHE_URL=${REDIS_URL:-redis://localhost:6379/0}\n";
        let case = Case::new(&[(".env", env)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The project's loader decides: an unquoted value with a space is fine for python-dotenv
    /// (named in requirements.txt) and an error for dotenvy, assumed when nothing says.
    #[test]
    fn an_unquoted_space_depends_on_the_loader() {
        let env = (".env", "STORE_NAME=Corner Books\n");
        let case = Case::new(&[env]);
        assert_eq!(case.found(check), [".env:1 Books"]);
        assert!(case.check(check)[0].message.contains("dotenvy"));
        let case = Case::new(&[env, ("requirements.txt", "python-dotenv==1.0.1\n")]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The message names the loader it was judged by, never dotenvy for another loader's
    /// project; what only dotenvy's reader rejects is said of dotenvy, as a warning.
    #[test]
    fn the_message_names_the_loader_judged_by() {
        use crate::diagnostic::Severity;
        let requirements = ("requirements.txt", "python-dotenv==1.0.1\n");
        let case = Case::new(&[(".env", "APP_NAME=\"orders service\n"), requirements]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("python-dotenv rejects"),
            "{}",
            found[0].message
        );
        assert!(
            !found[0].message.contains("dotenvy"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].severity, Severity::Error);
        // dotenvy does not know `\t`; python-dotenv reads it as a tab.
        let case = Case::new(&[(".env", "SEPARATOR=\"a\\tb\"\n"), requirements]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .starts_with("python-dotenv reads this line, but dotenvy"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].severity, Severity::Warning);
        // With no loader named, dotenvy is the judge and is named.
        let case = Case::new(&[(".env", "SEPARATOR=\"a\\tb\"\n")]);
        let found = case.check(check);
        assert!(found[0].message.contains("dotenvy"), "{}", found[0].message);
        assert_eq!(found[0].severity, Severity::Error);
    }

    /// Line endings and a byte order mark from Windows editors are not syntax errors, and a
    /// password on a bad line is never quoted in the message.
    #[test]
    fn crlf_and_bom_are_valid_and_a_bad_line_is_not_quoted() {
        let case = Case::new(&[(".env", "\u{feff}PORT=8000\r\nDEBUG=1\r\n")]);
        assert_eq!(case.found(check), Vec::<String>::new());
        let case = Case::new(&[(".env", "NEON_POSTGRESQL_PASSWORD \"npg_Xyz123example\"\n")]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            !found[0].message.contains("npg_Xyz123example"),
            "{}",
            found[0].message
        );
    }
}

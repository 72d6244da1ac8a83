//! Snippets in context: where a generated snippet goes in an existing file, as one text edit.
//!
//! [`place`] takes a file's current text and the snippet generated for it, and returns the new
//! text and the one line-range edit that makes it: the connection code goes after the file's
//! imports (module docstring, shebang, `'use strict'`, `package`, `<?php`, magic comments …) or
//! replaces the lines a caller selected (an existing, wrong connection setup); the imports,
//! requires and usings it needs are merged into the file's own without duplicating one (an
//! existing `from M import a` gains `, b`, an existing `const { Pool } = require('pg')` gains
//! `Client`); ESM or CommonJS and TypeScript follow the file; the code takes the file's
//! indentation unit (tabs, 2 or 4 spaces) and, in Python and JavaScript, its quote style. The
//! snippet's demonstration entry point (`main`, the top-level `try`/`begin`) is left out: the
//! file already is a program. Spring `application.properties` gains the missing keys, and
//! `application.yml` gets them merged into its existing tree.
//!
//! Line-level analysis, no parser: each language's leading region (comments, prologue, imports)
//! has a small grammar, and everything after it is left as written. Pure: no file system; the
//! CLI (`snippet --into`) and the language server (`neon-lsp.insertSnippet`) call it.

use super::{Snippet, SnippetFile, SnippetRequest};
use crate::catalogue::ClientType;

/// The files a snippet can be placed into (messages and the README name them).
pub const LANGUAGES: &str = "Python, Django settings, JavaScript/TypeScript (ESM and CommonJS), Go, Java, Spring Boot application.properties/.yml, C#, PHP, Ruby and shell files";

/// Where the snippet's code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// After the file's imports (or, for C#, at the end: types follow top-level statements).
    AfterImports,
    /// Instead of lines `start..end` (0-based, end exclusive): the connection setup a fix or the
    /// editor's selection chose. The code takes the first replaced line's indentation.
    Replace { start: usize, end: usize },
}

/// Replace lines `start..end` (0-based, end exclusive) of the old text with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The placed snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The whole file after the edit.
    pub text: String,
    /// The edit, `None` when the file already has everything.
    pub edit: Option<LineEdit>,
    /// What the user must know: other files to create, names the file already defines, values
    /// Service Connector overrides.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("no connection snippet for {path}: snippets go into {LANGUAGES}")]
    Language { path: String },
    #[error(
        "{path} is not a {client} file: the connection's client type is {client}; pass the client type the file is written for"
    )]
    Mismatch { path: String, client: ClientType },
    #[error(
        "{path}: the lines to replace ({start}..{end}) are not within the file's {lines} lines after its imports"
    )]
    Range {
        path: String,
        start: usize,
        end: usize,
        lines: usize,
    },
}

/// Whether `path` is a Spring Boot configuration file (`application*.properties`/`.yml`).
pub fn is_spring_config(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    name.starts_with("application")
        && [".properties", ".yml", ".yaml"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// Whether a snippet can be placed into `path` (by its name; the client type must match too).
pub fn supports(path: &str) -> bool {
    let client = super::request::client_type_for_path(path);
    client.is_some_and(|client| kind_of(path, client, "").is_ok())
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Python,
    Django,
    Js { esm: bool, ts: bool },
    Go,
    Java,
    CSharp,
    Php,
    Ruby,
    Shell,
    Properties,
    Yaml,
}

fn kind_of(path: &str, client: ClientType, text: &str) -> Result<Kind, PlaceError> {
    let name = file_name(path).to_ascii_lowercase();
    let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let language = || PlaceError::Language {
        path: path.to_owned(),
    };
    let kind = match extension {
        "py" => match client {
            ClientType::Django => Kind::Django,
            _ => Kind::Python,
        },
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" | "cts" => {
            let ts = extension.contains('t') && extension != "cjs";
            let has = |prefix: &str| text.lines().any(|l| l.starts_with(prefix));
            let esm = match extension {
                "mjs" | "mts" => true,
                "cjs" | "cts" => false,
                _ if has("import ") || has("export ") => true,
                _ if text.contains("require(") => false,
                _ => ts,
            };
            Kind::Js { esm, ts }
        }
        "go" => Kind::Go,
        "java" => Kind::Java,
        "cs" => Kind::CSharp,
        "php" => Kind::Php,
        "rb" => Kind::Ruby,
        _ if name == "rakefile" || name == "config.ru" => Kind::Ruby,
        "sh" | "bash" | "zsh" | "ksh" => Kind::Shell,
        "properties" if is_spring_config(path) => Kind::Properties,
        "yml" | "yaml" if is_spring_config(path) => Kind::Yaml,
        _ => return Err(language()),
    };
    let fits = match kind {
        Kind::Python | Kind::Django => matches!(client, ClientType::Python | ClientType::Django),
        Kind::Js { .. } => client == ClientType::NodeJs,
        Kind::Go => client == ClientType::Go,
        Kind::Java => matches!(client, ClientType::Java | ClientType::SpringBoot),
        Kind::CSharp => client == ClientType::DotNet,
        Kind::Php => client == ClientType::Php,
        Kind::Ruby => client == ClientType::Ruby,
        Kind::Shell => client == ClientType::None,
        Kind::Properties | Kind::Yaml => client == ClientType::SpringBoot,
    };
    if !fits {
        return Err(PlaceError::Mismatch {
            path: path.to_owned(),
            client,
        });
    }
    Ok(kind)
}

/// Places `snippet` (generated for `request`) into the file `path` whose text is `text`.
pub fn place(
    snippet: &Snippet,
    request: &SnippetRequest,
    path: &str,
    text: &str,
    anchor: Anchor,
) -> Result<Placement, PlaceError> {
    let kind = kind_of(path, request.client_type, text)?;
    let wanted = |ends: &[&str]| -> Option<&SnippetFile> {
        snippet
            .files
            .iter()
            .find(|f| ends.iter().any(|e| f.suggested_path.ends_with(e)))
    };
    let file = match kind {
        Kind::Properties => wanted(&[".properties"]),
        Kind::Yaml => wanted(&[".yml", ".yaml"]),
        Kind::Java => wanted(&[".java"]),
        _ => snippet.files.first(),
    }
    .ok_or_else(|| PlaceError::Mismatch {
        path: path.to_owned(),
        client: request.client_type,
    })?;
    let mut notes: Vec<String> = snippet
        .files
        .iter()
        .filter(|f| {
            let spring_file = matches!(kind, Kind::Properties | Kind::Yaml | Kind::Java)
                && request.client_type == ClientType::SpringBoot;
            !(std::ptr::eq(*f, file) || f.text.is_empty() || spring_file)
        })
        .map(|f| {
            format!(
                "also create {} (`neon-lsp snippet` prints it)",
                f.suggested_path
            )
        })
        .collect();
    if !snippet.dependencies.is_empty() {
        notes.push(format!("needs {}", snippet.dependencies.join(", ")));
    }
    let old = Lines::new(text);
    let new_lines = if text.trim().is_empty() {
        // Nothing to fit in: the snippet as generated.
        Lines::new(&file.text).lines
    } else {
        let mut placer = Placer {
            kind,
            quote: match kind {
                Kind::Js { .. } | Kind::Python | Kind::Django | Kind::Ruby => {
                    preferred_quote(text, !matches!(kind, Kind::Js { .. }))
                }
                _ => '"',
            },
            lines: old.lines.clone(),
            notes: &mut notes,
            path,
        };
        match kind {
            Kind::Properties => placer.properties(&file.text, request),
            Kind::Yaml => placer.yaml(&file.text, request),
            _ => placer.code(&file.text, anchor)?,
        }
        placer.lines
    };
    let mut edit = line_edit(&old.lines, &new_lines, old.trailing_newline);
    // The file's line ending (Windows files keep CRLF).
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut new_text = new_lines.join(newline);
    if !new_lines.is_empty() && (old.trailing_newline || text.trim().is_empty()) {
        new_text.push_str(newline);
    }
    if let Some(edit) = edit.as_mut().filter(|_| newline == "\r\n") {
        edit.text = edit.text.replace('\n', "\r\n");
    }
    Ok(Placement {
        text: new_text,
        edit,
        notes,
    })
}

/// The edit that adds `imports` (each as the language writes it: `import os`, `import "os"`,
/// `using System;`) to the file `path` of `client`'s language, merged into its own imports
/// without duplicates, after its prologue (a module docstring, `from __future__`, the package
/// clause) — what a fix needs when the code it writes uses a module. `Ok(None)` when the file
/// has them all.
pub fn add_imports(
    path: &str,
    client: ClientType,
    text: &str,
    imports: &[&str],
) -> Result<Option<LineEdit>, PlaceError> {
    let kind = kind_of(path, client, text)?;
    let old = Lines::new(text);
    let mut notes = Vec::new();
    let mut placer = Placer {
        kind,
        quote: '"',
        lines: old.lines.clone(),
        notes: &mut notes,
        path,
    };
    let leading = placer.leading();
    let (import_end, after_leading) = Placer::import_point(&leading);
    let wanted: Vec<String> = imports
        .iter()
        .map(|import| match kind {
            // Go's import specs as `split` hands them over: the path alone.
            Kind::Go => import.trim_start_matches("import").trim().to_owned(),
            _ => (*import).to_owned(),
        })
        .collect();
    placer.insert_imports(&wanted, &leading, import_end, after_leading);
    let new_lines = placer.lines;
    let mut edit = line_edit(&old.lines, &new_lines, old.trailing_newline);
    if let Some(edit) = edit.as_mut().filter(|_| text.contains("\r\n")) {
        edit.text = edit.text.replace('\n', "\r\n");
    }
    Ok(edit)
}

/// A text as lines, remembering whether it ended with a newline.
struct Lines {
    lines: Vec<String>,
    trailing_newline: bool,
}

impl Lines {
    fn new(text: &str) -> Self {
        Lines {
            lines: text
                .lines()
                .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
                .collect(),
            trailing_newline: text.ends_with('\n') || text.is_empty(),
        }
    }
}

/// The one edit between `old` and `new`: the lines between their common prefix and suffix.
fn line_edit(old: &[String], new: &[String], trailing_newline: bool) -> Option<LineEdit> {
    if old == new {
        return None;
    }
    let mut prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    if prefix == old.len() && prefix > 0 && !trailing_newline {
        // The last line has no newline to insert after: replace it.
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let mut text: String = new[prefix..new.len() - suffix]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    if suffix == 0 && !trailing_newline {
        text.pop();
    }
    Some(LineEdit {
        start: prefix,
        end: old.len() - suffix,
        text,
    })
}

/// What a line of a file's leading region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lead {
    Blank,
    Comment,
    Prologue,
    Import,
}

/// A statement of the leading region: its kind and lines `start..end`.
#[derive(Debug, Clone, Copy)]
struct Stmt {
    lead: Lead,
    start: usize,
    end: usize,
}

/// The indentation unit of a file: a tab, or a number of spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indent {
    Tab,
    Spaces(usize),
}

impl Indent {
    fn detect(lines: &[String], default: Indent) -> Indent {
        let (mut tabs, mut spaces, mut two, mut four) = (0, 0, 0, 0);
        for line in lines {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('*') {
                continue;
            }
            if line.starts_with('\t') {
                tabs += 1;
            } else if line.starts_with(' ') {
                spaces += 1;
                let width = line.len() - trimmed.len();
                if width % 4 == 2 {
                    two += 1;
                } else if width % 4 == 0 {
                    four += 1;
                }
            }
        }
        if tabs == 0 && spaces == 0 {
            default
        } else if tabs > spaces {
            Indent::Tab
        } else if two * 10 > spaces || (four == 0 && two > 0) {
            Indent::Spaces(2)
        } else {
            Indent::Spaces(4)
        }
    }

    fn text(self, levels: usize) -> String {
        match self {
            Indent::Tab => "\t".repeat(levels),
            Indent::Spaces(n) => " ".repeat(n * levels),
        }
    }
}

/// Re-indents `line` (written with `from`-space levels) in `to`'s unit.
fn reindent(line: &str, from: usize, to: Indent) -> String {
    let trimmed = line.trim_start_matches(' ');
    if trimmed.is_empty() {
        return String::new();
    }
    let width = line.len() - trimmed.len();
    format!(
        "{}{}{trimmed}",
        to.text(width / from),
        " ".repeat(width % from)
    )
}

/// Which quote character the file's plain string literals use most (Python, JavaScript).
fn preferred_quote(text: &str, python: bool) -> char {
    let (mut single, mut double) = (0, 0);
    scan_strings(text, python, |quote, _, _| {
        if quote == '\'' {
            single += 1;
        } else {
            double += 1;
        }
    });
    if single > double { '\'' } else { '"' }
}

/// Calls `found(quote, start, end)` for each one-line `'…'`/`"…"` literal of `text` (byte
/// offsets of the quotes), skipping comments, triple-quoted strings and template literals.
fn scan_strings(text: &str, python: bool, mut found: impl FnMut(char, usize, usize)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if python && c == b'#' || !python && c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if !python && c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            continue;
        }
        if !python && c == b'`' {
            i = text[i + 1..]
                .find('`')
                .map_or(bytes.len(), |e| i + 1 + e + 1);
            continue;
        }
        if c == b'"' || c == b'\'' {
            let triple = [c, c, c];
            if python && bytes[i..].starts_with(&triple) {
                let close = std::str::from_utf8(&triple).unwrap_or("\"\"\"");
                i = text[i + 3..]
                    .find(close)
                    .map_or(bytes.len(), |e| i + 3 + e + 3);
                continue;
            }
            let mut j = i + 1;
            let mut plain = true;
            while j < bytes.len() && bytes[j] != c && bytes[j] != b'\n' {
                if bytes[j] == b'\\' {
                    plain = false;
                    j += 1;
                }
                j += 1;
            }
            if j < bytes.len() && bytes[j] == c {
                if plain {
                    found(c as char, i, j);
                }
                i = j + 1;
            } else {
                i = j;
            }
            continue;
        }
        i += 1;
    }
}

/// `text` with its plain double-quoted literals single-quoted when they hold no quote.
fn to_single_quotes(text: &str, python: bool) -> String {
    let mut spans = Vec::new();
    scan_strings(text, python, |quote, start, end| {
        if quote == '"' && !text[start + 1..end].contains(['\'', '"']) {
            spans.push((start, end));
        }
    });
    let mut out = text.as_bytes().to_vec();
    for (start, end) in spans {
        out[start] = b'\'';
        out[end] = b'\'';
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

struct Placer<'a> {
    kind: Kind,
    /// The quote the file's own string literals use most (before anything is inserted).
    quote: char,
    lines: Vec<String>,
    notes: &'a mut Vec<String>,
    path: &'a str,
}

/// A snippet split for placing: its title comments, import lines and the code after them.
struct Parts {
    header: Vec<String>,
    imports: Vec<String>,
    body: Vec<String>,
}

impl Placer<'_> {
    /// Python, JavaScript/TypeScript, Go, Java, C#, PHP, Ruby and shell.
    fn code(&mut self, snippet: &str, anchor: Anchor) -> Result<(), PlaceError> {
        let parts = self.split(snippet);
        let leading = self.leading();
        let (import_end, after_leading) = Self::import_point(&leading);
        let mut insert_at = after_leading;
        let mut body = self.restyle(parts.body);
        let mut header = parts.header.clone();
        let mut replace = None;
        if let Anchor::Replace { start, end } = anchor
            && (start > end || end > self.lines.len() || start < import_end.unwrap_or(0))
        {
            return Err(PlaceError::Range {
                path: self.path.to_owned(),
                start,
                end,
                lines: self.lines.len(),
            });
        }
        // Placed before: its title comment is there. Only the imports are merged again.
        let title = header
            .iter()
            .chain(&body)
            .find(|l| l.contains("Generated by neon-lsp"));
        let placed_before =
            title.is_some_and(|title| self.lines.iter().any(|l| l.trim() == title.trim()));
        if placed_before {
            self.notes.push(format!(
                "{} already has this snippet (its title comment is there): nothing added but missing imports",
                self.path
            ));
            body.clear();
            header.clear();
        }
        let call = match anchor {
            Anchor::Replace { start, end } => self.connect_call(start, end),
            Anchor::AfterImports => None,
        };
        if let (Some(call), Anchor::Replace { start, end }) = (&call, anchor) {
            // The selected setup becomes a call of the snippet's `connect`, defined after the
            // imports.
            self.lines.splice(start..end, [call.clone()]);
        } else if let Anchor::Replace { start, end } = anchor {
            let base: String = self
                .lines
                .get(start)
                .map(|l| l[..l.len() - l.trim_start().len()].to_owned())
                .unwrap_or_default();
            for line in body.iter_mut().chain(header.iter_mut()) {
                if !line.is_empty() {
                    line.insert_str(0, &base);
                }
            }
            replace = Some((start, end));
        } else if self.kind == Kind::Django
            && !placed_before
            && let Some((start, end)) = self.django_databases()
        {
            replace = Some((start, end));
        } else if self.kind == Kind::CSharp {
            insert_at = self.lines.len();
        }
        self.note_redefinitions(&body);
        let mut block = header;
        if !block.is_empty() && body.first().is_some_and(|l| !l.trim().is_empty()) {
            block.push(String::new());
            if matches!(self.kind, Kind::Python | Kind::Django)
                && body.first().is_some_and(|l| l.starts_with("def "))
            {
                block.push(String::new());
            }
        }
        block.extend(body);
        // The edits below the imports first, so the import edits' line numbers stay true.
        match replace {
            _ if call.is_some() => self.insert_block(insert_at, block),
            Some((start, end)) => {
                if self.kind == Kind::Django {
                    // DATABASES replaced in place; `_required` goes after the imports.
                    let (helpers, databases) = split_databases(block);
                    self.lines.splice(start..end, databases);
                    let at = insert_at.min(start);
                    self.insert_block(at, helpers);
                } else {
                    self.lines.splice(start..end, block);
                }
            }
            None => self.insert_block(insert_at, block),
        }
        self.insert_imports(&parts.imports, &leading, import_end, after_leading);
        Ok(())
    }

    /// Where the imports end (`None` without any), and where code goes after the leading
    /// region: after the imports, else after the prologue and the comments not attached to code.
    fn import_point(leading: &[Stmt]) -> (Option<usize>, usize) {
        let import_end = leading
            .iter()
            .filter(|s| s.lead == Lead::Import)
            .map(|s| s.end)
            .max();
        let after_leading = import_end.unwrap_or_else(|| {
            let mut end = 0;
            for (index, stmt) in leading.iter().enumerate() {
                let attached = stmt.lead == Lead::Comment
                    && leading
                        .get(index + 1)
                        .is_none_or(|next| next.lead != Lead::Blank);
                if stmt.lead != Lead::Blank && !attached {
                    end = stmt.end;
                }
            }
            end
        });
        (import_end, after_leading)
    }

    /// Merges `wanted` into the file's imports; those no existing import can take go after the
    /// imports (or the prologue), separated by blank lines.
    fn insert_imports(
        &mut self,
        wanted: &[String],
        leading: &[Stmt],
        import_end: Option<usize>,
        after_leading: usize,
    ) {
        let new_imports = self.merge_imports(wanted, leading);
        if !new_imports.is_empty() {
            let at = import_end.unwrap_or(after_leading);
            let mut lines = new_imports;
            if import_end.is_none() {
                if at > 0 && !self.lines[at - 1].trim().is_empty() {
                    lines.insert(0, String::new());
                }
                if self.lines.get(at).is_some_and(|l| !l.trim().is_empty()) {
                    lines.push(String::new());
                }
            }
            self.lines.splice(at..at, lines);
        }
    }

    /// Inserts `block` at line `at`, separated from the code around it by blank lines.
    fn insert_block(&mut self, at: usize, mut block: Vec<String>) {
        if block.is_empty() {
            return;
        }
        let gap = if matches!(self.kind, Kind::Python | Kind::Django) {
            2
        } else {
            1
        };
        let blanks_before = self.lines[..at]
            .iter()
            .rev()
            .take_while(|l| l.trim().is_empty())
            .count();
        if at > blanks_before {
            for _ in blanks_before..gap {
                block.insert(0, String::new());
            }
        }
        let blanks_after = self.lines[at..]
            .iter()
            .take_while(|l| l.trim().is_empty())
            .count();
        if at + blanks_after < self.lines.len() {
            for _ in blanks_after..gap {
                block.push(String::new());
            }
        }
        self.lines.splice(at..at, block);
    }

    /// The snippet's title comments, imports and code, less what the file already has or must
    /// not get twice (`package main`, `"use strict"`, `<?php`, the demonstration entry point).
    fn split(&self, snippet: &str) -> Parts {
        let lines: Vec<&str> = snippet.lines().collect();
        let mut header = Vec::new();
        let mut imports = Vec::new();
        let mut i = 0;
        // Title: the leading comments or docstring.
        while i < lines.len() {
            let line = lines[i];
            let trimmed = line.trim();
            if self.is_comment(trimmed) && !trimmed.starts_with("#!") {
                header.push(line.to_owned());
            } else if trimmed.starts_with("#!") || trimmed == "<?php" {
            } else if matches!(self.kind, Kind::Python | Kind::Django)
                && trimmed.starts_with("\"\"\"")
            {
                // The module docstring becomes comments.
                let mut doc = vec![trimmed.trim_start_matches("\"\"\"")];
                while !lines[i].trim_end().ends_with("\"\"\"")
                    || (doc.len() == 1 && trimmed == "\"\"\"")
                {
                    i += 1;
                    if i >= lines.len() {
                        break;
                    }
                    doc.push(lines[i]);
                }
                for line in doc {
                    let line = line.trim().trim_end_matches("\"\"\"").trim_end();
                    if !line.is_empty() {
                        header.push(format!("# {line}"));
                    }
                }
            } else {
                break;
            }
            i += 1;
        }
        // "settings.py — Neon …": the file is not that one.
        if let Some(first) = header.first_mut()
            && let Some((before, after)) = first.split_once(" — ")
            && before.split_whitespace().count() == 2
        {
            let marker = before.split_whitespace().next().unwrap_or_default();
            *first = format!("{marker} {after}");
        }
        let mut body = Vec::new();
        let mut in_go_imports = false;
        for line in &lines[i..] {
            let trimmed = line.trim();
            if body.is_empty() {
                if in_go_imports {
                    if trimmed == ")" {
                        in_go_imports = false;
                    } else if !trimmed.is_empty() {
                        imports.push(trimmed.to_owned());
                    }
                    continue;
                }
                let skip = trimmed.is_empty()
                    || trimmed == "\"use strict\";"
                    || trimmed.starts_with("declare(strict_types")
                    || trimmed.starts_with("set -")
                    || (self.kind == Kind::Go && trimmed.starts_with("package "))
                    || (self.kind == Kind::Java && trimmed.starts_with("package "));
                if skip {
                    continue;
                }
                if self.kind == Kind::Go && trimmed == "import (" {
                    in_go_imports = true;
                    continue;
                }
                if self.is_import(trimmed) {
                    imports.push(trimmed.to_owned());
                    continue;
                }
            }
            body.push((*line).to_owned());
        }
        // The demonstration entry point: the file is already a program.
        let entry = |line: &str| match self.kind {
            Kind::Python => line == "def main():",
            Kind::Js { .. } => line == "async function main() {",
            Kind::Go => line == "func run() error {",
            Kind::Php => line == "try {",
            Kind::Ruby => line == "begin",
            _ => false,
        };
        if let Some(at) = body.iter().position(|l| entry(l)) {
            body.truncate(at);
        }
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        if matches!(self.kind, Kind::Python) {
            // Keep only the imports the remaining code uses (`sys` served the entry point).
            let code = body.join("\n");
            imports.retain(|import| match import.strip_prefix("import ") {
                Some(module) => code.contains(&format!("{}.", module.trim())),
                None => true,
            });
        }
        if self.kind == Kind::Go {
            // Keep only the imports the remaining code uses.
            let code = body.join("\n");
            imports.retain(|import| {
                let (alias, path) = go_import(import);
                let name = alias.unwrap_or_else(|| go_package_name(path));
                code.contains(&format!("{name}."))
            });
        }
        if let Kind::Js { ts: true, .. } = self.kind {
            for line in &mut body {
                if line == "function required(name, value) {" {
                    *line = "function required(name: string, value: string | undefined): string {"
                        .to_owned();
                }
            }
        }
        if self.kind == Kind::Java && self.has_public_type() {
            for line in &mut body {
                if let Some(rest) = line.strip_prefix("public class ") {
                    *line = format!("class {rest}");
                }
            }
        }
        if self.kind == Kind::Php && self.lines.iter().any(|l| l.starts_with("namespace ")) {
            // In a namespace, class names resolve relative to it: name the global ones.
            for line in &mut body {
                *line = line
                    .replace("new RuntimeException", "new \\RuntimeException")
                    .replace("catch (RuntimeException", "catch (\\RuntimeException")
                    .replace("): PgSql\\Connection", "): \\PgSql\\Connection");
            }
        }
        if self.kind == Kind::CSharp {
            body = wrap_csharp(body);
        }
        Parts {
            header,
            imports,
            body,
        }
    }

    fn is_comment(&self, trimmed: &str) -> bool {
        match self.kind {
            Kind::Python
            | Kind::Django
            | Kind::Ruby
            | Kind::Shell
            | Kind::Properties
            | Kind::Yaml => trimmed.starts_with('#'),
            Kind::Php => {
                trimmed.starts_with("//") || trimmed.starts_with('#') && !trimmed.starts_with("#[")
            }
            _ => trimmed.starts_with("//"),
        }
    }

    fn is_import(&self, trimmed: &str) -> bool {
        match self.kind {
            Kind::Python | Kind::Django => {
                trimmed.starts_with("import ")
                    || trimmed.starts_with("from ") && trimmed.contains(" import")
            }
            Kind::Js { .. } => {
                trimmed.starts_with("import ")
                    || trimmed.starts_with("require(")
                    || (["const ", "let ", "var "]
                        .iter()
                        .any(|p| trimmed.starts_with(p))
                        && trimmed.contains("require("))
            }
            Kind::Go => trimmed.starts_with("import "),
            Kind::Java => trimmed.starts_with("import "),
            Kind::CSharp => {
                trimmed.starts_with("using ")
                    && trimmed.ends_with(';')
                    && !trimmed.contains('(')
                    && !trimmed.starts_with("using var ")
            }
            Kind::Php => {
                (trimmed.starts_with("use ") && trimmed.ends_with(';'))
                    || ["require", "include"]
                        .iter()
                        .any(|p| trimmed.starts_with(p))
            }
            Kind::Ruby => ["require ", "require(", "require_relative ", "gem ", "load "]
                .iter()
                .any(|p| trimmed.starts_with(p)),
            Kind::Shell => trimmed.starts_with("source ") || trimmed.starts_with(". "),
            Kind::Properties | Kind::Yaml => false,
        }
    }

    /// The file's leading region, statement by statement, up to the first line of other code.
    fn leading(&self) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            let line = &self.lines[i];
            let trimmed = line.trim();
            let top = !line.starts_with([' ', '\t']);
            let (lead, end) = if trimmed.is_empty() {
                (Lead::Blank, i + 1)
            } else if i == 0 && trimmed.starts_with("#!") {
                (Lead::Prologue, i + 1)
            } else if self.is_comment(trimmed) {
                (Lead::Comment, i + 1)
            } else if trimmed.starts_with("/*") {
                let end = (i..self.lines.len())
                    .find(|&j| self.lines[j].contains("*/"))
                    .map_or(self.lines.len(), |j| j + 1);
                (Lead::Comment, end)
            } else if top && self.is_prologue(trimmed) {
                let end = match self.kind {
                    Kind::Python | Kind::Django => docstring_end(&self.lines, i),
                    _ => i + 1,
                };
                (Lead::Prologue, end)
            } else if top && self.kind == Kind::Go && trimmed.starts_with("import (") {
                let end = (i..self.lines.len())
                    .find(|&j| self.lines[j].trim() == ")")
                    .map_or(self.lines.len(), |j| j + 1);
                (Lead::Import, end)
            } else if top && self.is_import(trimmed) {
                (Lead::Import, self.statement_end(i))
            } else {
                break;
            };
            stmts.push(Stmt {
                lead,
                start: i,
                end,
            });
            i = end;
        }
        stmts
    }

    fn is_prologue(&self, trimmed: &str) -> bool {
        match self.kind {
            Kind::Python | Kind::Django => ["\"\"\"", "'''", "r\"\"\"", "r'''"]
                .iter()
                .any(|p| trimmed.starts_with(p)),
            Kind::Js { .. } => {
                trimmed.starts_with("\"use strict\"") || trimmed.starts_with("'use strict'")
            }
            Kind::Go | Kind::Java => trimmed.starts_with("package "),
            Kind::CSharp => trimmed.starts_with("#nullable") || trimmed.starts_with("global using"),
            Kind::Php => {
                trimmed.starts_with("<?php")
                    || trimmed.starts_with("declare(")
                    || trimmed.starts_with("namespace ") && trimmed.ends_with(';')
            }
            Kind::Shell => trimmed.starts_with("set -"),
            _ => false,
        }
    }

    /// The line after a statement starting at `start` that may continue over several lines.
    fn statement_end(&self, start: usize) -> usize {
        let mut depth = 0i32;
        for (j, line) in self.lines.iter().enumerate().skip(start) {
            depth += line.matches(['(', '{']).count() as i32;
            depth -= line.matches([')', '}']).count() as i32;
            if depth <= 0 && !line.trim_end().ends_with('\\') {
                return j + 1;
            }
        }
        self.lines.len()
    }

    fn has_public_type(&self) -> bool {
        self.lines.iter().any(|l| {
            [
                "public class ",
                "public final class ",
                "public abstract class ",
                "public interface ",
                "public enum ",
                "public record ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
    }

    /// The snippet's code in the file's indentation and quote style.
    fn restyle(&self, body: Vec<String>) -> Vec<String> {
        let from = match self.kind {
            Kind::Js { .. } | Kind::Ruby | Kind::Shell | Kind::Yaml => 2,
            Kind::Go | Kind::Properties => return body,
            _ => 4,
        };
        let to = Indent::detect(&self.lines, Indent::Spaces(from));
        let mut lines: Vec<String> = body.iter().map(|l| reindent(l, from, to)).collect();
        let python = matches!(self.kind, Kind::Python | Kind::Django);
        if (python || matches!(self.kind, Kind::Js { .. })) && self.quote == '\'' {
            lines = to_single_quotes(&lines.join("\n"), python)
                .split('\n')
                .map(str::to_owned)
                .collect();
        }
        lines
    }

    /// The imports of `wanted` the file lacks, as lines to add after its imports; imports the
    /// file has in a form that can take more names are extended in place.
    fn merge_imports(&mut self, wanted: &[String], leading: &[Stmt]) -> Vec<String> {
        let existing: Vec<(usize, usize)> = leading
            .iter()
            .filter(|s| s.lead == Lead::Import)
            .map(|s| (s.start, s.end))
            .collect();
        let statement =
            |lines: &[String], (start, end): (usize, usize)| lines[start..end].join("\n");
        let mut added = Vec::new();
        let quote = self.quote;
        for import in wanted {
            match self.kind {
                Kind::Python | Kind::Django => {
                    if let Some(module) = import.strip_prefix("import ") {
                        let has = existing.iter().any(|&s| {
                            let text = statement(&self.lines, s);
                            text.strip_prefix("import ").is_some_and(|names| {
                                names
                                    .split(',')
                                    .any(|n| n.split_whitespace().next() == Some(module.trim()))
                            })
                        });
                        if !has {
                            added.push(import.clone());
                        }
                    } else if let Some((module, names)) = python_from(import) {
                        let found = existing.iter().find(|&&s| {
                            python_from(&statement(&self.lines, s))
                                .is_some_and(|(m, _)| m == module)
                        });
                        let have: Vec<String> = found
                            .and_then(|&s| python_from(&statement(&self.lines, s)))
                            .map(|(_, names)| names)
                            .unwrap_or_default();
                        let missing: Vec<&String> =
                            names.iter().filter(|n| !have.contains(n)).collect();
                        if missing.is_empty() {
                            continue;
                        }
                        let missing = missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        match found {
                            Some(&(start, end))
                                if end == start + 1
                                    && !self.lines[start].contains(['(', '#', '\\']) =>
                            {
                                let line = self.lines[start].trim_end().to_owned();
                                self.lines[start] = format!("{line}, {missing}");
                            }
                            _ => added.push(format!("from {module} import {missing}")),
                        }
                    }
                }
                Kind::Js { esm, .. } => {
                    let Some((names, module)) = js_require(import) else {
                        continue;
                    };
                    if let Some(line) = self.js_merge(&existing, &names, &module, esm, quote) {
                        added.extend(line);
                    }
                }
                Kind::Go => {
                    let (_, path) = go_import(import);
                    let has = existing
                        .iter()
                        .any(|&s| statement(&self.lines, s).contains(&format!("\"{path}\"")));
                    if !has {
                        added.push(import.clone());
                    }
                }
                Kind::Ruby => {
                    let target = import.split(['"', '\'']).nth(1).unwrap_or_default();
                    let has = existing.iter().any(|&s| {
                        let text = statement(&self.lines, s);
                        text.contains(&format!("\"{target}\""))
                            || text.contains(&format!("'{target}'"))
                    });
                    if !has {
                        added.push(if quote == '\'' {
                            import.replace('"', "'")
                        } else {
                            import.clone()
                        });
                    }
                }
                _ => {
                    let has = existing
                        .iter()
                        .any(|&s| statement(&self.lines, s).trim() == import.trim());
                    if !has {
                        added.push(import.clone());
                    }
                }
            }
        }
        if let Kind::Js { .. } = self.kind {
            // Declarations after every import, so the imports stay one block.
            added.sort_by_key(|line| !(line.starts_with("import ") || line.contains("require(")));
        }
        if self.kind == Kind::Go && !added.is_empty() {
            return self.go_merge(&existing, added);
        }
        added
    }

    /// Adds `names` from JavaScript module `module` to the file's imports; the lines to add
    /// after the imports when no existing one can take them.
    fn js_merge(
        &mut self,
        existing: &[(usize, usize)],
        names: &[String],
        module: &str,
        esm: bool,
        quote: char,
    ) -> Option<Vec<String>> {
        let quoted = [format!("'{module}'"), format!("\"{module}\"")];
        let names_text = names.join(", ");
        for &(start, end) in existing {
            if end != start + 1 {
                continue;
            }
            let line = self.lines[start].clone();
            if !quoted.iter().any(|q| line.contains(q.as_str())) {
                continue;
            }
            let destructures = line.contains("require(") || line.starts_with("import ");
            if let (true, Some(open), Some(close)) = (destructures, line.find('{'), line.find('}'))
                && open < close
            {
                let have: Vec<&str> = line[open + 1..close]
                    .split(',')
                    .map(|n| n.split(':').next().unwrap_or("").trim())
                    .filter(|n| !n.is_empty())
                    .collect();
                let missing: Vec<&String> = names
                    .iter()
                    .filter(|n| !have.contains(&n.as_str()))
                    .collect();
                if missing.is_empty() {
                    return None;
                }
                let inner = line[open + 1..close].trim().trim_end_matches(',');
                let all = missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.lines[start] = format!(
                    "{}{{ {inner}, {all} }}{}",
                    &line[..open],
                    &line[close + 1..]
                );
                return None;
            }
            // `const pg = require('pg')`, `import pg from 'pg'`, `import * as pg from 'pg'`.
            let binding = if let Some(rest) = line.trim_start().strip_prefix("import ") {
                rest.trim_start_matches("* as ").split([' ', ',']).next()
            } else {
                line.split_whitespace().nth(1)
            };
            if let Some(binding) = binding.filter(|b| {
                b.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            }) {
                // An earlier `const { … } = pg;` takes the names.
                let suffix = format!("}} = {binding};");
                if let Some(at) = self.lines.iter().position(|l| {
                    l.starts_with("const {") && l.trim_end().ends_with(suffix.as_str())
                }) {
                    let line = self.lines[at].trim_end().to_owned();
                    let inner = &line["const {".len()..line.len() - suffix.len()];
                    let have: Vec<&str> = inner.split(',').map(str::trim).collect();
                    let missing: Vec<&str> = names
                        .iter()
                        .map(String::as_str)
                        .filter(|n| !have.contains(n))
                        .collect();
                    if !missing.is_empty() {
                        let inner = inner.trim().trim_end_matches(',');
                        self.lines[at] =
                            format!("const {{ {inner}, {} {suffix}", missing.join(", "));
                    }
                    return None;
                }
                return Some(vec![format!("const {{ {names_text} }} = {binding};")]);
            }
        }
        let q = quote;
        Some(if !esm {
            vec![format!(
                "const {{ {names_text} }} = require({q}{module}{q});"
            )]
        } else if module == "pg" && !matches!(self.kind, Kind::Js { ts: true, .. }) {
            // pg is CommonJS: its default export works with every version under Node's ESM.
            vec![
                format!("import pg from {q}pg{q};"),
                format!("const {{ {names_text} }} = pg;"),
            ]
        } else {
            vec![format!("import {{ {names_text} }} from {q}{module}{q};")]
        })
    }

    /// Go: adds import specs to the file's `import (…)` block (in its standard-library or
    /// third-party group), else as a new block after `package`.
    fn go_merge(&mut self, existing: &[(usize, usize)], added: Vec<String>) -> Vec<String> {
        let block = existing
            .iter()
            .find(|&&(start, _)| self.lines[start].trim().starts_with("import ("))
            .copied();
        let Some((start, end)) = block else {
            let mut lines = Vec::new();
            if existing.is_empty() {
                lines.push("import (".to_owned());
                let (std, other): (Vec<_>, Vec<_>) =
                    added.iter().partition(|i| !go_import(i).1.contains('.'));
                lines.extend(std.iter().map(|i| format!("\t{i}")));
                if !std.is_empty() && !other.is_empty() {
                    lines.push(String::new());
                }
                lines.extend(other.iter().map(|i| format!("\t{i}")));
                lines.push(")".to_owned());
            } else {
                lines.extend(added.iter().map(|i| format!("import {i}")));
            }
            return lines;
        };
        for import in added {
            let third_party = go_import(&import).1.contains('.');
            // Groups: runs of non-blank lines inside the block.
            let mut groups: Vec<(usize, usize)> = Vec::new();
            let mut j = start + 1;
            let close = (start..self.lines.len())
                .find(|&k| self.lines[k].trim() == ")")
                .unwrap_or(end.saturating_sub(1));
            while j < close {
                if self.lines[j].trim().is_empty() {
                    j += 1;
                    continue;
                }
                let g = j;
                while j < close && !self.lines[j].trim().is_empty() {
                    j += 1;
                }
                groups.push((g, j));
            }
            let group = groups.iter().find(|&&(g, e)| {
                self.lines[g..e]
                    .iter()
                    .all(|l| go_import(l.trim()).1.contains('.') == third_party)
            });
            let line = format!("\t{import}");
            match group {
                Some(&(g, e)) => {
                    let at = (g..e)
                        .find(|&k| go_import(self.lines[k].trim()).1 > go_import(&import).1)
                        .unwrap_or(e);
                    self.lines.insert(at, line);
                }
                None if third_party => {
                    self.lines.splice(close..close, [String::new(), line]);
                }
                None => {
                    self.lines
                        .splice(start + 1..start + 1, [line, String::new()]);
                }
            }
        }
        Vec::new()
    }

    /// Django: replaces the settings' `DATABASES = {…}` with the snippet's. Returns the lines
    /// replaced, and leaves the snippet's DATABASES at the end of `body`.
    fn django_databases(&self) -> Option<(usize, usize)> {
        let start = self.lines.iter().position(|l| l.starts_with("DATABASES"))?;
        let mut depth = 0i32;
        for (j, line) in self.lines.iter().enumerate().skip(start) {
            depth += line.matches(['{', '(', '[']).count() as i32;
            depth -= line.matches(['}', ')', ']']).count() as i32;
            if depth <= 0 && (j > start || line.contains('{') || !line.trim_end().ends_with('=')) {
                return Some((start, j + 1));
            }
        }
        None
    }

    /// The call of the snippet's `connect()` that replaces a selected connection setup, when
    /// its last line assigns the connection to a name (`conn = psycopg2.connect(…)`,
    /// `const pool = new Pool(…)`, `$db = pg_connect(…)`): `conn = connect()`.
    fn connect_call(&self, start: usize, end: usize) -> Option<String> {
        let pattern = match self.kind {
            Kind::Python | Kind::Ruby => r"^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*=[^=]",
            Kind::Js { .. } => r"^(\s*)((?:const|let|var)\s+[A-Za-z_$][A-Za-z0-9_$]*)\s*=[^=]",
            Kind::Php => r"^(\s*)(\$[A-Za-z_][A-Za-z0-9_]*)\s*=[^=]",
            _ => return None,
        };
        let pattern = regex::Regex::new(pattern).ok()?;
        let captures = self.lines[start..end]
            .iter()
            .rev()
            .find_map(|line| pattern.captures(line))?;
        let (indent, name) = (&captures[1], &captures[2]);
        Some(match self.kind {
            Kind::Python => format!("{indent}{name} = connect()"),
            Kind::Ruby => format!("{indent}{name} = connect"),
            // CommonJS has no top-level await.
            Kind::Js { esm: false, .. } if indent.is_empty() => format!(
                "{indent}{name} = connect(); // a Promise of the connected client: await it where it is used"
            ),
            Kind::Js { .. } => format!("{indent}{name} = await connect();"),
            _ => format!("{indent}{name} = connect();"),
        })
    }

    /// Notes the top-level names the snippet defines that the file already defines.
    fn note_redefinitions(&mut self, body: &[String]) {
        for line in body {
            let Some(name) = defined_name(line.trim_start(), self.kind) else {
                continue;
            };
            if line.starts_with([' ', '\t']) && !matches!(self.kind, Kind::CSharp) {
                continue;
            }
            let defines = self
                .lines
                .iter()
                .any(|l| defined_name(l.trim_start(), self.kind) == Some(name));
            if defines {
                self.notes.push(format!(
                    "{} already defines `{name}`: rename one of the two",
                    self.path
                ));
            }
        }
    }

    /// Spring `application.properties`: the snippet's keys the file lacks, after its
    /// `spring.datasource` keys (or at the end).
    fn properties(&mut self, snippet: &str, request: &SnippetRequest) {
        let key_of = |line: &str| -> Option<String> {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with(['#', '!']) {
                return None;
            }
            let end = trimmed.find(['=', ':', ' ']).unwrap_or(trimmed.len());
            Some(trimmed[..end].trim().to_owned())
        };
        let have: Vec<String> = self.lines.iter().filter_map(|l| key_of(l)).collect();
        self.note_overridden(&have, request);
        let mut block: Vec<String> = Vec::new();
        let marked = self
            .lines
            .iter()
            .any(|l| l.contains("Generated by neon-lsp"));
        for line in snippet.lines() {
            match key_of(line) {
                Some(key) if have.contains(&key) => {}
                Some(_) => block.push(line.to_owned()),
                None if !marked => block.push(line.to_owned()),
                None => {}
            }
        }
        if !block.iter().any(|l| key_of(l).is_some()) {
            return;
        }
        while block.last().is_some_and(|l| l.trim().is_empty()) {
            block.pop();
        }
        let at = self
            .lines
            .iter()
            .rposition(|l| l.trim_start().starts_with("spring.datasource"))
            .map_or(self.lines.len(), |i| i + 1);
        self.insert_block(at, block);
    }

    /// Notes the values of the variables Service Connector sets that the file sets too.
    fn note_overridden(&mut self, have: &[String], request: &SnippetRequest) {
        let variables = crate::catalogue::variables(
            request.target,
            request.client_type,
            request.auth,
            request.name.as_deref(),
        )
        .unwrap_or_default();
        for variable in variables {
            if have.contains(&variable.name) {
                self.notes.push(format!(
                    "{} sets {}: Service Connector sets it as an app setting, which wins in Azure; remove the value from the file (keep secrets out of it)",
                    self.path, variable.name
                ));
            }
        }
    }

    /// Spring `application.yml`: each of the snippet's keys the file lacks, merged into the
    /// file's tree under the deepest existing parent, in the file's indentation.
    fn yaml(&mut self, snippet: &str, request: &SnippetRequest) {
        let leaves = yaml_leaves(&snippet.lines().map(str::to_owned).collect::<Vec<_>>());
        let existing: Vec<String> = yaml_leaves(&self.lines)
            .into_iter()
            .map(|(path, _, _)| path.join("."))
            .collect();
        self.note_overridden(&existing, request);
        let unit = match Indent::detect(&self.lines, Indent::Spaces(2)) {
            Indent::Spaces(n) => n,
            Indent::Tab => 2,
        };
        for (path, value, _) in leaves {
            let nodes = yaml_nodes(&self.lines);
            if nodes.iter().any(|n| n.path == path) {
                continue;
            }
            // The deepest existing parent of `path`.
            let parent = (1..path.len())
                .rev()
                .find_map(|depth| nodes.iter().find(|n| n.path == path[..depth]));
            let (at, indent, depth) = match parent {
                Some(node) => {
                    let child_indent = nodes
                        .iter()
                        .find(|n| {
                            n.path.len() == node.path.len() + 1 && n.path.starts_with(&node.path)
                        })
                        .map_or(node.indent + unit, |n| n.indent);
                    (node.subtree_end, child_indent, node.path.len())
                }
                None => (self.lines.len(), 0, 0),
            };
            let mut lines = Vec::new();
            for (level, key) in path.iter().enumerate().skip(depth) {
                let pad = " ".repeat(indent + (level - depth) * unit);
                if level + 1 == path.len() {
                    lines.push(format!("{pad}{key}: {value}"));
                } else {
                    lines.push(format!("{pad}{key}:"));
                }
            }
            self.lines.splice(at..at, lines);
        }
    }
}

/// A YAML mapping key: its path, indentation, and the line after its subtree.
struct YamlNode {
    path: Vec<String>,
    indent: usize,
    subtree_end: usize,
}

/// The block-mapping keys of a YAML text (flow mappings and sequences are left alone; a second
/// document ends the walk).
fn yaml_nodes(lines: &[String]) -> Vec<YamlNode> {
    let mut nodes: Vec<YamlNode> = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed == "---" && i > 0 {
            break;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('-') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let Some(key) = trimmed
            .split_once(':')
            .map(|(k, _)| k.trim().trim_matches(['"', '\'']))
        else {
            continue;
        };
        while stack.last().is_some_and(|(level, _)| *level >= indent) {
            stack.pop();
        }
        stack.push((indent, key.to_owned()));
        nodes.push(YamlNode {
            path: stack.iter().map(|(_, k)| k.clone()).collect(),
            indent,
            subtree_end: i + 1,
        });
    }
    // A node's subtree ends after the last non-blank line deeper than it.
    let ends: Vec<usize> = nodes
        .iter()
        .map(|node| {
            let mut end = node.subtree_end;
            for (j, line) in lines.iter().enumerate().skip(node.subtree_end) {
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                if trimmed == "---" || line.len() - line.trim_start().len() <= node.indent {
                    break;
                }
                end = j + 1;
            }
            end
        })
        .collect();
    for (node, end) in nodes.iter_mut().zip(ends) {
        node.subtree_end = end;
    }
    nodes
}

/// The leaves (key paths with a scalar value) of a YAML text.
fn yaml_leaves(lines: &[String]) -> Vec<(Vec<String>, String, usize)> {
    yaml_nodes(lines)
        .into_iter()
        .filter_map(|node| {
            let line = lines.iter().enumerate().find(|(_, l)| {
                l.len() - l.trim_start().len() == node.indent
                    && l.trim().split_once(':').is_some_and(|(k, _)| {
                        Some(k.trim().trim_matches(['"', '\'']))
                            == node.path.last().map(String::as_str)
                    })
            })?;
            let value = line.1.trim().split_once(':')?.1.trim();
            (!value.is_empty()).then(|| (node.path.clone(), value.to_owned(), line.0))
        })
        .collect()
}

/// The line after a Python docstring starting at line `start`.
fn docstring_end(lines: &[String], start: usize) -> usize {
    let first = lines[start].trim().trim_start_matches('r');
    let quote = &first[..3.min(first.len())];
    if first.len() >= 6 && first[3..].contains(quote) {
        return start + 1;
    }
    (start + 1..lines.len())
        .find(|&j| lines[j].contains(quote))
        .map_or(lines.len(), |j| j + 1)
}

/// `from M import a, b` → (M, [a, b]); `None` for other lines.
fn python_from(statement: &str) -> Option<(String, Vec<String>)> {
    let rest = statement.trim().strip_prefix("from ")?;
    let (module, names) = rest.split_once(" import ")?;
    let names = names
        .split('#')
        .next()
        .unwrap_or_default()
        .replace(['(', ')', '\\', '\n'], " ");
    Some((
        module.trim().to_owned(),
        names
            .split(',')
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
    ))
}

/// `const { A, B } = require("m");` → ([A, B], m).
fn js_require(line: &str) -> Option<(Vec<String>, String)> {
    let open = line.find('{')?;
    let close = line.find('}')?;
    let names = line[open + 1..close]
        .split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let module = line.split(['"', '\'']).nth(1)?.to_owned();
    Some((names, module))
}

/// A Go import spec (`"x/y"` or `alias "x/y"`, with or without `import `): (alias, path).
fn go_import(spec: &str) -> (Option<&str>, &str) {
    let spec = spec.trim().trim_start_matches("import ").trim();
    match spec.split_once(' ') {
        Some((alias, path)) if !alias.starts_with('"') => {
            (Some(alias), path.trim().trim_matches('"'))
        }
        _ => (None, spec.trim_matches('"')),
    }
}

/// The package name of a Go import path (`github.com/jackc/pgx/v5` → `pgx`).
fn go_package_name(path: &str) -> &str {
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or(path);
    let versioned =
        last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    if versioned {
        parts.next().unwrap_or(last)
    } else {
        last
    }
}

/// The name a top-level definition line defines (`def connect(`, `function required(`,
/// `func connect(`, `const TOKEN_SCOPE =` …).
fn defined_name(line: &str, kind: Kind) -> Option<&str> {
    let prefixes: &[&str] = match kind {
        Kind::Python | Kind::Django => &["def ", "class "],
        Kind::Js { .. } => &["async function ", "function ", "const ", "let ", "class "],
        Kind::Go => &["func ", "var ", "const "],
        Kind::Php => &["function "],
        Kind::Ruby => &["def "],
        Kind::Shell => &[""],
        Kind::Java => &["class ", "public class "],
        Kind::CSharp => &["static class "],
        _ => &[],
    };
    for prefix in prefixes {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        let defines = match kind {
            Kind::Shell => rest[end..].starts_with("()"),
            Kind::Js { .. } if prefix.starts_with("const") || prefix.starts_with("let") => {
                rest[end..].trim_start().starts_with('=')
            }
            _ => true,
        };
        if !name.is_empty() && defines {
            return Some(name);
        }
    }
    None
}

/// C#: the snippet's top-level statements as a static method of a class, since a file that
/// already has code cannot take a second program's top-level statements.
fn wrap_csharp(body: Vec<String>) -> Vec<String> {
    let mut lines = vec![
        "/// <summary>The Service Connector connection check generated by neon-lsp: returns 0 when the database answers over TLS.</summary>".to_owned(),
        "static class ServiceConnectorDatabase".to_owned(),
        "{".to_owned(),
        "    public static async Task<int> CheckAsync()".to_owned(),
        "    {".to_owned(),
    ];
    lines.extend(body.into_iter().map(|l| {
        if l.is_empty() {
            l
        } else {
            format!("        {l}")
        }
    }));
    lines.push("    }".to_owned());
    lines.push("}".to_owned());
    lines
}

/// Django: the block split into what goes after the imports (helpers) and the DATABASES
/// assignment that replaces the file's.
fn split_databases(block: Vec<String>) -> (Vec<String>, Vec<String>) {
    let at = block
        .iter()
        .position(|l| l.trim_start().starts_with("DATABASES"))
        .unwrap_or(block.len());
    let mut helpers = block;
    let databases = helpers.split_off(at);
    while helpers.last().is_some_and(|l| l.trim().is_empty()) {
        helpers.pop();
    }
    (helpers, databases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_change_only_where_the_literal_allows() {
        let js = r#"const a = "x"; const b = "it's"; const c = `t "${a}"`; // "comment"
const d = "a\"b";"#;
        assert_eq!(
            to_single_quotes(js, false),
            r#"const a = 'x'; const b = "it's"; const c = `t "${a}"`; // "comment"
const d = "a\"b";"#
        );
        let py = "s = \"\"\"doc \"x\" \"\"\"\nt = f\"{n} set\"  # \"c\"\n";
        assert_eq!(
            to_single_quotes(py, true),
            "s = \"\"\"doc \"x\" \"\"\"\nt = f'{n} set'  # \"c\"\n"
        );
        assert_eq!(preferred_quote("a = 'x'\nb = 'y'\nc = \"z\"\n", true), '\'');
        assert_eq!(preferred_quote("# 'a' 'b'\nc = \"z\"\n", true), '"');
    }

    #[test]
    fn indentation_is_detected_and_converted() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            Indent::detect(&lines("a\n\tb\n\t\tc\n"), Indent::Spaces(4)),
            Indent::Tab
        );
        assert_eq!(
            Indent::detect(&lines("a\n  b\n    c\n  d\n"), Indent::Spaces(4)),
            Indent::Spaces(2)
        );
        assert_eq!(
            Indent::detect(&lines("/**\n * doc\n */\na\n    b\n"), Indent::Spaces(2)),
            Indent::Spaces(4)
        );
        // One level and a 2-space continuation: the level converts, the remainder stays.
        assert_eq!(reindent("      x", 4, Indent::Spaces(2)), "    x");
        assert_eq!(reindent("        x", 4, Indent::Tab), "\t\tx");
        assert_eq!(reindent("   ", 4, Indent::Tab), "");
    }

    #[test]
    fn import_shapes_are_read() {
        assert_eq!(
            python_from("from a.b import (c,\n  d)  # x"),
            Some(("a.b".to_owned(), vec!["c".to_owned(), "d".to_owned()]))
        );
        assert_eq!(python_from("import os"), None);
        assert_eq!(go_package_name("github.com/jackc/pgx/v5"), "pgx");
        assert_eq!(go_package_name("net/http"), "http");
        assert_eq!(
            go_import("pg \"github.com/jackc/pgx/v5\""),
            (Some("pg"), "github.com/jackc/pgx/v5")
        );
        assert_eq!(
            js_require("const { Client, Pool } = require(\"pg\");"),
            Some((
                vec!["Client".to_owned(), "Pool".to_owned()],
                "pg".to_owned()
            ))
        );
    }

    #[test]
    fn one_edit_covers_exactly_the_changed_lines() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        let edit = line_edit(&lines("a\nb\nc"), &lines("a\nx\nb\nc"), true).unwrap();
        assert_eq!((edit.start, edit.end, edit.text.as_str()), (1, 1, "x\n"));
        // Appending to a file without a final newline replaces its last line.
        let edit = line_edit(&lines("a"), &lines("a\n\nb"), false).unwrap();
        assert_eq!((edit.start, edit.end, edit.text.as_str()), (0, 1, "a\n\nb"));
        assert_eq!(line_edit(&lines("a"), &lines("a"), true), None);
    }

    #[test]
    fn windows_line_endings_are_kept() {
        let request = SnippetRequest {
            target: crate::catalogue::Target::Neon,
            client_type: ClientType::Ruby,
            auth: crate::catalogue::AuthType::Secret,
            name: None,
            customized_keys: Vec::new(),
        };
        let snippet = super::super::generate(&request).unwrap();
        let text = "require 'json'\r\n\r\nputs 1\r\n";
        let placed = place(&snippet, &request, "app.rb", text, Anchor::AfterImports).unwrap();
        assert!(
            !placed.text.replace("\r\n", "").contains('\n'),
            "{:?}",
            placed.text
        );
        let edit = placed.edit.unwrap();
        assert!(
            !edit.text.replace("\r\n", "").contains('\n'),
            "{:?}",
            edit.text
        );
        assert!(
            placed
                .text
                .starts_with("require 'json'\r\nrequire 'pg'\r\n"),
            "{:?}",
            placed.text
        );
    }

    #[test]
    fn wrong_files_and_ranges_say_what_to_do() {
        let request = SnippetRequest {
            target: crate::catalogue::Target::Neon,
            client_type: ClientType::Python,
            auth: crate::catalogue::AuthType::Secret,
            name: None,
            customized_keys: Vec::new(),
        };
        let snippet = super::super::generate(&request).unwrap();
        let error = place(&snippet, &request, "app.js", "x\n", Anchor::AfterImports).unwrap_err();
        assert!(matches!(error, PlaceError::Mismatch { .. }), "{error}");
        let error = place(&snippet, &request, "Main.kt", "", Anchor::AfterImports).unwrap_err();
        assert!(
            error.to_string().contains("snippets go into Python"),
            "{error}"
        );
        let error = place(
            &snippet,
            &request,
            "app.py",
            "import os\nx = 1\n",
            Anchor::Replace { start: 0, end: 2 },
        )
        .unwrap_err();
        assert!(matches!(error, PlaceError::Range { .. }), "{error}");
        assert!(!supports("Main.kt") && supports("app.py") && supports("config/application.yml"));
    }
}

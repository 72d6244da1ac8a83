//! Shell scripts, Dockerfiles and shell embedded in other files (GitHub Actions `run:`).
//!
//! A single pass over the bytes that follows POSIX quoting (single quotes, double quotes,
//! `$'…'`, backslash escapes, heredocs, `$(…)`) and reports `$X`/`${X…}` expansions,
//! comments (`#` at a word start only: not `$#`, `${#X}`, `a#b` or inside quotes), string
//! literals, `echo`/`printf` commands and `NAME="$X"` assignments. It is not a shell parser:
//! control flow, functions and arrays are just text to it.

use super::{Assignment, Call, DefinitionForm, EnvDefinition, EnvRef, Language, RefForm, Scan};
use crate::text::TextRange;

const MAX_SUBSTITUTION_DEPTH: usize = 24;

pub(crate) fn scan_shell_file(language: Language, text: &str) -> Scan {
    let mut scan = Scan::default();
    if language == Language::Dockerfile {
        dockerfile(text, &mut scan);
    } else {
        scan_shell_region(text, &mut scan, TextRange::new(0, text.len()), true);
    }
    super::finish(scan)
}

/// Scans `region` of `text` as shell and adds what it finds to `scan` (YAML `run:` values
/// call this for their scripts). Returns where scanning stopped: past `region` when a heredoc
/// body runs beyond it.
pub(crate) fn scan_shell_region(
    text: &str,
    scan: &mut Scan,
    region: TextRange,
    command_start: bool,
) -> usize {
    let first_ref = scan.env_refs.len();
    let mut scanner = Shell {
        text,
        bytes: text.as_bytes(),
        pos: region.start,
        end: region.end.min(text.len()),
        depth: 0,
        command_start,
        echoes: Vec::new(),
        heredocs: Vec::new(),
        scan,
    };
    scanner.code(false);
    scanner.close_echoes(scanner.pos.min(scanner.end));
    if !scanner.heredocs.is_empty() {
        scanner.heredoc_bodies();
    }
    let stopped = scanner.pos;
    assignments(text, scan, first_ref);
    stopped
}

struct PendingHeredoc {
    delimiter: TextRange,
    expands: bool,
    strip_tabs: bool,
    opener: usize,
}

struct Shell<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    depth: usize,
    command_start: bool,
    /// Open `echo`/`printf` commands: (callee range, substitution depth).
    echoes: Vec<(TextRange, usize)>,
    heredocs: Vec<PendingHeredoc>,
    scan: &'s mut Scan,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const KEYWORDS_BEFORE_COMMAND: &[&[u8]] = &[
    b"then",
    b"do",
    b"else",
    b"elif",
    b"if",
    b"while",
    b"until",
    b"time",
    b"!",
    b"exec",
    b"sudo",
    b"export",
    b"local",
    b"readonly",
    b"declare",
    b"command",
    b"nohup",
    b"env",
];

impl Shell<'_, '_> {
    fn at(&self, offset: usize) -> u8 {
        if offset < self.end {
            self.bytes[offset]
        } else {
            0
        }
    }

    fn word_boundary_before(&self, offset: usize) -> bool {
        offset == 0
            || matches!(
                self.bytes.get(offset - 1),
                Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')')
            )
    }

    fn code(&mut self, in_substitution: bool) {
        let mut parens = 0usize;
        while self.pos < self.end {
            let start = self.pos;
            let b = self.bytes[start];
            match b {
                b'\n' => {
                    self.close_echoes(start);
                    self.pos += 1;
                    self.command_start = true;
                    if !self.heredocs.is_empty() {
                        self.heredoc_bodies();
                    }
                }
                b'#' if self.word_boundary_before(start) => {
                    self.close_echoes(start);
                    let end = memchr::memchr(b'\n', &self.bytes[start..self.end])
                        .map_or(self.end, |i| start + i);
                    let range = TextRange::new(start, trim_cr(self.bytes, start, end));
                    self.scan.comments.push(range);
                    self.pos = end;
                }
                b'\\' => self.pos += 2,
                b'\'' => {
                    let content_start = start + 1;
                    let close = memchr::memchr(b'\'', &self.bytes[content_start..self.end])
                        .map(|i| content_start + i);
                    let content_end = close.unwrap_or(self.end);
                    self.literal(
                        TextRange::new(start, close.map_or(self.end, |c| c + 1)),
                        TextRange::new(content_start, content_end),
                        false,
                    );
                    self.pos = close.map_or(self.end, |c| c + 1);
                    self.command_start = false;
                }
                b'"' => {
                    self.double_quoted(start);
                    self.command_start = false;
                }
                b'$' => {
                    self.dollar(start);
                    self.command_start = false;
                }
                b';' | b'&' | b'|' => {
                    self.close_echoes(start);
                    self.command_start = true;
                    self.pos += 1;
                }
                b'(' => {
                    parens += 1;
                    self.command_start = true;
                    self.pos += 1;
                }
                b')' => {
                    if in_substitution && parens == 0 {
                        self.close_echoes(start);
                        return;
                    }
                    parens = parens.saturating_sub(1);
                    self.close_echoes(start);
                    self.pos += 1;
                }
                b'<' if self.bytes.get(start..start + 2) == Some(b"<<")
                    && self.at(start + 2) != b'<' =>
                {
                    self.heredoc_opener(start);
                }
                b'{' | b'}' if self.command_start => self.pos += 1,
                b' ' | b'\t' | b'\r' | b'`' => self.pos += 1,
                _ if is_name_continue(b) || b == b'!' => self.word(start),
                _ => {
                    self.command_start = false;
                    self.pos += 1;
                }
            }
        }
    }

    fn word(&mut self, start: usize) {
        let mut end = start + 1;
        while end < self.end && (is_name_continue(self.bytes[end]) || self.bytes[end] == b'-') {
            end += 1;
        }
        self.pos = end;
        if !self.command_start {
            return;
        }
        let word = &self.bytes[start..end];
        if self.at(end) == b'=' && is_name_start(word[0]) {
            // `NAME=value cmd`: the command is still to come.
            self.pos = end + 1;
            return;
        }
        let ends_word = matches!(
            self.at(end),
            0 | b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b')'
        );
        if ends_word && (word == b"echo" || word == b"printf") {
            self.echoes.push((TextRange::new(start, end), self.depth));
            self.command_start = false;
        } else if !(ends_word && KEYWORDS_BEFORE_COMMAND.contains(&word)) {
            self.command_start = false;
        }
    }

    fn close_echoes(&mut self, at: usize) {
        while let Some(&(callee, depth)) = self.echoes.last() {
            if depth < self.depth {
                break;
            }
            self.echoes.pop();
            let mut args_start = callee.end;
            while args_start < at && matches!(self.bytes[args_start], b' ' | b'\t') {
                args_start += 1;
            }
            let mut end = at.max(args_start);
            while end > args_start && self.bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            self.scan.log_calls.push(Call {
                callee: self
                    .text
                    .get(callee.start..callee.end)
                    .unwrap_or("")
                    .to_owned(),
                callee_range: callee,
                range: TextRange::new(callee.start, end),
                args_range: TextRange::new(args_start, end),
            });
        }
    }

    fn literal(&mut self, range: TextRange, content: TextRange, interpolated: bool) {
        super::push_interesting_literal(self.scan, self.text, range, content, interpolated);
        super::push_url_scope_parameters(self.scan, self.text, range, content);
    }

    fn double_quoted(&mut self, start: usize) {
        self.pos = start + 1;
        let mut interpolated = false;
        while self.pos < self.end {
            match self.bytes[self.pos] {
                b'"' => break,
                b'\\' => self.pos += 2,
                b'$' => {
                    interpolated = true;
                    self.dollar(self.pos);
                }
                b'`' => {
                    interpolated = true;
                    let from = self.pos + 1;
                    self.pos = memchr::memchr(b'`', &self.bytes[from..self.end])
                        .map_or(self.end, |i| from + i + 1);
                }
                _ => self.pos += 1,
            }
        }
        let content_end = self.pos.min(self.end);
        self.pos = (content_end + 1).min(self.end.max(content_end));
        let end = if self.at(content_end) == b'"' {
            content_end + 1
        } else {
            content_end
        };
        self.literal(
            TextRange::new(start, end),
            TextRange::new(start + 1, content_end),
            interpolated,
        );
    }

    /// `$NAME`, `${…}`, `$(…)`, `$'…'` or a special parameter, with `self.pos` at the `$`.
    fn dollar(&mut self, start: usize) {
        let next = self.at(start + 1);
        if next == b'{' {
            self.braced(start);
        } else if is_name_start(next) {
            let mut end = start + 2;
            while is_name_continue(self.at(end)) {
                end += 1;
            }
            self.push_ref(
                TextRange::new(start + 1, end),
                TextRange::new(start, end),
                RefForm::ShellVariable,
                false,
            );
            self.pos = end;
        } else if next == b'(' {
            self.pos = start + 2;
            if self.depth < MAX_SUBSTITUTION_DEPTH {
                self.depth += 1;
                let command_start = self.command_start;
                self.command_start = true;
                self.code(true);
                self.depth -= 1;
                self.command_start = command_start;
                if self.at(self.pos) == b')' {
                    self.pos += 1;
                }
            }
        } else if next == b'\'' {
            // ANSI-C quoting: backslash escapes, no expansions.
            let content_start = start + 2;
            let mut pos = content_start;
            while pos < self.end && self.bytes[pos] != b'\'' {
                pos += if self.bytes[pos] == b'\\' { 2 } else { 1 };
            }
            let content_end = pos.min(self.end);
            let end = (content_end + 1).min(self.end);
            self.literal(
                TextRange::new(start, end),
                TextRange::new(content_start.min(content_end), content_end),
                false,
            );
            self.pos = end.max(start + 2);
        } else {
            // `$1`, `$@`, `$#`, `$?`, `$$`, `$!`, `$-`, `$*`, or a lone `$`.
            self.pos = start
                + if next == 0 || next.is_ascii_whitespace() || next == b'"' {
                    1
                } else {
                    2
                };
        }
    }

    fn braced(&mut self, start: usize) {
        if self.at(start + 2) == b'{' {
            // A GitHub Actions expression `${{ … }}` in a `run:` script is not shell.
            let from = start + 3;
            self.pos = memchr::memmem::find(&self.bytes[from.min(self.end)..self.end], b"}}")
                .map_or(self.end, |i| from + i + 2);
            return;
        }
        let mut name_start = start + 2;
        let length_form = self.at(name_start) == b'#' && is_name_start(self.at(name_start + 1));
        if length_form {
            name_start += 1;
        }
        if !is_name_start(self.at(name_start)) {
            // `${1}`, `${@}`, `${!prefix*}`, `${#}`: not a named variable.
            self.pos = start + 2;
            return;
        }
        let mut name_end = name_start;
        while is_name_continue(self.at(name_end)) {
            name_end += 1;
        }
        let rest = self.bytes.get(name_end..self.end).unwrap_or(&[]);
        let has_default = !length_form
            && (rest.starts_with(b":-")
                || rest.starts_with(b":=")
                || rest.starts_with(b"-")
                || rest.starts_with(b"="));
        // Find the closing brace; defaults may hold further `${…}`.
        let mut depth = 1usize;
        let mut pos = name_end;
        while pos < self.end {
            match self.bytes[pos] {
                b'\\' => pos += 1,
                b'{' if pos > 0 && self.bytes[pos - 1] == b'$' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'\n' if depth == 1 && !rest.starts_with(b":-") => break,
                _ => {}
            }
            pos += 1;
        }
        let expr_end = if self.at(pos) == b'}' {
            pos + 1
        } else {
            name_end
        };
        self.push_ref(
            TextRange::new(name_start, name_end),
            TextRange::new(start, expr_end),
            RefForm::ShellBracedVariable,
            has_default,
        );
        // Continue inside the braces so that references in the default word are found.
        self.pos = name_end;
    }

    fn push_ref(
        &mut self,
        name_range: TextRange,
        expr_range: TextRange,
        form: RefForm,
        has_default: bool,
    ) {
        let Some(name) = self.text.get(name_range.start..name_range.end) else {
            return;
        };
        self.scan.env_refs.push(EnvRef {
            name: name.to_owned(),
            name_range,
            expr_range,
            form,
            has_default,
            platform_path: false,
        });
    }

    /// `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`: the body starts after the current line.
    fn heredoc_opener(&mut self, start: usize) {
        let mut pos = start + 2;
        let strip_tabs = self.at(pos) == b'-';
        if strip_tabs {
            pos += 1;
        }
        while matches!(self.at(pos), b' ' | b'\t') {
            pos += 1;
        }
        let quote = self.at(pos);
        let quoted = quote == b'\'' || quote == b'"';
        if quoted {
            pos += 1;
        }
        let delimiter_start = pos;
        while is_name_continue(self.at(pos)) || self.at(pos) == b'-' {
            pos += 1;
        }
        if pos == delimiter_start || (quoted && self.at(pos) != quote) {
            self.pos = start + 2;
            return;
        }
        let delimiter = TextRange::new(delimiter_start, pos);
        if quoted {
            pos += 1;
        }
        self.heredocs.push(PendingHeredoc {
            delimiter,
            expands: !quoted,
            strip_tabs,
            opener: start,
        });
        self.pos = pos;
    }

    /// Reads the pending heredoc bodies, which start at `self.pos` (the line after the
    /// opener). A heredoc may run past the region's end (a Dockerfile `RUN <<EOF`).
    fn heredoc_bodies(&mut self) {
        let heredocs = std::mem::take(&mut self.heredocs);
        let text_end = self.bytes.len();
        for heredoc in heredocs {
            let delimiter = &self.bytes[heredoc.delimiter.start..heredoc.delimiter.end];
            let body_start = self.pos.min(text_end);
            let mut line = body_start;
            let mut body_end = text_end;
            let mut after = text_end;
            while line < text_end {
                let line_end =
                    memchr::memchr(b'\n', &self.bytes[line..]).map_or(text_end, |i| line + i);
                let mut first = line;
                while heredoc.strip_tabs && first < line_end && self.bytes[first] == b'\t' {
                    first += 1;
                }
                let content_end = trim_cr(self.bytes, first, line_end);
                if &self.bytes[first..content_end] == delimiter {
                    body_end = line;
                    after = (line_end + 1).min(text_end);
                    break;
                }
                line = line_end + 1;
            }
            if heredoc.expands {
                let saved_end = self.end;
                self.end = body_end;
                let mut pos = body_start;
                while pos < body_end {
                    match self.bytes[pos] {
                        b'\\' => pos += 2,
                        b'$' => {
                            self.dollar(pos);
                            pos = self.pos.max(pos + 1);
                        }
                        _ => pos += 1,
                    }
                }
                self.end = saved_end;
            }
            let range = TextRange::new(heredoc.opener, body_end);
            self.literal(range, TextRange::new(body_start, body_end), heredoc.expands);
            self.pos = after;
        }
        self.end = self.end.max(self.pos);
        self.command_start = true;
    }
}

fn trim_cr(bytes: &[u8], start: usize, end: usize) -> usize {
    if end > start && bytes.get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    }
}

/// `NAME="$X"`, `NAME=${X:-d}`, `export NAME=$X`: the value is exactly one expansion.
fn assignments(text: &str, scan: &mut Scan, first_ref: usize) {
    let bytes = text.as_bytes();
    for index in first_ref..scan.env_refs.len() {
        let expr = scan.env_refs[index].expr_range;
        let mut start = expr.start;
        let quoted = start > 0 && bytes[start - 1] == b'"';
        if quoted {
            start -= 1;
        }
        if start == 0 || bytes[start - 1] != b'=' {
            continue;
        }
        let mut end = expr.end;
        if quoted {
            if bytes.get(end) != Some(&b'"') {
                continue;
            }
            end += 1;
        }
        if !matches!(
            bytes.get(end),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b')')
        ) {
            continue;
        }
        let name_end = start - 1;
        let mut name_start = name_end;
        while name_start > 0 && is_name_continue(bytes[name_start - 1]) {
            name_start -= 1;
        }
        let boundary = name_start == 0
            || matches!(
                bytes[name_start - 1],
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'('
            );
        if name_start == name_end || !is_name_start(bytes[name_start]) || !boundary {
            continue;
        }
        let local_range = TextRange::new(name_start, name_end);
        if let Some(local) = text.get(name_start..name_end) {
            scan.assignments.push(Assignment {
                local: local.to_owned(),
                local_range,
                env_ref: index,
            });
        }
    }
}

/// Dockerfile: `#` comments at line starts, instructions with `\` continuations, shell
/// scanning of every instruction's arguments, and `ENV`/`ARG` definitions.
fn dockerfile(text: &str, scan: &mut Scan) {
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let line_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let mut first = pos;
        while first < line_end && matches!(bytes[first], b' ' | b'\t') {
            first += 1;
        }
        if first == line_end || bytes[first] == b'\r' {
            pos = line_end + 1;
            continue;
        }
        if bytes[first] == b'#' {
            scan.comments
                .push(TextRange::new(first, trim_cr(bytes, first, line_end)));
            pos = line_end + 1;
            continue;
        }
        let keyword_end = first
            + bytes[first..line_end]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
        let keyword = text
            .get(first..keyword_end)
            .unwrap_or("")
            .to_ascii_uppercase();
        let instruction_end = instruction_end(bytes, line_end);
        let region = TextRange::new(keyword_end, instruction_end);
        match keyword.as_str() {
            "ENV" => definitions(text, scan, region, DefinitionForm::DockerfileEnv),
            "ARG" => definitions(text, scan, region, DefinitionForm::DockerfileArg),
            _ => {}
        }
        let runs_shell = matches!(
            keyword.as_str(),
            "RUN" | "CMD" | "ENTRYPOINT" | "SHELL" | "HEALTHCHECK" | "ONBUILD"
        );
        let stopped = scan_shell_region(text, scan, region, runs_shell);
        pos = stopped.max(instruction_end) + 1;
    }
}

/// The end of the logical line that starts with the physical line ending at `line_end`:
/// lines ending in `\` continue, and comment or blank lines inside a continuation are skipped.
fn instruction_end(bytes: &[u8], mut line_end: usize) -> usize {
    let ends_with_backslash = |end: usize| {
        let mut last = end;
        while last > 0 && matches!(bytes[last - 1], b' ' | b'\t' | b'\r') {
            last -= 1;
        }
        last > 0 && bytes[last - 1] == b'\\'
    };
    let mut continues = ends_with_backslash(line_end);
    while continues && line_end < bytes.len() {
        let start = line_end + 1;
        line_end = memchr::memchr(b'\n', &bytes[start.min(bytes.len())..])
            .map_or(bytes.len(), |i| start + i);
        let first = bytes[start.min(line_end)..line_end]
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        match first {
            None => {}
            Some(i) if bytes[start + i] == b'#' => {}
            Some(_) => continues = ends_with_backslash(line_end),
        }
    }
    line_end
}

/// `ENV A=1 B="two words"`, legacy `ENV A value with spaces`, `ARG A`, `ARG A=default`.
fn definitions(text: &str, scan: &mut Scan, region: TextRange, form: DefinitionForm) {
    let bytes = text.as_bytes();
    let mut pos = region.start;
    loop {
        while pos < region.end
            && (bytes[pos].is_ascii_whitespace()
                || (bytes[pos] == b'\\'
                    && bytes.get(pos + 1).is_some_and(|b| b.is_ascii_whitespace())))
        {
            pos += 1;
        }
        if pos >= region.end || !is_name_start(bytes[pos]) {
            return;
        }
        let name_start = pos;
        while pos < region.end
            && (is_name_continue(bytes[pos]) || bytes[pos] == b'.' || bytes[pos] == b'-')
        {
            pos += 1;
        }
        let name_range = TextRange::new(name_start, pos);
        let name = text.get(name_start..pos).unwrap_or("").to_owned();
        if pos < region.end && bytes[pos] == b'=' {
            let value_start = pos + 1;
            pos = value_start;
            while pos < region.end && !bytes[pos].is_ascii_whitespace() {
                match bytes[pos] {
                    b'\\' => pos += 2,
                    quote @ (b'"' | b'\'') => {
                        pos += 1;
                        while pos < region.end && bytes[pos] != quote {
                            pos += if bytes[pos] == b'\\' && quote == b'"' {
                                2
                            } else {
                                1
                            };
                        }
                        pos += 1;
                    }
                    _ => pos += 1,
                }
            }
            pos = pos.min(region.end);
            let value_range = (pos > value_start).then(|| TextRange::new(value_start, pos));
            scan.env_definitions.push(EnvDefinition {
                name,
                name_range,
                value_range,
                form,
            });
        } else if form == DefinitionForm::DockerfileEnv {
            // Legacy form: the rest of the instruction is the value.
            let value_start = (pos..region.end)
                .find(|&i| !bytes[i].is_ascii_whitespace())
                .unwrap_or(region.end);
            let mut value_end = region.end;
            while value_end > value_start && bytes[value_end - 1].is_ascii_whitespace() {
                value_end -= 1;
            }
            let value_range =
                (value_end > value_start).then(|| TextRange::new(value_start, value_end));
            scan.env_definitions.push(EnvDefinition {
                name,
                name_range,
                value_range,
                form,
            });
            return;
        } else {
            scan.env_definitions.push(EnvDefinition {
                name,
                name_range,
                value_range: None,
                form,
            });
        }
    }
}

//! YAML (docker-compose, Kubernetes, GitHub Actions, Spring `application.yml`) and Java
//! `.properties` files: line-oriented scanners that find comments, scalar values (which count
//! as string literals), `${X}` placeholders and, in YAML, the shell scripts of `run:` keys.
//!
//! Not a YAML parser: anchors, tags, flow collections and multi-document streams are text to
//! it. It only tracks what decides "comment or value": quotes, block scalars and indentation.

use super::shell::scan_shell_region;
use super::{EnvRef, RefForm, Scan, ScopeContext};
use crate::text::TextRange;

pub(crate) fn scan_yaml(text: &str) -> Scan {
    let mut scan = Scan::default();
    let mut yaml = Yaml {
        text,
        bytes: text.as_bytes(),
        scan: &mut scan,
        scope_list: None,
    };
    yaml.run();
    super::finish(scan)
}

struct Yaml<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    scan: &'s mut Scan,
    /// A `scopes:` key with no inline value: its sequence items are scopes.
    scope_list: Option<(usize, ScopeContext)>,
}

/// What the value of a key means to us.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueRole {
    Plain,
    /// `run:` (GitHub Actions, GitLab-style scripts): a shell script.
    Shell,
    Scope(ScopeContext),
}

fn line_end_at(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', bytes.get(from..).unwrap_or(&[])).map_or(bytes.len(), |i| from + i)
}

fn trim_end(bytes: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && matches!(bytes[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    end
}

fn key_role(key: &str) -> ValueRole {
    let key = key.rsplit('.').next().unwrap_or(key);
    if key == "run" || key == "script" || key == "before_script" || key == "after_script" {
        ValueRole::Shell
    } else if key.eq_ignore_ascii_case("scope") || key.eq_ignore_ascii_case("scopes") {
        ValueRole::Scope(ScopeContext::Scope)
    } else if key.eq_ignore_ascii_case("resource") {
        ValueRole::Scope(ScopeContext::Resource)
    } else {
        ValueRole::Plain
    }
}

impl Yaml<'_, '_> {
    fn run(&mut self) {
        let len = self.bytes.len();
        let mut pos = 0;
        while pos < len {
            pos = self.line(pos);
        }
    }

    /// Scans the line starting at `start`; returns where the next line starts.
    fn line(&mut self, start: usize) -> usize {
        let bytes = self.bytes;
        let line_end = line_end_at(bytes, start);
        let mut at = start;
        while at < line_end && bytes[at] == b' ' {
            at += 1;
        }
        let indent = at - start;
        if at >= trim_end(bytes, at, line_end) {
            return line_end + 1;
        }
        if bytes[at] == b'#' {
            self.comment(at, line_end);
            return line_end + 1;
        }
        let mut is_item = false;
        while bytes[at] == b'-'
            && matches!(bytes.get(at + 1), Some(b' ' | b'\t' | b'\n' | b'\r') | None)
        {
            is_item = true;
            at += 1;
            while at < line_end && matches!(bytes[at], b' ' | b'\t') {
                at += 1;
            }
            if at >= line_end {
                break;
            }
        }
        if let Some((scope_indent, _)) = self.scope_list
            && (indent < scope_indent || (indent == scope_indent && !is_item))
        {
            self.scope_list = None;
        }
        if at >= line_end {
            return line_end + 1;
        }
        let key_column = at - start;
        let (role, value_start) = match self.key(at, line_end) {
            Some((key, after_colon)) => {
                let mut value_start = after_colon;
                while value_start < line_end && matches!(bytes[value_start], b' ' | b'\t') {
                    value_start += 1;
                }
                let role = key_role(key);
                if let ValueRole::Scope(context) = role
                    && trim_end(bytes, value_start, line_end) == value_start
                {
                    self.scope_list = Some((indent, context));
                }
                (role, value_start)
            }
            None => {
                let role = match self.scope_list {
                    Some((_, context)) if is_item => ValueRole::Scope(context),
                    _ => ValueRole::Plain,
                };
                (role, at)
            }
        };
        self.value(value_start, line_end, key_column, role)
    }

    fn comment(&mut self, at: usize, line_end: usize) {
        let end = trim_end(self.bytes, at, line_end);
        self.scan.comments.push(TextRange::new(at, end));
    }

    /// A mapping key at `at` (plain or quoted), returning the key text and the offset after `:`.
    fn key(&self, at: usize, line_end: usize) -> Option<(&str, usize)> {
        let bytes = self.bytes;
        let separator = |colon: usize| {
            bytes.get(colon) == Some(&b':')
                && matches!(
                    bytes.get(colon + 1),
                    Some(b' ' | b'\t' | b'\n' | b'\r') | None
                )
        };
        let quote = bytes[at];
        if quote == b'"' || quote == b'\'' {
            let close = at + 1 + memchr::memchr(quote, &bytes[at + 1..line_end])?;
            let mut colon = close + 1;
            while colon < line_end && bytes[colon] == b' ' {
                colon += 1;
            }
            return separator(colon)
                .then(|| (self.text.get(at + 1..close).unwrap_or(""), colon + 1));
        }
        if matches!(
            quote,
            b'[' | b'{' | b'|' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`'
        ) {
            return None;
        }
        let mut pos = at;
        while pos < line_end {
            match bytes[pos] {
                b':' if separator(pos) => {
                    let key_end = trim_end(bytes, at, pos);
                    return Some((self.text.get(at..key_end).unwrap_or(""), pos + 1));
                }
                b'#' if pos > at && matches!(bytes[pos - 1], b' ' | b'\t') => return None,
                _ => pos += 1,
            }
        }
        None
    }

    /// The value starting at `start` on a line ending at `line_end`; returns the next line's start.
    fn value(
        &mut self,
        start: usize,
        line_end: usize,
        parent_column: usize,
        role: ValueRole,
    ) -> usize {
        let bytes = self.bytes;
        if start >= trim_end(bytes, start, line_end) {
            return line_end + 1;
        }
        match bytes[start] {
            b'#' => {
                self.comment(start, line_end);
                line_end + 1
            }
            b'|' | b'>' => self.block_scalar(start, line_end, parent_column, role),
            quote @ (b'"' | b'\'') => {
                let mut pos = start + 1;
                while pos < bytes.len() {
                    match bytes[pos] {
                        b'\\' if quote == b'"' => pos += 2,
                        b'\'' if quote == b'\'' && bytes.get(pos + 1) == Some(&b'\'') => pos += 2,
                        b if b == quote => break,
                        _ => pos += 1,
                    }
                }
                let content_end = pos.min(bytes.len());
                let end = (content_end + 1).min(bytes.len());
                self.scalar(
                    TextRange::new(start, end),
                    TextRange::new(start + 1, content_end),
                    role,
                );
                // A comment may follow the closing quote.
                let close_line_end = line_end_at(bytes, end);
                if let Some(hash) = bytes[end..close_line_end].iter().position(|b| *b == b'#') {
                    self.comment(end + hash, close_line_end);
                }
                close_line_end + 1
            }
            _ => {
                let mut end = line_end;
                let mut pos = start;
                while pos < line_end {
                    if bytes[pos] == b'#' && pos > start && matches!(bytes[pos - 1], b' ' | b'\t') {
                        self.comment(pos, line_end);
                        end = pos;
                        break;
                    }
                    pos += 1;
                }
                let end = trim_end(bytes, start, end);
                let range = TextRange::new(start, end);
                self.scalar(range, range, role);
                line_end + 1
            }
        }
    }

    /// `|`, `>-`, `|2+` …: the content is every following line indented deeper than the
    /// parent, plus blank lines between them.
    fn block_scalar(
        &mut self,
        header: usize,
        line_end: usize,
        parent_column: usize,
        role: ValueRole,
    ) -> usize {
        let bytes = self.bytes;
        if let Some(hash) = bytes[header..line_end].iter().position(|b| *b == b'#') {
            self.comment(header + hash, line_end);
        }
        let content_start = (line_end + 1).min(bytes.len());
        let mut content_end = content_start;
        let mut next = content_start;
        while next < bytes.len() {
            let end = line_end_at(bytes, next);
            let indent = bytes[next..end].iter().take_while(|b| **b == b' ').count();
            let blank = trim_end(bytes, next + indent, end) == next + indent;
            if !blank && indent <= parent_column {
                break;
            }
            if !blank {
                content_end = end;
            }
            next = end + 1;
        }
        let content_end = trim_end(bytes, content_start, content_end.max(content_start));
        let content = TextRange::new(content_start, content_end);
        self.scalar(
            TextRange::new(header, content_end.max(header)),
            content,
            role,
        );
        content_end.max(content_start) + 1
    }

    fn scalar(&mut self, range: TextRange, content: TextRange, role: ValueRole) {
        if content.is_empty() {
            return;
        }
        if role != ValueRole::Shell {
            // A script's own string literals are found by the shell scanner.
            super::push_interesting_literal(self.scan, self.text, range, content, false);
            super::push_url_scope_parameters(self.scan, self.text, range, content);
        }
        match role {
            ValueRole::Shell => {
                scan_shell_region(self.text, self.scan, content, true);
            }
            ValueRole::Scope(context) => {
                if super::code::looks_like_scope(
                    self.text.get(content.start..content.end).unwrap_or(""),
                ) {
                    super::push_token_scope(self.scan, self.text, range, content, context);
                }
                placeholders(self.text, self.scan, content, RefForm::YamlPlaceholder);
            }
            ValueRole::Plain => {
                placeholders(self.text, self.scan, content, RefForm::YamlPlaceholder)
            }
        }
    }
}

/// `${NAME}`, `${NAME:-d}`, `${NAME:d}` (Spring), `$(NAME)` (Kubernetes, YAML only); never
/// `${{ … }}` (GitHub Actions) or `$${…}` (compose's escape).
fn placeholders(text: &str, scan: &mut Scan, content: TextRange, form: RefForm) {
    let bytes = text.as_bytes();
    let yaml = form == RefForm::YamlPlaceholder;
    let mut pos = content.start;
    while let Some(i) = memchr::memchr(b'$', &bytes[pos..content.end]) {
        let start = pos + i;
        pos = start + 1;
        match bytes.get(start + 1) {
            Some(b'$') if yaml => pos = start + 2,
            Some(b'{') if bytes.get(start + 2) != Some(&b'{') => {
                let name_start = start + 2;
                let name_end = name_start
                    + bytes[name_start..content.end]
                        .iter()
                        .take_while(|b| {
                            b.is_ascii_alphanumeric()
                                || **b == b'_'
                                || (!yaml && matches!(b, b'.' | b'-'))
                        })
                        .count();
                if name_end == name_start || bytes[name_start].is_ascii_digit() {
                    continue;
                }
                let rest = &bytes[name_end..content.end];
                let has_default = if yaml {
                    rest.starts_with(b":-") || rest.starts_with(b"-")
                } else {
                    rest.starts_with(b":")
                };
                let mut depth = 1usize;
                let mut close = None;
                for (offset, b) in rest.iter().enumerate() {
                    match b {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = Some(name_end + offset);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(close) = close else { continue };
                push(
                    text,
                    scan,
                    TextRange::new(name_start, name_end),
                    TextRange::new(start, close + 1),
                    form,
                    has_default,
                );
                // Continue after the name: defaults may hold further placeholders.
                pos = name_end;
            }
            Some(b'(') if yaml => {
                let name_start = start + 2;
                let name_end = name_start
                    + bytes[name_start..content.end]
                        .iter()
                        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
                        .count();
                if name_end > name_start
                    && !bytes[name_start].is_ascii_digit()
                    && bytes.get(name_end) == Some(&b')')
                {
                    let expr = TextRange::new(start, name_end + 1);
                    push(
                        text,
                        scan,
                        TextRange::new(name_start, name_end),
                        expr,
                        RefForm::YamlKubernetesReference,
                        false,
                    );
                    pos = name_end + 1;
                }
            }
            _ => {}
        }
    }
}

fn push(
    text: &str,
    scan: &mut Scan,
    name_range: TextRange,
    expr_range: TextRange,
    form: RefForm,
    has_default: bool,
) {
    if let Some(name) = text.get(name_range.start..name_range.end) {
        scan.env_refs.push(EnvRef {
            name: name.to_owned(),
            name_range,
            expr_range,
            form,
            has_default,
            platform_path: false,
        });
    }
}

/// Java `.properties`: `#`/`!` comment lines, `key=value`, `key: value`, `key value`, values
/// continued with a trailing `\`.
pub(crate) fn scan_properties(text: &str) -> Scan {
    let mut scan = Scan::default();
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let line_end = line_end_at(bytes, pos);
        let mut at = pos;
        while at < line_end && matches!(bytes[at], b' ' | b'\t' | b'\x0c') {
            at += 1;
        }
        if at >= trim_end(bytes, at, line_end) {
            pos = line_end + 1;
            continue;
        }
        if matches!(bytes[at], b'#' | b'!') {
            scan.comments
                .push(TextRange::new(at, trim_end(bytes, at, line_end)));
            pos = line_end + 1;
            continue;
        }
        let key_start = at;
        while at < line_end && !matches!(bytes[at], b'=' | b':' | b' ' | b'\t' | b'\x0c' | b'\r') {
            at += if bytes[at] == b'\\' { 2 } else { 1 };
        }
        let key_end = at.min(line_end);
        while at < line_end && matches!(bytes[at], b' ' | b'\t' | b'\x0c') {
            at += 1;
        }
        if at < line_end && matches!(bytes[at], b'=' | b':') {
            at += 1;
            while at < line_end && matches!(bytes[at], b' ' | b'\t' | b'\x0c') {
                at += 1;
            }
        }
        let value_start = at.min(line_end);
        let mut logical_end = line_end;
        while ends_with_odd_backslashes(bytes, value_start, logical_end)
            && logical_end < bytes.len()
        {
            logical_end = line_end_at(bytes, logical_end + 1);
        }
        let value = TextRange::new(value_start, trim_end(bytes, value_start, logical_end));
        if !value.is_empty() {
            super::push_interesting_literal(&mut scan, text, value, value, false);
            super::push_url_scope_parameters(&mut scan, text, value, value);
            if let ValueRole::Scope(context) = key_role(text.get(key_start..key_end).unwrap_or(""))
                && super::code::looks_like_scope(text.get(value.start..value.end).unwrap_or(""))
            {
                super::push_token_scope(&mut scan, text, value, value, context);
            }
            placeholders(text, &mut scan, value, RefForm::PropertiesPlaceholder);
        }
        pos = logical_end + 1;
    }
    super::finish(scan)
}

fn ends_with_odd_backslashes(bytes: &[u8], start: usize, end: usize) -> bool {
    let end = trim_end(bytes, start, end).max(start);
    let count = bytes[start..end]
        .iter()
        .rev()
        .take_while(|b| **b == b'\\')
        .count();
    count % 2 == 1
}

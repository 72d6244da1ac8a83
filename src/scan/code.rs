//! Fact extraction for the programming languages (Python, JavaScript/TypeScript, Go, C#,
//! Java, Kotlin, PHP, Ruby): regexes over the masked code from `lexer.rs`, with every name
//! taken from a real string literal found by offset.
//!
//! Not here: shell-like files (`shell.rs`) and YAML/.properties (`config.rs`).

use super::lexer::{self, Lexed, Literal, LiteralKind};
use super::tree::flow::{env_kind, is_password_name};
use super::{
    Assignment, Call, EnvRef, Language, RefForm, Scan, ScopeContext, SplitCall, SplitSeparator,
    SslProperty, ValueFact, ValueKind, ValueOrigin, ValueRole,
};
use crate::text::TextRange;
use regex::bytes::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Brackets further apart than this are not matched: no real call spans it, and the cap keeps
/// unbalanced input linear.
const MAX_BRACKET_SPAN: usize = 32 * 1024;

fn built_in(pattern: &str) -> Regex {
    // Patterns are constants covered by tests; a typo is a programming error, not input.
    Regex::new(pattern)
        .unwrap_or_else(|error| panic!("built-in scanner regex does not compile: {error}"))
}

macro_rules! static_regex {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| built_in($pattern));
    };
}

pub(crate) fn scan_code(language: Language, text: &str) -> Scan {
    let lexed = lexer::lex(language, text);
    let code = Code {
        language,
        text,
        masked: &lexed.masked,
        lexed: &lexed,
        chain_starts: Default::default(),
    };
    let mut scan = Scan {
        comments: lexed.comments.clone(),
        ..Scan::default()
    };
    let mut destructured_locals = Vec::new();
    match language {
        Language::Python => code.python_refs(&mut scan),
        Language::JavaScript => code.javascript_refs(&mut scan, &mut destructured_locals),
        Language::Go => code.simple_refs(&mut scan, &GO_REFS, |_| (RefForm::GoGetenv, false)),
        Language::CSharp => code.simple_refs(&mut scan, &CSHARP_REFS, |_| {
            (RefForm::CSharpGetEnvironmentVariable, false)
        }),
        Language::Java | Language::Kotlin => code.java_refs(&mut scan),
        Language::Php => code.php_refs(&mut scan),
        Language::Ruby => code.ruby_refs(&mut scan),
        _ => {}
    }
    // Refs come from several passes; order them once, then point assignments at them.
    let mut order: Vec<usize> = (0..scan.env_refs.len()).collect();
    order.sort_by_key(|&i| scan.env_refs[i].name_range.start);
    let mut position_of = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        position_of[old] = new;
    }
    for (local, local_range, old) in destructured_locals {
        scan.assignments.push(Assignment {
            local,
            local_range,
            env_ref: position_of[old],
        });
    }
    // Permuted in place (each swap puts one ref where it belongs): no second vector of refs.
    for index in 0..position_of.len() {
        while position_of[index] != index {
            let target = position_of[index];
            scan.env_refs.swap(index, target);
            position_of.swap(index, target);
        }
    }
    for index in 0..scan.env_refs.len() {
        if scan.env_refs[index].form == RefForm::JsEnvDestructuring {
            continue;
        }
        if let Some((local, local_range)) =
            code.assigned_local(scan.env_refs[index].expr_range.start)
        {
            scan.assignments.push(Assignment {
                local,
                local_range,
                env_ref: index,
            });
        }
    }
    scan.assignments.sort_by_key(|a| a.local_range.start);
    code.literal_facts(&mut scan);
    code.log_calls(&mut scan);
    code.split_calls(&mut scan);
    code.token_scope_calls(&mut scan);
    code.token_scope_keys(&mut scan);
    code.exact_scope_literals(&mut scan);
    if language == Language::JavaScript {
        code.ssl_properties(&mut scan);
    }
    if !super::has_value_flow(language) {
        code.value_flow(&mut scan);
    }
    super::finish(scan)
}

struct Code<'a> {
    language: Language,
    text: &'a str,
    masked: &'a [u8],
    lexed: &'a Lexed,
    /// [`Code::expression_start`]'s answers by end offset: a chain of n calls
    /// (`s.split("=").split("=")…`) asks for every prefix of itself, and walking each prefix
    /// back to the chain's start again would be quadratic.
    chain_starts: std::cell::RefCell<std::collections::HashMap<usize, usize>>,
}

/// Calls that put their argument into the text they return, so a secret passed to them is
/// still logged.
const RENDERS_VALUE: &[&str] = &[
    "implode",
    "join",
    "Join",
    "print_r",
    "var_export",
    "json_encode",
    "serialize",
    "sprintf",
    "Sprintf",
    "Sprint",
    "Sprintln",
    "format",
    "Format",
    "valueOf",
    "toString",
    "ToString",
    "String",
    "string",
    "inspect",
    "to_s",
    "to_json",
    "dump",
    "Dump",
    "pp",
    "Concat",
    "concat",
    "asList",
    "of",
];

/// A split receiver's text is kept up to this many bytes (the variable or read it starts
/// with is what the rules look at); a longer one would be copied once per call in a chain.
const MAX_RECEIVER_TEXT: usize = 512;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Content usable as a variable name: a plain constant on one line.
fn name_literal(literal: &Literal, text: &str) -> bool {
    literal.kind == LiteralKind::String
        && !literal.interpolated
        && !literal.escaped
        && !literal.content.is_empty()
        && text
            .get(literal.content.start..literal.content.end)
            .is_some_and(|c| {
                !c.bytes()
                    .any(|b| matches!(b, b'\n' | b'\r' | b'"' | b'\'' | b'`' | b'{' | b'$'))
            })
}

impl Code<'_> {
    fn byte(&self, offset: usize) -> u8 {
        self.masked.get(offset).copied().unwrap_or(0)
    }

    fn skip_ws(&self, mut offset: usize) -> usize {
        while self.byte(offset).is_ascii_whitespace() {
            offset += 1;
        }
        offset
    }

    /// Moves back over whitespace: the result is just after the previous non-space byte.
    fn skip_ws_back(&self, mut offset: usize) -> usize {
        while offset > 0 && self.byte(offset - 1).is_ascii_whitespace() {
            offset -= 1;
        }
        offset
    }

    fn slice(&self, range: TextRange) -> &str {
        self.text.get(range.start..range.end).unwrap_or("")
    }

    /// Whether the match starting at `start` begins a token (not `myprocess`, not `x.os`).
    fn token_starts_at(&self, start: usize) -> bool {
        if start == 0 {
            return true;
        }
        let previous = self.byte(start - 1);
        let rejected = is_word_byte(previous)
            || previous == b'$'
            || previous == b'@'
            || (previous == b'.' && self.language != Language::Php)
            || (previous == b'>' && start >= 2 && self.byte(start - 2) == b'-')
            || (previous == b':'
                && start >= 2
                && self.byte(start - 2) == b':'
                && self.language == Language::Php);
        !rejected
    }

    fn matching_close(&self, open: usize) -> Option<usize> {
        let (opener, closer) = match self.byte(open) {
            b'(' => (b'(', b')'),
            b'[' => (b'[', b']'),
            b'{' => (b'{', b'}'),
            _ => return None,
        };
        let mut depth = 0usize;
        let limit = (open + MAX_BRACKET_SPAN).min(self.masked.len());
        for offset in open..limit {
            let b = self.masked[offset];
            if b == opener {
                depth += 1;
            } else if b == closer {
                depth -= 1;
                if depth == 0 {
                    return Some(offset);
                }
            }
        }
        None
    }

    fn matching_open(&self, close: usize) -> Option<usize> {
        let (opener, closer) = match self.byte(close) {
            b')' => (b'(', b')'),
            b']' => (b'[', b']'),
            b'}' => (b'{', b'}'),
            _ => return None,
        };
        let mut depth = 0usize;
        let limit = close.saturating_sub(MAX_BRACKET_SPAN);
        let mut offset = close + 1;
        while offset > limit {
            offset -= 1;
            let b = self.masked[offset];
            if b == closer {
                depth += 1;
            } else if b == opener {
                depth -= 1;
                if depth == 0 {
                    return Some(offset);
                }
            }
        }
        None
    }

    /// The name literal right after an opening bracket, and what follows it.
    fn name_argument(&self, after_open: usize) -> Option<(&Literal, u8)> {
        let at = self.skip_ws(after_open);
        let literal = self.lexed.literal_at(at)?;
        if !name_literal(literal, self.text) {
            return None;
        }
        let next = self.byte(self.skip_ws(literal.range.end));
        Some((literal, next))
    }

    /// Whether the expression ending at `end` is followed by a fallback operator.
    fn followed_by_fallback(&self, end: usize) -> bool {
        let at = self.skip_ws(end);
        let rest = self.masked.get(at..).unwrap_or(&[]);
        match self.language {
            Language::Python => {
                rest.starts_with(b"or") && !rest.get(2).is_some_and(|b| is_word_byte(*b))
            }
            Language::JavaScript => rest.starts_with(b"||") || rest.starts_with(b"??"),
            Language::CSharp => rest.starts_with(b"??"),
            Language::Kotlin => rest.starts_with(b"?:"),
            Language::Php => rest.starts_with(b"??") || rest.starts_with(b"?:"),
            Language::Ruby => rest.starts_with(b"||"),
            _ => false,
        }
    }

    /// Builds the ref for `call(<name literal>…)` or `subscript[<name literal>]` whose
    /// opening bracket is at `open`.
    fn bracketed_ref(
        &self,
        start: usize,
        open: usize,
        form: RefForm,
        comma_means_default: bool,
    ) -> Option<EnvRef> {
        let (literal, next) = self.name_argument(open + 1)?;
        let close_byte = if self.byte(open) == b'[' { b']' } else { b')' };
        if next != close_byte && !(next == b',' && close_byte == b')') {
            return None;
        }
        let end = self
            .matching_close(open)
            .map_or(literal.range.end, |close| close + 1);
        let mut has_default = comma_means_default && next == b',';
        // Ruby `ENV.fetch("X") { … }` / `do … end` blocks compute the default.
        if self.language == Language::Ruby && form == RefForm::RubyEnvFetch {
            let after = self.skip_ws(end);
            has_default |= self.byte(after) == b'{'
                || self
                    .masked
                    .get(after..)
                    .is_some_and(|r| r.starts_with(b"do"));
        }
        has_default |= self.followed_by_fallback(end);
        Some(self.env_ref(
            literal.content,
            TextRange::new(start, end),
            form,
            has_default,
        ))
    }

    fn env_ref(
        &self,
        name_range: TextRange,
        expr_range: TextRange,
        form: RefForm,
        has_default: bool,
    ) -> EnvRef {
        EnvRef {
            name: self.slice(name_range).to_owned(),
            name_range,
            expr_range,
            form,
            has_default,
            platform_path: false,
        }
    }

    /// Go and C#: a single call form whose first argument is the name.
    fn simple_refs(
        &self,
        scan: &mut Scan,
        regex: &Regex,
        form_of: impl Fn(&[u8]) -> (RefForm, bool),
    ) {
        for found in regex.find_iter(self.masked) {
            if !self.token_starts_at(found.start()) {
                continue;
            }
            let (mut form, default) = form_of(found.as_bytes());
            if self.language == Language::Go
                && found.as_bytes().windows(9).any(|w| w == b"LookupEnv")
            {
                form = RefForm::GoLookupEnv;
            }
            if let Some(env_ref) = self.bracketed_ref(found.start(), found.end() - 1, form, default)
            {
                scan.env_refs.push(env_ref);
            }
        }
    }

    fn python_refs(&self, scan: &mut Scan) {
        let aliases = self.python_aliases();
        let dynamic;
        let regex: &Regex = if aliases.is_default() {
            &PYTHON_DEFAULT
        } else {
            dynamic = built_in(&python_pattern(
                &aliases.modules,
                &aliases.environs,
                &aliases.getenvs,
            ));
            &dynamic
        };
        for captures in regex.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            if !self.token_starts_at(whole.start()) {
                continue;
            }
            let open = whole.end() - 1;
            let env_ref = if captures.name("subscript").is_some() {
                self.bracketed_ref(whole.start(), open, RefForm::PythonEnvironSubscript, false)
            } else if let Some(method) = captures.name("method") {
                if method.as_bytes() == b"get" {
                    self.bracketed_ref(whole.start(), open, RefForm::PythonEnvironGet, true)
                } else {
                    self.bracketed_ref(whole.start(), open, RefForm::PythonEnvironSetdefault, true)
                }
            } else {
                self.bracketed_ref(whole.start(), open, RefForm::PythonGetenv, true)
            };
            scan.env_refs.extend(env_ref);
        }
    }

    fn python_aliases(&self) -> PythonAliases {
        let mut aliases = PythonAliases {
            modules: vec!["os".into()],
            environs: Vec::new(),
            getenvs: Vec::new(),
        };
        if memchr::memmem::find(self.masked, b"import").is_none()
            && memchr::memmem::find(self.masked, b"environ").is_none()
        {
            return aliases;
        }
        for captures in PYTHON_IMPORT_OS_AS.captures_iter(self.masked) {
            if let Some(alias) = captures.get(1) {
                aliases
                    .modules
                    .push(String::from_utf8_lossy(alias.as_bytes()).into_owned());
            }
        }
        for captures in PYTHON_FROM_OS_IMPORT.captures_iter(self.masked) {
            let Some(names) = captures.get(1) else {
                continue;
            };
            for item in names.as_bytes().split(|b| *b == b',') {
                let words: Vec<&[u8]> = item
                    .split(|b| b.is_ascii_whitespace() || *b == b'(' || *b == b')' || *b == b'\\')
                    .filter(|w| !w.is_empty())
                    .collect();
                let (imported, local) = match words.as_slice() {
                    [name] => (*name, *name),
                    [name, as_keyword, alias] if *as_keyword == b"as" => (*name, *alias),
                    _ => continue,
                };
                let local = String::from_utf8_lossy(local).into_owned();
                match imported {
                    b"environ" => aliases.environs.push(local),
                    b"getenv" => aliases.getenvs.push(local),
                    _ => {}
                }
            }
        }
        // `env = os.environ` (module-level or local): later `env["X"]` reads the environment.
        for captures in PYTHON_ENVIRON_ALIAS.captures_iter(self.masked) {
            let (Some(local), module) = (captures.get(1), captures.get(2)) else {
                continue;
            };
            let via_module = module
                .is_some_and(|m| aliases.modules.iter().any(|n| n.as_bytes() == m.as_bytes()));
            let via_import = module.is_none() && aliases.environs.iter().any(|n| n == "environ");
            if via_module || via_import {
                aliases
                    .environs
                    .push(String::from_utf8_lossy(local.as_bytes()).into_owned());
            }
        }
        aliases.environs.sort();
        aliases.environs.dedup();
        aliases
    }

    fn javascript_refs(
        &self,
        scan: &mut Scan,
        destructured_locals: &mut Vec<(String, TextRange, usize)>,
    ) {
        let aliases = self.javascript_aliases();
        let dynamic;
        let regex: &Regex = if aliases.is_empty() {
            &JS_DEFAULT
        } else {
            dynamic = built_in(&javascript_pattern(&aliases));
            &dynamic
        };
        for captures in regex.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            if !self.token_starts_at(whole.start()) {
                continue;
            }
            let env_ref = if let Some(member) = captures.name("member") {
                // `process.env.hasOwnProperty("X")` calls a method; it reads no variable.
                if self.byte(self.skip_ws(member.end())) == b'(' {
                    continue;
                }
                let range = TextRange::new(member.start(), member.end());
                let has_default = self.followed_by_fallback(member.end());
                Some(self.env_ref(
                    range,
                    TextRange::new(whole.start(), member.end()),
                    RefForm::JsEnvMember,
                    has_default,
                ))
            } else if captures.name("subscript").is_some() {
                self.bracketed_ref(
                    whole.start(),
                    whole.end() - 1,
                    RefForm::JsEnvSubscript,
                    false,
                )
            } else {
                self.bracketed_ref(whole.start(), whole.end() - 1, RefForm::DenoEnvGet, false)
            };
            scan.env_refs.extend(env_ref);
        }
        self.javascript_destructuring(scan, &aliases, destructured_locals);
    }

    /// Names bound to the env object: `const env = process.env`, `const { env } = process`,
    /// `import { env } from "node:process"`.
    fn javascript_aliases(&self) -> Vec<String> {
        let mut aliases = Vec::new();
        for captures in JS_ENV_ALIAS.captures_iter(self.masked) {
            let (Some(whole), Some(name)) = (captures.get(0), captures.get(1)) else {
                continue;
            };
            if matches!(
                self.byte(self.skip_ws(whole.end())),
                b'.' | b'[' | b'?' | b'('
            ) {
                continue;
            }
            aliases.push(String::from_utf8_lossy(name.as_bytes()).into_owned());
        }
        for captures in JS_PROCESS_DESTRUCTURE_ENV.captures_iter(self.masked) {
            let name = captures.get(1).map_or("env".to_owned(), |m| {
                String::from_utf8_lossy(m.as_bytes()).into_owned()
            });
            aliases.push(name);
        }
        for captures in JS_IMPORT_ENV.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let from = self.lexed.literal_at(self.skip_ws(whole.end()));
            let is_process =
                from.is_some_and(|l| matches!(self.slice(l.content), "process" | "node:process"));
            if is_process {
                let name = captures.get(1).map_or("env".to_owned(), |m| {
                    String::from_utf8_lossy(m.as_bytes()).into_owned()
                });
                aliases.push(name);
            }
        }
        aliases.retain(|a| {
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        });
        aliases.sort();
        aliases.dedup();
        aliases
    }

    /// `const { X, Y: alias, Z = "d", "A-B": c } = process.env` (or an alias of it).
    fn javascript_destructuring(
        &self,
        scan: &mut Scan,
        aliases: &[String],
        destructured_locals: &mut Vec<(String, TextRange, usize)>,
    ) {
        for found in JS_DESTRUCTURING_START.find_iter(self.masked) {
            if !self.token_starts_at(found.start()) {
                continue;
            }
            let open = found.end() - 1;
            let Some(close) = self.matching_close(open) else {
                continue;
            };
            // Optional TypeScript annotation, then `=` and the env object.
            let mut at = self.skip_ws(close + 1);
            if self.byte(at) == b':' {
                while at < self.masked.len() && !matches!(self.byte(at), b'=' | b';' | b'\n') {
                    at += 1;
                }
            }
            if self.byte(at) != b'=' || self.byte(at + 1) == b'=' {
                continue;
            }
            let source_start = self.skip_ws(at + 1);
            let rest = self.masked.get(source_start..).unwrap_or(&[]);
            let source_len = JS_ENV_OBJECT
                .find(rest)
                .filter(|m| m.start() == 0)
                .map(|m| m.end())
                .or_else(|| {
                    aliases
                        .iter()
                        .find(|a| {
                            rest.starts_with(a.as_bytes())
                                && !rest
                                    .get(a.len())
                                    .is_some_and(|b| is_word_byte(*b) || *b == b'$')
                        })
                        .map(|a| a.len())
                });
            let Some(source_len) = source_len else {
                continue;
            };
            if matches!(
                self.byte(self.skip_ws(source_start + source_len)),
                b'.' | b'[' | b'('
            ) {
                continue;
            }
            self.destructured_entries(scan, open + 1, close, destructured_locals);
        }
    }

    fn destructured_entries(
        &self,
        scan: &mut Scan,
        from: usize,
        to: usize,
        destructured_locals: &mut Vec<(String, TextRange, usize)>,
    ) {
        let mut entry_start = from;
        let mut depth = 0usize;
        for offset in from..=to {
            let b = self.byte(offset);
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth > 0 => depth -= 1,
                _ => {}
            }
            if (b == b',' && depth == 0) || offset == to {
                if let Some((env_ref, local, local_range)) =
                    self.destructured_entry(entry_start, offset)
                {
                    scan.env_refs.push(env_ref);
                    destructured_locals.push((local, local_range, scan.env_refs.len() - 1));
                }
                entry_start = offset + 1;
            }
        }
    }

    fn destructured_entry(&self, start: usize, end: usize) -> Option<(EnvRef, String, TextRange)> {
        let start = self.skip_ws(start);
        let end = self.skip_ws_back(end).max(start);
        if start >= end || self.masked.get(start..end)?.starts_with(b"...") {
            return None;
        }
        // The key: an identifier or a quoted name.
        let (name_range, after_key) = if let Some(literal) = self.lexed.literal_at(start) {
            if !name_literal(literal, self.text) {
                return None;
            }
            (literal.content, literal.range.end)
        } else {
            let key_end = self.word_end(start);
            if key_end == start {
                return None;
            }
            (TextRange::new(start, key_end), key_end)
        };
        let mut at = self.skip_ws(after_key);
        let mut local_range = name_range;
        if self.byte(at) == b':' {
            let target = self.skip_ws(at + 1);
            let target_end = self.word_end(target);
            if target_end == target {
                return None; // nested pattern: `{ X: { y } }`
            }
            local_range = TextRange::new(target, target_end);
            at = self.skip_ws(target_end);
        }
        let has_default = self.byte(at) == b'=';
        let env_ref = self.env_ref(
            name_range,
            TextRange::new(start, end),
            RefForm::JsEnvDestructuring,
            has_default,
        );
        Some((env_ref, self.slice(local_range).to_owned(), local_range))
    }

    fn word_end(&self, mut offset: usize) -> usize {
        while is_word_byte(self.byte(offset)) || self.byte(offset) == b'$' {
            offset += 1;
        }
        offset
    }

    fn java_refs(&self, scan: &mut Scan) {
        for found in JAVA_GETENV.find_iter(self.masked) {
            if !self.token_starts_at(found.start()) {
                continue;
            }
            let open = found.end() - 1;
            if let Some(env_ref) =
                self.bracketed_ref(found.start(), open, RefForm::JavaGetenv, false)
            {
                scan.env_refs.push(env_ref);
                continue;
            }
            // `System.getenv()["X"]`, `System.getenv().get("X")`, `.getOrDefault("X", d)`.
            let Some(close) = self.matching_close(open) else {
                continue;
            };
            if self.skip_ws(open + 1) != close {
                continue;
            }
            let rest = self.masked.get(close + 1..).unwrap_or(&[]);
            let Some(access) = JAVA_MAP_ACCESS.captures(rest) else {
                continue;
            };
            let Some(access_whole) = access.get(0) else {
                continue;
            };
            let map_open = close + 1 + access_whole.end() - 1;
            let default = access
                .name("method")
                .is_some_and(|m| m.as_bytes() == b"getOrDefault");
            scan.env_refs.extend(self.bracketed_ref(
                found.start(),
                map_open,
                RefForm::JavaGetenvMap,
                default,
            ));
        }
    }

    fn php_refs(&self, scan: &mut Scan) {
        for captures in PHP_REFS.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let start = whole.start();
            if !self.token_starts_at(start) {
                continue;
            }
            let open = whole.end() - 1;
            let (form, default) = if captures.name("getenv").is_some() {
                (RefForm::PhpGetenv, false)
            } else if captures.name("laravel").is_some() {
                let before = self.masked.get(..self.skip_ws_back(start)).unwrap_or(&[]);
                if before.ends_with(b"function") {
                    continue;
                }
                (RefForm::PhpLaravelEnv, true)
            } else if captures.name("server").is_some() {
                (RefForm::PhpServerSuperglobal, false)
            } else {
                (RefForm::PhpEnvSuperglobal, false)
            };
            scan.env_refs
                .extend(self.bracketed_ref(start, open, form, default));
        }
    }

    fn ruby_refs(&self, scan: &mut Scan) {
        for captures in RUBY_REFS.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let start = whole.start();
            if !self.token_starts_at(start) {
                continue;
            }
            if captures.name("subscript").is_some() {
                scan.env_refs.extend(self.bracketed_ref(
                    start,
                    whole.end() - 1,
                    RefForm::RubyEnvSubscript,
                    false,
                ));
            } else if captures.name("paren").is_some() {
                scan.env_refs.extend(self.bracketed_ref(
                    start,
                    whole.end() - 1,
                    RefForm::RubyEnvFetch,
                    true,
                ));
            } else {
                // `ENV.fetch "X", "d"` without parentheses.
                let Some((literal, next)) = self.name_argument(whole.end()) else {
                    continue;
                };
                let end = literal.range.end;
                let has_default = next == b',' || self.byte(self.skip_ws(end)) == b'{';
                scan.env_refs.push(self.env_ref(
                    literal.content,
                    TextRange::new(start, end),
                    RefForm::RubyEnvFetch,
                    has_default,
                ));
            }
        }
    }

    /// `local = <expr starting at ref_start>`: the local's name and range.
    fn assigned_local(&self, ref_start: usize) -> Option<(String, TextRange)> {
        let mut at = self.skip_ws_back(ref_start);
        if at == 0 || self.byte(at - 1) != b'=' {
            return None;
        }
        at -= 1;
        let before = if at > 0 { self.byte(at - 1) } else { 0 };
        if before == b':' && self.language == Language::Go {
            at -= 1;
        } else if matches!(
            before,
            b'=' | b'!'
                | b'<'
                | b'>'
                | b'+'
                | b'-'
                | b'*'
                | b'/'
                | b'%'
                | b'&'
                | b'|'
                | b'^'
                | b'?'
                | b':'
                | b'.'
        ) {
            return None;
        }
        let mut name_end = self.skip_ws_back(at);
        if self.language == Language::Kotlin && name_end > 0 && self.byte(name_end - 1) == b'?' {
            name_end -= 1;
        }
        let mut name_start = self.name_start_before(name_end);
        if name_start == name_end {
            return None;
        }
        let mut preceding = self.skip_ws_back(name_start);
        // A type annotation: `x: str = …`, `val x: String? = …`, `const x: string = …`.
        if matches!(
            self.language,
            Language::Python | Language::JavaScript | Language::Kotlin
        ) && preceding > 0
            && self.byte(preceding - 1) == b':'
            && !(preceding > 1 && self.byte(preceding - 2) == b':')
        {
            name_end = self.skip_ws_back(preceding - 1);
            name_start = self.name_start_before(name_end);
            if name_start == name_end {
                return None;
            }
            preceding = self.skip_ws_back(name_start);
        }
        // Go `v, ok := os.LookupEnv(…)`: the value is the first name.
        if self.language == Language::Go && preceding > 0 && self.byte(preceding - 1) == b',' {
            name_end = self.skip_ws_back(preceding - 1);
            name_start = self.name_start_before(name_end);
            if name_start == name_end {
                return None;
            }
            preceding = self.skip_ws_back(name_start);
        }
        // Keyword arguments (`connect(host=os.environ[…])`) and tuple targets are not locals.
        if preceding > 0 && matches!(self.byte(preceding - 1), b'(' | b',') {
            return None;
        }
        let range = TextRange::new(name_start, name_end);
        let local = self.slice(range);
        if local == "_" || local.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((local.to_owned(), range))
    }

    /// Start of the assignable name ending at `end`: `x`, `self.x`, `this.x`, `$x`, `@x`.
    fn name_start_before(&self, end: usize) -> usize {
        let mut start = end;
        while start > 0 {
            let b = self.byte(start - 1);
            let sigil = (b == b'$'
                && matches!(self.language, Language::Php | Language::JavaScript))
                || b == b'@' && self.language == Language::Ruby;
            if is_word_byte(b) || sigil {
                start -= 1;
                if sigil {
                    break;
                }
            } else if b == b'.' && start > 1 && is_word_byte(self.byte(start - 2)) && start < end {
                start -= 1;
            } else {
                break;
            }
        }
        start
    }

    /// Value flow for the languages without a syntax tree (Go, C#, Java, Kotlin, PHP, Ruby):
    /// locals assigned a connection string, password or secret read, locals derived from them
    /// in one assignment (`params = conninfo.split(" ")…`, `$parts = explode(";", $conn)`,
    /// `pw = params["password"]`), and log calls that name one of them in code or in a string's
    /// interpolation (`logger.info("settings: #{params}")`). Names inside string text are not
    /// values. Flow-insensitive and by simple name, like the tree's; linear in the file.
    fn value_flow(&self, scan: &mut Scan) {
        /// More tracked names than this is generated code: no flow.
        const MAX_BINDINGS: usize = 64;
        let mut bindings: HashMap<String, (ValueKind, ValueOrigin)> = HashMap::new();
        for assignment in &scan.assignments {
            let Some(reference) = scan.env_refs.get(assignment.env_ref) else {
                continue;
            };
            if let Some(kind) = env_kind(&reference.name) {
                bindings
                    .entry(assignment.local.clone())
                    .or_insert((kind, ValueOrigin::EnvRef(assignment.env_ref)));
            }
        }
        if bindings.is_empty() || bindings.len() > MAX_BINDINGS {
            return;
        }
        let mut facts = Vec::new();
        // Function splits (`explode`, `strings.Split`) whose argument is a tracked string.
        for split in &scan.split_calls {
            let head = self.occurrence_value(&bindings, split.receiver_range.start);
            let Some((kind, origin, _)) = head else {
                continue;
            };
            if matches!(
                kind,
                ValueKind::ConnectionString | ValueKind::ParsedConnection
            ) && let Some((local, range)) = self.assigned_local(split.range.start)
                && bindings.len() < MAX_BINDINGS
            {
                facts.push(ValueFact {
                    range,
                    kind: ValueKind::ParsedConnection,
                    origin,
                    role: ValueRole::Definition,
                });
                bindings
                    .entry(local)
                    .or_insert((ValueKind::ParsedConnection, origin));
            }
        }
        // Two rounds, so that a name derived from a derived name is known.
        let words = self.code_words();
        for _ in 0..2 {
            for &start in &words {
                let Some((kind, origin, _)) = self.occurrence_value(&bindings, start) else {
                    continue;
                };
                if bindings.len() >= MAX_BINDINGS {
                    break;
                }
                if let Some((local, range)) = self.assigned_local(start)
                    && !bindings.contains_key(&local)
                {
                    facts.push(ValueFact {
                        range,
                        kind,
                        origin,
                        role: ValueRole::Definition,
                    });
                    bindings.insert(local, (kind, origin));
                }
            }
        }
        let mut calls: Vec<TextRange> = scan.log_calls.iter().map(|c| c.args_range).collect();
        calls.sort_by_key(|r| r.start);
        for &start in &words {
            let after = calls.partition_point(|r| r.start <= start);
            let inside = after > 0 && calls[after - 1].contains_range(TextRange::new(start, start));
            if !inside || !self.logged_as_is(calls[after - 1], start) {
                continue;
            }
            if let Some((kind, origin, range)) = self.occurrence_value(&bindings, start) {
                facts.push(ValueFact {
                    range,
                    kind,
                    origin,
                    role: ValueRole::Logged,
                });
            }
        }
        facts.sort_by_key(|f| (f.range.start, f.range.end));
        facts.dedup_by(|a, b| a.range == b.range && a.role == b.role);
        scan.values = facts;
    }

    /// Whether the name at `start` reaches the output of the log call whose arguments are
    /// `args` as it is: not tested (`dsn != ""`, `conn ? … : …`) and not inside a call other
    /// than one that renders it (`len(dsn)` and `redact(conn)` hide it; `implode(", ", $parts)`,
    /// `string.Join(" ", parts)`, `fmt.Sprintf("%v", parts)` show it).
    fn logged_as_is(&self, args: TextRange, start: usize) -> bool {
        let mut end = start + 1;
        while is_word_byte(self.byte(end)) {
            end += 1;
        }
        // Past a subscript or member the occurrence takes (`params["password"]`).
        if self.byte(self.skip_ws(end)) == b'[' {
            end = self
                .matching_close_bracket(self.skip_ws(end))
                .map_or(end, |c| c + 1);
        }
        let next = self.skip_ws(end);
        let tested = matches!(
            (self.byte(next), self.byte(next + 1)),
            (b'=' | b'!', b'=') | (b'<' | b'>' | b'?', _) | (b'&', b'&') | (b'|', b'|')
        );
        if tested {
            return false;
        }
        let floor = args.start.max(start.saturating_sub(512));
        let mut depth = 0usize;
        let mut at = start;
        while at > floor {
            at -= 1;
            match self.byte(at) {
                b')' => depth += 1,
                b'(' if depth > 0 => depth -= 1,
                b'(' => {
                    let callee_end = self.skip_ws_back(at);
                    let mut callee_start = callee_end;
                    while callee_start > 0 && is_word_byte(self.byte(callee_start - 1)) {
                        callee_start -= 1;
                    }
                    let callee = self.text.get(callee_start..callee_end).unwrap_or("");
                    return RENDERS_VALUE.contains(&callee);
                }
                _ => {}
            }
        }
        true
    }

    /// Starts of the names in code (not in string text or comments), sigils included (`$x`,
    /// `@x`); members (`a.b`'s `b`) and keys (`b:` / `:b`) are not names of their own.
    fn code_words(&self) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut at = 0;
        while at < self.masked.len() {
            let b = self.byte(at);
            let sigil = matches!(b, b'$' | b'@') && is_word_byte(self.byte(at + 1));
            if !is_word_byte(b) && !sigil {
                at += 1;
                continue;
            }
            let start = at;
            at += 1;
            while at < self.masked.len() && is_word_byte(self.byte(at)) {
                at += 1;
            }
            let member = start > 0 && matches!(self.byte(start - 1), b'.' | b':');
            let digit = self.byte(start).is_ascii_digit();
            if !member && !digit {
                starts.push(start);
            }
        }
        starts
    }

    /// What the name starting at `start` holds once what follows it is applied: a password
    /// under a password key (`params["password"]`, `url.password`), a parsed connection for a
    /// split (`conn.split(" ")`), the value itself when nothing (or an index) follows; with the
    /// range of the expression that holds it. `None` for other keys and members (`params["host"]`).
    fn occurrence_value(
        &self,
        bindings: &HashMap<String, (ValueKind, ValueOrigin)>,
        start: usize,
    ) -> Option<(ValueKind, ValueOrigin, TextRange)> {
        let mut end = start + 1;
        while end < self.masked.len() && is_word_byte(self.byte(end)) {
            end += 1;
        }
        let name = self.text.get(start..end)?;
        let &(kind, origin) = bindings.get(name)?;
        let next = self.skip_ws(end);
        match self.byte(next) {
            b'[' => {
                let key_at = self.skip_ws(next + 1);
                let close = self.matching_close_bracket(next)?;
                let key = self
                    .lexed
                    .literal_at(key_at)
                    .filter(|l| name_literal(l, self.text))
                    .map(|l| self.slice(l.content));
                let range = TextRange::new(start, close + 1);
                match key {
                    Some(key) if is_password_name(&key.to_ascii_lowercase()) => {
                        Some((ValueKind::Password, origin, range))
                    }
                    Some(_) if kind == ValueKind::ParsedConnection => None,
                    _ => Some((kind, origin, range)),
                }
            }
            b'.' if self.byte(next + 1) != b'.' => {
                let member_start = self.skip_ws(next + 1);
                let mut member_end = member_start;
                while is_word_byte(self.byte(member_end)) {
                    member_end += 1;
                }
                let member = self.text.get(member_start..member_end)?;
                let range = TextRange::new(start, member_end);
                if is_password_name(&member.to_ascii_lowercase()) {
                    return Some((ValueKind::Password, origin, range));
                }
                match member {
                    "split" | "Split" | "split_whitespace" | "scan" | "each_slice" => {
                        Some((ValueKind::ParsedConnection, origin, range))
                    }
                    "strip" | "trim" | "Trim" | "to_s" | "toString" | "ToString" | "inspect"
                    | "chomp" | "dup" | "clone" => Some((kind, origin, range)),
                    _ => None,
                }
            }
            _ => Some((kind, origin, TextRange::new(start, end))),
        }
    }

    /// The `]` closing the `[` at `open`, on the same line.
    fn matching_close_bracket(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for at in open..self.masked.len().min(open + 256) {
            match self.byte(at) {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at);
                    }
                }
                b'\n' => return None,
                _ => {}
            }
        }
        None
    }

    fn literal_facts(&self, scan: &mut Scan) {
        for literal in &self.lexed.literals {
            // Docstrings document connection strings; they do not hold one.
            if literal.kind != LiteralKind::String || literal.statement {
                continue;
            }
            super::push_interesting_literal(
                scan,
                self.text,
                literal.range,
                literal.content,
                literal.interpolated,
            );
            super::push_url_scope_parameters(scan, self.text, literal.range, literal.content);
        }
    }

    fn log_calls(&self, scan: &mut Scan) {
        let (own, paren_less): (&Regex, bool) = match self.language {
            Language::Python => (&PYTHON_LOG, false),
            Language::JavaScript => (&JS_LOG, false),
            Language::Go => (&GO_LOG, false),
            Language::CSharp => (&CSHARP_LOG, false),
            Language::Java => (&JAVA_LOG, false),
            Language::Kotlin => (&KOTLIN_LOG, false),
            Language::Php => (&PHP_LOG, true),
            Language::Ruby => (&RUBY_LOG, true),
            _ => return,
        };
        for regex in [own, &LOGGER_LOG] {
            for found in regex.find_iter(self.masked) {
                let callee_start = found.start();
                let starts_with_sigil = matches!(self.byte(callee_start), b'$' | b'@');
                if !starts_with_sigil && !self.token_starts_at(callee_start) {
                    continue;
                }
                if scan
                    .log_calls
                    .iter()
                    .any(|c| c.callee_range.start == callee_start)
                {
                    continue;
                }
                let callee_range = TextRange::new(callee_start, found.end());
                let after = self.skip_ws(found.end());
                if self.byte(after) == b'(' {
                    let Some(close) = self.matching_close(after) else {
                        continue;
                    };
                    scan.log_calls.push(Call {
                        callee: self.slice(callee_range).to_owned(),
                        callee_range,
                        range: TextRange::new(callee_start, close + 1),
                        args_range: TextRange::new(after + 1, close),
                    });
                } else if paren_less && let Some(call) = self.paren_less_call(callee_range) {
                    scan.log_calls.push(call);
                }
            }
        }
    }

    /// Ruby `puts x` / `logger.info "x"` (to the end of the line) and PHP `echo $x;` (to `;`).
    fn paren_less_call(&self, callee_range: TextRange) -> Option<Call> {
        let mut at = callee_range.end;
        while matches!(self.byte(at), b' ' | b'\t') {
            at += 1;
        }
        if at == callee_range.end && self.language == Language::Ruby {
            return None;
        }
        let first = self.byte(at);
        if matches!(
            first,
            0 | b'\n' | b'\r' | b'=' | b'.' | b')' | b',' | b';' | b'}' | b']' | b'?' | b':'
        ) {
            return None;
        }
        let mut end = at;
        if self.language == Language::Php {
            while end < self.masked.len()
                && self.byte(end) != b';'
                && !self.masked[end..].starts_with(b"?>")
            {
                end += 1;
            }
        } else {
            while end < self.masked.len() && self.byte(end) != b'\n' {
                end += 1;
            }
            // A trailing `if`/`unless` modifier is not an argument.
            let line = self.masked.get(at..end).unwrap_or(&[]);
            if let Some(modifier) = RUBY_MODIFIER.find(line) {
                end = at + modifier.start();
            }
        }
        let end = self.skip_ws_back(end).max(at);
        Some(Call {
            callee: self.slice(callee_range).to_owned(),
            callee_range,
            range: TextRange::new(callee_range.start, end),
            args_range: TextRange::new(at, end),
        })
    }

    fn split_calls(&self, scan: &mut Scan) {
        let regex: &Regex = match self.language {
            Language::Go => &GO_SPLIT,
            Language::Php => &PHP_SPLIT,
            _ => &METHOD_SPLIT,
        };
        for captures in regex.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let split = match self.language {
                Language::Go => self.function_split(&captures, whole.end()),
                Language::Php => self.function_split(&captures, whole.end()),
                _ => self.method_split(whole.start(), whole.end()),
            };
            scan.split_calls.extend(split);
        }
    }

    /// `receiver.split(sep)`; `dot` is where the `.` is and `after_name` just past `split`.
    fn method_split(&self, dot: usize, after_name: usize) -> Option<SplitCall> {
        let receiver_end = self.skip_ws_back(dot);
        let receiver_start = self.expression_start(receiver_end)?;
        let receiver_range = TextRange::new(receiver_start, receiver_end);
        let mut shown_end = receiver_end.min(receiver_start + MAX_RECEIVER_TEXT);
        while !self.text.is_char_boundary(shown_end) {
            shown_end -= 1;
        }
        let receiver = self.slice(TextRange::new(receiver_start, shown_end));
        // Python `re.split(pattern, text)` is a function, not a method of `re`.
        if self.language == Language::Python && receiver == "re" {
            return self.python_re_split(receiver_start, after_name);
        }
        let open = self.skip_ws(after_name);
        let (separator, end) = if self.byte(open) == b'(' {
            let close = self.matching_close(open)?;
            (self.separator_in(open + 1, close)?, close + 1)
        } else if self.language == Language::Ruby {
            // `s.split " "` or a bare `s.split`.
            let mut at = after_name;
            while matches!(self.byte(at), b' ' | b'\t') {
                at += 1;
            }
            match self.lexed.literal_at(at) {
                Some(literal) if at > after_name => {
                    (self.separator_of(literal)?, literal.range.end)
                }
                _ if is_word_byte(self.byte(after_name)) => return None,
                _ => (SplitSeparator::Whitespace, after_name),
            }
        } else {
            return None;
        };
        Some(SplitCall {
            range: TextRange::new(receiver_start, end),
            receiver_range,
            receiver_text: receiver.to_owned(),
            separator,
        })
    }

    fn python_re_split(&self, start: usize, after_name: usize) -> Option<SplitCall> {
        let open = self.skip_ws(after_name);
        let close = self.matching_close(open)?;
        let pattern = self.lexed.literal_at(self.skip_ws(open + 1))?;
        if pattern.interpolated || pattern.kind != LiteralKind::String {
            return None;
        }
        let comma = self.skip_ws(pattern.range.end);
        if self.byte(comma) != b',' {
            return None;
        }
        let receiver_range = self.argument_range(comma + 1, close);
        Some(SplitCall {
            range: TextRange::new(start, close + 1),
            receiver_range,
            receiver_text: self.slice(receiver_range).to_owned(),
            separator: SplitSeparator::Regex(self.slice(pattern.content).to_owned()),
        })
    }

    /// Go `strings.Split(s, sep)`/`strings.Fields(s)` and PHP `explode(sep, s)`.
    fn function_split(
        &self,
        captures: &regex::bytes::Captures<'_>,
        after_open: usize,
    ) -> Option<SplitCall> {
        let whole = captures.get(0)?;
        if !self.token_starts_at(whole.start()) {
            return None;
        }
        let open = after_open - 1;
        let close = self.matching_close(open)?;
        let first = self.argument_range(open + 1, close);
        if self.language == Language::Php {
            let separator_literal = self.lexed.literal_at(first.start)?;
            let second = self.argument_range(first.end + 1, close);
            if first.end >= close || second.is_empty() {
                return None;
            }
            return Some(SplitCall {
                range: TextRange::new(whole.start(), close + 1),
                receiver_range: second,
                receiver_text: self.slice(second).to_owned(),
                separator: self.separator_of(separator_literal)?,
            });
        }
        let function = captures.name("function")?.as_bytes();
        let separator = if function == b"Fields" {
            SplitSeparator::Whitespace
        } else {
            let second = self.argument_range(first.end + 1, close);
            let literal = self.lexed.literal_at(second.start)?;
            self.separator_of(literal)?
        };
        if first.is_empty() {
            return None;
        }
        Some(SplitCall {
            range: TextRange::new(whole.start(), close + 1),
            receiver_range: first,
            receiver_text: self.slice(first).to_owned(),
            separator,
        })
    }

    /// The trimmed argument starting at `from`, up to the next top-level comma or `close`.
    fn argument_range(&self, from: usize, close: usize) -> TextRange {
        let start = self.skip_ws(from).min(close);
        let mut depth = 0usize;
        let mut end = start;
        while end < close {
            match self.byte(end) {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => break,
                _ => {}
            }
            end += 1;
        }
        TextRange::new(start, self.skip_ws_back(end).max(start))
    }

    fn separator_in(&self, from: usize, close: usize) -> Option<SplitSeparator> {
        let first = self.argument_range(from, close);
        if first.is_empty() {
            // Only Python, Ruby and C# split on whitespace without an argument.
            return matches!(
                self.language,
                Language::Python | Language::Ruby | Language::CSharp
            )
            .then_some(SplitSeparator::Whitespace);
        }
        // Literals are sorted by start: a binary search, not a walk from the file's start.
        let literals = &self.lexed.literals;
        let literal = literals
            .get(literals.partition_point(|l| l.range.start < first.start))
            .filter(|l| l.range.start < first.end)?;
        self.separator_of(literal)
    }

    fn separator_of(&self, literal: &Literal) -> Option<SplitSeparator> {
        if literal.interpolated {
            return None;
        }
        let content = self.slice(literal.content).to_owned();
        Some(
            if literal.kind == LiteralKind::Regex || self.language == Language::Java {
                SplitSeparator::Regex(content)
            } else {
                SplitSeparator::Literal(content)
            },
        )
    }

    /// Start of the expression that ends at `end`: a chain of names, calls, indexes and
    /// literals joined by `.`, `?.`, `->` or `::`.
    fn expression_start(&self, end: usize) -> Option<usize> {
        let start = self.chain_start(end)?;
        (start < end).then_some(start)
    }

    fn chain_start(&self, end: usize) -> Option<usize> {
        if let Some(&start) = self.chain_starts.borrow().get(&end) {
            return Some(start);
        }
        let mut pos = end;
        let mut start = end;
        loop {
            let round_start = pos;
            while pos > 0 && matches!(self.byte(pos - 1), b')' | b']' | b'!') {
                pos = if self.byte(pos - 1) == b'!' {
                    pos - 1
                } else {
                    self.matching_open(pos - 1)?
                };
            }
            if let Some(literal) = self.lexed.literal_ending_at(pos) {
                pos = literal.range.start;
            } else {
                pos = self.name_start_before_chain(pos);
            }
            if pos == round_start {
                break;
            }
            start = pos;
            // Method chains may break lines before the connector.
            let connector_end = self.skip_ws_back(pos);
            let connector = [b"?.".as_slice(), b"->", b"::", b"."]
                .into_iter()
                .find(|c| {
                    connector_end >= c.len()
                        && self.masked.get(connector_end - c.len()..connector_end) == Some(*c)
                });
            match connector {
                Some(c) => pos = self.skip_ws_back(connector_end - c.len()),
                None => break,
            }
            if let Some(&known) = self.chain_starts.borrow().get(&pos) {
                if known < pos {
                    start = known;
                }
                break;
            }
        }
        self.chain_starts.borrow_mut().insert(end, start);
        Some(start)
    }

    fn name_start_before_chain(&self, mut pos: usize) -> usize {
        while pos > 0
            && (is_word_byte(self.byte(pos - 1)) || matches!(self.byte(pos - 1), b'$' | b'@'))
        {
            pos -= 1;
        }
        pos
    }

    /// Literals passed to token-acquiring calls: `get_token("…")`, `GetTokenAsync(new
    /// TokenRequestContext(new[] { "…" }))`, `acquire_token_for_client(scopes=["…"])`.
    fn token_scope_calls(&self, scan: &mut Scan) {
        for found in TOKEN_CALL.find_iter(self.masked) {
            let open = found.end() - 1;
            let Some(close) = self.matching_close(open) else {
                continue;
            };
            let first = self
                .lexed
                .literals
                .partition_point(|l| l.range.start <= open);
            for literal in self.lexed.literals[first..]
                .iter()
                .take_while(|l| l.range.start < close)
            {
                if literal.kind != LiteralKind::String {
                    continue;
                }
                // `tenant_id="…"` / `tenantId: "…"` name another argument.
                let before = self.skip_ws_back(literal.range.start);
                if before > 0 && matches!(self.byte(before - 1), b'=' | b':' | b'>') {
                    let key_end = self.skip_ws_back(before - 1);
                    let key = self.slice(TextRange::new(
                        self.name_start_before_chain(key_end),
                        key_end,
                    ));
                    if !is_scope_key(key) {
                        continue;
                    }
                }
                super::push_token_scope(
                    scan,
                    self.text,
                    literal.range,
                    literal.content,
                    ScopeContext::Scope,
                );
            }
        }
    }

    /// The exact PostgreSQL scope anywhere in a string literal (`const TOKEN_SCOPE = "…"`, passed
    /// to `getToken` by name): too specific to mean anything else, and the strongest sign that
    /// the code authenticates with Entra (auth inference reads it).
    fn exact_scope_literals(&self, scan: &mut Scan) {
        for literal in &self.lexed.literals {
            if literal.kind == LiteralKind::String
                && self.slice(literal.content) == crate::catalogue::TOKEN_SCOPE
            {
                super::push_token_scope(
                    scan,
                    self.text,
                    literal.range,
                    literal.content,
                    ScopeContext::Scope,
                );
            }
        }
    }

    /// Values of `scopes`, `scope` and `resource` keys, attributes and assignments, with the key
    /// written as a name (`scopes=[…]`, `Scopes = new[] {…}`, `Scopes: []string{…}`) or as a
    /// string (`{"scope": "…"}`, `'resource' => '…'`, `form.Set("scope", "…")`).
    fn token_scope_keys(&self, scan: &mut Scan) {
        for captures in SCOPE_KEY.captures_iter(self.masked) {
            let (Some(whole), Some(key)) = (captures.get(0), captures.get(1)) else {
                continue;
            };
            if !self.token_starts_at(key.start()) || self.byte(whole.end()) == b'=' {
                continue;
            }
            let context = scope_context(self.slice(TextRange::new(key.start(), key.end())));
            self.scope_values(scan, whole.end(), context);
        }
        for literal in &self.lexed.literals {
            if literal.content.len() > 8 || !is_scope_key(self.slice(literal.content)) {
                continue;
            }
            let after = self.skip_ws(literal.range.end);
            let rest = self.masked.get(after..).unwrap_or(&[]);
            let separator_len = if rest.starts_with(b"=>") {
                2
            } else if rest.first() == Some(&b':')
                || (rest.first() == Some(&b'=') && rest.get(1) != Some(&b'='))
            {
                1
            } else if rest.first() == Some(&b',') && self.is_first_argument(literal.range.start) {
                // `form.Set("scope", "…")`, `params.put("resource", "…")`.
                1
            } else {
                continue;
            };
            let context = scope_context(self.slice(literal.content));
            self.scope_values(scan, after + separator_len, context);
        }
    }

    fn is_first_argument(&self, literal_start: usize) -> bool {
        let before = self.skip_ws_back(literal_start);
        before > 0 && self.byte(before - 1) == b'('
    }

    /// The literal value of a scope key, or the literals of a collection value. Keys are a
    /// weak signal (`scope` means many things), so only values shaped like an Entra scope or
    /// resource URI are kept.
    fn scope_values(&self, scan: &mut Scan, from: usize, context: ScopeContext) {
        let at = self.skip_ws(from);
        let mut push = |literal: &Literal| {
            if literal.kind == LiteralKind::String && looks_like_scope(self.slice(literal.content))
            {
                super::push_token_scope(scan, self.text, literal.range, literal.content, context);
            }
        };
        if let Some(literal) = self.lexed.literal_at(at) {
            push(literal);
            return;
        }
        // A collection: `[…]`, `{…}`, `new[] {…}`, `[]string{…}`, `listOf(…)`, `List.of(…)`.
        let mut open = at;
        let limit = (at + 32).min(self.masked.len());
        while open < limit {
            match self.byte(open) {
                b'[' if self.byte(open + 1) == b']' => open += 2,
                b'(' | b'[' | b'{' => break,
                b if is_word_byte(b) || matches!(b, b' ' | b'\t' | b'.' | b'<' | b'>') => open += 1,
                _ => return,
            }
        }
        let constructor: String = self
            .slice(TextRange::new(at, open.min(limit)))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if open >= limit || !COLLECTION_CONSTRUCTORS.contains(&constructor.as_str()) {
            return;
        }
        let Some(close) = self.matching_close(open) else {
            return;
        };
        let first = self
            .lexed
            .literals
            .partition_point(|l| l.range.start <= open);
        for literal in self.lexed.literals[first..]
            .iter()
            .take_while(|l| l.range.start < close)
        {
            push(literal);
        }
    }

    /// JavaScript `ssl: <expr>` and `"ssl": <expr>` object properties.
    fn ssl_properties(&self, scan: &mut Scan) {
        let mut keys: Vec<(TextRange, usize)> = Vec::new();
        for found in JS_SSL_KEY.find_iter(self.masked) {
            if self.token_starts_at(found.start()) {
                keys.push((
                    TextRange::new(found.start(), found.start() + 3),
                    found.end(),
                ));
            }
        }
        for literal in &self.lexed.literals {
            if self.slice(literal.content) == "ssl" {
                let colon = self.skip_ws(literal.range.end);
                if self.byte(colon) == b':' {
                    keys.push((literal.range, colon + 1));
                }
            }
        }
        for (key_range, after_colon) in keys {
            // Only object properties: `{ ssl: …` or `, ssl: …` (not `a ? ssl : b`).
            let before = self.skip_ws_back(key_range.start);
            if before == 0 || !matches!(self.byte(before - 1), b'{' | b',') {
                continue;
            }
            let value_start = self.skip_ws(after_colon);
            let mut depth = 0usize;
            let mut end = value_start;
            let limit = (value_start + 4096).min(self.masked.len());
            while end < limit {
                match self.byte(end) {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' if depth == 0 => break,
                    b')' | b']' | b'}' => depth -= 1,
                    b',' | b';' if depth == 0 => break,
                    _ => {}
                }
                end += 1;
            }
            let value_range = TextRange::new(value_start, self.skip_ws_back(end).max(value_start));
            if value_range.is_empty() {
                continue;
            }
            scan.ssl_properties.push(SslProperty {
                key_range,
                value_range,
                value_text: self.slice(value_range).to_owned(),
            });
        }
    }
}

/// What may stand between a scope key and the bracket of its collection value.
const COLLECTION_CONSTRUCTORS: &[&str] = &[
    "",
    "new[]",
    "newstring[]",
    "newString[]",
    "[]string",
    "listOf",
    "arrayOf",
    "setOf",
    "mutableListOf",
    "List.of",
    "Set.of",
    "Arrays.asList",
    "array",
    "newList<string>",
    "newList<String>",
    "newArrayList<>",
];

/// An Entra scope or resource: an absolute URI (possibly percent-encoded) or a `.default` scope.
pub(crate) fn looks_like_scope(content: &str) -> bool {
    let lower = content.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("api://")
        || lower.starts_with("https%3a%2f%2f")
        || lower.ends_with("/.default")
}

pub(crate) fn is_scope_key(key: &str) -> bool {
    ["scope", "scopes", "resource"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
}

pub(crate) fn scope_context(key: &str) -> ScopeContext {
    if key.eq_ignore_ascii_case("resource") {
        ScopeContext::Resource
    } else {
        ScopeContext::Scope
    }
}

struct PythonAliases {
    modules: Vec<String>,
    environs: Vec<String>,
    getenvs: Vec<String>,
}

impl PythonAliases {
    fn is_default(&self) -> bool {
        self.modules.len() == 1 && self.environs.is_empty() && self.getenvs.is_empty()
    }
}

fn alternation(names: &[String]) -> String {
    names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
}

fn python_pattern(modules: &[String], environs: &[String], getenvs: &[String]) -> String {
    let modules = alternation(modules);
    let mut environ = format!(r"\b(?:{modules})\s*\.\s*environ");
    if !environs.is_empty() {
        environ = format!(r"(?:{environ}|\b(?:{}))", alternation(environs));
    }
    let mut getenv = format!(r"\b(?:{modules})\s*\.\s*getenv");
    if !getenvs.is_empty() {
        getenv = format!(r"(?:{getenv}|\b(?:{}))", alternation(getenvs));
    }
    format!(
        r"{environ}\s*(?:(?P<subscript>\[)|\.\s*(?P<method>get|setdefault)\s*\()|{getenv}\s*(?P<call>\()"
    )
}

fn javascript_pattern(aliases: &[String]) -> String {
    let mut receivers =
        r"\bprocess\s*\.\s*env|\bimport\s*\.\s*meta\s*\.\s*env|\bBun\s*\.\s*env".to_owned();
    if !aliases.is_empty() {
        receivers.push_str(&format!(r"|\b(?:{})", alternation(aliases)));
    }
    format!(
        r"(?:{receivers})\s*(?:\??\.\s*(?P<member>[A-Za-z_$][A-Za-z0-9_$]*)|(?:\?\.\s*)?(?P<subscript>\[))|\bDeno\s*\.\s*env\s*\.\s*get\s*(?P<deno>\()"
    )
}

static PYTHON_DEFAULT: LazyLock<Regex> =
    LazyLock::new(|| built_in(&python_pattern(&["os".to_owned()], &[], &[])));
static JS_DEFAULT: LazyLock<Regex> = LazyLock::new(|| built_in(&javascript_pattern(&[])));

static_regex!(PYTHON_IMPORT_OS_AS, r"\bimport\s+os\s+as\s+([A-Za-z_]\w*)");
static_regex!(
    PYTHON_FROM_OS_IMPORT,
    r"\bfrom[ \t]+os[ \t]+import[ \t]+(\([^)]*\)|[^\n;]*)"
);
static_regex!(
    PYTHON_ENVIRON_ALIAS,
    r"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*(?:([A-Za-z_]\w*)[ \t]*\.[ \t]*)?environ[ \t]*\r?$"
);
static_regex!(
    JS_ENV_ALIAS,
    r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[^=;\n]+)?=\s*(?:process\s*\.\s*env|import\s*\.\s*meta\s*\.\s*env|Bun\s*\.\s*env)\b"
);
static_regex!(
    JS_PROCESS_DESTRUCTURE_ENV,
    r"\b(?:const|let|var)\s*\{\s*env\s*(?::\s*([A-Za-z_$][\w$]*)\s*)?\}\s*=\s*process\b"
);
static_regex!(
    JS_IMPORT_ENV,
    r"\bimport\s*\{\s*env(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\}\s*from"
);
static_regex!(JS_DESTRUCTURING_START, r"\b(?:const|let|var)\s*\{");
static_regex!(
    JS_ENV_OBJECT,
    r"^(?:process\s*\.\s*env|import\s*\.\s*meta\s*\.\s*env|Bun\s*\.\s*env)\b"
);
static_regex!(JS_SSL_KEY, r"\bssl\s*:");
static_regex!(
    GO_REFS,
    r"\b(?:os|syscall)\s*\.\s*(?:Getenv|LookupEnv)\s*\("
);
static_regex!(
    CSHARP_REFS,
    r"\b(?:System\s*\.\s*)?Environment\s*\.\s*GetEnvironmentVariable\s*\("
);
static_regex!(
    JAVA_GETENV,
    r"\b(?:java\s*\.\s*lang\s*\.\s*)?System\s*\.\s*getenv\s*\("
);
static_regex!(
    JAVA_MAP_ACCESS,
    r"^\s*(?:\[|\.\s*(?P<method>get|getOrDefault)\s*\()"
);
static_regex!(
    PHP_REFS,
    r"\\?\b(?P<getenv>getenv)\s*\(|\$_(?P<env>ENV)\s*\[|\$_(?P<server>SERVER)\s*\[|\\?\b(?P<laravel>env)\s*\("
);
static_regex!(
    RUBY_REFS,
    r"\bENV\s*(?:(?P<subscript>\[)|\.\s*fetch\s*(?:(?P<paren>\()|[ \t]+))"
);
static_regex!(RUBY_MODIFIER, r"[ \t](?:if|unless)[ \t]");

static_regex!(
    PYTHON_LOG,
    r"\b(?:print|pprint\s*\.\s*pprint|pprint|sys\s*\.\s*(?:stdout|stderr)\s*\.\s*write)\b"
);
static_regex!(
    JS_LOG,
    r"\bconsole\s*\.\s*(?:log|info|warn|error|debug|trace|dir|table)\b"
);
static_regex!(
    GO_LOG,
    r"\b(?:fmt\s*\.\s*(?:Print|Println|Printf|Fprint|Fprintln|Fprintf)|log\s*\.\s*(?:Print|Println|Printf|Fatal|Fatalf|Fatalln|Panic|Panicf|Panicln)|slog\s*\.\s*(?:Debug|Info|Warn|Error|Log)\w*)\b"
);
static_regex!(
    CSHARP_LOG,
    r"\b(?:Console\s*\.\s*(?:Write|WriteLine|Error\s*\.\s*WriteLine|Out\s*\.\s*WriteLine)|(?:Debug|Trace)\s*\.\s*(?:Write|WriteLine|Print|TraceInformation|TraceWarning|TraceError))\b"
);
static_regex!(
    JAVA_LOG,
    r"\bSystem\s*\.\s*(?:out|err)\s*\.\s*(?:print|println|printf|format)\b"
);
static_regex!(
    KOTLIN_LOG,
    r"\b(?:println|print|System\s*\.\s*(?:out|err)\s*\.\s*(?:print|println|printf|format))\b"
);
static_regex!(
    PHP_LOG,
    r"\b(?:echo|print|print_r|var_dump|var_export|error_log|printf|syslog)\b"
);
static_regex!(
    RUBY_LOG,
    r"(?:\$std(?:out|err)\s*\.\s*|\bSTD(?:OUT|ERR)\s*\.\s*)?\b(?:puts|print|pp|p|warn)\b"
);
static_regex!(
    LOGGER_LOG,
    r"(?:\$this\s*->\s*|\$|@)?\b(?:[A-Za-z_]\w*\s*\.\s*)*(?:log|logger|_log|_logger|LOG|LOGGER|Log|Logger|logging|slog|LOGGING)\s*(?:\?\.|\.|->|::)\s*(?i:debug|info|information|warn|warning|error|exception|critical|fatal|trace|verbose|notice|log\w*|print\w*|panic\w*|infof|debugf|warnf|errorf|fatalf)\b"
);

static_regex!(METHOD_SPLIT, r"(?:\?\.|\.)\s*(?:split|rsplit|Split)\b");
static_regex!(
    GO_SPLIT,
    r"\bstrings\s*\.\s*(?P<function>Split|SplitN|SplitAfter|SplitAfterN|Fields)\s*\("
);
static_regex!(PHP_SPLIT, r"\bexplode\s*\(");
static_regex!(
    TOKEN_CALL,
    r"\b(?:get_token|get_token_info|getToken|getTokenSync|GetToken|GetTokenAsync|TokenRequestContext|acquire_token\w*|acquireToken\w*|AcquireToken\w*|addScopes|setScopes|WithScopes)\s*\("
);
static_regex!(
    SCOPE_KEY,
    r"\b(scopes?|Scopes?|SCOPES?|resource|Resource)\s*(?::|=>|=)"
);

#[cfg(test)]
pub(crate) fn force_all_regexes() {
    for regex in [
        &*PYTHON_DEFAULT,
        &*JS_DEFAULT,
        &*PYTHON_IMPORT_OS_AS,
        &*PYTHON_FROM_OS_IMPORT,
        &*PYTHON_ENVIRON_ALIAS,
        &*JS_ENV_ALIAS,
        &*JS_PROCESS_DESTRUCTURE_ENV,
        &*JS_IMPORT_ENV,
        &*JS_DESTRUCTURING_START,
        &*JS_ENV_OBJECT,
        &*JS_SSL_KEY,
        &*GO_REFS,
        &*CSHARP_REFS,
        &*JAVA_GETENV,
        &*JAVA_MAP_ACCESS,
        &*PHP_REFS,
        &*RUBY_REFS,
        &*RUBY_MODIFIER,
        &*PYTHON_LOG,
        &*JS_LOG,
        &*GO_LOG,
        &*CSHARP_LOG,
        &*JAVA_LOG,
        &*KOTLIN_LOG,
        &*PHP_LOG,
        &*RUBY_LOG,
        &*LOGGER_LOG,
        &*METHOD_SPLIT,
        &*GO_SPLIT,
        &*PHP_SPLIT,
        &*TOKEN_CALL,
        &*SCOPE_KEY,
    ] {
        assert!(!regex.as_str().is_empty());
    }
}

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
    ($vis:vis $name:ident, $pattern:expr) => {
        $vis static $name: LazyLock<Regex> = LazyLock::new(|| built_in($pattern));
    };
}

mod flow;
mod logs;
mod refs;
mod scopes;
mod splits;
mod ssl;
#[cfg(test)]
mod tests;

use refs::{CSHARP_REFS, GO_REFS};
pub(crate) use scopes::{is_scope_key, looks_like_scope, scope_context};

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

    fn name_start_before_chain(&self, mut pos: usize) -> usize {
        while pos > 0
            && (is_word_byte(self.byte(pos - 1)) || matches!(self.byte(pos - 1), b'$' | b'@'))
        {
            pos -= 1;
        }
        pos
    }
}

#[cfg(test)]
pub(crate) fn force_all_regexes() {
    let all = [
        refs::regexes(),
        logs::regexes(),
        splits::regexes(),
        scopes::regexes(),
        ssl::regexes(),
    ];
    for regex in all.into_iter().flatten() {
        assert!(!regex.as_str().is_empty());
    }
}

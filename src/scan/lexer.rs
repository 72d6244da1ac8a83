//! Byte classifier for the programming languages: which bytes are code, which are comments and
//! which are string literals (with their interpolations, which are code again).
//!
//! It is deliberately not a tokenizer or a parser: it knows only enough of each language's
//! comment and string syntax to never mistake one for the other (`"http://x"`, `'#'`,
//! `` `${a /* b */}` ``). Its output is a *masked* copy of the text with comment bytes and
//! string-content bytes blanked out, so that the fact extractors can run plain regexes over
//! code and look the string literals up by offset. Shell, Dockerfile, YAML and .properties
//! have their own line-oriented scanners (`shell.rs`, `config.rs`).

use crate::scan::Language;
use crate::text::TextRange;

/// Deeper nesting of interpolations than this is treated as string content: real code never
/// gets near it, and it keeps adversarial input from exhausting the stack.
const MAX_INTERPOLATION_DEPTH: usize = 24;

/// What a literal is, syntactically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiteralKind {
    String,
    /// A regular-expression literal (`/\s+/` in JavaScript and Ruby, `%r{…}` in Ruby).
    Regex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Literal {
    /// The whole literal, prefixes and quotes included.
    pub range: TextRange,
    /// Between the quotes.
    pub content: TextRange,
    pub kind: LiteralKind,
    /// Holds code (`${…}`, `{…}` in f-strings, `#{…}`): its content is not a constant.
    pub interpolated: bool,
    /// Holds a backslash escape, so the source text of the content is not its value.
    pub escaped: bool,
    /// A Python string that is a whole statement (a docstring or a string used as a comment):
    /// documentation, not a value the program uses.
    pub statement: bool,
}

/// The result of classifying one file.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    /// The text with comment bytes and string-content bytes replaced by spaces (newlines kept),
    /// byte for byte, so offsets in it are offsets in the text.
    pub masked: Vec<u8>,
    pub comments: Vec<TextRange>,
    /// Sorted by start.
    pub literals: Vec<Literal>,
}

impl Lexed {
    /// The literal that starts exactly at `offset`.
    pub fn literal_at(&self, offset: usize) -> Option<&Literal> {
        let index = self
            .literals
            .binary_search_by_key(&offset, |l| l.range.start)
            .ok()?;
        self.literals.get(index)
    }

    /// The literal that ends exactly at `offset` (its closing quote is the byte before).
    pub fn literal_ending_at(&self, offset: usize) -> Option<&Literal> {
        // Literals never overlap except through interpolation, so the candidate is the last
        // literal starting before `offset`, or one nested inside it.
        let upper = self.literals.partition_point(|l| l.range.start < offset);
        self.literals[..upper]
            .iter()
            .rev()
            .take(4)
            .find(|l| l.range.end == offset)
    }
}

/// How strings of one quote style behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interpolation {
    None,
    /// `${…}` (JavaScript templates, Kotlin).
    DollarBrace,
    /// `{…}` with `{{` as an escape (Python f-strings, C# `$"…"`).
    Brace,
    /// `#{…}` (Ruby double-quoted strings).
    HashBrace,
}

#[derive(Debug, Clone, Copy)]
struct StringStyle {
    close: &'static [u8],
    backslash_escapes: bool,
    /// `""` inside the string stands for one quote (C# verbatim strings, YAML).
    doubled_quote_escape: bool,
    multiline: bool,
    interpolation: Interpolation,
    kind: LiteralKind,
}

impl StringStyle {
    const fn plain(close: &'static [u8]) -> Self {
        Self {
            close,
            backslash_escapes: true,
            doubled_quote_escape: false,
            multiline: false,
            interpolation: Interpolation::None,
            kind: LiteralKind::String,
        }
    }
}

pub(crate) fn lex(language: Language, text: &str) -> Lexed {
    let bytes = text.as_bytes();
    let mut lexer = Lexer {
        bytes,
        pos: 0,
        language,
        depth: 0,
        previous: Previous::Start,
        nesting: 0,
        line_hint: LineHint::default(),
        out: Lexed {
            masked: bytes.to_vec(),
            comments: Vec::new(),
            literals: Vec::new(),
        },
    };
    lexer.code(false);
    lexer.out.literals.sort_by_key(|l| l.range.start);
    lexer.out
}

/// What came before the current byte, for the `/` (regex or division) decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    Start,
    /// An identifier or keyword, with its range and whether whitespace followed it.
    Word {
        start: usize,
        end: usize,
    },
    /// A closing bracket, a literal or a number: an operand.
    Operand,
    /// An operator or opening bracket.
    Operator,
}

struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    language: Language,
    depth: usize,
    previous: Previous,
    /// Open `(`/`[` in Python code, to tell a statement from an argument on its own line.
    nesting: usize,
    /// The line start found for the last Python string and the offset it was searched up to,
    /// so that many strings on one long line do not each scan back to its start (quadratic).
    line_hint: LineHint,
    out: Lexed,
}

/// Where the line holding a position starts, and where its first non-blank byte is; searched
/// incrementally because strings are lexed in increasing order.
#[derive(Debug, Clone, Copy, Default)]
struct LineHint {
    searched_to: usize,
    line_start: usize,
    first_code: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

const JS_REGEX_KEYWORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
];

impl Lexer<'_> {
    fn at(&self, offset: usize) -> u8 {
        self.bytes.get(offset).copied().unwrap_or(0)
    }

    fn starts_with(&self, offset: usize, needle: &[u8]) -> bool {
        self.bytes
            .get(offset..)
            .is_some_and(|rest| rest.starts_with(needle))
    }

    fn mask(&mut self, range: TextRange) {
        let end = range.end.min(self.out.masked.len());
        if let Some(slice) = self.out.masked.get_mut(range.start..end) {
            for byte in slice.iter_mut().filter(|b| **b != b'\n') {
                *byte = b' ';
            }
        }
    }

    fn comment(&mut self, start: usize, end: usize) {
        let range = TextRange::new(start, end.min(self.bytes.len()));
        self.mask(range);
        self.out.comments.push(range);
        self.pos = range.end;
    }

    fn line_comment(&mut self, start: usize) {
        let mut end =
            memchr::memchr(b'\n', &self.bytes[start..]).map_or(self.bytes.len(), |i| start + i);
        if end > start && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        self.comment(start, end);
    }

    fn block_comment(&mut self, start: usize, open: &[u8], close: &[u8], nested: bool) {
        let mut pos = start + open.len();
        let mut depth = 1usize;
        while pos < self.bytes.len() {
            if self.starts_with(pos, close) {
                depth -= 1;
                pos += close.len();
                if depth == 0 || !nested {
                    break;
                }
            } else if nested && self.starts_with(pos, open) {
                depth += 1;
                pos += open.len();
            } else {
                pos += 1;
            }
        }
        self.comment(start, pos);
    }

    /// Lexes code until the end of input or, inside an interpolation, the unmatched `}`
    /// (which is left for the caller).
    fn code(&mut self, in_interpolation: bool) {
        let mut braces = 0usize;
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if b == b'{' {
                braces += 1;
                self.previous = Previous::Operator;
                self.pos += 1;
                continue;
            }
            if b == b'}' {
                if braces == 0 && in_interpolation {
                    return;
                }
                braces = braces.saturating_sub(1);
                self.previous = Previous::Operand;
                self.pos += 1;
                continue;
            }
            match self.language {
                Language::Python => self.python_step(b),
                Language::Ruby => self.ruby_step(b),
                _ => self.c_like_step(b),
            }
        }
    }

    fn skip_word(&mut self) -> (usize, usize) {
        let start = self.pos;
        let mut end = start;
        while end < self.bytes.len()
            && (is_ident_continue(self.bytes[end])
                || (self.language == Language::JavaScript && self.bytes[end] == b'$'))
        {
            end += 1;
        }
        self.pos = end.max(start + 1);
        self.previous = Previous::Word {
            start,
            end: self.pos,
        };
        (start, self.pos)
    }

    fn other(&mut self, b: u8) {
        self.previous = match b {
            b')' | b']' => Previous::Operand,
            b' ' | b'\t' | b'\r' | b'\n' => self.previous,
            b'0'..=b'9' => Previous::Operand,
            _ => Previous::Operator,
        };
        self.pos += 1;
    }

    fn c_like_step(&mut self, b: u8) {
        let lang = self.language;
        let start = self.pos;
        match b {
            b'/' if self.at(start + 1) == b'/' => self.line_comment(start),
            b'/' if self.at(start + 1) == b'*' => {
                self.block_comment(start, b"/*", b"*/", lang == Language::Kotlin)
            }
            b'#' if lang == Language::Php && self.at(start + 1) != b'[' => self.line_comment(start),
            b'/' if lang == Language::JavaScript && self.regex_allowed() => {
                if !self.regex_literal(start) {
                    self.other(b);
                }
            }
            b'`' if lang == Language::JavaScript => {
                let style = StringStyle {
                    multiline: true,
                    interpolation: Interpolation::DollarBrace,
                    ..StringStyle::plain(b"`")
                };
                self.string(start, 1, style);
            }
            b'`' if lang == Language::Go => {
                let style = StringStyle {
                    backslash_escapes: false,
                    multiline: true,
                    ..StringStyle::plain(b"`")
                };
                self.string(start, 1, style);
            }
            b'"' if self.starts_with(start, b"\"\"\"")
                && matches!(lang, Language::Java | Language::Kotlin | Language::CSharp) =>
            {
                self.triple_quoted_c_like(start, start, false);
            }
            b'"' => {
                let style = StringStyle {
                    multiline: lang == Language::Php,
                    interpolation: if lang == Language::Kotlin {
                        Interpolation::DollarBrace
                    } else {
                        Interpolation::None
                    },
                    ..StringStyle::plain(b"\"")
                };
                self.string(start, 1, style);
            }
            b'\'' => {
                let style = StringStyle {
                    multiline: lang == Language::Php,
                    ..StringStyle::plain(b"'")
                };
                self.string(start, 1, style);
            }
            b'@' | b'$' if lang == Language::CSharp => self.csharp_prefixed(start),
            b'<' if lang == Language::Php && self.starts_with(start, b"<<<") => {
                if !self.php_heredoc(start) {
                    self.other(b);
                }
            }
            b'$' if lang == Language::Php => {
                // `$var`: skip the sigil and the name together so `$'` is never a quote.
                self.pos += 1;
                if is_ident_start(self.at(self.pos)) {
                    self.skip_word();
                }
            }
            _ if is_ident_start(b) || (b == b'$' && lang == Language::JavaScript) => {
                self.skip_word();
            }
            _ => self.other(b),
        }
    }

    fn regex_allowed(&self) -> bool {
        match self.previous {
            Previous::Start | Previous::Operator => true,
            Previous::Operand => false,
            Previous::Word { start, end } => {
                let word = &self.bytes[start..end];
                JS_REGEX_KEYWORDS.contains(&word)
            }
        }
    }

    /// A `/…/flags` literal; false (nothing consumed) when the line ends first.
    fn regex_literal(&mut self, start: usize) -> bool {
        let mut pos = start + 1;
        let mut in_class = false;
        let mut escaped = false;
        loop {
            match self.bytes.get(pos) {
                None | Some(b'\n') => return false,
                Some(b'\\') => {
                    escaped = true;
                    pos += 2;
                    continue;
                }
                Some(b'[') => in_class = true,
                Some(b']') => in_class = false,
                Some(b'/') if !in_class => break,
                _ => {}
            }
            pos += 1;
        }
        let content = TextRange::new(start + 1, pos);
        pos += 1;
        while pos < self.bytes.len() && self.bytes[pos].is_ascii_alphabetic() {
            pos += 1;
        }
        self.mask(content);
        self.out.literals.push(Literal {
            range: TextRange::new(start, pos),
            content,
            kind: LiteralKind::Regex,
            interpolated: false,
            escaped,
            statement: false,
        });
        self.pos = pos;
        self.previous = Previous::Operand;
        true
    }

    /// Java text blocks, Kotlin raw strings and C# raw string literals (`"""…"""`, or more
    /// quotes in C#). `literal_start` includes any prefix (`$` in C#).
    fn triple_quoted_c_like(
        &mut self,
        literal_start: usize,
        quotes_start: usize,
        csharp_interpolated: bool,
    ) {
        let mut quote_count = 0;
        while self.at(quotes_start + quote_count) == b'"' {
            quote_count += 1;
        }
        let quote_count = if self.language == Language::CSharp {
            quote_count
        } else {
            3
        };
        let close: &'static [u8] = match quote_count {
            3 => b"\"\"\"",
            4 => b"\"\"\"\"",
            5 => b"\"\"\"\"\"",
            _ => b"\"\"\"\"\"\"",
        };
        let interpolation = match self.language {
            Language::Kotlin => Interpolation::DollarBrace,
            Language::CSharp if csharp_interpolated => Interpolation::Brace,
            _ => Interpolation::None,
        };
        let style = StringStyle {
            backslash_escapes: self.language == Language::Java,
            multiline: true,
            interpolation,
            ..StringStyle::plain(close)
        };
        self.pos = literal_start;
        self.string(
            literal_start,
            quotes_start - literal_start + close.len(),
            style,
        );
    }

    /// C# `@"…"`, `$"…"`, `$@"…"`, `@$"…"`, `$"""…"""`; a lone `@`/`$` is code.
    fn csharp_prefixed(&mut self, start: usize) {
        let mut pos = start;
        let mut verbatim = false;
        let mut interpolated = false;
        while pos < start + 4 {
            match self.at(pos) {
                b'@' if !verbatim => verbatim = true,
                b'$' => interpolated = true,
                _ => break,
            }
            pos += 1;
        }
        if self.at(pos) != b'"' {
            self.other(self.at(start));
            if is_ident_start(self.at(self.pos)) {
                self.skip_word();
            }
            return;
        }
        if !verbatim && self.starts_with(pos, b"\"\"\"") {
            self.triple_quoted_c_like(start, pos, interpolated);
            return;
        }
        let style = StringStyle {
            backslash_escapes: !verbatim,
            doubled_quote_escape: verbatim,
            multiline: verbatim,
            interpolation: if interpolated {
                Interpolation::Brace
            } else {
                Interpolation::None
            },
            ..StringStyle::plain(b"\"")
        };
        self.string(start, pos - start + 1, style);
    }

    /// `<<<ID`, `<<<"ID"`, `<<<'ID'` up to a line holding only the identifier (PHP 7.3
    /// flexible heredocs allow indentation and text after it).
    fn php_heredoc(&mut self, start: usize) -> bool {
        let mut pos = start + 3;
        while matches!(self.at(pos), b' ' | b'\t') {
            pos += 1;
        }
        let quote = self.at(pos);
        if quote == b'"' || quote == b'\'' {
            pos += 1;
        }
        let id_start = pos;
        while is_ident_continue(self.at(pos)) {
            pos += 1;
        }
        if pos == id_start {
            return false;
        }
        let id = &self.bytes[id_start..pos];
        if (quote == b'"' || quote == b'\'') && self.at(pos) == quote {
            pos += 1;
        }
        let Some(line_end) = memchr::memchr(b'\n', &self.bytes[pos..]).map(|i| pos + i) else {
            return false;
        };
        let content_start = line_end + 1;
        let (content_end, end) = find_terminator_line(self.bytes, content_start, id);
        self.finish_opaque_literal(start, TextRange::new(content_start, content_end), end);
        true
    }

    /// Records a literal whose content is all string (no interpolation lexing).
    fn finish_opaque_literal(&mut self, start: usize, content: TextRange, end: usize) {
        self.mask(content);
        let escaped = self.bytes[content.start..content.end].contains(&b'\\');
        self.out.literals.push(Literal {
            range: TextRange::new(start, end),
            content,
            kind: LiteralKind::String,
            interpolated: false,
            escaped,
            statement: false,
        });
        self.pos = end;
        self.previous = Previous::Operand;
    }

    /// Lexes a string whose opener (prefix and quotes, `open_len` bytes) starts at `start`.
    fn string(&mut self, start: usize, open_len: usize, style: StringStyle) {
        let len = self.bytes.len();
        let content_start = (start + open_len).min(len);
        let mut pos = content_start;
        let mut segment = content_start;
        let mut interpolated = false;
        let mut escaped = false;
        let mut content_end = len;
        let mut end = len;
        while pos < len {
            let b = self.bytes[pos];
            if style.doubled_quote_escape && self.starts_with(pos, b"\"\"") {
                pos += 2;
                continue;
            }
            if self.starts_with(pos, style.close) {
                content_end = pos;
                end = pos + style.close.len();
                // Kotlin and C# raw strings end at the *last* of a run of quotes.
                while style.close.len() >= 3 && self.at(end) == b'"' {
                    content_end += 1;
                    end += 1;
                }
                break;
            }
            // In Python f-strings and C# `$"…"`, only `{{` escapes a brace: `\{` still opens a field.
            let protects_next = !(style.interpolation == Interpolation::Brace
                && matches!(self.at(pos + 1), b'{' | b'}'));
            if b == b'\\' && style.backslash_escapes && protects_next {
                escaped = true;
                pos += if self.at(pos + 1) == b'\r' && self.at(pos + 2) == b'\n' {
                    3
                } else {
                    2
                };
                continue;
            }
            if b == b'\n' && !style.multiline {
                content_end = pos;
                end = pos;
                break;
            }
            let opener_len = match style.interpolation {
                Interpolation::DollarBrace if self.starts_with(pos, b"${") => 2,
                Interpolation::HashBrace if self.starts_with(pos, b"#{") => 2,
                Interpolation::Brace if self.starts_with(pos, b"{{") => {
                    pos += 2;
                    continue;
                }
                Interpolation::Brace if b == b'{' => 1,
                _ => 0,
            };
            if opener_len > 0 && self.depth < MAX_INTERPOLATION_DEPTH {
                interpolated = true;
                self.mask(TextRange::new(segment, pos));
                self.pos = pos + opener_len;
                self.depth += 1;
                self.previous = Previous::Start;
                self.code(true);
                self.depth -= 1;
                // Past the closing brace, or at the end of an unterminated interpolation.
                pos = (self.pos + 1).min(len);
                segment = pos;
                continue;
            }
            pos += 1;
        }
        let content_end = content_end.max(segment).min(len);
        self.mask(TextRange::new(segment, content_end));
        self.out.literals.push(Literal {
            range: TextRange::new(start, end.max(content_end)),
            content: TextRange::new(content_start.min(content_end), content_end),
            kind: style.kind,
            interpolated,
            escaped,
            statement: false,
        });
        self.pos = end.max(content_end).max(start + 1);
        self.previous = Previous::Operand;
    }

    fn python_step(&mut self, b: u8) {
        let start = self.pos;
        match b {
            // Inside an f-string replacement field `#` is a format flag (`{n:#x}`), not a comment.
            b'#' if self.depth == 0 => self.line_comment(start),
            b'(' | b'[' => {
                self.nesting += 1;
                self.other(b);
            }
            b')' | b']' => {
                self.nesting = self.nesting.saturating_sub(1);
                self.other(b);
            }
            b'"' | b'\'' => self.python_string(start, start, false, false),
            _ if is_ident_start(b) => {
                let (word_start, word_end) = self.skip_word();
                let quote = self.at(word_end);
                if (quote == b'"' || quote == b'\'') && word_end - word_start <= 2 {
                    let prefix = self.bytes[word_start..word_end].to_ascii_lowercase();
                    let valid = matches!(
                        prefix.as_slice(),
                        b"r" | b"u" | b"b" | b"f" | b"br" | b"rb" | b"fr" | b"rf"
                    );
                    if valid {
                        let formatted = prefix.contains(&b'f');
                        let raw = prefix.contains(&b'r');
                        self.python_string(word_start, word_end, formatted, raw);
                    }
                }
            }
            _ => self.other(b),
        }
    }

    /// The start of the line holding `at` and its first byte that is not a space or tab.
    /// Amortised O(1) for increasing `at` (see [`LineHint`]).
    fn line_of(&mut self, at: usize) -> (usize, usize) {
        let hint = &mut self.line_hint;
        if at < hint.searched_to {
            *hint = LineHint::default();
        }
        let from = hint.searched_to;
        if let Some(newline) = memchr::memrchr(b'\n', &self.bytes[from..at]) {
            let line_start = from + newline + 1;
            hint.line_start = line_start;
            hint.first_code = line_start;
            while hint.first_code < at && matches!(self.bytes[hint.first_code], b' ' | b'\t') {
                hint.first_code += 1;
            }
        } else if hint.first_code == from {
            while hint.first_code < at && matches!(self.bytes[hint.first_code], b' ' | b'\t') {
                hint.first_code += 1;
            }
        }
        hint.searched_to = at;
        (hint.line_start, hint.first_code)
    }

    fn python_string(&mut self, start: usize, quote_at: usize, formatted: bool, raw: bool) {
        let (line_start, first_code) = self.line_of(start);
        let continued = line_start >= 2 && self.bytes[line_start - 2] == b'\\';
        let starts_statement =
            self.nesting == 0 && self.depth == 0 && !continued && first_code >= start;
        let quote = self.at(quote_at);
        let triple = self.at(quote_at + 1) == quote && self.at(quote_at + 2) == quote;
        let close: &'static [u8] = match (quote, triple) {
            (b'"', true) => b"\"\"\"",
            (b'"', false) => b"\"",
            (_, true) => b"'''",
            (_, false) => b"'",
        };
        let style = StringStyle {
            multiline: triple,
            interpolation: if formatted {
                Interpolation::Brace
            } else {
                Interpolation::None
            },
            ..StringStyle::plain(close)
        };
        self.string(start, quote_at - start + close.len(), style);
        let mut after = self.pos;
        while matches!(self.at(after), b' ' | b'\t') {
            after += 1;
        }
        let ends_statement = matches!(self.at(after), 0 | b'\n' | b'\r' | b'#' | b';');
        if starts_statement
            && ends_statement
            && let Some(last) = self
                .out
                .literals
                .iter_mut()
                .rev()
                .find(|l| l.range.start == start)
        {
            last.statement = true;
        }
        if raw {
            // Raw strings still end only at an unescaped quote, but their text is their value.
            if let Some(last) = self
                .out
                .literals
                .iter_mut()
                .rev()
                .find(|l| l.range.start == start)
            {
                last.escaped = false;
            }
        }
    }

    fn ruby_step(&mut self, b: u8) {
        let start = self.pos;
        let line_start = start == 0 || self.at(start - 1) == b'\n';
        match b {
            b'=' if line_start && self.starts_with(start, b"=begin") => {
                let mut end = self.bytes.len();
                let mut line = start;
                while let Some(nl) = memchr::memchr(b'\n', &self.bytes[line..]) {
                    line += nl + 1;
                    if self.starts_with(line, b"=end") {
                        end = memchr::memchr(b'\n', &self.bytes[line..])
                            .map_or(self.bytes.len(), |i| line + i);
                        break;
                    }
                }
                self.comment(start, end);
            }
            b'_' if line_start && self.starts_with(start, b"__END__") => {
                // Everything after `__END__` is data for DATA.read, never code.
                self.comment(start, self.bytes.len());
            }
            b'#' => self.line_comment(start),
            b'"' => {
                let style = StringStyle {
                    multiline: true,
                    interpolation: Interpolation::HashBrace,
                    ..StringStyle::plain(b"\"")
                };
                self.string(start, 1, style);
            }
            b'\'' => {
                let style = StringStyle {
                    multiline: true,
                    ..StringStyle::plain(b"'")
                };
                self.string(start, 1, style);
            }
            b'`' => {
                let style = StringStyle {
                    multiline: true,
                    interpolation: Interpolation::HashBrace,
                    ..StringStyle::plain(b"`")
                };
                self.string(start, 1, style);
            }
            b'$' => {
                // Globals such as `$'`, `$"` and `$~` are names, never quotes.
                self.pos += 2;
                self.previous = Previous::Operand;
            }
            b'?' if self.ruby_value_position()
                && matches!(self.at(start + 1), b'"' | b'\'' | b'#') =>
            {
                // `?"` is a character literal.
                self.pos += 2;
                self.previous = Previous::Operand;
            }
            b'/' if self.ruby_value_position() => {
                let style = StringStyle {
                    multiline: true,
                    interpolation: Interpolation::HashBrace,
                    kind: LiteralKind::Regex,
                    ..StringStyle::plain(b"/")
                };
                self.string(start, 1, style);
            }
            b'%' if self.ruby_value_position() && self.ruby_percent_literal(start) => {}
            b'<' if self.starts_with(start, b"<<") && self.ruby_heredoc(start) => {}
            _ if is_ident_start(b) => {
                self.skip_word();
                // `foo?` / `foo!` method names.
                if matches!(self.at(self.pos), b'?' | b'!') && self.at(self.pos + 1) != b'=' {
                    self.pos += 1;
                }
            }
            b'@' => self.pos += 1,
            _ => self.other(b),
        }
    }

    /// Whether a `/`, `%` or `?` here starts a literal rather than being an operator.
    fn ruby_value_position(&self) -> bool {
        match self.previous {
            Previous::Start | Previous::Operator => true,
            Previous::Operand => false,
            Previous::Word { end, .. } => {
                // `split /,/` is a call with a regex; `a / b` and `a /b` are a division only
                // when spaced symmetrically.
                let spaced_before = matches!(self.at(end), b' ' | b'\t') && end < self.pos;
                let spaced_after = matches!(self.at(self.pos + 1), b' ' | b'\t' | b'=');
                spaced_before && !spaced_after
            }
        }
    }

    /// `%q(…)`, `%Q[…]`, `%w{…}`, `%i<…>`, `%r{…}`, `%(…)`.
    fn ruby_percent_literal(&mut self, start: usize) -> bool {
        let mut pos = start + 1;
        let mut kind_letter = b'Q';
        if matches!(
            self.at(pos),
            b'q' | b'Q' | b'w' | b'W' | b'i' | b'I' | b'r' | b's' | b'x'
        ) {
            kind_letter = self.at(pos);
            pos += 1;
        }
        let close: &'static [u8] = match self.at(pos) {
            b'(' => b")",
            b'[' => b"]",
            b'{' => b"}",
            b'<' => b">",
            b'|' => b"|",
            b'!' => b"!",
            b'/' => b"/",
            _ => return false,
        };
        let style = StringStyle {
            multiline: true,
            interpolation: if matches!(kind_letter, b'Q' | b'W' | b'I' | b'r' | b'x') {
                Interpolation::HashBrace
            } else {
                Interpolation::None
            },
            kind: if kind_letter == b'r' {
                LiteralKind::Regex
            } else {
                LiteralKind::String
            },
            ..StringStyle::plain(close)
        };
        self.string(start, pos - start + 1, style);
        true
    }

    /// `<<~ID`, `<<-ID`, `<<ID` (upper-case identifier) or quoted identifiers: the body starts
    /// on the next line. The rest of the opening line stays code.
    fn ruby_heredoc(&mut self, start: usize) -> bool {
        let mut pos = start + 2;
        let squiggly_or_dash = matches!(self.at(pos), b'~' | b'-');
        if squiggly_or_dash {
            pos += 1;
        }
        let quote = self.at(pos);
        let quoted = matches!(quote, b'"' | b'\'' | b'`');
        if quoted {
            pos += 1;
        }
        let id_start = pos;
        while is_ident_continue(self.at(pos)) {
            pos += 1;
        }
        let id = &self.bytes[id_start..pos];
        let plausible = !id.is_empty()
            && (quoted
                || squiggly_or_dash
                || id
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || *b == b'_' || b.is_ascii_digit()))
            && !matches!(self.previous, Previous::Operand | Previous::Word { .. } if !squiggly_or_dash && !quoted);
        if !plausible || (quoted && self.at(pos) != quote) {
            return false;
        }
        if quoted {
            pos += 1;
        }
        let Some(line_end) = memchr::memchr(b'\n', &self.bytes[pos..]).map(|i| pos + i) else {
            return false;
        };
        let id = id.to_vec();
        // Lex the rest of the opening line as code first (`<<~SQL.strip)`), then the body.
        self.pos = pos;
        self.previous = Previous::Operand;
        let body_start = line_end + 1;
        let (content_end, end) = find_terminator_line(self.bytes, body_start, &id);
        while self.pos < line_end {
            let b = self.bytes[self.pos];
            self.ruby_step(b);
        }
        let content = TextRange::new(body_start.min(content_end), content_end);
        self.mask(content);
        self.out.literals.push(Literal {
            range: TextRange::new(start, end),
            content,
            kind: LiteralKind::String,
            interpolated: false,
            escaped: false,
            statement: false,
        });
        self.pos = end.max(self.pos);
        true
    }
}

/// Finds the line that consists of `id` (indentation allowed, text after it too for PHP's
/// `ID;`): returns (content end, literal end).
fn find_terminator_line(bytes: &[u8], from: usize, id: &[u8]) -> (usize, usize) {
    let mut line = from;
    while line < bytes.len() {
        let mut first = line;
        while matches!(bytes.get(first), Some(b' ' | b'\t')) {
            first += 1;
        }
        let after = first + id.len();
        if bytes.get(first..after) == Some(id)
            && !bytes.get(after).is_some_and(|b| is_ident_continue(*b))
        {
            return (line, after);
        }
        match memchr::memchr(b'\n', &bytes[line..]) {
            Some(i) => line += i + 1,
            None => break,
        }
    }
    (bytes.len(), bytes.len())
}

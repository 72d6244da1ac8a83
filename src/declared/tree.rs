//! A tolerant reader for the object notation Bicep and ARM JSON share: objects, arrays,
//! strings (Bicep `'…${expr}…'` and `'''…'''`, JSON `"…"`), and expressions kept as text
//! with the objects, arrays and strings inside them parsed too (`union(x, { KEY: 'v' })`).
//!
//! It never fails: what it cannot read becomes an [`Node::Expr`] and reading goes on at the
//! next line. Ranges are byte offsets into the text, like every range in the core.

use crate::text::TextRange;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(Str),
    Object(Object),
    Array {
        items: Vec<Node>,
        range: TextRange,
    },
    /// Anything else, as written (`web.id`, `parameters('x')`, `true`, `resourceId(...)`),
    /// with the strings, objects and arrays found inside it.
    Expr {
        text: String,
        range: TextRange,
        children: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    /// The literal pieces and `${…}` interpolations, in order.
    pub parts: Vec<Part>,
    /// The whole literal with its quotes.
    pub range: TextRange,
    /// Between the quotes: what a fix replaces.
    pub content: TextRange,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// The expression inside `${…}`, as written.
    Interpolation(String),
}

impl Str {
    /// [`Str::literal`], taking the one text part when there is just one (no copy).
    pub fn into_literal(self) -> Option<String> {
        match <[Part; 1]>::try_from(self.parts) {
            Ok([Part::Text(text)]) => Some(text),
            Ok([Part::Interpolation(_)]) => None,
            Err(parts) => Str { parts, ..self }.literal(),
        }
    }

    /// The value when it has no interpolation.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Interpolation(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    pub entries: Vec<Entry>,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_range: TextRange,
    pub value: Node,
}

impl Object {
    /// The value of `key` (ASCII case-insensitive: ARM property names are).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(key))
            .map(|e| &e.value)
    }

    /// `a.b.c` through nested objects.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        let (first, rest) = keys.split_first()?;
        let node = self.get(first)?;
        if rest.is_empty() {
            return Some(node);
        }
        match node {
            Node::Object(object) => object.path(rest),
            _ => None,
        }
    }
}

impl Node {
    pub fn range(&self) -> TextRange {
        match self {
            Node::Str(s) => s.range,
            Node::Object(o) => o.range,
            Node::Array { range, .. } | Node::Expr { range, .. } => *range,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Node::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&Str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Calls `visit` on this node and every node inside it, depth first.
    pub fn walk<'n>(&'n self, visit: &mut dyn FnMut(&'n Node)) {
        visit(self);
        match self {
            Node::Object(object) => {
                for entry in &object.entries {
                    entry.value.walk(visit);
                }
            }
            Node::Array { items, .. } => items.iter().for_each(|i| i.walk(visit)),
            Node::Expr { children, .. } => children.iter().for_each(|c| c.walk(visit)),
            Node::Str(_) => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'s> {
    /// A word, borrowed from the text (no allocation per token).
    Ident(&'s str),
    /// Where a string literal is: read into a [`Str`] (`StrToken::read`) only where a value or
    /// key needs it (an ARM template has about a thousand strings per 26 KB; building each one
    /// in its token, then cloning it into the node, was most of the reading time).
    Str(StrToken),
    /// Any other character that matters (`{`, `}`, `[`, `]`, `(`, `)`, `:`, `=`, `,`, `@`, `.`, …).
    Punct(char),
    Newline,
}

/// A string literal's place and quoting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StrToken {
    quote: Quote,
    /// The whole literal with its quotes.
    range: TextRange,
    /// Between the quotes.
    content: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Quote {
    /// Bicep, with `${…}` interpolation.
    Single,
    /// JSON.
    Double,
    /// Bicep's multi-line string, taken as written.
    Triple,
}

/// Bicep's multi-line string delimiter.
const TRIPLE: &str = "'''";

impl StrToken {
    /// The literal's text when it is written as is (no escape, no interpolation): most
    /// strings, taken without walking them again.
    fn plain<'t>(&self, text: &'t str) -> Option<&'t str> {
        let content = text.get(self.content.start..self.content.end)?;
        let plain = match self.quote {
            Quote::Single => !content.contains('\\') && !content.contains("${"),
            Quote::Double => !content.contains('\\'),
            // Taken as written.
            Quote::Triple => true,
        };
        plain.then_some(content)
    }

    /// The value when it has no interpolation ([`Str::literal`] of [`StrToken::read`]).
    pub fn literal(&self, text: &str) -> Option<String> {
        match self.plain(text) {
            Some(plain) => Some(plain.to_owned()),
            None => self.read(text).into_literal(),
        }
    }

    /// Between the quotes: what a fix replaces.
    pub fn content(&self) -> TextRange {
        self.content
    }

    /// The literal's pieces, read from `text` (the text that was tokenized).
    pub fn read(&self, text: &str) -> Str {
        if let Some(plain) = self.plain(text) {
            return Str {
                parts: vec![Part::Text(plain.to_owned())],
                range: self.range,
                content: self.content,
            };
        }
        match self.quote {
            Quote::Single => read_string(text, self.range.start, b'\'', true).0,
            Quote::Double => read_string(text, self.range.start, b'"', true).0,
            Quote::Triple => {
                let start = self.range.start;
                let end = text[start + 3..]
                    .find(TRIPLE)
                    .map_or(text.len(), |e| start + 3 + e);
                let content = TextRange::new(start + 3, end);
                Str {
                    parts: vec![Part::Text(text[content.start..content.end].to_string())],
                    range: self.range,
                    content,
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'s> {
    pub tok: Tok<'s>,
    pub range: TextRange,
}

/// Splits Bicep or JSON text into tokens; comments (`//`, `/* */`) and spaces are dropped.
pub(crate) fn tokenize(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                tokens.push(Token {
                    tok: Tok::Newline,
                    range: TextRange::new(i, i + 1),
                });
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
            }
            b'\'' if text[i..].starts_with(TRIPLE) => {
                let start = i;
                let end = text[i + 3..]
                    .find(TRIPLE)
                    .map_or(bytes.len(), |e| i + 3 + e);
                i = (end + 3).min(bytes.len());
                let range = TextRange::new(start, i);
                tokens.push(Token {
                    tok: Tok::Str(StrToken {
                        quote: Quote::Triple,
                        range,
                        content: TextRange::new(start + 3, end),
                    }),
                    range,
                });
            }
            b'\'' | b'"' => {
                let (s, next) = read_string(text, i, b, false);
                i = next;
                let quote = if b == b'"' {
                    Quote::Double
                } else {
                    Quote::Single
                };
                tokens.push(Token {
                    range: s.range,
                    tok: Tok::Str(StrToken {
                        quote,
                        range: s.range,
                        content: s.content,
                    }),
                });
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                tokens.push(Token {
                    tok: Tok::Ident(&text[start..i]),
                    range: TextRange::new(start, i),
                });
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                tokens.push(Token {
                    tok: Tok::Punct(c),
                    range: TextRange::new(i, i + c.len_utf8()),
                });
                i += c.len_utf8();
            }
        }
    }
    tokens
}

/// Reads a quoted string starting at `start` (the quote). Single quotes are Bicep (with
/// `${…}`), double quotes JSON. Returns the string and the offset after it; with `build` false
/// only its ranges (no parts, nothing allocated), found by the same walk.
fn read_string(text: &str, start: usize, quote: u8, build: bool) -> (Str, usize) {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut i = start + 1;
    let mut end_of_content = bytes.len();
    while i < bytes.len() {
        let b = bytes[i];
        if b == quote {
            end_of_content = i;
            i += 1;
            break;
        }
        if b == b'\n' && quote == b'"' {
            // An unterminated JSON string ends at the line.
            end_of_content = i;
            break;
        }
        if b == b'\\' && i + 1 < bytes.len() {
            let escaped = bytes[i + 1];
            match escaped {
                b'n' | b't' | b'r' if !build => {}
                b'n' => current.push('\n'),
                b't' => current.push('\t'),
                b'r' => current.push('\r'),
                b'u' if quote == b'"' => {
                    let hex = text.get(i + 2..i + 6).unwrap_or("");
                    if let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        if build {
                            current.push(c);
                        }
                        i += 6;
                        continue;
                    }
                    if build {
                        current.push('u');
                    }
                }
                _ => {
                    let c = text[i + 1..].chars().next().unwrap_or('\\');
                    if build {
                        current.push(c);
                    }
                    i += 1 + c.len_utf8();
                    continue;
                }
            }
            i += 2;
            continue;
        }
        if quote == b'\'' && b == b'$' && bytes.get(i + 1) == Some(&b'{') {
            if build && !current.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut current)));
            }
            let mut depth = 0usize;
            let expr_start = i + 2;
            let mut j = expr_start;
            while j < bytes.len() {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' if depth == 0 => break,
                    b'}' => depth -= 1,
                    b'\n' => break,
                    _ => {}
                }
                j += 1;
            }
            if build {
                parts.push(Part::Interpolation(
                    text[expr_start..j.min(bytes.len())].trim().to_string(),
                ));
            }
            i = (j + 1).min(bytes.len());
            continue;
        }
        // A run of plain characters at once: up to the next quote, escape, line end or `$`.
        let run = bytes[i + 1..]
            .iter()
            .position(|&c| c == quote || c == b'\\' || c == b'\n' || c == b'$')
            .map_or(bytes.len(), |n| i + 1 + n);
        if build {
            current.push_str(&text[i..run]);
        }
        i = run;
    }
    if build && (!current.is_empty() || parts.is_empty()) {
        parts.push(Part::Text(current));
    }
    (
        Str {
            parts,
            range: TextRange::new(start, i),
            content: TextRange::new(start + 1, end_of_content.max(start + 1)),
        },
        i,
    )
}

/// A cursor over tokens with the value grammar both languages share.
pub(crate) struct Parser<'t> {
    pub tokens: &'t [Token<'t>],
    pub pos: usize,
    text: &'t str,
}

impl<'t> Parser<'t> {
    pub fn new(text: &'t str, tokens: &'t [Token<'t>]) -> Self {
        Parser {
            tokens,
            pos: 0,
            text,
        }
    }

    pub fn peek(&self) -> Option<&'t Token<'t>> {
        self.tokens.get(self.pos)
    }

    pub fn next(&mut self) -> Option<&'t Token<'t>> {
        let token = self.tokens.get(self.pos);
        self.pos += usize::from(token.is_some());
        token
    }

    pub fn at_punct(&self, c: char) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Punct(p), .. }) if *p == c)
    }

    pub fn skip_newlines(&mut self) {
        while matches!(
            self.peek(),
            Some(Token {
                tok: Tok::Newline,
                ..
            })
        ) {
            self.pos += 1;
        }
    }

    /// A value: object, array, string or expression (up to a newline, `,`, `}` or `]` at depth 0).
    pub fn value(&mut self) -> Node {
        self.skip_newlines();
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Punct('{')) => Node::Object(self.object()),
            Some(Tok::Punct('[')) => self.array(),
            Some(Tok::Str(_)) if self.expression_is_single_token() => match self.next() {
                Some(Token {
                    tok: Tok::Str(s), ..
                }) => Node::Str(s.read(self.text)),
                _ => self.expression(),
            },
            _ => self.expression(),
        }
    }

    /// Whether the token after the current one ends the value (so a string stands alone and
    /// `'a' == x ? … : …` stays an expression).
    fn expression_is_single_token(&self) -> bool {
        matches!(
            self.tokens.get(self.pos + 1).map(|t| &t.tok),
            None | Some(Tok::Newline) | Some(Tok::Punct(',' | '}' | ']' | ')'))
        )
    }

    pub fn object(&mut self) -> Object {
        let start = self.next().map_or(0, |t| t.range.start);
        let mut entries = Vec::new();
        loop {
            self.skip_newlines();
            while self.at_punct(',') {
                self.pos += 1;
                self.skip_newlines();
            }
            let Some(token) = self.peek() else {
                return Object {
                    entries,
                    range: TextRange::new(start, self.text.len()),
                };
            };
            match &token.tok {
                Tok::Punct('}') => {
                    self.pos += 1;
                    return Object {
                        entries,
                        range: TextRange::new(start, token.range.end),
                    };
                }
                Tok::Punct(']') | Tok::Punct(')') => {
                    // Unbalanced: the object ends here.
                    return Object {
                        entries,
                        range: TextRange::new(start, token.range.start),
                    };
                }
                Tok::Ident(_) | Tok::Str(_) => {
                    let (key, key_range) = match &token.tok {
                        Tok::Ident(name) => (name.to_string(), token.range),
                        Tok::Str(s) => (s.literal(self.text).unwrap_or_default(), s.content()),
                        _ => unreachable_key(),
                    };
                    self.pos += 1;
                    if self.at_punct(':') {
                        self.pos += 1;
                        let value = self.value();
                        entries.push(Entry {
                            key,
                            key_range,
                            value,
                        });
                    } else if key == "resource" {
                        // A nested resource: kept as an entry `resource <symbol> <type>`.
                        if let Some(entry) = self.nested_resource(key_range) {
                            entries.push(entry);
                        }
                    } else {
                        self.skip_statement();
                    }
                }
                _ => self.skip_statement(),
            }
        }
    }

    /// After the `resource` keyword: `sym 'Type@version' [existing] = [if (…)] {…}`.
    pub fn nested_resource(&mut self, at: TextRange) -> Option<Entry> {
        let symbol = match self.next().map(|t| &t.tok) {
            Some(Tok::Ident(symbol)) => symbol.to_string(),
            _ => {
                self.skip_statement();
                return None;
            }
        };
        let type_name = match self.next().map(|t| &t.tok) {
            Some(Tok::Str(s)) => s.literal(self.text).unwrap_or_default(),
            _ => {
                self.skip_statement();
                return None;
            }
        };
        let mut existing = false;
        while let Some(token) = self.peek() {
            match &token.tok {
                Tok::Ident(word) if *word == "existing" => existing = true,
                Tok::Punct('=') => {
                    self.pos += 1;
                    break;
                }
                Tok::Newline => return None,
                _ => {}
            }
            self.pos += 1;
        }
        self.skip_condition();
        let value = self.value();
        let flag = if existing { " existing" } else { "" };
        Some(Entry {
            key: format!("resource {symbol} {type_name}{flag}"),
            key_range: at,
            value,
        })
    }

    /// `if (…)` before a conditional resource or module body.
    pub fn skip_condition(&mut self) {
        if matches!(self.peek().map(|t| &t.tok), Some(Tok::Ident(word)) if *word == "if") {
            self.pos += 1;
            let mut depth = 0usize;
            while let Some(token) = self.peek() {
                match token.tok {
                    Tok::Punct('(') => depth += 1,
                    Tok::Punct(')') => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            self.pos += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                self.pos += 1;
            }
        }
    }

    /// Skips one statement: up to a newline outside brackets, or a `}` that closes the
    /// enclosing object (left for the caller).
    pub fn skip_statement(&mut self) {
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            match token.tok {
                Tok::Newline if depth == 0 => {
                    self.pos += 1;
                    return;
                }
                Tok::Punct('{' | '[' | '(') => depth += 1,
                Tok::Punct('}' | ']' | ')') => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn array(&mut self) -> Node {
        let start = self.next().map_or(0, |t| t.range.start);
        let mut items = Vec::new();
        // `[for x in xs: {…}]`: skip the loop header.
        if matches!(self.peek().map(|t| &t.tok), Some(Tok::Ident(word)) if *word == "for") {
            while let Some(token) = self.peek() {
                if token.tok == Tok::Punct(':') || token.tok == Tok::Punct(']') {
                    break;
                }
                self.pos += 1;
            }
            if self.at_punct(':') {
                self.pos += 1;
            }
        }
        loop {
            self.skip_newlines();
            while self.at_punct(',') {
                self.pos += 1;
                self.skip_newlines();
            }
            match self.peek() {
                None => {
                    return Node::Array {
                        items,
                        range: TextRange::new(start, self.text.len()),
                    };
                }
                Some(token) if token.tok == Tok::Punct(']') => {
                    self.pos += 1;
                    return Node::Array {
                        items,
                        range: TextRange::new(start, token.range.end),
                    };
                }
                Some(token) if matches!(token.tok, Tok::Punct('}') | Tok::Punct(')')) => {
                    return Node::Array {
                        items,
                        range: TextRange::new(start, token.range.start),
                    };
                }
                Some(_) => {
                    let before = self.pos;
                    items.push(self.value());
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    fn expression(&mut self) -> Node {
        let start_pos = self.pos;
        let mut depth = 0usize;
        let mut children = Vec::new();
        let mut end = self.peek().map_or(self.text.len(), |t| t.range.start);
        let start = end;
        while let Some(token) = self.peek() {
            match &token.tok {
                Tok::Newline | Tok::Punct(',') if depth == 0 => break,
                Tok::Punct('}' | ']') if depth == 0 => break,
                Tok::Punct(')') if depth == 0 => break,
                Tok::Punct('(') => {
                    depth += 1;
                    self.pos += 1;
                }
                Tok::Punct(')') => {
                    depth -= 1;
                    self.pos += 1;
                }
                Tok::Punct('{') => {
                    let object = self.object();
                    end = object.range.end;
                    children.push(Node::Object(object));
                    continue;
                }
                Tok::Punct('[') => {
                    // An index (`x[0]`) or an array literal: read it as an array either way.
                    let array = self.array();
                    end = array.range().end;
                    children.push(array);
                    continue;
                }
                Tok::Str(s) => {
                    children.push(Node::Str(s.read(self.text)));
                    self.pos += 1;
                }
                Tok::Newline => self.pos += 1,
                _ => self.pos += 1,
            }
            end = token.range.end;
        }
        if self.pos == start_pos {
            // Nothing readable here (a stray `)`): consume it so the caller moves on.
            if let Some(token) = self.next() {
                end = token.range.end;
            }
        }
        let range = TextRange::new(start, end.max(start));
        Node::Expr {
            text: self.text[range.start..range.end].to_string(),
            range,
            children,
        }
    }
}

fn unreachable_key() -> (String, TextRange) {
    (String::new(), TextRange::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let tokens = tokenize(text);
        Parser::new(text, &tokens).value()
    }

    #[test]
    fn reads_bicep_objects_with_comments_interpolation_and_expressions() {
        let text = "{\n  // a comment\n  name: 'pg-${suffix}'\n  scope: web\n  properties: {\n    clientType: 'django' /* inline */\n    list: [\n      'a'\n      { b: 1 }\n    ]\n    settings: union(base, {\n      KEY: 'v'\n    })\n  }\n}";
        let node = parse(text);
        let object = node.as_object().unwrap();
        let name = object.get("name").unwrap().as_str().unwrap();
        assert_eq!(name.literal(), None);
        assert_eq!(name.parts[1], Part::Interpolation("suffix".into()));
        assert!(matches!(object.get("scope"), Some(Node::Expr { text, .. }) if text == "web"));
        let client = object.path(&["properties", "clientType"]).unwrap();
        let client = client.as_str().unwrap();
        assert_eq!(client.literal().as_deref(), Some("django"));
        assert_eq!(&text[client.content.start..client.content.end], "django");
        let mut found = false;
        node.walk(&mut |n| {
            if let Some(o) = n.as_object()
                && o.get("KEY").is_some()
            {
                found = true;
            }
        });
        assert!(found, "objects inside calls are read");
    }

    #[test]
    fn a_string_token_reads_as_the_full_walk_does() {
        let text = "{\"a\": \"x\\\"y\", \"b\": \"plain $ {x}\", \"u\": \"\\u00e9\", \"open\": \"to the line\n\
            'c': 'x${y}z', 'd': 'it''s', e: '$ and \u{e9}', m: '''multi\n${line}''', n: \"\", o: '', p: 'unterminated";
        let mut strings = 0;
        for token in tokenize(text) {
            let Tok::Str(s) = token.tok else { continue };
            strings += 1;
            let full = match s.quote {
                Quote::Single => read_string(text, s.range.start, b'\'', true).0,
                Quote::Double => read_string(text, s.range.start, b'"', true).0,
                Quote::Triple => Str {
                    parts: vec![Part::Text(text[s.content.start..s.content.end].to_string())],
                    range: s.range,
                    content: s.content,
                },
            };
            let read = s.read(text);
            assert_eq!(read, full, "{}", &text[s.range.start..s.range.end]);
            assert_eq!(s.literal(text), full.literal());
            assert_eq!(s.content(), full.content);
        }
        assert_eq!(strings, 18, "every literal above is a token");
    }

    #[test]
    fn reads_json_and_never_panics_on_broken_input() {
        let node = parse(r#"{"a": {"b": "c\"d", "n": [1, 2]}, "e": "[parameters('x')]"}"#);
        let object = node.as_object().unwrap();
        assert_eq!(
            object
                .path(&["a", "b"])
                .unwrap()
                .as_str()
                .unwrap()
                .literal(),
            Some("c\"d".into())
        );
        for broken in [
            "{",
            "}",
            "{ a: ",
            "[",
            "{ a: 'x",
            "{ a: b(c, { d: ",
            "'''",
            "${",
            "{ 'a' }",
            ")(",
            "{ a: [for x in y: { b: x }] }",
            "\u{e9}{\u{e9}: '\u{e9}'}",
        ] {
            let _ = parse(broken);
        }
    }
}

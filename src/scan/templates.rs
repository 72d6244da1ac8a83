//! Connection strings built from templates whose slots are names bound to string constants in
//! the same file: `PW = "…"` then `f"postgresql://app:{PW}@host/db"` (Python f-strings and
//! `.format`, JavaScript templates, C# interpolation), `fmt.Sprintf("…password=%s…", pw)` and
//! `"…" % (…)` (printf slots), and `"…password=" + pw + "…"` (concatenation in any language).
//!
//! Text-level and flow-insensitive like the regex scanner: a name bound to exactly one plain,
//! single-line string constant in the file stands for that constant; a slot that is anything
//! else stays as written (`{host}`, `%s`), which no rule takes for a real value. Only templates
//! where at least one constant went in are recorded. Linear: each template looks at most
//! [`MAX_TAIL`] bytes after itself.

use super::{BuiltConnectionString, Language, Scan, built_in_regex};
use crate::text::TextRange;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// How far after a template its arguments or concatenated pieces are looked for.
const MAX_TAIL: usize = 2048;
/// More templates than this in one file is generated code: not resolved.
const MAX_TEMPLATES: usize = 256;

/// `NAME = "value"` in its usual spellings: Python/Ruby (`NAME = …`, `NAME: str = …`), JavaScript
/// (`const`/`let`/`var`), Go (`:=`, `const`, `var NAME string = …`), C#/Java/Kotlin
/// (`private static final String NAME = …`, `const string`, `val`), PHP (`$name = …`); the value
/// a plain literal on one line, the statement ending with it.
static CONSTANT: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r#"(?m)(?:^|[;{])[ \t]*(?:(?:export|public|private|protected|internal|static|final|readonly|const|let|var|val|string|String|str)[ \t]+)*(\$?[A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[ \t]*[A-Za-z_][A-Za-z0-9_<>\[\]?]*[ \t]*|[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*)?:?=[ \t]*(?:"([^"\\\n]*)"|'([^'\\\n]*)'|`([^`\\\n$]*)`)[ \t]*(?:;|,|\r?$|#|//)"#,
    )
});

/// A slot naming its value: `{name}`, `${name}`, `{name!r}`, `{name:>10}`, `{ name }`,
/// `%(name)s`; `{}`/`{0}`/`%s`/`%v`/`%d` take the arguments in order (or by index).
static SLOT: LazyLock<Regex> = LazyLock::new(|| {
    built_in_regex(
        r"\$?\{\s*(?P<name>[A-Za-z_$][A-Za-z0-9_.$]*)?\s*(?P<index>[0-9]+)?\s*(?:[:!][^{}]*)?\}|%\((?P<key>[A-Za-z_][A-Za-z0-9_]*)\)[sdr]|%[svdq]",
    )
});

/// The constants of a file: names bound to exactly one value.
fn constants(text: &str) -> HashMap<&str, (&str, TextRange)> {
    let mut found: HashMap<&str, Option<(&str, TextRange)>> = HashMap::new();
    for captures in CONSTANT.captures_iter(text) {
        let (Some(name), Some(value)) = (
            captures.get(1),
            captures.get(2).or(captures.get(3)).or(captures.get(4)),
        ) else {
            continue;
        };
        let entry = (value.as_str(), TextRange::new(value.start(), value.end()));
        found
            .entry(name.as_str())
            .and_modify(|known| {
                if known.is_some_and(|(v, _)| v != entry.0) {
                    *known = None;
                }
            })
            .or_insert(Some(entry));
    }
    found
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect()
}

/// Fills [`StringLiteral::built`](super::StringLiteral::built) of a scan's connection-string literals.
pub(crate) fn resolve(language: Language, text: &str, scan: &mut Scan) {
    if scan.string_literals.is_empty() || scan.string_literals.len() > MAX_TEMPLATES {
        return;
    }
    let constants = constants(text);
    if constants.is_empty() {
        return;
    }
    for literal in &mut scan.string_literals {
        let resolver = Resolver {
            language,
            text,
            constants: &constants,
            used: Vec::new(),
        };
        literal.built = resolver
            .build(literal.range, literal.value_range)
            .map(Box::new);
    }
}

struct Resolver<'a> {
    language: Language,
    text: &'a str,
    constants: &'a HashMap<&'a str, (&'a str, TextRange)>,
    /// The constants that went in: (name, the constant's literal content).
    used: Vec<(String, TextRange)>,
}

impl<'a> Resolver<'a> {
    fn byte(&self, at: usize) -> u8 {
        self.text.as_bytes().get(at).copied().unwrap_or(0)
    }

    fn skip_ws(&self, mut at: usize) -> usize {
        while matches!(self.byte(at), b' ' | b'\t' | b'\r' | b'\n') {
            at += 1;
        }
        at
    }

    /// The constant an expression names (`pw`, `self.pw`, `Config.PASSWORD`, `$pw`).
    fn constant(&mut self, expression: &str) -> Option<&'a str> {
        let expression = expression.trim();
        if expression.is_empty()
            || !expression
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$'))
        {
            return None;
        }
        let last = expression.rsplit('.').next().unwrap_or(expression);
        let &(value, range) = self
            .constants
            .get(expression)
            .or_else(|| self.constants.get(last))?;
        self.used.push((expression.to_owned(), range));
        Some(value)
    }

    fn build(mut self, range: TextRange, content: TextRange) -> Option<BuiltConnectionString> {
        let template = self.text.get(content.start..content.end)?;
        let arguments = self.arguments(range.end);
        let mut out = String::with_capacity(template.len());
        let mut last = 0;
        let mut position = 0usize;
        for captures in SLOT.captures_iter(template) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            out.push_str(&template[last..whole.start()]);
            last = whole.end();
            let named = captures
                .name("name")
                .or(captures.name("key"))
                .map(|m| m.as_str());
            let value = match (named, captures.name("index")) {
                (Some(name), _) => arguments
                    .as_ref()
                    .and_then(|a| a.keyword(name))
                    .map_or(name, |v| v)
                    .to_owned(),
                (None, Some(index)) => index
                    .as_str()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| arguments.as_ref()?.positional.get(i).copied())
                    .unwrap_or("")
                    .to_owned(),
                (None, None) => {
                    position += 1;
                    arguments
                        .as_ref()
                        .and_then(|a| a.positional.get(position - 1).copied())
                        .unwrap_or("")
                        .to_owned()
                }
            };
            match self.constant(&value) {
                Some(constant) => out.push_str(constant),
                None => out.push_str(whole.as_str()),
            }
        }
        out.push_str(&template[last..]);
        self.concatenated(range.end, &mut out);
        if self.used.is_empty() {
            return None;
        }
        Some(BuiltConnectionString {
            resolved: out,
            constants: self.used,
        })
    }

    /// `"…" + pw + "…"` (PHP `.`): appends the pieces, constants resolved, anything else as a
    /// slot (`{…}`).
    fn concatenated(&mut self, mut at: usize, out: &mut String) {
        let limit = (at + MAX_TAIL).min(self.text.len());
        let joiner = if self.language == Language::Php {
            b'.'
        } else {
            b'+'
        };
        loop {
            let next = self.skip_ws(at);
            if next >= limit || self.byte(next) != joiner || self.byte(next + 1) == b'=' {
                return;
            }
            let piece = self.skip_ws(next + 1);
            if matches!(self.byte(piece), b'"' | b'\'') {
                let quote = self.byte(piece);
                let Some(end) = self.text[piece + 1..limit]
                    .find([quote as char, '\\', '\n'])
                    .map(|e| piece + 1 + e)
                else {
                    return;
                };
                if self.byte(end) != quote {
                    return;
                }
                out.push_str(&self.text[piece + 1..end]);
                at = end + 1;
                continue;
            }
            let mut end = piece;
            while end < limit
                && (self.byte(end).is_ascii_alphanumeric()
                    || matches!(self.byte(end), b'_' | b'.' | b'$'))
            {
                end += 1;
            }
            if end == piece {
                return;
            }
            let expression = &self.text[piece..end];
            if matches!(self.byte(self.skip_ws(end)), b'(' | b'[') {
                // A call or a subscript: not a constant, and its end is not followed here.
                out.push_str("{…}");
                return;
            }
            match self.constant(expression) {
                Some(constant) => out.push_str(constant),
                None => {
                    out.push('{');
                    out.push_str(expression);
                    out.push('}');
                }
            }
            at = end;
        }
    }

    /// The arguments formatting the template that ends at `end`: `, a, b)` (Sprintf,
    /// `String.format`, `printf`), `.format(a, k=b)`, `% (a, b)` / `% a`.
    fn arguments(&self, end: usize) -> Option<Arguments<'a>> {
        let at = self.skip_ws(end);
        let rest = self.text.get(at..)?;
        let start = if rest.starts_with(',') {
            at + 1
        } else if rest.starts_with(".format(") {
            at + ".format(".len()
        } else if rest.starts_with('%') && self.language == Language::Python {
            let inner = self.skip_ws(at + 1);
            if self.byte(inner) != b'(' {
                let mut stop = inner;
                while self.byte(stop).is_ascii_alphanumeric()
                    || matches!(self.byte(stop), b'_' | b'.')
                {
                    stop += 1;
                }
                return Some(Arguments {
                    positional: vec![self.text.get(inner..stop)?],
                    keywords: Vec::new(),
                });
            }
            inner + 1
        } else {
            return None;
        };
        let limit = (start + MAX_TAIL).min(self.text.len());
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        let mut depth = 0usize;
        let mut piece = start;
        let mut at = start;
        while at < limit {
            match self.byte(at) {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth > 0 => depth -= 1,
                b',' | b')' | b']' | b'}' if depth == 0 => {
                    let argument = self.text.get(piece..at)?.trim();
                    match argument.split_once('=') {
                        Some((key, value))
                            if !value.starts_with('=')
                                && key
                                    .trim()
                                    .bytes()
                                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
                        {
                            keywords.push((key.trim(), value.trim()));
                        }
                        _ if !argument.is_empty() => positional.push(argument),
                        _ => {}
                    }
                    if self.byte(at) != b',' {
                        break;
                    }
                    piece = at + 1;
                }
                b'"' | b'\'' | b'`' => {
                    // Skip a string argument as a whole.
                    let quote = self.byte(at);
                    at += 1;
                    while at < limit && self.byte(at) != quote && self.byte(at) != b'\n' {
                        at += usize::from(self.byte(at) == b'\\') + 1;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        Some(Arguments {
            positional,
            keywords,
        })
    }
}

struct Arguments<'a> {
    positional: Vec<&'a str>,
    keywords: Vec<(&'a str, &'a str)>,
}

impl<'a> Arguments<'a> {
    fn keyword(&self, name: &str) -> Option<&'a str> {
        self.keywords
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Language, scan};

    fn built(language: Language, text: &str) -> Vec<String> {
        scan(language, text)
            .string_literals
            .into_iter()
            .filter_map(|l| Some(l.built?.resolved))
            .collect()
    }

    #[test]
    fn constants_fill_templates_in_every_shape() {
        let python = "DB_PASSWORD = \"Kx9-prod-pw\"\nurl = f\"postgresql://app:{DB_PASSWORD}@{host}/db?sslmode=require\"\n";
        assert_eq!(
            built(Language::Python, python),
            ["postgresql://app:Kx9-prod-pw@{host}/db?sslmode=require"]
        );
        let format = "pw = 'Kx9-prod-pw'\ndsn = 'postgresql://app:{}@h.postgres.database.azure.com/db'.format(pw)\n";
        assert_eq!(
            built(Language::Python, format),
            ["postgresql://app:Kx9-prod-pw@h.postgres.database.azure.com/db"]
        );
        let js = "const password = \"Kx9-prod-pw\";\nconst url = `postgres://app:${password}@${host}/db`;\n";
        assert_eq!(
            built(Language::JavaScript, js),
            ["postgres://app:Kx9-prod-pw@${host}/db"]
        );
        let go = "package main\nconst dbPassword = \"Kx9-prod-pw\"\nfunc dsn(host string) string {\n\treturn fmt.Sprintf(\"host=%s user=app password=%s dbname=db\", host, dbPassword)\n}\n";
        assert_eq!(
            built(Language::Go, go),
            ["host=%s user=app password=Kx9-prod-pw dbname=db"]
        );
        let csharp = "const string Password = \"Kx9-prod-pw\";\nvar cs = $\"Host={host};Username=app;Password={Password};Database=db\";\n";
        assert_eq!(
            built(Language::CSharp, csharp),
            ["Host={host};Username=app;Password=Kx9-prod-pw;Database=db"]
        );
        let java = "private static final String PASSWORD = \"Kx9-prod-pw\";\nString url = \"jdbc:postgresql://h.postgres.database.azure.com:5432/db?user=app&password=\" + PASSWORD + \"&sslmode=require\";\n";
        assert_eq!(
            built(Language::Java, java),
            [
                "jdbc:postgresql://h.postgres.database.azure.com:5432/db?user=app&password=Kx9-prod-pw&sslmode=require"
            ]
        );
    }

    #[test]
    fn nothing_without_a_constant() {
        let python =
            "import os\npw = os.environ['PW']\nurl = f\"postgresql://app:{pw}@{host}/db\"\n";
        assert!(built(Language::Python, python).is_empty());
        let twice = "pw = 'a-one'\npw = 'b-two'\nurl = f\"postgresql://app:{pw}@host/db\"\n";
        assert!(built(Language::Python, twice).is_empty());
    }
}

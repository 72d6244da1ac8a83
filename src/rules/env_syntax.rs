//! `env-syntax`: a .env line that loaders reject or misread.

use crate::analysis::{Context, File, is_within};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::dotenv::EnvFile;
use crate::dotenv::loader::{self, Loader};
use crate::rules::Rule;

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

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, env) in context.env_files() {
        let (loader, source) = loader_for(context, file);
        for finding in loader::judge(loader, file.text, env) {
            let mut diagnostic = Diagnostic::new(
                Rule::EnvSyntax,
                file.path,
                finding.range,
                format!(
                    "{} (judged as {}{})",
                    finding.message,
                    loader.name(),
                    source.map_or_else(
                        || ", the loader being unknown".to_string(),
                        |source| format!(", from {source}")
                    )
                ),
            );
            if !finding.rejects {
                diagnostic.severity = Severity::Warning;
            }
            if let Some(fix) = fix_line(file.path, file.text, finding.range.start) {
                diagnostic = diagnostic.with_fix(fix);
            }
            out.push(diagnostic);
        }
    }
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
pub(crate) fn rejected_lines(context: &Context, file: &File, env: &EnvFile) -> Vec<usize> {
    let (loader, _) = loader_for(context, file);
    loader::judge(loader, file.text, env)
        .into_iter()
        .filter(|finding| finding.rejects)
        .map(|finding| finding.line)
        .collect()
}

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
fn fix_line(path: &str, text: &str, at: usize) -> Option<Fix> {
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
    if safe {
        let parsed = crate::dotenv::parse(&new_line);
        safe = parsed.errors.is_empty()
            && LOADERS
                .iter()
                .all(|loader| crate::dotenv::loader::judge(*loader, &new_line, &parsed).is_empty());
    }
    if new_line == raw {
        return None;
    }
    let edits = crate::rules::fixes::minimal_edits(path, line.start, raw, &new_line);
    Some(Fix {
        title: if safe {
            "Quote the value so every loader reads it as written".to_owned()
        } else {
            "Rewrite the line in quoting every loader reads alike (review the value)".to_owned()
        },
        edits,
        applicability: if safe {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        },
    })
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
            let sure =
                !value.contains(['\\', '"', '\'']) && !value.contains("${") || well_braced(value);
            (braced(value), comment, true, sure)
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
        let fix = fix_line(".env", &text, 0)?;
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
        ];
        for (line, expected, applicability) in table {
            let (new_text, got) = fixed(line).unwrap_or_else(|| panic!("no fix for {line}"));
            assert_eq!(new_text, *expected, "{line}");
            assert_eq!(got, *applicability, "{line}");
        }
    }

    #[test]
    fn the_value_is_masked_where_it_is_shown() {
        let text = "NEON_POSTGRESQL_PASSWORD=\"npg_Xyz123example\n";
        let fix = fix_line(".env", text, 0).unwrap();
        assert!(!fix.edits.is_empty());
        for edit in &fix.edits {
            assert!(!edit.shown_text().contains("Xyz"), "{edit:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

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

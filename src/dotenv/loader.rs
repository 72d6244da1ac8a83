//! Loader dialects: the same .env line is fine for one loader and rejected or misread by
//! another. [`parse`](super::parse) reads a file the way dotenvy does; [`judge`] re-weighs its
//! findings for the loader the app actually uses, and adds what only that loader gets wrong.
//!
//! - An unquoted value with spaces (`APP_NAME=Corner Books`) is read whole by python-dotenv,
//!   Node's dotenv, godotenv, DotNetEnv, Ruby dotenv and docker compose; dotenvy and
//!   vlucas/phpdotenv reject it.
//! - `$KEY1_2` is read as `$KEY1` + `_2` only by dotenvy.
//! - Glued quoting (`'a '\''b'`, shell style) is rejected by python-dotenv ("could not parse
//!   statement"); dotenvy concatenates the pieces.
//! - A malformed `${…}` (`${ABC-$BAR}`, `${BAR!}`, `${FOO${BAR}`) is accepted and read as an
//!   empty value by the loaders that expand `${…}`.
//!
//! Severity follows the effect: a line the loader rejects is an error, a line it accepts but
//! misreads is a warning.

use super::{EnvFile, EnvSyntaxErrorKind, Quote};
use crate::text::TextRange;
use std::collections::HashSet;

/// The library that reads the .env file into the process environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loader {
    /// Rust's dotenvy: the parser of this module, used when the loader is unknown.
    Dotenvy,
    /// python-dotenv (also what django-environ, environs and pydantic-settings accept).
    PythonDotenv,
    /// Node's dotenv (also Next.js/Vite env loading and `node --env-file`).
    NodeDotenv,
    /// github.com/joho/godotenv.
    GoDotenv,
    /// DotNetEnv for .NET.
    DotNetEnv,
    /// vlucas/phpdotenv (Laravel, Slim).
    PhpDotenv,
    /// The dotenv gem.
    RubyDotenv,
    /// docker compose `env_file:`.
    Compose,
}

impl Loader {
    pub fn name(self) -> &'static str {
        match self {
            Loader::Dotenvy => "dotenvy",
            Loader::PythonDotenv => "python-dotenv",
            Loader::NodeDotenv => "Node's dotenv",
            Loader::GoDotenv => "godotenv",
            Loader::DotNetEnv => "DotNetEnv",
            Loader::PhpDotenv => "vlucas/phpdotenv",
            Loader::RubyDotenv => "Ruby dotenv",
            Loader::Compose => "docker compose env_file",
        }
    }

    /// The loader a manifest declares, by the manifest's file name and text: `None` when it
    /// names no .env loader.
    pub fn from_manifest(file_name: &str, text: &str) -> Option<Loader> {
        let lower = text.to_ascii_lowercase();
        let has = |needle: &str| lower.contains(needle);
        match file_name {
            "package.json" => Some(Loader::NodeDotenv),
            "go.mod" => has("github.com/joho/godotenv").then_some(Loader::GoDotenv),
            "composer.json" => {
                (has("vlucas/phpdotenv") || has("laravel/framework")).then_some(Loader::PhpDotenv)
            }
            "Gemfile" => has("dotenv").then_some(Loader::RubyDotenv),
            name if name.ends_with(".csproj") => has("dotnetenv").then_some(Loader::DotNetEnv),
            name if (name.starts_with("requirements") && name.ends_with(".txt"))
                || matches!(name, "pyproject.toml" | "Pipfile" | "setup.py") =>
            {
                [
                    "python-dotenv",
                    "django-environ",
                    "environs",
                    "pydantic-settings",
                    "python-decouple",
                ]
                .iter()
                .any(|package| has(package))
                .then_some(Loader::PythonDotenv)
            }
            _ => None,
        }
    }

    /// Reads an unquoted value with inner spaces as written.
    fn accepts_unquoted_spaces(self) -> bool {
        !matches!(self, Loader::Dotenvy | Loader::PhpDotenv)
    }

    /// Expands `${NAME}` in unquoted and double-quoted values.
    fn expands_braces(self) -> bool {
        !matches!(self, Loader::NodeDotenv | Loader::DotNetEnv)
    }
}

/// One finding about a line, for the loader in use. It borrows the parsed file: its message
/// is worded only when asked ([`LoaderFinding::message`]), so a file with 146,000 broken lines
/// words the few the rules list, not every one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoaderFinding<'a> {
    pub range: TextRange,
    /// 0-based line.
    pub line: usize,
    /// The loader rejects the line, or loses the entries after it to an unclosed quote (an
    /// error); otherwise it reads the line but misreads it (a warning).
    pub rejects: bool,
    what: What<'a>,
}

/// What a [`LoaderFinding`] is about, for its message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum What<'a> {
    /// An error of the parser, which reads as dotenvy does.
    Parsed(&'a super::EnvSyntaxError),
    /// Shell-style quoted pieces glued together, which python-dotenv cannot parse.
    GluedQuotes { key: &'a str },
    /// A `${…}` the loader does not understand (`written`), read as empty.
    MalformedBrace {
        written: &'a str,
        loader: Loader,
        key: &'a str,
    },
}

impl LoaderFinding<'_> {
    /// The parser's kind of error behind the finding, if the parser found it.
    pub fn kind(&self) -> Option<EnvSyntaxErrorKind> {
        match self.what {
            What::Parsed(error) => Some(error.kind),
            _ => None,
        }
    }

    /// What is wrong and how to fix it, in words.
    pub fn message(&self) -> String {
        match self.what {
            What::Parsed(error) => {
                if error.help.is_empty() {
                    error.message.clone()
                } else {
                    format!("{}: {}", error.message, error.help)
                }
            }
            What::GluedQuotes { key } => format!(
                "python-dotenv cannot parse {key}'s value: quoted pieces glued together (shell-style `'a '\\''b'`) are not python-dotenv syntax, so it skips the line: write one double-quoted value (`\"a 'b\"`)"
            ),
            What::MalformedBrace {
                written,
                loader,
                key,
            } => format!(
                "`{written}` is not a variable reference {} understands, so {key} reads it as an empty value: write `${{NAME}}` or `${{NAME:-default}}`",
                loader.name()
            ),
        }
    }
}

/// The findings for `env` (parsed from `text`) under `loader`.
pub fn judge<'a>(loader: Loader, text: &'a str, env: &'a EnvFile) -> Vec<LoaderFinding<'a>> {
    let mut out = Vec::new();
    for error in &env.errors {
        let kind = error.kind;
        if kind == EnvSyntaxErrorKind::TextAfterValue
            && loader.accepts_unquoted_spaces()
            && unquoted_value_at(text, error.range.start)
        {
            continue;
        }
        if kind == EnvSyntaxErrorKind::BareVariableNameCut && loader != Loader::Dotenvy {
            continue;
        }
        out.push(LoaderFinding {
            range: error.range,
            line: error.line,
            // An unclosed quote that swallows the following entries loses them as surely as a
            // rejected line does: an error too.
            rejects: kind.loader_rejects()
                || matches!(
                    kind,
                    EnvSyntaxErrorKind::QuotedValueSwallowsEntries
                        | EnvSyntaxErrorKind::QuoteJoinsFollowingLines
                ),
            what: What::Parsed(error),
        });
    }
    // The lines reported so far, looked up per entry: searching `out` instead was quadratic
    // (146,000 lines with a malformed `${…}` each).
    let mut reported: HashSet<usize> = out.iter().map(|finding| finding.line).collect();
    for entry in &env.entries {
        if !reported.insert(entry.line) {
            continue;
        }
        if loader == Loader::PythonDotenv && entry.quote == Quote::Mixed {
            out.push(LoaderFinding {
                range: entry.value_range,
                line: entry.line,
                rejects: true,
                what: What::GluedQuotes { key: &entry.key },
            });
            continue;
        }
        if !loader.expands_braces() || entry.quote == Quote::Single {
            continue;
        }
        let raw = text
            .get(entry.value_range.start..entry.value_range.end)
            .unwrap_or("");
        if let Some((at, len)) = malformed_brace(raw, loader) {
            let start = entry.value_range.start + at;
            out.push(LoaderFinding {
                range: TextRange::new(start, start + len),
                line: entry.line,
                rejects: false,
                what: What::MalformedBrace {
                    written: &raw[at..at + len],
                    loader,
                    key: &entry.key,
                },
            });
        }
    }
    out.sort_by_key(|finding| (finding.range.start, finding.range.end));
    out
}

/// Whether the value on the line holding `offset` starts without a quote (`KEY=a b`).
fn unquoted_value_at(text: &str, offset: usize) -> bool {
    let line_start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |at| at + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    line.split_once('=')
        .is_some_and(|(_, value)| !value.trim_start().starts_with(['"', '\'', '`']))
}

/// The first malformed `${…}` in a raw value: its offset and length. Well formed is
/// `${NAME}` and `${NAME:-default}` (compose also `-`, `?`, `:?`, `+`, `:+`), with `NAME` a
/// shell identifier and no `${` inside.
fn malformed_brace(raw: &str, loader: Loader) -> Option<(usize, usize)> {
    let mut search = 0;
    while let Some(found) = raw[search..].find("${") {
        let start = search + found;
        let body_start = start + 2;
        let close = raw[body_start..].find('}').map(|at| body_start + at);
        let end = close.map_or(raw.len(), |close| close + 1);
        let body = &raw[body_start..close.unwrap_or(raw.len())];
        if close.is_none() || !well_formed(body, loader) {
            return Some((start, end - start));
        }
        search = end;
    }
    None
}

fn well_formed(body: &str, loader: Loader) -> bool {
    let name_len = body
        .char_indices()
        .find(|&(index, c)| {
            !(c == '_' || c.is_ascii_alphabetic() || (index > 0 && c.is_ascii_digit()))
        })
        .map_or(body.len(), |(index, _)| index);
    if name_len == 0 || body.contains("${") {
        return false;
    }
    let rest = &body[name_len..];
    if rest.is_empty() || rest.starts_with(":-") {
        return true;
    }
    let compose_like = matches!(loader, Loader::Compose | Loader::Dotenvy);
    compose_like
        && ["-", "?", ":?", "+", ":+"]
            .iter()
            .any(|op| rest.starts_with(op))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(loader: Loader, text: &str) -> Vec<(usize, bool)> {
        judge(loader, text, &super::super::parse(text))
            .into_iter()
            .map(|f| (f.line + 1, f.rejects))
            .collect()
    }

    /// Messages are worded on demand from the parsed file: the parser's error with its help,
    /// the glued quotes and the malformed `${…}` naming their key.
    #[test]
    fn messages_are_worded_on_demand() {
        let text = "A=${B!}\nC='a '\\''b'\nD=\"x\n";
        let env = super::super::parse(text);
        let messages: Vec<String> = judge(Loader::PythonDotenv, text, &env)
            .iter()
            .map(LoaderFinding::message)
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("`${B!}` is not a variable reference python-dotenv"));
        assert!(messages[0].contains("so A reads it as an empty value"));
        assert!(messages[1].starts_with("python-dotenv cannot parse C's value"));
        let error = &env.errors[0];
        assert_eq!(messages[2], format!("{}: {}", error.message, error.help));
    }

    #[test]
    fn unquoted_spaces_by_loader() {
        let text = "APP_NAME=Corner Library\nDB=<database name>\n";
        for loader in [
            Loader::PythonDotenv,
            Loader::NodeDotenv,
            Loader::GoDotenv,
            Loader::DotNetEnv,
            Loader::RubyDotenv,
            Loader::Compose,
        ] {
            assert_eq!(findings(loader, text), vec![], "{loader:?}");
        }
        assert_eq!(
            findings(Loader::PhpDotenv, text),
            vec![(1, true), (2, true)]
        );
        assert_eq!(findings(Loader::Dotenvy, text), vec![(1, true), (2, true)]);
        // Text after a closing quote is not an unquoted value with spaces.
        assert_eq!(
            findings(Loader::PythonDotenv, "A=\"x\" y\n"),
            vec![(1, true)]
        );
    }

    #[test]
    fn bare_name_cut_only_for_dotenvy() {
        let text = "REGION_2=westus3\nBACKUP_REGION=$REGION_2\n";
        assert_eq!(findings(Loader::Dotenvy, text), vec![(2, false)]);
        assert_eq!(findings(Loader::GoDotenv, text), vec![]);
        assert_eq!(findings(Loader::PythonDotenv, text), vec![]);
    }

    #[test]
    fn malformed_braces_are_warnings() {
        for value in ["${ABC-$BAR}", "${BAR!}", "${FOO${BAR}", "${}"] {
            let text = format!("K={value}\n");
            assert_eq!(
                findings(Loader::PythonDotenv, &text),
                vec![(1, false)],
                "{value}"
            );
        }
        for value in [
            "${A}",
            "${A:-d}",
            "${REDIS_URL:-redis://localhost:6379/0}",
            "${A}/x${B}",
            "'${BAR!}'",
        ] {
            let text = format!("K={value}\n");
            assert_eq!(findings(Loader::PythonDotenv, &text), vec![], "{value}");
        }
        // compose knows `-` and `?` operators.
        assert_eq!(findings(Loader::Compose, "K=${A-b}\n"), vec![]);
        // Node's dotenv does not expand at all.
        assert_eq!(findings(Loader::NodeDotenv, "K=${BAR!}\n"), vec![]);
    }

    #[test]
    fn glued_quotes_rejected_by_python_dotenv() {
        let text = "BANNER='Welcome to '\\''Corner Books'\\'''\n";
        assert_eq!(findings(Loader::PythonDotenv, text), vec![(1, true)]);
        assert_eq!(findings(Loader::Dotenvy, text), vec![]);
    }

    #[test]
    fn loaders_from_manifests() {
        assert_eq!(
            Loader::from_manifest("requirements.txt", "flask\npython-dotenv==1.0.1\n"),
            Some(Loader::PythonDotenv)
        );
        assert_eq!(Loader::from_manifest("requirements.txt", "flask\n"), None);
        assert_eq!(
            Loader::from_manifest("go.mod", "require github.com/joho/godotenv v1.5.1\n"),
            Some(Loader::GoDotenv)
        );
        assert_eq!(
            Loader::from_manifest("go.mod", "require github.com/jackc/pgx/v5 v5.6.0\n"),
            None
        );
        assert_eq!(
            Loader::from_manifest(
                "composer.json",
                r#"{"require": {"vlucas/phpdotenv": "^5.6"}}"#
            ),
            Some(Loader::PhpDotenv)
        );
        assert_eq!(
            Loader::from_manifest("Api.csproj", r#"<PackageReference Include="DotNetEnv" />"#),
            Some(Loader::DotNetEnv)
        );
        assert_eq!(
            Loader::from_manifest("Gemfile", "gem \"dotenv\"\n"),
            Some(Loader::RubyDotenv)
        );
        assert_eq!(
            Loader::from_manifest("package.json", "{}"),
            Some(Loader::NodeDotenv)
        );
    }
}

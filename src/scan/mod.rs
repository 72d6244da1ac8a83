//! Source scanning: the facts the rules need from one source file, with exact byte ranges.
//!
//! [`scan`] finds every environment-variable read (all names, not only Service Connector
//! ones), the comments (for suppression comments), string literals that look like Postgres
//! connection strings, log/print calls, hand-written `split` calls, Entra token scopes, `ssl:`
//! properties and one-step assignments of env reads to locals. Nothing inside a comment or an
//! unrelated string is ever reported as code.
//!
//! It is not a parser and does not judge: the rules filter names through the catalogue and
//! decide what is wrong. The design (a small per-language byte classifier, then regexes over
//! the code with the comments and string contents masked out) and its measurements are in
//! `ARCHITECTURE.md` ("Source scanning"). .env files are parsed by the `dotenv` module, not here.

mod code;
mod config;
mod lexer;
mod shell;
mod templates;
#[cfg(test)]
mod tests;
mod tree;

use crate::needles::Needles;
use crate::text::TextRange;
use serde::Serialize;
use std::sync::LazyLock;
pub(crate) use tree::parse_bounded;

/// A language whose source files are scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Language {
    Python,
    /// JavaScript and TypeScript (all module flavours, JSX/TSX).
    JavaScript,
    Go,
    CSharp,
    Java,
    Kotlin,
    Php,
    Ruby,
    Shell,
    Dockerfile,
    Yaml,
    /// Java `.properties` files (Spring `application.properties`).
    Properties,
}

impl Language {
    pub const ALL: &'static [Language] = &[
        Language::Python,
        Language::JavaScript,
        Language::Go,
        Language::CSharp,
        Language::Java,
        Language::Kotlin,
        Language::Php,
        Language::Ruby,
        Language::Shell,
        Language::Dockerfile,
        Language::Yaml,
        Language::Properties,
    ];

    /// The language of a path, by file name or extension; `None` for files not scanned.
    pub fn for_path(path: &str) -> Option<Language> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.ends_with(".dockerfile")
            || lower == "containerfile"
        {
            return Some(Language::Dockerfile);
        }
        if name == "Rakefile" || name == "config.ru" {
            return Some(Language::Ruby);
        }
        let extension = lower.rsplit_once('.')?.1;
        Some(match extension {
            "py" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" | "cts" => Language::JavaScript,
            "go" => Language::Go,
            "cs" => Language::CSharp,
            "java" => Language::Java,
            "kt" | "kts" => Language::Kotlin,
            "php" => Language::Php,
            "rb" => Language::Ruby,
            "sh" | "bash" | "zsh" | "ksh" => Language::Shell,
            "yml" | "yaml" => Language::Yaml,
            "properties" => Language::Properties,
            _ => return None,
        })
    }

    /// Human name, as used in messages ("JavaScript/TypeScript").
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "Python",
            Language::JavaScript => "JavaScript/TypeScript",
            Language::Go => "Go",
            Language::CSharp => "C#",
            Language::Java => "Java",
            Language::Kotlin => "Kotlin",
            Language::Php => "PHP",
            Language::Ruby => "Ruby",
            Language::Shell => "shell",
            Language::Dockerfile => "Dockerfile",
            Language::Yaml => "YAML",
            Language::Properties => "Java properties",
        }
    }
}

/// Everything [`scan`] found in one file. All ranges are byte offsets into the scanned text
/// and lie on character boundaries.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Scan {
    /// Every environment-variable read, in source order.
    pub env_refs: Vec<EnvRef>,
    /// Variables a Dockerfile defines (`ENV`, `ARG`). Other languages leave this empty.
    pub env_definitions: Vec<EnvDefinition>,
    /// Every comment, in source order (suppression comments are parsed from these).
    pub comments: Vec<TextRange>,
    /// String literals whose content looks like a Postgres connection string. In YAML and
    /// .properties files, scalar/property values count as literals.
    pub string_literals: Vec<StringLiteral>,
    pub log_calls: Vec<Call>,
    pub split_calls: Vec<SplitCall>,
    pub token_scopes: Vec<TokenScope>,
    /// JavaScript/TypeScript object properties `ssl: <expr>`.
    pub ssl_properties: Vec<SslProperty>,
    pub assignments: Vec<Assignment>,
    /// Where a connection string, a parsed form of it, a password or a token is held or used,
    /// from the intra-file value-flow pass (Python and JavaScript/TypeScript only; see
    /// [`has_value_flow`]).
    pub values: Vec<ValueFact>,
    /// What depends on the platform (Python and JavaScript/TypeScript; `None` when nothing
    /// does). Boxed: most files have none.
    pub platform: Option<Box<PlatformContext>>,
}

/// A connection-string template with the constants it is built from filled in:
/// `PW = "…"` then `f"postgresql://app:{PW}@{host}/db"` (see `scan/templates.rs`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct BuiltConnectionString {
    /// The template with every constant filled in; other slots as written (`{host}`, `%s`),
    /// other concatenated expressions as `{expression}`. Holds secrets: never shown.
    pub resolved: String,
    /// The names that went in, each with the range of its constant's content.
    pub constants: Vec<(String, TextRange)>,
}

/// Debug shows where, never the resolved text (it holds the constants' values).
impl std::fmt::Debug for BuiltConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltConnectionString")
            .field("resolved", &"****")
            .field("constants", &self.constants)
            .finish()
    }
}

/// The parts of a file that depend on whether it runs on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PlatformContext {
    /// Branches that run only on the platform (App Service, Container Apps) or only off it,
    /// decided by a platform variable such as `WEBSITE_HOSTNAME`.
    pub code_paths: Vec<CodePath>,
    /// Python modules (dotted, as written: `azureproject.production`, `.production`) that this
    /// file selects or imports only on the platform path: the Django/Flask
    /// `production.py`-versus-`development.py` layout.
    pub modules: Vec<String>,
}

/// A branch of code whose running depends on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodePath {
    pub range: TextRange,
    /// `true`: runs only on App Service / Container Apps (`if os.getenv("WEBSITE_HOSTNAME")`);
    /// `false`: runs only off it (the `else` branch, local development).
    pub platform: bool,
}

/// One place where a tracked value is held or used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueFact {
    /// The expression: a name (`conn`, `self.conn`), a subscript (`conn['password']`), a member
    /// (`url.password`) or a method call on a tracked value (`conn.split(";")`).
    pub range: TextRange,
    pub kind: ValueKind,
    pub origin: ValueOrigin,
    pub role: ValueRole,
}

/// What a tracked expression holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ValueKind {
    /// A whole connection string (from the environment, a literal with a password, or built from
    /// parts that include a secret).
    ConnectionString,
    /// A parsed or split form of a connection string: a dict, a list of parts, a `URL`.
    ParsedConnection,
    Password,
    /// An access token (Entra, managed identity).
    Token,
    /// Another secret (a client secret).
    Secret,
}

/// Where a tracked value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ValueOrigin {
    /// An environment read; index into [`Scan::env_refs`].
    EnvRef(usize),
    /// A string literal in the code (a connection string with a password).
    Literal,
    /// A token request (`get_token(…)`, `getToken(…)`, `acquire_token…`).
    TokenRequest,
    /// The name or key says so (`password = …`, `conn["password"]`, `args.password`).
    Name,
}

/// Whether a fact is where the value is stored, used, or written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ValueRole {
    Definition,
    /// Any mention of the value (a receiver, an argument, a condition).
    Use,
    /// An argument of a log call evaluates to the value; the range is the expression inside
    /// the argument that holds it (`conn` in `f"… {conn}"`). `print(len(conn))` is not one.
    Logged,
}

/// One read of an environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvRef {
    /// The name as written (`&text[name_range] == name`).
    pub name: String,
    pub name_range: TextRange,
    /// The whole reading expression (`os.environ.get("X", "d")`, `${X:-d}`).
    pub expr_range: TextRange,
    pub form: RefForm,
    /// The code supplies a fallback when the variable is unset: a default argument,
    /// `${X:-d}`, a destructuring default, `ENV.fetch("X") { … }`, or an immediately following
    /// `or` / `||` / `??` / `?:`.
    pub has_default: bool,
    /// Read only on the path that runs on the platform (inside `if os.getenv("WEBSITE_HOSTNAME"):`
    /// and the like), where the platform, not a .env file, provides the variables. Python and
    /// JavaScript/TypeScript only; a file selected as a whole on that path (Django's
    /// `production.py`) is known from [`PlatformContext::modules`] of the file selecting it.
    pub platform_path: bool,
}

/// The syntactic form of an env read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RefForm {
    /// `os.environ["X"]`, `environ["X"]`, `env["X"]` after `env = os.environ`.
    PythonEnvironSubscript,
    /// `os.environ.get("X")`.
    PythonEnvironGet,
    /// `os.environ.setdefault("X", d)`.
    PythonEnvironSetdefault,
    /// `os.getenv("X")`, `getenv("X")` after `from os import getenv`.
    PythonGetenv,
    /// `process.env.X`, `import.meta.env.X`, `Bun.env.X`, `env.X` after `const env = process.env`.
    JsEnvMember,
    /// `process.env["X"]` and the same receivers as [`RefForm::JsEnvMember`].
    JsEnvSubscript,
    /// `const { X, Y: alias, Z = "d" } = process.env`.
    JsEnvDestructuring,
    /// `Deno.env.get("X")`.
    DenoEnvGet,
    /// `os.Getenv("X")`.
    GoGetenv,
    /// `os.LookupEnv("X")`.
    GoLookupEnv,
    /// `Environment.GetEnvironmentVariable("X")`.
    CSharpGetEnvironmentVariable,
    /// `System.getenv("X")` (Java and Kotlin).
    JavaGetenv,
    /// `System.getenv().get("X")`, Kotlin `System.getenv()["X"]`.
    JavaGetenvMap,
    /// `getenv('X')`.
    PhpGetenv,
    /// `$_ENV['X']`.
    PhpEnvSuperglobal,
    /// `$_SERVER['X']`.
    PhpServerSuperglobal,
    /// Laravel `env('X')`.
    PhpLaravelEnv,
    /// `ENV["X"]`.
    RubyEnvSubscript,
    /// `ENV.fetch("X")`.
    RubyEnvFetch,
    /// `$X` (shell scripts, Dockerfiles, GitHub Actions `run:` scripts).
    ShellVariable,
    /// `${X}`, `${X:-d}`, `${#X}` and the other parameter expansions.
    ShellBracedVariable,
    /// `${X}`, `${X:-d}` in a YAML scalar (docker-compose interpolation).
    YamlPlaceholder,
    /// `$(X)` in a YAML scalar (Kubernetes dependent environment variables).
    YamlKubernetesReference,
    /// `${X}`, `${X:default}` in a .properties value (Spring placeholders).
    PropertiesPlaceholder,
}

/// A variable a Dockerfile defines for the build or the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvDefinition {
    pub name: String,
    pub name_range: TextRange,
    /// The value as written (quotes included), when there is one.
    pub value_range: Option<TextRange>,
    pub form: DefinitionForm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DefinitionForm {
    /// `ENV X=value` / `ENV X value`: set in the image and at run time.
    DockerfileEnv,
    /// `ARG X[=default]`: set only during the build.
    DockerfileArg,
}

/// A string literal (or YAML/.properties value) whose content looks like a Postgres
/// connection string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StringLiteral {
    /// The literal with its quotes and prefixes.
    pub range: TextRange,
    /// Between the quotes.
    pub value_range: TextRange,
    /// The content as written (escapes not decoded).
    pub value: String,
    /// A template, not a constant: the content holds interpolated code (`f"…{x}…"`,
    /// `` `${x}` ``), placeholders (`{}`, `{0}`, `{name}`, `%s`, `%(name)s`, `${X}`, `{{ x }}`),
    /// or (Python and JavaScript/TypeScript) the literal is formatted (`'…'.format(…)`,
    /// `'…' % args`). Rules do not judge a template's syntax or take it for a hard-coded value.
    pub interpolated: bool,
    /// The programming languages: the string this literal builds once the names bound to
    /// string constants in the file are filled into its slots or concatenated to it; `None`
    /// when no constant goes in. Boxed: few literals have one.
    pub built: Option<Box<BuiltConnectionString>>,
}

/// A print, log or echo call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The callee as written (`console.log`, `logger.info`, `echo`).
    pub callee: String,
    pub callee_range: TextRange,
    /// The whole call, parentheses included (for `echo`, to the end of the command).
    pub range: TextRange,
    /// Between the parentheses (or after the command word).
    pub args_range: TextRange,
}

/// A hand-written split of a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitCall {
    pub range: TextRange,
    /// The string being split (`conn` in `conn.split(" ")`, the first argument of
    /// `strings.Split` or the second of `explode`).
    pub receiver_range: TextRange,
    pub receiver_text: String,
    pub separator: SplitSeparator,
}

/// What a split call splits on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SplitSeparator {
    /// Runs of whitespace: Python/Ruby/C# `split()` without an argument, Go `strings.Fields`.
    Whitespace,
    /// A literal separator, as written between the quotes (`" "`, `";"`, `'='`).
    Literal(String),
    /// A regular expression, as written (`\s+` from `/\s+/`; Java's `split` takes a regex).
    Regex(String),
}

/// A string literal used as an Entra token scope or resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenScope {
    /// The literal (or YAML/properties value) holding it.
    pub literal_range: TextRange,
    /// The scope itself; inside a URL or form literal, only the parameter's value.
    pub value_range: TextRange,
    /// As written (a URL parameter may be percent-encoded).
    pub value: String,
    pub context: ScopeContext,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ScopeContext {
    /// A v2 scope (`https://ossrdbms-aad.database.windows.net/.default`).
    Scope,
    /// A v1 resource (`resource=https://ossrdbms-aad.database.windows.net`), as the managed
    /// identity endpoint takes it.
    Resource,
}

/// A JavaScript/TypeScript object property `ssl: <expr>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SslProperty {
    pub key_range: TextRange,
    pub value_range: TextRange,
    pub value_text: String,
}

/// `local = <env read>`: the local now holds the variable's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// As written (`conn`, `self.conn`, `$conn`, `@conn`).
    pub local: String,
    pub local_range: TextRange,
    /// Index into [`Scan::env_refs`].
    pub env_ref: usize,
}

/// Needles of [`might_be_relevant`], matched ASCII case-insensitively.
const RELEVANCE_NEEDLES: &[&str] = &[
    // NEON_POSTGRESQL_*, AZURE_POSTGRESQL_*, near misses (NEON_POSTGRES_), postgres:// URIs,
    // jdbc:postgresql:, Npgsql and psycopg names.
    "postgres",
    "neon_pg",
    "neon_database",
    "neon_db",
    // Entra token scopes and resources (the right one and the common wrong ones).
    "ossrdbms",
    "database.windows.net",
    "spring.datasource",
    ".neon.tech",
    // Code that picks its settings on App Service (`manage.py`, `settings.py` selecting
    // `production.py` on `WEBSITE_HOSTNAME`): the platform path's context (issue 13).
    "website_hostname",
    // Key-value and Npgsql connection strings that never say "postgres".
    "password=",
    "pwd=",
    // A key-value string spaced around `=` (libpq allows it). Not for Python and
    // JavaScript/TypeScript ([`TREE_RELEVANCE`]): there it is mostly an assignment
    // (`password = input()`), which admitted library files with no database in them — on
    // the Python library tree, 57 files (1.4 MB), mostly HTTP clients and command-line tools,
    // each then parsed to a syntax tree for its value flow.
    "password =",
];

/// The needles of Python and JavaScript/TypeScript files: [`RELEVANCE_NEEDLES`] without
/// `password =`.
const TREE_RELEVANCE_NEEDLES: usize = RELEVANCE_NEEDLES.len() - 1;

static RELEVANCE: LazyLock<Needles> = LazyLock::new(|| {
    Needles::new(RELEVANCE_NEEDLES)
        .unwrap_or_else(|| panic!("built-in prefilter needles do not build"))
});

static TREE_RELEVANCE: LazyLock<Needles> = LazyLock::new(|| {
    Needles::new(&RELEVANCE_NEEDLES[..TREE_RELEVANCE_NEEDLES])
        .unwrap_or_else(|| panic!("built-in prefilter needles do not build"))
});

/// Fast prefilter over a file's raw bytes: `false` means [`scan`] would find nothing any rule
/// cares about in it, so the caller can skip scanning. A plain `DATABASE_URL` is deliberately
/// not a needle: no rule is about it unless its value or its neighbours say "postgres".
pub fn might_be_relevant(bytes: &[u8]) -> bool {
    RELEVANCE.any_in(bytes)
}

/// [`might_be_relevant`] for a file of `language`: Python and JavaScript/TypeScript files need
/// one of the needles other than `password =` (see [`RELEVANCE_NEEDLES`]).
pub fn might_be_relevant_for(language: Language, bytes: &[u8]) -> bool {
    match language {
        Language::Python | Language::JavaScript => TREE_RELEVANCE.any_in(bytes),
        _ => RELEVANCE.any_in(bytes),
    }
}

/// Scans one file's text. JavaScript/TypeScript is parsed with the plain JavaScript grammar
/// (which reads JSX) and, when that fails, the TypeScript one; [`scan_path`] picks the grammar
/// from the file name.
pub fn scan(language: Language, text: &str) -> Scan {
    with_templates(language, text, scan_facts(language, text))
}

/// Adds the connection strings built from constants (`templates.rs`) to a source file's facts.
fn with_templates(language: Language, text: &str, mut scan: Scan) -> Scan {
    if !matches!(
        language,
        Language::Shell | Language::Dockerfile | Language::Yaml | Language::Properties
    ) {
        templates::resolve(language, text, &mut scan);
    }
    scan
}

fn scan_facts(language: Language, text: &str) -> Scan {
    match language {
        Language::Python => tree::scan(tree::Dialect::Python, text),
        Language::JavaScript => tree::scan(tree::Dialect::JavaScriptOrTypeScript, text),
        Language::Shell | Language::Dockerfile => shell::scan_shell_file(language, text),
        Language::Yaml => config::scan_yaml(text),
        Language::Properties => config::scan_properties(text),
        _ => code::scan_code(language, text),
    }
}

/// The regex scanner for every language, Python and JavaScript/TypeScript included (the
/// syntax-tree scanner falls back to it when tree-sitter gives up). Not used by `check`; kept
/// callable for `benches/scan_throughput.rs`, which compares the two.
#[doc(hidden)]
pub fn scan_regex(language: Language, text: &str) -> Scan {
    match language {
        Language::Python | Language::JavaScript => {
            with_templates(language, text, code::scan_code(language, text))
        }
        _ => scan(language, text),
    }
}

/// Scans one file's text with the grammar its name calls for (`.ts`/`.mts`/`.cts` TypeScript,
/// `.tsx` TSX, `.js`/`.jsx`/`.mjs`/`.cjs` JavaScript with JSX).
pub fn scan_path(path: &str, language: Language, text: &str) -> Scan {
    if language != Language::JavaScript {
        return scan(language, text);
    }
    with_templates(language, text, tree::scan(dialect_of(path), text))
}

fn dialect_of(path: &str) -> tree::Dialect {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".tsx") {
        tree::Dialect::Tsx
    } else if lower.ends_with(".ts") || lower.ends_with(".mts") || lower.ends_with(".cts") {
        tree::Dialect::TypeScript
    } else {
        tree::Dialect::JavaScriptOrTypeScript
    }
}

/// [`scan_path`], also returning the syntax tree the scan parsed (Python and
/// JavaScript/TypeScript files the gate sends to the tree; none otherwise), so that the
/// rewrites use it instead of parsing again. `old` is the previous text's tree, edited to the
/// new text (`Tree::edit`): the language server's incremental re-parse after an edit.
pub fn scan_path_keeping_tree(
    path: &str,
    language: Language,
    text: &str,
    old: Option<&tree_sitter::Tree>,
) -> (Scan, Option<tree_sitter::Tree>) {
    let dialect = match language {
        Language::Python => tree::Dialect::Python,
        Language::JavaScript => dialect_of(path),
        _ => return (scan(language, text), None),
    };
    let (facts, tree) = tree::scan_keeping_tree(dialect, text, old);
    (with_templates(language, text, facts), tree)
}

#[cfg(test)]
pub(crate) use tree::incremental::spliced as incremental_scans;
#[cfg(test)]
pub(crate) use tree::incremental::spliced_locally as local_scans;
pub(crate) use tree::incremental::{Context as TreeContext, Previous, Span as EditSpan};
pub(crate) use tree::incremental::{Latest, LocalSplice, Top, tops_of};
pub(crate) use tree::view::Patch;
pub use tree::view::SyntaxTree;

/// The scan of `path`'s text after an edit (`span`) of `latest.text`, re-parsing only the
/// top-level statements around it (`scan/tree/incremental.rs`, `splice_local`), or `None` when
/// only a full re-parse can tell ([`rescan_path`]). The same facts as [`scan_path`].
pub(crate) fn splice_path_local(
    path: &str,
    language: Language,
    text: &str,
    latest: &Latest<'_>,
    span: EditSpan,
) -> Option<LocalSplice> {
    match language {
        Language::Python => {}
        // A file the JavaScript grammar failed on was parsed as TypeScript: a fresh scan of
        // the edited text would try JavaScript first, so only a full parse can tell.
        // So could a file with a syntax error: the TypeScript grammar may now parse it.
        Language::JavaScript
            if dialect_of(path) != tree::Dialect::JavaScriptOrTypeScript
                || (!latest.has_error
                    && *latest.grammar
                        == tree_sitter::Language::from(tree_sitter_javascript::LANGUAGE)) => {}
        _ => return None,
    }
    let mut local = tree::incremental::splice_local(language, text, latest, span)?;
    local.scan = with_templates(language, text, std::mem::take(&mut local.scan));
    Some(local)
}

/// [`scan_path_keeping_tree`], also returning what the tree scan learnt about the whole file,
/// for [`rescan_path`] after the next edit.
pub(crate) fn scan_path_with_context(
    path: &str,
    language: Language,
    text: &str,
    old: Option<&tree_sitter::Tree>,
) -> (Scan, Option<tree_sitter::Tree>, Option<TreeContext>) {
    let dialect = match language {
        Language::Python => tree::Dialect::Python,
        Language::JavaScript => dialect_of(path),
        _ => return (scan(language, text), None, None),
    };
    let (facts, tree, context) = tree::scan_with_context(dialect, text, old);
    (with_templates(language, text, facts), tree, context)
}

/// The scan of `path`'s text after an edit (`span`) of the previously scanned one, walking
/// only the statements the edit changed when the rest of the file cannot tell
/// (`scan/tree/incremental.rs`); `edited` is the previous tree edited to match. The same as
/// [`scan_path_with_context`] of the text.
pub(crate) fn rescan_path(
    path: &str,
    language: Language,
    text: &str,
    edited: &tree_sitter::Tree,
    previous: &Previous<'_>,
    span: EditSpan,
) -> (Scan, Option<tree_sitter::Tree>, Option<TreeContext>) {
    let dialect = match language {
        Language::Python => tree::Dialect::Python,
        Language::JavaScript => dialect_of(path),
        _ => return (scan(language, text), None, None),
    };
    let (facts, tree, context) = tree::incremental::rescan(dialect, text, edited, previous, span);
    (with_templates(language, text, facts), tree, context)
}

/// Whether a Python or JavaScript/TypeScript text is scanned on a syntax tree: not over 1 MiB,
/// no line over 16 KiB (minified or generated code gets the regex scanner). The rewrites ask
/// the same, so such a file is never parsed for a fix either.
pub(crate) fn gets_tree(text: &str) -> bool {
    tree::tree_fits(text)
}

/// Whether [`scan`] tracks values through the code of this language ([`Scan::values`]): when
/// it does, the rules take names from the syntax tree, not from the text.
pub fn has_value_flow(language: Language) -> bool {
    matches!(language, Language::Python | Language::JavaScript)
}

impl Scan {
    /// Whether `range` lies in a branch that runs only on the platform (`Some(true)`) or only off
    /// it (`Some(false)`); the innermost such branch decides.
    pub fn platform_path_of(&self, range: TextRange) -> Option<bool> {
        self.platform
            .as_ref()?
            .code_paths
            .iter()
            .filter(|p| p.range.contains_range(range))
            .min_by_key(|p| p.range.len())
            .map(|p| p.platform)
    }
}

static URI_SHAPE: LazyLock<regex::Regex> =
    LazyLock::new(|| built_in_regex(r"(?i)postgres(?:ql)?://|jdbc:postgresql:"));
static KEY_VALUE_KEY: LazyLock<regex::Regex> = LazyLock::new(|| {
    built_in_regex(
        r"(?i)(?:^|[\s;:'\x22])(host|server|hostaddr|port|dbname|database|user|user id|username|uid|password|pwd|sslmode|ssl mode)\s*=",
    )
});

pub(crate) fn built_in_regex(pattern: &str) -> regex::Regex {
    // Patterns are constants covered by tests; a typo is a programming error, not input.
    regex::Regex::new(pattern)
        .unwrap_or_else(|error| panic!("built-in scanner regex does not compile: {error}"))
}

/// Whether a literal's content looks like a Postgres connection string: a `postgres://` or
/// `jdbc:postgresql:` URI anywhere in it, or libpq/Npgsql key-value pairs (at least two
/// connection keys, one of them a host or a password), so that `HOST=x` alone is not one.
pub(crate) fn looks_like_connection_string(content: &str) -> bool {
    if content.len() < 8 {
        return false;
    }
    if URI_SHAPE.is_match(content) {
        return true;
    }
    let mut keys: Vec<String> = Vec::new();
    for captures in KEY_VALUE_KEY.captures_iter(content) {
        let Some(key) = captures.get(1) else { continue };
        let key = key.as_str().to_ascii_lowercase();
        if !keys.contains(&key) {
            keys.push(key);
        }
        let anchored = keys.iter().any(|k| {
            matches!(
                k.as_str(),
                "host" | "server" | "hostaddr" | "password" | "pwd"
            )
        });
        if keys.len() >= 2 && anchored {
            return true;
        }
    }
    false
}

static PLACEHOLDER: LazyLock<regex::Regex> = LazyLock::new(|| {
    built_in_regex(
        r"\{\}|\{[0-9]+(?:![rsa])?(?::[^{}]*)?\}|\{[A-Za-z_][A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}|%(?:\([A-Za-z_][A-Za-z0-9_]*\))?s|%[drv](?:[^0-9A-Fa-f]|$)|\$\{[^}]*\}|\{\{[^}]*\}\}",
    )
});

/// Whether a literal's content has format placeholders (`{}`, `{0}`, `{host}`, `{0:d}`, `%s`,
/// `%(password)s`, `%v`, `${X}`, `{{ x }}`): it is filled in at run time, so it is a template.
pub(crate) fn has_placeholders(content: &str) -> bool {
    (content.contains('{') || content.contains('%')) && PLACEHOLDER.is_match(content)
}

/// Records a literal into `scan.string_literals` when its content is of interest.
pub(crate) fn push_interesting_literal(
    scan: &mut Scan,
    text: &str,
    range: TextRange,
    content_range: TextRange,
    interpolated: bool,
) {
    let Some(content) = text.get(content_range.start..content_range.end) else {
        return;
    };
    if looks_like_connection_string(content) {
        scan.string_literals.push(StringLiteral {
            range,
            value_range: content_range,
            value: content.to_owned(),
            interpolated: interpolated || has_placeholders(content),
            built: None,
        });
    }
}

/// Records `scope=` / `resource=` parameters found inside a URL or form literal.
pub(crate) fn push_url_scope_parameters(
    scan: &mut Scan,
    text: &str,
    literal_range: TextRange,
    content_range: TextRange,
) {
    let Some(content) = text.get(content_range.start..content_range.end) else {
        return;
    };
    if memchr::memchr(b'=', content.as_bytes()).is_none() {
        return;
    }
    for (at, _) in content.match_indices('=') {
        let key_start = content[..at]
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_ascii_alphabetic())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let key = &content[key_start..at];
        let context = if key.eq_ignore_ascii_case("scope") {
            ScopeContext::Scope
        } else if key.eq_ignore_ascii_case("resource") {
            ScopeContext::Resource
        } else {
            continue;
        };
        // A parameter starts the content or follows `?`, `&` or whitespace.
        let before = content[..key_start].chars().next_back();
        if !matches!(before, None | Some('?' | '&' | ' ' | '\n')) {
            continue;
        }
        let value_start = at + 1;
        let value_len = content[value_start..]
            .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(content.len() - value_start);
        if value_len == 0 {
            continue;
        }
        let range =
            TextRange::new(value_start, value_start + value_len).offset(content_range.start);
        if !code::looks_like_scope(&content[value_start..value_start + value_len]) {
            continue;
        }
        push_token_scope(scan, text, literal_range, range, context);
    }
}

pub(crate) fn push_token_scope(
    scan: &mut Scan,
    text: &str,
    literal_range: TextRange,
    content_range: TextRange,
    context: ScopeContext,
) {
    if scan
        .token_scopes
        .iter()
        .any(|s| s.value_range == content_range)
    {
        return;
    }
    let Some(content) = text.get(content_range.start..content_range.end) else {
        return;
    };
    scan.token_scopes.push(TokenScope {
        literal_range,
        value_range: content_range,
        value: content.to_owned(),
        context,
    });
}

/// Sorts every list by position so callers can rely on source order.
pub(crate) fn finish(mut scan: Scan) -> Scan {
    // Assignments point into env_refs by index, so env_refs are ordered before they are built;
    // the rest only needs sorting.
    scan.comments.sort_by_key(|r| r.start);
    scan.string_literals.sort_by_key(|l| l.range.start);
    scan.log_calls.sort_by_key(|c| c.range.start);
    scan.split_calls.sort_by_key(|c| c.range.start);
    scan.token_scopes.sort_by_key(|s| s.value_range.start);
    scan.ssl_properties.sort_by_key(|p| p.key_range.start);
    scan.env_definitions.sort_by_key(|d| d.name_range.start);
    scan
}

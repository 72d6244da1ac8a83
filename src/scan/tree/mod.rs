//! Python and JavaScript/TypeScript scanning on tree-sitter syntax trees.
//!
//! One parse, then two iterative walks with a [`tree_sitter::TreeCursor`] (never recursion over
//! the tree: real trees nest thousands deep): the first collects aliases of the environment
//! (`import os as o`, `const env = process.env`), the second every fact of [`Scan`] plus the
//! definitions and uses the value-flow pass (`flow.rs`) needs. Every evaluation of an expression
//! has a fixed node budget, so the whole scan is linear in the file's size.
//!
//! The per-language parts (which node is an env read, which names alias the environment) are in
//! `python.rs` and `javascript.rs`; the node kinds of both grammars do not collide, so the rest
//! is shared.

mod budget;
pub(super) mod flow;
pub(crate) mod incremental;
mod javascript;
mod kinds;
mod python;
#[cfg(test)]
mod tests;
pub(crate) mod view;

use super::code::{is_scope_key, scope_context};
use super::{
    Assignment, Call, CodePath, EnvRef, Language, Scan, ScopeContext, SplitCall, SplitSeparator,
    SslProperty,
};
use crate::text::TextRange;
pub(crate) use budget::parse_bounded;
pub(crate) use kinds::kind;
use std::collections::HashMap;
use std::sync::LazyLock;
use tree_sitter::{Node, Parser, Tree};

/// Which grammar parses a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Python,
    /// JavaScript with JSX; TypeScript when the JavaScript grammar fails on the file.
    JavaScriptOrTypeScript,
    TypeScript,
    Tsx,
}

/// Receivers, callees and locals longer than this are not recorded: no real one is, and the cap
/// keeps generated input (16,000 chained `.split("=")`) from copying the file once per call.
const MAX_EXPRESSION_TEXT: usize = 512;
/// Texts compared by shape (`process.env`, `os.environ`) are short; longer nodes are skipped
/// without being read.
const MAX_SHAPE_TEXT: usize = 160;

/// Files larger than this get the regex scanner: they are generated (bundles, data tables such
/// as a 4 MB policy list), hold no hand-written connection code worth a value flow, and would
/// cost `check` most of its parse time (on the Python library tree, one such file is 42% of
/// the bytes that pass the prefilter).
const MAX_TREE_BYTES: usize = 1 << 20;

/// Files with a line longer than this get the regex scanner too: such a line is minified or
/// generated (a bundle, an embedded data blob, a line of 800k quotes), not code a person
/// wrote a connection into, and walking its tree cost more than the rest of `check`.
const MAX_TREE_LINE: usize = 16 * 1024;

/// Whether `text` is small enough, and its lines short enough, to get a syntax tree.
pub(super) fn tree_fits(text: &str) -> bool {
    if text.len() > MAX_TREE_BYTES {
        return false;
    }
    if text.len() <= MAX_TREE_LINE {
        return true;
    }
    let mut line_start = 0;
    for newline in memchr::memchr_iter(b'\n', text.as_bytes()) {
        if newline - line_start > MAX_TREE_LINE {
            return false;
        }
        line_start = newline + 1;
    }
    text.len() - line_start <= MAX_TREE_LINE
}

pub(crate) fn scan(dialect: Dialect, text: &str) -> Scan {
    scan_keeping_tree(dialect, text, None).0
}

/// [`scan`], also returning the syntax tree it parsed (none when the gate or the size limit
/// chose the regex scanner). `old` is the tree of the file's previous text, already edited
/// (`Tree::edit`) to match `text`: tree-sitter then re-parses only what changed. A tree of
/// another grammar than the one this dialect tries is ignored.
pub(crate) fn scan_keeping_tree(
    dialect: Dialect,
    text: &str,
    old: Option<&Tree>,
) -> (Scan, Option<Tree>) {
    let (scan, tree, _) = scan_with_context(dialect, text, old);
    (scan, tree)
}

/// [`scan_keeping_tree`], also returning what the tree scan learnt about the whole file (the
/// environment's aliases, the platform flags, the names the value flow bound), which
/// [`incremental::rescan`] needs to scan only the statements an edit changed.
pub(crate) fn scan_with_context(
    dialect: Dialect,
    text: &str,
    old: Option<&Tree>,
) -> (Scan, Option<Tree>, Option<incremental::Context>) {
    let language = language_of(dialect);
    if !tree_fits(text) {
        return (super::code::scan_code(language, text), None, None);
    }
    // A file with an env-read or token needle needs its tree; for the rest the regex scanner
    // runs first (about 15 times faster than a parse), and a file where it sees nothing the
    // value flow or the platform context could start from keeps its answer.
    if !has_tree_needle(language, text) {
        let quick = super::code::scan_code(language, text);
        if !needs_tree(language, text, &quick) {
            return (quick, None, None);
        }
    }
    let Some(tree) = parse_with(dialect, text, old) else {
        // tree-sitter gives up only when cancelled or out of memory; the classic scanner still
        // finds the reads.
        return (super::code::scan_code(language, text), None, None);
    };
    let (scan, context) = scan_parsed(language, text, &tree);
    (scan, Some(tree), Some(context))
}

fn language_of(dialect: Dialect) -> Language {
    if dialect == Dialect::Python {
        Language::Python
    } else {
        Language::JavaScript
    }
}

/// The facts of a parsed text, and its [`incremental::Context`].
fn scan_parsed(language: Language, text: &str, tree: &Tree) -> (Scan, incremental::Context) {
    let mut builder = Builder::new(language, text);
    builder.run(tree.root_node());
    let context = incremental::Context::of(&builder);
    (builder.finish(), context)
}

/// The syntax-tree scan without the gate ([`needs_tree`]).
#[cfg(test)]
pub(crate) fn scan_tree(dialect: Dialect, language: Language, text: &str) -> Scan {
    let Some(tree) = parse(dialect, text) else {
        return super::code::scan_code(language, text);
    };
    scan_parsed(language, text, &tree).0
}

/// [`scan_tree`] visiting every node (no [`kinds::VISITED`] filter), for comparing.
#[cfg(test)]
pub(crate) fn scan_tree_visiting_all(dialect: Dialect, language: Language, text: &str) -> Scan {
    let Some(tree) = parse(dialect, text) else {
        return super::code::scan_code(language, text);
    };
    let mut builder = Builder::new(language, text);
    builder.visit_all = true;
    builder.run(tree.root_node());
    builder.finish()
}

/// Where the syntax tree's own facts can start: an environment read (every form the tree knows
/// is spelt with `environ`/`getenv` in Python and `env` in JavaScript, so the needles cover the
/// forms the regex scanner does not parse, such as `"WEBSITE_HOSTNAME" in os.environ`), a
/// connection-string literal (templates included: the tree tells `.format` templates apart),
/// a token scope or request, or a log call naming a password, secret or token (a value the
/// name alone makes sensitive). Without any of these the tree finds no value and no platform
/// path, and every other fact is the regex scanner's too.
fn needs_tree(language: Language, text: &str, quick: &Scan) -> bool {
    if has_tree_needle(language, text)
        || !quick.env_refs.is_empty()
        || !quick.string_literals.is_empty()
        || !quick.token_scopes.is_empty()
    {
        return true;
    }
    quick.log_calls.iter().any(|call| {
        let args = text
            .get(call.args_range.start..call.args_range.end)
            .unwrap_or("");
        SECRET_WORDS.is_match(args.as_bytes())
    })
}

/// The needles of [`needs_tree`] that need no scan: an env read's spelling, a token request.
/// Each counts only as a whole identifier, as the tree would see it: `environ` in
/// `os.environ` but not in "environment" or `.Renviron`, `get_token` but not `target_tokens`
/// or pygments' `get_tokens` (prose and data tables sent a library file in five to a tree
/// that found nothing). A Python string that is nothing but the word (`'getenv'` in a table
/// of builtins) is not a read either.
fn has_tree_needle(language: Language, text: &str) -> bool {
    let bytes = text.as_bytes();
    let env_words: &[&[u8]] = if language == Language::Python {
        &[b"environ", b"getenv"]
    } else {
        &[b"env"]
    };
    let env_read = env_words.iter().any(|word| {
        memchr::memmem::find_iter(bytes, word).any(|start| {
            let end = start + word.len();
            identifier_end(bytes, end) == end
                && !continues_identifier(bytes, start)
                && !(language == Language::Python && quoted_alone(bytes, start, end))
        })
    });
    env_read
        || TREE_NEEDLES.find_iter(bytes).any(|found| {
            let start = found.start();
            !continues_identifier(bytes, start)
                && std::str::from_utf8(&bytes[start..identifier_end(bytes, found.end())])
                    .is_ok_and(|name| TOKEN_CALL.is_match(name))
        })
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$'
}

/// Whether the byte before `start` is part of an identifier (so a word starting at `start`
/// is only the tail of a longer name).
fn continues_identifier(bytes: &[u8], start: usize) -> bool {
    start
        .checked_sub(1)
        .and_then(|before| bytes.get(before))
        .is_some_and(|&byte| is_identifier_byte(byte))
}

/// Where the identifier running through `from` ends.
fn identifier_end(bytes: &[u8], from: usize) -> usize {
    let rest = bytes.get(from..).unwrap_or_default();
    from + rest
        .iter()
        .position(|&byte| !is_identifier_byte(byte))
        .unwrap_or(rest.len())
}

/// `'word'` or `"word"`: a string literal holding only the word at `start..end`.
fn quoted_alone(bytes: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).and_then(|at| bytes.get(at));
    matches!(before, Some(b'\'' | b'"')) && bytes.get(end) == before
}

/// Token requests (the value flow's `ValueOrigin::TokenRequest`), matched ASCII
/// case-insensitively; [`has_tree_needle`] keeps a match only when the identifier it starts
/// is one [`TOKEN_CALL`] names.
static TREE_NEEDLES: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "get_token",
            "gettoken",
            "acquire_token",
            "acquiretoken",
            "tokenrequestcontext",
        ])
        .unwrap_or_else(|error| panic!("built-in needles do not build: {error}"))
});

/// Words of a name the value flow takes for a secret by itself (`is_password_name`, token keys).
static SECRET_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["pass", "pwd", "secret", "token"])
        .unwrap_or_else(|error| panic!("built-in needles do not build: {error}"))
});

#[cfg(test)]
fn parse(dialect: Dialect, text: &str) -> Option<Tree> {
    parse_with(dialect, text, None)
}

fn parse_with(dialect: Dialect, text: &str, old: Option<&Tree>) -> Option<Tree> {
    let with = |language: tree_sitter::Language| {
        let mut parser = Parser::new();
        parser.set_language(&language).ok()?;
        // An old tree helps only when it comes from the same grammar.
        let old = old.filter(|tree| *tree.language() == language);
        budget::parse_bounded(&mut parser, text, old)
    };
    match dialect {
        Dialect::Python => with(tree_sitter_python::LANGUAGE.into()),
        Dialect::TypeScript => with(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()),
        Dialect::Tsx => with(tree_sitter_typescript::LANGUAGE_TSX.into()),
        Dialect::JavaScriptOrTypeScript => {
            let javascript = with(tree_sitter_javascript::LANGUAGE.into())?;
            if !javascript.root_node().has_error() {
                return Some(javascript);
            }
            match with(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()) {
                Some(typescript) if !typescript.root_node().has_error() => Some(typescript),
                _ => Some(javascript),
            }
        }
    }
}

pub(crate) fn range(node: Node<'_>) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

/// A string literal: Python `string`, JavaScript `string` and `template_string`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Str {
    pub range: TextRange,
    pub content: TextRange,
    pub interpolated: bool,
}

/// A node and its parent and grandparent at the time of the walk (tree-sitter's `parent()`
/// walks down from the root, so it is never called).
#[derive(Clone, Copy)]
pub(crate) struct Seen<'t> {
    pub node: Node<'t>,
    pub parent: Option<Node<'t>>,
    pub grand: Option<Node<'t>>,
}

/// A node the facts pass visits, listed by the first walk: the node with its parent and
/// grandparent, its depth, and the lowest depth the walk went through since the previous step
/// (itself included).
struct Step<'t> {
    seen: Seen<'t>,
    depth: usize,
    lowest: usize,
}

/// A place that stores a value, for the value-flow pass.
#[derive(Clone, Copy)]
pub(crate) enum Definition<'t> {
    /// `target = value` (and `+=`, walrus, declarators, destructuring).
    Assign { target: Node<'t>, value: Node<'t> },
    /// `for target in value` / `for (const target of value)`: each element.
    Each { target: Node<'t>, value: Node<'t> },
    /// `return value` in the function `name` (or an arrow function's expression body).
    Return { function: Node<'t>, value: Node<'t> },
}

pub(crate) struct Builder<'s, 't> {
    pub language: Language,
    pub text: &'s str,
    pub scan: Scan,
    /// Python: names of the `os` module, of `os.environ` and of `os.getenv`.
    pub py_modules: Vec<String>,
    pub py_environs: Vec<String>,
    pub py_getenvs: Vec<String>,
    /// JavaScript: names bound to the env object.
    pub js_env_aliases: Vec<String>,
    /// Env-read expression node id → index into `scan.env_refs` (before sorting).
    pub ref_nodes: HashMap<usize, usize>,
    /// Destructuring entries of the env object: (local name node, index into env_refs).
    pub destructured: Vec<(TextRange, usize)>,
    pub definitions: Vec<Definition<'t>>,
    pub root: Option<Node<'t>>,
    /// The log calls, for the value-flow pass to evaluate their arguments.
    pub log_nodes: Vec<Node<'t>>,
    /// Node id → platform flag of the branch it starts.
    branches: HashMap<usize, bool>,
    code_paths: Vec<CodePath>,
    platform_modules: Vec<String>,
    /// Names bound to a platform condition (`on_azure = "WEBSITE_HOSTNAME" in os.environ`,
    /// `const isProduction = process.env.NODE_ENV === "production"`); `None` when two
    /// assignments disagree.
    platform_flags: HashMap<String, Option<bool>>,
    /// Visit every node, not only the kinds of [`kinds::VISITED`] (tests compare the two).
    visit_all: bool,
    /// The keys the value flow bound.
    bound: Vec<String>,
}

impl<'s, 't> Builder<'s, 't> {
    fn new(language: Language, text: &'s str) -> Self {
        Builder {
            language,
            text,
            scan: Scan::default(),
            py_modules: vec!["os".to_owned()],
            py_environs: Vec::new(),
            py_getenvs: Vec::new(),
            js_env_aliases: Vec::new(),
            ref_nodes: HashMap::new(),
            destructured: Vec::new(),
            definitions: Vec::new(),
            root: None,
            log_nodes: Vec::new(),
            branches: HashMap::new(),
            code_paths: Vec::new(),
            platform_modules: Vec::new(),
            platform_flags: HashMap::new(),
            visit_all: false,
            bound: Vec::new(),
        }
    }

    pub fn slice(&self, node: Node<'_>) -> &'s str {
        self.text
            .get(node.start_byte()..node.end_byte())
            .unwrap_or("")
    }

    pub fn slice_range(&self, range: TextRange) -> &'s str {
        self.text.get(range.start..range.end).unwrap_or("")
    }

    /// The node's text without whitespace, for comparing shapes (`os . environ`); `None` for
    /// long nodes.
    pub fn shape(&self, node: Node<'_>) -> Option<String> {
        if node.end_byte() - node.start_byte() > MAX_SHAPE_TEXT {
            return None;
        }
        Some(
            self.slice(node)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
        )
    }

    /// A dotted name of identifiers (`conn`, `self.conn`, `this.pool.config`), as a binding key.
    pub fn dotted_key(&self, node: Node<'_>) -> Option<String> {
        match kind(node) {
            "identifier" | "shorthand_property_identifier" | "this" => {
                Some(self.slice(node).to_owned())
            }
            "attribute" | "member_expression" => {
                let shape = self.shape(node)?;
                let valid = shape.len() <= 64
                    && shape.split('.').all(|part| {
                        !part.is_empty()
                            && part
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
                    });
                valid.then_some(shape)
            }
            _ => None,
        }
    }

    pub fn string(&self, node: Node<'_>) -> Option<Str> {
        let whole = range(node);
        match kind(node) {
            "string" if self.language == Language::Python => {
                let mut content = whole;
                let mut interpolated = false;
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    match kind(child) {
                        "string_start" => content.start = child.end_byte(),
                        "string_end" => content.end = child.start_byte(),
                        "interpolation" => interpolated = true,
                        _ => {}
                    }
                }
                (content.start <= content.end).then_some(Str {
                    range: whole,
                    content,
                    interpolated,
                })
            }
            "string" | "template_string" => {
                if whole.len() < 2 {
                    return None;
                }
                let mut cursor = node.walk();
                let interpolated = kind(node) == "template_string"
                    && node
                        .named_children(&mut cursor)
                        .any(|c| kind(c) == "template_substitution");
                Some(Str {
                    range: whole,
                    content: TextRange::new(whole.start + 1, whole.end - 1),
                    interpolated,
                })
            }
            _ => None,
        }
    }

    /// A string usable as a variable name or key: a plain constant on one line.
    pub fn plain_string(&self, node: Node<'_>) -> Option<TextRange> {
        let literal = self.string(node)?;
        let content = self.slice_range(literal.content);
        let plain = !literal.interpolated
            && !content.is_empty()
            && !content
                .bytes()
                .any(|b| matches!(b, b'\n' | b'\r' | b'"' | b'\'' | b'`' | b'{' | b'$' | b'\\'));
        plain.then_some(literal.content)
    }

    /// The text of a key: an identifier or a plain string.
    pub fn key_text(&self, node: Node<'_>) -> Option<&'s str> {
        match kind(node) {
            "identifier"
            | "property_identifier"
            | "shorthand_property_identifier"
            | "shorthand_property_identifier_pattern" => Some(self.slice(node)),
            _ => self.plain_string(node).map(|r| self.slice_range(r)),
        }
    }

    /// The first few argument nodes of a call (comments skipped).
    pub fn arguments(&self, call: Node<'t>) -> Vec<Node<'t>> {
        let Some(arguments) = call.child_by_field_name("arguments") else {
            return Vec::new();
        };
        // `dict(p.split("=") for p in conn.split())`: a lone generator is the argument list.
        if kind(arguments) == "generator_expression" {
            return vec![arguments];
        }
        if !matches!(kind(arguments), "argument_list" | "arguments") {
            return Vec::new();
        }
        let mut cursor = arguments.walk();
        arguments
            .named_children(&mut cursor)
            .filter(|c| kind(c) != "comment")
            .take(8)
            .collect()
    }

    /// The callee's last name (`get_token` in `credential.get_token`) and the receiver.
    pub fn callee(&self, call: Node<'t>) -> Option<(&'s str, Option<Node<'t>>)> {
        let function = call
            .child_by_field_name("function")
            .or_else(|| call.child_by_field_name("constructor"))?;
        match kind(function) {
            "identifier" => Some((self.slice(function), None)),
            "attribute" => Some((
                self.slice(function.child_by_field_name("attribute")?),
                function.child_by_field_name("object"),
            )),
            "member_expression" => Some((
                self.slice(function.child_by_field_name("property")?),
                function.child_by_field_name("object"),
            )),
            _ => None,
        }
    }

    fn run(&mut self, root: Node<'t>) {
        self.root = Some(root);
        let table = kinds::table_of(root).filter(|_| !self.visit_all);
        // Without a platform condition in the text no branch is recorded, so the second pass
        // needs no walk of its own: the first lists the nodes it visits (with the lowest depth
        // walked since the previous one, to close the functions left in between).
        let listed = table.is_some() && !may_have_platform_branch(self.text);
        let mut steps: Vec<Step<'t>> = Vec::new();
        let mut lowest = usize::MAX;
        // Pass 1: aliases of the environment.
        let mut alias_nodes = Vec::new();
        walk(root, |node, ancestors| {
            let candidate = match table {
                Some(table) => table.is_alias_candidate(node),
                None => kinds::ALIASES.contains(&node.kind()),
            };
            if candidate {
                alias_nodes.push(node);
            }
            if let Some(table) = table.filter(|_| listed) {
                let depth = ancestors.len();
                lowest = lowest.min(depth);
                if table.is_visited(node) {
                    steps.push(Step {
                        seen: Seen {
                            node,
                            parent: ancestors.last().copied(),
                            grand: depth.checked_sub(2).map(|i| ancestors[i]),
                        },
                        depth,
                        lowest,
                    });
                    lowest = usize::MAX;
                }
            }
        });
        match self.language {
            Language::Python => {
                self.python_aliases(&alias_nodes);
            }
            _ => self.javascript_aliases(&alias_nodes),
        }
        self.platform_flags(&alias_nodes);
        // Pass 2: facts. `paths` and `functions` hold (depth, value) of the enclosing branch and
        // function; entries at or below the visited node's depth belong to finished subtrees.
        let mut paths: Vec<(usize, bool)> = Vec::new();
        let mut functions: Vec<(usize, Node<'t>)> = Vec::new();
        if listed {
            for step in steps {
                while functions.last().is_some_and(|(d, _)| *d >= step.lowest) {
                    functions.pop();
                }
                debug_assert!(self.branches.is_empty());
                self.visit(step.seen, false, functions.last().map(|(_, f)| *f));
                if let Some(function) = self.function_name(step.seen) {
                    functions.push((step.depth, function));
                }
            }
        } else {
            walk(root, |node, ancestors| {
                self.walked(node, ancestors, table, &mut paths, &mut functions);
            });
        }
        self.order_refs();
        self.bound = flow::run(self);
    }

    /// One node of the facts walk (when it walks, not lists): `paths` and `functions` hold
    /// (depth, value) of the enclosing branch and function; entries at or below the node's
    /// depth belong to finished subtrees.
    fn walked(
        &mut self,
        node: Node<'t>,
        ancestors: &[Node<'t>],
        table: Option<&kinds::Table>,
        paths: &mut Vec<(usize, bool)>,
        functions: &mut Vec<(usize, Node<'t>)>,
    ) {
        let depth = ancestors.len();
        while paths.last().is_some_and(|(d, _)| *d >= depth) {
            paths.pop();
        }
        while functions.last().is_some_and(|(d, _)| *d >= depth) {
            functions.pop();
        }
        if !self.branches.is_empty()
            && let Some(platform) = self.branches.get(&node.id())
        {
            paths.push((depth, *platform));
        }
        // Most nodes (names, punctuation, numbers) hold no fact of their own.
        if table.is_some_and(|table| !table.is_visited(node)) {
            return;
        }
        let seen = Seen {
            node,
            parent: ancestors.last().copied(),
            grand: ancestors.len().checked_sub(2).map(|i| ancestors[i]),
        };
        let platform = paths.last().is_some_and(|(_, p)| *p);
        self.visit(seen, platform, functions.last().map(|(_, f)| *f));
        if let Some(function) = self.function_name(seen) {
            functions.push((depth, function));
        }
    }

    /// The name node of a function node (`def f`, `function f`, `f() {}`, `const f = () =>`).
    fn function_name(&self, seen: Seen<'t>) -> Option<Node<'t>> {
        match kind(seen.node) {
            "function_definition" | "function_declaration" | "method_definition" => {
                seen.node.child_by_field_name("name")
            }
            "arrow_function" | "function_expression" | "function" => seen
                .parent
                .filter(|p| kind(p) == "variable_declarator")
                .and_then(|p| p.child_by_field_name("name"))
                .filter(|n| kind(n) == "identifier"),
            _ => None,
        }
    }

    fn visit(&mut self, seen: Seen<'t>, platform: bool, function: Option<Node<'t>>) {
        let node = seen.node;
        match kind(node) {
            "comment" => {
                // tree-sitter ends a line comment before `\n`, but after a CRLF's `\r`.
                let mut comment = range(node);
                while comment.end > comment.start && self.text.as_bytes()[comment.end - 1] == b'\r'
                {
                    comment.end -= 1;
                }
                self.scan.comments.push(comment);
            }
            "string" | "template_string" => self.literal(seen, platform),
            "call" | "call_expression" | "new_expression" => self.call(node),
            "if_statement" | "conditional_expression" | "ternary_expression" => self.branch(node),
            "pair" | "keyword_argument" => self.pair(node),
            "return_statement" => {
                if let (Some(function), Some(value)) = (function, node.named_child(0)) {
                    self.definitions
                        .push(Definition::Return { function, value });
                }
            }
            "arrow_function" => {
                if let (Some(function), Some(body)) =
                    (self.function_name(seen), node.child_by_field_name("body"))
                    && kind(body) != "statement_block"
                {
                    self.definitions.push(Definition::Return {
                        function,
                        value: body,
                    });
                }
            }
            "import_from_statement" | "import_statement" if platform => {
                if let Some(module) = node.child_by_field_name("module_name") {
                    let module = self.slice(module).to_owned();
                    self.platform_modules.push(module);
                } else if self.language == Language::Python {
                    let mut cursor = node.walk();
                    for name in node.children_by_field_name("name", &mut cursor) {
                        let name = name.child_by_field_name("name").unwrap_or(name);
                        self.platform_modules.push(self.slice(name).to_owned());
                    }
                }
            }
            _ => {}
        }
        match self.language {
            Language::Python => self.python_node(seen, platform),
            _ => self.javascript_node(seen, platform),
        }
        if kind(node) == "identifier" || kind(node) == "shorthand_property_identifier" {
            return;
        }
        self.definition(node);
    }

    fn definition(&mut self, node: Node<'t>) {
        let (target, value, each) = match kind(node) {
            "assignment"
            | "augmented_assignment"
            | "assignment_expression"
            | "augmented_assignment_expression" => (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
                false,
            ),
            "named_expression" => (
                node.child_by_field_name("name"),
                node.child_by_field_name("value"),
                false,
            ),
            "variable_declarator" => (
                node.child_by_field_name("name"),
                node.child_by_field_name("value"),
                false,
            ),
            "for_statement" | "for_in_clause" => (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
                true,
            ),
            "for_in_statement" => {
                let of = node
                    .child_by_field_name("operator")
                    .is_some_and(|o| self.slice(o) == "of");
                if !of {
                    return;
                }
                (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    true,
                )
            }
            _ => return,
        };
        let (Some(target), Some(value)) = (target, value) else {
            return;
        };
        if !each {
            self.scope_assignment(target, value);
        }
        self.definitions.push(if each {
            Definition::Each { target, value }
        } else {
            Definition::Assign { target, value }
        });
    }

    fn literal(&mut self, seen: Seen<'t>, platform: bool) {
        let Some(literal) = self.string(seen.node) else {
            return;
        };
        // Docstrings and `"use strict"` document; they hold no value.
        let statement = seen
            .parent
            .is_some_and(|p| kind(p) == "expression_statement" && p.named_child_count() == 1);
        if statement {
            return;
        }
        let content = self.slice_range(literal.content);
        if platform && self.language == Language::Python && is_module_path(content) {
            self.platform_modules.push(content.to_owned());
        }
        // `'…{}…'.format(…)` and `'…%s…' % args` are templates too.
        let formatted = seen.parent.is_some_and(|p| match kind(p) {
            "attribute" => {
                p.child_by_field_name("attribute")
                    .is_some_and(|a| self.slice(a) == "format")
                    && seen.grand.is_some_and(|g| kind(g) == "call")
            }
            "binary_operator" => {
                p.child_by_field_name("operator")
                    .is_some_and(|o| self.slice(o) == "%")
                    && p.child_by_field_name("left") == Some(seen.node)
            }
            _ => false,
        });
        super::push_interesting_literal(
            &mut self.scan,
            self.text,
            literal.range,
            literal.content,
            literal.interpolated || formatted,
        );
        super::push_url_scope_parameters(&mut self.scan, self.text, literal.range, literal.content);
        let exact = match content.trim_end_matches('/') {
            _ if content == crate::catalogue::TOKEN_SCOPE => Some(ScopeContext::Scope),
            resource if resource == crate::catalogue::TOKEN_RESOURCE => {
                Some(ScopeContext::Resource)
            }
            _ => None,
        };
        if let Some(context) = exact {
            super::push_token_scope(
                &mut self.scan,
                self.text,
                literal.range,
                literal.content,
                context,
            );
        }
    }

    fn call(&mut self, node: Node<'t>) {
        let Some((name, receiver)) = self.callee(node) else {
            return;
        };
        if let Some(function) = node.child_by_field_name("function") {
            self.log_call(node, function);
        }
        if matches!(name, "split" | "rsplit" | "Split")
            && let Some(receiver) = receiver
        {
            self.split_call(node, receiver);
        }
        if TOKEN_CALL.is_match(name) {
            self.token_call(node);
        }
        // `form.Set("scope", "…")`, `params.append("resource", "…")`.
        let arguments = self.arguments(node);
        if let [key, value, ..] = arguments.as_slice()
            && let Some(key) = self.key_text(*key)
            && is_scope_key(key)
        {
            self.scope_values(*value, scope_context(key));
        }
    }

    fn log_call(&mut self, call: Node<'t>, function: Node<'t>) {
        let Some(shape) = self.shape(function) else {
            return;
        };
        let own = match self.language {
            Language::Python => &*PYTHON_LOG,
            _ => &*JS_LOG,
        };
        if !own.is_match(&shape) && !LOGGER_LOG.is_match(&shape) {
            return;
        }
        let Some(arguments) = call.child_by_field_name("arguments") else {
            return;
        };
        let args = range(arguments);
        let args_range =
            if matches!(kind(arguments), "argument_list" | "arguments") && args.len() >= 2 {
                TextRange::new(args.start + 1, args.end - 1)
            } else {
                args
            };
        let callee_range = range(function);
        self.log_nodes.push(call);
        self.scan.log_calls.push(Call {
            callee: self.slice(function).to_owned(),
            callee_range,
            range: range(call),
            args_range,
        });
    }

    fn split_call(&mut self, call: Node<'t>, receiver: Node<'t>) {
        let arguments = self.arguments(call);
        let (receiver, separator) =
            if self.language == Language::Python && self.shape(receiver).as_deref() == Some("re") {
                // `re.split(pattern, text)`.
                let [pattern, text, ..] = arguments.as_slice() else {
                    return;
                };
                let Some(pattern) = self.string(*pattern).filter(|s| !s.interpolated) else {
                    return;
                };
                (
                    *text,
                    SplitSeparator::Regex(self.slice_range(pattern.content).to_owned()),
                )
            } else {
                let separator = match arguments.first() {
                    None if self.language == Language::Python => SplitSeparator::Whitespace,
                    None => return,
                    Some(first) if kind(first) == "regex" => {
                        let Some(pattern) = first.child_by_field_name("pattern") else {
                            return;
                        };
                        SplitSeparator::Regex(self.slice(pattern).to_owned())
                    }
                    Some(first) => match self.string(*first) {
                        Some(literal) if !literal.interpolated => {
                            SplitSeparator::Literal(self.slice_range(literal.content).to_owned())
                        }
                        _ => return,
                    },
                };
                (receiver, separator)
            };
        let receiver_range = range(receiver);
        if receiver_range.len() > MAX_EXPRESSION_TEXT {
            return;
        }
        self.scan.split_calls.push(SplitCall {
            range: range(call),
            receiver_range,
            receiver_text: self.slice(receiver).to_owned(),
            separator,
        });
    }

    /// Literals passed to token-acquiring calls; `tenant_id="…"` names another argument.
    fn token_call(&mut self, call: Node<'t>) {
        for argument in self.arguments(call) {
            match kind(argument) {
                "keyword_argument" | "pair" => {
                    let key = argument
                        .child_by_field_name("name")
                        .or_else(|| argument.child_by_field_name("key"))
                        .and_then(|k| self.key_text(k));
                    if key.is_some_and(is_scope_key)
                        && let Some(value) = argument.child_by_field_name("value")
                    {
                        self.strings_within(value, ScopeContext::Scope, false);
                    }
                }
                _ => self.strings_within(argument, ScopeContext::Scope, false),
            }
        }
    }

    /// Pushes the string literals within `node` (a bounded number of nodes, pairs with other
    /// keys skipped) as token scopes; `shaped` keeps only scope-shaped values.
    fn strings_within(&mut self, node: Node<'t>, context: ScopeContext, shaped: bool) {
        let mut budget = 256usize;
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            if budget == 0 {
                break;
            }
            budget -= 1;
            if let Some(literal) = self.string(node) {
                let value = self.slice_range(literal.content);
                if !shaped || super::code::looks_like_scope(value) {
                    super::push_token_scope(
                        &mut self.scan,
                        self.text,
                        literal.range,
                        literal.content,
                        context,
                    );
                }
                continue;
            }
            if matches!(kind(node), "keyword_argument" | "pair") {
                let key = node
                    .child_by_field_name("name")
                    .or_else(|| node.child_by_field_name("key"))
                    .and_then(|k| self.key_text(k));
                if !key.is_some_and(is_scope_key) {
                    continue;
                }
            }
            let mut cursor = node.walk();
            let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }

    /// The value of a scope key: a string, or the strings of a list, tuple, set or array.
    fn scope_values(&mut self, value: Node<'t>, context: ScopeContext) {
        if self.string(value).is_some() {
            self.strings_within(value, context, true);
            return;
        }
        if matches!(kind(value), "list" | "tuple" | "set" | "array") {
            let mut cursor = value.walk();
            let items: Vec<Node<'t>> = value.named_children(&mut cursor).take(64).collect();
            for item in items {
                if self.string(item).is_some() {
                    self.strings_within(item, context, true);
                }
            }
        }
    }

    /// `key: value` / `key=value` pairs: scope keys, and `ssl:` in JavaScript objects.
    fn pair(&mut self, node: Node<'t>) {
        let key = node
            .child_by_field_name("key")
            .or_else(|| node.child_by_field_name("name"));
        let (Some(key), Some(value)) = (key, node.child_by_field_name("value")) else {
            return;
        };
        let Some(key_text) = self.key_text(key) else {
            return;
        };
        if is_scope_key(key_text) {
            self.scope_values(value, scope_context(key_text));
        }
        if kind(node) == "pair" && self.language == Language::JavaScript && key_text == "ssl" {
            let value_range = range(value);
            self.scan.ssl_properties.push(SslProperty {
                key_range: range(key),
                value_range,
                value_text: self.slice(value).to_owned(),
            });
        }
    }

    /// `scope = "…"` / `const scopes = […]` assignments.
    pub fn scope_assignment(&mut self, target: Node<'t>, value: Node<'t>) {
        if kind(target) == "identifier" && is_scope_key(self.slice(target)) {
            let context = scope_context(self.slice(target));
            self.scope_values(value, context);
        }
    }

    /// Names assigned a platform condition, so that `if on_azure:` is a platform branch too.
    fn platform_flags(&mut self, nodes: &[Node<'t>]) {
        for node in nodes {
            let (target, value) = match kind(node) {
                "assignment" => (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ),
                "variable_declarator" => (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ),
                _ => continue,
            };
            let (Some(target), Some(value)) = (target, value) else {
                continue;
            };
            if kind(target) != "identifier" {
                continue;
            }
            let name = self.slice(target);
            let flag = self.platform_condition(value, 8);
            match (self.platform_flags.get(name).copied(), flag) {
                // Not a platform condition and never one before: nothing to remember.
                (None, None) => {}
                (None, Some(flag)) => {
                    self.platform_flags.insert(name.to_owned(), Some(flag));
                }
                (Some(before), flag) if before != flag => {
                    self.platform_flags.insert(name.to_owned(), None);
                }
                _ => {}
            }
        }
    }

    /// Records the platform branches of an `if` or a conditional expression.
    fn branch(&mut self, node: Node<'t>) {
        let (condition, consequence, alternatives): (_, _, Vec<Node<'t>>) = match kind(node) {
            "conditional_expression" => (
                node.named_child(1),
                node.named_child(0),
                node.named_child(2).into_iter().collect(),
            ),
            _ => {
                let mut cursor = node.walk();
                let alternatives = node
                    .children_by_field_name("alternative", &mut cursor)
                    .collect();
                (
                    node.child_by_field_name("condition"),
                    node.child_by_field_name("consequence"),
                    alternatives,
                )
            }
        };
        let (Some(condition), Some(consequence)) = (condition, consequence) else {
            return;
        };
        let Some(platform) = self.platform_condition(condition, 8) else {
            return;
        };
        self.branches.insert(consequence.id(), platform);
        self.code_paths.push(CodePath {
            range: range(consequence),
            platform,
        });
        for alternative in alternatives {
            self.branches.insert(alternative.id(), !platform);
            self.code_paths.push(CodePath {
                range: range(alternative),
                platform: !platform,
            });
        }
    }

    /// Whether a condition holds on the platform (`Some(true)`: `os.getenv("WEBSITE_HOSTNAME")`,
    /// `"WEBSITE_HOSTNAME" in os.environ`, `process.env.WEBSITE_HOSTNAME`) or off it
    /// (`Some(false)`: their negations).
    fn platform_condition(&self, condition: Node<'t>, depth: usize) -> Option<bool> {
        if depth == 0 {
            return None;
        }
        let depth = depth - 1;
        match kind(condition) {
            "parenthesized_expression" => self.platform_condition(condition.named_child(0)?, depth),
            "not_operator" => self
                .platform_condition(condition.child_by_field_name("argument")?, depth)
                .map(|p| !p),
            "unary_expression" => {
                let operator = self.slice(condition.child_by_field_name("operator")?);
                let inner =
                    self.platform_condition(condition.child_by_field_name("argument")?, depth)?;
                (operator == "!").then_some(!inner)
            }
            "boolean_operator" | "binary_expression"
                if condition
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(self.slice(o), "and" | "or" | "&&" | "||")) =>
            {
                // `A and B` holds only where A does; `A or B` only where both sides say the
                // platform (`CONTAINER_APP_NAME` or `WEBSITE_HOSTNAME`).
                let operator = self.slice(condition.child_by_field_name("operator")?);
                if matches!(operator, "or" | "||") {
                    let left =
                        self.platform_condition(condition.child_by_field_name("left")?, depth)?;
                    let right =
                        self.platform_condition(condition.child_by_field_name("right")?, depth)?;
                    return (left && right).then_some(true);
                }
                let left = self.platform_condition(condition.child_by_field_name("left")?, depth);
                left.filter(|p| *p).or_else(|| {
                    self.platform_condition(condition.child_by_field_name("right")?, depth)
                        .filter(|p| *p)
                })
            }
            "call" | "call_expression"
                if self
                    .callee(condition)
                    .is_some_and(|(n, r)| matches!(n, "bool" | "Boolean") && r.is_none()) =>
            {
                let argument = *self.arguments(condition).first()?;
                self.platform_condition(argument, depth)
            }
            "comparison_operator" | "binary_expression" => self.platform_comparison(condition),
            "identifier" if self.platform_flags.contains_key(self.slice(condition)) => {
                self.platform_flags.get(self.slice(condition)).copied()?
            }
            _ => {
                let name = self.env_read_name(condition)?;
                is_platform_variable(name).then_some(true)
            }
        }
    }

    fn platform_comparison(&self, condition: Node<'t>) -> Option<bool> {
        let (left, right) = if kind(condition) == "binary_expression" {
            (
                condition.child_by_field_name("left")?,
                condition.child_by_field_name("right")?,
            )
        } else {
            (condition.named_child(0)?, condition.named_child(1)?)
        };
        let operator: String = self
            .text
            .get(left.end_byte()..right.start_byte())?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        // `"WEBSITE_HOSTNAME" in os.environ` / `"WEBSITE_HOSTNAME" in process.env`.
        if operator == "in" || operator == "not in" {
            let name = self.slice_range(self.plain_string(left)?);
            let environ = match self.language {
                Language::Python => self.py_environish(right),
                _ => self.js_envish(right),
            };
            return (environ && is_platform_variable(name)).then_some(operator == "in");
        }
        // `process.env.NODE_ENV === "production"`, `os.getenv("FLASK_ENV") != "production"`.
        if let Some(production) = self.production_comparison(left, right, &operator) {
            return Some(production);
        }
        // `os.getenv("WEBSITE_HOSTNAME") is not None`, `process.env.X !== undefined`.
        let name = self.env_read_name(left)?;
        if !is_platform_variable(name) {
            return None;
        }
        let nothing = matches!(kind(right), "none" | "undefined" | "null")
            || self.slice(right) == "undefined";
        if !nothing {
            return None;
        }
        match operator.as_str() {
            "is not" | "!=" | "!==" => Some(true),
            "is" | "==" | "===" => Some(false),
            _ => None,
        }
    }

    /// An environment-name variable compared with `"production"` (either side): the equal
    /// branch runs where the platform provides the configuration, the other one locally.
    fn production_comparison(
        &self,
        left: Node<'t>,
        right: Node<'t>,
        operator: &str,
    ) -> Option<bool> {
        let equal = match operator {
            "==" | "===" => true,
            "!=" | "!==" => false,
            _ => return None,
        };
        let (read, literal) = if self.plain_string(right).is_some() {
            (left, right)
        } else {
            (right, left)
        };
        let name = self.env_read_name(read)?;
        let value = self.slice_range(self.plain_string(literal)?);
        let production = PRODUCTION_VALUES.contains(&value);
        (is_environment_name(name) && production).then_some(equal)
    }

    /// The variable an env-read node reads, if it is one.
    fn env_read_name(&self, node: Node<'t>) -> Option<&'s str> {
        let read = match self.language {
            Language::Python => self.python_env_read(node),
            _ => self.javascript_env_read(node),
        }?;
        Some(self.slice_range(read.name))
    }

    pub fn push_ref(
        &mut self,
        node: Node<'t>,
        read: EnvRead,
        parent: Option<Node<'t>>,
        platform: bool,
    ) {
        let fallback = parent.is_some_and(|p| self.is_fallback_left(p, node));
        let index = self.scan.env_refs.len();
        self.scan.env_refs.push(EnvRef {
            name: self.slice_range(read.name).to_owned(),
            name_range: read.name,
            expr_range: read.expr,
            form: read.form,
            has_default: read.has_default || fallback,
            platform_path: platform,
        });
        self.ref_nodes.insert(node.id(), index);
    }

    /// Whether `node` is the left side of `or` / `||` / `??` in `parent`.
    pub fn is_fallback_left(&self, parent: Node<'t>, node: Node<'t>) -> bool {
        if !matches!(kind(parent), "boolean_operator" | "binary_expression") {
            return false;
        }
        parent.child_by_field_name("left") == Some(node)
            && parent
                .child_by_field_name("operator")
                .is_some_and(|o| matches!(self.slice(o), "or" | "||" | "??"))
    }

    /// `local = <env read>` (or `<env read> or default`): an [`Assignment`] once refs are ordered.
    pub fn assigned_ref(&self, target: Node<'t>, value: Node<'t>) -> Option<(TextRange, usize)> {
        if !matches!(
            kind(target),
            "identifier" | "attribute" | "member_expression"
        ) {
            return None;
        }
        let local_range = range(target);
        if local_range.len() > MAX_EXPRESSION_TEXT || self.slice(target) == "_" {
            return None;
        }
        let value = if matches!(kind(value), "boolean_operator" | "binary_expression")
            && self.is_fallback_left(value, value.child_by_field_name("left")?)
        {
            value.child_by_field_name("left")?
        } else {
            value
        };
        let index = *self.ref_nodes.get(&value.id())?;
        Some((local_range, index))
    }

    /// Orders env refs by position and points assignments and destructured locals at them.
    fn order_refs(&mut self) {
        let refs = std::mem::take(&mut self.scan.env_refs);
        let mut order: Vec<usize> = (0..refs.len()).collect();
        order.sort_by_key(|&i| refs[i].name_range.start);
        let mut position_of = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            position_of[old] = new;
        }
        let mut slots: Vec<Option<EnvRef>> = refs.into_iter().map(Some).collect();
        self.scan.env_refs = order.iter().filter_map(|&old| slots[old].take()).collect();
        for index in self.ref_nodes.values_mut() {
            *index = position_of[*index];
        }
        let mut assignments: Vec<Assignment> = Vec::new();
        for (local_range, old) in std::mem::take(&mut self.destructured) {
            assignments.push(Assignment {
                local: self.slice_range(local_range).to_owned(),
                local_range,
                env_ref: position_of[old],
            });
        }
        for definition in &self.definitions {
            if let Definition::Assign { target, value } = *definition
                && let Some((local_range, index)) = self.assigned_ref(target, value)
            {
                assignments.push(Assignment {
                    local: self.slice_range(local_range).to_owned(),
                    local_range,
                    env_ref: index,
                });
            }
        }
        assignments.sort_by_key(|a| a.local_range.start);
        assignments.dedup_by_key(|a| a.local_range);
        self.scan.assignments = assignments;
    }

    fn finish(mut self) -> Scan {
        self.platform_modules.sort();
        self.platform_modules.dedup();
        self.code_paths.sort_by_key(|p| p.range.start);
        if !self.code_paths.is_empty() || !self.platform_modules.is_empty() {
            self.scan.platform = Some(Box::new(super::PlatformContext {
                code_paths: self.code_paths,
                modules: self.platform_modules,
            }));
        }
        self.scan.values.sort_by_key(|v| v.range.start);
        super::finish(self.scan)
    }
}

/// An env read found by a language module.
pub(crate) struct EnvRead {
    pub name: TextRange,
    pub expr: TextRange,
    pub form: super::RefForm,
    /// A default argument (`os.getenv("X", "d")`).
    pub has_default: bool,
}

/// Preorder walk with a cursor; `visit` gets the node and its ancestors (root first).
pub(crate) fn walk<'t>(root: Node<'t>, visit: impl FnMut(Node<'t>, &[Node<'t>])) {
    walk_under(root, Vec::new(), visit);
}

/// [`walk`] of a subtree whose ancestors (root first) are `ancestors`: the visits see them as
/// a walk from the tree's root would.
pub(crate) fn walk_under<'t>(
    root: Node<'t>,
    mut ancestors: Vec<Node<'t>>,
    mut visit: impl FnMut(Node<'t>, &[Node<'t>]),
) {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        visit(node, &ancestors);
        if cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            ancestors.pop();
        }
    }
}

/// Variables only the platform sets: App Service, Container Apps and Kubernetes (AKS).
const PLATFORM_VARIABLES: &[&str] = &[
    "WEBSITE_HOSTNAME",
    "WEBSITE_SITE_NAME",
    "WEBSITE_INSTANCE_ID",
    "WEBSITE_RESOURCE_GROUP",
    "CONTAINER_APP_NAME",
    "CONTAINER_APP_REVISION",
    "KUBERNETES_SERVICE_HOST",
];

fn is_platform_variable(name: &str) -> bool {
    PLATFORM_VARIABLES.contains(&name)
}

/// The values `production_comparison` takes for production.
const PRODUCTION_VALUES: &[&str] = &["production", "prod", "Production"];

/// Whether a platform branch could be recorded in `text`: every platform condition ends in a
/// platform variable's name or a production value written in the text (a name bound to a
/// condition is bound to one of those), so a text with neither has none.
fn may_have_platform_branch(text: &str) -> bool {
    PLATFORM_NEEDLES.is_match(text.as_bytes())
}

static PLATFORM_NEEDLES: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::new(PLATFORM_VARIABLES.iter().chain(PRODUCTION_VALUES))
        .unwrap_or_else(|error| panic!("built-in needles do not build: {error}"))
});

/// Variables that name the environment an app runs in (`production`, `development`).
fn is_environment_name(name: &str) -> bool {
    matches!(
        name,
        "NODE_ENV"
            | "FLASK_ENV"
            | "DJANGO_ENV"
            | "APP_ENV"
            | "APP_ENVIRONMENT"
            | "ENVIRONMENT"
            | "ENV"
            | "PYTHON_ENV"
            | "RAILS_ENV"
            | "RACK_ENV"
            | "ASPNETCORE_ENVIRONMENT"
            | "DOTNET_ENVIRONMENT"
            | "DEPLOY_ENV"
    )
}

/// `azureproject.production`, `.production`: a dotted module path.
fn is_module_path(content: &str) -> bool {
    let trimmed = content.trim_start_matches('.');
    (content.contains('.') || content.starts_with('.'))
        && !trimmed.is_empty()
        && trimmed.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn anchored(pattern: &str) -> regex::Regex {
    super::built_in_regex(&format!("^(?:{pattern})$"))
}

static PYTHON_LOG: LazyLock<regex::Regex> =
    LazyLock::new(|| anchored(r"print|pprint\.pprint|pprint|sys\.(?:stdout|stderr)\.write"));
static JS_LOG: LazyLock<regex::Regex> =
    LazyLock::new(|| anchored(r"console\??\.(?:log|info|warn|error|debug|trace|dir|table)"));
static LOGGER_LOG: LazyLock<regex::Regex> = LazyLock::new(|| {
    anchored(
        r"(?:[A-Za-z_$][\w$]*\??\.)*(?:log|logger|_log|_logger|LOG|LOGGER|Log|Logger|logging|slog|LOGGING)\??\.(?i:debug|info|information|warn|warning|error|exception|critical|fatal|trace|verbose|notice|log\w*|print\w*|panic\w*|infof|debugf|warnf|errorf|fatalf)",
    )
});
pub(crate) static TOKEN_CALL: LazyLock<regex::Regex> = LazyLock::new(|| {
    anchored(
        r"get_token|get_token_info|getToken|getTokenSync|GetToken|GetTokenAsync|TokenRequestContext|acquire_token\w*|acquireToken\w*|AcquireToken\w*|addScopes|setScopes|WithScopes",
    )
});

#[cfg(test)]
pub(crate) fn force_all_regexes() {
    for regex in [&*PYTHON_LOG, &*JS_LOG, &*LOGGER_LOG, &*TOKEN_CALL] {
        assert!(!regex.as_str().is_empty());
    }
}

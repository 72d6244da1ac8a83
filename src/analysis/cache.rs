//! Scans kept from one analysis to the next, for a caller that analyses the same workspace
//! again and again (the language server, on every edit): an unchanged file is not scanned
//! again, and an edited one is re-parsed incrementally from its previous syntax tree.
//!
//! The cache trusts its caller to say what changed ([`ScanCache::edit`], [`ScanCache::forget`],
//! [`ScanCache::clear`]): hashing every file's text on every edit would cost what the cache
//! saves. A text whose length no longer matches the cached scan is scanned again anyway.
//! Syntax trees are kept only for the paths [`ScanCache::keep_trees_of`] names (the open
//! documents): a tree is many times the size of its text.
//!
//! For those documents the cache also keeps the last scan's text, unedited tree and whole-file
//! context, and the byte span the edits since changed: the next scan then walks only the
//! top-level statements the edits touched when the rest of the file cannot tell the difference
//! (`scan::rescan_path`, `scan/tree/incremental.rs`), and is the same as a fresh one.

use crate::scan::{self, EditSpan, Language, Previous, Scan, TreeContext};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tree_sitter::{InputEdit, Tree};

#[derive(Default)]
pub struct ScanCache {
    files: HashMap<String, Cached>,
    /// Paths whose syntax trees are kept.
    keep_trees: HashSet<String>,
    /// What the last scans replaced (the previous trees and bases of edited documents), for
    /// the caller to drop once its answer is out ([`ScanCache::take_replaced`]): freeing a
    /// tree walks the nodes only it held. Dropped at the next analysis otherwise.
    replaced: Vec<Replaced>,
}

/// A replaced tree and base, freed when dropped (off the caller's latency path).
struct Replaced {
    _tree: Option<Tree>,
    _base: Option<Base>,
}

/// What [`ScanCache::take_replaced`] hands over: drop it when convenient.
#[must_use = "dropping it frees the replaced trees; that is its only purpose"]
pub struct ReplacedTrees {
    _replaced: Vec<Replaced>,
}

struct Cached {
    /// The scanned text's length (a cheap guard against a change nobody reported).
    len: usize,
    /// The scan of the current text; `None` once an edit made it stale.
    scan: Option<Arc<Scan>>,
    /// The tree of the scanned text, edited since to match the current one.
    tree: Option<Tree>,
    /// The scan parsed a tree (the regex scanner's files have none to keep).
    parsed: bool,
    /// The last tree scan of a kept tree, for an incremental scan after edits.
    base: Option<Base>,
    /// What the edits since `base` changed (merged into one span).
    pending: Option<EditSpan>,
}

/// The last tree scan of an open document: its text, tree (not edited), facts and context.
struct Base {
    text: String,
    tree: Tree,
    scan: Arc<Scan>,
    context: TreeContext,
}

/// One change to a document's text, as tree-sitter needs it.
pub type TextEdit = InputEdit;

impl ScanCache {
    /// `path`'s text changed by `edit` (byte offsets and rows/byte columns in the text before
    /// and after): its scan is redone at the next analysis, from its tree edited to match.
    pub fn edit(&mut self, path: &str, edit: &TextEdit) {
        if let Some(cached) = self.files.get_mut(path) {
            cached.scan = None;
            cached.len = cached
                .len
                .saturating_sub(edit.old_end_byte.saturating_sub(edit.start_byte))
                .saturating_add(edit.new_end_byte.saturating_sub(edit.start_byte));
            if let Some(tree) = &mut cached.tree {
                tree.edit(edit);
            }
            let span = EditSpan {
                start: edit.start_byte,
                old_end: edit.old_end_byte,
                new_end: edit.new_end_byte,
            };
            cached.pending = Some(cached.pending.map_or(span, |before| before.then(span)));
        }
    }

    /// `path`'s text was replaced wholesale (opened, closed, a full-text change): scanned
    /// from scratch next time.
    pub fn forget(&mut self, path: &str) {
        self.files.remove(path);
    }

    /// Every file may have changed (the workspace was read from disk again).
    pub fn clear(&mut self) {
        self.files.clear();
    }

    /// Keeps syntax trees for these paths only (the open documents), dropping the others.
    pub fn keep_trees_of<'p>(&mut self, paths: impl IntoIterator<Item = &'p str>) {
        self.keep_trees = paths.into_iter().map(str::to_owned).collect();
        let keep = &self.keep_trees;
        for (path, cached) in &mut self.files {
            if !keep.contains(path) {
                cached.tree = None;
                cached.base = None;
            }
        }
    }

    /// The trees and bases the scans since the last call replaced, for the caller to drop
    /// after it has answered (the language server: after publishing).
    pub fn take_replaced(&mut self) -> ReplacedTrees {
        ReplacedTrees {
            _replaced: std::mem::take(&mut self.replaced),
        }
    }

    /// Drops what an earlier analysis replaced and its caller did not take (at the start of
    /// an analysis, so that it never accumulates).
    pub(super) fn drop_replaced(&mut self) {
        self.replaced.clear();
    }

    /// Files cached (for tests and logs).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The scan of `path` (and its tree when kept): the cached one when the text is unchanged,
    /// else a new one, re-parsed from the edited tree when there is one.
    pub(super) fn scan(
        &mut self,
        path: &str,
        language: Language,
        text: &str,
    ) -> (Arc<Scan>, Option<Tree>) {
        let keep_tree = self.keep_trees.contains(path);
        if let Some(cached) = self.files.get(path)
            && cached.len == text.len()
            && let Some(scan) = &cached.scan
            && (cached.tree.is_some() || !cached.parsed || !keep_tree)
        {
            return (scan.clone(), cached.tree.clone());
        }
        let old = self
            .files
            .remove(path)
            .filter(|cached| cached.len == text.len());
        let (scan, tree, context) = match old {
            Some(Cached {
                tree: Some(edited),
                base: Some(base),
                pending: Some(span),
                ..
            }) => {
                let previous = Previous {
                    text: &base.text,
                    tree: &base.tree,
                    scan: &base.scan,
                    context: &base.context,
                };
                let scanned = scan::rescan_path(path, language, text, &edited, &previous, span);
                self.replaced.push(Replaced {
                    _tree: Some(edited),
                    _base: Some(base),
                });
                scanned
            }
            old => {
                let old = old.and_then(|cached| cached.tree);
                let scanned = scan::scan_path_with_context(path, language, text, old.as_ref());
                if old.is_some() {
                    self.replaced.push(Replaced {
                        _tree: old,
                        _base: None,
                    });
                }
                scanned
            }
        };
        let scan = Arc::new(scan);
        let parsed = tree.is_some();
        let tree = tree.filter(|_| keep_tree);
        let base = match (&tree, context) {
            (Some(tree), Some(context)) => Some(Base {
                text: text.to_owned(),
                tree: tree.clone(),
                scan: scan.clone(),
                context,
            }),
            _ => None,
        };
        self.files.insert(
            path.to_owned(),
            Cached {
                len: text.len(),
                scan: Some(scan.clone()),
                tree: tree.clone(),
                parsed,
                base,
                pending: None,
            },
        );
        (scan, tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Options, analyse, analyse_cached};
    use crate::workspace::{GitState, Workspace, WorkspaceFile};

    fn workspace(files: &[(&str, &str)]) -> Workspace {
        Workspace {
            files: files
                .iter()
                .map(|(path, text)| WorkspaceFile {
                    path: (*path).to_owned(),
                    text: (*text).to_owned(),
                    git: GitState::NotInRepository,
                    lossy: false,
                })
                .collect(),
        }
    }

    fn point(text: &str, offset: usize) -> tree_sitter::Point {
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        tree_sitter::Point {
            row: before.matches('\n').count(),
            column: offset - line_start,
        }
    }

    /// Replaces `start..end` of `text` with `new`, returning the edit as the server reports it.
    fn replace(text: &mut String, start: usize, end: usize, new: &str) -> TextEdit {
        let start_position = point(text, start);
        let old_end_position = point(text, end);
        text.replace_range(start..end, new);
        TextEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: start + new.len(),
            start_position,
            old_end_position,
            new_end_position: point(text, start + new.len()),
        }
    }

    const JS: &str = "const { Pool } = require('pg');\n\
        const host = process.env.NEON_POSTGRESQL_HOST;\n\
        function connect() {\n\
        \x20 const url = process.env.NEON_POSTGRESQL_CONNECTION_STRING;\n\
        \x20 const parts = url.split(';');\n\
        \x20 console.log(url);\n\
        \x20 return new Pool({ host, user: process.env.NEON_POSTGRESQL_USER });\n\
        }\n";

    /// Every edit of a sequence, analysed with the cache (incremental re-parse, unchanged
    /// files' scans reused), gives exactly what a fresh analysis of the same texts gives.
    #[test]
    fn incremental_analyses_equal_fresh_ones() {
        let env = "NEON_POSTGRESQL_HOST=ep-a.neon.tech\n";
        let mut text = JS.to_owned();
        let mut cache = ScanCache::default();
        cache.keep_trees_of(["db.js"]);
        let options = Options::default();
        let now_of =
            |text: &str| workspace(&[("package.json", "{}"), (".env", env), ("db.js", text)]);
        let first = workspace(&[("package.json", "{}"), (".env", env), ("db.js", &text)]);
        assert_eq!(
            analyse_cached(&first, &options, &mut cache).unwrap(),
            analyse(&first, &options).unwrap()
        );
        type Step = fn(&str) -> (usize, usize, String);
        let steps: Vec<Step> = vec![
            // A character typed inside a name, then removed.
            |t| {
                (
                    t.find("_HOST").unwrap() + 1,
                    t.find("_HOST").unwrap() + 1,
                    "X".into(),
                )
            },
            |t| {
                (
                    t.find("_XHOST").unwrap() + 1,
                    t.find("_XHOST").unwrap() + 2,
                    String::new(),
                )
            },
            // A new line with a read of a variable nodejs does not get, with non-ASCII text.
            |t| {
                let end = t.len();
                (
                    end,
                    end,
                    "const pw = process.env.NEON_POSTGRESQL_PASSWORD; // é ü\n".into(),
                )
            },
            // A line joined with the next, and a whole block deleted.
            |t| {
                (
                    t.find(";\nfunction").unwrap() + 1,
                    t.find(";\nfunction").unwrap() + 2,
                    " ".into(),
                )
            },
            |t| {
                (
                    t.find("  const parts").unwrap(),
                    t.find("  console.log").unwrap(),
                    String::new(),
                )
            },
            // Broken syntax, then repaired.
            |t| {
                (
                    t.find("return").unwrap(),
                    t.find("return").unwrap(),
                    "if (".into(),
                )
            },
            |t| {
                (
                    t.find("if (").unwrap(),
                    t.find("if (").unwrap() + 4,
                    String::new(),
                )
            },
            // A statement split over two lines, then joined back.
            |t| {
                let at = t.find(".NEON_POSTGRESQL_HOST;").unwrap();
                (at, at, "\n  ".into())
            },
            |t| {
                let at = t.find("\n  .NEON_POSTGRESQL_HOST;").unwrap();
                (at, at + 3, String::new())
            },
            // A comment and a blank line between statements.
            |t| {
                let at = t.find("function connect").unwrap();
                (at, at, "// the pool\n\n".into())
            },
            // A value-flow fact a later statement uses: the logged name no longer holds the
            // connection string, then holds it again.
            |t| {
                let at = t.find("const url").unwrap() + "const ".len();
                (at, at + 3, "uri".into())
            },
            |t| {
                let at = t.find("const uri").unwrap() + "const ".len();
                (at, at + 3, "url".into())
            },
            // An alias of the environment introduced at the top, read further down.
            |_| {
                (
                    0,
                    0,
                    "const e = process.env;\nconst pw2 = e.NEON_POSTGRESQL_PASSWORD;\n".into(),
                )
            },
            // A platform branch around a statement (the facts walk then follows branches),
            // and removed again.
            |t| {
                let at = t.find("console.log").unwrap();
                (at, at, "if (process.env.WEBSITE_HOSTNAME) ".into())
            },
            |t| {
                let at = t.find("if (process.env.WEBSITE_HOSTNAME) ").unwrap();
                (
                    at,
                    at + "if (process.env.WEBSITE_HOSTNAME) ".len(),
                    String::new(),
                )
            },
            // Everything between two statements deleted (the function's body merged away).
            |t| {
                let start = t.find("function connect").unwrap();
                let end = t.find("  console.log").unwrap();
                (start, end, String::new())
            },
        ];
        for (number, step) in steps.iter().enumerate() {
            let (start, end, new) = step(&text);
            let edit = replace(&mut text, start, end, &new);
            cache.edit("db.js", &edit);
            let now = now_of(&text);
            let incremental = analyse_cached(&now, &options, &mut cache).unwrap();
            let fresh = analyse(&now, &options).unwrap();
            assert_eq!(incremental, fresh, "step {number}:\n{text}");
        }
        // The sequence is not vacuous: the final text has findings, and the cache kept the tree.
        assert!(!analyse(&now_of(&text), &options).unwrap().is_empty());
        assert!(
            cache
                .files
                .get("db.js")
                .is_some_and(|cached| cached.tree.is_some())
        );
    }
}

#[cfg(test)]
mod reuse_tests {
    use super::*;
    use crate::scan::Language;

    #[test]
    fn unchanged_texts_are_not_scanned_again_and_trees_are_kept_only_where_asked() {
        let mut cache = ScanCache::default();
        cache.keep_trees_of(["open.py"]);
        let text = "import os\nhost = os.environ[\"NEON_POSTGRESQL_HOST\"]\n";
        let (open, open_tree) = cache.scan("open.py", Language::Python, text);
        let (closed, closed_tree) = cache.scan("closed.py", Language::Python, text);
        assert!(open_tree.is_some() && closed_tree.is_none());
        let (again, _) = cache.scan("open.py", Language::Python, text);
        assert!(Arc::ptr_eq(&open, &again));
        let (again, _) = cache.scan("closed.py", Language::Python, text);
        assert!(Arc::ptr_eq(&closed, &again));
        // A text of another length is scanned again even when nobody said it changed.
        let longer = format!("{text}# more\n");
        let (changed, _) = cache.scan("closed.py", Language::Python, &longer);
        assert!(!Arc::ptr_eq(&closed, &changed));
        // Forgotten and cleared entries are scanned again.
        cache.forget("open.py");
        let (fresh, _) = cache.scan("open.py", Language::Python, text);
        assert!(!Arc::ptr_eq(&open, &fresh));
        cache.clear();
        assert!(cache.is_empty());
    }
}

#[cfg(test)]
mod incremental_tests {
    use super::*;
    use crate::scan::Language;

    /// A small deterministic generator (xorshift), so that a failure names its seed.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    fn point(text: &str, offset: usize) -> tree_sitter::Point {
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        tree_sitter::Point {
            row: before.matches('\n').count(),
            column: offset - line_start,
        }
    }

    fn replace(text: &mut String, start: usize, end: usize, new: &str) -> TextEdit {
        let start_position = point(text, start);
        let old_end_position = point(text, end);
        text.replace_range(start..end, new);
        TextEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: start + new.len(),
            start_position,
            old_end_position,
            new_end_position: point(text, start + new.len()),
        }
    }

    fn boundary(text: &str, mut at: usize) -> usize {
        at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    fn line_starts(text: &str) -> Vec<usize> {
        std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .filter(|at| *at <= text.len())
            .collect()
    }

    /// One random edit of `text`: a statement inserted at a line start, a character typed or a
    /// range deleted anywhere, a whole line deleted, a space typed at a line start, a word
    /// replaced by another (which may rename a bound name or an alias).
    fn random_edit(
        random: &mut Random,
        text: &str,
        statements: &[&str],
        words: &[&str],
    ) -> (usize, usize, String) {
        let starts = line_starts(text);
        match random.below(7) {
            0 => {
                let at = starts[random.below(starts.len())];
                (at, at, random.pick(statements).to_owned())
            }
            1 => {
                let at = boundary(text, random.below(text.len() + 1));
                let typed = random.pick(&[
                    " ", "(", ")", "{", "}", "[", "]", "\n", "x", "'", "\"", ";", ":", ".", "é",
                    "#", "/",
                ]);
                (at, at, typed.to_owned())
            }
            2 => {
                let start = boundary(text, random.below(text.len() + 1));
                let end = boundary(text, start + random.below(24));
                (start, end.max(start), String::new())
            }
            3 => {
                let line = random.below(starts.len());
                let start = starts[line];
                let end = starts.get(line + 1).copied().unwrap_or(text.len());
                (start, end, String::new())
            }
            4 => {
                let at = starts[random.below(starts.len())];
                (at, at, " ".to_owned())
            }
            5 => {
                let word = random.pick(words);
                let Some(at) = text
                    .match_indices(word)
                    .map(|(at, _)| at)
                    .nth(random.below(4))
                else {
                    return (0, 0, String::new());
                };
                (at, at + word.len(), random.pick(words).to_owned())
            }
            _ => {
                // Several statements deleted at once, across their boundaries.
                let start = starts[random.below(starts.len())];
                let end = boundary(text, start + random.below(200));
                (start, end.max(start), String::new())
            }
        }
    }

    const PYTHON: &str = "import os\n\
        from os import getenv as ge\n\
        \n\
        HOST = os.environ[\"NEON_POSTGRESQL_HOST\"]\n\
        PW = \"secret-pw\"\n\
        \n\
        def connect():\n\
        \x20   url = os.environ.get(\"DATABASE_URL\")\n\
        \x20   parts = url.split(\";\")\n\
        \x20   print(url)  # logged\n\
        \x20   return url\n\
        \n\
        \n\
        def helper(a, b):\n\
        \x20   return a * 2 + b\n\
        \n\
        \n\
        USER = ge(\"NEON_POSTGRESQL_USER\", \"app\")\n\
        DSN = f\"postgresql://app:{PW}@{HOST}/db\"\n\
        if \"WEBSITE_HOSTNAME\" in os.environ:\n\
        \x20   from .production import *\n\
        \n\
        class Settings:\n\
        \x20   name = \"x\"\n\
        \n\
        \x20   def value(self):\n\
        \x20       return self.name\n\
        \n\
        \n\
        TOTAL = helper(1, 2)\n\
        PORT = os.getenv(\"NEON_POSTGRESQL_PORT\")\n";

    const PYTHON_STATEMENTS: &[&str] = &[
        "x = 1\n",
        "env = os.environ\n",
        "secret = env[\"NEON_POSTGRESQL_PASSWORD\"]\n",
        "pw = os.getenv(\"NEON_POSTGRESQL_PASSWORD\")\n",
        "print(pw)\n",
        "conn = connect()\n",
        "on_azure = os.getenv(\"WEBSITE_HOSTNAME\")\n",
        "if on_azure:\n    DEBUG = False\n",
        "def f(a):\n    return a\n",
        "# a comment\n",
        "logger.info(url)\n",
        "import os as o2\n",
        "y = o2.environ[\"NEON_POSTGRESQL_DATABASE\"]\n",
        "scope = \"https://ossrdbms-aad.database.windows.net/.default\"\n",
        "(\n",
        "DB = \"postgresql://u:p@h/db\"\n",
        "value = helper(2, 3)\n",
    ];

    const PYTHON_WORDS: &[&str] = &["url", "HOST", "helper", "os", "environ", "ge", "name", "PW"];

    const JS: &str = "const { Pool } = require('pg');\n\
        const host = process.env.NEON_POSTGRESQL_HOST;\n\
        // a comment\n\
        function connect() {\n\
        \x20 const url = process.env.NEON_POSTGRESQL_CONNECTION_STRING;\n\
        \x20 const parts = url.split(';');\n\
        \x20 console.log(url);\n\
        \x20 return new Pool({ host, user: process.env.NEON_POSTGRESQL_USER, ssl: true });\n\
        }\n\
        \n\
        function f1(a, b) { return a * 1 + b; }\n\
        function f2(a, b) { return a * 2 + b; }\n\
        const v3 = process.env.NEON_POSTGRESQL_HOST; // reference\n\
        function f4(a, b) { return a * 4 + b; }\n\
        const PW = 'pw';\n\
        const dsn = `postgresql://app:${PW}@${host}/db`;\n\
        if (process.env.NODE_ENV === 'production') {\n\
        \x20 console.log('prod');\n\
        }\n\
        const { NEON_POSTGRESQL_PORT: port = '5432' } = process.env;\n\
        function f5(a, b) { return a * 5 + b; }\n";

    const JS_STATEMENTS: &[&str] = &[
        "const x = 1;\n",
        "const env = process.env;\n",
        "const pw = env.NEON_POSTGRESQL_PASSWORD;\n",
        "const pw2 = process.env.NEON_POSTGRESQL_PASSWORD;\n",
        "console.log(pw2);\n",
        "const conn = connect();\n",
        "const isProd = process.env.NODE_ENV === 'production';\n",
        "if (isProd) { f1(1, 2); }\n",
        "function g(a) { return a; }\n",
        "// another comment\n",
        "logger.info(url);\n",
        "const { env: e2 } = process;\n",
        "const y = e2.NEON_POSTGRESQL_DATABASE;\n",
        "const scope = 'https://ossrdbms-aad.database.windows.net/.default';\n",
        "function broken( {\n",
        "const db = 'postgresql://u:p@h/db';\n",
        "const v = f1(2, 3);\n",
        "let a: number = 1;\n",
    ];

    const JS_WORDS: &[&str] = &["url", "host", "f1", "process", "env", "a", "PW", "connect"];

    /// Random edit sequences through the cache give exactly the scans a fresh scan of each
    /// text gives, whether the edit took the incremental path or the whole one.
    fn random_sequences(
        path: &str,
        language: Language,
        base: &str,
        statements: &[&str],
        words: &[&str],
        seeds: u64,
    ) -> usize {
        let mut spliced = 0;
        for seed in 1..=seeds {
            let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut text = base.to_owned();
            let mut cache = ScanCache::default();
            cache.keep_trees_of([path]);
            cache.scan(path, language, &text);
            for step in 0..40 {
                // Now and then two edits before one scan.
                for _ in 0..1 + usize::from(random.below(5) == 0) {
                    let (start, end, new) = random_edit(&mut random, &text, statements, words);
                    let edit = replace(&mut text, start, end, &new);
                    cache.edit(path, &edit);
                }
                let before = crate::scan::incremental_scans();
                let (incremental, _) = cache.scan(path, language, &text);
                spliced += crate::scan::incremental_scans() - before;
                let fresh = scan::scan_path(path, language, &text);
                assert_eq!(
                    *incremental, fresh,
                    "seed {seed}, step {step}, text:\n{text}"
                );
            }
        }
        spliced
    }

    #[test]
    fn random_python_edits_scan_as_fresh_texts() {
        let spliced = random_sequences(
            "settings.py",
            Language::Python,
            PYTHON,
            PYTHON_STATEMENTS,
            PYTHON_WORDS,
            40,
        );
        // The incremental path was taken (not only the whole scan), about every other edit.
        assert!(spliced > 400, "{spliced} of 1600 scans spliced");
    }

    #[test]
    fn random_javascript_edits_scan_as_fresh_texts() {
        let spliced = random_sequences(
            "app.js",
            Language::JavaScript,
            JS,
            JS_STATEMENTS,
            JS_WORDS,
            24,
        );
        assert!(spliced > 240, "{spliced} of 960 scans spliced");
    }

    #[test]
    fn random_typescript_edits_scan_as_fresh_texts() {
        let spliced = random_sequences(
            "app.ts",
            Language::JavaScript,
            JS,
            JS_STATEMENTS,
            JS_WORDS,
            24,
        );
        assert!(spliced > 240, "{spliced} of 960 scans spliced");
    }

    /// A long file (1,000 top-level statements) takes the tree path and the incremental one
    /// too: its parses, full or incremental, used to be cancelled by the parse budget (the
    /// balancing of the long repetition after the parse looked like a stall), and both the
    /// cached and the fresh scan fell back to the regex scanner.
    #[test]
    fn random_edits_of_a_long_javascript_file_scan_as_fresh_texts() {
        let filler: String = (0..1_000)
            .map(|n| format!("function f{n}(a, b) {{ return a * {n} + b; }}\n"))
            .collect();
        let base = format!("{JS}{filler}");
        let spliced = random_sequences(
            "long.js",
            Language::JavaScript,
            &base,
            JS_STATEMENTS,
            JS_WORDS,
            1,
        );
        assert!(spliced > 10, "{spliced} of 40 scans spliced");
    }

    /// An edited document's previous tree is handed to the caller to free after answering;
    /// a caller that never takes it holds at most one analysis' worth.
    #[test]
    fn replaced_trees_are_handed_over_and_never_pile_up() {
        let mut text = JS.to_owned();
        let mut cache = ScanCache::default();
        cache.keep_trees_of(["db.js"]);
        let options = crate::analysis::Options::default();
        let files = |text: &str| crate::workspace::Workspace {
            files: [("package.json", "{}"), ("db.js", text)]
                .iter()
                .map(|(path, text)| crate::workspace::WorkspaceFile {
                    path: (*path).to_owned(),
                    text: (*text).to_owned(),
                    git: crate::workspace::GitState::NotInRepository,
                    lossy: false,
                })
                .collect(),
        };
        let analyse = crate::analysis::analyse_cached;
        analyse(&files(&text), &options, &mut cache).unwrap();
        for round in 0..5 {
            let at = text.find("function").unwrap();
            let edit = replace(&mut text, at, at, " ");
            cache.edit("db.js", &edit);
            analyse(&files(&text), &options, &mut cache).unwrap();
            assert_eq!(cache.replaced.len(), 1, "round {round}");
        }
        assert_eq!(cache.take_replaced()._replaced.len(), 1);
        assert!(cache.replaced.is_empty());
    }
}

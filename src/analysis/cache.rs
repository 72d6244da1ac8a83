//! Scans kept from one analysis to the next, for a caller that analyses the same workspace
//! again and again (the language server, on every edit): an unchanged file is not scanned
//! again, and an edited one is re-parsed incrementally from its previous syntax tree.
//!
//! The cache trusts its caller to say what changed ([`ScanCache::edit`], [`ScanCache::forget`],
//! [`ScanCache::clear`]): hashing every file's text on every edit would cost what the cache
//! saves. A text whose length no longer matches the cached scan is scanned again anyway.
//! Syntax trees are kept only for the paths [`ScanCache::keep_trees_of`] names (the open
//! documents): a tree is many times the size of its text.

use crate::scan::{self, Language, Scan};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tree_sitter::{InputEdit, Tree};

#[derive(Default)]
pub struct ScanCache {
    files: HashMap<String, Cached>,
    /// Paths whose syntax trees are kept.
    keep_trees: HashSet<String>,
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
            }
        }
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
            .filter(|cached| cached.len == text.len())
            .and_then(|cached| cached.tree);
        let (scan, tree) = scan::scan_path_keeping_tree(path, language, text, old.as_ref());
        let scan = Arc::new(scan);
        let parsed = tree.is_some();
        let tree = tree.filter(|_| keep_tree);
        self.files.insert(
            path.to_owned(),
            Cached {
                len: text.len(),
                scan: Some(scan.clone()),
                tree: tree.clone(),
                parsed,
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

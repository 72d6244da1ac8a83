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
//! For those documents an edit is scanned in one of two ways, both giving what a fresh scan
//! gives:
//! - **locally** (`scan::splice_path_local`): only the top-level statements around the edit are
//!   re-parsed, on their own, and walked; the previous facts are kept for the rest. The
//!   document's syntax is then the last full tree, edited to match the text, plus a patch tree
//!   per edited region ([`SyntaxTree`]). This is the common path, and the only one whose cost
//!   does not grow with the file: tree-sitter's full re-parse visits every top-level statement.
//! - **fully**, when the local path cannot show it is exact (a syntax error, an edit that
//!   touches the file's context): the whole text is re-parsed from the edited tree and only the
//!   statements it changed are walked (`scan::rescan_path`), from the last full scan (`Base`)
//!   and the edits since, merged into one span.
//!
//! The caller consolidates the patches off its latency path ([`ScanCache::refresh_jobs`],
//! [`Refresh::run`], [`ScanCache::install`]: the language server, after publishing): one full
//! re-parse of the text a job was taken at, and the edits since re-applied.

use crate::scan::{
    self, EditSpan, Language, Latest, Patch, Previous, Scan, SyntaxTree, Top, TreeContext,
};
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
    /// The last [`Base::id`] given.
    bases: u64,
}

/// A replaced tree and base, freed when dropped (off the caller's latency path).
struct Replaced {
    _tree: Option<Tree>,
    _base: Option<Base>,
    _latest: Option<Box<LatestState>>,
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
    /// The tree of the last full parse, edited since to match the current text (exact outside
    /// the patches of `latest`).
    tree: Option<Tree>,
    /// The scan parsed a tree (the regex scanner's files have none to keep).
    parsed: bool,
    /// The last full-parse scan of a kept tree, for a full incremental scan after edits.
    base: Option<Base>,
    /// What the edits since `base` changed (merged into one span).
    pending: Option<EditSpan>,
    /// The scans since `base` that re-parsed only the edited statements.
    latest: Option<Box<LatestState>>,
    /// Scans of this document so far (which scan an edit or a patch belongs to).
    stamp: u64,
    /// Every edit since `base`, with the stamp of the scan that takes it in (one after the
    /// scan before it): the edits a refresh must re-apply to its new tree.
    log: Vec<(u64, InputEdit)>,
}

/// The last full-parse scan of an open document: its text, tree (not edited), facts, context
/// and top-level nodes.
struct Base {
    /// Unique in the cache: a refresh is installed only on the base it was taken from.
    id: u64,
    text: String,
    tree: Tree,
    scan: Arc<Scan>,
    context: TreeContext,
    tops: Vec<Top>,
}

/// The latest scan of an open document when it re-parsed only the edited statements.
struct LatestState {
    text: String,
    scan: Arc<Scan>,
    tops: Vec<Top>,
    /// Where `Cached::tree` is stale: the trees of just those statements, in order, each with
    /// the stamp of the scan that parsed it.
    patches: Vec<(Patch, u64)>,
}

/// A file's scan and, for an open document, its syntax.
type Scanned = (Arc<Scan>, Option<SyntaxTree>);

/// One change to a document's text, as tree-sitter needs it.
pub type TextEdit = InputEdit;

/// Local scans after which a document is scanned fully (a bound on the patches' number;
/// the caller's refreshes normally keep them far fewer).
const MAX_PATCHES: usize = 64;

fn span_of(edit: &InputEdit) -> EditSpan {
    EditSpan {
        start: edit.start_byte,
        old_end: edit.old_end_byte,
        new_end: edit.new_end_byte,
    }
}

/// The edits' spans merged into one (they apply one after another).
fn merged<'e>(edits: impl IntoIterator<Item = &'e InputEdit>) -> Option<EditSpan> {
    edits.into_iter().fold(None, |merged, edit| {
        let span = span_of(edit);
        Some(merged.map_or(span, |before: EditSpan| before.then(span)))
    })
}

impl Cached {
    /// The syntax of the current text, for the rewrites.
    fn view(&self) -> Option<SyntaxTree> {
        let tree = self.tree.clone()?;
        Some(match &self.latest {
            Some(latest) if !latest.patches.is_empty() => SyntaxTree::patched(
                tree,
                latest
                    .patches
                    .iter()
                    .map(|(patch, _)| patch.clone())
                    .collect(),
            ),
            _ => SyntaxTree::whole(tree),
        })
    }

    /// The edits since the last scan.
    fn unscanned(&self) -> impl Iterator<Item = &InputEdit> {
        let next = self.stamp + 1;
        self.log
            .iter()
            .filter(move |(stamp, _)| *stamp == next)
            .map(|(_, edit)| edit)
    }
}

/// A consolidation to run off the caller's latency path: the full re-parse of an open
/// document's text whose latest scans patched its tree ([`ScanCache::refresh_jobs`]).
pub struct Refresh {
    taken: Taken,
    /// The document's tree, edited to `taken.text`.
    edited: Tree,
}

/// A finished [`Refresh`], for [`ScanCache::install`].
pub struct Refreshed {
    taken: Taken,
    /// The full parse of `taken.text`.
    tree: Tree,
}

/// What a refresh was taken from: the document's latest scan.
struct Taken {
    path: String,
    /// The [`Base::id`] it was taken on.
    base: u64,
    stamp: u64,
    text: String,
    scan: Arc<Scan>,
    context: TreeContext,
}

/// What [`ScanCache::install`] did.
#[must_use]
pub struct Installed {
    /// The full parse disagreed with the local scans: analyse again.
    pub mismatch: bool,
    /// The trees it replaced, to drop off the cache's lock.
    pub replaced: ReplacedTrees,
}

impl Installed {
    fn nothing() -> Self {
        Self {
            mismatch: false,
            replaced: ReplacedTrees {
                _replaced: Vec::new(),
            },
        }
    }
}

impl Refresh {
    /// Re-parses the text in full from the edited tree (with the same grammar); `None` when
    /// the parse is cut (the document then goes on as it is).
    pub fn run(self) -> Option<Refreshed> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&self.edited.language()).ok()?;
        let tree = scan::parse_bounded(&mut parser, &self.taken.text, Some(&self.edited))?;
        Some(Refreshed {
            taken: self.taken,
            tree,
        })
    }
}

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
            let span = span_of(edit);
            cached.pending = Some(cached.pending.map_or(span, |before| before.then(span)));
            if cached.base.is_some() {
                cached.log.push((cached.stamp + 1, *edit));
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
                cached.base = None;
                cached.latest = None;
                cached.log.clear();
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

    /// The cached documents whose trees are kept (not the whole workspace's files: this runs
    /// after every edit).
    fn open_documents(&self) -> impl Iterator<Item = (&String, &Cached)> {
        self.keep_trees
            .iter()
            .filter_map(|path| Some((path, self.files.get(path)?)))
    }

    /// The most patches any open document's syntax has (statements re-parsed on their own
    /// since its last full parse): how due a refresh is.
    pub fn most_patches(&self) -> usize {
        self.open_documents()
            .filter_map(|(_, cached)| cached.latest.as_ref())
            .map(|latest| latest.patches.len())
            .max()
            .unwrap_or(0)
    }

    /// The consolidations due: one per open document whose tree the latest scans patched,
    /// when no edit has come since its last scan.
    pub fn refresh_jobs(&self) -> Vec<Refresh> {
        self.open_documents()
            .filter_map(|(path, cached)| {
                let latest = cached.latest.as_ref()?;
                if latest.patches.is_empty() || cached.scan.is_none() {
                    return None;
                }
                let base = cached.base.as_ref()?;
                Some(Refresh {
                    taken: Taken {
                        path: path.clone(),
                        base: base.id,
                        stamp: cached.stamp,
                        text: latest.text.clone(),
                        scan: latest.scan.clone(),
                        context: base.context.clone(),
                    },
                    edited: cached.tree.clone()?,
                })
            })
            .collect()
    }

    /// Takes in a finished refresh: its tree becomes the document's last full parse, the
    /// edits that came since are applied to it again, and only the patches parsed since stay.
    ///
    /// When no scan came since the refresh was taken, its tree also checks the local scans:
    /// it must have the top-level nodes they found. If not (a bug), [`Installed::mismatch`]
    /// says so and the document is scanned fully at the next analysis, which the caller
    /// should run. The replaced trees are the caller's to drop (after unlocking the cache).
    pub fn install(&mut self, done: Refreshed) -> Installed {
        let Refreshed { taken: done, tree } = done;
        let mut replaced = Vec::new();
        let Some(cached) = self.files.get_mut(&done.path) else {
            return Installed::nothing();
        };
        if cached.stamp < done.stamp
            || cached.base.as_ref().map(|base| base.id) != Some(done.base)
            || cached.tree.is_none()
        {
            return Installed::nothing();
        }
        let tops = scan::tops_of(tree.root_node());
        let mismatch = cached.stamp == done.stamp
            && cached
                .latest
                .as_ref()
                .is_some_and(|latest| latest.tops != tops);
        let since: Vec<InputEdit> = cached
            .log
            .iter()
            .filter(|(stamp, _)| *stamp > done.stamp)
            .map(|(_, edit)| *edit)
            .collect();
        let mut edited = tree.clone();
        for edit in &since {
            edited.edit(edit);
        }
        self.bases += 1;
        let base = Base {
            id: self.bases,
            text: done.text,
            tree,
            scan: done.scan,
            context: done.context,
            tops,
        };
        replaced.push(Replaced {
            _tree: cached.tree.replace(edited),
            _base: cached.base.replace(base),
            _latest: None,
        });
        cached.pending = merged(&since);
        cached.log.retain(|(stamp, _)| *stamp > done.stamp);
        if let Some(latest) = &mut cached.latest {
            latest.patches.retain(|(_, stamp)| *stamp > done.stamp);
            if latest.patches.is_empty() && cached.stamp == done.stamp {
                replaced.push(Replaced {
                    _tree: None,
                    _base: None,
                    _latest: cached.latest.take(),
                });
            }
        }
        if mismatch {
            // Scanned from the new tree at the next analysis (no span to splice).
            cached.scan = None;
            cached.pending = None;
            cached.latest = None;
            cached.log.clear();
        }
        Installed {
            mismatch,
            replaced: ReplacedTrees {
                _replaced: replaced,
            },
        }
    }

    /// The scan of `path` (and its syntax when kept): the cached one when the text is
    /// unchanged, else a new one, from the edited statements alone or the edited tree.
    pub(super) fn scan(&mut self, path: &str, language: Language, text: &str) -> Scanned {
        let keep_tree = self.keep_trees.contains(path);
        if let Some(cached) = self.files.get(path)
            && cached.len == text.len()
            && let Some(scan) = &cached.scan
            && (cached.tree.is_some() || !cached.parsed || !keep_tree)
        {
            return (scan.clone(), cached.view());
        }
        if keep_tree
            && let Some(cached) = self.files.get_mut(path)
            && cached.len == text.len()
            && let Some((scanned, latest)) = Self::scan_locally(cached, path, language, text)
        {
            // The previous latest state (a copy of the text, its patches) is freed with the
            // other replaced trees, after the caller has answered.
            if latest.is_some() {
                self.replaced.push(Replaced {
                    _tree: None,
                    _base: None,
                    _latest: latest,
                });
            }
            return scanned;
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
                latest,
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
                    _latest: latest,
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
                        _latest: None,
                    });
                }
                scanned
            }
        };
        let scan = Arc::new(scan);
        let parsed = tree.is_some();
        let tree = tree.filter(|_| keep_tree);
        self.bases += 1;
        let base = match (&tree, context) {
            (Some(tree), Some(context)) => Some(Base {
                id: self.bases,
                text: text.to_owned(),
                tree: tree.clone(),
                scan: scan.clone(),
                context,
                tops: scan::tops_of(tree.root_node()),
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
                latest: None,
                stamp: 0,
                log: Vec::new(),
            },
        );
        (scan, tree.map(SyntaxTree::whole))
    }

    /// The local scan of an edited open document (see the module's comment) and the latest
    /// state it replaced, or `None` when it must be scanned fully.
    fn scan_locally(
        cached: &mut Cached,
        path: &str,
        language: Language,
        text: &str,
    ) -> Option<(Scanned, Option<Box<LatestState>>)> {
        let base = cached.base.as_ref()?;
        let edited = cached.tree.as_ref()?;
        let unscanned: Vec<InputEdit> = cached.unscanned().copied().collect();
        let span = merged(&unscanned)?;
        let (latest_text, latest_scan, tops, patches) = match &cached.latest {
            Some(latest) => (
                latest.text.as_str(),
                &latest.scan,
                latest.tops.as_slice(),
                latest.patches.as_slice(),
            ),
            None => (
                base.text.as_str(),
                &base.scan,
                base.tops.as_slice(),
                &[][..],
            ),
        };
        if patches.len() >= MAX_PATCHES {
            return None;
        }
        let regions: Vec<(usize, usize)> = patches
            .iter()
            .map(|(patch, _)| (patch.start, patch.end))
            .collect();
        let grammar = edited.language();
        let local = scan::splice_path_local(
            path,
            language,
            text,
            &Latest {
                text: latest_text,
                scan: latest_scan,
                context: &base.context,
                tops,
                grammar: &grammar,
                patches: &regions,
                has_error: base.tree.root_node().has_error(),
            },
            span,
        )?;
        let delta = text.len() as i64 - latest_text.len() as i64;
        let old_end = usize::try_from(local.end as i64 - delta).ok()?;
        let stamp = cached.stamp + 1;
        let mut kept = Vec::with_capacity(patches.len() + 1);
        let mut placed = false;
        for (patch, patch_stamp) in patches {
            if patch.end <= local.start {
                kept.push((patch.clone(), *patch_stamp));
            } else if patch.start >= old_end {
                if !placed {
                    kept.push((new_patch(&local), stamp));
                    placed = true;
                }
                let mut moved = patch.clone();
                for edit in &unscanned {
                    moved.tree.edit(edit);
                }
                moved.start = usize::try_from(patch.start as i64 + delta).ok()?;
                moved.end = usize::try_from(patch.end as i64 + delta).ok()?;
                kept.push((moved, *patch_stamp));
            }
        }
        if !placed {
            kept.push((new_patch(&local), stamp));
        }
        let scan = Arc::new(local.scan);
        let replaced = cached.latest.replace(Box::new(LatestState {
            text: text.to_owned(),
            scan: scan.clone(),
            tops: local.tops,
            patches: kept,
        }));
        cached.scan = Some(scan.clone());
        cached.stamp = stamp;
        let view = cached.view();
        Some(((scan, view), replaced))
    }
}

fn new_patch(local: &scan::LocalSplice) -> Patch {
    Patch {
        start: local.start,
        end: local.end,
        tree: local.tree.clone(),
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

    /// The syntax `view` gives for `text` matches a fresh parse: the same top-level nodes, and
    /// the same node at a sample of ranges (where the view answers).
    fn assert_view_matches(view: &SyntaxTree, path: &str, language: Language, text: &str) {
        let Some(fresh) = crate::rewrite::parse_for_tests(path, language, text) else {
            return;
        };
        let shape = |node: tree_sitter::Node<'_>| (node.kind(), node.start_byte(), node.end_byte());
        let root = fresh.root_node();
        // tree-sitter's error recovery may settle differently in a fresh and an incremental
        // parse: the scans are compared above; trees only where the text has no error.
        if root.has_error() {
            return;
        }
        let mut cursor = root.walk();
        let expected: Vec<_> = root.children(&mut cursor).map(shape).collect();
        let got: Vec<_> = view.top_level().into_iter().map(shape).collect();
        assert_eq!(got, expected, "top-level nodes of:\n{text}");
        for start in (0..text.len()).step_by(7) {
            let end = (start + 5).min(text.len());
            // (The root's own start may differ: an edited tree's root keeps leading blanks.)
            // The one-walk path ends at the same node.
            assert_eq!(
                view.path_for_byte_range(start, end).last().map(|n| n.id()),
                view.descendant_for_byte_range(start, end).map(|n| n.id()),
                "path to {start}..{end}"
            );
            if let Some(node) = view.descendant_for_byte_range(start, end)
                && node.parent().is_some()
            {
                let want = root.descendant_for_byte_range(start, end).map(shape);
                assert_eq!(
                    Some(shape(node)),
                    want,
                    "node at {start}..{end} of:\n{text}"
                );
            }
        }
    }

    /// Random edit sequences through the cache give exactly the scans a fresh scan of each
    /// text gives, whether the edit took the local path, the incremental one or the whole one,
    /// with refreshes (consolidations) taken and installed now and then, sometimes after
    /// further edits; the syntax the rewrites get matches a fresh parse. Returns how many
    /// scans took the incremental path and how many the local one.
    fn random_sequences(
        path: &str,
        language: Language,
        base: &str,
        statements: &[&str],
        words: &[&str],
        seeds: u64,
    ) -> (usize, usize) {
        let (mut spliced, mut local) = (0, 0);
        for seed in 1..=seeds {
            let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut text = base.to_owned();
            let mut cache = ScanCache::default();
            cache.keep_trees_of([path]);
            cache.scan(path, language, &text);
            let mut jobs: Vec<Refresh> = Vec::new();
            for step in 0..40 {
                // Now and then two edits before one scan.
                for _ in 0..1 + usize::from(random.below(5) == 0) {
                    let (start, end, new) = random_edit(&mut random, &text, statements, words);
                    let edit = replace(&mut text, start, end, &new);
                    cache.edit(path, &edit);
                }
                let before = crate::scan::incremental_scans();
                let before_local = crate::scan::local_scans();
                let (incremental, view) = cache.scan(path, language, &text);
                spliced += crate::scan::incremental_scans() - before;
                local += crate::scan::local_scans() - before_local;
                let fresh = scan::scan_path(path, language, &text);
                assert_eq!(
                    *incremental, fresh,
                    "seed {seed}, step {step}, text:\n{text}"
                );
                if let Some(view) = &view {
                    assert_view_matches(view, path, language, &text);
                }
                // Refreshes: taken now, installed now or a few steps later.
                match random.below(4) {
                    0 => jobs.extend(cache.refresh_jobs()),
                    1 => {
                        for job in jobs.drain(..) {
                            if let Some(done) = job.run() {
                                assert!(!cache.install(done).mismatch, "seed {seed}, step {step}");
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        (spliced, local)
    }

    #[test]
    fn random_python_edits_scan_as_fresh_texts() {
        let (spliced, local) = random_sequences(
            "settings.py",
            Language::Python,
            PYTHON,
            PYTHON_STATEMENTS,
            PYTHON_WORDS,
            40,
        );
        eprintln!("Python random edits: {spliced} incremental, {local} local of 1600");
        // The local and incremental paths were taken (not only the whole scan).
        assert!(
            spliced + local > 400,
            "{spliced} + {local} of 1600 scans spliced"
        );
        // Most of these edits write syntax errors or names the file's context watches; the
        // local path still takes some (`typing_*` below measure ordinary typing).
        assert!(local > 40, "{local} of 1600 scans local");
    }

    #[test]
    fn random_javascript_edits_scan_as_fresh_texts() {
        let (spliced, local) = random_sequences(
            "app.js",
            Language::JavaScript,
            JS,
            JS_STATEMENTS,
            JS_WORDS,
            24,
        );
        assert!(
            spliced + local > 240,
            "{spliced} + {local} of 960 scans spliced"
        );
        assert!(local > 8, "{local} of 960 scans local");
    }

    #[test]
    fn random_typescript_edits_scan_as_fresh_texts() {
        let (spliced, local) = random_sequences(
            "app.ts",
            Language::JavaScript,
            JS,
            JS_STATEMENTS,
            JS_WORDS,
            24,
        );
        assert!(
            spliced + local > 240,
            "{spliced} + {local} of 960 scans spliced"
        );
        assert!(local > 8, "{local} of 960 scans local");
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
        let (spliced, local) = random_sequences(
            "long.js",
            Language::JavaScript,
            &base,
            JS_STATEMENTS,
            JS_WORDS,
            1,
        );
        assert!(
            spliced + local > 10,
            "{spliced} + {local} of 40 scans spliced"
        );
    }

    /// Ordinary typing through a long file: a letter typed into or deleted from a name,
    /// anywhere, one scan per keystroke, a refresh taken after each scan and installed before
    /// the next one or a few keystrokes later (as the language server does). Every scan equals
    /// a fresh one, every view matches a fresh parse, and most scans take the local path.
    fn typing(path: &str, language: Language, text: &str, keystrokes: usize) -> usize {
        let mut random = Random(0x5DEE_CE66_D1CE_4E5B);
        let mut text = text.to_owned();
        let mut cache = ScanCache::default();
        cache.keep_trees_of([path]);
        cache.scan(path, language, &text);
        let mut jobs: Vec<Refresh> = Vec::new();
        let mut local = 0;
        for step in 0..keystrokes {
            // A letter typed at the end of a name (`alpha` → `alphaq`), or one typed so
            // deleted: the syntax stays valid, as it mostly does between keystrokes.
            let names: Vec<usize> = ["alpha", "beta", "helper"]
                .iter()
                .flat_map(|name| text.match_indices(name).map(|(at, name)| at + name.len()))
                .collect();
            let at = names[random.below(names.len())];
            let typed = text[at..].starts_with(['q', 'z', 'k']);
            let edit = if typed && random.below(2) == 0 {
                replace(&mut text, at, at + 1, "")
            } else {
                let letter = ["q", "z", "k"][random.below(3)];
                replace(&mut text, at, at, letter)
            };
            cache.edit(path, &edit);
            let before = crate::scan::local_scans();
            let (scanned, view) = cache.scan(path, language, &text);
            local += crate::scan::local_scans() - before;
            assert_eq!(
                *scanned,
                scan::scan_path(path, language, &text),
                "step {step}"
            );
            if let Some(view) = &view {
                assert_view_matches(view, path, language, &text);
            }
            if random.below(3) != 0 {
                for job in jobs.drain(..) {
                    if let Some(done) = job.run() {
                        assert!(!cache.install(done).mismatch, "step {step}");
                    }
                }
            }
            jobs.extend(cache.refresh_jobs());
        }
        local
    }

    #[test]
    fn typing_in_a_long_javascript_file_reparses_only_the_edited_statements() {
        let text: String = (0..400)
            .map(|n| {
                if n % 20 == 0 {
                    format!("const value{n} = process.env.NEON_POSTGRESQL_HOST; // reference\n")
                } else {
                    format!("function helper{n}(alpha, beta) {{ return alpha * {n} + beta; }}\n")
                }
            })
            .collect();
        let local = typing("big.js", Language::JavaScript, &text, 200);
        eprintln!("JavaScript: {local} of 200 keystrokes took the local path");
        assert!(local > 150, "{local} of 200 keystrokes local");
    }

    #[test]
    fn typing_in_a_long_python_file_reparses_only_the_edited_statements() {
        let mut text = String::from("import os\n\n");
        for n in 0..300 {
            if n % 20 == 0 {
                text.push_str(&format!(
                    "value{n} = os.environ[\"NEON_POSTGRESQL_HOST\"]\n"
                ));
            } else {
                text.push_str(&format!(
                    "def helper{n}(alpha, beta):\n    return alpha * {n} + beta\n\n"
                ));
            }
        }
        let local = typing("app.py", Language::Python, &text, 200);
        eprintln!("Python: {local} of 200 keystrokes took the local path");
        assert!(local > 150, "{local} of 200 keystrokes local");
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
